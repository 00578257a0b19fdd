/* Body parsers, one per firewall format.  Each takes the message body after
 * the syslog framing and fills the event through the field writer. */
#ifndef V6PI_FORMATS_H
#define V6PI_FORMATS_H

#include <stddef.h>

#include "ipv6probe/event.h"
#include "ipv6probe/parse.h"

/* What a body parser reports: the status, and for a malformed body the
 * reason and the offset within the body. */
typedef struct v6pi_body_result {
    v6p_status status;
    v6p_reason reason;
    size_t offset;
} v6pi_body_result;

/* What the framing knew, and what a body parser reports back beyond fields. */
typedef struct v6pi_body_ctx {
    v6p_span tag;          /* syslog program name, may be empty */
    int has_time;          /* ev->time_sec/usec already hold the framing's stamp */
    int64_t reference_sec; /* "now", for stamps without a date */
    int32_t local_utc_offset;
    /* Out: netfilter's IN=/OUT= named a device (direction comes from these
     * when the format does not say it and no pattern decides). */
    int has_in, has_out;
    /* Between netfilter's sniff and parse: where the sniff found `IN=`
     * (NULL when not found or not yet looked for), so that the parse need
     * not search for it again. */
    const char *nf_in;
} v6pi_body_ctx;

typedef struct v6pi_body_format {
    /* Cheap test: could this body be the format?  tag may help; what the
     * sniff found on the way may be left in ctx for its parse. */
    int (*sniff)(const char *body, size_t len, v6pi_body_ctx *ctx);
    v6pi_body_result (*parse)(const char *body, size_t len, v6p_event *ev, v6pi_body_ctx *ctx);
} v6pi_body_format;

/* Linux netfilter LOG text (ip6tables/iptables LOG, nftables log).  Sets
 * rule, interfaces, addresses and the rest; action and direction are decided
 * by the caller from the prefix. */
int v6pi_sniff_netfilter(const char *body, size_t len, v6pi_body_ctx *ctx);
v6pi_body_result v6pi_parse_netfilter(const char *body, size_t len, v6p_event *ev,
                                      v6pi_body_ctx *ctx);

/* pf as tcpdump prints it from pflog0 (`tcpdump -n -e`), any stamp option,
 * with or without -v.  Sets action, direction and pf_* fields itself. */
int v6pi_sniff_pflog(const char *body, size_t len, v6pi_body_ctx *ctx);
v6pi_body_result v6pi_parse_pflog(const char *body, size_t len, v6p_event *ev, v6pi_body_ctx *ctx);

/* pfSense / OPNsense filterlog CSV records. */
int v6pi_sniff_filterlog(const char *body, size_t len, v6pi_body_ctx *ctx);
v6pi_body_result v6pi_parse_filterlog(const char *body, size_t len, v6p_event *ev,
                                      v6pi_body_ctx *ctx);

#endif
