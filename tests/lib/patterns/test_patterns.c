/* Unit tests of patterns.c: action and direction from the log prefix.  The
 * first matching pattern of a kind decides, a site's patterns before the
 * built-in defaults; a bad regex says where and why; the memo of results
 * never answers with a stale value after the patterns change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "patterns.h"

enum { ACT = V6P_PATTERN_ACTION, DIR = V6P_PATTERN_DIRECTION };

static int match(v6pi_patterns *ps, int kind, const char *text)
{
    return v6pi_patterns_match(ps, (v6p_pattern_kind)kind, text, strlen(text));
}

static void add(v6pi_patterns *ps, int kind, const char *regex, int value, int is_default)
{
    v6p_error err;
    memset(&err, 0, sizeof(err));
    if (v6pi_patterns_add(ps, (v6p_pattern_kind)kind, regex, value, is_default, &err) != 0)
        fail_msg("%s: %s", regex, err.message);
}

static void test_first_match_wins(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    assert_non_null(ps);
    add(ps, ACT, "DROP", 1, 0);
    add(ps, ACT, "DR", 2, 0);
    add(ps, ACT, "^IPT6-", 3, 0);
    assert_int_equal(match(ps, ACT, "IPT6-DROP"), 1);
    assert_int_equal(match(ps, ACT, "IPT6-DRAIN"), 2);
    assert_int_equal(match(ps, ACT, "IPT6-ACCEPT"), 3);
    assert_int_equal(match(ps, ACT, "ufw-accept"), -1);
    v6pi_patterns_free(ps);
    v6pi_patterns_free(NULL);
}

/* Action and direction patterns are apart: a direction pattern never
 * answers an action question. */
static void test_kinds_apart(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    add(ps, DIR, "-IN$", 1, 0);
    add(ps, ACT, "DROP", 7, 0);
    assert_int_equal(match(ps, ACT, "FW-IN"), -1);
    assert_int_equal(match(ps, DIR, "FW-IN"), 1);
    assert_int_equal(match(ps, DIR, "FW-DROP"), -1);
    assert_int_equal(match(ps, ACT, "FW-DROP"), 7);
    v6pi_patterns_free(ps);
}

/* A site's pattern added after the defaults still decides before them, and
 * site patterns keep their own order. */
static void test_site_before_defaults(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    add(ps, ACT, "DROP", 1, 1);   /* built-in */
    add(ps, ACT, "REJECT", 2, 1); /* built-in */
    add(ps, ACT, "DROP", 3, 0);   /* the site's */
    add(ps, ACT, "-D", 4, 0);     /* the site's, second */
    assert_int_equal(match(ps, ACT, "FW-DROP"), 3);
    assert_int_equal(match(ps, ACT, "FW-DENY"), 4);
    assert_int_equal(match(ps, ACT, "FW-REJECT"), 2);
    add(ps, ACT, "LOG", 5, 1); /* a later default goes after the others */
    assert_int_equal(match(ps, ACT, "LOG-DROP"), 3);
    assert_int_equal(match(ps, ACT, "LOG-X"), 5);
    v6pi_patterns_free(ps);
}

/* A bad regex: refused with the offset and PCRE2's reason, and nothing is
 * added. */
static void test_bad_regex(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    v6p_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(v6pi_patterns_add(ps, V6P_PATTERN_ACTION, "DROP([", 1, 0, &err), -1);
    assert_int_equal(err.code, 2);
    assert_int_equal(err.offset, 6);
    assert_string_equal(err.message,
                        "bad pattern at offset 6: missing terminating ] for character class");
    memset(&err, 0, sizeof(err));
    assert_int_equal(v6pi_patterns_add(ps, V6P_PATTERN_ACTION, "*x", 1, 0, &err), -1);
    assert_string_equal(err.message,
                        "bad pattern at offset 0: quantifier does not follow a repeatable item");
    /* err may be NULL */
    assert_int_equal(v6pi_patterns_add(ps, V6P_PATTERN_ACTION, "a{2,1}", 1, 0, NULL), -1);
    assert_int_equal(match(ps, ACT, "DROP(["), -1);
    assert_int_equal(match(ps, ACT, "x"), -1);
    v6pi_patterns_free(ps);
}

