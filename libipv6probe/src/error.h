/* Filling a caller's v6p_error: the one way every constructor and loader of
 * the library reports what went wrong.  And the two halves of the size-tagged
 * struct rule (common.h): reading a caller's config, filling its stats. */
#ifndef V6PI_ERROR_H
#define V6PI_ERROR_H

#include <stddef.h>

#include "ipv6probe/common.h"

/* Set err (when not NULL) to code and a printf-style message; offset 0. */
void v6pi_error_set(v6p_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* v6p_X_config_init(): fill the caller's config of `size` bytes from the
 * defaults `def` (def_size bytes): zero first, so that padding and members
 * this library does not know are zero, then set its size member. */
void v6pi_config_init(void *cfg, size_t size, const void *def, size_t def_size);

/* Copy the caller's config `cfg` (whose first member is its size_t size)
 * over `dst`, which holds this library's defaults in `dst_size` bytes.
 * Members the caller's (older) struct does not have keep their defaults;
 * members a newer caller has beyond dst_size must be zero (unset).  Sets
 * dst's size to dst_size.  cfg NULL leaves the defaults.  Returns 0, or -1
 * with err (EINVAL) naming `what` when the size is not one it can read. */
int v6pi_config_take(void *dst, size_t dst_size, const void *cfg, const char *what, v6p_error *err);

/* Copy stats of src_size bytes into the caller's struct of dst_size bytes:
 * what it has room for, zero in what this library does not know. */
void v6pi_stats_give(void *dst, size_t dst_size, const void *src, size_t src_size);

#endif
