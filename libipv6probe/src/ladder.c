/* Hop-limit ladder detection.
 *
 * A hop-limit ladder is a traceroute done with probes that reach us: a
 * source sends probes to one of our addresses with hop limits 1, 2, 3, ...
 * (often two or three per value).  Those that expire on the way never reach
 * us; those that arrive carry the residual hop limit, so at the target the
 * hop limits seen climb 1,1,2,2,3,3,... over seconds to minutes.  CDN path
 * finders (Akamai's ping6 path finding) look exactly like this.
 *
 * THE RULE (probe side).  Probes are ICMPv6 echo requests (ICMP echo for
 * IPv4), and with ladder_tcp_udp also TCP SYNs without ACK and UDP packets,
 * that are not outbound and carry a hop limit.  They are grouped by
 * (source /64, destination, probe kind): a prober that rotates addresses
 * inside its /64 stays one ladder (IPv4 sources are taken whole).  For each
 * group, in event time:
 *
 *  1. A group's ladder ends when a probe arrives more than ladder_gap_sec
 *     after the last accepted probe, or more than ladder_window_sec after the
 *     first; the probe then starts afresh (step 2).  Groups nobody sends to
 *     any more end when the stream's clock (the latest event time) passes the
 *     same limits, when their slot is needed for a newer group, or at flush.
 *  2. A ladder starts with a probe whose hop limit h is at most
 *     ladder_max_start_hop (default 10, Zeek's "low TTL" bound: ordinary
 *     traffic arrives with 30-64, 100-128 or 230-255 left).  That is rung 1.
 *  3. With the top rung at hop limit c, a probe with hop limit h is
 *       - a repeat of the top rung when h == c, accepted while the rung has
 *         fewer than ladder_max_repeat probes;
 *       - the next rung when h == c + k*step for k in 1..1+ladder_max_skip
 *         (k - 1 rungs lost), as long as the lost rungs before the ladder is
 *         declared total at most ladder_max_skip;
 *       - otherwise not part of the ladder.  Before the ladder is declared
 *         such a probe restarts it at h (if h qualifies under step 2), since
 *         a ladder begins at its lowest rung; after, it is ignored, so other
 *         traffic interleaved with the ladder does not break it.
 *  4. The ladder is declared once ladder_min_rungs distinct rungs (default
 *     3) have been seen.  From then on every accepted probe is tagged:
 *     ladder_id (stable: a keyed hash of the group and the first probe's
 *     time, the same on every replay), ladder_rung (position by hop limit:
 *     (h - first hop limit)/step + 1), ladder_rungs (rungs seen so far),
 *     ladder_repeat (the probe's number on its rung), src_behavior and tags
 *     gain hop_ladder.  Probes before the declaration cannot be tagged in a
 *     stream (they are already gone); the summary record counts them.
 *  5. When a declared ladder ends, one summary (ipv6probe:ladder) is queued.
 *
 * So 1,1,2,2,3,3 fires at the first 3; 1,2,3 fires; 1,1,3,3,4 fires (rung 2
 * lost); a single probe, 5,5,4,4,3,3 (descending), 57,58,57,58 (two paths),
 * 4,5,4,5 (two paths, low) and a steady stream at one hop limit never fire;
 * nor do hosts at different distances, which are different groups.
 *
 * SENDER SIDE.  When our own probe expires, routers send ICMPv6 Time
 * Exceeded (type 3 code 0; ICMP type 11 for IPv4) quoting it.  These are
 * grouped by the quoted (inner source, inner destination, inner protocol).
 * Only replies that carry their own hop limit count: it tells how far away
 * the router is.  Routers send with one of the common initial hop limits 64,
 * 128 or 255, so a reply arriving with hop limit r left a router at distance
 *     d = (the smallest of 64, 128, 255 that is >= r) - r
 * hops (64 -> 0, 62 -> 2, 253 -> 2, 120 -> 8).  Then:
 *   - a reply from the router of the top rung is a repeat (up to
 *     ladder_max_repeat);
 *   - a reply from a new router is the next rung only when the router is
 *     farther away than the top rung's (d larger): our probe expiring one
 *     hop later each time.  At an equal distance it is another path or a
 *     load-balanced twin, not a rung, and is ignored.  Nearer, it is not
 *     part of a ladder: before the ladder is declared it restarts it at that
 *     router (a ladder begins at its nearest rung), after it is ignored;
 *   - a late reply from an earlier router is ignored.
 * So Time Exceeded from r1,r1,r2,r2,r3,r3 fires at r3, also when r1 starts
 * at 64 and r3 at 255; r3,r3,r2,r2,r1,r1 (probes expiring ever nearer)
 * never does.  Steps 1, 4 and 5 apply as above (the start-hop bound does
 * not: the probes' hop limit is ours).  These events gain the ladder fields
 * and the hop_ladder tag, but not src_behavior: their source is a router,
 * not a prober.
 *
 * Memory: two bounded tables (table.h) of fixed capacity; a full table
 * evicts the least recently active group, ending its ladder (counted). */
