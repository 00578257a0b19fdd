/* Scan behaviour on generated streams whose ground truth is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tagtest.h"

#define T0 1700000000.0

static v6p_taggers *mk(void)
{
    v6p_error err = {0};
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    assert_non_null(t);
    return t;
}

static void dest_n(char *buf, size_t cap, int i)
{
    snprintf(buf, cap, "2001:db8:99:%x::%x", i / 200, i % 200 + 1);
}

/* Index of the first event of n carrying bit, or -1. */
static int sweep_run(v6p_taggers *t, int n, double spacing, uint32_t bit, const char *(*src)(int),
                     int synack)
{
    int first = -1;
    char dst[64];
    for (int i = 0; i < n; i++) {
        v6p_event ev;
        dest_n(dst, sizeof(dst), i);
        tt_tcp(&ev, src(i), dst, T0 + i * spacing, 50, 22,
               synack ? V6P_TCP_SYN | V6P_TCP_ACK : V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        if ((ev.src_behavior & bit) && first < 0)
            first = i;
        if (first >= 0 && i > first)
            assert_true(ev.src_behavior & bit); /* stays on while it goes on */
    }
    return first;
}

static const char *one_src(int i)
{
    (void)i;
    return "2001:db8:5::1";
}

static const char *rotate_64(int i)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "2001:db8:6:1:%x::%x", i * 31 + 1, i + 7);
    return buf;
}

static const char *rotate_48(int i)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "2001:db8:7:%x::1", i + 1);
    return buf;
}

static void fast_sweep_fires_at_threshold(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    /* 40 destinations, 2 s apart: the 25th distinct one crosses 25 in 5 min. */
    assert_int_equal(sweep_run(t, 40, 2, V6P_TAG_ADDRESS_SWEEP, one_src, 0), 24);
    v6p_taggers_free(t);
}

static void slow_sweep_does_not(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    /* One destination every 20 s: 15 per 5 minutes, below 25, for 100. */
    assert_int_equal(sweep_run(t, 100, 20, V6P_TAG_ADDRESS_SWEEP, one_src, 0), -1);
    v6p_taggers_free(t);
}

static void replies_do_not_count(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    assert_int_equal(sweep_run(t, 60, 1, V6P_TAG_ADDRESS_SWEEP, one_src, 1), -1);
    v6p_taggers_free(t);
}

static void rotation_is_aggregated(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    assert_int_equal(sweep_run(t, 40, 2, V6P_TAG_ADDRESS_SWEEP, rotate_64, 0), 24);
    assert_int_equal(sweep_run(t, 40, 2, V6P_TAG_ADDRESS_SWEEP, rotate_48, 0), 24);
    v6p_taggers_free(t);

    /* Only /128 counting: rotation hides the sweep. */
    v6p_taggers_config cfg;
    v6p_taggers_config_init(&cfg, sizeof(cfg));
    cfg.scan_prefix_len[1] = cfg.scan_prefix_len[2] = 128;
    v6p_error err = {0};
    t = v6p_taggers_new(&cfg, &err);
    assert_non_null(t);
    assert_int_equal(sweep_run(t, 40, 2, V6P_TAG_ADDRESS_SWEEP, rotate_64, 0), -1);
    v6p_taggers_free(t);
}

