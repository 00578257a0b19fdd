/* Address text: parsing without copies, RFC 5952 output. */
#include "textaddr.h"

#include <string.h>

#include "ipv6probe/json.h"

int v6pi_parse_ip4(const char *p, size_t n, struct in_addr *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || p[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned octet = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - start < 3)
            octet = octet * 10 + (unsigned)(p[i++] - '0');
        /* Leading zeros are refused as inet_pton does: "010" is ambiguous. */
        if (i == start || octet > 255 || (i - start > 1 && p[start] == '0'))
            return -1;
        v = v << 8 | octet;
    }
    if (i != n)
        return -1;
    out->s_addr = htonl(v);
    return 0;
}

int v6pi_parse_ip4_mapped(const char *p, size_t n, struct in6_addr *out)
{
    struct in_addr a;
    if (v6pi_parse_ip4(p, n, &a) != 0)
        return -1;
    memset(out, 0, sizeof(*out));
    out->s6_addr[10] = 0xff;
    out->s6_addr[11] = 0xff;
    memcpy(&out->s6_addr[12], &a, 4);
    return 0;
}

/* Hex digit values, -1 for anything else: one load per character instead
 * of range tests, on the path every address of every line takes. */
const int8_t v6pi_hex_value[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  -1, -1, -1, -1, -1, -1, -1, 10, 11, 12, 13, 14, 15, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* The kernel always prints 8 groups of 4 hex digits (39 chars): take that
 * shape without the general machinery, since it is nearly every line.  The
 * digits of a group are combined before one test for a bad digit. */
int v6pi_parse_ip6_full_bytes(const char *p, struct in6_addr *out)
{
    const unsigned char *q = (const unsigned char *)p;
    int bad = 0;
    for (int g = 0; g < 8; g++, q += 5) {
        int a = v6pi_hex_value[q[0]], b = v6pi_hex_value[q[1]], c = v6pi_hex_value[q[2]],
            d = v6pi_hex_value[q[3]];
        bad |= a | b | c | d;
        /* Shifted as unsigned: a bad digit (-1) is caught below, but must
         * not be undefined behaviour on the way there. */
        out->s6_addr[2 * g] = (uint8_t)((unsigned)a << 4 | (unsigned)b);
        out->s6_addr[2 * g + 1] = (uint8_t)((unsigned)c << 4 | (unsigned)d);
    }
    if (bad < 0)
        return -1;
    for (int g = 0; g < 7; g++)
        if (p[g * 5 + 4] != ':')
            return -1;
    return 0;
}

#if defined(__SSE2__) && !defined(V6PI_NO_SIMD)
#include <emmintrin.h>

/* The nibble values of sixteen bytes, and in *hex the mask of the bytes
 * that are hex digits: d = c - '0' and a = (c | 0x20) - 'a' as unsigned
 * bytes; a digit has d <= 9, a letter a <= 5, and min(d, a + 10) is the
 * value of either. */
static inline __m128i hex_nibbles(__m128i c, unsigned *hex)
{
    __m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
    __m128i a = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i zero = _mm_setzero_si128();
    __m128i is_digit = _mm_cmpeq_epi8(_mm_subs_epu8(d, _mm_set1_epi8(9)), zero);
    __m128i is_alpha = _mm_cmpeq_epi8(_mm_subs_epu8(a, _mm_set1_epi8(5)), zero);
    *hex = (unsigned)_mm_movemask_epi8(_mm_or_si128(is_digit, is_alpha));
    return _mm_min_epu8(d, _mm_add_epi8(a, _mm_set1_epi8(10)));
}

/* Three groups laid out as `gggg:gggg:gggg` from byte 0 become their six
 * bytes in the low bytes of each 16-bit lane 0..5: each byte paired with
 * the next as c << 4 | next, then the pairs at 0, 2 (first group), 5, 7
 * (second) and 10, 12 (third) moved to the even places 0..10. */
static inline __m128i pack_groups(__m128i nib)
{
    __m128i pair = _mm_or_si128(_mm_slli_epi16(nib, 4), _mm_srli_si128(nib, 1));
    __m128i g0 = _mm_and_si128(pair, _mm_set_epi32(0, 0, 0, 0x00ff00ff));
    __m128i g1 = _mm_and_si128(_mm_srli_si128(pair, 1), _mm_set_epi32(0, 0, 0x00ff00ff, 0));
    __m128i g2 = _mm_and_si128(_mm_srli_si128(pair, 2), _mm_set_epi32(0, 0x00ff00ff, 0, 0));
    return _mm_or_si128(_mm_or_si128(g0, g1), g2);
}

/* The same with SSE2 (part of every x86-64): the 39 bytes as three loads
 * of the same layout (groups 0-2 at p, 3-5 at p + 15, 6-7 at p + 30 by
 * loading p + 23 and dropping seven bytes), every byte checked at once
 * against where the colons must be, and the digits combined in the
 * registers.  No byte past p + 39 is read. */
static int parse_full_simd(const char *p, struct in6_addr *out)
{
    __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 15));
    __m128i v2 = _mm_srli_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 23)), 7);
    const __m128i colon = _mm_set1_epi8(':');
    unsigned h0, h1, h2;
    __m128i n0 = hex_nibbles(v0, &h0), n1 = hex_nibbles(v1, &h1), n2 = hex_nibbles(v2, &h2);
    unsigned c0 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v0, colon));
    unsigned c1 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v1, colon));
    unsigned c2 = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v2, colon));
    /* Digits at 0-3, 5-8, 10-13, colons at 4, 9, 14 (the last load: two
     * groups and one colon). */
    if (((h0 & h1) & 0x3def) != 0x3def || (h2 & 0x1ef) != 0x1ef || ((c0 & c1) & 0x4210) != 0x4210 ||
        !(c2 & 0x10))
        return -1;
    __m128i r01 = _mm_packus_epi16(pack_groups(n0), pack_groups(n1));
    __m128i r2 = _mm_packus_epi16(pack_groups(n2), _mm_setzero_si128());
    /* Bytes 0-5 of r01 are the address's 0-5, bytes 8-13 its 6-11, r2's
     * 0-3 its 12-15: stored overlapping, in that order. */
    unsigned char *o = out->s6_addr;
    _mm_storel_epi64((__m128i *)(void *)o, r01);
    _mm_storel_epi64((__m128i *)(void *)(o + 6), _mm_srli_si128(r01, 8));
    uint32_t last = (uint32_t)_mm_cvtsi128_si32(r2);
    memcpy(o + 12, &last, 4);
    return 0;
}
#define PARSE_FULL parse_full_simd
#else
#define PARSE_FULL v6pi_parse_ip6_full_bytes
#endif

