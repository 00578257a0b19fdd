/* Write-ahead spool: segment files of checksummed records (see spool.h). */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"

#define REC_MAGIC 0x31525053u  /* "SPR1" little-endian */
#define DONE_MAGIC 0x31445053u /* "SPD1" */
#define HDR 20u
#define WBUF_FLUSH (256u * 1024)
#define RBUF_CHUNK (256u * 1024)

typedef struct seg {
    uint64_t first;  /* seq of its first record */
    uint64_t end;    /* one past the seq of its last record (buffered ones included) */
    uint64_t size;   /* bytes written to the file */
    uint64_t synced; /* bytes known to be on disk */
    int fd;
} seg;

typedef struct range {
    uint64_t a, b; /* [a, b) */
} range;

struct spool {
    pthread_mutex_t mu;
    pthread_cond_t space;
    spool_opts o;
    char *dir;
    int dirfd, lockfd, donefd;

    seg *segs;
    size_t nseg, capseg;
    uint64_t next_seq;
    uint64_t total; /* bytes in segments plus the write buffer */

    char *wbuf;
    size_t wlen, wcap;
    uint64_t wfirst; /* seq of the first record in wbuf (when wlen > 0) */
    int stalled;     /* the last write failed (disk full): wbuf waits for room */

    size_t rseg;    /* reader: segment index, */
    uint64_t roff;  /* offset in it, */
    uint64_t rnext; /* and the seq it expects next */
    char *rbuf;     /* a window of the reader's segment */
    size_t rcap, rlen;
    uint64_t rbase; /* file offset of rbuf[0]; rlen == 0 means empty */

    uint64_t mark; /* every seq below is done */
    uint64_t saved_mark;
    range *dr; /* done ranges above mark, sorted, disjoint */
    size_t ndr, capdr;

    int closing;
    spool_stats st;
};

#define ST_ADD(field, n) atomic_fetch_add_explicit(&s->st.field, (n), memory_order_relaxed)
#define ST_SET(field, n) atomic_store_explicit(&s->st.field, (n), memory_order_relaxed)

static void spool_logf(spool *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void spool_logf(spool *s, const char *fmt, ...)
{
    if (!s->o.log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_ctx, msg);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = (v >> 24) & 0xff;
}
static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}
static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The checksum covers seq and length too, so a record copied to the wrong
 * place or with a damaged length is caught as well as damaged data. */
static uint32_t rec_crc(const unsigned char *hdr, const void *data, size_t len)
{
    uLong c = crc32(0L, hdr + 4, 12); /* length and seq */
    while (len > 0) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, data, n);
        data = (const char *)data + n;
        len -= n;
    }
    return (uint32_t)c;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static ssize_t read_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static void seg_name(char *buf, size_t cap, uint64_t first)
{
    snprintf(buf, cap, "seg-%016" PRIx64 ".spl", first);
}

/* ---- done ranges ---- */

static void save_mark(spool *s)
{
    if (s->donefd < 0 || s->mark == s->saved_mark)
        return;
    unsigned char b[16];
    put32(b, DONE_MAGIC);
    put64(b + 8, s->mark);
    put32(b + 4, (uint32_t)crc32(0L, b + 8, 8));
    /* Not fsynced: a stale mark only means that a restart resends some
     * acknowledged events, never that it loses any. */
    if (write_all(s->donefd, b, sizeof(b), 0) == 0)
        s->saved_mark = s->mark;
}

