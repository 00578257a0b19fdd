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

#include "ipv6probe/addr.h"
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

/* The JSON key order (libipv6probe/src/field.c) and the writer's switch to
 * it, internal to the library. */
extern const uint8_t v6pi_json_order[V6P_F_COUNT_];
struct v6p_json_writer;
void v6pi_json_writer_reorder(struct v6p_json_writer *w);

/* An event with the fields of `bits` (two words of field ids) present and
 * values from seed: strings and C strings non-empty, the rest as drawn. */
static void random_event(v6p_event *ev, const uint64_t bits[2], uint32_t seed)
{
    static const char *const spans[] = {"eth0",           "x",    "",
                                        "IPT6-IN-DROP: ", "a\"b", "wan-vlan-1234567"};
    v6p_event_reset(ev);
    unsigned char *raw = (unsigned char *)ev;
    /* Numbers, addresses, MACs and enums: bytes from the seed over the
     * members (pointers and spans set below). */
    for (size_t i = offsetof(v6p_event, time_sec); i < offsetof(v6p_event, reserved_); i++) {
        seed = seed * 1103515245u + 12345u;
        raw[i] = (unsigned char)(seed >> 16);
    }
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        if (!(bits[f / 64] >> (f % 64) & 1))
            continue;
        v6p_event_mark(ev, (v6p_field)f);
    }
    ev->protocol_version = seed & 1 ? 6 : 4;
    ev->format = (v6p_format)(seed % 6);
    ev->action = (v6p_action)(seed % 4);
    ev->direction = (v6p_direction)(seed % 6);
    ev->hook = (v6p_hook)(seed % 8);
    ev->time_usec %= 1000000;
    /* A bool holds 0 or 1 only. */
    ev->frag_more = seed & 2;
    ev->src_pe = seed & 4;
    ev->dest_pe = seed & 8;
    v6p_span *sp[] = {
        &ev->dvc,           &ev->rule,           &ev->src_zone,           &ev->dest_zone,
        &ev->src_interface, &ev->dest_interface, &ev->src_phys_interface, &ev->dest_phys_interface,
        &ev->tcp_options,   &ev->pf_reason,      &ev->pf_anchor,          &ev->pf_label,
        &ev->pf_action};
    for (size_t i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
        const char *t = spans[(seed >> i) % 6];
        sp[i]->ptr = t;
        sp[i]->len = (uint32_t)strlen(t);
    }
    ev->src_org = seed & 2 ? "Example Org" : NULL;
    ev->src_category = "cloud";
    ev->src_as_org = seed & 4 ? NULL : "AS \"x\"";
    ev->dest_pe_confidence = (seed % 1000) / 1000.0;
}

static const char *write_event(v6p_json_writer *w, const v6p_event *ev)
{
    const char *out;
    size_t len;
    assert_int_equal(v6p_json_write_event(w, ev, &out, &len), 0);
    assert_int_equal(strlen(out), len);
    return out;
}

/* The keys come from the field table, each with its comma: an event with
 * one field has `,"name":` after the schema, for every field. */
static void every_field_key(void **state)
{
    (void)state;
    v6p_json_writer *w = v6p_json_writer_new();
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        uint64_t bits[2] = {0, 0};
        bits[f / 64] |= (uint64_t)1 << (f % 64);
        v6p_event ev;
        random_event(&ev, bits, (uint32_t)f);
        ev.src_org = ev.src_category = ev.src_as_org = "x";
        char want[64];
        snprintf(want, sizeof(want), "{\"schema\":1,\"%s\":", v6p_field_name((v6p_field)f));
        const char *out = write_event(w, &ev);
        if (strncmp(out, want, strlen(want)) != 0)
            fail_msg("field %d: %s", f, out);
        yajl_tree_free(parse(out));
    }
    v6p_json_writer_free(w);
}

/* Events of many shapes (more than the writer keeps, so that shapes are
 * made again and replaced) through one writer give what a new writer
 * gives for each, keys in the JSON order, and valid JSON. */
