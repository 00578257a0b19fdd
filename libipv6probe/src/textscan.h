/* Fixed-width fields read eight bytes at a time as one integer (SWAR), for
 * the per-line paths of the syslog framing: the clock and the kernel's
 * uptime stamp.  The arithmetic is the same on any machine; only the load
 * differs (one unaligned load on little-endian machines, bytes assembled
 * elsewhere or with V6PI_NO_SWAR).  Whoever calls them keeps a byte-by-byte
 * reader for what they refuse, and the tests hold the two to the same
 * answers. */
#ifndef V6PI_TEXTSCAN_H
#define V6PI_TEXTSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(V6PI_NO_SWAR)
#define V6PI_SWAR 1
#else
#define V6PI_SWAR 0
#endif

#define V6PI_ONES 0x0101010101010101ull

/* Eight bytes at p as an integer, the first byte lowest. */
static inline uint64_t v6pi_load_le64(const char *p)
{
    uint64_t x;
#if V6PI_SWAR
    memcpy(&x, p, 8);
#else
    x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | (unsigned char)p[i];
#endif
    return x;
}

/* All eight bytes of x are ASCII digits. */
static inline int v6pi_swar_all_digits(uint64_t x)
{
    /* A digit is 0x30..0x39: high nibble 3, and adding 6 keeps it 3 (a
     * carry out of a byte comes only from a byte that fails already). */
    return ((x & 0xf0f0f0f0f0f0f0f0ull) |
            (((x + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4)) == 0x3333333333333333ull;
}

/* The value of eight ASCII digits (checked), the first byte the most
 * significant: pairs, then quads, then the whole, by multiplies. */
static inline uint64_t v6pi_swar_value8(uint64_t x)
{
    x -= 0x3030303030303030ull;
    x = x * 10 + (x >> 8);
    x = (((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
        32;
    return x;
}

/* Per byte of x: 0x80 where the byte equals c, else 0 (exact for every
 * byte, unlike the quick has-zero test). */
static inline uint64_t v6pi_swar_eq(uint64_t x, unsigned char c)
{
    uint64_t z = x ^ (V6PI_ONES * c);
    return ~(((z & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full) | z | 0x7f7f7f7f7f7f7f7full);
}

/* `hh:mm:ss` as the eight bytes of x (first byte lowest): 0 and the three
 * numbers, or -1 when x is not two digits, ':', two digits, ':', two
 * digits.  Ranges are the caller's. */
static inline int v6pi_swar_clock(uint64_t x, unsigned *h, unsigned *mi, unsigned *s)
{
    const uint64_t colons = 0x00003a00003a0000ull, places = 0x0000ff0000ff0000ull;
    if ((x & places) != colons)
        return -1;
    x = (x & ~places) | 0x0000300000300000ull; /* the colons read as '0' */
    if (!v6pi_swar_all_digits(x))
        return -1;
    x -= 0x3030303030303030ull;
    x = x * 10 + (x >> 8); /* byte 0: hours, 3: minutes, 6: seconds */
    *h = (unsigned)(x & 0xff);
    *mi = (unsigned)(x >> 24 & 0xff);
    *s = (unsigned)(x >> 48 & 0xff);
    return 0;
}

/* The kernel's uptime stamp `[%5lu.%06lu]` where the seconds fit the five
 * places: p points at '[' and 14 bytes may be read.  0 and the stamp in
 * microseconds, or -1 when the bytes are not that shape (the caller then
 * reads them one by one: more seconds, fewer fraction digits). */
static inline int v6pi_swar_uptime(const char *p, uint64_t *usec)
{
    if (p[6] != '.' || p[13] != ']')
        return -1;
    /* The seconds' five places (spaces, then at least one digit) behind
     * three '0's. */
    uint64_t x = v6pi_load_le64(p + 1) << 24 | 0x303030ull;
    uint64_t sp = v6pi_swar_eq(x, ' ');
    uint64_t fill = (sp >> 7) * 0xff >> 24; /* 0xff for each space of the five */
    if ((fill & (fill + 1)) != 0 || fill > 0xffffffffull)
        return -1; /* a space after a digit, or no digit */
    x |= sp >> 3;  /* spaces read as '0' */
    uint64_t fr = v6pi_load_le64(p + 5);
    fr = (fr & ~0xffffull) | 0x3030ull; /* the digit and '.' before the fraction */
    if (!v6pi_swar_all_digits(x) || !v6pi_swar_all_digits(fr))
        return -1;
    *usec = v6pi_swar_value8(x) * 1000000 + v6pi_swar_value8(fr);
    return 0;
}

#endif
