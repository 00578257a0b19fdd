/* Where the forwarder's time goes: its stages, one after another, on one
 * thread, over the same file.
 *
 *   bench_stages [-r RUNS] [-t REF_EPOCH] [-p PREFIX]... [-i] FILE...
 *
 * Each stage is a whole pass over FILE doing that stage and every stage
 * before it, with the forwarder's own code and settings (config_defaults;
 * -p adds internal prefixes, as internal_prefixes: does):
 *
 *   read      the file through the forwarder's line reader (linereader.c)
 *             into its batches (batch_add), and out again (batch_next);
 *   frame     + the syslog framing alone (v6pi_frame_parse);
 *   parse     the whole v6p_parse instead (framing and the body);
 *   site      + the site's direction (only when it knows prefixes: -p);
 *   dedupe    + duplicate detection (v6p_dedupe_mark);
 *   pe        + the temporary-address tracker (v6p_pe_tag);
 *   ladder    + hop-limit ladders (v6pi_ladder_apply);
 *   scan      + scan behaviour (v6pi_scan_apply);
 *   classify  + the source's classification in the shipped tables
 *               (v6p_classify_lookup; the table is loaded outside the clock);
 *   harvest   + harvest correlation (v6p_harvest_observe, records drained
 *               after each batch of lines);
 *   json      + the event's JSON (v6p_json_writer, as the forwarder);
 *   write     + the JSON lines through the forwarder's file output
 *               (output_file_ops) to /dev/null.
 * The taggers above run one event at a time, each on its own, so that each
 * has a cost.  The forwarder tags 64 events at a time through the chain,
 * with the taggers' prefetch (v6p_chain_apply_batch through tagging.c):
 *   forward   read, parse, tagging_apply_batch, JSON, write: the forwarder's
 *             worker, without its threads and queue waits.
 *
 * Every stage's state (trackers, writer, output) is made new for every pass,
 * outside the clock.  One warm-up round, then RUNS rounds, each running
 * every stage in turn (so that a busy minute of a shared machine falls on
 * all of them); the median of each stage's thread CPU time, per line.  A
 * stage's own cost is its median less the median of the stage before it.
 *
 * -i runs each stage once, with callgrind's client requests around each
 * pass (stages_icount.sh reads the counts): instructions do not move with
 * the load of the machine. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "framing.h"
#include "ipv6probe/ipv6probe.h"
#include "ladder.h"
#include "linereader.h"
#include "output.h"
#include "pipeline.h"
#include "queue.h"
#include "scan.h"
#include "tagging.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

enum stage {
    S_READ,
    S_FRAME,
    S_PARSE,
    S_SITE,
    S_DEDUPE,
    S_PE,
    S_LADDER,
    S_SCAN,
    S_CLASSIFY,
    S_HARVEST,
    S_JSON,
    S_WRITE,
    S_FORWARD,
    N_STAGES
};

static const char *const stage_name[N_STAGES] = {
    "read", "frame",    "parse",   "site", "dedupe", "pe",      "ladder",
    "scan", "classify", "harvest", "json", "write",  "forward",
};

static const char *const stage_what[N_STAGES] = {
    "linereader + batch_add/batch_next",
    "v6pi_frame_parse (framing alone)",
    "v6p_parse: the body, after framing",
    "v6p_site_direction",
    "v6p_dedupe_mark",
    "v6p_pe_tag",
    "v6pi_ladder_apply",
    "v6pi_scan_apply",
    "v6p_classify_lookup, shipped tables",
    "v6p_harvest_observe + drain",
    "v6p_json_write_event",
    "file output to /dev/null",
    "the forwarder's way: 64-event batches",
};

/* What stays across passes: the forwarder's settings, the loaded
 * classification (read-only, shared). */
typedef struct setup {
    fwd_config cfg;
    int64_t ref;
    v6p_classify *cls;
} setup;