int v6pi_parse_ip6_full(const char *p, struct in6_addr *out)
{
    return PARSE_FULL(p, out);
}

int v6pi_parse_ip6(const char *p, size_t n, struct in6_addr *out)
{
    if (n == 39 && PARSE_FULL(p, out) == 0)
        return 0;
    if (n < 2 || n > 45)
        return -1;

    uint16_t words[8];
    int nwords = 0, gap = -1;
    size_t i = 0;
    if (p[0] == ':') {
        if (p[1] != ':')
            return -1;
        gap = 0;
        i = 2;
        if (i == n)
            goto done;
    }
    const unsigned char *q = (const unsigned char *)p;
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        /* Digits by table: one load and one well-predicted test per digit
         * (compressed addresses are the common case in pf logs). */
        size_t stop = n - i < 5 ? n : i + 5;
        int d;
        while (i < stop && (d = v6pi_hex_value[q[i]]) >= 0) {
            v = v << 4 | (unsigned)d;
            i++;
        }
        if (i < n && p[i] == '.') {
            /* A dotted-quad tail takes the last two words. */
            struct in_addr a;
            if (nwords > 6 || v6pi_parse_ip4(p + start, n - start, &a) != 0)
                return -1;
            uint32_t h = ntohl(a.s_addr);
            words[nwords++] = (uint16_t)(h >> 16);
            words[nwords++] = (uint16_t)h;
            break; /* the tail ends the address */
        }
        if (i == start || i - start > 4 || nwords == 8)
            return -1;
        words[nwords++] = (uint16_t)v;
        if (i == n)
            break;
        if (p[i] != ':')
            return -1;
        i++;
        if (i < n && p[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = nwords;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return -1; /* a trailing single colon */
        }
    }
done:
    if (gap < 0 ? nwords != 8 : nwords > 7)
        return -1;
    memset(out, 0, sizeof(*out));
    int tail = gap < 0 ? 0 : nwords - gap;
    int head = gap < 0 ? nwords : gap;
    for (int k = 0; k < head; k++) {
        out->s6_addr[2 * k] = (uint8_t)(words[k] >> 8);
        out->s6_addr[2 * k + 1] = (uint8_t)words[k];
    }
    for (int k = 0; k < tail; k++) {
        int pos = 8 - tail + k;
        out->s6_addr[2 * pos] = (uint8_t)(words[head + k] >> 8);
        out->s6_addr[2 * pos + 1] = (uint8_t)words[head + k];
    }
    return 0;
}

int v6pi_parse_mac(const char *p, size_t n, uint8_t mac[6])
{
    if (n != 17)
        return -1;
    for (int k = 0; k < 6; k++) {
        const char *q = p + 3 * k;
        if (k < 5 && q[2] != ':')
            return -1;
        int a = v6pi_hex_value[(unsigned char)q[0]], b = v6pi_hex_value[(unsigned char)q[1]];
        if ((a | b) < 0)
            return -1;
        mac[k] = (uint8_t)(a << 4 | b);
    }
    return 0;
}

