/* What the taggers add to the pipeline, per event, on real-shaped log lines.
 *
 *   bench_pipeline [-r RUNS] [-t REF_EPOCH] [-c CLASSIFICATION.yaml] [-m full|dedupe|site] FILE
 *
 * In the forwarder an event is tagged right after it is parsed, while it is
 * still in cache.  This measures that: the same lines are parsed alone, then
 * parsed and tagged, each RUNS times on one thread (pin it with taskset);
 * the taggers' cost is the difference of the medians, per parsed event.
 * Tagger state is made new for every run, outside the clock.  Two tagged
 * passes: the three behaviour taggers (ladder, scan, classification:
 * v6p_taggers_apply), and everything the forwarder runs (the temporary-
 * address tracker first, then those three, then the harvester).  Last,
 * that whole pipeline with JSON writing, without and with the site's
 * direction and duplicate detection (v6p_site_direction, v6p_dedupe_mark):
 * their cost as a share of the pipeline. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipv6probe/dedupe.h"
#include "ipv6probe/harvest.h"
#include "ipv6probe/ipv6probe.h"
#include "ipv6probe/site.h"
#include "ipv6probe/taggers.h"

typedef struct line {
    const char *p;
    size_t n;
} line;

/* FULL: what ipv6probe-forward does per line with dedupe off (parse, every
 * tagger, JSON); DEDUPE: the same with duplicate detection first, as the
 * forwarder runs by default; SITE: and with the site's direction too
 * (internal prefixes and interfaces configured). */
enum mode { PARSE, TAGGERS, ALL, FULL, DEDUPE, SITE };

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

static line *split(char *buf, size_t len, size_t *n)
{
    size_t cap = 1024, k = 0;
    line *v = malloc(cap * sizeof(*v));
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (k == cap)
            v = realloc(v, (cap *= 2) * sizeof(*v));
        v[k].p = p;
        v[k++].n = l;
        p += l + 1;
    }
    *n = k;
    return v;
}

static void ignore(void *ud, const char *st, const char *json, size_t len, int64_t t)
{
    (void)st, (void)json, (void)t;
    *(size_t *)ud += len;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One pass; returns CPU seconds and counts parsed events in *events. */
static double run(enum mode m, const line *lines, size_t n, int64_t ref, const char *table,
                  size_t *events, uint64_t *tagged)
{
    v6p_parser *p = v6p_parser_new(NULL, NULL);
    v6p_taggers *tg = NULL;
    v6p_pe_tracker *pe = NULL;
    v6p_harvest *hv = NULL;
    if (m != PARSE) {
        tg = v6p_taggers_new(NULL, NULL);
        if (table && v6p_taggers_load_classify_yaml(tg, table, NULL) != 0)
            fprintf(stderr, "bench_pipeline: %s does not load\n", table);
    }
    v6p_json_writer *jw = m >= FULL ? v6p_json_writer_new() : NULL;
    v6p_site *site = NULL;
    v6p_dedupe *dd = NULL;
    if (m == SITE) {
        site = v6p_site_new(NULL);
        v6p_site_add_interface(site, "lan*", NULL);
        v6p_site_add_prefix(site, "2001:db8::/32", NULL);
    }
    if (m >= DEDUPE)
        dd = v6p_dedupe_new(NULL, NULL);
    if (m >= ALL) {
        v6p_pe_config pc;
        v6p_pe_config_init(&pc, sizeof(pc));
        pe = v6p_pe_new(&pc, NULL);
        v6p_pe_add_prefix_str(pe, "2001:db8::/32", NULL);
        hv = v6p_harvest_new(NULL, NULL);
    }
    size_t sink = 0, ok = 0;
    v6p_event ev;
    double t0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        if (v6p_parse(p, lines[i].p, lines[i].n, ref, 0, &ev, NULL) != V6P_OK)
            continue;
        ok++;
        if (site)
            v6p_site_direction(site, &ev);
        if (dd)
            v6p_dedupe_mark(dd, &ev);
        if (m >= ALL)
            v6p_pe_tag(pe, &ev);
        if (m != PARSE) {
            v6p_taggers_apply(tg, &ev);
            *tagged += ev.tags != 0;
        }
        if (m >= ALL)
            v6p_harvest_observe(hv, &ev);
        if (jw) {
            const char *js;
            size_t jn;
            if (v6p_json_write_event(jw, &ev, &js, &jn) == 0)
                sink += jn;
        }
        if (m != PARSE && (i & 1023) == 0) {
            v6p_taggers_drain(tg, ignore, &sink);
            if (hv)
                v6p_harvest_drain(hv, ignore, &sink);
        }
    }
    if (tg) {
        v6p_taggers_flush(tg);
        v6p_taggers_drain(tg, ignore, &sink);
    }
    double secs = cpu_now() - t0;
    *events = ok;
    v6p_json_writer_free(jw);
    v6p_site_free(site);
    v6p_dedupe_free(dd);
    v6p_harvest_free(hv);
    v6p_pe_free(pe);
    v6p_taggers_free(tg);
    v6p_parser_free(p);
    return secs;
}

