/* Fixed-capacity hash table with LRU eviction: see table.h.
 *
 * Layout: one block of memory holds an index and the slots.
 *
 * The index is open addressing over buckets of one cache line: eight
 * entries, their 32-bit tags (the low half of the key's hash, which also
 * names the home bucket) then their slot numbers.  A key lives in its home
 * bucket unless that bucket was full when it came, then in the next one
 * with room (linear probing by whole buckets).  A lookup reads the home
 * bucket's line, compares the eight tags at once and spares the memcmp of
 * every other key; a bucket with an empty entry ends the search, so a key
 * that is not there costs that one line.  There are at least twice as many
 * entries as slots, so a full table's index is at most half full, a bucket
 * holds four keys on average and overflows rarely (about 2% of buckets at
 * half load).  Removal moves a key of a later bucket back into the hole
 * when that key had passed the hole's bucket (no tombstones), so a table
 * that has churned through millions of keys probes as fast as a fresh one.
 *
 * A slot is a 16-byte header (LRU links, the hash), the key, then the value
 * (8-byte aligned): the line the key is compared in also holds the links
 * and the start of the value.  Free slots are chained through the LRU link.
 * Indices instead of pointers keep the header small and the block
 * relocatable. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NIL UINT32_MAX

typedef struct slot_hdr {
    uint32_t prev; /* LRU list: towards the oldest */
    uint32_t next; /* LRU list: towards the newest; the free list */
    uint32_t hash; /* low half of the key's hash, as in the index */
    uint32_t pad;
} slot_hdr;

/* One index bucket, one cache line: tags apart from slot numbers so that
 * the eight tags compare in one vector operation. */
#define BUCKET 8
typedef struct bucket {
    uint32_t tag[BUCKET];  /* low half of the key's hash */
    uint32_t slot[BUCKET]; /* NIL: empty */
} bucket;
_Static_assert(sizeof(bucket) == 64, "a bucket is one cache line");

struct v6pi_table {
    /* What every lookup reads, first. */
    bucket *index;
    unsigned char *slots;
    uint32_t bucket_mask; /* buckets - 1 */
    uint32_t key_size;
    size_t slot_size, value_off, value_size;
    size_t zero_size; /* bytes of a new key's value zeroed */
    uint64_t seed[2];
    uint32_t oldest, newest; /* LRU ends */
    uint32_t free_list;      /* slots given back by remove/expire */
    uint32_t unused;         /* slots [unused, capacity) never handed out */
    size_t capacity;
    size_t count;
    uint64_t evictions, expirations;
    size_t memory;
    v6pi_table_evict_fn on_evict;
    void *evict_arg;
};

