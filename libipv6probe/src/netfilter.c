/* Linux netfilter LOG text: what nf_log_syslog.c prints for ip6tables/iptables
 * `-j LOG` and the nftables `log` statement.
 *
 * The line is `PREFIX` then `KEY=value ` items and bare flag words, in the
 * kernel's fixed order.  Keys are not unique (LEN is the IP length and, after
 * PROTO=UDP, the UDP length; ID is the IPv4 id and the ICMP echo id), so the
 * meaning of a key depends on where in the line it stands: the parser keeps
 * that position as a small state.  An ICMP error quotes the offending packet
 * in `[ ... ]`; its fields become the `inner_*` fields. */
#include <string.h>

#include "field.h"
#include "formats.h"
#include "textaddr.h"
#include "proto.h"

enum section { SEC_IP, SEC_L4 };

typedef struct nf_state {
    v6p_event *ev;
    const char *base;
    int nested; /* inside [ ... ] */
    int nested_done;
    int family; /* 0 unknown, 4, 6 */
    enum section sec;
    int proto; /* -1 until PROTO= */
    int inner_proto;
    int opt_pending; /* the previous token was OPT */
    int has_in, has_out;
    int is_nft;
    int frag_nonfirst;
    int skip_words;
    unsigned seen; /* SEEN_* */
    unsigned inner_seen;
} nf_state;

enum {
    SEEN_IN = 1u << 0,
    SEEN_OUT = 1u << 1,
    SEEN_SRC = 1u << 2,
    SEEN_DST = 1u << 3,
    SEEN_LEN = 1u << 4,
    SEEN_HOPS = 1u << 5, /* HOPLIMIT= or TTL= */
    SEEN_PROTO = 1u << 6,
    SEEN_SPT = 1u << 7,
    SEEN_DPT = 1u << 8,
    SEEN_TYPE = 1u << 9,
    SEEN_CODE = 1u << 10,
    SEEN_ID = 1u << 11,
    SEEN_SEQ = 1u << 12,
    SEEN_L4LEN = 1u << 13,
    SEEN_IPID = 1u << 14,
    SEEN_WINDOW = 1u << 15,
    SEEN_INCOMPLETE = 1u << 16
};

static inline int key_is(const char *k, size_t kn, const char *lit, size_t litn)
{
    return kn == litn && memcmp(k, lit, litn) == 0;
}
#define KEY(lit) key_is(k, kn, lit, sizeof(lit) - 1)

/* v6pi_set_dec with the digits read here: numbers are most of a line's
 * values, and three calls into the field writer for each showed in
 * profiles.  The result is the same: not digits or over the field's bound
 * is a bad number (v6pi_set_num checks the bound), then the duplicate test. */
static inline v6p_reason nf_set_dec(v6p_event *ev, v6p_field f, const char *v, size_t n)
{
    if (n == 0 || n > 19)
        return V6P_R_BAD_NUMBER;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)v[i] - (unsigned)'0';
        if (d > 9)
            return V6P_R_BAD_NUMBER;
        x = x * 10 + d;
    }
    return v6pi_set_num(ev, f, x);
}

/* The names the kernel prints after PROTO=; anything else is a number. */
static const struct {
    const char *name;
    uint8_t len, number;
} proto_names[] = {
    {"TCP", 3, IPPROTO_TCP},   {"UDP", 3, IPPROTO_UDP},         {"ICMPv6", 6, IPPROTO_ICMPV6},
    {"ICMP", 4, IPPROTO_ICMP}, {"UDPLITE", 7, IPPROTO_UDPLITE}, {"ESP", 3, IPPROTO_ESP},
    {"AH", 2, IPPROTO_AH},     {"SCTP", 4, IPPROTO_SCTP},       {"DCCP", 4, IPPROTO_DCCP},
};

static int proto_from_name(const char *v, size_t n)
{
    for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
        if (n == proto_names[i].len && memcmp(v, proto_names[i].name, n) == 0)
            return proto_names[i].number;
    uint64_t num;
    if (v6pi_parse_dec(v, n, 255, &num) == 0)
        return (int)num;
    return -1;
}

