/* Harvester correlation (see include/ipv6probe/harvest.h for the method).
 *
 * Three bounded tables, all the shared v6pi_table:
 *   pairs     (internal address, remote /64) -> first/last contact time, and
 *             whether the pair has been counted for its remote;
 *   addresses internal address -> first probe time and a ring of the last
 *             remotes it contacted (so a first probe can find them without a
 *             scan of the pairs);
 *   remotes   remote /64 -> counters behind the score.
 * Evictions lose evidence but never grow memory; they are counted. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "ipv6probe/harvest.h"
#include "ipv6probe/json.h"
#include "error.h"
#include "table.h"

#define RING 16
#define DVC_MAX 64

enum { PAIR_UNCOUNTED = 0, PAIR_BEFORE_PROBE = 1, PAIR_NOT_BEFORE = 2 };

typedef struct pair_key {
    uint8_t internal[16];
    uint8_t remote[8];
} pair_key;

typedef struct pair_val {
    int64_t first, last;
    uint8_t counted;
} pair_val;

typedef struct addr_val {
    int64_t first_probe; /* 0 = never probed */
    uint8_t ring[RING][8];
    uint8_t ring_len, ring_head;
} addr_val;

typedef struct remote_val {
    uint32_t contacted;    /* distinct internal addresses that contacted it */
    uint32_t support;      /* ... of which probed afterwards (k) */
    uint32_t probed_other; /* ... of which probed, but not after a contact */
    int64_t first_contact; /* earliest contact that counts as support */
    uint8_t last_addr[16]; /* the remote's last full address seen */
} remote_val;

typedef struct suspect_rec {
    struct in6_addr suspect, prober, target;
    uint8_t prefix[8];
    uint32_t support, contacted, never_probed;
    double score;
    int64_t first_contact, first_probe;
    char dvc[DVC_MAX + 1];
} suspect_rec;

struct v6p_harvest {
    v6p_harvest_config cfg;
    v6pi_table *pairs, *addresses, *remotes;
    suspect_rec *queue;
    uint32_t q_head, q_len;
    v6p_harvest_stats st;
    yajl_gen g;
};

static void defaults(v6p_harvest_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = sizeof(*cfg);
    cfg->contact_capacity = 1u << 18;
    cfg->address_capacity = 1u << 16;
    cfg->remote_capacity = 1u << 16;
    cfg->lookback_sec = 14 * 86400;
    cfg->summary_queue = 1024;
}

void v6p_harvest_config_init(v6p_harvest_config *cfg, size_t size)
{
    v6p_harvest_config def;
    defaults(&def);
    v6pi_config_init(cfg, size, &def, sizeof(def));
}

static v6pi_table *make_table(size_t cap, size_t ks, size_t vs, const uint64_t seed[2], int *bad)
{
    v6pi_table_config tc;
    memset(&tc, 0, sizeof(tc));
    tc.capacity = cap;
    tc.key_size = ks;
    tc.value_size = vs;
    tc.seed[0] = seed[0];
    tc.seed[1] = seed[1];
    v6pi_table *t = NULL;
    if (v6pi_table_create(&tc, &t) != V6PI_TABLE_OK)
        *bad = 1;
    return t;
}

v6p_harvest *v6p_harvest_new(const v6p_harvest_config *cfg, v6p_error *err)
{
    v6p_harvest_config c;
    defaults(&c);
    if (v6pi_config_take(&c, sizeof(c), cfg, "v6p_harvest_config", err) != 0)
        return NULL;
    if (!c.contact_capacity || !c.address_capacity || !c.remote_capacity || !c.summary_queue) {
        v6pi_error_set(err, EINVAL, "harvest: every capacity must be at least 1");
        return NULL;
    }
    v6p_harvest *h = calloc(1, sizeof(*h));
    if (!h) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    h->cfg = c;
    int bad = 0;
    h->pairs = make_table(c.contact_capacity, sizeof(pair_key), sizeof(pair_val), c.seed, &bad);
    h->addresses = make_table(c.address_capacity, 16, sizeof(addr_val), c.seed, &bad);
    h->remotes = make_table(c.remote_capacity, 8, sizeof(remote_val), c.seed, &bad);
    h->queue = calloc(c.summary_queue, sizeof(suspect_rec));
    h->g = yajl_gen_alloc(NULL);
    if (bad || !h->queue || !h->g) {
        v6p_harvest_free(h);
        v6pi_error_set(err, ENOMEM, "harvest: cannot allocate its tables");
        return NULL;
    }
    yajl_gen_config(h->g, yajl_gen_validate_utf8, 0);
    return h;
}

