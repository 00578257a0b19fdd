#include "inputs.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void runtime_stop_inputs(runtime *rt)
{
    atomic_store(&rt->stopping, 1);
    uint64_t one = 1;
    if (write(rt->stop_fd, &one, sizeof(one)) < 0) {
        /* An eventfd write fails only on overflow: it is readable anyway. */
    }
}

int runtime_sleep(runtime *rt, unsigned ms)
{
    if (atomic_load(&rt->stopping))
        return 1;
    struct pollfd p = {rt->stop_fd, POLLIN, 0};
    poll(&p, 1, (int)ms);
    return atomic_load(&rt->stopping);
}

void emitter_init(emitter *e, runtime *rt, input *in)
{
    memset(e, 0, sizeof(*e));
    e->rt = rt;
    e->in = in;
}

int emitter_push(emitter *e)
{
    if (!e->b || !e->b->n_records)
        return 0;
    batch *b = e->b;
    e->b = NULL;
    counter_add(&e->in->st.lines, b->n_records);
    counter_add(&e->in->st.bytes, e->bytes);
    e->bytes = 0;
    return queue_push(&e->rt->q, b);
}

int emitter_line(emitter *e, const char *line, size_t len, int cut, int64_t end_offset)
{
    for (int tries = 0; tries < 2; tries++) {
        if (!e->b) {
            e->b = queue_get_batch(&e->rt->q);
            if (!e->b)
                return -1;
            e->b->src = e->in;
            e->b->fallback_sec = e->fallback ? e->fallback : (int64_t)time(NULL);
            e->b->first_no = e->lineno + 1;
            e->b->dev = e->dev;
            e->b->ino = e->ino;
        }
        if (batch_add(e->b, line, len, cut ? REC_CUT : 0) == 0) {
            e->lineno++;
            e->bytes += len + 1;
            e->b->end_offset = end_offset;
            if (cut)
                counter_add(&e->in->st.cut, 1);
            return 0;
        }
        if (emitter_push(e) != 0)
            return -1;
    }
    return -1;
}

void emitter_free(emitter *e)
{
    if (e->b)
        queue_put_batch(&e->rt->q, e->b);
    e->b = NULL;
}

/* rt->inputs is allocated for all of them first: threads hold pointers. */
static input *add_input(runtime *rt, input_kind kind, const char *name)
{
    input *in = &rt->inputs[rt->n_inputs++];
    memset(in, 0, sizeof(*in));
    in->kind = kind;
    in->rt = rt;
    in->fd = -1;
    snprintf(in->name, sizeof(in->name), "%s", name);
    return in;
}

int inputs_open(runtime *rt, char *err, size_t errlen)
{
    fwd_config *c = rt->cfg;
    rt->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (rt->stop_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    /* Standard input first, then files, in the order given: a replay of
     * several files comes out in that order. */
    size_t n = (size_t)c->use_stdin + c->n_files + c->n_listeners + (size_t)c->kmsg;
    rt->inputs = calloc(n + 1, sizeof(input));
    if (!rt->inputs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (c->use_stdin && !add_input(rt, INPUT_STDIN, "-"))
        goto oom;
    for (size_t i = 0; i < c->n_files; i++) {
        if (!strcmp(c->files[i].path, "-")) {
            if (!add_input(rt, INPUT_STDIN, "-"))
                goto oom;
            continue;
        }
        input *in = add_input(rt, INPUT_FILE, c->files[i].path);
        if (!in)
            goto oom;
        in->file = &c->files[i];
    }
    for (size_t i = 0; i < c->n_listeners; i++) {
        input *in = add_input(rt, INPUT_SYSLOG, c->listeners[i].listen);
        if (!in)
            goto oom;
        in->listener = &c->listeners[i];
        if (syslog_open(rt, in, err, errlen))
            return -1;
    }
    if (c->kmsg) {
        input *in = add_input(rt, INPUT_KMSG, c->kmsg_path);
        if (!in)
            goto oom;
        if (kmsg_open(rt, in, err, errlen))
            return -1;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int start(runtime *rt, void *(*fn)(void *), void *arg, char *err, size_t errlen)
{
    if (rt->n_threads >= RUNTIME_MAX_THREADS) {
        snprintf(err, errlen, "too many input threads");
        return -1;
    }
    queue_producer_add(&rt->q);
    int r = pthread_create(&rt->threads[rt->n_threads], NULL, fn, arg);
    if (r) {
        queue_producer_done(&rt->q);
        snprintf(err, errlen, "pthread_create: %s", strerror(r));
        return -1;
    }
    rt->n_threads++;
    return 0;
}

int inputs_start(runtime *rt, char *err, size_t errlen)
{
    int once = 0, follow = 0, syslog = 0;
    input *kmsg = NULL;
    for (size_t i = 0; i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        if (in->kind == INPUT_STDIN || (in->kind == INPUT_FILE && !in->file->follow))
            once = 1;
        else if (in->kind == INPUT_FILE)
            follow = 1;
        else if (in->kind == INPUT_SYSLOG)
            syslog = 1;
        else
            kmsg = in;
    }
    /* Every thread counts as a producer from before the first starts, so
     * the queue cannot close while the others are still starting. */
    queue_producer_add(&rt->q);
    int rc = 0;
    if (once)
        rc |= start(rt, files_once_main, rt, err, errlen);
    if (!rc && follow)
        rc |= start(rt, files_follow_main, rt, err, errlen);
    if (!rc && syslog)
        rc |= start(rt, syslog_main, rt, err, errlen);
    if (!rc && kmsg)
        rc |= start(rt, kmsg_main, kmsg, err, errlen);
    queue_producer_done(&rt->q);
    return rc;
}

void inputs_join(runtime *rt)
{
    for (size_t i = 0; i < rt->n_threads; i++)
        pthread_join(rt->threads[i], NULL);
    rt->n_threads = 0;
}

void inputs_free(runtime *rt)
{
    for (size_t i = 0; i < rt->n_inputs; i++)
        if (rt->inputs[i].fd >= 0)
            close(rt->inputs[i].fd);
    free(rt->inputs);
    rt->inputs = NULL;
    rt->n_inputs = 0;
    if (rt->stop_fd > 0)
        close(rt->stop_fd);
}
