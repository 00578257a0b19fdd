/* The HEC output: wraps each record in an HEC event object, appends it to
 * the spool, and lets the client thread (hec.c) deliver it.
 *
 * flush: with a disk spool, records are durable once committed (and
 * fsynced, per policy), so flush returns as soon as that is done; the client
 * delivers them from disk whatever happens to this process.  Without a disk
 * spool, flush waits for delivery (acknowledgement when acks are on). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "hec.h"
#include "hec_envelope.h"
#include "log.h"
#include "output.h"
#include "preflight.h"
#include "spool.h"

#define COMMIT_EVERY_MS 50
#define MEMORY_SPOOL_MAX (64ull << 20)

typedef struct hec_out {
    spool *sp;
    hec *h;
    hec_buf env;
    int disk;
    const fwd_config *cfg;
    char *dead_path;
    int64_t last_commit;
    unsigned long long records, errors, full_waits, lost;
} hec_out;

static void log_spool(void *ctx, const char *msg)
{
    (void)ctx;
    log_msg(LOG_LV_WARNING, "%s", msg);
}

static void log_hec(void *ctx, hec_level lv, const char *msg)
{
    (void)ctx;
    static const log_level level[] = {LOG_LV_INFO, LOG_LV_WARNING, LOG_LV_ERROR};
    log_msg(level[lv], "%s", msg);
}

static spool_sync map_sync(spool_fsync f)
{
    return f == SPOOL_FSYNC_ALWAYS  ? SPOOL_SYNC_ALWAYS
           : f == SPOOL_FSYNC_NEVER ? SPOOL_SYNC_NEVER
                                    : SPOOL_SYNC_BATCH;
}

static spool_policy map_full(spool_full_policy p)
{
    return p == SPOOL_FULL_DROP_OLDEST   ? SPOOL_FULL_DROP_OLDEST_SEG
           : p == SPOOL_FULL_DROP_NEWEST ? SPOOL_FULL_DROP_NEW
                                         : SPOOL_FULL_BLOCK_INPUT;
}

static void opts_from_config(hec_opts *o, const cfg_hec *c, const char *dead_path)
{
    hec_opts_defaults(o);
    o->urls = (const char *const *)c->endpoints;
    o->n_urls = c->n_endpoints;
    o->token_file = c->token_file;
    o->token_env = c->token_env;
    o->tls_verify = c->tls.verify;
    o->ca_file = c->tls.ca_file;
    o->ca_dir = c->tls.ca_dir;
    o->client_cert = c->tls.client_cert;
    o->client_key = c->tls.client_key;
    o->sni = c->tls.sni;
    o->batch_events = c->batch.events;
    o->batch_bytes = c->batch.bytes;
    o->batch_time_ms = c->batch.time_ms;
    o->gzip_level = (int)c->gzip;
    o->allow_insecure_http = c->allow_insecure_http;
    o->acks = c->acks.enabled;
    o->ack_timeout_ms = c->acks.timeout_ms;
    o->ack_poll_ms = c->acks.poll_interval_ms;
    o->health_interval_ms = c->health_interval_ms;
    o->max_inflight = (unsigned)c->max_in_flight;
    o->backoff_initial_ms = c->retry.initial_backoff_ms;
    o->backoff_max_ms = c->retry.max_backoff_ms;
    o->timeout_ms = c->timeout_ms;
    o->dead_letter_path = dead_path;
    o->log = log_hec;
}

static int open_spool(hec_out *s, const cfg_hec *c, char *err, size_t errlen)
{
    spool_opts so;
    memset(&so, 0, sizeof(so));
    so.dir = c->spool.dir;
    so.max_bytes = c->spool.max_bytes;
    if (!so.dir && so.max_bytes > MEMORY_SPOOL_MAX)
        so.max_bytes = MEMORY_SPOOL_MAX;
    so.sync = map_sync(c->spool.fsync);
    so.full = map_full(c->spool.full_policy);
    so.log = log_spool;
    s->disk = so.dir != NULL;
    return spool_open(&s->sp, &so, err, errlen) == SPOOL_OK ? 0 : -1;
}

static void hec_out_free(hec_out *s)
{
    if (s->h)
        hec_stop(s->h, 1000);
    spool_close(s->sp);
    hec_buf_free(&s->env);
    free(s->dead_path);
    free(s);
}

static int ho_open(output *o, const fwd_config *cfg, char *err, size_t errlen)
{
    const cfg_hec *c = &cfg->hec;
    hec_out *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "hec: out of memory");
        return -1;
    }
    s->cfg = cfg;
    /* Without a path of its own or a spool dir to keep it in, a rejected
     * event is only counted (and logged by the client). */
    if (c->dead_letter)
        s->dead_path = strdup(c->dead_letter);
    else if (c->spool.dir && asprintf(&s->dead_path, "%s/dead-letter.jsonl", c->spool.dir) < 0)
        s->dead_path = NULL;
    if (open_spool(s, c, err, errlen) != 0) {
        hec_out_free(s);
        return -1;
    }
    hec_opts ho;
    opts_from_config(&ho, c, s->dead_path);
    ho.spool = s->sp;
    if (hec_start(&s->h, &ho, err, errlen) != HEC_OK) {
        hec_out_free(s);
        return -1;
    }
    o->state = s;
    return 0;
}