/* ---- SipHash-1-3 (Aumasson & Bernstein), little-endian reads ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static inline uint64_t load_le64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Inlined so that a constant len (the key sizes in v6pi_table_hash) unrolls. */
static inline __attribute__((always_inline)) uint64_t siphash13(const uint64_t key[2],
                                                                const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t v0 = 0x736f6d6570736575ULL ^ key[0];
    uint64_t v1 = 0x646f72616e646f6dULL ^ key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ key[0];
    uint64_t v3 = 0x7465646279746573ULL ^ key[1];
    size_t blocks = len / 8;

    for (size_t i = 0; i < blocks; i++, p += 8) {
        uint64_t m = load_le64(p);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t v6pi_siphash13(const uint64_t key[2], const void *data, size_t len)
{
    return siphash13(key, data, len);
}

uint64_t v6pi_siphash13_16(const uint64_t key[2], const void *data)
{
    return siphash13(key, data, 16);
}

/* ---- slots ---- */

static inline slot_hdr *hdr(const v6pi_table *t, uint32_t i)
{
    return (slot_hdr *)(t->slots + (size_t)i * t->slot_size);
}

static inline unsigned char *key_of(const v6pi_table *t, uint32_t i)
{
    return t->slots + (size_t)i * t->slot_size + sizeof(slot_hdr);
}

static inline void *value_of(const v6pi_table *t, uint32_t i)
{
    return t->slots + (size_t)i * t->slot_size + t->value_off;
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

v6pi_table_status v6pi_table_create(const v6pi_table_config *cfg, v6pi_table **out)
{
    *out = NULL;
    if (!cfg || cfg->capacity == 0 || cfg->capacity > V6PI_TABLE_CAPACITY_MAX ||
        cfg->key_size == 0 || cfg->key_size > V6PI_TABLE_KEY_MAX || cfg->value_size > (1u << 20))
        return V6PI_TABLE_EINVAL;

    /* At least two index entries per slot: a full table is half full. */
    size_t nindex = BUCKET;
    while (nindex < 2 * cfg->capacity)
        nindex <<= 1;
    size_t value_off = round8(sizeof(slot_hdr) + cfg->key_size);
    size_t slot_size = round8(value_off + cfg->value_size);
    size_t head = (sizeof(v6pi_table) + 63) & ~(size_t)63;
    size_t index_bytes = nindex / BUCKET * sizeof(bucket);
    size_t total = head + index_bytes + cfg->capacity * slot_size;

    /* One allocation, line-aligned so that an index line is one cache line:
     * the cap is exactly what is asked for, and freeing cannot half-fail. */
    unsigned char *block = aligned_alloc(64, (total + 63) & ~(size_t)63);
    if (!block)
        return V6PI_TABLE_ENOMEM;
    v6pi_table *t = (v6pi_table *)block;
    /* Every page written now: the table is at its cap from the start, and
     * no event pays a page fault for a slot it is the first to use. */
    memset(block, 0, total);
    t->capacity = cfg->capacity;
    t->key_size = (uint32_t)cfg->key_size;
    t->value_size = cfg->value_size;
    t->zero_size =
        cfg->zero_size && cfg->zero_size < cfg->value_size ? cfg->zero_size : cfg->value_size;
    t->slot_size = slot_size;
    t->value_off = value_off;
    t->bucket_mask = (uint32_t)(nindex / BUCKET - 1);
    t->index = (bucket *)(block + head);
    t->slots = block + head + index_bytes;
    memset(t->index, 0xff, index_bytes); /* every slot number NIL */
    t->oldest = t->newest = NIL;
    t->free_list = NIL;
    t->memory = total;
    t->on_evict = cfg->on_evict;
    t->evict_arg = cfg->evict_arg;
    t->seed[0] = cfg->seed[0];
    t->seed[1] = cfg->seed[1];
    if (t->seed[0] == 0 && t->seed[1] == 0) {
        /* A short read leaves part of the seed as the block's address bits:
         * weaker, but the table still works. */
        if (getrandom(t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
            t->seed[0] ^= (uint64_t)(uintptr_t)block * 0x9e3779b97f4a7c15ULL;
    }
    *out = t;
    return V6PI_TABLE_OK;
}

void v6pi_table_free(v6pi_table *t)
{
    free(t);
}

uint64_t v6pi_table_hash(const v6pi_table *t, const void *key)
{
    /* The trackers' key sizes, unrolled; SipHash all the same. */
    switch (t->key_size) {
    case 16:
        return siphash13(t->seed, key, 16);
    case 24:
        return siphash13(t->seed, key, 24);
    case 32:
        return siphash13(t->seed, key, 32);
    case 40:
        return siphash13(t->seed, key, 40);
    default:
        return siphash13(t->seed, key, t->key_size);
    }
}

void v6pi_table_prefetch(const v6pi_table *t, uint64_t h)
{
    __builtin_prefetch(&t->index[(uint32_t)h & t->bucket_mask]);
}

/* The trackers' key sizes get a memcmp of constant size, which compiles to
 * a few loads instead of a call. */
static inline int key_eq(const v6pi_table *t, const void *a, const void *b)
{
    switch (t->key_size) {
    case 16:
        return memcmp(a, b, 16) == 0;
    case 24:
        return memcmp(a, b, 24) == 0;
    case 32:
        return memcmp(a, b, 32) == 0;
    case 40:
        return memcmp(a, b, 40) == 0;
    default:
        return memcmp(a, b, t->key_size) == 0;
    }
}

/* Bit j set when entry j of bucket b has tag x / is empty: one compare of
 * the eight words and a byte mask with SSE2, plain loops elsewhere. */
#ifdef __SSE2__
static inline unsigned mask8(const uint32_t w[BUCKET], uint32_t x)
{
    __m128i k = _mm_set1_epi32((int)x);
    __m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)w), k);
    __m128i hi = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(w + 4)), k);
    __m128i w16 = _mm_packs_epi32(lo, hi); /* 0 or -1 stay so */
    return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(w16, _mm_setzero_si128()));
}
#else
static inline unsigned mask8(const uint32_t w[BUCKET], uint32_t x)
{
    unsigned m = 0;
    for (unsigned j = 0; j < BUCKET; j++)
        m |= (unsigned)(w[j] == x) << j;
    return m;
}
#endif

static inline unsigned tag_mask(const bucket *b, uint32_t x)
{
    return mask8(b->tag, x);
}

static inline unsigned empty_mask(const bucket *b)
{
    return mask8(b->slot, NIL);
}

/* An index position: bucket * BUCKET + entry. */
static inline uint32_t *pos_slot(const v6pi_table *t, uint32_t pos)
{
    return &t->index[pos / BUCKET].slot[pos % BUCKET];
}

