/* pfSense and OPNsense `filterlog` lines: one CSV record per logged packet.
 *
 *   rule,subrule,anchor,tracker|label,interface,reason,action,dir,ipver,
 *   IPv6: class(hex),flowlabel(hex),hlim,protoname,protonum,payload-length,src,dst,
 *   IPv4: tos(hex),ecn,ttl,id,offset,flags,protonum,protoname,length,src,dst,
 *   then by protocol:
 *     TCP   sport,dport,datalen,flags,seq[:end],ack,window,urg,options
 *     UDP   sport,dport,udp-length
 *     ICMP  OPNsense: datalength=N,type,code,id,seq,mtu
 *           pfSense: nothing for ICMPv6; for IPv4 a word and its details
 *     VRRP/CARP (OPNsense) type,ttl,vhid,version,advskew,advbase
 *     other OPNsense: datalength=N; pfSense: nothing
 *
 * No quoting exists; a trailing comma (an empty last field) is common.  A
 * record whose field count fits none of these is refused (V6P_R_FIELD_COUNT),
 * as is one that filterlog itself marked truncated: half a record never
 * becomes an event.
 *
 * Mapping: rule = the rule number; pf_subrule, pf_anchor, pf_label = the
 * sub-rule, anchor and pfSense tracker / OPNsense label (`0` = no label, left
 * out); bytes = IPv6 payload length + 40 (IPv4: the total length as logged).
 * pfSense's IPv4 echo prints the sequence number glued to the ICMP length with
 * no separator, so the sequence number is not taken from it. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "field.h"
#include "formats.h"
#include "pf.h"
#include "textaddr.h"
#include "proto.h"

#define MAX_FIELDS 64

typedef struct fld {
    const char *p;
    uint32_t n;
} fld;

static inline int is_digit(char ch)
{
    return (unsigned char)(ch - '0') < 10;
}

static inline int fld_is(const fld *f, const char *lit)
{
    return v6pi_pf_word(f->p, f->n, lit);
}

static inline int fld_prefix(const fld *f, const char *lit, size_t n)
{
    return f->n >= n && memcmp(f->p, lit, n) == 0;
}
#define PREFIX(f, lit) fld_prefix(f, lit, sizeof(lit) - 1)

/* Split on commas; returns the count, or -1 past MAX_FIELDS.  With SSE2 the
 * commas of sixteen bytes at a time come out as a bit mask, so a record of
 * forty short fields costs a few compares instead of a branch per byte. */
static int split(const char *p, size_t len, fld *out)
{
    int n = 0;
    const char *end = p + len, *s = p, *q = p;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(',');
    while (end - q >= 16) {
        unsigned mask =
            (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)q), comma));
        while (mask) {
            const char *e = q + __builtin_ctz(mask);
            mask &= mask - 1;
            if (n == MAX_FIELDS)
                return -1;
            out[n].p = s;
            out[n].n = (uint32_t)(e - s);
            n++;
            s = e + 1;
        }
        q += 16;
    }
#endif
    for (; q < end; q++) {
        if (*q != ',')
            continue;
        if (n == MAX_FIELDS)
            return -1;
        out[n].p = s;
        out[n].n = (uint32_t)(q - s);
        n++;
        s = q + 1;
    }
    if (n == MAX_FIELDS)
        return -1;
    out[n].p = s;
    out[n].n = (uint32_t)(end - s);
    return n + 1;
}

static v6p_reason dec(v6p_event *ev, v6p_field f, const fld *x)
{
    return v6pi_set_dec(ev, f, x->p, x->n);
}

static int all_digits(const fld *f)
{
    if (f->n == 0)
        return 0;
    for (uint32_t i = 0; i < f->n; i++)
        if (!is_digit(f->p[i]))
            return 0;
    return 1;
}