static v6p_reason set_address(nf_state *s, v6p_field f, const char *v, size_t n)
{
    struct in6_addr a;
    /* v[4] is where the kernel's zero-padded form has its first colon. */
    int fam = (n > 4 && v[4] == ':') || memchr(v, ':', n) ? 6 : 4;
    if (fam == 6 ? v6pi_parse_ip6(v, n, &a) : v6pi_parse_ip4_mapped(v, n, &a))
        return V6P_R_BAD_ADDRESS;
    if (!s->nested) {
        if (s->family && s->family != fam)
            return V6P_R_FAMILY_MISMATCH;
        s->family = fam;
    }
    return v6pi_set_addr(s->ev, f, &a);
}

/* MAC= holds the raw link-layer header as hex pairs.  Ethernet gives
 * dst(6) src(6) type(2); with an 802.1Q tag, dst src 8100 tci type. */
static v6p_reason set_raw_mac(nf_state *s, const char *v, size_t n)
{
    uint8_t hdr[64];
    size_t nb = 0;
    if (n == 0)
        return V6P_R_NONE;
    if ((n + 1) % 3 != 0)
        return V6P_R_BAD_MAC;
    for (size_t i = 0; i < n; i += 3) {
        int hi = v6pi_hex_value[(unsigned char)v[i]], lo = v6pi_hex_value[(unsigned char)v[i + 1]];
        if ((i + 2 < n && v[i + 2] != ':') || (hi | lo) < 0)
            return V6P_R_BAD_MAC;
        if (nb < sizeof(hdr))
            hdr[nb] = (uint8_t)(hi << 4 | lo);
        nb++;
    }
    if (nb < 14)
        return V6P_R_NONE; /* not Ethernet: nothing we can name */
    v6p_reason r;
    if ((r = v6pi_set_mac(s->ev, V6P_F_DEST_MAC, hdr)) ||
        (r = v6pi_set_mac(s->ev, V6P_F_SRC_MAC, hdr + 6)))
        return r;
    unsigned type = (unsigned)hdr[12] << 8 | hdr[13];
    if (type == 0x8100 && nb >= 18) {
        if ((r = v6pi_set_num(s->ev, V6P_F_VLAN_ID, ((unsigned)hdr[14] << 8 | hdr[15]) & 0xfff)))
            return r;
        type = (unsigned)hdr[16] << 8 | hdr[17];
    }
    if (nb == 14 || nb == 18)
        return v6pi_set_num(s->ev, V6P_F_ETHER_TYPE, type);
    return V6P_R_NONE;
}

static v6p_reason set_mac_field(nf_state *s, v6p_field f, const char *v, size_t n)
{
    uint8_t mac[6];
    if (v6pi_parse_mac(v, n, mac) != 0)
        return V6P_R_BAD_MAC;
    s->is_nft = 1;
    return v6pi_set_mac(s->ev, f, mac);
}

static v6p_reason tunnel(nf_state *s, const char *v, size_t n)
{
    /* TUNNEL=a.b.c.d->e.f.g.h: a 6in4 (SIT) device.  The MAC= dump before it
     * was read from in front of the packet and is not a link header. */
    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '-' && v[i + 1] == '>')
            arrow = v + i;
    struct in_addr a, b;
    if (!arrow || v6pi_parse_ip4(v, (size_t)(arrow - v), &a) ||
        v6pi_parse_ip4(arrow + 2, n - (size_t)(arrow - v) - 2, &b))
        return V6P_R_BAD_ADDRESS;
    v6p_event_unmark(s->ev, V6P_F_SRC_MAC);
    v6p_event_unmark(s->ev, V6P_F_DEST_MAC);
    v6p_event_unmark(s->ev, V6P_F_ETHER_TYPE);
    v6p_event_unmark(s->ev, V6P_F_VLAN_ID);
    s->ev->tunnel_src = a;
    s->ev->tunnel_dest = b;
    v6p_event_mark(s->ev, V6P_F_TUNNEL_SRC);
    v6p_event_mark(s->ev, V6P_F_TUNNEL_DEST);
    return V6P_R_NONE;
}

/* Fields of the packet quoted inside [ ... ]: only those that say whose
 * packet it was are kept; the rest are checked for shape and dropped. */
