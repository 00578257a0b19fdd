/* Unit tests of trie.c, the longest-prefix match every prefix table uses:
 * nested and overlapping prefixes in any insertion order, /0 and /128, the
 * short prefixes spread over the first-level slots, IPv4-mapped keys, and
 * compaction checked against a plain linear search. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trie.h"
#include "xorshift.h"

typedef struct prefix {
    uint8_t addr[16];
    unsigned len;
    uint32_t value;
} prefix;

static prefix pfx(const char *text, unsigned len, uint32_t value)
{
    prefix p = {.len = len, .value = value};
    assert_int_equal(inet_pton(AF_INET6, text, p.addr), 1);
    return p;
}

static void put(v6pi_trie *t, prefix p)
{
    assert_int_equal(v6pi_trie_insert(t, p.addr, p.len, p.value), 0);
}

/* The value found for text, and the length of the prefix that gave it. */
static uint32_t find(const v6pi_trie *t, const char *text, unsigned *len)
{
    uint8_t a[16];
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
    *len = 999;
    return v6pi_trie_lookup(t, a, len);
}

static void expect(const v6pi_trie *t, const char *text, uint32_t value, unsigned len)
{
    unsigned got_len;
    uint32_t got = find(t, text, &got_len);
    if (got != value || (value != V6PI_TRIE_NONE && got_len != len))
        fail_msg("%s: value %u /%u, want %u /%u", text, got, got_len, value, len);
}

static int covers(const prefix *p, const uint8_t a[16])
{
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr, a, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (p->addr[full] & mask) == (a[full] & mask);
}

/* What a longest-prefix match must answer, by looking at every prefix (the
 * last insert of a prefix wins, as in the trie). */
static uint32_t reference(const prefix *ps, size_t n, const uint8_t a[16], unsigned *len)
{
    uint32_t best = V6PI_TRIE_NONE;
    int best_len = -1;
    for (size_t i = 0; i < n; i++)
        if (covers(&ps[i], a) && (int)ps[i].len >= best_len) {
            best = ps[i].value;
            best_len = (int)ps[i].len;
        }
    *len = best_len < 0 ? 0 : (unsigned)best_len;
    return best;
}

static void test_empty(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    assert_non_null(t);
    expect(t, "2001:db8::1", V6PI_TRIE_NONE, 0);
    expect(t, "::", V6PI_TRIE_NONE, 0);
    v6pi_trie_free(t);
    v6pi_trie_free(NULL);
}

/* Nested prefixes: the longest that covers the address wins, whatever the
 * order they came in. */
static void test_longest_prefix_any_order(void **state)
{
    (void)state;
    const prefix ps[] = {pfx("2001:db8::", 32, 1), pfx("2001:db8:1::", 48, 2),
                         pfx("2001:db8:1:2::", 64, 3), pfx("2001:db8:1:2:8000::", 65, 4)};
    static const int orders[][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}};
    for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
        v6pi_trie *t = v6pi_trie_new();
        for (int i = 0; i < 4; i++)
            put(t, ps[orders[o][i]]);
        expect(t, "2001:db8:ffff::1", 1, 32);
        expect(t, "2001:db8:1:ffff::1", 2, 48);
        expect(t, "2001:db8:1:2::1", 3, 64);
        expect(t, "2001:db8:1:2:7fff:ffff:ffff:ffff", 3, 64);
        expect(t, "2001:db8:1:2:8000::1", 4, 65);
        expect(t, "2001:db9::1", V6PI_TRIE_NONE, 0);
        v6pi_trie_free(t);
    }
}

/* Siblings that share a long common stem split the compressed path in the
 * right place, and neither hides the other. */
static void test_siblings_split_path(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("2001:db8:aaaa:bbbb::", 64, 10));
    put(t, pfx("2001:db8:aaaa:bbba::", 64, 11)); /* differs in bit 63 only */
    put(t, pfx("2001:db8:aaaa::", 48, 12));
    expect(t, "2001:db8:aaaa:bbbb::5", 10, 64);
    expect(t, "2001:db8:aaaa:bbba::5", 11, 64);
    expect(t, "2001:db8:aaaa:bbb9::5", 12, 48);
    expect(t, "2001:db8:aaab::5", V6PI_TRIE_NONE, 0);
    v6pi_trie_free(t);
}

