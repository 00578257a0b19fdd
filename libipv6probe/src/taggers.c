/* The tagger set: ladder, scan and classification over one event stream,
 * and the queue of ladder summary records.  See ipv6probe/taggers.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "asn.h"
#include "classify.h"
#include "ipv6probe/json.h"
#include "ipv6probe/taggers.h"
#include "ladder.h"
#include "scan.h"

struct v6p_taggers {
    v6pi_ladder *ladder;
    v6pi_scan *scan;
    v6p_classify *classify;
    v6pi_asn *asn;
    /* Finished ladders waiting for drain: a ring, oldest dropped when full. */
    v6pi_ladder_summary *queue;
    size_t qcap, qhead, qlen;
    uint64_t dropped;
    char *json; /* one record's text */
};

#define JSON_MAX 8192

static void defaults(v6p_taggers_config *c)
{
    memset(c, 0, sizeof(*c));
    c->size = sizeof(*c);
    /* 16384 open ladders is far more than the path finders seen at once at
     * one site (638 Akamai hosts in 3 minutes at a busy tunnel endpoint);
     * each costs about 120 bytes. */
    c->ladder_capacity = 16384;
    /* Three rungs: fewer is any two probes that differ by one hop.  Zeek's
     * traceroute detector also wants 3 (distinct Time Exceeded senders). */
    c->ladder_min_rungs = 3;
    c->ladder_step = 1;
    /* Path finders send two or three probes per hop limit. */
    c->ladder_max_repeat = 3;
    /* One lost rung: loss of both probes of one rung happens; two in a row
     * would let sparse unrelated probes pass as a ladder. */
    c->ladder_max_skip = 1;
    /* Zeek's low-TTL signature: residual hop limit < 10.  Ordinary traffic
     * arrives with far more left. */
    c->ladder_max_start_hop = 10;
    /* Observed Akamai ladders: rungs 6 to 30 s apart, a dozen probes over
     * about 2.5 minutes.  Two minutes between probes and ten for the whole
     * ladder leave room for slower probers. */
    c->ladder_gap_sec = 120;
    c->ladder_window_sec = 600;
    c->ladder_tcp_udp = 1;
    /* Our own traceroutes: few at a time. */
    c->ladder_sender_capacity = 1024;
    c->ladder_summary_queue = 1024;

    /* 32768 sources per level and 65536 pairs: about 40 MB in all, and a
     * flood of spoofed sources only recycles them. */
    c->scan_capacity = 32768;
    c->pair_capacity = 65536;
    c->scan_prefix_len[0] = 128;
    c->scan_prefix_len[1] = 64;
    c->scan_prefix_len[2] = 48;
    /* Zeek scan.zeek: 25 distinct victims / 15 distinct ports in 5 min. */
    c->sweep_threshold = 25;
    c->sweep_window_sec = 300;
    c->port_threshold = 15;
    c->port_window_sec = 300;
    c->pe_window_sec = 3600;
    c->repeat_gap_sec = 86400;
    c->visit_gap_sec = 1800;
}

void v6p_taggers_config_init(v6p_taggers_config *cfg, size_t size)
{
    v6p_taggers_config def;
    defaults(&def);
    v6pi_config_init(cfg, size, &def, sizeof(def));
}

