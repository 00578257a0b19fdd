/* Inputs: each kind is an input_ops table, as each output is an output_ops
 * table (output.h).  inputs_open() makes rt->inputs from the config and
 * opens what needs privileges; inputs_start() runs one thread for each
 * table that has inputs; the emitter packs one input's lines into batches
 * for the queue. */
#ifndef FWD_INPUTS_H
#define FWD_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

typedef struct input_ops {
    const char *name; /* for messages */
    /* Called for each input of this kind while still privileged (bind a
     * port, open /dev/kmsg); NULL when there is nothing to open.  0, or -1
     * with err. */
    int (*open)(runtime *rt, input *in, char *err, size_t errlen);
    /* The body of the one thread that serves every input whose ops is this
     * table, until the inputs end or rt->stopping is set. */
    void (*run)(runtime *rt);
    /* Release what open() took; NULL when open() is. */
    void (*close)(input *in);
} input_ops;

/* input_file.c: standard input and files read once, in the order given;
 * files followed like tail -F. */
extern const input_ops input_once_ops;
extern const input_ops input_follow_ops;
/* input_syslog.c: UDP and TCP syslog listeners, one epoll thread. */
extern const input_ops input_syslog_ops;
/* input_kmsg.c: /dev/kmsg. */
extern const input_ops input_kmsg_ops;

/* Make rt->inputs from rt->cfg, and open what must be opened while still
 * privileged (sockets, /dev/kmsg).  -1 with err. */
int inputs_open(runtime *rt, char *err, size_t errlen);
/* 0, or -1 with err; the threads already started keep running (stop them
 * with runtime_stop_inputs() and inputs_join()). */
int inputs_start(runtime *rt, char *err, size_t errlen);
void inputs_join(runtime *rt);
/* Close what inputs_open() opened; safe on a runtime it never saw. */
void inputs_free(runtime *rt);
/* An open() that keeps a descriptor in in->fd has this as its close(). */
void input_close_fd(input *in);

/* Packs lines of one input into batches and pushes them.  Every input
 * hands its lines to the queue through one of these, never through a batch
 * of its own. */
typedef struct emitter {
    runtime *rt;
    input *in;
    batch *b;
    int64_t fallback; /* 0: the time at which each batch starts */
    unsigned long long lineno;
    uint64_t dev, ino;
    unsigned long long bytes; /* not yet counted */
} emitter;

void emitter_init(emitter *e, runtime *rt, input *in);
/* One line; pushes the batch when full (waiting for room: stream inputs
 * hold their senders back).  0, or -1 when the queue was aborted or memory
 * ran out. */
int emitter_line(emitter *e, const char *line, size_t len, int cut, int64_t end_offset);
/* Room for a record of up to maxlen bytes written in place (a datagram is
 * received straight into it), then emitter_commit() with the length kept
 * and the bytes that arrived.  NULL when the batch held is full (push it)
 * or memory ran out. */
char *emitter_reserve(emitter *e, size_t maxlen);
void emitter_commit(emitter *e, size_t len, int cut, size_t bytes_in);
/* Records held and not yet pushed. */
static inline unsigned emitter_pending(const emitter *e)
{
    return e->b ? e->b->n_records : 0;
}
/* Hand the batch over, waiting for room.  0, or -1 when the queue was
 * aborted. */
int emitter_push(emitter *e);
/* Hand the batch over only if the queue has room now (datagram inputs
 * never wait): 0, or -1 with the batch still held. */
int emitter_try_push(emitter *e);
void emitter_free(emitter *e);

#endif
