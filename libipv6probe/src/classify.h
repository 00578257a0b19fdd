/* Classification sets: library-internal calls (the public ones are in
 * ipv6probe/taggers.h). */
#ifndef V6PI_CLASSIFY_H
#define V6PI_CLASSIFY_H

#include "ipv6probe/taggers.h"

/* A new set holding every entry of c (NULL: an empty set), in order. */
v6p_classify *v6pi_classify_clone(const v6p_classify *c);

/* Parse "2001:db8::/32" or "192.0.2.0/24" (no NUL needed) into a 16-byte
 * key (IPv4 mapped) and its length in the 128-bit space.  Returns 0, or -1
 * with a reason in *why. */
int v6pi_prefix_parse(const char *s, size_t n, uint8_t addr[16], unsigned *len, const char **why);

/* v6p_classify_add_yaml, with the reader chosen: AUTO scans the plain block
 * subset (yamlblock.h) and falls back to libyaml for anything else or any
 * error; LIBYAML never scans; PLAIN never falls back (tests compare the
 * two).  *scanned_plain (may be NULL) says whether the scanner's result was
 * used. */
enum { V6PI_YAML_AUTO, V6PI_YAML_LIBYAML, V6PI_YAML_PLAIN };
int v6pi_classify_add_yaml_how(v6p_classify *c, const char *path, int how, int *scanned_plain,
                               v6p_error *err);

/* 1 when x and y hold the same entries and AS entries in the same order,
 * field by field (the tests compare the two YAML readers with it). */
int v6pi_classify_same(const v6p_classify *x, const v6p_classify *y);

/* Start loading what a lookup of a reads first (see v6pi_trie_prefetch). */
void v6pi_classify_prefetch(const v6p_classify *c, const struct in6_addr *a);
/* The next step of that, some time later: the first node below the slot. */
void v6pi_classify_prefetch_node(const v6p_classify *c, const struct in6_addr *a);
/* The walk below, one node per call (see v6pi_trie_prefetch_step): first
 * ni = V6PI_CLASSIFY_START, then what the call before returned. */
#define V6PI_CLASSIFY_START UINT32_MAX
uint32_t v6pi_classify_prefetch_step(const v6p_classify *c, const struct in6_addr *a, uint32_t ni);

#endif
