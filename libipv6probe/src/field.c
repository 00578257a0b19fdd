/* Field table, the checked field writer, and the names of enum values. */
#include "field.h"
#include "proto.h"

#include <string.h>

#define NUM(f, member, maxv)                                                                       \
    [f] = {#member, V6PI_T_NUM, sizeof(((v6p_event *)0)->member), offsetof(v6p_event, member), maxv}
#define NUMN(f, name, member, maxv)                                                                \
    [f] = {name, V6PI_T_NUM, sizeof(((v6p_event *)0)->member), offsetof(v6p_event, member), maxv}
#define TYPED(f, name, type, member) [f] = {name, type, 0, offsetof(v6p_event, member), 0}

const v6pi_field_info v6pi_field_rows[V6P_F_COUNT_] = {
    TYPED(V6P_F_TIME, "time", V6PI_T_TIME, time_sec),
    TYPED(V6P_F_DVC, "dvc", V6PI_T_SPAN, dvc),
    TYPED(V6P_F_VENDOR_PRODUCT, "vendor_product", V6PI_T_ENUM, format),
    TYPED(V6P_F_RULE, "rule", V6PI_T_SPAN, rule),
    TYPED(V6P_F_ACTION, "action", V6PI_T_ENUM, action),
    TYPED(V6P_F_DIRECTION, "direction", V6PI_T_ENUM, direction),
    TYPED(V6P_F_HOOK, "hook", V6PI_T_ENUM, hook),
    TYPED(V6P_F_SRC_ZONE, "src_zone", V6PI_T_SPAN, src_zone),
    TYPED(V6P_F_DEST_ZONE, "dest_zone", V6PI_T_SPAN, dest_zone),
    TYPED(V6P_F_SRC_INTERFACE, "src_interface", V6PI_T_SPAN, src_interface),
    TYPED(V6P_F_DEST_INTERFACE, "dest_interface", V6PI_T_SPAN, dest_interface),
    TYPED(V6P_F_SRC_PHYS_INTERFACE, "src_phys_interface", V6PI_T_SPAN, src_phys_interface),
    TYPED(V6P_F_DEST_PHYS_INTERFACE, "dest_phys_interface", V6PI_T_SPAN, dest_phys_interface),
    TYPED(V6P_F_SRC_MAC, "src_mac", V6PI_T_MAC, src_mac),
    TYPED(V6P_F_DEST_MAC, "dest_mac", V6PI_T_MAC, dest_mac),
    NUM(V6P_F_ETHER_TYPE, ether_type, 0xffff),
    NUM(V6P_F_VLAN_ID, vlan_id, 4095),
    TYPED(V6P_F_TUNNEL_SRC, "tunnel_src", V6PI_T_ADDR4, tunnel_src),
    TYPED(V6P_F_TUNNEL_DEST, "tunnel_dest", V6PI_T_ADDR4, tunnel_dest),
    NUM(V6P_F_PROTOCOL_VERSION, protocol_version, 6),
    TYPED(V6P_F_SRC, "src", V6PI_T_ADDR, src),
    TYPED(V6P_F_DEST, "dest", V6PI_T_ADDR, dest),
    TYPED(V6P_F_TRANSPORT, "transport", V6PI_T_ENUM, protocol_number),
    NUM(V6P_F_PROTOCOL_NUMBER, protocol_number, 255),
    NUM(V6P_F_SRC_PORT, src_port, 65535),
    NUM(V6P_F_DEST_PORT, dest_port, 65535),
    NUM(V6P_F_ICMP_TYPE, icmp_type, 255),
    NUM(V6P_F_ICMP_CODE, icmp_code, 255),
    NUM(V6P_F_ICMP_ID, icmp_id, 65535),
    NUM(V6P_F_ICMP_SEQ, icmp_seq, 65535),
    NUM(V6P_F_ICMP_MTU, icmp_mtu, 0xffffffffu),
    NUM(V6P_F_ICMP_POINTER, icmp_pointer, 0xffffffffu),
    NUM(V6P_F_HOP_LIMIT, hop_limit, 255),
    NUM(V6P_F_FLOW_LABEL, flow_label, 0xfffff),
    NUM(V6P_F_TRAFFIC_CLASS, traffic_class, 255),
    NUM(V6P_F_BYTES, bytes, 0xffffffffu),
    NUM(V6P_F_TRANSPORT_LENGTH, transport_length, 0xffffffffu),
    NUM(V6P_F_IP_ID, ip_id, 0xffffffffu),
    TYPED(V6P_F_IP_FLAG, "ip_flag", V6PI_T_FLAGS, ip_flags),
    NUM(V6P_F_FRAG_OFFSET, frag_offset, 0xffff),
    TYPED(V6P_F_FRAG_MORE, "frag_more", V6PI_T_BOOL, frag_more),
    NUM(V6P_F_FRAG_ID, frag_id, 0xffffffffu),
    TYPED(V6P_F_TCP_FLAG, "tcp_flag", V6PI_T_FLAGS, tcp_flags),
    NUM(V6P_F_TCP_SEQ, tcp_seq, 0xffffffffu),
    NUM(V6P_F_TCP_ACK, tcp_ack, 0xffffffffu),
    NUM(V6P_F_TCP_WINDOW, tcp_window, 0xffffffffu),
    NUM(V6P_F_TCP_RES, tcp_res, 255),
    NUM(V6P_F_TCP_URGP, tcp_urgp, 0xffff),
    TYPED(V6P_F_TCP_OPTIONS, "tcp_options", V6PI_T_SPAN, tcp_options),
    NUM(V6P_F_UID, uid, 0xffffffffu),
    NUM(V6P_F_GID, gid, 0xffffffffu),
    NUM(V6P_F_MARK, mark, 0xffffffffu),
    TYPED(V6P_F_INNER_SRC, "inner_src", V6PI_T_ADDR, inner_src),
    TYPED(V6P_F_INNER_DEST, "inner_dest", V6PI_T_ADDR, inner_dest),
    TYPED(V6P_F_INNER_TRANSPORT, "inner_transport", V6PI_T_ENUM, inner_protocol_number),
    NUM(V6P_F_INNER_PROTOCOL_NUMBER, inner_protocol_number, 255),
    NUM(V6P_F_INNER_SRC_PORT, inner_src_port, 65535),
    NUM(V6P_F_INNER_DEST_PORT, inner_dest_port, 65535),
    NUM(V6P_F_INNER_HOP_LIMIT, inner_hop_limit, 255),
    NUM(V6P_F_INNER_ICMP_TYPE, inner_icmp_type, 255),
    NUM(V6P_F_INNER_ICMP_ID, inner_icmp_id, 65535),
    NUM(V6P_F_INNER_ICMP_SEQ, inner_icmp_seq, 65535),
    TYPED(V6P_F_PF_REASON, "pf_reason", V6PI_T_SPAN, pf_reason),
    TYPED(V6P_F_PF_ANCHOR, "pf_anchor", V6PI_T_SPAN, pf_anchor),
    TYPED(V6P_F_PF_LABEL, "pf_label", V6PI_T_SPAN, pf_label),
    NUM(V6P_F_PF_SUBRULE, pf_subrule, 0xffffffffu),
    TYPED(V6P_F_PF_ACTION, "pf_action", V6PI_T_SPAN, pf_action),
    TYPED(V6P_F_SRC_BLOCK, "src_block", V6PI_T_ENUM, src_block),
    TYPED(V6P_F_DEST_BLOCK, "dest_block", V6PI_T_ENUM, dest_block),
    TYPED(V6P_F_SRC_IID, "src_iid", V6PI_T_ENUM, src_iid),
    TYPED(V6P_F_DEST_IID, "dest_iid", V6PI_T_ENUM, dest_iid),
    TYPED(V6P_F_SRC_PE, "src_pe", V6PI_T_BOOL, src_pe),
    TYPED(V6P_F_DEST_PE, "dest_pe", V6PI_T_BOOL, dest_pe),
    TYPED(V6P_F_DEST_PE_CONFIDENCE, "dest_pe_confidence", V6PI_T_REAL, dest_pe_confidence),
    TYPED(V6P_F_DEST_AGE, "dest_age", V6PI_T_INT64, dest_age),
    TYPED(V6P_F_SRC_ORG, "src_org", V6PI_T_CSTR, src_org),
    TYPED(V6P_F_SRC_CATEGORY, "src_category", V6PI_T_CSTR, src_category),
    NUM(V6P_F_SRC_ASN, src_asn, 0xffffffffu),
    TYPED(V6P_F_SRC_AS_ORG, "src_as_org", V6PI_T_CSTR, src_as_org),
    TYPED(V6P_F_SRC_BEHAVIOR, "src_behavior", V6PI_T_FLAGS, src_behavior),
    NUM(V6P_F_LADDER_ID, ladder_id, UINT64_MAX),
    NUM(V6P_F_LADDER_RUNG, ladder_rung, 0xffffffffu),
    NUM(V6P_F_LADDER_RUNGS, ladder_rungs, 0xffffffffu),
    NUM(V6P_F_LADDER_REPEAT, ladder_repeat, 0xffffffffu),
    NUM(V6P_F_PACKET_ID, packet_id, UINT64_MAX),
    NUM(V6P_F_DUPLICATE_OF, duplicate_of, UINT64_MAX),
    TYPED(V6P_F_TAGS, "tags", V6PI_T_FLAGS, tags),
};

/* The order of keys in JSON output (see field.h).  Splunk searches and the
 * forwarder's tests read the records as text: a key moves only with the
 * schema version. */
const uint8_t v6pi_json_order[V6P_F_COUNT_] = {
    V6P_F_TIME,
    V6P_F_DVC,
    V6P_F_VENDOR_PRODUCT,
    V6P_F_RULE,
    V6P_F_ACTION,
    V6P_F_DIRECTION,
    V6P_F_HOOK,
    V6P_F_SRC_ZONE,
    V6P_F_DEST_ZONE,
    V6P_F_SRC_INTERFACE,
    V6P_F_DEST_INTERFACE,
    V6P_F_SRC_PHYS_INTERFACE,
    V6P_F_DEST_PHYS_INTERFACE,
    V6P_F_SRC_MAC,
    V6P_F_DEST_MAC,
    V6P_F_ETHER_TYPE,
    V6P_F_VLAN_ID,
    V6P_F_TUNNEL_SRC,
    V6P_F_TUNNEL_DEST,
    V6P_F_PROTOCOL_VERSION,
    V6P_F_SRC,
    V6P_F_DEST,
    V6P_F_TRANSPORT,
    V6P_F_PROTOCOL_NUMBER,
    V6P_F_SRC_PORT,
    V6P_F_DEST_PORT,
    V6P_F_ICMP_TYPE,
    V6P_F_ICMP_CODE,
    V6P_F_ICMP_ID,
    V6P_F_ICMP_SEQ,
    V6P_F_ICMP_MTU,
    V6P_F_ICMP_POINTER,
    V6P_F_HOP_LIMIT,
    V6P_F_FLOW_LABEL,
    V6P_F_TRAFFIC_CLASS,
    V6P_F_BYTES,
    V6P_F_TRANSPORT_LENGTH,
    V6P_F_IP_ID,
    V6P_F_IP_FLAG,
    V6P_F_FRAG_OFFSET,
    V6P_F_FRAG_MORE,
    V6P_F_FRAG_ID,
    V6P_F_TCP_FLAG,
    V6P_F_TCP_SEQ,
    V6P_F_TCP_ACK,
    V6P_F_TCP_WINDOW,
    V6P_F_TCP_RES,
    V6P_F_TCP_URGP,
    V6P_F_TCP_OPTIONS,
    V6P_F_UID,
    V6P_F_GID,
    V6P_F_MARK,
    V6P_F_INNER_SRC,
    V6P_F_INNER_DEST,
    V6P_F_INNER_TRANSPORT,
    V6P_F_INNER_PROTOCOL_NUMBER,
    V6P_F_INNER_SRC_PORT,
    V6P_F_INNER_DEST_PORT,
    V6P_F_INNER_HOP_LIMIT,
    V6P_F_INNER_ICMP_TYPE,
    V6P_F_INNER_ICMP_ID,
    V6P_F_INNER_ICMP_SEQ,
    V6P_F_PF_REASON,
    V6P_F_PF_ANCHOR,
    V6P_F_PF_LABEL,
    V6P_F_PF_SUBRULE,
    V6P_F_PF_ACTION,
    V6P_F_SRC_BLOCK,
    V6P_F_DEST_BLOCK,
    V6P_F_SRC_IID,
    V6P_F_DEST_IID,
    V6P_F_SRC_PE,
    V6P_F_DEST_PE,
    V6P_F_DEST_PE_CONFIDENCE,
    V6P_F_DEST_AGE,
    V6P_F_SRC_ORG,
    V6P_F_SRC_CATEGORY,
    V6P_F_SRC_ASN,
    V6P_F_SRC_AS_ORG,
    V6P_F_SRC_BEHAVIOR,
    V6P_F_LADDER_ID,
    V6P_F_LADDER_RUNG,
    V6P_F_LADDER_RUNGS,
    V6P_F_LADDER_REPEAT,
    V6P_F_PACKET_ID,
    V6P_F_DUPLICATE_OF,
    V6P_F_TAGS,
};

const v6pi_field_info *v6pi_field_table(void)
{
    return v6pi_field_rows;
}

const char *v6p_field_name(v6p_field f)
{
    return (unsigned)f < V6P_F_COUNT_ ? v6pi_field_rows[f].name : NULL;
}

v6p_field v6p_field_by_name(const char *name, size_t len)
{
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        const char *n = v6pi_field_rows[f].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return (v6p_field)f;
    }
    return V6P_F_NONE;
}

