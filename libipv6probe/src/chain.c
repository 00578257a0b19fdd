/* The tagging chain: site, dedupe, PE tracker, taggers, harvest, in that
 * order (see include/ipv6probe/chain.h for why this order). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ipv6probe/chain.h"

struct v6p_chain {
    v6p_site *site;     /* NULL or not known: direction is the device's view */
    v6p_dedupe *dedupe; /* NULL when turned off */
    v6p_pe_tracker *pe;
    v6p_taggers *taggers;
    v6p_harvest *harvest;
    uint64_t events, forward_events;
};

void v6p_chain_config_init(v6p_chain_config *cfg, size_t size)
{
    v6p_chain_config def;
    memset(&def, 0, sizeof(def)); /* parts' defaults, dedupe on */
    v6pi_config_init(cfg, size, &def, sizeof(def));
}

v6p_chain *v6p_chain_new(const v6p_chain_config *cfg, v6p_error *err)
{
    v6p_chain_config c;
    v6p_chain_config_init(&c, sizeof(c));
    if (v6pi_config_take(&c, sizeof(c), cfg, "chain", err) != 0)
        return NULL;
    v6p_chain *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (!(ch->pe = v6p_pe_new(c.pe, &e))) {
        v6pi_error_set(err, e.code,
                       "pe: the temporary-address tracker cannot be made with these settings "
                       "(lifetimes, sizes): %s",
                       e.message);
        goto fail;
    }
    if (!(ch->taggers = v6p_taggers_new(c.taggers, &e))) {
        v6pi_error_set(err, e.code, "ladder/scan: %s", e.message);
        goto fail;
    }
    if (!c.dedupe_off && !(ch->dedupe = v6p_dedupe_new(c.dedupe, &e))) {
        v6pi_error_set(err, e.code, "dedupe: %s", e.message);
        goto fail;
    }
    if (!(ch->harvest = v6p_harvest_new(c.harvest, &e))) {
        v6pi_error_set(err, e.code, "%s", e.message);
        goto fail;
    }
    return ch;
fail:
    v6p_chain_free(ch);
    return NULL;
}

void v6p_chain_free(v6p_chain *c)
{
    if (!c)
        return;
    v6p_site_free(c->site);
    v6p_dedupe_free(c->dedupe);
    v6p_pe_free(c->pe);
    v6p_taggers_free(c->taggers);
    v6p_harvest_free(c->harvest);
    free(c);
}

/* The parts before the taggers, on one event. */
static void before_taggers(v6p_chain *c, v6p_event *ev)
{
    c->events++;
    /* Direction first: the tracker learns internal /64s from the sources
     * of outbound events, and the harvest tells contacts from probes by
     * it. */
    if (c->site && v6p_site_known(c->site))
        v6p_site_direction(c->site, ev);
    else if (ev->direction == V6P_DIR_FORWARD)
        c->forward_events++;
    /* A repeat is marked before any tracker counts it; each skips it. */
    if (c->dedupe)
        v6p_dedupe_mark(c->dedupe, ev);
    v6p_pe_tag(c->pe, ev);
}

void v6p_chain_apply(v6p_chain *c, v6p_event *ev)
{
    before_taggers(c, ev);
    v6p_taggers_apply(c->taggers, ev);
    v6p_harvest_observe(c->harvest, ev);
}

/* Part by part over the batch.  The same tags as one event at a time: each
 * part reads only its own state and what the parts before it set on the
 * same event, and sees the events in the same order. */
size_t v6p_chain_apply_batch(v6p_chain *c, v6p_event *const *evs, size_t n)
{
    if (n > V6P_CHAIN_BATCH_MAX)
        n = V6P_CHAIN_BATCH_MAX;
    for (size_t i = 0; i < n; i++)
        before_taggers(c, evs[i]);
    v6p_taggers_apply_batch(c->taggers, evs, n);
    for (size_t i = 0; i < n; i++)
        v6p_harvest_observe(c->harvest, evs[i]);
    return n;
}

void v6p_chain_flush(v6p_chain *c)
{
    v6p_taggers_flush(c->taggers);
}

size_t v6p_chain_drain(v6p_chain *c, v6p_emit_fn emit, void *ud)
{
    size_t n = v6p_taggers_drain(c->taggers, emit, ud);
    return n + v6p_harvest_drain(c->harvest, emit, ud);
}

void v6p_chain_set_site(v6p_chain *c, v6p_site *site)
{
    v6p_site_free(c->site);
    c->site = site;
}

void v6p_chain_set_classify(v6p_chain *c, v6p_classify *classify)
{
    v6p_taggers_set_classify(c->taggers, classify);
}

int v6p_chain_set_prefixes(v6p_chain *c, const char *const *prefixes, size_t n, v6p_error *err)
{
    size_t bad = n;
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (v6p_pe_set_prefixes(c->pe, prefixes, n, &bad, &e) == 0)
        return 0;
    if (bad < n && prefixes[bad])
        v6pi_error_set(err, e.code, "\"%s\": %s", prefixes[bad],
                       e.code == ENOSPC ? "too many prefixes" : "not an IPv6 prefix");
    else
        v6pi_error_set(err, e.code, "%s", e.message);
    return -1;
}

int v6p_chain_open_asn(v6p_chain *c, const char *path, v6p_error *err)
{
    return v6p_taggers_open_asn(c->taggers, path, err);
}

void v6p_chain_get_stats(const v6p_chain *c, v6p_chain_stats *out, size_t size)
{
    v6p_chain_stats st;
    memset(&st, 0, sizeof(st));
    v6p_pe_stats ps;
    v6p_pe_get_stats(c->pe, &ps, sizeof(ps));
    st.pe_addresses = ps.addresses;
    st.pe_prefixes = ps.prefixes;
    st.pe_address_evictions = ps.address_evictions;
    st.pe_learned_prefixes = ps.learned_prefixes;
    v6p_taggers_stats ts;
    v6p_taggers_get_stats(c->taggers, &ts, sizeof(ts));
    st.ladders = ts.ladders;
    st.ladder_evictions = ts.ladder_evictions;
    st.ladder_summaries_dropped = ts.summaries_dropped;
    st.scan_evictions = ts.scan_evictions;
    st.pair_evictions = ts.pair_evictions;
    st.classify_entries = ts.classify_entries;
    st.classify_asns = ts.classify_asns;
    st.asn_lookup_errors = ts.asn_lookup_errors;
    v6p_harvest_stats hs;
    v6p_harvest_get_stats(c->harvest, &hs, sizeof(hs));
    st.harvest_contacts = hs.contacts;
    st.harvest_probes = hs.probes;
    st.harvest_first_probes = hs.first_probes;
    st.harvest_suspects = hs.suspects_emitted;
    st.harvest_evictions = hs.contact_evictions + hs.address_evictions + hs.remote_evictions;
    st.harvest_records_dropped = hs.records_dropped;
    v6p_dedupe_stats ds;
    memset(&ds, 0, sizeof(ds));
    if (c->dedupe)
        v6p_dedupe_get_stats(c->dedupe, &ds, sizeof(ds));
    st.duplicates = ds.duplicates;
    st.dedupe_evictions = ds.evictions;
    st.direction_forward = c->forward_events;
    st.events = c->events;
    st.memory_bytes = ps.memory + ts.memory + hs.memory + ds.memory + sizeof(*c);
    v6pi_stats_give(out, size, &st, sizeof(st));
}
