/* What real deployments write: framings of syslog setups and journald, the
 * log prefixes of Linux firewall front-ends, site-relative direction on
 * host firewalls and gateways, and the same packet logged twice. */
#include "testutil.h"

#include "ipv6probe/taggers.h"

/* One netfilter body; the framings below wrap it. */
#define NF_IN "IN=wan0 OUT= "
#define NF_FWD "IN=wan0 OUT=lan0 "
#define NF_REST                                                                                    \
    "SRC=2001:0db8:0000:0009:0000:0000:0000:0002 DST=2001:0db8:0001:0001:0000:0000:0000:0010 "     \
    "LEN=104 TC=0 HOPLIMIT=3 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=1"

/* 2026-11-27T16:59:01Z */
#define STAMP_SEC 1795798741LL

static void expect_fw(const char *line, int64_t sec, uint32_t usec, const char *dvc_json,
                      const char *rule_json)
{
    v6p_event ev;
    v6p_result r;
    if (parse_str(P, line, &ev, &r) != V6P_OK)
        fail_msg("not parsed (%s at %u): %s", v6p_reason_text(r.reason), r.offset, line);
    assert_int_equal(ev.time_sec, sec);
    assert_int_equal(ev.time_usec, usec);
    if (dvc_json)
        assert_json_has(&ev, dvc_json);
    else
        assert_json_lacks(&ev, "\"dvc\"");
    assert_json_has(&ev, rule_json);
    assert_json_has(&ev, "\"src\":\"2001:db8:0:9::2\"");
    assert_json_has(&ev, "\"dest\":\"2001:db8:1:1::10\"");
    assert_json_has(&ev, "\"icmp_seq\":1");
}

static void rsyslog_tag_glued_to_message(void **state)
{
    (void)state;
    /* template "%timestamp% %hostname% %syslogtag%%msg%" */
    expect_fw("Nov 27 16:59:01 gw kernel:FW-DROP " NF_IN NF_REST, STAMP_SEC, 0, "\"dvc\":\"gw\"",
              "\"rule\":\"FW-DROP\"");
    /* and with no host at all */
    expect_fw("2026-11-27T16:59:01.250000+00:00 kernel:FW-DROP " NF_IN NF_REST, STAMP_SEC, 250000,
              NULL, "\"rule\":\"FW-DROP\"");
    /* a prefix that holds colons itself is left whole */
    expect_fw("Nov 27 16:59:01 gw kernel: Shorewall:net-fw:DROP:" NF_IN NF_REST, STAMP_SEC, 0,
              "\"dvc\":\"gw\"", "\"rule\":\"Shorewall:net-fw:DROP\"");
}

static void kernel_priority_and_uptime(void **state)
{
    (void)state;
    /* /proc/kmsg, dmesg -r: boot time 1795790000 + 716.782127 */
    expect_fw("<4>[  716.782127] FW-DROP " NF_IN NF_REST, 1795790716LL, 782127, NULL,
              "\"rule\":\"FW-DROP\"");
}

static void bare_program_tag(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "filterlog: 5,,,1000000003,igb1,match,block,in,6,0x00,0x00000,64,ICMPv6,"
                       "58,16,2001:db8:0:9::2,2001:db8:1:1::10,";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.format, V6P_FORMAT_FILTERLOG);
    assert_json_has(&ev, "\"action\":\"blocked\"");
    assert_json_has(&ev, "\"hook\":\"in\"");
    assert_json_has(&ev, "\"src_interface\":\"igb1\"");
    /* A bare netfilter body with the kernel's tag, spaced or glued. */
    expect_fw("kernel: FW-DROP " NF_IN NF_REST, TEST_NOW, 0, NULL, "\"rule\":\"FW-DROP\"");
    expect_fw("kernel:FW-DROP " NF_IN NF_REST, TEST_NOW, 0, NULL, "\"rule\":\"FW-DROP\"");
    /* Any other word with a colon is a log prefix, not a tag. */
    expect_fw("FW-DROP: " NF_IN NF_REST, TEST_NOW, 0, NULL, "\"rule\":\"FW-DROP\"");
}

