/* Scan behaviour: port scans, address sweeps, probes at temporary addresses
 * and repeat visits, per source.
 *
 * Which events count: not outbound, with a source and a destination, to a
 * destination that is not multicast, and that look like a probe rather
 * than a reply: ICMPv6 echo requests (ICMP echo for IPv4), TCP without ACK
 * (SYN scans, and FIN/NULL/Xmas scans), UDP, any other protocol.  Replies,
 * ICMP errors and neighbour discovery say nothing about who is scanning.
 *
 * Sources are aggregated at prefix lengths (default /128, /64, /48), each
 * level a bounded table: IPv6 scanners rotate source addresses
 * inside a /64 or wider (Richter et al., IMC 2022, aggregate at /128, /64
 * and /48; Tanveer et al., CoNEXT 2025, recommend /48), so counting per
 * /128 alone, as Zeek's scan policies do, misses them.  IPv4 sources are
 * taken whole.
 *
 *  - address_sweep: the source (at any level; the widest level decides, see
 *    v6pi_scan_new) reached sweep_threshold
 *    distinct destinations within the last sweep_window_sec.  Default 25 in
 *    5 minutes: Zeek's scan.zeek address-scan threshold and interval.
 *  - port_scan: one (source /64, destination) pair reached port_threshold
 *    distinct destination ports within port_window_sec.  Default 15 in 5
 *    minutes: Zeek's port-scan threshold and interval.
 *  - pe_targeted: the source's /64 sent a probe to an address the
 *    address tracker calls temporary (dest_pe) within pe_window_sec
 *    (default 1 hour).  A temporary address is never published, so a probe
 *    to one means the address was harvested; the label stays on the source
 *    for the hour so that its other probes carry it too.
 *  - repeat_visit: the pair (source /64, destination) was quiet for more
 *    than repeat_gap_sec (default 1 day) and is back: scanners that harvest
 *    addresses probe once and return days or weeks later.  Every event of
 *    the returning visit carries it, until a quiet time of visit_gap_sec
 *    (default 30 minutes, twice Zeek's 15-minute scan timeout) ends the
 *    visit.
 *
 * Distinct counting is exact but capped (the "unique_max" idea of Zeek's
 * SumStats): each pair keeps at most port_threshold (port, last time), and
 * each source at most sweep_threshold destinations.  The result is
 * min(threshold, distinct values seen within the window), so the label
 * fires exactly when the threshold is reached.
 *
 * Destinations are held as 32-bit fingerprints: SipHash-1-3 of the address,
 * keyed from the seed, so nobody can pick destinations that collide.  Two
 * destinations of one source share a fingerprint with probability 2^-32 per
 * pair; only then is one counted as the other, so a tag depends on the seed
 * with at most that probability per pair of destinations (about 3e-7 for a
 * source with 25 of them in the window), and otherwise never.
 *
 * Layout, for few cache lines per event: one table entry per source at the
 * sweep level (the /48) holds the fingerprints in one array and their
 * times in another (a repeat destination is found by comparing 4-byte
 * fingerprints, and only its own time is written), plus a lower bound on
 * the oldest time, so that a full set whose oldest entry is still fresh is
 * known to count the threshold without reading the times; a full set whose
 * bound went stale drops its stale entries, which no longer count and are
 * then the entries a new destination would have replaced.  The pe_targeted
 * state of the narrower pe level (the /64) lives in the same entry as "some
 * /64 inside probed a temporary address at time T"; only while that is
 * fresh is a small table of such /64s consulted, so a source that never
 * probed a temporary address costs one table, not two.  The pair table
 * holds the repeat_visit time and the ports. */
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define LEVELS 3

typedef struct skey {
    uint8_t plen, pad[7];
    uint8_t prefix[16];
} skey;

typedef struct slot {
    uint32_t h, t;
} slot;

/* A source at the sweep level.  fp[] and then t[] follow, sweep_threshold
 * of each: with the defaults the whole entry (slot header, key, value) is
 * 256 bytes, four cache lines, of which a repeat destination reads the first
 * three (fingerprints) and writes one (its time). */
