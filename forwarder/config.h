/* The forwarder's configuration: defaults, the YAML file, then the command
 * line on top.  Every option is documented, with its default, in
 * examples/forward.yaml. */
#ifndef FWD_CONFIG_H
#define FWD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipv6probe/dedupe.h"
#include "ipv6probe/parse.h"
#include "ipv6probe/pe.h"
#include "ipv6probe/taggers.h"

#define CFG_ERR_MAX 512

typedef enum unparsed_mode {
    UNPARSED_STDERR = 0, /* counted; the first few malformed lines reported on stderr */
    UNPARSED_DROP,       /* counted only */
    UNPARSED_RAW,        /* sent to the outputs as ipv6probe:unparsed records */
    UNPARSED_FILE        /* appended verbatim to a dead-letter file */
} unparsed_mode;

typedef enum start_at { START_BEGINNING = 0, START_END } start_at;

typedef struct cfg_file_input {
    char *path;
    int follow;     /* keep reading as the file grows, across rotation */
    start_at start; /* where to begin when the checkpoint knows nothing */
} cfg_file_input;

typedef enum syslog_proto { PROTO_UDP = 0, PROTO_TCP } syslog_proto;

typedef struct cfg_listener {
    char *listen; /* as written: udp://[::1]:5514 */
    syslog_proto proto;
    char *address; /* numeric host part, without brackets */
    unsigned port;
    int line, column;         /* where it was written */
    uint64_t max_message;     /* longer messages are cut (and counted) */
    uint64_t max_connections; /* TCP: more are refused (and counted) */
    uint64_t receive_buffer;  /* SO_RCVBUF; 0 = the system's */
    uint64_t idle_timeout_ms; /* TCP: close connections silent this long; 0 = never */
    /* TCP, against one peer taking everything: */
    uint64_t min_bytes_per_minute;       /* an unfinished message slower than this: closed */
    uint64_t max_connections_per_source; /* per peer address; more are refused */
    uint64_t peer_buffer_budget;         /* message buffers of one peer address, in all */
    uint64_t buffer_budget;              /* message buffers of the whole listener */
} cfg_listener;

typedef struct cfg_pattern {
    v6p_pattern_kind kind;
    char *match; /* PCRE2 */
    char *value;
    int line, column; /* where it was written, for errors found later */
} cfg_pattern;

/* Tagger sections: the library's own configuration structs, filled with
 * the library's defaults and then from the file (see tagging.c). */
typedef struct cfg_classification {
    char **tables;
    size_t n_tables;
    int builtin;        /* the table shipped with ipv6probe, loaded first */
    char *asn_database; /* MaxMind-format ASN database, optional */
} cfg_classification;

/* outputs: hec: — parsed and checked here so that the HEC output only has to
 * read this struct.  Durations are in milliseconds, sizes in bytes. */
typedef enum spool_full_policy {
    SPOOL_FULL_BLOCK = 0, /* stop taking events: backpressure to the inputs */
    SPOOL_FULL_DROP_OLDEST,
    SPOOL_FULL_DROP_NEWEST
} spool_full_policy;

typedef enum spool_fsync {
    SPOOL_FSYNC_BATCH = 0, /* fsync after each batch written */
    SPOOL_FSYNC_ALWAYS,    /* after each event */
    SPOOL_FSYNC_NEVER      /* leave it to the kernel */
} spool_fsync;