static void commit(hec_out *s)
{
    spool_commit(s->sp);
    hec_kick(s->h);
    s->last_commit = now_ms();
}

/* Block policy: hold the pipeline (and so the inputs) until there is room. */
static int append_blocking(hec_out *s)
{
    int rc;
    while ((rc = spool_append(s->sp, s->env.p, s->env.len)) == SPOOL_EFULL) {
        s->full_waits++;
        commit(s);
        if (spool_wait_space(s->sp, 1000) == SPOOL_ECLOSED)
            return SPOOL_ECLOSED;
    }
    return rc;
}

static int ho_write(output *o, const output_record *r)
{
    hec_out *s = o->state;
    const cfg_hec *c = &s->cfg->hec;
    hec_meta m = {r->time_sec, r->time_usec,  r->host, r->host_len,
                  c->source,   r->sourcetype, c->index};
    if (c->host) {
        m.host = c->host;
        m.host_len = strlen(c->host);
    }
    if (c->sourcetype && r->sourcetype && strcmp(r->sourcetype, SOURCETYPE_EVENT) == 0)
        m.sourcetype = c->sourcetype;
    const char *const *fields = (const char *const *)c->indexed_fields;
    size_t nf = r->event ? c->n_indexed_fields : 0;
    if (hec_envelope(&s->env, &m, r->json, r->len, fields, nf) != 0 ||
        append_blocking(s) != SPOOL_OK) {
        s->errors++;
        return -1;
    }
    s->records++;
    /* Time-based batching needs the client to see records soon, even when
     * the pipeline is too busy to flush. */
    if (now_ms() - s->last_commit >= COMMIT_EVERY_MS)
        commit(s);
    return 0;
}

static int ho_flush(output *o, unsigned timeout_ms)
{
    hec_out *s = o->state;
    int rc;
    /* A full disk: under `block` the pipeline (and so the inputs) waits
     * here until the client has delivered enough for the spool to write
     * again; under the drop policies the records wait in memory and the
     * next append drops by policy, counted. */
    while ((rc = spool_commit(s->sp)) == SPOOL_EFULL &&
           s->cfg->hec.spool.full_policy == SPOOL_FULL_BLOCK) {
        s->full_waits++;
        hec_kick(s->h);
        if (spool_wait_space(s->sp, 1000) == SPOOL_ECLOSED)
            return -1;
    }
    if (rc != SPOOL_OK && rc != SPOOL_EFULL)
        return -1;
    hec_kick(s->h);
    s->last_commit = now_ms();
    if (s->disk)
        return 0;
    return hec_drain(s->h, timeout_ms) == HEC_OK ? 0 : -1;
}

#define EMIT(name, v) emit(arg, name, (unsigned long long)(v))

