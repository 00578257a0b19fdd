/* The one place where the library's taggers are called, in order, on each
 * parsed event.  The taggers' state (trackers) lives here and is owned by
 * the worker thread. */
#ifndef FWD_TAGGING_H
#define FWD_TAGGING_H

#include <stddef.h>

#include "config.h"
#include "ipv6probe/event.h"

typedef struct tagging tagging;

/* Build the taggers the config asks for.  NULL with err on failure (a table
 * that does not load, a bad prefix). */
tagging *tagging_init(const fwd_config *cfg, char *err, size_t errlen);
/* Tag one event in place. */
void tagging_apply(tagging *t, v6p_event *ev);
/* SIGHUP: take the new config's tables and prefixes, keeping the trackers'
 * state.  `next` was made by tagging_init from the new config (on the main
 * thread, where a failure can still reject the config) and is consumed. */
void tagging_adopt(tagging *t, tagging *next);
/* Names of the taggers wired in, for --version and --check-config. */
const char *tagging_describe(void);
void tagging_free(tagging *t);

#endif
