/* The syslog listener: UDP (RFC 5426, one message a datagram) and TCP with
 * both RFC 6587 framings, octet counting ("LEN SP MSG") and LF-terminated,
 * told apart per message by its first byte as rsyslog and syslog-ng do.
 *
 * One thread serves every listening socket and connection with epoll.  Each
 * connection holds at most max_message bytes (plus a frame header); longer
 * messages are cut to that size, counted, and the rest skipped.  No peer
 * can take the listener: a peer address has at most
 * max_connections_per_source connections and peer_buffer_budget bytes of
 * buffers, the listener buffer_budget bytes (past a budget the message a
 * connection holds is cut, counted, and the connection closed); a silent
 * connection goes after idle_timeout_ms, and one that brings an unfinished
 * message more slowly than min_bytes_per_minute after a minute.  When the
 * queue is full the thread waits (TCP senders then wait in their turn, and
 * the kernel counts what UDP loses); UDP batches that find the queue full
 * are dropped and counted instead, so datagrams never hold up streams. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inputs.h"
#include "syslog_frame.h"

#include <linux/sock_diag.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define READ_CHUNK 65536
#define EPOLL_BATCH 64
#define RATE_WINDOW_MS 10000 /* min_bytes_per_minute is checked over 10 s windows */

enum framing { FRAME_NONE = 0, FRAME_OCTET, FRAME_LF };

/* What an epoll registration points at. */
typedef struct slot {
    enum { SLOT_LISTENER, SLOT_CONN, SLOT_STOP } kind;
    input *in;
} slot;

typedef struct conn {
    slot s; /* first: the epoll registration points here */
    int fd;
    input *in;
    char *buf;
    size_t len, cap;
    frame_state fr;
    int64_t last_ms;      /* last activity, for idle_timeout_ms */
    struct in6_addr peer; /* IPv4 as mapped */
    int64_t window_ms;    /* start of the window min_bytes_per_minute is checked over */
    uint64_t window_bytes;
    struct conn *prev, *next;
} conn;

typedef struct listener_state {
    slot s;
    emitter em;
    int paused;         /* UDP: a full batch waits for room; the socket is not read */
    uint32_t last_ovfl; /* the kernel's drop counter, last seen */
    int meminfo;        /* SO_MEMINFO works: read the counter from it */
    unsigned open_conns;
    uint64_t buf_bytes; /* capacity of every connection's buffer */
} listener_state;

typedef struct server {
    runtime *rt;
    int ep;
    listener_state *ls; /* one per input, indexed like rt->inputs */
    conn *conns;
    char *dgram; /* receive buffer for a datagram that does not fit a batch */
} server;

static int syslog_open(runtime *rt, input *in, char *err, size_t errlen)
{
    (void)rt;
    const cfg_listener *l = in->listener;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    if (inet_pton(AF_INET6, l->address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)l->port);
        sl = sizeof(*s6);
    } else if (inet_pton(AF_INET, l->address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)l->port);
        sl = sizeof(*s4);
    } else {
        snprintf(err, errlen, "%s: not a numeric address", l->listen);
        return -1;
    }
    int type = l->proto == PROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
    int fd = socket(ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s: socket: %s", l->listen, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6) /* [::] means IPv6 only; add 0.0.0.0 for IPv4 */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (l->receive_buffer) {
        /* Past net.core.rmem_max only with CAP_NET_ADMIN (FORCE); without
         * it the kernel caps the plain request at rmem_max. */
        int rb = (int)l->receive_buffer;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
    }
    if (l->proto == PROTO_UDP)
        setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
        (l->proto == PROTO_TCP && listen(fd, 1024) != 0)) {
        snprintf(err, errlen, "%s: %s", l->listen, strerror(errno));
        close(fd);
        return -1;
    }
    in->fd = fd;
    return 0;
}

static void conn_close(server *sv, conn *c)
{
    listener_state *ls = &sv->ls[c->in - sv->rt->inputs];
    epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        sv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ls->open_conns--;
    ls->buf_bytes -= c->cap;
    counter_add(&c->in->st.open_connections, (unsigned long long)-1);
    free(c->buf);
    free(c);
}