static int check_config(const v6p_taggers_config *c, v6p_error *err)
{
#define NEED(cond, what)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            v6pi_error_set(err, EINVAL, "tagger configuration: %s", what);                         \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    NEED(c->ladder_capacity >= 1 && c->ladder_sender_capacity >= 1 && c->scan_capacity >= 1 &&
             c->pair_capacity >= 1 && c->ladder_summary_queue >= 1,
         "every capacity must be at least 1");
    NEED(c->ladder_min_rungs >= 2 && c->ladder_min_rungs <= 64,
         "ladder_min_rungs must be 2..64 (one rung is a single probe)");
    NEED(c->ladder_step >= 1 && c->ladder_step <= 64, "ladder_step must be 1..64");
    NEED(c->ladder_max_repeat >= 1 && c->ladder_max_repeat <= 255,
         "ladder_max_repeat must be 1..255");
    NEED(c->ladder_max_skip <= 8, "ladder_max_skip must be 0..8");
    NEED(c->ladder_max_start_hop >= 1 && c->ladder_max_start_hop <= 255,
         "ladder_max_start_hop must be 1..255");
    NEED(c->ladder_gap_sec >= 1 && c->ladder_window_sec >= c->ladder_gap_sec &&
             c->ladder_window_sec <= 86400 * 7,
         "need 1 <= ladder_gap_sec <= ladder_window_sec <= one week");
    for (int i = 0; i < 3; i++)
        NEED(c->scan_prefix_len[i] >= 16 && c->scan_prefix_len[i] <= 128,
             "scan_prefix_len values must be 16..128");
    NEED(c->sweep_threshold >= 2 && c->sweep_threshold <= 65536,
         "sweep_threshold must be 2..65536");
    NEED(c->port_threshold >= 2 && c->port_threshold <= 255, "port_threshold must be 2..255");
    NEED(c->sweep_window_sec >= 1 && c->port_window_sec >= 1 && c->pe_window_sec >= 1 &&
             c->sweep_window_sec < (1u << 31) && c->port_window_sec < (1u << 31) &&
             c->pe_window_sec < (1u << 31),
         "windows must be 1 second .. 68 years");
    NEED(c->visit_gap_sec >= 1 && c->repeat_gap_sec >= c->visit_gap_sec,
         "need 1 <= visit_gap_sec <= repeat_gap_sec");
#undef NEED
    return 0;
}

static void queue_summary(const v6pi_ladder_summary *s, void *arg)
{
    v6p_taggers *t = arg;
    if (t->qlen == t->qcap) {
        t->qhead = (t->qhead + 1) % t->qcap;
        t->qlen--;
        t->dropped++;
    }
    t->queue[(t->qhead + t->qlen) % t->qcap] = *s;
    t->qlen++;
}

v6p_taggers *v6p_taggers_new(const v6p_taggers_config *user, v6p_error *err)
{
    v6p_taggers_config def, *cfg = &def;
    defaults(cfg);
    if (v6pi_config_take(cfg, sizeof(*cfg), user, "v6p_taggers_config", err) != 0 ||
        check_config(cfg, err) != 0)
        return NULL;
    v6p_taggers *t = calloc(1, sizeof(*t));
    if (!t) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    int code = 0;
    t->qcap = cfg->ladder_summary_queue;
    t->queue = calloc(t->qcap, sizeof(*t->queue));
    t->json = malloc(JSON_MAX);
    if (!t->queue || !t->json)
        code = ENOMEM;
    if (!code)
        t->ladder = v6pi_ladder_new(cfg, queue_summary, t, &code);
    if (!code)
        t->scan = v6pi_scan_new(cfg, &code);
    if (code) {
        v6pi_error_set(err, code, "tagger tables: %s", strerror(code));
        v6p_taggers_free(t);
        return NULL;
    }
    return t;
}

void v6p_taggers_free(v6p_taggers *t)
{
    if (!t)
        return;
    v6pi_ladder_free(t->ladder);
    v6pi_scan_free(t->scan);
    v6p_classify_free(t->classify);
    v6pi_asn_close(t->asn);
    free(t->queue);
    free(t->json);
    free(t);
}

static void set_org(v6p_event *ev, const char *org, const char *category)
{
    if (!v6p_event_has(ev, V6P_F_SRC_ORG)) {
        ev->src_org = org;
        v6p_event_mark(ev, V6P_F_SRC_ORG);
    }
    if (!v6p_event_has(ev, V6P_F_SRC_CATEGORY)) {
        ev->src_category = category;
        v6p_event_mark(ev, V6P_F_SRC_CATEGORY);
    }
    if (strcmp(category, "research_scanner") == 0) {
        ev->tags |= V6P_TAG_KNOWN_SCANNER;
        v6p_event_mark(ev, V6P_F_TAGS);
    }
}

/* Who the source is: a prefix entry first (the organisation's own list), then
 * the organisation of its origin AS (for those that publish no list), then
 * what its behaviour says. */