static v6p_reason inner_key(nf_state *s, const char *k, size_t kn, const char *v, size_t n)
{
    v6p_event *ev = s->ev;
    uint64_t num;
    if (KEY("SRC"))
        return set_address(s, V6P_F_INNER_SRC, v, n);
    if (KEY("DST"))
        return set_address(s, V6P_F_INNER_DEST, v, n);
    if (KEY("PROTO")) {
        int p = proto_from_name(v, n);
        if (p < 0)
            return V6P_R_UNEXPECTED_TOKEN;
        s->inner_proto = p;
        v6p_event_mark(ev, V6P_F_INNER_TRANSPORT);
        return v6pi_set_num(ev, V6P_F_INNER_PROTOCOL_NUMBER, (uint64_t)p);
    }
    if (KEY("HOPLIMIT") || KEY("TTL"))
        return nf_set_dec(ev, V6P_F_INNER_HOP_LIMIT, v, n);
    if (s->inner_proto == IPPROTO_TCP || s->inner_proto == IPPROTO_UDP ||
        s->inner_proto == IPPROTO_UDPLITE) {
        if (KEY("SPT"))
            return nf_set_dec(ev, V6P_F_INNER_SRC_PORT, v, n);
        if (KEY("DPT"))
            return nf_set_dec(ev, V6P_F_INNER_DEST_PORT, v, n);
    }
    if (s->inner_proto == IPPROTO_ICMPV6 || s->inner_proto == IPPROTO_ICMP) {
        if (KEY("TYPE"))
            return nf_set_dec(ev, V6P_F_INNER_ICMP_TYPE, v, n);
        if (KEY("ID"))
            return nf_set_dec(ev, V6P_F_INNER_ICMP_ID, v, n);
        if (KEY("SEQ"))
            return nf_set_dec(ev, V6P_F_INNER_ICMP_SEQ, v, n);
    }
    /* Other quoted fields must still be numbers where the kernel prints
     * numbers, so that garbage inside brackets is not waved through. */
    if (KEY("LEN") || KEY("TC") || KEY("FLOWLBL") || KEY("CODE") || KEY("WINDOW") || KEY("URGP") ||
        KEY("SEQ") || KEY("ACK") || KEY("MTU"))
        return v6pi_parse_dec(v, n, UINT32_MAX, &num) == 0 ? V6P_R_NONE : V6P_R_BAD_NUMBER;
    return V6P_R_NONE;
}

