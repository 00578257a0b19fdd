/* Duplicate packets (see dedupe.h).  The key is the source address and a
 * keyed digest of the destination and every other identifying field, so it
 * fits the table's fixed-size keys; a digest collision between two packets
 * of one source within the window is a 2^-64 event. */
#include "ipv6probe/dedupe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "table.h"

#define ID_MASK ((UINT64_C(1) << 53) - 1)

struct v6p_dedupe {
    v6pi_table *seen;
    v6p_dedupe_config cfg;
    uint64_t idkey[2];
    uint64_t mask[V6P_FIELD_WORDS];
    uint64_t ids[V6P_FIELD_WORDS]; /* presence bits of the packet identifiers */
    uint64_t packets, duplicates;
};

/* The source exactly, and a keyed digest of the destination and every other
 * field: a 24-byte key hashes and compares faster than one with both
 * addresses, and without the secret nobody can aim two packets from one
 * source at one digest. */
typedef struct dd_key {
    uint8_t src[16];
    uint64_t digest;
} dd_key;

typedef struct dd_value {
    int64_t first_us; /* time of the first line, microseconds */
    uint64_t packet_id;
    uint64_t rule;         /* fingerprint of the first line's rule, for lines without ids */
    uint8_t whole_seconds; /* the first line's stamp had no fraction */
} dd_value;

/* Everything but the source that tells one packet from another, packed
 * into words (the destination goes into the digest beside them); presence
 * bits too, so an absent field never equals a zero one.  An ICMPv6 error carries no id of its own:
 * the packet it quotes (ports, ICMP id and sequence, hop limit) tells two Time Exceeded messages
 * for two probes apart. */
static const v6p_field key_fields[] = {
    V6P_F_PROTOCOL_NUMBER, V6P_F_HOP_LIMIT,     V6P_F_FLOW_LABEL,     V6P_F_BYTES,
    V6P_F_SRC_PORT,        V6P_F_DEST_PORT,     V6P_F_ICMP_TYPE,      V6P_F_ICMP_CODE,
    V6P_F_ICMP_ID,         V6P_F_ICMP_SEQ,      V6P_F_TCP_SEQ,        V6P_F_IP_ID,
    V6P_F_FRAG_ID,         V6P_F_FRAG_OFFSET,   V6P_F_ICMP_MTU,       V6P_F_INNER_SRC_PORT,
    V6P_F_INNER_DEST_PORT, V6P_F_INNER_ICMP_ID, V6P_F_INNER_ICMP_SEQ, V6P_F_INNER_HOP_LIMIT,
    V6P_F_INNER_DEST};

/* The presence bits of the key fields, as masks over the event's bitmap
 * (computed once), so that an absent field never equals a zero one. */
static void key_masks(uint64_t mask[V6P_FIELD_WORDS])
{
    memset(mask, 0, sizeof(uint64_t) * V6P_FIELD_WORDS);
    for (size_t i = 0; i < sizeof(key_fields) / sizeof(key_fields[0]); i++)
        mask[key_fields[i] / 64] |= (uint64_t)1 << (key_fields[i] % 64);
}