#include "ladder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

enum { CLS_ECHO = 1, CLS_TCP = 2, CLS_UDP = 3 };

typedef struct lkey {
    uint8_t kind, cls, pad[6];
    uint8_t src[16];
    uint8_t dest[16];
} lkey;

typedef struct lad {
    int64_t first_us, last_us, max_gap_us;
    uint64_t id; /* 0 until declared */
    struct in6_addr src;
    uint32_t rungs, probes;
    uint8_t start_hop, cur_hop;
    uint8_t repeat; /* probes on the top rung */
    uint8_t missing;
    uint8_t proto, version;
    uint8_t nrouters;
    uint8_t repeats[V6PI_LADDER_MAX_RUNGS];
    /* Sender side only (the probe table's values stop here). */
    uint8_t reply_hops[V6PI_LADDER_MAX_ROUTERS];
    uint8_t top_dist; /* estimated distance of the top rung's router */
    struct in6_addr last_router;
    struct in6_addr routers[V6PI_LADDER_MAX_ROUTERS];
} lad;

#define PROBE_VALUE_SIZE offsetof(lad, reply_hops)

struct v6pi_ladder {
    v6pi_table *probes, *sender;
    uint32_t min_rungs, step, max_repeat, max_skip, max_start_hop;
    int64_t gap_us, window_us;
    int tcp_udp;
    int64_t now_us, swept_us;
    int flushing;
    uint64_t declared;
    v6pi_ladder_end_fn on_end;
    void *arg;
};

static const uint64_t ID_KEY[2] = {0x6c61646465722d69ULL, 0x6970763670726f62ULL};

static void end_ladder(v6pi_ladder *l, const lkey *k, const lad *s, v6pi_ladder_end why)
{
    if (!s->id)
        return; /* never declared: nothing to report */
    v6pi_ladder_summary o;
    memset(&o, 0, sizeof(o));
    o.id = s->id;
    o.src = s->src;
    memcpy(&o.dest, k->dest, 16);
    o.first_us = s->first_us;
    o.last_us = s->last_us;
    o.max_gap_us = s->max_gap_us;
    o.rungs = s->rungs;
    o.probes = s->probes;
    o.missing = s->missing;
    o.kind = k->kind;
    o.end = (uint8_t)why;
    o.protocol_number = s->proto;
    o.protocol_version = s->version;
    o.step = (uint8_t)l->step;
    if (k->kind == V6PI_LADDER_PROBE) {
        o.min_hop = s->start_hop;
        o.max_hop = s->cur_hop;
        unsigned n = (unsigned)(s->cur_hop - s->start_hop) / l->step + 1;
        o.nrepeats = (uint8_t)(n < V6PI_LADDER_MAX_RUNGS ? n : V6PI_LADDER_MAX_RUNGS);
    } else {
        o.nrepeats = (uint8_t)(s->rungs < V6PI_LADDER_MAX_RUNGS ? s->rungs : V6PI_LADDER_MAX_RUNGS);
        o.nrouters = s->nrouters;
        memcpy(o.routers, s->routers, sizeof(o.routers));
        memcpy(o.reply_hops, s->reply_hops, sizeof(o.reply_hops));
    }
    memcpy(o.repeats, s->repeats, o.nrepeats);
    l->on_end(&o, l->arg);
}

static void on_evict(const void *key, void *value, v6pi_table_reason why, void *arg)
{
    v6pi_ladder *l = arg;
    const lad *s = value;
    v6pi_ladder_end end = V6PI_LADDER_END_EVICTED;
    if (why == V6PI_TABLE_EXPIRED)
        end = l->flushing                              ? V6PI_LADDER_END_FLUSH
              : l->now_us - s->first_us > l->window_us ? V6PI_LADDER_END_WINDOW
                                                       : V6PI_LADDER_END_GAP;
    end_ladder(l, key, s, end);
}

