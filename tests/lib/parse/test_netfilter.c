/* Netfilter LOG lines: every field, and what must be refused. */
#include "testutil.h"

#define HDR "Nov 27 16:59:01 gw1 kernel: [  135.845075] "
#define A1 "2001:0db8:0001:0000:0000:0000:0000:0001"
#define A2 "2001:0db8:0002:0000:0a1b:2c3d:4e5f:6071"
#define ECHO_LINE                                                                                  \
    HDR "IPT6-DROP: IN=eth0 OUT= MAC=33:33:00:00:00:01:12:52:8d:35:65:90:86:dd SRC=" A1 " DST=" A2 \
        " LEN=104 TC=0 HOPLIMIT=57 FLOWLBL=246417 PROTO=ICMPv6 TYPE=128 CODE=0 "                   \
        "ID=2914 SEQ=1 "

static void echo_request_fields(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    assert_int_equal(parse_str(P, ECHO_LINE, &ev, &r), V6P_OK);
    assert_int_equal(ev.format, V6P_FORMAT_IPTABLES);
    assert_int_equal(ev.protocol_version, 6);
    assert_int_equal(ev.hop_limit, 57);
    assert_int_equal(ev.flow_label, 246417);
    assert_int_equal(ev.bytes, 104);
    assert_int_equal(ev.icmp_type, 128);
    assert_int_equal(ev.icmp_id, 2914);
    assert_int_equal(ev.icmp_seq, 1);
    assert_int_equal(ev.action, V6P_ACTION_BLOCKED);
    assert_int_equal(ev.direction, V6P_DIR_INBOUND);
    assert_json_has(&ev, "\"src\":\"2001:db8:1::1\"");
    assert_json_has(&ev, "\"dest\":\"2001:db8:2:0:a1b:2c3d:4e5f:6071\"");
    assert_json_has(&ev, "\"rule\":\"IPT6-DROP\"");
    assert_json_has(&ev, "\"dvc\":\"gw1\"");
    assert_json_has(&ev, "\"src_interface\":\"eth0\"");
    assert_json_has(&ev, "\"src_mac\":\"12:52:8d:35:65:90\"");
    assert_json_has(&ev, "\"dest_mac\":\"33:33:00:00:00:01\"");
    assert_json_has(&ev, "\"ether_type\":34525");
    assert_json_has(&ev, "\"transport\":\"icmpv6\"");
    assert_json_has(&ev, "\"protocol_number\":58");
    assert_json_has(&ev, "\"traffic_class\":0");
    assert_json_has(&ev, "\"vendor_product\":\"linux:iptables\"");
    assert_json_has(&ev, "\"action\":\"blocked\"");
    assert_json_has(&ev, "\"direction\":\"inbound\"");
    assert_json_has(&ev, "\"time\":1795798741.000000");
    assert_json_lacks(&ev, "dest_interface");
    assert_json_lacks(&ev, "src_port");
}

static void tcp_with_sequence_options_uid_mark(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "OUT6: IN= OUT=eth0 SRC=" A1 " DST=" A2
                       " LEN=80 TC=16 HOPLIMIT=64 FLOWLBL=1048575 PROTO=TCP SPT=43210 DPT=443 "
                       "SEQ=4294967295 ACK=0 WINDOW=64800 RES=0x00 CWR ECE SYN URGP=0 "
                       "OPT (020405A00402080A) UID=1000 GID=100 MARK=0xd4 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.src_port, 43210);
    assert_int_equal(ev.dest_port, 443);
    assert_int_equal(ev.tcp_seq, 4294967295u);
    assert_int_equal(ev.tcp_window, 64800);
    assert_int_equal(ev.traffic_class, 16);
    assert_int_equal(ev.flow_label, 1048575);
    assert_int_equal(ev.uid, 1000);
    assert_int_equal(ev.gid, 100);
    assert_int_equal(ev.mark, 0xd4);
    assert_int_equal(ev.direction, V6P_DIR_OUTBOUND);
    assert_int_equal(ev.tcp_flags, V6P_TCP_CWR | V6P_TCP_ECE | V6P_TCP_SYN);
    assert_json_has(&ev, "\"tcp_flag\":[\"SYN\",\"ECE\",\"CWR\"]");
    assert_json_has(&ev, "\"tcp_options\":\"020405A00402080A\"");
    assert_json_has(&ev, "\"tcp_ack\":0");
    assert_json_has(&ev, "\"dest_interface\":\"eth0\"");
    assert_json_lacks(&ev, "src_interface");
    assert_json_lacks(&ev, "src_mac");
    assert_json_has(&ev, "\"time\":1795798800.000000"); /* no stamp: the fallback */
}

