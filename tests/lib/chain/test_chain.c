/* The tagging chain: real ip6tables LOG lines parsed and tagged by
 * v6p_chain, checked for the order its parts must run in. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ipv6probe/chain.h"
#include "ipv6probe/ipv6probe.h"

#define BASE 1795000000 /* a fixed day; RFC 3339 stamps, so no year is guessed */

static v6p_parser *parser;

/* "2001:db8::1" -> every group in full, as the kernel prints them. */
static const char *full(const char *text, char *buf)
{
    struct in6_addr a;
    assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
    char *o = buf;
    for (int i = 0; i < 16; i += 2)
        o += sprintf(o, "%s%02x%02x", i ? ":" : "", a.s6_addr[i], a.s6_addr[i + 1]);
    return buf;
}

/* One LOG line: `where` is "IN=eth0 OUT=" and the like, `proto` the
 * protocol part. */
static void line(char *out, size_t cap, int64_t t, const char *prefix, const char *where,
                 const char *src, const char *dst, int hop, const char *proto)
{
    char s[64], d[64], stamp[32];
    time_t tt = (time_t)t;
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&tt));
    snprintf(out, cap, "%s gw1 kernel: %s %s SRC=%s DST=%s LEN=80 TC=0 HOPLIMIT=%d FLOWLBL=0 %s",
             stamp, prefix, where, full(src, s), full(dst, d), hop, proto);
}

/* Parse and tag one line; the event is returned for the checks. */
static v6p_event tag(v6p_chain *c, const char *text)
{
    v6p_event ev;
    v6p_result res;
    assert_int_equal(v6p_parse(parser, text, strlen(text), BASE, 0, &ev, &res), V6P_OK);
    v6p_chain_apply(c, &ev);
    return ev;
}

static v6p_chain *chain(int dedupe)
{
    v6p_chain_config cfg;
    v6p_chain_config_init(&cfg, sizeof(cfg));
    cfg.dedupe_off = !dedupe;
    v6p_error err;
    v6p_chain *c = v6p_chain_new(&cfg, &err);
    assert_non_null(c);
    return c;
}

static v6p_chain_stats stats(const v6p_chain *c)
{
    v6p_chain_stats st;
    v6p_chain_get_stats(c, &st, sizeof(st));
    return st;
}

typedef struct sink {
    int n;
    char type[32][32];
    char json[32][2048];
} sink;

static void collect(void *ud, const char *sourcetype, const char *json, size_t len, int64_t t)
{
    (void)t;
    sink *s = ud;
    assert_true(s->n < 32);
    assert_int_equal(strlen(json), len);
    snprintf(s->type[s->n], sizeof(s->type[0]), "%s", sourcetype);
    snprintf(s->json[s->n], sizeof(s->json[0]), "%s", json);
    s->n++;
}

/* A path finder's echo ladder, hop limits 1..5, to `dst`; each probe logged
 * by two rules (an audit rule and the drop rule) when `twice`. */
static void ladder(v6p_chain *c, const char *dst, int64_t t0, int twice, int id)
{
    char text[512], proto[96];
    for (int hop = 1; hop <= 5; hop++) {
        snprintf(proto, sizeof(proto), "PROTO=ICMPv6 TYPE=128 CODE=0 ID=%d SEQ=%d", id, hop);
        line(text, sizeof(text), t0 + hop, "IN-AUDIT:", "IN=eth0 OUT=", "3fff:900::66", dst, hop,
             proto);
        tag(c, text);
        if (twice) {
            memcpy(text + strlen("2026-11-17T00:00:00+00:00 gw1 kernel: "), "IN-BLOCK:", 9);
            tag(c, text);
        }
    }
}

static int json_int(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *p = strstr(json, k);
    assert_non_null(p);
    return atoi(p + strlen(k));
}

/* A packet logged by two rules is one probe: the ladder counts five probes
 * on five rungs, not ten, and the duplicates are counted as such.  Without
 * duplicate detection the same lines give two probes a rung. */
