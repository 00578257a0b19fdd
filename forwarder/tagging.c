/* Tagging: the forwarder's configuration mapped onto the library's tagging
 * chain (v6p_chain, which knows the taggers and their order), and the
 * tables a reload replaces.  Nothing else in the forwarder knows which
 * taggers exist. */
#include "tagging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv6probe/chain.h"
#include "log.h"

#ifndef FWD_TABLE_INSTALLED
#define FWD_TABLE_INSTALLED "/usr/local/share/ipv6probe/classification.yaml"
#endif

struct tagging {
    v6p_chain *chain;
    int site_known; /* internal prefixes or interfaces configured */
    int forward_noted;
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
 * neither adds the same prefixes again nor keeps removed ones); the site
 * and the classification are replaced whole. */
static int adopt(tagging *t, tagging_tables *tb, char *err, size_t errlen)
{
    v6p_error e;
    memset(&e, 0, sizeof(e));
    int rc =
        v6p_chain_set_prefixes(t->chain, (const char *const *)tb->prefixes, tb->n_prefixes, &e);
    if (rc != 0)
        snprintf(err, errlen, "internal_prefixes: %s", e.message);
    v6p_chain_set_classify(t->chain, tb->classify);
    tb->classify = NULL;
    t->site_known = v6p_site_known(tb->site);
    v6p_chain_set_site(t->chain, tb->site);
    tb->site = NULL;
    tagging_tables_free(tb);
    return rc;
}

tagging *tagging_init(const fwd_config *cfg, char *err, size_t errlen)
{
    tagging *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v6p_chain_config cc;
    v6p_chain_config_init(&cc, sizeof(cc));
    cc.pe = &cfg->pe;
    cc.taggers = &cfg->taggers;
    cc.dedupe = &cfg->dedupe;
    cc.dedupe_off = !cfg->dedupe_enabled;
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (!(t->chain = v6p_chain_new(&cc, &e))) {
        snprintf(err, errlen, "%s", e.message);
        goto fail;
    }
    if (cfg->classification.asn_database &&
        v6p_chain_open_asn(t->chain, cfg->classification.asn_database, &e) != 0) {
        snprintf(err, errlen, "classification: asn_database: %s", e.message);
        goto fail;
    }
    tagging_tables *tb = tagging_load_tables(cfg, err, errlen);
    if (!tb || adopt(t, tb, err, errlen) != 0)
        goto fail;
    return t;
fail:
    tagging_free(t);
    return NULL;
}

void tagging_apply_batch(tagging *t, v6p_event *const *evs, size_t n)
{
    for (size_t done = 0; done < n;)
        done += v6p_chain_apply_batch(t->chain, evs + done, n - done);
    /* Said once, when the first such event comes (and counted in the
     * stats): on a router every event is "forward" until the site is
     * described. */
    for (size_t i = 0; i < n && !t->site_known && !t->forward_noted; i++)
        if (evs[i]->direction == V6P_DIR_FORWARD) {
            t->forward_noted = 1;
            fprintf(stderr, "ipv6probe-forward: note: events logged in FORWARD read direction "
                            "\"forward\"; set internal_prefixes or internal_interfaces for "
                            "inbound/outbound/lateral (docs/taggers.md)\n");
        }
}

void tagging_drain(tagging *t, tagging_emit_fn emit, void *arg)
{
    v6p_chain_drain(t->chain, emit, arg);
}

void tagging_finish(tagging *t)
{
    v6p_chain_flush(t->chain);
}

void tagging_adopt(tagging *t, tagging_tables *tb)
{
    char err[320];
    if (adopt(t, tb, err, sizeof(err)) != 0)
        log_msg(LOG_LV_WARNING, "reload: %s", err);
}

void tagging_snapshot(const tagging *t, tagging_snap *s)
{
    v6p_chain_get_stats(t->chain, s, sizeof(*s));
}

void tagging_stats(const tagging_snap *st,
                   void (*emit)(void *arg, const char *name, unsigned long long v), void *arg)
{
    const v6p_chain_stats s = *st;
    emit(arg, "pe_addresses", s.pe_addresses);
    emit(arg, "pe_prefixes", s.pe_prefixes);
    emit(arg, "pe_address_evictions", s.pe_address_evictions);
    emit(arg, "pe_learned_prefixes", s.pe_learned_prefixes);
    emit(arg, "ladders", s.ladders);
    emit(arg, "ladder_evictions", s.ladder_evictions);
    emit(arg, "ladder_summaries_dropped", s.ladder_summaries_dropped);
    emit(arg, "scan_evictions", s.scan_evictions);
    emit(arg, "pair_evictions", s.pair_evictions);
    emit(arg, "classification_entries", s.classify_entries);
    emit(arg, "classification_asns", s.classify_asns);
    emit(arg, "asn_lookup_errors", s.asn_lookup_errors);
    emit(arg, "harvest_first_probes", s.harvest_first_probes);
    emit(arg, "harvest_suspects", s.harvest_suspects);
    emit(arg, "harvest_evictions", s.harvest_evictions);
    emit(arg, "duplicates", s.duplicates);
    emit(arg, "dedupe_evictions", s.dedupe_evictions);
    emit(arg, "direction_forward", s.direction_forward);
    emit(arg, "memory_bytes", s.memory_bytes);
}

const char *tagging_describe(void)
{
    return "site, dedupe, pe, ladder, scan, classification, harvest";
}

void tagging_free(tagging *t)
{
    if (!t)
        return;
    if (t->chain) {
        v6p_chain_stats s;
        v6p_chain_get_stats(t->chain, &s, sizeof(s));
        if (s.direction_forward)
            fprintf(stderr,
                    "ipv6probe-forward: %llu events read direction \"forward\" (logged in "
                    "FORWARD); internal_prefixes or internal_interfaces make it site-relative\n",
                    (unsigned long long)s.direction_forward);
    }
    v6p_chain_free(t->chain);
    free(t);
}
