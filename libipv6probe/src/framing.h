/* Syslog and kernel-log framings: find the stamp, host and tag in front of a
 * firewall body. */
#ifndef V6PI_FRAMING_H
#define V6PI_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "ipv6probe/event.h"
#include "ipv6probe/parse.h"

typedef enum v6pi_framing_kind {
    V6PI_FRAMING_NONE = 0, /* a bare body */
    V6PI_FRAMING_RFC3164,  /* also journalctl short and short-precise */
    V6PI_FRAMING_RFC5424,
    V6PI_FRAMING_RFC3339,     /* rsyslog high precision, journalctl short-iso */
    V6PI_FRAMING_KMSG,        /* /dev/kmsg record */
    V6PI_FRAMING_DMESG,       /* [  135.845075] */
    V6PI_FRAMING_DMESG_T,     /* [Fri Nov 27 16:59:01 2026] */
    V6PI_FRAMING_JOURNAL_JSON /* journalctl -o json: one object per line */
} v6pi_framing_kind;

typedef struct v6pi_frame {
    v6pi_framing_kind kind;
    int has_time;      /* an absolute stamp was found */
    int has_boot_time; /* a boot-relative stamp was found (boot_usec) */
    int64_t sec;
    uint32_t usec;
    uint64_t boot_usec;
    v6p_span host;
    v6p_span tag;    /* program name without [pid] */
    size_t body;     /* offset of the message body */
    size_t body_end; /* where the body ends; 0 = at the end of the line */
} v6pi_frame;

/* The RFC 3164 year inference for one reference time, offset, month and
 * day: a file's lines share all four, so the calendar arithmetic is done
 * once per change of any, not once per line. */
typedef struct v6pi_year_cache {
    int valid;
    int64_t reference_sec;
    int32_t utc_offset;
    unsigned mo, d;
    int64_t year;    /* the latest candidate year, y + 1 of infer_year */
    int64_t days[3]; /* days_from_civil of year, year - 1, year - 2 */
} v6pi_year_cache;

typedef struct v6pi_frame_opts {
    int32_t local_utc_offset;
    int64_t reference_sec;      /* "now", for the missing year of RFC 3164 */
    v6pi_year_cache *year_memo; /* may be NULL */
} v6pi_frame_opts;

/* Returns V6P_R_NONE, or a reason when a framing was recognized but is
 * damaged (a bad stamp). */
v6p_reason v6pi_frame_parse(const char *line, size_t len, const v6pi_frame_opts *opts,
                            v6pi_frame *out);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t v6pi_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