static void classify(v6p_taggers *t, v6p_event *ev)
{
    if (!v6p_event_has(ev, V6P_F_SRC))
        return;
    const v6p_classify_entry *e = v6p_classify_lookup(t->classify, &ev->src);
    const v6p_classify_asn_entry *ae = NULL;
    uint32_t asn;
    const char *org;
    if (t->asn && v6pi_asn_lookup(t->asn, &ev->src, ev->protocol_version == 4, &asn, &org)) {
        ev->src_asn = asn;
        v6p_event_mark(ev, V6P_F_SRC_ASN);
        if (org) {
            ev->src_as_org = org;
            v6p_event_mark(ev, V6P_F_SRC_AS_ORG);
        }
        if (!e)
            ae = v6p_classify_lookup_asn(t->classify, asn);
    }
    if (e) {
        set_org(ev, e->org, e->category);
    } else if (ae) {
        set_org(ev, ae->org, ae->category);
    } else if (!v6p_event_has(ev, V6P_F_SRC_CATEGORY)) {
        /* No table speaks for the source: its behaviour does. */
        const char *cat = NULL;
        if (ev->src_behavior & (V6P_TAG_PORT_SCAN | V6P_TAG_ADDRESS_SWEEP | V6P_TAG_PE_TARGETED))
            cat = "unknown_scanner";
        else if (ev->src_behavior & V6P_TAG_HOP_LADDER)
            cat = "unknown_path_prober";
        if (cat) {
            ev->src_category = cat;
            v6p_event_mark(ev, V6P_F_SRC_CATEGORY);
        }
    }
}

int v6p_taggers_apply(v6p_taggers *t, v6p_event *ev)
{
    /* The classification trie's first level loads while the ladder works,
     * and its first node while the scan does. */
    int src = v6p_event_has(ev, V6P_F_SRC);
    if (src)
        v6pi_classify_prefetch(t->classify, &ev->src);
    v6pi_ladder_apply(t->ladder, ev);
    if (src)
        v6pi_classify_prefetch_node(t->classify, &ev->src);
    v6pi_scan_apply(t->scan, ev);
    classify(t, ev);
    return 0;
}

/* The batch pipeline.  Each event goes through these steps, the later ones
 * for earlier events:
 *   1. HASH_AHEAD events before its turn: read the event, hash its keys
 *      (kept in a ring), start loading the tables' index lines and the
 *      trie's first level;
 *   2. SLOT_AHEAD before: read those index lines (in cache by now), start
 *      loading the slots the keys have or will take, and the trie's first
 *      node;
 *   3. WALK_AHEAD before: one more node of the trie walk;
 *   4. LINK_AHEAD before: read the slots, start loading the LRU neighbours
 *      that marking them newest (or evicting for them) will write, and one
 *      more trie node;
 *   5. its turn: the work of v6p_taggers_apply, every lookup made then, so
 *      the changes the events in between make (new keys, evictions moving
 *      slots) are seen exactly as one event at a time would see them.  The
 *      steps before only compute what depends on the event alone (hashes)
 *      and give hints; a hint gone stale costs a miss, never a wrong tag.
 * The trie does not change during a batch (a reload replaces it between
 * calls), so its walk may run ahead.  The distances matter little (5/3/2/1
 * and 12/8/5/2 measure the same in bench_taggers): past one event ahead a
 * line has arrived. */
enum { HASH_AHEAD = 5, SLOT_AHEAD = 3, WALK_AHEAD = 2, LINK_AHEAD = 1, RING = 8 };

typedef struct prep {
    v6pi_ladder_prep ladder;
    v6pi_scan_prep scan;
    uint32_t node; /* the trie walk: the node loading */
} prep;

static inline void step_hash(v6p_taggers *t, const v6p_event *ev, prep *p)
{
    v6pi_ladder_prep_event(t->ladder, ev, &p->ladder);
    v6pi_scan_prep_event(t->scan, ev, &p->scan);
    p->node = 0;
    if (v6p_event_has(ev, V6P_F_SRC) && t->classify) {
        v6pi_classify_prefetch(t->classify, &ev->src);
        p->node = V6PI_CLASSIFY_START;
    }
}