/* The index position holding key, or the empty position where it would go. */
static inline uint32_t find_pos(const v6pi_table *t, const void *key, uint32_t tag)
{
    uint32_t mask = t->bucket_mask;
    for (uint32_t bi = tag & mask;; bi = (bi + 1) & mask) {
        const bucket *b = &t->index[bi];
        unsigned empty = empty_mask(b);
        /* An empty entry has no tag worth comparing. */
        for (unsigned m = tag_mask(b, tag) & ~empty; m; m &= m - 1) {
            unsigned j = (unsigned)__builtin_ctz(m);
            if (key_eq(t, key_of(t, b->slot[j]), key))
                return bi * BUCKET + j;
        }
        /* A bucket with room ends the run: no key went past it. */
        if (empty)
            return bi * BUCKET + (unsigned)__builtin_ctz(empty);
    }
}

static inline uint32_t find(const v6pi_table *t, const void *key, uint64_t h)
{
    return *pos_slot(t, find_pos(t, key, (uint32_t)h));
}

void v6pi_table_prefetch_entry(const v6pi_table *t, const void *key, uint64_t h)
{
    uint32_t i = find(t, key, h);
    if (i == NIL) {
        /* A new key; when full it takes the oldest key's slot. */
        if (t->free_list != NIL || t->unused < t->capacity || t->oldest == NIL)
            return;
        i = t->oldest;
    }
    const char *p = (const char *)hdr(t, i);
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + 64, 1);
}

void v6pi_table_prefetch_links(const v6pi_table *t, const void *key, uint64_t h)
{
    uint32_t i = find(t, key, h);
    if (i != NIL) {
        /* Marking it newest unlinks it: its neighbours' headers are written. */
        const slot_hdr *s = hdr(t, i);
        if (s->prev != NIL)
            __builtin_prefetch(hdr(t, s->prev), 1);
        if (s->next != NIL)
            __builtin_prefetch(hdr(t, s->next), 1);
        return;
    }
    if (t->free_list != NIL || t->unused < t->capacity || t->oldest == NIL)
        return;
    /* A new key in a full table evicts the oldest: its index entry is
     * deleted and the next oldest becomes the oldest. */
    const slot_hdr *s = hdr(t, t->oldest);
    __builtin_prefetch(&t->index[s->hash & t->bucket_mask], 1);
    if (s->next != NIL)
        __builtin_prefetch(hdr(t, s->next), 1);
}

static void lru_unlink(v6pi_table *t, uint32_t i)
{
    slot_hdr *s = hdr(t, i);
    if (s->prev != NIL)
        hdr(t, s->prev)->next = s->next;
    else
        t->oldest = s->next;
    if (s->next != NIL)
        hdr(t, s->next)->prev = s->prev;
    else
        t->newest = s->prev;
}

static void lru_push_newest(v6pi_table *t, uint32_t i)
{
    slot_hdr *s = hdr(t, i);
    s->prev = t->newest;
    s->next = NIL;
    if (t->newest != NIL)
        hdr(t, t->newest)->next = i;
    else
        t->oldest = i;
    t->newest = i;
}

static inline void to_newest(v6pi_table *t, uint32_t i)
{
    if (t->newest != i) {
        lru_unlink(t, i);
        lru_push_newest(t, i);
    }
}

/* Empty index position pos.  Keys of later buckets that passed its bucket
 * (their home is at or before it) may have done so only because it was
 * full: one of them moves into the hole, which leaves a hole in its own
 * bucket, and so on, until a bucket that had room before. */
static void index_delete(v6pi_table *t, uint32_t pos)
{
    uint32_t mask = t->bucket_mask;
    uint32_t hb = pos / BUCKET, hj = pos % BUCKET;
    bool full = empty_mask(&t->index[hb]) == 0;
    t->index[hb].slot[hj] = NIL;
    for (uint32_t j = (hb + 1) & mask; full; j = (j + 1) & mask) {
        bucket *b = &t->index[j];
        unsigned empty = empty_mask(b);
        unsigned k = BUCKET;
        for (unsigned m = ~empty & 0xffu; m; m &= m - 1) {
            unsigned e = (unsigned)__builtin_ctz(m);
            uint32_t home = b->tag[e] & mask;
            /* Bucket hb lies in [home, j): the key passed it. */
            if (((j - home) & mask) >= ((j - hb) & mask)) {
                k = e;
                break;
            }
        }
        if (k < BUCKET) {
            t->index[hb].tag[hj] = b->tag[k];
            t->index[hb].slot[hj] = b->slot[k];
            b->slot[k] = NIL;
            hb = j, hj = k;
            full = empty == 0;
        } else {
            /* Nothing here passed hb; keys beyond did only if this bucket
             * was full too. */
            full = empty == 0;
        }
    }
}

static uint32_t index_pos_of(const v6pi_table *t, uint32_t i)
{
    uint32_t mask = t->bucket_mask;
    for (uint32_t bi = hdr(t, i)->hash & mask;; bi = (bi + 1) & mask) {
        unsigned m = mask8(t->index[bi].slot, i);
        if (m)
            return bi * BUCKET + (unsigned)__builtin_ctz(m);
    }
}

