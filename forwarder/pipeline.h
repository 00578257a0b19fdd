/* The workers: take batches of lines off the queue, parse, tag, encode and
 * hand the records to the outputs.  Parsing and encoding run on every
 * worker thread at once; tagging and writing take the batches one at a
 * time in the order they were queued, so events leave in the order they
 * were read and the trackers see them in that order, whatever the number
 * of workers (pipeline.c). */
#ifndef FWD_PIPELINE_H
#define FWD_PIPELINE_H

#include <stddef.h>

#include "config.h"
#include "ipv6probe/parse.h"
#include "runtime.h"

typedef struct pipeline pipeline;

/* Make the parser the config describes; NULL with "file:line:col: …" in err
 * when a pattern does not compile. */
v6p_parser *pipeline_build_parser(const fwd_config *cfg, char *err, size_t errlen);

/* Open the outputs and the dead-letter file, build parser and taggers. */
pipeline *pipeline_new(runtime *rt, char *err, size_t errlen);
int pipeline_start(pipeline *pl);
/* SIGHUP, from the main thread: build the new config's parser and taggers;
 * -1 with err when they cannot be built (the old ones stay).  On success the
 * workers swap them in between two batches, once none is in flight, so no
 * line is lost, and reopen the files. */
int pipeline_reload(pipeline *pl, const fwd_config *next, char *err, size_t errlen);
/* 1 once the workers have drained the closed queue and flushed. */
int pipeline_done(pipeline *pl);
void pipeline_join(pipeline *pl);
/* The outputs' own counters as last seen by the workers. */
void pipeline_output_stats(pipeline *pl,
                           void (*emit)(void *arg, const char *output, const char *name,
                                        unsigned long long v),
                           void *arg);
/* Exit status contribution: 1 when an output failed for good. */
int pipeline_failed(pipeline *pl);
void pipeline_free(pipeline *pl);

#endif