static void duplicate_not_counted(void **state)
{
    (void)state;
    for (int dedupe = 1; dedupe >= 0; dedupe--) {
        v6p_chain *c = chain(dedupe);
        ladder(c, "2001:db8:1:1::10", BASE, 1, 7);
        v6p_chain_flush(c);
        sink s = {0};
        assert_int_equal(v6p_chain_drain(c, collect, &s), 1);
        assert_string_equal(s.type[0], "ipv6probe:ladder");
        assert_int_equal(json_int(s.json[0], "rungs"), 5);
        assert_int_equal(json_int(s.json[0], "probes"), dedupe ? 5 : 10);
        assert_non_null(
            strstr(s.json[0], dedupe ? "\"repeats\":[1,1,1,1,1]" : "\"repeats\":[2,2,2,2,2]"));
        v6p_chain_stats st = stats(c);
        assert_int_equal(st.duplicates, dedupe ? 5 : 0);
        assert_int_equal(st.events, 10);
        v6p_chain_free(c);
    }
}

/* The harvest correlator counts contacts: a contact logged twice is one.
 * The PE tracker learns the /64 from the first (outbound) line. */
static void duplicate_not_seen_by_harvest(void **state)
{
    (void)state;
    for (int dedupe = 1; dedupe >= 0; dedupe--) {
        v6p_chain *c = chain(dedupe);
        char text[512];
        for (int i = 0; i < 4; i++) {
            char proto[96];
            snprintf(proto, sizeof(proto), "PROTO=UDP SPT=%d DPT=123 LEN=56", 40000 + i);
            line(text, sizeof(text), BASE + i * 60, "OUT-AUDIT:", "IN= OUT=eth0",
                 "2001:db8:1:1:8f3a:21c4:9b7e:5d10", "3fff:100::123", 64, proto);
            tag(c, text);
            memcpy(text + strlen("2026-11-17T00:00:00+00:00 gw1 kernel: "), "OUT-ALLOW:", 10);
            tag(c, text);
        }
        v6p_chain_stats st = stats(c);
        assert_int_equal(st.harvest_contacts, dedupe ? 4 : 8);
        assert_int_equal(st.pe_learned_prefixes, 1);
        v6p_chain_free(c);
    }
}

/* On a router every packet is logged in FORWARD.  With the site described,
 * the direction is known before the PE tracker looks at the event, so it
 * learns the internal /64 from an outbound source and marks a later probe
 * of that /64 internal; without a site nothing is outbound, nothing
 * learned, and the FORWARD events are counted. */
static void site_before_pe(void **state)
{
    (void)state;
    for (int with_site = 1; with_site >= 0; with_site--) {
        v6p_chain *c = chain(1);
        if (with_site) {
            v6p_error err;
            v6p_site *site = v6p_site_new(&err);
            assert_non_null(site);
            assert_int_equal(v6p_site_add_interface(site, "lan0", &err), 0);
            v6p_chain_set_site(c, site);
        }
        char text[512];
        line(text, sizeof(text), BASE, "FWD-ALLOW:", "IN=lan0 OUT=wan0",
             "2001:db8:1:1:8f3a:21c4:9b7e:5d10", "3fff:100::123", 64,
             "PROTO=UDP SPT=40000 DPT=123 LEN=56");
        v6p_event out = tag(c, text);
        assert_int_equal(out.direction, with_site ? V6P_DIR_OUTBOUND : V6P_DIR_FORWARD);
        line(text, sizeof(text), BASE + 60, "FWD-DROP:", "IN=wan0 OUT=lan0", "3fff:900::66",
             "2001:db8:1:1:8f3a:21c4:9b7e:5d10", 50,
             "PROTO=TCP SPT=44444 DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0");
        v6p_event in = tag(c, text);
        assert_int_equal(v6p_event_has(&in, V6P_F_DEST_PE), with_site);
        v6p_chain_stats st = stats(c);
        assert_int_equal(st.pe_learned_prefixes, with_site ? 1 : 0);
        assert_int_equal(st.direction_forward, with_site ? 0 : 2);
        v6p_chain_free(c);
    }
}

/* A host rotates temporary addresses daily; each talks to an NTP server;
 * days later a scanner probes them (one suspect record each) and a path
 * finder climbs a ladder.  drain hands the ladder summary first, then the
 * suspects oldest first, each a complete JSON object. */