static void journalctl_short_monotonic(void **state)
{
    (void)state;
    expect_fw("[  716.782127] gw kernel: FW-DROP " NF_IN NF_REST, 1795790716LL, 782127,
              "\"dvc\":\"gw\"", "\"rule\":\"FW-DROP\"");
    /* dmesg: no host, no tag */
    expect_fw("[  716.782127] FW-DROP " NF_IN NF_REST, 1795790716LL, 782127, NULL,
              "\"rule\":\"FW-DROP\"");
}

static void journalctl_json(void **state)
{
    (void)state;
    expect_fw("{\"__CURSOR\":\"s=8f;i=1a2;b=4e;m=2ab;t=6;x=9\",\"__REALTIME_TIMESTAMP\":"
              "\"1795798741123456\",\"__MONOTONIC_TIMESTAMP\":\"716782127\",\"_BOOT_ID\":\"4e\","
              "\"PRIORITY\":\"4\",\"_TRANSPORT\":\"kernel\",\"SYSLOG_FACILITY\":\"0\","
              "\"SYSLOG_IDENTIFIER\":\"kernel\",\"_SOURCE_MONOTONIC_TIMESTAMP\":\"716782000\","
              "\"MESSAGE\":\"FW-DROP " NF_IN NF_REST "\",\"_HOSTNAME\":\"gw2\","
              "\"_RUNTIME_SCOPE\":\"system\"}",
              STAMP_SEC, 123456, "\"dvc\":\"gw2\"", "\"rule\":\"FW-DROP\"");
    v6p_event ev;
    v6p_result r;
    /* journald writes a message that is not valid UTF-8 as an array of
     * bytes; such a line is refused, not half-read. */
    assert_int_equal(parse_str(P, "{\"MESSAGE\":[70,87],\"_HOSTNAME\":\"gw\"}", &ev, &r),
                     V6P_MALFORMED);
    assert_int_equal(r.reason, V6P_R_BAD_FRAMING);
    assert_int_equal(
        parse_str(P, "{\"_HOSTNAME\":\"gw\",\"MESSAGE\":\"Linux version 6.1\"}", &ev, &r),
        V6P_NOT_FIREWALL);
}

static void syslog_ng_rfc5424(void **state)
{
    (void)state;
    /* syslog() destination and the t_syslog_protocol template */
    expect_fw("<4>1 2026-11-27T16:59:01+00:00 gw kernel - - - FW-DROP " NF_IN NF_REST, STAMP_SEC, 0,
              "\"dvc\":\"gw\"", "\"rule\":\"FW-DROP\"");
    expect_fw("<4>1 2026-11-27T16:59:01.5+00:00 gw kernel - - [meta sequenceId=\"1\"] "
              "[  716.782127] FW-DROP " NF_IN NF_REST,
              STAMP_SEC, 500000, "\"dvc\":\"gw\"", "\"rule\":\"FW-DROP\"");
}

/* A front-end's prefix: action, zones, rule. */
static void expect_prefix(const char *prefix, const char *action, const char *src_zone,
                          const char *dest_zone)
{
    char line[1024], want[160];
    snprintf(line, sizeof(line), "Nov 27 16:59:01 gw kernel: %s" NF_FWD NF_REST, prefix);
    v6p_event ev;
    v6p_result r;
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    if (strcmp(v6p_action_name(ev.action), action) != 0)
        fail_msg("%s: action %s, expected %s", prefix, v6p_action_name(ev.action), action);
    if (src_zone) {
        snprintf(want, sizeof(want), "\"src_zone\":\"%s\"", src_zone);
        assert_json_has(&ev, want);
    } else {
        assert_json_lacks(&ev, "src_zone");
    }
    if (dest_zone) {
        snprintf(want, sizeof(want), "\"dest_zone\":\"%s\"", dest_zone);
        assert_json_has(&ev, want);
    } else {
        assert_json_lacks(&ev, "dest_zone");
    }
    assert_json_has(&ev, "\"hook\":\"forward\"");
}