/* ::/0 covers everything and loses to any longer prefix; a /128 is one
 * address only: its neighbours fall back to the covering prefix. */
static void test_default_route_and_host(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("2001:db8:1:2::", 64, 3));
    expect(t, "3fff::1", V6PI_TRIE_NONE, 0);
    put(t, pfx("::", 0, 9));
    put(t, pfx("2001:db8:1:2::77", 128, 7));
    expect(t, "3fff::1", 9, 0);
    expect(t, "::", 9, 0);
    expect(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 9, 0);
    expect(t, "2001:db8:1:2::77", 7, 128);
    expect(t, "2001:db8:1:2::76", 3, 64);
    expect(t, "2001:db8:1:2::177", 3, 64);
    put(t, pfx("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 8));
    expect(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 8, 128);
    expect(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 9, 0);
    v6pi_trie_free(t);
}

/* Prefixes of 16 bits or fewer are spread over the first-level slots: a
 * later short prefix must not override a longer one already there, and a
 * later long one must win over the short one in its slot. */
static void test_short_prefixes_spread(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("2001:db8::", 32, 1));
    put(t, pfx("2000::", 3, 4));
    put(t, pfx("2001::", 16, 5));
    put(t, pfx("3000::", 4, 6));
    put(t, pfx("3fff:1::", 32, 2));
    expect(t, "2001:db8::1", 1, 32);
    expect(t, "2001:1::1", 5, 16);
    expect(t, "2002::1", 4, 3);
    expect(t, "3ffe::1", 6, 4);
    expect(t, "3fff:1::1", 2, 32);
    expect(t, "3fff:2::1", 6, 4);
    expect(t, "4000::1", V6PI_TRIE_NONE, 0);
    v6pi_trie_free(t);
}

/* The same prefix again replaces its value (a later table overrides an
 * earlier one); bits past the length do not make another prefix. */
static void test_replace_and_host_bits(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("2001:db8:5::", 48, 1));
    put(t, pfx("2001:db8:5::", 48, 2));
    expect(t, "2001:db8:5::1", 2, 48);
    put(t, pfx("2001:db8:6:0:ffff::1", 64, 3));
    expect(t, "2001:db8:6::1", 3, 64);
    put(t, pfx("2001:db8:6::", 64, 4));
    expect(t, "2001:db8:6::1", 4, 64);
    put(t, pfx("2001::", 16, 5));
    put(t, pfx("2001:ffff::", 16, 6)); /* the same /16 */
    expect(t, "2001:1::1", 6, 16);
    v6pi_trie_free(t);
}

/* IPv4 networks are kept as IPv4-mapped prefixes (::ffff:a.b.c.d/96+n). */
static void test_ipv4_mapped(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("::ffff:192.0.2.0", 96 + 24, 11));
    put(t, pfx("::ffff:192.0.2.128", 96 + 25, 12));
    put(t, pfx("::ffff:198.51.100.7", 128, 13));
    put(t, pfx("::ffff:0:0", 96, 14));
    expect(t, "::ffff:192.0.2.77", 11, 120);
    expect(t, "::ffff:192.0.2.200", 12, 121);
    expect(t, "::ffff:198.51.100.7", 13, 128);
    expect(t, "::ffff:198.51.100.8", 14, 96);
    expect(t, "::192.0.2.77", V6PI_TRIE_NONE, 0); /* IPv4-compatible is not mapped */
    expect(t, "64:ff9b::192.0.2.77", V6PI_TRIE_NONE, 0);
    v6pi_trie_free(t);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    return xorshift64(&rng_state);
}

