/* pfSense / OPNsense filterlog records, written from the documented format:
 * every protocol branch for IPv6 and IPv4, both products, and the records
 * that must be refused. */
#include "testutil.h"

#define PFS "<134>Nov 27 16:59:01 filterlog[72237]: "
#define OPN "<134>1 2026-11-27T16:59:01+00:00 fw.example filterlog 76404 - [meta sequenceId=\"1\"] "
#define LBL "fae559338f65e11c53669fc3642c93c2"

static void ok(const char *line, v6p_event *ev)
{
    expect_parsed(P, line, ev, V6P_FORMAT_FILTERLOG);
}

static void bad(const char *line, v6p_reason want)
{
    expect_malformed(P, line, want);
}

static void v6_udp_pfsense(void **state)
{
    (void)state;
    v6p_event ev;
    ok(PFS "6,,,1000000105,igb1.27,match,block,in,6,0x00,0xf6279,1,UDP,17,32,"
           "fe80::208:9bff:fef3:652b,ff02::1:2,546,547,32",
       &ev);
    assert_json_has(&ev, "\"vendor_product\":\"pf:filterlog\"");
    assert_json_has(&ev, "\"rule\":\"6\"");
    assert_json_has(&ev, "\"pf_label\":\"1000000105\"");
    assert_json_has(&ev, "\"pf_reason\":\"match\"");
    assert_json_has(&ev, "\"pf_action\":\"block\"");
    assert_json_has(&ev, "\"action\":\"blocked\"");
    assert_json_has(&ev, "\"direction\":\"inbound\"");
    assert_json_has(&ev, "\"src_interface\":\"igb1.27\"");
    assert_json_has(&ev, "\"src\":\"fe80::208:9bff:fef3:652b\"");
    assert_json_has(&ev, "\"dest\":\"ff02::1:2\"");
    assert_json_has(&ev, "\"transport\":\"udp\"");
    assert_int_equal(ev.flow_label, 0xf6279);
    assert_int_equal(ev.traffic_class, 0);
    assert_int_equal(ev.hop_limit, 1);
    assert_int_equal(ev.bytes, 72);
    assert_int_equal(ev.src_port, 546);
    assert_int_equal(ev.dest_port, 547);
    assert_int_equal(ev.transport_length, 32);
    assert_int_equal(ev.protocol_version, 6);
    assert_json_lacks(&ev, "pf_subrule");
    assert_json_lacks(&ev, "pf_anchor");
}

static void v6_tcp_both(void **state)
{
    (void)state;
    v6p_event ev;
    /* pfSense: mixed-case name, SYN with options */
    ok(PFS "12,,,1000000103,em0,match,block,in,6,0x28,0x00000,57,TCP,6,40,3fff::66,"
           "2001:db8:1::2,40000,22,0,S,123456,,1024,,mss;nop;wscale",
       &ev);
    assert_int_equal(ev.traffic_class, 0x28);
    assert_int_equal(ev.hop_limit, 57);
    assert_int_equal(ev.bytes, 80);
    assert_int_equal(ev.src_port, 40000);
    assert_int_equal(ev.dest_port, 22);
    assert_int_equal(ev.tcp_flags, V6P_TCP_SYN);
    assert_int_equal(ev.tcp_seq, 123456);
    assert_int_equal(ev.tcp_window, 1024);
    assert_json_has(&ev, "\"tcp_options\":\"mss;nop;wscale\"");
    assert_json_lacks(&ev, "tcp_ack");
    /* OPNsense: lowercase name, label, data with seq:end, ack, urg, out */
    ok(OPN "124,,," LBL ",ixl1_vlan70,match,pass,out,6,0x00,0x12345,64,tcp,6,45,2001:db8::1,"
           "2001:db8::2,443,50000,5,PAUEC,100:105,200,65535,7,",
       &ev);
    assert_json_has(&ev, "\"pf_label\":\"" LBL "\"");
    assert_json_has(&ev, "\"dvc\":\"fw.example\"");
    assert_json_has(&ev, "\"action\":\"allowed\"");
    assert_json_has(&ev, "\"direction\":\"outbound\"");
    assert_json_has(&ev, "\"dest_interface\":\"ixl1_vlan70\"");
    assert_json_lacks(&ev, "src_interface");
    assert_json_lacks(&ev, "tcp_options");
    assert_int_equal(ev.tcp_flags,
                     V6P_TCP_PSH | V6P_TCP_ACK | V6P_TCP_URG | V6P_TCP_ECE | V6P_TCP_CWR);
    assert_int_equal(ev.tcp_seq, 100);
    assert_int_equal(ev.tcp_ack, 200);
    assert_int_equal(ev.tcp_urgp, 7);
    assert_int_equal(ev.flow_label, 0x12345);
    assert_json_has(&ev, "\"time\":1795798741.000000");
}