void v6p_harvest_free(v6p_harvest *h)
{
    if (!h)
        return;
    v6pi_table_free(h->pairs);
    v6pi_table_free(h->addresses);
    v6pi_table_free(h->remotes);
    free(h->queue);
    if (h->g)
        yajl_gen_free(h->g);
    free(h);
}

static double score_of(uint32_t k, uint32_t m)
{
    return (double)k / ((double)k + (double)m + 1.0) * log2(1.0 + (double)k);
}

static uint32_t never_probed(const remote_val *r)
{
    uint32_t probed = r->support + r->probed_other;
    return r->contacted > probed ? r->contacted - probed : 0;
}

static void remember_remote(addr_val *a, const uint8_t remote[8])
{
    for (unsigned i = 0; i < a->ring_len; i++)
        if (memcmp(a->ring[(a->ring_head + i) % RING], remote, 8) == 0)
            return;
    unsigned slot = (a->ring_head + a->ring_len) % RING;
    if (a->ring_len < RING)
        a->ring_len++;
    else
        a->ring_head = (uint8_t)((a->ring_head + 1) % RING); /* forget the oldest */
    memcpy(a->ring[slot], remote, 8);
}

static void contact(v6p_harvest *h, const struct in6_addr *internal, const struct in6_addr *remote,
                    int64_t t)
{
    pair_key pk;
    memcpy(pk.internal, internal->s6_addr, 16);
    memcpy(pk.remote, remote->s6_addr, 8);
    bool created;
    pair_val *pv = v6pi_table_put(h->pairs, &pk, &created);
    if (created)
        pv->first = t;
    pv->last = t;
    remote_val *rv = v6pi_table_put(h->remotes, pk.remote, NULL);
    memcpy(rv->last_addr, remote->s6_addr, 16);
    addr_val *av = v6pi_table_put(h->addresses, pk.internal, NULL);
    remember_remote(av, pk.remote);
    if (created) {
        rv->contacted++;
        /* A contact after the address was already probed cannot have leaked
         * it to the prober: it counts as neither support nor noise. */
        if (av->first_probe && av->first_probe <= t) {
            pv->counted = PAIR_NOT_BEFORE;
            rv->probed_other++;
        }
    }
}

static void queue_suspect(v6p_harvest *h, const remote_val *rv, const uint8_t prefix[8],
                          const v6p_event *ev, int64_t t)
{
    if (h->q_len == h->cfg.summary_queue) {
        h->st.records_dropped++;
        return;
    }
    suspect_rec *s = &h->queue[(h->q_head + h->q_len) % h->cfg.summary_queue];
    h->q_len++;
    memset(s, 0, sizeof(*s));
    memcpy(s->suspect.s6_addr, rv->last_addr, 16);
    memcpy(s->prefix, prefix, 8);
    s->prober = ev->src;
    s->target = ev->dest;
    s->support = rv->support;
    s->contacted = rv->contacted;
    s->never_probed = never_probed(rv);
    s->score = score_of(s->support, s->never_probed);
    s->first_contact = rv->first_contact;
    s->first_probe = t;
    if (v6p_event_has(ev, V6P_F_DVC)) {
        size_t n = ev->dvc.len < DVC_MAX ? ev->dvc.len : DVC_MAX;
        memcpy(s->dvc, ev->dvc.ptr, n);
    }
    h->st.suspects_emitted++;
}

/* The first probe of a temporary address: every remote it contacted within
 * the look-back before now gains a witness. */
static void first_probe(v6p_harvest *h, addr_val *av, const v6p_event *ev, int64_t t)
{
    pair_key pk;
    memcpy(pk.internal, ev->dest.s6_addr, 16);
    for (unsigned i = 0; i < av->ring_len; i++) {
        memcpy(pk.remote, av->ring[(av->ring_head + i) % RING], 8);
        pair_val *pv = v6pi_table_get(h->pairs, &pk);
        remote_val *rv = v6pi_table_get(h->remotes, pk.remote);
        if (!pv || !rv || pv->counted != PAIR_UNCOUNTED)
            continue; /* evicted since, or already counted */
        if (pv->first < t && t - pv->first <= (int64_t)h->cfg.lookback_sec) {
            pv->counted = PAIR_BEFORE_PROBE;
            rv->support++;
            if (!rv->first_contact || pv->first < rv->first_contact)
                rv->first_contact = pv->first;
            queue_suspect(h, rv, pk.remote, ev, t);
        } else {
            pv->counted = PAIR_NOT_BEFORE;
            rv->probed_other++;
        }
    }
}