typedef struct sval {
    uint32_t pe_last; /* last probe of a temporary address (by the pe level inside) */
    uint32_t n;       /* destinations held */
    uint32_t tmin;    /* no held time is older (a lower bound) */
    uint8_t has_pe, pad[3];
    uint32_t fp[];
} sval;

/* A source at the pe level, when it is narrower than the sweep level. */
typedef struct peval {
    uint32_t last_pe;
} peval;

typedef struct pkey {
    uint8_t src[16];
    uint8_t dest[16];
} pkey;

typedef struct pval {
    uint32_t last_seen;
    uint8_t repeat, n;
    uint16_t pad;
    slot p[]; /* h = port */
} pval;

struct v6pi_scan {
    v6pi_table *src; /* sources at the sweep level */
    v6pi_table *pe;  /* sources at the pe level, when narrower; else NULL */
    uint8_t plen[2]; /* the sweep level, the pe level */
    v6pi_table *pairs;
    uint32_t sweep_threshold, sweep_window;
    uint32_t port_threshold, port_window;
    uint32_t pe_window, repeat_gap, visit_gap;
    uint64_t hkey[2];
};

v6pi_scan *v6pi_scan_new(const v6p_taggers_config *cfg, int *code)
{
    v6pi_scan *s = calloc(1, sizeof(*s));
    if (!s) {
        *code = ENOMEM;
        return NULL;
    }
    s->sweep_threshold = cfg->sweep_threshold;
    s->sweep_window = cfg->sweep_window_sec;
    s->port_threshold = cfg->port_threshold;
    s->port_window = cfg->port_window_sec;
    s->pe_window = cfg->pe_window_sec;
    s->repeat_gap = cfg->repeat_gap_sec;
    s->visit_gap = cfg->visit_gap_sec;
    s->hkey[0] = cfg->seed[0] ^ 0x7363616e2d646573ULL;
    s->hkey[1] = cfg->seed[1] ^ 0x742d686173682121ULL;
    /* A prefix holds every source inside it, so its distinct-destination
     * count is never below theirs: with one threshold for all levels, a
     * level inside a wider one can never fire first.  So address_sweep needs
     * only the widest level, and pe_targeted (a label for the source and its
     * /64, not its whole /48) the widest level of /64 or longer.  With the
     * defaults (/128, /64, /48): /48 and /64. */
    uint8_t widest = 128, pe_level = 0;
    for (int i = 0; i < LEVELS; i++) {
        uint8_t p = cfg->scan_prefix_len[i];
        if (p < widest)
            widest = p;
        if (p >= 64 && (pe_level == 0 || p < pe_level))
            pe_level = p;
    }
    if (pe_level == 0)
        pe_level = widest;
    s->plen[0] = widest;
    s->plen[1] = pe_level;
    v6pi_table_config tc = {.capacity = cfg->scan_capacity,
                            .key_size = sizeof(skey),
                            .value_size =
                                sizeof(sval) + 2 * cfg->sweep_threshold * sizeof(uint32_t),
                            .seed = {cfg->seed[0], cfg->seed[1]},
                            /* fp[] and the times are read only below n. */
                            .zero_size = sizeof(sval)};
    v6pi_table_status st = v6pi_table_create(&tc, &s->src);
    if (st == V6PI_TABLE_OK && pe_level != widest) {
        tc.value_size = sizeof(peval);
        tc.zero_size = 0;
        st = v6pi_table_create(&tc, &s->pe);
    }
    if (st == V6PI_TABLE_OK) {
        tc.capacity = cfg->pair_capacity;
        tc.key_size = sizeof(pkey);
        tc.value_size = sizeof(pval) + cfg->port_threshold * sizeof(slot);
        tc.zero_size = sizeof(pval); /* the ports are read only below n */
        st = v6pi_table_create(&tc, &s->pairs);
    }
    if (st != V6PI_TABLE_OK) {
        *code = st == V6PI_TABLE_ENOMEM ? ENOMEM : EINVAL;
        v6pi_scan_free(s);
        return NULL;
    }
    return s;
}