static void peer_addr(const struct sockaddr_storage *ss, struct in6_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (ss->ss_family == AF_INET6) {
        *a = ((const struct sockaddr_in6 *)ss)->sin6_addr;
    } else if (ss->ss_family == AF_INET) {
        a->s6_addr[10] = a->s6_addr[11] = 0xff;
        memcpy(a->s6_addr + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    }
}

/* Connections and buffer bytes a peer address holds on this listener (a
 * walk over the connections: accepts and buffer growth are rare next to
 * reads, and there are at most max_connections). */
static void peer_usage(server *sv, const input *in, const struct in6_addr *a, unsigned *n,
                       uint64_t *bytes)
{
    *n = 0;
    *bytes = 0;
    for (conn *c = sv->conns; c; c = c->next)
        if (c->in == in && memcmp(&c->peer, a, sizeof(*a)) == 0) {
            (*n)++;
            *bytes += c->cap;
        }
}

static void accept_all(server *sv, input *in)
{
    listener_state *ls = &sv->ls[in - sv->rt->inputs];
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(in->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN, or EMFILE: try again on the next event */
        struct in6_addr peer;
        peer_addr(&ss, &peer);
        unsigned from_peer;
        uint64_t peer_bytes;
        peer_usage(sv, in, &peer, &from_peer, &peer_bytes);
        if (ls->open_conns >= in->listener->max_connections ||
            from_peer >= in->listener->max_connections_per_source) {
            counter_add(&in->st.rejected_connections, 1);
            close(fd);
            continue;
        }
        conn *c = calloc(1, sizeof(*c));
        if (!c) {
            close(fd);
            continue;
        }
        c->s = (slot){SLOT_CONN, in};
        c->fd = fd;
        c->in = in;
        c->peer = peer;
        c->last_ms = c->window_ms = now_ms();
        struct epoll_event ev = {EPOLLIN | EPOLLRDHUP, {.ptr = c}};
        if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = sv->conns;
        if (sv->conns)
            sv->conns->prev = c;
        sv->conns = c;
        ls->open_conns++;
        counter_add(&in->st.connections, 1);
        counter_add(&in->st.open_connections, 1);
    }
}

typedef struct conn_emit_ctx {
    server *sv;
    conn *c;
} conn_emit_ctx;

/* The framing state machine (syslog_frame.c) hands each message here. */
static int conn_emit(void *arg, const char *msg, size_t len, int cut)
{
    conn_emit_ctx *x = arg;
    if (!len) { /* a frame cut before its first byte: nothing to pass on */
        counter_add(&x->c->in->st.cut, 1);
        return 0;
    }
    return emitter_line(&x->sv->ls[x->c->in - x->sv->rt->inputs].em, msg, len, cut, -1);
}

/* Take every complete message out of the connection's buffer. */
static int conn_parse(server *sv, conn *c)
{
    conn_emit_ctx x = {sv, c};
    int rc = 0;
    size_t p =
        frame_parse(&c->fr, c->buf, c->len, c->in->listener->max_message, conn_emit, &x, &rc);
    if (p) {
        memmove(c->buf, c->buf + p, c->len - p);
        c->len -= p;
    }
    return rc;
}

/* At EOF (or when the connection must go: cut): what is left is one
 * message. */
static void conn_tail(server *sv, conn *c, int cut)
{
    conn_emit_ctx x = {sv, c};
    frame_eof(&c->fr, c->buf, c->len, c->in->listener->max_message, conn_emit, &x, cut);
}

static void udp_read(server *sv, input *in);

/* The kernel's count of datagrams this socket dropped (receive buffer
 * full).  SO_RXQ_OVFL reports it only on datagrams queued after the drops,
 * so a burst lost while paused would be counted late or never; SO_MEMINFO
 * reads it now.  Called every loop and at the end. */
static void udp_count_drops(server *sv, input *in)
{
    listener_state *ls = &sv->ls[in - sv->rt->inputs];
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof(mem);
    if (getsockopt(in->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
        len <= SK_MEMINFO_DROPS * sizeof(uint32_t)) {
        ls->meminfo = 0; /* older kernel: SO_RXQ_OVFL on each datagram */
        return;
    }
    uint32_t drops = mem[SK_MEMINFO_DROPS];
    counter_add(&in->st.dropped, (uint32_t)(drops - ls->last_ovfl));
    ls->last_ovfl = drops;
    ls->meminfo = 1;
}

/* Hand a UDP listener's batch over without waiting.  When the queue is full
 * the batch is kept and the socket is no longer polled: datagrams then wait
 * in the socket's receive buffer, and what overflows it the kernel drops
 * and counts (SO_RXQ_OVFL, added to this input's "dropped").  A stream
 * input never waits on a datagram one this way.  0, or -1 when paused. */
static int udp_push(server *sv, input *in)
{
    listener_state *ls = &sv->ls[in - sv->rt->inputs];
    if (emitter_try_push(&ls->em) != 0) {
        if (!ls->paused) {
            struct epoll_event ev = {0, {.ptr = &ls->s}};
            epoll_ctl(sv->ep, EPOLL_CTL_MOD, in->fd, &ev);
            ls->paused = 1;
        }
        return -1;
    }
    if (ls->paused) {
        struct epoll_event ev = {EPOLLIN, {.ptr = &ls->s}};
        epoll_ctl(sv->ep, EPOLL_CTL_MOD, in->fd, &ev);
        ls->paused = 0;
    }
    return 0;
}

/* Read what the connection has: 1 = read something (there may be more),
 * 0 = nothing more for now, -1 = closed. */
/* Whether the connection may take `more` bytes of buffer: within its
 * peer's budget and the listener's. */
static int budget_allows(server *sv, conn *c, size_t more)
{
    const cfg_listener *l = c->in->listener;
    listener_state *ls = &sv->ls[c->in - sv->rt->inputs];
    if (ls->buf_bytes + more > l->buffer_budget)
        return 0;
    unsigned n;
    uint64_t peer_bytes;
    peer_usage(sv, c->in, &c->peer, &n, &peer_bytes);
    return peer_bytes + more <= l->peer_buffer_budget;
}

/* Out of budget: the message held so far is passed on cut (and counted),
 * and the connection closed; the sender may come back when it has less in
 * flight. */
static int conn_over_budget(server *sv, conn *c)
{
    counter_add(&c->in->st.budget_cut, 1);
    conn_tail(sv, c, 1);
    conn_close(sv, c);
    return -1;
}

static int conn_grow(server *sv, conn *c, size_t n)
{
    if (!budget_allows(sv, c, n - c->cap))
        return -1;
    char *b = realloc(c->buf, n);
    if (!b)
        return -1;
    sv->ls[c->in - sv->rt->inputs].buf_bytes += n - c->cap;
    c->buf = b;
    c->cap = n;
    return 0;
}

static int conn_read(server *sv, conn *c)
{
    size_t max = c->in->listener->max_message + FRAME_HEADER_MAX;
    if (!c->buf && conn_grow(sv, c, max < READ_CHUNK ? max : READ_CHUNK) != 0)
        return conn_over_budget(sv, c); /* idle connections cost only their struct */
    for (int rounds = 0; rounds < 16; rounds++) {
        if (c->len == c->cap && c->cap < max &&
            conn_grow(sv, c, c->cap * 2 < max ? c->cap * 2 : max) != 0)
            return conn_over_budget(sv, c);
        ssize_t k = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (k > 0) {
            c->len += (size_t)k;
            c->last_ms = now_ms();
            c->window_bytes += (uint64_t)k;
            if (conn_parse(sv, c) != 0)
                return 0; /* the queue was aborted */
            if ((size_t)k < READ_CHUNK / 2)
                return 1; /* likely drained; level-triggered epoll calls again */
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        /* EOF or error: a last message without its LF still counts. */
        if (k == 0)
            conn_tail(sv, c, 0);
        conn_close(sv, c);
        return -1;
    }
    return 1;
}

/* On stop: what senders already handed to the kernel is taken too, so that
 * a stop does not lose messages a sender counts as sent. */
static void drain_all(server *sv)
{
    for (conn *c = sv->conns, *n; c; c = n) {
        n = c->next;
        /* Bounded: a sender that never pauses must not hold up the stop. */
        for (int r = 0; r < 64 && conn_read(sv, c) == 1; r++)
            ;
    }
    for (size_t i = 0; i < sv->rt->n_inputs; i++)
        if (sv->rt->inputs[i].ops == &input_syslog_ops &&
            sv->rt->inputs[i].listener->proto == PROTO_UDP) {
            udp_read(sv, &sv->rt->inputs[i]);
            udp_count_drops(sv, &sv->rt->inputs[i]);
        }
}

static void udp_read(server *sv, input *in)
{
    listener_state *ls = &sv->ls[in - sv->rt->inputs];
    size_t max = in->listener->max_message;
    for (int i = 0; i < 256; i++) {
        emitter *em = &ls->em;
        char *dst = emitter_reserve(em, max + 1);
        if (!dst && emitter_pending(em)) {
            if (udp_push(sv, in) != 0)
                return; /* paused until the queue has room */
            dst = emitter_reserve(em, max + 1);
        }
        if (!dst)
            return; /* out of memory */
        struct iovec iov = {dst, max + 1};
        char cbuf[CMSG_SPACE(sizeof(uint32_t))];
        struct msghdr mh;
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);
        /* max + 1 bytes of room tell a datagram of exactly max from a
         * longer one. */
        ssize_t k = recvmsg(in->fd, &mh, MSG_TRUNC | MSG_DONTWAIT);
        if (k < 0)
            return;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); !ls->meminfo && cm; cm = CMSG_NXTHDR(&mh, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
                uint32_t ovfl;
                memcpy(&ovfl, CMSG_DATA(cm), sizeof(ovfl));
                counter_add(&in->st.dropped, (uint32_t)(ovfl - ls->last_ovfl));
                ls->last_ovfl = ovfl;
            }
        size_t len = (size_t)k;
        int cut = len > max;
        if (cut)
            len = max;
        while (len && (dst[len - 1] == '\n' || dst[len - 1] == '\r' || dst[len - 1] == 0))
            len--;
        emitter_commit(em, len, cut, (size_t)k);
    }
}

/* Hand over what was gathered, so a quiet stream is not held back. */
static void flush_batches(server *sv, int final)
{
    for (size_t i = 0; i < sv->rt->n_inputs; i++) {
        input *in = &sv->rt->inputs[i];
        if (in->ops != &input_syslog_ops || !emitter_pending(&sv->ls[i].em))
            continue;
        emitter *em = &sv->ls[i].em;
        /* At the end every kind waits for room: the worker is draining. */
        if (in->listener->proto == PROTO_TCP || final)
            emitter_push(em);
        else
            udp_push(sv, in);
    }
}

static void expire_idle(server *sv)
{
    int64_t t = now_ms();
    for (conn *c = sv->conns, *n; c; c = n) {
        n = c->next;
        const cfg_listener *l = c->in->listener;
        if (l->idle_timeout_ms && t - c->last_ms > (int64_t)l->idle_timeout_ms) {
            conn_close(sv, c);
            continue;
        }
        if (t - c->window_ms < RATE_WINDOW_MS)
            continue;
        /* A window is over: an unfinished message that came slower than
         * the minimum rate is a peer holding a slot and a buffer with a
         * byte now and then (slowloris); its message is passed on cut. */
        if (c->len && c->window_bytes * 60000 < l->min_bytes_per_minute * RATE_WINDOW_MS) {
            counter_add(&c->in->st.slow_closed, 1);
            conn_tail(sv, c, 1);
            conn_close(sv, c);
            continue;
        }
        c->window_ms = t;
        c->window_bytes = 0;
    }
}

static void syslog_run(runtime *rt)
{
    server sv;
    memset(&sv, 0, sizeof(sv));
    sv.rt = rt;
    sv.ep = epoll_create1(EPOLL_CLOEXEC);
    sv.ls = calloc(rt->n_inputs, sizeof(*sv.ls));
    slot stop = {SLOT_STOP, NULL};
    if (sv.ep < 0 || !sv.ls)
        goto out;
    struct epoll_event ev = {EPOLLIN, {.ptr = &stop}};
    epoll_ctl(sv.ep, EPOLL_CTL_ADD, rt->stop_fd, &ev);
    for (size_t i = 0; i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        if (in->ops != &input_syslog_ops)
            continue;
        listener_state *ls = &sv.ls[i];
        ls->s = (slot){SLOT_LISTENER, in};
        emitter_init(&ls->em, rt, in);
        struct epoll_event le = {EPOLLIN, {.ptr = &ls->s}};
        epoll_ctl(sv.ep, EPOLL_CTL_ADD, in->fd, &le);
    }
    int64_t last_idle_check = now_ms();
    struct epoll_event evs[EPOLL_BATCH];
    while (!atomic_load(&rt->stopping)) {
        /* A paused UDP listener retries its batch soon. */
        int paused = 0;
        for (size_t k = 0; k < rt->n_inputs; k++) {
            paused |= sv.ls[k].paused;
            if (rt->inputs[k].ops == &input_syslog_ops &&
                rt->inputs[k].listener->proto == PROTO_UDP)
                udp_count_drops(&sv, &rt->inputs[k]);
        }
        int n = epoll_wait(sv.ep, evs, EPOLL_BATCH, paused ? 5 : 100);
        for (int i = 0; i < n; i++) {
            slot *s = evs[i].data.ptr;
            if (s->kind == SLOT_CONN) {
                conn_read(&sv, (conn *)s);
                continue;
            }
            if (s->kind == SLOT_STOP)
                break;
            if (s->in->listener->proto == PROTO_TCP)
                accept_all(&sv, s->in);
            else
                udp_read(&sv, s->in);
        }
        flush_batches(&sv, 0);
        if (now_ms() - last_idle_check > 1000) {
            expire_idle(&sv);
            last_idle_check = now_ms();
        }
    }
    drain_all(&sv);
    flush_batches(&sv, 1);
out:
    while (sv.conns)
        conn_close(&sv, sv.conns);
    for (size_t i = 0; sv.ls && i < rt->n_inputs; i++)
        emitter_free(&sv.ls[i].em);
    free(sv.ls);
    if (sv.ep >= 0)
        close(sv.ep);
}

const input_ops input_syslog_ops = {"syslog", syslog_open, syslog_run, input_close_fd};
