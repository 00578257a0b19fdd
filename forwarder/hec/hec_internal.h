/* Inside the HEC client: what its files share (see hec.c for how they fit
 * together).  Everything here runs on the client's one thread (hec_probe.c
 * on its caller's, with a client of its own).
 *
 *   hec.c        the loop, sending, event replies, dead letters, public calls
 *   hec_batch.c  batches: building them from the spool, gzip, the held list
 *   hec_conn.c   endpoints: URLs, TLS and curl options, headers, requests,
 *                health checks, token re-reads, up/down/held state
 *   hec_ack.c    indexer acknowledgements: polls, replies, timeouts
 *   hec_retry.c  retry policy: backoff, Retry-After, partial and 413 replies
 *   hec_probe.c  --check-output: one blocking probe per endpoint
 *
 * Internal calls that can fail return an HEC_* code (hec.h). */
#ifndef FWD_HEC_INTERNAL_H
#define FWD_HEC_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <zlib.h>

#include "clock.h"
#include "hec.h"
#include "hec_reply.h"
#include "hec_token.h"

#define MAX_ENDPOINTS 64
#define MAX_ACK_IDS 1000 /* per /ack query */
#define MAX_REPLY 65536

enum { B_READY = 0, B_SENDING, B_ACKWAIT };
enum { EP_UP = 0, EP_DOWN, EP_HELD };
enum { R_EVENT = 0, R_ACK, R_HEALTH };

#define STAT_ADD(h, f, n) atomic_fetch_add_explicit(&(h)->st.f, (n), memory_order_relaxed)
#define STAT_SET(h, f, n) atomic_store_explicit(&(h)->st.f, (n), memory_order_relaxed)

/* A batch of HEC event objects that is the request body itself (records
 * joined by '\n', maybe gzipped), with the spool sequence of each record.
 * Not the queue's batch (queue.h), which carries log lines from the inputs
 * to the worker: hec_batch_* and batch_* are two things. */
typedef struct hbatch {
    uint64_t *seqs;
    size_t n, capn;
    char *raw; /* the records, each followed by '\n'; NULL once only gz is kept */
    size_t rlen, rcap;
    char *gz;
    size_t gzlen;
    int state;
    int64_t t0, next_try, sent_at;
    unsigned attempts, sends;
    int ep;
    uint64_t ack_id;
} hbatch;

typedef struct endpoint {
    char *base; /* scheme://host:port/prefix, for messages */
    char *event_url, *ack_url, *health_url;
    char *connect_to; /* SNI: "name:port:host:port" */
    struct curl_slist *connect_list;
    char channel[37];
    struct curl_slist *hdr_data, *hdr_data_gz, *hdr_plain;
    CURLSH *share; /* cookies: load balancers route acks by them */
    int state;
    unsigned inflight, fails;
    int ack_inflight, health_inflight, acks_off;
    int64_t cool_until, next_health, next_ack_poll, last_warn;
    char why[192]; /* why it is down or held */
} endpoint;

typedef struct hreq {
    struct hreq *prev, *next; /* every request out, so that stop can free them */
    int kind;
    CURL *e;
    int ep;
    hbatch *b;
    char *body; /* owned (ack queries) */
    char *resp;
    size_t rlen, rcap;
    char errbuf[CURL_ERROR_SIZE];
} hreq;

struct hec {
    hec_opts o;
    char token[HEC_TOKEN_MAX];
    hec_stats st;
    CURLM *multi;
    endpoint eps[MAX_ENDPOINTS];
    size_t nep;
    unsigned rr;

    hreq *reqs;
    hbatch **bs;
    size_t nb, capb;
    hbatch *forming;
    uint64_t events_held;

    z_stream zs;
    int zs_ready;
    FILE *dead;
    uint64_t rng;

    pthread_t thread;
    int started;
    atomic_int stop, reload, drainers;
    int64_t stop_deadline;
    pthread_mutex_t mu;
    pthread_cond_t progress;
};

/* hec.c */
void hec_log(hec *h, hec_level lv, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* An event refused for good: counted, and written to the dead-letter file
 * (when there is one) with why. */
void hec_dead_letter(hec *h, const char *rec, size_t len, const char *endpoint, long status,
                     const hec_reply *r, const char *why);
void hec_free(hec *h);

/* hec_batch.c */
void hec_batch_free(hbatch *b);
int hec_batch_add(hbatch *b, uint64_t seq, const char *data, size_t len);
int hec_batch_gzip(hec *h, hbatch *b);
int hec_batch_ensure_raw(hbatch *b);
const char *hec_batch_rec(const hbatch *b, size_t i, size_t *len, size_t *start);
void hec_spool_done_seqs(hec *h, const uint64_t *seqs, size_t from, size_t to);
void hec_notify_progress(hec *h);
int hec_batch_push(hec *h, hbatch *b);
void hec_batch_remove(hec *h, hbatch *b);
void hec_batch_complete(hec *h, hbatch *b);
/* Move records from the spool into batches; hurry seals a partial one. */
void hec_fill(hec *h, int64_t now, int hurry);

/* hec_conn.c */
int hec_endpoint_init(hec *h, endpoint *ep, const char *url, char *err, size_t errlen);
void hec_endpoint_free(endpoint *ep);
void hec_count_up(hec *h);
void hec_ep_down(hec *h, endpoint *ep, int64_t now, const char *why);
void hec_ep_up(hec *h, endpoint *ep);
void hec_ep_hold(hec *h, endpoint *ep, int64_t now, const char *why);
hreq *hec_req_new(hec *h, int kind, int epi, const char *url, struct curl_slist *hdrs);
int hec_req_start(hec *h, hreq *q);
void hec_req_free(hec *h, hreq *q);
void hec_token_reread(hec *h);
void hec_send_health(hec *h, int epi, int64_t now);
void hec_on_health_reply(hec *h, hreq *q, long status, CURLcode cc, int64_t now);
void hec_parse_reply(hec *h, const hreq *q, hec_reply *r);
void hec_reply_text(char *buf, size_t cap, long status, const hec_reply *r, const hreq *q,
                    CURLcode cc);

/* hec_ack.c */
void hec_send_ack_query(hec *h, int epi, int64_t now);
void hec_on_ack_reply(hec *h, hreq *q, long status, int64_t now);
void hec_ack_timeouts(hec *h, int64_t now);

/* hec_retry.c */
uint64_t hec_rnd(hec *h);
int64_t hec_backoff(hec *h, unsigned n);
long hec_retry_after_ms(CURL *e);
void hec_count_status(hec *h, long status);
void hec_retry_later(hec *h, hbatch *b, endpoint *ep, long status, long ra_ms, int64_t now,
                     const char *why);
void hec_salvage(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r);
void hec_split_batch(hec *h, hbatch *b, endpoint *ep, long status, const hec_reply *r);

#endif