/* An address near the prefixes (so that most lookups walk deep). */
static void near(const prefix *ps, size_t n, uint8_t a[16])
{
    const prefix *p = &ps[rnd() % n];
    memcpy(a, p->addr, 16);
    uint64_t r = rnd();
    unsigned from = p->len > 8 ? p->len - 8 : 0; /* also just outside the prefix */
    for (unsigned bit = from; bit < 128; bit++, r = r >> 1 | r << 63)
        if (r & 1)
            a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

static void check_against_reference(const v6pi_trie *t, const prefix *ps, size_t n, int lookups)
{
    for (int i = 0; i < lookups; i++) {
        uint8_t a[16];
        near(ps, n, a);
        unsigned want_len, got_len = 999;
        uint32_t want = reference(ps, n, a, &want_len);
        uint32_t got = v6pi_trie_lookup(t, a, &got_len);
        if (got != want || (want != V6PI_TRIE_NONE && got_len != want_len)) {
            char text[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, a, text, sizeof(text));
            fail_msg("%s: value %u /%u, want %u /%u", text, got, got_len, want, want_len);
        }
    }
}

/* A dense table like the real ones (many organisations' prefixes in a few
 * /16s, 20 levels deep): the same answers as a linear search before
 * compaction, after it, and after inserts that follow it. */
static void test_compaction_keeps_answers(void **state)
{
    (void)state;
    enum { N = 3000, MORE = 300, LOOKUPS = 3000 };
    prefix *ps = calloc(N + MORE, sizeof(*ps));
    assert_non_null(ps);
    static const char *stems[] = {"2001:db8::", "2a03:2880::", "3fff::", "::ffff:0:0"};
    v6pi_trie *t = v6pi_trie_new();
    for (size_t i = 0; i < N + MORE; i++) {
        prefix *p = &ps[i];
        *p = pfx(stems[i % 4], 0, (uint32_t)i);
        unsigned base = i % 4 == 3 ? 96 : 16;
        p->len = base + (unsigned)(rnd() % (128 - base + 1));
        for (unsigned bit = base; bit < p->len; bit++)
            if (rnd() & 1)
                p->addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        for (unsigned bit = p->len; bit < 128; bit++) /* host bits set: ignored */
            if (rnd() & 1)
                p->addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        if (i < N)
            put(t, *p);
    }
    check_against_reference(t, ps, N, LOOKUPS);
    size_t before = v6pi_trie_memory(t);
    assert_true(before > 0);
    assert_int_equal(v6pi_trie_compact(t), 0);
    check_against_reference(t, ps, N, LOOKUPS);
    for (size_t i = N; i < N + MORE; i++)
        put(t, ps[i]);
    check_against_reference(t, ps, N + MORE, LOOKUPS);
    assert_int_equal(v6pi_trie_compact(t), 0);
    check_against_reference(t, ps, N + MORE, LOOKUPS);
    v6pi_trie_free(t);
    free(ps);
}

/* The prefetching walk ends where the lookup does, node by node. */
static void test_prefetch_walk_terminates(void **state)
{
    (void)state;
    v6pi_trie *t = v6pi_trie_new();
    put(t, pfx("2001:db8::", 32, 1));
    put(t, pfx("2001:db8:1::", 48, 2));
    put(t, pfx("2001:db8:1:2::", 64, 3));
    uint8_t a[16];
    assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2::9", a), 1);
    v6pi_trie_prefetch(t, a);
    v6pi_trie_prefetch_node(t, a);
    uint32_t ni = V6PI_TRIE_START;
    int steps = 0;
    while ((ni = v6pi_trie_prefetch_step(t, a, ni)) != 0)
        assert_true(++steps < 130);
    expect(t, "2001:db8:1:2::9", 3, 64);
    v6pi_trie_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_longest_prefix_any_order),
        cmocka_unit_test(test_siblings_split_path),
        cmocka_unit_test(test_default_route_and_host),
        cmocka_unit_test(test_short_prefixes_spread),
        cmocka_unit_test(test_replace_and_host_bits),
        cmocka_unit_test(test_ipv4_mapped),
        cmocka_unit_test(test_compaction_keeps_answers),
        cmocka_unit_test(test_prefetch_walk_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
