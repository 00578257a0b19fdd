#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "checkpoint.h"
#include "ipv6probe/ipv6probe.h"
#include "output.h"
#include "privs.h"
#include "tagging.h"

#define MAX_OUTPUTS 4
#define MAX_OUT_STATS 96
#define FLUSH_EVERY_MS 100
#define UNPARSED_STDERR_LIMIT 5

typedef struct out_stat {
    const char *output, *name;
    unsigned long long value;
} out_stat;

typedef struct pending_ckpt {
    uint64_t dev, ino;
    int64_t offset;
    int set;
} pending_ckpt;

struct pipeline {
    runtime *rt;
    pthread_t thread;
    int started;
    v6p_parser *parser;
    tagging *tags;
    v6p_json_writer *json;
    output out[MAX_OUTPUTS];
    size_t n_out;
    FILE *dead_letter;
    unsigned stderr_reports;
    pending_ckpt *pending;
    unsigned long long replaced_seen; /* v6p_json_writer_replaced, last read */
    char *raw;                        /* buffer for unparsed records */
    size_t raw_cap;
    int64_t last_flush;
    unsigned long long unflushed;

    /* Handed over from the main thread on SIGHUP. */
    pthread_mutex_t lock;
    v6p_parser *next_parser;
    tagging_tables *next_tables;
    atomic_int reload_pending;
    atomic_int done, failed;
    out_stat ostats[MAX_OUT_STATS];
    size_t n_ostats;
};

