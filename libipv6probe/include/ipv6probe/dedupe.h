/* The same packet logged more than once.
 *
 * UFW logs `[UFW AUDIT]` and `[UFW BLOCK]` for one packet; sites run
 * ip6tables and nftables rules side by side, or LOG in two chains; pf logs a
 * packet once per matching `log` rule.  Every line stays an event, but the
 * repeats must not count twice: a ladder of two probes a rung logged by two
 * rules would show four a rung, and scan counts would double.
 *
 * v6p_dedupe_mark() gives every event a `packet_id`; a line that repeats a
 * packet seen within the window (same addresses, protocol, hop limit, flow
 * label, length, ports, and every identifier the line carries: ICMP id and
 * sequence, TCP sequence, IP id, fragment id and offset) gets the first
 * line's packet_id and `duplicate_of` set to it.  The trackers, ladder rungs
 * and the harvest correlator skip such events (v6p_event_is_duplicate).
 *
 * Two probes differing only in their ICMP sequence number are two packets;
 * so is the same packet seen again after the window (a retransmission).
 * A line that carries no identifier (an IPv6 UDP packet, say) and repeats
 * the first line's rule is another packet too: one rule logs a packet once.
 * State is one bounded table (least recently seen evicted), keyed by a
 * keyed hash, so memory is fixed at creation.
 *
 * Threads: a v6p_dedupe serves one thread at a time. */
#ifndef IPV6PROBE_DEDUPE_H
#define IPV6PROBE_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Size-tagged (common.h): fill with v6p_dedupe_config_init(&c, sizeof c). */
typedef struct v6p_dedupe_config {
    size_t size;        /* set by v6p_dedupe_config_init */
    size_t capacity;    /* packets remembered at once (default 4096) */
    uint32_t window_ms; /* a repeat further apart than this is a new packet
                           (default 500; stamps of whole seconds allow 1 s) */
    uint64_t seed[2];   /* hash seed; all zero = random */
} v6p_dedupe_config;

V6P_API void v6p_dedupe_config_init(v6p_dedupe_config *cfg, size_t size);

typedef struct v6p_dedupe v6p_dedupe;

/* cfg NULL = defaults.  NULL with err on a bad setting or no memory. */
V6P_API v6p_dedupe *v6p_dedupe_new(const v6p_dedupe_config *cfg, v6p_error *err);
V6P_API void v6p_dedupe_free(v6p_dedupe *d);

/* Set ev->packet_id, and ev->duplicate_of when the event repeats a packet
 * already seen; returns true for a repeat.  Events without both addresses
 * are left alone (false). */
V6P_API bool v6p_dedupe_mark(v6p_dedupe *d, v6p_event *ev);

typedef struct v6p_dedupe_stats {
    uint64_t packets;    /* first sightings */
    uint64_t duplicates; /* repeats marked */
    uint64_t evictions;  /* packets forgotten because the table was full */
    size_t memory;       /* bytes, fixed at creation */
} v6p_dedupe_stats;
/* Fill the caller's stats of `size` bytes (sizeof its struct): common.h. */
V6P_API void v6p_dedupe_get_stats(const v6p_dedupe *d, v6p_dedupe_stats *st, size_t size);

#ifdef __cplusplus
}
#endif
#endif