static char *put_u8dec(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

/* The 32 hex digits of 16 bytes, in order, lowercase.  Without SSE2, four
 * digits per step in a 32-bit word: each nibble spread to its byte, then
 * '0' added and, for a nibble above 9, the 39 that reaches 'a' (x + 6 has
 * bit 4 set exactly then), with no table and no branch. */
void v6pi_hex32_swar(const uint8_t b[16], char out[32])
{
    for (int k = 0; k < 8; k++) {
        uint32_t v = (uint32_t)b[2 * k] << 8 | b[2 * k + 1];
        uint32_t x = (v >> 12) | (v >> 8 & 0xf) << 8 | (v >> 4 & 0xf) << 16 | (v & 0xf) << 24;
        uint32_t above9 = (x + 0x06060606u) >> 4 & 0x01010101u;
        x += 0x30303030u + above9 * 39;
        for (int i = 0; i < 4; i++)
            out[4 * k + i] = (char)(x >> 8 * i);
    }
}

static inline void hex32(const uint8_t b[16], char out[32])
{
#if defined(__SSE2__) && !defined(V6PI_NO_SIMD)
    /* All 32 digits at once: high and low nibbles interleaved in byte
     * order, then the same '0' / 'a' - 10 offset chosen by a compare. */
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
    __m128i mask = _mm_set1_epi8(0x0f);
    __m128i lo = _mm_and_si128(x, mask), hi = _mm_and_si128(_mm_srli_epi16(x, 4), mask);
    __m128i d0 = _mm_unpacklo_epi8(hi, lo), d1 = _mm_unpackhi_epi8(hi, lo);
    __m128i nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8(39);
    d0 = _mm_add_epi8(_mm_add_epi8(d0, zero), _mm_and_si128(_mm_cmpgt_epi8(d0, nine), gap));
    d1 = _mm_add_epi8(_mm_add_epi8(d1, zero), _mm_and_si128(_mm_cmpgt_epi8(d1, nine), gap));
    _mm_storeu_si128((__m128i *)(void *)out, d0);
    _mm_storeu_si128((__m128i *)(void *)(out + 16), d1);
#else
    v6pi_hex32_swar(b, out);
#endif
}

/* Bit k set when word k of the address is zero. */
static inline unsigned zero_word_mask(const uint8_t b[16])
{
#if defined(__SSE2__) && !defined(V6PI_NO_SIMD)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)b);
    __m128i z = _mm_cmpeq_epi16(x, _mm_setzero_si128());
    return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(z, _mm_setzero_si128()));
#else
    unsigned m = 0;
    for (int k = 0; k < 8; k++)
        m |= (unsigned)((b[2 * k] | b[2 * k + 1]) == 0) << k;
    return m;
#endif
}

/* RFC 5952: lowercase, no leading zeros, the longest run of two or more zero
 * words (the first if tied) becomes "::", and IPv4-mapped addresses keep
 * their dotted quad. */
/* For each mask of zero words (bit k = word k is zero): the first longest
 * run of at least two, as start << 4 | length, or 0xff when there is none.
 * Generated by enumerating the 256 masks with the rule of RFC 5952 4.2. */
static const uint8_t zero_run[256] = {
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0xff, 0xff, 0xff, 0x02, 0x22, 0x22, 0x13, 0x04,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0x32, 0x32, 0x32, 0x02, 0x23, 0x23, 0x14, 0x05,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0xff, 0xff, 0xff, 0x02, 0x22, 0x22, 0x13, 0x04,
    0x42, 0x42, 0x42, 0x02, 0x42, 0x42, 0x12, 0x03, 0x33, 0x33, 0x33, 0x33, 0x24, 0x24, 0x15, 0x06,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0xff, 0xff, 0xff, 0x02, 0x22, 0x22, 0x13, 0x04,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0x32, 0x32, 0x32, 0x02, 0x23, 0x23, 0x14, 0x05,
    0x52, 0x52, 0x52, 0x02, 0x52, 0x52, 0x12, 0x03, 0x52, 0x52, 0x52, 0x02, 0x22, 0x22, 0x13, 0x04,
    0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x03, 0x34, 0x34, 0x34, 0x34, 0x25, 0x25, 0x16, 0x07,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0xff, 0xff, 0xff, 0x02, 0x22, 0x22, 0x13, 0x04,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0x32, 0x32, 0x32, 0x02, 0x23, 0x23, 0x14, 0x05,
    0xff, 0xff, 0xff, 0x02, 0xff, 0xff, 0x12, 0x03, 0xff, 0xff, 0xff, 0x02, 0x22, 0x22, 0x13, 0x04,
    0x42, 0x42, 0x42, 0x02, 0x42, 0x42, 0x12, 0x03, 0x33, 0x33, 0x33, 0x33, 0x24, 0x24, 0x15, 0x06,
    0x62, 0x62, 0x62, 0x02, 0x62, 0x62, 0x12, 0x03, 0x62, 0x62, 0x62, 0x02, 0x22, 0x22, 0x13, 0x04,
    0x62, 0x62, 0x62, 0x02, 0x62, 0x62, 0x12, 0x03, 0x32, 0x32, 0x32, 0x02, 0x23, 0x23, 0x14, 0x05,
    0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x03, 0x53, 0x53, 0x53, 0x53, 0x53, 0x53, 0x13, 0x04,
    0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x35, 0x35, 0x35, 0x35, 0x26, 0x26, 0x17, 0x08,
};