static void front_end_prefixes(void **state)
{
    (void)state;
    expect_prefix("[UFW BLOCK] ", "blocked", NULL, NULL);
    expect_prefix("[UFW ALLOW] ", "allowed", NULL, NULL);
    expect_prefix("[UFW AUDIT] ", "unknown", NULL, NULL);
    expect_prefix("[UFW LIMIT BLOCK] ", "blocked", NULL, NULL);
    expect_prefix("filter_IN_public_REJECT: ", "blocked", "public", NULL);
    expect_prefix("filter_FWD_internal_DROP: ", "blocked", "internal", NULL);
    expect_prefix("filter_FWDO_dmz_REJECT: ", "blocked", NULL, "dmz");
    expect_prefix("FINAL_REJECT: ", "blocked", NULL, NULL);
    expect_prefix("reject wan in: ", "blocked", "wan", NULL);
    expect_prefix("drop wan out: ", "blocked", NULL, "wan");
    expect_prefix("drop lan forward: ", "blocked", "lan", NULL);
    expect_prefix("accept wan in: ", "allowed", "wan", NULL);
    expect_prefix("Shorewall:net-fw:DROP:", "blocked", "net", "fw");
    expect_prefix("Shorewall:loc2net:REJECT:", "blocked", "loc", "net");
    expect_prefix("Shorewall:net-loc:ACCEPT:", "allowed", "net", "loc");
    expect_prefix("net-fw DROP ", "blocked", "net", "fw");
    expect_prefix("loc-net REJECT ", "blocked", "loc", "net");
    expect_prefix("IPT6-IN DROP ", "blocked", NULL, NULL);
    expect_prefix("[WAN_LOCAL-default-D]", "blocked", NULL, NULL);
    expect_prefix("[WAN_IN-10-A]", "allowed", NULL, NULL);
    expect_prefix("[ipv6-WAN_LOCAL-20-R]", "blocked", NULL, NULL);
    /* Words that only look like a front-end's */
    expect_prefix("dropped wan in: ", "blocked", NULL, NULL);
    expect_prefix("filter_OUT_x_DROP: ", "blocked", NULL, NULL);
}

/* ---- site-relative direction ---- */

static v6p_direction site_dir(v6p_site *s, const char *in, const char *out, const char *src,
                              const char *dst, v6p_hook *hook)
{
    char line[1024];
    snprintf(line, sizeof(line),
             "IN=%s OUT=%s SRC=%s DST=%s LEN=104 TC=0 HOPLIMIT=3 FLOWLBL=0 PROTO=ICMPv6 "
             "TYPE=128 CODE=0 ID=7 SEQ=1",
             in, out, src, dst);
    v6p_event ev;
    v6p_result r;
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    *hook = ev.hook;
    return v6p_site_direction(s, &ev);
}

#define LANH "2001:db8:1:1::10"
#define LANH2 "2001:db8:1:2::20"
#define NET "2001:db8:9::2"

static void gateway_by_interfaces(void **state)
{
    (void)state;
    v6p_error e;
    v6p_site *s = v6p_site_new(&e);
    v6p_hook h;
    /* Nothing described: the device's view stays. */
    assert_false(v6p_site_known(s));
    assert_int_equal(site_dir(s, "wan0", "lan0", NET, LANH, &h), V6P_DIR_FORWARD);
    assert_int_equal(h, V6P_HOOK_FORWARD);
    assert_int_equal(v6p_site_add_interface(s, "lan0", &e), 0);
    assert_int_equal(v6p_site_add_interface(s, "br-*", &e), 0);
    assert_int_equal(v6p_site_add_interface(s, "igb1.*", &e), 0);
    assert_true(v6p_site_known(s));
    assert_int_equal(site_dir(s, "wan0", "lan0", NET, LANH, &h), V6P_DIR_INBOUND);
    assert_int_equal(site_dir(s, "lan0", "wan0", LANH, NET, &h), V6P_DIR_OUTBOUND);
    assert_int_equal(h, V6P_HOOK_FORWARD);
    assert_int_equal(site_dir(s, "br-guest", "igb1.20", LANH, LANH2, &h), V6P_DIR_LATERAL);
    assert_int_equal(site_dir(s, "igb1", "wan0", LANH, NET, &h), V6P_DIR_UNKNOWN);
    /* The gateway itself is inside: INPUT from the WAN is inbound, from the
     * LAN lateral; OUTPUT to the WAN outbound. */
    assert_int_equal(site_dir(s, "wan0", "", NET, LANH, &h), V6P_DIR_INBOUND);
    assert_int_equal(h, V6P_HOOK_INPUT);
    assert_int_equal(site_dir(s, "lan0", "", LANH, "2001:db8:1:1::1", &h), V6P_DIR_LATERAL);
    assert_int_equal(site_dir(s, "", "wan0", "2001:db8:1:1::1", NET, &h), V6P_DIR_OUTBOUND);
    assert_int_equal(h, V6P_HOOK_OUTPUT);
    assert_int_equal(v6p_site_add_interface(s, "", &e), -1);
    v6p_site_free(s);
}

