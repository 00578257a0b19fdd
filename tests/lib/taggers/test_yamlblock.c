/* The plain block scanner (yamlblock.c) against libyaml: whatever the
 * scanner accepts, libyaml must read to the same entries; whatever it
 * refuses goes to libyaml, so a load gives libyaml's result and error.  On
 * the bundled tables, on hand-written documents at the edges of the subset,
 * and on many random mutations of a small table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify.h"
#include "xorshift.h"

static const char *bundled[2];
static char tmpdir[] = "/tmp/v6p-yamlblock-XXXXXX";

static const char *write_text(const char *text, size_t len)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/t.yaml", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

typedef struct load {
    v6p_classify *c;
    int rc, plain;
    v6p_error err;
} load;

static load load_as(const char *path, int how)
{
    load l;
    memset(&l, 0, sizeof(l));
    l.c = v6p_classify_new(NULL);
    assert_non_null(l.c);
    l.rc = v6pi_classify_add_yaml_how(l.c, path, how, &l.plain, &l.err);
    return l;
}

/* The property, for one text.  Returns whether the scanner took it. */
static int check_text(const char *text, size_t len)
{
    const char *path = write_text(text, len);
    load plain = load_as(path, V6PI_YAML_PLAIN);
    load lib = load_as(path, V6PI_YAML_LIBYAML);
    load aut = load_as(path, V6PI_YAML_AUTO);
    if (plain.rc == 0) {
        if (lib.rc != 0)
            fail_msg("the scanner took what libyaml refuses (%s):\n%.*s", lib.err.message, (int)len,
                     text);
        assert_true(v6pi_classify_same(plain.c, lib.c));
        assert_true(aut.plain);
    } else {
        assert_false(aut.plain);
    }
    /* Whichever reader was used, the load is libyaml's. */
    assert_int_equal(aut.rc, lib.rc);
    if (lib.rc == 0)
        assert_true(v6pi_classify_same(aut.c, lib.c));
    else
        assert_string_equal(aut.err.message, lib.err.message);
    v6p_classify_free(plain.c);
    v6p_classify_free(lib.c);
    v6p_classify_free(aut.c);
    return plain.rc == 0;
}

static void bundled_tables_take_the_fast_path(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        if (!bundled[i])
            skip();
        load plain = load_as(bundled[i], V6PI_YAML_PLAIN);
        if (plain.rc != 0)
            fail_msg("%s", plain.err.message);
        load lib = load_as(bundled[i], V6PI_YAML_LIBYAML);
        assert_int_equal(lib.rc, 0);
        assert_true(v6p_classify_count(lib.c) + v6p_classify_asn_count(lib.c) > 10);
        assert_true(v6pi_classify_same(plain.c, lib.c));
        load aut = load_as(bundled[i], V6PI_YAML_AUTO);
        assert_true(aut.plain);
        v6p_classify_free(plain.c);
        v6p_classify_free(lib.c);
        v6p_classify_free(aut.c);
    }
}

#define ENTRY(pfx, extra)                                                                          \
    "  - prefix: " pfx "\n    org: Example Org, Inc.\n    category: cdn\n"                         \
    "    source: https://example.net/ranges.txt\n" extra

