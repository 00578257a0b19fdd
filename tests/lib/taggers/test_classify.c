/* Source classification: the trie against a brute-force reference, YAML
 * tables and their errors, override order, the bundled table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify.h" /* v6pi_classify_clone */
#include "tagtest.h"
#include "xorshift.h"

static const char *bundled_path;

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

typedef struct ref {
    uint8_t a[16];
    unsigned len;
} ref;

static int covers(const ref *r, const uint8_t *a)
{
    for (unsigned b = 0; b < r->len; b++) {
        unsigned m = 0x80u >> (b % 8);
        if ((r->a[b / 8] & m) != (a[b / 8] & m))
            return 0;
    }
    return 1;
}

static void fmt_prefix(const ref *r, char *buf, size_t cap)
{
    char t[INET6_ADDRSTRLEN];
    static const uint8_t v4pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (r->len >= 96 && memcmp(r->a, v4pre, 12) == 0) {
        inet_ntop(AF_INET, r->a + 12, t, sizeof(t));
        snprintf(buf, cap, "%s/%u", t, r->len - 96);
    } else {
        inet_ntop(AF_INET6, r->a, t, sizeof(t));
        snprintf(buf, cap, "%s/%u", t, r->len);
    }
}

/* nbase bases: 40 spreads the prefixes thin; 2 makes subtrees of thousands
 * of nodes, which the relaid trie walks through jump tables. */