static inline void step_slot(v6p_taggers *t, const v6p_event *ev, prep *p)
{
    v6pi_ladder_prefetch(t->ladder, ev, &p->ladder);
    v6pi_scan_prefetch(t->scan, ev, &p->scan);
    if (p->node)
        p->node = v6pi_classify_prefetch_step(t->classify, &ev->src, p->node);
}

static inline void step_walk(v6p_taggers *t, const v6p_event *ev, prep *p)
{
    if (p->node)
        p->node = v6pi_classify_prefetch_step(t->classify, &ev->src, p->node);
}

static inline void step_link(v6p_taggers *t, const v6p_event *ev, prep *p)
{
    v6pi_ladder_prefetch_links(t->ladder, ev, &p->ladder);
    v6pi_scan_prefetch_links(t->scan, ev, &p->scan);
    if (p->node)
        p->node = v6pi_classify_prefetch_step(t->classify, &ev->src, p->node);
}

size_t v6p_taggers_apply_batch(v6p_taggers *t, v6p_event *const *evs, size_t n)
{
    prep ring[RING];
    /* The next event for each step. */
    size_t h = 0, s = 0, w = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        for (; h < n && h <= i + HASH_AHEAD; h++)
            step_hash(t, evs[h], &ring[h % RING]);
        for (; s < n && s <= i + SLOT_AHEAD; s++)
            step_slot(t, evs[s], &ring[s % RING]);
        for (; w < n && w <= i + WALK_AHEAD; w++)
            step_walk(t, evs[w], &ring[w % RING]);
        for (; k < n && k <= i + LINK_AHEAD; k++)
            step_link(t, evs[k], &ring[k % RING]);
        v6p_event *ev = evs[i];
        const prep *p = &ring[i % RING];
        v6pi_ladder_apply_prep(t->ladder, ev, &p->ladder);
        v6pi_scan_apply_prep(t->scan, ev, &p->scan);
        classify(t, ev);
    }
    return n;
}

void v6p_taggers_flush(v6p_taggers *t)
{
    v6pi_ladder_flush(t->ladder);
}

/* ---- summary records ---- */

typedef struct out {
    char *p;
    size_t n, cap;
} out;

