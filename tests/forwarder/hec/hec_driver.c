/* hec_driver: posts JSON lines read on standard input through the HEC
 * client (spool + hec.c), the way the forwarder's HEC output does, so that
 * the client can be tested against the receiver on its own.
 *
 *   hec_driver --url http://127.0.0.1:PORT --token-env HEC_TOKEN [options] < events.jsonl
 *
 * Each line is an event object; its "time" (a decimal) and "dvc" become
 * the HEC time and host.  At the end of input the driver waits until
 * everything is delivered (--drain-timeout-ms), writes its counters as JSON
 * (--stats FILE), and exits 0, or 3 when something was not delivered.
 * "committed N" lines on standard output say how many input lines are
 * durable in the spool. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hec.h"
#include "hec_envelope.h"
#include "spool.h"

#define MAX_URLS 16
#define MAX_FIELDS 32

typedef struct driver {
    hec_opts ho;
    spool_opts so;
    const char *urls[MAX_URLS];
    char *fields[MAX_FIELDS];
    size_t nf;
    const char *source, *sourcetype, *index, *stats_path;
    unsigned drain_ms, commit_every;
} driver;

static void log_hec(void *ctx, hec_level lv, const char *msg)
{
    (void)ctx;
    static const char *const tag[] = {"info", "warning", "error"};
    fprintf(stderr, "hec_driver: %s: %s\n", tag[lv], msg);
}

static void log_spool(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "hec_driver: %s\n", msg);
}

/* The value of a top-level "key": a string's contents or a number's text. */
static int find_value(const char *line, const char *key, const char **v, size_t *n)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        return 0;
    p += strlen(pat);
    p += strspn(p, " \t");
    if (*p == '"') {
        const char *e = strchr(p + 1, '"');
        if (!e)
            return 0;
        *v = p + 1;
        *n = (size_t)(e - p - 1);
        return 1;
    }
    *v = p;
    *n = strspn(p, "0123456789.-");
    return *n > 0;
}

static void meta_from(const char *line, hec_meta *m)
{
    const char *v;
    size_t n;
    if (find_value(line, "time", &v, &n)) {
        char t[40];
        snprintf(t, sizeof(t), "%.*s", (int)n, v);
        char *dot = strchr(t, '.');
        m->time_sec = strtoll(t, NULL, 10);
        if (dot) {
            char us[7] = "000000";
            memcpy(us, dot + 1, strnlen(dot + 1, 6));
            m->time_usec = (uint32_t)strtoul(us, NULL, 10);
        }
    }
    if (find_value(line, "dvc", &v, &n)) {
        m->host = v;
        m->host_len = n;
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: hec_driver --url URL [--url URL...] (--token-file F | --token-env VAR)\n"
            "  [--gzip N] [--acks] [--batch-events N] [--batch-bytes N] [--batch-time-ms N]\n"
            "  [--ack-timeout-ms N] [--ack-poll-ms N] [--backoff-initial-ms N]\n"
            "  [--backoff-max-ms N] [--timeout-ms N] [--health-interval-ms N]\n"
            "  [--auth-retry-ms N] [--auth-warn-ms N] [--max-inflight N] [--max-batches N]\n"
            "  [--spool-dir D] [--spool-max-bytes N] [--spool-full block|drop_oldest|drop_newest]\n"
            "  [--fsync batch|always|never] [--dead-letter F] [--source S] [--sourcetype S]\n"
            "  [--index I] [--field NAME]... [--allow-insecure-http] [--no-verify]\n"
            "  [--ca-file F] [--sni NAME] [--drain-timeout-ms N] [--stats FILE]\n");
    exit(2);
}

static uint64_t num(const char *s)
{
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (*e)
        usage();
    return v;
}

