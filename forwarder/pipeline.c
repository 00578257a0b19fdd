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

/* Events are tagged TAG_BATCH at a time (v6p_chain_apply_batch: each
 * tagger over the whole batch keeps its code and tables in cache; see
 * tests/bench/bench_chain.c). */
#define TAG_BATCH 64

/* A batch taken off the queue is a job that goes through four stages:
 *   PARSE   any worker, with its own parser: lines to events;
 *   TAG     one worker at a time, in the order the batches were taken, on
 *           the one chain: the trackers see the events in input order, so
 *           the tags, ids and side records are those of a single thread;
 *           the side records the batch made are kept with it;
 *   ENCODE  any worker, with its own JSON writer: every record's text;
 *   WRITE   one worker at a time, in order: the outputs, the counters, the
 *           checkpoints, the flush.
 * A worker takes the most advanced work there is (write, tag, encode, then
 * a new batch), so a batch never waits behind newer ones, and at most
 * 2 x workers + 1 batches are in flight. */
enum job_state {
    JOB_FREE,
    JOB_PARSING,
    JOB_PARSED,
    JOB_TAGGING,
    JOB_TAGGED,
    JOB_ENCODING,
    JOB_ENCODED,
    JOB_WRITING
};

/* What a line became: evs[ev] (ev >= 0), or one of these. */
enum { REC_UNPARSED = -1, REC_LOST = -2 };
#define NO_TEXT SIZE_MAX

typedef struct job_rec {
    const char *line;
    uint32_t len;
    int32_t ev;
    v6p_result res;   /* of an unparsed line */
    size_t off, tlen; /* its record in job.text (tlen NO_TEXT: none) */
} job_rec;

typedef struct side_rec {
    const char *sourcetype;
    size_t off, len;
    int64_t time_sec;
} side_rec;

typedef struct kept_str {
    size_t ev, off;
} kept_str;

typedef struct job {
    batch *b;
    enum job_state state;
    job_rec *recs;
    size_t n_recs, cap_recs;
    v6p_event *evs;
    v6p_event **ev_ptrs;
    size_t n_evs, cap_evs;
    char *text; /* the records' JSON, side records first */
    size_t text_len, text_cap;
    side_rec *side;
    size_t n_side, cap_side;
    char *strs; /* tagger strings that outlive the chain's next batch */
    size_t strs_len, strs_cap;
    kept_str *kept;
    size_t n_kept, cap_kept;
    unsigned long long not_firewall, malformed, replaced, errors;
    tagging_snap snap; /* the trackers' counters after this batch */
} job;

/* Per worker thread: what serves one thread at a time. */
typedef struct worker {
    struct pipeline *pl;
    pthread_t thread;
    int started;
    v6p_parser *parser;
    v6p_json_writer *json;
    v6p_json_builder *raw; /* unparsed records */
} worker;

struct pipeline {
    runtime *rt;
    worker *w;
    size_t n_workers;
    tagging *tags;
    output out[MAX_OUTPUTS];
    size_t n_out;
    FILE *dead_letter;

    /* The writer's (WRITE, flushes, reloads: one worker at a time). */
    unsigned stderr_reports;
    pending_ckpt *pending;
    int64_t last_flush;
    unsigned long long unflushed;
    tagging_snap tag_snap;

    /* The stages, under the queue's lock.  Job seq is jobs[seq % n_jobs]. */
    job *jobs;
    size_t n_jobs;
    unsigned long long next_seq, tag_seq, write_seq;
    int writing;   /* a worker holds the writer's part */
    int reloading; /* a reload is being taken: no batch is taken */
    int finished;

