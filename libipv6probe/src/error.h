/* Filling a caller's v6p_error: the one way every constructor and loader of
 * the library reports what went wrong. */
#ifndef V6PI_ERROR_H
#define V6PI_ERROR_H

#include "ipv6probe/parse.h"

/* Set err (when not NULL) to code and a printf-style message; offset 0. */
void v6pi_error_set(v6p_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
