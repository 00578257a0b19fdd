/* Parsing firewall log lines into events. */
#ifndef IPV6PROBE_PARSE_H
#define IPV6PROBE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum v6p_status {
    V6P_OK = 0,           /* a firewall event was parsed */
    V6P_NOT_FIREWALL = 1, /* a well-formed line that is not a firewall log line */
    V6P_MALFORMED = 2     /* a firewall line that cannot be trusted: see reason */
} v6p_status;

/* Why a line was called malformed (or not a firewall line). */
typedef enum v6p_reason {
    V6P_R_NONE = 0,
    V6P_R_EMPTY,            /* nothing but white space */
    V6P_R_NO_FORMAT,        /* no known firewall body */
    V6P_R_BAD_FRAMING,      /* the syslog header is damaged */
    V6P_R_BAD_TIMESTAMP,    /* a stamp that is not a date */
    V6P_R_TRUNCATED,        /* the line ends inside a required field */
    V6P_R_BAD_ADDRESS,      /* an address that is not an address */
    V6P_R_BAD_NUMBER,       /* not a number, or out of range for its field */
    V6P_R_BAD_MAC,          /* a MAC field that is not hex pairs */
    V6P_R_DUPLICATE_FIELD,  /* a field given twice */
    V6P_R_MISSING_FIELD,    /* a field every line of the format has is absent */
    V6P_R_UNEXPECTED_TOKEN, /* a token that the format does not allow there */
    V6P_R_BAD_NESTING,      /* an unbalanced or doubly nested [ ... ] */
    V6P_R_FIELD_COUNT,      /* CSV with a field count that fits no variant */
    V6P_R_FAMILY_MISMATCH,  /* IPv4 fields on an IPv6 line or the reverse */
    V6P_R_TOO_LONG,         /* longer than the parser accepts */
    V6P_R_BAD_FIELD,        /* v6p_event_set_*: no such field, or not of that kind */
    V6P_R_COUNT_            /* reasons are only appended: this count grows */
} v6p_reason;

V6P_API const char *v6p_status_name(v6p_status s);
V6P_API const char *v6p_reason_text(v6p_reason r);

/* Details of one parse: the reason and the byte offset in the line where
 * parsing stopped (for malformed lines), and where the body began. */
typedef struct v6p_result {
    v6p_status status;
    v6p_reason reason;
    uint32_t offset;      /* byte offset of the problem */
    uint32_t body_offset; /* where the firewall body starts */
    /* Room for later members without changing the size (callers allocate
     * results); never read it. */
    uint32_t reserved_[4];
} v6p_result;

typedef enum v6p_pattern_kind {
    V6P_PATTERN_ACTION = 0,
    V6P_PATTERN_DIRECTION = 1
} v6p_pattern_kind;

typedef struct v6p_parser v6p_parser;

/* Size-tagged (common.h): fill with v6p_parser_options_init(&o, sizeof o). */
typedef struct v6p_parser_options {
    size_t size; /* set by v6p_parser_options_init */
    /* Seconds east of UTC for stamps that carry no zone (RFC 3164, dmesg -T,
     * journalctl short): 0 = treat them as UTC. */
    int32_t local_utc_offset;
    /* Epoch seconds at which the logging host booted, for boot-relative stamps
     * (/dev/kmsg records, dmesg `[ 135.84]`).  0 = unknown: such lines get the
     * caller's fallback time. */
    int64_t boot_time;
    /* Do not install the default action patterns (DROP/REJECT/BLOCK/DENY →
     * blocked, ACCEPT/ALLOW/PASS → allowed). */
    int no_default_patterns;
} v6p_parser_options;

/* Fill options of `size` bytes (sizeof the caller's struct) with the
 * defaults: every member zero. */
V6P_API void v6p_parser_options_init(v6p_parser_options *opts, size_t size);

/* Make a parser.  opts may be NULL for defaults.  Returns NULL on allocation
 * failure, options not filled by v6p_parser_options_init, or when the
 * defaults cannot be compiled (err says which).
 *
 * Threads: a parser serves one thread at a time (it keeps a small cache);
 * use one parser per thread. */
V6P_API v6p_parser *v6p_parser_new(const v6p_parser_options *opts, v6p_error *err);
V6P_API void v6p_parser_free(v6p_parser *p);

/* Add a PCRE2 pattern tried against the log prefix (the `rule`) in the order
 * added, before the defaults: the first that matches decides.  `value` is
 * one of the schema's words for that kind ("blocked", "allowed", "unknown";
 * "inbound", "outbound", "forward", "unknown").  Returns 0, or -1 with err. */
V6P_API int v6p_parser_add_pattern(v6p_parser *p, v6p_pattern_kind kind, const char *regex,
                                   const char *value, v6p_error *err);
/* Remove every pattern of every kind, defaults included. */
V6P_API void v6p_parser_clear_patterns(v6p_parser *p);

/* Parse one line (len bytes, no NUL needed, a trailing CR/LF is ignored).
 * fallback_sec/usec stand for the time when the line carries no usable stamp
 * and for the reference "now" used to infer a missing year.  The event is
 * reset first; text fields point into `line`.  A parser keeps a small cache,
 * so one parser serves one thread. */
V6P_API v6p_status v6p_parse(v6p_parser *p, const char *line, size_t len, int64_t fallback_sec,
                             uint32_t fallback_usec, v6p_event *ev, v6p_result *res);

/* ---- writing fields, as the library's parsers do ----
 *
 * For parsers of other formats built on this library: the same checked
 * writer every parser of the library uses.  Each sets one field and marks
 * it present, and returns V6P_R_NONE or why the value was refused:
 * V6P_R_BAD_NUMBER for a value above the field's bound, V6P_R_DUPLICATE_FIELD
 * for a field already set (a line that names a field twice is not what its
 * format says it is), V6P_R_BAD_FIELD when f is not a field of that kind.
 * Fields of other kinds (time, enums, tags) are set by assigning the member
 * and calling v6p_event_mark(). */

/* Unsigned integer fields (ports, hop_limit, bytes, ...). */
V6P_API v6p_reason v6p_event_set_num(v6p_event *ev, v6p_field f, uint64_t value);
/* The same from decimal text, or hex text with or without 0x. */
V6P_API v6p_reason v6p_event_set_dec(v6p_event *ev, v6p_field f, const char *p, size_t n);
V6P_API v6p_reason v6p_event_set_hex(v6p_event *ev, v6p_field f, const char *p, size_t n);
/* Text fields: the span points into the caller's line (not copied). */
V6P_API v6p_reason v6p_event_set_span(v6p_event *ev, v6p_field f, const char *p, size_t n);
/* IPv6 address fields (src, dest, inner_src, inner_dest). */
V6P_API v6p_reason v6p_event_set_addr(v6p_event *ev, v6p_field f, const struct in6_addr *a);
V6P_API v6p_reason v6p_event_set_mac(v6p_event *ev, v6p_field f, const uint8_t mac[6]);
V6P_API v6p_reason v6p_event_set_bool(v6p_event *ev, v6p_field f, int value);
/* One bit of a flag-list field (tcp_flag, ip_flag, ...): V6P_TCP_*, V6P_IP_*.
 * Giving the same bit twice is a duplicate. */
V6P_API v6p_reason v6p_event_set_flag(v6p_event *ev, v6p_field f, unsigned bit);

#ifdef __cplusplus
}
#endif
#endif
