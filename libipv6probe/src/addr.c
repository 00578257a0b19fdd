/* Address analysis: registry block, scope, IID kind, embedded addresses and
 * the randomness score of the IID.
 *
 * The IID rules follow ipv6toolkit's addr6 (its taxonomy and order), with its
 * known faults fixed:
 *   - Teredo addresses get the Teredo kind (addr6 computes it and then
 *     overwrites it);
 *   - the RFC 5991 flag check looks at the 16-bit flags (addr6 truncates a
 *     32-bit word and the check never fires);
 *   - embedded-IPv4-64 needs decimal-looking words, a non-zero first octet
 *     and at most one zero octet (addr6 takes ::1:0:0:1, ::a:b:c:d and even
 *     the all-zero IID);
 *   - EUI-64 IIDs from locally administered MACs are recognised (addr6 only
 *     knows universal ones).
 * Reserved IIDs (RFC 5453) are checked first, and "randomized" needs a
 * measured score: IIDs that fail it are "pattern" or "unclassified".
 *
 * Everything works on the address bytes; no allocation, no state. */
#include "ipv6probe/addr.h"

#include <string.h>

#include "iid_tables.h"

static inline int zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The first finder wins: an IPv4 address carried by the block (6to4, NAT64)
 * matters more than one the IID rules see again in the same bits. */
static inline void take_v4(v6p_addr_info *info, const uint8_t *p, v6p_ipv4_origin o)
{
    if (info->ipv4_origin != V6P_V4_NONE)
        return;
    memcpy(&info->ipv4, p, 4);
    info->ipv4_origin = o;
}

/* ---- blocks ---- */

