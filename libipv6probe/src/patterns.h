/* Action and direction from the log prefix, through PCRE2 patterns. */
#ifndef V6P_PATTERNS_H
#define V6P_PATTERNS_H

#include <stddef.h>

#include "ipv6probe/parse.h"

typedef struct v6p_patterns v6p_patterns;

v6p_patterns *v6p_patterns_new(void);
void v6p_patterns_free(v6p_patterns *ps);
/* is_default: a built-in pattern, tried after every site pattern. */
int v6p_patterns_add(v6p_patterns *ps, v6p_pattern_kind kind, const char *regex, int value,
                     int is_default, v6p_error *err);
void v6p_patterns_clear(v6p_patterns *ps);
/* The value of the first pattern of that kind matching text, or -1. */
int v6p_patterns_match(v6p_patterns *ps, v6p_pattern_kind kind, const char *text, size_t len);

#endif