static void pack_fields(const v6p_dedupe *d, const v6p_event *ev, uint64_t w[8])
{
    uint64_t present = 0;
    for (size_t i = 0; i < V6P_FIELD_WORDS; i++)
        present ^= (ev->present[i] & d->mask[i]) * (2 * i + 1);
    w[0] = present;
    w[1] = (uint64_t)ev->flow_label | (uint64_t)ev->bytes << 32;
    w[2] = (uint64_t)ev->src_port | (uint64_t)ev->dest_port << 16 | (uint64_t)ev->icmp_id << 32 |
           (uint64_t)ev->icmp_seq << 48;
    w[3] = (uint64_t)ev->tcp_seq | (uint64_t)ev->ip_id << 32;
    w[4] = (uint64_t)ev->frag_id | (uint64_t)ev->frag_offset << 32 |
           (uint64_t)ev->protocol_number << 48 | (uint64_t)ev->hop_limit << 56;
    w[5] = (uint64_t)ev->icmp_type | (uint64_t)ev->icmp_code << 8 |
           (uint64_t)ev->protocol_version << 16;
    /* The rest is set only on ICMP errors: skip it otherwise. */
    if (v6p_event_has(ev, V6P_F_INNER_DEST)) {
        uint64_t a, b;
        memcpy(&a, ev->inner_dest.s6_addr, 8);
        memcpy(&b, ev->inner_dest.s6_addr + 8, 8);
        w[5] ^= ((uint64_t)ev->inner_src_port << 24 | (uint64_t)ev->inner_hop_limit << 40 |
                 (uint64_t)ev->icmp_mtu) ^
                ((uint64_t)ev->inner_dest_port | (uint64_t)ev->inner_icmp_id << 16 |
                 (uint64_t)ev->inner_icmp_seq << 32) *
                    0x9e3779b97f4a7c15ull ^
                a * 0xc2b2ae3d27d4eb4full ^ b * 0x165667b19e3779f9ull;
    }
}

static void defaults(v6p_dedupe_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = sizeof(*cfg);
    /* Lines of one packet come together: a table that stays in cache is
     * enough, and much cheaper than a large one. */
    cfg->capacity = 4096;
    /* Two rules logging one packet write within microseconds; a TCP SYN is
     * first retransmitted after a second, and must stay a new packet. */
    cfg->window_ms = 500;
}

void v6p_dedupe_config_init(v6p_dedupe_config *cfg, size_t size)
{
    v6p_dedupe_config def;
    defaults(&def);
    v6pi_config_init(cfg, size, &def, sizeof(def));
}

v6p_dedupe *v6p_dedupe_new(const v6p_dedupe_config *user, v6p_error *err)
{
    v6p_dedupe_config def, *cfg = &def;
    defaults(cfg);
    if (v6pi_config_take(cfg, sizeof(*cfg), user, "v6p_dedupe_config", err) != 0)
        return NULL;
    if (cfg->capacity == 0 || cfg->capacity > V6PI_TABLE_CAPACITY_MAX || cfg->window_ms == 0 ||
        cfg->window_ms > 60000) {
        v6pi_error_set(err, EINVAL, "dedupe: capacity 1..%u and window 1..60000 ms",
                       V6PI_TABLE_CAPACITY_MAX);
        return NULL;
    }
    v6p_dedupe *d = calloc(1, sizeof(*d));
    if (!d) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    v6pi_table_config tc = {.capacity = cfg->capacity,
                            .key_size = sizeof(dd_key),
                            .value_size = sizeof(dd_value),
                            .seed = {cfg->seed[0], cfg->seed[1]}};
    if (v6pi_table_create(&tc, &d->seen) != V6PI_TABLE_OK) {
        free(d);
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    /* Ids are a keyed hash of the key and the first sighting's time, so two
     * forwarders (or restarts) do not hand out the same sequence. */
    d->idkey[0] = v6pi_table_hash(d->seen, &(dd_key){{1}, 0}) ^ cfg->seed[0];
    d->idkey[1] = v6pi_table_hash(d->seen, &(dd_key){{2}, 0}) ^ cfg->seed[1];
    key_masks(d->mask);
    static const v6p_field ids[] = {V6P_F_ICMP_ID, V6P_F_ICMP_SEQ, V6P_F_TCP_SEQ,
                                    V6P_F_IP_ID,   V6P_F_FRAG_ID,  V6P_F_INNER_ICMP_SEQ};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        d->ids[ids[i] / 64] |= (uint64_t)1 << (ids[i] % 64);
    return d;
}

void v6p_dedupe_free(v6p_dedupe *d)
{
    if (!d)
        return;
    v6pi_table_free(d->seen);
    free(d);
}

static void make_key(const v6p_dedupe *d, const v6p_event *ev, dd_key *k)
{
    uint64_t w[8];
    pack_fields(d, ev, w);
    memcpy(&w[6], ev->dest.s6_addr, 16);
    uint64_t h = d->idkey[0];
    for (int i = 0; i < 8; i++) {
        h = (h ^ w[i]) * (d->idkey[1] | 1);
        h ^= h >> 29;
    }
    memcpy(k->src, ev->src.s6_addr, 16);
    k->digest = h;
}

/* A packet's id: its key and first time, mixed with the instance's secret
 * (a finalizer, not a second SipHash: ids need to differ, not to resist). */
static uint64_t packet_id(const v6p_dedupe *d, const dd_key *k, int64_t t)
{
    uint64_t a;
    memcpy(&a, k->src + 8, 8);
    uint64_t h = (k->digest ^ a ^ d->idkey[1]) + (uint64_t)t * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 31)) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    return (h & ID_MASK) | 1; /* never 0 */
}

