/* The HEC event object around one event:
 *   {"time":1700000000.123456,"host":...,"source":...,"sourcetype":...,
 *    "index":...,"event":<the event JSON>,"fields":{...}}
 * time is a plain decimal (Splunk refuses exponents), and indexed fields are
 * strings or arrays of strings only (anything else is code 15). */
#ifndef FWD_HEC_ENVELOPE_H
#define FWD_HEC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct hec_meta {
    int64_t time_sec;
    uint32_t time_usec;
    const char *host; /* NULL or empty: left out (the token's default applies) */
    size_t host_len;
    const char *source, *sourcetype, *index; /* NUL-terminated; NULL: left out */
} hec_meta;

/* The envelope's text is p[0..len) (NUL-terminated), valid until the next
 * call; zero-initialise before first use. */
typedef struct hec_buf {
    struct v6p_json_builder *b; /* the library's builder */
    const char *p;
    size_t len;
} hec_buf;

/* Builds the envelope into b (cleared first).  fields lists the event keys
 * copied as indexed fields.  Returns 0, or -1 when out of memory or when
 * json is not an object. */
int hec_envelope(hec_buf *b, const hec_meta *m, const char *json, size_t len,
                 const char *const *fields, size_t n_fields);

void hec_buf_free(hec_buf *b);

#endif
