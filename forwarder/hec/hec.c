/* The HEC client (see hec.h).
 *
 * One thread owns everything in this file and the hec_*.c beside it (see
 * hec_internal.h for which does what): the batches, the endpoints and the
 * curl multi handle.  Other threads only kick it (curl_multi_wakeup), ask
 * for a drain, or read the atomic counters.  This file is the loop: fill
 * batches from the spool, send them, take the replies, and the public
 * calls.
 *
 * A batch goes READY -> SENDING -> (ACKWAIT ->) done.  Failures put it back
 * to READY with a time before which it must not be sent again.  An event is
 * marked done in the spool only when Splunk acknowledged it (or, without
 * acknowledgement, answered 200), or when it went to the dead-letter file. */
#include "hec_internal.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include "ipv6probe/json.h"
#include "privs.h"

/* ---- small helpers ---- */

void hec_log(hec *h, hec_level lv, const char *fmt, ...)
{
    if (!h->o.log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Nothing here should ever hold the token; this makes sure of it. */
    hec_redact(msg, sizeof(msg), h->token);
    h->o.log(h->o.log_ctx, lv, msg);
}

/* ---- dead letters ---- */

void hec_dead_letter(hec *h, const char *rec, size_t len, const char *endpoint, long status,
                     const hec_reply *r, const char *why)
{
    STAT_ADD(h, events_dead_letter, 1);
    if (!h->dead)
        return;
    /* A reply may quote the request, token included: never into a file. */
    char text[sizeof(r->text) + 64];
    snprintf(text, sizeof(text), "%s", r && r->text[0] ? r->text : why);
    hec_redact(text, sizeof(text), h->token);
    v6p_json_builder *b = v6p_json_builder_new();
    if (!b)
        return;
    v6p_json_object_begin(b, NULL);
    v6p_json_int(b, "time", (int64_t)time(NULL));
    v6p_json_cstring(b, "endpoint", endpoint ? endpoint : "");
    v6p_json_int(b, "status", status);
    if (r && r->has_code)
        v6p_json_int(b, "code", r->code);
    v6p_json_cstring(b, "text", text);
    v6p_json_raw(b, "event", rec, len);
    v6p_json_object_end(b);
    const char *out;
    size_t n;
    if (v6p_json_builder_finish(b, &out, &n, NULL) == 0) {
        fwrite(out, 1, n, h->dead);
        fputs("\n", h->dead);
        fflush(h->dead);
    }
    v6p_json_builder_free(b);
}

/* ---- sending ---- */

static void send_batch(hec *h, hbatch *b, int epi, int64_t now)
{
    endpoint *ep = &h->eps[epi];
    if (h->o.gzip_level && hec_batch_gzip(h, b) != HEC_OK)
        hec_log(h, HEC_LOG_WARN, "hec: gzip failed; sending this batch uncompressed");
    int gz = b->gz != NULL;
    hreq *q = hec_req_new(h, R_EVENT, epi, ep->event_url, gz ? ep->hdr_data_gz : ep->hdr_data);
    if (!q) {
        b->next_try = now + hec_backoff(h, 0);
        return;
    }
    q->b = b;
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDS, gz ? b->gz : b->raw);
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(gz ? b->gzlen : b->rlen));
    if (hec_req_start(h, q) != HEC_OK) {
        b->next_try = now + hec_backoff(h, 0);
        return;
    }
    b->state = B_SENDING;
    b->ep = epi;
    b->sent_at = now;
    if (b->sends++ > 0)
        STAT_ADD(h, events_resent, b->n);
    ep->inflight++;
    STAT_ADD(h, batches_sent, 1);
    STAT_ADD(h, events_sent, b->n);
    STAT_ADD(h, bytes_raw, b->rlen);
    STAT_ADD(h, bytes_wire, gz ? b->gzlen : b->rlen);
}

/* ---- replies ---- */