static void shapes_cached_and_ordered(void **state)
{
    (void)state;
    v6p_json_writer *w = v6p_json_writer_new(), *reordered = v6p_json_writer_new();
    v6pi_json_writer_reorder(reordered);
    uint32_t seed = 1;
    for (int n = 0; n < 3000; n++) {
        uint64_t bits[2];
        seed = seed * 1103515245u + 12345u;
        /* A few hundred shapes, each seen several times. */
        uint32_t shape = seed % 300;
        bits[0] = 0x9e3779b97f4a7c15ull * (shape + 1);
        bits[1] = 0xc2b2ae3d27d4eb4full * (shape + 1);
        if (V6P_F_COUNT_ < 128)
            bits[1] &= ((uint64_t)1 << (V6P_F_COUNT_ - 64)) - 1;
        v6p_event ev;
        random_event(&ev, bits, seed);
        char cached[8192];
        snprintf(cached, sizeof(cached), "%s", write_event(w, &ev));
        assert_string_equal(write_event(reordered, &ev), cached);
        v6p_json_writer *fresh = v6p_json_writer_new();
        assert_string_equal(write_event(fresh, &ev), cached);
        v6p_json_writer_free(fresh);
        /* Keys in the order of the table, each present field once. */
        const char *p = cached;
        for (int i = 0; i < V6P_F_COUNT_; i++) {
            int f = v6pi_json_order[i];
            if (!v6p_event_has(&ev, (v6p_field)f))
                continue;
            if ((f == V6P_F_SRC_ORG && !ev.src_org) || (f == V6P_F_SRC_AS_ORG && !ev.src_as_org))
                continue;
            char key[64];
            snprintf(key, sizeof(key), ",\"%s\":", v6p_field_name((v6p_field)f));
            const char *at = strstr(p, key);
            if (!at)
                fail_msg("%s missing or out of order in %s", key, cached);
            p = at + strlen(key);
        }
        yajl_val v = parse(cached);
        yajl_tree_free(v);
    }
    v6p_json_writer_free(w);
    v6p_json_writer_free(reordered);
}

/* Enum names come from a table made at start: every value of the one-byte
 * enums (transport in both IP versions, where 0 is hopopt in IPv6 only)
 * against the name functions. */
static void enum_names_every_value(void **state)
{
    (void)state;
    v6p_json_writer *w = v6p_json_writer_new();
    for (int version = 4; version <= 6; version += 2)
        for (int v = 0; v < 256; v++) {
            v6p_event ev;
            v6p_event_reset(&ev);
            ev.protocol_version = (uint8_t)version;
            ev.protocol_number = (uint8_t)v;
            ev.src_block = ev.dest_iid = (uint8_t)v;
            ev.action = (v6p_action)v;
            v6p_event_mark(&ev, V6P_F_TRANSPORT);
            v6p_event_mark(&ev, V6P_F_SRC_BLOCK);
            v6p_event_mark(&ev, V6P_F_DEST_IID);
            v6p_event_mark(&ev, V6P_F_ACTION);
            const char *tn = v6p_transport_name((uint8_t)v, (uint8_t)version);
            const char *bn = v6p_block_name((v6p_block)v);
            const char *in = v6p_iid_kind_name((v6p_iid_kind)v);
            char want[512], tb[8], bb[8], ib[8];
            snprintf(tb, sizeof(tb), "%d", v);
            snprintf(bb, sizeof(bb), "%d", v);
            snprintf(ib, sizeof(ib), "%d", v);
            snprintf(want, sizeof(want),
                     "{\"schema\":1,\"action\":\"%s\",\"transport\":\"%s\",\"src_block\":\"%s\","
                     "\"dest_iid\":\"%s\"}",
                     v6p_action_name((v6p_action)v), tn ? tn : tb, bn ? bn : bb, in ? in : ib);
            assert_string_equal(write_event(w, &ev), want);
        }
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
        cmocka_unit_test(every_field_key),
        cmocka_unit_test(shapes_cached_and_ordered),
        cmocka_unit_test(enum_names_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
