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
 *    v6p_scan_new) reached sweep_threshold
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
 * SumStats): each source keeps at most sweep_threshold (destination hash,
 * last time) pairs, and each pair at most port_threshold (port, last time).
 * An entry older than the window is reused first, so the count is a
 * sliding-window count, and memory per key is fixed.  Destination hashes are
 * keyed (SipHash) so nobody can pick destinations that collide. */
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

typedef struct sval {
    uint32_t last_pe;
    uint32_t has_pe;
    uint32_t n;
    uint32_t pad;
    slot d[];
} sval;

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

struct v6p_scan {
    v6p_table *level[LEVELS];
    uint8_t plen[LEVELS]; /* [0] the sweep level, [1] the pe level if different */
    int nlevels;
    v6p_table *pairs;
    uint32_t sweep_threshold, sweep_window;
    uint32_t port_threshold, port_window;
    uint32_t pe_window, repeat_gap, visit_gap;
    uint64_t hkey[2];
};

v6p_scan *v6p_scan_new(const v6p_taggers_config *cfg, int *code)
{
    v6p_scan *s = calloc(1, sizeof(*s));
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
     * defaults (/128, /64, /48) two tables remain: /48 and /64. */
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
    int nlev = 0;
    s->plen[nlev++] = widest;
    if (pe_level != widest)
        s->plen[nlev++] = pe_level;
    s->nlevels = nlev;
    v6p_table_status st = V6P_TABLE_OK;
    for (int i = 0; i < nlev && st == V6P_TABLE_OK; i++) {
        v6p_table_config tc = {.capacity = cfg->scan_capacity,
                               .key_size = sizeof(skey),
                               .value_size = sizeof(sval) + cfg->sweep_threshold * sizeof(slot),
                               .seed = {cfg->seed[0], cfg->seed[1]}};
        if (i > 0) /* the pe level keeps no destinations */
            tc.value_size = sizeof(sval);
        st = v6p_table_create(&tc, &s->level[i]);
    }
    if (st == V6P_TABLE_OK) {
        v6p_table_config tc = {.capacity = cfg->pair_capacity,
                               .key_size = sizeof(pkey),
                               .value_size = sizeof(pval) + cfg->port_threshold * sizeof(slot),
                               .seed = {cfg->seed[0], cfg->seed[1]}};
        st = v6p_table_create(&tc, &s->pairs);
    }
    if (st != V6P_TABLE_OK) {
        *code = st == V6P_TABLE_ENOMEM ? ENOMEM : EINVAL;
        v6p_scan_free(s);
        return NULL;
    }
    return s;
}

void v6p_scan_free(v6p_scan *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nlevels; i++)
        v6p_table_free(s->level[i]);
    v6p_table_free(s->pairs);
    free(s);
}

/* Is entry time t within `window` seconds before now?  Signed, so that an
 * event slightly out of order counts as fresh. */
static inline int fresh(uint32_t now, uint32_t t, uint32_t window)
{
    return (int32_t)(now - t) <= (int32_t)window;
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
        if ((int32_t)(d[i].t - d[oldest].t) < 0)
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

static int is_probe(const v6p_event *ev)
{
    if (!v6p_event_has(ev, V6P_F_SRC) || !v6p_event_has(ev, V6P_F_DEST) ||
        ev->direction == V6P_DIR_OUTBOUND)
        return 0;
    if (ev->protocol_version != 4 && ev->dest.s6_addr[0] == 0xff)
        return 0;
    if (!v6p_event_has(ev, V6P_F_PROTOCOL_NUMBER))
        return 1;
    switch (ev->protocol_number) {
    case 58:
        return ev->protocol_version != 4 && ev->icmp_type == 128;
    case 1:
        return ev->protocol_version == 4 && ev->icmp_type == 8;
    case 6:
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

void v6p_scan_apply(v6p_scan *s, v6p_event *ev)
{
    if (!is_probe(ev))
        return;
    uint32_t now = (uint32_t)ev->time_sec;
    int v4 = ev->protocol_version == 4;
    int pe = v6p_event_has(ev, V6P_F_DEST_PE) && ev->dest_pe;
    uint32_t dh = (uint32_t)v6p_siphash13(s->hkey, ev->dest.s6_addr, 16);
    int sweep = 0, pe_src = 0;

    /* Every key and hash first, then the index lines of all the tables, then
     * their slots: the misses of the three tables overlap instead of
     * following one another. */
    int nlev = v4 ? 1 : s->nlevels; /* one level is enough for a whole IPv4 address */
    skey keys[LEVELS];
    uint64_t hs[LEVELS];
    for (int i = 0; i < nlev; i++) {
        unsigned plen = v4 ? 128 : s->plen[i];
        memset(&keys[i], 0, sizeof(keys[i]));
        keys[i].plen = (uint8_t)plen;
        mask_into(keys[i].prefix, &ev->src, plen);
        hs[i] = v6p_table_hash(s->level[i], &keys[i]);
        v6p_table_prefetch(s->level[i], hs[i]);
    }
    pkey pk;
    mask_into(pk.src, &ev->src, v4 ? 128 : 64);
    memcpy(pk.dest, ev->dest.s6_addr, 16);
    uint64_t ph = v6p_table_hash(s->pairs, &pk);
    v6p_table_prefetch(s->pairs, ph);
    for (int i = 0; i < nlev; i++)
        v6p_table_prefetch_entry(s->level[i], &keys[i], hs[i]);
    v6p_table_prefetch_entry(s->pairs, &pk, ph);

    for (int i = 0; i < nlev; i++) {
        sval *v = v6p_table_put_h(s->level[i], &keys[i], hs[i], NULL);
        if (i == 0 && capped_add(v->d, &v->n, s->sweep_threshold, dh, now, s->sweep_window) >=
                          s->sweep_threshold)
            sweep = 1;
        if (i == s->nlevels - 1 || v4) {
            if (pe) {
                v->last_pe = now;
                v->has_pe = 1;
            }
            if (v->has_pe && fresh(now, v->last_pe, s->pe_window))
                pe_src = 1;
        }
    }

    bool created;
    pval *p = v6p_table_put_h(s->pairs, &pk, ph, &created);
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
    if ((ev->protocol_number == 6 || ev->protocol_number == 17) &&
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

uint64_t v6p_scan_evictions(const v6p_scan *s)
{
    uint64_t n = 0;
    for (int i = 0; i < s->nlevels; i++)
        n += v6p_table_evictions(s->level[i]);
    return n;
}

uint64_t v6p_scan_pair_evictions(const v6p_scan *s)
{
    return v6p_table_evictions(s->pairs);
}

size_t v6p_scan_count(const v6p_scan *s)
{
    size_t n = 0;
    for (int i = 0; i < s->nlevels; i++)
        n += v6p_table_count(s->level[i]);
    return n;
}

size_t v6p_scan_pair_count(const v6p_scan *s)
{
    return v6p_table_count(s->pairs);
}

size_t v6p_scan_memory(const v6p_scan *s)
{
    size_t n = v6p_table_memory(s->pairs);
    for (int i = 0; i < s->nlevels; i++)
        n += v6p_table_memory(s->level[i]);
    return n;
}