void v6p_event_reset(v6p_event *ev)
{
    /* The reserved tail is never written: clearing it would only cost. */
    memset(ev, 0, offsetof(v6p_event, reserved_));
}

static inline void *member(v6p_event *ev, v6p_field f)
{
    return (char *)ev + v6pi_field_rows[f].offset;
}

/* Common to every setter: a field given twice means the line is not what the
 * format says it is (or is crafted), so it is refused rather than overwritten. */
static inline v6p_reason claim(v6p_event *ev, v6p_field f)
{
    if (v6p_event_has(ev, f))
        return V6P_R_DUPLICATE_FIELD;
    v6p_event_mark(ev, f);
    return V6P_R_NONE;
}

v6p_reason v6pi_set_span(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    v6p_reason r = claim(ev, f);
    if (r != V6P_R_NONE)
        return r;
    v6p_span *s = member(ev, f);
    s->ptr = p;
    s->len = (uint32_t)n;
    return V6P_R_NONE;
}

v6p_reason v6pi_set_addr(v6p_event *ev, v6p_field f, const struct in6_addr *a)
{
    v6p_reason r = claim(ev, f);
    if (r != V6P_R_NONE)
        return r;
    memcpy(member(ev, f), a, sizeof(*a));
    return V6P_R_NONE;
}