v6pi_ladder *v6pi_ladder_new(const v6p_taggers_config *cfg, v6pi_ladder_end_fn on_end, void *arg,
                             int *code)
{
    v6pi_ladder *l = calloc(1, sizeof(*l));
    if (!l) {
        *code = ENOMEM;
        return NULL;
    }
    l->min_rungs = cfg->ladder_min_rungs;
    l->step = cfg->ladder_step;
    l->max_repeat = cfg->ladder_max_repeat;
    l->max_skip = cfg->ladder_max_skip;
    l->max_start_hop = cfg->ladder_max_start_hop;
    l->gap_us = (int64_t)cfg->ladder_gap_sec * 1000000;
    l->window_us = (int64_t)cfg->ladder_window_sec * 1000000;
    l->tcp_udp = cfg->ladder_tcp_udp;
    l->on_end = on_end;
    l->arg = arg;
    v6pi_table_config tc = {.capacity = cfg->ladder_capacity,
                            .key_size = sizeof(lkey),
                            .value_size = PROBE_VALUE_SIZE,
                            .seed = {cfg->seed[0], cfg->seed[1]},
                            .on_evict = on_evict,
                            .evict_arg = l};
    v6pi_table_status st = v6pi_table_create(&tc, &l->probes);
    if (st == V6PI_TABLE_OK) {
        tc.capacity = cfg->ladder_sender_capacity;
        tc.value_size = sizeof(lad);
        st = v6pi_table_create(&tc, &l->sender);
    }
    if (st != V6PI_TABLE_OK) {
        *code = st == V6PI_TABLE_ENOMEM ? ENOMEM : EINVAL;
        v6pi_ladder_free(l);
        return NULL;
    }
    return l;
}

void v6pi_ladder_free(v6pi_ladder *l)
{
    if (!l)
        return;
    v6pi_table_free(l->probes);
    v6pi_table_free(l->sender);
    free(l);
}

static int expire_visit(const void *key, void *value, void *arg)
{
    (void)key;
    const v6pi_ladder *l = arg;
    const lad *s = value;
    /* Oldest first, by last activity: the first fresh one ends the walk. */
    return l->now_us - s->last_us > l->gap_us ? V6PI_TABLE_DROP : V6PI_TABLE_STOP;
}

static int flush_visit(const void *key, void *value, void *arg)
{
    (void)key, (void)value, (void)arg;
    return V6PI_TABLE_DROP;
}

void v6pi_ladder_flush(v6pi_ladder *l)
{
    l->flushing = 1;
    v6pi_table_foreach(l->probes, flush_visit, l);
    v6pi_table_foreach(l->sender, flush_visit, l);
    l->flushing = 0;
}

/* Which probe kind an event is, or 0 when it is no probe. */
static int probe_class(const v6pi_ladder *l, const v6p_event *ev)
{
    if (!v6p_event_has(ev, V6P_F_HOP_LIMIT) || !v6p_event_has(ev, V6P_F_PROTOCOL_NUMBER) ||
        !v6p_event_has(ev, V6P_F_SRC) || !v6p_event_has(ev, V6P_F_DEST) ||
        ev->direction == V6P_DIR_OUTBOUND || ev->direction == V6P_DIR_LATERAL ||
        v6p_event_is_duplicate(ev))
        return 0;
    int v4 = ev->protocol_version == 4;
    switch (ev->protocol_number) {
    case IPPROTO_ICMPV6:
        return !v4 && v6p_event_has(ev, V6P_F_ICMP_TYPE) && ev->icmp_type == 128 ? CLS_ECHO : 0;
    case IPPROTO_ICMP:
        return v4 && v6p_event_has(ev, V6P_F_ICMP_TYPE) && ev->icmp_type == 8 ? CLS_ECHO : 0;
    case IPPROTO_TCP:
        return l->tcp_udp && (ev->tcp_flags & V6P_TCP_SYN) && !(ev->tcp_flags & V6P_TCP_ACK)
                   ? CLS_TCP
                   : 0;
    case IPPROTO_UDP:
        return l->tcp_udp ? CLS_UDP : 0;
    default:
        return 0;
    }
}

