/* Scan behaviour per source (library-internal); rules at the top of scan.c. */
#ifndef V6P_SCAN_H
#define V6P_SCAN_H

#include "ipv6probe/taggers.h"

typedef struct v6p_scan v6p_scan;

/* Returns NULL with *code set (EINVAL, ENOMEM). */
v6p_scan *v6p_scan_new(const v6p_taggers_config *cfg, int *code);
void v6p_scan_free(v6p_scan *s);
/* Adds port_scan, address_sweep, pe_targeted and repeat_visit to
 * src_behavior and tags where they apply. */
void v6p_scan_apply(v6p_scan *s, v6p_event *ev);

/* The split form, for tagging events in a pipeline (as v6p_ladder_prep):
 * v6p_scan_prep_event hashes the event's keys and starts loading both
 * tables' index lines, v6p_scan_prefetch (some events later) their slots,
 * and v6p_scan_apply_prep does what v6p_scan_apply would, with every lookup
 * made then. */
typedef struct v6p_scan_prep {
    uint64_t h, ph; /* source and pair table hashes */
    uint32_t dh;    /* destination fingerprint */
    int probe;      /* 0: the event counts for nothing here */
} v6p_scan_prep;
void v6p_scan_prep_event(const v6p_scan *s, const v6p_event *ev, v6p_scan_prep *p);
void v6p_scan_prefetch(const v6p_scan *s, const v6p_event *ev, const v6p_scan_prep *p);
/* Later still, once the slots are in: the LRU neighbours they will write. */
void v6p_scan_prefetch_links(const v6p_scan *s, const v6p_event *ev, const v6p_scan_prep *p);
void v6p_scan_apply_prep(v6p_scan *s, v6p_event *ev, const v6p_scan_prep *pr);

uint64_t v6p_scan_evictions(const v6p_scan *s);
uint64_t v6p_scan_pair_evictions(const v6p_scan *s);
size_t v6p_scan_count(const v6p_scan *s);
size_t v6p_scan_pair_count(const v6p_scan *s);
size_t v6p_scan_memory(const v6p_scan *s);

#endif