static int64_t host_boot_time(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char line[256];
    long long bt = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

v6p_parser *pipeline_build_parser(const fwd_config *cfg, char *err, size_t errlen)
{
    v6p_parser_options o;
    v6p_parser_options_init(&o, sizeof(o));
    o.local_utc_offset = (int32_t)cfg->utc_offset;
    o.boot_time = cfg->boot_time ? cfg->boot_time : host_boot_time();
    o.no_default_patterns = !cfg->default_patterns;
    v6p_error e;
    memset(&e, 0, sizeof(e));
    v6p_parser *p = v6p_parser_new(&o, &e);
    if (!p) {
        snprintf(err, errlen, "%s", e.message[0] ? e.message : "out of memory");
        return NULL;
    }
    /* Added in the file's order, so the first that matches decides. */
    for (size_t i = 0; i < cfg->n_patterns; i++) {
        const cfg_pattern *pt = &cfg->patterns[i];
        if (v6p_parser_add_pattern(p, pt->kind, pt->match, pt->value, &e) != 0) {
            snprintf(err, errlen, "%s:%d:%d: pattern \"%s\": %s", cfg->path ? cfg->path : "config",
                     pt->line, pt->column, pt->match, e.message);
            v6p_parser_free(p);
            return NULL;
        }
    }
    return p;
}

/* ---- outputs ------------------------------------------------------------ */

static int open_output(pipeline *pl, const output_ops *ops, char *err, size_t errlen)
{
    output *o = &pl->out[pl->n_out];
    o->ops = ops;
    o->state = NULL;
    char why[CFG_ERR_MAX];
    if (ops->open(o, pl->rt->cfg, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "output %s: %s", ops->name, why);
        return -1;
    }
    pl->n_out++;
    return 0;
}

static int open_outputs(pipeline *pl, char *err, size_t errlen)
{
    const fwd_config *c = pl->rt->cfg;
    if (c->out_stdout && open_output(pl, &output_stdout_ops, err, errlen))
        return -1;
    if (c->out_file && open_output(pl, &output_file_ops, err, errlen))
        return -1;
    if (c->hec.enabled) {
        const output_ops *hec = output_lookup("hec");
        if (!hec) {
            snprintf(err, errlen, "outputs: hec is configured but this build has no HEC output");
            return -1;
        }
        if (open_output(pl, hec, err, errlen))
            return -1;
    }
    return 0;
}

static void write_all(pipeline *pl, const output_record *r)
{
    for (size_t i = 0; i < pl->n_out; i++)
        if (pl->out[i].ops->write_event(&pl->out[i], r) != 0)
            counter_add(&pl->rt->ps.output_errors, 1);
    pl->unflushed++;
}

static void snapshot_emit(void *arg, const char *name, unsigned long long v)
{
    void **a = arg;
    pipeline *pl = a[0];
    if (pl->n_ostats < MAX_OUT_STATS)
        pl->ostats[pl->n_ostats++] = (out_stat){a[1], name, v};
}

static void snapshot_output_stats(pipeline *pl)
{
    pthread_mutex_lock(&pl->lock);
    pl->n_ostats = 0;
    for (size_t i = 0; i < pl->n_out; i++) {
        void *a[2] = {pl, (void *)pl->out[i].ops->name};
        if (pl->out[i].ops->stats)
            pl->out[i].ops->stats(&pl->out[i], snapshot_emit, a);
    }
    void *a[2] = {pl, "taggers"};
    tagging_stats(pl->tags, snapshot_emit, a);
    pthread_mutex_unlock(&pl->lock);
}

/* Flush the outputs and, when they took everything, let the checkpoints
 * advance to what was read.  While running, flushes do not wait (timeout
 * 0): an output that has not delivered yet only holds the checkpoints back
 * until a later flush finds it done.  The last flush waits up to the
 * shutdown deadline, and what it cannot deliver is an output error. */
static void flush_all(pipeline *pl, unsigned timeout_ms, int final)
{
    int ok = 1;
    for (size_t i = 0; i < pl->n_out; i++)
        if (pl->out[i].ops->flush(&pl->out[i], timeout_ms) != 0) {
            ok = 0;
            if (final) {
                counter_add(&pl->rt->ps.output_errors, 1);
                atomic_store(&pl->failed, 1);
            }
        }
    if (pl->dead_letter)
        fflush(pl->dead_letter);
    pl->last_flush = now_ms();
    pl->unflushed = 0;
    snapshot_output_stats(pl);
    if (!ok)
        return;
    runtime *rt = pl->rt;
    for (size_t i = 0; i < rt->n_inputs; i++) {
        pending_ckpt *p = &pl->pending[i];
        if (p->set && rt->inputs[i].ckpt)
            checkpoints_commit(rt->ckpt, rt->inputs[i].ckpt, p->dev, p->ino, p->offset);
        p->set = 0;
    }
}

/* ---- records ------------------------------------------------------------ */

static int raw_reserve(pipeline *pl, size_t need)
{
    if (need <= pl->raw_cap)
        return 0;
    size_t n = pl->raw_cap ? pl->raw_cap : 4096;
    while (n < need)
        n *= 2;
    char *r = realloc(pl->raw, n);
    if (!r)
        return -1;
    pl->raw = r;
    pl->raw_cap = n;
    return 0;
}

/* {"schema":1,"unparsed":"...","status":"...","reason":"...","offset":N}
 * Bytes outside printable ASCII are escaped one by one (\u00XX = byte XX) so
 * that the raw line can be rebuilt exactly. */
static void write_unparsed_raw(pipeline *pl, const char *line, size_t len, const v6p_result *res,
                               int64_t when)
{
    static const char hex[] = "0123456789abcdef";
    if (raw_reserve(pl, len * 6 + 256) != 0) {
        counter_add(&pl->rt->ps.output_errors, 1);
        return;
    }
    char *o = pl->raw;
    o += sprintf(o, "{\"schema\":1,\"unparsed\":\"");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    o += sprintf(o, "\",\"status\":\"%s\",\"reason\":\"%s\",\"offset\":%u}",
                 v6p_status_name(res->status), v6p_reason_text(res->reason), res->offset);
    output_record r = {pl->raw, (size_t)(o - pl->raw), when, 0, NULL, 0, SOURCETYPE_UNPARSED, NULL};
    write_all(pl, &r);
}

static void unparsed(pipeline *pl, const batch *b, unsigned long long no, const char *line,
                     size_t len, const v6p_result *res)
{
    const fwd_config *c = pl->rt->cfg;
    switch (c->unparsed) {
    case UNPARSED_DROP:
        return;
    case UNPARSED_STDERR:
        if (res->status == V6P_MALFORMED && pl->stderr_reports < UNPARSED_STDERR_LIMIT) {
            pl->stderr_reports++;
            log_msg(LOG_LV_WARNING, "%s:%llu: byte %u: malformed: %s", b->src ? b->src->name : "-",
                    no, res->offset, v6p_reason_text(res->reason));
        }
        return;
    case UNPARSED_RAW:
        write_unparsed_raw(pl, line, len, res, b->fallback_sec);
        break;
    case UNPARSED_FILE:
        if (pl->dead_letter) {
            fwrite_unlocked(line, 1, len, pl->dead_letter);
            putc_unlocked('\n', pl->dead_letter);
        }
        break;
    }
    counter_add(&pl->rt->ps.unparsed_written, 1);
}

static void process_lines(pipeline *pl, batch *b)
{
    runtime *rt = pl->rt;
    unsigned long long n = 0, events = 0, notfw = 0, bad = 0, v4 = 0;
    uint32_t tag_seen = 0;
    unsigned long long tag_n[STATS_TAG_SLOTS];
    memset(tag_n, 0, sizeof(tag_n));
    size_t pos = 0;
    const char *line;
    size_t len;
    unsigned flags;
    v6p_event ev;
    v6p_result res;
    while (batch_next(b, &pos, &line, &len, &flags)) {
        n++;
        v6p_status st = v6p_parse(pl->parser, line, len, b->fallback_sec, 0, &ev, &res);
        if (st != V6P_OK) {
            if (st == V6P_MALFORMED)
                bad++;
            else
                notfw++;
            unparsed(pl, b, b->first_no + n - 1, line, len, &res);
            continue;
        }
        tagging_apply(pl->tags, &ev);
        const char *js;
        size_t jn;
        if (v6p_json_write_event(pl->json, &ev, &js, &jn) != 0) {
            counter_add(&rt->ps.output_errors, 1);
            continue;
        }
        output_record r = {js,         jn,         ev.time_sec,      ev.time_usec,
                           ev.dvc.ptr, ev.dvc.len, SOURCETYPE_EVENT, &ev};
        write_all(pl, &r);
        events++;
        v4 += ev.protocol_version == 4;
        if (ev.tags) {
            tag_seen |= ev.tags;
            for (uint32_t t = ev.tags; t; t &= t - 1)
                tag_n[__builtin_ctz(t)]++;
        }
    }
    counter_add(&rt->ps.lines, n);
    counter_add(&rt->ps.events, events);
    counter_add(&rt->ps.not_firewall, notfw);
    counter_add(&rt->ps.malformed, bad);
    counter_add(&rt->ps.ipv4, v4);
    /* The writer counts in all; the counter takes what this batch added. */
    unsigned long long rep = v6p_json_writer_replaced(pl->json);
    counter_add(&rt->ps.invalid_utf8, rep - pl->replaced_seen);
    pl->replaced_seen = rep;
    for (uint32_t t = tag_seen; t; t &= t - 1)
        counter_add(&rt->ps.tagged[__builtin_ctz(t)], tag_n[__builtin_ctz(t)]);
    if (b->src && b->end_offset >= 0) {
        pending_ckpt *p = &pl->pending[b->src - rt->inputs];
        *p = (pending_ckpt){b->dev, b->ino, b->end_offset, 1};
    }
}

static void side_record(void *arg, const char *sourcetype, const char *json, size_t len,
                        int64_t time_sec)
{
    output_record r = {json, len, time_sec, 0, NULL, 0, sourcetype, NULL};
    write_all(arg, &r);
}

static void process_stats(pipeline *pl, batch *b)
{
    size_t pos = 0, len;
    const char *line;
    unsigned flags;
    if (batch_next(b, &pos, &line, &len, &flags)) {
        output_record r = {line, len, b->fallback_sec, 0, NULL, 0, SOURCETYPE_STATS, NULL};
        write_all(pl, &r);
    }
}

static void reopen_files(pipeline *pl)
{
    for (size_t i = 0; i < pl->n_out; i++)
        if (pl->out[i].ops->reopen && pl->out[i].ops->reopen(&pl->out[i]) != 0)
            log_msg(LOG_LV_ERROR, "output %s: reopen failed: %s", pl->out[i].ops->name,
                    strerror(errno));
    const char *dl = pl->rt->cfg->unparsed_file;
    if (pl->dead_letter && dl) {
        FILE *f = fopen_private_append(dl);
        if (f) {
            fclose(pl->dead_letter);
            pl->dead_letter = f;
        }
    }
}

static void take_reload(pipeline *pl)
{
    pthread_mutex_lock(&pl->lock);
    v6p_parser *np = pl->next_parser;
    tagging_tables *nt = pl->next_tables;
    pl->next_parser = NULL;
    pl->next_tables = NULL;
    atomic_store(&pl->reload_pending, 0);
    pthread_mutex_unlock(&pl->lock);
    flush_all(pl, 0, 0);
    if (np) {
        v6p_parser_free(pl->parser);
        pl->parser = np;
    }
    if (nt)
        tagging_adopt(pl->tags, nt);
    reopen_files(pl);
    if (np || nt) {
        counter_add(&pl->rt->ps.reloads, 1);
        /* From here on the new patterns and tables apply. */
        log_msg(LOG_LV_INFO, "configuration reloaded (patterns, tables, prefixes; inputs and "
                             "outputs change only on restart)");
    }
}

static void *worker_main(void *arg)
{
    pipeline *pl = arg;
    runtime *rt = pl->rt;
    pl->last_flush = now_ms();
    for (;;) {
        if (atomic_load_explicit(&pl->reload_pending, memory_order_relaxed))
            take_reload(pl);
        int done;
        batch *b = queue_pop(&rt->q, FLUSH_EVERY_MS, &done);
        if (b) {
            if (b->kind == BATCH_STATS)
                process_stats(pl, b);
            else
                process_lines(pl, b);
            queue_put_batch(&rt->q, b);
            tagging_drain(pl->tags, side_record, pl);
        }
        /* Flush when the queue runs dry (a live stream: show lines now) or
         * at least every FLUSH_EVERY_MS under load (bounded latency). */
        if (pl->unflushed || !b) {
            int64_t t = now_ms();
            if (t - pl->last_flush >= FLUSH_EVERY_MS || queue_depth(&rt->q) == 0)
                flush_all(pl, 0, 0);
        }
        if (done)
            break;
    }
    /* End of input: ladders still open are reported as they stand. */
    tagging_finish(pl->tags);
    tagging_drain(pl->tags, side_record, pl);
    flush_all(pl, (unsigned)rt->cfg->shutdown_deadline_ms, 1);
    atomic_store(&pl->done, 1);
    /* Wake the main thread, which waits for signals. */
    pthread_kill(rt->main_thread, SIGUSR2);
    return NULL;
}

/* ---- public ------------------------------------------------------------- */

pipeline *pipeline_new(runtime *rt, char *err, size_t errlen)
{
    pipeline *pl = calloc(1, sizeof(*pl));
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pl->rt = rt;
    pthread_mutex_init(&pl->lock, NULL);
    pl->pending = calloc(rt->n_inputs + 1, sizeof(*pl->pending));
    pl->json = v6p_json_writer_new();
    if (!pl->pending || !pl->json) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!(pl->parser = pipeline_build_parser(rt->cfg, err, errlen)))
        goto fail;
    if (!(pl->tags = tagging_init(rt->cfg, err, errlen)))
        goto fail;
    if (rt->cfg->unparsed == UNPARSED_FILE) {
        pl->dead_letter = fopen_private_append(rt->cfg->unparsed_file);
        if (!pl->dead_letter) {
            snprintf(err, errlen, "%s: %s", rt->cfg->unparsed_file, strerror(errno));
            goto fail;
        }
    }
    if (open_outputs(pl, err, errlen))
        goto fail;
    return pl;
fail:
    pipeline_free(pl);
    return NULL;
}