static void put(out *o, const char *fmt, ...)
{
    if (o->n >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n += (size_t)k < o->cap - o->n ? (size_t)k : o->cap - o->n;
}

static void put_time(out *o, const char *key, int64_t us)
{
    int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - sec * 1000000;
    put(o, ",\"%s\":%lld.%06lld", key, (long long)sec, (long long)frac);
}

static void put_addr(out *o, const char *key, const struct in6_addr *a, int v4)
{
    char buf[INET6_ADDRSTRLEN];
    v6p_addr_format(a, v4, buf);
    put(o, ",\"%s\":\"%s\"", key, buf);
}

static size_t summary_json(const v6pi_ladder_summary *s, char *buf, size_t cap)
{
    static const char *const ends[] = {"gap", "window", "evicted", "flush"};
    out o = {buf, 0, cap};
    int v4 = s->protocol_version == 4;
    put(&o, "{\"schema\":1,\"kind\":\"%s\",\"ladder_id\":%llu",
        s->kind == V6PI_LADDER_PROBE ? "probe" : "time_exceeded", (unsigned long long)s->id);
    put_addr(&o, "src", &s->src, v4);
    if (s->kind == V6PI_LADDER_PROBE) {
        struct in6_addr p = s->src;
        if (!v4)
            memset(p.s6_addr + 8, 0, 8);
        char pb[INET6_ADDRSTRLEN];
        v6p_addr_format(&p, v4, pb);
        put(&o, ",\"src_prefix\":\"%s/%d\"", pb, v4 ? 32 : 64);
    }
    put_addr(&o, "dest", &s->dest, v4);
    const char *tn = v6p_transport_name(s->protocol_number, s->protocol_version);
    if (tn)
        put(&o, ",\"transport\":\"%s\"", tn);
    else
        put(&o, ",\"transport\":\"%u\"", s->protocol_number);
    put_time(&o, "first_time", s->first_us);
    put_time(&o, "last_time", s->last_us);
    put_time(&o, "duration", s->last_us - s->first_us);
    put_time(&o, "max_gap", s->max_gap_us);
    put(&o, ",\"rungs\":%u,\"probes\":%u", s->rungs, s->probes);
    if (s->kind == V6PI_LADDER_PROBE)
        put(&o, ",\"min_hop_limit\":%u,\"max_hop_limit\":%u,\"missing_rungs\":%u", s->min_hop,
            s->max_hop, s->missing);
    put(&o, ",\"repeats\":[");
    for (unsigned i = 0; i < s->nrepeats; i++)
        put(&o, "%s%u", i ? "," : "", s->repeats[i]);
    put(&o, "]");
    if (s->kind == V6PI_LADDER_TIME_EXCEEDED) {
        unsigned n = s->nrouters < V6PI_LADDER_MAX_ROUTERS ? s->nrouters : V6PI_LADDER_MAX_ROUTERS;
        put(&o, ",\"routers\":[");
        for (unsigned i = 0; i < n; i++) {
            char rb[INET6_ADDRSTRLEN];
            v6p_addr_format(&s->routers[i], v4, rb);
            put(&o, "%s\"%s\"", i ? "," : "", rb);
        }
        put(&o, "],\"reply_hop_limits\":[");
        for (unsigned i = 0; i < n; i++)
            put(&o, "%s%u", i ? "," : "", s->reply_hops[i]);
        put(&o, "]");
    }
    put(&o, ",\"end\":\"%s\"}", s->end < 4 ? ends[s->end] : "gap");
    return o.n;
}

size_t v6p_taggers_drain(v6p_taggers *t, v6p_emit_fn emit, void *ud)
{
    size_t n = 0;
    while (t->qlen) {
        const v6pi_ladder_summary *s = &t->queue[t->qhead];
        size_t len = summary_json(s, t->json, JSON_MAX);
        t->qhead = (t->qhead + 1) % t->qcap;
        t->qlen--;
        int64_t sec = s->first_us / 1000000;
        emit(ud, "ipv6probe:ladder", t->json, len, sec);
        n++;
    }
    return n;
}

void v6p_taggers_get_stats(const v6p_taggers *t, v6p_taggers_stats *out, size_t size)
{
    v6p_taggers_stats s = {0}, *st = &s;
    st->ladders = v6pi_ladder_declared(t->ladder);
    st->summaries_dropped = t->dropped;
    st->ladder_evictions = v6pi_ladder_evictions(t->ladder);
    st->scan_evictions = v6pi_scan_evictions(t->scan);
    st->pair_evictions = v6pi_scan_pair_evictions(t->scan);
    st->ladder_count = v6pi_ladder_count(t->ladder);
    st->scan_count = v6pi_scan_count(t->scan);
    st->pair_count = v6pi_scan_pair_count(t->scan);
    st->memory = v6pi_ladder_memory(t->ladder) + v6pi_scan_memory(t->scan) +
                 t->qcap * sizeof(v6pi_ladder_summary);
    st->classify_entries = v6p_classify_count(t->classify);
    st->classify_asns = v6p_classify_asn_count(t->classify);
    st->asn_lookup_errors = v6pi_asn_errors(t->asn);
    v6pi_stats_give(out, size, &s, sizeof(s));
}

/* ---- classification and AS tables ---- */

void v6p_taggers_set_classify(v6p_taggers *t, v6p_classify *c)
{
    v6p_classify_free(t->classify);
    t->classify = c;
}

int v6p_taggers_load_classify_yaml(v6p_taggers *t, const char *path, v6p_error *err)
{
    v6p_classify *next = v6pi_classify_clone(t->classify);
    if (!next) {
        v6pi_error_set(err, ENOMEM, "%s: out of memory", path);
        return -1;
    }
    if (v6p_classify_add_yaml(next, path, err) != 0) {
        v6p_classify_free(next);
        return -1;
    }
    v6p_taggers_set_classify(t, next);
    return 0;
}

int v6p_taggers_open_asn(v6p_taggers *t, const char *path, v6p_error *err)
{
    v6pi_asn *a = v6pi_asn_open(path, err);
    if (!a)
        return -1;
    v6pi_asn_close(t->asn);
    t->asn = a;
    return 0;
}
