/* Temporary-address tracker: see ipv6probe/pe.h for what it decides and why.
 *
 * Two bounded tables (table.h): addresses (key: the 16 address bytes) and
 * /64s (key: the 8 prefix bytes).  A /64 entry doubles as the record that the
 * /64 was learned as internal; configured prefixes live in a small array. */
#include "ipv6probe/pe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ipv6probe/addr.h"
#include "table.h"

typedef struct pe_addr {
    int64_t first_out, last_out; /* as a source (active) */
    int64_t first_in, last_in;   /* as a destination (probed) */
    int64_t replaced_at;         /* a newer random IID of the /64 first sent */
    uint32_t out_count, in_count;
    uint8_t iid; /* v6p_iid_kind */
} pe_addr;

typedef struct pe_net {
    int64_t first_seen;
    int64_t last_out;     /* latest activity of any source in the /64 */
    int64_t newest_first; /* when the newest random IID first sent */
    uint64_t newest_iid;
    uint32_t random_iids; /* distinct random IIDs seen sending */
    uint32_t rotations;   /* replacements within the valid lifetime */
    uint8_t learned;      /* internal because it sent outbound traffic */
} pe_net;

typedef struct pe_prefix {
    uint8_t bytes[16];
    unsigned len;
} pe_prefix;

struct v6p_pe_tracker {
    v6p_pe_config cfg;
    v6pi_table *addrs, *nets;
    pe_prefix prefixes[V6P_PE_MAX_PREFIXES];
    unsigned nprefixes;
    uint64_t learned;
    /* /64 entries now in the table with learned set: while there are none,
     * no lookup can make an address internal by learning, and the tracker
     * skips it (an inbound flood of new sources then costs no table read). */
    uint64_t live_learned;
};

static void defaults(v6p_pe_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = sizeof(*cfg);
    cfg->max_addresses = 65536;
    cfg->max_prefixes = 8192;
    cfg->preferred_lifetime = 86400;
    cfg->valid_lifetime = 7 * 86400;
    cfg->learn_prefixes = true;
}

static void net_gone(const void *key, void *value, v6pi_table_reason why, void *arg)
{
    (void)key, (void)why;
    v6p_pe_tracker *t = arg;
    if (((const pe_net *)value)->learned)
        t->live_learned--;
}

void v6p_pe_config_init(v6p_pe_config *cfg, size_t size)
{
    v6p_pe_config d;
    defaults(&d);
    v6pi_config_init(cfg, size, &d, sizeof(d));
}

v6p_pe_tracker *v6p_pe_new(const v6p_pe_config *user, v6p_error *err)
{
    v6p_pe_config c, *cfg = &c;
    defaults(cfg);
    if (v6pi_config_take(cfg, sizeof(*cfg), user, "v6p_pe_config", err) != 0)
        return NULL;
    if (cfg->max_addresses == 0 || cfg->max_prefixes == 0 || cfg->preferred_lifetime <= 0 ||
        cfg->valid_lifetime < cfg->preferred_lifetime) {
        v6pi_error_set(err, EINVAL,
                       "v6p_pe_config: capacities must be above 0 and 0 < preferred_lifetime "
                       "<= valid_lifetime");
        return NULL;
    }
    v6p_pe_tracker *t = calloc(1, sizeof(*t));
    if (!t) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    v6pi_table_config ac = {
        .capacity = cfg->max_addresses, .key_size = 16, .value_size = sizeof(pe_addr)};
    v6pi_table_config nc = {.capacity = cfg->max_prefixes,
                            .key_size = 8,
                            .value_size = sizeof(pe_net),
                            .on_evict = net_gone,
                            .evict_arg = t};
    memcpy(ac.seed, cfg->seed, sizeof(ac.seed));
    memcpy(nc.seed, cfg->seed, sizeof(nc.seed));
    nc.seed[0] ^= 0x6e657473; /* different buckets for the two tables */
    v6pi_table_status a = v6pi_table_create(&ac, &t->addrs);
    v6pi_table_status n = a == V6PI_TABLE_OK ? v6pi_table_create(&nc, &t->nets) : a;
    if (a != V6PI_TABLE_OK || n != V6PI_TABLE_OK) {
        v6p_pe_free(t);
        if (a == V6PI_TABLE_ENOMEM || n == V6PI_TABLE_ENOMEM)
            v6pi_error_set(err, ENOMEM, "out of memory for the address tables");
        else
            v6pi_error_set(err, EINVAL, "v6p_pe_config: a capacity the tables cannot hold");
        return NULL;
    }
    return t;
}

void v6p_pe_free(v6p_pe_tracker *t)
{
    if (!t)
        return;
    v6pi_table_free(t->addrs);
    v6pi_table_free(t->nets);
    free(t);
}

/* ---- internal prefixes ---- */