/* 0000::/8: the IPv4-related blocks and the two special addresses. */
static v6p_block block_zero(const uint8_t *a)
{
    if (zero(a, 10)) {
        if (a[10] == 0xff && a[11] == 0xff)
            return V6P_BLOCK_IPV4_MAPPED;
        if (a[10] == 0 && a[11] == 0) {
            if (zero(a + 12, 3))
                return a[15] == 0   ? V6P_BLOCK_UNSPECIFIED
                       : a[15] == 1 ? V6P_BLOCK_LOOPBACK
                                    : V6P_BLOCK_IPV4_COMPATIBLE;
            return V6P_BLOCK_IPV4_COMPATIBLE;
        }
        return V6P_BLOCK_RESERVED;
    }
    if (a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {
        if (zero(a + 4, 8))
            return V6P_BLOCK_NAT64;
        if (a[4] == 0 && a[5] == 1)
            return V6P_BLOCK_NAT64_LOCAL;
    }
    return V6P_BLOCK_RESERVED;
}

/* 2001::/23, IETF protocol assignments, and its registered sub-blocks. */
static v6p_block block_ietf(const uint8_t *a)
{
    if (a[2] == 0) {
        switch (a[3]) {
        case 0x00:
            return V6P_BLOCK_TEREDO;
        case 0x01:
            if (zero(a + 4, 11) && a[15] >= 1 && a[15] <= 3)
                return (v6p_block)(V6P_BLOCK_PCP_ANYCAST + a[15] - 1);
            return V6P_BLOCK_IETF_PROTOCOL;
        case 0x02:
            return a[4] == 0 && a[5] == 0 ? V6P_BLOCK_BENCHMARKING : V6P_BLOCK_IETF_PROTOCOL;
        case 0x03:
            return V6P_BLOCK_AMT;
        case 0x04:
            return a[4] == 0x01 && a[5] == 0x12 ? V6P_BLOCK_AS112 : V6P_BLOCK_IETF_PROTOCOL;
        default:
            break;
        }
        switch (a[3] & 0xf0) {
        case 0x10:
            return V6P_BLOCK_ORCHID;
        case 0x20:
            return V6P_BLOCK_ORCHIDV2;
        case 0x30:
            return V6P_BLOCK_DRONE_REMOTE_ID;
        default:
            break;
        }
    }
    return V6P_BLOCK_IETF_PROTOCOL;
}

/* 2000::/3. */
static v6p_block block_global(const uint8_t *a)
{
    if (a[0] == 0x20) {
        if (a[1] == 0x01) {
            if ((a[2] & 0xfe) == 0)
                return block_ietf(a);
            if (a[2] == 0x0d && a[3] == 0xb8)
                return V6P_BLOCK_DOCUMENTATION;
        } else if (a[1] == 0x02) {
            return V6P_BLOCK_6TO4;
        }
    } else if (a[0] == 0x26 && a[1] == 0x20 && a[2] == 0x00 && a[3] == 0x4f && a[4] == 0x80 &&
               a[5] == 0x00) {
        return V6P_BLOCK_AS112_DELEGATION;
    } else if (a[0] == 0x3f) {
        if (a[1] == 0xff && (a[2] & 0xf0) == 0)
            return V6P_BLOCK_DOCUMENTATION;
        /* 3ffe:831f::/32: the Teredo prefix before RFC 4380 was final. */
        if (a[1] == 0xfe && a[2] == 0x83 && a[3] == 0x1f)
            return V6P_BLOCK_TEREDO;
    }
    return V6P_BLOCK_GLOBAL_UNICAST;
}

static v6p_block block_of(const uint8_t *a)
{
    switch (a[0]) {
    case 0x00:
        return block_zero(a);
    case 0x01:
        if (a[1] == 0 && zero(a + 2, 4) && a[6] == 0)
            return a[7] == 0 ? V6P_BLOCK_DISCARD : a[7] == 1 ? V6P_BLOCK_DUMMY : V6P_BLOCK_RESERVED;
        return V6P_BLOCK_RESERVED;
    case 0x5f:
        return a[1] == 0 ? V6P_BLOCK_SRV6_SID : V6P_BLOCK_RESERVED;
    case 0xfc:
    case 0xfd:
        return V6P_BLOCK_ULA;
    case 0xfe:
        if ((a[1] & 0xc0) == 0x80)
            return V6P_BLOCK_LINK_LOCAL;
        if ((a[1] & 0xc0) == 0xc0)
            return V6P_BLOCK_SITE_LOCAL;
        return V6P_BLOCK_RESERVED;
    case 0xff:
        return V6P_BLOCK_MULTICAST;
    default:
        return (a[0] & 0xe0) == 0x20 ? block_global(a) : V6P_BLOCK_RESERVED;
    }
}

v6p_block v6p_addr_block(const struct in6_addr *a)
{
    return a ? block_of(a->s6_addr) : V6P_BLOCK_NONE;
}

static uint8_t scope_of(v6p_block b, const uint8_t *a)
{
    switch (b) {
    case V6P_BLOCK_MULTICAST:
        return a[1] & 0x0f;
    case V6P_BLOCK_LOOPBACK:
        return V6P_SCOPE_INTERFACE;
    case V6P_BLOCK_LINK_LOCAL:
        return V6P_SCOPE_LINK;
    case V6P_BLOCK_SITE_LOCAL:
        return V6P_SCOPE_SITE;
    case V6P_BLOCK_UNSPECIFIED:
    case V6P_BLOCK_NONE:
        return V6P_SCOPE_NONE;
    default:
        return V6P_SCOPE_GLOBAL;
    }
}

const char *v6p_scope_name(unsigned scope)
{
    switch (scope) {
    case V6P_SCOPE_INTERFACE:
        return "interface_local";
    case V6P_SCOPE_LINK:
        return "link_local";
    case V6P_SCOPE_REALM:
        return "realm_local";
    case V6P_SCOPE_ADMIN:
        return "admin_local";
    case V6P_SCOPE_SITE:
        return "site_local";
    case V6P_SCOPE_ORGANIZATION:
        return "organization_local";
    case V6P_SCOPE_GLOBAL:
        return "global";
    default:
        return NULL;
    }
}

/* ---- randomness ---- */

#define NIBBLE_LSB 0x1111111111111111ULL

/* Sum of the nibbles of x when it is at most 15: the multiply adds every
 * nibble into the top one (no popcount instruction needed). */
static inline unsigned nibble_sum(uint64_t x)
{
    return (unsigned)((x * NIBBLE_LSB) >> 60);
}

static inline unsigned popcount16(unsigned v)
{
    v = v - ((v >> 1) & 0x5555);
    v = (v & 0x3333) + ((v >> 2) & 0x3333);
    v = (v + (v >> 4)) & 0x0f0f;
    return (v + (v >> 8)) & 0x1f;
}

/* p-value of the IID under "16 independent uniform nibbles": the smallest of
 * four exact tail probabilities (iid_tables.h), times 4 (Bonferroni), capped
 * at 1.  Few distinct digits catch repetition (1111:2222:…), equal neighbours
 * catch runs, few distinct neighbour differences catch sequences and periods
 * (0123:4567:…, abab:…), and the count of letters a-f catches hex words
 * (dead:beef:…) and all-decimal IIDs.  Register arithmetic only: two bit
 * sets built nibble by nibble, the rest lane-parallel. */
static double iid_randomness(uint64_t iid)
{
    /* Lane j (from the low end) of diff holds x[j] - x[j+1] mod 16. */
    const uint64_t hi = 0x8888888888888888ULL;
    uint64_t a = iid, b = iid >> 4;
    uint64_t diff = ((a | hi) - (b & ~hi)) ^ ((a ^ ~b) & hi);
    unsigned digits = 1u << (iid >> 60), deltas = 0;
    /* Unrolled, the nibble shifts are constants; only the bit-set shifts
     * stay variable. */
#pragma GCC unroll 15
    for (int s = 0; s < 60; s += 4) {
        digits |= 1u << ((iid >> s) & 15);
        deltas |= 1u << ((diff >> s) & 15);
    }
    uint64_t same = iid ^ b; /* zero lane: equal neighbours */
    same = (same | same >> 1 | same >> 2 | same >> 3) & (NIBBLE_LSB >> 4);
    unsigned runs = 15 - nibble_sum(same);
    uint64_t letter = (iid >> 3) & (iid >> 2 | iid >> 1) & NIBBLE_LSB;
    unsigned letters = nibble_sum(letter >> 4) + (unsigned)(letter & 1);

    double p = iid_p_digits[popcount16(digits)];
    if (iid_p_runs[runs] < p)
        p = iid_p_runs[runs];
    if (iid_p_deltas[popcount16(deltas)] < p)
        p = iid_p_deltas[popcount16(deltas)];
    if (iid_p_letters[letters] < p)
        p = iid_p_letters[letters];
    p *= 4.0;
    return p > 1.0 ? 1.0 : p;
}

/* ---- IID kinds ---- */

/* addr6's service ports, matched as the number or as its decimal digits read
 * as hex (::80 and ::50 both say port 80). */
static int service_port(unsigned w, uint16_t *port)
{
    static const uint16_t ports[] = {21,   22,   23,   25,   49,   53,   80,  110,
                                     123,  179,  220,  389,  443,  547,  993, 995,
                                     1194, 3306, 5060, 5061, 5432, 6446, 8080};
    static const uint16_t as_hex[] = {0x21,   0x22,   0x23,   0x25,   0x49,   0x53,   0x80,  0x110,
                                      0x123,  0x179,  0x220,  0x389,  0x443,  0x547,  0x993, 0x995,
                                      0x1194, 0x3306, 0x5060, 0x5061, 0x5432, 0x6446, 0x8080};
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        if (w == ports[i] || w == as_hex[i]) {
            *port = ports[i];
            return 1;
        }
    }
    return 0;
}

