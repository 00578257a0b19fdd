/* tcpdump pflog text: header variants, stamps, and what must be refused. */
#include "testutil.h"

#define HDR "rule 3/0(match): block in on em0: "
#define ECHO "3fff::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 1, length 64"

static void ok(const char *line, v6p_event *ev)
{
    expect_parsed(P, line, ev, V6P_FORMAT_PFLOG);
}

static void bad(const char *line, v6p_reason want)
{
    expect_malformed(P, line, want);
}

static void stamps(void **state)
{
    (void)state;
    v6p_event ev;
    /* time of day, no date: nearest to the reference 2026-11-27T17:00:00Z */
    ok("16:59:01.250000 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, TEST_NOW - 59);
    assert_int_equal(ev.time_usec, 250000);
    ok("23:59:59.000000 " HDR ECHO, &ev); /* tonight's is nearer than yesterday's */
    assert_int_equal(ev.time_sec, TEST_NOW + 7 * 3600 - 1);
    ok("06:00:00.000000 " HDR ECHO, &ev); /* this morning's */
    assert_int_equal(ev.time_sec, TEST_NOW - 11 * 3600);
    ok("1700000000.123456 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, 1700000000);
    assert_int_equal(ev.time_usec, 123456);
    ok("2023-11-14 22:13:20.000001 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, 1700000000);
    assert_int_equal(ev.time_usec, 1);
    /* a delta has no absolute time: the reference stands */
    ok(" 00:00:01.500000 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, TEST_NOW);
    /* behind syslog: the date comes from the syslog stamp */
    ok("Nov 27 16:59:01 fw1 pflogd: 16:58:59.500000 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, TEST_NOW - 61);
    assert_int_equal(ev.time_usec, 500000);
    assert_json_has(&ev, "\"dvc\":\"fw1\"");
    ok("Nov 27 16:59:01 fw1 tcpdump:  00:00:00.000185 " HDR ECHO, &ev);
    assert_int_equal(ev.time_sec, TEST_NOW - 59);
    ok(HDR ECHO, &ev); /* -t: no stamp at all */
    assert_int_equal(ev.time_sec, TEST_NOW);
}

static void header_variants(void **state)
{
    (void)state;
    v6p_event ev;
    ok("rule 7.edge/probe.2/0(match): pass out on vlan70: " ECHO, &ev);
    assert_json_has(&ev, "\"rule\":\"7\"");
    assert_json_has(&ev, "\"pf_anchor\":\"edge/probe\"");
    assert_json_has(&ev, "\"pf_subrule\":2");
    assert_json_has(&ev, "\"action\":\"allowed\"");
    assert_json_has(&ev, "\"direction\":\"outbound\"");
    assert_json_has(&ev, "\"dest_interface\":\"vlan70\"");
    assert_json_lacks(&ev, "src_interface");
    /* tcpdump 4.99 prints pf's -1 rule as 4294967295: no rule */
    ok("rule 4294967295..2/0(match): block in on em0: " ECHO, &ev);
    assert_json_lacks(&ev, "\"rule\"");
    assert_json_lacks(&ev, "pf_anchor");
    /* unknown reason and action */
    ok("rule 3/unkn(99): unkn(12) in/out on em0: " ECHO, &ev);
    assert_json_has(&ev, "\"pf_reason\":\"unkn(99)\"");
    assert_json_has(&ev, "\"pf_action\":\"unkn(12)\"");
    assert_json_has(&ev, "\"action\":\"unknown\"");
    assert_json_has(&ev, "\"direction\":\"unknown\"");
    assert_json_has(&ev, "\"src_interface\":\"em0\"");
    /* match, rdr, synproxy-drop */
    ok("rule 1/0(match): match in on em0: " ECHO, &ev);
    assert_json_has(&ev, "\"action\":\"unknown\"");
    ok("rule 1/14(synproxy): synproxy-drop in on em0: " ECHO, &ev);
    assert_json_has(&ev, "\"action\":\"blocked\"");
    /* OpenBSD: no reason number, no colon, [uid, pid] */
    ok("rule 0/(match) block in on vio0: " ECHO, &ev);
    assert_json_has(&ev, "\"pf_reason\":\"match\"");
    ok("rule 5/(match) [uid 0, pid 24100] block in on em1: " ECHO, &ev);
    assert_int_equal(ev.uid, 0);
    assert_json_has(&ev, "\"uid\":0");
    /* OpenBSD's -ttt stamp, which the syslog framing reads as its own */
    ok("Aug 29 15:41:11.757829 rule 0/(match) block in on vio0: " ECHO, &ev);
    assert_json_lacks(&ev, "dvc");
    assert_int_equal(ev.time_usec, 757829);
    ok("Oct 31 19:42:30.296553 rule 0.bbeck(20267).1/0(match): pass out on fxp1: " ECHO, &ev);
    assert_json_has(&ev, "\"pf_anchor\":\"bbeck(20267)\"");
    assert_json_has(&ev, "\"pf_subrule\":1");
    assert_json_lacks(&ev, "dvc");
}

static void packets(void **state)
{
    (void)state;
    v6p_event ev;
    ok(HDR "(class 0x20, flowlabel 0x12345, hlim 64, next-header TCP (6) payload length: 20) "
           "2001:db8::1.4444 > 2001:db8::2.22: Flags [S], cksum 0x1f14 (correct), seq 1000, "
           "win 8192, length 0",
       &ev);
    assert_int_equal(ev.hop_limit, 64);
    assert_int_equal(ev.traffic_class, 0x20);
    assert_int_equal(ev.flow_label, 0x12345);
    assert_int_equal(ev.bytes, 60);
    assert_int_equal(ev.src_port, 4444);
    assert_int_equal(ev.dest_port, 22);
    assert_int_equal(ev.tcp_flags, V6P_TCP_SYN);
    /* no -v: no hop limit, no bytes */
    ok(HDR ECHO, &ev);
    assert_json_lacks(&ev, "hop_limit");
    assert_json_lacks(&ev, "bytes");
    assert_json_has(&ev, "\"src\":\"3fff::1\"");
    /* fragment with ports, hop-by-hop */
    ok(HDR "2001:db8::1 > 2001:db8::2: frag (0|18) 40000 > 33434: UDP, length 10", &ev);
    assert_int_equal(ev.src_port, 40000);
    assert_int_equal(ev.protocol_number, 17);
    assert_int_equal(ev.transport_length, 18);
    ok(HDR "2001:db8::1 > 2001:db8::2: HBH ICMP6, echo request, id 0, seq 0, length 8", &ev);
    assert_int_equal(ev.icmp_type, 128);
    /* IPv4 and old-style TCP */
    ok(HDR "198.51.100.7.55806 > 192.0.2.23.23: S 757158343:757158343(0) win 52206 [tos 0x28]",
       &ev);
    assert_int_equal(ev.protocol_version, 4);
    assert_int_equal(ev.tcp_seq, 757158343u);
    assert_int_equal(ev.tcp_window, 52206);
    /* unknown ICMPv6 type, destination unreachable beyond scope */
    ok(HDR "3fff::1 > 2001:db8::2: ICMP6, unknown icmp6 type (100), length 32", &ev);
    assert_int_equal(ev.icmp_type, 100);
    ok(HDR "3fff::1 > 2001:db8::2: ICMP6, destination unreachable, beyond scope 2001:db8:9::9, "
           "source address 2001:db8::2, length 56",
       &ev);
    assert_int_equal(ev.icmp_code, 2);
    assert_json_has(&ev, "\"inner_src\":\"2001:db8::2\"");
    /* IPv4-mapped address with a port */
    ok(HDR "::ffff:192.0.2.1.80 > 2001:db8::2.5000: Flags [S.], seq 1, ack 2, win 10, length 0",
       &ev);
    assert_int_equal(ev.src_port, 80);
    assert_json_has(&ev, "\"src\":\"::ffff:192.0.2.1\"");
}

static void refused(void **state)
{
    (void)state;
    /* cut mid-address, in either address */
    bad(HDR "3fff::1 > 2001:db", V6P_R_TRUNCATED);
    bad(HDR "3fff::1 > 2001:db8::2:", V6P_R_TRUNCATED);
    bad(HDR "3fff:", V6P_R_TRUNCATED);
    bad(HDR "3fff::1.44 > 2001:db8::2.2", V6P_R_TRUNCATED);
    /* cut inside the header, or inside what must follow */
    bad("rule 3/0(match): block in on", V6P_R_TRUNCATED);
    bad("rule 3/0(match): block in", V6P_R_TRUNCATED);
    bad("rule 5/(match) [uid 0, pid 24100]", V6P_R_TRUNCATED);
    bad(HDR "3fff::1 > 2001:db8::2: ICMP6, echo request, id 7", V6P_R_TRUNCATED);
    bad(HDR "3fff::1.4 > 2001:db8::2.22: Flags [S], seq 1", V6P_R_TRUNCATED);
    bad(HDR "(hlim 64, next-header TCP (6) payload", V6P_R_TRUNCATED);
    /* IPv4 -v: the packet is on the next line */
    bad(HDR "(tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40)",
        V6P_R_TRUNCATED);
    /* not an address; non-numbers */
    bad(HDR "3fff::1::2 > 2001:db8::2: ICMP6, echo request, id 7, seq 1", V6P_R_BAD_ADDRESS);
    bad("rule x3/0(match): block in on em0: " ECHO, V6P_R_BAD_NUMBER);
    bad(HDR "3fff::1 > 2001:db8::2: ICMP6, echo request, id 7x, seq 1", V6P_R_BAD_NUMBER);
    bad(HDR "192.0.2.1 > 2001:db8::2: ICMP6, echo request, id 7, seq 1", V6P_R_FAMILY_MISMATCH);
    bad(HDR "3fff::1.70000 > 2001:db8::2.1: UDP, length 1", V6P_R_BAD_ADDRESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stamps),
        cmocka_unit_test(header_variants),
        cmocka_unit_test(packets),
        cmocka_unit_test(refused),
    };
    return cmocka_run_group_tests(tests, parser_setup, parser_teardown);
}
