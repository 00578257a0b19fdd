/* Cost of the taggers (ladder + scan + classification) per event, and of one
 * prefix lookup with 100,000 prefixes loaded.
 *
 *   bench_taggers [-r RUNS] [-n EVENTS] [-b BATCH] [-t TABLE]... [--check]
 *
 * With -t (the shipped libipv6probe/data/classification.yaml and
 * asn-classification.yaml, say), the lookup and the mixed stream are also
 * timed against those tables, loaded as the forwarder loads them, beside the
 * synthetic 100,000-prefix baseline of the same run: half the queries inside
 * the tables' own prefixes, half anywhere in 2000::/3.
 *
 * Events are generated before any clock starts.  Two streams: "mixed" (a
 * pool of 20,000 sources in 3,000 /48s, each back at a few addresses of
 * ours except one in twenty that sweeps, one event in twenty at a low hop
 * limit, one in ten from a random spoofed source) and "flood" (every source random: each event
 * a new key in every table, the worst case for the caches).  Each run goes
 * over every event once, on one thread; the median run is reported, in
 * thread CPU time.  Each stream is tagged two ways: one event at a time
 * (v6p_taggers_apply) and BATCH events per call (v6p_taggers_apply_batch,
 * default 64), both drained every 1024 events.  --check exits 1 when the
 * batch path's mixed median is over 300 ns per event or a lookup median
 * over 100 ns. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h" /* v6pi_classify_clone */
#include "ipv6probe/taggers.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* 100,000 prefixes /20../64 in 2000::/3, some IPv4. */
static v6p_classify *make_table(int n, struct in6_addr *samples, int nsamples)
{
    v6p_classify *c = v6p_classify_new(NULL);
    char text[80], buf[INET6_ADDRSTRLEN];
    for (int i = 0; i < n; i++) {
        struct in6_addr a;
        memset(&a, 0, sizeof(a));
        unsigned len;
        if (i % 10 == 0) {
            uint32_t v4 = (uint32_t)rnd();
            len = 8 + (unsigned)(rnd() % 17);
            v4 &= ~(uint32_t)0 << (32 - len);
            struct in_addr ia = {htonl(v4)};
            inet_ntop(AF_INET, &ia, buf, sizeof(buf));
            snprintf(text, sizeof(text), "%s/%u", buf, len);
        } else {
            uint64_t hi = (rnd() & ~(UINT64_C(7) << 61)) | (UINT64_C(1) << 61);
            len = 20 + (unsigned)(rnd() % 45);
            hi &= ~(uint64_t)0 << (64 - len);
            put64(a.s6_addr, hi);
            inet_ntop(AF_INET6, &a, buf, sizeof(buf));
            snprintf(text, sizeof(text), "%s/%u", buf, len);
            if (i < nsamples) {
                samples[i] = a;
                put64(samples[i].s6_addr + 8, rnd());
            }
        }
        if (v6p_classify_add(c, text, "Org", "cloud", "https://example.org/", NULL) != 0) {
            fprintf(stderr, "bad prefix %s\n", text);
            exit(2);
        }
    }
    return c;
}

static void gen_events(v6p_event *evs, int n, int flood)
{
    enum { NSRC = 20000, NDST = 4096 };
    /* The same stream for both ways of tagging it. */
    uint64_t saved = rng;
    rng = flood ? 0x6a09e667f3bcc909ULL : 0xbb67ae8584caa73bULL;
    for (int i = 0; i < n; i++) {
        v6p_event *ev = &evs[i];
        memset(ev, 0, sizeof(*ev));
        uint64_t r = rnd();
        int spoofed = flood || r % 10 == 0;
        uint64_t s = spoofed ? rnd() : (r >> 8) % NSRC;
        uint64_t hi = spoofed ? (s & ~(UINT64_C(7) << 61)) | (UINT64_C(1) << 61)
                              : UINT64_C(0x2001000000000000) | (s % 3000) << 16 | (s & 0xff);
        put64(ev->src.s6_addr, hi);
        put64(ev->src.s6_addr + 8, spoofed ? rnd() : s * 0x9e3779b97f4a7c15ULL);
        put64(ev->dest.s6_addr, UINT64_C(0x20010db800990000));
        /* One source in twenty sweeps; the others come back to a few
         * addresses of theirs. */
        uint64_t d = spoofed || s % 20 == 0 ? (r >> 20) % NDST : (s * 7 + (r >> 20) % 4) % NDST;
        put64(ev->dest.s6_addr + 8, d + 1);
        ev->protocol_version = 6;
        ev->time_sec = 1700000000 + i / 2000;
        ev->time_usec = (uint32_t)(i % 2000) * 500;
        ev->hop_limit = (uint8_t)(r % 20 == 0 ? (uint64_t)((i / 7) % 8 + 1) : 50 + r % 10);
        ev->direction = V6P_DIR_INBOUND;
        v6p_event_mark(ev, V6P_F_TIME);
        v6p_event_mark(ev, V6P_F_SRC);
        v6p_event_mark(ev, V6P_F_DEST);
        v6p_event_mark(ev, V6P_F_HOP_LIMIT);
        v6p_event_mark(ev, V6P_F_PROTOCOL_NUMBER);
        switch (r >> 40 & 3) {
        case 0:
            ev->protocol_number = 58;
            ev->icmp_type = 128;
            v6p_event_mark(ev, V6P_F_ICMP_TYPE);
            break;
        case 3:
            ev->protocol_number = 17;
            ev->dest_port = (uint16_t)(r >> 44);
            v6p_event_mark(ev, V6P_F_DEST_PORT);
            break;
        default:
            ev->protocol_number = 6;
            ev->tcp_flags = V6P_TCP_SYN;
            ev->dest_port = (uint16_t)(r % 7 ? 22 : r >> 44);
            v6p_event_mark(ev, V6P_F_DEST_PORT);
            break;
        }
        if (r >> 50 & 1) {
            ev->dest_pe = (r >> 51 & 7) == 0;
            v6p_event_mark(ev, V6P_F_DEST_PE);
        }
    }
    rng = saved;
}

