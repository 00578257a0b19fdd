/* Indexer acknowledgement: polling /services/collector/ack for the batches
 * an endpoint answered with an ackId, completing the acknowledged ones,
 * turning acks off for a token that has none, and resending those not
 * acknowledged in time. */
#include "hec_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void hec_send_ack_query(hec *h, int epi, int64_t now)
{
    endpoint *ep = &h->eps[epi];
    size_t cap = 32 + MAX_ACK_IDS * 21, len = 0, n = 0;
    char *body = malloc(cap);
    if (!body)
        return;
    len += (size_t)snprintf(body, cap, "{\"acks\":[");
    for (size_t i = 0; i < h->nb && n < MAX_ACK_IDS; i++) {
        hbatch *b = h->bs[i];
        if (b->state != B_ACKWAIT || b->ep != epi)
            continue;
        len += (size_t)snprintf(body + len, cap - len, "%s%" PRIu64, n ? "," : "", b->ack_id);
        n++;
    }
    snprintf(body + len, cap - len, "]}");
    if (n == 0) {
        free(body);
        return;
    }
    hreq *q = hec_req_new(h, R_ACK, epi, ep->ack_url, ep->hdr_data);
    if (!q) {
        free(body);
        return;
    }
    q->body = body;
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    if (hec_req_start(h, q) == HEC_OK) {
        ep->ack_inflight = 1;
        STAT_ADD(h, ack_polls, 1);
    }
    ep->next_ack_poll = now + (int64_t)h->o.ack_poll_ms;
}

typedef struct ack_ctx {
    hec *h;
    int ep;
} ack_ctx;

static void on_ack(void *arg, uint64_t id, int acked)
{
    ack_ctx *c = arg;
    hec *h = c->h;
    /* An indexer that answers ack polls is back, even when nothing else is
     * left to send there to show it.  Said before any batch completes: a
     * flush that waits for the last one reads the counters then. */
    if (h->eps[c->ep].state == EP_DOWN)
        hec_ep_up(h, &h->eps[c->ep]);
    if (!acked)
        return;
    for (size_t i = 0; i < h->nb; i++) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && b->ep == c->ep && b->ack_id == id) {
            STAT_ADD(h, acks_true, 1);
            hec_batch_complete(h, b);
            return;
        }
    }
}

static void complete_ackwait(hec *h, int epi)
{
    for (size_t i = h->nb; i-- > 0;) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && b->ep == epi)
            hec_batch_complete(h, b);
    }
}

void hec_on_ack_reply(hec *h, hreq *q, long status, int64_t now)
{
    endpoint *ep = &h->eps[q->ep];
    ep->ack_inflight = 0;
    hec_reply r;
    if (status == 200) {
        ack_ctx c = {h, q->ep};
        if (hec_ack_parse(q->resp, q->rlen, on_ack, &c) >= 0) {
            if (ep->state == EP_DOWN) /* an empty answer: on_ack never ran */
                hec_ep_up(h, ep);
            return;
        }
    }
    hec_parse_reply(h, q, &r);
    if (status == 400 && r.has_code && r.code == 14) {
        /* The token has no acknowledgement: a 200 is all there is. */
        ep->acks_off = 1;
        hec_log(h, HEC_LOG_WARN,
                "hec: %s: indexer acknowledgement is off for this token; a 200 reply now counts "
                "as delivered",
                ep->base);
        complete_ackwait(h, q->ep);
        return;
    }
    STAT_ADD(h, ack_poll_errors, 1);
    if (status == 401 || status == 403) {
        char why[256];
        hec_reply_text(why, sizeof(why), status, &r, q, CURLE_OK);
        STAT_ADD(h, auth_failures, 1);
        hec_ep_hold(h, ep, now, why);
    }
}

void hec_ack_timeouts(hec *h, int64_t now)
{
    for (size_t i = 0; i < h->nb; i++) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && now - b->sent_at >= (int64_t)h->o.ack_timeout_ms) {
            STAT_ADD(h, ack_timeouts, 1);
            hec_log(h, HEC_LOG_WARN,
                    "hec: %s did not acknowledge a batch of %zu events (ackId %" PRIu64
                    ") in %llu ms; sending it again",
                    h->eps[b->ep].base, b->n, b->ack_id, (unsigned long long)h->o.ack_timeout_ms);
            b->state = B_READY;
            b->next_try = 0;
        }
    }
}
