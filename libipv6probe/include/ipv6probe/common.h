/* What every part of the library shares: the export marker, the text span,
 * the error detail and the record callback; and the rules every header
 * follows.
 *
 * Errors.  A call that can fail returns int 0 / -1, or a handle / NULL, and
 * fills the v6p_error it is given (NULL allowed) with an errno code and a
 * message.  A call whose only failure is a NULL handle or argument (a
 * programming error, as in the tagging calls on the hot path) returns -1
 * without detail.  v6p_parse returns a v6p_status: what the line was, a
 * result, not a failure of the call.
 *
 * Names.  Handles are made by v6p_X_new and freed by v6p_X_free (NULL is
 * accepted); a function is named after the handle it takes first.
 *
 * Growth.  Structs the caller allocates and the library may extend are
 * size-tagged, so that a program built against older headers keeps working
 * with a newer library:
 *   - a config starts with `size_t size`, set by
 *     v6p_X_config_init(&cfg, sizeof cfg), which fills the defaults; the
 *     library reads only the members within that size (the others keep their
 *     defaults);
 *   - stats are filled by v6p_X_get_stats(handle, &st, sizeof st), which
 *     writes only what fits in that size.
 * Members are only ever appended.  An event (event.h) has a fixed size with
 * a reserved tail for the same reason.
 *
 * Threads.  Each header says, for each handle, which calls may run at once.
 * Functions that take no handle keep no state and are safe from any thread. */
#ifndef IPV6PROBE_COMMON_H
#define IPV6PROBE_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Marks the library's API.  The library is built with hidden visibility, so
 * only what carries V6P_API is exported; everything else (the v6pi_ names)
 * stays inside it. */
#if defined(V6P_BUILDING_LIBRARY) && defined(__GNUC__)
#define V6P_API __attribute__((visibility("default")))
#else
#define V6P_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A view into caller memory; not NUL-terminated. */
typedef struct v6p_span {
    const char *ptr;
    uint32_t len;
} v6p_span;

/* Error detail, filled by every call that can fail (caller-owned; a NULL
 * pointer is allowed where the caller does not want the detail).  code is 0
 * on success, else an errno value (EINVAL, ENOMEM, ENOENT, ENOTSUP, or the
 * errno of a failed open); message says what went wrong, for a file with
 * "file:line:column: " in front; offset is the byte where text was refused. */
typedef struct v6p_error {
    int code;
    uint32_t offset;
    char message[256];
} v6p_error;

/* Receives a record that is not an event (a ladder summary, a suspect):
 * `sourcetype` names its kind ("ipv6probe:ladder"), `json` is one JSON
 * object of len bytes, NUL-terminated and valid during the call, time_sec
 * the record's time. */
typedef void (*v6p_emit_fn)(void *ud, const char *sourcetype, const char *json, size_t len,
                            int64_t time_sec);

#ifdef __cplusplus
}
#endif
#endif
