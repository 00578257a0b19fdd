/* Reports of the counters: a line at --stats-interval, the ipv6probe:stats
 * JSON object (as a record, and as one log line on SIGUSR1), and the line
 * printed at exit. */
#include "stats.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "ipv6probe/event.h"
#include "ipv6probe/json.h"
#include "log.h"
#include "pipeline.h"
#include "runtime.h"

typedef unsigned long long ull;

static ull sum_inputs(runtime *rt, size_t off)
{
    ull n = 0;
    for (size_t i = 0; i < rt->n_inputs; i++)
        n += counter_get((counter *)((char *)&rt->inputs[i].st + off));
    return n;
}

#define SUM(field) sum_inputs(rt, offsetof(input_stats, field))

static const char *kind_name(input_kind k)
{
    switch (k) {
    case INPUT_STDIN:
        return "stdin";
    case INPUT_FILE:
        return "file";
    case INPUT_SYSLOG:
        return "syslog";
    case INPUT_KMSG:
        return "kmsg";
    }
    return "?";
}

void stats_print_line(runtime *rt, FILE *f)
{
    pipeline_stats *p = &rt->ps;
    fprintf(f,
            "ipv6probe-forward: stats: lines=%llu events=%llu not_firewall=%llu malformed=%llu "
            "cut=%llu dropped=%llu queue=%u/%u output_errors=%llu\n",
            counter_get(&p->lines), counter_get(&p->events), counter_get(&p->not_firewall),
            counter_get(&p->malformed), SUM(cut), SUM(dropped), queue_depth(&rt->q), rt->q.max,
            counter_get(&p->output_errors));
}

typedef struct jbuf {
    char *p;
    size_t len, cap;
    int overflow;
} jbuf;

static void jput(jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jput(jbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)k;
}

/* Input names are paths and listen addresses: any bytes, written by the
 * one JSON string encoder. */
static void jstr(jbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->overflow || V6P_JSON_QUOTE_MAX(n) >= b->cap - b->len) {
        b->overflow = 1;
        return;
    }
    b->len += v6p_json_quote(b->p + b->len, s, n, NULL);
    b->p[b->len] = 0;
}

static void json_output(void *arg, const char *output, const char *name, ull v)
{
    jbuf *b = arg;
    jput(b, ",\"output_%s_%s\":%llu", output, name, v);
}

size_t stats_json(runtime *rt, int64_t now, char *buf, size_t cap)
{
    pipeline_stats *p = &rt->ps;
    jbuf b = {buf, 0, cap, 0};
    jput(&b,
         "{\"schema\":1,\"time\":%lld,\"lines\":%llu,\"events\":%llu,\"not_firewall\":%llu,"
         "\"malformed\":%llu,\"cut\":%llu,\"dropped\":%llu,\"queue_depth\":%u,"
         "\"output_errors\":%llu,\"invalid_utf8\":%llu,\"uptime_s\":%lld",
         (long long)now, counter_get(&p->lines), counter_get(&p->events),
         counter_get(&p->not_firewall), counter_get(&p->malformed), SUM(cut), SUM(dropped),
         queue_depth(&rt->q), counter_get(&p->output_errors), counter_get(&p->invalid_utf8),
         (long long)((now_ms() - rt->started) / 1000));
    jput(&b,
         ",\"ipv4\":%llu,\"unparsed_written\":%llu,\"queue_max\":%u,\"reloads\":%llu,"
         "\"reload_failures\":%llu",
         counter_get(&p->ipv4), counter_get(&p->unparsed_written), rt->q.max,
         counter_get(&p->reloads), counter_get(&p->reload_failures));
    jput(&b, ",\"tagged\":{");
    int first = 1;
    for (unsigned t = 0; t < STATS_TAG_SLOTS; t++) {
        ull n = counter_get(&p->tagged[t]);
        if (!n)
            continue;
        const char *name = v6p_tag_name(1u << t);
        if (name)
            jput(&b, "%s\"%s\":%llu", first ? "" : ",", name, n);
        else
            jput(&b, "%s\"bit%u\":%llu", first ? "" : ",", t, n);
        first = 0;
    }
    jput(&b, "},\"inputs\":[");
    for (size_t i = 0; i < rt->n_inputs; i++) {
        input *in = &rt->inputs[i];
        jput(&b, "%s{\"kind\":\"%s\",\"name\":", i ? "," : "", kind_name(in->kind));
        jstr(&b, in->name);
        jput(&b, ",\"lines\":%llu,\"bytes\":%llu,\"cut\":%llu,\"dropped\":%llu",
             counter_get(&in->st.lines), counter_get(&in->st.bytes), counter_get(&in->st.cut),
             counter_get(&in->st.dropped));
        jput(&b, ",\"read_errors\":%llu", counter_get(&in->st.read_errors));
        if (in->kind == INPUT_SYSLOG)
            jput(&b,
                 ",\"connections\":%llu,\"open_connections\":%llu,\"rejected_connections\":%llu",
                 counter_get(&in->st.connections), counter_get(&in->st.open_connections),
                 counter_get(&in->st.rejected_connections));
        if (in->kind == INPUT_FILE)
            jput(&b, ",\"rotations\":%llu,\"truncations\":%llu", counter_get(&in->st.rotations),
                 counter_get(&in->st.truncations));
        jput(&b, "}");
    }
    jput(&b, "]");
    if (rt->pl)
        pipeline_output_stats(rt->pl, json_output, &b);
    jput(&b, "}");
    return b.overflow ? 0 : b.len;
}

void stats_dump(runtime *rt)
{
    static char buf[STATS_JSON_MAX]; /* main thread only: SIGUSR1 is taken there */
    size_t n = stats_json(rt, (int64_t)time(NULL), buf, sizeof(buf));
    if (n)
        log_msg(LOG_LV_INFO, "counters: %.*s", (int)n, buf);
    else
        log_msg(LOG_LV_WARNING, "counters: more than %d bytes, not written", STATS_JSON_MAX);
}

void stats_print_final(runtime *rt, FILE *f)
{
    pipeline_stats *p = &rt->ps;
    fprintf(f,
            "ipv6probe-forward: %llu lines read, %llu events, %llu not firewall lines, "
            "%llu malformed lines\n",
            counter_get(&p->lines), counter_get(&p->events), counter_get(&p->not_firewall),
            counter_get(&p->malformed));
}
