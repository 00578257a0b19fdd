/* Cost of address analysis per event (src and dest: block, scope, IID kind,
 * randomness score), and for information of the temporary-address tracker.
 *
 *   bench_addr [-r RUNS] [-n EVENTS] [--check]
 *
 * Events are generated before any clock starts, with addresses of every kind
 * (random, EUI-64, low-byte, embedded IPv4, Teredo, 6to4, link-local,
 * multicast …).  Each run tags every event once on one thread; the median run
 * is reported in thread CPU time.  --check exits 1 when the analysis median
 * is over 100 ns per event. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipv6probe/addr.h"
#include "ipv6probe/pe.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One address of a kind chosen by k. */
static void make_addr(struct in6_addr *a, unsigned k, uint64_t *s)
{
    static const char *const prefixes[] = {
        "2001:db8:1:2::",  "2a00:1450:4001:81c::", "fe80::", "2001::",
        "2002:c000:204::", "fd12:3456:789a:1::",   "ff02::", "3fff:0:0:3::"};
    uint64_t r = rnd(s);
    inet_pton(AF_INET6, prefixes[k % 8], a);
    uint8_t *iid = a->s6_addr + 8;
    switch ((k / 8) % 6) {
    case 0:
    case 1: /* random: the common case on clients */
        for (int i = 0; i < 8; i++)
            iid[i] = (uint8_t)(r >> (8 * i));
        break;
    case 2: /* EUI-64 */
        iid[0] = (uint8_t)r | 2;
        iid[1] = (uint8_t)(r >> 8);
        iid[2] = (uint8_t)(r >> 16);
        iid[3] = 0xff;
        iid[4] = 0xfe;
        iid[5] = (uint8_t)(r >> 24);
        iid[6] = (uint8_t)(r >> 32);
        iid[7] = (uint8_t)(r >> 40);
        break;
    case 3: /* low-byte */
        iid[7] = (uint8_t)r | 1;
        break;
    case 4: /* ::a.b.c.d */
        iid[4] = (uint8_t)r | 1;
        iid[5] = (uint8_t)(r >> 8);
        iid[6] = (uint8_t)(r >> 16);
        iid[7] = (uint8_t)(r >> 24) | 1;
        break;
    default: /* pattern */
        iid[1] = (uint8_t)r;
        iid[6] = (uint8_t)(r >> 8);
        break;
    }
}

int main(int argc, char **argv)
{
    int runs = 7, check = 0;
    size_t n = 1000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else {
            fprintf(stderr, "usage: bench_addr [-r RUNS] [-n EVENTS] [--check]\n");
            return 2;
        }
    }
    if (runs < 1 || n == 0)
        return 2;

    v6p_event *evs = calloc(n, sizeof(*evs));
    double *addr_ns = calloc((size_t)runs, sizeof(double));
    double *pe_ns = calloc((size_t)runs, sizeof(double));
    if (!evs || !addr_ns || !pe_ns) {
        fprintf(stderr, "bench_addr: out of memory\n");
        return 2;
    }
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) {
        v6p_event *ev = &evs[i];
        v6p_event_reset(ev);
        ev->protocol_version = 6;
        ev->time_sec = 1795798800 + (int64_t)(i / 1000);
        ev->direction = (i & 3) ? V6P_DIR_INBOUND : V6P_DIR_OUTBOUND;
        make_addr(&ev->src, (unsigned)rnd(&s), &s);
        make_addr(&ev->dest, (unsigned)rnd(&s), &s);
        v6p_event_mark(ev, V6P_F_TIME);
        v6p_event_mark(ev, V6P_F_SRC);
        v6p_event_mark(ev, V6P_F_DEST);
        v6p_event_mark(ev, V6P_F_DIRECTION);
    }

    unsigned sink = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_now();
        for (size_t i = 0; i < n; i++) {
            v6p_addr_tag(&evs[i]);
            sink += evs[i].dest_iid;
        }
        addr_ns[r] = (cpu_now() - t0) * 1e9 / (double)n;

        v6p_pe_config cfg;
        v6p_pe_config_init(&cfg, sizeof(cfg));
        v6p_pe_tracker *pe = NULL;
        if (!(pe = v6p_pe_new(&cfg, NULL)))
            return 2;
        v6p_pe_add_prefix_str(pe, "2001:db8:1::/48", NULL);
        t0 = cpu_now();
        for (size_t i = 0; i < n; i++) {
            v6p_pe_tag(pe, &evs[i]);
            sink += evs[i].dest_pe;
        }
        pe_ns[r] = (cpu_now() - t0) * 1e9 / (double)n;
        v6p_pe_free(pe);
    }
    qsort(addr_ns, (size_t)runs, sizeof(double), cmp_double);
    qsort(pe_ns, (size_t)runs, sizeof(double), cmp_double);
    double addr_med = addr_ns[runs / 2], pe_med = pe_ns[runs / 2];
    printf("address analysis (v6p_addr_tag, src+dest): %.1f ns/event median of %d runs "
           "(min %.1f, max %.1f), %zu events\n",
           addr_med, runs, addr_ns[0], addr_ns[runs - 1], n);
    printf("temporary-address tracker (v6p_pe_tag, includes analysis): %.1f ns/event median\n",
           pe_med);
    fprintf(stderr, "(%u)\n", sink & 1);
    free(evs);
    free(addr_ns);
    free(pe_ns);
    if (check && addr_med > 100.0) {
        fprintf(stderr, "bench_addr: %.1f ns/event is over the 100 ns budget\n", addr_med);
        return 1;
    }
    return 0;
}
