/* The HEC client (see hec.h).
 *
 * One thread owns everything below: the batches, the endpoints and the
 * curl multi handle.  Other threads only kick it (curl_multi_wakeup), ask
 * for a drain, or read the atomic counters.
 *
 * A batch goes READY -> SENDING -> (ACKWAIT ->) done.  Failures put it back
 * to READY with a time before which it must not be sent again.  An event is
 * marked done in the spool only when Splunk acknowledged it (or, without
 * acknowledgement, answered 200), or when it went to the dead-letter file. */
#include "hec.h"

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

#include "hec_reply.h"
#include "ipv6probe/json.h"
#include "hec_token.h"
#include "privs.h"

#define MAX_ENDPOINTS 64
#define MAX_ACK_IDS 1000 /* per /ack query */
#define MAX_REPLY 65536

enum { B_READY = 0, B_SENDING, B_ACKWAIT };
enum { EP_UP = 0, EP_DOWN, EP_HELD };
enum { R_EVENT = 0, R_ACK, R_HEALTH };

#define STAT_ADD(h, f, n) atomic_fetch_add_explicit(&(h)->st.f, (n), memory_order_relaxed)
#define STAT_SET(h, f, n) atomic_store_explicit(&(h)->st.f, (n), memory_order_relaxed)

typedef struct hbatch {
    uint64_t *seqs;
    size_t n, capn;
    char *raw; /* the records, each followed by '\n'; NULL once only gz is kept */
    size_t rlen, rcap;
    char *gz;
    size_t gzlen;
    int state;
    int64_t t0, next_try, sent_at;
    unsigned attempts, sends;
    int ep;
    uint64_t ack_id;
} hbatch;

typedef struct endpoint {
    char *base; /* scheme://host:port/prefix, for messages */
    char *event_url, *ack_url, *health_url;
    char *connect_to; /* SNI: "name:port:host:port" */
    struct curl_slist *connect_list;
    char channel[37];
    struct curl_slist *hdr_data, *hdr_data_gz, *hdr_plain;
    CURLSH *share; /* cookies: load balancers route acks by them */
    int state;
    unsigned inflight, fails;
    int ack_inflight, health_inflight, acks_off;
    int64_t cool_until, next_health, next_ack_poll, last_warn;
    char why[192]; /* why it is down or held */
} endpoint;

typedef struct hreq {
    struct hreq *prev, *next; /* every request out, so that stop can free them */
    int kind;
    CURL *e;
    int ep;
    hbatch *b;
    char *body; /* owned (ack queries) */
    char *resp;
    size_t rlen, rcap;
    char errbuf[CURL_ERROR_SIZE];
} hreq;

struct hec {
    hec_opts o;
    char token[HEC_TOKEN_MAX];
    hec_stats st;
    CURLM *multi;
    endpoint eps[MAX_ENDPOINTS];
    size_t nep;
    unsigned rr;

    hreq *reqs;
    hbatch **bs;
    size_t nb, capb;
    hbatch *forming;
    uint64_t events_held;

    z_stream zs;
    int zs_ready;
    FILE *dead;
    uint64_t rng;

    pthread_t thread;
    int started;
    atomic_int stop, reload, drainers;
    int64_t stop_deadline;
    pthread_mutex_t mu;
    pthread_cond_t progress;
};

/* ---- small helpers ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hlog(hec *h, hec_level lv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void hlog(hec *h, hec_level lv, const char *fmt, ...)
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

static uint64_t rnd(hec *h)
{
    /* xorshift64*: jitter only, not security. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 2685821657736338717ull;
}

/* Exponential backoff with jitter: a value in [d/2, d], d = initial * 2^n,
 * capped.  The jitter keeps many forwarders from retrying in step. */
static int64_t backoff(hec *h, unsigned n)
{
    uint64_t d = h->o.backoff_initial_ms;
    for (unsigned i = 0; i < n && d < h->o.backoff_max_ms; i++)
        d *= 2;
    if (d > h->o.backoff_max_ms)
        d = h->o.backoff_max_ms;
    uint64_t half = d / 2;
    return (int64_t)(half + (half ? rnd(h) % (half + 1) : 0));
}

/* ---- URLs and endpoints ---- */

static int is_loopback(const char *host)
{
    char h[256];
    size_t n = strlen(host);
    if (n >= sizeof(h))
        return 0;
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        memcpy(h, host + 1, n - 2);
        h[n - 2] = 0;
    } else {
        memcpy(h, host, n + 1);
    }
    if (strcasecmp(h, "localhost") == 0)
        return 1;
    unsigned char a[16];
    if (inet_pton(AF_INET, h, a) == 1)
        return a[0] == 127;
    if (inet_pton(AF_INET6, h, a) == 1)
        return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
    return 0;
}

typedef struct url_parts {
    char *scheme, *host, *port, *path;
} url_parts;