static void v6_icmp(void **state)
{
    (void)state;
    v6p_event ev;
    /* pfSense: no ICMPv6 details, trailing comma */
    ok(PFS "5,,,1000000003,em0,match,block,in,6,0x00,0x00000,64,ICMPv6,58,8,"
           "fe80::208:a2ff:fe0f:cb66,fe80::56a6:5cff:fe7d:1d43,",
       &ev);
    assert_int_equal(ev.protocol_number, 58);
    assert_json_lacks(&ev, "icmp_type");
    /* OPNsense: echo request with id/seq */
    ok(OPN "5,,,0,em0,match,block,in,6,0x00,0x00000,3,ipv6-icmp,58,16,3fff::1,2001:db8::2,"
           "datalength=16,echoreq,0,4660,7,",
       &ev);
    assert_json_lacks(&ev, "pf_label"); /* label 0 = none */
    assert_int_equal(ev.icmp_type, 128);
    assert_int_equal(ev.icmp_code, 0);
    assert_int_equal(ev.icmp_id, 4660);
    assert_int_equal(ev.icmp_seq, 7);
    assert_int_equal(ev.hop_limit, 3);
    /* packet too big with mtu; time exceeded by name; unknown type */
    ok(OPN "5,,,0,em0,match,block,in,6,0x00,0x00000,60,ipv6-icmp,58,1240,2001:db8:ff::1,"
           "2001:db8::2,datalength=1240,toobig,0,,,1280",
       &ev);
    assert_int_equal(ev.icmp_type, 2);
    assert_int_equal(ev.icmp_mtu, 1280);
    ok(OPN "5,,,0,em0,match,block,in,6,0x00,0x00000,60,ipv6-icmp,58,56,2001:db8:ff::1,"
           "2001:db8::2,datalength=56,timex,transit,,,",
       &ev);
    assert_int_equal(ev.icmp_type, 3);
    assert_int_equal(ev.icmp_code, 0);
    ok(OPN "5,,,0,em0,match,block,in,6,0x00,0x00000,60,ipv6-icmp,58,56,2001:db8:ff::1,"
           "2001:db8::2,datalength=56,unreach,port-unr,,,",
       &ev);
    assert_int_equal(ev.icmp_type, 1);
    assert_int_equal(ev.icmp_code, 4);
    ok(OPN "5,,,0,em0,match,pass,in,6,0x00,0x00000,255,ipv6-icmp,58,24,fe80::1,ff02::1,"
           "datalength=24,unknown(160),3,,,",
       &ev);
    assert_int_equal(ev.icmp_type, 160);
    assert_int_equal(ev.icmp_code, 3);
    ok(OPN "5,,,0,em0,match,pass,in,6,0x00,0x00000,255,ipv6-icmp,58,24,fe80::1,ff02::1,"
           "datalength=24,neighbrsol,0,,,",
       &ev);
    assert_int_equal(ev.icmp_type, 135);
}

