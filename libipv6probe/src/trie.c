/* Longest-prefix match: a 16-bit first level, then PATRICIA tries.  See
 * trie.h for the shape and why. */
#include "trie.h"

#include <stdlib.h>
#include <string.h>

#define SLOTS 65536u
#define NO_LEN 255 /* base_len of a slot no short prefix covers */

typedef struct node {
    uint64_t hi, lo; /* prefix bits, zero past len */
    uint32_t val;    /* V6PI_TRIE_NONE for a pure branch node */
    uint32_t child[2];
    uint8_t len;
    uint8_t jump[3]; /* 1 + its jump table's index (24 bits), 0 = none */
} node;

/* A jump table skips the next JUMP_BITS levels below a node with a large
 * subtree: entry j says where a walk whose next bits are j lands (the first
 * node at least JUMP_BITS deeper, 0 when the walk ends) and the longest
 * prefix it passed on the way.  Built by v6pi_trie_compact; any insert drops
 * them all (they would be stale), the next compaction builds them again. */
#define JUMP_BITS 8
#define JUMP_MIN_NODES 256 /* subtrees smaller than this walk fast enough */
typedef struct jump {
    uint32_t node, val;
    uint8_t len;
} jump;

struct v6pi_trie {
    uint32_t root[SLOTS];     /* subtree per first 16 bits (0 = none) */
    uint32_t base_val[SLOTS]; /* best prefix of length <= 16 covering the slot */
    uint8_t base_len[SLOTS];
    node *nodes; /* nodes[0] unused: index 0 means "no child" */
    uint32_t count, cap;
    jump *jumps; /* njump tables of 1 << JUMP_BITS entries, room for jcap */
    uint32_t njump, jcap;
};

static inline uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void mask_bits(uint64_t *hi, uint64_t *lo, unsigned len)
{
    if (len >= 128)
        return;
    if (len >= 64) {
        *lo &= len == 64 ? 0 : ~(uint64_t)0 << (128 - len);
    } else {
        *hi &= len == 0 ? 0 : ~(uint64_t)0 << (64 - len);
        *lo = 0;
    }
}

static inline unsigned bit_at(uint64_t hi, uint64_t lo, unsigned i)
{
    return i < 64 ? (unsigned)(hi >> (63 - i)) & 1 : (unsigned)(lo >> (127 - i)) & 1;
}

/* Number of leading bits two keys share (0..128). */
static inline unsigned common_bits(uint64_t h1, uint64_t l1, uint64_t h2, uint64_t l2)
{
    uint64_t x = h1 ^ h2;
    if (x)
        return (unsigned)__builtin_clzll(x);
    x = l1 ^ l2;
    return x ? 64 + (unsigned)__builtin_clzll(x) : 128;
}

v6pi_trie *v6pi_trie_new(void)
{
    v6pi_trie *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    memset(t->base_val, 0xff, sizeof(t->base_val));
    memset(t->base_len, NO_LEN, sizeof(t->base_len));
    t->cap = 64;
    t->nodes = malloc(t->cap * sizeof(node));
    if (!t->nodes) {
        free(t);
        return NULL;
    }
    t->count = 1;
    return t;
}

void v6pi_trie_free(v6pi_trie *t)
{
    if (!t)
        return;
    free(t->jumps);
    free(t->nodes);
    free(t);
}

static uint32_t new_node(v6pi_trie *t, uint64_t hi, uint64_t lo, unsigned len, uint32_t val)
{
    uint32_t i = t->count++;
    node *n = &t->nodes[i];
    n->hi = hi;
    n->lo = lo;
    n->len = (uint8_t)len;
    n->val = val;
    n->child[0] = n->child[1] = 0;
    n->jump[0] = n->jump[1] = n->jump[2] = 0;
    return i;
}

static inline uint32_t jump_of(const node *n)
{
    return (uint32_t)n->jump[0] | (uint32_t)n->jump[1] << 8 | (uint32_t)n->jump[2] << 16;
}

/* The JUMP_BITS bits of the key after its first p. */
static inline unsigned bits_after(uint64_t hi, uint64_t lo, unsigned p)
{
    unsigned e = p + JUMP_BITS, m = (1u << JUMP_BITS) - 1;
    if (e <= 64)
        return (unsigned)(hi >> (64 - e)) & m;
    if (p >= 64)
        return (unsigned)(lo >> (128 - e)) & m;
    return (unsigned)((hi << (e - 64)) | (lo >> (128 - e))) & m;
}

/* The entry of n's jump table for the key (n's prefix matches it). */
static inline const jump *jump_entry(const v6pi_trie *t, const node *n, uint64_t hi, uint64_t lo)
{
    return &t->jumps[((size_t)jump_of(n) - 1) << JUMP_BITS | bits_after(hi, lo, n->len)];
}

/* Tables would be stale after any change: forget them all. */
static void drop_jumps(v6pi_trie *t)
{
    if (!t->njump)
        return;
    for (uint32_t i = 1; i < t->count; i++)
        t->nodes[i].jump[0] = t->nodes[i].jump[1] = t->nodes[i].jump[2] = 0;
    free(t->jumps);
    t->jumps = NULL;
    t->njump = t->jcap = 0;
}