int v6p_pe_add_prefix(v6p_pe_tracker *t, const struct in6_addr *prefix, unsigned len,
                      v6p_error *err)
{
    if (!t || !prefix || len > 128) {
        v6pi_error_set(err, EINVAL, "prefix length %u: not 0 to 128", len);
        return -1;
    }
    if (t->nprefixes == V6P_PE_MAX_PREFIXES) {
        v6pi_error_set(err, ENOSPC, "more than %d internal prefixes", V6P_PE_MAX_PREFIXES);
        return -1;
    }
    pe_prefix *p = &t->prefixes[t->nprefixes++];
    memset(p->bytes, 0, sizeof(p->bytes));
    memcpy(p->bytes, prefix->s6_addr, (len + 7) / 8);
    if (len % 8)
        p->bytes[len / 8] &= (uint8_t)(0xff00u >> (len % 8));
    p->len = len;
    return 0;
}

int v6p_pe_set_prefixes(v6p_pe_tracker *t, const char *const *texts, size_t n, size_t *bad,
                        v6p_error *err)
{
    if (!t || (n && !texts)) {
        v6pi_error_set(err, EINVAL, "no tracker or no prefix texts");
        return -1;
    }
    /* Built aside and copied over: a reload replaces the set as a whole,
     * and a bad text leaves the old set in force. */
    pe_prefix old[V6P_PE_MAX_PREFIXES];
    unsigned nold = t->nprefixes;
    memcpy(old, t->prefixes, sizeof(old));
    t->nprefixes = 0;
    for (size_t i = 0; i < n; i++) {
        if (v6p_pe_add_prefix_str(t, texts[i], err) != 0) {
            memcpy(t->prefixes, old, sizeof(old));
            t->nprefixes = nold;
            if (bad)
                *bad = i;
            return -1;
        }
    }
    return 0;
}

static int not_prefix(const char *text, v6p_error *err)
{
    v6pi_error_set(err, EINVAL, "%.200s: not an IPv6 prefix (address/length)", text);
    return -1;
}

int v6p_pe_add_prefix_str(v6p_pe_tracker *t, const char *text, v6p_error *err)
{
    char buf[INET6_ADDRSTRLEN + 8];
    unsigned len = 64;
    if (!t || !text) {
        v6pi_error_set(err, EINVAL, "no tracker or no prefix text");
        return -1;
    }
    size_t n = strlen(text);
    if (n >= sizeof(buf))
        return not_prefix(text, err);
    memcpy(buf, text, n + 1);
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        *slash = '\0';
        unsigned long l = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || l > 128)
            return not_prefix(text, err);
        len = (unsigned)l;
    }
    struct in6_addr a;
    if (inet_pton(AF_INET6, buf, &a) != 1)
        return not_prefix(text, err);
    return v6p_pe_add_prefix(t, &a, len, err);
}

static bool in_prefix(const pe_prefix *p, const uint8_t *a)
{
    unsigned whole = p->len / 8, rest = p->len % 8;
    if (memcmp(p->bytes, a, whole) != 0)
        return false;
    return rest == 0 || (a[whole] & (uint8_t)(0xff00u >> rest)) == p->bytes[whole];
}

/* Only addresses that can be a host's own routable address are tracked. */
static bool trackable(v6p_block b)
{
    return b == V6P_BLOCK_GLOBAL_UNICAST || b == V6P_BLOCK_ULA || b == V6P_BLOCK_DOCUMENTATION ||
           b == V6P_BLOCK_6TO4 || b == V6P_BLOCK_SITE_LOCAL;
}

static bool configured(const v6p_pe_tracker *t, const uint8_t *a)
{
    for (unsigned i = 0; i < t->nprefixes; i++)
        if (in_prefix(&t->prefixes[i], a))
            return true;
    return false;
}

static bool internal(const v6p_pe_tracker *t, const uint8_t *a)
{
    if (configured(t, a))
        return true;
    if (!t->live_learned)
        return false;
    const pe_net *net = v6pi_table_get(t->nets, a);
    return net && net->learned;
}

bool v6p_pe_is_internal(const v6p_pe_tracker *t, const struct in6_addr *addr)
{
    return t && addr && internal(t, addr->s6_addr);
}

/* ---- sightings ---- */

static uint64_t iid_of(const uint8_t *a)
{
    uint64_t v = 0;
    for (int i = 8; i < 16; i++)
        v = v << 8 | a[i];
    return v;
}

