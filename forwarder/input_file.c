/* File inputs: standard input and files read once (plain or .gz), and files
 * followed like `tail -F` across rename and copytruncate rotation, with
 * checkpoints so that a restart resumes where the outputs left off. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "checkpoint.h"
#include "inputs.h"
#include "linereader.h"

/* A pipe that goes quiet for this long hands over the lines it has: a live
 * `journalctl -f | ipv6probe-forward` shows each event at once, while under
 * load batches still fill before they are pushed. */
#define IDLE_FLUSH_MS 100

typedef struct src_reader {
    runtime *rt;
    int fd;
    int is_pipe; /* wait with poll() so that a stop request is seen */
    gzFile gz;
    emitter *em; /* pushed when a pipe goes quiet (may be NULL) */
} src_reader;

static ssize_t src_read(void *arg, char *buf, size_t n)
{
    src_reader *r = arg;
    if (atomic_load_explicit(&r->rt->stopping, memory_order_relaxed))
        return 0;
    if (r->gz) {
        int k = gzread(r->gz, buf, n > (1u << 30) ? (1u << 30) : (unsigned)n);
        if (k < 0) {
            errno = EIO;
            return -1;
        }
        return k;
    }
    if (r->is_pipe) {
        struct pollfd p[2] = {{r->fd, POLLIN, 0}, {r->rt->stop_fd, POLLIN, 0}};
        for (;;) {
            /* A partial batch waits at most IDLE_FLUSH_MS for more lines. */
            int partial = r->em && emitter_pending(r->em);
            int k = poll(p, 2, partial ? IDLE_FLUSH_MS : -1);
            if (k < 0 && errno != EINTR)
                return -1;
            if (k > 0)
                break;
            if (k == 0 && emitter_push(r->em) != 0)
                return 0;
        }
        if (p[1].revents)
            return 0;
    }
    return read(r->fd, buf, n);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Read lines from r until the end (or a stop request) into the emitter;
 * `offset` is where reading starts, for checkpoints. */
static int pump(emitter *em, src_reader *r, input *in, unsigned long long offset, int ckpt)
{
    linereader lr;
    if (linereader_init(&lr, r->fd, em->rt->cfg->max_line) != 0)
        return -1;
    lr.readfn = src_read;
    lr.readarg = r;
    r->em = em;
    lr.bytes = offset;
    const char *line;
    size_t len;
    int cut, k, rc = 0;
    while ((k = linereader_next(&lr, &line, &len, &cut)) == 1) {
        int64_t end = ckpt ? (int64_t)linereader_offset(&lr) : -1;
        if (emitter_line(em, line, len, cut, end) != 0) {
            rc = -1;
            break;
        }
        if (emitter_pending(em) <= 1)
            atomic_store(&in->size_done, linereader_offset(&lr));
    }
    if (k < 0) {
        counter_add(&in->st.read_errors, 1);
        log_msg(LOG_LV_ERROR, "%s: read error: %s", in->name, strerror(errno));
        rc = -1;
    }
    if (emitter_push(em) != 0)
        rc = -1;
    atomic_store(&in->size_done, linereader_offset(&lr));
    linereader_free(&lr);
    return rc;
}

/* A file read once: the whole of it, or from its checkpoint. */
static int read_once(runtime *rt, input *in)
{
    emitter em;
    emitter_init(&em, rt, in);
    src_reader r = {rt, 0, 0, NULL, NULL};
    if (in->kind == INPUT_STDIN) {
        struct stat st;
        r.is_pipe = fstat(0, &st) != 0 || !S_ISREG(st.st_mode);
        /* A live pipe's lines are stamped by the batch they arrive in. */
        em.fallback = r.is_pipe ? 0 : (int64_t)time(NULL);
        int rc = pump(&em, &r, in, 0, 0);
        emitter_free(&em);
        return rc;
    }
    int fd = open(in->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_msg(LOG_LV_ERROR, "%s: %s", in->name, strerror(errno));
        counter_add(&in->st.read_errors, 1);
        return -1;
    }
    struct stat st;
    /* A file's lines without a stamp (or year) are taken as of its mtime. */
    em.fallback = fstat(fd, &st) == 0 ? (int64_t)st.st_mtime : (int64_t)time(NULL);
    r.fd = fd;
    r.is_pipe = !S_ISREG(st.st_mode);
    unsigned long long start = 0;
    int ckpt = 0;
    if (ends_with(in->name, ".gz")) {
        r.gz = gzdopen(fd, "rb");
        if (!r.gz) {
            close(fd);
            return -1;
        }
        gzbuffer(r.gz, 1 << 17);
    } else {
        atomic_store(&in->size_total, (unsigned long long)st.st_size);
        if (in->ckpt) {
            uint64_t dev, ino;
            int64_t off;
            checkpoints_read(rt->ckpt, in->ckpt, &dev, &ino, &off);
            if (off >= 0 && dev == (uint64_t)st.st_dev && ino == (uint64_t)st.st_ino &&
                off <= st.st_size && lseek(fd, off, SEEK_SET) == off)
                start = (unsigned long long)off;
            em.dev = st.st_dev;
            em.ino = st.st_ino;
            ckpt = 1;
        }
    }
    int rc = pump(&em, &r, in, start, ckpt);
    emitter_free(&em);
    if (r.gz)
        gzclose(r.gz);
    else
        close(fd);
    return rc;
}

/* One after the other, in the order given. */
static void once_run(runtime *rt)
{
    for (size_t i = 0; i < rt->n_inputs && !atomic_load(&rt->stopping); i++) {
        input *in = &rt->inputs[i];
        if (in->ops == &input_once_ops) {
            read_once(rt, in);
            atomic_store(&in->finished, 1);
        }
    }
}

const input_ops input_once_ops = {"file", NULL, once_run, NULL};

/* ---- follow ------------------------------------------------------------- */

typedef struct follower {
    input *in;
    int fd;
    uint64_t dev, ino;
    linereader lr;
    emitter em;
    int gone_reported;
} follower;

/* After a restart the file at the path may be a new one: the one the
 * checkpoint speaks of was rotated away while we were down.  Find it under
 * the usual rotated names and read what is left of it first. */
static void finish_rotated(runtime *rt, follower *f, uint64_t dev, uint64_t ino, int64_t off)
{
    static const char *const patterns[] = {"%s.[0-9]", "%s-[0-9]*", "%s.old"};
    char pat[4200];
    for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
        snprintf(pat, sizeof(pat), patterns[p], f->in->name);
        glob_t g;
        if (glob(pat, 0, NULL, &g) != 0)
            continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct stat st;
            if (stat(g.gl_pathv[i], &st) != 0 || (uint64_t)st.st_dev != dev ||
                (uint64_t)st.st_ino != ino || ends_with(g.gl_pathv[i], ".gz"))
                continue;
            int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);
            if (fd < 0 || lseek(fd, off, SEEK_SET) != off) {
                if (fd >= 0)
                    close(fd);
                continue;
            }
            src_reader r = {rt, fd, 0, NULL, NULL};
            f->em.dev = dev;
            f->em.ino = ino;
            pump(&f->em, &r, f->in, (unsigned long long)off, 1);
            close(fd);
            globfree(&g);
            return;
        }
        globfree(&g);
    }
}

