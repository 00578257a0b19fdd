/* JSON encoding of events (schema version 1). */
#ifndef IPV6PROBE_JSON_H
#define IPV6PROBE_JSON_H

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif
#endif
