/* Behaviour taggers: hop-limit ladders, scan behaviour and source
 * classification.
 *
 * A tagger set holds bounded state (fixed-capacity tables with LRU eviction)
 * and takes time only from the events, so a replayed file is tagged exactly as
 * the live stream was.
 *
 * Threads: a tagger set serves one thread at a time; so does a
 * v6p_classify while entries are added to it.  A v6p_classify that is no
 * longer changed may be looked up (v6p_classify_lookup*, _count) from
 * several threads at once.
 *
 *     v6p_taggers *t = v6p_taggers_new(NULL, &err);        defaults
 *     v6p_taggers_load_classify_yaml(t, "classification.yaml", &err);
 *     for each parsed event ev:
 *         v6p_taggers_apply(t, &ev);                        tags ev in place
 *         ... write ev ...
 *         v6p_taggers_drain(t, emit, ud);                   ladder summaries
 *     v6p_taggers_flush(t);  v6p_taggers_drain(t, emit, ud);   at end of input
 *     v6p_taggers_free(t);
 *
 * The rules are described in docs/taggers.md and in the header comments of
 * ladder.c, scan.c and classify.c. */
#ifndef IPV6PROBE_TAGGERS_H
#define IPV6PROBE_TAGGERS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every threshold of the three taggers.  Fill with v6p_taggers_config_init()
 * and change what you need; the defaults and their reasons are in
 * v6p_taggers_config_init (taggers.c). */
/* Size-tagged (common.h): fill with v6p_taggers_config_init(&c, sizeof c). */
typedef struct v6p_taggers_config {
    size_t size; /* set by v6p_taggers_config_init */
    /* Hop-limit ladders, probe (target) side: keyed by (source /64, dest,
     * probe kind). */
    uint32_t ladder_capacity;      /* ladders tracked at once */
    uint32_t ladder_min_rungs;     /* rungs seen before a ladder is declared */
    uint32_t ladder_step;          /* hop-limit increase from one rung to the next */
    uint32_t ladder_max_repeat;    /* probes allowed on one rung */
    uint32_t ladder_max_skip;      /* lost rungs tolerated in one step */
    uint32_t ladder_max_start_hop; /* highest hop limit a ladder may start at */
    uint32_t ladder_gap_sec;       /* longest quiet time between two probes */
    uint32_t ladder_window_sec;    /* longest whole ladder */
    int ladder_tcp_udp;            /* also TCP SYN and UDP probes (not only echo) */
    /* Sender side: Time Exceeded from successive routers for one of our probes. */
    uint32_t ladder_sender_capacity;
    uint32_t ladder_summary_queue; /* summaries held until drained */

    /* Scan behaviour. */
    uint32_t scan_capacity;     /* sources tracked per aggregation level */
    uint32_t pair_capacity;     /* (source /64, destination) pairs tracked */
    uint8_t scan_prefix_len[3]; /* aggregation levels, e.g. 128, 64, 48 */
    uint32_t sweep_threshold;   /* distinct destinations for address_sweep */
    uint32_t sweep_window_sec;
    uint32_t port_threshold; /* distinct ports on one destination for port_scan */
    uint32_t port_window_sec;
    uint32_t pe_window_sec;  /* how long a source stays pe_targeted */
    uint32_t repeat_gap_sec; /* quiet time after which a return is a repeat_visit */
    uint32_t visit_gap_sec;  /* quiet time that ends one visit */

    /* Hash seed for every table; all zero = random.  Tags never depend on it. */
    uint64_t seed[2];
} v6p_taggers_config;

V6P_API void v6p_taggers_config_init(v6p_taggers_config *cfg, size_t size);

typedef struct v6p_taggers v6p_taggers;

/* Create a tagger set; cfg NULL = defaults.  All state memory is allocated
 * here.  NULL on error (err->code EINVAL for a bad threshold, ENOMEM). */
V6P_API v6p_taggers *v6p_taggers_new(const v6p_taggers_config *cfg, v6p_error *err);
V6P_API void v6p_taggers_free(v6p_taggers *t);

/* Tag one event: ladder, scan behaviour, then classification.  Sets
 * ladder_*, src_behavior, tags, src_org, src_category, src_asn, src_as_org
 * where they apply.  The strings it sets stay valid until the next call of
 * apply, flush, v6p_taggers_load_classify_yaml or v6p_taggers_set_classify.
 * Returns 0. */
V6P_API int v6p_taggers_apply(v6p_taggers *t, v6p_event *ev);

/* Tag evs[0], evs[1], ... evs[n-1], in that order: the same tags, the same
 * summaries in the same order as v6p_taggers_apply on each in turn, but
 * faster, because the table lines a later event needs are loaded while an
 * earlier one is worked on (a batch of 32 or more gets most of the gain).
 * The events must be distinct.  The strings set stay valid as with apply.
 * Returns n. */
