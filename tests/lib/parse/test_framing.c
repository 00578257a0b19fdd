/* Syslog and kernel framings: the stamp, the host, and where the body is. */
#include "testutil.h"

#define BODY                                                                                       \
    "IPT6-DROP: IN=eth0 OUT= SRC=2001:0db8:0001:0000:0000:0000:0000:0001 "                         \
    "DST=2001:0db8:0002:0000:0000:0000:0000:0002 LEN=64 TC=0 HOPLIMIT=9 FLOWLBL=0 "                \
    "PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=2 "

static void expect(const char *line, int64_t sec, uint32_t usec, const char *dvc_json)
{
    v6p_event ev;
    v6p_result r;
    v6p_status st = parse_str(P, line, &ev, &r);
    if (st != V6P_OK)
        fail_msg("%s: %s (%s)", line, v6p_status_name(st), v6p_reason_text(r.reason));
    if (ev.time_sec != sec || ev.time_usec != usec)
        fail_msg("%s: time %lld.%06u, expected %lld.%06u", line, (long long)ev.time_sec,
                 ev.time_usec, (long long)sec, usec);
    if (dvc_json)
        assert_json_has(&ev, dvc_json);
    else
        assert_json_lacks(&ev, "\"dvc\"");
    assert_int_equal(ev.hop_limit, 9);
    assert_json_has(&ev, "\"rule\":\"IPT6-DROP\"");
}

/* 2026-11-27 16:59:01 UTC */
#define T 1795798741LL

static void rfc3164(void **state)
{
    (void)state;
    expect("Nov 27 16:59:01 gw1 kernel: [  135.845075] " BODY, T, 0, "\"dvc\":\"gw1\"");
    expect("<4>Nov 27 16:59:01 gw1 kernel: " BODY, T, 0, "\"dvc\":\"gw1\"");
    expect("Nov 27 16:59:01 gw1 kernel: [ 1.5] " BODY, T, 0, "\"dvc\":\"gw1\"");
    /* pfSense style: no host, the tag right after the stamp */
    expect("Nov 27 16:59:01 kernel: " BODY, T, 0, NULL);
    /* space-padded day */
    expect("Nov  7 16:59:01 gw1 kernel: " BODY, T - 20 * 86400, 0, "\"dvc\":\"gw1\"");
}

static void journalctl_forms(void **state)
{
    (void)state;
    expect("Nov 27 16:59:01.123456 gw1 kernel: " BODY, T, 123456, "\"dvc\":\"gw1\""); /* precise */
    expect("2026-11-27T17:59:01+0100 gw1 kernel: " BODY, T, 0, "\"dvc\":\"gw1\"");    /* iso */
    expect("2026-11-27T16:59:01.500000+00:00 gw1 kernel: " BODY, T, 500000,
           "\"dvc\":\"gw1\""); /* iso-precise */
}

static void rfc3339_high_precision(void **state)
{
    (void)state;
    expect("2026-11-27T16:59:01.123456+00:00 gw2 kernel: [  135.1] " BODY, T, 123456,
           "\"dvc\":\"gw2\"");
    expect("2026-11-27T11:59:01.1Z gw2 kernel: " BODY, T - 5 * 3600, 100000, "\"dvc\":\"gw2\"");
    expect("2026-11-27T16:59:01.123456789-05:30 gw2 kernel: " BODY, T + 5 * 3600 + 1800, 123456,
           "\"dvc\":\"gw2\"");
}

static void rfc5424(void **state)
{
    (void)state;
    expect("<4>1 2026-11-27T16:59:01.250Z gw3 kernel - - - " BODY, T, 250000, "\"dvc\":\"gw3\"");
    expect("<4>1 2026-11-27T16:59:01Z gw3 kernel - - [meta sequenceId=\"7\" x=\"a]\\\"b\"] " BODY,
           T, 0, "\"dvc\":\"gw3\"");
    expect("<4>1 2026-11-27T16:59:01Z - kernel 12 ID47 - \xef\xbb\xbf" BODY, T, 0, NULL);
    /* the kernel's uptime stamp in the message is not part of the prefix */
    expect("<4>1 2026-11-27T16:59:01Z gw3 kernel - - - [86400.000123] " BODY, T, 0,
           "\"dvc\":\"gw3\"");
}

