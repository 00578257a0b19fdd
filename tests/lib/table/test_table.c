/* Unit tests of the bounded LRU table every tracker uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "table.h"

typedef struct val {
    uint64_t a, b;
} val;

typedef struct evlog {
    int n;
    uint32_t keys[16];
    uint64_t vals[16];
    v6pi_table_reason why[16];
} evlog;

static void log_evict(const void *key, void *value, v6pi_table_reason why, void *arg)
{
    evlog *l = arg;
    if (l->n < 16) {
        memcpy(&l->keys[l->n], key, 4);
        l->vals[l->n] = ((val *)value)->a;
        l->why[l->n] = why;
    }
    l->n++;
}

static v6pi_table *make(size_t cap, size_t ks, size_t vs, evlog *l)
{
    v6pi_table_config c = {.capacity = cap, .key_size = ks, .value_size = vs};
    c.seed[0] = 1;
    c.seed[1] = 2;
    if (l) {
        c.on_evict = log_evict;
        c.evict_arg = l;
    }
    v6pi_table *t = NULL;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_OK);
    assert_non_null(t);
    return t;
}

static void test_bad_config(void **state)
{
    (void)state;
    v6pi_table *t = (v6pi_table *)1;
    v6pi_table_config c = {.capacity = 0, .key_size = 16, .value_size = 8};
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_EINVAL);
    assert_null(t);
    c.capacity = 8;
    c.key_size = 0;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_EINVAL);
    c.key_size = V6PI_TABLE_KEY_MAX + 1;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_EINVAL);
    c.key_size = V6PI_TABLE_KEY_MAX;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_OK);
    v6pi_table_free(t);
    assert_int_equal(v6pi_table_create(NULL, &t), V6PI_TABLE_EINVAL);
}

static void test_put_get_zeroed(void **state)
{
    (void)state;
    v6pi_table *t = make(8, 4, sizeof(val), NULL);
    uint32_t k = 7;
    bool created = false;
    val *v = v6pi_table_put(t, &k, &created);
    assert_true(created);
    assert_int_equal(v->a, 0);
    assert_int_equal(v->b, 0);
    v->a = 42;
    assert_ptr_equal(v6pi_table_put(t, &k, &created), v);
    assert_false(created);
    val *g = v6pi_table_get(t, &k);
    assert_non_null(g);
    assert_int_equal(g->a, 42);
    uint32_t other = 8;
    assert_null(v6pi_table_get(t, &other));
    assert_null(v6pi_table_touch(t, &other));
    assert_int_equal(v6pi_table_count(t), 1);
    /* A removed key comes back zeroed. */
    assert_int_equal(v6pi_table_remove(t, &k), V6PI_TABLE_OK);
    assert_int_equal(v6pi_table_remove(t, &k), V6PI_TABLE_ENOENT);
    assert_null(v6pi_table_get(t, &k));
    v = v6pi_table_put(t, &k, &created);
    assert_true(created);
    assert_int_equal(v->a, 0);
    v6pi_table_free(t);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    evlog l = {0};
    v6pi_table *t = make(4, 4, sizeof(val), &l);
    for (uint32_t k = 1; k <= 4; k++)
        ((val *)v6pi_table_put(t, &k, NULL))->a = k * 10;
    /* Seeing 1 again makes 2 the least recently seen. */
    uint32_t k1 = 1;
    assert_non_null(v6pi_table_touch(t, &k1));
    /* get does not change recency: 2 stays the oldest. */
    uint32_t k2 = 2;
    assert_non_null(v6pi_table_get(t, &k2));
    uint32_t k5 = 5;
    v6pi_table_put(t, &k5, NULL);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.keys[0], 2);
    assert_int_equal(l.vals[0], 20);
    assert_int_equal(l.why[0], V6PI_TABLE_EVICTED);
    assert_null(v6pi_table_get(t, &k2));
    assert_non_null(v6pi_table_get(t, &k1));
    assert_int_equal(v6pi_table_evictions(t), 1);
    assert_int_equal(v6pi_table_count(t), 4);
    /* Next to go is 3. */
    uint32_t k6 = 6;
    v6pi_table_put(t, &k6, NULL);
    assert_int_equal(l.keys[1], 3);
    assert_int_equal(v6pi_table_evictions(t), 2);
    v6pi_table_free(t);
}

static int collect(const void *key, void *value, void *arg)
{
    (void)value;
    uint32_t *out = arg;
    uint32_t k;
    memcpy(&k, key, 4);
    out[++out[0]] = k;
    return V6PI_TABLE_NEXT;
}

static int drop_below_3(const void *key, void *value, void *arg)
{
    (void)arg;
    (void)value;
    uint32_t k;
    memcpy(&k, key, 4);
    return k < 3 ? V6PI_TABLE_DROP : V6PI_TABLE_STOP;
}