static int is_time_exceeded(const v6p_event *ev)
{
    /* Without the reply's hop limit there is no telling a climbing sequence
     * of routers from a descending one. */
    if (!v6p_event_has(ev, V6P_F_ICMP_TYPE) || !v6p_event_has(ev, V6P_F_INNER_SRC) ||
        !v6p_event_has(ev, V6P_F_INNER_DEST) || !v6p_event_has(ev, V6P_F_SRC) ||
        !v6p_event_has(ev, V6P_F_HOP_LIMIT))
        return 0;
    if (ev->protocol_version == 4)
        return ev->protocol_number == IPPROTO_ICMP && ev->icmp_type == 11 && ev->icmp_code == 0;
    return ev->protocol_number == IPPROTO_ICMPV6 && ev->icmp_type == 3 && ev->icmp_code == 0;
}

static void start(lad *s, const v6p_event *ev, int64_t t, uint8_t hop)
{
    memset(s, 0, PROBE_VALUE_SIZE);
    s->first_us = s->last_us = t;
    s->src = ev->src;
    s->rungs = 1;
    s->probes = 1;
    s->start_hop = s->cur_hop = hop;
    s->repeat = 1;
    s->proto = ev->protocol_number;
    s->version = ev->protocol_version;
    s->repeats[0] = 1;
}

static void accept_probe(lad *s, int64_t t)
{
    int64_t gap = t - s->last_us;
    if (gap > s->max_gap_us)
        s->max_gap_us = gap;
    if (t > s->last_us)
        s->last_us = t;
    s->probes++;
}

static void declare(v6pi_ladder *l, const lkey *k, lad *s)
{
    unsigned char buf[sizeof(lkey) + 8];
    memcpy(buf, k, sizeof(lkey));
    memcpy(buf + sizeof(lkey), &s->first_us, 8);
    /* 53 bits: the id survives a trip through a JSON double. */
    s->id = v6pi_siphash13(ID_KEY, buf, sizeof(buf)) & ((UINT64_C(1) << 53) - 1);
    if (!s->id)
        s->id = 1;
    l->declared++;
}

static void tag(v6p_event *ev, const lad *s, uint32_t rung, uint32_t repeat, int behaviour)
{
    ev->ladder_id = s->id;
    ev->ladder_rung = rung;
    ev->ladder_rungs = s->rungs;
    ev->ladder_repeat = repeat;
    v6p_event_mark(ev, V6P_F_LADDER_ID);
    v6p_event_mark(ev, V6P_F_LADDER_RUNG);
    v6p_event_mark(ev, V6P_F_LADDER_RUNGS);
    v6p_event_mark(ev, V6P_F_LADDER_REPEAT);
    ev->tags |= V6P_TAG_HOP_LADDER;
    v6p_event_mark(ev, V6P_F_TAGS);
    if (behaviour) {
        ev->src_behavior |= V6P_TAG_HOP_LADDER;
        v6p_event_mark(ev, V6P_F_SRC_BEHAVIOR);
    }
}

/* Does the ladder in s end before an event at time t? */
static int ended(const v6pi_ladder *l, const lad *s, int64_t t, v6pi_ladder_end *why)
{
    if (t - s->last_us > l->gap_us) {
        *why = V6PI_LADDER_END_GAP;
        return 1;
    }
    if (t - s->first_us > l->window_us) {
        *why = V6PI_LADDER_END_WINDOW;
        return 1;
    }
    return 0;
}

static void probe_key(lkey *k, const v6p_event *ev, int cls)
{
    memset(k, 0, sizeof(*k));
    k->kind = V6PI_LADDER_PROBE;
    k->cls = (uint8_t)cls;
    memcpy(k->src, ev->src.s6_addr, ev->protocol_version == 4 ? 16 : 8);
    memcpy(k->dest, ev->dest.s6_addr, 16);
}

_Static_assert(sizeof(lkey) == sizeof(((v6pi_ladder_prep *)0)->key), "prep holds an lkey");