/* Open the file at the path; where to start depends on the checkpoint. */
static int follow_open(runtime *rt, follower *f, int first)
{
    int fd = open(f->in->name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    int64_t start = 0;
    if (first) {
        uint64_t dev = 0, ino = 0;
        int64_t off = -1;
        if (f->in->ckpt)
            checkpoints_read(rt->ckpt, f->in->ckpt, &dev, &ino, &off);
        if (off >= 0 && dev == (uint64_t)st.st_dev && ino == (uint64_t)st.st_ino)
            start = off <= st.st_size ? off : 0; /* shorter: truncated while down */
        else if (off >= 0)
            finish_rotated(rt, f, dev, ino, off);
        else if (f->in->file->start == START_END)
            start = st.st_size;
    }
    if (start && lseek(fd, start, SEEK_SET) != start)
        start = 0;
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->em.dev = f->dev;
    f->em.ino = f->ino;
    linereader_reset(&f->lr, fd, (unsigned long long)start);
    return 0;
}

/* Deliver every complete line there is now; 1 when any was read. */
static int follow_drain(follower *f)
{
    const char *line;
    size_t len;
    int cut, k, any = 0;
    while ((k = linereader_next(&f->lr, &line, &len, &cut)) == 1) {
        any = 1;
        if (emitter_line(&f->em, line, len, cut, (int64_t)linereader_offset(&f->lr)) != 0)
            return any;
    }
    if (k < 0)
        counter_add(&f->in->st.read_errors, 1);
    return any;
}

static int follow_round(runtime *rt, follower *f)
{
    if (f->fd < 0 && follow_open(rt, f, 0) != 0)
        return 0;
    int any = follow_drain(f);
    struct stat st;
    if (stat(f->in->name, &st) != 0) {
        /* Moved away and not yet recreated: keep reading the old one. */
        emitter_push(&f->em);
        return any;
    }
    if ((uint64_t)st.st_ino != f->ino || (uint64_t)st.st_dev != f->dev) {
        /* Renamed away: take what the writer added before it switched,
         * and an unfinished last line, then go on with the new file. */
        any |= follow_drain(f);
        const char *line;
        size_t len;
        if (linereader_rest(&f->lr, &line, &len))
            emitter_line(&f->em, line, len, 0, (int64_t)linereader_offset(&f->lr));
        emitter_push(&f->em);
        close(f->fd);
        f->fd = -1;
        counter_add(&f->in->st.rotations, 1);
        if (follow_open(rt, f, 0) == 0)
            any |= follow_drain(f);
    } else if ((unsigned long long)st.st_size < linereader_offset(&f->lr)) {
        /* Copied and truncated in place: start over at its beginning. */
        counter_add(&f->in->st.truncations, 1);
        lseek(f->fd, 0, SEEK_SET);
        linereader_reset(&f->lr, f->fd, 0);
        any |= follow_drain(f);
    }
    emitter_push(&f->em);
    return any;
}

static void follow_run(runtime *rt)
{
    size_t n = 0;
    for (size_t i = 0; i < rt->n_inputs; i++)
        n += rt->inputs[i].ops == &input_follow_ops;
    follower *fs = calloc(n, sizeof(*fs));
    size_t k = 0;
    for (size_t i = 0; fs && i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        if (in->ops != &input_follow_ops)
            continue;
        follower *f = &fs[k++];
        f->in = in;
        f->fd = -1;
        emitter_init(&f->em, rt, in);
        if (linereader_init(&f->lr, -1, rt->cfg->max_line) != 0) {
            k--;
            continue;
        }
        f->lr.follow = 1;
        if (follow_open(rt, f, 1) != 0 && !f->gone_reported) {
            f->gone_reported = 1;
            log_msg(LOG_LV_WARNING, "%s: %s (waiting for it)", in->name, strerror(errno));
        }
    }
    while (!atomic_load(&rt->stopping)) {
        int any = 0;
        for (size_t i = 0; i < k; i++)
            any |= follow_round(rt, &fs[i]);
        if (!any)
            runtime_sleep(rt, (unsigned)rt->cfg->follow_poll_ms);
    }
    for (size_t i = 0; i < k; i++) {
        emitter_push(&fs[i].em);
        emitter_free(&fs[i].em);
        linereader_free(&fs[i].lr);
        if (fs[i].fd >= 0)
            close(fs[i].fd);
    }
    free(fs);
}

const input_ops input_follow_ops = {"follow", NULL, follow_run, NULL};