static int add_range(spool *s, uint64_t a, uint64_t b)
{
    if (b <= s->mark)
        return 0;
    if (a < s->mark)
        a = s->mark;
    size_t i = 0;
    while (i < s->ndr && s->dr[i].b < a)
        i++;
    /* Merge with every range that overlaps or touches [a, b). */
    size_t j = i;
    while (j < s->ndr && s->dr[j].a <= b) {
        if (s->dr[j].a < a)
            a = s->dr[j].a;
        if (s->dr[j].b > b)
            b = s->dr[j].b;
        j++;
    }
    if (j == i) {
        if (s->ndr == s->capdr) {
            size_t cap = s->capdr ? s->capdr * 2 : 16;
            range *n = realloc(s->dr, cap * sizeof(*n));
            if (!n)
                return -1;
            s->dr = n;
            s->capdr = cap;
        }
        memmove(s->dr + i + 1, s->dr + i, (s->ndr - i) * sizeof(*s->dr));
        s->ndr++;
    } else if (j > i + 1) {
        memmove(s->dr + i + 1, s->dr + j, (s->ndr - j) * sizeof(*s->dr));
        s->ndr -= j - i - 1;
    }
    s->dr[i].a = a;
    s->dr[i].b = b;
    if (s->ndr > 0 && s->dr[0].a <= s->mark) {
        s->mark = s->dr[0].b;
        memmove(s->dr, s->dr + 1, (s->ndr - 1) * sizeof(*s->dr));
        s->ndr--;
    }
    return 0;
}

/* ---- segments ---- */

static int seg_push(spool *s, int fd, uint64_t first)
{
    if (s->nseg == s->capseg) {
        size_t cap = s->capseg ? s->capseg * 2 : 8;
        seg *n = realloc(s->segs, cap * sizeof(*n));
        if (!n)
            return SPOOL_ENOMEM;
        s->segs = n;
        s->capseg = cap;
    }
    seg *g = &s->segs[s->nseg++];
    memset(g, 0, sizeof(*g));
    g->first = g->end = first;
    g->fd = fd;
    ST_SET(segments, s->nseg);
    return SPOOL_OK;
}

static int seg_create(spool *s, uint64_t first)
{
    int fd;
    if (s->dirfd >= 0) {
        char name[64];
        seg_name(name, sizeof(name), first);
        fd = openat(s->dirfd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0 && s->o.sync != SPOOL_SYNC_NEVER)
            fsync(s->dirfd); /* the new name must survive a crash too */
    } else {
        fd = memfd_create("ipv6probe-spool", MFD_CLOEXEC);
    }
    if (fd < 0) {
        spool_logf(s, "spool: cannot create a segment: %s", strerror(errno));
        return SPOOL_EIO;
    }
    int rc = seg_push(s, fd, first);
    if (rc != SPOOL_OK)
        close(fd);
    return rc;
}

static void seg_remove(spool *s, size_t i)
{
    seg *g = &s->segs[i];
    close(g->fd);
    if (s->dirfd >= 0) {
        char name[64];
        seg_name(name, sizeof(name), g->first);
        unlinkat(s->dirfd, name, 0);
    }
    s->total -= g->size;
    memmove(s->segs + i, s->segs + i + 1, (s->nseg - i - 1) * sizeof(*s->segs));
    s->nseg--;
    if (s->rseg > i) {
        s->rseg--;
    } else if (s->rseg == i) {
        s->roff = 0;
        s->rlen = 0;
        if (i < s->nseg)
            s->rnext = s->segs[i].first;
    }
    ST_SET(segments, s->nseg);
    ST_SET(bytes, s->total);
}

static int flush_wbuf(spool *s)
{
    if (s->wlen == 0)
        return SPOOL_OK;
    seg *g = &s->segs[s->nseg - 1];
    if (write_all(g->fd, s->wbuf, s->wlen, g->size) != 0) {
        int e = errno;
        ST_ADD(write_errors, 1);
        /* Once per stall, not once per retry. */
        if (!s->stalled)
            spool_logf(s, "spool: write failed: %s; events wait in memory until it works",
                       strerror(e));
        /* What a short write left past the last whole record takes room
         * and would read as a torn record: give it back. */
        if (ftruncate(g->fd, (off_t)g->size) != 0)
            g->synced = 0;
        errno = e;
        return SPOOL_EIO;
    }
    g->size += s->wlen;
    s->wlen = 0;
    return SPOOL_OK;
}

static int sync_last(spool *s)
{
    seg *g = &s->segs[s->nseg - 1];
    if (s->dirfd < 0 || g->synced == g->size)
        return SPOOL_OK;
    if (fdatasync(g->fd) != 0) {
        ST_ADD(write_errors, 1);
        spool_logf(s, "spool: fdatasync failed: %s", strerror(errno));
        return SPOOL_EIO;
    }
    g->synced = g->size;
    ST_ADD(fsyncs, 1);
    return SPOOL_OK;
}

