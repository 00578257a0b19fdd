/* Prometheus text exposition over a minimal HTTP/1.0 server.  Loopback
 * only: the endpoint has no authentication, and the counters say what the
 * network is being probed with.  One connection at a time is plenty for a
 * scraper; a slow client is cut after a second. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pipeline.h"
#include "runtime.h"

struct metrics {
    int fd;
    runtime *rt;
    pthread_t thread;
    int started;
    atomic_int stop;
};

int metrics_parse_listen(const char *listen, void *sap, unsigned *salen, char *err, size_t errlen)
{
    struct sockaddr_storage *ss = sap;
    char host[64];
    const char *colon = strrchr(listen, ':');
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (!colon || hl == 0 || hl >= sizeof(host))
        goto bad;
    memcpy(host, listen, hl);
    host[hl] = 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || port == 0 || port > 65535)
        goto bad;
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            goto bad;
        if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
            goto not_loopback;
        *salen = sizeof(*s6);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        goto bad;
    if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
        goto not_loopback;
    *salen = sizeof(*s4);
    return 0;
bad:
    snprintf(err, errlen,
             "metrics: listen: \"%s\" is not ADDRESS:PORT (127.0.0.1:9469, [::1]:9469)", listen);
    return -1;
not_loopback:
    snprintf(err, errlen,
             "metrics: listen: \"%s\" is not a loopback address (the endpoint has no "
             "authentication)",
             listen);
    return -1;
}

metrics *metrics_open(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    unsigned sl;
    if (metrics_parse_listen(addr, &ss, &sl, err, errlen) != 0)
        return NULL;
    metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int one = 1;
    m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m->fd >= 0)
        setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&ss, sl) != 0 || listen(m->fd, 16) != 0) {
        snprintf(err, errlen, "metrics: listen: %s: %s", addr, strerror(errno));
        if (m->fd >= 0)
            close(m->fd);
        free(m);
        return NULL;
    }
    return m;
}

/* ---- the text ---- */

typedef struct mbuf {
    char *p;
    size_t len, cap;
    int failed;
} mbuf;

static void put(mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(mbuf *b, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !b->failed; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)k < b->cap - b->len) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = (b->cap + (size_t)k + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A label value: backslash, quote and newline escaped. */
static void put_label(mbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            put(b, "\\%c", *s);
        else if (*s == '\n')
            put(b, "\\n");
        else
            put(b, "%c", *s);
    }
}

static void metric(mbuf *b, const char *name, const char *type, const char *help,
                   unsigned long long v)
{
    put(b, "# HELP ipv6probe_%s %s\n# TYPE ipv6probe_%s %s\nipv6probe_%s %llu\n", name, help, name,
        type, name, v);
}

static const char *const kind_names[] = {"stdin", "file", "syslog", "kmsg"};

static void per_input(mbuf *b, runtime *rt, const char *name, const char *help, size_t off)
{
    put(b, "# HELP ipv6probe_input_%s %s\n# TYPE ipv6probe_input_%s counter\n", name, help, name);
    for (size_t i = 0; i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        put(b, "ipv6probe_input_%s{kind=\"%s\",input=\"", name, kind_names[in->kind]);
        put_label(b, in->name);
        put(b, "\"} %llu\n", counter_get((counter *)((char *)&in->st + off)));
    }
}

/* Outputs' and taggers' counters, as they name them: gauges for what is
 * a level (endpoints up, spool bytes, tracker fill), counters otherwise. */
static int is_gauge(const char *output, const char *name)
{
    static const char *const gauges[] = {
        "endpoints_up", "batches_held", "events_held", "spool_bytes",  "spool_segments",
        "pe_addresses", "pe_prefixes",  "ladders",     "memory_bytes", "spool_replayed"};
    (void)output;
    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
        if (!strcmp(name, gauges[i]))
            return 1;
    return 0;
}

static void emit_output(void *arg, const char *output, const char *name, unsigned long long v)
{
    mbuf *b = arg;
    put(b, "# TYPE ipv6probe_%s_%s %s\nipv6probe_%s_%s %llu\n", output, name,
        is_gauge(output, name) ? "gauge" : "counter", output, name, v);
}