static void port_scan(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int first = -1;
    for (int i = 0; i < 30; i++) {
        v6p_event ev;
        tt_tcp(&ev, "2001:db8:5::9", "2001:db8:99::1", T0 + i, 50, 1000 + i * 7, V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        if ((ev.src_behavior & V6P_TAG_PORT_SCAN) && first < 0)
            first = i;
        assert_false(ev.src_behavior & V6P_TAG_ADDRESS_SWEEP);
        assert_true(ev.tags & V6P_TAG_PORT_SCAN ? (ev.src_behavior & V6P_TAG_PORT_SCAN) : 1);
    }
    assert_int_equal(first, 14);
    /* The same ports again and again are one port, not a scan. */
    for (int i = 0; i < 50; i++) {
        v6p_event ev;
        tt_udp(&ev, "2001:db8:5:10::1", "2001:db8:99::1", T0 + i, 50, 53 + i % 3);
        v6p_taggers_apply(t, &ev);
        assert_false(ev.src_behavior & V6P_TAG_PORT_SCAN);
    }
    /* Slow: 15 ports but one every 30 s (10 per 5 minutes). */
    for (int i = 0; i < 40; i++) {
        v6p_event ev;
        tt_tcp(&ev, "2001:db8:5:11::1", "2001:db8:99::1", T0 + i * 30, 50, 2000 + i, V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        assert_false(ev.src_behavior & V6P_TAG_PORT_SCAN);
    }
    v6p_taggers_free(t);
}

static void pe_targeted(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    v6p_event ev;
    tt_echo(&ev, "2001:db8:8::1", "2001:db8:99::1", T0, 50);
    v6p_taggers_apply(t, &ev);
    assert_false(ev.src_behavior & V6P_TAG_PE_TARGETED);

    tt_echo(&ev, "2001:db8:8::1", "2001:db8:99::abcd:1234:5678:9abc", T0 + 10, 50);
    ev.dest_pe = true;
    v6p_event_mark(&ev, V6P_F_DEST_PE);
    v6p_taggers_apply(t, &ev);
    assert_true(ev.src_behavior & V6P_TAG_PE_TARGETED);
    assert_true(ev.tags & V6P_TAG_PE_TARGETED);

    /* dest_pe present but false: a stable address. */
    tt_echo(&ev, "2001:db8:8:2::2", "2001:db8:99::2", T0 + 10, 50);
    ev.dest_pe = false;
    v6p_event_mark(&ev, V6P_F_DEST_PE);
    v6p_taggers_apply(t, &ev);
    assert_false(ev.src_behavior & V6P_TAG_PE_TARGETED);

    /* The source keeps the label for the hour: its next probe, to a stable
     * address, and a sibling in its /64. */
    tt_echo(&ev, "2001:db8:8::1", "2001:db8:99::3", T0 + 600, 50);
    v6p_taggers_apply(t, &ev);
    assert_true(ev.src_behavior & V6P_TAG_PE_TARGETED);
    tt_echo(&ev, "2001:db8:8::77", "2001:db8:99::3", T0 + 600, 50);
    v6p_taggers_apply(t, &ev);
    assert_true(ev.src_behavior & V6P_TAG_PE_TARGETED);
    tt_echo(&ev, "2001:db8:8:1::1", "2001:db8:99::3", T0 + 600, 50); /* other /64 */
    v6p_taggers_apply(t, &ev);
    assert_false(ev.src_behavior & V6P_TAG_PE_TARGETED);
    tt_echo(&ev, "2001:db8:8::1", "2001:db8:99::3", T0 + 7200, 50);
    v6p_taggers_apply(t, &ev);
    assert_false(ev.src_behavior & V6P_TAG_PE_TARGETED);
    v6p_taggers_free(t);
}

static void repeat_visit(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    v6p_event ev;
    const char *S = "2001:db8:9::1", *D = "2001:db8:99::5";
    double when[] = {0, 5, 3600, 2 * 86400, 2 * 86400 + 600, 2 * 86400 + 600 + 3600};
    int expect[] = {0, 0, 0, 1, 1, 0};
    for (int i = 0; i < 6; i++) {
        tt_tcp(&ev, S, D, T0 + when[i], 50, 443, V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        assert_int_equal((ev.src_behavior & V6P_TAG_REPEAT_VISIT) != 0, expect[i]);
    }
    /* Back from another address of the same /64: still the same visitor. */
    tt_tcp(&ev, "2001:db8:9::2", D, T0 + 9 * 86400, 50, 443, V6P_TCP_SYN);
    v6p_taggers_apply(t, &ev);
    assert_true(ev.src_behavior & V6P_TAG_REPEAT_VISIT);
    v6p_taggers_free(t);
}

static void behaviour_names_unknown_sources(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    char dst[64];
    v6p_event ev;
    for (int i = 0; i < 30; i++) {
        dest_n(dst, sizeof(dst), i);
        tt_echo(&ev, "2001:db8:a::1", dst, T0 + i, 50);
        v6p_taggers_apply(t, &ev);
    }
    assert_true(v6p_event_has(&ev, V6P_F_SRC_CATEGORY));
    assert_string_equal(ev.src_category, "unknown_scanner");
    assert_false(v6p_event_has(&ev, V6P_F_SRC_ORG));
    /* A quiet source gets no category at all. */
    tt_echo(&ev, "2001:db8:b::1", "2001:db8:99::1", T0 + 40, 50);
    v6p_taggers_apply(t, &ev);
    assert_false(v6p_event_has(&ev, V6P_F_SRC_CATEGORY));
    v6p_taggers_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fast_sweep_fires_at_threshold),
        cmocka_unit_test(slow_sweep_does_not),
        cmocka_unit_test(replies_do_not_count),
        cmocka_unit_test(rotation_is_aggregated),
        cmocka_unit_test(port_scan),
        cmocka_unit_test(pe_targeted),
        cmocka_unit_test(repeat_visit),
        cmocka_unit_test(behaviour_names_unknown_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