/* A random IID sent for the first time: it replaces the /64's newest. */
static void new_random(v6p_pe_tracker *t, pe_net *net, const uint8_t *a, int64_t now)
{
    uint64_t iid = iid_of(a);
    if (net->random_iids > 0 && net->newest_iid != iid) {
        uint8_t prev[16];
        memcpy(prev, a, 8);
        for (int i = 0; i < 8; i++)
            prev[8 + i] = (uint8_t)(net->newest_iid >> (56 - 8 * i));
        pe_addr *old = v6pi_table_get(t->addrs, prev);
        if (old && old->replaced_at == 0)
            old->replaced_at = now;
        if (now - net->newest_first <= t->cfg.valid_lifetime)
            net->rotations++;
    }
    net->newest_iid = iid;
    net->newest_first = now;
    net->random_iids++;
}

static pe_addr *sighting(v6p_pe_tracker *t, const uint8_t *a, v6p_iid_kind kind)
{
    bool created;
    pe_addr *r = v6pi_table_put(t->addrs, a, &created);
    if (created)
        r->iid = (uint8_t)kind;
    return r;
}

static void active(v6p_pe_tracker *t, const uint8_t *a, v6p_iid_kind kind, int64_t now, bool learn)
{
    bool created;
    pe_net *net = v6pi_table_put(t->nets, a, &created);
    if (created)
        net->first_seen = now;
    if (learn && !net->learned) {
        net->learned = 1;
        t->learned++;
        t->live_learned++;
    }
    if (now > net->last_out)
        net->last_out = now;
    pe_addr *r = sighting(t, a, kind);
    if (r->out_count++ == 0) {
        r->first_out = r->last_out = now;
        if (kind == V6P_IID_RANDOMIZED)
            new_random(t, net, a, now);
        return;
    }
    if (now < r->first_out)
        r->first_out = now;
    if (now > r->last_out)
        r->last_out = now;
}

static void probed(v6p_pe_tracker *t, const uint8_t *a, v6p_iid_kind kind, int64_t now)
{
    pe_addr *r = sighting(t, a, kind);
    if (r->in_count++ == 0) {
        r->first_in = r->last_in = now;
        return;
    }
    if (now < r->first_in)
        r->first_in = now;
    if (now > r->last_in)
        r->last_in = now;
}

int v6p_pe_observe_active(v6p_pe_tracker *t, const struct in6_addr *addr, int64_t now)
{
    if (!t || !addr)
        return -1;
    v6p_addr_info info;
    v6p_addr_analyze(addr, &info);
    if (trackable(info.block))
        active(t, addr->s6_addr, info.iid, now, false);
    return 0;
}

/* ---- verdicts ---- */

static int64_t earliest(int64_t x, int64_t y)
{
    if (x == 0)
        return y;
    if (y == 0)
        return x;
    return x < y ? x : y;
}

/* Weigh the time evidence for a random IID.  Starting from an even 0.5 (a
 * random IID is temporary or stable opaque), replacement and /64 rotation
 * count most, a short life that ended counts some, and activity beyond the
 * preferred lifetime counts against; beyond the valid lifetime it is stable. */
static void weigh(const v6p_pe_tracker *t, const pe_addr *r, const pe_net *net, v6p_pe_verdict *v)
{
    const int64_t pref = t->cfg.preferred_lifetime;
    int64_t span = 0;
    if (r && r->out_count)
        span = r->last_out - r->first_out;
    else if (r)
        span = r->last_in - r->first_in; /* no outbound seen: probes are all we have */
    double c = 0.5;
    if (span > t->cfg.valid_lifetime) {
        v->evidence |= V6P_PE_EV_PAST_VALID;
        v->state = V6P_PE_STABLE;
        v->confidence = 0.02;
        return;
    }
    if (r && r->replaced_at && r->out_count && r->replaced_at - r->first_out <= pref + pref / 2) {
        v->evidence |= V6P_PE_EV_REPLACED;
        c += 0.3;
    }
    if (net && net->rotations >= 2) {
        v->evidence |= V6P_PE_EV_ROTATING;
        c += 0.15;
    }
    if (r && r->out_count && span <= pref && net && net->last_out - r->last_out >= pref / 4) {
        v->evidence |= V6P_PE_EV_ENDED_SHORT;
        c += 0.15;
    }
    if (span > pref) {
        v->evidence |= V6P_PE_EV_PAST_PREFERRED;
        c -= 0.25;
        /* Still opening flows a preferred lifetime after a newer random IID
         * took over: what a stable opaque address next to temporaries does. */
        if (r->replaced_at && r->last_out - r->replaced_at > pref)
            c -= 0.2;
    }
    if (c > 0.98)
        c = 0.98;
    v->confidence = c;
    v->state = c >= 0.6 ? V6P_PE_TEMPORARY : V6P_PE_UNKNOWN;
}