/* A 16-bit word whose hex digits read as a decimal octet (0x192 → 192). */
static int decimal_octet(unsigned w, uint8_t *octet)
{
    unsigned v = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (w >> shift) & 15;
        if (d > 9)
            return 0;
        v = v * 10 + d;
    }
    if (v > 255)
        return 0;
    *octet = (uint8_t)v;
    return 1;
}

/* ::192:168:1:1.  Needs a non-zero first octet and at most one zero octet:
 * ::1:0:0:1 and ::10:0:0:1 are numbering patterns far more often than an
 * administrator's IPv4 address. */
static int iid_ipv4_64(const uint8_t *b, v6p_addr_info *info)
{
    uint8_t v4[4];
    int zeros = 0;
    for (int i = 0; i < 4; i++) {
        if (!decimal_octet((unsigned)b[2 * i] << 8 | b[2 * i + 1], &v4[i]))
            return 0;
        zeros += v4[i] == 0;
    }
    if (v4[0] == 0 || zeros > 1)
        return 0;
    take_v4(info, v4, V6P_V4_IID64);
    return 1;
}

/* The IID is all zero in its top 32 bits: ::a.b.c.d, ports and low-byte, in
 * addr6's order (an address wins over a port: ::1bb:a is 1.187.0.10). */
static v6p_iid_kind iid_top_zero(const uint8_t *b, v6p_addr_info *info)
{
    unsigned hi = (unsigned)b[4] << 8 | b[5], lo = (unsigned)b[6] << 8 | b[7];
    if (b[4] != 0 && lo != 0) {
        take_v4(info, b + 4, V6P_V4_IID32);
        return V6P_IID_EMBEDDED_IPV4;
    }
    if (b[4] == 0 && service_port(lo, &info->port))
        return V6P_IID_PORT_EMBEDDED;
    if (b[6] == 0 && service_port(hi, &info->port)) {
        info->port_reversed = 1;
        return V6P_IID_PORT_EMBEDDED;
    }
    if (b[4] == 0 && lo != 0)
        return V6P_IID_LOW_BYTE;
    return V6P_IID_NONE; /* let the later rules decide */
}