static v6p_reason ip_key(nf_state *s, const char *k, size_t kn, const char *v, size_t n)
{
    v6p_event *ev = s->ev;
    switch (kn) {
    case 2:
        if (KEY("IN")) {
            if (s->seen & SEEN_IN)
                return V6P_R_DUPLICATE_FIELD;
            s->seen |= SEEN_IN;
            s->has_in = n > 0;
            return n ? v6pi_set_span(ev, V6P_F_SRC_INTERFACE, v, n) : V6P_R_NONE;
        }
        if (KEY("TC"))
            return s->family == 6 ? nf_set_dec(ev, V6P_F_TRAFFIC_CLASS, v, n)
                                  : V6P_R_FAMILY_MISMATCH;
        if (KEY("ID")) {
            if (s->family != 4)
                return V6P_R_FAMILY_MISMATCH;
            s->seen |= SEEN_IPID;
            return nf_set_dec(ev, V6P_F_IP_ID, v, n);
        }
        break;
    case 3:
        if (KEY("OUT")) {
            if (s->seen & SEEN_OUT)
                return V6P_R_DUPLICATE_FIELD;
            s->seen |= SEEN_OUT;
            s->has_out = n > 0;
            return n ? v6pi_set_span(ev, V6P_F_DEST_INTERFACE, v, n) : V6P_R_NONE;
        }
        if (KEY("MAC"))
            return set_raw_mac(s, v, n);
        if (KEY("SRC")) {
            s->seen |= SEEN_SRC;
            return set_address(s, V6P_F_SRC, v, n);
        }
        if (KEY("DST")) {
            s->seen |= SEEN_DST;
            return set_address(s, V6P_F_DEST, v, n);
        }
        if (KEY("LEN")) {
            s->seen |= SEEN_LEN;
            return nf_set_dec(ev, V6P_F_BYTES, v, n);
        }
        if (KEY("TOS")) {
            if (s->family != 4)
                return V6P_R_FAMILY_MISMATCH;
            return v6pi_set_hex(ev, V6P_F_TRAFFIC_CLASS, v, n);
        }
        if (KEY("TTL")) {
            if (s->family != 4)
                return V6P_R_FAMILY_MISMATCH;
            s->seen |= SEEN_HOPS;
            return nf_set_dec(ev, V6P_F_HOP_LIMIT, v, n);
        }
        if (KEY("VID"))
            return nf_set_dec(ev, V6P_F_VLAN_ID, v, n);
        break;
    case 4:
        if (KEY("PREC")) {
            uint64_t x;
            return s->family == 4 && v6pi_parse_hex(v, n, 255, &x) == 0 ? V6P_R_NONE
                                                                        : V6P_R_BAD_NUMBER;
        }
        break;
    case 5:
        if (KEY("PROTO")) {
            int p = proto_from_name(v, n);
            if (p < 0)
                return V6P_R_UNEXPECTED_TOKEN;
            s->seen |= SEEN_PROTO;
            s->proto = p;
            s->sec = SEC_L4;
            v6p_event_mark(ev, V6P_F_TRANSPORT);
            return v6pi_set_num(ev, V6P_F_PROTOCOL_NUMBER, (uint64_t)p);
        }
        break;
    case 6:
        if (KEY("PHYSIN"))
            return v6pi_set_span(ev, V6P_F_SRC_PHYS_INTERFACE, v, n);
        if (KEY("MACSRC"))
            return set_mac_field(s, V6P_F_SRC_MAC, v, n);
        if (KEY("MACDST"))
            return set_mac_field(s, V6P_F_DEST_MAC, v, n);
        if (KEY("VPROTO")) {
            uint64_t x;
            return v6pi_parse_hex(v, n, 0xffff, &x) == 0 ? V6P_R_NONE : V6P_R_BAD_NUMBER;
        }
        if (KEY("TUNNEL"))
            return tunnel(s, v, n);
        break;
    case 7:
        if (KEY("PHYSOUT"))
            return v6pi_set_span(ev, V6P_F_DEST_PHYS_INTERFACE, v, n);
        if (KEY("FLOWLBL"))
            return s->family == 6 ? nf_set_dec(ev, V6P_F_FLOW_LABEL, v, n) : V6P_R_FAMILY_MISMATCH;
        break;
    case 8:
        if (KEY("HOPLIMIT")) {
            if (s->family != 6)
                return V6P_R_FAMILY_MISMATCH;
            s->seen |= SEEN_HOPS;
            return nf_set_dec(ev, V6P_F_HOP_LIMIT, v, n);
        }
        if (KEY("MACPROTO"))
            return v6pi_set_hex(ev, V6P_F_ETHER_TYPE, v, n);
        break;
    }
    return V6P_R_UNEXPECTED_TOKEN;
}

