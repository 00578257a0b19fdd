/* Helpers shared by the library's unit tests. */
#ifndef V6P_TESTUTIL_H
#define V6P_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipv6probe/ipv6probe.h"

/* 2026-11-27T17:00:00Z: the reference "now" of every test. */
#define TEST_NOW 1795798800LL

static inline v6p_parser *test_parser(void)
{
    v6p_error err;
    memset(&err, 0, sizeof(err));
    v6p_parser_options o;
    v6p_parser_options_init(&o, sizeof(o));
    o.boot_time = 1795790000LL;
    v6p_parser *p = v6p_parser_new(&o, &err);
    assert_non_null(p);
    return p;
}

/* The parser of a test group: made before its tests, freed after. */
static v6p_parser *P;

static inline int parser_setup(void **state)
{
    (void)state;
    P = test_parser();
    return 0;
}

static inline int parser_teardown(void **state)
{
    (void)state;
    v6p_parser_free(P);
    return 0;
}

/* Parse a NUL-terminated line (length from strlen) and return the status. */
static inline v6p_status parse_str(v6p_parser *p, const char *line, v6p_event *ev, v6p_result *r)
{
    return v6p_parse(p, line, strlen(line), TEST_NOW, 0, ev, r);
}

/* line parses, as format. */
static inline void expect_parsed(v6p_parser *p, const char *line, v6p_event *ev, v6p_format format)
{
    v6p_result r;
    v6p_status st = parse_str(p, line, ev, &r);
    if (st != V6P_OK)
        fail_msg("%s: %s (%s) at %u", line, v6p_status_name(st), v6p_reason_text(r.reason),
                 r.offset);
    assert_int_equal(ev->format, format);
}

/* line is refused as malformed, for the reason want. */
static inline void expect_malformed(v6p_parser *p, const char *line, v6p_reason want)
{
    v6p_event ev;
    v6p_result r;
    v6p_status st = parse_str(p, line, &ev, &r);
    if (st != V6P_MALFORMED || r.reason != want)
        fail_msg("%s: expected malformed (%s), got %s (%s)", line, v6p_reason_text(want),
                 v6p_status_name(st), v6p_reason_text(r.reason));
}

/* The JSON of an event, into a static buffer for assertions. */
static inline const char *event_json(const v6p_event *ev)
{
    static char buf[8192];
    v6p_json_writer *w = v6p_json_writer_new();
    const char *out;
    size_t n;
    assert_int_equal(v6p_json_write_event(w, ev, &out, &n), 0);
    assert_true(n < sizeof(buf));
    memcpy(buf, out, n);
    buf[n] = '\0';
    v6p_json_writer_free(w);
    return buf;
}

/* Assert that the JSON of ev contains `"key":value` (value as JSON text). */
#define assert_json_has(ev, kv)                                                                    \
    do {                                                                                           \
        const char *js_ = event_json(ev);                                                          \
        if (!strstr(js_, kv))                                                                      \
            fail_msg("expected %s in %s", kv, js_);                                                \
    } while (0)

#define assert_json_lacks(ev, key)                                                                 \
    do {                                                                                           \
        const char *js_ = event_json(ev);                                                          \
        if (strstr(js_, key))                                                                      \
            fail_msg("did not expect %s in %s", key, js_);                                         \
    } while (0)

#endif