/* The event's key and the probe table's hash of it come from p. */
static void apply_probe(v6pi_ladder *l, v6p_event *ev, const v6pi_ladder_prep *p, int64_t t)
{
    lkey k;
    memcpy(&k, p->key, sizeof(k));
    uint64_t kh = p->h;
    uint8_t h = ev->hop_limit;

    lad *s = v6pi_table_get_h(l->probes, &k, kh);
    v6pi_ladder_end why;
    if (s && ended(l, s, t, &why)) {
        end_ladder(l, &k, s, why);
        if (h > l->max_start_hop) {
            v6pi_table_remove(l->probes, &k);
            return;
        }
        start(s, ev, t, h);
        v6pi_table_promote(l->probes, s);
        return;
    }
    if (!s) {
        if (h > l->max_start_hop)
            return;
        s = v6pi_table_put_h(l->probes, &k, kh, NULL);
        start(s, ev, t, h);
        return;
    }

    int declared = s->id != 0;
    if (h == s->cur_hop) {
        if (s->repeat >= l->max_repeat) {
            /* A rung that keeps going is a steady stream, not a ladder. */
            if (!declared) {
                start(s, ev, t, h);
                v6pi_table_promote(l->probes, s);
            }
            return;
        }
        s->repeat++;
    } else {
        unsigned diff = h > s->cur_hop ? (unsigned)(h - s->cur_hop) : 0;
        unsigned k_steps = diff / l->step;
        unsigned lost = k_steps ? k_steps - 1 : 0;
        int next = diff && diff % l->step == 0 && lost <= l->max_skip &&
                   (declared || s->missing + lost <= l->max_skip);
        if (!next) {
            if (!declared && h <= l->max_start_hop) {
                start(s, ev, t, h);
                v6pi_table_promote(l->probes, s);
            }
            return;
        }
        s->missing = (uint8_t)(s->missing + lost > 255 ? 255 : s->missing + lost);
        s->rungs++;
        s->cur_hop = h;
        s->repeat = 1;
    }
    accept_probe(s, t);
    unsigned idx = (unsigned)(h - s->start_hop) / l->step;
    if (idx < V6PI_LADDER_MAX_RUNGS && s->repeats[idx] < 255)
        s->repeats[idx]++;
    v6pi_table_promote(l->probes, s);
    if (!declared && s->rungs >= l->min_rungs)
        declare(l, &k, s);
    if (s->id)
        tag(ev, s, idx + 1, s->repeat, 1);
}

/* How many hops away the router that sent a reply arriving with hop limit
 * `hop` is: routers start at 64, 128 or 255, so the nearest of those at or
 * above the received value is taken as where it started. */
static uint8_t router_distance(uint8_t hop)
{
    unsigned init = hop <= 64 ? 64 : hop <= 128 ? 128 : 255;
    return (uint8_t)(init - hop);
}

static void start_sender(lad *s, const v6p_event *ev, int64_t t)
{
    memset(s, 0, sizeof(*s));
    s->first_us = s->last_us = t;
    s->src = ev->inner_src;
    s->rungs = s->probes = 1;
    s->repeat = 1;
    s->proto = ev->inner_protocol_number;
    s->version = ev->protocol_version;
    s->repeats[0] = 1;
    s->nrouters = 1;
    s->routers[0] = s->last_router = ev->src;
    s->reply_hops[0] = ev->hop_limit;
    s->top_dist = router_distance(ev->hop_limit);
}

static void apply_time_exceeded(v6pi_ladder *l, v6p_event *ev, int64_t t)
{
    lkey k;
    memset(&k, 0, sizeof(k));
    k.kind = V6PI_LADDER_TIME_EXCEEDED;
    k.cls = ev->inner_protocol_number;
    memcpy(k.src, ev->inner_src.s6_addr, 16);
    memcpy(k.dest, ev->inner_dest.s6_addr, 16);

    lad *s = v6pi_table_get(l->sender, &k);
    v6pi_ladder_end why;
    int fresh = 0;
    if (s && ended(l, s, t, &why)) {
        end_ladder(l, &k, s, why);
        fresh = 1;
    } else if (!s) {
        s = v6pi_table_put(l->sender, &k, NULL);
        fresh = 1;
    }
    if (fresh) {
        start_sender(s, ev, t);
        v6pi_table_touch(l->sender, &k);
        return;
    }

    if (memcmp(&ev->src, &s->last_router, 16) == 0) {
        if (s->repeat >= l->max_repeat)
            return;
        s->repeat++;
    } else {
        unsigned n = s->nrouters < V6PI_LADDER_MAX_ROUTERS ? s->nrouters : V6PI_LADDER_MAX_ROUTERS;
        for (unsigned i = 0; i < n; i++)
            if (memcmp(&ev->src, &s->routers[i], 16) == 0)
                return; /* a late reply from an earlier rung */
        uint8_t d = router_distance(ev->hop_limit);
        if (d <= s->top_dist) {
            /* Not farther than the top rung: another path at the same
             * distance, or probes expiring ever nearer (descending). */
            if (d < s->top_dist && !s->id) {
                start_sender(s, ev, t);
                v6pi_table_touch(l->sender, &k);
            }
            return;
        }
        s->top_dist = d;
        if (s->nrouters < V6PI_LADDER_MAX_ROUTERS) {
            s->routers[s->nrouters] = ev->src;
            s->reply_hops[s->nrouters] = ev->hop_limit;
        }
        if (s->nrouters < 255)
            s->nrouters++;
        s->last_router = ev->src;
        s->rungs++;
        s->repeat = 1;
    }
    accept_probe(s, t);
    unsigned idx = s->rungs - 1;
    if (idx < V6PI_LADDER_MAX_RUNGS && s->repeats[idx] < 255)
        s->repeats[idx]++;
    v6pi_table_touch(l->sender, &k);
    if (!s->id && s->rungs >= l->min_rungs)
        declare(l, &k, s);
    if (s->id)
        tag(ev, s, s->rungs, s->repeat, 0);
}