static void url_parts_free(url_parts *p)
{
    curl_free(p->scheme);
    curl_free(p->host);
    curl_free(p->port);
    curl_free(p->path);
}

static int split_url(const char *url, url_parts *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    CURLU *u = curl_url();
    int bad = !u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
              curl_url_get(u, CURLUPART_PATH, &p->path, 0) != CURLUE_OK;
    char *q = NULL;
    if (!bad && curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK && q) {
        /* A token in the query string would win over the header and end up
         * in proxies' logs; refuse any query. */
        snprintf(err, errlen, "hec endpoint %s: no query string allowed", url);
        curl_free(q);
        curl_url_cleanup(u);
        url_parts_free(p);
        return HEC_EINVAL;
    }
    curl_url_cleanup(u);
    if (bad) {
        snprintf(err, errlen, "hec endpoint %s: not a URL", url);
        url_parts_free(p);
        return HEC_EINVAL;
    }
    return HEC_OK;
}

int hec_check_url(const char *url, int allow_insecure_http, char *err, size_t errlen)
{
    url_parts p;
    int rc = split_url(url, &p, err, errlen);
    if (rc != HEC_OK)
        return rc;
    if (strcmp(p.scheme, "https") != 0 && strcmp(p.scheme, "http") != 0) {
        snprintf(err, errlen, "hec endpoint %s: the scheme must be https or http", url);
        rc = HEC_EINVAL;
    } else if (strcmp(p.scheme, "http") == 0 && !is_loopback(p.host) && !allow_insecure_http) {
        snprintf(err, errlen,
                 "hec endpoint %s: plain http would send the token and events in clear text to "
                 "another host; use https, or set allow_insecure_http: true",
                 url);
        rc = HEC_EINVAL;
    }
    url_parts_free(&p);
    return rc;
}

static char *mkstr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *mkstr(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

/* The prefix before /services/collector..., so that a URL given in full or
 * as a base both work, and a load balancer's path prefix is kept. */
static void strip_collector_path(char *path)
{
    char *p = strstr(path, "/services/collector");
    if (p)
        *p = 0;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        path[--n] = 0;
}

static void make_channel(hec *h, char *out)
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)rnd(h);
    b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
    b[8] = (b[8] & 0x3f) | 0x80; /* variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static struct curl_slist *headers(hec *h, endpoint *ep, int data, int gz)
{
    char auth[HEC_TOKEN_MAX + 32], chan[80];
    snprintf(auth, sizeof(auth), "Authorization: Splunk %s", h->token);
    snprintf(chan, sizeof(chan), "X-Splunk-Request-Channel: %s", ep->channel);
    struct curl_slist *l = curl_slist_append(NULL, auth);
    l = l ? curl_slist_append(l, chan) : NULL;
    if (l && data)
        l = curl_slist_append(l, "Content-Type: application/json");
    if (l && gz)
        l = curl_slist_append(l, "Content-Encoding: gzip");
    /* No "Expect: 100-continue" round trip before each batch. */
    if (l)
        l = curl_slist_append(l, "Expect:");
    explicit_bzero(auth, sizeof(auth));
    return l;
}

static int build_headers(hec *h, endpoint *ep)
{
    curl_slist_free_all(ep->hdr_data);
    curl_slist_free_all(ep->hdr_data_gz);
    curl_slist_free_all(ep->hdr_plain);
    ep->hdr_data = headers(h, ep, 1, 0);
    ep->hdr_data_gz = headers(h, ep, 1, 1);
    ep->hdr_plain = headers(h, ep, 0, 0);
    return ep->hdr_data && ep->hdr_data_gz && ep->hdr_plain ? HEC_OK : HEC_ENOMEM;
}

static int endpoint_init(hec *h, endpoint *ep, const char *url, char *err, size_t errlen)
{
    int rc = hec_check_url(url, h->o.allow_insecure_http, err, errlen);
    url_parts p;
    if (rc != HEC_OK || (rc = split_url(url, &p, err, errlen)) != HEC_OK)
        return rc;
    strip_collector_path(p.path);
    const char *host = p.host;
    if (h->o.sni) {
        /* Connect to the address in the URL, but name the server (SNI and
         * certificate check) as configured. */
        ep->connect_to = mkstr("%s:%s:%s:%s", h->o.sni, p.port, p.host, p.port);
        ep->connect_list = ep->connect_to ? curl_slist_append(NULL, ep->connect_to) : NULL;
        host = h->o.sni;
    }
    ep->base = mkstr("%s://%s:%s%s", p.scheme, host, p.port, p.path);
    url_parts_free(&p);
    if (!ep->base || (h->o.sni && !ep->connect_list))
        return HEC_ENOMEM;
    ep->event_url = mkstr("%s/services/collector/event", ep->base);
    ep->ack_url = mkstr("%s/services/collector/ack", ep->base);
    ep->health_url = mkstr("%s/services/collector/health", ep->base);
    ep->share = curl_share_init();
    if (!ep->event_url || !ep->ack_url || !ep->health_url || !ep->share)
        return HEC_ENOMEM;
    curl_share_setopt(ep->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
    make_channel(h, ep->channel);
    return build_headers(h, ep);
}

static void endpoint_free(endpoint *ep)
{
    free(ep->base);
    free(ep->event_url);
    free(ep->ack_url);
    free(ep->health_url);
    free(ep->connect_to);
    curl_slist_free_all(ep->connect_list);
    curl_slist_free_all(ep->hdr_data);
    curl_slist_free_all(ep->hdr_data_gz);
    curl_slist_free_all(ep->hdr_plain);
    if (ep->share)
        curl_share_cleanup(ep->share);
}

static void count_up(hec *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i < h->nep; i++)
        n += h->eps[i].state == EP_UP;
    STAT_SET(h, endpoints_up, n);
}