int v6p_harvest_observe(v6p_harvest *h, const v6p_event *ev)
{
    if (!v6p_event_has(ev, V6P_F_SRC) || !v6p_event_has(ev, V6P_F_DEST) ||
        ev->protocol_version != 6 || !v6p_event_has(ev, V6P_F_TIME) || v6p_event_is_duplicate(ev))
        return 0;
    int src_internal = v6p_event_has(ev, V6P_F_SRC_PE);
    int dest_internal = v6p_event_has(ev, V6P_F_DEST_PE);
    int64_t t = ev->time_sec;
    if (src_internal && !dest_internal) {
        h->st.contacts++;
        contact(h, &ev->src, &ev->dest, t);
        return 1;
    }
    if (dest_internal && !src_internal && ev->dest_pe) {
        h->st.probes++;
        bool created;
        addr_val *av = v6pi_table_put(h->addresses, ev->dest.s6_addr, &created);
        if (av->first_probe == 0 || t < av->first_probe) {
            int was_probed = av->first_probe != 0;
            av->first_probe = t;
            if (!was_probed) {
                h->st.first_probes++;
                first_probe(h, av, ev, t);
            }
        }
        return 1;
    }
    return 0;
}

static void gen_key(yajl_gen g, const char *k)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

static void gen_addr(yajl_gen g, const char *k, const struct in6_addr *a)
{
    char buf[INET6_ADDRSTRLEN];
    size_t n = v6p_addr_format(a, 0, buf);
    gen_key(g, k);
    yajl_gen_string(g, (const unsigned char *)buf, n);
}

static void gen_num(yajl_gen g, const char *k, long long v)
{
    gen_key(g, k);
    yajl_gen_integer(g, v);
}

static void write_suspect(yajl_gen g, const suspect_rec *s)
{
    char buf[64];
    struct in6_addr prefix;
    memset(&prefix, 0, sizeof(prefix));
    memcpy(prefix.s6_addr, s->prefix, 8);
    yajl_gen_map_open(g);
    gen_num(g, "schema", 1);
    gen_num(g, "time", s->first_probe);
    if (s->dvc[0]) {
        /* dvc is bytes from a log line: quoted by the project's one string
         * encoder, which makes invalid UTF-8 valid (yajl would copy it or
         * refuse it); yajl_gen_number appends that text as it is. */
        char q[V6P_JSON_QUOTE_MAX(DVC_MAX)];
        gen_key(g, "dvc");
        yajl_gen_number(g, q, v6p_json_quote(q, s->dvc, strlen(s->dvc), NULL));
    }
    gen_addr(g, "suspect", &s->suspect);
    size_t n = v6p_addr_format(&prefix, 0, buf);
    snprintf(buf + n, sizeof(buf) - n, "/64");
    gen_key(g, "suspect_prefix");
    yajl_gen_string(g, (const unsigned char *)buf, strlen(buf));
    gen_key(g, "score");
    n = (size_t)snprintf(buf, sizeof(buf), "%.3f", s->score);
    yajl_gen_number(g, buf, n);
    gen_num(g, "probed_targets", s->support);
    gen_num(g, "contacted_targets", s->contacted);
    gen_num(g, "never_probed_contacts", s->never_probed);
    gen_num(g, "first_contact", s->first_contact);
    gen_num(g, "first_probe", s->first_probe);
    gen_addr(g, "target", &s->target);
    gen_addr(g, "prober", &s->prober);
    yajl_gen_map_close(g);
}

size_t v6p_harvest_drain(v6p_harvest *h, v6p_emit_fn emit, void *ud)
{
    size_t n = 0;
    while (h->q_len) {
        const suspect_rec *s = &h->queue[h->q_head];
        yajl_gen_reset(h->g, NULL);
        yajl_gen_clear(h->g);
        write_suspect(h->g, s);
        const unsigned char *buf;
        size_t len;
        yajl_gen_get_buf(h->g, &buf, &len);
        /* yajl keeps its buffer NUL-terminated. */
        emit(ud, "ipv6probe:suspect", (const char *)buf, len, s->first_probe);
        h->q_head = (h->q_head + 1) % h->cfg.summary_queue;
        h->q_len--;
        n++;
    }
    return n;
}

void v6p_harvest_get_stats(const v6p_harvest *h, v6p_harvest_stats *out, size_t size)
{
    v6p_harvest_stats s = h->st, *st = &s;
    st->contact_evictions = v6pi_table_evictions(h->pairs);
    st->address_evictions = v6pi_table_evictions(h->addresses);
    st->remote_evictions = v6pi_table_evictions(h->remotes);
    st->memory = sizeof(*h) + v6pi_table_memory(h->pairs) + v6pi_table_memory(h->addresses) +
                 v6pi_table_memory(h->remotes) + h->cfg.summary_queue * sizeof(suspect_rec);
    v6pi_stats_give(out, size, &s, sizeof(s));
}
