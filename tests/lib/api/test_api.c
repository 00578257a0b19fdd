/* The public API as a program built against the shared library sees it: the
 * size-tagged structs read by older and newer callers, the one error
 * convention, the public field writer, field numbers and the version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipv6probe/ipv6probe.h"

/* An older caller's config: only the members up to max_addresses. */
static void older_config_takes_defaults(void **state)
{
    (void)state;
    v6p_pe_config cfg;
    memset(&cfg, 0xab, sizeof(cfg));
    const size_t old = offsetof(v6p_pe_config, max_prefixes);
    v6p_pe_config_init(&cfg, old);
    assert_int_equal(cfg.size, old);
    assert_int_equal(cfg.max_addresses, 65536);
    /* Nothing past the caller's size is written. */
    assert_int_equal(((unsigned char *)&cfg)[old], 0xab);
    cfg.max_addresses = 512;
    v6p_error err = {0};
    v6p_pe_tracker *t = v6p_pe_new(&cfg, &err);
    assert_non_null(t);
    v6p_pe_stats st;
    v6p_pe_get_stats(t, &st, sizeof(st));
    assert_true(st.max_addresses >= 512 && st.max_addresses < 65536);
    assert_int_equal(st.max_prefixes, 8192); /* the default, not 0xabab... */
    v6p_pe_free(t);
}

/* A newer caller's config: members this library does not know must be 0. */
static void newer_config_needs_unknown_members_unset(void **state)
{
    (void)state;
    struct {
        v6p_taggers_config known;
        uint64_t later[2];
    } newer;
    v6p_taggers_config_init(&newer.known, sizeof(newer));
    assert_int_equal(newer.known.size, sizeof(newer));
    assert_int_equal(newer.later[0], 0);
    v6p_error err = {0};
    v6p_taggers *t = v6p_taggers_new(&newer.known, &err);
    assert_non_null(t);
    v6p_taggers_free(t);
    newer.later[1] = 7;
    assert_null(v6p_taggers_new(&newer.known, &err));
    assert_int_equal(err.code, EINVAL);
    assert_non_null(strstr(err.message, "v6p_taggers_config"));
}

/* A config never filled by its _init: refused with the remedy named. */
static void config_without_init_is_refused(void **state)
{
    (void)state;
    v6p_dedupe_config dc;
    memset(&dc, 0, sizeof(dc));
    dc.capacity = 100;
    dc.window_ms = 500;
    v6p_error err = {0};
    assert_null(v6p_dedupe_new(&dc, &err));
    assert_int_equal(err.code, EINVAL);
    assert_non_null(strstr(err.message, "v6p_dedupe_config_init"));
    v6p_parser_options po;
    memset(&po, 0, sizeof(po));
    assert_null(v6p_parser_new(&po, &err));
    assert_int_equal(err.code, EINVAL);
    v6p_parser_options_init(&po, sizeof(po));
    v6p_parser *p = v6p_parser_new(&po, &err);
    assert_non_null(p);
    v6p_parser_free(p);
}

/* Stats: an older caller's smaller struct gets what fits, nothing past it;
 * a newer caller's larger one gets zero in what the library does not know. */
static void stats_fill_the_callers_size(void **state)
{
    (void)state;
    v6p_harvest *h = v6p_harvest_new(NULL, NULL);
    assert_non_null(h);
    v6p_harvest_stats full;
    v6p_harvest_get_stats(h, &full, sizeof(full));
    assert_true(full.memory > 0);

    v6p_harvest_stats part;
    memset(&part, 0xab, sizeof(part));
    const size_t old = offsetof(v6p_harvest_stats, memory);
    v6p_harvest_get_stats(h, &part, old);
    assert_int_equal(part.contacts, 0);
    assert_int_equal(((unsigned char *)&part)[old], 0xab);

    struct {
        v6p_harvest_stats known;
        uint64_t later[3];
    } newer;
    memset(&newer, 0xab, sizeof(newer));
    v6p_harvest_get_stats(h, &newer.known, sizeof(newer));
    assert_int_equal(newer.known.memory, full.memory);
    assert_int_equal(newer.later[0], 0);
    assert_int_equal(newer.later[2], 0);
    v6p_harvest_free(h);
}

/* Every fallible call: 0 / -1 or a handle / NULL, and a message. */
static void errors_carry_a_message(void **state)
{
    (void)state;
    v6p_error err = {0};
    v6p_pe_config cfg;
    v6p_pe_config_init(&cfg, sizeof(cfg));
    cfg.valid_lifetime = 1; /* shorter than the preferred lifetime */
    assert_null(v6p_pe_new(&cfg, &err));
    assert_int_equal(err.code, EINVAL);
    assert_true(err.message[0] != '\0');

    v6p_pe_tracker *t = v6p_pe_new(NULL, &err);
    assert_non_null(t);
    memset(&err, 0, sizeof(err));
    assert_int_equal(v6p_pe_add_prefix_str(t, "2001:db8::/129", &err), -1);
    assert_int_equal(err.code, EINVAL);
    assert_non_null(strstr(err.message, "2001:db8::/129"));
    const char *texts[] = {"2001:db8:1::/48", "not a prefix"};
    size_t bad = 99;
    assert_int_equal(v6p_pe_set_prefixes(t, texts, 2, &bad, &err), -1);
    assert_int_equal(bad, 1);
    assert_int_equal(v6p_pe_set_prefixes(t, texts, 1, NULL, NULL), 0);
    v6p_pe_free(t);

    v6p_classify *c = v6p_classify_new(&err);
    assert_non_null(c);
    assert_int_equal(v6p_classify_add(c, "2001:db8::/200", "o", "c", "s", &err), -1);
    assert_int_equal(err.code, EINVAL);
    v6p_classify_free(c);
    v6p_taggers *tg = v6p_taggers_new(NULL, NULL);
    assert_int_equal(v6p_taggers_load_classify_yaml(tg, "/nonexistent/table.yaml", &err), -1);
    assert_int_equal(err.code, ENOENT);
    v6p_taggers_free(tg);
}