/* Keep a reason for the status line, cut to fit: a long one loses its tail,
 * which snprintf would do too but with a warning that truncation may occur. */
static void set_why(endpoint *ep, const char *why)
{
    size_t n = strnlen(why, sizeof(ep->why) - 1);
    memcpy(ep->why, why, n);
    ep->why[n] = '\0';
}

static void ep_down(hec *h, endpoint *ep, int64_t now, const char *why)
{
    ep->fails++;
    ep->next_health = now + backoff(h, ep->fails);
    set_why(ep, why);
    if (ep->state == EP_UP) {
        ep->state = EP_DOWN;
        STAT_ADD(h, endpoint_down, 1);
        hlog(h, HEC_LOG_WARN, "hec: %s taken out of rotation: %s", ep->base, why);
        count_up(h);
    }
}

static void ep_up(hec *h, endpoint *ep)
{
    ep->fails = 0;
    if (ep->state != EP_UP) {
        ep->state = EP_UP;
        ep->cool_until = 0;
        STAT_ADD(h, endpoint_up, 1);
        hlog(h, HEC_LOG_INFO, "hec: %s is back in rotation", ep->base);
        count_up(h);
    }
}

/* Token refused (or the URL is not an HEC port): send nothing there, hold
 * the data, and say so loudly now and then. */
static void ep_hold(hec *h, endpoint *ep, int64_t now, const char *why)
{
    set_why(ep, why);
    ep->next_health = now + (int64_t)h->o.auth_retry_ms;
    if (ep->state != EP_HELD) {
        ep->state = EP_HELD;
        ep->last_warn = 0; /* warn at once */
        count_up(h);
    }
}

/* ---- batches ---- */

static void batch_free(hbatch *b)
{
    if (!b)
        return;
    free(b->seqs);
    free(b->raw);
    free(b->gz);
    free(b);
}

static int batch_add(hbatch *b, uint64_t seq, const char *data, size_t len)
{
    if (b->n == b->capn) {
        size_t cap = b->capn ? b->capn * 2 : 64;
        uint64_t *n = realloc(b->seqs, cap * sizeof(*n));
        if (!n)
            return HEC_ENOMEM;
        b->seqs = n;
        b->capn = cap;
    }
    if (b->rlen + len + 1 > b->rcap) {
        size_t cap = b->rcap ? b->rcap : 64 * 1024;
        while (cap < b->rlen + len + 1)
            cap *= 2;
        char *n = realloc(b->raw, cap);
        if (!n)
            return HEC_ENOMEM;
        b->raw = n;
        b->rcap = cap;
    }
    memcpy(b->raw + b->rlen, data, len);
    b->raw[b->rlen + len] = '\n';
    b->rlen += len + 1;
    b->seqs[b->n++] = seq;
    return HEC_OK;
}

