/* Longest-prefix match over 128-bit keys (IPv6, and IPv4 given IPv4-mapped).
 *
 * The first 16 bits index a flat array (a 16-bit stride: every real IPv6
 * prefix of interest is at least that long, and in 2000::/3 only 8192 of the
 * slots are ever used); below it each slot holds a path-compressed binary
 * (PATRICIA) trie.  Prefixes of 16 bits or fewer are expanded into the
 * slots they cover.  A lookup is one array read plus a short walk: with
 * 100,000 prefixes a subtree holds a dozen or so, so the walk is a few nodes
 * (v6pi_trie_compact shortens the long walks of dense real tables).
 *
 * Values are 32-bit numbers chosen by the caller (classify.c keeps entry
 * indices).  Inserting a prefix that is already present replaces its value,
 * which is how a later table overrides an earlier one. */
#ifndef V6PI_TRIE_H
#define V6PI_TRIE_H

#include <stddef.h>
#include <stdint.h>

#define V6PI_TRIE_NONE UINT32_MAX

typedef struct v6pi_trie v6pi_trie;

v6pi_trie *v6pi_trie_new(void);
void v6pi_trie_free(v6pi_trie *t);

/* addr: 16 bytes, network order; bits past len are ignored.  len 0..128.
 * Returns 0, or -1 when memory runs out (the trie is unchanged then). */
int v6pi_trie_insert(v6pi_trie *t, const uint8_t addr[16], unsigned len, uint32_t value);

/* The value of the longest prefix covering addr, or V6PI_TRIE_NONE.  *len_out
 * (may be NULL) gets that prefix's length. */
uint32_t v6pi_trie_lookup(const v6pi_trie *t, const uint8_t addr[16], unsigned *len_out);

/* Start loading the first-level slot of addr, ahead of v6pi_trie_lookup
 * (those arrays are 640 kB: a random source misses the cache there). */
void v6pi_trie_prefetch(const v6pi_trie *t, const uint8_t addr[16]);

/* The next step, some time after v6pi_trie_prefetch: start loading the
 * subtree's first node (whose address the slot held). */
void v6pi_trie_prefetch_node(const v6pi_trie *t, const uint8_t addr[16]);

/* The walk of a lookup, one node per call, for a caller that can do other
 * work while each node loads: start with ni = V6PI_TRIE_START (prefetches
 * the subtree's first node), then pass back what it returned (reads that
 * node, prefetches the next); 0 when the walk is over. */
#define V6PI_TRIE_START UINT32_MAX
uint32_t v6pi_trie_prefetch_step(const v6pi_trie *t, const uint8_t addr[16], uint32_t ni);

/* Make lookups faster once a table is loaded: lay the nodes out again, each
 * subtree depth-first from its slot, so that a walk mostly steps to the next
 * node in memory; and give the nodes of large subtrees a jump table that
 * skips the next 8 levels.  Real tables need both: tens of thousands of
 * prefixes from a few organisations make subtrees 20 nodes deep.  Lookups
 * give the same answers; inserts may follow (they drop the jump tables until
 * the next compaction).  -1 (nothing changed) when memory runs out. */
int v6pi_trie_compact(v6pi_trie *t);

size_t v6pi_trie_memory(const v6pi_trie *t);

#endif