/* Segments wholly done go, except the one being written. */
static int flush_or_roll(spool *s);

static void trim_done(spool *s)
{
    int removed = 0;
    while (s->nseg > 1 && s->segs[0].end <= s->mark) {
        seg_remove(s, 0);
        removed = 1;
    }
    if (!removed)
        return;
    /* The disk has room again: write what waits in memory now, without
     * waiting for the next append (there may be none: the input ended). */
    if (s->stalled)
        flush_or_roll(s);
    pthread_cond_broadcast(&s->space);
}

static int roll(spool *s)
{
    int rc = flush_wbuf(s);
    if (rc == SPOOL_OK && s->o.sync != SPOOL_SYNC_NEVER)
        rc = sync_last(s);
    if (rc != SPOOL_OK)
        return rc;
    return seg_create(s, s->next_seq);
}

/* Write the buffered records; when that fails (a full disk), move them to
 * a segment of their own, so that the one that failed ends with its last
 * whole record and goes as soon as it is delivered: that is what gives the
 * disk its room back.  Sets or clears `stalled`. */
static int flush_or_roll(spool *s)
{
    int rc = flush_wbuf(s);
    if (rc != SPOOL_OK && s->dirfd >= 0 && s->wlen > 0) {
        seg *g = &s->segs[s->nseg - 1];
        if (g->size > 0) {
            g->end = s->wfirst;
            if (seg_create(s, s->wfirst) == SPOOL_OK) {
                s->segs[s->nseg - 1].end = s->next_seq;
                rc = flush_wbuf(s);
            } else {
                g->end = s->next_seq;
            }
        }
    }
    if (rc == SPOOL_OK && s->stalled) {
        s->stalled = 0;
        spool_logf(s, "spool: writing again");
    } else if (rc != SPOOL_OK) {
        s->stalled = 1;
    }
    return rc;
}

/* Records of [a, end) not done. */
static uint64_t not_done_from(spool *s, uint64_t a, uint64_t end)
{
    if (a < s->mark)
        a = s->mark;
    uint64_t n = end > a ? end - a : 0;
    for (size_t i = 0; i < s->ndr && s->dr[i].a < end; i++) {
        uint64_t lo = s->dr[i].a > a ? s->dr[i].a : a;
        uint64_t hi = s->dr[i].b < end ? s->dr[i].b : end;
        if (hi > lo)
            n -= hi - lo;
    }
    return n;
}

static uint64_t not_done_in(spool *s, const seg *g)
{
    return not_done_from(s, g->first, g->end);
}

static int drop_oldest(spool *s)
{
    if (s->nseg == 1) {
        int rc = roll(s);
        if (rc != SPOOL_OK)
            return rc;
    }
    seg *g = &s->segs[0];
    /* What the client has read is in its hands and will be delivered (it
     * marks it done then); only what it has not read yet is lost. */
    uint64_t unread_from = s->rseg > 0 ? g->end : s->rnext;
    uint64_t lost = not_done_from(s, unread_from > g->first ? unread_from : g->first, g->end);
    uint64_t first = g->first, end = g->end;
    ST_ADD(dropped_oldest, lost);
    spool_logf(s, "spool: full, dropped the oldest segment: %" PRIu64 " events not delivered",
               lost);
    seg_remove(s, 0);
    add_range(s, first, end);
    save_mark(s);
    return SPOOL_OK;
}

/* ---- writer ---- */

static int make_room(spool *s, size_t need)
{
    /* The disk refused the last write: try again, and when it still does,
     * apply the policy as if the spool were full. */
    while (s->stalled && flush_or_roll(s) != SPOOL_OK) {
        if (s->o.full == SPOOL_FULL_BLOCK_INPUT) {
            ST_ADD(full_waits, 1);
            return SPOOL_EFULL;
        }
        if (s->o.full == SPOOL_FULL_DROP_NEW || s->nseg < 2) {
            ST_ADD(dropped_new, 1);
            return 1; /* refused */
        }
        int rc = drop_oldest(s);
        if (rc != SPOOL_OK)
            return rc;
    }
    while (s->total + need > s->o.max_bytes) {
        if (s->o.full == SPOOL_FULL_BLOCK_INPUT) {
            ST_ADD(full_waits, 1);
            return SPOOL_EFULL;
        }
        if (s->o.full == SPOOL_FULL_DROP_NEW || (s->nseg == 1 && s->segs[0].size + s->wlen == 0)) {
            ST_ADD(dropped_new, 1);
            return 1; /* refused */
        }
        int rc = drop_oldest(s);
        if (rc != SPOOL_OK)
            return rc;
    }
    return SPOOL_OK;
}

