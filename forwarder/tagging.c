/* Tagging: the forwarder's side of the library's taggers.
 *
 * Order matters and follows the event schema: first the site (direction
 * relative to the internal prefixes and interfaces, which every tracker
 * reads) and the duplicate-packet check (a repeat feeds no tracker), then
 * the temporary-address tracker
 * first (it also fills the address block and IID kind, which the others
 * read), then the behaviour taggers (ladder, scan) and the classification
 * of the source, and last the harvester correlation, which reads what the
 * tracker marked internal.  Nothing else in the forwarder knows which
 * taggers exist. */
#include "tagging.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv6probe/dedupe.h"
#include "ipv6probe/harvest.h"
#include "ipv6probe/pe.h"
#include "ipv6probe/site.h"
#include "ipv6probe/taggers.h"
#include "log.h"

#ifndef FWD_TABLE_INSTALLED
#define FWD_TABLE_INSTALLED "/usr/local/share/ipv6probe/classification.yaml"
#endif

struct tagging {
    v6p_pe_tracker *pe;
    v6p_taggers *taggers;
    v6p_harvest *harvest; /* reads what the PE tracker marked internal */
    v6p_site *site;
    v6p_dedupe *dedupe;                /* NULL when turned off */
    unsigned long long forward_events; /* direction "forward": no site described */
};

struct tagging_tables {
    v6p_site *site; /* internal prefixes and interfaces, replaced whole */
    v6p_classify *classify;
    char **prefixes; /* internal_prefixes, copied */
    size_t n_prefixes;
};

/* The table shipped with ipv6probe: installed, or in the source tree when
 * running from a build directory.  NULL when neither is there. */
const char *tagging_builtin_table(void)
{
    if (access(FWD_TABLE_INSTALLED, R_OK) == 0)
        return FWD_TABLE_INSTALLED;
#ifdef FWD_TABLE_SOURCE
    if (access(FWD_TABLE_SOURCE, R_OK) == 0)
        return FWD_TABLE_SOURCE;
#endif
    return NULL;
}

/* The organisations-by-AS table shipped beside the prefix table; 0 when
 * absent. */
static int builtin_asn_table(const char *table, char *out, size_t cap)
{
    const char *slash = strrchr(table, '/');
    int dir = slash ? (int)(slash - table + 1) : 0;
    int n = snprintf(out, cap, "%.*sasn-classification.yaml", dir, table);
    return n > 0 && (size_t)n < cap && access(out, R_OK) == 0;
}

static int load_site(tagging_tables *tb, const fwd_config *cfg, char *err, size_t errlen)
{
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (!(tb->site = v6p_site_new(&e)))
        goto fail;
    for (size_t i = 0; i < cfg->n_internal_prefixes; i++)
        if (v6p_site_add_prefix(tb->site, cfg->internal_prefixes[i], &e) != 0)
            goto fail;
    for (size_t i = 0; i < cfg->n_internal_interfaces; i++)
        if (v6p_site_add_interface(tb->site, cfg->internal_interfaces[i], &e) != 0)
            goto fail;
    return 0;
fail:
    snprintf(err, errlen, "site: %s", e.message);
    return -1;
}

void tagging_tables_free(tagging_tables *tb)
{
    if (!tb)
        return;
    v6p_classify_free(tb->classify);
    v6p_site_free(tb->site);
    for (size_t i = 0; i < tb->n_prefixes; i++)
        free(tb->prefixes[i]);
    free(tb->prefixes);
    free(tb);
}

