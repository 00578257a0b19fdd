/* Throughput of the parse call and of parse + JSON over a file of log lines.
 *
 *   bench_parse [-r RUNS] [-t REF_EPOCH] [-m parse|json|both] FILE
 *
 * The file is read into memory and cut into lines before any clock starts, so
 * the figures are the library's own cost: no I/O, no newline search.  Each
 * mode runs RUNS times over every line (one thread; pin it with taskset) and
 * the median run is reported.  The line statuses are counted and checked to
 * be the same in every run, and the JSON lengths are summed, so that nothing
 * the compiler could drop goes unused. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipv6probe/ipv6probe.h"

typedef struct line {
    const char *p;
    size_t n;
} line;

/* CPU time of this thread: on a shared machine other work on the same core
 * then does not count against the parser.  (On an idle core it equals the
 * elapsed time; the wall clock is reported beside it.) */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_parse: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static line *split(char *buf, size_t len, size_t *count)
{
    size_t cap = 1024, n = 0;
    line *v = malloc(cap * sizeof(*v));
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof(*v));
        }
        v[n].p = p;
        v[n].n = (size_t)(e - p);
        n++;
        p = nl ? nl + 1 : end;
    }
    *count = n;
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct tally {
    size_t ok, not_fw, malformed;
    uint64_t json_bytes;
} tally;

/* One pass over all lines; returns CPU seconds, and elapsed ones in *wall. */
static double run(v6p_parser *p, v6p_json_writer *w, const line *lines, size_t n, int64_t ref,
                  tally *t, double *wall)
{
    v6p_event ev;
    memset(t, 0, sizeof(*t));
    double w0 = now(), t0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        v6p_status st = v6p_parse(p, lines[i].p, lines[i].n, ref, 0, &ev, NULL);
        if (st == V6P_OK) {
            t->ok++;
            if (w) {
                const char *out;
                size_t olen;
                if (v6p_json_write_event(w, &ev, &out, &olen) == 0)
                    t->json_bytes += olen + (unsigned char)out[olen - 1];
            }
        } else if (st == V6P_NOT_FIREWALL) {
            t->not_fw++;
        } else {
            t->malformed++;
        }
    }
    double t1 = cpu_now();
    *wall = now() - w0;
    return t1 - t0;
}

static void commas(double v, char *buf, size_t cap)
{
    char digits[32];
    snprintf(digits, sizeof(digits), "%.0f", v);
    size_t nd = strlen(digits), o = 0;
    for (size_t i = 0; i < nd && o + 2 < cap; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static int measure(const char *label, v6p_parser *p, v6p_json_writer *w, const line *lines,
                   size_t n, int64_t ref, int runs)
{
    double *secs = calloc((size_t)runs, sizeof(double));
    double *walls = calloc((size_t)runs, sizeof(double));
    tally first, t;
    /* One pass to warm caches and the pattern memo; not counted. */
    run(p, w, lines, n, ref, &first, &walls[0]);
    for (int r = 0; r < runs; r++) {
        secs[r] = run(p, w, lines, n, ref, &t, &walls[r]);
        if (memcmp(&t, &first, sizeof(t)) != 0) {
            fprintf(stderr, "bench_parse: results differ between runs\n");
            return -1;
        }
    }
    qsort(secs, (size_t)runs, sizeof(double), cmp_double);
    qsort(walls, (size_t)runs, sizeof(double), cmp_double);
    double med = secs[runs / 2];
    char rate[40], wrate[40];
    commas((double)n / med, rate, sizeof(rate));
    commas((double)n / walls[runs / 2], wrate, sizeof(wrate));
    printf("%s: %s lines/s (median of %d), %.1f ns/line, CPU s per run %.3f..%.3f; "
           "wall %s lines/s\n",
           label, rate, runs, med * 1e9 / (double)n, secs[0], secs[runs - 1], wrate);
    printf("%s-detail: %zu ok, %zu not firewall, %zu malformed", label, first.ok, first.not_fw,
           first.malformed);
    if (w)
        printf(", %.1f JSON bytes/event",
               (double)first.json_bytes / (double)(first.ok ? first.ok : 1));
    printf("\n");
    free(secs);
    free(walls);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 5;
    int64_t ref = 1795800000; /* "now" for the year of RFC 3164 stamps */
    const char *path = NULL, *mode = "both";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            ref = strtoll(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path || runs < 1) {
        fprintf(stderr, "usage: bench_parse [-r RUNS] [-t REF_EPOCH] [-m parse|json|both] FILE\n");
        return 2;
    }
    size_t len, n;
    char *buf = slurp(path, &len);
    if (!buf)
        return 1;
    line *lines = split(buf, len, &n);
    printf("file: %s, %zu lines, %.1f MB\n", path, n, (double)len / 1e6);

    v6p_error err = {0};
    v6p_parser *p = v6p_parser_new(NULL, &err);
    v6p_json_writer *w = v6p_json_writer_new();
    if (!p || !w) {
        fprintf(stderr, "bench_parse: %s\n", err.message[0] ? err.message : "out of memory");
        return 1;
    }
    int rc = 0;
    if (strcmp(mode, "json") != 0 && measure("parse-only", p, NULL, lines, n, ref, runs) != 0)
        rc = 1;
    if (strcmp(mode, "parse") != 0 && measure("parse+json", p, w, lines, n, ref, runs) != 0)
        rc = 1;
    v6p_json_writer_free(w);
    v6p_parser_free(p);
    free(lines);
    free(buf);
    return rc;
}