static int wbuf_reserve(spool *s, size_t need)
{
    if (s->wlen + need <= s->wcap)
        return SPOOL_OK;
    size_t cap = s->wcap ? s->wcap : WBUF_FLUSH * 2;
    while (cap < s->wlen + need)
        cap *= 2;
    char *n = realloc(s->wbuf, cap);
    if (!n)
        return SPOOL_ENOMEM;
    s->wbuf = n;
    s->wcap = cap;
    return SPOOL_OK;
}

static int append_locked(spool *s, const void *data, size_t len)
{
    size_t need = HDR + len;
    int rc = make_room(s, need);
    if (rc != SPOOL_OK)
        return rc > 0 ? SPOOL_OK : rc;
    seg *g = &s->segs[s->nseg - 1];
    if (g->size + s->wlen > 0 && g->size + s->wlen + need > s->o.segment_bytes) {
        if ((rc = roll(s)) != SPOOL_OK)
            return rc;
        g = &s->segs[s->nseg - 1];
    }
    if ((rc = wbuf_reserve(s, need)) != SPOOL_OK)
        return rc;
    if (s->wlen == 0)
        s->wfirst = s->next_seq;
    unsigned char *h = (unsigned char *)s->wbuf + s->wlen;
    put32(h, REC_MAGIC);
    put32(h + 4, (uint32_t)len);
    put64(h + 8, s->next_seq);
    memcpy(h + HDR, data, len);
    put32(h + 16, rec_crc(h, data, len));
    s->wlen += need;
    s->total += need;
    g->end = ++s->next_seq;
    ST_ADD(appended, 1);
    ST_ADD(appended_bytes, len);
    ST_SET(bytes, s->total);
    /* The record is taken from here on: a write that fails leaves it in
     * wbuf (stalled), and the next append waits or drops by policy. */
    if (s->o.sync == SPOOL_SYNC_ALWAYS || s->wlen >= WBUF_FLUSH)
        if (flush_or_roll(s) == SPOOL_OK && s->o.sync == SPOOL_SYNC_ALWAYS)
            sync_last(s);
    return SPOOL_OK;
}