static void check_brute_force(int nbase, int nq)
{
    enum { NPREF = 3000 };
    uint8_t base[40][16];
    for (int i = 0; i < nbase; i++) {
        for (int j = 0; j < 16; j++)
            base[i][j] = (uint8_t)rnd();
        if (i % 4 == 0) { /* some IPv4-mapped bases */
            memset(base[i], 0, 10);
            base[i][10] = base[i][11] = 0xff;
        }
        if (i % 4 == 1)
            base[i][0] = 0x20; /* 2000::/3 shares its first bits */
    }
    ref *refs = calloc(NPREF, sizeof(*refs));
    v6p_classify *c = v6p_classify_new(NULL);
    v6p_classify *cc = NULL; /* a clone made half-way: its trie relaid, then grown */
    assert_non_null(c);
    char pbuf[64], org[32];
    v6p_error err = {0};
    for (int i = 0; i < NPREF; i++) {
        ref *r = &refs[i];
        int b = (int)(rnd() % (unsigned)nbase);
        memcpy(r->a, base[b], 16);
        /* Perturb some low bits so that prefixes nest and part at every
         * depth, IPv4 ones inside ::ffff:0:0/96. */
        int v4 = b % 4 == 0;
        r->len = v4 ? 96 + (unsigned)(rnd() % 33) : (unsigned)(rnd() % 129);
        if (i % 7 == 0 && !v4)
            r->len = (unsigned)(rnd() % 17); /* short ones */
        for (int k = 0; k < 3; k++) {
            unsigned bit = (v4 ? 96 : 8) + (unsigned)(rnd() % (v4 ? 32 : 120));
            r->a[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
        }
        for (unsigned bit = r->len; bit < 128; bit++)
            r->a[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
        fmt_prefix(r, pbuf, sizeof(pbuf));
        snprintf(org, sizeof(org), "e%d", i);
        assert_int_equal(v6p_classify_add(c, pbuf, org, "cloud", "https://example.org/", &err), 0);
        if (cc)
            assert_int_equal(v6p_classify_add(cc, pbuf, org, "cloud", "https://example.org/", &err),
                             0);
        if (i == NPREF / 2)
            assert_non_null(cc = v6pi_classify_clone(c));
    }
    /* Relaid with every prefix in: what a loaded table is (jump tables on). */
    v6p_classify *cf = v6pi_classify_clone(c);
    assert_non_null(cf);
    int hits = 0;
    for (int q = 0; q < nq; q++) {
        uint8_t a[16];
        const ref *src = &refs[rnd() % NPREF];
        memcpy(a, src->a, 16);
        unsigned flips = (unsigned)(rnd() % 3);
        for (unsigned k = 0; k < flips; k++) {
            unsigned bit = (unsigned)(rnd() % 128);
            a[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
        }
        if (q % 5 == 0)
            for (int j = 0; j < 16; j++)
                a[j] = (uint8_t)rnd();
        /* Reference: longest covering prefix, the latest entry on a tie. */
        int best = -1;
        for (int i = 0; i < NPREF; i++)
            if (covers(&refs[i], a) && (best < 0 || refs[i].len >= refs[best].len))
                best = i;
        struct in6_addr ia;
        memcpy(ia.s6_addr, a, 16);
        const v6p_classify_entry *e = v6p_classify_lookup(c, &ia);
        const v6p_classify_entry *ce = v6p_classify_lookup(cc, &ia);
        assert_true(e == NULL ? ce == NULL : ce && strcmp(e->org, ce->org) == 0);
        ce = v6p_classify_lookup(cf, &ia);
        assert_true(e == NULL ? ce == NULL : ce && strcmp(e->org, ce->org) == 0);
        if (best < 0) {
            assert_null(e);
        } else {
            assert_non_null(e);
            snprintf(org, sizeof(org), "e%d", best);
            assert_string_equal(e->org, org);
            assert_int_equal(e->prefix_len, refs[best].len);
            hits++;
        }
    }
    assert_true(hits > nq / 2); /* the queries did exercise matches */
    free(refs);
    v6p_classify_free(c);
    v6p_classify_free(cc);
    v6p_classify_free(cf);
}

static void trie_matches_brute_force(void **state)
{
    (void)state;
    check_brute_force(40, 20000);
}

static void dense_trie_matches_brute_force(void **state)
{
    (void)state;
    check_brute_force(2, 5000);
}

static char tmpdir[] = "/tmp/v6p-classify-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Load text and return the error message after the file name. */
static const char *load_error(const char *text)
{
    static char msg[300];
    const char *path = write_file("t.yaml", text);
    v6p_classify *c = v6p_classify_new(NULL);
    v6p_error err = {0};
    int rc = v6p_classify_add_yaml(c, path, &err);
    v6p_classify_free(c);
    if (rc == 0)
        return "(loaded)";
    assert_int_equal(err.code, EINVAL);
    size_t n = strlen(path);
    assert_memory_equal(err.message, path, n);
    snprintf(msg, sizeof(msg), "%s", err.message + n);
    return msg;
}

#define HEAD "version: 1\nentries:\n"
#define GOOD                                                                                       \
    "  - prefix: 2001:db8::/32\n    org: A\n    category: cdn\n    source: https://a.example/\n"

static void yaml_errors_have_positions(void **state)
{
    (void)state;
    assert_string_equal(load_error(HEAD GOOD), "(loaded)");
    assert_string_equal(load_error(HEAD "  - prefix: 2001:db8::1/32\n    org: A\n    category: "
                                        "cdn\n    source: https://a.example/\n"),
                        ":3:13: bad prefix '2001:db8::1/32': host bits set past the prefix length");
    assert_string_equal(load_error(HEAD "  - prefix: 2001:db8::/32\n    org: A\n    category: "
                                        "cdn\n"),
                        ":3:5: entry lacks 'source'");
    assert_string_equal(load_error(HEAD GOOD "  - prefix: 2001:db8::/129\n    org: A\n"
                                             "    category: cdn\n    source: https://x/\n"),
                        ":7:13: bad prefix '2001:db8::/129': IPv6 prefix length over 128");
    assert_string_equal(load_error(HEAD "  - prefix: 2001:db8::/32\n    org: A\n    category: "
                                        "Big CDN\n    source: https://a.example/\n"),
                        ":5:15: category 'Big CDN' must be lower_snake_case");
    assert_string_equal(load_error("version: 2\nentries:\n"),
                        ":1:10: unsupported version (this library reads version 1)");
    assert_string_equal(load_error("version: 1\nentries:\nextra: 1\n"),
                        ":3:1: unknown top-level key 'extra'");
    assert_string_equal(load_error(HEAD GOOD GOOD), ":7:13: prefix already listed at line 3");
    assert_string_equal(load_error(HEAD GOOD "    org: B\n"), ":7:5: duplicate key 'org'");
    assert_string_equal(load_error("entries:\n"), ":1:1: missing 'version: 1'");
    /* A syntax error, positioned by libyaml. */
    assert_string_equal(load_error(HEAD "  - prefix: [2001:db8::/32\n"),
                        ":3:13: 'prefix' must be a plain value");
    const char *m = load_error(HEAD "  - prefix: 2001:db8::/32\n    org: A: B\n");
    assert_memory_equal(m, ":4:", 3);
    assert_non_null(strstr(m, "mapping values are not allowed"));
    /* Unknown keys of an entry are ignored: a newer file still loads. */
    assert_string_equal(load_error(HEAD GOOD "    note: since 2024\n    asn: 13335\n"), "(loaded)");

    v6p_error err = {0};
    v6p_classify *c = v6p_classify_new(NULL);
    assert_int_equal(v6p_classify_add_yaml(c, "/nonexistent/x.yaml", &err), -1);
    assert_int_equal(err.code, ENOENT);
    assert_non_null(strstr(err.message, "/nonexistent/x.yaml:"));
    v6p_classify_free(c);
}

static void later_tables_override(void **state)
{
    (void)state;
    const char *a = strdup(write_file(
        "a.yaml", HEAD GOOD "  - prefix: 2001:db8:1::/48\n    org: A48\n    category: isp\n"
                            "    source: https://a.example/\n"
                            "  - prefix: 192.0.2.0/24\n    org: A4\n    category: cloud\n"
                            "    source: https://a.example/\n"));
    const char *b = strdup(write_file(
        "b.yaml", HEAD "  - prefix: 2001:db8::/32\n    org: B\n    category: research_scanner\n"
                       "    source: https://b.example/\n    note: from b\n"));
    const char *bad = strdup(write_file("bad.yaml", HEAD "  - prefix: nonsense\n"));
    v6p_error err = {0};
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    assert_int_equal(v6p_taggers_load_classify_yaml(t, a, &err), 0);
    assert_int_equal(v6p_taggers_load_classify_yaml(t, b, &err), 0);
    assert_int_equal(v6p_taggers_load_classify_yaml(t, bad, &err), -1);

    v6p_event ev;
    tt_echo(&ev, "2001:db8:5::1", "2001:db8:99::1", 1700000000, 50);
    v6p_taggers_apply(t, &ev);
    assert_string_equal(ev.src_org, "B"); /* the later table */
    assert_string_equal(ev.src_category, "research_scanner");
    assert_true(ev.tags & V6P_TAG_KNOWN_SCANNER);
    tt_echo(&ev, "2001:db8:1::1", "2001:db8:99::1", 1700000000, 50);
    v6p_taggers_apply(t, &ev);
    assert_string_equal(ev.src_org, "A48"); /* longer prefix, earlier table */
    assert_false(ev.tags & V6P_TAG_KNOWN_SCANNER);
    tt_echo(&ev, "192.0.2.77", "198.51.100.1", 1700000000, 50);
    v6p_taggers_apply(t, &ev);
    assert_string_equal(ev.src_org, "A4");
    tt_echo(&ev, "3fff::1", "2001:db8:99::1", 1700000000, 50);
    v6p_taggers_apply(t, &ev);
    assert_false(v6p_event_has(&ev, V6P_F_SRC_ORG));
    assert_false(v6p_event_has(&ev, V6P_F_SRC_ASN)); /* no AS database: absent */

    v6p_taggers_stats st;
    v6p_taggers_get_stats(t, &st, sizeof(st));
    assert_int_equal(st.classify_entries, 4);

    /* Reload: build a new set and swap it in. */
    v6p_classify *c = v6p_classify_new(NULL);
    assert_int_equal(v6p_classify_add_yaml(c, b, &err), 0);
    v6p_taggers_set_classify(t, c);
    tt_echo(&ev, "2001:db8:1::1", "2001:db8:99::1", 1700000000, 50);
    v6p_taggers_apply(t, &ev);
    assert_string_equal(ev.src_org, "B");
    v6p_taggers_free(t);
    free((void *)a);
    free((void *)b);
    free((void *)bad);
}

#define ASN(n, org, cat)                                                                           \
    "  - asn: " n "\n    org: " org "\n    category: " cat "\n    source: https://r.example/\n"

static void asn_tables(void **state)
{
    (void)state;
    /* Errors, positioned like those of prefix entries. */
    assert_string_equal(load_error("version: 1\nasns:\n" ASN("20940", "Akamai", "cdn")),
                        "(loaded)");
    assert_string_equal(load_error("version: 1\nasns:\n" ASN("AS0", "X", "cdn")),
                        ":3:10: bad AS number 'AS0'");
    assert_string_equal(load_error("version: 1\nasns:\n" ASN("4294967296", "X", "cdn")),
                        ":3:10: bad AS number '4294967296'");
    assert_string_equal(load_error("version: 1\nasns:\n" ASN("12x", "X", "cdn")),
                        ":3:10: bad AS number '12x'");
    assert_string_equal(
        load_error("version: 1\nasns:\n" ASN("1", "X", "cdn") ASN("AS1", "Y", "isp")),
        ":7:10: AS1 already listed at line 3");
    assert_string_equal(load_error("version: 1\nasns:\n  - asn: 5\n    org: X\n"),
                        ":3:5: entry lacks 'category'");
    assert_string_equal(load_error("version: 1\nasns: 5\n"), ":2:7: 'asns' must be a list");
    assert_string_equal(load_error("version: 1\n"), ":1:1: missing 'entries:' (or 'asns:')");

    /* Both lists in one file; a later table replaces an AS entry. */
    const char *a = strdup(write_file("as-a.yaml", HEAD GOOD
                                      "asns:\n" ASN("32934", "Facebook", "content_provider")
                                          ASN("AS398324", "Censys", "research_scanner")));
    const char *b = strdup(
        write_file("as-b.yaml", "version: 1\nasns:\n" ASN("32934", "Meta", "content_provider")));
    v6p_error err = {0};
    v6p_classify *c = v6p_classify_new(NULL);
    assert_int_equal(v6p_classify_add_yaml(c, a, &err), 0);
    assert_int_equal(v6p_classify_add_yaml(c, b, &err), 0);
    assert_int_equal(v6p_classify_count(c), 1);
    assert_int_equal(v6p_classify_asn_count(c), 2);
    const v6p_classify_asn_entry *e = v6p_classify_lookup_asn(c, 32934);
    assert_non_null(e);
    assert_string_equal(e->org, "Meta");
    e = v6p_classify_lookup_asn(c, 398324);
    assert_non_null(e);
    assert_string_equal(e->category, "research_scanner");
    assert_null(v6p_classify_lookup_asn(c, 398325));
    assert_null(v6p_classify_lookup_asn(c, 1));
    /* Added one by one, in any order: still found by binary search. */
    for (uint32_t n = 994; n > 0; n -= 7)
        assert_int_equal(v6p_classify_add_asn(c, n * 13, "N", "isp", "https://n/", &err), 0);
    for (uint32_t n = 994; n > 0; n -= 7)
        assert_int_equal(v6p_classify_lookup_asn(c, n * 13)->asn, n * 13);
    assert_int_equal(v6p_classify_add_asn(c, 0, "N", "isp", "https://n/", &err), -1);
    assert_int_equal(v6p_classify_add_asn(c, 5, "N", "Not Snake", "https://n/", &err), -1);
    /* A clone (what a reload of one table builds on) keeps the AS entries. */
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    v6p_taggers_set_classify(t, c);
    assert_int_equal(v6p_taggers_load_classify_yaml(t, b, &err), 0);
    v6p_taggers_stats st;
    v6p_taggers_get_stats(t, &st, sizeof(st));
    assert_int_equal(st.classify_asns, 2 + 142);
    assert_int_equal(st.asn_lookup_errors, 0);
    v6p_taggers_free(t);
    free((void *)a);
    free((void *)b);
}

static void bundled_table(void **state)
{
    (void)state;
    if (!bundled_path)
        skip();
    v6p_classify *c = v6p_classify_new(NULL);
    v6p_error err = {0};
    if (v6p_classify_add_yaml(c, bundled_path, &err) != 0)
        fail_msg("%s", err.message);
    assert_true(v6p_classify_count(c) >= 10);
    struct in6_addr a = tt_addr("2606:4700::6810:85e5");
    const v6p_classify_entry *e = v6p_classify_lookup(c, &a);
    assert_non_null(e);
    assert_string_equal(e->org, "Cloudflare");
    assert_string_equal(e->category, "cdn");
    assert_memory_equal(e->source, "https://", 8);
    v6p_classify_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        bundled_path = argv[1];
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trie_matches_brute_force),
        cmocka_unit_test(dense_trie_matches_brute_force),
        cmocka_unit_test(yaml_errors_have_positions),
        cmocka_unit_test(later_tables_override),
        cmocka_unit_test(asn_tables),
        cmocka_unit_test(bundled_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
