/* The tagging chain: every tagger of the library, in the order they depend
 * on each other, behind one handle.
 *
 * For each event, v6p_chain_apply runs:
 *   1. the site (v6p_site_direction): direction relative to the internal
 *      prefixes and interfaces, which every later step reads (the PE
 *      tracker learns internal /64s from outbound sources);
 *   2. duplicate detection (v6p_dedupe_mark): a packet logged twice is
 *      marked, and no later step counts the repeat;
 *   3. the temporary-address tracker (v6p_pe_tag): internal addresses, IID
 *      kinds, src_pe / dest_pe, which the classification and the harvest
 *      correlator read;
 *   4. ladders, scan behaviour and source classification (v6p_taggers);
 *   5. the harvest correlator (v6p_harvest_observe), which reads what the
 *      tracker marked internal.
 * The records these produce besides events (ladder summaries, then harvest
 * suspects, each kind oldest first) are handed to a v6p_emit_fn by
 * v6p_chain_drain.
 *
 *     v6p_chain_config cfg;
 *     v6p_chain_config_init(&cfg, sizeof cfg);
 *     v6p_chain *c = v6p_chain_new(&cfg, &err);
 *     v6p_chain_set_prefixes(c, prefixes, n, &err);      optional
 *     for each parsed event ev:
 *         v6p_chain_apply(c, &ev);
 *         ... write ev ...
 *         v6p_chain_drain(c, emit, ud);
 *     v6p_chain_flush(c);  v6p_chain_drain(c, emit, ud);   at end of input
 *     v6p_chain_free(c);
 *
 * Thread safety: a chain and everything handed to it (site, classification)
 * belong to one thread at a time; run one chain per thread.  Different
 * chains share nothing. */
#ifndef IPV6PROBE_CHAIN_H
#define IPV6PROBE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "dedupe.h"
#include "event.h"
#include "harvest.h"
#include "pe.h"
#include "site.h"
#include "taggers.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size-tagged (common.h): fill with v6p_chain_config_init(&cfg, sizeof cfg).
 * The parts' configs are pointed to, each with its own size; NULL means
 * that part's defaults. */
typedef struct v6p_chain_config {
    size_t size; /* set by v6p_chain_config_init */
    const v6p_pe_config *pe;
    const v6p_taggers_config *taggers;
    const v6p_harvest_config *harvest;
    const v6p_dedupe_config *dedupe;
    int dedupe_off; /* 1: no duplicate detection (every line counts) */
} v6p_chain_config;

V6P_API void v6p_chain_config_init(v6p_chain_config *cfg, size_t size);

typedef struct v6p_chain v6p_chain;

/* cfg NULL = defaults.  NULL with err on a bad setting (EINVAL, the message
 * names the part) or no memory.  No site and no internal prefix at first. */
V6P_API v6p_chain *v6p_chain_new(const v6p_chain_config *cfg, v6p_error *err);
V6P_API void v6p_chain_free(v6p_chain *c);

/* Tag one event in place.  Strings set stay valid as with
 * v6p_taggers_apply. */
V6P_API void v6p_chain_apply(v6p_chain *c, v6p_event *ev);

/* Tag evs[0], evs[1], ... in that order, with the same tags and records as
 * v6p_chain_apply on each in turn, but faster: each part runs over the
 * whole batch in turn (its code and tables stay in cache), and the ladder,
 * scan and classification tables are loaded ahead (v6p_taggers_apply_batch).
 * The events must be distinct.  Tags at most V6P_CHAIN_BATCH_MAX events
 * and returns how many; the strings set stay valid until the next apply,
 * apply_batch or flush.  tests/bench/bench_chain.c measures it. */
#define V6P_CHAIN_BATCH_MAX V6P_TAGGERS_BATCH_MAX
V6P_API size_t v6p_chain_apply_batch(v6p_chain *c, v6p_event *const *evs, size_t n);

/* End of input: close what is open (ladders) so that drain reports it. */
V6P_API void v6p_chain_flush(v6p_chain *c);

/* Hand every pending record to emit: ladder summaries
 * ("ipv6probe:ladder"), then suspects ("ipv6probe:suspect").  Returns how
 * many. */
V6P_API size_t v6p_chain_drain(v6p_chain *c, v6p_emit_fn emit, void *ud);

/* ---- what a reload replaces (between two events) ---- */

/* The site, whole (ownership passes to c; the old one is freed; NULL for
 * none: direction stays the device's view). */
V6P_API void v6p_chain_set_site(v6p_chain *c, v6p_site *site);
/* The classification (ownership passes to c; NULL drops it). */
V6P_API void v6p_chain_set_classify(v6p_chain *c, v6p_classify *classify);
/* The internal prefixes of the temporary-address tracker, replaced as a
 * whole, all or nothing: -1 with err (EINVAL naming the prefix at fault,
 * or too many) leaves the set in force. */
V6P_API int v6p_chain_set_prefixes(v6p_chain *c, const char *const *prefixes, size_t n,
                                   v6p_error *err);
/* A MaxMind-format ASN database (see v6p_taggers_open_asn). */
V6P_API int v6p_chain_open_asn(v6p_chain *c, const char *path, v6p_error *err);

/* ---- counters ---- */

/* Size-tagged (common.h): v6p_chain_get_stats(c, &st, sizeof st). */
typedef struct v6p_chain_stats {
    /* temporary-address tracker */
    uint64_t pe_addresses, pe_prefixes, pe_address_evictions, pe_learned_prefixes;
    /* ladders, scan, classification */
    uint64_t ladders, ladder_evictions, ladder_summaries_dropped;
    uint64_t scan_evictions, pair_evictions;
    uint64_t classify_entries, classify_asns, asn_lookup_errors;
    /* harvest */
    uint64_t harvest_contacts, harvest_probes, harvest_first_probes, harvest_suspects,
        harvest_evictions;
    uint64_t harvest_records_dropped;
    /* duplicates */
    uint64_t duplicates, dedupe_evictions;
    /* events logged in FORWARD while no site is described: their direction
     * is the device's view ("forward") */
    uint64_t direction_forward;
    uint64_t events;       /* events applied */
    uint64_t memory_bytes; /* every table, fixed at creation */
} v6p_chain_stats;

/* Fill the caller's stats of `size` bytes (sizeof its struct). */
V6P_API void v6p_chain_get_stats(const v6p_chain *c, v6p_chain_stats *st, size_t size);

#ifdef __cplusplus
}
#endif
#endif