static void capacities(mbuf *b, const fwd_config *c)
{
    put(b, "# HELP ipv6probe_tracker_capacity Entries each tracker holds at most; fill is in "
           "ipv6probe_taggers_*\n# TYPE ipv6probe_tracker_capacity gauge\n");
    put(b, "ipv6probe_tracker_capacity{tracker=\"pe_addresses\"} %zu\n", c->pe.max_addresses);
    put(b, "ipv6probe_tracker_capacity{tracker=\"pe_prefixes\"} %zu\n", c->pe.max_prefixes);
    put(b, "ipv6probe_tracker_capacity{tracker=\"ladders\"} %u\n", c->taggers.ladder_capacity);
    put(b, "ipv6probe_tracker_capacity{tracker=\"scan_sources\"} %u\n", c->taggers.scan_capacity);
    put(b, "ipv6probe_tracker_capacity{tracker=\"scan_pairs\"} %u\n", c->taggers.pair_capacity);
}

char *metrics_render(runtime *rt, size_t *len)
{
    mbuf b = {NULL, 0, 0, 0};
    pipeline_stats *p = &rt->ps;
    metric(&b, "lines_read_total", "counter", "Lines read from all inputs", counter_get(&p->lines));
    metric(&b, "events_total", "counter", "Firewall events parsed", counter_get(&p->events));
    put(&b,
        "# HELP ipv6probe_unparsed_lines_total Lines that are not events\n"
        "# TYPE ipv6probe_unparsed_lines_total counter\n"
        "ipv6probe_unparsed_lines_total{reason=\"not_firewall\"} %llu\n"
        "ipv6probe_unparsed_lines_total{reason=\"malformed\"} %llu\n",
        counter_get(&p->not_firewall), counter_get(&p->malformed));
    metric(&b, "output_errors_total", "counter", "Records an output failed to take",
           counter_get(&p->output_errors));
    metric(&b, "queue_depth", "gauge", "Batches waiting for the worker", queue_depth(&rt->q));
    metric(&b, "queue_capacity", "gauge", "Batches the queue holds", rt->q.max);
    metric(&b, "reloads_total", "counter", "Configuration reloads", counter_get(&p->reloads));
    per_input(&b, rt, "lines_total", "Lines read per input", offsetof(input_stats, lines));
    per_input(&b, rt, "dropped_total", "Lines lost before reading (UDP queue full, kernel)",
              offsetof(input_stats, dropped));
    per_input(&b, rt, "cut_total", "Messages cut at max_message", offsetof(input_stats, cut));
    if (rt->cfg->hec.enabled)
        metric(&b, "hec_endpoints", "gauge", "HEC endpoints configured", rt->cfg->hec.n_endpoints);
    if (rt->pl)
        pipeline_output_stats(rt->pl, emit_output, &b);
    capacities(&b, rt->cfg);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* ---- the server ---- */

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void serve(metrics *m, int c)
{
    struct timeval tv = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    char req[4096];
    size_t n = 0;
    while (n < sizeof(req) - 1) {
        ssize_t r = recv(c, req + n, sizeof(req) - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    req[n] = 0;
    char head[256];
    if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET / ", 6)) {
        static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
                                 "Content-Length: 25\r\nConnection: close\r\n\r\n"
                                 "only GET /metrics is here";
        write_all(c, nf, sizeof(nf) - 1);
        return;
    }
    size_t len = 0;
    char *body = metrics_render(m->rt, &len);
    if (!body) {
        static const char ie[] = "HTTP/1.0 500 Internal Server Error\r\nConnection: close\r\n\r\n";
        write_all(c, ie, sizeof(ie) - 1);
        return;
    }
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                      "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      len);
    write_all(c, head, (size_t)hl);
    write_all(c, body, len);
    free(body);
}

static void *run(void *arg)
{
    metrics *m = arg;
    while (!atomic_load(&m->stop)) {
        struct pollfd p = {m->fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve(m, c);
        close(c);
    }
    return NULL;
}

int metrics_start(metrics *m, runtime *rt, char *err, size_t errlen)
{
    m->rt = rt;
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        snprintf(err, errlen, "metrics: cannot start a thread");
        return -1;
    }
    m->started = 1;
    return 0;
}

void metrics_close(metrics *m)
{
    if (!m)
        return;
    atomic_store(&m->stop, 1);
    if (m->started)
        pthread_join(m->thread, NULL);
    close(m->fd);
    free(m);
}
