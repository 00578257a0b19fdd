/* addr-analyze: read IPv6 addresses, one a line, and print what libipv6probe
 * finds in each.
 *
 *   $ echo 2001:db8::211:22ff:fe33:4455 | addr-analyze
 *   2001:db8::211:22ff:fe33:4455 block=documentation scope=global iid=eui64
 *     randomness=0.0000 mac=00:11:22:33:44:55 oui=00:11:22
 *
 * (one line per address).  Lines that are not addresses are reported on
 * stderr and skipped; the exit status is 1 if there was any. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <ipv6probe/addr.h>

static const char *v4_origin_name(v6p_ipv4_origin o)
{
    static const char *const names[] = {"",       "mapped", "compatible", "nat64", "6to4",
                                        "teredo", "isatap", "iid32",      "iid64"};
    return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

static const char *teredo_kind_name(v6p_teredo_kind k)
{
    static const char *const names[] = {"", "rfc4380", "rfc5991", "unknown"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static void print_info(const char *text, const v6p_addr_info *in)
{
    char v4[INET_ADDRSTRLEN];
    const char *scope = v6p_scope_name(in->scope);
    printf("%s block=%s", text, v6p_block_name(in->block));
    if (scope)
        printf(" scope=%s", scope);
    if (in->block == V6P_BLOCK_MULTICAST)
        printf(" mcast_flags=%u", in->mcast_flags);
    if (in->iid != V6P_IID_NONE)
        printf(" iid=%s randomness=%.6f", v6p_iid_kind_name(in->iid), in->randomness);
    if (in->ipv4_origin != V6P_V4_NONE) {
        inet_ntop(AF_INET, &in->ipv4, v4, sizeof(v4));
        printf(" ipv4=%s ipv4_from=%s", v4, v4_origin_name(in->ipv4_origin));
    }
    if (in->iid == V6P_IID_EUI64 || in->iid == V6P_IID_EUI64_LOCAL) {
        const uint8_t *m = in->mac;
        printf(" mac=%02x:%02x:%02x:%02x:%02x:%02x oui=%02x:%02x:%02x", m[0], m[1], m[2], m[3],
               m[4], m[5], m[0], m[1], m[2]);
    }
    if (in->block == V6P_BLOCK_TEREDO) {
        inet_ntop(AF_INET, &in->teredo_server, v4, sizeof(v4));
        printf(" teredo_server=%s teredo_port=%u teredo_flags=0x%04x teredo_format=%s", v4,
               in->teredo_port, in->teredo_flags, teredo_kind_name(in->teredo_kind));
    }
    if (in->iid == V6P_IID_PORT_EMBEDDED)
        printf(" port=%u%s", in->port, in->port_reversed ? " port_reversed=1" : "");
    putchar('\n');
}

/* Strip white space and an optional /prefix-length. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strcspn(s, " \t\r\n/");
    s[n] = '\0';
    return s;
}

int main(void)
{
    char line[512];
    int bad = 0;
    while (fgets(line, sizeof(line), stdin)) {
        char *text = trim(line);
        struct in6_addr a;
        v6p_addr_info info;
        if (*text == '\0' || *text == '#')
            continue;
        if (inet_pton(AF_INET6, text, &a) != 1) {
            fprintf(stderr, "addr-analyze: not an IPv6 address: %s\n", text);
            bad = 1;
            continue;
        }
        v6p_addr_analyze(&a, &info);
        print_info(text, &info);
    }
    return bad;
}