static int batch_gzip(hec *h, hbatch *b)
{
    if (b->gz || !h->o.gzip_level)
        return HEC_OK;
    if (!h->zs_ready) {
        if (deflateInit2(&h->zs, h->o.gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return HEC_ENOMEM;
        h->zs_ready = 1;
    } else {
        deflateReset(&h->zs);
    }
    uLong cap = deflateBound(&h->zs, (uLong)b->rlen);
    b->gz = malloc(cap);
    if (!b->gz)
        return HEC_ENOMEM;
    h->zs.next_in = (Bytef *)b->raw;
    h->zs.avail_in = (uInt)b->rlen;
    h->zs.next_out = (Bytef *)b->gz;
    h->zs.avail_out = (uInt)cap;
    if (deflate(&h->zs, Z_FINISH) != Z_STREAM_END) {
        free(b->gz);
        b->gz = NULL;
        return HEC_ENOMEM;
    }
    b->gzlen = cap - h->zs.avail_out;
    return HEC_OK;
}

/* Get the records back from the gzip copy (after a resend failed part way). */
static int batch_ensure_raw(hbatch *b)
{
    if (b->raw)
        return HEC_OK;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        return HEC_ENOMEM;
    size_t cap = b->gzlen * 4 + 4096, len = 0;
    char *out = malloc(cap);
    if (!out) {
        inflateEnd(&zs);
        return HEC_ENOMEM;
    }
    int zrc = Z_OK;
    zs.next_in = (Bytef *)b->gz;
    zs.avail_in = (uInt)b->gzlen;
    while (zrc == Z_OK) {
        if (len == cap) {
            char *n = realloc(out, cap * 2);
            if (!n)
                break;
            out = n;
            cap *= 2;
        }
        zs.next_out = (Bytef *)out + len;
        zs.avail_out = (uInt)(cap - len);
        zrc = inflate(&zs, Z_NO_FLUSH);
        len = cap - zs.avail_out;
    }
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(out);
        return HEC_ENOMEM;
    }
    b->raw = out;
    b->rlen = len;
    b->rcap = cap;
    return HEC_OK;
}

/* Record i of a batch: start and length (without the newline). */
static const char *batch_rec(const hbatch *b, size_t i, size_t *len, size_t *start)
{
    size_t off = 0;
    for (size_t k = 0; k < i; k++) {
        const char *nl = memchr(b->raw + off, '\n', b->rlen - off);
        off = (size_t)(nl - b->raw) + 1;
    }
    const char *nl = memchr(b->raw + off, '\n', b->rlen - off);
    *len = (size_t)(nl - (b->raw + off));
    *start = off;
    return b->raw + off;
}

/* Tell the spool that seqs[from, to) are finished, in contiguous runs. */
static void spool_done_seqs(hec *h, const uint64_t *seqs, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t j = i + 1;
        while (j < to && seqs[j] == seqs[j - 1] + 1)
            j++;
        spool_done(h->o.spool, seqs[i], seqs[j - 1] - seqs[i] + 1);
        i = j;
    }
}

static void notify_progress(hec *h)
{
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->progress);
    pthread_mutex_unlock(&h->mu);
}

static void batch_remove(hec *h, hbatch *b)
{
    for (size_t i = 0; i < h->nb; i++) {
        if (h->bs[i] == b) {
            memmove(h->bs + i, h->bs + i + 1, (h->nb - i - 1) * sizeof(*h->bs));
            h->nb--;
            break;
        }
    }
    h->events_held -= b->n;
    STAT_SET(h, batches_held, h->nb);
    STAT_SET(h, events_held, h->events_held);
    batch_free(b);
}

static void batch_complete(hec *h, hbatch *b)
{
    STAT_ADD(h, events_delivered, b->n);
    spool_done_seqs(h, b->seqs, 0, b->n);
    batch_remove(h, b);
    notify_progress(h);
}

static int batch_push(hec *h, hbatch *b)
{
    if (h->nb == h->capb) {
        size_t cap = h->capb ? h->capb * 2 : 64;
        hbatch **n = realloc(h->bs, cap * sizeof(*n));
        if (!n)
            return HEC_ENOMEM;
        h->bs = n;
        h->capb = cap;
    }
    h->bs[h->nb++] = b;
    h->events_held += b->n;
    STAT_SET(h, batches_held, h->nb);
    STAT_SET(h, events_held, h->events_held);
    return HEC_OK;
}

/* ---- dead letters ---- */

static void dead_letter(hec *h, const char *rec, size_t len, const char *endpoint, long status,
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

/* ---- requests ---- */

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    hreq *q = arg;
    size_t len = sz * n;
    if (q->rlen + len + 1 > q->rcap) {
        if (q->rlen + len + 1 > MAX_REPLY)
            return len; /* HEC replies are small; ignore the rest */
        size_t cap = q->rcap ? q->rcap * 2 : 512;
        while (cap < q->rlen + len + 1)
            cap *= 2;
        char *nb = realloc(q->resp, cap);
        if (!nb)
            return 0;
        q->resp = nb;
        q->rcap = cap;
    }
    memcpy(q->resp + q->rlen, p, len);
    q->rlen += len;
    q->resp[q->rlen] = 0;
    return len;
}

static hreq *req_new(hec *h, int kind, int epi, const char *url, struct curl_slist *hdrs)
{
    endpoint *ep = &h->eps[epi];
    hreq *q = calloc(1, sizeof(*q));
    CURL *e = q ? curl_easy_init() : NULL;
    if (!e) {
        free(q);
        return NULL;
    }
    q->kind = kind;
    q->e = e;
    q->ep = epi;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, q);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->o.timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(h->o.timeout_ms < 10000 ? h->o.timeout_ms : 10000));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SHARE, ep->share);
    curl_easy_setopt(e, CURLOPT_COOKIEFILE, ""); /* cookie engine on, nothing read */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (h->o.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->o.ca_file);
    if (h->o.ca_dir)
        curl_easy_setopt(e, CURLOPT_CAPATH, h->o.ca_dir);
    if (h->o.client_cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, h->o.client_cert);
    if (h->o.client_key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, h->o.client_key);
    if (ep->connect_list)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, ep->connect_list);
    return q;
}