static void ignore(void *ud, const char *st, const char *json, size_t len, int64_t ts)
{
    (void)st, (void)json, (void)ts;
    *(size_t *)ud += len;
}

static const v6p_field TAG_FIELDS[] = {V6P_F_SRC_ORG,     V6P_F_SRC_CATEGORY, V6P_F_SRC_ASN,
                                       V6P_F_SRC_AS_ORG,  V6P_F_SRC_BEHAVIOR, V6P_F_LADDER_ID,
                                       V6P_F_LADDER_RUNG, V6P_F_LADDER_RUNGS, V6P_F_LADDER_REPEAT,
                                       V6P_F_TAGS};

/* batch 0: one event at a time. */
static double run_stream(const char *name, int flood, int n, int runs, int batch,
                         v6p_classify *table)
{
    v6p_event *evs = malloc((size_t)n * sizeof(*evs));
    v6p_event **ptr = malloc((size_t)n * sizeof(*ptr));
    gen_events(evs, n, flood);
    for (int i = 0; i < n; i++)
        ptr[i] = &evs[i];
    double *ns = malloc((size_t)runs * sizeof(double));
    size_t sink = 0;
    uint64_t tagged = 0;
    for (int k = 0; k < runs; k++) {
        v6p_taggers *t = v6p_taggers_new(NULL, NULL);
        v6p_taggers_set_classify(t, v6pi_classify_clone(table));
        /* Clear the tags of the previous run outside the clock. */
        for (int i = 0; i < n; i++) {
            for (size_t f = 0; f < sizeof(TAG_FIELDS) / sizeof(TAG_FIELDS[0]); f++)
                v6p_event_unmark(&evs[i], TAG_FIELDS[f]);
            evs[i].tags = evs[i].src_behavior = 0;
        }
        double t0 = cpu_now();
        if (batch) {
            for (int i = 0; i < n;) {
                int len = n - i < batch ? n - i : batch;
                v6p_taggers_apply_batch(t, ptr + i, (size_t)len);
                /* Drained as often as one at a time is. */
                if ((i & ~1023) != ((i + len) & ~1023))
                    v6p_taggers_drain(t, ignore, &sink);
                i += len;
            }
        } else {
            for (int i = 0; i < n; i++) {
                v6p_taggers_apply(t, &evs[i]);
                if ((i & 1023) == 0)
                    v6p_taggers_drain(t, ignore, &sink);
            }
        }
        v6p_taggers_flush(t);
        v6p_taggers_drain(t, ignore, &sink);
        ns[k] = (cpu_now() - t0) * 1e9 / n;
        for (int i = 0; i < n; i++)
            tagged += evs[i].tags != 0;
        v6p_taggers_free(t);
    }
    qsort(ns, (size_t)runs, sizeof(double), cmp_double);
    double med = ns[runs / 2];
    char how[32];
    if (batch)
        snprintf(how, sizeof(how), "batch %d", batch);
    else
        snprintf(how, sizeof(how), "single");
    printf("taggers %-6s %-9s %d events x %d runs: median %.1f ns/event (min %.1f, max %.1f); "
           "%.1f%% tagged\n",
           name, how, n, runs, med, ns[0], ns[runs - 1],
           100.0 * (double)tagged / ((double)n * runs));
    free(ns);
    free(ptr);
    free(evs);
    return med;
}

/* Median ns per lookup of q[0..nq) over runs runs; matches into *found. */
static double time_lookups(const v6p_classify *table, const struct in6_addr *q, int nq, int runs,
                           size_t *found)
{
    double *ns = malloc((size_t)runs * sizeof(double));
    *found = 0;
    for (int k = 0; k < runs; k++) {
        double t0 = cpu_now();
        for (int i = 0; i < nq; i++)
            *found += v6p_classify_lookup(table, &q[i]) != NULL;
        ns[k] = (cpu_now() - t0) * 1e9 / nq;
    }
    qsort(ns, (size_t)runs, sizeof(double), cmp_double);
    double med = ns[runs / 2];
    printf("median %.1f ns (min %.1f, max %.1f); %.0f%% matched\n", med, ns[0], ns[runs - 1],
           100.0 * (double)*found / nq / runs);
    free(ns);
    return med;
}