static void udp_second_len_is_transport_length(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "fw IN=eth1 OUT=eth0 SRC=" A1 " DST=" A2
                       " LEN=68 TC=0 HOPLIMIT=3 FLOWLBL=0 PROTO=UDP SPT=33434 DPT=53 LEN=28 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.bytes, 68);
    assert_int_equal(ev.transport_length, 28);
    assert_int_equal(ev.direction, V6P_DIR_FORWARD);
    assert_json_has(&ev, "\"transport\":\"udp\"");
    assert_json_has(&ev, "\"dest_port\":53");
}

static void nftables_mac_decode_and_vlan(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "6,812,135845075,-;nft in: IN=eth0 OUT= MACSRC=02:00:00:00:00:0a "
                       "MACDST=02:00:00:00:00:0b VPROTO=8100 VID=42 MACPROTO=86dd SRC=" A1
                       " DST=" A2 " LEN=64 TC=0 HOPLIMIT=1 FLOWLBL=7 PROTO=ICMPv6 TYPE=129 CODE=0 "
                       "ID=5 SEQ=9 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.format, V6P_FORMAT_NFTABLES);
    assert_int_equal(ev.vlan_id, 42);
    assert_int_equal(ev.ether_type, 0x86dd);
    assert_json_has(&ev, "\"src_mac\":\"02:00:00:00:00:0a\"");
    assert_json_has(&ev, "\"dest_mac\":\"02:00:00:00:00:0b\"");
    assert_json_has(&ev, "\"vendor_product\":\"linux:nftables\"");
    /* kmsg stamps are boot-relative: boot_time + 135.845075 s */
    assert_int_equal(ev.time_sec, 1795790000LL + 135);
    assert_int_equal(ev.time_usec, 845075);
    assert_json_lacks(&ev, "\"dvc\"");
}

static void time_exceeded_quotes_the_probe(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line =
        "TE: IN=eth0 OUT= SRC=2001:0db8:0000:0000:0000:0000:0000:00fe DST=" A1
        " LEN=112 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=ICMPv6 TYPE=3 CODE=0 [SRC=" A1
        " DST=2001:0db8:0009:0000:0000:0000:0000:0009 LEN=64 TC=0 HOPLIMIT=1 FLOWLBL=0 "
        "PROTO=UDP SPT=40000 DPT=33435 LEN=24 ] ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.icmp_type, 3);
    assert_int_equal(ev.hop_limit, 63);
    assert_int_equal(ev.inner_hop_limit, 1);
    assert_int_equal(ev.inner_dest_port, 33435);
    assert_json_has(&ev, "\"inner_src\":\"2001:db8:1::1\"");
    assert_json_has(&ev, "\"inner_dest\":\"2001:db8:9::9\"");
    assert_json_has(&ev, "\"inner_transport\":\"udp\"");
    assert_json_has(&ev, "\"inner_src_port\":40000");
    /* The quoted packet's UDP length is not the event's. */
    assert_json_lacks(&ev, "transport_length");
}

static void packet_too_big_mtu_after_quote(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "PTB IN=eth0 OUT= SRC=" A2 " DST=" A1
                       " LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=2 CODE=0 [SRC=" A1
                       " DST=" A2 " LEN=1500 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 "
                       "CODE=0 ID=1 SEQ=2 ] MTU=1400 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.icmp_mtu, 1400);
    assert_int_equal(ev.inner_icmp_id, 1);
    assert_int_equal(ev.inner_icmp_seq, 2);
    assert_json_lacks(&ev, "\"icmp_id\"");
}

