/* The bounded table every tracker keeps its state in.
 *
 * A fixed-capacity hash table with least-recently-seen (LRU) eviction.  All
 * memory is allocated once, at creation: `capacity` slots, each holding a key
 * of `key_size` bytes and a value of `value_size` bytes, plus an index of 16
 * bytes or so per slot.
 * Nothing is allocated afterwards, so a flood of new keys (spoofed sources,
 * random addresses) can only evict old keys, never grow memory.
 *
 * Keys are fixed-size byte strings (up to V6PI_TABLE_KEY_MAX bytes) compared
 * with memcmp: zero any padding in a key struct before using it.  Values are
 * caller-defined plain bytes, zeroed when a key is inserted (or only their
 * first zero_size bytes), 8-byte aligned.
 *
 * Index positions are chosen with SipHash-1-3 keyed by a 128-bit seed, so
 * that a remote party who does not know the seed cannot aim keys at one
 * place.
 *
 * Lookup, insert, touch and remove are O(1) on average.  Iteration walks from
 * the least to the most recently seen key, which is the order expiry wants:
 * stop at the first key that is still fresh.
 *
 * Value pointers stay valid until that key is removed or evicted; an insert of
 * a new key may evict (and so reuse) the least recently seen slot.
 *
 * Not thread-safe: one table per thread, or the caller locks. */
#ifndef V6PI_TABLE_H
#define V6PI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define V6PI_TABLE_KEY_MAX 40
/* Upper bound on capacity: slot indices are 32-bit. */
#define V6PI_TABLE_CAPACITY_MAX (1u << 30)

typedef struct v6pi_table v6pi_table;

typedef enum v6pi_table_status {
    V6PI_TABLE_OK = 0,
    V6PI_TABLE_EINVAL, /* bad configuration: zero capacity, key size 0 or too big */
    V6PI_TABLE_ENOMEM, /* the one allocation failed */
    V6PI_TABLE_ENOENT  /* no such key */
} v6pi_table_status;

/* Why a key left the table, as told to the eviction callback. */
typedef enum v6pi_table_reason {
    V6PI_TABLE_EVICTED = 0, /* pushed out by a new key: the table was full */
    V6PI_TABLE_EXPIRED = 1  /* dropped by v6pi_table_foreach returning V6PI_TABLE_DROP */
} v6pi_table_reason;

/* Called just before a key leaves the table (not for v6pi_table_remove, not at
 * v6pi_table_free).  key and value are valid only during the call; the callback
 * must not call back into the same table. */
typedef void (*v6pi_table_evict_fn)(const void *key, void *value, v6pi_table_reason why, void *arg);

typedef struct v6pi_table_config {
    size_t capacity;   /* maximum number of keys, 1..V6PI_TABLE_CAPACITY_MAX */
    size_t key_size;   /* bytes of every key, 1..V6PI_TABLE_KEY_MAX */
    size_t value_size; /* bytes of every value (0 allowed: a set) */
    /* Hash seed.  All zero: draw one from the system's random source. */
    uint64_t seed[2];
    v6pi_table_evict_fn on_evict; /* optional */
    void *evict_arg;
    /* Bytes at the start of the value zeroed when a key is inserted; 0 (or
     * more than value_size): the whole value.  For values whose tail is an
     * array read only up to a count kept in the head: a new key of a flood
     * then writes one line of its slot, not all of them. */
    size_t zero_size;
} v6pi_table_config;

/* Create a table.  On success *out is the table and V6PI_TABLE_OK returned. */
v6pi_table_status v6pi_table_create(const v6pi_table_config *cfg, v6pi_table **out);
void v6pi_table_free(v6pi_table *t);

/* The value of key, or NULL.  Does not change recency. */
void *v6pi_table_get(const v6pi_table *t, const void *key);

/* The value of key, marked most recently seen; NULL when absent. */
void *v6pi_table_touch(v6pi_table *t, const void *key);

/* Find key or insert it, and mark it most recently seen.  A new key gets a
 * zeroed value; when the table is full the least recently seen key is evicted
 * first (callback, then counted).  *created (may be NULL) tells which.  Never
 * fails once the table exists. */
void *v6pi_table_put(v6pi_table *t, const void *key, bool *created);

/* The split form, for a tracker that looks in several tables per event:
 * hash each key once, v6pi_table_prefetch every table's index line, then
 * v6pi_table_prefetch_entry (which reads that line and prefetches the slot
 * the key has, or will take), and only then do the work with the _h calls.
 * The cache misses of all the tables then overlap instead of queueing.  h
 * must be v6pi_table_hash of the same key in the same table. */
uint64_t v6pi_table_hash(const v6pi_table *t, const void *key);
void v6pi_table_prefetch(const v6pi_table *t, uint64_t h);
void v6pi_table_prefetch_entry(const v6pi_table *t, const void *key, uint64_t h);
/* A third step, once the entry's line is in: prefetch what marking the key
 * newest (or evicting for it) will write, the LRU neighbours' headers. */
void v6pi_table_prefetch_links(const v6pi_table *t, const void *key, uint64_t h);
void *v6pi_table_get_h(const v6pi_table *t, const void *key, uint64_t h);
void *v6pi_table_put_h(v6pi_table *t, const void *key, uint64_t h, bool *created);
/* Mark the key whose value this is (from get/put) most recently seen. */
void v6pi_table_promote(v6pi_table *t, void *value);

/* Remove key without calling the eviction callback. */
v6pi_table_status v6pi_table_remove(v6pi_table *t, const void *key);

/* Walk keys from least to most recently seen.  The callback returns one of
 * these; V6PI_TABLE_DROP removes the key (eviction callback with
 * V6PI_TABLE_EXPIRED) and goes on.  Recency is not changed by the walk. */
enum { V6PI_TABLE_NEXT = 0, V6PI_TABLE_STOP = 1, V6PI_TABLE_DROP = 2 };
typedef int (*v6pi_table_visit_fn)(const void *key, void *value, void *arg);
void v6pi_table_foreach(v6pi_table *t, v6pi_table_visit_fn fn, void *arg);

/* The least recently seen key and its value (NULL, NULL when empty). */
const void *v6pi_table_oldest(const v6pi_table *t, void **value);

size_t v6pi_table_count(const v6pi_table *t);
size_t v6pi_table_capacity(const v6pi_table *t);
/* Keys pushed out because the table was full, since creation. */
uint64_t v6pi_table_evictions(const v6pi_table *t);
/* Keys dropped by foreach, since creation. */
uint64_t v6pi_table_expirations(const v6pi_table *t);
/* Bytes allocated at creation: the table never holds more. */
size_t v6pi_table_memory(const v6pi_table *t);

/* SipHash-1-3 of data under a 128-bit key; exposed for trackers that need a
 * keyed hash of their own (sampling, sketches). */
uint64_t v6pi_siphash13(const uint64_t key[2], const void *data, size_t len);
/* The same over exactly 16 bytes (an address), unrolled. */
uint64_t v6pi_siphash13_16(const uint64_t key[2], const void *data);

#endif
