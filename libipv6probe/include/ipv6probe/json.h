/* JSON: events (schema version 1), and a builder for every other record.
 *
 * One encoder under both: strings go through v6p_json_quote (escaped, and
 * valid UTF-8 whatever the bytes), numbers are written without printf, and
 * the buffer grows as needed, so a record is never cut. */
#ifndef IPV6PROBE_JSON_H
#define IPV6PROBE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Holds the output buffer and the encoder between calls, so encoding an event
 * allocates nothing once the buffer has grown to the largest event.
 *
 * Threads: a writer serves one thread at a time.  v6p_json_quote and
 * v6p_addr_format keep no state and are safe from any thread. */
typedef struct v6p_json_writer v6p_json_writer;

V6P_API v6p_json_writer *v6p_json_writer_new(void);
V6P_API void v6p_json_writer_free(v6p_json_writer *w);

/* Encode one event as a single-line JSON object (no newline).  On success
 * returns 0 and points *out at the text, valid until the next call on w.
 * Returns -1 when memory runs out. */
V6P_API int v6p_json_write_event(v6p_json_writer *w, const v6p_event *ev, const char **out,
                                 size_t *out_len);

/* Bytes changed since the writer was made: each byte of the event's strings
 * that starts no well-formed UTF-8 sequence is written as U+FFFD. */
V6P_API unsigned long long v6p_json_writer_replaced(const v6p_json_writer *w);

/* The greatest length v6p_json_quote writes for n bytes. */
#define V6P_JSON_QUOTE_MAX(n) ((n)*6 + 2)

/* Write src[0..n) as a JSON string, quotes included, at dst (room for
 * V6P_JSON_QUOTE_MAX(n) bytes, not NUL-terminated); returns the length.
 * Quote, backslash and control bytes are escaped; every byte that starts
 * no well-formed UTF-8 sequence becomes U+FFFD and adds one to *replaced
 * (may be NULL).  The result is always valid UTF-8 JSON. */
V6P_API size_t v6p_json_quote(char *dst, const char *src, size_t n, unsigned long long *replaced);

/* Write `ip` in RFC 5952 text (IPv4-mapped as dotted quad when v4 is set);
 * buf must hold INET6_ADDRSTRLEN bytes.  Returns the length. */
V6P_API size_t v6p_addr_format(const struct in6_addr *ip, int v4, char *buf);

/* ---- records: the builder ----
 *
 * Builds one JSON object (or array) of any size, keys in the order written:
 *
 *     v6p_json_builder *b = v6p_json_builder_new();
 *     v6p_json_object_begin(b, NULL);
 *     v6p_json_uint(b, "schema", 1);
 *     v6p_json_string(b, "dvc", host, host_len);
 *     v6p_json_array_begin(b, "repeats");
 *     v6p_json_uint(b, NULL, 2);          inside an array: no key
 *     v6p_json_array_end(b);
 *     v6p_json_object_end(b);
 *     if (v6p_json_builder_finish(b, &text, &len, &err) == 0) ... use text ...
 *     v6p_json_builder_reset(b);          the next record, same buffer
 *
 * Commas are placed by the builder.  `key` is NULL for the top value and for
 * array elements, a NUL-terminated string (escaped like any string) inside
 * an object.  The value calls return nothing: a failure (memory, nesting
 * deeper than V6P_JSON_MAX_DEPTH, an end without its begin) is kept and
 * reported by v6p_json_builder_finish.  A builder serves one thread. */
typedef struct v6p_json_builder v6p_json_builder;

#define V6P_JSON_MAX_DEPTH 64

V6P_API v6p_json_builder *v6p_json_builder_new(void);
V6P_API void v6p_json_builder_free(v6p_json_builder *b);
/* Empty the builder for the next record; keeps the buffer and the count of
 * replaced bytes. */
V6P_API void v6p_json_builder_reset(v6p_json_builder *b);

V6P_API void v6p_json_object_begin(v6p_json_builder *b, const char *key);
V6P_API void v6p_json_object_end(v6p_json_builder *b);
V6P_API void v6p_json_array_begin(v6p_json_builder *b, const char *key);
V6P_API void v6p_json_array_end(v6p_json_builder *b);

/* s[0..n): any bytes, quoted by v6p_json_quote (invalid UTF-8 becomes
 * U+FFFD and is counted in v6p_json_builder_replaced). */
V6P_API void v6p_json_string(v6p_json_builder *b, const char *key, const char *s, size_t n);
/* The same for a NUL-terminated string. */
V6P_API void v6p_json_cstring(v6p_json_builder *b, const char *key, const char *s);
/* s[0..n) kept byte for byte: every byte outside printable ASCII escaped as
 * \u00XX (byte XX), quote and backslash as \" and \\, so that the exact
 * bytes can be rebuilt from the string (each code point read as one byte). */
V6P_API void v6p_json_bytes(v6p_json_builder *b, const char *key, const char *s, size_t n);
V6P_API void v6p_json_int(v6p_json_builder *b, const char *key, int64_t v);
V6P_API void v6p_json_uint(v6p_json_builder *b, const char *key, uint64_t v);
/* v in fixed notation with `decimals` (0..17) digits after the point, as
 * printf's %.*f; NaN and infinities, which JSON cannot hold, as null. */
V6P_API void v6p_json_double(v6p_json_builder *b, const char *key, double v, int decimals);
/* A time stamp as the events write theirs: seconds, a point and six digits
 * of microseconds (usec 0..999999). */
V6P_API void v6p_json_time(v6p_json_builder *b, const char *key, int64_t sec, uint32_t usec);
V6P_API void v6p_json_bool(v6p_json_builder *b, const char *key, int v);
V6P_API void v6p_json_null(v6p_json_builder *b, const char *key);
/* json[0..n), a value already encoded (an event from v6p_json_write_event),
 * copied as it is: the caller vouches for it. */
V6P_API void v6p_json_raw(v6p_json_builder *b, const char *key, const char *json, size_t n);

/* The text so far: 0 and *out (NUL-terminated, valid until the next call
 * on b) and *len; or -1 with err: ENOMEM when memory ran out, EINVAL when a
 * container is still open, nesting was too deep or an end had no begin. */
V6P_API int v6p_json_builder_finish(v6p_json_builder *b, const char **out, size_t *len,
                                    v6p_error *err);
/* Bytes of invalid UTF-8 written as U+FFFD since the builder was made. */
V6P_API unsigned long long v6p_json_builder_replaced(const v6p_json_builder *b);

#ifdef __cplusplus
}
#endif
#endif