static void req_free(hec *h, hreq *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        h->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    curl_multi_remove_handle(h->multi, q->e);
    curl_easy_cleanup(q->e);
    free(q->body);
    free(q->resp);
    free(q);
}

static int req_start(hec *h, hreq *q)
{
    if (curl_multi_add_handle(h->multi, q->e) != CURLM_OK) {
        curl_easy_cleanup(q->e);
        free(q->body);
        free(q);
        return HEC_ECURL;
    }
    q->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = q;
    h->reqs = q;
    STAT_ADD(h, requests, 1);
    return HEC_OK;
}

static void send_batch(hec *h, hbatch *b, int epi, int64_t now)
{
    endpoint *ep = &h->eps[epi];
    if (h->o.gzip_level && batch_gzip(h, b) != HEC_OK)
        hlog(h, HEC_LOG_WARN, "hec: gzip failed; sending this batch uncompressed");
    int gz = b->gz != NULL;
    hreq *q = req_new(h, R_EVENT, epi, ep->event_url, gz ? ep->hdr_data_gz : ep->hdr_data);
    if (!q) {
        b->next_try = now + backoff(h, 0);
        return;
    }
    q->b = b;
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDS, gz ? b->gz : b->raw);
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(gz ? b->gzlen : b->rlen));
    if (req_start(h, q) != HEC_OK) {
        b->next_try = now + backoff(h, 0);
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

static void send_ack_query(hec *h, int epi, int64_t now)
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
    hreq *q = req_new(h, R_ACK, epi, ep->ack_url, ep->hdr_data);
    if (!q) {
        free(body);
        return;
    }
    q->body = body;
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(q->e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    if (req_start(h, q) == HEC_OK) {
        ep->ack_inflight = 1;
        STAT_ADD(h, ack_polls, 1);
    }
    ep->next_ack_poll = now + (int64_t)h->o.ack_poll_ms;
}

static void reload_token(hec *h)
{
    /* The environment was scrubbed once read, and no one can change a
     * running process's environment anyway: only a file is read again. */
    if (!h->o.token_file)
        return;
    char tok[HEC_TOKEN_MAX], err[256];
    if (hec_token_load(h->o.token_file, h->o.token_env, tok, sizeof(tok), err, sizeof(err)) != 0) {
        hlog(h, HEC_LOG_WARN, "hec: %s; keeping the token in use", err);
        return;
    }
    if (strcmp(tok, h->token) != 0) {
        memcpy(h->token, tok, sizeof(tok));
        for (size_t i = 0; i < h->nep; i++)
            build_headers(h, &h->eps[i]);
        STAT_ADD(h, token_reloads, 1);
        hlog(h, HEC_LOG_INFO, "hec: a new token was read");
    }
    explicit_bzero(tok, sizeof(tok));
}

static void send_health(hec *h, int epi, int64_t now)
{
    endpoint *ep = &h->eps[epi];
    if (ep->state == EP_HELD)
        reload_token(h); /* the operator may have fixed the token file */
    hreq *q = req_new(h, R_HEALTH, epi, ep->health_url, ep->hdr_plain);
    if (q && req_start(h, q) == HEC_OK) {
        ep->health_inflight = 1;
        STAT_ADD(h, health_checks, 1);
    }
    if (ep->state == EP_UP)
        ep->next_health = now + (int64_t)h->o.health_interval_ms;
}

/* ---- replies ---- */

/* Every reply text is redacted as it is read: a reply may quote the
 * request, token included, and its text goes to logs and dead letters. */
static void parse_reply(hec *h, const hreq *q, hec_reply *r)
{
    hec_reply_parse(q->resp, q->rlen, r);
    hec_redact(r->text, sizeof(r->text), h->token);
}

static void reply_text(char *buf, size_t cap, long status, const hec_reply *r, const hreq *q,
                       CURLcode cc)
{
    if (status == 0)
        snprintf(buf, cap, "%s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
    else if (r->has_code)
        snprintf(buf, cap, "HTTP %ld, code %ld \"%s\"", status, r->code, r->text);
    else
        snprintf(buf, cap, "HTTP %ld", status);
}

static long retry_after_ms(CURL *e)
{
    struct curl_header *hh = NULL;
    if (curl_easy_header(e, "Retry-After", 0, CURLH_HEADER, -1, &hh) != CURLHE_OK || !hh)
        return 0;
    char *end;
    long s = strtol(hh->value, &end, 10);
    return end != hh->value && s > 0 && s < 86400 ? s * 1000 : 0;
}

static void count_status(hec *h, long status)
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

static void retry_later(hec *h, hbatch *b, endpoint *ep, long status, long ra_ms, int64_t now,
                        const char *why)
{
    STAT_ADD(h, retries, 1);
    b->state = B_READY;
    b->attempts++;
    int64_t wait = backoff(h, b->attempts - 1);
    if (ra_ms > wait)
        wait = ra_ms;
    b->next_try = now + wait;
    if (status == 0) {
        ep_down(h, ep, now, why);
    } else {
        /* Busy (429/503) or failing: leave this endpoint alone for a while
         * so that the others take the load. */
        ep->fails++;
        int64_t cool = backoff(h, ep->fails - 1);
        if (ra_ms > cool)
            cool = ra_ms;
        ep->cool_until = now + cool;
    }
    if (b->attempts == 1 || b->attempts % 10 == 0)
        hlog(h, HEC_LOG_WARN, "hec: %s: %s; batch of %zu events retried in %lld ms (attempt %u)",
             ep->base, why, b->n, (long long)wait, b->attempts + 1);
}

/* Events [0,k) were taken, event k was refused for a reason that will not
 * change: dead-letter it and send the rest again. */
static void salvage(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r)
{
    size_t k = (size_t)r->ien, len, start;
    STAT_ADD(h, partial_failures, 1);
    if (batch_ensure_raw(b) != HEC_OK) {
        hlog(h, HEC_LOG_ERR, "hec: cannot rebuild a batch after a partial failure");
        b->state = B_READY;
        return;
    }
    const char *rec = batch_rec(b, k, &len, &start);
    dead_letter(h, rec, len, ep->base, status, r, "refused");
    hlog(h, HEC_LOG_WARN,
         "hec: %s refused event %zu of %zu (code %ld \"%s\"); it went to the dead-letter "
         "file, the %zu after it are sent again",
         ep->base, k, b->n, r->code, r->text, b->n - k - 1);
    STAT_ADD(h, events_delivered, k);
    spool_done_seqs(h, b->seqs, 0, k + 1);
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
        batch_remove(h, b);
    notify_progress(h);
}

/* 413: halve the batch; a single event that is too large is dead-lettered. */
static void split_batch(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r)
{
    if (batch_ensure_raw(b) != HEC_OK)
        return;
    free(b->gz);
    b->gz = NULL;
    b->state = B_READY;
    b->next_try = 0;
    if (b->n == 1) {
        dead_letter(h, b->raw, b->rlen - 1, ep->base, status, r, "request too large");
        spool_done_seqs(h, b->seqs, 0, 1);
        batch_remove(h, b);
        notify_progress(h);
        return;
    }
    STAT_ADD(h, splits, 1);
    size_t half = b->n / 2, len, start;
    batch_rec(b, half, &len, &start);
    hbatch *t = calloc(1, sizeof(*t));
    int ok = t != NULL;
    for (size_t i = half; ok && i < b->n; i++) {
        const char *rec = batch_rec(b, i, &len, &start);
        ok = batch_add(t, b->seqs[i], rec, len) == HEC_OK;
    }
    if (!ok) {
        batch_free(t);
        return;
    }
    batch_rec(b, half, &len, &start);
    b->rlen = start;
    b->n = half;
    h->events_held -= t->n;
    batch_push(h, t);
}

static void on_event_reply(hec *h, hreq *q, long status, CURLcode cc, int64_t now)
{
    hbatch *b = q->b;
    endpoint *ep = &h->eps[q->ep];
    ep->inflight--;
    hec_reply r;
    parse_reply(h, q, &r);
    char why[256];
    reply_text(why, sizeof(why), status, &r, q, cc);
    switch (hec_classify(status, &r, b->n)) {
    case HEC_DONE:
        if (h->o.acks && !ep->acks_off && !r.has_ack_id) {
            /* With acks on, a 200 means "received", and only the ackId
             * says it was indexed: a proxy or a fake answering 200 without
             * one must not count as delivery. */
            STAT_ADD(h, ack_id_missing, 1);
            if (h->st.ack_id_missing == 1 || h->st.ack_id_missing % 100 == 0)
                hlog(h, HEC_LOG_WARN,
                     "hec: %s answered %ld without a usable ackId although acks are on (a proxy "
                     "in the way?); the batch is sent again (%llu such replies so far)",
                     ep->base, status, (unsigned long long)h->st.ack_id_missing);
            retry_later(h, b, ep, status, 0, now, "HTTP 200 without an ackId");
            break;
        }
        ep_up(h, ep);
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
            batch_complete(h, b);
        }
        break;
    case HEC_RETRY:
        retry_later(h, b, ep, status, retry_after_ms(q->e), now, why);
        break;
    case HEC_PARTIAL:
        salvage(h, b, ep, status, &r);
        break;
    case HEC_TOO_LARGE:
        split_batch(h, b, ep, status, &r);
        break;
    case HEC_AUTH:
        STAT_ADD(h, auth_failures, 1);
        b->state = B_READY;
        ep_hold(h, ep, now, why);
        break;
    case HEC_MISCONFIGURED:
        STAT_ADD(h, misconfigured, 1);
        b->state = B_READY;
        ep_hold(h, ep, now, why);
        break;
    case HEC_REJECT:
        if (batch_ensure_raw(b) == HEC_OK) {
            size_t len, start;
            for (size_t i = 0; i < b->n; i++) {
                const char *rec = batch_rec(b, i, &len, &start);
                dead_letter(h, rec, len, ep->base, status, &r, why);
            }
        }
        hlog(h, HEC_LOG_ERR, "hec: %s refused a batch of %zu events (%s); dead-lettered", ep->base,
             b->n, why);
        spool_done_seqs(h, b->seqs, 0, b->n);
        batch_remove(h, b);
        notify_progress(h);
        break;
    }
}

typedef struct ack_ctx {
    hec *h;
    int ep;
} ack_ctx;

static void on_ack(void *arg, uint64_t id, int acked)
{
    ack_ctx *c = arg;
    if (!acked)
        return;
    hec *h = c->h;
    for (size_t i = 0; i < h->nb; i++) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && b->ep == c->ep && b->ack_id == id) {
            STAT_ADD(h, acks_true, 1);
            batch_complete(h, b);
            return;
        }
    }
}