int pipeline_start(pipeline *pl)
{
    if (pthread_create(&pl->thread, NULL, worker_main, pl) != 0)
        return -1;
    pl->started = 1;
    return 0;
}

int pipeline_reload(pipeline *pl, const fwd_config *next, char *err, size_t errlen)
{
    v6p_parser *np = pipeline_build_parser(next, err, errlen);
    if (!np)
        return -1;
    tagging_tables *nt = tagging_load_tables(next, err, errlen);
    if (!nt) {
        v6p_parser_free(np);
        return -1;
    }
    pthread_mutex_lock(&pl->lock);
    /* A reload not yet taken is replaced by the newer one. */
    if (pl->next_parser)
        v6p_parser_free(pl->next_parser);
    tagging_tables_free(pl->next_tables);
    pl->next_parser = np;
    pl->next_tables = nt;
    atomic_store(&pl->reload_pending, 1);
    pthread_mutex_unlock(&pl->lock);
    return 0;
}

int pipeline_done(pipeline *pl)
{
    return atomic_load(&pl->done);
}

void pipeline_join(pipeline *pl)
{
    if (pl->started) {
        pthread_join(pl->thread, NULL);
        pl->started = 0;
    }
}

void pipeline_output_stats(pipeline *pl,
                           void (*emit)(void *arg, const char *output, const char *name,
                                        unsigned long long v),
                           void *arg)
{
    pthread_mutex_lock(&pl->lock);
    for (size_t i = 0; i < pl->n_ostats; i++)
        emit(arg, pl->ostats[i].output, pl->ostats[i].name, pl->ostats[i].value);
    pthread_mutex_unlock(&pl->lock);
}

int pipeline_failed(pipeline *pl)
{
    return atomic_load(&pl->failed);
}

void pipeline_free(pipeline *pl)
{
    if (!pl)
        return;
    for (size_t i = 0; i < pl->n_out; i++)
        pl->out[i].ops->close(&pl->out[i]);
    if (pl->dead_letter)
        fclose(pl->dead_letter);
    v6p_parser_free(pl->parser);
    v6p_parser_free(pl->next_parser);
    tagging_free(pl->tags);
    tagging_tables_free(pl->next_tables);
    v6p_json_writer_free(pl->json);
    free(pl->pending);
    free(pl->raw);
    pthread_mutex_destroy(&pl->lock);
    free(pl);
}
