/* --check-output: one blocking health check and one empty post per endpoint,
 * reported a line each without ever naming the token. */
#include "hec_internal.h"

#include <stdlib.h>
#include <string.h>

/* One blocking request on an endpoint; status 0 on a transport error, with
 * curl's reason in why.  The reply's HEC code goes to *code (-1: none). */
static long probe_request(hec *h, int epi, int kind, long *code, char *why, size_t whylen)
{
    endpoint *ep = &h->eps[epi];
    hreq *q = kind == R_HEALTH ? hec_req_new(h, R_HEALTH, epi, ep->health_url, ep->hdr_plain)
                               : hec_req_new(h, R_EVENT, epi, ep->event_url, ep->hdr_data);
    *code = -1;
    if (!q) {
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    if (kind == R_EVENT) {
        curl_easy_setopt(q->e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE, 0L);
    }
    long status = 0;
    CURLcode cc = curl_easy_perform(q->e);
    if (cc == CURLE_OK)
        curl_easy_getinfo(q->e, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(why, whylen, "%s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
    hec_reply r;
    memset(&r, 0, sizeof(r));
    if (q->resp && hec_reply_parse(q->resp, q->rlen, &r) == 0 && r.has_code)
        *code = r.code;
    curl_easy_cleanup(q->e);
    free(q->resp);
    free(q);
    return status;
}

/* Health with the token, then an empty post: a HEC that takes the token
 * answers it "No data" (code 5) without indexing anything. */
static int probe_endpoint(hec *h, int epi, hec_probe_fn report, void *ctx)
{
    endpoint *ep = &h->eps[epi];
    char why[CURL_ERROR_SIZE + 64] = "", msg[512];
    long code;
    long st = probe_request(h, epi, R_HEALTH, &code, why, sizeof(why));
    int ok = st == 200;
    if (st == 0)
        snprintf(msg, sizeof(msg), "%s: health: not reachable: %s", ep->base, why);
    else
        snprintf(msg, sizeof(msg), "%s: health: HTTP %ld%s (code %ld)", ep->base, st,
                 ok ? ", healthy" : "", code);
    hec_redact(msg, sizeof(msg), h->token);
    report(ctx, ok, msg);
    if (st == 0)
        return 1;
    st = probe_request(h, epi, R_EVENT, &code, why, sizeof(why));
    int accepted = (st == 400 && code == 5) || (st >= 200 && st < 300);
    if (st == 0)
        snprintf(msg, sizeof(msg), "%s: token: not reachable: %s", ep->base, why);
    else if (accepted)
        snprintf(msg, sizeof(msg), "%s: token: accepted", ep->base);
    else
        snprintf(msg, sizeof(msg), "%s: token: refused: HTTP %ld (code %ld)", ep->base, st, code);
    hec_redact(msg, sizeof(msg), h->token);
    report(ctx, accepted, msg);
    return !(ok && accepted);
}

int hec_probe(const hec_opts *o, hec_probe_fn report, void *ctx, char *err, size_t errlen)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    hec *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return HEC_ENOMEM;
    }
    h->o = *o;
    pthread_mutex_init(&h->mu, NULL);
    clock_cond_init(&h->progress);
    h->rng = (uint64_t)now_ms() | 1;
    if (hec_token_load(o->token_file, o->token_env, h->token, sizeof(h->token), err, errlen)) {
        hec_free(h);
        return HEC_ETOKEN;
    }
    int rc;
    for (size_t i = 0; i < o->n_urls; i++, h->nep++)
        if ((rc = hec_endpoint_init(h, &h->eps[i], o->urls[i], err, errlen)) != HEC_OK) {
            h->nep++;
            hec_free(h);
            return rc;
        }
    int failed = 0;
    for (size_t i = 0; i < h->nep; i++)
        failed += probe_endpoint(h, (int)i, report, ctx);
    hec_free(h);
    return failed;
}