static v6p_reason l4_key(nf_state *s, const char *k, size_t kn, const char *v, size_t n)
{
    v6p_event *ev = s->ev;
    int tcp = s->proto == IPPROTO_TCP;
    int udp = s->proto == IPPROTO_UDP || s->proto == IPPROTO_UDPLITE;
    int icmp = s->proto == IPPROTO_ICMPV6 || s->proto == IPPROTO_ICMP;
    if (tcp || udp) {
        if (KEY("SPT")) {
            s->seen |= SEEN_SPT;
            return nf_set_dec(ev, V6P_F_SRC_PORT, v, n);
        }
        if (KEY("DPT")) {
            s->seen |= SEEN_DPT;
            return nf_set_dec(ev, V6P_F_DEST_PORT, v, n);
        }
    }
    if (tcp) {
        if (KEY("SEQ"))
            return nf_set_dec(ev, V6P_F_TCP_SEQ, v, n);
        if (KEY("ACK"))
            return nf_set_dec(ev, V6P_F_TCP_ACK, v, n);
        if (KEY("WINDOW")) {
            s->seen |= SEEN_WINDOW;
            return nf_set_dec(ev, V6P_F_TCP_WINDOW, v, n);
        }
        if (KEY("RES"))
            return v6pi_set_hex(ev, V6P_F_TCP_RES, v, n);
        if (KEY("URGP"))
            return nf_set_dec(ev, V6P_F_TCP_URGP, v, n);
    }
    if (udp && KEY("LEN")) {
        s->seen |= SEEN_L4LEN;
        return nf_set_dec(ev, V6P_F_TRANSPORT_LENGTH, v, n);
    }
    if (icmp) {
        if (KEY("TYPE")) {
            s->seen |= SEEN_TYPE;
            return nf_set_dec(ev, V6P_F_ICMP_TYPE, v, n);
        }
        if (KEY("CODE")) {
            s->seen |= SEEN_CODE;
            return nf_set_dec(ev, V6P_F_ICMP_CODE, v, n);
        }
        if (KEY("ID")) {
            s->seen |= SEEN_ID;
            return nf_set_dec(ev, V6P_F_ICMP_ID, v, n);
        }
        if (KEY("SEQ")) {
            s->seen |= SEEN_SEQ;
            return nf_set_dec(ev, V6P_F_ICMP_SEQ, v, n);
        }
        if (KEY("MTU"))
            return nf_set_dec(ev, V6P_F_ICMP_MTU, v, n);
        if (KEY("POINTER"))
            return v6pi_set_hex(ev, V6P_F_ICMP_POINTER, v, n);
        if (KEY("PARAMETER"))
            return nf_set_dec(ev, V6P_F_ICMP_POINTER, v, n);
        if (KEY("GATEWAY")) {
            struct in_addr a;
            return v6pi_parse_ip4(v, n, &a) == 0 ? V6P_R_NONE : V6P_R_BAD_ADDRESS;
        }
    }
    if (s->proto == IPPROTO_ESP || s->proto == IPPROTO_AH) {
        if (KEY("SPI")) {
            uint64_t x;
            return v6pi_parse_hex(v, n, UINT32_MAX, &x) == 0 ? V6P_R_NONE : V6P_R_BAD_NUMBER;
        }
    }
    /* Items printed after the transport part. */
    if (KEY("UID"))
        return nf_set_dec(ev, V6P_F_UID, v, n);
    if (KEY("GID"))
        return nf_set_dec(ev, V6P_F_GID, v, n);
    if (KEY("MARK"))
        return v6pi_set_hex(ev, V6P_F_MARK, v, n);
    return V6P_R_UNEXPECTED_TOKEN;
}

static const struct {
    const char *word;
    unsigned char len;
    unsigned short bit;
} tcp_words[] = {
    {"SYN", 3, V6P_TCP_SYN}, {"ACK", 3, V6P_TCP_ACK}, {"FIN", 3, V6P_TCP_FIN},
    {"RST", 3, V6P_TCP_RST}, {"PSH", 3, V6P_TCP_PSH}, {"URG", 3, V6P_TCP_URG},
    {"ECE", 3, V6P_TCP_ECE}, {"CWR", 3, V6P_TCP_CWR}, {"AE", 2, V6P_TCP_AE},
};

