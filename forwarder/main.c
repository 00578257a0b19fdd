/* ipv6probe-forward: firewall syslog in, normalized events out.
 *
 * main() reads the options, opens what needs privileges, drops them, starts
 * the worker and the input threads, and then waits for signals: every
 * signal is blocked in every thread and taken here with sigtimedwait(), so
 * no handler runs inside the pipeline and no global flag is needed. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "inputs.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "ipv6probe/ipv6probe.h"
#include "pipeline.h"
#include "preflight.h"
#include "privs.h"
#include "runtime.h"
#include "stats.h"
#include "tagging.h"

#define TICK_MS 200
#define STATS_EVENT_DEFAULT_S 60

/* Command-line options, kept to be applied again over a reloaded file. */
typedef struct cli {
    const char *config;
    int check_config, check_output;
    int out_stdout; /* -1 = not given */
    const char *out_file;
    const char *unparsed;
    const char **listen;
    size_t n_listen;
    char **files;
    size_t n_files;
    int follow;
    const char *checkpoint;
    int kmsg;
    long long stats_interval; /* -1 = not given */
    const char *user;
    long long boot_time, utc_offset;
    int have_boot_time, have_utc_offset;
    int progress; /* -1 = not given */
    const char *log_level;
    long long workers; /* -1 = not given */
} cli;

static void usage(FILE *f)
{
    fprintf(f, "usage: ipv6probe-forward [options] [FILE...|-]\n"
               "\n"
               "Reads firewall log lines (Linux iptables/nftables LOG, pf, filterlog under any\n"
               "common syslog framing) from files, standard input, a syslog listener or\n"
               "/dev/kmsg, and writes one tagged JSON event per firewall line.\n"
               "\n"
               "  -c, --config=FILE       YAML configuration (see ipv6probe-forward(1))\n"
               "      --check-config      check the configuration and what it names (files,\n"
               "                          directories, token, ports) as the service user\n"
               "      --check-output      also ask each HEC endpoint for its health and\n"
               "                          whether it takes the token (implies --check-config)\n"
               "      --stdout            write events as JSON lines to standard output (the\n"
               "                          default when no other output is configured)\n"
               "      --output-file=FILE  append events as JSON lines to FILE\n"
               "      --unparsed=MODE     lines that are not events: drop (counted only), raw\n"
               "                          (sent on as {\"unparsed\":...} records), or a FILE path\n"
               "                          (appended verbatim).  Default: counted, and the first\n"
               "                          5 malformed ones reported on standard error\n"
               "  -l, --listen=URL        syslog listener, repeatable: udp://127.0.0.1:514,\n"
               "                          tcp://[::1]:6514 (RFC 6587 octet counting or LF)\n"
               "  -F, --follow            follow the FILEs like tail -F, across rotation\n"
               "      --checkpoint=FILE   remember how far each file was read, across restarts\n"
               "      --kmsg              read the kernel log from /dev/kmsg\n"
               "      --stats-interval=S  print counters to standard error every S seconds\n"
               "      --user=USER         drop root to USER once ports are bound\n"
               "      --progress, --no-progress\n"
               "                          progress line while reading files (default: when\n"
               "                          standard error is a terminal)\n"
               "      --boot-time=EPOCH   when the logging host booted, for /dev/kmsg and dmesg\n"
               "                          uptime stamps (default: this host's, from /proc/stat)\n"
               "      --utc-offset=SECONDS  zone of stamps that carry none (default 0 = UTC)\n"
               "      --log-level=LEVEL   error, warning, info (default) or debug\n"
               "      --workers=N         threads that parse, tag and encode (default 0: one\n"
               "                          per CPU this process may run on)\n"
               "  -h, --help, -V, --version\n"
               "\n"
               "Signals: TERM/INT stop reading and flush (a second one exits at once), HUP\n"
               "reloads patterns and tables and reopens output files, USR1 logs the counters\n"
               "as one line.\n");
}

/* The same ranges as the YAML keys (config.c): a number outside is an error
 * with its reason, never a silent exit or an overflow later. */