void v6pi_ladder_prep_event(const v6pi_ladder *l, const v6p_event *ev, v6pi_ladder_prep *p)
{
    p->cls = probe_class(l, ev);
    if (!p->cls)
        return;
    probe_key((lkey *)p->key, ev, p->cls);
    p->h = v6pi_table_hash(l->probes, p->key);
    v6pi_table_prefetch(l->probes, p->h);
}

void v6pi_ladder_prefetch(const v6pi_ladder *l, const v6p_event *ev, const v6pi_ladder_prep *p)
{
    (void)ev;
    if (!p->cls)
        return;
    v6pi_table_prefetch_entry(l->probes, p->key, p->h);
}

void v6pi_ladder_prefetch_links(const v6pi_ladder *l, const v6p_event *ev,
                                const v6pi_ladder_prep *p)
{
    /* Only a probe that may start a ladder inserts: the others would
     * prefetch for an eviction that does not happen. */
    if (!p->cls)
        return;
    if (ev->hop_limit <= l->max_start_hop || v6pi_table_get_h(l->probes, p->key, p->h))
        v6pi_table_prefetch_links(l->probes, p->key, p->h);
}

/* The probe kind and hash come from p (computed from the event alone, so
 * they are the same now as when p was filled); the table is read now. */
void v6pi_ladder_apply_prep(v6pi_ladder *l, v6p_event *ev, const v6pi_ladder_prep *p)
{
    int64_t t = ev->time_sec * 1000000 + ev->time_usec;
    if (t > l->now_us)
        l->now_us = t;
    /* End quiet ladders once a second of stream time, oldest first. */
    if (l->now_us - l->swept_us >= 1000000) {
        l->swept_us = l->now_us;
        v6pi_table_foreach(l->probes, expire_visit, l);
        v6pi_table_foreach(l->sender, expire_visit, l);
    }
    if (p->cls)
        apply_probe(l, ev, p, t);
    else if (is_time_exceeded(ev) && !v6p_event_is_duplicate(ev))
        apply_time_exceeded(l, ev, t);
}

void v6pi_ladder_apply(v6pi_ladder *l, v6p_event *ev)
{
    v6pi_ladder_prep p;
    p.cls = probe_class(l, ev);
    if (p.cls) {
        probe_key((lkey *)p.key, ev, p.cls);
        p.h = v6pi_table_hash(l->probes, p.key);
    }
    v6pi_ladder_apply_prep(l, ev, &p);
}

uint64_t v6pi_ladder_declared(const v6pi_ladder *l)
{
    return l->declared;
}

uint64_t v6pi_ladder_evictions(const v6pi_ladder *l)
{
    return v6pi_table_evictions(l->probes) + v6pi_table_evictions(l->sender);
}

size_t v6pi_ladder_count(const v6pi_ladder *l)
{
    return v6pi_table_count(l->probes) + v6pi_table_count(l->sender);
}

size_t v6pi_ladder_memory(const v6pi_ladder *l)
{
    return v6pi_table_memory(l->probes) + v6pi_table_memory(l->sender);
}
