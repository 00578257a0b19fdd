/* v6p_taggers_apply_batch against v6p_taggers_apply, one event at a time:
 * the same generated stream through both must give every event the same
 * tags and the same summary records in the same order.
 *
 * The stream mixes what changes table state under the batch's look-ahead:
 * a flood of new sources (evictions moving slots), sweeps and port scans
 * (the same keys again and again, a few events apart), ladders on the probe
 * side (created, declared, ended by gap and window) and on the sender side,
 * probes of temporary addresses, replies, outbound and IPv4 events.  It
 * runs once with small tables (evictions on nearly every event) and once
 * with the defaults, in batches of varying length, drained between
 * batches.
 *
 *   test_batch [EVENTS]   (default 250,000) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6probe/event.h"
#include "ipv6probe/taggers.h"

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void addr(struct in6_addr *a, uint64_t hi, uint64_t lo)
{
    put64(a->s6_addr, hi);
    put64(a->s6_addr + 8, lo);
}

static void addr4(struct in6_addr *a, uint32_t v4)
{
    memset(a, 0, sizeof(*a));
    a->s6_addr[10] = a->s6_addr[11] = 0xff;
    for (int i = 0; i < 4; i++)
        a->s6_addr[12 + i] = (uint8_t)(v4 >> (24 - 8 * i));
}

#define OURS UINT64_C(0x20010db800990000)

typedef struct prober {
    uint64_t net, dest;
    int hop, rep, down, proto;
} prober;

static void proto(v6p_event *ev, int p, uint64_t r)
{
    ev->protocol_number = (uint8_t)p;
    v6p_event_mark(ev, V6P_F_PROTOCOL_NUMBER);
    if (p == 58 || p == 1) {
        ev->icmp_type = p == 58 ? 128 : 8;
        v6p_event_mark(ev, V6P_F_ICMP_TYPE);
    } else {
        ev->dest_port = (uint16_t)(r % 5 ? 22 + r % 40 : r >> 16);
        v6p_event_mark(ev, V6P_F_DEST_PORT);
        if (p == 6)
            ev->tcp_flags = r % 17 ? V6P_TCP_SYN : V6P_TCP_SYN | V6P_TCP_ACK;
    }
}

static void gen(v6p_event *evs, int n)
{
    enum { NPROBERS = 64, NTARGETS = 16 };
    static const int protos[] = {58, 6, 17};
    prober pr[NPROBERS];
    for (int k = 0; k < NPROBERS; k++)
        pr[k] = (prober){UINT64_C(0x2a02000000000000) | rnd() >> 24, rnd() % 64 + 1, 1, 0, 0, 0};
    int64_t us = 1700000000LL * 1000000;
    for (int i = 0; i < n; i++) {
        v6p_event *ev = &evs[i];
        v6p_event_reset(ev);
        uint64_t r = rnd();
        /* Mostly 5 ms apart, a little out of order now and then, and a
         * quiet 3 minutes from time to time, which ends open ladders. */
        us += r % 5000 == 0 ? 180000000 : 5000;
        int64_t t = us - (r % 50 == 0 ? 2000 : 0);
        ev->time_sec = t / 1000000;
        ev->time_usec = (uint32_t)(t % 1000000);
        v6p_event_mark(ev, V6P_F_TIME);
        ev->protocol_version = 6;
        ev->direction = V6P_DIR_INBOUND;
        v6p_event_mark(ev, V6P_F_SRC);
        v6p_event_mark(ev, V6P_F_DEST);
        v6p_event_mark(ev, V6P_F_HOP_LIMIT);
        ev->hop_limit = (uint8_t)(40 + r % 20);
        unsigned kind = (unsigned)(r >> 8) % 100;
        uint64_t r2 = rnd();
        if (kind < 30) { /* flood: every key new */
            addr(&ev->src, UINT64_C(0x2000000000000000) | r2 >> 3, rnd());
            addr(&ev->dest, OURS, rnd() % 4096 + 1);
            proto(ev, protos[r2 % 3], rnd());
            ev->hop_limit = (uint8_t)(r2 % 12 + 1);
        } else if (kind < 50) { /* sweepers, in a few /48s */
            uint64_t s = r2 % 50;
            addr(&ev->src, UINT64_C(0x2001067c00000000) | (s % 4) << 16 | (s % 7), s + 1);
            addr(&ev->dest, OURS, rnd() % 4096 + 1);
            proto(ev, protos[s % 3], rnd());
        } else if (kind < 60) { /* port scanners */
            uint64_t s = r2 % 20;
            addr(&ev->src, UINT64_C(0x2001067c01000000) | s, 7);
            addr(&ev->dest, OURS, s + 1);
            proto(ev, 6, rnd());
            ev->tcp_flags = V6P_TCP_SYN;
            ev->dest_port = (uint16_t)(rnd() % 1000);
        } else if (kind < 80) { /* hop-limit ladders, sometimes lossy or descending */
            prober *p = &pr[r2 % NPROBERS];
            addr(&ev->src, p->net, rnd() % 3 + 1);
            addr(&ev->dest, OURS, p->dest);
            proto(ev, protos[p->proto], rnd());
            if (ev->protocol_number == 6)
                ev->tcp_flags = V6P_TCP_SYN;
            ev->hop_limit = (uint8_t)p->hop;
            if (++p->rep >= 2 + (int)(r2 >> 8) % 2) {
                p->rep = 0;
                p->hop += p->down ? -1 : 1 + ((r2 >> 12) % 8 == 0); /* a lost rung now and then */
            }
            if (p->hop < 1 || p->hop > 14) {
                p->down = (r2 >> 16) % 6 == 0;
                p->hop = p->down ? 9 : 1;
                p->dest = rnd() % 64 + 1;
                p->proto = (int)(rnd() % 3);
            }
        } else if (kind < 85) { /* Time Exceeded for our own traceroutes */
            uint64_t tg = r2 % NTARGETS, d = (r2 >> 8) % 12 + 1;
            addr(&ev->src, UINT64_C(0x2001000000000000) | tg << 20 | d, 1);
            addr(&ev->dest, OURS, 1);
            proto(ev, 58, 0);
            ev->icmp_type = 3;
            ev->icmp_code = 0;
            v6p_event_mark(ev, V6P_F_ICMP_CODE);
            ev->inner_src = ev->dest;
            addr(&ev->inner_dest, UINT64_C(0x2600000000000000) | tg, 1);
            ev->inner_protocol_number = 17;
            v6p_event_mark(ev, V6P_F_INNER_SRC);
            v6p_event_mark(ev, V6P_F_INNER_DEST);
            v6p_event_mark(ev, V6P_F_INNER_PROTOCOL_NUMBER);
            ev->hop_limit = (uint8_t)(((r2 >> 20) % 2 ? 255 : 64) - d);
        } else { /* ordinary sources back at a few addresses; replies, IPv4 */
            uint64_t s = r2 % 2000;
            addr(&ev->src, UINT64_C(0x2003000000000000) | s << 16, s * 31 + 5);
            addr(&ev->dest, OURS, s % 97 + (r2 >> 12) % 3 + 1);
            proto(ev, protos[(r2 >> 20) % 3], rnd());
            if ((r2 >> 24) % 10 == 0) {
                ev->protocol_version = 4;
                addr4(&ev->src, 0xc6336400 | (uint32_t)(s % 256));
                addr4(&ev->dest, 0xcb007100 | (uint32_t)(s % 8));
                if (ev->protocol_number == 58) {
                    ev->protocol_number = 1;
                    ev->icmp_type = 8;
                }
            }
            if ((r2 >> 28) % 20 == 0)
                ev->direction = V6P_DIR_OUTBOUND;
            if ((r2 >> 32) % 15 == 0 && ev->protocol_number == 58)
                ev->icmp_type = 129; /* a reply */
        }
        if ((r >> 40) % 4 == 0) {
            ev->dest_pe = (r >> 44) % 3 == 0;
            v6p_event_mark(ev, V6P_F_DEST_PE);
        }
    }
}