static void bracket_glued_to_last_inner_value(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "x IN=eth0 OUT= SRC=" A2 " DST=" A1
                       " LEN=112 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=1 CODE=4 [SRC=" A1
                       " DST=" A2 " LEN=64 TC=0 HOPLIMIT=9 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0]";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.inner_hop_limit, 9);
}

static void parameter_problem_pointer(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line =
        "pp IN=eth0 OUT= SRC=" A2 " DST=" A1
        " LEN=112 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=4 CODE=1 "
        "POINTER=00000028 [SRC=" A1 " DST=" A2 " LEN=64 TC=0 HOPLIMIT=9 FLOWLBL=0 PROTO=58 ] ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.icmp_pointer, 0x28);
    assert_int_equal(ev.inner_protocol_number, 58);
}

static void fragments(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *first = "f IN=eth0 OUT= SRC=" A1 " DST=" A2
                        " LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:0 INCOMPLETE ID:8d4e1c2a "
                        "PROTO=ICMPv6 TYPE=128 CODE=0 ID=3 SEQ=4 ";
    assert_int_equal(parse_str(P, first, &ev, &r), V6P_OK);
    assert_true(ev.frag_more);
    assert_int_equal(ev.frag_id, 0x8d4e1c2a);
    assert_json_has(&ev, "\"frag_offset\":0");
    assert_json_has(&ev, "\"frag_more\":true");
    const char *later = "f IN=eth0 OUT= SRC=" A1 " DST=" A2
                        " LEN=1000 TC=0 HOPLIMIT=64 FLOWLBL=0 FRAG:1232 ID:8d4e1c2a PROTO=UDP ";
    assert_int_equal(parse_str(P, later, &ev, &r), V6P_OK);
    assert_int_equal(ev.frag_offset, 1232);
    assert_json_has(&ev, "\"frag_more\":false");
    assert_json_lacks(&ev, "src_port");
}

static void ipv4_line(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "Nov 27 16:59:01 gw1 kernel: [UFW BLOCK] IN=eth0 OUT= "
                       "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=198.51.100.7 "
                       "DST=192.0.2.10 LEN=60 TOS=0x10 PREC=0x00 TTL=52 ID=54321 DF PROTO=TCP "
                       "SPT=51000 DPT=23 WINDOW=29200 RES=0x00 SYN URGP=0 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.protocol_version, 4);
    assert_int_equal(ev.hop_limit, 52);
    assert_int_equal(ev.ip_id, 54321);
    assert_int_equal(ev.traffic_class, 0x10);
    assert_json_has(&ev, "\"src\":\"198.51.100.7\"");
    assert_json_has(&ev, "\"dest\":\"192.0.2.10\"");
    assert_json_has(&ev, "\"ip_flag\":[\"DF\"]");
    assert_json_has(&ev, "\"protocol_version\":4");
    assert_json_has(&ev, "\"rule\":\"[UFW BLOCK]\"");
    assert_json_has(&ev, "\"ether_type\":2048");
}

static void bridge_physdev_and_glued_prefix(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "[wan-lan-default-D]IN=br0 OUT=br0 PHYSIN=eth1 PHYSOUT=eth2 "
                       "MAC=33:33:00:00:00:01:12:52:8d:35:65:90:86:dd SRC=" A1 " DST=" A2
                       " LEN=60 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_json_has(&ev, "\"rule\":\"[wan-lan-default-D]\"");
    assert_json_has(&ev, "\"src_phys_interface\":\"eth1\"");
    assert_json_has(&ev, "\"dest_phys_interface\":\"eth2\"");
    assert_int_equal(ev.icmp_type, 135);
    /* VyOS/EdgeOS: the rule's verdict letter closes the prefix (D = drop). */
    assert_int_equal(ev.action, V6P_ACTION_BLOCKED);
    assert_int_equal(ev.hook, V6P_HOOK_FORWARD);
}