/* The public field writer refuses what the parsers' writer refuses, and a
 * field of the wrong kind. */
static void field_writer(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_event_reset(&ev);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_HOP_LIMIT, 64), V6P_R_NONE);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_HOP_LIMIT, 65), V6P_R_DUPLICATE_FIELD);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_SRC_PORT, 70000), V6P_R_BAD_NUMBER);
    assert_int_equal(v6p_event_set_dec(&ev, V6P_F_DEST_PORT, "443", 3), V6P_R_NONE);
    assert_int_equal(v6p_event_set_hex(&ev, V6P_F_FLOW_LABEL, "0x12345", 7), V6P_R_NONE);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_RULE, 1), V6P_R_BAD_FIELD);
    assert_int_equal(v6p_event_set_span(&ev, V6P_F_HOP_LIMIT, "x", 1), V6P_R_BAD_FIELD);
    assert_int_equal(v6p_event_set_num(&ev, (v6p_field)V6P_F_COUNT_, 1), V6P_R_BAD_FIELD);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_NONE, 1), V6P_R_BAD_FIELD);
    static const char rule[] = "DROP-IN";
    assert_int_equal(v6p_event_set_span(&ev, V6P_F_RULE, rule, 7), V6P_R_NONE);
    struct in6_addr a = {{{0x20, 0x01, 0x0d, 0xb8, [15] = 1}}};
    /* dest before src, flags before protocol: the JSON order is not the
     * order of the calls. */
    assert_int_equal(v6p_event_set_addr(&ev, V6P_F_DEST, &a), V6P_R_NONE);
    a.s6_addr[15] = 2;
    assert_int_equal(v6p_event_set_addr(&ev, V6P_F_SRC, &a), V6P_R_NONE);
    assert_int_equal(v6p_event_set_flag(&ev, V6P_F_TCP_FLAG, V6P_TCP_SYN), V6P_R_NONE);
    assert_int_equal(v6p_event_set_flag(&ev, V6P_F_TCP_FLAG, V6P_TCP_SYN), V6P_R_DUPLICATE_FIELD);
    assert_int_equal(v6p_event_set_num(&ev, V6P_F_PROTOCOL_VERSION, 6), V6P_R_NONE);
    assert_int_equal(v6p_event_set_bool(&ev, V6P_F_FRAG_MORE, 1), V6P_R_NONE);
    assert_int_equal(v6p_event_set_addr(&ev, V6P_F_TUNNEL_SRC, &a), V6P_R_BAD_FIELD);

    v6p_json_writer *w = v6p_json_writer_new();
    const char *json;
    size_t n;
    assert_int_equal(v6p_json_write_event(w, &ev, &json, &n), 0);
    assert_string_equal(json, "{\"schema\":1,\"rule\":\"DROP-IN\",\"protocol_version\":6,"
                              "\"src\":\"2001:db8::2\",\"dest\":\"2001:db8::1\",\"dest_port\":443,"
                              "\"hop_limit\":64,\"flow_label\":74565,\"frag_more\":true,"
                              "\"tcp_flag\":[\"SYN\"]}");
    v6p_json_writer_free(w);
}

/* Field numbers are part of the ABI: fixed, never reused. */
static void field_numbers(void **state)
{
    (void)state;
    assert_int_equal(V6P_F_TIME, 0);
    assert_int_equal(V6P_F_SRC, 20);
    assert_int_equal(V6P_F_HOP_LIMIT, 32);
    assert_int_equal(V6P_F_PF_ACTION, 66);
    assert_int_equal(V6P_F_TAGS, 86);
    assert_true(V6P_F_COUNT_ <= V6P_FIELD_WORDS * 64);
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        const char *name = v6p_field_name((v6p_field)f);
        assert_non_null(name);
        assert_int_equal(v6p_field_by_name(name, strlen(name)), f);
    }
    assert_null(v6p_field_name((v6p_field)V6P_F_COUNT_));
    assert_int_equal(v6p_field_by_name("no_such_key", 11), V6P_F_NONE);
}

static void version(void **state)
{
    (void)state;
    assert_int_equal(v6p_version_number(), V6P_VERSION_NUM);
    assert_string_equal(v6p_version(), V6P_VERSION_STRING);
    unsigned major, minor, patch;
    assert_int_equal(sscanf(V6P_VERSION_STRING, "%u.%u.%u", &major, &minor, &patch), 3);
    assert_int_equal(V6P_VERSION_NUM, major * 1000000 + minor * 1000 + patch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(older_config_takes_defaults),
        cmocka_unit_test(newer_config_needs_unknown_members_unset),
        cmocka_unit_test(config_without_init_is_refused),
        cmocka_unit_test(stats_fill_the_callers_size),
        cmocka_unit_test(errors_carry_a_message),
        cmocka_unit_test(field_writer),
        cmocka_unit_test(field_numbers),
        cmocka_unit_test(version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
