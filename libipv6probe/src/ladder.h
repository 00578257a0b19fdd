/* Hop-limit ladder detector (library-internal); the rule is described at the
 * top of ladder.c. */
#ifndef V6PI_LADDER_H
#define V6PI_LADDER_H

#include <stdint.h>

#include "ipv6probe/taggers.h"

#define V6PI_LADDER_MAX_RUNGS 32   /* repeats kept per ladder, one per rung */
#define V6PI_LADDER_MAX_ROUTERS 16 /* Time Exceeded senders kept per ladder */

typedef enum v6pi_ladder_kind {
    V6PI_LADDER_PROBE = 0,        /* probes arriving with climbing hop limits */
    V6PI_LADDER_TIME_EXCEEDED = 1 /* our probe expiring at successive routers */
} v6pi_ladder_kind;

typedef enum v6pi_ladder_end {
    V6PI_LADDER_END_GAP = 0, /* no probe within the gap */
    V6PI_LADDER_END_WINDOW,  /* the whole ladder ran past the window */
    V6PI_LADDER_END_EVICTED, /* pushed out of a full table */
    V6PI_LADDER_END_FLUSH    /* end of input */
} v6pi_ladder_end;

/* One finished ladder, as queued for the ipv6probe:ladder record. */
typedef struct v6pi_ladder_summary {
    uint64_t id;
    struct in6_addr src, dest; /* source of the first probe; destination */
    int64_t first_us, last_us, max_gap_us;
    uint32_t rungs, probes, missing;
    uint8_t kind, end, protocol_number, protocol_version;
    uint8_t min_hop, max_hop, step;
    uint8_t nrepeats; /* entries of repeats[] used */
    uint8_t repeats[V6PI_LADDER_MAX_RUNGS];
    uint8_t nrouters;
    struct in6_addr routers[V6PI_LADDER_MAX_ROUTERS];
    uint8_t reply_hops[V6PI_LADDER_MAX_ROUTERS];
} v6pi_ladder_summary;

typedef void (*v6pi_ladder_end_fn)(const v6pi_ladder_summary *s, void *arg);

typedef struct v6pi_ladder v6pi_ladder;

/* Returns NULL with *code set (EINVAL, ENOMEM). */
v6pi_ladder *v6pi_ladder_new(const v6p_taggers_config *cfg, v6pi_ladder_end_fn on_end, void *arg,
                             int *code);
void v6pi_ladder_free(v6pi_ladder *l);
void v6pi_ladder_apply(v6pi_ladder *l, v6p_event *ev);

/* The split form of v6pi_ladder_apply, for tagging events in a pipeline:
 * v6pi_ladder_prep reads only the event (what kind of probe, the probe
 * table's hash) and starts loading the table's index line; some events
 * later v6pi_ladder_prefetch loads the slot; v6pi_ladder_apply_prep then does
 * exactly what v6pi_ladder_apply would, looking the key up for real, so the
 * events applied in between may change the table freely. */
typedef struct v6pi_ladder_prep {
    uint64_t h;      /* the probe table's hash of the key, when cls */
    int cls;         /* the probe kind, 0 when the event is no probe */
    uint64_t key[5]; /* the probe table's key (ladder.c's lkey), when cls */
} v6pi_ladder_prep;
void v6pi_ladder_prep_event(const v6pi_ladder *l, const v6p_event *ev, v6pi_ladder_prep *p);
void v6pi_ladder_prefetch(const v6pi_ladder *l, const v6p_event *ev, const v6pi_ladder_prep *p);
/* Later still, once the slot is in: the LRU neighbours it will write. */
void v6pi_ladder_prefetch_links(const v6pi_ladder *l, const v6p_event *ev,
                                const v6pi_ladder_prep *p);
void v6pi_ladder_apply_prep(v6pi_ladder *l, v6p_event *ev, const v6pi_ladder_prep *p);
void v6pi_ladder_flush(v6pi_ladder *l);

uint64_t v6pi_ladder_declared(const v6pi_ladder *l);
uint64_t v6pi_ladder_evictions(const v6pi_ladder *l);
size_t v6pi_ladder_count(const v6pi_ladder *l);
size_t v6pi_ladder_memory(const v6pi_ladder *l);

#endif
