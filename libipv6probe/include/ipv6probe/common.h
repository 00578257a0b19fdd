/* What every part of the library shares: the export marker, the text span,
 * the error detail and the record callback. */
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