static void sit_tunnel_mac_is_not_a_link_header(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line =
        "[UFW BLOCK] IN=sit1 OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00:45:00:00:7c "
        "TUNNEL=203.0.113.5->192.0.2.1 SRC=fe80:0000:0000:0000:0000:0000:cb00:7105 "
        "DST=fe80:0000:0000:0000:0000:0000:c000:0201 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 "
        "PROTO=ICMPv6 TYPE=133 CODE=0 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_json_has(&ev, "\"tunnel_src\":\"203.0.113.5\"");
    assert_json_has(&ev, "\"tunnel_dest\":\"192.0.2.1\"");
    assert_json_has(&ev, "\"src\":\"fe80::cb00:7105\"");
    assert_json_lacks(&ev, "src_mac");
}

static void unspecified_and_compressed_addresses(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    const char *line = "dad IN=eth0 OUT= SRC=0000:0000:0000:0000:0000:0000:0000:0000 "
                       "DST=ff02:0000:0000:0000:0000:0001:ff00:0001 LEN=72 TC=0 HOPLIMIT=255 "
                       "FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0 ";
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
    assert_json_has(&ev, "\"src\":\"::\"");
    assert_json_has(&ev, "\"dest\":\"ff02::1:ff00:1\"");
    /* Hand-written lines use compressed forms; they are addresses too. */
    const char *hand = "x IN=eth0 OUT= SRC=2001:db8::1 DST=2001:DB8:0:0:1::1 LEN=72 TC=0 "
                       "HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0";
    assert_int_equal(parse_str(P, hand, &ev, &r), V6P_OK);
    assert_json_has(&ev, "\"dest\":\"2001:db8::1:0:0:1\"");
}

static void trailing_space_crlf_and_no_space(void **state)
{
    (void)state;
    v6p_event a, b, c;
    v6p_result r;
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s\r\n", ECHO_LINE);
    assert_int_equal(parse_str(P, buf, &a, &r), V6P_OK);
    snprintf(buf, sizeof(buf), "%s", ECHO_LINE);
    buf[strlen(buf) - 1] = '\0'; /* a daemon stripped the trailing space */
    assert_int_equal(parse_str(P, buf, &b, &r), V6P_OK);
    assert_int_equal(parse_str(P, ECHO_LINE "   \t ", &c, &r), V6P_OK);
    assert_string_equal(event_json(&a), event_json(&c));
    assert_int_equal(b.icmp_seq, 1);
}

static void every_truncation_is_refused(void **state)
{
    (void)state;
    /* Cut anywhere before the last field completes, the line must not make an
     * event: half a line is not a probe. */
    const char *line = ECHO_LINE;
    size_t body = strlen(HDR), seq = (size_t)(strstr(line, "SEQ=") - line) + 4;
    v6p_event ev;
    v6p_result r;
    for (size_t cut = body; cut < seq; cut++) {
        v6p_status st = v6p_parse(P, line, cut, TEST_NOW, 0, &ev, &r);
        if (st == V6P_OK)
            fail_msg("cut at %zu parsed as an event", cut);
    }
}