/* Words without '=': flags, fragment notes, OPT groups. */
static v6p_reason bare_word(nf_state *s, const char *t, size_t n)
{
    v6p_event *ev = s->ev;
    if (s->opt_pending) {
        s->opt_pending = 0;
        /* `OPT (HEX)`: TCP options after the TCP fields, IP options before. */
        if (n >= 2 && t[0] == '(' && t[n - 1] == ')') {
            if (s->sec == SEC_L4 && s->proto == IPPROTO_TCP && !s->nested)
                return v6pi_set_span(ev, V6P_F_TCP_OPTIONS, t + 1, n - 2);
            return V6P_R_NONE;
        }
    }
    if (n == 3 && memcmp(t, "OPT", 3) == 0) {
        s->opt_pending = 1;
        return V6P_R_NONE;
    }
    if ((n == 1 && (t[0] == '(' || t[0] == ')')))
        return V6P_R_NONE;
    if (s->nested)
        return V6P_R_NONE; /* flags of the quoted packet are not ours */
    if (s->sec == SEC_L4 && s->proto == IPPROTO_TCP) {
        for (size_t i = 0; i < sizeof(tcp_words) / sizeof(tcp_words[0]); i++)
            if (n == tcp_words[i].len && memcmp(t, tcp_words[i].word, n) == 0)
                return v6pi_set_flag(ev, V6P_F_TCP_FLAG, tcp_words[i].bit);
    }
    if (s->sec == SEC_IP && s->family == 4 && n == 2) {
        if (memcmp(t, "DF", 2) == 0)
            return v6pi_set_flag(ev, V6P_F_IP_FLAG, V6P_IP_DF);
        if (memcmp(t, "MF", 2) == 0)
            return v6pi_set_flag(ev, V6P_F_IP_FLAG, V6P_IP_MF);
        if (memcmp(t, "CE", 2) == 0)
            return v6pi_set_flag(ev, V6P_F_IP_FLAG, V6P_IP_CE);
    }
    if (n > 5 && memcmp(t, "FRAG:", 5) == 0) {
        v6p_reason r = nf_set_dec(ev, V6P_F_FRAG_OFFSET, t + 5, n - 5);
        if (r == V6P_R_NONE && s->family == 6 && ev->frag_offset != 0)
            s->frag_nonfirst = 1;
        if (r == V6P_R_NONE && s->family == 4 && ev->frag_offset != 0)
            s->frag_nonfirst = 1;
        return r;
    }
    if (n > 3 && memcmp(t, "ID:", 3) == 0)
        return v6pi_set_hex(ev, V6P_F_FRAG_ID, t + 3, n - 3);
    if (n == 10 && memcmp(t, "INCOMPLETE", 10) == 0) {
        if (s->sec == SEC_IP)
            return v6pi_set_bool(ev, V6P_F_FRAG_MORE, 1);
        s->seen |= SEEN_INCOMPLETE; /* transport header cut short */
        return V6P_R_NONE;
    }
    if (s->skip_words > 0) {
        s->skip_words--;
        return V6P_R_NONE;
    }
    if (n == 7 && memcmp(t, "Unknown", 7) == 0) {
        s->skip_words = 3; /* `Unknown Ext Hdr <n>`: the kernel stopped walking */
        return V6P_R_NONE;
    }
    if ((n == 2 && memcmp(t, "AH", 2) == 0) || (n == 3 && memcmp(t, "ESP", 3) == 0) ||
        (n == 9 && memcmp(t, "TRUNCATED", 9) == 0))
        return V6P_R_NONE;
    return V6P_R_UNEXPECTED_TOKEN;
}

/* eq: the first '=' of the token, or NULL when it has none (the caller
 * found it while looking for the token's end). */
static v6p_reason token(nf_state *s, const char *t, size_t n, const char *eq)
{
    if (s->seen & SEEN_INCOMPLETE)
        return V6P_R_NONE; /* `INCOMPLETE [n bytes]` ends what the kernel could read */
    if (n > 0 && t[0] == '[') {
        if (s->nested || s->nested_done)
            return V6P_R_BAD_NESTING;
        s->nested = 1;
        s->inner_proto = -1;
        t++;
        n--;
        if (n == 0)
            return V6P_R_NONE;
    }
    /* A key is at most 11 bytes; a '=' further in is part of a bare word. */
    if (eq && (eq < t || (size_t)(eq - t) >= (n < 12 ? n : 12)))
        eq = NULL;
    if (n == 1 && t[0] == ']') {
        if (!s->nested)
            return V6P_R_BAD_NESTING;
        s->nested = 0;
        s->nested_done = 1;
        return V6P_R_NONE;
    }
    if (!eq)
        return bare_word(s, t, n);
    s->opt_pending = 0;
    const char *k = t, *v = eq + 1;
    size_t kn = (size_t)(eq - t), vn = n - kn - 1;
    if (s->nested)
        return inner_key(s, k, kn, v, vn);
    if (s->sec == SEC_IP)
        return ip_key(s, k, kn, v, vn);
    return l4_key(s, k, kn, v, vn);
}