v6p_reason v6pi_set_mac(v6p_event *ev, v6p_field f, const uint8_t mac[6])
{
    v6p_reason r = claim(ev, f);
    if (r != V6P_R_NONE)
        return r;
    memcpy(member(ev, f), mac, 6);
    return V6P_R_NONE;
}

v6p_reason v6pi_set_bool(v6p_event *ev, v6p_field f, int value)
{
    v6p_reason r = claim(ev, f);
    if (r != V6P_R_NONE)
        return r;
    *(bool *)member(ev, f) = value != 0;
    return V6P_R_NONE;
}

v6p_reason v6pi_set_flag(v6p_event *ev, v6p_field f, unsigned bit)
{
    const v6pi_field_info *fi = &v6pi_field_rows[f];
    void *m = member(ev, f);
    /* Flag sets are 8, 16 or 32 bits wide depending on the member. */
    unsigned cur = f == V6P_F_IP_FLAG    ? *(uint8_t *)m
                   : f == V6P_F_TCP_FLAG ? *(uint16_t *)m
                                         : *(uint32_t *)m;
    (void)fi;
    if (cur & bit)
        return V6P_R_DUPLICATE_FIELD;
    cur |= bit;
    if (f == V6P_F_IP_FLAG)
        *(uint8_t *)m = (uint8_t)cur;
    else if (f == V6P_F_TCP_FLAG)
        *(uint16_t *)m = (uint16_t)cur;
    else
        *(uint32_t *)m = cur;
    v6p_event_mark(ev, f);
    return V6P_R_NONE;
}