    /* Handed over from the main thread on SIGHUP. */
    pthread_mutex_t lock;
    v6p_parser **next_parsers; /* one per worker */
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
    tagging_stats(&pl->tag_snap, snapshot_emit, a);
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

/* ---- job buffers -------------------------------------------------------- */

/* Room for `need` elements of `size` bytes in *p (capacity *cap, doubled);
 * -1 when memory is out, *p unchanged. */
static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Append text to the job's record text; its offset, or NO_TEXT. */
static size_t keep_text(job *j, const char *s, size_t n)
{
    if (reserve((void **)&j->text, &j->text_cap, j->text_len + n, 1) != 0)
        return NO_TEXT;
    size_t off = j->text_len;
    memcpy(j->text + off, s, n);
    j->text_len += n;
    return off;
}

static void job_free(job *j)
{
    free(j->recs);
    free(j->evs);
    free(j->ev_ptrs);
    free(j->text);
    free(j->side);
    free(j->strs);
    free(j->kept);
}

/* ---- PARSE -------------------------------------------------------------- */

/* One more event slot (evs and ev_ptrs grow together); -1 without memory. */
static int room_for_event(job *j)
{
    if (j->n_evs < j->cap_evs)
        return 0;
    size_t cap = j->cap_evs;
    if (reserve((void **)&j->evs, &cap, j->n_evs + 1, sizeof(*j->evs)) != 0)
        return -1;
    size_t pcap = j->cap_evs;
    if (reserve((void **)&j->ev_ptrs, &pcap, cap, sizeof(*j->ev_ptrs)) != 0)
        return -1;
    j->cap_evs = cap < pcap ? cap : pcap;
    return 0;
}

static void parse_job(worker *w, job *j)
{
    batch *b = j->b;
    j->n_recs = j->n_evs = 0;
    j->not_firewall = j->malformed = j->errors = 0;
    if (reserve((void **)&j->recs, &j->cap_recs, b->n_records, sizeof(*j->recs)) != 0) {
        /* Nothing can be kept of this batch: its lines are lost. */
        j->errors = b->n_records;
        return;
    }
    size_t pos = 0, len;
    const char *line;
    unsigned flags;
    while (j->n_recs < b->n_records && batch_next(b, &pos, &line, &len, &flags)) {
        job_rec *r = &j->recs[j->n_recs++];
        r->line = line;
        r->len = (uint32_t)len;
        r->tlen = NO_TEXT;
        if (room_for_event(j) != 0) {
            r->ev = REC_LOST;
            continue;
        }
        v6p_status st =
            v6p_parse(w->parser, line, len, b->fallback_sec, 0, &j->evs[j->n_evs], &r->res);
        if (st == V6P_OK) {
            /* Address analysis needs no state: done here, in parallel, it
             * leaves the serial tagging stage (v6p_pe_tag skips it). */
            v6p_addr_tag(&j->evs[j->n_evs]);
            r->ev = (int32_t)j->n_evs++;
            continue;
        }
        r->ev = REC_UNPARSED;
        if (st == V6P_MALFORMED)
            j->malformed++;
        else
            j->not_firewall++;
    }
    /* The array may have moved while it grew. */
    for (size_t i = 0; i < j->n_evs; i++)
        j->ev_ptrs[i] = &j->evs[i];
}

/* ---- TAG ---------------------------------------------------------------- */

/* The chain's strings stay valid only until its next batch (the AS
 * organisation comes from a ring of recent lookups), and this batch is
 * encoded while later ones are tagged: copy them into the job.  The other
 * strings (organisation, category) belong to the classification, which a
 * reload replaces only once no batch is in flight. */
static void keep_strings(job *j, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++) {
        v6p_event *ev = &j->evs[i];
        if (!v6p_event_has(ev, V6P_F_SRC_AS_ORG) || !ev->src_as_org)
            continue;
        size_t len = strlen(ev->src_as_org) + 1;
        if (reserve((void **)&j->kept, &j->cap_kept, j->n_kept + 1, sizeof(*j->kept)) != 0 ||
            reserve((void **)&j->strs, &j->strs_cap, j->strs_len + len, 1) != 0) {
            ev->src_as_org = NULL;
            ev->present[V6P_F_SRC_AS_ORG / 64] &= ~((uint64_t)1 << (V6P_F_SRC_AS_ORG % 64));
            continue;
        }
        memcpy(j->strs + j->strs_len, ev->src_as_org, len);
        j->kept[j->n_kept++] = (kept_str){i, j->strs_len};
        j->strs_len += len;
    }
}

static void keep_side(void *arg, const char *sourcetype, const char *json, size_t len,
                      int64_t time_sec)
{
    job *j = arg;
    size_t off = keep_text(j, json, len);
    if (off == NO_TEXT ||
        reserve((void **)&j->side, &j->cap_side, j->n_side + 1, sizeof(*j->side)) != 0) {
        j->errors++;
        return;
    }
    j->side[j->n_side++] = (side_rec){sourcetype, off, len, time_sec};
}

