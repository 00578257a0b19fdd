/* Action and direction from the log prefix, through PCRE2 patterns. */
#ifndef V6PI_PATTERNS_H
#define V6PI_PATTERNS_H

#include <stddef.h>

#include "ipv6probe/parse.h"

typedef struct v6pi_patterns v6pi_patterns;

v6pi_patterns *v6pi_patterns_new(void);
void v6pi_patterns_free(v6pi_patterns *ps);
/* is_default: a built-in pattern, tried after every site pattern. */
int v6pi_patterns_add(v6pi_patterns *ps, v6p_pattern_kind kind, const char *regex, int value,
                      int is_default, v6p_error *err);
void v6pi_patterns_clear(v6pi_patterns *ps);
/* The value of the first pattern of that kind matching text, or -1. */
int v6pi_patterns_match(v6pi_patterns *ps, v6p_pattern_kind kind, const char *text, size_t len);

#endif
