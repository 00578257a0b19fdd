/* The HEC client's endpoints: URL checks, TLS and curl options, request
 * headers with the token and channel, requests on the multi handle, health
 * checks, re-reading the token, and each endpoint's up/down/held state. */
#include "hec_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

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
            b[i] = (unsigned char)hec_rnd(h);
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

static int endpoint_setup(hec *h, endpoint *ep, const char *url, char *err, size_t errlen)
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

int hec_endpoint_init(hec *h, endpoint *ep, const char *url, char *err, size_t errlen)
{
    int rc = endpoint_setup(h, ep, url, err, errlen);
    if (rc == HEC_ENOMEM) /* the URL checks wrote their own reasons */
        snprintf(err, errlen, "hec endpoint %s: out of memory", url);
    return rc;
}

void hec_endpoint_free(endpoint *ep)
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

void hec_count_up(hec *h)
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

void hec_ep_down(hec *h, endpoint *ep, int64_t now, const char *why)
{
    ep->fails++;
    ep->next_health = now + hec_backoff(h, ep->fails);
    set_why(ep, why);
    if (ep->state == EP_UP) {
        ep->state = EP_DOWN;
        STAT_ADD(h, endpoint_down, 1);
        hec_log(h, HEC_LOG_WARN, "hec: %s taken out of rotation: %s", ep->base, why);
        hec_count_up(h);
    }
}

void hec_ep_up(hec *h, endpoint *ep)
{
    ep->fails = 0;
    if (ep->state != EP_UP) {
        ep->state = EP_UP;
        ep->cool_until = 0;
        STAT_ADD(h, endpoint_up, 1);
        hec_log(h, HEC_LOG_INFO, "hec: %s is back in rotation", ep->base);
        hec_count_up(h);
    }
}

/* Token refused (or the URL is not an HEC port): send nothing there, hold
 * the data, and say so loudly now and then. */
void hec_ep_hold(hec *h, endpoint *ep, int64_t now, const char *why)
{
    set_why(ep, why);
    ep->next_health = now + (int64_t)h->o.auth_retry_ms;
    if (ep->state != EP_HELD) {
        ep->state = EP_HELD;
        ep->last_warn = 0; /* warn at once */
        hec_count_up(h);
    }
}

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

hreq *hec_req_new(hec *h, int kind, int epi, const char *url, struct curl_slist *hdrs)
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

void hec_req_free(hec *h, hreq *q)
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

int hec_req_start(hec *h, hreq *q)
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

void hec_token_reread(hec *h)
{
    /* The environment was scrubbed once read, and no one can change a
     * running process's environment anyway: only a file is read again. */
    if (!h->o.token_file)
        return;
    char tok[HEC_TOKEN_MAX], err[256];
    if (hec_token_load(h->o.token_file, h->o.token_env, tok, sizeof(tok), err, sizeof(err)) != 0) {
        hec_log(h, HEC_LOG_WARN, "hec: %s; keeping the token in use", err);
        return;
    }
    if (strcmp(tok, h->token) != 0) {
        memcpy(h->token, tok, sizeof(tok));
        for (size_t i = 0; i < h->nep; i++)
            build_headers(h, &h->eps[i]);
        STAT_ADD(h, token_reloads, 1);
        hec_log(h, HEC_LOG_INFO, "hec: a new token was read");
    }
    explicit_bzero(tok, sizeof(tok));
}

void hec_send_health(hec *h, int epi, int64_t now)
{
    endpoint *ep = &h->eps[epi];
    if (ep->state == EP_HELD)
        hec_token_reread(h); /* the operator may have fixed the token file */
    hreq *q = hec_req_new(h, R_HEALTH, epi, ep->health_url, ep->hdr_plain);
    if (q && hec_req_start(h, q) == HEC_OK) {
        ep->health_inflight = 1;
        STAT_ADD(h, health_checks, 1);
    }
    if (ep->state == EP_UP)
        ep->next_health = now + (int64_t)h->o.health_interval_ms;
}

/* Every reply text is redacted as it is read: a reply may quote the
 * request, token included, and its text goes to logs and dead letters. */
void hec_parse_reply(hec *h, const hreq *q, hec_reply *r)
{
    hec_reply_parse(q->resp, q->rlen, r);
    hec_redact(r->text, sizeof(r->text), h->token);
}

void hec_reply_text(char *buf, size_t cap, long status, const hec_reply *r, const hreq *q,
                    CURLcode cc)
{
    if (status == 0)
        snprintf(buf, cap, "%s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
    else if (r->has_code)
        snprintf(buf, cap, "HTTP %ld, code %ld \"%s\"", status, r->code, r->text);
    else
        snprintf(buf, cap, "HTTP %ld", status);
}

void hec_on_health_reply(hec *h, hreq *q, long status, CURLcode cc, int64_t now)
{
    endpoint *ep = &h->eps[q->ep];
    ep->health_inflight = 0;
    hec_reply r;
    hec_parse_reply(h, q, &r);
    char why[256];
    hec_reply_text(why, sizeof(why), status, &r, q, cc);
    if (status == 200) {
        if (ep->state == EP_HELD)
            hec_log(h, HEC_LOG_INFO, "hec: %s accepts the token again", ep->base);
        hec_ep_up(h, ep);
        return;
    }
    STAT_ADD(h, health_failures, 1);
    int auth = status == 401 || status == 403 ||
               (status == 400 && r.has_code && (r.code == 21 || r.code == 22));
    if (auth) {
        /* A refusal is one whether a batch or the health check met it. */
        STAT_ADD(h, auth_failures, 1);
        hec_ep_hold(h, ep, now, why);
    } else if (ep->state == EP_HELD) {
        ep->next_health = now + (int64_t)h->o.auth_retry_ms;
    } else {
        if (ep->state == EP_DOWN)
            ep->fails++, ep->next_health = now + hec_backoff(h, ep->fails);
        else
            hec_ep_down(h, ep, now, why);
    }
}