static void tag_job(pipeline *pl, job *j)
{
    j->text_len = j->n_side = j->strs_len = j->n_kept = 0;
    if (j->b->kind == BATCH_STATS)
        return;
    for (size_t i = 0; i < j->n_evs; i += TAG_BATCH) {
        size_t k = j->n_evs - i < TAG_BATCH ? j->n_evs - i : TAG_BATCH;
        tagging_apply_batch(pl->tags, j->ev_ptrs + i, k);
        keep_strings(j, i, k);
    }
    for (size_t i = 0; i < j->n_kept; i++)
        j->evs[j->kept[i].ev].src_as_org = j->strs + j->kept[i].off;
    /* Written after the batch's events, as they were made. */
    tagging_drain(pl->tags, keep_side, j);
    tagging_snapshot(pl->tags, &j->snap);
}

/* ---- ENCODE ------------------------------------------------------------- */

/* {"schema":1,"unparsed":"...","status":"...","reason":"...","offset":N}
 * The line is written byte for byte (v6p_json_bytes: \u00XX = byte XX) so
 * that the raw line can be rebuilt exactly. */
static void encode_unparsed(worker *w, job *j, job_rec *r)
{
    v6p_json_builder *jb = w->raw;
    v6p_json_builder_reset(jb);
    v6p_json_object_begin(jb, NULL);
    v6p_json_uint(jb, "schema", 1);
    v6p_json_bytes(jb, "unparsed", r->line, r->len);
    v6p_json_cstring(jb, "status", v6p_status_name(r->res.status));
    v6p_json_cstring(jb, "reason", v6p_reason_text(r->res.reason));
    v6p_json_uint(jb, "offset", r->res.offset);
    v6p_json_object_end(jb);
    const char *text;
    size_t n;
    if (v6p_json_builder_finish(jb, &text, &n, NULL) == 0 &&
        (r->off = keep_text(j, text, n)) != NO_TEXT)
        r->tlen = n;
}

static void encode_job(pipeline *pl, worker *w, job *j)
{
    if (j->b->kind == BATCH_STATS)
        return;
    int raw = pl->rt->cfg->unparsed == UNPARSED_RAW;
    unsigned long long rep = v6p_json_writer_replaced(w->json);
    for (size_t i = 0; i < j->n_recs; i++) {
        job_rec *r = &j->recs[i];
        if (r->ev >= 0) {
            const char *js;
            size_t jn;
            if (v6p_json_write_event(w->json, &j->evs[r->ev], &js, &jn) == 0 &&
                (r->off = keep_text(j, js, jn)) != NO_TEXT)
                r->tlen = jn;
        } else if (r->ev == REC_UNPARSED && raw) {
            encode_unparsed(w, j, r);
        }
    }
    /* The writer counts in all; the counter takes what this batch added. */
    j->replaced = v6p_json_writer_replaced(w->json) - rep;
}

/* ---- WRITE -------------------------------------------------------------- */

static void unparsed(pipeline *pl, const job *j, unsigned long long no, const job_rec *r)
{
    const fwd_config *c = pl->rt->cfg;
    const batch *b = j->b;
    switch (c->unparsed) {
    case UNPARSED_DROP:
        return;
    case UNPARSED_STDERR:
        if (r->res.status == V6P_MALFORMED && pl->stderr_reports < UNPARSED_STDERR_LIMIT) {
            pl->stderr_reports++;
            log_msg(LOG_LV_WARNING, "%s:%llu: byte %u: malformed: %s", b->src ? b->src->name : "-",
                    no, r->res.offset, v6p_reason_text(r->res.reason));
        }
        return;
    case UNPARSED_RAW:
        if (r->tlen == NO_TEXT) {
            counter_add(&pl->rt->ps.output_errors, 1);
        } else {
            output_record o = {j->text + r->off,    r->tlen, b->fallback_sec, 0, NULL, 0,
                               SOURCETYPE_UNPARSED, NULL};
            write_all(pl, &o);
        }
        break;
    case UNPARSED_FILE:
        if (pl->dead_letter) {
            fwrite_unlocked(r->line, 1, r->len, pl->dead_letter);
            putc_unlocked('\n', pl->dead_letter);
        }
        break;
    }
    counter_add(&pl->rt->ps.unparsed_written, 1);
}

typedef struct tally {
    unsigned long long events, v4, lost;
    uint32_t tag_seen;
    unsigned long long tag_n[STATS_TAG_SLOTS];
} tally;

