/* Outputs: where encoded events go.
 *
 * An output is a small vtable.  Every call is made from the worker thread
 * only, in event order, so an output needs no locking of its own unless it
 * starts threads (HEC does).  Several outputs may be on at once; each gets
 * every record.
 *
 * Contract:
 *   open         read what it needs from the config; 0, or -1 with err.
 *   write_event  take one record (copy what you keep: the text and the
 *                metadata are valid only during the call).  0, or -1 when
 *                the record is lost (counted as an output error).  May block
 *                to apply backpressure (e.g. a full HEC spool with policy
 *                "block"); the inputs then wait.
 *   flush        make every record written so far delivered or durable
 *                (stdout: written to the descriptor; HEC: acknowledged or in
 *                the spool), waiting at most timeout_ms.  0 when done; -1 when
 *                not done (yet).  Checkpoints advance only after a flush
 *                that returned 0.  While running the worker calls it with
 *                timeout 0 when the queue runs dry and every 100 ms under
 *                load, so it must not block then: a -1 only holds the
 *                checkpoints back.  At exit it is called once with the
 *                shutdown deadline; a -1 then counts as an output error.
 *   stats        report the output's own counters through emit().
 *   reopen       SIGHUP: reopen files (logrotate), re-read token files.
 *   close        flush what can be flushed and free everything.
 */
#ifndef FWD_OUTPUT_H
#define FWD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ipv6probe/event.h"

#define SOURCETYPE_EVENT "ipv6probe:event"
#define SOURCETYPE_UNPARSED "ipv6probe:unparsed"
#define SOURCETYPE_STATS "ipv6probe:stats"

typedef struct output_record {
    const char *json; /* one JSON object, no newline */
    size_t len;
    int64_t time_sec; /* event time (HEC "time") */
    uint32_t time_usec;
    const char *host; /* the device that logged it (HEC "host"); may be NULL */
    size_t host_len;
    const char *sourcetype; /* one of the SOURCETYPE_ names */
    const v6p_event *event; /* the parsed event, for indexed fields; NULL
                               for unparsed and stats records */
} output_record;

typedef void (*output_emit_fn)(void *arg, const char *name, unsigned long long value);

typedef struct output output;

typedef struct output_ops {
    const char *name;
    int (*open)(output *o, const fwd_config *cfg, char *err, size_t errlen);
    int (*write_event)(output *o, const output_record *r);
    int (*flush)(output *o, unsigned timeout_ms);
    void (*stats)(output *o, output_emit_fn emit, void *arg);
    int (*reopen)(output *o);
    void (*close)(output *o);
} output_ops;

struct output {
    const output_ops *ops;
    void *state; /* the output's own */
};

extern const output_ops output_stdout_ops; /* output_stdout.c */
extern const output_ops output_file_ops;   /* output_stdout.c */
/* hec/output_hec.c. */
const output_ops *output_hec_ops(void);

/* "stdout", "file", "hec": the output of that name, or NULL. */
const output_ops *output_lookup(const char *name);

#endif