/* Bit i set when hex digit i is '0'. */
static inline uint32_t zero_digit_mask(const char hex[32])
{
#if defined(__SSE2__) && !defined(V6PI_NO_SIMD)
    __m128i zero = _mm_set1_epi8('0');
    __m128i d0 = _mm_loadu_si128((const __m128i *)(const void *)hex);
    __m128i d1 = _mm_loadu_si128((const __m128i *)(const void *)(hex + 16));
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d0, zero)) |
           (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d1, zero)) << 16;
#else
    uint32_t m = 0;
    for (int i = 0; i < 32; i++)
        m |= (uint32_t)(hex[i] == '0') << i;
    return m;
#endif
}

/* Leading zeros to leave out of a group, by its four bits of the zero
 * digit mask (first digit lowest); a zero group keeps one digit. */
static const uint8_t group_skip[16] = {0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0, 3};

/* Group k without its leading zeros, then a colon: four bytes copied from
 * past the leading zeros and the colon stored after the digits, with no
 * loop over a digit count that varies line to line (it mispredicts).  The
 * bytes stored beyond the colon are overwritten next or lie past the end,
 * within the INET6_ADDRSTRLEN bytes of the buffer (the last group starts
 * at most 35 bytes in); hex has 4 bytes of room after its 32 digits. */
static inline char *put_group(char *o, const char *hex, uint32_t zeros, int k)
{
    unsigned skip = group_skip[zeros >> 4 * k & 15];
    memcpy(o, hex + 4 * k + skip, 4);
    o[4 - skip] = ':';
    return o + 5 - skip;
}

size_t v6p_addr_format(const struct in6_addr *ip, int v4, char *buf)
{
    const uint8_t *b = ip->s6_addr;
    char *o = buf;
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int is_mapped = memcmp(b, mapped_prefix, 12) == 0;
    if (v4 && is_mapped) {
        for (int k = 12; k < 16; k++) {
            o = put_u8dec(o, b[k]);
            if (k < 15)
                *o++ = '.';
        }
        *o = '\0';
        return (size_t)(o - buf);
    }
    /* The run that becomes "::" (RFC 5952 4.2: the longest run of two or
     * more zero words, the first if tied), looked up by the mask of zero
     * words instead of found by a branchy walk. */
    unsigned run = zero_run[zero_word_mask(b)];
    int words = is_mapped ? 6 : 8;
    int head = run == 0xff ? words : (int)(run >> 4);
    int tail = run == 0xff ? words : head + (int)(run & 0xf);
    char hex[36];
    hex32(b, hex);
    memset(hex + 32, 0, 4); /* read, never kept, by the last group */
    uint32_t zeros = zero_digit_mask(hex);
    /* Every group is written as its digits and a colon; the colon after
     * the last is taken back at the end.  Groups before the run, "::" in
     * its place (the colon of the group before it is the first of the
     * two), then the groups after it. */
    if (head == 8) {
        /* No run and no dotted quad, the shape of nearly every address a
         * scan or a flood brings: eight groups, straight. */
        for (int k = 0; k < 8; k++)
            o = put_group(o, hex, zeros, k);
        o[-1] = '\0';
        return (size_t)(o - 1 - buf);
    }
    for (int k = 0; k < words; k++) {
        if (k == head) {
            if (k == 0)
                *o++ = ':';
            *o++ = ':';
            k = tail - 1;
            continue;
        }
        o = put_group(o, hex, zeros, k);
    }
    if (is_mapped) {
        /* "ffff:" ends the groups: the dotted quad follows the colon. */
        for (int k = 12; k < 16; k++) {
            o = put_u8dec(o, b[k]);
            if (k < 15)
                *o++ = '.';
        }
    } else if (tail < words || head == words) {
        o--; /* the colon after the last group */
    }
    *o = '\0';
    return (size_t)(o - buf);
}