typedef struct cfg_hec {
    int enabled;      /* the section is present */
    char **endpoints; /* https://host:8088 … tried in turn */
    size_t n_endpoints;
    char *token_file; /* one of token_file, token_env */
    char *token_env;
    struct {
        int verify;
        char *ca_file, *ca_dir, *client_cert, *client_key, *sni;
    } tls;
    struct {
        uint64_t events, bytes, time_ms;
    } batch;
    uint64_t gzip; /* 0 = off, 1..9 = level */
    struct {
        int enabled;
        uint64_t timeout_ms;
        uint64_t poll_interval_ms;
    } acks;
    struct {
        uint64_t initial_backoff_ms, max_backoff_ms;
    } retry;
    struct {
        char *dir; /* NULL = no disk spool */
        uint64_t max_bytes;
        spool_fsync fsync;
        spool_full_policy full_policy;
    } spool;
    uint64_t timeout_ms;         /* per request */
    uint64_t health_interval_ms; /* health check of endpoints in rotation; 0 = never */
    uint64_t max_in_flight;      /* requests at once per endpoint */
    char *dead_letter;           /* NULL: <spool.dir>/dead-letter.jsonl, or none */
    int allow_insecure_http;     /* plain http:// to a host other than loopback */
    char *index, *source, *sourcetype, *host;
    char **indexed_fields; /* event fields sent as HEC indexed fields */
    size_t n_indexed_fields;
    int line, column; /* where the section is */
} cfg_hec;

typedef struct fwd_config {
    char *path;   /* the file read, NULL when none */
    void **owned; /* strings allocated while loading, freed with the config */
    size_t n_owned, cap_owned;

    /* inputs */
    int use_stdin;
    cfg_file_input *files;
    size_t n_files;
    cfg_listener *listeners;
    size_t n_listeners;
    int kmsg;
    char *kmsg_path;
    start_at kmsg_start;
    char *checkpoint_file;
    uint64_t checkpoint_interval_ms;
    uint64_t follow_poll_ms;

    /* parser */
    int64_t utc_offset;
    int64_t boot_time; /* 0 = this host's */
    int default_patterns;
    cfg_pattern *patterns;
    size_t n_patterns;
    uint64_t max_line;

    /* unparsed lines */
    unparsed_mode unparsed;
    char *unparsed_file;

    /* taggers */
    char **internal_prefixes;
    size_t n_internal_prefixes;
    char **internal_interfaces; /* names and fnmatch globs */
    size_t n_internal_interfaces;
    int dedupe_enabled;
    v6p_dedupe_config dedupe;
    v6p_pe_config pe;
    v6p_taggers_config taggers; /* ladder: and scan: */
    cfg_classification classification;

    /* outputs */
    int out_stdout; /* -1 = unset: on when no other output is configured */
    char *out_file;
    int out_file_fsync;
    cfg_hec hec;

    /* pipeline */
    uint64_t queue_batches;
    uint64_t batch_bytes;
    uint64_t workers; /* 0 = one per CPU this process may run on */

    /* operations */
    uint64_t stats_interval_s; /* 0 = no periodic line */
    int stats_events;          /* -1 = unset: on with HEC */
    uint64_t shutdown_deadline_ms;
    char *user, *group;
    char *pid_file;
    char *metrics_listen; /* Prometheus text on loopback; NULL = off */
    int progress;         /* -1 = when stderr is a terminal */
} fwd_config;

void config_defaults(fwd_config *c);
/* Read a YAML file over the defaults already in c.  Returns 0, or -1 with
 * "file:line:column: what is wrong" in err. */
int config_load(fwd_config *c, const char *path, char *err, size_t errlen);
/* Checks that span options (after the command line is applied). */
int config_finish(fwd_config *c, char *err, size_t errlen);
void config_free(fwd_config *c);

/* Helpers shared with the command line. */
int config_parse_listen(const char *text, cfg_listener *l, char *err, size_t errlen);
int config_add_file(fwd_config *c, const char *path, int follow);
/* Print a summary without secrets (--check-config). */
void config_print_summary(const fwd_config *c, FILE *f);
/* The highest number of worker threads (`workers`, --workers). */
#define CFG_MAX_WORKERS 256
/* The worker threads to start: `workers`, or when 0 the CPUs this process
 * may run on (sched_getaffinity), at most CFG_MAX_WORKERS. */
size_t config_workers(const fwd_config *c);

#endif