static void parse_args(driver *d, int argc, char **argv)
{
    static const struct option lo[] = {{"url", 1, 0, 'u'},
                                       {"token-file", 1, 0, 'f'},
                                       {"token-env", 1, 0, 'e'},
                                       {"gzip", 1, 0, 'z'},
                                       {"acks", 0, 0, 'a'},
                                       {"batch-events", 1, 0, 1},
                                       {"batch-bytes", 1, 0, 2},
                                       {"batch-time-ms", 1, 0, 3},
                                       {"ack-timeout-ms", 1, 0, 4},
                                       {"ack-poll-ms", 1, 0, 5},
                                       {"backoff-initial-ms", 1, 0, 6},
                                       {"backoff-max-ms", 1, 0, 7},
                                       {"timeout-ms", 1, 0, 8},
                                       {"health-interval-ms", 1, 0, 9},
                                       {"auth-retry-ms", 1, 0, 10},
                                       {"auth-warn-ms", 1, 0, 11},
                                       {"max-inflight", 1, 0, 12},
                                       {"max-batches", 1, 0, 13},
                                       {"spool-dir", 1, 0, 14},
                                       {"spool-max-bytes", 1, 0, 15},
                                       {"spool-full", 1, 0, 16},
                                       {"fsync", 1, 0, 17},
                                       {"dead-letter", 1, 0, 18},
                                       {"source", 1, 0, 19},
                                       {"sourcetype", 1, 0, 20},
                                       {"index", 1, 0, 21},
                                       {"field", 1, 0, 22},
                                       {"allow-insecure-http", 0, 0, 23},
                                       {"no-verify", 0, 0, 24},
                                       {"ca-file", 1, 0, 25},
                                       {"sni", 1, 0, 26},
                                       {"drain-timeout-ms", 1, 0, 27},
                                       {"stats", 1, 0, 28},
                                       {0, 0, 0, 0}};
    hec_opts *o = &d->ho;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'u':
            if (o->n_urls == MAX_URLS)
                usage();
            d->urls[o->n_urls++] = optarg;
            break;
        case 'f':
            o->token_file = optarg;
            break;
        case 'e':
            o->token_env = optarg;
            break;
        case 'z':
            o->gzip_level = (int)num(optarg);
            break;
        case 'a':
            o->acks = 1;
            break;
        case 1:
            o->batch_events = num(optarg);
            break;
        case 2:
            o->batch_bytes = num(optarg);
            break;
        case 3:
            o->batch_time_ms = num(optarg);
            break;
        case 4:
            o->ack_timeout_ms = num(optarg);
            break;
        case 5:
            o->ack_poll_ms = num(optarg);
            break;
        case 6:
            o->backoff_initial_ms = num(optarg);
            break;
        case 7:
            o->backoff_max_ms = num(optarg);
            break;
        case 8:
            o->timeout_ms = num(optarg);
            break;
        case 9:
            o->health_interval_ms = num(optarg);
            break;
        case 10:
            o->auth_retry_ms = num(optarg);
            break;
        case 11:
            o->auth_warn_ms = num(optarg);
            break;
        case 12:
            o->max_inflight = (unsigned)num(optarg);
            break;
        case 13:
            o->max_batches = (unsigned)num(optarg);
            break;
        case 14:
            d->so.dir = optarg;
            break;
        case 15:
            d->so.max_bytes = num(optarg);
            break;
        case 16:
            d->so.full = !strcmp(optarg, "drop_oldest")   ? SPOOL_FULL_DROP_OLDEST_SEG
                         : !strcmp(optarg, "drop_newest") ? SPOOL_FULL_DROP_NEW
                                                          : SPOOL_FULL_BLOCK_INPUT;
            break;
        case 17:
            d->so.sync = !strcmp(optarg, "always")  ? SPOOL_SYNC_ALWAYS
                         : !strcmp(optarg, "never") ? SPOOL_SYNC_NEVER
                                                    : SPOOL_SYNC_BATCH;
            break;
        case 18:
            o->dead_letter_path = optarg;
            break;
        case 19:
            d->source = optarg;
            break;
        case 20:
            d->sourcetype = optarg;
            break;
        case 21:
            d->index = optarg;
            break;
        case 22:
            if (d->nf == MAX_FIELDS)
                usage();
            d->fields[d->nf++] = optarg;
            break;
        case 23:
            o->allow_insecure_http = 1;
            break;
        case 24:
            o->tls_verify = 0;
            break;
        case 25:
            o->ca_file = optarg;
            break;
        case 26:
            o->sni = optarg;
            break;
        case 27:
            d->drain_ms = (unsigned)num(optarg);
            break;
        case 28:
            d->stats_path = optarg;
            break;
        default:
            usage();
        }
    }
    if (!o->n_urls || optind != argc)
        usage();
    o->urls = d->urls;
}