int spool_append(spool *s, const void *data, size_t len)
{
    if (len > SPOOL_MAX_RECORD)
        return SPOOL_EINVAL;
    pthread_mutex_lock(&s->mu);
    int rc = append_locked(s, data, len);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int spool_commit(spool *s)
{
    pthread_mutex_lock(&s->mu);
    int rc = flush_or_roll(s);
    if (rc == SPOOL_OK && s->o.sync != SPOOL_SYNC_NEVER)
        rc = sync_last(s);
    pthread_mutex_unlock(&s->mu);
    /* A full disk is a full spool: the caller waits (or drops) by policy. */
    return rc == SPOOL_EIO && s->stalled ? SPOOL_EFULL : rc;
}

uint64_t spool_unwritten(spool *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->wlen ? s->next_seq - s->wfirst : 0;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int spool_wait_space(spool *s, unsigned timeout_ms)
{
    struct timespec ts = clock_deadline(timeout_ms);
    pthread_mutex_lock(&s->mu);
    int rc = SPOOL_OK;
    while (!s->closing && (s->total >= s->o.max_bytes * 9 / 10 || s->stalled) && rc == SPOOL_OK)
        if (pthread_cond_timedwait(&s->space, &s->mu, &ts) != 0)
            rc = SPOOL_EFULL;
    if (s->closing)
        rc = SPOOL_ECLOSED;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void spool_wake_all(spool *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->space);
    pthread_mutex_unlock(&s->mu);
}

/* ---- reader ---- */

/* Make [off, off+len) of segment g available in rbuf; returns a pointer to
 * it, or NULL when the file ends first. */
static const unsigned char *rwin(spool *s, const seg *g, uint64_t off, size_t len)
{
    if (s->rlen > 0 && off >= s->rbase && off + len <= s->rbase + s->rlen)
        return (const unsigned char *)s->rbuf + (off - s->rbase);
    if (off + len > g->size)
        return NULL;
    size_t want = len > RBUF_CHUNK ? len : RBUF_CHUNK;
    if (want > g->size - off)
        want = (size_t)(g->size - off);
    if (want > s->rcap) {
        char *n = realloc(s->rbuf, want);
        if (!n)
            return NULL;
        s->rbuf = n;
        s->rcap = want;
    }
    ssize_t got = read_full(g->fd, s->rbuf, want, off);
    if (got < (ssize_t)len) {
        s->rlen = 0;
        return NULL;
    }
    s->rbase = off;
    s->rlen = (size_t)got;
    return (const unsigned char *)s->rbuf;
}

/* A valid record at off?  Its total size, or 0. */
static size_t rec_at(spool *s, const seg *g, uint64_t off, uint64_t *seq)
{
    const unsigned char *h = rwin(s, g, off, HDR);
    if (!h || get32(h) != REC_MAGIC)
        return 0;
    uint32_t len = get32(h + 4);
    if (len > SPOOL_MAX_RECORD || off + HDR + len > g->size)
        return 0;
    h = rwin(s, g, off, HDR + len);
    if (!h || rec_crc(h, h + HDR, len) != get32(h + 16))
        return 0;
    *seq = get64(h + 8);
    return HDR + len;
}

/* The next good record at or after off, by looking for the magic. */
static uint64_t resync(spool *s, const seg *g, uint64_t off)
{
    uint64_t seq;
    for (; off + HDR <= g->size; off++) {
        const unsigned char *p = rwin(s, g, off, 4);
        if (p && get32(p) == REC_MAGIC && rec_at(s, g, off, &seq))
            return off;
    }
    return g->size;
}

static void skip_lost(spool *s, uint64_t upto)
{
    if (upto > s->rnext) {
        ST_ADD(lost_records, upto - s->rnext);
        add_range(s, s->rnext, upto);
        s->rnext = upto;
    }
}

static void report_corrupt(spool *s, const seg *g, uint64_t off, uint64_t to)
{
    ST_ADD(corrupt_records, 1);
    ST_ADD(corrupt_bytes, to - off);
    spool_logf(s,
               "spool: segment %016" PRIx64 " offset %" PRIu64 ": damaged record (%" PRIu64
               " bytes) skipped",
               g->first, off, to - off);
}

/* 1 = got one, 0 = nothing committed beyond, <0 = error. */
static int read_locked(spool *s, uint64_t *seq, const char **data, size_t *len)
{
    for (;;) {
        if (s->rseg >= s->nseg)
            return 0;
        const seg *g = &s->segs[s->rseg];
        int last = s->rseg + 1 == s->nseg;
        if (s->roff >= g->size) {
            if (last)
                return 0;
            s->rseg++;
            s->roff = 0;
            s->rlen = 0;
            skip_lost(s, s->segs[s->rseg].first);
            continue;
        }
        uint64_t q;
        size_t n = rec_at(s, g, s->roff, &q);
        if (n == 0 || q < s->rnext) {
            uint64_t to = resync(s, g, s->roff + 1);
            report_corrupt(s, g, s->roff, to);
            s->roff = to;
            continue;
        }
        skip_lost(s, q);
        const unsigned char *h = rwin(s, g, s->roff, n);
        s->roff += n;
        s->rnext = q + 1;
        if (q < s->mark)
            continue; /* acknowledged before a restart */
        *seq = q;
        *data = (const char *)h + HDR;
        *len = n - HDR;
        ST_ADD(read, 1);
        return 1;
    }
}

int spool_read(spool *s, uint64_t *seq, const char **data, size_t *len)
{
    pthread_mutex_lock(&s->mu);
    int rc = read_locked(s, seq, data, len);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void spool_done(spool *s, uint64_t first, uint64_t n)
{
    pthread_mutex_lock(&s->mu);
    ST_ADD(done, n);
    add_range(s, first, first + n);
    save_mark(s);
    trim_done(s);
    pthread_mutex_unlock(&s->mu);
}

uint64_t spool_pending(spool *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = 0;
    for (size_t i = 0; i < s->nseg; i++)
        n += not_done_in(s, &s->segs[i]);
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t spool_done_mark(spool *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->mark;
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t spool_next_seq(spool *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->next_seq;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const spool_stats *spool_get_stats(const spool *s)
{
    return &s->st;
}

/* ---- open / close ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void load_mark(spool *s)
{
    unsigned char b[16];
    if (read_full(s->donefd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return;
    if (get32(b) != DONE_MAGIC || get32(b + 4) != (uint32_t)crc32(0L, b + 8, 8)) {
        spool_logf(s, "spool: the done mark is damaged; every spooled event will be resent");
        return;
    }
    s->mark = s->saved_mark = get64(b + 8);
}

/* Find the end of the last segment's good records, and cut a torn tail. */
static void scan_last(spool *s, seg *g)
{
    uint64_t off = 0, good_end = 0, seq;
    while (off < g->size) {
        size_t n = rec_at(s, g, off, &seq);
        if (n == 0) {
            off = resync(s, g, off + 1);
            continue;
        }
        off += n;
        good_end = off;
        g->end = seq + 1;
    }
    if (good_end < g->size) {
        ST_ADD(torn_bytes, g->size - good_end);
        spool_logf(s,
                   "spool: segment %016" PRIx64 ": %" PRIu64
                   " bytes of an unfinished record at the end cut off",
                   g->first, g->size - good_end);
        if (ftruncate(g->fd, (off_t)good_end) == 0)
            g->size = good_end;
    }
    s->rlen = 0;
}

static int list_segments(spool *s, uint64_t **firsts, size_t *n)
{
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d)
        return SPOOL_EIO;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        unsigned long long v;
        char tail[8];
        if (sscanf(e->d_name, "seg-%16llx.%4s", &v, tail) != 2 || strcmp(tail, "spl") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *m = realloc(*firsts, cap * sizeof(*m));
            if (!m) {
                closedir(d);
                return SPOOL_ENOMEM;
            }
            *firsts = m;
        }
        (*firsts)[(*n)++] = v;
    }
    closedir(d);
    if (*n > 1)
        qsort(*firsts, *n, sizeof(**firsts), cmp_u64);
    return SPOOL_OK;
}

static int open_existing(spool *s)
{
    uint64_t *firsts = NULL;
    size_t n = 0;
    int rc = list_segments(s, &firsts, &n);
    for (size_t i = 0; rc == SPOOL_OK && i < n; i++) {
        char name[64];
        seg_name(name, sizeof(name), firsts[i]);
        int fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC);
        if (fd < 0 || (rc = seg_push(s, fd, firsts[i])) != SPOOL_OK) {
            if (fd >= 0)
                close(fd);
            rc = rc != SPOOL_OK ? rc : SPOOL_EIO;
            break;
        }
        seg *g = &s->segs[s->nseg - 1];
        struct stat st;
        if (fstat(g->fd, &st) != 0) {
            rc = SPOOL_EIO;
            break;
        }
        g->first = g->end = firsts[i];
        g->size = g->synced = (uint64_t)st.st_size;
        s->total += g->size;
        if (i > 0)
            s->segs[i - 1].end = g->first;
    }
    free(firsts);
    if (rc != SPOOL_OK)
        return rc;
    if (s->nseg > 0)
        scan_last(s, &s->segs[s->nseg - 1]);
    return SPOOL_OK;
}

static int open_dir(spool *s, char *err, size_t errlen)
{
    if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "spool: cannot create %s: %s", s->dir, strerror(errno));
        return SPOOL_EIO;
    }
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        snprintf(err, errlen, "spool: cannot open %s: %s", s->dir, strerror(errno));
        return SPOOL_EIO;
    }
    s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "spool: %s is in use by another process", s->dir);
        return SPOOL_ELOCKED;
    }
    s->donefd = openat(s->dirfd, "done", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->donefd < 0) {
        snprintf(err, errlen, "spool: cannot open %s/done: %s", s->dir, strerror(errno));
        return SPOOL_EIO;
    }
    load_mark(s);
    /* The mark is rewritten in place: its block is taken now, so that a
     * full disk later cannot keep delivered segments from going. */
    struct stat st;
    if (fstat(s->donefd, &st) == 0 && st.st_size < 16) {
        s->saved_mark = ~0ull; /* force the write */
        save_mark(s);
        if (s->saved_mark != s->mark) {
            snprintf(err, errlen, "spool: cannot write %s/done: %s", s->dir, strerror(errno));
            return SPOOL_EIO;
        }
    }
    int rc = open_existing(s);
    if (rc != SPOOL_OK)
        snprintf(err, errlen, "spool: cannot read the segments in %s", s->dir);
    return rc;
}