static const struct {
    const char *text;
    int plain; /* 1: the scanner must take it */
} cases[] = {
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", ""), 1},
    /* a list flush with its key, comments, blank lines, trailing spaces */
    {"# head\nversion: 1   \n\nentries:\n- prefix: 2001:db8::/32\n  org: A\n  # c\n"
     "  category: isp\n  source: http://a/\n\n- prefix: 192.0.2.0/24\n  org: B\n"
     "  category: cdn\n  source: https://b/\n",
     1},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: seen 2024-01-01\n    extra: x\n")
         ENTRY("2001:db8:1::/48", ""),
     1},
    {"version: 1\nasns:\n  - asn: AS20940\n    org: A\n    category: cdn\n    source: https://a/\n"
     "entries:\n" ENTRY("2001:db8::/32", ""),
     1},
    {"version: 1\nentries:\n", 1}, /* an empty list */
    /* at the edges: libyaml reads these */
    {"version: 1\nentries:\n" ENTRY("'2001:db8::/32'", ""), 0},
    {"version: 1\nentries:\n" ENTRY("\"2001:db8::/32\"", ""), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32 # a comment", ""), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: n  # a comment\n"), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: a#b\n"), 0},
    {"version: 1\r\nentries:\r\n" ENTRY("2001:db8::/32", ""), 0},
    {"version: 1\nentries:\n\t- prefix: 2001:db8::/32\n", 0},
    {"---\nversion: 1\nentries:\n" ENTRY("2001:db8::/32", "") "...\n", 0},
    {"version: 1\nentries: [{prefix: 2001:db8::/32, org: A, category: cdn, source: "
     "https://a/}]\n",
     0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: two\n      lines\n"), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: caf\xc3\xa9\n"), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note:\n      deep: x\n"), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note: &a x\n"), 0},
    {"\xef\xbb\xbfversion: 1\nentries:\n" ENTRY("2001:db8::/32", ""), 0},
    /* errors: libyaml's words whatever the scanner did */
    {"", 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "") ENTRY("2001:db8::/32", ""), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::1/32", ""), 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    org: B\n"), 0},
    {"version: 1\nentries:\n  - prefix: 2001:db8::/32\n    org: A: B\n", 0},
    {"version: 1\nentries:\n  - prefix: 2001:db8::/32\n   org: A\n", 0},
    {"version: 1\nentries:\n    - prefix: 2001:db8::/32\n  - prefix: x\n", 0},
    {"- version: 1\n", 0},
    {"version: 1\nversion: 1\nentries:\n", 0},
    {"  version: 1\nentries:\n", 0},
    {"version: 1\nentries:\n  - 2001:db8::/32\n", 0},
    {"version: 1\nentries:\n" ENTRY("2001:db8::/32", "    note:\n"), 0},
};

static void edges_match_libyaml(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int took = check_text(cases[i].text, strlen(cases[i].text));
        if (cases[i].plain && !took)
            fail_msg("case %zu: the scanner refused:\n%s", i, cases[i].text);
    }
}

/* Random edits of a small table: inserted, deleted and replaced bytes drawn
 * from what YAML treats specially, and some it does not. */
static void mutations_match_libyaml(void **state)
{
    (void)state;
    static const char base[] = "version: 1\nentries:\n" ENTRY(
        "2001:db8::/32",
        "    note: n\n") "  - prefix: 192.0.2.0/24\n    org: B\n    category: isp\n    source: "
                         "http://b/\n"
                         "asns:\n- asn: 13335\n  org: C\n  category: cdn\n  source: https://c/\n";
    static const char special[] = " -:#\n'\"\t[]{},&*!|>%@`?\r\\x9 a0._/ a0._/ a0._/ a0._/";
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    char buf[sizeof(base) + 64];
    int took = 0, runs = 3000;
    assert_true(check_text(base, sizeof(base) - 1));
    for (int r = 0; r < runs; r++) {
        size_t n = sizeof(base) - 1;
        memcpy(buf, base, n);
        int edits = 1 + (int)(xorshift64(&rng) % 3);
        for (int e = 0; e < edits && n + 1 < sizeof(buf); e++) {
            size_t at = xorshift64(&rng) % n;
            char c = special[xorshift64(&rng) % (sizeof(special) - 1)];
            switch (xorshift64(&rng) % 3) {
            case 0:
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
                break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            default:
                buf[at] = c;
            }
        }
        took += check_text(buf, n);
    }
    print_message("the scanner took %d of %d\n", took, runs);
    /* Both sides of the property were exercised. */
    assert_true(took > runs / 20 && took < runs - runs / 20);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc && i <= 2; i++)
        bundled[i - 1] = argv[i];
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundled_tables_take_the_fast_path),
        cmocka_unit_test(edges_match_libyaml),
        cmocka_unit_test(mutations_match_libyaml),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
