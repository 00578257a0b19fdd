/* Cost of the tagging chain per event over parsed log lines: one event at
 * a time (v6p_chain_apply) against BATCH events a call
 * (v6p_chain_apply_batch); then the forwarder's pipeline, parse + tag +
 * JSON, one line at a time against BATCH lines parsed, tagged as a batch,
 * written.
 *
 *   bench_chain [-r RUNS] [-b BATCH] [-p PREFIX]... FILE
 *
 * The file is parsed into events before any clock starts; each run tags
 * copies of them with a new chain, in thread CPU time; the median run of
 * each way is reported, the two ways alternating run by run so that both
 * see the same machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipv6probe/chain.h"
#include "ipv6probe/ipv6probe.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void drop(void *ud, const char *st, const char *json, size_t len, int64_t t)
{
    (void)st, (void)json, (void)t;
    *(size_t *)ud += len;
}

static v6p_chain *make(const char **prefixes, size_t np)
{
    v6p_chain_config cfg;
    v6p_chain_config_init(&cfg, sizeof(cfg));
    v6p_taggers_config tc;
    v6p_taggers_config_init(&tc, sizeof(tc));
    tc.seed[0] = 1; /* the same tables in every run */
    cfg.taggers = &tc;
    v6p_error err;
    v6p_chain *c = v6p_chain_new(&cfg, &err);
    if (!c || (np && v6p_chain_set_prefixes(c, prefixes, np, &err) != 0)) {
        fprintf(stderr, "bench_chain: %s\n", err.message);
        exit(1);
    }
    return c;
}

/* One run: ns per event; *sum collects record bytes so nothing is dropped. */
static double run(const v6p_event *src, v6p_event *work, v6p_event **ptr, size_t n, int batch,
                  const char **prefixes, size_t np, size_t *sum)
{
    v6p_chain *c = make(prefixes, np);
    memcpy(work, src, n * sizeof(*work));
    double t0 = cpu_now();
    for (size_t i = 0; i < n;) {
        size_t k = batch ? (n - i < (size_t)batch ? n - i : (size_t)batch) : 1;
        if (batch)
            v6p_chain_apply_batch(c, ptr + i, k);
        else
            for (size_t j = 0; j < k; j++)
                v6p_chain_apply(c, ptr[i + j]);
        i += k;
        if (i % 1024 < k)
            v6p_chain_drain(c, drop, sum);
    }
    v6p_chain_flush(c);
    v6p_chain_drain(c, drop, sum);
    double t = cpu_now() - t0;
    for (size_t i = 0; i < n; i++)
        *sum += work[i].tags + work[i].src_behavior;
    v6p_chain_free(c);
    return t * 1e9 / (double)n;
}

typedef struct line {
    const char *p;
    size_t n;
} line;

/* The forwarder's pipeline, parse + tag + JSON per line: one line at a
 * time, or BATCH lines parsed, then tagged as a batch, then written. */
