/* hec_count_receiver: a counting stand-in for Splunk's HTTP Event Collector,
 * for the throughput benchmark (tests/bench/bench_hec.py).
 *
 *   hec_count_receiver --token TOKEN [--port N] [--port-file F]
 *
 * The Python receiver (tests/forwarder/hec/hec_receiver.py) checks everything but
 * takes a whole core for less than 200,000 events/s; on a 2-core machine it
 * would measure itself.  This one keeps only what the benchmark must not
 * skip: the Authorization header, gzip bodies inflated, and every event
 * counted by walking the concatenated JSON objects' top-level braces
 * (strings and escapes honoured, so a brace inside a string is not one).
 * Anything between objects other than whitespace makes the request a 400.
 *
 * HTTP/1.1 keep-alive, Content-Length or chunked bodies, Expect:
 * 100-continue.  One thread per connection: the benchmark opens a handful.
 *
 *   POST /services/collector[/event]   {"text":"Success","code":0,"ackId":N}
 *   POST /services/collector/ack       every ackId asked for reads true
 *   GET  /services/collector/health    200
 *   GET  /__hec/stats                  {"events":..,"requests":..,...}
 *   POST /__hec/stats/reset            zero the counters
 *
 * Listens on 127.0.0.1 only.  The first line on stdout is the port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define HDR_MAX 65536
#define IO_CHUNK 65536

static const char *token;
static _Atomic uint64_t n_events, n_requests, n_rejected, n_bytes_wire, n_bytes_decoded, n_gzip,
    n_acks, n_ack_queries, n_next_ack;

/* ---- counting events ---------------------------------------------------- */

/* The walk over the decoded body; it survives across inflate output
 * chunks, so the body never has to be held whole. */
typedef struct counter {
    unsigned depth;
    int in_str, esc, bad;
    uint64_t events;
} counter;

static void count_bytes(counter *c, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n && !c->bad; i++) {
        unsigned char ch = p[i];
        if (c->in_str) {
            if (c->esc)
                c->esc = 0;
            else if (ch == '\\')
                c->esc = 1;
            else if (ch == '"')
                c->in_str = 0;
            continue;
        }
        switch (ch) {
        case '"':
            if (!c->depth)
                c->bad = 1; /* a bare string at the top */
            c->in_str = 1;
            break;
        case '{':
        case '[':
            if (!c->depth && ch == '[')
                c->bad = 1; /* HEC wants objects, not an array */
            c->depth++;
            break;
        case '}':
        case ']':
            if (!c->depth) {
                c->bad = 1;
                break;
            }
            if (--c->depth == 0)
                c->events++;
            break;
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            break;
        default:
            if (!c->depth)
                c->bad = 1;
        }
    }
}

/* ---- connection ---------------------------------------------------------- */

typedef struct conn {
    int fd;
    char buf[HDR_MAX];
    size_t len, off; /* bytes in buf; start of what is not consumed */
    z_stream z;
    int z_on;
    unsigned char zout[IO_CHUNK];
    char *ack_body; /* /ack bodies are small: kept whole */
    size_t ack_len, ack_cap;
} conn;

