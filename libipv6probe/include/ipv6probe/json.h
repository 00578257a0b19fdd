/* JSON encoding of events (schema version 1). */
#ifndef IPV6PROBE_JSON_H
#define IPV6PROBE_JSON_H

#include <stddef.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Holds the output buffer and the encoder between calls, so encoding an event
 * allocates nothing once the buffer has grown to the largest event. */
typedef struct v6p_json_writer v6p_json_writer;

v6p_json_writer *v6p_json_writer_new(void);
void v6p_json_writer_free(v6p_json_writer *w);

/* Encode one event as a single-line JSON object (no newline).  On success
 * returns 0 and points *out at the text, valid until the next call on w.
 * Returns -1 when memory runs out. */
int v6p_json_write_event(v6p_json_writer *w, const v6p_event *ev, const char **out,
                         size_t *out_len);

/* Write `ip` in RFC 5952 text (IPv4-mapped as dotted quad when v4 is set);
 * buf must hold INET6_ADDRSTRLEN bytes.  Returns the length. */
size_t v6p_addr_format(const struct in6_addr *ip, int v4, char *buf);

#ifdef __cplusplus
}
#endif
#endif