/* Fields 1-9. */
static v6p_reason common(v6p_event *ev, const fld *f)
{
    v6p_reason r;
    if (f[0].n) {
        uint64_t v;
        if (v6pi_parse_dec(f[0].p, f[0].n, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
        if ((r = v6pi_set_span(ev, V6P_F_RULE, f[0].p, f[0].n)))
            return r;
    }
    if (f[1].n && (r = dec(ev, V6P_F_PF_SUBRULE, &f[1])))
        return r;
    if (f[2].n && (r = v6pi_set_span(ev, V6P_F_PF_ANCHOR, f[2].p, f[2].n)))
        return r;
    if (f[3].n && !fld_is(&f[3], "0") && (r = v6pi_set_span(ev, V6P_F_PF_LABEL, f[3].p, f[3].n)))
        return r;
    if (f[4].n == 0 || f[5].n == 0 || f[6].n == 0 || f[7].n == 0)
        return V6P_R_MISSING_FIELD;
    if ((r = v6pi_set_span(ev, V6P_F_PF_REASON, f[5].p, f[5].n)))
        return r;
    return v6pi_pf_verdict(ev, f[6].p, f[6].n, f[7].p, f[7].n, f[4].p, f[4].n);
}

static v6p_reason addr(v6p_event *ev, v6p_field fl, const fld *x, int family)
{
    struct in6_addr a;
    int bad = family == 6 ? v6pi_parse_ip6(x->p, x->n, &a) : v6pi_parse_ip4_mapped(x->p, x->n, &a);
    if (bad)
        return V6P_R_BAD_ADDRESS;
    return v6pi_set_addr(ev, fl, &a);
}

static v6p_reason tcp(v6p_event *ev, const fld *t)
{
    v6p_reason r;
    uint64_t v;
    if ((r = dec(ev, V6P_F_SRC_PORT, &t[0])) || (r = dec(ev, V6P_F_DEST_PORT, &t[1])))
        return r;
    if (v6pi_parse_dec(t[2].p, t[2].n, 0xffffffffu, &v))
        return V6P_R_BAD_NUMBER;
    v6p_event_mark(ev, V6P_F_TCP_FLAG); /* an empty flags field is `[]`, not absent */
    if ((r = v6pi_pf_tcp_flags(ev, t[3].p, t[3].n, 0)))
        return r;
    if (t[4].n) {
        const char *colon = memchr(t[4].p, ':', t[4].n);
        size_t n1 = colon ? (size_t)(colon - t[4].p) : t[4].n;
        if ((r = v6pi_set_dec(ev, V6P_F_TCP_SEQ, t[4].p, n1)))
            return r;
        if (colon && v6pi_parse_dec(colon + 1, t[4].n - n1 - 1, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
    }
    if (t[5].n && (r = dec(ev, V6P_F_TCP_ACK, &t[5])))
        return r;
    if ((r = dec(ev, V6P_F_TCP_WINDOW, &t[6])))
        return r;
    if (t[7].n && (r = dec(ev, V6P_F_TCP_URGP, &t[7])))
        return r;
    if (t[8].n && (r = v6pi_set_span(ev, V6P_F_TCP_OPTIONS, t[8].p, t[8].n)))
        return r;
    return V6P_R_NONE;
}

static const struct {
    const char *name;
    uint8_t type;
} icmp6_types[] = {
    {"unreach", 1},      {"toobig", 2},        {"timex", 3},        {"paramprob", 4},
    {"echoreq", 128},    {"echorep", 129},     {"listqry", 130},    {"listenrep", 131},
    {"listendone", 132}, {"routersol", 133},   {"routeradv", 134},  {"neighbrsol", 135},
    {"neighbradv", 136}, {"redir", 137},       {"routrrenum", 138}, {"niqry", 139},
    {"nirep", 140},      {"listenrepv2", 143}, {"mtraceresp", 200}, {"mtrace", 201},
};

static const struct {
    const char *name;
    uint8_t type;
} icmp4_types[] = {
    {"echorep", 0},    {"unreach", 3},    {"squench", 4},    {"redir", 5},     {"althost", 6},
    {"echoreq", 8},    {"routeradv", 9},  {"routersol", 10}, {"timex", 11},    {"paramprob", 12},
    {"timereq", 13},   {"timerep", 14},   {"inforeq", 15},   {"inforep", 16},  {"maskreq", 17},
    {"maskrep", 18},   {"trace", 30},     {"dataconv", 31},  {"mobredir", 32}, {"ipv6-where", 33},
    {"ipv6-here", 34}, {"mobregreq", 35}, {"mobregrep", 36}, {"skip", 39},     {"photuris", 40},
};

static const struct {
    const char *name;
    uint8_t type, code;
} icmp_codes[] = {
    /* ICMPv6 (types >= 1 and <= 137 as pf.conf names them) */
    {"noroute-unr", 1, 0},
    {"admin-unr", 1, 1},
    {"beyond-unr", 1, 2},
    {"addr-unr", 1, 3},
    {"port-unr", 1, 4},
    {"transit", 3, 0},
    {"reassemb", 3, 1},
    {"badhead", 4, 0},
    {"nxthdr", 4, 1},
    {"redironlink", 137, 0},
    {"redirrouter", 137, 1},
    /* IPv4 */
    {"net-unr", 3, 0},
    {"host-unr", 3, 1},
    {"proto-unr", 3, 2},
    {"port-unr", 3, 3},
    {"needfrag", 3, 4},
    {"srcfail", 3, 5},
    {"net-unk", 3, 6},
    {"host-unk", 3, 7},
    {"isolate", 3, 8},
    {"net-prohib", 3, 9},
    {"host-prohib", 3, 10},
    {"net-tos", 3, 11},
    {"host-tos", 3, 12},
    {"filter-prohib", 3, 13},
    {"host-preced", 3, 14},
    {"cutoff-preced", 3, 15},
    {"redir-net", 5, 0},
    {"redir-host", 5, 1},
    {"redir-tos-net", 5, 2},
    {"redir-tos-host", 5, 3},
    {"normal-adv", 9, 0},
    {"common-adv", 9, 16},
    {"transit", 11, 0},
    {"reassemb", 11, 1},
    {"badhead", 12, 0},
    {"optmiss", 12, 1},
    {"badlen", 12, 2},
};

/* `unknown(N)` → N */
static int unknown_num(const fld *f, uint64_t *v)
{
    if (!PREFIX(f, "unknown(") || f->n < 10 || f->p[f->n - 1] != ')')
        return -1;
    return v6pi_parse_dec(f->p + 8, f->n - 9, 255, v);
}

/* OPNsense: datalength=N,type,code,id,seq,mtu */
static v6p_reason icmp_opnsense(v6p_event *ev, const fld *t, int n, int v6)
{
    uint64_t v;
    v6p_reason r;
    if (n != 6)
        return V6P_R_FIELD_COUNT;
    if (v6pi_parse_dec(t[0].p + 11, t[0].n - 11, 0xffffffffu, &v))
        return V6P_R_BAD_NUMBER;
    if (PREFIX(&t[1], "truncated-icmp="))
        return V6P_R_TRUNCATED;
    int type = -1;
    if (unknown_num(&t[1], &v) == 0)
        type = (int)v;
    if (v6) {
        for (size_t i = 0; type < 0 && i < sizeof(icmp6_types) / sizeof(icmp6_types[0]); i++)
            if (fld_is(&t[1], icmp6_types[i].name))
                type = icmp6_types[i].type;
    } else {
        for (size_t i = 0; type < 0 && i < sizeof(icmp4_types) / sizeof(icmp4_types[0]); i++)
            if (fld_is(&t[1], icmp4_types[i].name))
                type = icmp4_types[i].type;
    }
    if (type < 0)
        return V6P_R_UNEXPECTED_TOKEN;
    if ((r = v6pi_set_num(ev, V6P_F_ICMP_TYPE, (uint64_t)type)))
        return r;
    if (all_digits(&t[2])) {
        if ((r = dec(ev, V6P_F_ICMP_CODE, &t[2])))
            return r;
    } else {
        int code = -1;
        for (size_t i = 0; i < sizeof(icmp_codes) / sizeof(icmp_codes[0]) && code < 0; i++)
            if (icmp_codes[i].type == type && fld_is(&t[2], icmp_codes[i].name))
                code = icmp_codes[i].code;
        if (code < 0)
            return V6P_R_UNEXPECTED_TOKEN;
        if ((r = v6pi_set_num(ev, V6P_F_ICMP_CODE, (uint64_t)code)))
            return r;
    }
    if (t[3].n && (r = dec(ev, V6P_F_ICMP_ID, &t[3])))
        return r;
    if (t[4].n && (r = dec(ev, V6P_F_ICMP_SEQ, &t[4])))
        return r;
    if (t[5].n && (r = dec(ev, V6P_F_ICMP_MTU, &t[5])))
        return r;
    return V6P_R_NONE;
}

/* pfSense IPv4 ICMP: a word, then details that depend on it. */
static v6p_reason icmp4_pfsense(v6p_event *ev, const fld *t, int n)
{
    static const struct {
        const char *word;
        uint8_t type;
        int8_t code;
        uint8_t min, max; /* field counts */
    } words[] = {
        {"request", 8, -1, 3, 3},      {"reply", 0, -1, 3, 3},      {"unreachproto", 3, 2, 3, 3},
        {"unreachport", 3, 3, 4, 4},   {"needfrag", 3, 4, 2, 3},    {"unreach", 3, -1, 2, 2},
        {"redirect", 5, -1, 2, 3},     {"timexceed", 11, -1, 2, 2}, {"tstamp", 13, -1, 3, 3},
        {"tstampreply", 14, -1, 4, 6},
    };
    v6p_reason r;
    uint64_t v;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!fld_is(&t[0], words[i].word))
            continue;
        if (n < words[i].min || n > words[i].max)
            return V6P_R_FIELD_COUNT;
        if ((r = v6pi_set_num(ev, V6P_F_ICMP_TYPE, words[i].type)))
            return r;
        if (words[i].code >= 0 && (r = v6pi_set_num(ev, V6P_F_ICMP_CODE, (uint64_t)words[i].code)))
            return r;
        if (words[i].type == 8 || words[i].type == 0) {
            /* seq and ICMP length run together: only check they are digits */
            if ((r = dec(ev, V6P_F_ICMP_ID, &t[1])))
                return r;
            if (v6pi_parse_dec(t[2].p, t[2].n, UINT64_MAX / 10, &v))
                return V6P_R_BAD_NUMBER;
        }
        if (words[i].type == 11 && n == 2) {
            if (PREFIX(&t[1], "time exceeded in-transit"))
                return v6pi_set_num(ev, V6P_F_ICMP_CODE, 0);
            if (PREFIX(&t[1], "ip reassembly time exceeded"))
                return v6pi_set_num(ev, V6P_F_ICMP_CODE, 1);
        }
        return V6P_R_NONE;
    }
    if (PREFIX(&t[0], "paramprob"))
        return n <= 2 ? v6pi_set_num(ev, V6P_F_ICMP_TYPE, 12) : V6P_R_FIELD_COUNT;
    if (PREFIX(&t[0], "routeradv"))
        return n <= 4 ? v6pi_set_num(ev, V6P_F_ICMP_TYPE, 9) : V6P_R_FIELD_COUNT;
    if (PREFIX(&t[0], "maskreply"))
        return n <= 2 ? v6pi_set_num(ev, V6P_F_ICMP_TYPE, 18) : V6P_R_FIELD_COUNT;
    /* names without numbers ("source quench64", "type-??64"): keep the event, no type */
    return n <= 2 ? V6P_R_NONE : V6P_R_FIELD_COUNT;
}

static int is_ext6(unsigned p)
{
    return p == IPPROTO_HOPOPTS || p == IPPROTO_ROUTING || p == IPPROTO_FRAGMENT ||
           p == IPPROTO_DSTOPTS || p == IPPROTO_MH || p == V6PI_IPPROTO_HIP ||
           p == V6PI_IPPROTO_SHIM6;
}

/* What follows the addresses. */
static v6p_reason tail(v6p_event *ev, const fld *t, int n, unsigned proto, int family, int frag)
{
    int empty = n == 0 || (n == 1 && t[0].n == 0);
    if (frag || (family == 6 && is_ext6(proto)))
        return V6P_R_NONE; /* pfSense walks headers here; nothing we decode */
    switch (proto) {
    case IPPROTO_TCP:
        if (n >= 1 && PREFIX(&t[0], "errormsg="))
            return V6P_R_NONE;
        if (n == 10 && t[9].n == 0)
            n = 9;
        if (n != 9)
            return V6P_R_FIELD_COUNT;
        return tcp(ev, t);
    case IPPROTO_UDP:
    case IPPROTO_SCTP: {
        v6p_reason r;
        if (n == 4 && t[3].n == 0)
            n = 3;
        if (n != 3)
            return V6P_R_FIELD_COUNT;
        if ((r = dec(ev, V6P_F_SRC_PORT, &t[0])) || (r = dec(ev, V6P_F_DEST_PORT, &t[1])))
            return r;
        uint64_t v;
        if (v6pi_parse_dec(t[2].p, t[2].n, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
        return proto == IPPROTO_UDP ? v6pi_set_num(ev, V6P_F_TRANSPORT_LENGTH, v) : V6P_R_NONE;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        if (n >= 1 && PREFIX(&t[0], "datalength="))
            return icmp_opnsense(ev, t, n, proto == IPPROTO_ICMPV6);
        if (empty)
            return V6P_R_NONE; /* pfSense prints no ICMPv6 details */
        if (proto == IPPROTO_ICMPV6)
            return V6P_R_FIELD_COUNT;
        return icmp4_pfsense(ev, t, n);
    case V6PI_IPPROTO_VRRP:
        if (empty)
            return V6P_R_NONE;
        if (n != 6 || !(fld_is(&t[0], "advertise") || fld_is(&t[0], "unkwn")))
            return V6P_R_FIELD_COUNT;
        for (int i = 1; i < 6; i++)
            if (!all_digits(&t[i]))
                return V6P_R_BAD_NUMBER;
        return V6P_R_NONE;
    default:
        if (empty)
            return V6P_R_NONE;
        if (n <= 2 && (fld_is(&t[0], "IPV6-IN-IPV6") || fld_is(&t[0], "IPV4-IN-IPV6")) &&
            (n == 1 || t[1].n == 0))
            return V6P_R_NONE;
        if (n <= 2 && PREFIX(&t[0], "datalength=") && (n == 1 || t[1].n == 0)) {
            uint64_t v;
            return v6pi_parse_dec(t[0].p + 11, t[0].n - 11, 0xffffffffu, &v) ? V6P_R_BAD_NUMBER
                                                                             : V6P_R_NONE;
        }
        return V6P_R_FIELD_COUNT;
    }
}

static v6p_reason proto_num(v6p_event *ev, const fld *num, const fld *name, unsigned *out)
{
    uint64_t v;
    if (name->n == 0)
        return V6P_R_MISSING_FIELD;
    if (v6pi_parse_dec(num->p, num->n, 255, &v))
        return V6P_R_BAD_NUMBER;
    *out = (unsigned)v;
    v6p_event_mark(ev, V6P_F_TRANSPORT);
    return v6pi_set_num(ev, V6P_F_PROTOCOL_NUMBER, v);
}

static v6p_reason ipv6(v6p_event *ev, const fld *f, int n)
{
    v6p_reason r;
    uint64_t v;
    unsigned proto;
    if (n < 17)
        return V6P_R_FIELD_COUNT;
    if ((r = v6pi_set_hex(ev, V6P_F_TRAFFIC_CLASS, f[9].p, f[9].n)) ||
        (r = v6pi_set_hex(ev, V6P_F_FLOW_LABEL, f[10].p, f[10].n)) ||
        (r = dec(ev, V6P_F_HOP_LIMIT, &f[11])) || (r = proto_num(ev, &f[13], &f[12], &proto)))
        return r;
    if (!PREFIX(&f[9], "0x") || !PREFIX(&f[10], "0x"))
        return V6P_R_BAD_NUMBER;
    if (v6pi_parse_dec(f[14].p, f[14].n, 0xffff, &v))
        return V6P_R_BAD_NUMBER;
    if ((r = v6pi_set_num(ev, V6P_F_BYTES, v + 40)) || (r = addr(ev, V6P_F_SRC, &f[15], 6)) ||
        (r = addr(ev, V6P_F_DEST, &f[16], 6)))
        return r;
    if ((r = tail(ev, f + 17, n - 17, proto, 6, 0)))
        return r;
    return v6pi_set_num(ev, V6P_F_PROTOCOL_VERSION, 6);
}

static v6p_reason ipv4(v6p_event *ev, const fld *f, int n)
{
    v6p_reason r;
    uint64_t off;
    unsigned proto;
    if (n < 20)
        return V6P_R_FIELD_COUNT;
    if ((r = v6pi_set_hex(ev, V6P_F_TRAFFIC_CLASS, f[9].p, f[9].n)) ||
        (r = dec(ev, V6P_F_HOP_LIMIT, &f[11])) || (r = dec(ev, V6P_F_IP_ID, &f[12])))
        return r;
    if (f[10].n && !fld_is(&f[10], "0") && !fld_is(&f[10], "1") && !fld_is(&f[10], "CE"))
        return V6P_R_UNEXPECTED_TOKEN;
    if (v6pi_parse_dec(f[13].p, f[13].n, 0xffff, &off))
        return V6P_R_BAD_NUMBER;
    if (off && (r = v6pi_set_num(ev, V6P_F_FRAG_OFFSET, off)))
        return r;
    if (fld_is(&f[14], "DF"))
        r = v6pi_set_flag(ev, V6P_F_IP_FLAG, V6P_IP_DF);
    else if (fld_is(&f[14], "+") || fld_is(&f[14], "MF"))
        r = v6pi_set_flag(ev, V6P_F_IP_FLAG, V6P_IP_MF);
    else if (!fld_is(&f[14], "none") && !fld_is(&f[14], "rsvd"))
        r = V6P_R_UNEXPECTED_TOKEN;
    if (r || (r = proto_num(ev, &f[15], &f[16], &proto)) || (r = dec(ev, V6P_F_BYTES, &f[17])) ||
        (r = addr(ev, V6P_F_SRC, &f[18], 4)) || (r = addr(ev, V6P_F_DEST, &f[19], 4)))
        return r;
    if ((r = tail(ev, f + 20, n - 20, proto, 4, off != 0)))
        return r;
    return v6pi_set_num(ev, V6P_F_PROTOCOL_VERSION, 4);
}

/* `truncated-ip6=N`, `error='truncated-ip6 - …'`, `[|ip]`: filterlog could
 * not read the packet whole. */
static int marked_truncated(const fld *f, int n)
{
    for (int i = 9; i < n; i++)
        if (PREFIX(&f[i], "truncated-") || PREFIX(&f[i], "error='truncated") ||
            PREFIX(&f[i], "[|") || PREFIX(&f[i], "bad-"))
            return 1;
    return 0;
}

static int known_action(const fld *f)
{
    static const char *const acts[] = {"pass",          "block", "scrub", "nat",     "binat", "rdr",
                                       "synproxy-drop", "match", "nonat", "nobinat", "nordr"};
    for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
        if (fld_is(f, acts[i]))
            return 1;
    return PREFIX(f, "unknown(") || PREFIX(f, "unkn(");
}

/* An RFC 5424 header that lost its `<PRI>1 ` in transit arrives as an RFC
 * 3339 stamp, a host, then `filterlog PROCID MSGID SD `: the framing stops at
 * the app name, so the rest of that header is skipped here. */
static size_t rest_of_5424(const char *b, size_t len)
{
    if (len < 10 || memcmp(b, "filterlog ", 10) != 0)
        return 0;
    size_t i = 10;
    for (int w = 0; w < 2; w++) { /* PROCID, MSGID */
        while (i < len && b[i] != ' ')
            i++;
        if (i >= len)
            return 0;
        i++;
    }
    if (i < len && b[i] == '-') {
        i++;
    } else {
        while (i < len && b[i] == '[') {
            int q = 0;
            for (i++; i < len && (q || b[i] != ']'); i++) {
                if (q && b[i] == '\\')
                    i++;
                else if (b[i] == '"')
                    q = !q;
            }
            if (i >= len)
                return 0;
            i++;
        }
    }
    return i < len && b[i] == ' ' ? i + 1 : 0;
}

int v6pi_sniff_filterlog(const char *body, size_t len, v6pi_body_ctx *ctx)
{
    if (ctx->tag.len == 9 && memcmp(ctx->tag.ptr, "filterlog", 9) == 0)
        return 1;
    if (rest_of_5424(body, len))
        return 1;
    /* A bare record: the action and IP version fields give it away. */
    fld f[10];
    int n = 0;
    const char *s = body, *end = body + len;
    while (n < 10) {
        const char *c = memchr(s, ',', (size_t)(end - s));
        f[n].p = s;
        f[n].n = (uint32_t)((c ? c : end) - s);
        n++;
        if (!c)
            break;
        s = c + 1;
    }
    return n == 10 && known_action(&f[6]) && (fld_is(&f[8], "4") || fld_is(&f[8], "6")) &&
           (f[0].n == 0 || all_digits(&f[0]));
}

v6pi_body_result v6pi_parse_filterlog(const char *body, size_t len, v6p_event *ev,
                                      v6pi_body_ctx *ctx)
{
    (void)ctx;
    v6pi_body_result res = {V6P_OK, V6P_R_NONE, 0};
    fld f[MAX_FIELDS];
    size_t skip = rest_of_5424(body, len);
    int n = split(body + skip, len - skip, f);
    v6p_reason r;
    if (n < 0)
        r = V6P_R_FIELD_COUNT;
    else if (n < 10)
        r = n == 1 ? V6P_R_NO_FORMAT : V6P_R_TRUNCATED;
    else if (marked_truncated(f, n))
        r = V6P_R_TRUNCATED;
    else if ((r = common(ev, f)) != V6P_R_NONE)
        ;
    else if (fld_is(&f[8], "6"))
        r = ipv6(ev, f, n);
    else if (fld_is(&f[8], "4"))
        r = ipv4(ev, f, n);
    else
        r = V6P_R_UNEXPECTED_TOKEN;
    if (r == V6P_R_NO_FORMAT) {
        res.status = V6P_NOT_FIREWALL;
        res.reason = r;
        return res;
    }
    if (r != V6P_R_NONE) {
        res.status = V6P_MALFORMED;
        res.reason = r;
        return res;
    }
    ev->format = V6P_FORMAT_FILTERLOG;
    v6p_event_mark(ev, V6P_F_VENDOR_PRODUCT);
    return res;
}
