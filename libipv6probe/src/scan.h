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

uint64_t v6p_scan_evictions(const v6p_scan *s);
uint64_t v6p_scan_pair_evictions(const v6p_scan *s);
size_t v6p_scan_count(const v6p_scan *s);
size_t v6p_scan_pair_count(const v6p_scan *s);
size_t v6p_scan_memory(const v6p_scan *s);

#endif