/* Summary records as text, in order. */
typedef struct recs {
    char **s;
    size_t n, cap;
} recs;

static void collect(void *ud, const char *st, const char *json, size_t len, int64_t ts)
{
    recs *r = ud;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->s = realloc(r->s, r->cap * sizeof(*r->s));
        if (!r->s)
            abort();
    }
    char *c = malloc(len + strlen(st) + 32);
    if (!c)
        abort();
    snprintf(c, len + strlen(st) + 32, "%s %lld %.*s", st, (long long)ts, (int)len, json);
    r->s[r->n++] = c;
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->s[i]);
    free(r->s);
}

static v6p_classify *table(void)
{
    v6p_classify *c = v6p_classify_new(NULL);
    /* Entries over some of the stream's sources, so that both the table and
     * the behaviour fallback name categories. */
    if (v6p_classify_add(c, "2001:67c::/32", "Scanner", "research_scanner", "https://a.example/",
                         NULL) ||
        v6p_classify_add(c, "2a02::/20", "Path finder", "cdn", "https://b.example/", NULL) ||
        v6p_classify_add(c, "2003:0:0:5::/64", "Cloud", "cloud", "https://c.example/", NULL) ||
        v6p_classify_add(c, "198.51.100.0/25", "V4", "isp", "https://d.example/", NULL))
        abort();
    return c;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_event(const v6p_event *a, const v6p_event *b)
{
    return memcmp(a->present, b->present, sizeof(a->present)) == 0 &&
           a->src_behavior == b->src_behavior && a->tags == b->tags &&
           a->ladder_id == b->ladder_id && a->ladder_rung == b->ladder_rung &&
           a->ladder_rungs == b->ladder_rungs && a->ladder_repeat == b->ladder_repeat &&
           a->src_asn == b->src_asn && same_str(a->src_org, b->src_org) &&
           same_str(a->src_category, b->src_category) && same_str(a->src_as_org, b->src_as_org);
}

static int run(const char *name, const v6p_taggers_config *cfg, int n)
{
    v6p_event *one = malloc((size_t)n * sizeof(*one));
    v6p_event *bat = malloc((size_t)n * sizeof(*bat));
    v6p_event **ptr = malloc((size_t)n * sizeof(*ptr));
    if (!one || !bat || !ptr)
        abort();
    rng = 0x9e3779b97f4a7c15ULL;
    gen(one, n);
    memcpy(bat, one, (size_t)n * sizeof(*one));
    for (int i = 0; i < n; i++)
        ptr[i] = &bat[i];

    v6p_taggers *ta = v6p_taggers_new(cfg, NULL), *tb = v6p_taggers_new(cfg, NULL);
    if (!ta || !tb)
        abort();
    v6p_taggers_set_classify(ta, table());
    v6p_taggers_set_classify(tb, table());
    recs ra = {0}, rb = {0};
    /* Batches of 1 to 300 events (shorter and longer than the look-ahead),
     * each drained after. */
    for (int i = 0; i < n;) {
        int len = (int)(rnd() % 300) + 1;
        if (len > n - i)
            len = n - i;
        for (int j = i; j < i + len; j++)
            v6p_taggers_apply(ta, &one[j]);
        if (v6p_taggers_apply_batch(tb, ptr + i, (size_t)len) != (size_t)len) {
            fprintf(stderr, "%s: apply_batch did not return %d\n", name, len);
            return 1;
        }
        v6p_taggers_drain(ta, collect, &ra);
        v6p_taggers_drain(tb, collect, &rb);
        i += len;
    }
    v6p_taggers_flush(ta);
    v6p_taggers_flush(tb);
    v6p_taggers_drain(ta, collect, &ra);
    v6p_taggers_drain(tb, collect, &rb);

    int fail = 0;
    size_t tagged = 0, ladder = 0;
    for (int i = 0; i < n && fail < 10; i++) {
        tagged += one[i].tags != 0;
        ladder += one[i].ladder_id != 0;
        if (!same_event(&one[i], &bat[i])) {
            fprintf(stderr, "%s: event %d tagged differently (tags %#x/%#x, ladder %llu/%llu)\n",
                    name, i, one[i].tags, bat[i].tags, (unsigned long long)one[i].ladder_id,
                    (unsigned long long)bat[i].ladder_id);
            fail++;
        }
    }
    if (ra.n != rb.n) {
        fprintf(stderr, "%s: %zu summaries one at a time, %zu in batches\n", name, ra.n, rb.n);
        fail++;
    }
    for (size_t i = 0; i < ra.n && i < rb.n && fail < 10; i++)
        if (strcmp(ra.s[i], rb.s[i]) != 0) {
            fprintf(stderr, "%s: summary %zu differs:\n  %s\n  %s\n", name, i, ra.s[i], rb.s[i]);
            fail++;
        }
    v6p_taggers_stats sa, sb;
    v6p_taggers_get_stats(ta, &sa, sizeof(sa));
    v6p_taggers_get_stats(tb, &sb, sizeof(sb));
    if (memcmp(&sa, &sb, sizeof(sa)) != 0) {
        fprintf(stderr, "%s: counters differ\n", name);
        fail++;
    }
    /* A stream that tagged nothing would prove nothing. */
    uint32_t all = 0;
    for (int i = 0; i < n; i++)
        all |= one[i].tags;
    const uint32_t want = V6P_TAG_HOP_LADDER | V6P_TAG_ADDRESS_SWEEP | V6P_TAG_PORT_SCAN |
                          V6P_TAG_PE_TARGETED | V6P_TAG_KNOWN_SCANNER;
    if ((all & want) != want || ra.n == 0) {
        fprintf(stderr, "%s: the stream does not exercise every tagger (tags %#x, %zu summaries)\n",
                name, all, ra.n);
        fail++;
    }
    printf("%s: %d events, %zu tagged, %zu in ladders, %zu summaries, %llu+%llu+%llu "
           "evictions: %s\n",
           name, n, tagged, ladder, ra.n, (unsigned long long)sa.ladder_evictions,
           (unsigned long long)sa.scan_evictions, (unsigned long long)sa.pair_evictions,
           fail ? "DIFFER" : "identical");
    recs_free(&ra);
    recs_free(&rb);
    v6p_taggers_free(ta);
    v6p_taggers_free(tb);
    free(one);
    free(bat);
    free(ptr);
    return fail != 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 250000;
    if (n < 1)
        return 2;
    v6p_taggers_config small, def;
    v6p_taggers_config_init(&def, sizeof(def));
    def.seed[0] = 1, def.seed[1] = 2;
    small = def;
    /* Full tables from the first seconds on: nearly every new key evicts
     * one, so the slots the look-ahead saw are often gone by the event's
     * turn. */
    small.ladder_capacity = 256;
    small.ladder_sender_capacity = 8;
    small.scan_capacity = 512;
    small.pair_capacity = 1024;
    small.ladder_summary_queue = 64;
    int fail = run("small tables", &small, n);
    fail |= run("defaults", &def, n);
    return fail;
}