static void host_and_gateway_by_prefixes(void **state)
{
    (void)state;
    v6p_error e;
    v6p_site *s = v6p_site_new(&e);
    assert_int_equal(v6p_site_add_prefix(s, "2001:db8:1::/48", &e), 0);
    assert_int_equal(v6p_site_add_prefix(s, "2001:db8:1::/300", &e), -1);
    assert_int_equal(v6p_site_add_prefix(s, "lan0", &e), -1);
    v6p_hook h;
    /* A host firewall: INPUT and OUTPUT. */
    assert_int_equal(site_dir(s, "eth0", "", NET, LANH, &h), V6P_DIR_INBOUND);
    assert_int_equal(site_dir(s, "", "eth0", LANH, NET, &h), V6P_DIR_OUTBOUND);
    /* A gateway: FORWARD either way, and between two internal /64s. */
    assert_int_equal(site_dir(s, "eth0", "eth1", NET, LANH, &h), V6P_DIR_INBOUND);
    assert_int_equal(site_dir(s, "eth1", "eth0", LANH, NET, &h), V6P_DIR_OUTBOUND);
    assert_int_equal(site_dir(s, "eth1", "eth2", LANH, LANH2, &h), V6P_DIR_LATERAL);
    /* Transit between two outside networks is neither. */
    assert_int_equal(site_dir(s, "eth0", "eth3", NET, "2001:db8:7::1", &h), V6P_DIR_UNKNOWN);
    v6p_site_free(s);
}

/* ---- the same packet logged twice ---- */

static void mark(v6p_dedupe *d, const char *line, v6p_event *ev)
{
    v6p_result r;
    assert_int_equal(parse_str(P, line, ev, &r), V6P_OK);
    v6p_dedupe_mark(d, ev);
}

#define PKT(prefix, stamp, seq)                                                                    \
    "2026-11-27T16:59:" stamp "+00:00 gw kernel: " prefix " IN=wan0 OUT=lan0 SRC=" NET             \
    " DST=" LANH " LEN=104 TC=0 HOPLIMIT=3 FLOWLBL=5 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=" seq

#define UDP(prefix, stamp)                                                                         \
    "2026-11-27T16:59:" stamp "+00:00 gw kernel: " prefix " IN=wan0 OUT=lan0 SRC=" NET             \
    " DST=" LANH " LEN=60 TC=0 HOPLIMIT=9 FLOWLBL=0 PROTO=UDP SPT=4000 DPT=33434 LEN=20"