static void write_stats(pipeline *pl, batch *b)
{
    size_t pos = 0, len;
    const char *line;
    unsigned flags;
    if (batch_next(b, &pos, &line, &len, &flags)) {
        output_record r = {line, len, b->fallback_sec, 0, NULL, 0, SOURCETYPE_STATS, NULL};
        write_all(pl, &r);
    }
}

static void write_job(pipeline *pl, job *j)
{
    runtime *rt = pl->rt;
    batch *b = j->b;
    if (b->kind == BATCH_STATS) {
        write_stats(pl, b);
        return;
    }
    tally ta;
    memset(&ta, 0, sizeof(ta));
    for (size_t i = 0; i < j->n_recs; i++) {
        const job_rec *r = &j->recs[i];
        if (r->ev == REC_UNPARSED) {
            unparsed(pl, j, b->first_no + i, r);
            continue;
        }
        if (r->ev < 0 || r->tlen == NO_TEXT) {
            ta.lost++;
            continue;
        }
        const v6p_event *ev = &j->evs[r->ev];
        output_record o = {j->text + r->off, r->tlen,     ev->time_sec,     ev->time_usec,
                           ev->dvc.ptr,      ev->dvc.len, SOURCETYPE_EVENT, ev};
        write_all(pl, &o);
        ta.events++;
        ta.v4 += ev->protocol_version == 4;
        if (ev->tags) {
            ta.tag_seen |= ev->tags;
            for (uint32_t t = ev->tags; t; t &= t - 1)
                ta.tag_n[__builtin_ctz(t)]++;
        }
    }
    for (size_t i = 0; i < j->n_side; i++) {
        const side_rec *s = &j->side[i];
        output_record o = {j->text + s->off, s->len, s->time_sec, 0, NULL, 0, s->sourcetype, NULL};
        write_all(pl, &o);
    }
    counter_add(&rt->ps.lines, b->n_records);
    counter_add(&rt->ps.events, ta.events);
    counter_add(&rt->ps.not_firewall, j->not_firewall);
    counter_add(&rt->ps.malformed, j->malformed);
    counter_add(&rt->ps.ipv4, ta.v4);
    counter_add(&rt->ps.invalid_utf8, j->replaced);
    if (ta.lost + j->errors)
        counter_add(&rt->ps.output_errors, ta.lost + j->errors);
    for (uint32_t t = ta.tag_seen; t; t &= t - 1)
        counter_add(&rt->ps.tagged[__builtin_ctz(t)], ta.tag_n[__builtin_ctz(t)]);
    pl->tag_snap = j->snap;
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

/* With no batch in flight and the other workers kept out (reloading):
 * every worker's parser and the tables change at once. */
static void take_reload(pipeline *pl)
{
    pthread_mutex_lock(&pl->lock);
    int have_parsers = pl->next_parsers[0] != NULL;
    for (size_t i = 0; have_parsers && i < pl->n_workers; i++) {
        v6p_parser_free(pl->w[i].parser);
        pl->w[i].parser = pl->next_parsers[i];
        pl->next_parsers[i] = NULL;
    }
    tagging_tables *nt = pl->next_tables;
    pl->next_tables = NULL;
    atomic_store(&pl->reload_pending, 0);
    pthread_mutex_unlock(&pl->lock);
    flush_all(pl, 0, 0);
    if (nt)
        tagging_adopt(pl->tags, nt);
    reopen_files(pl);
    if (have_parsers || nt) {
        counter_add(&pl->rt->ps.reloads, 1);
        /* From here on the new patterns and tables apply. */
        log_msg(LOG_LV_INFO, "configuration reloaded (patterns, tables, prefixes; inputs and "
                             "outputs change only on restart)");
    }
}

/* End of input, every batch written: ladders still open are reported as
 * they stand, then the last flush. */
static void finish(pipeline *pl)
{
    runtime *rt = pl->rt;
    tagging_finish(pl->tags);
    tagging_drain(pl->tags, side_record, pl);
    tagging_snapshot(pl->tags, &pl->tag_snap);
    flush_all(pl, (unsigned)rt->cfg->shutdown_deadline_ms, 1);
    atomic_store(&pl->done, 1);
    /* Wake the main thread, which waits for signals. */
    pthread_kill(rt->main_thread, SIGUSR2);
}

/* ---- the workers -------------------------------------------------------- */

static job *slot(pipeline *pl, unsigned long long seq)
{
    return &pl->jobs[seq % pl->n_jobs];
}

/* The encoding the oldest tagged batch waits for, or NULL. */
static job *next_to_encode(pipeline *pl)
{
    for (unsigned long long s = pl->write_seq; s < pl->tag_seq; s++)
        if (slot(pl, s)->state == JOB_TAGGED)
            return slot(pl, s);
    return NULL;
}

/* A flush that does not wait, by the worker holding the writer's part,
 * without the queue's lock (the outputs may take their time). */
static void flush_unlocked(pipeline *pl, queue *q)
{
    queue_unlock(q);
    flush_all(pl, 0, 0);
    queue_lock(q);
}

/* Everything below runs with the queue's lock held, and lets go of it while
 * a stage works.  Returns 0 when the worker is to stop. */
static int work_once(pipeline *pl, worker *w)
{
    queue *q = &pl->rt->q;
    job *j;
    if (pl->finished)
        return 0;
    if (!pl->writing && pl->write_seq < pl->next_seq &&
        (j = slot(pl, pl->write_seq))->state == JOB_ENCODED) {
        j->state = JOB_WRITING;
        pl->writing = 1;
        queue_unlock(q);
        write_job(pl, j);
        batch *b = j->b;
        j->b = NULL;
        queue_put_batch(q, b);
        queue_lock(q);
        j->state = JOB_FREE;
        pl->write_seq++;
        /* Flush when the queue runs dry (a live stream: show lines now) or
         * at least every FLUSH_EVERY_MS under load (bounded latency). */
        int dry = q->count == 0 && pl->write_seq == pl->next_seq;
        if (pl->unflushed && (dry || now_ms() - pl->last_flush >= FLUSH_EVERY_MS))
            flush_unlocked(pl, q);
        pl->writing = 0;
        queue_wake_locked(q);
        return 1;
    }
    if (pl->tag_seq < pl->next_seq && (j = slot(pl, pl->tag_seq))->state == JOB_PARSED) {
        j->state = JOB_TAGGING;
        queue_unlock(q);
        tag_job(pl, j);
        queue_lock(q);
        j->state = JOB_TAGGED;
        pl->tag_seq++;
        queue_wake_locked(q);
        return 1;
    }
    if ((j = next_to_encode(pl))) {
        j->state = JOB_ENCODING;
        queue_unlock(q);
        encode_job(pl, w, j);
        queue_lock(q);
        j->state = JOB_ENCODED;
        queue_wake_locked(q);
        return 1;
    }
    if (atomic_load_explicit(&pl->reload_pending, memory_order_relaxed)) {
        /* Between two batches, once none is in flight. */
        if (pl->write_seq == pl->next_seq && !pl->writing) {
            pl->writing = pl->reloading = 1;
            queue_unlock(q);
            take_reload(pl);
            queue_lock(q);
            pl->writing = pl->reloading = 0;
            queue_wake_locked(q);
            return 1;
        }
    } else if (!pl->reloading && pl->next_seq - pl->write_seq < pl->n_jobs) {
        batch *b = queue_take_locked(q);
        if (b) {
            j = slot(pl, pl->next_seq++);
            j->b = b;
            if (b->kind == BATCH_STATS) {
                j->state = JOB_PARSED;
                return 1;
            }
            j->state = JOB_PARSING;
            queue_unlock(q);
            parse_job(w, j);
            queue_lock(q);
            j->state = JOB_PARSED;
            queue_wake_locked(q);
            return 1;
        }
    }
    if (queue_drained_locked(q) && pl->write_seq == pl->next_seq && !pl->writing) {
        pl->finished = 1;
        queue_wake_locked(q);
        queue_unlock(q);
        finish(pl);
        queue_lock(q);
        return 0;
    }
    struct timespec until = clock_deadline(FLUSH_EVERY_MS);
    if (queue_wait_locked(q, &until) == ETIMEDOUT && !pl->writing &&
        now_ms() - pl->last_flush >= FLUSH_EVERY_MS) {
        /* Idle: what was written goes out, and the checkpoints follow. */
        pl->writing = 1;
        flush_unlocked(pl, q);
        pl->writing = 0;
        queue_wake_locked(q);
    }
    return 1;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *pl = w->pl;
    queue *q = &pl->rt->q;
    queue_lock(q);
    while (work_once(pl, w))
        ;
    queue_unlock(q);
    return NULL;
}

/* ---- public ------------------------------------------------------------- */

static void free_parsers(v6p_parser **p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v6p_parser_free(p[i]);
        p[i] = NULL;
    }
}