/* The first ' ' or '=' in [p, end), or end (find_space: the first ' ').
 * Tokens are short and there are some thirty a line, so these are the
 * parser's inner loop: sixteen bytes at a time with SSE2 (part of every
 * x86-64) where sixteen remain, else eight at a time where eight remain (a
 * byte equal to c gives a zero byte in x ^ c*0x01..01, and the usual
 * has-zero test finds it; its lowest set bit marks the first such byte on
 * a little-endian machine), bytewise at the end of the line so that
 * nothing past it is read.  Values are scanned for the space alone: an '='
 * inside a value does not end it. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define NF_SSE2 1
#endif

static inline const char *find_space_or_eq(const char *p, const char *end)
{
#if NF_SSE2
    const __m128i sp = _mm_set1_epi8(' '), eqs = _mm_set1_epi8('=');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, eqs)));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t x, a, b;
        memcpy(&x, p, 8);
        a = x ^ (ones * ' ');
        b = x ^ (ones * '=');
        uint64_t hit = ((a - ones) & ~a) | ((b - ones) & ~b);
        hit &= highs;
        if (hit)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != ' ' && *p != '=')
        p++;
    return p;
}

static inline const char *find_space(const char *p, const char *end)
{
#if NF_SSE2
    const __m128i sp = _mm_set1_epi8(' ');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t x, a;
        memcpy(&x, p, 8);
        a = x ^ (ones * ' ');
        uint64_t hit = ((a - ones) & ~a) & highs;
        if (hit)
            return p + (__builtin_ctzll(hit) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != ' ')
        p++;
    return p;
}

/* Where the fields begin: `IN=` at the start, or after a space or `]`
 * (prefixes are printed with no separator: `[UFW BLOCK] IN=`, `x]IN=`). */
static const char *find_in(const char *b, size_t len)
{
    const char *p = b, *end = b + len;
#if NF_SSE2
    /* Sixteen starting places at a time: `I`, `N` and `=` at three shifted
     * loads (the prefix holds many an `I`, one memchr call for each cost
     * more); the byte before each hit is then tested as below. */
    const __m128i ci = _mm_set1_epi8('I'), cn = _mm_set1_epi8('N'), ce = _mm_set1_epi8('=');
    while (end - p >= 18) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i n = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
        __m128i e = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_and_si128(_mm_cmpeq_epi8(a, ci), _mm_cmpeq_epi8(n, cn)), _mm_cmpeq_epi8(e, ce)));
        for (; m; m &= m - 1) {
            const char *q = p + __builtin_ctz(m);
            if (q == b || q[-1] == ' ' || q[-1] == ']' || q[-1] == ':')
                return q;
        }
        p += 16;
    }
#endif
    while (p + 3 <= end) {
        const char *q = memchr(p, 'I', (size_t)(end - p));
        if (!q || q + 3 > end)
            return NULL;
        if (q[1] == 'N' && q[2] == '=' && (q == b || q[-1] == ' ' || q[-1] == ']' || q[-1] == ':'))
            return q;
        p = q + 1;
    }
    return NULL;
}

int v6pi_sniff_netfilter(const char *body, size_t len, v6pi_body_ctx *ctx)
{
    const char *in = find_in(body, len);
    ctx->nf_in = in;
    if (!in)
        return 0;
    size_t rest = len - (size_t)(in - body);
    /* The kernel prints OUT= right after IN='s value: look there before
     * searching the whole line. */
    const char *sp = find_space(in, body + len);
    if ((size_t)(body + len - sp) >= 5 && memcmp(sp, " OUT=", 5) == 0)
        return 1;
    return memmem(in, rest, " OUT=", 5) != NULL;
}

static v6pi_body_result fail(v6p_reason r, const char *base, const char *at)
{
    v6pi_body_result res = {V6P_MALFORMED, r, (size_t)(at - base)};
    return res;
}