static int reserved_iid(const uint8_t *b)
{
    /* RFC 5453: the IANA Ethernet block 0200:5eff:fe00:0000/104 … */
    if (b[0] == 0x02 && b[1] == 0x00 && b[2] == 0x5e && b[3] == 0xff && b[4] == 0xfe)
        return 1;
    /* … and the RFC 2526 subnet anycast range fdff:ffff:ffff:ff80/121. */
    return b[0] == 0xfd && b[1] == 0xff && b[2] == 0xff && b[3] == 0xff && b[4] == 0xff &&
           b[5] == 0xff && b[6] == 0xff && (b[7] & 0x80);
}

static unsigned zero_bytes(uint64_t iid)
{
    uint64_t x = iid | iid >> 4;
    x |= x >> 2;
    x |= x >> 1;
    x &= 0x0101010101010101ULL; /* 1 in each non-zero byte */
    return 8 - (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

static int distinct_bytes(const uint8_t *b)
{
    int n = 0;
    for (int i = 0; i < 8; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = b[j] == b[i];
        n += !seen;
    }
    return n;
}

static v6p_iid_kind iid_kind(const uint8_t *b, uint64_t iid, v6p_addr_info *info)
{
    if (iid == 0)
        return V6P_IID_ZERO;
    if (reserved_iid(b))
        return V6P_IID_RESERVED;
    if (b[3] == 0xff && b[4] == 0xfe) {
        info->mac[0] = b[0] ^ 0x02;
        memcpy(info->mac + 1, b + 1, 2);
        memcpy(info->mac + 3, b + 5, 3);
        /* After the modified-EUI-64 inversion, u=1 means a universal MAC. */
        return (b[0] & 0x02) ? V6P_IID_EUI64 : V6P_IID_EUI64_LOCAL;
    }
    if ((b[0] & ~0x02) == 0 && b[1] == 0 && b[2] == 0x5e && b[3] == 0xfe) {
        take_v4(info, b + 4, V6P_V4_ISATAP);
        return V6P_IID_ISATAP;
    }
    if ((iid >> 32) == 0) {
        v6p_iid_kind k = iid_top_zero(b, info);
        if (k != V6P_IID_NONE)
            return k;
    }
    if (iid_ipv4_64(b, info))
        return V6P_IID_EMBEDDED_IPV4_64;
    if (zero_bytes(iid) > 2)
        return V6P_IID_PATTERN;
    /* The score costs more than every rule above: measured only here unless
     * the caller wants it for every IID. */
    if (info->randomness < 0)
        info->randomness = iid_randomness(iid);
    if (info->randomness >= V6P_RANDOM_MIN)
        return V6P_IID_RANDOMIZED;
    /* Not random: few distinct bytes is repetition (1111:2222:…, abab:…);
     * the rest is wordy or sequential (dead:beef:…, 0123:4567:…). */
    return distinct_bytes(b) <= 4 ? V6P_IID_PATTERN : V6P_IID_UNCLASSIFIED;
}

/* Teredo: server IPv4 in bits 32-63, then flags, obfuscated port and client
 * IPv4 (RFC 4380 section 4). */
static void teredo(const uint8_t *a, v6p_addr_info *info)
{
    uint8_t client[4];
    memcpy(&info->teredo_server, a + 4, 4);
    info->teredo_flags = (uint16_t)(a[8] << 8 | a[9]);
    info->teredo_port = (uint16_t) ~(a[10] << 8 | a[11]);
    for (int i = 0; i < 4; i++)
        client[i] = (uint8_t)~a[12 + i];
    take_v4(info, client, V6P_V4_TEREDO);
    unsigned f = info->teredo_flags;
    if ((f & 0x7fff) == 0)
        info->teredo_kind = V6P_TEREDO_RFC4380;
    else if ((f & 0x4300) == 0) /* R, U and G zero; some random A bits set */
        info->teredo_kind = V6P_TEREDO_RFC5991;
    else
        info->teredo_kind = V6P_TEREDO_UNKNOWN;
}

/* IPv4 addresses carried by the block itself. */
static void block_extras(v6p_block block, const uint8_t *a, v6p_addr_info *info)
{
    switch (block) {
    case V6P_BLOCK_IPV4_MAPPED:
        take_v4(info, a + 12, V6P_V4_MAPPED);
        break;
    case V6P_BLOCK_IPV4_COMPATIBLE:
        take_v4(info, a + 12, V6P_V4_COMPATIBLE);
        break;
    case V6P_BLOCK_NAT64:
    case V6P_BLOCK_NAT64_LOCAL:
        take_v4(info, a + 12, V6P_V4_NAT64);
        break;
    case V6P_BLOCK_6TO4:
        take_v4(info, a + 2, V6P_V4_6TO4);
        break;
    default:
        break;
    }
}

static int has_iid(v6p_block b)
{
    switch (b) {
    case V6P_BLOCK_NONE:
    case V6P_BLOCK_UNSPECIFIED:
    case V6P_BLOCK_LOOPBACK:
    case V6P_BLOCK_IPV4_MAPPED:
    case V6P_BLOCK_IPV4_COMPATIBLE:
    case V6P_BLOCK_MULTICAST:
    case V6P_BLOCK_IPV4:
        return 0;
    default:
        return 1;
    }
}

/* score_all: measure the randomness of every IID, not only of those that
 * reach the random test (the tagger needs only the kind). */
static void analyze(const uint8_t *a, v6p_addr_info *info, int score_all)
{
    memset(info, 0, sizeof(*info));
    info->block = block_of(a);
    info->scope = scope_of(info->block, a);
    if (info->block == V6P_BLOCK_MULTICAST)
        info->mcast_flags = a[1] >> 4;
    block_extras(info->block, a, info);
    if (!has_iid(info->block))
        return;

    uint64_t iid = 0;
    for (int i = 8; i < 16; i++)
        iid = iid << 8 | a[i];
    info->randomness = score_all ? iid_randomness(iid) : -1.0;
    if (info->block == V6P_BLOCK_TEREDO) {
        teredo(a, info);
        info->iid = V6P_IID_TEREDO;
    } else {
        info->iid = iid_kind(a + 8, iid, info);
    }
}

int v6p_addr_analyze(const struct in6_addr *addr, v6p_addr_info *info)
{
    if (!addr || !info)
        return -1;
    analyze(addr->s6_addr, info, 1);
    return 0;
}

/* ---- the event tagger ---- */

static void tag_one(v6p_event *ev, const struct in6_addr *a, v6p_field have, v6p_field fblock,
                    v6p_field fiid, uint8_t *block, uint8_t *iid)
{
    if (!v6p_event_has(ev, have))
        return;
    if (ev->protocol_version == 4) {
        *block = V6P_BLOCK_IPV4;
        v6p_event_mark(ev, fblock);
        return;
    }
    v6p_addr_info info;
    analyze(a->s6_addr, &info, 0);
    *block = (uint8_t)info.block;
    v6p_event_mark(ev, fblock);
    if (info.iid != V6P_IID_NONE) {
        *iid = (uint8_t)info.iid;
        v6p_event_mark(ev, fiid);
    }
}

int v6p_addr_tag(v6p_event *ev)
{
    if (!ev)
        return -1;
    tag_one(ev, &ev->src, V6P_F_SRC, V6P_F_SRC_BLOCK, V6P_F_SRC_IID, &ev->src_block, &ev->src_iid);
    tag_one(ev, &ev->dest, V6P_F_DEST, V6P_F_DEST_BLOCK, V6P_F_DEST_IID, &ev->dest_block,
            &ev->dest_iid);
    return 0;
}