static void ho_stats(output *o, output_emit_fn emit, void *arg)
{
    hec_out *s = o->state;
    const hec_stats *h = hec_get_stats(s->h);
    const spool_stats *p = spool_get_stats(s->sp);
    EMIT("records", s->records);
    EMIT("errors", s->errors);
    EMIT("spool_full_waits", s->full_waits);
    EMIT("events_sent", h->events_sent);
    EMIT("events_delivered", h->events_delivered);
    EMIT("events_resent", h->events_resent);
    EMIT("events_dead_letter", h->events_dead_letter);
    EMIT("batches_sent", h->batches_sent);
    EMIT("requests", h->requests);
    EMIT("bytes_raw", h->bytes_raw);
    EMIT("bytes_wire", h->bytes_wire);
    EMIT("http_2xx", h->http_2xx);
    EMIT("http_4xx", h->http_4xx);
    EMIT("http_429", h->http_429);
    EMIT("http_5xx", h->http_5xx);
    EMIT("transport_errors", h->transport_errors);
    EMIT("retries", h->retries);
    EMIT("partial_failures", h->partial_failures);
    EMIT("splits", h->splits);
    EMIT("auth_failures", h->auth_failures);
    EMIT("ack_polls", h->ack_polls);
    EMIT("acks", h->acks_true);
    EMIT("ack_timeouts", h->ack_timeouts);
    EMIT("ack_id_missing", h->ack_id_missing);
    EMIT("endpoint_down", h->endpoint_down);
    EMIT("endpoint_up", h->endpoint_up);
    EMIT("endpoints_up", h->endpoints_up);
    EMIT("health_checks", h->health_checks);
    EMIT("health_failures", h->health_failures);
    EMIT("batches_held", h->batches_held);
    EMIT("events_held", h->events_held);
    EMIT("spool_bytes", p->bytes);
    EMIT("spool_segments", p->segments);
    EMIT("spool_replayed", p->replay_pending);
    EMIT("spool_dropped_oldest", p->dropped_oldest);
    EMIT("spool_dropped_new", p->dropped_new);
    EMIT("spool_corrupt_records", p->corrupt_records);
    EMIT("spool_lost_records", p->lost_records);
    EMIT("spool_torn_bytes", p->torn_bytes);
    EMIT("spool_fsyncs", p->fsyncs);
    EMIT("spool_write_errors", p->write_errors);
    EMIT("lost_at_exit", s->lost);
}

static int ho_reopen(output *o)
{
    hec_out *s = o->state;
    hec_reload_token(s->h);
    return 0;
}

typedef struct sumbuf {
    char p[2048];
    size_t len;
} sumbuf;

static void sum_emit(void *arg, const char *name, unsigned long long v)
{
    sumbuf *b = arg;
    /* Only what happened: a run without faults gives a short line. */
    if (!v || b->len >= sizeof(b->p))
        return;
    int n = snprintf(b->p + b->len, sizeof(b->p) - b->len, " %s=%llu", name, v);
    if (n > 0)
        b->len += (size_t)n;
}

static void ho_close(output *o)
{
    hec_out *s = o->state;
    if (!s)
        return;
    spool_commit(s->sp);
    hec_kick(s->h);
    /* What is not delivered by then stays in the disk spool for the next
     * start (without one, it is lost and the drain timeout says so). */
    if (hec_drain(s->h, (unsigned)s->cfg->shutdown_deadline_ms) != HEC_OK) {
        spool_commit(s->sp); /* a last try for what the disk refused */
        unsigned long long pending = spool_pending(s->sp), lost = spool_unwritten(s->sp);
        if (!s->disk)
            lost = pending;
        fprintf(stderr,
                "ipv6probe-forward: hec: %llu events not yet delivered at exit; %llu stay in "
                "the spool, %llu are lost%s\n",
                pending, pending - lost, lost,
                lost && s->disk ? " (the spool's disk refused them)" : "");
        s->lost = lost;
    }
    /* The counters as they stand at exit: the last stats event may be a
     * minute old, and what was resent or replayed matters after a crash. */
    sumbuf b;
    b.len = 0;
    b.p[0] = 0;
    ho_stats(o, sum_emit, &b);
    fprintf(stderr, "ipv6probe-forward: hec at exit:%s\n", b.p);
    spool_wake_all(s->sp);
    hec_out_free(s);
    o->state = NULL;
}

static const output_ops ops = {"hec", ho_open, ho_write, ho_flush, ho_stats, ho_reopen, ho_close};

const output_ops *output_hec_ops(void)
{
    return &ops;
}

static void probe_report(void *ctx, int good, const char *msg)
{
    fprintf(ctx, "  %s: hec %s\n", good ? "ok" : "error", msg);
}

int output_hec_check(const cfg_hec *c, FILE *out)
{
    hec_opts o;
    char err[512];
    opts_from_config(&o, c, NULL);
    int failed = hec_probe(&o, probe_report, out, err, sizeof(err));
    if (failed < 0)
        fprintf(out, "  error: hec: %s\n", err);
    return failed;
}
