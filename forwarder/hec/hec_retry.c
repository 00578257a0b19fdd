/* The HEC client's retry policy: exponential backoff with jitter, Retry-After,
 * an endpoint cooling off after a busy reply, and what is left of a batch
 * after a partial failure (one event refused) or a 413 (halved). */
#include "hec_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

uint64_t hec_rnd(hec *h)
{
    /* xorshift64*: jitter only, not security. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 2685821657736338717ull;
}

/* Exponential backoff with jitter: a value in [d/2, d], d = initial * 2^n,
 * capped.  The jitter keeps many forwarders from retrying in step. */
int64_t hec_backoff(hec *h, unsigned n)
{
    uint64_t d = h->o.backoff_initial_ms;
    for (unsigned i = 0; i < n && d < h->o.backoff_max_ms; i++)
        d *= 2;
    if (d > h->o.backoff_max_ms)
        d = h->o.backoff_max_ms;
    uint64_t half = d / 2;
    return (int64_t)(half + (half ? hec_rnd(h) % (half + 1) : 0));
}

long hec_retry_after_ms(CURL *e)
{
    struct curl_header *hh = NULL;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK || !hh)
        return 0;
    char *end;
    long s = strtol(hh->value, &end, 10);
    return end != hh->value && s > 0 && s < 86400 ? s * 1000 : 0;
}

void hec_count_status(hec *h, long status)
{
    if (status == 0)
        STAT_ADD(h, transport_errors, 1);
    else if (status == 429)
        STAT_ADD(h, http_429, 1);
    else if (status >= 200 && status < 300)
        STAT_ADD(h, http_2xx, 1);
    else if (status >= 400 && status < 500)
        STAT_ADD(h, http_4xx, 1);
    else if (status >= 500)
        STAT_ADD(h, http_5xx, 1);
    else
        STAT_ADD(h, http_other, 1);
}

void hec_retry_later(hec *h, hbatch *b, endpoint *ep, long status, long ra_ms, int64_t now,
                     const char *why)
{
    STAT_ADD(h, retries, 1);
    b->state = B_READY;
    b->attempts++;
    int64_t wait = hec_backoff(h, b->attempts - 1);
    if (ra_ms > wait)
        wait = ra_ms;
    b->next_try = now + wait;
    if (status == 0) {
        hec_ep_down(h, ep, now, why);
    } else {
        /* Busy (429/503) or failing: leave this endpoint alone for a while
         * so that the others take the load. */
        ep->fails++;
        int64_t cool = hec_backoff(h, ep->fails - 1);
        if (ra_ms > cool)
            cool = ra_ms;
        ep->cool_until = now + cool;
    }
    if (b->attempts == 1 || b->attempts % 10 == 0)
        hec_log(h, HEC_LOG_WARN, "hec: %s: %s; batch of %zu events retried in %lld ms (attempt %u)",
                ep->base, why, b->n, (long long)wait, b->attempts + 1);
}

/* Events [0,k) were taken, event k was refused for a reason that will not
 * change: dead-letter it and send the rest again. */
void hec_salvage(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r)
{
    size_t k = (size_t)r->ien, len, start;
    STAT_ADD(h, partial_failures, 1);
    if (hec_batch_ensure_raw(b) != HEC_OK) {
        hec_log(h, HEC_LOG_ERR, "hec: cannot rebuild a batch after a partial failure");
        b->state = B_READY;
        return;
    }
    const char *rec = hec_batch_rec(b, k, &len, &start);
    hec_dead_letter(h, rec, len, ep->base, status, r, "refused");
    hec_log(h, HEC_LOG_WARN,
            "hec: %s refused event %zu of %zu (code %ld \"%s\"); it went to the dead-letter "
            "file, the %zu after it are sent again",
            ep->base, k, b->n, r->code, r->text, b->n - k - 1);
    STAT_ADD(h, events_delivered, k);
    hec_spool_done_seqs(h, b->seqs, 0, k + 1);
    size_t cut = start + len + 1;
    memmove(b->raw, b->raw + cut, b->rlen - cut);
    b->rlen -= cut;
    memmove(b->seqs, b->seqs + k + 1, (b->n - k - 1) * sizeof(*b->seqs));
    h->events_held -= k + 1;
    b->n -= k + 1;
    free(b->gz);
    b->gz = NULL;
    b->state = B_READY;
    b->next_try = 0;
    b->sends = 0; /* the rest was never taken: not a resend */
    if (b->n == 0)
        hec_batch_remove(h, b);
    hec_notify_progress(h);
}

/* 413: halve the batch; a single event that is too large is dead-lettered. */
void hec_split_batch(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r)
{
    if (hec_batch_ensure_raw(b) != HEC_OK)
        return;
    free(b->gz);
    b->gz = NULL;
    b->state = B_READY;
    b->next_try = 0;
    if (b->n == 1) {
        hec_dead_letter(h, b->raw, b->rlen - 1, ep->base, status, r, "request too large");
        hec_spool_done_seqs(h, b->seqs, 0, 1);
        hec_batch_remove(h, b);
        hec_notify_progress(h);
        return;
    }
    STAT_ADD(h, splits, 1);
    size_t half = b->n / 2, len, start;
    hec_batch_rec(b, half, &len, &start);
    hbatch *t = calloc(1, sizeof(*t));
    int ok = t != NULL;
    for (size_t i = half; ok && i < b->n; i++) {
        const char *rec = hec_batch_rec(b, i, &len, &start);
        ok = hec_batch_add(t, b->seqs[i], rec, len) == HEC_OK;
    }
    if (!ok) {
        hec_batch_free(t);
        return;
    }
    hec_batch_rec(b, half, &len, &start);
    b->rlen = start;
    b->n = half;
    h->events_held -= t->n;
    hec_batch_push(h, t);
}