static double run_pipeline(v6p_parser *p, const line *lines, size_t n, int batch,
                           const char **prefixes, size_t np, size_t *sum)
{
    v6p_chain *c = make(prefixes, np);
    v6p_json_writer *w = v6p_json_writer_new();
    v6p_event evs[V6P_CHAIN_BATCH_MAX], *ptr[V6P_CHAIN_BATCH_MAX];
    for (int i = 0; i < V6P_CHAIN_BATCH_MAX; i++)
        ptr[i] = &evs[i];
    const char *js;
    size_t jn;
    double t0 = cpu_now();
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        size_t want = batch ? (size_t)batch : 1;
        for (; i < n && k < want; i++)
            if (v6p_parse(p, lines[i].p, lines[i].n, 1700000000, 0, &evs[k], NULL) == V6P_OK)
                k++;
        if (batch)
            v6p_chain_apply_batch(c, ptr, k);
        else if (k)
            v6p_chain_apply(c, &evs[0]);
        for (size_t j = 0; j < k; j++)
            if (v6p_json_write_event(w, &evs[j], &js, &jn) == 0)
                *sum += jn;
        if (i % 1024 < want)
            v6p_chain_drain(c, drop, sum);
    }
    v6p_chain_flush(c);
    v6p_chain_drain(c, drop, sum);
    double t = cpu_now() - t0;
    v6p_json_writer_free(w);
    v6p_chain_free(c);
    return t * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
    int runs = 5, batch = 64, opt;
    const char *prefixes[16];
    size_t np = 0;
    while ((opt = getopt(argc, argv, "r:b:p:")) != -1) {
        if (opt == 'r')
            runs = atoi(optarg);
        else if (opt == 'b')
            batch = atoi(optarg);
        else if (opt == 'p' && np < 16)
            prefixes[np++] = optarg;
        else
            return 2;
    }
    if (optind >= argc || runs < 1 || runs > 99 || batch < 1 || batch > V6P_CHAIN_BATCH_MAX)
        return 2;
    FILE *f = fopen(argv[optind], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);
    v6p_parser_options po;
    v6p_parser_options_init(&po, sizeof(po));
    v6p_error err;
    v6p_parser *p = v6p_parser_new(&po, &err);
    size_t cap = 1024, n = 0, nl = 0;
    v6p_event *evs = malloc(cap * sizeof(*evs));
    line *lines = malloc(((size_t)len / 16 + 1) * sizeof(*lines));
    for (char *s = buf, *e; s < buf + len; s = e + 1) {
        e = memchr(s, '\n', (size_t)(buf + len - s));
        if (!e)
            e = buf + len;
        lines[nl++] = (line){s, (size_t)(e - s)};
        if (n == cap)
            evs = realloc(evs, (cap *= 2) * sizeof(*evs));
        if (v6p_parse(p, s, (size_t)(e - s), 1700000000, 0, &evs[n], NULL) == V6P_OK)
            n++;
    }
    v6p_event *work = malloc(n * sizeof(*work));
    v6p_event **ptr = malloc(n * sizeof(*ptr));
    for (size_t i = 0; i < n; i++)
        ptr[i] = &work[i];
    double single[99], batched[99], pl_single[99], pl_batch[99];
    size_t sum = 0;
    run(evs, work, ptr, n, 0, prefixes, np, &sum); /* warm-up */
    for (int r = 0; r < runs; r++) {
        single[r] = run(evs, work, ptr, n, 0, prefixes, np, &sum);
        batched[r] = run(evs, work, ptr, n, batch, prefixes, np, &sum);
        pl_single[r] = run_pipeline(p, lines, nl, 0, prefixes, np, &sum);
        pl_batch[r] = run_pipeline(p, lines, nl, batch, prefixes, np, &sum);
    }
    qsort(single, (size_t)runs, sizeof(double), cmp_double);
    qsort(batched, (size_t)runs, sizeof(double), cmp_double);
    qsort(pl_single, (size_t)runs, sizeof(double), cmp_double);
    qsort(pl_batch, (size_t)runs, sizeof(double), cmp_double);
    printf("chain single    %zu events x %d runs: median %.1f ns/event (min %.1f, max %.1f)\n", n,
           runs, single[runs / 2], single[0], single[runs - 1]);
    printf("chain batch %-3d %zu events x %d runs: median %.1f ns/event (min %.1f, max %.1f)\n",
           batch, n, runs, batched[runs / 2], batched[0], batched[runs - 1]);
    printf("pipeline single %zu lines x %d runs: median %.1f ns/line (min %.1f, max %.1f)\n", nl,
           runs, pl_single[runs / 2], pl_single[0], pl_single[runs - 1]);
    printf("pipeline batch %-3d %zu lines x %d runs: median %.1f ns/line (min %.1f, max %.1f)\n",
           batch, nl, runs, pl_batch[runs / 2], pl_batch[0], pl_batch[runs - 1]);
    printf("(checksum %zu)\n", sum);
    v6p_parser_free(p);
    return 0;
}