static void on_event_reply(hec *h, hreq *q, long status, CURLcode cc, int64_t now)
{
    hbatch *b = q->b;
    endpoint *ep = &h->eps[q->ep];
    ep->inflight--;
    hec_reply r;
    hec_parse_reply(h, q, &r);
    char why[256];
    hec_reply_text(why, sizeof(why), status, &r, q, cc);
    switch (hec_classify(status, &r, b->n)) {
    case HEC_DONE:
        if (h->o.acks && !ep->acks_off && !r.has_ack_id) {
            /* With acks on, a 200 means "received", and only the ackId
             * says it was indexed: a proxy or a fake answering 200 without
             * one must not count as delivery. */
            STAT_ADD(h, ack_id_missing, 1);
            if (h->st.ack_id_missing == 1 || h->st.ack_id_missing % 100 == 0)
                hec_log(h, HEC_LOG_WARN,
                        "hec: %s answered %ld without a usable ackId although acks are on (a proxy "
                        "in the way?); the batch is sent again (%llu such replies so far)",
                        ep->base, status, (unsigned long long)h->st.ack_id_missing);
            hec_retry_later(h, b, ep, status, 0, now, "HTTP 200 without an ackId");
            break;
        }
        hec_ep_up(h, ep);
        ep->fails = 0;
        if (h->o.acks && !ep->acks_off && r.has_ack_id) {
            b->state = B_ACKWAIT;
            b->ack_id = r.ack_id;
            if (b->gz) { /* only the compressed copy is needed for a resend */
                free(b->raw);
                b->raw = NULL;
                b->rlen = b->rcap = 0;
            }
            if (ep->next_ack_poll < now)
                ep->next_ack_poll = now + (int64_t)h->o.ack_poll_ms;
        } else {
            hec_batch_complete(h, b);
        }
        break;
    case HEC_RETRY:
        hec_retry_later(h, b, ep, status, hec_retry_after_ms(q->e), now, why);
        break;
    case HEC_PARTIAL:
        hec_salvage(h, b, ep, status, &r);
        break;
    case HEC_TOO_LARGE:
        hec_split_batch(h, b, ep, status, &r);
        break;
    case HEC_AUTH:
        STAT_ADD(h, auth_failures, 1);
        b->state = B_READY;
        hec_ep_hold(h, ep, now, why);
        break;
    case HEC_MISCONFIGURED:
        STAT_ADD(h, misconfigured, 1);
        b->state = B_READY;
        hec_ep_hold(h, ep, now, why);
        break;
    case HEC_REJECT:
        if (hec_batch_ensure_raw(b) == HEC_OK) {
            size_t len, start;
            for (size_t i = 0; i < b->n; i++) {
                const char *rec = hec_batch_rec(b, i, &len, &start);
                hec_dead_letter(h, rec, len, ep->base, status, &r, why);
            }
        }
        hec_log(h, HEC_LOG_ERR, "hec: %s refused a batch of %zu events (%s); dead-lettered",
                ep->base, b->n, why);
        hec_spool_done_seqs(h, b->seqs, 0, b->n);
        hec_batch_remove(h, b);
        hec_notify_progress(h);
        break;
    }
}

static void reap(hec *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        hreq *q = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
        CURLcode cc = m->data.result;
        long status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(q->e, CURLINFO_RESPONSE_CODE, &status);
        /* Waits (Retry-After, backoff) count from the moment this answer
         * is taken: handling an earlier one may have taken a while. */
        int64_t now = now_ms();
        if (q->kind == R_EVENT) {
            hec_count_status(h, status);
            on_event_reply(h, q, status, cc, now);
        } else if (q->kind == R_ACK) {
            hec_on_ack_reply(h, q, status, now);
        } else {
            hec_on_health_reply(h, q, status, cc, now);
        }
        hec_req_free(h, q);
    }
}

/* ---- the loop ---- */

static int pick_endpoint(hec *h, int64_t now)
{
    for (size_t k = 0; k < h->nep; k++) {
        size_t i = (h->rr + k) % h->nep;
        endpoint *ep = &h->eps[i];
        if (ep->state == EP_UP && ep->cool_until <= now && ep->inflight < h->o.max_inflight) {
            h->rr = (unsigned)(i + 1);
            return (int)i;
        }
    }
    return -1;
}