int v6pi_trie_insert(v6pi_trie *t, const uint8_t addr[16], unsigned len, uint32_t value)
{
    if (len > 128)
        return -1;
    uint64_t hi = be64(addr), lo = be64(addr + 8);
    mask_bits(&hi, &lo, len);
    unsigned slot = (unsigned)(hi >> 48);
    drop_jumps(t);

    if (len <= 16) {
        /* Expand over every slot the prefix covers; a longer prefix already
         * there keeps the slot, an equal one (the same prefix) is replaced. */
        unsigned n = 1u << (16 - len);
        for (unsigned s = slot; s < slot + n; s++) {
            if (t->base_len[s] == NO_LEN || t->base_len[s] <= len) {
                t->base_len[s] = (uint8_t)len;
                t->base_val[s] = value;
            }
        }
        return 0;
    }

    /* At most two nodes are added; growing first means no pointer into the
     * array goes stale below. */
    if (t->count + 2 > t->cap) {
        if (t->cap > UINT32_MAX / 4)
            return -1;
        uint32_t ncap = t->cap * 2;
        node *nn = realloc(t->nodes, (size_t)ncap * sizeof(node));
        if (!nn)
            return -1;
        t->nodes = nn;
        t->cap = ncap;
    }

    uint32_t *link = &t->root[slot];
    for (;;) {
        uint32_t ni = *link;
        if (ni == 0) {
            *link = new_node(t, hi, lo, len, value);
            return 0;
        }
        node *n = &t->nodes[ni];
        unsigned c = common_bits(hi, lo, n->hi, n->lo);
        if (c > len)
            c = len;
        if (c > n->len)
            c = n->len;
        if (c == n->len && c == len) {
            n->val = value; /* the same prefix: the later entry wins */
            return 0;
        }
        if (c == n->len) { /* n covers the new prefix: go down */
            link = &n->child[bit_at(hi, lo, n->len)];
            continue;
        }
        uint64_t nhi = n->hi, nlo = n->lo;
        if (c == len) { /* the new prefix covers n: it goes above n */
            uint32_t m = new_node(t, hi, lo, len, value);
            t->nodes[m].child[bit_at(nhi, nlo, len)] = ni;
            *link = m;
            return 0;
        }
        /* They part at bit c: a branch node with both below it. */
        uint64_t bhi = hi, blo = lo;
        mask_bits(&bhi, &blo, c);
        uint32_t b = new_node(t, bhi, blo, c, V6PI_TRIE_NONE);
        uint32_t leaf = new_node(t, hi, lo, len, value);
        t->nodes[b].child[bit_at(nhi, nlo, c)] = ni;
        t->nodes[b].child[bit_at(hi, lo, c)] = leaf;
        *link = b;
        return 0;
    }
}

uint32_t v6pi_trie_lookup(const v6pi_trie *t, const uint8_t addr[16], unsigned *len_out)
{
    uint64_t hi = be64(addr), lo = be64(addr + 8);
    unsigned slot = (unsigned)(hi >> 48);
    uint32_t best = t->base_val[slot];
    unsigned best_len = t->base_len[slot];
    uint32_t ni = t->root[slot];
    while (ni) {
        const node *n = &t->nodes[ni];
        uint64_t h = hi, l = lo;
        mask_bits(&h, &l, n->len);
        if (h != n->hi || l != n->lo)
            break;
        if (n->val != V6PI_TRIE_NONE) {
            best = n->val;
            best_len = n->len;
        }
        if (n->len == 128)
            break;
        if (jump_of(n)) {
            const jump *j = jump_entry(t, n, hi, lo);
            if (j->val != V6PI_TRIE_NONE) {
                best = j->val;
                best_len = j->len;
            }
            ni = j->node;
            continue;
        }
        ni = n->child[bit_at(hi, lo, n->len)];
    }
    if (len_out)
        *len_out = best == V6PI_TRIE_NONE ? 0 : best_len;
    return best;
}

void v6pi_trie_prefetch(const v6pi_trie *t, const uint8_t addr[16])
{
    unsigned slot = (unsigned)addr[0] << 8 | addr[1];
    __builtin_prefetch(&t->root[slot]);
    __builtin_prefetch(&t->base_val[slot]);
    __builtin_prefetch(&t->base_len[slot]);
}

void v6pi_trie_prefetch_node(const v6pi_trie *t, const uint8_t addr[16])
{
    uint32_t ni = t->root[(unsigned)addr[0] << 8 | addr[1]];
    if (ni)
        __builtin_prefetch(&t->nodes[ni]);
}

uint32_t v6pi_trie_prefetch_step(const v6pi_trie *t, const uint8_t addr[16], uint32_t ni)
{
    if (ni == V6PI_TRIE_START)
        ni = t->root[(unsigned)addr[0] << 8 | addr[1]];
    else if (ni) {
        /* The node is (nearly) in cache: the walk's next step, as the
         * lookup will take it. */
        const node *n = &t->nodes[ni];
        uint64_t hi = be64(addr), lo = be64(addr + 8), h = hi, l = lo;
        mask_bits(&h, &l, n->len);
        if (h != n->hi || l != n->lo || n->len == 128)
            return 0;
        ni = jump_of(n) ? jump_entry(t, n, hi, lo)->node : n->child[bit_at(hi, lo, n->len)];
    }
    if (ni)
        __builtin_prefetch(&t->nodes[ni]);
    return ni;
}

