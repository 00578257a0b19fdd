/* Reports of the counters: a line at --stats-interval, the ipv6probe:stats
 * JSON object (as a record, and as one log line on SIGUSR1), and the line
 * printed at exit. */
#include "stats.h"

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

static void json_output(void *arg, const char *output, const char *name, ull v)
{
    char key[128];
    snprintf(key, sizeof(key), "output_%s_%s", output, name);
    v6p_json_uint(arg, key, v);
}

#define JU(b, name, v) v6p_json_uint(b, name, v)

static void json_input(v6p_json_builder *b, input *in)
{
    v6p_json_object_begin(b, NULL);
    v6p_json_cstring(b, "kind", kind_name(in->kind));
    /* Input names are paths and listen addresses: any bytes. */
    v6p_json_cstring(b, "name", in->name);
    JU(b, "lines", counter_get(&in->st.lines));
    JU(b, "bytes", counter_get(&in->st.bytes));
    JU(b, "cut", counter_get(&in->st.cut));
    JU(b, "dropped", counter_get(&in->st.dropped));
    JU(b, "read_errors", counter_get(&in->st.read_errors));
    if (in->kind == INPUT_SYSLOG) {
        JU(b, "connections", counter_get(&in->st.connections));
        JU(b, "open_connections", counter_get(&in->st.open_connections));
        JU(b, "rejected_connections", counter_get(&in->st.rejected_connections));
        JU(b, "slow_closed", counter_get(&in->st.slow_closed));
        JU(b, "budget_cut", counter_get(&in->st.budget_cut));
    }
    if (in->kind == INPUT_FILE) {
        JU(b, "rotations", counter_get(&in->st.rotations));
        JU(b, "truncations", counter_get(&in->st.truncations));
    }
    v6p_json_object_end(b);
}

int stats_json(runtime *rt, int64_t now, v6p_json_builder *b, const char **out, size_t *len)
{
    pipeline_stats *p = &rt->ps;
    v6p_json_builder_reset(b);
    v6p_json_object_begin(b, NULL);
    JU(b, "schema", 1);
    v6p_json_int(b, "time", now);
    JU(b, "lines", counter_get(&p->lines));
    JU(b, "events", counter_get(&p->events));
    JU(b, "not_firewall", counter_get(&p->not_firewall));
    JU(b, "malformed", counter_get(&p->malformed));
    JU(b, "cut", SUM(cut));
    JU(b, "dropped", SUM(dropped));
    JU(b, "queue_depth", queue_depth(&rt->q));
    JU(b, "output_errors", counter_get(&p->output_errors));
    JU(b, "invalid_utf8", counter_get(&p->invalid_utf8));
    v6p_json_int(b, "uptime_s", (now_ms() - rt->started) / 1000);
    JU(b, "ipv4", counter_get(&p->ipv4));
    JU(b, "unparsed_written", counter_get(&p->unparsed_written));
    JU(b, "queue_max", rt->q.max);
    JU(b, "reloads", counter_get(&p->reloads));
    JU(b, "reload_failures", counter_get(&p->reload_failures));
    v6p_json_object_begin(b, "tagged");
    for (unsigned t = 0; t < STATS_TAG_SLOTS; t++) {
        ull n = counter_get(&p->tagged[t]);
        if (!n)
            continue;
        const char *name = v6p_tag_name(1u << t);
        char bit[16];
        if (!name) {
            snprintf(bit, sizeof(bit), "bit%u", t);
            name = bit;
        }
        JU(b, name, n);
    }
    v6p_json_object_end(b);
    v6p_json_array_begin(b, "inputs");
    for (size_t i = 0; i < rt->n_inputs; i++)
        json_input(b, &rt->inputs[i]);
    v6p_json_array_end(b);
    if (rt->pl)
        pipeline_output_stats(rt->pl, json_output, b);
    v6p_json_object_end(b);
    return v6p_json_builder_finish(b, out, len, NULL);
}

void stats_dump(runtime *rt)
{
    v6p_json_builder *b = v6p_json_builder_new();
    const char *text;
    size_t n;
    if (b && stats_json(rt, (int64_t)time(NULL), b, &text, &n) == 0)
        log_msg(LOG_LV_INFO, "counters: %.*s", (int)n, text);
    else
        log_msg(LOG_LV_WARNING, "counters: out of memory, not written");
    v6p_json_builder_free(b);
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