int v6pi_parse_dec(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    /* 20 digits already exceed every bound we use; refusing longer text keeps
     * the multiply below from wrapping. */
    if (n == 0 || n > 19)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)p[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int v6pi_parse_hex(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        n -= 2;
    }
    if (n == 0 || n > 16)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hexval((unsigned char)p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

v6p_reason v6pi_set_dec(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    uint64_t v;
    if (v6pi_parse_dec(p, n, v6pi_field_rows[f].max, &v) != 0)
        return V6P_R_BAD_NUMBER;
    return v6pi_set_num(ev, f, v);
}

v6p_reason v6pi_set_hex(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    uint64_t v;
    if (v6pi_parse_hex(p, n, v6pi_field_rows[f].max, &v) != 0)
        return V6P_R_BAD_NUMBER;
    return v6pi_set_num(ev, f, v);
}

/* ---- the public writer: the same, for fields of the right kind only ---- */

static int kind_is(v6p_field f, v6pi_field_type type)
{
    return (unsigned)f < V6P_F_COUNT_ && v6pi_field_rows[f].type == type;
}

v6p_reason v6p_event_set_num(v6p_event *ev, v6p_field f, uint64_t value)
{
    return kind_is(f, V6PI_T_NUM) ? v6pi_set_num(ev, f, value) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_dec(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    return kind_is(f, V6PI_T_NUM) ? v6pi_set_dec(ev, f, p, n) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_hex(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    return kind_is(f, V6PI_T_NUM) ? v6pi_set_hex(ev, f, p, n) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_span(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    if (!kind_is(f, V6PI_T_SPAN) || n > UINT32_MAX)
        return V6P_R_BAD_FIELD;
    return v6pi_set_span(ev, f, p, n);
}

v6p_reason v6p_event_set_addr(v6p_event *ev, v6p_field f, const struct in6_addr *a)
{
    return kind_is(f, V6PI_T_ADDR) ? v6pi_set_addr(ev, f, a) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_mac(v6p_event *ev, v6p_field f, const uint8_t mac[6])
{
    return kind_is(f, V6PI_T_MAC) ? v6pi_set_mac(ev, f, mac) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_bool(v6p_event *ev, v6p_field f, int value)
{
    return kind_is(f, V6PI_T_BOOL) ? v6pi_set_bool(ev, f, value) : V6P_R_BAD_FIELD;
}

v6p_reason v6p_event_set_flag(v6p_event *ev, v6p_field f, unsigned bit)
{
    return kind_is(f, V6PI_T_FLAGS) ? v6pi_set_flag(ev, f, bit) : V6P_R_BAD_FIELD;
}

/* ---- names ---- */

const char *v6p_format_name(v6p_format f)
{
    static const char *const names[] = {NULL, "linux:iptables", "linux:nftables", "pf:pflog",
                                        "pf:filterlog"};
    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : NULL;
}

const char *v6p_action_name(v6p_action a)
{
    static const char *const names[] = {"unknown", "blocked", "allowed"};
    return (unsigned)a < 3 ? names[a] : "unknown";
}

const char *v6p_direction_name(v6p_direction d)
{
    static const char *const names[] = {"unknown", "inbound", "outbound", "forward", "lateral"};
    return (unsigned)d < 5 ? names[d] : "unknown";
}

const char *v6p_hook_name(v6p_hook h)
{
    static const char *const names[] = {"unknown", "input", "output", "forward",
                                        "in",      "out",   "fwd"};
    return (unsigned)h < 7 ? names[h] : "unknown";
}

const char *v6p_transport_name(uint8_t protocol_number, uint8_t protocol_version)
{
    switch (protocol_number) {
    case IPPROTO_ICMP:
        return "icmp";
    case IPPROTO_IGMP:
        return "igmp";
    case IPPROTO_IPIP:
        return "ipip";
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_IPV6:
        return "ipv6";
    case IPPROTO_GRE:
        return "gre";
    case IPPROTO_ESP:
        return "esp";
    case IPPROTO_AH:
        return "ah";
    case IPPROTO_ICMPV6:
        return "icmpv6";
    case V6PI_IPPROTO_OSPF:
        return "ospf";
    case IPPROTO_PIM:
        return "pim";
    case V6PI_IPPROTO_VRRP:
        return "vrrp";
    case IPPROTO_SCTP:
        return "sctp";
    case IPPROTO_UDPLITE:
        return "udplite";
    case IPPROTO_HOPOPTS:
        return protocol_version == 6 ? "hopopt" : NULL;
    default:
        return NULL;
    }
}

const char *v6p_tag_name(uint32_t bit)
{
    switch (bit) {
    case V6P_TAG_HOP_LADDER:
        return "hop_ladder";
    case V6P_TAG_PE_TARGET:
        return "pe_target";
    case V6P_TAG_PORT_SCAN:
        return "port_scan";
    case V6P_TAG_ADDRESS_SWEEP:
        return "address_sweep";
    case V6P_TAG_PE_TARGETED:
        return "pe_targeted";
    case V6P_TAG_REPEAT_VISIT:
        return "repeat_visit";
    case V6P_TAG_KNOWN_SCANNER:
        return "known_scanner";
    case V6P_TAG_PE_SOURCE:
        return "pe_source";
    default:
        return NULL;
    }
}

_Static_assert(V6P_F_COUNT_ <= V6P_FIELD_WORDS * 64, "the presence bitmap is full");
_Static_assert(V6P_F_COUNT_ <= 256, "json order and rank tables hold uint8_t field ids");
#if UINTPTR_MAX == UINT64_MAX
/* Callers allocate events: a new field must take its member from the
 * reserved tail, never change the size. */
_Static_assert(sizeof(v6p_event) == 768, "v6p_event changed size");
#endif