static void test_foreach_order_and_expiry(void **state)
{
    (void)state;
    evlog l = {0};
    v6pi_table *t = make(8, 4, sizeof(val), &l);
    for (uint32_t k = 1; k <= 5; k++)
        v6pi_table_put(t, &k, NULL);
    uint32_t k4 = 4;
    v6pi_table_touch(t, &k4);
    uint32_t seen[8] = {0};
    v6pi_table_foreach(t, collect, seen);
    assert_int_equal(seen[0], 5);
    uint32_t want[] = {1, 2, 3, 5, 4};
    for (int i = 0; i < 5; i++)
        assert_int_equal(seen[i + 1], want[i]);

    /* Expiry walks oldest first and stops at the first fresh key. */
    v6pi_table_foreach(t, drop_below_3, NULL);
    assert_int_equal(v6pi_table_count(t), 3);
    assert_int_equal(v6pi_table_expirations(t), 2);
    assert_int_equal(v6pi_table_evictions(t), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.why[0], V6PI_TABLE_EXPIRED);
    void *v = NULL;
    const uint32_t *oldest = v6pi_table_oldest(t, &v);
    assert_non_null(oldest);
    assert_non_null(v);
    assert_int_equal(*oldest, 3);
    v6pi_table_free(t);
}

/* The cap holds under a flood: memory is fixed at creation, the count never
 * passes capacity and every key beyond it is counted as an eviction. */
static void test_flood_bounded(void **state)
{
    (void)state;
    v6pi_table *t = make(1000, 16, 32, NULL);
    size_t mem = v6pi_table_memory(t);
    assert_true(mem >= 1000 * (16 + 32));
    assert_true(mem < 1000 * 128);
    unsigned char key[16] = {0};
    for (uint32_t i = 0; i < 200000; i++) {
        memcpy(key, &i, 4);
        key[15] = (unsigned char)(i * 7);
        v6pi_table_put(t, key, NULL);
        assert_true(v6pi_table_count(t) <= 1000);
    }
    assert_int_equal(v6pi_table_count(t), 1000);
    assert_int_equal(v6pi_table_evictions(t), 200000 - 1000);
    assert_int_equal(v6pi_table_memory(t), mem);
    /* The newest 1000 are the ones kept. */
    for (uint32_t i = 199000; i < 200000; i++) {
        memcpy(key, &i, 4);
        key[15] = (unsigned char)(i * 7);
        assert_non_null(v6pi_table_get(t, key));
    }
    v6pi_table_free(t);
}

/* A random mix of operations checked against a plain array model. */
#define MODEL_CAP 64
typedef struct model {
    uint32_t keys[MODEL_CAP];
    uint64_t vals[MODEL_CAP];
    int n; /* keys[0] oldest */
} model;

static int model_find(const model *m, uint32_t k)
{
    for (int i = 0; i < m->n; i++)
        if (m->keys[i] == k)
            return i;
    return -1;
}

static void model_to_newest(model *m, int i)
{
    uint32_t k = m->keys[i];
    uint64_t v = m->vals[i];
    memmove(&m->keys[i], &m->keys[i + 1], (size_t)(m->n - i - 1) * 4);
    memmove(&m->vals[i], &m->vals[i + 1], (size_t)(m->n - i - 1) * 8);
    m->keys[m->n - 1] = k;
    m->vals[m->n - 1] = v;
}

static void model_remove(model *m, int i)
{
    memmove(&m->keys[i], &m->keys[i + 1], (size_t)(m->n - i - 1) * 4);
    memmove(&m->vals[i], &m->vals[i + 1], (size_t)(m->n - i - 1) * 8);
    m->n--;
}

/* cap keys at most out of `keys`; seed sets both the hash seed and the
 * operations. */
static void run_model(int cap, uint32_t keys, uint64_t seed)
{
    v6pi_table_config c = {.capacity = (size_t)cap, .key_size = 4, .value_size = sizeof(val)};
    c.seed[0] = seed;
    c.seed[1] = ~seed;
    v6pi_table *t = NULL;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_OK);
    model m = {.n = 0};
    uint64_t evictions = 0;
    uint32_t rng = (uint32_t)seed;
    for (int step = 0; step < 200000; step++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t k = (rng >> 8) % keys;
        int op = (rng >> 24) % 4;
        int mi = model_find(&m, k);
        if (op == 0) { /* put */
            bool created;
            val *v = v6pi_table_put(t, &k, &created);
            assert_int_equal(created, mi < 0);
            if (mi < 0) {
                if (m.n == cap) {
                    model_remove(&m, 0);
                    evictions++;
                }
                m.keys[m.n] = k;
                m.vals[m.n] = 0;
                m.n++;
                mi = m.n - 1;
            } else {
                assert_int_equal(v->a, m.vals[mi]);
                model_to_newest(&m, mi);
                mi = m.n - 1;
            }
            v->a = (uint64_t)step;
            m.vals[mi] = (uint64_t)step;
        } else if (op == 1) { /* touch */
            val *v = v6pi_table_touch(t, &k);
            assert_int_equal(v != NULL, mi >= 0);
            if (v) {
                assert_int_equal(v->a, m.vals[mi]);
                model_to_newest(&m, mi);
            }
        } else if (op == 2) { /* get */
            val *v = v6pi_table_get(t, &k);
            assert_int_equal(v != NULL, mi >= 0);
            if (v)
                assert_int_equal(v->a, m.vals[mi]);
        } else if ((rng & 7) == 0) { /* remove, rarely */
            assert_int_equal(v6pi_table_remove(t, &k), mi >= 0 ? V6PI_TABLE_OK : V6PI_TABLE_ENOENT);
            if (mi >= 0)
                model_remove(&m, mi);
        }
        assert_int_equal(v6pi_table_count(t), (size_t)m.n);
    }
    assert_int_equal(v6pi_table_evictions(t), evictions);
    uint32_t seen[MODEL_CAP + 1] = {0};
    v6pi_table_foreach(t, collect, seen);
    assert_int_equal(seen[0], (uint32_t)m.n);
    for (int i = 0; i < m.n; i++)
        assert_int_equal(seen[i + 1], m.keys[i]);
    v6pi_table_free(t);
}