pipeline *pipeline_new(runtime *rt, char *err, size_t errlen)
{
    pipeline *pl = calloc(1, sizeof(*pl));
    if (!pl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pl->rt = rt;
    pthread_mutex_init(&pl->lock, NULL);
    pl->n_workers = config_workers(rt->cfg);
    pl->n_jobs = 2 * pl->n_workers + 1;
    pl->pending = calloc(rt->n_inputs + 1, sizeof(*pl->pending));
    pl->w = calloc(pl->n_workers, sizeof(*pl->w));
    pl->jobs = calloc(pl->n_jobs, sizeof(*pl->jobs));
    pl->next_parsers = calloc(pl->n_workers, sizeof(*pl->next_parsers));
    if (!pl->pending || !pl->w || !pl->jobs || !pl->next_parsers) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < pl->n_workers; i++) {
        worker *w = &pl->w[i];
        w->pl = pl;
        w->json = v6p_json_writer_new();
        w->raw = v6p_json_builder_new();
        if (!w->json || !w->raw) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (!(w->parser = pipeline_build_parser(rt->cfg, err, errlen)))
            goto fail;
    }
    if (!(pl->tags = tagging_init(rt->cfg, err, errlen)))
        goto fail;
    tagging_snapshot(pl->tags, &pl->tag_snap);
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
    pl->last_flush = now_ms();
    for (size_t i = 0; i < pl->n_workers; i++) {
        if (pthread_create(&pl->w[i].thread, NULL, worker_main, &pl->w[i]) != 0) {
            /* Nothing was queued yet: the ones started stop at once. */
            queue *q = &pl->rt->q;
            queue_lock(q);
            pl->finished = 1;
            queue_wake_locked(q);
            queue_unlock(q);
            pipeline_join(pl);
            return -1;
        }
        pl->w[i].started = 1;
    }
    return 0;
}