static hbatch *next_ready(hec *h, int64_t now)
{
    hbatch *best = NULL;
    for (size_t i = 0; i < h->nb; i++) {
        hbatch *b = h->bs[i];
        if (b->state == B_READY && b->next_try <= now && (!best || b->seqs[0] < best->seqs[0]))
            best = b;
    }
    return best;
}

static void dispatch(hec *h, int64_t now)
{
    hbatch *b;
    while ((b = next_ready(h, now))) {
        int ep = pick_endpoint(h, now);
        if (ep < 0)
            return;
        send_batch(h, b, ep, now);
        if (b->state != B_SENDING)
            return;
    }
}

static void endpoint_chores(hec *h, int64_t now)
{
    for (size_t i = 0; i < h->nep; i++) {
        endpoint *ep = &h->eps[i];
        if (h->o.acks && !ep->acks_off && !ep->ack_inflight && ep->state != EP_HELD &&
            now >= ep->next_ack_poll)
            hec_send_ack_query(h, (int)i, now);
        int check = ep->state != EP_UP || h->o.health_interval_ms > 0;
        if (check && !ep->health_inflight && now >= ep->next_health)
            hec_send_health(h, (int)i, now);
        if (ep->state == EP_HELD && now - ep->last_warn >= (int64_t)h->o.auth_warn_ms) {
            ep->last_warn = now;
            hec_log(h, HEC_LOG_ERR,
                    "hec: %s refuses to take events (%s): nothing is sent there until this is "
                    "fixed; %" PRIu64 " events wait in the spool",
                    ep->base, ep->why, spool_pending(h->o.spool));
        }
    }
}

static int idle(hec *h)
{
    return h->nb == 0 && (!h->forming || h->forming->n == 0) &&
           spool_done_mark(h->o.spool) >= spool_next_seq(h->o.spool);
}

static void *run(void *arg)
{
    hec *h = arg;
    for (;;) {
        int64_t now = now_ms();
        int stopping = atomic_load(&h->stop);
        if (stopping && (now >= h->stop_deadline || idle(h)))
            break;
        if (atomic_exchange(&h->reload, 0))
            hec_token_reread(h);
        int hurry = stopping || atomic_load(&h->drainers) > 0;
        hec_fill(h, now, hurry);
        dispatch(h, now);
        hec_ack_timeouts(h, now);
        endpoint_chores(h, now);
        int running;
        curl_multi_perform(h->multi, &running);
        reap(h);
        int timeout = h->forming && h->forming->n > 0 ? 20 : 100;
        curl_multi_poll(h->multi, NULL, 0, timeout, NULL);
    }
    return NULL;
}

/* ---- public ---- */

void hec_opts_defaults(hec_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->tls_verify = 1;
    o->batch_events = 500;
    o->batch_bytes = 1 << 20;
    o->batch_time_ms = 200;
    o->ack_timeout_ms = 300000;
    o->ack_poll_ms = 1000;
    o->backoff_initial_ms = 500;
    o->backoff_max_ms = 60000;
    o->timeout_ms = 30000;
    o->health_interval_ms = 30000;
    o->auth_retry_ms = 30000;
    o->auth_warn_ms = 60000;
    o->max_inflight = 4;
    o->max_batches = 256;
    o->max_event_bytes = 5u << 20;
}

static int check_opts(const hec_opts *o, char *err, size_t errlen)
{
    if (!o->n_urls || o->n_urls > MAX_ENDPOINTS) {
        snprintf(err, errlen, "hec: between 1 and %d endpoints", MAX_ENDPOINTS);
        return HEC_EINVAL;
    }
    if (!o->spool || !o->batch_events || !o->batch_bytes || !o->max_inflight || !o->max_batches ||
        o->gzip_level < 0 || o->gzip_level > 9 || !o->backoff_initial_ms ||
        o->backoff_max_ms < o->backoff_initial_ms) {
        snprintf(err, errlen, "hec: invalid options");
        return HEC_EINVAL;
    }
    if (!o->token_file == !o->token_env) {
        snprintf(err, errlen, "hec: exactly one of token_file and token_env");
        return HEC_EINVAL;
    }
    return HEC_OK;
}