tagging_tables *tagging_load_tables(const fwd_config *cfg, char *err, size_t errlen)
{
    tagging_tables *tb = calloc(1, sizeof(*tb));
    if (!tb || !(tb->classify = v6p_classify_new(NULL)) ||
        !(tb->prefixes = calloc(cfg->n_internal_prefixes + 1, sizeof(char *)))) {
        snprintf(err, errlen, "out of memory");
        tagging_tables_free(tb);
        return NULL;
    }
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (cfg->classification.builtin) {
        /* Missing, the source classification would be silently lost. */
        const char *b = tagging_builtin_table();
        char as_table[4096];
        if (!b) {
            snprintf(err, errlen,
                     "classification: the built-in table %s is missing; reinstall "
                     "ipv6probe, or set classification: builtin: false",
                     FWD_TABLE_INSTALLED);
            tagging_tables_free(tb);
            return NULL;
        }
        if (v6p_classify_add_yaml(tb->classify, b, &e) != 0 ||
            (builtin_asn_table(b, as_table, sizeof(as_table)) &&
             v6p_classify_add_yaml(tb->classify, as_table, &e) != 0)) {
            snprintf(err, errlen, "classification: %s", e.message);
            tagging_tables_free(tb);
            return NULL;
        }
    }
    /* In the order given: an entry in a later table wins. */
    for (size_t i = 0; i < cfg->classification.n_tables; i++)
        if (v6p_classify_add_yaml(tb->classify, cfg->classification.tables[i], &e) != 0) {
            snprintf(err, errlen, "classification: %s", e.message);
            tagging_tables_free(tb);
            return NULL;
        }
    if (load_site(tb, cfg, err, errlen) != 0) {
        tagging_tables_free(tb);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_internal_prefixes; i++) {
        if (!(tb->prefixes[i] = strdup(cfg->internal_prefixes[i]))) {
            snprintf(err, errlen, "out of memory");
            tagging_tables_free(tb);
            return NULL;
        }
        tb->n_prefixes++;
    }
    return tb;
}

/* The configured set replaces the one in force as a whole (a reload
 * neither adds the same prefixes again nor keeps removed ones). */
static int add_prefixes(tagging *t, const tagging_tables *tb, char *err, size_t errlen)
{
    size_t bad = 0;
    v6p_error e = {0};
    if (v6p_pe_set_prefixes(t->pe, (const char *const *)tb->prefixes, tb->n_prefixes, &bad, &e) !=
        0) {
        snprintf(err, errlen, "internal_prefixes: \"%s\": %s",
                 bad < tb->n_prefixes ? tb->prefixes[bad] : "",
                 e.code == ENOSPC ? "too many prefixes" : "not an IPv6 prefix");
        return -1;
    }
    return 0;
}

tagging *tagging_init(const fwd_config *cfg, char *err, size_t errlen)
{
    tagging *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(t->pe = v6p_pe_new(&cfg->pe, NULL))) {
        snprintf(err, errlen,
                 "pe: the temporary-address tracker cannot be made with these "
                 "settings (lifetimes, sizes)");
        goto fail;
    }
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (!(t->taggers = v6p_taggers_new(&cfg->taggers, &e))) {
        snprintf(err, errlen, "ladder/scan: %s", e.message);
        goto fail;
    }
    if (cfg->classification.asn_database &&
        v6p_taggers_open_asn(t->taggers, cfg->classification.asn_database, &e) != 0) {
        snprintf(err, errlen, "classification: asn_database: %s", e.message);
        goto fail;
    }
    tagging_tables *tb = tagging_load_tables(cfg, err, errlen);
    if (!tb)
        goto fail;
    if (add_prefixes(t, tb, err, errlen) != 0) {
        tagging_tables_free(tb);
        goto fail;
    }
    v6p_taggers_set_classify(t->taggers, tb->classify);
    tb->classify = NULL;
    t->site = tb->site;
    tb->site = NULL;
    tagging_tables_free(tb);
    if (cfg->dedupe_enabled && !(t->dedupe = v6p_dedupe_new(&cfg->dedupe, &e))) {
        snprintf(err, errlen, "dedupe: %s", e.message);
        goto fail;
    }
    if (!(t->harvest = v6p_harvest_new(NULL, &e))) {
        snprintf(err, errlen, "harvest: %s", e.message);
        goto fail;
    }
    return t;
fail:
    tagging_free(t);
    return NULL;
}

/* Said once, when the first such event comes, and counted in the stats:
 * on a router every event is "forward" until the site is described. */
