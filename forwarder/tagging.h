/* The forwarder's side of the library's tagging chain (v6p_chain): builds
 * it from the config, tags each parsed event, hands over the tables a
 * reload replaces.  The chain (trackers) serves one thread at a time: the
 * pipeline's tagging stage. */
#ifndef FWD_TAGGING_H
#define FWD_TAGGING_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ipv6probe/chain.h"
#include "ipv6probe/event.h"

typedef struct tagging tagging;
/* Tables that a reload can replace (classification). */
typedef struct tagging_tables tagging_tables;

/* Build the taggers the config asks for.  NULL with err on failure (a table
 * that does not load, a bad prefix, a bad threshold). */
tagging *tagging_init(const fwd_config *cfg, char *err, size_t errlen);
/* Tag evs[0..n) in place, in order (a batch: v6p_chain_apply_batch). */
void tagging_apply_batch(tagging *t, v6p_event *const *evs, size_t n);

/* Records the taggers produce besides events (ladder summaries), handed to
 * emit with their sourcetype. */
typedef void (*tagging_emit_fn)(void *arg, const char *sourcetype, const char *json, size_t len,
                                int64_t time_sec);
void tagging_drain(tagging *t, tagging_emit_fn emit, void *arg);
/* End of input: close what is open (ladders) so that drain reports it. */
void tagging_finish(tagging *t);

/* SIGHUP: load the new config's tables on the main thread (where a failure
 * can still reject the config), then hand them to the worker, which adopts
 * them between two batches.  The trackers keep their state; internal
 * prefixes are added to, never taken away from, until a restart. */
tagging_tables *tagging_load_tables(const fwd_config *cfg, char *err, size_t errlen);
void tagging_adopt(tagging *t, tagging_tables *tables);
void tagging_tables_free(tagging_tables *tables);

/* The taggers' counters (tracker sizes, evictions): taken by the thread that
 * tags (tagging_snapshot), reported from the copy by another. */
typedef v6p_chain_stats tagging_snap;
void tagging_snapshot(const tagging *t, tagging_snap *s);
void tagging_stats(const tagging_snap *s,
                   void (*emit)(void *arg, const char *name, unsigned long long v), void *arg);
/* Path of the classification table shipped with ipv6probe, NULL when it is
 * not installed (an error unless classification: builtin: false). */
const char *tagging_builtin_table(void);
/* Names of the taggers wired in, for --version. */
const char *tagging_describe(void);
void tagging_free(tagging *t);

#endif