void hec_free(hec *h)
{
    while (h->reqs)
        hec_req_free(h, h->reqs);
    for (size_t i = 0; i < h->nep; i++)
        hec_endpoint_free(&h->eps[i]);
    for (size_t i = 0; i < h->nb; i++)
        hec_batch_free(h->bs[i]);
    free(h->bs);
    hec_batch_free(h->forming);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->zs_ready)
        deflateEnd(&h->zs);
    if (h->dead)
        fclose(h->dead);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->progress);
    explicit_bzero(h->token, sizeof(h->token));
    free(h);
}

int hec_start(hec **out, const hec_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    int rc = check_opts(o, err, errlen);
    if (rc != HEC_OK)
        return rc;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    hec *h = calloc(1, sizeof(*h));
    if (!h)
        return HEC_ENOMEM;
    h->o = *o;
    pthread_mutex_init(&h->mu, NULL);
    clock_cond_init(&h->progress);
    if (getrandom(&h->rng, sizeof(h->rng), 0) != (ssize_t)sizeof(h->rng) || !h->rng)
        h->rng = (uint64_t)now_ms() | 1;
    if (hec_token_load(o->token_file, o->token_env, h->token, sizeof(h->token), err, errlen)) {
        hec_free(h);
        return HEC_ETOKEN;
    }
    /* The token is in memory from here on: no core file, no ptrace or
     * /proc/PID/mem by another process of the same user. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (size_t i = 0; i < o->n_urls; i++, h->nep++)
        if ((rc = hec_endpoint_init(h, &h->eps[i], o->urls[i], err, errlen)) != HEC_OK) {
            h->nep++;
            hec_free(h);
            return rc;
        }
    if (o->dead_letter_path && !(h->dead = fopen_private_append(o->dead_letter_path))) {
        snprintf(err, errlen, "hec dead-letter file %s: %s", o->dead_letter_path, strerror(errno));
        hec_free(h);
        return HEC_EINVAL;
    }
    h->multi = curl_multi_init();
    if (!h->multi) {
        hec_free(h);
        return HEC_ECURL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->max_inflight + 2);
    hec_count_up(h);
    if (pthread_create(&h->thread, NULL, run, h) != 0) {
        snprintf(err, errlen, "hec: cannot start a thread");
        hec_free(h);
        return HEC_ENOMEM;
    }
    h->started = 1;
    *out = h;
    return HEC_OK;
}

void hec_kick(hec *h)
{
    curl_multi_wakeup(h->multi);
}

int hec_drain(hec *h, unsigned timeout_ms)
{
    uint64_t target = spool_next_seq(h->o.spool);
    struct timespec ts = clock_deadline(timeout_ms);
    atomic_fetch_add(&h->drainers, 1);
    curl_multi_wakeup(h->multi);
    int rc = HEC_OK;
    pthread_mutex_lock(&h->mu);
    while (spool_done_mark(h->o.spool) < target)
        if (pthread_cond_timedwait(&h->progress, &h->mu, &ts) != 0) {
            rc = spool_done_mark(h->o.spool) < target ? HEC_ETIMEOUT : HEC_OK;
            break;
        }
    pthread_mutex_unlock(&h->mu);
    atomic_fetch_sub(&h->drainers, 1);
    return rc;
}

void hec_reload_token(hec *h)
{
    atomic_store(&h->reload, 1);
    curl_multi_wakeup(h->multi);
}

void hec_stop(hec *h, unsigned grace_ms)
{
    if (!h)
        return;
    h->stop_deadline = now_ms() + grace_ms;
    atomic_store(&h->stop, 1);
    curl_multi_wakeup(h->multi);
    if (h->started)
        pthread_join(h->thread, NULL);
    /* Requests still out are abandoned; their events stay in the spool. */
    hec_free(h);
}

const hec_stats *hec_get_stats(const hec *h)
{
    return &h->st;
}