static void note_forward(tagging *t)
{
    if (t->forward_events++ == 0)
        fprintf(stderr, "ipv6probe-forward: note: events logged in FORWARD read direction "
                        "\"forward\"; set internal_prefixes or internal_interfaces for "
                        "inbound/outbound/lateral (docs/taggers.md)\n");
}

void tagging_apply(tagging *t, v6p_event *ev)
{
    if (v6p_site_known(t->site))
        v6p_site_direction(t->site, ev);
    else if (ev->direction == V6P_DIR_FORWARD)
        note_forward(t);
    if (t->dedupe)
        v6p_dedupe_mark(t->dedupe, ev);
    v6p_pe_tag(t->pe, ev);
    v6p_taggers_apply(t->taggers, ev);
    v6p_harvest_observe(t->harvest, ev);
}

void tagging_drain(tagging *t, tagging_emit_fn emit, void *arg)
{
    v6p_taggers_drain(t->taggers, emit, arg);
    v6p_harvest_drain(t->harvest, emit, arg);
}

void tagging_finish(tagging *t)
{
    v6p_taggers_flush(t->taggers);
}

void tagging_adopt(tagging *t, tagging_tables *tb)
{
    char err[256];
    if (add_prefixes(t, tb, err, sizeof(err)) != 0)
        log_msg(LOG_LV_WARNING, "reload: %s", err);
    v6p_taggers_set_classify(t->taggers, tb->classify);
    tb->classify = NULL;
    v6p_site_free(t->site);
    t->site = tb->site;
    tb->site = NULL;
    tagging_tables_free(tb);
}

void tagging_stats(tagging *t, void (*emit)(void *arg, const char *name, unsigned long long v),
                   void *arg)
{
    v6p_pe_stats ps;
    v6p_pe_get_stats(t->pe, &ps, sizeof(ps));
    emit(arg, "pe_addresses", ps.addresses);
    emit(arg, "pe_prefixes", ps.prefixes);
    emit(arg, "pe_address_evictions", ps.address_evictions);
    emit(arg, "pe_learned_prefixes", ps.learned_prefixes);
    v6p_taggers_stats ts;
    v6p_taggers_get_stats(t->taggers, &ts, sizeof(ts));
    emit(arg, "ladders", ts.ladders);
    emit(arg, "ladder_evictions", ts.ladder_evictions);
    emit(arg, "ladder_summaries_dropped", ts.summaries_dropped);
    emit(arg, "scan_evictions", ts.scan_evictions);
    emit(arg, "pair_evictions", ts.pair_evictions);
    emit(arg, "classification_entries", ts.classify_entries);
    emit(arg, "classification_asns", ts.classify_asns);
    emit(arg, "asn_lookup_errors", ts.asn_lookup_errors);
    v6p_harvest_stats hs;
    v6p_harvest_get_stats(t->harvest, &hs, sizeof(hs));
    emit(arg, "harvest_first_probes", hs.first_probes);
    emit(arg, "harvest_suspects", hs.suspects_emitted);
    emit(arg, "harvest_evictions",
         hs.contact_evictions + hs.address_evictions + hs.remote_evictions);
    v6p_dedupe_stats ds;
    v6p_dedupe_get_stats(t->dedupe, &ds, sizeof(ds));
    emit(arg, "duplicates", ds.duplicates);
    emit(arg, "dedupe_evictions", ds.evictions);
    emit(arg, "direction_forward", t->forward_events);
    emit(arg, "memory_bytes", ps.memory + ts.memory + hs.memory + ds.memory);
}

const char *tagging_describe(void)
{
    return "site, dedupe, pe, ladder, scan, classification, harvest";
}

void tagging_free(tagging *t)
{
    if (!t)
        return;
    v6p_pe_free(t->pe);
    v6p_taggers_free(t->taggers);
    v6p_harvest_free(t->harvest);
    if (t->forward_events)
        fprintf(stderr,
                "ipv6probe-forward: %llu events read direction \"forward\" (logged in FORWARD); "
                "internal_prefixes or internal_interfaces make it site-relative\n",
                t->forward_events);
    v6p_site_free(t->site);
    v6p_dedupe_free(t->dedupe);
    free(t);
}