/* The "  - prefix: X" lines of a table file: where its queries go. */
static int table_prefixes(const char *path, struct in6_addr *out, int cap)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    while (f && n < cap && fgets(line, sizeof(line), f)) {
        const char *p = strstr(line, "- prefix: ");
        if (!p)
            continue;
        p += 10;
        uint8_t a[16];
        unsigned len;
        const char *why;
        if (v6pi_prefix_parse(p, strcspn(p, " \r\n"), a, &len, &why) != 0)
            continue;
        if (len < 128)
            a[15] |= 1; /* a host inside */
        memcpy(out[n++].s6_addr, a, 16);
    }
    if (f)
        fclose(f);
    return n;
}

/* The shipped tables, as the forwarder loads them: lookups and the mixed
 * stream.  Returns the lookup median, or -1. */
static double bench_tables(char **paths, int npaths, int n, int runs, int batch)
{
    enum { NQ = 1000000, CAP = 400000 };
    v6p_classify *real = v6p_classify_new(NULL);
    struct in6_addr *inside = calloc(CAP, sizeof(*inside));
    struct in6_addr *q = malloc(NQ * sizeof(*q));
    int ninside = 0;
    for (int i = 0; i < npaths; i++) {
        v6p_error err = {0};
        if (v6p_classify_add_yaml(real, paths[i], &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            return -1;
        }
        ninside += table_prefixes(paths[i], inside + ninside, CAP - ninside);
    }
    for (int i = 0; i < NQ; i++) {
        if (i % 2 == 0 && ninside > 0) {
            q[i] = inside[rnd() % (uint64_t)ninside];
        } else {
            put64(q[i].s6_addr, (rnd() & ~(UINT64_C(7) << 61)) | (UINT64_C(1) << 61));
            put64(q[i].s6_addr + 8, rnd());
        }
    }
    size_t found;
    printf("lookup  shipped tables, %zu prefixes + %zu ASes, %d lookups x %d runs: ",
           v6p_classify_count(real), v6p_classify_asn_count(real), NQ, runs);
    double med = time_lookups(real, q, NQ, runs, &found);
    free(inside);
    free(q);
    run_stream("mixed", 0, n, runs, batch, real);
    v6p_classify_free(real);
    return med;
}

int main(int argc, char **argv)
{
    char *tables[8];
    int ntables = 0;
    int runs = 5, n = 1000000, batch = 64, check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (strcmp(argv[i], "-b") == 0 && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc && ntables < 8)
            tables[ntables++] = argv[++i];
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else {
            fprintf(stderr, "usage: bench_taggers [-r RUNS] [-n EVENTS] [-b BATCH] [-t TABLE]... "
                            "[--check]\n");
            return 2;
        }
    }
    if (runs < 1 || n < 1 || batch < 1)
        return 2;

    enum { NPREFIX = 100000, NQ = 1000000 };
    struct in6_addr *inside = calloc(NPREFIX, sizeof(*inside));
    struct in6_addr *q = malloc(NQ * sizeof(*q));
    v6p_classify *table = make_table(NPREFIX, inside, NPREFIX);
    /* Queries: half inside loaded IPv6 prefixes, half anywhere in 2000::/3. */
    for (int i = 0; i < NQ; i++) {
        if (i % 2 == 0) {
            uint64_t j = rnd() % NPREFIX;
            q[i] = inside[j - j % 10 + 1];
        } else {
            put64(q[i].s6_addr, (rnd() & ~(UINT64_C(7) << 61)) | (UINT64_C(1) << 61));
            put64(q[i].s6_addr + 8, rnd());
        }
    }
    free(inside);
    size_t found;
    /* Laid out as a loaded table is (v6pi_trie_compact, via the clone). */
    v6p_classify *loaded = v6pi_classify_clone(table);
    printf("lookup  %d prefixes, %d lookups x %d runs: ", NPREFIX, NQ, runs);
    double lookup = time_lookups(loaded, q, NQ, runs, &found);
    v6p_classify_free(loaded);
    free(q);

    run_stream("mixed", 0, n, runs, 0, table);
    double mixed = run_stream("mixed", 0, n, runs, batch, table);
    run_stream("flood", 1, n, runs, 0, table);
    run_stream("flood", 1, n, runs, batch, table);
    v6p_classify_free(table);
    if (ntables > 0) {
        double shipped = bench_tables(tables, ntables, n, runs, batch);
        if (shipped < 0)
            return 1;
        lookup = shipped > lookup ? shipped : lookup;
    }

    if (check && (mixed > 300 || lookup > 100)) {
        printf("FAIL: over budget (300 ns/event, 100 ns/lookup)\n");
        return 1;
    }
    return 0;
}