static void verdict(const v6p_pe_tracker *t, const uint8_t *a, v6p_iid_kind kind, int64_t now,
                    v6p_pe_verdict *v)
{
    memset(v, 0, sizeof(*v));
    if (!internal(t, a)) {
        v->state = V6P_PE_EXTERNAL;
        return;
    }
    const pe_addr *r = v6pi_table_get(t->addrs, a);
    const pe_net *net = v6pi_table_get(t->nets, a);
    if (r) {
        v->evidence |= V6P_PE_EV_SEEN;
        v->first_seen = earliest(r->first_out, r->first_in);
        v->last_active = r->last_out;
        v->age = now > v->first_seen ? now - v->first_seen : 0;
    }
    if (kind != V6P_IID_RANDOMIZED) {
        v->state = V6P_PE_STABLE;
        v->confidence = 0.02;
        return;
    }
    v->evidence |= V6P_PE_EV_RANDOM;
    weigh(t, r, net, v);
    v->temporary = v->state == V6P_PE_TEMPORARY;
}

int v6p_pe_classify(const v6p_pe_tracker *t, const struct in6_addr *addr, int64_t now,
                    v6p_pe_verdict *out)
{
    if (!t || !addr || !out)
        return -1;
    v6p_addr_info info;
    v6p_addr_analyze(addr, &info);
    if (!trackable(info.block)) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    verdict(t, addr->s6_addr, info.iid, now, out);
    return 0;
}

/* ---- the event tagger ---- */

int v6p_pe_tag(v6p_pe_tracker *t, v6p_event *ev)
{
    if (!t || !ev)
        return -1;
    const bool has_src = v6p_event_has(ev, V6P_F_SRC), has_dest = v6p_event_has(ev, V6P_F_DEST);
    if ((has_src && !v6p_event_has(ev, V6P_F_SRC_BLOCK)) ||
        (has_dest && !v6p_event_has(ev, V6P_F_DEST_BLOCK)))
        v6p_addr_tag(ev);
    if (ev->protocol_version == 4 || !v6p_event_has(ev, V6P_F_TIME))
        return 0;
    const int64_t now = ev->time_sec;
    const bool src_ok = has_src && trackable((v6p_block)ev->src_block);
    const bool dest_ok = has_dest && trackable((v6p_block)ev->dest_block);
    const uint8_t *s = ev->src.s6_addr, *d = ev->dest.s6_addr;

    /* Learning only from traffic that leaves from inside (outbound; on a
     * site-aware gateway also lateral, LAN to LAN): a spoofed inbound source
     * must not make an outside network "ours".  A repeated line of one
     * packet is no new sighting. */
    const bool dup = v6p_event_is_duplicate(ev);
    bool learn = t->cfg.learn_prefixes && !dup &&
                 (ev->direction == V6P_DIR_OUTBOUND || ev->direction == V6P_DIR_LATERAL);
    bool src_in = src_ok && (learn || internal(t, s));
    if (src_in && ev->direction != V6P_DIR_INBOUND && !dup)
        active(t, s, (v6p_iid_kind)ev->src_iid, now, learn && !configured(t, s));
    bool dest_in = dest_ok && internal(t, d);
    if (dest_in && !dup)
        probed(t, d, (v6p_iid_kind)ev->dest_iid, now);

    v6p_pe_verdict v;
    if (src_in) {
        verdict(t, s, (v6p_iid_kind)ev->src_iid, now, &v);
        ev->src_pe = v.temporary;
        v6p_event_mark(ev, V6P_F_SRC_PE);
    }
    if (dest_in) {
        verdict(t, d, (v6p_iid_kind)ev->dest_iid, now, &v);
        ev->dest_pe = v.temporary;
        ev->dest_pe_confidence = v.confidence;
        ev->dest_age = v.age;
        v6p_event_mark(ev, V6P_F_DEST_PE);
        v6p_event_mark(ev, V6P_F_DEST_PE_CONFIDENCE);
        v6p_event_mark(ev, V6P_F_DEST_AGE);
        if (v.temporary && !src_in)
            ev->tags |= V6P_TAG_PE_TARGET, v6p_event_mark(ev, V6P_F_TAGS);
    }
    return 0;
}

void v6p_pe_get_stats(const v6p_pe_tracker *t, v6p_pe_stats *user, size_t size)
{
    v6p_pe_stats st = {0}, *out = &st;
    if (!t) {
        v6pi_stats_give(user, size, &st, sizeof(st));
        return;
    }
    out->addresses = v6pi_table_count(t->addrs);
    out->max_addresses = v6pi_table_capacity(t->addrs);
    out->prefixes = v6pi_table_count(t->nets);
    out->max_prefixes = v6pi_table_capacity(t->nets);
    out->address_evictions = v6pi_table_evictions(t->addrs);
    out->prefix_evictions = v6pi_table_evictions(t->nets);
    out->learned_prefixes = t->learned;
    out->memory = sizeof(*t) + v6pi_table_memory(t->addrs) + v6pi_table_memory(t->nets);
    v6pi_stats_give(user, size, &st, sizeof(st));
}