static void records_in_order(void **state)
{
    (void)state;
    v6p_chain *c = chain(1);
    const char *prefixes[] = {"2001:db8:1:1::/64"};
    v6p_error err;
    assert_int_equal(v6p_chain_set_prefixes(c, prefixes, 1, &err), 0);
    const char *bad[] = {"2001:db8:1:1::/64", "not-a-prefix"};
    assert_int_equal(v6p_chain_set_prefixes(c, bad, 2, &err), -1);
    assert_non_null(strstr(err.message, "\"not-a-prefix\""));
    char text[512], addr[64], proto[96];
    const char *iids[] = {"8f3a:21c4:9b7e:5d10", "9d4e:07b3:c2a1:58f6", "3a7c:e912:4b05:d6f8",
                          "c85f:1e3a:9072:b4d1", "6b21:f0c9:a37e:2d54", "e4a8:5d17:3bc6:0f92"};
    /* A new temporary address each day, active eight hours. */
    for (int day = 0; day < 6; day++) {
        snprintf(addr, sizeof(addr), "2001:db8:1:1:%s", iids[day]);
        for (int h = 0; h < 8; h++) {
            snprintf(proto, sizeof(proto), "PROTO=UDP SPT=%d DPT=123 LEN=56", 40000 + h);
            line(text, sizeof(text), BASE + day * 86400 + h * 3600, "OUT-ALLOW:", "IN= OUT=eth0",
                 addr, "3fff:100::123", 64, proto);
            tag(c, text);
        }
    }
    int64_t probe_t = BASE + 8 * 86400;
    for (int day = 0; day < 3; day++) {
        snprintf(addr, sizeof(addr), "2001:db8:1:1:%s", iids[day]);
        line(text, sizeof(text), probe_t + day * 10, "IN-DROP:", "IN=eth0 OUT=", "3fff:900::66",
             addr, 50, "PROTO=TCP SPT=44444 DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0");
        v6p_event ev = tag(c, text);
        /* The tracker ran before the correlator: the probed address is
         * internal and temporary. */
        assert_true(v6p_event_has(&ev, V6P_F_DEST_PE) && ev.dest_pe);
    }
    ladder(c, "2001:db8:1:1::10", probe_t + 100, 0, 9);
    v6p_chain_flush(c);
    sink s = {0};
    size_t n = v6p_chain_drain(c, collect, &s);
    assert_int_equal(n, 1 + 3);
    assert_string_equal(s.type[0], "ipv6probe:ladder");
    int64_t last = 0;
    for (int i = 1; i < 4; i++) {
        assert_string_equal(s.type[i], "ipv6probe:suspect");
        int64_t fp = json_int(s.json[i], "first_probe");
        assert_true(fp > last);
        last = fp;
        assert_int_equal(json_int(s.json[i], "probed_targets"), i);
        assert_non_null(strstr(s.json[i], "\"suspect\":\"3fff:100::123\""));
        assert_int_equal(s.json[i][strlen(s.json[i]) - 1], '}');
    }
    /* The record as the schema has it, key for key (the id is a hash). */
    unsigned long long id = 0;
    assert_int_equal(sscanf(s.json[0], "{\"schema\":1,\"kind\":\"probe\",\"ladder_id\":%llu", &id),
                     1);
    char want[1024];
    snprintf(want, sizeof(want),
             "{\"schema\":1,\"kind\":\"probe\",\"ladder_id\":%llu,\"src\":\"3fff:900::66\","
             "\"src_prefix\":\"3fff:900::/64\",\"dest\":\"2001:db8:1:1::10\","
             "\"transport\":\"icmpv6\",\"first_time\":1795691301.000000,"
             "\"last_time\":1795691305.000000,\"duration\":4.000000,\"max_gap\":1.000000,"
             "\"rungs\":5,\"probes\":5,\"min_hop_limit\":1,\"max_hop_limit\":5,"
             "\"missing_rungs\":0,\"repeats\":[1,1,1,1,1],\"end\":\"flush\"}",
             id);
    assert_string_equal(s.json[0], want);
    assert_int_equal(v6p_chain_drain(c, collect, &s), 0);
    v6p_chain_stats st = stats(c);
    assert_int_equal(st.harvest_suspects, 3);
    assert_int_equal(st.ladders, 1);
    assert_true(st.memory_bytes > 0);
    v6p_chain_free(c);
}