static void v6_other_protocols(void **state)
{
    (void)state;
    v6p_event ev;
    /* pfSense hop-by-hop walk; pfSense VRRP ends after the addresses */
    ok(PFS "8,,,1000000004,em0,match,block,in,6,0x00,0x00000,1,Options,0,32,fe80::1,ff02::16,"
           "HBH,PADN,RTALERT,0x0000,",
       &ev);
    assert_int_equal(ev.protocol_number, 0);
    ok(PFS "8,,,1000000004,em0,match,pass,in,6,0x00,0x00000,255,VRRP,112,36,fe80::1,ff02::12,",
       &ev);
    assert_int_equal(ev.protocol_number, 112);
    /* OPNsense VRRP, other protocol with datalength=, 6in6 on pfSense */
    ok(OPN "9,,,0,em0,match,pass,in,6,0x00,0x00000,255,vrrp,112,36,fe80::1,ff02::12,"
           "advertise,255,1,3,0,1",
       &ev);
    ok(OPN "9,,,0,em0,match,block,in,6,0x00,0x00000,64,gre,47,100,2001:db8::1,2001:db8::2,"
           "datalength=100",
       &ev);
    assert_json_has(&ev, "\"transport\":\"gre\"");
    ok(PFS "9,,,1000000009,gif0,match,pass,in,6,0x00,0x00000,64,IPv6,41,100,2001:db8::1,"
           "2001:db8::2,IPV6-IN-IPV6,",
       &ev);
    /* anchor, sub-rule, rule -1 (empty), in/out */
    ok(PFS ",16777216,userrules/x,1000000105,em0,state-mismatch,block,in/out,6,0x00,0x00000,64,"
           "UDP,17,16,2001:db8::1,2001:db8::2,53,53,16",
       &ev);
    assert_json_lacks(&ev, "\"rule\"");
    assert_int_equal(ev.pf_subrule, 16777216);
    assert_json_has(&ev, "\"pf_anchor\":\"userrules/x\"");
    assert_json_has(&ev, "\"direction\":\"unknown\"");
    assert_json_has(&ev, "\"src_interface\":\"em0\"");
    assert_json_has(&ev, "\"pf_reason\":\"state-mismatch\"");
}

static void v4_branches(void **state)
{
    (void)state;
    v6p_event ev;
    ok(PFS "146,,,1535324496,igb1.12,match,block,in,4,0x0,,63,12617,0,DF,6,tcp,60,10.1.2.50,"
           "192.0.2.1,49724,853,0,S,1891286705,,64240,,mss;sackOK;TS;nop;wscale",
       &ev);
    assert_int_equal(ev.protocol_version, 4);
    assert_json_has(&ev, "\"src\":\"10.1.2.50\"");
    assert_int_equal(ev.bytes, 60);
    assert_int_equal(ev.hop_limit, 63);
    assert_int_equal(ev.ip_id, 12617);
    assert_int_equal(ev.ip_flags, V6P_IP_DF);
    ok(PFS "176,,,1520797901,igb1.27,match,pass,in,4,0xb8,,64,58355,0,none,17,udp,76,10.1.27.27,"
           "192.0.2.66,123,123,56",
       &ev);
    assert_int_equal(ev.traffic_class, 0xb8);
    assert_int_equal(ev.transport_length, 56);
    /* pfSense IPv4 ICMP: request (seq glued to the length), unreachport */
    ok(PFS "5,,,1000000103,em0,match,block,in,4,0x0,,64,1,0,none,1,icmp,84,192.0.2.1,"
           "192.0.2.2,request,4660,164",
       &ev);
    assert_int_equal(ev.icmp_type, 8);
    assert_int_equal(ev.icmp_id, 4660);
    assert_json_lacks(&ev, "icmp_seq");
    ok(PFS "5,,,1000000103,em0,match,block,in,4,0x0,,64,1,0,none,1,icmp,56,192.0.2.1,"
           "192.0.2.2,unreachport,192.0.2.9,UDP,3343456",
       &ev);
    assert_int_equal(ev.icmp_type, 3);
    assert_int_equal(ev.icmp_code, 3);
    /* OPNsense IPv4 ICMP, needfrag with mtu */
    ok(OPN "5,,,0,em0,match,block,in,4,0x0,,64,1,0,none,1,icmp,56,192.0.2.1,192.0.2.2,"
           "datalength=36,unreach,needfrag,,,1400",
       &ev);
    assert_int_equal(ev.icmp_code, 4);
    assert_int_equal(ev.icmp_mtu, 1400);
    /* IGMP (pfSense: nothing after the addresses), and a non-first fragment */
    ok(PFS "7,,,1000000103,em0,match,block,in,4,0x0,,1,0,0,none,2,igmp,32,192.0.2.1,224.0.0.1,",
       &ev);
    ok(PFS "7,,,1000000103,em0,match,block,in,4,0x0,,64,9,1480,+,17,udp,100,192.0.2.1,192.0.2.2,",
       &ev);
    assert_int_equal(ev.frag_offset, 1480);
    assert_json_lacks(&ev, "src_port");
}