static void malformed_reasons(void **state)
{
    (void)state;
    struct {
        const char *line;
        v6p_reason reason;
    } cases[] = {
        {"x IN=eth0 OUT= SRC=" A1 " SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_DUPLICATE_FIELD},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=256 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_NUMBER},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=1048576 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_NUMBER},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=65536 DPT=2 LEN=3",
         V6P_R_BAD_NUMBER},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=-1 DPT=2 LEN=3",
         V6P_R_BAD_NUMBER},
        {"x IN=eth0 OUT= SRC=2001:db8::zz DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_ADDRESS},
        {"x IN=eth0 OUT= SRC=1:2:3:4:5:6:7:8:9 DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_ADDRESS},
        {"x IN=eth0 OUT= SRC=1::2::3 DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_ADDRESS},
        {"x IN=eth0 OUT= SRC=192.0.2.256 DST=192.0.2.1 LEN=1 TOS=0x00 PREC=0x00 TTL=1 ID=1 "
         "PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_ADDRESS},
        {"x IN=eth0 OUT= SRC=192.0.2.1 DST=" A2 " LEN=1 TOS=0x00 PREC=0x00 TTL=1 ID=1 "
         "PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_FAMILY_MISMATCH},
        {"x IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=1 TC=0 HOPLIMIT=1 ID=1 PROTO=UDP "
         "SPT=1 DPT=2 LEN=3",
         V6P_R_FAMILY_MISMATCH},
        {"x IN=eth0 OUT= MAC=zz:00 SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_MAC},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3 BOGUS=1",
         V6P_R_UNEXPECTED_TOKEN},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=3 CODE=0 [SRC=" A1 " [SRC=" A1 " ]",
         V6P_R_BAD_NESTING},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=3 CODE=0 [SRC=" A1,
         V6P_R_TRUNCATED},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2 " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=TCP SPT=1",
         V6P_R_TRUNCATED},
        {"x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=TCP SPT=1 DPT=2 WINDOW=3 SYN SYN",
         V6P_R_DUPLICATE_FIELD},
        {"Nov 32 16:59:01 gw kernel: x IN=eth0 OUT= SRC=" A1 " DST=" A2
         " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
         V6P_R_BAD_TIMESTAMP},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v6p_event ev;
        v6p_result r;
        v6p_status st = parse_str(P, cases[i].line, &ev, &r);
        if (st != V6P_MALFORMED || r.reason != cases[i].reason)
            fail_msg("case %zu: status %s reason '%s', expected malformed '%s'", i,
                     v6p_status_name(st), v6p_reason_text(r.reason),
                     v6p_reason_text(cases[i].reason));
        assert_true(r.offset <= strlen(cases[i].line));
    }
}

static void offset_points_at_the_bad_token(void **state)
{
    (void)state;
    const char *line = "x IN=eth0 OUT= SRC=" A1 " DST=" A2
                       " LEN=1 TC=0 HOPLIMIT=300 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3";
    v6p_event ev;
    v6p_result r;
    assert_int_equal(parse_str(P, line, &ev, &r), V6P_MALFORMED);
    assert_int_equal(r.offset, (uint32_t)(strstr(line, "HOPLIMIT=300") - line));
}

static void not_firewall_lines(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    assert_int_equal(parse_str(P, "Nov 27 16:59:01 gw1 sshd[42]: Accepted publickey", &ev, &r),
                     V6P_NOT_FIREWALL);
    assert_int_equal(parse_str(P, "", &ev, &r), V6P_NOT_FIREWALL);
    assert_int_equal(r.reason, V6P_R_EMPTY);
    assert_int_equal(parse_str(P, "   \r\n", &ev, &r), V6P_NOT_FIREWALL);
}

static void embedded_nul_and_binary(void **state)
{
    (void)state;
    char line[] = "x IN=eth0 OUT= SRC=2001:0db8:0001:0000:0000:0000:0000:0001 DST=2001:0db8:"
                  "0001:0000:0000:0000:0000:0002 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP "
                  "SPT=1 DPT=2 LEN=3";
    size_t n = sizeof(line) - 1;
    line[30] = '\0';
    v6p_event ev;
    v6p_result r;
    assert_int_equal(v6p_parse(P, line, n, TEST_NOW, 0, &ev, &r), V6P_MALFORMED);
    unsigned char junk[512];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (unsigned char)(i * 131 + 7);
    v6p_status st = v6p_parse(P, (const char *)junk, sizeof(junk), TEST_NOW, 0, &ev, &r);
    assert_true(st == V6P_NOT_FIREWALL || st == V6P_MALFORMED);
}

static void overlong_line_is_refused(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'A', n);
    memcpy(big, "x IN=eth0 OUT= ", 15);
    v6p_event ev;
    v6p_result r;
    assert_int_equal(v6p_parse(P, big, n, TEST_NOW, 0, &ev, &r), V6P_MALFORMED);
    assert_int_equal(r.reason, V6P_R_TOO_LONG);
    free(big);
}

static void patterns_decide_action_and_direction(void **state)
{
    (void)state;
    v6p_error err;
    memset(&err, 0, sizeof(err));
    v6p_parser *p = test_parser();
    assert_int_equal(v6p_parser_add_pattern(p, V6P_PATTERN_ACTION, "^LAN-", "allowed", &err), 0);
    assert_int_equal(v6p_parser_add_pattern(p, V6P_PATTERN_DIRECTION, "-IN$", "inbound", &err), 0);
    v6p_event ev;
    v6p_result r;
    const char *line = "LAN-DROP-IN IN= OUT=eth0 SRC=" A1 " DST=" A2
                       " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3";
    assert_int_equal(parse_str(p, line, &ev, &r), V6P_OK);
    /* Added patterns come before the defaults, so DROP does not win. */
    assert_int_equal(ev.action, V6P_ACTION_ALLOWED);
    assert_int_equal(ev.direction, V6P_DIR_INBOUND);
    assert_int_equal(v6p_parser_add_pattern(p, V6P_PATTERN_ACTION, "(unclosed", "blocked", &err),
                     -1);
    assert_true(strstr(err.message, "offset") != NULL);
    assert_int_equal(v6p_parser_add_pattern(p, V6P_PATTERN_ACTION, "x", "maybe", &err), -1);
    v6p_parser_clear_patterns(p);
    assert_int_equal(parse_str(p, line, &ev, &r), V6P_OK);
    assert_int_equal(ev.action, V6P_ACTION_UNKNOWN);
    assert_int_equal(ev.direction, V6P_DIR_OUTBOUND);
    v6p_parser_free(p);
}

static void default_actions(void **state)
{
    (void)state;
    const char *prefixes[][2] = {{"IPT6-DROP:", "blocked"},  {"REJECT-IN", "blocked"},
                                 {"[UFW BLOCK]", "blocked"}, {"nft deny", "blocked"},
                                 {"ACCEPT6", "allowed"},     {"[UFW ALLOW]", "allowed"},
                                 {"V6P-LOG", "unknown"},     {"BACKDROP", "unknown"}};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        char line[512];
        snprintf(line, sizeof(line),
                 "%s IN=eth0 OUT= SRC=" A1 " DST=" A2
                 " LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=3",
                 prefixes[i][0]);
        v6p_event ev;
        v6p_result r;
        assert_int_equal(parse_str(P, line, &ev, &r), V6P_OK);
        if (strcmp(v6p_action_name(ev.action), prefixes[i][1]) != 0)
            fail_msg("%s: %s, expected %s", prefixes[i][0], v6p_action_name(ev.action),
                     prefixes[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_request_fields),
        cmocka_unit_test(tcp_with_sequence_options_uid_mark),
        cmocka_unit_test(udp_second_len_is_transport_length),
        cmocka_unit_test(nftables_mac_decode_and_vlan),
        cmocka_unit_test(time_exceeded_quotes_the_probe),
        cmocka_unit_test(packet_too_big_mtu_after_quote),
        cmocka_unit_test(bracket_glued_to_last_inner_value),
        cmocka_unit_test(parameter_problem_pointer),
        cmocka_unit_test(fragments),
        cmocka_unit_test(ipv4_line),
        cmocka_unit_test(bridge_physdev_and_glued_prefix),
        cmocka_unit_test(sit_tunnel_mac_is_not_a_link_header),
        cmocka_unit_test(unspecified_and_compressed_addresses),
        cmocka_unit_test(trailing_space_crlf_and_no_space),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(malformed_reasons),
        cmocka_unit_test(offset_points_at_the_bad_token),
        cmocka_unit_test(not_firewall_lines),
        cmocka_unit_test(embedded_nul_and_binary),
        cmocka_unit_test(overlong_line_is_refused),
        cmocka_unit_test(patterns_decide_action_and_direction),
        cmocka_unit_test(default_actions),
    };
    return cmocka_run_group_tests(tests, parser_setup, parser_teardown);
}