/* Seeded, so that two chains hash alike (packet_id comes from the seed). */
static v6p_chain *seeded_chain(void)
{
    v6p_dedupe_config dc;
    v6p_dedupe_config_init(&dc, sizeof(dc));
    dc.seed[0] = 11;
    v6p_taggers_config tc;
    v6p_taggers_config_init(&tc, sizeof(tc));
    tc.seed[0] = 12;
    v6p_chain_config cfg;
    v6p_chain_config_init(&cfg, sizeof(cfg));
    cfg.dedupe = &dc;
    cfg.taggers = &tc;
    v6p_error err;
    v6p_chain *c = v6p_chain_new(&cfg, &err);
    assert_non_null(c);
    const char *prefixes[] = {"2001:db8:1:1::/64"};
    assert_int_equal(v6p_chain_set_prefixes(c, prefixes, 1, &err), 0);
    return c;
}

#define MIX 700

/* Contacts from rotating temporary addresses, probes of them, a ladder
 * logged twice a probe, a sweep: every part of the chain has work. */
static int mixed_lines(char (*out)[384])
{
    static const char *iids[] = {"8f3a:21c4:9b7e:5d10", "9d4e:07b3:c2a1:58f6",
                                 "3a7c:e912:4b05:d6f8", "c85f:1e3a:9072:b4d1",
                                 "6b21:f0c9:a37e:2d54", "e4a8:5d17:3bc6:0f92"};
    int n = 0;
    char addr[64], proto[96], dst[64];
    for (int day = 0; day < 6; day++) {
        snprintf(addr, sizeof(addr), "2001:db8:1:1:%s", iids[day]);
        for (int h = 0; h < 8; h++) {
            snprintf(proto, sizeof(proto), "PROTO=UDP SPT=%d DPT=123 LEN=56", 40000 + h);
            line(out[n++], 384, BASE + day * 86400 + h * 3600, "OUT-ALLOW:", "IN= OUT=eth0", addr,
                 "3fff:100::123", 64, proto);
        }
    }
    int64_t t = BASE + 8 * 86400;
    for (int day = 0; day < 3; day++) {
        snprintf(addr, sizeof(addr), "2001:db8:1:1:%s", iids[day]);
        line(out[n++], 384, t + day, "IN-BLOCK:", "IN=eth0 OUT=", "3fff:900::66", addr, 50,
             "PROTO=TCP SPT=44444 DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0");
    }
    /* Four ladders, each probe logged by two rules. */
    for (int d = 0; d < 4; d++)
        for (int hop = 1; hop <= 8; hop++)
            for (int twice = 0; twice < 2; twice++) {
                snprintf(dst, sizeof(dst), "2001:db8:1:1::%x", d + 1);
                snprintf(proto, sizeof(proto), "PROTO=ICMPv6 TYPE=128 CODE=0 ID=%d SEQ=%d", d, hop);
                line(out[n++], 384, t + 100 + d * 50 + hop * 2,
                     twice ? "IN-AUDIT:" : "IN-BLOCK:", "IN=eth0 OUT=", "3fff:900::66", dst, hop,
                     proto);
            }
    /* A sweep of 300 addresses. */
    for (int i = 0; i < 300; i++) {
        snprintf(dst, sizeof(dst), "2001:db8:1:2::%x", i + 1);
        line(out[n++], 384, t + 1000 + i, "IN-BLOCK:", "IN=eth0 OUT=", "3fff:901::77", dst, 55,
             "PROTO=TCP SPT=44444 DPT=80 WINDOW=64800 RES=0x00 SYN URGP=0");
    }
    return n;
}

/* Events and records, each in the order they came. */
typedef struct transcript {
    char (*text)[2048];
    int n;
    char (*rec)[2048];
    int nrec;
} transcript;

static void record(void *ud, const char *sourcetype, const char *json, size_t len, int64_t t)
{
    (void)len;
    transcript *tr = ud;
    assert_true(tr->nrec < MIX);
    snprintf(tr->rec[tr->nrec++], 2048, "%s %lld %s", sourcetype, (long long)t, json);
}