int pipeline_reload(pipeline *pl, const fwd_config *next, char *err, size_t errlen)
{
    v6p_parser **np = calloc(pl->n_workers, sizeof(*np));
    if (!np) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < pl->n_workers; i++)
        if (!(np[i] = pipeline_build_parser(next, err, errlen))) {
            free_parsers(np, i);
            free(np);
            return -1;
        }
    tagging_tables *nt = tagging_load_tables(next, err, errlen);
    if (!nt) {
        free_parsers(np, pl->n_workers);
        free(np);
        return -1;
    }
    pthread_mutex_lock(&pl->lock);
    /* A reload not yet taken is replaced by the newer one. */
    for (size_t i = 0; i < pl->n_workers; i++) {
        v6p_parser_free(pl->next_parsers[i]);
        pl->next_parsers[i] = np[i];
    }
    tagging_tables_free(pl->next_tables);
    pl->next_tables = nt;
    atomic_store(&pl->reload_pending, 1);
    pthread_mutex_unlock(&pl->lock);
    free(np);
    /* A worker waiting for lines takes it now. */
    queue *q = &pl->rt->q;
    queue_lock(q);
    queue_wake_locked(q);
    queue_unlock(q);
    return 0;
}

int pipeline_done(pipeline *pl)
{
    return atomic_load(&pl->done);
}

void pipeline_join(pipeline *pl)
{
    for (size_t i = 0; i < pl->n_workers; i++)
        if (pl->w[i].started) {
            pthread_join(pl->w[i].thread, NULL);
            pl->w[i].started = 0;
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
    for (size_t i = 0; pl->w && i < pl->n_workers; i++) {
        v6p_parser_free(pl->w[i].parser);
        v6p_json_writer_free(pl->w[i].json);
        v6p_json_builder_free(pl->w[i].raw);
    }
    if (pl->next_parsers)
        free_parsers(pl->next_parsers, pl->n_workers);
    free(pl->next_parsers);
    for (size_t i = 0; pl->jobs && i < pl->n_jobs; i++) {
        /* A batch still in a job (a stop before the end) goes with it. */
        if (pl->jobs[i].b)
            queue_put_batch(&pl->rt->q, pl->jobs[i].b);
        job_free(&pl->jobs[i]);
    }
    free(pl->jobs);
    free(pl->w);
    tagging_free(pl->tags);
    tagging_tables_free(pl->next_tables);
    free(pl->pending);
    pthread_mutex_destroy(&pl->lock);
    free(pl);
}