static double median_ns(enum mode m, const line *lines, size_t n, int64_t ref, const char *table,
                        int runs, size_t *events, uint64_t *tagged)
{
    double *s = calloc((size_t)runs, sizeof(double));
    run(m, lines, n, ref, table, events, tagged); /* warm-up */
    *tagged = 0;
    for (int r = 0; r < runs; r++)
        s[r] = run(m, lines, n, ref, table, events, tagged);
    qsort(s, (size_t)runs, sizeof(double), cmp_double);
    double med = s[runs / 2] * 1e9 / (double)(*events ? *events : 1);
    free(s);
    return med;
}

int main(int argc, char **argv)
{
    int runs = 5;
    int64_t ref = 1795800000;
    /* -m full|dedupe|site: that pipeline alone, once (for an instruction count
     * under valgrind --tool=callgrind, which a busy machine cannot skew). */
    const char *path = NULL, *table = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            ref = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            table = argv[++i];
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            only = argv[++i];
        else
            path = argv[i];
    }
    size_t len, n, events = 0;
    char *buf = path ? slurp(path, &len) : NULL;
    if (!buf || runs < 1) {
        fprintf(stderr, "usage: bench_pipeline [-r RUNS] [-t REF] [-c TABLE.yaml] FILE\n");
        return 2;
    }
    line *lines = split(buf, len, &n);
    uint64_t tagged = 0;
    if (only) {
        enum mode m = strcmp(only, "dedupe") == 0 ? DEDUPE
                      : strcmp(only, "site") == 0 ? SITE
                                                  : FULL;
        double secs = run(m, lines, n, ref, table, &events, &tagged);
        printf("%s: %zu events, %.1f ns/event\n", only, events, secs * 1e9 / (double)events);
        free(lines);
        free(buf);
        return 0;
    }
    double parse = median_ns(PARSE, lines, n, ref, table, runs, &events, &tagged);
    double tag = median_ns(TAGGERS, lines, n, ref, table, runs, &events, &tagged);
    uint64_t tagged3 = tagged;
    double all = median_ns(ALL, lines, n, ref, table, runs, &events, &tagged);
    printf("file: %s, %zu lines, %zu events, medians of %d\n", path, n, events, runs);
    printf("parse:                  %.1f ns/event\n", parse);
    printf("parse+ladder/scan/class: %.1f ns/event -> taggers add %.1f ns/event (%.1f%% tagged)\n",
           tag, tag - parse, 100.0 * (double)tagged3 / ((double)events * runs));
    printf("parse+all tagging:      %.1f ns/event -> pe+taggers+harvest add %.1f ns/event\n", all,
           all - parse);
    /* Interleaved, so that a busy spell of a shared machine falls on all. */
    double fs[3], ds[3], ss[3];
    for (int k = 0; k < 3; k++) {
        fs[k] = median_ns(FULL, lines, n, ref, table, runs, &events, &tagged);
        ds[k] = median_ns(DEDUPE, lines, n, ref, table, runs, &events, &tagged);
        ss[k] = median_ns(SITE, lines, n, ref, table, runs, &events, &tagged);
    }
    qsort(fs, 3, sizeof(double), cmp_double);
    qsort(ds, 3, sizeof(double), cmp_double);
    qsort(ss, 3, sizeof(double), cmp_double);
    printf("parse+all tagging+JSON: %.1f ns/event\n", fs[1]);
    printf("  + duplicate detection: %.1f ns/event -> %+.1f ns/event (%+.1f%% of the pipeline)\n",
           ds[1], ds[1] - fs[1], 100.0 * (ds[1] - fs[1]) / fs[1]);
    printf("  + site direction too:  %.1f ns/event -> %+.1f ns/event (%+.1f%% of the pipeline)\n",
           ss[1], ss[1] - fs[1], 100.0 * (ss[1] - fs[1]) / fs[1]);
    free(lines);
    free(buf);
    return 0;
}
