/* Harvester correlation: which remote host learned our temporary addresses?
 *
 * A temporary (privacy-extension) address is never published.  When one is
 * probed, whoever probes it learned it from traffic the address itself sent.
 * The correlator remembers, in bounded tables, which remote /64s each internal
 * address contacted and when; when an internal address that the PE tracker
 * calls temporary is probed for the first time, every remote it contacted
 * *before* that probe becomes a candidate.  Candidates are scored so that
 * sites that every address contacts (update servers, big CDNs) do not drown
 * the answer: a remote that many never-probed addresses also contacted is
 * explained by popularity, not by harvesting.
 *
 *     support   k = probed temporary addresses that contacted the remote before
 *                   their first probe
 *     noise     m = internal addresses that contacted the remote and were
 *                   never probed
 *     score       = k / (k + m + 1) * log2(1 + k)
 *
 * The score grows with independent evidence (each probed address is one
 * witness) and falls with the share of contacts that led to nothing.  One
 * suspect record (sourcetype ipv6probe:suspect) is emitted each time a
 * remote's support grows.
 *
 * Input: events already tagged by the PE tracker (v6p_pe_tag), which marks
 * internal addresses with src_pe / dest_pe.  An event whose source is
 * internal and destination is not is a contact; one whose destination is an
 * internal temporary address (dest_pe true) and source is not is a probe.
 * Time comes only from the events.  Memory is fixed at creation.
 *
 * Threads: a v6p_harvest serves one thread at a time. */
#ifndef IPV6PROBE_HARVEST_H
#define IPV6PROBE_HARVEST_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size-tagged (common.h): fill with v6p_harvest_config_init(&c, sizeof c). */
typedef struct v6p_harvest_config {
    size_t size;               /* set by v6p_harvest_config_init */
    uint32_t contact_capacity; /* (internal address, remote /64) pairs kept */
    uint32_t address_capacity; /* internal addresses kept */
    uint32_t remote_capacity;  /* remote /64s kept */
    /* A contact this long before the first probe no longer counts: temporary
     * addresses live at most days, harvesters use them within weeks. */
    uint32_t lookback_sec;
    uint32_t summary_queue; /* suspect records held until drained */
    uint64_t seed[2];       /* table hash seed; all zero = random */
} v6p_harvest_config;

V6P_API void v6p_harvest_config_init(v6p_harvest_config *cfg, size_t size);

typedef struct v6p_harvest v6p_harvest;

V6P_API v6p_harvest *v6p_harvest_new(const v6p_harvest_config *cfg, v6p_error *err);
V6P_API void v6p_harvest_free(v6p_harvest *h);

/* Feed one tagged event.  Returns 1 when it was a contact or a probe, else 0. */
V6P_API int v6p_harvest_observe(v6p_harvest *h, const v6p_event *ev);

/* Hand pending suspect records to emit (sourcetype "ipv6probe:suspect"),
 * oldest first.  Returns how many. */
V6P_API size_t v6p_harvest_drain(v6p_harvest *h, v6p_emit_fn emit, void *ud);

typedef struct v6p_harvest_stats {
    uint64_t contacts, probes, first_probes, suspects_emitted, records_dropped;
    uint64_t contact_evictions, address_evictions, remote_evictions;
    size_t memory; /* bytes held, fixed at creation */
} v6p_harvest_stats;

/* Fill the caller's stats of `size` bytes (sizeof its struct): common.h. */
V6P_API void v6p_harvest_get_stats(const v6p_harvest *h, v6p_harvest_stats *st, size_t size);

#ifdef __cplusplus
}
#endif
#endif
