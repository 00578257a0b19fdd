#include "inputs.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

void emitter_init(emitter *e, runtime *rt, input *in)
{
    memset(e, 0, sizeof(*e));
    e->rt = rt;
    e->in = in;
}

/* The batch is handed over: its lines and bytes count as read. */
static void emitter_count(emitter *e, unsigned n)
{
    counter_add(&e->in->st.lines, n);
    counter_add(&e->in->st.bytes, e->bytes);
    e->bytes = 0;
}

int emitter_push(emitter *e)
{
    if (!e->b || !e->b->n_records)
        return 0;
    batch *b = e->b;
    e->b = NULL;
    emitter_count(e, b->n_records);
    return queue_push(&e->rt->q, b);
}

int emitter_try_push(emitter *e)
{
    if (!e->b || !e->b->n_records)
        return 0;
    unsigned n = e->b->n_records;
    if (queue_try_push(&e->rt->q, e->b) != 0)
        return -1;
    e->b = NULL;
    emitter_count(e, n);
    return 0;
}

/* A batch to add to, taken from the queue's pool when none is held. */
static batch *emitter_batch(emitter *e)
{
    if (!e->b) {
        e->b = queue_get_batch(&e->rt->q);
        if (!e->b)
            return NULL;
        e->b->src = e->in;
        e->b->fallback_sec = e->fallback ? e->fallback : (int64_t)time(NULL);
        e->b->first_no = e->lineno + 1;
        e->b->dev = e->dev;
        e->b->ino = e->ino;
    }
    return e->b;
}

char *emitter_reserve(emitter *e, size_t maxlen)
{
    batch *b = emitter_batch(e);
    return b ? batch_reserve(b, maxlen) : NULL;
}

void emitter_commit(emitter *e, size_t len, int cut, size_t bytes_in)
{
    if (cut)
        counter_add(&e->in->st.cut, 1);
    if (!len) { /* nothing to pass on (an empty datagram): read all the same */
        counter_add(&e->in->st.bytes, bytes_in);
        return;
    }
    e->bytes += bytes_in;
    batch_commit(e->b, len, cut ? REC_CUT : 0);
    e->lineno++;
    e->b->end_offset = -1;
}

int emitter_line(emitter *e, const char *line, size_t len, int cut, int64_t end_offset)
{
    for (int tries = 0; tries < 2; tries++) {
        if (!emitter_batch(e))
            return -1;
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
static input *add_input(runtime *rt, input_kind kind, const input_ops *ops, const char *name)
{
    input *in = &rt->inputs[rt->n_inputs++];
    memset(in, 0, sizeof(*in));
    in->kind = kind;
    in->ops = ops;
    in->rt = rt;
    in->fd = -1;
    snprintf(in->name, sizeof(in->name), "%s", name);
    return in;
}

void input_close_fd(input *in)
{
    if (in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

/* The inputs the config names, in order: standard input first, then files
 * in the order given (a replay of several files comes out in that order),
 * listeners, /dev/kmsg. */
static void add_inputs(runtime *rt)
{
    fwd_config *c = rt->cfg;
    if (c->use_stdin)
        add_input(rt, INPUT_STDIN, &input_once_ops, "-");
    for (size_t i = 0; i < c->n_files; i++) {
        if (!strcmp(c->files[i].path, "-")) {
            add_input(rt, INPUT_STDIN, &input_once_ops, "-");
            continue;
        }
        const input_ops *ops = c->files[i].follow ? &input_follow_ops : &input_once_ops;
        add_input(rt, INPUT_FILE, ops, c->files[i].path)->file = &c->files[i];
    }
    for (size_t i = 0; i < c->n_listeners; i++)
        add_input(rt, INPUT_SYSLOG, &input_syslog_ops, c->listeners[i].listen)->listener =
            &c->listeners[i];
    if (c->kmsg)
        add_input(rt, INPUT_KMSG, &input_kmsg_ops, c->kmsg_path);
}

int inputs_open(runtime *rt, char *err, size_t errlen)
{
    fwd_config *c = rt->cfg;
    rt->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (rt->stop_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    size_t n = (size_t)c->use_stdin + c->n_files + c->n_listeners + (size_t)c->kmsg;
    rt->inputs = calloc(n + 1, sizeof(input));
    if (!rt->inputs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    add_inputs(rt);
    for (size_t i = 0; i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        if (in->ops->open && in->ops->open(rt, in, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void *input_thread_main(void *arg)
{
    struct input_thread *t = arg;
    t->ops->run(t->rt);
    queue_producer_done(&t->rt->q);
    return NULL;
}

static int start(runtime *rt, const input_ops *ops, char *err, size_t errlen)
{
    if (rt->n_threads >= RUNTIME_MAX_THREADS) {
        snprintf(err, errlen, "too many input threads");
        return -1;
    }
    struct input_thread *t = &rt->threads[rt->n_threads];
    t->rt = rt;
    t->ops = ops;
    queue_producer_add(&rt->q);
    int r = pthread_create(&t->tid, NULL, input_thread_main, t);
    if (r) {
        queue_producer_done(&rt->q);
        snprintf(err, errlen, "%s input: pthread_create: %s", ops->name, strerror(r));
        return -1;
    }
    rt->n_threads++;
    return 0;
}

static int started(const runtime *rt, const input_ops *ops)
{
    for (size_t i = 0; i < rt->n_threads; i++)
        if (rt->threads[i].ops == ops)
            return 1;
    return 0;
}

int inputs_start(runtime *rt, char *err, size_t errlen)
{
    /* Every thread counts as a producer from before the first starts, so
     * the queue cannot close while the others are still starting. */
    queue_producer_add(&rt->q);
    int rc = 0;
    for (size_t i = 0; !rc && i < rt->n_inputs; i++)
        if (!started(rt, rt->inputs[i].ops))
            rc = start(rt, rt->inputs[i].ops, err, errlen);
    queue_producer_done(&rt->q);
    return rc;
}

void inputs_join(runtime *rt)
{
    for (size_t i = 0; i < rt->n_threads; i++)
        pthread_join(rt->threads[i].tid, NULL);
    rt->n_threads = 0;
}

void inputs_free(runtime *rt)
{
    for (size_t i = 0; i < rt->n_inputs; i++)
        if (rt->inputs[i].ops->close)
            rt->inputs[i].ops->close(&rt->inputs[i]);
    free(rt->inputs);
    rt->inputs = NULL;
    rt->n_inputs = 0;
    if (rt->stop_fd > 0)
        close(rt->stop_fd);
    rt->stop_fd = -1;
}