static void set_defaults(spool_opts *o)
{
    if (o->max_bytes == 0)
        o->max_bytes = 1ull << 30;
    if (o->segment_bytes == 0) {
        o->segment_bytes = o->max_bytes / 16;
        if (o->segment_bytes > 64u << 20)
            o->segment_bytes = 64u << 20;
        if (o->segment_bytes < 1u << 20)
            o->segment_bytes = 1u << 20;
    }
}

static int finish_open(spool *s)
{
    /* Segments below the mark were acknowledged before the last stop. */
    while (s->nseg > 1 && s->segs[0].end <= s->mark)
        seg_remove(s, 0);
    if (s->nseg == 0) {
        int rc = seg_create(s, s->mark);
        if (rc != SPOOL_OK)
            return rc;
    }
    if (s->mark < s->segs[0].first) {
        s->mark = s->segs[0].first;
    }
    s->next_seq = s->segs[s->nseg - 1].end;
    if (s->next_seq < s->mark)
        s->next_seq = s->segs[s->nseg - 1].first = s->segs[s->nseg - 1].end = s->mark;
    s->rseg = 0;
    s->roff = 0;
    s->rnext = s->segs[0].first;
    uint64_t pending = 0;
    for (size_t i = 0; i < s->nseg; i++)
        pending += not_done_in(s, &s->segs[i]);
    ST_SET(replay_pending, pending);
    ST_SET(bytes, s->total);
    return SPOOL_OK;
}