/* Copy the subtree at ni into nw in depth-first order; its new index. */
static uint32_t copy_preorder(const node *old, node *nw, uint32_t *next, uint32_t ni)
{
    if (!ni)
        return 0;
    uint32_t me = (*next)++;
    nw[me] = old[ni];
    nw[me].child[0] = copy_preorder(old, nw, next, old[ni].child[0]);
    nw[me].child[1] = copy_preorder(old, nw, next, old[ni].child[1]);
    return me;
}

static uint32_t subtree_size(const node *nodes, uint32_t *size, uint32_t ni)
{
    if (!ni)
        return 0;
    size[ni] = 1 + subtree_size(nodes, size, nodes[ni].child[0]) +
               subtree_size(nodes, size, nodes[ni].child[1]);
    return size[ni];
}

/* Fill r's table: for each value j of the JUMP_BITS bits after r's prefix,
 * walk as a lookup would, stopping at the first node that far down. */
static void fill_jump(const v6pi_trie *t, const node *r, jump *tab)
{
    unsigned p = r->len;
    for (unsigned j = 0; j < (1u << JUMP_BITS); j++) {
        uint64_t h = r->hi, l = r->lo; /* r's prefix, then the bits of j */
        for (unsigned b = 0; b < JUMP_BITS; b++) {
            if (!((j >> (JUMP_BITS - 1 - b)) & 1))
                continue;
            unsigned i = p + b;
            if (i < 64)
                h |= UINT64_C(1) << (63 - i);
            else
                l |= UINT64_C(1) << (127 - i);
        }
        jump e = {0, V6PI_TRIE_NONE, 0};
        uint32_t ni = r->child[bit_at(h, l, p)];
        while (ni && t->nodes[ni].len < p + JUMP_BITS) {
            const node *n = &t->nodes[ni];
            uint64_t mh = h, ml = l;
            mask_bits(&mh, &ml, n->len);
            if (mh != n->hi || ml != n->lo) {
                ni = 0;
                break;
            }
            if (n->val != V6PI_TRIE_NONE) {
                e.val = n->val;
                e.len = n->len;
            }
            ni = n->child[bit_at(h, l, n->len)];
        }
        e.node = ni;
        tab[j] = e;
    }
}

/* Tables for the nodes a lookup visits (not those a table above skips)
 * whose subtrees are large.  Returns -1 when memory runs out. */
static int build_jumps(v6pi_trie *t, const uint32_t *size, uint32_t ni, unsigned min_len)
{
    if (!ni)
        return 0;
    node *n = &t->nodes[ni];
    unsigned below = min_len;
    if (n->len >= min_len && size[ni] >= JUMP_MIN_NODES && n->len + JUMP_BITS <= 128 &&
        t->njump < (1u << 24) - 1) {
        if (t->njump == t->jcap) {
            uint32_t ncap = t->jcap ? t->jcap * 2 : 16;
            jump *nj = realloc(t->jumps, ((size_t)ncap * sizeof(jump)) << JUMP_BITS);
            if (!nj)
                return -1;
            t->jumps = nj;
            t->jcap = ncap;
        }
        fill_jump(t, n, &t->jumps[(size_t)t->njump << JUMP_BITS]);
        uint32_t id = ++t->njump;
        n->jump[0] = (uint8_t)id;
        n->jump[1] = (uint8_t)(id >> 8);
        n->jump[2] = (uint8_t)(id >> 16);
        below = n->len + JUMP_BITS; /* what the table skips is never visited */
    }
    if (build_jumps(t, size, n->child[0], below) != 0)
        return -1;
    return build_jumps(t, size, t->nodes[ni].child[1], below);
}

int v6pi_trie_compact(v6pi_trie *t)
{
    drop_jumps(t);
    uint32_t cap = t->count + 64; /* room for the next inserts */
    node *nw = malloc((size_t)cap * sizeof(node));
    if (!nw)
        return -1;
    uint32_t next = 1;
    for (unsigned s = 0; s < SLOTS; s++)
        t->root[s] = copy_preorder(t->nodes, nw, &next, t->root[s]);
    free(t->nodes);
    t->nodes = nw;
    t->cap = cap;
    uint32_t *size = calloc(t->count, sizeof(*size));
    if (!size)
        return 0; /* no tables: slower walks, the same answers */
    for (unsigned s = 0; s < SLOTS; s++) {
        subtree_size(t->nodes, size, t->root[s]);
        if (build_jumps(t, size, t->root[s], 0) != 0) {
            drop_jumps(t);
            break;
        }
    }
    free(size);
    return 0;
}

size_t v6pi_trie_memory(const v6pi_trie *t)
{
    return sizeof(*t) + (size_t)t->cap * sizeof(node) +
           (((size_t)t->jcap * sizeof(jump)) << JUMP_BITS);
}
