/* Address text: parsing without copies, RFC 5952 output. */
#include "textaddr.h"

#include <string.h>

#include "ipv6probe/json.h"

static inline int hexdigit(unsigned char c)
{
    if ((unsigned)(c - (unsigned char)'0') < 10u)
        return c - '0';
    c |= 0x20;
    if ((unsigned)(c - (unsigned char)'a') < 6u)
        return c - 'a' + 10;
    return -1;
}

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

static const char hexchars[] = "0123456789abcdef";

static char *put_u8dec(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
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
    uint16_t w[8];
    unsigned zero_words = 0;
    for (int k = 0; k < 8; k++) {
        w[k] = (uint16_t)(b[2 * k] << 8 | b[2 * k + 1]);
        zero_words |= (unsigned)(w[k] == 0) << k;
    }
    /* The run that becomes "::" (RFC 5952 4.2: the longest run of two or
     * more zero words, the first if tied), looked up by the mask of zero
     * words instead of found by a branchy walk. */
    unsigned run = zero_run[zero_words];
    int best = run == 0xff ? -1 : (int)(run >> 4), best_len = (int)(run & 0xf);
    int words = is_mapped ? 6 : 8;
    for (int k = 0; k < words; k++) {
        if (k == best) {
            *o++ = ':';
            if (k == 0)
                *o++ = ':';
            k += best_len - 1;
            continue;
        }
        /* The digits without leading zeros: their count from the highest
         * set bit, then each digit without a test. */
        unsigned v = w[k];
        int nd = (32 - __builtin_clz(v | 1) + 3) / 4;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* All four digits in one word, shifted past the leading zeros and
         * stored at once (the group count varies line to line, and a loop
         * over it mispredicts): the bytes stored beyond the digits are
         * overwritten next or lie past the end, within the 40 bytes the
         * longest address needs. */
        uint32_t four = (uint32_t)(unsigned char)hexchars[v >> 12] |
                        (uint32_t)(unsigned char)hexchars[v >> 8 & 0xf] << 8 |
                        (uint32_t)(unsigned char)hexchars[v >> 4 & 0xf] << 16 |
                        (uint32_t)(unsigned char)hexchars[v & 0xf] << 24;
        four >>= 8 * (4 - nd);
        memcpy(o, &four, 4);
        o += nd;
#else
        for (int s = 4 * (nd - 1); s >= 0; s -= 4)
            *o++ = hexchars[v >> s & 0xf];
#endif
        if (k < words - 1)
            *o++ = ':';
    }
    if (is_mapped) {
        if (o[-1] != ':')
            *o++ = ':';
        for (int k = 12; k < 16; k++) {
            o = put_u8dec(o, b[k]);
            if (k < 15)
                *o++ = '.';
        }
    }
    *o = '\0';
    return (size_t)(o - buf);
}