static void complete_ackwait(hec *h, int epi)
{
    for (size_t i = h->nb; i-- > 0;) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && b->ep == epi)
            batch_complete(h, b);
    }
}

static void on_ack_reply(hec *h, hreq *q, long status, int64_t now)
{
    endpoint *ep = &h->eps[q->ep];
    ep->ack_inflight = 0;
    hec_reply r;
    if (status == 200) {
        ack_ctx c = {h, q->ep};
        if (hec_ack_parse(q->resp, q->rlen, on_ack, &c) >= 0) {
            /* An indexer that answers ack polls is back, even when nothing
             * else is left to send there to show it. */
            if (ep->state == EP_DOWN)
                ep_up(h, ep);
            return;
        }
    }
    parse_reply(h, q, &r);
    if (status == 400 && r.has_code && r.code == 14) {
        /* The token has no acknowledgement: a 200 is all there is. */
        ep->acks_off = 1;
        hlog(h, HEC_LOG_WARN,
             "hec: %s: indexer acknowledgement is off for this token; a 200 reply now counts "
             "as delivered",
             ep->base);
        complete_ackwait(h, q->ep);
        return;
    }
    STAT_ADD(h, ack_poll_errors, 1);
    if (status == 401 || status == 403) {
        char why[256];
        reply_text(why, sizeof(why), status, &r, q, CURLE_OK);
        STAT_ADD(h, auth_failures, 1);
        ep_hold(h, ep, now, why);
    }
}

