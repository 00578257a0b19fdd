/* What the threads share: the configuration, the queue, the inputs and the
 * counters.  One instance, made by main() and passed to every thread;
 * runtime.c. */
#ifndef FWD_RUNTIME_H
#define FWD_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "queue.h"
#include "stats.h"

struct checkpoints;
struct pipeline;
struct input_ops;

typedef enum input_kind { INPUT_STDIN, INPUT_FILE, INPUT_SYSLOG, INPUT_KMSG } input_kind;

typedef struct input {
    input_kind kind;
    const struct input_ops *ops; /* how it is opened, read and closed (inputs.h) */
    char name[160];              /* "-", a path, "tcp://[::1]:5514", "/dev/kmsg" */
    input_stats st;
    struct runtime *rt;
    const cfg_file_input *file;   /* INPUT_FILE */
    const cfg_listener *listener; /* INPUT_SYSLOG */
    int fd;                       /* a socket or device opened before privileges drop */
    /* Progress of read-once files, for the terminal progress line. */
    _Atomic unsigned long long size_total, size_done;
    atomic_int finished;
    struct ckpt_entry *ckpt; /* checkpointed files */
} input;

typedef struct runtime {
    fwd_config *cfg;
    queue q;
    input *inputs;
    size_t n_inputs;
    pipeline_stats ps;
    int stop_fd;           /* eventfd: readable once the inputs must stop */
    atomic_int stopping;   /* set with stop_fd */
    pthread_t main_thread; /* woken with SIGUSR2 when the pipeline is done */
    struct checkpoints *ckpt;
    struct pipeline *pl;
    int64_t started; /* monotonic ms */
#define RUNTIME_MAX_THREADS 8
    /* Input threads: one for every input_ops that has inputs. */
    struct input_thread {
        struct runtime *rt;
        const struct input_ops *ops;
        pthread_t tid;
    } threads[RUNTIME_MAX_THREADS];
    size_t n_threads;
} runtime;

/* Ask the inputs to stop (SIGTERM). */
void runtime_stop_inputs(runtime *rt);
/* Wait until the stop fd is readable or ms pass; 1 when stopping. */
int runtime_sleep(runtime *rt, unsigned ms);

#endif