/* One pass's state. */
typedef struct pass {
    enum stage stage;
    const setup *su;
    v6p_parser *parser;
    v6pi_year_cache memo;
    v6pi_frame_opts fopts;
    v6p_site *site;
    v6p_dedupe *dedupe;
    v6p_pe_tracker *pe;
    v6pi_ladder *ladder;
    v6pi_scan *scan;
    v6p_harvest *harvest;
    v6p_json_writer *json;
    output out;
    int out_open;
    tagging *tags;
    v6p_event ev;
    v6p_event *evs;
    v6p_event *ptrs[64];
    size_t k;
    unsigned long long lines, events, sink;
} pass;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The forward stage's tagging says on standard error what the forwarder
 * would (events logged in FORWARD with no site described), once per pass:
 * it goes to /dev/null, and errors here to the saved descriptor. */
static int err_fd = STDERR_FILENO;

static void die(const char *what, const char *why)
{
    dprintf(err_fd, "bench_stages: %s: %s\n", what, why);
    exit(1);
}

static void quiet_stderr(int on)
{
    fflush(stderr);
    if (on) {
        err_fd = dup(STDERR_FILENO);
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (err_fd < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            die("/dev/null", strerror(errno));
        close(fd);
    } else if (err_fd != STDERR_FILENO) {
        dup2(err_fd, STDERR_FILENO);
        close(err_fd);
        err_fd = STDERR_FILENO;
    }
}

static void on_ladder_end(const v6pi_ladder_summary *s, void *arg)
{
    *(unsigned long long *)arg += s->rungs;
}

static void count_record(void *ud, const char *st, const char *json, size_t len, int64_t t)
{
    (void)st, (void)json, (void)t;
    ((pass *)ud)->sink += len;
}

/* The forwarder writes the tagging's side records (ladder summaries,
 * suspects) to its outputs, as pipeline.c's side_record does. */
static void write_record(void *ud, const char *st, const char *json, size_t len, int64_t t)
{
    pass *p = ud;
    output_record r = {json, len, t, 0, NULL, 0, st, NULL};
    p->out.ops->write_event(&p->out, &r);
}

static void pass_open(pass *p, const setup *su, enum stage s)
{
    memset(p, 0, sizeof(*p));
    p->stage = s;
    p->su = su;
    char err[512];
    v6p_error e;
    memset(&e, 0, sizeof(e));
    const fwd_config *c = &su->cfg;
    p->fopts.reference_sec = su->ref;
    p->fopts.local_utc_offset = (int32_t)c->utc_offset;
    p->fopts.year_memo = &p->memo;
    if (s >= S_PARSE && !(p->parser = pipeline_build_parser(c, err, sizeof(err))))
        die("parser", err);
    if (s >= S_SITE && s != S_FORWARD && c->n_internal_prefixes) {
        if (!(p->site = v6p_site_new(&e)))
            die("site", e.message);
        for (size_t i = 0; i < c->n_internal_prefixes; i++)
            if (v6p_site_add_prefix(p->site, c->internal_prefixes[i], &e) != 0)
                die(c->internal_prefixes[i], e.message);
    }
    if (s >= S_DEDUPE && s != S_FORWARD && c->dedupe_enabled &&
        !(p->dedupe = v6p_dedupe_new(&c->dedupe, &e)))
        die("dedupe", e.message);
    if (s >= S_PE && s != S_FORWARD) {
        size_t bad;
        if (!(p->pe = v6p_pe_new(&c->pe, &e)) ||
            v6p_pe_set_prefixes(p->pe, (const char *const *)c->internal_prefixes,
                                c->n_internal_prefixes, &bad, &e) != 0)
            die("pe", e.message);
    }
    int code = 0;
    if (s >= S_LADDER && s != S_FORWARD &&
        !(p->ladder = v6pi_ladder_new(&c->taggers, on_ladder_end, &p->sink, &code)))
        die("ladder", strerror(code));
    if (s >= S_SCAN && s != S_FORWARD && !(p->scan = v6pi_scan_new(&c->taggers, &code)))
        die("scan", strerror(code));
    if (s >= S_HARVEST && s != S_FORWARD && !(p->harvest = v6p_harvest_new(NULL, &e)))
        die("harvest", e.message);
    if (s >= S_JSON && !(p->json = v6p_json_writer_new()))
        die("json", "out of memory");
    if (s >= S_WRITE) {
        p->out.ops = &output_file_ops;
        if (output_file_ops.open(&p->out, c, err, sizeof(err)) != 0)
            die("output", err);
        p->out_open = 1;
    }
    if (s == S_FORWARD) {
        quiet_stderr(1);
        if (!(p->tags = tagging_init(c, err, sizeof(err))))
            die("tagging", err);
        if (!(p->evs = malloc(64 * sizeof(*p->evs))))
            die("events", "out of memory");
        for (size_t i = 0; i < 64; i++)
            p->ptrs[i] = &p->evs[i];
    }
}

static void pass_close(pass *p)
{
    if (p->out_open)
        p->out.ops->close(&p->out);
    tagging_free(p->tags);
    if (p->tags)
        quiet_stderr(0);
    free(p->evs);
    v6p_json_writer_free(p->json);
    v6p_harvest_free(p->harvest);
    v6pi_scan_free(p->scan);
    v6pi_ladder_free(p->ladder);
    v6p_pe_free(p->pe);
    v6p_dedupe_free(p->dedupe);
    v6p_site_free(p->site);
    v6p_parser_free(p->parser);
}

static void emit_json(pass *p, const v6p_event *ev)
{
    const char *js;
    size_t jn;
    if (v6p_json_write_event(p->json, ev, &js, &jn) != 0)
        return;
    p->sink += jn;
    if (p->stage >= S_WRITE) {
        output_record r = {js,          jn,          ev->time_sec,     ev->time_usec,
                           ev->dvc.ptr, ev->dvc.len, SOURCETYPE_EVENT, ev};
        p->out.ops->write_event(&p->out, &r);
    }
}

/* The forwarder's worker on the k events parsed so far (pipeline.c's
 * write_events). */
static void forward_events(pass *p)
{
    tagging_apply_batch(p->tags, p->ptrs, p->k);
    for (size_t i = 0; i < p->k; i++)
        emit_json(p, p->ptrs[i]);
    p->k = 0;
}

static void one_line(pass *p, const char *line, size_t len)
{
    p->lines++;
    if (p->stage == S_READ) {
        p->sink += len;
        return;
    }
    if (p->stage == S_FRAME) {
        v6pi_frame f;
        if (v6pi_frame_parse(line, len, &p->fopts, &f) == V6P_R_NONE)
            p->sink += f.body;
        return;
    }
    if (p->stage == S_FORWARD) {
        v6p_status st = v6p_parse(p->parser, line, len, p->su->ref, 0, &p->evs[p->k], NULL);
        if (st == V6P_OK) {
            p->events++;
            if (++p->k == 64)
                forward_events(p);
        } else {
            forward_events(p); /* output keeps the input's order */
        }
        return;
    }
    v6p_event *ev = &p->ev;
    if (v6p_parse(p->parser, line, len, p->su->ref, 0, ev, NULL) != V6P_OK)
        return;
    p->events++;
    enum stage s = p->stage;
    /* In the chain's order (chain.c). */
    if (s >= S_SITE && p->site && v6p_site_known(p->site))
        v6p_site_direction(p->site, ev);
    if (s >= S_DEDUPE && p->dedupe)
        v6p_dedupe_mark(p->dedupe, ev);
    if (s >= S_PE)
        v6p_pe_tag(p->pe, ev);
    if (s >= S_LADDER)
        v6pi_ladder_apply(p->ladder, ev);
    if (s >= S_SCAN)
        v6pi_scan_apply(p->scan, ev);
    if (s >= S_CLASSIFY && v6p_event_has(ev, V6P_F_SRC)) {
        const v6p_classify_entry *e = v6p_classify_lookup(p->su->cls, &ev->src);
        p->sink += e ? e->prefix_len : 0;
    }
    if (s >= S_HARVEST)
        v6p_harvest_observe(p->harvest, ev);
    if (s >= S_JSON)
        emit_json(p, ev);
}

/* A batch as the worker takes it: its lines, then what the tagging has to
 * say (pipeline.c drains after each batch). */
static void one_batch(pass *p, const batch *b)
{
    size_t pos = 0, len;
    const char *line;
    unsigned flags;
    while (batch_next(b, &pos, &line, &len, &flags))
        one_line(p, line, len);
    if (p->stage == S_FORWARD) {
        forward_events(p);
        tagging_drain(p->tags, write_record, p);
    } else if (p->stage >= S_HARVEST) {
        v6p_harvest_drain(p->harvest, count_record, p);
    }
}

/* One pass over the file; returns its thread CPU seconds. */
static double run_pass(pass *p, const char *path)
{
    const fwd_config *c = &p->su->cfg;
    queue q;
    if (queue_init(&q, 4, c->batch_bytes) != 0)
        die("queue", "out of memory");
    double t0 = cpu_now();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(path, strerror(errno));
    linereader lr;
    if (linereader_init(&lr, fd, c->max_line) != 0)
        die("linereader", "out of memory");
    batch *b = queue_get_batch(&q);
    const char *line;
    size_t len;
    int cut, k;
    while ((k = linereader_next(&lr, &line, &len, &cut)) == 1) {
        if (batch_add(b, line, len, cut ? REC_CUT : 0) != 0) {
            one_batch(p, b);
            queue_put_batch(&q, b);
            b = queue_get_batch(&q);
            batch_add(b, line, len, cut ? REC_CUT : 0);
        }
    }
    if (k < 0)
        die(path, strerror(errno));
    one_batch(p, b);
    queue_put_batch(&q, b);
    if (p->stage == S_FORWARD) {
        tagging_finish(p->tags);
        tagging_drain(p->tags, write_record, p);
    } else if (p->stage >= S_LADDER) {
        v6pi_ladder_flush(p->ladder);
    }
    if (p->out_open)
        p->out.ops->flush(&p->out, 0);
    linereader_free(&lr);
    close(fd);
    double t = cpu_now() - t0;
    queue_destroy(&q);
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_file(const setup *su, const char *path, int runs, int icount)
{
    double *t[N_STAGES];
    unsigned long long lines = 0, events = 0;
    for (int s = 0; s < N_STAGES; s++)
        if (!(t[s] = calloc((size_t)runs + 1, sizeof(double))))
            die("times", "out of memory");
    pass p;
    if (icount) {
        /* One pass each; callgrind counts between the client requests. */
        for (int s = 0; s < N_STAGES; s++) {
            pass_open(&p, su, (enum stage)s);
            char name[64];
            snprintf(name, sizeof(name), "stage %s", stage_name[s]);
            CALLGRIND_ZERO_STATS;
            run_pass(&p, path);
            CALLGRIND_DUMP_STATS_AT(name);
            lines = p.lines;
            pass_close(&p);
        }
        printf("file: %s, %llu lines, one pass per stage\n", path, lines);
        for (int s = 0; s < N_STAGES; s++)
            free(t[s]);
        return;
    }
    for (int r = -1; r < runs; r++) /* round -1: warm-up */
        for (int s = 0; s < N_STAGES; s++) {
            pass_open(&p, su, (enum stage)s);
            double secs = run_pass(&p, path);
            if (r >= 0)
                t[s][r] = secs;
            if (s == S_PARSE)
                events = p.events;
            lines = p.lines;
            pass_close(&p);
        }
    double med[N_STAGES];
    for (int s = 0; s < N_STAGES; s++) {
        qsort(t[s], (size_t)runs, sizeof(double), cmp_double);
        med[s] = t[s][runs / 2] * 1e9 / (double)(lines ? lines : 1);
    }
    printf("file: %s, %llu lines, %llu events; medians of %d, ns per line of thread CPU time\n",
           path, lines, events, runs);
    printf("  %-9s %-38s %10s %10s\n", "stage", "", "cumulative", "this stage");
    for (int s = 0; s < S_FORWARD; s++) {
        /* parse replaces frame: its own cost is the body, after framing. */
        double prev = s == 0 ? 0 : med[s - 1];
        printf("  %-9s %-38s %10.1f %10.1f\n", stage_name[s], stage_what[s], med[s], med[s] - prev);
    }
    printf("  %-9s %-38s %10.1f %10s (%+.1f against write: the chain's batches)\n",
           stage_name[S_FORWARD], stage_what[S_FORWARD], med[S_FORWARD], "",
           med[S_FORWARD] - med[S_WRITE]);
    printf("  groups: read %.1f, frame + parse %.1f, tagging %.1f (one at a time), json %.1f, "
           "write %.1f ns/line\n",
           med[S_READ], med[S_PARSE] - med[S_READ], med[S_HARVEST] - med[S_PARSE],
           med[S_JSON] - med[S_HARVEST], med[S_WRITE] - med[S_JSON]);
    for (int s = 0; s < N_STAGES; s++)
        free(t[s]);
}

int main(int argc, char **argv)
{
    setup su;
    memset(&su, 0, sizeof(su));
    config_defaults(&su.cfg);
    su.ref = 1795800000; /* "now" for the year of RFC 3164 stamps, as bench_parse */
    int runs = 5, icount = 0, files = 0;
    char **prefixes = calloc((size_t)argc, sizeof(char *));
    size_t n_prefixes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
            su.ref = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            prefixes[n_prefixes++] = argv[++i];
        else if (strcmp(argv[i], "-i") == 0)
            icount = 1;
        else if (argv[i][0] == '-')
            runs = 0;
        else
            files++;
    }
    if (runs < 1 || !files) {
        fprintf(stderr,
                "usage: bench_stages [-r RUNS] [-t REF_EPOCH] [-p PREFIX]... [-i] FILE...\n");
        return 2;
    }
#ifndef HAVE_CALLGRIND
    if (icount) {
        fprintf(stderr, "bench_stages: -i needs valgrind/callgrind.h at build time\n");
        return 2;
    }
#endif
    su.cfg.internal_prefixes = prefixes;
    su.cfg.n_internal_prefixes = n_prefixes;
    static char devnull[] = "/dev/null";
    su.cfg.out_file = devnull;
    /* The shipped tables, as tagging.c loads them (the prefix table, then
     * the organisations by AS beside it). */
    const char *table = tagging_builtin_table();
    v6p_error e;
    memset(&e, 0, sizeof(e));
    if (!table || !(su.cls = v6p_classify_new(&e)) || v6p_classify_add_yaml(su.cls, table, &e) != 0)
        die("classification", table ? e.message : "the shipped table is not found");
    char as_table[4096];
    const char *slash = strrchr(table, '/');
    snprintf(as_table, sizeof(as_table), "%.*sasn-classification.yaml",
             slash ? (int)(slash - table + 1) : 0, table);
    if (access(as_table, R_OK) == 0 && v6p_classify_add_yaml(su.cls, as_table, &e) != 0)
        die(as_table, e.message);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            i += strcmp(argv[i], "-i") != 0;
            continue;
        }
        bench_file(&su, argv[i], runs, icount);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %.1f MB (the shipped classification loaded twice: once shared, once in the "
           "forward stage's chain)\n",
           (double)ru.ru_maxrss / 1024);
    v6p_classify_free(su.cls);
    free(prefixes);
    return 0;
}
