/* Temporary-address (privacy extension, RFC 8981) tracking.
 *
 * A probe aimed at a temporary address of ours means someone learned that
 * address from traffic it sent: such addresses are never published and live
 * hours to days.  Syntax alone cannot tell a temporary IID from a stable
 * opaque one (RFC 7217, Windows random-stable): both are random.  Time can.
 * The tracker watches the addresses of the internal networks (configured, or
 * learned from the sources of outbound traffic) and keeps, in bounded tables:
 *   - per address: first/last seen as a source (activity) and as a
 *     destination (probed), and when a newer random IID replaced it;
 *   - per /64: how often new random IIDs appear (turnover).
 * An address is called temporary when its IID is randomized AND the time
 * evidence supports it: replaced by a new random IID of its /64 within about
 * a preferred lifetime, its activity ended short, or its /64 rotates random
 * IIDs.  Stable kinds (EUI-64, low-byte, embedded IPv4, …) and random IIDs
 * active across more than the valid lifetime are never temporary.
 *
 * All time comes from the events, so a replayed log gives the same tags.
 * Memory is fixed at creation (v6p_pe_stats.memory); a flood of new
 * addresses evicts the least recently seen, and evictions are counted.
 *
 * Threads: a tracker serves one thread at a time (tagging changes it, and
 * even v6p_pe_classify reads tables another call may be changing). */
#ifndef IPV6PROBE_PE_H
#define IPV6PROBE_PE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct v6p_pe_tracker v6p_pe_tracker;

#define V6P_PE_MAX_PREFIXES 64

/* Size-tagged (common.h): fill with v6p_pe_config_init(&cfg, sizeof cfg). */
typedef struct v6p_pe_config {
    size_t size;          /* set by v6p_pe_config_init */
    size_t max_addresses; /* addresses tracked (default 65536) */
    size_t max_prefixes;  /* /64s tracked, learned ones included (default 8192) */
    /* Temporary-address lifetimes of the hosts watched, in seconds.  Defaults
     * are Linux's preferred 1 day and the longest common valid lifetime, 7
     * days (Windows, macOS; Linux uses 2).  An address active across more than
     * valid_lifetime is stable. */
    int64_t preferred_lifetime;
    int64_t valid_lifetime;
    /* Learn internal /64s from the sources of outbound events (default on). */
    bool learn_prefixes;
    /* Hash seed of the tables; all zero = random. */
    uint64_t seed[2];
} v6p_pe_config;

/* Fill a config of `size` bytes (sizeof the caller's struct) with the
 * defaults above. */
V6P_API void v6p_pe_config_init(v6p_pe_config *cfg, size_t size);

/* Make a tracker; cfg NULL = defaults.  All its memory is allocated here.
 * NULL with err on a bad setting (EINVAL) or no memory (ENOMEM). */
V6P_API v6p_pe_tracker *v6p_pe_new(const v6p_pe_config *cfg, v6p_error *err);
V6P_API void v6p_pe_free(v6p_pe_tracker *t);

/* Declare an internal prefix (length 0..128).  Returns 0, or -1 with err:
 * EINVAL for a bad length, ENOSPC past V6P_PE_MAX_PREFIXES. */
V6P_API int v6p_pe_add_prefix(v6p_pe_tracker *t, const struct in6_addr *prefix, unsigned len,
                              v6p_error *err);
/* The same from text, "2001:db8:1::/48" (no length = /64); EINVAL also for
 * text that is not a prefix. */
V6P_API int v6p_pe_add_prefix_str(v6p_pe_tracker *t, const char *text, v6p_error *err);

/* Replace every declared prefix by texts[0..n) (as v6p_pe_add_prefix_str
 * reads them), all or nothing: on an error (-1 with err; *bad, when not
 * NULL, is the index of the text at fault) the set in force is left as it
 * was.  Learned /64s stay. */
V6P_API int v6p_pe_set_prefixes(v6p_pe_tracker *t, const char *const *texts, size_t n, size_t *bad,
                                v6p_error *err);

/* Whether addr is internal: in a declared prefix, or in a learned /64. */
V6P_API bool v6p_pe_is_internal(const v6p_pe_tracker *t, const struct in6_addr *addr);

typedef enum v6p_pe_state {
    V6P_PE_EXTERNAL = 0, /* not one of ours: no verdict */
    V6P_PE_STABLE,       /* a stable IID kind, or random and long-lived */
    V6P_PE_UNKNOWN,      /* random IID, not enough time evidence yet */
    V6P_PE_TEMPORARY     /* random IID with time evidence */
} v6p_pe_state;

/* Evidence bits in v6p_pe_verdict.evidence. */
enum {
    V6P_PE_EV_RANDOM = 1u << 0,   /* the IID is randomized (measured) */
    V6P_PE_EV_REPLACED = 1u << 1, /* a newer random IID of its /64 appeared soon after it */
    V6P_PE_EV_ENDED_SHORT =
        1u << 2, /* went quiet within the preferred lifetime while its /64 stayed active */
    V6P_PE_EV_ROTATING = 1u << 3,       /* its /64 keeps replacing random IIDs */
    V6P_PE_EV_PAST_PREFERRED = 1u << 4, /* active longer than the preferred lifetime */
    V6P_PE_EV_PAST_VALID = 1u << 5,     /* active longer than the valid lifetime: stable */
    V6P_PE_EV_SEEN = 1u << 6            /* the tracker has seen the address before */
};

typedef struct v6p_pe_verdict {
    v6p_pe_state state;
    bool temporary;      /* state == V6P_PE_TEMPORARY */
    double confidence;   /* that the address is temporary, in [0, 1] */
    int64_t age;         /* now - first seen (0 when first seen now) */
    int64_t first_seen;  /* earliest sighting, as source or destination */
    int64_t last_active; /* last sighting as a source (0 = never) */
    uint32_t evidence;   /* V6P_PE_EV_* */
} v6p_pe_verdict;

/* Record addr as active (sending) at time now, as v6p_pe_tag does for the
 * source of a non-inbound event.  Not needed when tagging events.  Returns
 * 0 (-1 only for a NULL argument). */
V6P_API int v6p_pe_observe_active(v6p_pe_tracker *t, const struct in6_addr *addr, int64_t now);

/* The verdict on addr at time now (no state change).  Returns 0 (-1 only
 * for a NULL argument). */
V6P_API int v6p_pe_classify(const v6p_pe_tracker *t, const struct in6_addr *addr, int64_t now,
                            v6p_pe_verdict *out);

/* Tag an event: src/dest block and IID (as v6p_addr_tag, unless that has
 * run on the event already: a caller may analyse events on other threads
 * first, the analysis needing no state), then, with the
 * event's time, record internal sources as active and internal destinations
 * as probed, and set for internal addresses
 *   src_pe, dest_pe, dest_pe_confidence, dest_age,
 * and the pe_target tag when a non-internal source probes a temporary
 * destination.  Events without a time get block and IID only.  Returns 0
 * (-1 only for a NULL argument). */
V6P_API int v6p_pe_tag(v6p_pe_tracker *t, v6p_event *ev);

typedef struct v6p_pe_stats {
    size_t addresses, max_addresses;
    size_t prefixes, max_prefixes;
    uint64_t address_evictions, prefix_evictions;
    uint64_t learned_prefixes; /* /64s learned from outbound traffic */
    size_t memory;             /* bytes held, fixed at creation */
} v6p_pe_stats;

/* Fill the caller's stats of `size` bytes (sizeof its struct): common.h. */
V6P_API void v6p_pe_get_stats(const v6p_pe_tracker *t, v6p_pe_stats *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