static void on_health_reply(hec *h, hreq *q, long status, CURLcode cc, int64_t now)
{
    endpoint *ep = &h->eps[q->ep];
    ep->health_inflight = 0;
    hec_reply r;
    parse_reply(h, q, &r);
    char why[256];
    reply_text(why, sizeof(why), status, &r, q, cc);
    if (status == 200) {
        if (ep->state == EP_HELD)
            hlog(h, HEC_LOG_INFO, "hec: %s accepts the token again", ep->base);
        ep_up(h, ep);
        return;
    }
    STAT_ADD(h, health_failures, 1);
    int auth = status == 401 || status == 403 ||
               (status == 400 && r.has_code && (r.code == 21 || r.code == 22));
    if (auth) {
        /* A refusal is one whether a batch or the health check met it. */
        STAT_ADD(h, auth_failures, 1);
        ep_hold(h, ep, now, why);
    } else if (ep->state == EP_HELD) {
        ep->next_health = now + (int64_t)h->o.auth_retry_ms;
    } else {
        if (ep->state == EP_DOWN)
            ep->fails++, ep->next_health = now + backoff(h, ep->fails);
        else
            ep_down(h, ep, now, why);
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
            count_status(h, status);
            on_event_reply(h, q, status, cc, now);
        } else if (q->kind == R_ACK) {
            on_ack_reply(h, q, status, now);
        } else {
            on_health_reply(h, q, status, cc, now);
        }
        req_free(h, q);
    }
}

/* ---- the loop ---- */

static void seal(hec *h)
{
    hbatch *b = h->forming;
    h->forming = NULL;
    if (batch_push(h, b) != HEC_OK) {
        h->forming = b; /* try again later */
        return;
    }
}

/* A forming batch, started when needed. */
static hbatch *forming(hec *h)
{
    if (!h->forming)
        h->forming = calloc(1, sizeof(hbatch));
    return h->forming;
}