/* The rule text in a word: its length and first and last eight bytes (the
 * part prefixes differ in: `[UFW AUDIT]`/`[UFW BLOCK]`, `FW-IN-A`/`FW-IN-B`,
 * pf's rule numbers).  Never 0 for a rule, 0 without one. */
static uint64_t rule_print(const v6p_event *ev)
{
    if (!v6p_event_has(ev, V6P_F_RULE) || ev->rule.len == 0)
        return 0;
    uint64_t a = 0, b = 0;
    uint32_t n = ev->rule.len;
    if (n >= 8) {
        /* Two fixed-size loads, overlapping when the rule is short. */
        memcpy(&a, ev->rule.ptr, 8);
        memcpy(&b, ev->rule.ptr + n - 8, 8);
    } else {
        memcpy(&a, ev->rule.ptr, n);
    }
    return (a ^ (b * 0x9e3779b97f4a7c15ull) ^ n) | 1;
}

bool v6p_dedupe_mark(v6p_dedupe *d, v6p_event *ev)
{
    if (!d || !v6p_event_has(ev, V6P_F_SRC) || !v6p_event_has(ev, V6P_F_DEST))
        return false;
    dd_key k;
    make_key(d, ev, &k);
    int64_t now_us = ev->time_sec * 1000000 + ev->time_usec;
    bool created;
    dd_value *v = v6pi_table_put(d->seen, &k, &created);
    if (!created) {
        int64_t dt = now_us - v->first_us;
        if (dt < 0)
            dt = -dt;
        /* Stamps of whole seconds (RFC 3164) put two lines of one packet a
         * second apart when a second boundary falls between them. */
        int64_t limit = (int64_t)d->cfg.window_ms * 1000;
        if (v->whole_seconds && ev->time_usec == 0 && limit < 1000000)
            limit = 1000000;
        /* A line without identifiers that repeats the first one's rule is
         * another packet: one rule logs a packet once. */
        if (dt <= limit && !(v->rule && v->rule == rule_print(ev))) {
            ev->packet_id = ev->duplicate_of = v->packet_id;
            v6p_event_mark(ev, V6P_F_PACKET_ID);
            v6p_event_mark(ev, V6P_F_DUPLICATE_OF);
            d->duplicates++;
            return true;
        }
    }
    v->first_us = now_us;
    v->whole_seconds = ev->time_usec == 0;
    /* Lines with an identifier of their packet (ICMP id or sequence, TCP
     * sequence, IP or fragment id) need no rule to tell packets apart. */
    uint64_t with_ids = 0;
    for (size_t w = 0; w < V6P_FIELD_WORDS; w++)
        with_ids |= ev->present[w] & d->ids[w];
    v->rule = with_ids ? 0 : rule_print(ev);
    v->packet_id = packet_id(d, &k, now_us);
    ev->packet_id = v->packet_id;
    v6p_event_mark(ev, V6P_F_PACKET_ID);
    d->packets++;
    return false;
}

void v6p_dedupe_get_stats(const v6p_dedupe *d, v6p_dedupe_stats *out, size_t size)
{
    v6p_dedupe_stats s = {0}, *st = &s;
    if (d) {
        st->packets = d->packets;
        st->duplicates = d->duplicates;
        st->evictions = v6pi_table_evictions(d->seen);
        st->memory = sizeof(*d) + v6pi_table_memory(d->seen);
    }
    v6pi_stats_give(out, size, &s, sizeof(s));
}