int spool_open(spool **out, const spool_opts *o, char *err, size_t errlen)
{
    *out = NULL;
    spool *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "spool: out of memory");
        return SPOOL_ENOMEM;
    }
    s->o = *o;
    set_defaults(&s->o);
    s->dirfd = s->lockfd = s->donefd = -1;
    pthread_mutex_init(&s->mu, NULL);
    clock_cond_init(&s->space);
    int rc = SPOOL_OK;
    if (o->dir) {
        s->dir = strdup(o->dir);
        s->o.dir = s->dir;
        rc = s->dir ? open_dir(s, err, errlen) : SPOOL_ENOMEM;
    }
    if (rc == SPOOL_OK && (rc = finish_open(s)) != SPOOL_OK)
        snprintf(err, errlen, "spool: cannot create a segment");
    if (rc != SPOOL_OK) {
        spool_close(s);
        return rc;
    }
    if (s->st.replay_pending > 0)
        spool_logf(s, "spool: %" PRIu64 " events from before the last stop will be resent",
                   (uint64_t)s->st.replay_pending);
    *out = s;
    return SPOOL_OK;
}

void spool_close(spool *s)
{
    if (!s)
        return;
    if (s->nseg > 0) {
        flush_wbuf(s);
        if (s->o.sync != SPOOL_SYNC_NEVER)
            sync_last(s);
    }
    save_mark(s);
    for (size_t i = 0; i < s->nseg; i++)
        close(s->segs[i].fd);
    if (s->donefd >= 0)
        close(s->donefd);
    if (s->lockfd >= 0)
        close(s->lockfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->space);
    free(s->segs);
    free(s->wbuf);
    free(s->rbuf);
    free(s->dr);
    free(s->dir);
    free(s);
}
