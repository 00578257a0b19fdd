/* The record builder and the string encoder: escaping, UTF-8 repair,
 * records far beyond any fixed buffer, numbers, nesting and its misuse.
 * Records are read back with yajl, a parser that shares no code with the
 * writer. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "ipv6probe/json.h"

static const char *finish(v6p_json_builder *b, size_t *len)
{
    const char *out = NULL;
    size_t n = 0;
    v6p_error err;
    memset(&err, 0, sizeof(err));
    int rc = v6p_json_builder_finish(b, &out, &n, &err);
    if (rc != 0)
        fail_msg("finish: %s", err.message);
    assert_int_equal(strlen(out), n);
    if (len)
        *len = n;
    return out;
}

static yajl_val parse(const char *text)
{
    char errbuf[256];
    yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));
    if (!v)
        fail_msg("not JSON (%s): %s", errbuf, text);
    return v;
}

static yajl_val get(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* One string through the builder, as the text it wrote. */
static const char *one_string(v6p_json_builder *b, const char *s, size_t n)
{
    v6p_json_builder_reset(b);
    v6p_json_string(b, NULL, s, n);
    return finish(b, NULL);
}

static void escaping(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    assert_non_null(b);
    assert_string_equal(one_string(b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(one_string(b, "\n\t\r", 3), "\"\\n\\t\\r\"");
    assert_string_equal(one_string(b, "\x01\x1f", 2), "\"\\u0001\\u001f\"");
    /* A NUL inside the span is a byte like any other. */
    assert_string_equal(one_string(b, "a\0b", 3), "\"a\\u0000b\"");
    /* Keys are strings too. */
    v6p_json_builder_reset(b);
    v6p_json_object_begin(b, NULL);
    v6p_json_uint(b, "we\"ird", 1);
    v6p_json_object_end(b);
    assert_string_equal(finish(b, NULL), "{\"we\\\"ird\":1}");
    /* Long clean ASCII (the eight-bytes-at-a-time path) and a quote at
     * every position of a word. */
    char s[40];
    for (int at = 0; at < 24; at++) {
        memset(s, 'x', 24);
        s[at] = '"';
        char want[64];
        snprintf(want, sizeof(want), "\"%.*s\\\"%.*s\"", at, s, 23 - at, s + at + 1);
        assert_string_equal(one_string(b, s, 24), want);
    }
    v6p_json_builder_free(b);
}

static void utf8_replacement(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    /* Well-formed sequences pass as they are. */
    assert_string_equal(one_string(b, "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80", 15),
                        "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"");
    assert_int_equal(v6p_json_builder_replaced(b), 0);
    /* A lone continuation byte, an overlong '/', a surrogate, a cut
     * sequence at the end: one U+FFFD per byte that starts no sequence. */
    assert_string_equal(one_string(b, "a\x80z", 3), "\"a\xef\xbf\xbdz\"");
    assert_int_equal(v6p_json_builder_replaced(b), 1);
    assert_string_equal(one_string(b, "\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    assert_string_equal(one_string(b, "\xed\xa0\x80", 3),
                        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    assert_string_equal(one_string(b, "ok\xe2\x82", 4), "\"ok\xef\xbf\xbd\xef\xbf\xbd\"");
    assert_int_equal(v6p_json_builder_replaced(b), 1 + 2 + 3 + 2);
    /* The result is valid for a strict parser. */
    yajl_tree_free(parse(one_string(b, "\xff\xfe\x80 host", 8)));
    v6p_json_builder_free(b);
}

/* v6p_json_bytes keeps every byte: read back, each code point is a byte. */
static void bytes_exact(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    char in[256];
    for (int i = 0; i < 256; i++)
        in[i] = (char)i;
    v6p_json_object_begin(b, NULL);
    v6p_json_bytes(b, "raw", in, sizeof(in));
    v6p_json_object_end(b);
    yajl_val v = parse(finish(b, NULL));
    const unsigned char *back = (const unsigned char *)YAJL_GET_STRING(get(v, "raw"));
    /* yajl gives UTF-8: U+0000..U+00FF as one or two bytes. */
    size_t k = 1; /* U+0000 ends yajl's C string: start after it */
    for (int i = 1; i < 256; i++) {
        unsigned cp =
            back[k] < 0x80 ? back[k++] : (unsigned)((back[k] & 0x1f) << 6 | (back[k + 1] & 0x3f));
        if (i >= 0x80)
            k += 2;
        assert_int_equal(cp, i);
    }
    yajl_tree_free(v);
    v6p_json_builder_free(b);
}

/* A record far larger than the 4 KiB start and the old 8 KiB limit: every
 * element arrives, nothing is cut. */
static void growth(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    v6p_json_object_begin(b, NULL);
    v6p_json_uint(b, "schema", 1);
    v6p_json_array_begin(b, "routers");
    for (int i = 0; i < 5000; i++) {
        char a[64];
        int n = snprintf(a, sizeof(a), "2001:db8:%x::%x", i, i * 7);
        v6p_json_string(b, NULL, a, (size_t)n);
    }
    v6p_json_array_end(b);
    v6p_json_cstring(b, "end", "gap");
    v6p_json_object_end(b);
    size_t len;
    const char *text = finish(b, &len);
    assert_true(len > 64 * 1024);
    yajl_val v = parse(text);
    yajl_val arr = get(v, "routers");
    assert_true(YAJL_IS_ARRAY(arr));
    assert_int_equal(YAJL_GET_ARRAY(arr)->len, 5000);
    assert_string_equal(YAJL_GET_STRING(YAJL_GET_ARRAY(arr)->values[4999]), "2001:db8:1387::88b1");
    assert_string_equal(YAJL_GET_STRING(get(v, "end")), "gap");
    yajl_tree_free(v);
    /* One long string: the growth inside a value. */
    char *big = malloc(100000);
    memset(big, '\x01', 100000);
    v6p_json_builder_reset(b);
    v6p_json_string(b, NULL, big, 100000);
    assert_int_equal(strlen(finish(b, NULL)), 100000 * 6 + 2);
    free(big);
    v6p_json_builder_free(b);
}

static void numbers(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    v6p_json_object_begin(b, NULL);
    v6p_json_uint(b, "u0", 0);
    v6p_json_uint(b, "umax", UINT64_MAX);
    v6p_json_int(b, "imin", INT64_MIN);
    v6p_json_int(b, "ineg", -42);
    v6p_json_double(b, "d", 2.0 / 3.0, 3);
    v6p_json_double(b, "d0", 1e20, 0);
    v6p_json_double(b, "nan", NAN, 3);
    v6p_json_double(b, "inf", -INFINITY, 3);
    v6p_json_time(b, "t", 1700000000, 42);
    v6p_json_time(b, "tneg", -1, 999999);
    v6p_json_bool(b, "yes", 1);
    v6p_json_bool(b, "no", 0);
    v6p_json_null(b, "nothing");
    v6p_json_raw(b, "raw", "{\"a\":[1,2]}", 11);
    v6p_json_object_end(b);
    assert_string_equal(finish(b, NULL),
                        "{\"u0\":0,\"umax\":18446744073709551615,\"imin\":-9223372036854775808,"
                        "\"ineg\":-42,\"d\":0.667,\"d0\":100000000000000000000,\"nan\":null,"
                        "\"inf\":null,\"t\":1700000000.000042,\"tneg\":-1.999999,\"yes\":true,"
                        "\"no\":false,\"nothing\":null,\"raw\":{\"a\":[1,2]}}");
    /* Every power of ten and its neighbours (the digit count is computed,
     * not searched). */
    uint64_t p = 1;
    for (int i = 0; i < 20; i++, p *= 10)
        for (int d = -1; d <= 1; d++) {
            uint64_t v = p + (uint64_t)(int64_t)d;
            char want[32];
            snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
            v6p_json_builder_reset(b);
            v6p_json_uint(b, NULL, v);
            assert_string_equal(finish(b, NULL), want);
        }
    v6p_json_builder_free(b);
}

static void nesting(void **state)
{
    (void)state;
    v6p_json_builder *b = v6p_json_builder_new();
    v6p_json_array_begin(b, NULL);
    v6p_json_object_begin(b, NULL);
    v6p_json_array_begin(b, "a");
    v6p_json_array_end(b);
    v6p_json_object_begin(b, "o");
    v6p_json_object_end(b);
    v6p_json_object_end(b);
    v6p_json_uint(b, NULL, 2);
    v6p_json_array_end(b);
    assert_string_equal(finish(b, NULL), "[{\"a\":[],\"o\":{}},2]");

    const char *out;
    size_t len;
    v6p_error err;
    /* Still open. */
    v6p_json_builder_reset(b);
    v6p_json_object_begin(b, NULL);
    assert_int_equal(v6p_json_builder_finish(b, &out, &len, &err), -1);
    assert_int_equal(err.code, EINVAL);
    /* The wrong end. */
    v6p_json_builder_reset(b);
    v6p_json_object_begin(b, NULL);
    v6p_json_array_end(b);
    assert_int_equal(v6p_json_builder_finish(b, &out, &len, &err), -1);
    /* Two top values. */
    v6p_json_builder_reset(b);
    v6p_json_uint(b, NULL, 1);
    v6p_json_uint(b, NULL, 2);
    assert_int_equal(v6p_json_builder_finish(b, &out, &len, &err), -1);
    /* Too deep. */
    v6p_json_builder_reset(b);
    for (int i = 0; i <= V6P_JSON_MAX_DEPTH; i++)
        v6p_json_array_begin(b, NULL);
    for (int i = 0; i <= V6P_JSON_MAX_DEPTH; i++)
        v6p_json_array_end(b);
    assert_int_equal(v6p_json_builder_finish(b, &out, &len, &err), -1);
    /* As deep as allowed. */
    v6p_json_builder_reset(b);
    for (int i = 0; i < V6P_JSON_MAX_DEPTH; i++)
        v6p_json_array_begin(b, NULL);
    for (int i = 0; i < V6P_JSON_MAX_DEPTH; i++)
        v6p_json_array_end(b);
    assert_int_equal(strlen(finish(b, NULL)), 2 * V6P_JSON_MAX_DEPTH);
    v6p_json_builder_free(b);
}

/* The event writer and the builder share the buffer code: an event with
 * every kind of value still reads back. */
static void event_still_written(void **state)
{
    (void)state;
    v6p_json_writer *w = v6p_json_writer_new();
    v6p_event ev;
    v6p_event_reset(&ev);
    ev.time_sec = 1700000000;
    ev.time_usec = 5;
    v6p_event_mark(&ev, V6P_F_TIME);
    ev.dvc.ptr = "h\xffst";
    ev.dvc.len = 4;
    v6p_event_mark(&ev, V6P_F_DVC);
    ev.dest_pe = true;
    v6p_event_mark(&ev, V6P_F_DEST_PE);
    ev.dest_age = -3;
    v6p_event_mark(&ev, V6P_F_DEST_AGE);
    const char *out;
    size_t len;
    assert_int_equal(v6p_json_write_event(w, &ev, &out, &len), 0);
    assert_string_equal(out, "{\"schema\":1,\"time\":1700000000.000005,\"dvc\":\"h\xef\xbf\xbdst\","
                             "\"dest_pe\":true,\"dest_age\":-3}");
    assert_int_equal(v6p_json_writer_replaced(w), 1);
    v6p_json_writer_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaping),
        cmocka_unit_test(utf8_replacement),
        cmocka_unit_test(bytes_exact),
        cmocka_unit_test(growth),
        cmocka_unit_test(numbers),
        cmocka_unit_test(nesting),
        cmocka_unit_test(event_still_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
