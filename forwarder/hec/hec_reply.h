/* Reading HEC replies and deciding what to do with them: by HTTP status
 * first, then by the HEC code, never failing on an unknown code. */
#ifndef FWD_HEC_REPLY_H
#define FWD_HEC_REPLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct hec_reply {
    int has_code;
    long code;
    char text[128];
    int has_ien; /* "invalid-event-number" */
    long ien;
    int has_ack_id;
    uint64_t ack_id;
} hec_reply;

/* Fills r from a reply body; a body that is not JSON leaves r empty (and
 * the status alone decides).  Returns 0 when it parsed. */
int hec_reply_parse(const char *body, size_t len, hec_reply *r);

/* Calls fn(arg, id, acked) for each entry of {"acks":{"<id>":bool,...}}.
 * Returns the number of entries, or -1 when the body is not that shape. */
int hec_ack_parse(const char *body, size_t len, void (*fn)(void *, uint64_t, int), void *arg);

typedef enum hec_action {
    HEC_DONE = 0,      /* 2xx: accepted (an ackId may follow) */
    HEC_RETRY,         /* transport error, 408, 429, 5xx, 404: back off, send again */
    HEC_PARTIAL,       /* 4xx with invalid-event-number: salvage the rest */
    HEC_TOO_LARGE,     /* 413: split the batch */
    HEC_AUTH,          /* 401/403: token bad or disabled; stop and hold the data */
    HEC_MISCONFIGURED, /* 3xx and the like: the URL is wrong; stop and hold */
    HEC_REJECT         /* other 4xx: this batch will never be taken */
} hec_action;

hec_action hec_classify(long status, const hec_reply *r, size_t n_events);

/* A short name of the action, for messages. */
const char *hec_action_name(hec_action a);

#endif