static int parse_number(const char *opt, const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno == EINVAL) {
        log_msg(LOG_LV_ERROR, "--%s: \"%s\" is not a number", opt, s);
        return -1;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        log_msg(LOG_LV_ERROR, "--%s: %s is out of range (%lld to %lld)", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* 0 = go on, 1 = exit 0 (help/version), 2 = usage error. */
static int parse_args(int argc, char **argv, cli *o)
{
    enum {
        O_STDOUT = 256,
        O_UNPARSED,
        O_BOOT,
        O_UTC,
        O_CHECK,
        O_CHECK_OUTPUT,
        O_OUTFILE,
        O_CKPT,
        O_KMSG,
        O_STATS,
        O_USER,
        O_PROGRESS,
        O_NOPROGRESS,
        O_LOG_LEVEL,
        O_WORKERS
    };
    static const struct option longopts[] = {{"stdout", no_argument, NULL, O_STDOUT},
                                             {"unparsed", required_argument, NULL, O_UNPARSED},
                                             {"boot-time", required_argument, NULL, O_BOOT},
                                             {"utc-offset", required_argument, NULL, O_UTC},
                                             {"config", required_argument, NULL, 'c'},
                                             {"check-config", no_argument, NULL, O_CHECK},
                                             {"check-output", no_argument, NULL, O_CHECK_OUTPUT},
                                             {"output-file", required_argument, NULL, O_OUTFILE},
                                             {"listen", required_argument, NULL, 'l'},
                                             {"follow", no_argument, NULL, 'F'},
                                             {"checkpoint", required_argument, NULL, O_CKPT},
                                             {"kmsg", no_argument, NULL, O_KMSG},
                                             {"stats-interval", required_argument, NULL, O_STATS},
                                             {"user", required_argument, NULL, O_USER},
                                             {"progress", no_argument, NULL, O_PROGRESS},
                                             {"no-progress", no_argument, NULL, O_NOPROGRESS},
                                             {"log-level", required_argument, NULL, O_LOG_LEVEL},
                                             {"workers", required_argument, NULL, O_WORKERS},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    o->out_stdout = -1;
    o->stats_interval = -1;
    o->progress = -1;
    o->workers = -1;
    o->listen = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->listen)
        return 2;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:l:FhV", longopts, NULL)) != -1) {
        switch (opt) {
        case O_STDOUT:
            o->out_stdout = 1;
            break;
        case O_UNPARSED:
            o->unparsed = optarg;
            break;
        case O_BOOT:
            if (parse_number("boot-time", optarg, 0, 1LL << 40, &o->boot_time))
                return 2;
            o->have_boot_time = 1;
            break;
        case O_UTC:
            if (parse_number("utc-offset", optarg, -86400, 86400, &o->utc_offset))
                return 2;
            o->have_utc_offset = 1;
            break;
        case 'c':
            o->config = optarg;
            break;
        case O_CHECK:
            o->check_config = 1;
            break;
        case O_CHECK_OUTPUT:
            o->check_config = o->check_output = 1;
            break;
        case O_OUTFILE:
            o->out_file = optarg;
            break;
        case 'l':
            o->listen[o->n_listen++] = optarg;
            break;
        case 'F':
            o->follow = 1;
            break;
        case O_CKPT:
            o->checkpoint = optarg;
            break;
        case O_KMSG:
            o->kmsg = 1;
            break;
        case O_STATS:
            if (parse_number("stats-interval", optarg, 0, 86400, &o->stats_interval))
                return 2;
            break;
        case O_USER:
            o->user = optarg;
            break;
        case O_PROGRESS:
            o->progress = 1;
            break;
        case O_NOPROGRESS:
            o->progress = 0;
            break;
        case O_LOG_LEVEL: {
            log_level lv;
            if (log_parse_level(optarg, &lv) != 0) {
                log_msg(LOG_LV_ERROR, "--log-level: \"%s\": one of error, warning, info, debug",
                        optarg);
                return 2;
            }
            log_set_level(lv);
            break;
        }
        case O_WORKERS:
            if (parse_number("workers", optarg, 0, CFG_MAX_WORKERS, &o->workers))
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("ipv6probe-forward %s\nlibipv6probe %s\ntaggers: %s\n", V6P_VERSION_STRING,
                   v6p_version(), tagging_describe());
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    o->files = argv + optind;
    o->n_files = (size_t)(argc - optind);
    return 0;
}

/* Defaults, then the file, then the command line. */
static int build_config(const cli *o, fwd_config *c, char *err, size_t errlen)
{
    config_defaults(c);
    if (o->config && config_load(c, o->config, err, errlen) != 0)
        return -1;
    if (o->out_stdout >= 0)
        c->out_stdout = o->out_stdout;
    if (o->out_file)
        c->out_file = (char *)o->out_file;
    if (o->unparsed) {
        if (!strcmp(o->unparsed, "drop"))
            c->unparsed = UNPARSED_DROP;
        else if (!strcmp(o->unparsed, "raw"))
            c->unparsed = UNPARSED_RAW;
        else if (!strcmp(o->unparsed, "stderr"))
            c->unparsed = UNPARSED_STDERR;
        else {
            c->unparsed = UNPARSED_FILE;
            c->unparsed_file = (char *)o->unparsed;
        }
    }
    for (size_t i = 0; i < o->n_listen; i++) {
        cfg_listener *a = realloc(c->listeners, (c->n_listeners + 1) * sizeof(*a));
        if (!a) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->listeners = a;
        cfg_listener *l = &a[c->n_listeners];
        memset(l, 0, sizeof(*l));
        char why[256];
        if (config_parse_listen(o->listen[i], l, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "--listen: %s", why);
            return -1;
        }
        c->n_listeners++;
    }
    for (size_t i = 0; i < o->n_files; i++)
        if (config_add_file(c, o->files[i], o->follow) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    if (o->checkpoint)
        c->checkpoint_file = (char *)o->checkpoint;
    if (o->kmsg)
        c->kmsg = 1;
    if (o->stats_interval >= 0)
        c->stats_interval_s = (uint64_t)o->stats_interval;
    if (o->user)
        c->user = (char *)o->user;
    if (o->have_boot_time)
        c->boot_time = o->boot_time;
    if (o->have_utc_offset)
        c->utc_offset = o->utc_offset;
    if (o->progress >= 0)
        c->progress = o->progress;
    if (o->workers >= 0)
        c->workers = (uint64_t)o->workers;
    return config_finish(c, err, errlen);
}

/* --check-config: the file, then the environment it names; with
 * --check-output the HEC endpoints too.  Exit statuses in preflight.h. */
static int check_config(const fwd_config *c, int outputs)
{
    char err[CFG_ERR_MAX];
    v6p_parser *p = pipeline_build_parser(c, err, sizeof(err));
    if (!p) {
        log_msg(LOG_LV_ERROR, "%s", err);
        return PREFLIGHT_CONFIG;
    }
    v6p_parser_free(p);
    tagging *t = tagging_init(c, err, sizeof(err));
    if (!t) {
        log_msg(LOG_LV_ERROR, "%s", err);
        return PREFLIGHT_CONFIG;
    }
    tagging_free(t);
    config_print_summary(c, stdout);
    int n = preflight_environment(c, stdout);
    fflush(stdout);
    if (n) {
        log_msg(LOG_LV_ERROR, "%d problem%s with the environment", n, n == 1 ? "" : "s");
        return PREFLIGHT_ENV;
    }
    if (outputs && preflight_outputs(c, stdout) != 0) {
        fflush(stdout);
        log_msg(LOG_LV_ERROR, "an output is not ready");
        return PREFLIGHT_OUTPUT;
    }
    return PREFLIGHT_OK;
}

static void reload(runtime *rt, const cli *o)
{
    fwd_config next;
    char err[CFG_ERR_MAX];
    int ok = build_config(o, &next, err, sizeof(err)) == 0 &&
             pipeline_reload(rt->pl, &next, err, sizeof(err)) == 0;
    config_free(&next);
    if (!ok) {
        counter_add(&rt->ps.reload_failures, 1);
        log_msg(LOG_LV_ERROR, "reload rejected, the running configuration stays: %s", err);
        return;
    }
    /* The worker counts and reports it once the new tables are in force. */
}

static void send_stats_event(runtime *rt)
{
    batch *b = queue_get_batch(&rt->q);
    if (!b)
        return;
    v6p_json_builder *jb = v6p_json_builder_new();
    const char *text;
    size_t n;
    int ok = jb && stats_json(rt, (int64_t)time(NULL), jb, &text, &n) == 0;
    b->kind = BATCH_STATS;
    b->fallback_sec = (int64_t)time(NULL);
    /* Never wait here: a full queue must not stop signal handling. */
    if (!ok || batch_add(b, text, n, 0) != 0 || queue_try_push(&rt->q, b) != 0)
        queue_put_batch(&rt->q, b);
    v6p_json_builder_free(jb);
}

typedef struct progress {
    int on;
    int64_t last_ms;
    unsigned long long last_lines, last_done;
    int shown;
} progress;

static void progress_tick(runtime *rt, progress *pr, int64_t t)
{
    unsigned long long total = 0, done = 0;
    for (size_t i = 0; i < rt->n_inputs; i++) {
        total += atomic_load(&rt->inputs[i].size_total);
        done += atomic_load(&rt->inputs[i].size_done);
    }
    unsigned long long lines = counter_get(&rt->ps.lines);
    double secs = (double)(t - pr->last_ms) / 1000.0;
    if (secs <= 0)
        secs = 0.001;
    double rate = (double)(lines - pr->last_lines) / secs;
    double brate = (double)(done - pr->last_done) / secs;
    char eta[32] = "-";
    if (brate > 0 && total > done)
        snprintf(eta, sizeof(eta), "%.0fs", (double)(total - done) / brate);
    fprintf(stderr,
            "\r\033[Kipv6probe-forward: %.1f/%.1f MiB (%.0f%%), %llu lines, %.0f lines/s, "
            "ETA %s",
            (double)done / 1048576.0, (double)total / 1048576.0,
            total ? 100.0 * (double)done / (double)total : 0.0, lines, rate, eta);
    fflush(stderr);
    pr->shown = 1;
    pr->last_ms = t;
    pr->last_lines = lines;
    pr->last_done = done;
}

/* Each TCP client costs a descriptor: take all the system allows us. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -1;
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f);
}

typedef struct loop_state {
    int64_t next_stats, next_event, next_ckpt, next_progress, deadline;
    int64_t next_status, next_watchdog;
    int terms;
} loop_state;

#define STATUS_EVERY_MS 2000

/* The one-line status systemctl shows, and the watchdog's ping. */
static void notify_tick(runtime *rt, notifier *nt, loop_state *ls, int64_t t)
{
    if (nt->fd < 0)
        return;
    if (nt->watchdog_us && t >= ls->next_watchdog) {
        notify_send(nt, "WATCHDOG=1");
        ls->next_watchdog = t + (int64_t)(nt->watchdog_us / 2000);
    }
    if (t >= ls->next_status) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "STATUS=%llu lines read, %llu events, queue %u/%u, %llu output errors%s",
                 counter_get(&rt->ps.lines), counter_get(&rt->ps.events), queue_depth(&rt->q),
                 rt->q.max, counter_get(&rt->ps.output_errors), ls->deadline ? ", stopping" : "");
        notify_send(nt, msg);
        ls->next_status = t + STATUS_EVERY_MS;
    }
}

/* Wait for signals and timers until the pipeline is done.  Returns the
 * exit status. */
static int run_loop(runtime *rt, const cli *o, sigset_t *sigs, progress *pr, notifier *nt)
{
    fwd_config *c = rt->cfg;
    loop_state ls;
    memset(&ls, 0, sizeof(ls));
    int64_t t0 = now_ms();
    ls.next_stats = c->stats_interval_s ? t0 + (int64_t)c->stats_interval_s * 1000 : 0;
    uint64_t ev_s = c->stats_interval_s ? c->stats_interval_s : STATS_EVENT_DEFAULT_S;
    ls.next_event = c->stats_events ? t0 + (int64_t)ev_s * 1000 : 0;
    ls.next_ckpt = t0 + (int64_t)c->checkpoint_interval_ms;
    ls.next_progress = t0 + 1000;
    pr->last_ms = t0;
    while (!pipeline_done(rt->pl)) {
        struct timespec ts = {0, TICK_MS * 1000000L};
        int sig = sigtimedwait(sigs, NULL, &ts);
        int64_t t = now_ms();
        switch (sig) {
        case SIGTERM:
        case SIGINT:
            if (++ls.terms > 1) {
                log_msg(LOG_LV_WARNING, "second signal, exiting without flushing");
                checkpoints_save(rt->ckpt); /* what was committed is safe */
                _exit(1);
            }
            runtime_stop_inputs(rt);
            ls.deadline = t + (int64_t)c->shutdown_deadline_ms;
            notify_send(nt, "STOPPING=1");
            break;
        case SIGHUP:
            reload(rt, o);
            break;
        case SIGUSR1:
            stats_dump(rt);
            break;
        default:
            break;
        }
        if (ls.deadline && t > ls.deadline) {
            log_msg(LOG_LV_ERROR, "shutdown deadline passed with %u batches queued; exiting",
                    queue_depth(&rt->q));
            checkpoints_save(rt->ckpt);
            stats_print_final(rt, stderr);
            _exit(1);
        }
        if (ls.next_stats && t >= ls.next_stats) {
            stats_print_line(rt, stderr);
            ls.next_stats = t + (int64_t)c->stats_interval_s * 1000;
        }
        if (ls.next_event && t >= ls.next_event) {
            send_stats_event(rt);
            ls.next_event = t + (int64_t)ev_s * 1000;
        }
        if (t >= ls.next_ckpt) {
            if (checkpoints_save(rt->ckpt) != 0)
                log_msg(LOG_LV_ERROR, "%s: %s", c->checkpoint_file, strerror(errno));
            ls.next_ckpt = t + (int64_t)c->checkpoint_interval_ms;
        }
        notify_tick(rt, nt, &ls, t);
        if (pr->on && t >= ls.next_progress) {
            progress_tick(rt, pr, t);
            ls.next_progress = t + 1000;
        }
    }
    return 0;
}

static int any_read_once_file(const fwd_config *c)
{
    for (size_t i = 0; i < c->n_files; i++)
        if (!c->files[i].follow && strcmp(c->files[i].path, "-"))
            return 1;
    return 0;
}

/* Everything main() sets up.  app_close() releases what was reached, once,
 * whatever step failed; each step logs its own failure where it happens. */
typedef struct app {
    cli o;
    fwd_config cfg;
    runtime rt;
    checkpoints ck;
    notifier nt;
    metrics *mx;
    int ck_open, q_ready, pid_written, running;
} app;

/* Undo what app_start() did, in reverse: the threads first (asked to stop
 * when they are still running), then what they used. */
static void app_close(app *a)
{
    if (a->running) {
        runtime_stop_inputs(&a->rt);
        inputs_join(&a->rt);
        queue_close(&a->rt.q);
        pipeline_join(a->rt.pl);
    }
    metrics_close(a->mx);
    if (a->pid_written)
        unlink(a->cfg.pid_file);
    notify_close(&a->nt);
    pipeline_free(a->rt.pl);
    inputs_free(&a->rt);
    if (a->q_ready)
        queue_destroy(&a->rt.q);
    if (a->ck_open)
        checkpoints_close(&a->ck);
    config_free(&a->cfg);
    free(a->o.listen);
}

/* Open what needs privileges, drop them, start the worker and the inputs.
 * 0, or -1 once the reason is logged. */
static int app_start(app *a)
{
    fwd_config *c = &a->cfg;
    runtime *rt = &a->rt;
    char err[CFG_ERR_MAX];
    if (c->n_listeners)
        raise_fd_limit();
    rt->cfg = c;
    rt->main_thread = pthread_self();
    rt->started = now_ms();
    rt->ckpt = &a->ck;
    if (notify_open(&a->nt, err, sizeof(err)) != 0)
        log_msg(LOG_LV_WARNING, "%s; systemd will not hear from this process", err);
    a->ck_open = 1; /* opened or not, checkpoints_close() undoes it */
    if (checkpoints_open(&a->ck, c->checkpoint_file, err, sizeof(err)) != 0)
        goto fail;
    if (queue_init(&rt->q, (unsigned)c->queue_batches, c->batch_bytes) != 0) {
        snprintf(err, sizeof(err), "the queue's lock cannot be set up");
        goto fail;
    }
    a->q_ready = 1;
    if (inputs_open(rt, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = 0; i < rt->n_inputs; i++)
        if (rt->inputs[i].kind == INPUT_FILE && c->checkpoint_file)
            rt->inputs[i].ckpt = checkpoints_get(&a->ck, rt->inputs[i].name);
    if (c->metrics_listen && !(a->mx = metrics_open(c->metrics_listen, err, sizeof(err))))
        goto fail;
    if (c->pid_file) {
        if (write_pid_file(c->pid_file) != 0) {
            snprintf(err, sizeof(err), "%s: %s", c->pid_file, strerror(errno));
            goto fail;
        }
        a->pid_written = 1;
    }
    /* Ports are bound and /dev/kmsg is open: nothing more needs root. */
    if (privs_drop(c->user, c->group, err, sizeof(err)) != 0)
        goto fail;
    if (!(rt->pl = pipeline_new(rt, err, sizeof(err))))
        goto fail;
    if (pipeline_start(rt->pl) != 0) {
        snprintf(err, sizeof(err), "the worker threads cannot be started");
        goto fail;
    }
    a->running = 1;
    if (inputs_start(rt, err, sizeof(err)) != 0)
        goto fail;
    if (a->mx && metrics_start(a->mx, rt, err, sizeof(err)) != 0)
        log_msg(LOG_LV_WARNING, "%s", err);
    return 0;
fail:
    log_msg(LOG_LV_ERROR, "%s", err);
    return -1;
}

/* After the loop: the threads are done; the exit status says whether
 * anything was lost or left behind. */
static int app_finish(app *a, int status)
{
    runtime *rt = &a->rt;
    inputs_join(rt);
    pipeline_join(rt->pl);
    a->running = 0;
    if (checkpoints_save(&a->ck) != 0) {
        log_msg(LOG_LV_ERROR, "%s: %s", a->cfg.checkpoint_file, strerror(errno));
        status = 1; /* a restart would read the files again from the wrong place */
    }
    for (size_t i = 0; i < rt->n_inputs; i++)
        if (counter_get(&rt->inputs[i].st.read_errors))
            status = 1;
    if (counter_get(&rt->ps.output_errors) || pipeline_failed(rt->pl))
        status = 1;
    stats_print_final(rt, stderr);
    return status;
}

static int app_run(app *a, int argc, char **argv)
{
    int r = parse_args(argc, argv, &a->o);
    if (r)
        return r == 1 ? 0 : 2;
    char err[CFG_ERR_MAX];
    if (build_config(&a->o, &a->cfg, err, sizeof(err)) != 0) {
        log_msg(LOG_LV_ERROR, "%s", err);
        return 1;
    }
    if (a->o.check_config)
        return check_config(&a->cfg, a->o.check_output);

    /* Every thread inherits this mask; signals are taken in run_loop(). */
    sigset_t sigs;
    sigemptyset(&sigs);
    int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
        sigaddset(&sigs, handled[i]);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    if (app_start(a) != 0)
        return 1;
    /* Listening, reading and ready to write: what Type=notify waits for. */
    notify_send(&a->nt, "READY=1\nSTATUS=running");
    progress pr;
    memset(&pr, 0, sizeof(pr));
    pr.on =
        a->cfg.progress > 0 || (a->cfg.progress < 0 && isatty(2) && any_read_once_file(&a->cfg));
    int status = run_loop(&a->rt, &a->o, &sigs, &pr, &a->nt);
    if (pr.on && isatty(2)) {
        if (pr.shown)
            fputs("\r\033[K", stderr); /* the terminal line goes away */
    } else if (pr.on) {
        progress_tick(&a->rt, &pr, now_ms()); /* forced on: a last line stays */
        fputc('\n', stderr);
    }
    return app_finish(a, status);
}

int main(int argc, char **argv)
{
    /* Whatever the umask: files made here (outputs, checkpoints, the pid
     * file) are 0640 at most; dead-letter files and the spool 0600. */
    umask(umask(0) | 027);
    log_detect_journal();
    app a;
    memset(&a, 0, sizeof(a));
    a.nt.fd = -1;
    a.rt.stop_fd = -1;
    int status = app_run(&a, argc, argv);
    app_close(&a);
    return status;
}
