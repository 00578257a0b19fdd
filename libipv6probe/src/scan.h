/* Scan behaviour per source (library-internal); rules at the top of scan.c. */
#ifndef V6PI_SCAN_H
#define V6PI_SCAN_H

#include "ipv6probe/taggers.h"

typedef struct v6pi_scan v6pi_scan;

/* Returns NULL with *code set (EINVAL, ENOMEM). */
v6pi_scan *v6pi_scan_new(const v6p_taggers_config *cfg, int *code);
void v6pi_scan_free(v6pi_scan *s);
/* Adds port_scan, address_sweep, pe_targeted and repeat_visit to
 * src_behavior and tags where they apply. */
void v6pi_scan_apply(v6pi_scan *s, v6p_event *ev);

/* The split form, for tagging events in a pipeline (as v6pi_ladder_prep):
 * v6pi_scan_prep_event hashes the event's keys and starts loading both
 * tables' index lines, v6pi_scan_prefetch (some events later) their slots,
 * and v6pi_scan_apply_prep does what v6pi_scan_apply would, with every lookup
 * made then. */
typedef struct v6pi_scan_prep {
    uint64_t h, ph; /* source and pair table hashes */
    uint32_t dh;    /* destination fingerprint */
    int probe;      /* 0: the event counts for nothing here */
    /* The two keys, built once from the event (scan.c's skey and pkey). */
    uint64_t key[3], pk[4];
} v6pi_scan_prep;
void v6pi_scan_prep_event(const v6pi_scan *s, const v6p_event *ev, v6pi_scan_prep *p);
void v6pi_scan_prefetch(const v6pi_scan *s, const v6p_event *ev, const v6pi_scan_prep *p);
/* Later still, once the slots are in: the LRU neighbours they will write. */
void v6pi_scan_prefetch_links(const v6pi_scan *s, const v6p_event *ev, const v6pi_scan_prep *p);
void v6pi_scan_apply_prep(v6pi_scan *s, v6p_event *ev, const v6pi_scan_prep *pr);

uint64_t v6pi_scan_evictions(const v6pi_scan *s);
uint64_t v6pi_scan_pair_evictions(const v6pi_scan *s);
size_t v6pi_scan_count(const v6pi_scan *s);
size_t v6pi_scan_pair_count(const v6pi_scan *s);
size_t v6pi_scan_memory(const v6pi_scan *s);

#endif