static void kernel_records(void **state)
{
    (void)state;
    /* the parser's boot time is 1795790000 */
    expect("4,1234,135845075,-;" BODY, 1795790135LL, 845075, NULL);
    expect("4,1234,135845075,-,caller=T12;" BODY, 1795790135LL, 845075, NULL);
    expect("[  135.845075] " BODY, 1795790135LL, 845075, NULL);
    expect("[Fri Nov 27 16:59:01 2026] " BODY, T, 0, NULL);
}

static void bare_body_takes_fallback(void **state)
{
    (void)state;
    expect(BODY, TEST_NOW, 0, NULL);
}

static void year_inference(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    /* Read on 2027-01-01 00:10 UTC, a December line is from 2026. */
    int64_t newyear = 1798762200LL;
    const char *dec = "Dec 31 23:59:59 gw kernel: " BODY;
    assert_int_equal(v6p_parse(P, dec, strlen(dec), newyear, 0, &ev, &r), V6P_OK);
    assert_int_equal(ev.time_sec, 1798761599LL);
    /* Read on 2026-12-31 23:50, a line stamped a few minutes into January
     * (a clock slightly ahead) is next year's, not last January's. */
    const char *jan = "Jan  1 00:05:00 gw kernel: " BODY;
    assert_int_equal(v6p_parse(P, jan, strlen(jan), 1798761000LL, 0, &ev, &r), V6P_OK);
    assert_int_equal(ev.time_sec, 1798761900LL);
    /* A March line read in November is from this year. */
    const char *mar = "Mar  3 10:00:00 gw kernel: " BODY;
    assert_int_equal(v6p_parse(P, mar, strlen(mar), TEST_NOW, 0, &ev, &r), V6P_OK);
    assert_int_equal(ev.time_sec, 1772532000LL);
}

static void local_zone_offset(void **state)
{
    (void)state;
    v6p_error err;
    v6p_parser_options o;
    v6p_parser_options_init(&o, sizeof(o));
    o.local_utc_offset = 3600; /* the logging host is at UTC+1 */
    v6p_parser *p = v6p_parser_new(&o, &err);
    v6p_event ev;
    v6p_result r;
    const char *line = "Nov 27 17:59:01 gw kernel: " BODY;
    assert_int_equal(v6p_parse(p, line, strlen(line), TEST_NOW, 0, &ev, &r), V6P_OK);
    assert_int_equal(ev.time_sec, T);
    /* An explicit zone wins over the option. */
    const char *iso = "2026-11-27T16:59:01Z gw kernel: " BODY;
    assert_int_equal(v6p_parse(p, iso, strlen(iso), TEST_NOW, 0, &ev, &r), V6P_OK);
    assert_int_equal(ev.time_sec, T);
    v6p_parser_free(p);
}

static void damaged_stamps(void **state)
{
    (void)state;
    const char *bad[] = {
        "Nov 27 25:59:01 gw kernel: " BODY,
        "2026-13-27T16:59:01Z gw kernel: " BODY,
        "2026-11-27T16:59:01+25:00 gw kernel: " BODY,
        "2026-11-27T16:59:01 gw kernel: " BODY, /* no zone */
        "<4>1 2026-11-27X16:59:01Z gw kernel - - - " BODY,
        "<4>1 2026-11-27T16:59:01Z gw kernel - - [unterminated " BODY,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v6p_event ev;
        v6p_result r;
        if (parse_str(P, bad[i], &ev, &r) != V6P_MALFORMED)
            fail_msg("accepted: %s", bad[i]);
        assert_true(r.reason == V6P_R_BAD_TIMESTAMP || r.reason == V6P_R_BAD_FRAMING);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc3164),
        cmocka_unit_test(journalctl_forms),
        cmocka_unit_test(rfc3339_high_precision),
        cmocka_unit_test(rfc5424),
        cmocka_unit_test(kernel_records),
        cmocka_unit_test(bare_body_takes_fallback),
        cmocka_unit_test(year_inference),
        cmocka_unit_test(local_zone_offset),
        cmocka_unit_test(damaged_stamps),
    };
    return cmocka_run_group_tests(tests, parser_setup, parser_teardown);
}