void v6pi_scan_free(v6pi_scan *s)
{
    if (!s)
        return;
    v6pi_table_free(s->src);
    v6pi_table_free(s->pe);
    v6pi_table_free(s->pairs);
    free(s);
}

/* Is entry time t within `window` seconds before now?  Signed, so that an
 * event slightly out of order counts as fresh. */
static inline int fresh(uint32_t now, uint32_t t, uint32_t window)
{
    return (int32_t)(now - t) <= (int32_t)window;
}

static inline int older(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* Note value h at time now in a capped set; returns the number of distinct
 * values seen within the window (at most cap). */
static uint32_t capped_add(slot *d, uint32_t *n, uint32_t cap, uint32_t h, uint32_t now,
                           uint32_t window)
{
    uint32_t count = 0, found = 0, stale = UINT32_MAX, oldest = 0;
    for (uint32_t i = 0; i < *n; i++) {
        if (d[i].h == h) {
            d[i].t = now;
            found = 1;
        }
        if (fresh(now, d[i].t, window))
            count++;
        else if (stale == UINT32_MAX)
            stale = i;
        if (older(d[i].t, d[oldest].t))
            oldest = i;
    }
    if (found)
        return count;
    uint32_t at;
    if (*n < cap) {
        at = (*n)++;
        count++;
    } else if (stale != UINT32_MAX) {
        at = stale; /* an entry out of the window makes room */
        count++;
    } else {
        at = oldest; /* all in the window and at the cap: the count is there */
    }
    d[at].h = h;
    d[at].t = now;
    return count;
}

/* Drop the destinations that left the window (they count no more, and a new
 * destination would replace them first) and make tmin exact. */
static void sweep_expire(sval *v, uint32_t *t, uint32_t now, uint32_t window)
{
    uint32_t k = 0, tmin = now;
    for (uint32_t i = 0; i < v->n; i++) {
        if (!fresh(now, t[i], window))
            continue;
        v->fp[k] = v->fp[i];
        t[k] = t[i];
        if (older(t[i], tmin))
            tmin = t[i];
        k++;
    }
    v->n = k;
    v->tmin = tmin;
}

/* Note destination fingerprint h at time now; true when the source has
 * reached cap distinct destinations within the window. */
static int sweep_add(sval *v, uint32_t cap, uint32_t h, uint32_t now, uint32_t window)
{
    uint32_t *t = v->fp + cap;
    uint32_t n = v->n, i = 0;
    while (i < n && v->fp[i] != h)
        i++;
    if (i < n) {
        t[i] = now;
        if (older(now, v->tmin))
            v->tmin = now;
    } else {
        if (n == cap && !fresh(now, v->tmin, window)) {
            sweep_expire(v, t, now, window);
            n = v->n;
        }
        if (n < cap) {
            if (n == 0 || older(now, v->tmin))
                v->tmin = now;
            v->fp[n] = h;
            t[n] = now;
            v->n = ++n;
        } else {
            /* Full and all in the window: the oldest goes, and the next
             * oldest bounds the rest. */
            uint32_t o = 0;
            for (uint32_t j = 1; j < n; j++)
                if (older(t[j], t[o]))
                    o = j;
            v->fp[o] = h;
            t[o] = now;
            uint32_t m = now;
            for (uint32_t j = 0; j < n; j++)
                if (older(t[j], m))
                    m = t[j];
            v->tmin = m;
            return 1;
        }
    }
    if (n < cap)
        return 0;
    if (fresh(now, v->tmin, window))
        return 1;
    sweep_expire(v, t, now, window); /* the bound is stale; the times may not be */
    return v->n == cap;
}

static int is_probe(const v6p_event *ev)
{
    /* Our own hosts' connections (outbound, lateral) are not probes, and a
     * packet logged twice is one probe. */
    if (!v6p_event_has(ev, V6P_F_SRC) || !v6p_event_has(ev, V6P_F_DEST) ||
        ev->direction == V6P_DIR_OUTBOUND || ev->direction == V6P_DIR_LATERAL ||
        v6p_event_is_duplicate(ev))
        return 0;
    if (ev->protocol_version != 4 && ev->dest.s6_addr[0] == 0xff)
        return 0;
    if (!v6p_event_has(ev, V6P_F_PROTOCOL_NUMBER))
        return 1;
    switch (ev->protocol_number) {
    case IPPROTO_ICMPV6:
        return ev->protocol_version != 4 && ev->icmp_type == 128;
    case IPPROTO_ICMP:
        return ev->protocol_version == 4 && ev->icmp_type == 8;
    case IPPROTO_TCP:
        return !(ev->tcp_flags & V6P_TCP_ACK);
    default:
        return 1;
    }
}

static void mask_into(uint8_t out[16], const struct in6_addr *a, unsigned plen)
{
    memset(out, 0, 16);
    unsigned full = plen / 8;
    memcpy(out, a->s6_addr, full);
    if (plen % 8)
        out[full] = a->s6_addr[full] & (uint8_t)(0xff00 >> (plen % 8));
}

static void mark(v6p_event *ev, uint32_t bit)
{
    ev->src_behavior |= bit;
    ev->tags |= bit;
    v6p_event_mark(ev, V6P_F_SRC_BEHAVIOR);
    v6p_event_mark(ev, V6P_F_TAGS);
}

/* The event's keys: the source at the sweep level, the (source /64,
 * destination) pair. */
static void scan_keys(const v6pi_scan *s, const v6p_event *ev, skey *key, pkey *pk)
{
    int v4 = ev->protocol_version == 4;
    memset(key, 0, sizeof(*key));
    key->plen = v4 ? 128 : s->plen[0]; /* an IPv4 address is taken whole */
    mask_into(key->prefix, &ev->src, key->plen);
    mask_into(pk->src, &ev->src, v4 ? 128 : 64);
    memcpy(pk->dest, ev->dest.s6_addr, 16);
}

_Static_assert(sizeof(skey) == sizeof(((v6pi_scan_prep *)0)->key), "prep holds an skey");
_Static_assert(sizeof(pkey) == sizeof(((v6pi_scan_prep *)0)->pk), "prep holds a pkey");

void v6pi_scan_prep_event(const v6pi_scan *s, const v6p_event *ev, v6pi_scan_prep *p)
{
    p->probe = is_probe(ev);
    if (!p->probe)
        return;
    scan_keys(s, ev, (skey *)p->key, (pkey *)p->pk);
    p->h = v6pi_table_hash(s->src, p->key);
    v6pi_table_prefetch(s->src, p->h);
    p->ph = v6pi_table_hash(s->pairs, p->pk);
    v6pi_table_prefetch(s->pairs, p->ph);
    p->dh = (uint32_t)v6pi_siphash13_16(s->hkey, ev->dest.s6_addr);
}

void v6pi_scan_prefetch(const v6pi_scan *s, const v6p_event *ev, const v6pi_scan_prep *p)
{
    (void)ev;
    if (!p->probe)
        return;
    v6pi_table_prefetch_entry(s->src, p->key, p->h);
    v6pi_table_prefetch_entry(s->pairs, p->pk, p->ph);
}

void v6pi_scan_prefetch_links(const v6pi_scan *s, const v6p_event *ev, const v6pi_scan_prep *p)
{
    (void)ev;
    if (!p->probe)
        return;
    v6pi_table_prefetch_links(s->src, p->key, p->h);
    v6pi_table_prefetch_links(s->pairs, p->pk, p->ph);
}

void v6pi_scan_apply(v6pi_scan *s, v6p_event *ev)
{
    /* Both keys and hashes first, then both index lines, then both slots:
     * the misses of the two tables overlap instead of following one
     * another. */
    v6pi_scan_prep p;
    v6pi_scan_prep_event(s, ev, &p);
    v6pi_scan_prefetch(s, ev, &p);
    v6pi_scan_apply_prep(s, ev, &p);
}

/* The hashes come from p; every lookup is made here, against the tables as
 * they are now. */
void v6pi_scan_apply_prep(v6pi_scan *s, v6p_event *ev, const v6pi_scan_prep *pr)
{
    if (!pr->probe)
        return;
    uint32_t now = (uint32_t)ev->time_sec;
    int v4 = ev->protocol_version == 4;
    int pe = v6p_event_has(ev, V6P_F_DEST_PE) && ev->dest_pe;
    const void *key = pr->key, *pk = pr->pk;
    uint64_t h = pr->h, ph = pr->ph;
    uint32_t dh = pr->dh;

    sval *v = v6pi_table_put_h(s->src, key, h, NULL);
    int sweep = sweep_add(v, s->sweep_threshold, dh, now, s->sweep_window);
    if (pe) {
        v->pe_last = now;
        v->has_pe = 1;
    }
    int pe_src = v->has_pe && fresh(now, v->pe_last, s->pe_window);
    if (pe_src && s->pe && !v4) {
        /* Some source inside probed a temporary address lately: was it
         * this one's pe-level prefix? */
        skey pek;
        memset(&pek, 0, sizeof(pek));
        pek.plen = s->plen[1];
        mask_into(pek.prefix, &ev->src, pek.plen);
        peval *pv;
        if (pe) {
            pv = v6pi_table_put(s->pe, &pek, NULL);
            pv->last_pe = now;
        } else {
            pv = v6pi_table_touch(s->pe, &pek);
        }
        pe_src = pv && fresh(now, pv->last_pe, s->pe_window);
    }

    bool created;
    pval *p = v6pi_table_put_h(s->pairs, pk, ph, &created);
    if (created) {
        p->last_seen = now;
    } else if ((int32_t)(now - p->last_seen) > 0) {
        uint32_t quiet = now - p->last_seen;
        if (quiet > s->repeat_gap)
            p->repeat = 1;
        else if (quiet > s->visit_gap)
            p->repeat = 0;
        p->last_seen = now;
    }
    int ports = 0;
    if ((ev->protocol_number == IPPROTO_TCP || ev->protocol_number == IPPROTO_UDP) &&
        v6p_event_has(ev, V6P_F_DEST_PORT)) {
        uint32_t n = p->n;
        ports = capped_add(p->p, &n, s->port_threshold, ev->dest_port, now, s->port_window) >=
                s->port_threshold;
        p->n = (uint8_t)n;
    }

    if (sweep)
        mark(ev, V6P_TAG_ADDRESS_SWEEP);
    if (ports)
        mark(ev, V6P_TAG_PORT_SCAN);
    if (pe_src)
        mark(ev, V6P_TAG_PE_TARGETED);
    if (p->repeat)
        mark(ev, V6P_TAG_REPEAT_VISIT);
}

uint64_t v6pi_scan_evictions(const v6pi_scan *s)
{
    return v6pi_table_evictions(s->src) + (s->pe ? v6pi_table_evictions(s->pe) : 0);
}

uint64_t v6pi_scan_pair_evictions(const v6pi_scan *s)
{
    return v6pi_table_evictions(s->pairs);
}

size_t v6pi_scan_count(const v6pi_scan *s)
{
    return v6pi_table_count(s->src) + (s->pe ? v6pi_table_count(s->pe) : 0);
}

size_t v6pi_scan_pair_count(const v6pi_scan *s)
{
    return v6pi_table_count(s->pairs);
}

size_t v6pi_scan_memory(const v6pi_scan *s)
{
    return v6pi_table_memory(s->src) + (s->pe ? v6pi_table_memory(s->pe) : 0) +
           v6pi_table_memory(s->pairs);
}