#define J(name)                                                                                    \
    fprintf(f, "%s\"%s\":%llu", first ? "" : ",", #name, (unsigned long long)h->name), first = 0
#define JS(name) fprintf(f, ",\"spool_%s\":%llu", #name, (unsigned long long)p->name)

static void write_stats(const char *path, hec *hc, spool *sp, unsigned long long lines)
{
    FILE *f = path ? fopen(path, "w") : stderr;
    if (!f)
        return;
    const hec_stats *h = hec_get_stats(hc);
    const spool_stats *p = spool_get_stats(sp);
    int first = 1;
    fputc('{', f);
    J(events_sent);
    J(events_delivered);
    J(events_resent);
    J(events_dead_letter);
    J(batches_sent);
    J(requests);
    J(bytes_raw);
    J(bytes_wire);
    J(http_2xx);
    J(http_4xx);
    J(http_5xx);
    J(http_429);
    J(http_other);
    J(transport_errors);
    J(retries);
    J(partial_failures);
    J(splits);
    J(auth_failures);
    J(misconfigured);
    J(ack_polls);
    J(ack_poll_errors);
    J(acks_true);
    J(ack_timeouts);
    J(endpoint_down);
    J(endpoint_up);
    J(health_checks);
    J(health_failures);
    J(token_reloads);
    J(batches_held);
    J(events_held);
    J(endpoints_up);
    JS(appended);
    JS(replay_pending);
    JS(read);
    JS(done);
    JS(dropped_oldest);
    JS(dropped_new);
    JS(corrupt_records);
    JS(corrupt_bytes);
    JS(lost_records);
    JS(torn_bytes);
    JS(full_waits);
    JS(fsyncs);
    JS(bytes);
    JS(segments);
    fprintf(f, ",\"lines\":%llu,\"pending\":%llu}\n", lines, (unsigned long long)spool_pending(sp));
    if (path)
        fclose(f);
}

static int append(spool *sp, hec *h, const hec_buf *env)
{
    int rc;
    while ((rc = spool_append(sp, env->p, env->len)) == SPOOL_EFULL) {
        spool_commit(sp);
        hec_kick(h);
        spool_wait_space(sp, 200);
    }
    return rc;
}

int main(int argc, char **argv)
{
    driver d;
    memset(&d, 0, sizeof(d));
    hec_opts_defaults(&d.ho);
    d.ho.log = log_hec;
    d.so.log = log_spool;
    d.drain_ms = 60000;
    d.commit_every = 1000;
    parse_args(&d, argc, argv);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    spool *sp = NULL;
    if (spool_open(&sp, &d.so, err, sizeof(err)) != SPOOL_OK) {
        fprintf(stderr, "hec_driver: %s\n", err);
        return 1;
    }
    d.ho.spool = sp;
    hec *h = NULL;
    if (hec_start(&h, &d.ho, err, sizeof(err)) != HEC_OK) {
        fprintf(stderr, "hec_driver: %s\n", err);
        spool_close(sp);
        return 1;
    }
    hec_buf env = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long long lines = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if (n == 0)
            continue;
        hec_meta m = {0, 0, NULL, 0, d.source, d.sourcetype, d.index};
        meta_from(line, &m);
        if (hec_envelope(&env, &m, line, (size_t)n, (const char *const *)d.fields, d.nf) != 0 ||
            append(sp, h, &env) != SPOOL_OK) {
            fprintf(stderr, "hec_driver: line %llu not taken\n", lines + 1);
            rc = 1;
            continue;
        }
        if (++lines % d.commit_every == 0) {
            spool_commit(sp);
            hec_kick(h);
            /* Tests kill the driver and resend what was not yet durable. */
            printf("committed %llu\n", lines);
            fflush(stdout);
        }
    }
    free(line);
    hec_buf_free(&env);
    spool_commit(sp);
    hec_kick(h);
    printf("committed %llu\n", lines);
    fflush(stdout);
    if (hec_drain(h, d.drain_ms) != HEC_OK) {
        fprintf(stderr, "hec_driver: %llu events not delivered in time\n",
                (unsigned long long)spool_pending(sp));
        rc = 3;
    }
    write_stats(d.stats_path, h, sp, lines);
    hec_stop(h, 500);
    spool_close(sp);
    return rc;
}
