/* Counters.  Each is written by one thread and read by the main thread for
 * reports, so relaxed atomics are enough: reports need no ordering. */
#ifndef FWD_STATS_H
#define FWD_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "ipv6probe/json.h"

typedef _Atomic unsigned long long counter;

static inline void counter_add(counter *c, unsigned long long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}
static inline unsigned long long counter_get(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Per input. */
typedef struct input_stats {
    counter lines, bytes, cut; /* read by the input thread */
    counter dropped;           /* lost: UDP queue full, kernel drops, EPIPE on kmsg */
    counter connections, open_connections, rejected_connections;
    counter slow_closed, budget_cut; /* TCP: slowloris closed; messages cut for memory */
    counter rotations, truncations;
    counter read_errors;
} input_stats;

#define STATS_TAG_SLOTS 32

/* Worker and pipeline. */
typedef struct pipeline_stats {
    counter lines, events, not_firewall, malformed, ipv4;
    counter unparsed_written;
    counter tagged[STATS_TAG_SLOTS]; /* per V6P_TAG_ bit */
    counter output_errors;
    counter invalid_utf8; /* bytes written as U+FFFD: not well-formed UTF-8 */
    counter reloads, reload_failures;
} pipeline_stats;

struct runtime;

/* One line of totals for --stats-interval. */
void stats_print_line(struct runtime *rt, FILE *f);
/* Everything as one "counters: {JSON}" log line (SIGUSR1): one journal
 * entry, the same object as the ipv6probe:stats record. */
void stats_dump(struct runtime *rt);
/* The same as one ipv6probe:stats JSON object, built in b (reset first):
 * 0 and the text in *out (valid until the next use of b), or -1 when
 * memory runs out. */
int stats_json(struct runtime *rt, int64_t now, v6p_json_builder *b, const char **out, size_t *len);
/* The line printed at exit (tests and scripts read it). */
void stats_print_final(struct runtime *rt, FILE *f);

#endif