/* Every event as JSON, then every record. */
static void run_mixed(int batch, transcript *tr)
{
    static char lines[MIX][384];
    static v6p_event evs[MIX];
    int n = mixed_lines(lines);
    assert_true(n <= MIX);
    v6p_result res;
    for (int i = 0; i < n; i++)
        assert_int_equal(v6p_parse(parser, lines[i], strlen(lines[i]), BASE, 0, &evs[i], &res),
                         V6P_OK);
    v6p_chain *c = seeded_chain();
    v6p_event *ptr[MIX];
    for (int i = 0; i < n; i++)
        ptr[i] = &evs[i];
    v6p_json_writer *w = v6p_json_writer_new();
    for (int i = 0; i < n;) {
        size_t k;
        if (!batch) {
            v6p_chain_apply(c, ptr[i]);
            k = 1;
        } else {
            /* Odd sizes, and one above the limit: it says how many it took. */
            size_t want = i < 300 ? 7 : (size_t)(n - i);
            k = v6p_chain_apply_batch(c, ptr + i, want);
            assert_int_equal(k, want < V6P_CHAIN_BATCH_MAX ? want : V6P_CHAIN_BATCH_MAX);
        }
        for (size_t j = 0; j < k; j++) {
            const char *js;
            size_t jn;
            assert_int_equal(v6p_json_write_event(w, ptr[i + j], &js, &jn), 0);
            snprintf(tr->text[tr->n++], 2048, "%s", js);
        }
        i += (int)k;
        v6p_chain_drain(c, record, tr);
    }
    v6p_chain_flush(c);
    v6p_chain_drain(c, record, tr);
    v6p_json_writer_free(w);
    v6p_chain_free(c);
}

/* The batch path gives the same events, byte for byte, and the same
 * records as one event at a time. */
static void batch_same_as_single(void **state)
{
    (void)state;
    transcript one = {calloc(MIX, 2048), 0, calloc(MIX, 2048), 0};
    transcript many = {calloc(MIX, 2048), 0, calloc(MIX, 2048), 0};
    run_mixed(0, &one);
    run_mixed(1, &many);
    assert_int_equal(one.n, many.n);
    int tagged = 0;
    for (int i = 0; i < one.n; i++) {
        assert_string_equal(one.text[i], many.text[i]);
        tagged += strstr(one.text[i], "\"tags\":") != NULL;
    }
    assert_int_equal(one.nrec, many.nrec);
    for (int i = 0; i < one.nrec; i++)
        assert_string_equal(one.rec[i], many.rec[i]);
    /* The run did exercise the parts: four ladders, three suspects, tags. */
    assert_true(one.nrec >= 4 + 3);
    assert_true(tagged > 100);
    free(one.text);
    free(one.rec);
    free(many.text);
    free(many.rec);
}

/* A caller compiled against a smaller v6p_chain_stats gets only what it
 * knows, nothing written past it; a config without its size, or with
 * settings this library does not know, is refused. */
static void sizes(void **state)
{
    (void)state;
    v6p_chain *c = chain(1);
    unsigned char buf[sizeof(v6p_chain_stats) + 16];
    memset(buf, 0xa5, sizeof(buf));
    size_t small = offsetof(v6p_chain_stats, pe_prefixes);
    v6p_chain_get_stats(c, (v6p_chain_stats *)buf, small);
    for (size_t i = small; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xa5);
    v6p_chain_free(c);

    v6p_error err;
    struct {
        v6p_chain_config cfg;
        int newer;
    } big;
    v6p_chain_config_init(&big.cfg, sizeof(big));
    assert_int_equal(big.cfg.size, sizeof(big));
    assert_non_null(c = v6p_chain_new(&big.cfg, &err)); /* the newer member unset */
    v6p_chain_free(c);
    big.newer = 1;
    assert_null(v6p_chain_new(&big.cfg, &err));
    assert_int_equal(err.code, EINVAL);
    v6p_chain_config cfg;
    v6p_chain_config_init(&cfg, sizeof(cfg));
    cfg.size = 0;
    assert_null(v6p_chain_new(&cfg, &err));
    assert_int_equal(err.code, EINVAL);
}

int main(void)
{
    v6p_parser_options po;
    v6p_parser_options_init(&po, sizeof(po));
    v6p_error err;
    parser = v6p_parser_new(&po, &err);
    if (!parser)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicate_not_counted), cmocka_unit_test(duplicate_not_seen_by_harvest),
        cmocka_unit_test(site_before_pe),        cmocka_unit_test(records_in_order),
        cmocka_unit_test(batch_same_as_single),  cmocka_unit_test(sizes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    v6p_parser_free(parser);
    return rc;
}