/* Take slot i out of the table and put it on the free list. */
static void release(v6pi_table *t, uint32_t i)
{
    index_delete(t, index_pos_of(t, i));
    lru_unlink(t, i);
    hdr(t, i)->next = t->free_list;
    t->free_list = i;
    t->count--;
}

void *v6pi_table_get_h(const v6pi_table *t, const void *key, uint64_t h)
{
    uint32_t i = find(t, key, h);
    return i == NIL ? NULL : value_of(t, i);
}

void *v6pi_table_get(const v6pi_table *t, const void *key)
{
    return v6pi_table_get_h(t, key, v6pi_table_hash(t, key));
}

void *v6pi_table_touch(v6pi_table *t, const void *key)
{
    uint32_t i = find(t, key, v6pi_table_hash(t, key));
    if (i == NIL)
        return NULL;
    to_newest(t, i);
    return value_of(t, i);
}

void v6pi_table_promote(v6pi_table *t, void *value)
{
    size_t off = (size_t)((unsigned char *)value - t->slots) - t->value_off;
    to_newest(t, (uint32_t)(off / t->slot_size));
}

static uint32_t take_slot(v6pi_table *t)
{
    if (t->free_list != NIL) {
        uint32_t i = t->free_list;
        t->free_list = hdr(t, i)->next;
        return i;
    }
    if (t->unused < t->capacity)
        return t->unused++;
    /* Full: the least recently seen key goes. */
    uint32_t i = t->oldest;
    if (t->on_evict)
        t->on_evict(key_of(t, i), value_of(t, i), V6PI_TABLE_EVICTED, t->evict_arg);
    t->evictions++;
    release(t, i);
    t->free_list = hdr(t, i)->next;
    return i;
}

void *v6pi_table_put_h(v6pi_table *t, const void *key, uint64_t h, bool *created)
{
    uint32_t tag = (uint32_t)h;
    uint32_t pos = find_pos(t, key, tag);
    uint32_t i = *pos_slot(t, pos);
    if (i != NIL) {
        to_newest(t, i);
        if (created)
            *created = false;
        return value_of(t, i);
    }
    uint64_t evicted = t->evictions;
    i = take_slot(t);
    /* An eviction may have shifted the run pos is in: look again. */
    if (t->evictions != evicted)
        pos = find_pos(t, key, tag);
    t->index[pos / BUCKET].tag[pos % BUCKET] = tag;
    *pos_slot(t, pos) = i;
    slot_hdr *s = hdr(t, i);
    s->hash = tag;
    memcpy(key_of(t, i), key, t->key_size);
    memset(value_of(t, i), 0, t->zero_size);
    lru_push_newest(t, i);
    t->count++;
    if (created)
        *created = true;
    return value_of(t, i);
}

void *v6pi_table_put(v6pi_table *t, const void *key, bool *created)
{
    return v6pi_table_put_h(t, key, v6pi_table_hash(t, key), created);
}

v6pi_table_status v6pi_table_remove(v6pi_table *t, const void *key)
{
    uint32_t i = find(t, key, v6pi_table_hash(t, key));
    if (i == NIL)
        return V6PI_TABLE_ENOENT;
    release(t, i);
    return V6PI_TABLE_OK;
}

void v6pi_table_foreach(v6pi_table *t, v6pi_table_visit_fn fn, void *arg)
{
    uint32_t i = t->oldest;
    while (i != NIL) {
        uint32_t next = hdr(t, i)->next; /* read first: i may be dropped */
        int r = fn(key_of(t, i), value_of(t, i), arg);
        if (r == V6PI_TABLE_DROP) {
            if (t->on_evict)
                t->on_evict(key_of(t, i), value_of(t, i), V6PI_TABLE_EXPIRED, t->evict_arg);
            t->expirations++;
            release(t, i);
        } else if (r == V6PI_TABLE_STOP) {
            return;
        }
        i = next;
    }
}

const void *v6pi_table_oldest(const v6pi_table *t, void **value)
{
    if (t->oldest == NIL) {
        if (value)
            *value = NULL;
        return NULL;
    }
    if (value)
        *value = value_of(t, t->oldest);
    return key_of(t, t->oldest);
}

size_t v6pi_table_count(const v6pi_table *t)
{
    return t->count;
}

size_t v6pi_table_capacity(const v6pi_table *t)
{
    return t->capacity;
}

uint64_t v6pi_table_evictions(const v6pi_table *t)
{
    return t->evictions;
}

uint64_t v6pi_table_expirations(const v6pi_table *t)
{
    return t->expirations;
}

size_t v6pi_table_memory(const v6pi_table *t)
{
    return t->memory;
}