static int fill(conn *c)
{
    if (c->off == c->len)
        c->off = c->len = 0;
    if (c->len == sizeof(c->buf)) {
        if (!c->off)
            return -1;
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    ssize_t r;
    do
        r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return -1;
    c->len += (size_t)r;
    atomic_fetch_add(&n_bytes_wire, (uint64_t)r);
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int reply(conn *c, int status, const char *body)
{
    const char *reason = status == 200   ? "OK"
                         : status == 400 ? "Bad Request"
                         : status == 401 ? "Unauthorized"
                         : status == 403 ? "Forbidden"
                                         : "Not Found";
    char head[256];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=UTF-8\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, reason, blen);
    if (write_all(c->fd, head, (size_t)n) || write_all(c->fd, body, blen))
        return -1;
    return 0;
}

typedef enum body_kind { BODY_EVENTS, BODY_ACK, BODY_SKIP } body_kind;

typedef struct request {
    body_kind kind;
    int gzip;
    counter cnt;
    int z_bad;
} request;

/* Body bytes as they come off the wire. */
static int body_data(conn *c, request *rq, const unsigned char *p, size_t n)
{
    if (rq->kind == BODY_SKIP)
        return 0;
    if (rq->kind == BODY_ACK) {
        if (c->ack_len + n > 1 << 20)
            return -1;
        if (c->ack_len + n + 1 > c->ack_cap) {
            size_t cap = (c->ack_len + n + 1) * 2;
            char *a = realloc(c->ack_body, cap);
            if (!a)
                return -1;
            c->ack_body = a;
            c->ack_cap = cap;
        }
        memcpy(c->ack_body + c->ack_len, p, n);
        c->ack_len += n;
        c->ack_body[c->ack_len] = 0;
        return 0;
    }
    if (!rq->gzip) {
        atomic_fetch_add(&n_bytes_decoded, n);
        count_bytes(&rq->cnt, p, n);
        return 0;
    }
    if (rq->z_bad)
        return 0;
    c->z.next_in = (unsigned char *)p;
    c->z.avail_in = (uInt)n;
    while (c->z.avail_in) {
        c->z.next_out = c->zout;
        c->z.avail_out = sizeof(c->zout);
        int zr = inflate(&c->z, Z_NO_FLUSH);
        size_t got = sizeof(c->zout) - c->z.avail_out;
        atomic_fetch_add(&n_bytes_decoded, got);
        count_bytes(&rq->cnt, c->zout, got);
        if (zr == Z_STREAM_END) {
            inflateReset(&c->z); /* several gzip members one after another */
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rq->z_bad = 1;
            return 0;
        } else if (zr == Z_BUF_ERROR && !got) {
            break;
        }
    }
    return 0;
}

/* Content-Length bytes of body from the buffer and the socket. */
static int read_body_len(conn *c, request *rq, uint64_t left)
{
    while (left) {
        if (c->off == c->len && fill(c))
            return -1;
        size_t n = c->len - c->off;
        if (n > left)
            n = (size_t)left;
        if (body_data(c, rq, (unsigned char *)c->buf + c->off, n))
            return -1;
        c->off += n;
        left -= n;
    }
    return 0;
}

/* One line (CRLF-terminated) from the buffer, for chunk sizes. */
static char *read_line(conn *c)
{
    for (;;) {
        char *s = c->buf + c->off;
        char *e = memchr(s, '\n', c->len - c->off);
        if (e) {
            *e = 0;
            c->off = (size_t)(e - c->buf) + 1;
            return s;
        }
        if (fill(c))
            return NULL;
    }
}

static int read_body_chunked(conn *c, request *rq)
{
    for (;;) {
        char *ln = read_line(c);
        if (!ln)
            return -1;
        uint64_t sz = strtoull(ln, NULL, 16);
        if (!sz)
            break;
        if (read_body_len(c, rq, sz) || !read_line(c))
            return -1;
    }
    /* Trailers, up to the empty line. */
    for (;;) {
        char *ln = read_line(c);
        if (!ln)
            return -1;
        if (!*ln || !strcmp(ln, "\r"))
            return 0;
    }
}

static const char *header(char *hdrs, const char *name)
{
    size_t n = strlen(name);
    for (char *p = hdrs; (p = strstr(p, "\r\n")) != NULL;) {
        p += 2;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            p += n + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
    }
    return NULL;
}

static int header_is(char *hdrs, const char *name, const char *value)
{
    const char *v = header(hdrs, name);
    return v && !strncasecmp(v, value, strlen(value));
}

static int answer_ack(conn *c)
{
    atomic_fetch_add(&n_ack_queries, 1);
    /* Each id of n digits and its comma in the query ("n,") becomes
     * "\"n\":true," in the answer: at most 8 bytes more per id. */
    size_t cap = 64 + c->ack_len * 9;
    char *out = malloc(cap);
    if (!out)
        return -1;
    size_t o = (size_t)snprintf(out, cap, "{\"acks\":{");
    const char *p = c->ack_body ? strchr(c->ack_body, '[') : NULL;
    int first = 1;
    while (p && *p && *p != ']') {
        if (*p >= '0' && *p <= '9') {
            char *e;
            unsigned long long id = strtoull(p, &e, 10);
            o += (size_t)snprintf(out + o, cap - o, "%s\"%llu\":true", first ? "" : ",", id);
            first = 0;
            atomic_fetch_add(&n_acks, 1);
            p = e;
        } else {
            p++;
        }
    }
    snprintf(out + o, cap - o, "}}");
    int rc = reply(c, 200, out);
    free(out);
    return rc;
}

static int stats_reply(conn *c)
{
    char b[512];
    snprintf(b, sizeof(b),
             "{\"events\":%llu,\"requests\":%llu,\"rejected\":%llu,\"bytes_wire\":%llu,"
             "\"bytes_decoded\":%llu,\"gzip_requests\":%llu,\"acks_issued\":%llu,"
             "\"acks_true\":%llu,\"ack_queries\":%llu}",
             (unsigned long long)n_events, (unsigned long long)n_requests,
             (unsigned long long)n_rejected, (unsigned long long)n_bytes_wire,
             (unsigned long long)n_bytes_decoded, (unsigned long long)n_gzip,
             (unsigned long long)n_next_ack, (unsigned long long)n_acks,
             (unsigned long long)n_ack_queries);
    return reply(c, 200, b);
}

/* One request; -1 closes the connection. */
static int handle(conn *c)
{
    char *hdrs, *end;
    for (;;) {
        hdrs = c->buf + c->off;
        end = memmem(hdrs, c->len - c->off, "\r\n\r\n", 4);
        if (end)
            break;
        if (fill(c))
            return -1;
    }
    end[2] = 0; /* keep the last header's CRLF for header() */
    size_t consumed = (size_t)(end + 4 - c->buf);
    char method[8], path[256];
    if (sscanf(hdrs, "%7s %255s", method, path) != 2)
        return -1;
    char *q = strchr(path, '?');
    if (q)
        *q = 0;
    int keep = !header_is(hdrs, "Connection", "close");
    int chunked = header_is(hdrs, "Transfer-Encoding", "chunked");
    const char *cl = header(hdrs, "Content-Length");
    uint64_t clen = cl ? strtoull(cl, NULL, 10) : 0;
    int expect = header_is(hdrs, "Expect", "100-continue");

    request rq;
    memset(&rq, 0, sizeof(rq));
    rq.kind = BODY_SKIP;
    int status = 200;
    const char *text = NULL;
    int is_event = !strcmp(path, "/services/collector") ||
                   !strcmp(path, "/services/collector/event") ||
                   !strcmp(path, "/services/collector/event/1.0");
    int is_ack = !strcmp(path, "/services/collector/ack");
    int control = !strncmp(path, "/__hec/", 7);
    if (is_event || is_ack) {
        const char *auth = header(hdrs, "Authorization");
        size_t tl = strlen(token);
        if (!auth) {
            status = 401;
            text = "{\"text\":\"Token is required\",\"code\":2}";
        } else if (strncmp(auth, "Splunk ", 7) || strncmp(auth + 7, token, tl) ||
                   (auth[7 + tl] != '\r' && auth[7 + tl] != ' ')) {
            status = 403;
            text = "{\"text\":\"Invalid token\",\"code\":4}";
        } else {
            rq.kind = is_event ? BODY_EVENTS : BODY_ACK;
            rq.gzip = is_event && header_is(hdrs, "Content-Encoding", "gzip");
        }
    }
    c->off = consumed;
    if (expect && write_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
        return -1;
    if (rq.gzip) {
        if (!c->z_on) {
            if (inflateInit2(&c->z, 16 + MAX_WBITS) != Z_OK)
                return -1;
            c->z_on = 1;
        } else {
            inflateReset(&c->z);
        }
        atomic_fetch_add(&n_gzip, 1);
    }
    c->ack_len = 0;
    if (c->ack_body)
        c->ack_body[0] = 0;
    int rc = chunked ? read_body_chunked(c, &rq) : read_body_len(c, &rq, clen);
    if (rc)
        return -1;
    atomic_fetch_add(&n_requests, 1);

    if (control) {
        if (!strcmp(path, "/__hec/stats/reset")) {
            n_events = n_requests = n_rejected = n_bytes_wire = n_bytes_decoded = n_gzip = 0;
            n_acks = n_ack_queries = 0;
            rc = reply(c, 200, "{}");
        } else {
            rc = stats_reply(c);
        }
    } else if (status != 200) {
        atomic_fetch_add(&n_rejected, 1);
        rc = reply(c, status, text);
    } else if (is_event) {
        if (rq.z_bad || rq.cnt.bad || rq.cnt.depth || rq.cnt.in_str || !rq.cnt.events) {
            atomic_fetch_add(&n_rejected, 1);
            rc = reply(c, 400,
                       rq.cnt.events || rq.z_bad || rq.cnt.bad
                           ? "{\"text\":\"Invalid data format\",\"code\":6}"
                           : "{\"text\":\"No data\",\"code\":5}");
        } else {
            atomic_fetch_add(&n_events, rq.cnt.events);
            char b[96];
            snprintf(b, sizeof(b), "{\"text\":\"Success\",\"code\":0,\"ackId\":%llu}",
                     (unsigned long long)atomic_fetch_add(&n_next_ack, 1));
            rc = reply(c, 200, b);
        }
    } else if (is_ack) {
        rc = answer_ack(c);
    } else if (!strncmp(path, "/services/collector/health", 26)) {
        rc = reply(c, 200, "{\"text\":\"HEC is healthy\",\"code\":17}");
    } else {
        rc = reply(c, 404,
                   "{\"text\":\"The requested URL was not found on this server.\","
                   "\"code\":404}");
    }
    return rc || !keep ? -1 : 0;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    while (handle(c) == 0)
        ;
    close(c->fd);
    if (c->z_on)
        inflateEnd(&c->z);
    free(c->ack_body);
    free(c);
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    const char *port_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--token") && i + 1 < argc)
            token = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
            port_file = argv[++i];
        else {
            fprintf(stderr, "usage: %s --token TOKEN [--port N] [--port-file F]\n", argv[0]);
            return 2;
        }
    }
    if (!token) {
        fprintf(stderr, "%s: --token is required\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 128) ||
        getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("hec_count_receiver: listen");
        return 1;
    }
    printf("%u\n", ntohs(a.sin_port));
    fflush(stdout);
    if (port_file) {
        /* Written whole, then renamed: a reader never sees half a number. */
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", ntohs(a.sin_port)) < 0 || fclose(f) ||
            rename(tmp, port_file)) {
            perror(port_file);
            return 1;
        }
    }
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE)
                continue;
            perror("hec_count_receiver: accept");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        conn *c = calloc(1, sizeof(*c));
        pthread_t t;
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, conn_main, c)) {
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&at);
    }
}
