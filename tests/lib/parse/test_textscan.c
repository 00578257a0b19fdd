/* The word-at-a-time readers (textscan.h) and the SSE2 reader of the
 * kernel's 39-byte IPv6 form against their byte-by-byte references, on the
 * same inputs: every placement in memory, every byte of a valid field
 * replaced by every value, lengths around the 8- and 16-byte loads.  Built
 * twice (meson.build): as is, and with V6PI_NO_SWAR, the loads of machines
 * that are not little-endian. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "textaddr.h"
#include "textscan.h"

/* References: the definitions, byte by byte. */
static int ref_clock(const char *p, unsigned *h, unsigned *mi, unsigned *s)
{
    unsigned v[3];
    for (int k = 0; k < 3; k++) {
        const char *q = p + 3 * k;
        if (q[0] < '0' || q[0] > '9' || q[1] < '0' || q[1] > '9')
            return -1;
        if (k < 2 && q[2] != ':')
            return -1;
        v[k] = (unsigned)(q[0] - '0') * 10 + (unsigned)(q[1] - '0');
    }
    *h = v[0];
    *mi = v[1];
    *s = v[2];
    return 0;
}

/* `[` then spaces, one to five digits filling five places, '.', six
 * digits, `]`. */
static int ref_uptime(const char *p, uint64_t *usec)
{
    if (p[0] != '[' || p[6] != '.' || p[13] != ']')
        return -1;
    int k = 1;
    while (k < 6 && p[k] == ' ')
        k++;
    if (k == 6)
        return -1;
    uint64_t s = 0, f = 0;
    for (; k < 6; k++) {
        if (p[k] < '0' || p[k] > '9')
            return -1;
        s = s * 10 + (uint64_t)(p[k] - '0');
    }
    for (k = 7; k < 13; k++) {
        if (p[k] < '0' || p[k] > '9')
            return -1;
        f = f * 10 + (uint64_t)(p[k] - '0');
    }
    *usec = s * 1000000 + f;
    return 0;
}

static void clock_words(void **state)
{
    (void)state;
    char buf[32];
    unsigned h, mi, s, rh, rmi, rs;
    const char *good[] = {"00:00:00", "23:59:60", "99:99:99", "16:59:01", "01:02:03"};
    for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
        for (int pos = 0; pos < 8; pos++) {
            for (int c = 0; c < 256; c++) {
                for (int off = 0; off < 16; off += 5) {
                    memset(buf, 'x', sizeof(buf));
                    memcpy(buf + off, good[g], 8);
                    buf[off + pos] = (char)c;
                    int a = v6pi_swar_clock(v6pi_load_le64(buf + off), &h, &mi, &s);
                    int b = ref_clock(buf + off, &rh, &rmi, &rs);
                    assert_int_equal(a, b);
                    if (a == 0) {
                        assert_int_equal(h, rh);
                        assert_int_equal(mi, rmi);
                        assert_int_equal(s, rs);
                    }
                }
            }
        }
    }
}

static void uptime_words(void **state)
{
    (void)state;
    const char *good[] = {"[ 5989.896614]", "[    0.000000]", "[99999.999999]",
                          "[  135.845075]", "[   12.000001]", "[    7.123456]"};
    char buf[48];
    for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
        for (int pos = 0; pos < 14; pos++) {
            for (int c = 0; c < 256; c++) {
                for (int off = 0; off < 17; off += 3) {
                    memset(buf, '7', sizeof(buf));
                    memcpy(buf + off, good[g], 14);
                    buf[off + pos] = (char)c;
                    uint64_t a = 0, b = 0;
                    int ra = buf[off] == '[' ? v6pi_swar_uptime(buf + off, &a) : -1;
                    int rb = ref_uptime(buf + off, &b);
                    assert_int_equal(ra, rb);
                    if (ra == 0)
                        assert_int_equal(a, b);
                }
            }
        }
    }
    /* Two bytes changed at once: spaces among the digits. */
    char t[15];
    for (int i = 1; i < 6; i++)
        for (int j = 1; j < 6; j++) {
            memcpy(t, "[12345.678901]", 15);
            t[i] = ' ';
            t[j] = ' ';
            uint64_t a = 0, b = 0;
            int ra = v6pi_swar_uptime(t, &a), rb = ref_uptime(t, &b);
            assert_int_equal(ra, rb);
            if (ra == 0)
                assert_int_equal(a, b);
        }
}

static void digits_words(void **state)
{
    (void)state;
    char buf[9];
    for (int k = 0; k < 100000; k++) {
        uint64_t v = (uint64_t)rand() % 100000000ull;
        snprintf(buf, sizeof(buf), "%08llu", (unsigned long long)v);
        uint64_t x = v6pi_load_le64(buf);
        assert_true(v6pi_swar_all_digits(x));
        assert_int_equal(v6pi_swar_value8(x), v);
        buf[rand() % 8] = (char)(rand() % 256);
        int all = 1;
        for (int i = 0; i < 8; i++)
            all &= buf[i] >= '0' && buf[i] <= '9';
        assert_int_equal(v6pi_swar_all_digits(v6pi_load_le64(buf)), all);
    }
}

static void same_ip6(const char *p)
{
    struct in6_addr a, b;
    memset(&a, 0xaa, sizeof(a));
    memset(&b, 0xaa, sizeof(b));
    int ra = v6pi_parse_ip6_full(p, &a), rb = v6pi_parse_ip6_full_bytes(p, &b);
    assert_int_equal(ra, rb);
    if (ra == 0)
        assert_memory_equal(&a, &b, sizeof(a));
}

static void ip6_full_form(void **state)
{
    (void)state;
    const char *good[] = {
        "2001:0db8:0001:0000:0000:0000:0000:0001", "ffff:FFFF:abcd:ABCD:0123:4567:89ab:cdef",
        "0000:0000:0000:0000:0000:0000:0000:0000", "2a06:4880:0000:0000:e396:dfa1:3436:a754"};
    /* Every placement: the 39 bytes at each offset of a buffer that ends
     * right after them, so that a read past the field would be seen by
     * ASan. */
    for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
        for (size_t off = 0; off < 32; off++) {
            char *buf = malloc(off + 39);
            memset(buf, '0', off);
            memcpy(buf + off, good[g], 39);
            same_ip6(buf + off);
            struct in6_addr a;
            assert_int_equal(v6pi_parse_ip6_full(buf + off, &a), 0);
            for (int pos = 0; pos < 39; pos++) {
                char keep = buf[off + pos];
                for (int c = 0; c < 256; c++) {
                    buf[off + pos] = (char)c;
                    same_ip6(buf + off);
                }
                buf[off + pos] = keep;
            }
            free(buf);
        }
    }
    /* Random hex and colons everywhere. */
    const char alphabet[] = "0123456789abcdefABCDEFgG:: x";
    char r[39];
    for (int k = 0; k < 200000; k++) {
        for (int i = 0; i < 39; i++)
            r[i] = (i % 5 == 4 && rand() % 8) ? ':' : alphabet[rand() % (sizeof(alphabet) - 1)];
        same_ip6(r);
    }
}

int main(void)
{
    srand(7);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clock_words),
        cmocka_unit_test(uptime_words),
        cmocka_unit_test(digits_words),
        cmocka_unit_test(ip6_full_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
