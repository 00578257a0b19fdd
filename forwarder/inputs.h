/* Inputs: building the list from the config, starting and joining their
 * threads, and the emitter that packs one input's lines into batches. */
#ifndef FWD_INPUTS_H
#define FWD_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* Make rt->inputs from rt->cfg, and open what must be opened while still
 * privileged (sockets, /dev/kmsg).  -1 with err. */
int inputs_open(runtime *rt, char *err, size_t errlen);
int inputs_start(runtime *rt, char *err, size_t errlen);
void inputs_join(runtime *rt);
void inputs_free(runtime *rt);

/* Packs lines of one input into batches and pushes them (blocking: stream
 * inputs wait when the queue is full). */
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
/* 0, or -1 when the queue was aborted or memory ran out. */
int emitter_line(emitter *e, const char *line, size_t len, int cut, int64_t end_offset);
int emitter_push(emitter *e);
void emitter_free(emitter *e);

/* Thread bodies, one per kind (input_file.c, input_syslog.c, input_kmsg.c). */
void *files_once_main(void *rt);
void *files_follow_main(void *rt);
int syslog_open(runtime *rt, input *in, char *err, size_t errlen);
void *syslog_main(void *rt);
int kmsg_open(runtime *rt, input *in, char *err, size_t errlen);
void *kmsg_main(void *in);

#endif