static void fill(hec *h, int64_t now, int hurry)
{
    uint64_t seq;
    const char *data;
    size_t len;
    hbatch *f;
    while (h->nb < h->o.max_batches && (f = forming(h)) != NULL) {
        if (spool_read(h->o.spool, &seq, &data, &len) != 1)
            break;
        if (len > h->o.max_event_bytes) {
            /* Splunk would drop it (maxEventSize); gzip hides the size, so
             * check the decoded length here. */
            dead_letter(h, data, len, NULL, 0, NULL, "event larger than max_event_bytes");
            spool_done(h->o.spool, seq, 1);
            continue;
        }
        if (f->n > 0 && f->rlen + len + 1 > h->o.batch_bytes) {
            seal(h);
            if (!(f = forming(h)))
                return;
        }
        if (f->n == 0)
            f->t0 = now;
        if (batch_add(f, seq, data, len) != HEC_OK) {
            hlog(h, HEC_LOG_ERR, "hec: out of memory building a batch");
            return;
        }
        if (f->n >= h->o.batch_events)
            seal(h);
    }
    if (h->forming && h->forming->n > 0 && h->nb < h->o.max_batches &&
        (hurry || now - h->forming->t0 >= (int64_t)h->o.batch_time_ms))
        seal(h);
}

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

static void ack_timeouts(hec *h, int64_t now)
{
    for (size_t i = 0; i < h->nb; i++) {
        hbatch *b = h->bs[i];
        if (b->state == B_ACKWAIT && now - b->sent_at >= (int64_t)h->o.ack_timeout_ms) {
            STAT_ADD(h, ack_timeouts, 1);
            hlog(h, HEC_LOG_WARN,
                 "hec: %s did not acknowledge a batch of %zu events (ackId %" PRIu64
                 ") in %llu ms; sending it again",
                 h->eps[b->ep].base, b->n, b->ack_id, (unsigned long long)h->o.ack_timeout_ms);
            b->state = B_READY;
            b->next_try = 0;
        }
    }
}

static void endpoint_chores(hec *h, int64_t now)
{
    for (size_t i = 0; i < h->nep; i++) {
        endpoint *ep = &h->eps[i];
        if (h->o.acks && !ep->acks_off && !ep->ack_inflight && ep->state != EP_HELD &&
            now >= ep->next_ack_poll)
            send_ack_query(h, (int)i, now);
        int check = ep->state != EP_UP || h->o.health_interval_ms > 0;
        if (check && !ep->health_inflight && now >= ep->next_health)
            send_health(h, (int)i, now);
        if (ep->state == EP_HELD && now - ep->last_warn >= (int64_t)h->o.auth_warn_ms) {
            ep->last_warn = now;
            hlog(h, HEC_LOG_ERR,
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
            reload_token(h);
        int hurry = stopping || atomic_load(&h->drainers) > 0;
        fill(h, now, hurry);
        dispatch(h, now);
        ack_timeouts(h, now);
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

static void hec_free(hec *h)
{
    while (h->reqs)
        req_free(h, h->reqs);
    for (size_t i = 0; i < h->nep; i++)
        endpoint_free(&h->eps[i]);
    for (size_t i = 0; i < h->nb; i++)
        batch_free(h->bs[i]);
    free(h->bs);
    batch_free(h->forming);
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
    pthread_cond_init(&h->progress, NULL);
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
        if ((rc = endpoint_init(h, &h->eps[i], o->urls[i], err, errlen)) != HEC_OK) {
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
    count_up(h);
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
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
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

/* ---- --check-output ---- */

/* One blocking request on an endpoint; status 0 on a transport error, with
 * curl's reason in why.  The reply's HEC code goes to *code (-1: none). */
static long probe_request(hec *h, int epi, int kind, long *code, char *why, size_t whylen)
{
    endpoint *ep = &h->eps[epi];
    hreq *q = kind == R_HEALTH ? req_new(h, R_HEALTH, epi, ep->health_url, ep->hdr_plain)
                               : req_new(h, R_EVENT, epi, ep->event_url, ep->hdr_data);
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
        return -1;
    }
    h->o = *o;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->progress, NULL);
    h->rng = (uint64_t)now_ms() | 1;
    if (hec_token_load(o->token_file, o->token_env, h->token, sizeof(h->token), err, errlen)) {
        hec_free(h);
        return -1;
    }
    for (size_t i = 0; i < o->n_urls; i++, h->nep++)
        if (endpoint_init(h, &h->eps[i], o->urls[i], err, errlen) != HEC_OK) {
            h->nep++;
            hec_free(h);
            return -1;
        }
    int failed = 0;
    for (size_t i = 0; i < h->nep; i++)
        failed += probe_endpoint(h, (int)i, report, ctx);
    hec_free(h);
    return failed;
}
