/* An optional Prometheus text endpoint on loopback (metrics: listen:),
 * served by one thread: GET /metrics gives the counters of the inputs,
 * the pipeline, the outputs (HEC delivery, retries, spool, endpoint
 * health) and the taggers (tracker fill against capacity, evictions). */
#ifndef FWD_METRICS_H
#define FWD_METRICS_H

#include <stddef.h>

struct runtime;
typedef struct metrics metrics;

/* Binds the address ("127.0.0.1:9469", "[::1]:9469"; loopback only).
 * NULL with err on failure. */
metrics *metrics_open(const char *listen, char *err, size_t errlen);
/* Starts serving rt's counters. */
int metrics_start(metrics *m, struct runtime *rt, char *err, size_t errlen);
/* Stops the thread (if started) and frees. */
void metrics_close(metrics *m);

/* Checks that listen names a loopback address and port: 0, or -1 with
 * err.  The address goes to *sa (a struct sockaddr_storage). */
int metrics_parse_listen(const char *listen, void *sa, unsigned *salen, char *err, size_t errlen);

/* The text exposition of rt's counters into a malloc'd string. */
char *metrics_render(struct runtime *rt, size_t *len);

#endif