static void test_against_model(void **state)
{
    (void)state;
    run_model(MODEL_CAP, 150, 12345);
}

/* The index is buckets of eight entries: with few buckets and the index at
 * its fullest (capacity 8 in 16 entries, 5 in 16, 12 in 32), buckets
 * overflow into the next one all the time, and removals and evictions must
 * move keys back without losing one.  Many seeds, so that the keys fall
 * differently each time. */
/* zero_size: a new key's value is zeroed up to there only (the trackers
 * keep a count in the head and read their arrays only below it). */
static void test_zero_size(void **state)
{
    (void)state;
    v6pi_table_config c = {.capacity = 1, .key_size = 4, .value_size = 32, .zero_size = 8};
    c.seed[0] = 3;
    v6pi_table *t = NULL;
    assert_int_equal(v6pi_table_create(&c, &t), V6PI_TABLE_OK);
    uint32_t k = 1;
    unsigned char *v = v6pi_table_put(t, &k, NULL);
    for (int i = 0; i < 32; i++)
        assert_int_equal(v[i], 0); /* never used: zero from creation */
    memset(v, 0xaa, 32);
    k = 2;
    v = v6pi_table_put(t, &k, NULL); /* evicts key 1, takes its slot */
    for (int i = 0; i < 8; i++)
        assert_int_equal(v[i], 0);
    assert_int_equal(v[8], 0xaa);
    v6pi_table_free(t);
}

static void test_bucket_overflow_model(void **state)
{
    (void)state;
    static const int caps[] = {1, 3, 5, 8, 12, 16, 33};
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        for (uint64_t seed = 1; seed <= 6; seed++)
            run_model(caps[i], (uint32_t)caps[i] * 3 + 2, seed * 0x9e3779b97f4a7c15ull);
}

static void test_seeded_hash(void **state)
{
    (void)state;
    uint64_t k1[2] = {1, 2}, k2[2] = {1, 3};
    const char msg[] = "2001:db8::1";
    assert_int_equal(v6pi_siphash13(k1, msg, sizeof(msg)), v6pi_siphash13(k1, msg, sizeof(msg)));
    assert_int_not_equal(v6pi_siphash13(k1, msg, sizeof(msg)),
                         v6pi_siphash13(k2, msg, sizeof(msg)));
    /* Every length from 0 to 40 (the tail handling) gives distinct values. */
    unsigned char buf[41] = {0};
    uint64_t prev = v6pi_siphash13(k1, buf, 0);
    for (size_t n = 1; n <= 40; n++) {
        uint64_t h = v6pi_siphash13(k1, buf, n);
        assert_int_not_equal(h, prev);
        prev = h;
    }
    /* A zero seed asks for a random one: two tables, same keys, both work. */
    v6pi_table_config c = {.capacity = 16, .key_size = 8, .value_size = 0};
    v6pi_table *a = NULL, *b = NULL;
    assert_int_equal(v6pi_table_create(&c, &a), V6PI_TABLE_OK);
    assert_int_equal(v6pi_table_create(&c, &b), V6PI_TABLE_OK);
    for (uint64_t i = 0; i < 16; i++) {
        v6pi_table_put(a, &i, NULL);
        v6pi_table_put(b, &i, NULL);
    }
    for (uint64_t i = 0; i < 16; i++) {
        assert_non_null(v6pi_table_get(a, &i));
        assert_non_null(v6pi_table_get(b, &i));
    }
    v6pi_table_free(a);
    v6pi_table_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_config),    cmocka_unit_test(test_put_get_zeroed),
        cmocka_unit_test(test_lru_eviction),  cmocka_unit_test(test_foreach_order_and_expiry),
        cmocka_unit_test(test_flood_bounded), cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_seeded_hash),   cmocka_unit_test(test_bucket_overflow_model),
        cmocka_unit_test(test_zero_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
