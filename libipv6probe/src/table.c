/* Fixed-capacity hash table with LRU eviction: see table.h.
 *
 * Layout: one block of memory holds the bucket heads (32-bit slot indices)
 * and the slots.  A slot is a 16-byte header (bucket chain link, LRU links,
 * cached hash), then the value (8-byte aligned), then the key.  Free slots are
 * chained through the bucket link.  Indices instead of pointers keep the
 * header small and the block relocatable. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NIL UINT32_MAX

typedef struct slot_hdr {
    uint32_t hnext; /* next slot in the bucket chain, or in the free list */
    uint32_t prev;  /* LRU list: towards the oldest */
    uint32_t next;  /* LRU list: towards the newest */
    uint32_t hash;  /* low half of the key's hash: its bucket, and a memcmp filter */
} slot_hdr;

struct v6p_table {
    size_t capacity;
    size_t key_size, value_size;
    size_t slot_size, key_off;
    uint32_t bucket_mask;
    uint32_t *buckets;
    unsigned char *slots;
    uint32_t oldest, newest; /* LRU ends */
    uint32_t free_list;      /* slots given back by remove/expire */
    uint32_t unused;         /* slots [unused, capacity) never handed out */
    size_t count;
    uint64_t evictions, expirations;
    size_t memory;
    uint64_t seed[2];
    v6p_table_evict_fn on_evict;
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

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t v6p_siphash13(const uint64_t key[2], const void *data, size_t len)
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

/* ---- slots ---- */

static inline slot_hdr *hdr(const v6p_table *t, uint32_t i)
{
    return (slot_hdr *)(t->slots + (size_t)i * t->slot_size);
}

static inline void *value_of(const v6p_table *t, uint32_t i)
{
    return t->slots + (size_t)i * t->slot_size + sizeof(slot_hdr);
}

static inline unsigned char *key_of(const v6p_table *t, uint32_t i)
{
    return t->slots + (size_t)i * t->slot_size + t->key_off;
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

v6p_table_status v6p_table_create(const v6p_table_config *cfg, v6p_table **out)
{
    *out = NULL;
    if (!cfg || cfg->capacity == 0 || cfg->capacity > V6P_TABLE_CAPACITY_MAX ||
        cfg->key_size == 0 || cfg->key_size > V6P_TABLE_KEY_MAX || cfg->value_size > (1u << 20))
        return V6P_TABLE_EINVAL;

    size_t nbuckets = 1;
    while (nbuckets < cfg->capacity)
        nbuckets <<= 1;
    size_t key_off = sizeof(slot_hdr) + round8(cfg->value_size);
    size_t slot_size = round8(key_off + cfg->key_size);
    size_t head = round8(sizeof(v6p_table));
    size_t bucket_bytes = round8(nbuckets * sizeof(uint32_t));
    size_t total = head + bucket_bytes + cfg->capacity * slot_size;

    /* One allocation: the cap is exactly what is asked for, and freeing
     * cannot half-fail. */
    unsigned char *block = malloc(total);
    if (!block)
        return V6P_TABLE_ENOMEM;
    v6p_table *t = (v6p_table *)block;
    memset(t, 0, sizeof(*t));
    t->capacity = cfg->capacity;
    t->key_size = cfg->key_size;
    t->value_size = cfg->value_size;
    t->slot_size = slot_size;
    t->key_off = key_off;
    t->bucket_mask = (uint32_t)(nbuckets - 1);
    t->buckets = (uint32_t *)(block + head);
    t->slots = block + head + bucket_bytes;
    memset(t->buckets, 0xff, nbuckets * sizeof(uint32_t));
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
    return V6P_TABLE_OK;
}

void v6p_table_free(v6p_table *t)
{
    free(t);
}

static inline uint64_t hash_key(const v6p_table *t, const void *key)
{
    return v6p_siphash13(t->seed, key, t->key_size);
}

static uint32_t find(const v6p_table *t, const void *key, uint64_t h)
{
    uint32_t tag = (uint32_t)h;
    for (uint32_t i = t->buckets[h & t->bucket_mask]; i != NIL; i = hdr(t, i)->hnext) {
        if (hdr(t, i)->hash == tag && memcmp(key_of(t, i), key, t->key_size) == 0)
            return i;
    }
    return NIL;
}

static void lru_unlink(v6p_table *t, uint32_t i)
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

static void lru_push_newest(v6p_table *t, uint32_t i)
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

static void bucket_unlink(v6p_table *t, uint32_t i)
{
    uint32_t *link = &t->buckets[hdr(t, i)->hash & t->bucket_mask];
    while (*link != i)
        link = &hdr(t, *link)->hnext;
    *link = hdr(t, i)->hnext;
}

/* Take slot i out of the table and put it on the free list. */
static void release(v6p_table *t, uint32_t i)
{
    bucket_unlink(t, i);
    lru_unlink(t, i);
    hdr(t, i)->hnext = t->free_list;
    t->free_list = i;
    t->count--;
}

void *v6p_table_get(const v6p_table *t, const void *key)
{
    uint32_t i = find(t, key, hash_key(t, key));
    return i == NIL ? NULL : value_of(t, i);
}

void *v6p_table_touch(v6p_table *t, const void *key)
{
    uint32_t i = find(t, key, hash_key(t, key));
    if (i == NIL)
        return NULL;
    if (t->newest != i) {
        lru_unlink(t, i);
        lru_push_newest(t, i);
    }
    return value_of(t, i);
}

static uint32_t take_slot(v6p_table *t)
{
    if (t->free_list != NIL) {
        uint32_t i = t->free_list;
        t->free_list = hdr(t, i)->hnext;
        return i;
    }
    if (t->unused < t->capacity)
        return t->unused++;
    /* Full: the least recently seen key goes. */
    uint32_t i = t->oldest;
    if (t->on_evict)
        t->on_evict(key_of(t, i), value_of(t, i), V6P_TABLE_EVICTED, t->evict_arg);
    t->evictions++;
    release(t, i);
    t->free_list = hdr(t, i)->hnext;
    return i;
}

void *v6p_table_put(v6p_table *t, const void *key, bool *created)
{
    uint64_t h = hash_key(t, key);
    uint32_t i = find(t, key, h);
    if (i != NIL) {
        if (t->newest != i) {
            lru_unlink(t, i);
            lru_push_newest(t, i);
        }
        if (created)
            *created = false;
        return value_of(t, i);
    }
    i = take_slot(t);
    slot_hdr *s = hdr(t, i);
    s->hash = (uint32_t)h;
    memcpy(key_of(t, i), key, t->key_size);
    memset(value_of(t, i), 0, t->value_size);
    uint32_t *head = &t->buckets[h & t->bucket_mask];
    s->hnext = *head;
    *head = i;
    lru_push_newest(t, i);
    t->count++;
    if (created)
        *created = true;
    return value_of(t, i);
}

v6p_table_status v6p_table_remove(v6p_table *t, const void *key)
{
    uint32_t i = find(t, key, hash_key(t, key));
    if (i == NIL)
        return V6P_TABLE_ENOENT;
    release(t, i);
    return V6P_TABLE_OK;
}

void v6p_table_foreach(v6p_table *t, v6p_table_visit_fn fn, void *arg)
{
    uint32_t i = t->oldest;
    while (i != NIL) {
        uint32_t next = hdr(t, i)->next; /* read first: i may be dropped */
        int r = fn(key_of(t, i), value_of(t, i), arg);
        if (r == V6P_TABLE_DROP) {
            if (t->on_evict)
                t->on_evict(key_of(t, i), value_of(t, i), V6P_TABLE_EXPIRED, t->evict_arg);
            t->expirations++;
            release(t, i);
        } else if (r == V6P_TABLE_STOP) {
            return;
        }
        i = next;
    }
}

const void *v6p_table_oldest(const v6p_table *t, void **value)
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

size_t v6p_table_count(const v6p_table *t)
{
    return t->count;
}

size_t v6p_table_capacity(const v6p_table *t)
{
    return t->capacity;
}

uint64_t v6p_table_evictions(const v6p_table *t)
{
    return t->evictions;
}

uint64_t v6p_table_expirations(const v6p_table *t)
{
    return t->expirations;
}

size_t v6p_table_memory(const v6p_table *t)
{
    return t->memory;
}