static void duplicates(void **state)
{
    (void)state;
    v6p_error e;
    v6p_dedupe_config c;
    v6p_dedupe_config_init(&c, sizeof(c));
    c.capacity = 16;
    v6p_dedupe *d = v6p_dedupe_new(&c, &e);
    assert_non_null(d);
    v6p_event a, b;
    mark(d, PKT("[UFW AUDIT]", "01.100000", "1"), &a);
    mark(d, PKT("[UFW BLOCK]", "01.100020", "1"), &b);
    assert_false(v6p_event_is_duplicate(&a));
    assert_true(v6p_event_is_duplicate(&b));
    assert_true(a.packet_id != 0 && a.packet_id < (UINT64_C(1) << 53));
    assert_int_equal(b.packet_id, a.packet_id);
    assert_int_equal(b.duplicate_of, a.packet_id);
    assert_json_lacks(&a, "duplicate_of");
    char want[64];
    snprintf(want, sizeof(want), "\"duplicate_of\":%llu", (unsigned long long)a.packet_id);
    assert_json_has(&b, want);
    /* Same fields, another ICMP sequence number: another probe. */
    mark(d, PKT("[UFW BLOCK]", "01.100040", "2"), &b);
    assert_false(v6p_event_is_duplicate(&b));
    assert_true(b.packet_id != a.packet_id);
    /* The same packet seconds later: sent again, not logged again. */
    mark(d, PKT("[UFW BLOCK]", "04.100000", "1"), &b);
    assert_false(v6p_event_is_duplicate(&b));
    /* Stamps of whole seconds across a second boundary still pair up. */
    mark(d,
         "Nov 27 16:59:08 gw kernel: A IN=wan0 OUT=lan0 SRC=" NET " DST=" LANH
         " LEN=60 TC=0 HOPLIMIT=9 FLOWLBL=0 PROTO=TCP SPT=4000 DPT=22 SEQ=99 ACK=0 "
         "WINDOW=64 RES=0x00 SYN URGP=0",
         &a);
    mark(d,
         "Nov 27 16:59:09 gw kernel: B IN=wan0 OUT=lan0 SRC=" NET " DST=" LANH
         " LEN=60 TC=0 HOPLIMIT=9 FLOWLBL=0 PROTO=TCP SPT=4000 DPT=22 SEQ=99 ACK=0 "
         "WINDOW=64 RES=0x00 SYN URGP=0",
         &b);
    assert_true(v6p_event_is_duplicate(&b));
    /* Lines without identifiers (IPv6 UDP): the same rule twice is two
     * packets, two rules one packet. */
    mark(d, UDP("FW-IN-A", "30.000000"), &a);
    mark(d, UDP("FW-IN-A", "30.000100"), &b);
    assert_false(v6p_event_is_duplicate(&b));
    assert_true(b.packet_id != a.packet_id);
    mark(d, UDP("FW-IN-B", "30.000200"), &a);
    assert_true(v6p_event_is_duplicate(&a));
    assert_int_equal(a.duplicate_of, b.packet_id);
    /* Bounded: a flood of distinct packets evicts, never grows. */
    for (int i = 0; i < 100; i++) {
        char line[512];
        snprintf(line, sizeof(line), PKT("X", "20.000000", "%d"), i + 10);
        mark(d, line, &a);
    }
    v6p_dedupe_stats st;
    v6p_dedupe_get_stats(d, &st, sizeof(st));
    assert_int_equal(st.duplicates, 3);
    assert_true(st.evictions >= 100 - 16);
    v6p_dedupe_free(d);
}

/* Trackers skip a repeat: a ladder of two probes a rung, logged twice,
 * is found with two a rung. */
static void ladder_through_duplicates(void **state)
{
    (void)state;
    v6p_error e;
    v6p_dedupe *d = v6p_dedupe_new(NULL, &e);
    v6p_taggers *t = v6p_taggers_new(NULL, &e);
    assert_non_null(d);
    assert_non_null(t);
    int seq = 0;
    uint32_t top_repeat = 0, rungs = 0;
    for (int hop = 1; hop <= 6; hop++)
        for (int k = 0; k < 2; k++) {
            seq++;
            for (int rule = 0; rule < 2; rule++) {
                char line[512];
                snprintf(line, sizeof(line),
                         "2026-11-27T16:59:%02d.%06d+00:00 gw kernel: R%d IN=wan0 OUT=lan0 "
                         "SRC=" NET " DST=" LANH " LEN=104 TC=0 HOPLIMIT=%d FLOWLBL=0 "
                         "PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=%d",
                         seq, rule * 10, rule, hop, seq);
                v6p_event ev;
                v6p_result r;
                assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
                v6p_dedupe_mark(d, &ev);
                v6p_taggers_apply(t, &ev);
                if (rule == 1)
                    assert_false(v6p_event_has(&ev, V6P_F_LADDER_ID));
                else if (v6p_event_has(&ev, V6P_F_LADDER_REPEAT)) {
                    top_repeat = ev.ladder_repeat > top_repeat ? ev.ladder_repeat : top_repeat;
                    rungs = ev.ladder_rungs;
                }
            }
        }
    assert_int_equal(rungs, 6);
    assert_int_equal(top_repeat, 2);
    v6p_taggers_free(t);
    v6p_dedupe_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rsyslog_tag_glued_to_message),
        cmocka_unit_test(kernel_priority_and_uptime),
        cmocka_unit_test(bare_program_tag),
        cmocka_unit_test(journalctl_short_monotonic),
        cmocka_unit_test(journalctl_json),
        cmocka_unit_test(syslog_ng_rfc5424),
        cmocka_unit_test(front_end_prefixes),
        cmocka_unit_test(gateway_by_interfaces),
        cmocka_unit_test(host_and_gateway_by_prefixes),
        cmocka_unit_test(duplicates),
        cmocka_unit_test(ladder_through_duplicates),
    };
    return cmocka_run_group_tests(tests, parser_setup, parser_teardown);
}
