/* RFC 5952 output and address text input. */
#include <arpa/inet.h>

#include "testutil.h"

static void rfc5952_examples(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* first of two equal runs */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* a single zero word stays */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* the longest run wins */
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"FE80::0230:18FF:FEA3:4874", "fe80::230:18ff:fea3:4874"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
        {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
        {"ff02:0000:0000:0000:0000:0001:ff00:0001", "ff02::1:ff00:1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct in6_addr a;
        char out[INET6_ADDRSTRLEN];
        assert_int_equal(inet_pton(AF_INET6, cases[i][0], &a), 1);
        v6p_addr_format(&a, 0, out);
        assert_string_equal(out, cases[i][1]);
    }
}

static void matches_inet_ntop_on_random_addresses(void **state)
{
    (void)state;
    /* glibc's inet_ntop follows RFC 5952 for non-mapped addresses; compare
     * on addresses with many zero words, where the rules matter. */
    uint32_t seed = 12345;
    for (int n = 0; n < 200000; n++) {
        struct in6_addr a;
        for (int w = 0; w < 8; w++) {
            seed = seed * 1103515245u + 12345u;
            uint16_t v = (seed >> 16) % 4 ? 0 : (uint16_t)(seed >> 8);
            a.s6_addr[2 * w] = (uint8_t)(v >> 8);
            a.s6_addr[2 * w + 1] = (uint8_t)v;
        }
        if (a.s6_addr[10] == 0xff && a.s6_addr[11] == 0xff)
            continue;
        char ours[INET6_ADDRSTRLEN], theirs[INET6_ADDRSTRLEN];
        v6p_addr_format(&a, 0, ours);
        inet_ntop(AF_INET6, &a, theirs, sizeof(theirs));
        /* glibc writes ::a.b.c.d for some compatible forms; skip those */
        if (strchr(theirs, '.'))
            continue;
        assert_string_equal(ours, theirs);
    }
}

static void parse_agrees_with_inet_pton(void **state)
{
    (void)state;
    const char *texts[] = {"::", "::1", "1::", "2001:db8::1", "2001:DB8:0:0:1::1",
                           "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "fe80::1:2",
                           "1::2:3:4:5:6:7", "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
                           /* invalid */
                           ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9",
                           "1:2:3:4:5:6:7", "g::1", "1:", ":1", "1::2:", "::1.2.3", "::1.2.3.256",
                           "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4", ""};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct in6_addr want, got;
        int ok_want = inet_pton(AF_INET6, texts[i], &want) == 1;
        /* Through the parser: a line whose SRC is the text. */
        char line[512];
        snprintf(line, sizeof(line),
                 "x IN=eth0 OUT= SRC=%s DST=2001:db8::2 LEN=1 TC=0 HOPLIMIT=1 FLOWLBL=0 "
                 "PROTO=UDP SPT=1 DPT=2 LEN=3",
                 texts[i]);
        v6p_parser *p = test_parser();
        v6p_event ev;
        v6p_result r;
        v6p_status st = parse_str(p, line, &ev, &r);
        v6p_parser_free(p);
        if (ok_want != (st == V6P_OK))
            fail_msg("'%s': inet_pton %s, parser %s", texts[i], ok_want ? "accepts" : "refuses",
                     v6p_status_name(st));
        if (ok_want) {
            got = ev.src;
            assert_memory_equal(&want, &got, 16);
        }
    }
}

/* RFC 5952 the plain way, word by word, as the reference for the SIMD
 * formatter: the first longest run of two or more zero words becomes
 * "::"; an IPv4-mapped address keeps its dotted quad (alone when v4). */
static void plain_format(const uint8_t *b, int v4, char *out)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int is_mapped = memcmp(b, mapped, 12) == 0;
    if (v4 && is_mapped) {
        sprintf(out, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
        return;
    }
    unsigned w[8];
    for (int k = 0; k < 8; k++)
        w[k] = (unsigned)b[2 * k] << 8 | b[2 * k + 1];
    int best = -1, best_len = 0;
    for (int k = 0; k < 8;) {
        int e = k;
        while (e < 8 && w[e] == 0)
            e++;
        if (e - k >= 2 && e - k > best_len)
            best = k, best_len = e - k;
        k = e > k ? e : k + 1;
    }
    int words = is_mapped ? 6 : 8;
    char *o = out;
    for (int k = 0; k < words; k++) {
        if (k == best) {
            o += sprintf(o, k == 0 ? "::" : ":");
            k += best_len - 1;
            continue;
        }
        o += sprintf(o, "%x%s", w[k], k < words - 1 ? ":" : "");
    }
    if (is_mapped)
        sprintf(o, "%s%u.%u.%u.%u", o[-1] == ':' ? "" : ":", b[12], b[13], b[14], b[15]);
    else
        *o = '\0';
}

static uint32_t lcg(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* Every mask of zero words (each shape of "::"), each with words of every
 * digit count, IPv4-mapped ones among them, against the plain formatter. */
static void matches_plain_formatter_every_zero_shape(void **state)
{
    (void)state;
    uint32_t seed = 99;
    for (unsigned mask = 0; mask < 256; mask++)
        for (int n = 0; n < 400; n++) {
            uint8_t b[16];
            for (int k = 0; k < 8; k++) {
                unsigned digits = lcg(&seed) % 4 + 1;
                unsigned v = lcg(&seed) & ((1u << 4 * digits) - 1);
                if (!v)
                    v = 1u << (4 * digits - 1 - lcg(&seed) % 4);
                if (mask >> k & 1)
                    v = 0;
                b[2 * k] = (uint8_t)(v >> 8);
                b[2 * k + 1] = (uint8_t)v;
            }
            if (n % 50 == 0) { /* IPv4-mapped */
                memset(b, 0, 10);
                b[10] = b[11] = 0xff;
            }
            struct in6_addr a;
            memcpy(a.s6_addr, b, 16);
            for (int v4 = 0; v4 < 2; v4++) {
                char want[64], got[INET6_ADDRSTRLEN];
                plain_format(b, v4, want);
                size_t len = v6p_addr_format(&a, v4, got);
                assert_string_equal(got, want);
                assert_int_equal(len, strlen(want));
            }
        }
}

void v6pi_hex32_swar(const uint8_t b[16], char out[32]);

/* The portable hex digits (the path without SSE2) against printf. */
static void swar_hex_digits(void **state)
{
    (void)state;
    uint32_t seed = 7;
    for (int n = 0; n < 100000; n++) {
        uint8_t b[16];
        for (int i = 0; i < 16; i++)
            b[i] = (uint8_t)lcg(&seed);
        if (n < 256)
            memset(b, n, 16);
        char got[32], want[33];
        v6pi_hex32_swar(b, got);
        for (int i = 0; i < 16; i++)
            sprintf(want + 2 * i, "%02x", b[i]);
        assert_memory_equal(got, want, 32);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc5952_examples),
        cmocka_unit_test(matches_inet_ntop_on_random_addresses),
        cmocka_unit_test(matches_plain_formatter_every_zero_shape),
        cmocka_unit_test(swar_hex_digits),
        cmocka_unit_test(parse_agrees_with_inet_pton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