V6P_API size_t v6p_taggers_apply_batch(v6p_taggers *t, v6p_event *const *evs, size_t n);

/* End every open ladder (end of input) so that drain reports them. */
V6P_API void v6p_taggers_flush(v6p_taggers *t);

/* Hand every pending summary record to emit, oldest first, and forget them.
 * `sourcetype` is "ipv6probe:ladder"; `json` is one JSON object (len bytes,
 * NUL-terminated), valid during the call; time_sec is the record's start.
 * Returns the number of records emitted. */
V6P_API size_t v6p_taggers_drain(v6p_taggers *t, v6p_emit_fn emit, void *ud);

/* Counters, for the forwarder's stats and for tests. */
typedef struct v6p_taggers_stats {
    uint64_t ladders;           /* ladders declared */
    uint64_t summaries_dropped; /* summaries lost because the queue was full */
    uint64_t ladder_evictions;  /* open ladders pushed out by newer keys */
    uint64_t scan_evictions;    /* sources pushed out, all levels */
    uint64_t pair_evictions;
    size_t ladder_count, scan_count, pair_count; /* keys held now */
    size_t memory; /* bytes of all tracker tables (fixed at creation) */
    size_t classify_entries;
    size_t classify_asns;       /* organisations by AS */
    uint64_t asn_lookup_errors; /* ASN database lookups that failed (damaged file) */
} v6p_taggers_stats;
/* Fill the caller's stats of `size` bytes (sizeof its struct): common.h. */
V6P_API void v6p_taggers_get_stats(const v6p_taggers *t, v6p_taggers_stats *st, size_t size);

/* ---- classification tables ---- */

/* Load a YAML classification table and add it on top of those already
 * loaded (an entry for the same prefix in a later table wins).  The new set
 * is built aside and swapped in only when the file is good, so a bad file
 * leaves the old set in force.  On error returns -1 and err->message is
 * "file:line:column: message" (err->code EINVAL, or the errno of the
 * open). */
V6P_API int v6p_taggers_load_classify_yaml(v6p_taggers *t, const char *path, v6p_error *err);

/* A classification set built on its own, for reloading: make one, load the
 * tables into it in order, then swap it in. */
typedef struct v6p_classify v6p_classify;
/* NULL with err (ENOMEM) when memory runs out. */
V6P_API v6p_classify *v6p_classify_new(v6p_error *err);
V6P_API void v6p_classify_free(v6p_classify *c);
V6P_API int v6p_classify_add_yaml(v6p_classify *c, const char *path, v6p_error *err);
/* Add one entry (text prefix such as "2001:db8::/32" or "192.0.2.0/24").
 * Strings are copied.  Returns 0, or -1 (EINVAL, ENOMEM). */
V6P_API int v6p_classify_add(v6p_classify *c, const char *prefix, const char *org,
                             const char *category, const char *source, v6p_error *err);
V6P_API size_t v6p_classify_count(const v6p_classify *c);

typedef struct v6p_classify_entry {
    const char *org, *category, *source, *note; /* note may be NULL */
    uint8_t prefix_len;                         /* IPv4 entries: 96 + the IPv4 length */
} v6p_classify_entry;
/* Longest-prefix match; IPv4 addresses are given IPv4-mapped.  NULL when no
 * entry covers the address. */
V6P_API const v6p_classify_entry *v6p_classify_lookup(const v6p_classify *c,
                                                      const struct in6_addr *a);

/* Organisations by origin AS, for sources no prefix entry covers (loaded
 * from the `asns:` list of a table, or added one by one). */
typedef struct v6p_classify_asn_entry {
    uint32_t asn;
    const char *org, *category, *source, *note; /* note may be NULL */
} v6p_classify_asn_entry;
/* Add or replace the entry for asn (strings are copied).  Returns 0, or -1
 * (EINVAL, ENOMEM). */
V6P_API int v6p_classify_add_asn(v6p_classify *c, uint32_t asn, const char *org,
                                 const char *category, const char *source, v6p_error *err);
V6P_API const v6p_classify_asn_entry *v6p_classify_lookup_asn(const v6p_classify *c, uint32_t asn);
V6P_API size_t v6p_classify_asn_count(const v6p_classify *c);

/* Replace the tagger set's classification with c (ownership passes to t;
 * the old set is freed).  c may be NULL to drop classification. */
V6P_API void v6p_taggers_set_classify(v6p_taggers *t, v6p_classify *c);

/* ---- origin AS (optional) ---- */

/* Open a MaxMind-format ASN database (GeoLite2-ASN and compatible) with
 * libmaxminddb, to fill src_asn and src_as_org, and src_org / src_category
 * from the classification's AS table when no prefix entry covers the source.  Returns -1 with
 * err->code ENOTSUP when the library was built without libmaxminddb. */
V6P_API int v6p_taggers_open_asn(v6p_taggers *t, const char *path, v6p_error *err);

#ifdef __cplusplus
}
#endif
#endif