/* At most 64 patterns: the 65th is refused with the limit in the text. */
static void test_limit(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    char re[32];
    for (int i = 0; i < 64; i++) {
        snprintf(re, sizeof(re), "^R%d$", i);
        add(ps, i % 2 ? DIR : ACT, re, i, 0);
    }
    v6p_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(v6pi_patterns_add(ps, V6P_PATTERN_ACTION, "^R64$", 64, 0, &err), -1);
    assert_string_equal(err.message, "too many patterns (at most 64)");
    assert_int_equal(match(ps, ACT, "R62"), 62);
    assert_int_equal(match(ps, DIR, "R63"), 63);
    assert_int_equal(match(ps, ACT, "R64"), -1);
    v6pi_patterns_free(ps);
}

/* clear: no pattern answers any more, the memo included; new ones can
 * follow. */
static void test_clear(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    add(ps, ACT, "DROP", 1, 1);
    add(ps, DIR, "IN", 2, 0);
    assert_int_equal(match(ps, ACT, "FW-DROP-IN"), 1);
    assert_int_equal(match(ps, DIR, "FW-DROP-IN"), 2);
    v6pi_patterns_clear(ps);
    assert_int_equal(match(ps, ACT, "FW-DROP-IN"), -1);
    assert_int_equal(match(ps, DIR, "FW-DROP-IN"), -1);
    add(ps, ACT, "FW", 9, 0);
    assert_int_equal(match(ps, ACT, "FW-DROP-IN"), 9);
    v6pi_patterns_free(ps);
}

/* The memo of results: a text answered "no match" is answered again once a
 * pattern for it is added; texts longer than the memo's keys, and texts
 * that share a memo slot's prefix, are matched whole. */
static void test_memo_never_stale(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    add(ps, ACT, "DROP", 1, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(match(ps, ACT, "FW-ACCEPT"), -1);
    add(ps, ACT, "ACCEPT", 2, 0);
    assert_int_equal(match(ps, ACT, "FW-ACCEPT"), 2);

    /* Static: PCRE2's JIT reads ahead of the subject in whole vectors, which
     * valgrind would report as a read of the stack's uninitialised bytes. */
    static char long_a[200], long_b[200];
    memset(long_a, 'x', sizeof(long_a) - 1);
    long_a[sizeof(long_a) - 1] = '\0';
    memcpy(long_b, long_a, sizeof(long_b));
    memcpy(long_b + 150, "DROP", 4); /* past any memo key length */
    assert_int_equal(match(ps, ACT, long_a), -1);
    assert_int_equal(match(ps, ACT, long_b), 1);
    assert_int_equal(match(ps, ACT, long_a), -1);
    v6pi_patterns_free(ps);
}

/* The text is len bytes, not NUL-terminated: what lies past it is not
 * matched. */
static void test_length_bounds_text(void **state)
{
    (void)state;
    v6pi_patterns *ps = v6pi_patterns_new();
    add(ps, ACT, "DROP$", 1, 0);
    const char *line = "FW-DROPPED";
    assert_int_equal(v6pi_patterns_match(ps, V6P_PATTERN_ACTION, line, 7), 1);
    assert_int_equal(v6pi_patterns_match(ps, V6P_PATTERN_ACTION, line, 6), -1);
    assert_int_equal(v6pi_patterns_match(ps, V6P_PATTERN_ACTION, line, strlen(line)), -1);
    v6pi_patterns_free(ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_kinds_apart),
        cmocka_unit_test(test_site_before_defaults),
        cmocka_unit_test(test_bad_regex),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_memo_never_stale),
        cmocka_unit_test(test_length_bounds_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