static void refused(void **state)
{
    (void)state;
    /* truncated: the record stops inside the IPv6 part or the TCP part */
    bad(PFS "6,,,1000000105,igb1.27,match,block,in,6,0x00,0xf6279,1,UDP,17,32,fe80::1",
        V6P_R_FIELD_COUNT);
    bad(PFS "6,,,1000000105,igb1.27,match,block,in", V6P_R_TRUNCATED);
    bad(PFS "12,,,1,em0,match,block,in,6,0x00,0x00000,57,TCP,6,40,3fff::66,2001:db8::2,40000,22,0,"
            "S",
        V6P_R_FIELD_COUNT);
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,32,fe80::1,ff02::1:2,546,547",
        V6P_R_FIELD_COUNT);
    /* extra fields */
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,32,fe80::1,ff02::1:2,546,547,32,9",
        V6P_R_FIELD_COUNT);
    bad(PFS "12,,,1,em0,match,block,in,6,0x00,0x00000,57,TCP,6,40,3fff::66,2001:db8::2,40000,22,0,"
            "S,1,,1024,,mss,extra",
        V6P_R_FIELD_COUNT);
    bad(PFS "5,,,1,em0,match,block,in,6,0x00,0x00000,64,ICMPv6,58,8,fe80::1,fe80::2,stray",
        V6P_R_FIELD_COUNT);
    /* non-numeric numbers */
    bad(PFS "x6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,32,fe80::1,ff02::1:2,546,547,32",
        V6P_R_BAD_NUMBER);
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,32,fe80::1,ff02::1:2,5x6,547,32",
        V6P_R_BAD_NUMBER);
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,256,UDP,17,32,fe80::1,ff02::1:2,546,547,32",
        V6P_R_BAD_NUMBER);
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,zz,1,UDP,17,32,fe80::1,ff02::1:2,546,547,32",
        V6P_R_BAD_NUMBER);
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,-3,fe80::1,ff02::1:2,546,547,32",
        V6P_R_BAD_NUMBER);
    /* an address that is not one, and marked truncation */
    bad(PFS "6,,,1,igb1,match,block,in,6,0x00,0x00000,1,UDP,17,32,fe80::1::2,ff02::1:2,546,547,32",
        V6P_R_BAD_ADDRESS);
    bad(OPN "6,,,0,igb1,match,block,in,6,truncated-ip6=20,", V6P_R_TRUNCATED);
    bad(PFS "6,,,1,igb1,match,block,in,6,error='truncated-ip6 - 8 bytes missing!',0x00,0x00000,1,"
            "UDP,17,32,fe80::1,ff02::1:2,546,547,32",
        V6P_R_TRUNCATED);
    bad(OPN "5,,,0,em0,match,block,in,6,0x00,0x00000,3,ipv6-icmp,58,1,3fff::1,2001:db8::2,"
            "datalength=1,truncated-icmp=1,,,,",
        V6P_R_TRUNCATED);
    bad(PFS "6,,,1,igb1,match,block,in,5,0x00", V6P_R_UNEXPECTED_TOKEN);
}

static void headerless_5424(void **state)
{
    (void)state;
    v6p_event ev;
    ok("2026-11-27T16:59:01+00:00 fw.example filterlog 87496 - [meta sequenceId=\"7\"] "
       "69,,,0,em0,match,pass,out,6,0x00,0x00000,64,udp,17,16,2001:db8::1,2001:db8::2,5353,53,16",
       &ev);
    assert_json_has(&ev, "\"dvc\":\"fw.example\"");
    assert_int_equal(ev.dest_port, 53);
}

static void not_firewall(void **state)
{
    (void)state;
    v6p_event ev;
    v6p_result r;
    assert_int_equal(
        parse_str(P, "<30>Nov 27 16:59:01 fw dhcpd[40152]: DHCPDISCOVER from x", &ev, &r),
        V6P_NOT_FIREWALL);
    assert_int_equal(parse_str(P, PFS "filterlog starting", &ev, &r), V6P_NOT_FIREWALL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v6_udp_pfsense), cmocka_unit_test(v6_tcp_both),
        cmocka_unit_test(v6_icmp),        cmocka_unit_test(v6_other_protocols),
        cmocka_unit_test(v4_branches),    cmocka_unit_test(refused),
        cmocka_unit_test(not_firewall),   cmocka_unit_test(headerless_5424),
    };
    return cmocka_run_group_tests(tests, parser_setup, parser_teardown);
}
