/* The HEC client: a thread that reads event envelopes from the spool,
 * batches them, posts them to Splunk's /services/collector/event over one
 * libcurl multi handle, follows indexer acknowledgements, retries with
 * backoff, spreads batches over several endpoints and marks each event done
 * in the spool only once it is delivered (or dead-lettered).
 *
 * Records in the spool are complete HEC event objects ({"time":...,
 * "event":...}); the client does not look inside them except to cut a
 * batch apart after a partial failure. */
#ifndef FWD_HEC_H
#define FWD_HEC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

enum {
    HEC_OK = 0,
    HEC_EINVAL = -1,
    HEC_ETOKEN = -2,
    HEC_ENOMEM = -3,
    HEC_ECURL = -4,
    HEC_ETIMEOUT = -5
};

typedef enum hec_level { HEC_LOG_INFO = 0, HEC_LOG_WARN, HEC_LOG_ERR } hec_level;
typedef void (*hec_log_fn)(void *ctx, hec_level level, const char *msg);

typedef struct hec_opts {
    const char *const *urls; /* https://host:8088[/prefix] */
    size_t n_urls;
    const char *token_file, *token_env; /* exactly one */

    int tls_verify; /* 1 unless explicitly turned off */
    const char *ca_file, *ca_dir, *client_cert, *client_key, *sni;
    int allow_insecure_http; /* plain http:// to a host other than loopback */

    uint64_t batch_events, batch_bytes, batch_time_ms;
    int gzip_level; /* 0 = off */

    int acks;
    uint64_t ack_timeout_ms; /* resend when not acknowledged by then */
    uint64_t ack_poll_ms;

    uint64_t backoff_initial_ms, backoff_max_ms;
    uint64_t timeout_ms;         /* one request */
    uint64_t health_interval_ms; /* health check of healthy endpoints; 0 = never */
    uint64_t auth_retry_ms;      /* token refused: try again (re-reading it) this often */
    uint64_t auth_warn_ms;       /* and say so this often */
    unsigned max_inflight;       /* requests per endpoint */
    unsigned max_batches;        /* batches held in memory */
    uint64_t max_event_bytes;    /* larger events go to the dead-letter file */

    const char *dead_letter_path; /* NULL: rejected events are only counted */
    spool *spool;                 /* the caller's; must outlive the client */
    hec_log_fn log;
    void *log_ctx;
} hec_opts;

/* Fills o with defaults (everything but urls, token, spool, log). */
void hec_opts_defaults(hec_opts *o);

/* Counters, written by the client's thread, read by anyone. */
typedef struct hec_stats {
    _Atomic uint64_t events_sent, events_delivered, events_resent, events_dead_letter;
    _Atomic uint64_t batches_sent, requests, bytes_raw, bytes_wire;
    _Atomic uint64_t http_2xx, http_4xx, http_5xx, http_429, http_other, transport_errors;
    _Atomic uint64_t retries, partial_failures, splits, auth_failures, misconfigured;
    _Atomic uint64_t ack_polls, ack_poll_errors, acks_true, ack_timeouts;
    _Atomic uint64_t ack_id_missing; /* 200 without a usable ackId while acks are on */
    _Atomic uint64_t endpoint_down, endpoint_up, health_checks, health_failures;
    _Atomic uint64_t token_reloads;
    _Atomic uint64_t batches_held, events_held, endpoints_up; /* gauges */
} hec_stats;

typedef struct hec hec;

/* Checks one endpoint URL: scheme, host, and the plain-http rule. */
int hec_check_url(const char *url, int allow_insecure_http, char *err, size_t errlen);

/* Validates o, reads the token, starts the thread. */
int hec_start(hec **out, const hec_opts *o, char *err, size_t errlen);
/* New records were committed to the spool. */
void hec_kick(hec *h);
/* Waits until every record committed so far is done (delivered or
 * dead-lettered): HEC_OK, or HEC_ETIMEOUT.  Partial batches are sent at
 * once while someone waits. */
int hec_drain(hec *h, unsigned timeout_ms);
/* Re-read the token (SIGHUP). */
void hec_reload_token(hec *h);
/* Stops the thread, giving in-flight work up to grace_ms, and frees. */
void hec_stop(hec *h, unsigned grace_ms);

const hec_stats *hec_get_stats(const hec *h);

/* --check-output: asks each endpoint for its health and whether it takes
 * the token, one report() line each (never naming the token).  Returns the
 * number of endpoints that failed, or a negative HEC_* code with err (no
 * token: HEC_ETOKEN, bad URL: HEC_EINVAL). */
typedef void (*hec_probe_fn)(void *ctx, int ok, const char *msg);
int hec_probe(const hec_opts *o, hec_probe_fn report, void *ctx, char *err, size_t errlen);

#endif