static v6p_reason check_complete(const nf_state *s)
{
    const unsigned ip_needed =
        SEEN_IN | SEEN_OUT | SEEN_SRC | SEEN_DST | SEEN_LEN | SEEN_HOPS | SEEN_PROTO;
    if ((s->seen & ip_needed) != ip_needed)
        return s->seen & SEEN_PROTO ? V6P_R_MISSING_FIELD : V6P_R_TRUNCATED;
    if (s->nested)
        return V6P_R_TRUNCATED;
    if (s->family == 4 && !(s->seen & SEEN_IPID))
        return V6P_R_MISSING_FIELD;
    if (s->frag_nonfirst || (s->seen & SEEN_INCOMPLETE))
        return V6P_R_NONE; /* no transport header to expect */
    switch (s->proto) {
    case IPPROTO_TCP:
        if ((s->seen & (SEEN_SPT | SEEN_DPT | SEEN_WINDOW)) != (SEEN_SPT | SEEN_DPT | SEEN_WINDOW))
            return V6P_R_TRUNCATED;
        break;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
        if ((s->seen & (SEEN_SPT | SEEN_DPT | SEEN_L4LEN)) != (SEEN_SPT | SEEN_DPT | SEEN_L4LEN))
            return V6P_R_TRUNCATED;
        break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
        if ((s->seen & (SEEN_TYPE | SEEN_CODE)) != (SEEN_TYPE | SEEN_CODE))
            return V6P_R_TRUNCATED;
        unsigned t = s->ev->icmp_type;
        int echo = s->proto == IPPROTO_ICMPV6 ? (t == 128 || t == 129) : (t == 0 || t == 8);
        if (echo && (s->seen & (SEEN_ID | SEEN_SEQ)) != (SEEN_ID | SEEN_SEQ))
            return V6P_R_TRUNCATED;
        break;
    }
    }
    return V6P_R_NONE;
}

v6pi_body_result v6pi_parse_netfilter(const char *body, size_t len, v6p_event *ev,
                                      v6pi_body_ctx *ctx)
{
    v6pi_body_result ok = {V6P_OK, V6P_R_NONE, 0};
    const char *in = ctx->nf_in ? ctx->nf_in : find_in(body, len);
    if (!in) {
        v6pi_body_result nf = {V6P_NOT_FIREWALL, V6P_R_NO_FORMAT, 0};
        return nf;
    }
    /* The prefix, trimmed of blanks and of the ':' people end it with. */
    const char *ps = body, *pe = in;
    while (ps < pe && (*ps == ' ' || *ps == '\t'))
        ps++;
    while (pe > ps && (pe[-1] == ' ' || pe[-1] == '\t'))
        pe--;
    if (pe > ps && pe[-1] == ':')
        pe--;
    while (pe > ps && pe[-1] == ' ')
        pe--;
    if (pe > ps)
        v6pi_set_span(ev, V6P_F_RULE, ps, (size_t)(pe - ps));

    nf_state s;
    memset(&s, 0, sizeof(s));
    s.ev = ev;
    s.base = body;
    s.proto = -1;
    const char *p = in, *end = body + len;
    while (p < end) {
        if (*p == ' ') {
            p++;
            continue;
        }
        /* One pass finds the key's '=' and the token's end. */
        const char *eq = NULL;
        const char *te = find_space_or_eq(p, end);
        if (te < end && *te == '=') {
            eq = te;
            te = find_space(te + 1, end);
        }
        v6p_reason r;
        /* `] ` closes the quote but may be glued to the last inner value
         * when a daemon strips the trailing space: `CODE=0]`. */
        if (te - p > 1 && te[-1] == ']' && s.nested) {
            r = token(&s, p, (size_t)(te - 1 - p), eq);
            if (r == V6P_R_NONE)
                r = token(&s, te - 1, 1, NULL);
        } else {
            r = token(&s, p, (size_t)(te - p), eq);
        }
        if (r != V6P_R_NONE)
            return fail(r, body, p);
        p = te;
    }
    v6p_reason r = check_complete(&s);
    if (r != V6P_R_NONE)
        return fail(r, body, end);
    /* The kernel prints INCOMPLETE only when more fragments follow; a
     * fragment header without it is the last fragment. */
    if (v6p_event_has(ev, V6P_F_FRAG_OFFSET) && !v6p_event_has(ev, V6P_F_FRAG_MORE))
        v6pi_set_bool(ev, V6P_F_FRAG_MORE, 0);
    if (v6pi_set_num(ev, V6P_F_PROTOCOL_VERSION, (uint64_t)s.family) != V6P_R_NONE)
        return fail(V6P_R_DUPLICATE_FIELD, body, end);
    /* The text of ip6tables and nftables is the same; MACSRC= (nft's `flags
     * ether`) and prefixes longer than iptables allows (29) tell nft apart. */
    ev->format = s.is_nft || (size_t)(pe - ps) > 29 ? V6P_FORMAT_NFTABLES : V6P_FORMAT_IPTABLES;
    v6p_event_mark(ev, V6P_F_VENDOR_PRODUCT);
    ctx->has_in = s.has_in;
    ctx->has_out = s.has_out;
    return ok;
}
