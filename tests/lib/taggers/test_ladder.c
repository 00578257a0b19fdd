/* Hop-limit ladder detection: what a user sees on events and in the
 * ipv6probe:ladder summaries, for ladders and for traffic that is not one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "tagtest.h"

#define P "2001:db8:1:2::42ab:e60f" /* a prober */
#define T "2001:db8:99::1"          /* our address */
#define T0 1700000000.0

static v6p_taggers *mk(void)
{
    v6p_error err = {0};
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    assert_non_null(t);
    return t;
}

/* Feed echo requests with the given hop limits at the given times; record
 * which events came out tagged. */
typedef struct fed {
    int tagged[64];
    uint64_t id[64];
    uint32_t rung[64], rungs[64], repeat[64];
    uint32_t behavior[64];
} fed;

static void feed_echo(v6p_taggers *t, const char *src, const char *dst, const int *hops,
                      const double *times, int n, fed *f)
{
    for (int i = 0; i < n; i++) {
        v6p_event ev;
        tt_echo(&ev, src, dst, times[i], hops[i]);
        assert_int_equal(v6p_taggers_apply(t, &ev), 0);
        if (!f)
            continue;
        f->tagged[i] = (ev.tags & V6P_TAG_HOP_LADDER) != 0;
        f->id[i] = v6p_event_has(&ev, V6P_F_LADDER_ID) ? ev.ladder_id : 0;
        f->rung[i] = ev.ladder_rung;
        f->rungs[i] = ev.ladder_rungs;
        f->repeat[i] = ev.ladder_repeat;
        f->behavior[i] = ev.src_behavior;
    }
}

static int count_tagged(const fed *f, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += f->tagged[i];
    return k;
}

/* The classic: pairs 1,1,2,2,...,5,5, rungs 10 s apart. */
static void pairs_climb(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int hops[10];
    double times[10];
    for (int i = 0; i < 10; i++) {
        hops[i] = i / 2 + 1;
        times[i] = T0 + (i / 2) * 10 + (i % 2) * 0.5;
    }
    fed f = {0};
    feed_echo(t, P, T, hops, times, 10, &f);
    /* Rungs 1 and 2 cannot be known yet; from the first probe of rung 3 on,
     * every probe is tagged. */
    for (int i = 0; i < 4; i++)
        assert_false(f.tagged[i]);
    for (int i = 4; i < 10; i++) {
        assert_true(f.tagged[i]);
        assert_int_equal(f.id[i], f.id[4]);
        assert_int_equal(f.rung[i], (uint32_t)hops[i]);
        assert_int_equal(f.rungs[i], (uint32_t)hops[i]);
        assert_int_equal(f.repeat[i], (uint32_t)(i % 2 + 1));
        assert_true(f.behavior[i] & V6P_TAG_HOP_LADDER);
    }
    assert_true(f.id[4] != 0 && f.id[4] < (UINT64_C(1) << 53));

    tt_records r = {0};
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 0); /* still open */
    v6p_taggers_flush(t);
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 1);
    yajl_val s = r.rec[0];
    char buf[256];
    assert_string_equal(r.sourcetype[0], "ipv6probe:ladder");
    assert_int_equal(tt_int(s, "ladder_id"), (long long)f.id[4]);
    assert_string_equal(tt_str(s, "kind"), "probe");
    assert_string_equal(tt_str(s, "src"), P);
    assert_string_equal(tt_str(s, "src_prefix"), "2001:db8:1:2::/64");
    assert_string_equal(tt_str(s, "dest"), T);
    assert_string_equal(tt_str(s, "transport"), "icmpv6");
    assert_int_equal(tt_int(s, "rungs"), 5);
    assert_int_equal(tt_int(s, "probes"), 10);
    assert_int_equal(tt_int(s, "min_hop_limit"), 1);
    assert_int_equal(tt_int(s, "max_hop_limit"), 5);
    assert_string_equal(tt_list(s, "repeats", buf, sizeof(buf)), "2,2,2,2,2");
    assert_true(tt_num(s, "first_time") == T0);
    assert_true(tt_num(s, "last_time") == T0 + 40.5);
    assert_true(tt_num(s, "max_gap") == 9.5);
    assert_string_equal(tt_str(s, "end"), "flush");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

/* Triples with the timing of a published Akamai sample (rungs 20-30 s apart
 * at first, then about 6 s). */
static void triples_akamai_timing(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    double rung_at[4] = {0, 25, 52, 58};
    int hops[12];
    double times[12];
    for (int i = 0; i < 12; i++) {
        hops[i] = i / 3 + 1;
        times[i] = T0 + rung_at[i / 3] + (i % 3) * 1.0;
    }
    fed f = {0};
    feed_echo(t, P, T, hops, times, 12, &f);
    assert_int_equal(count_tagged(&f, 12), 6);
    assert_int_equal(f.repeat[8], 3);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 1);
    char buf[64];
    assert_string_equal(tt_list(r.rec[0], "repeats", buf, sizeof(buf)), "3,3,3,3");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

static void lost_repeat_and_lost_rung(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    /* One probe of rung 2 lost. */
    int h1[] = {1, 1, 2, 3, 3};
    double t1[] = {T0, T0 + 1, T0 + 10, T0 + 20, T0 + 21};
    fed f = {0};
    feed_echo(t, P, T, h1, t1, 5, &f);
    assert_true(f.tagged[3] && f.tagged[4]);
    assert_int_equal(f.rungs[4], 3);

    /* Both probes of rung 2 lost (another destination). */
    int h2[] = {1, 1, 3, 3, 4, 4};
    double t2[] = {T0, T0 + 1, T0 + 20, T0 + 21, T0 + 30, T0 + 31};
    fed g = {0};
    feed_echo(t, P, "2001:db8:99::2", h2, t2, 6, &g);
    assert_false(g.tagged[3]);
    assert_true(g.tagged[4]);
    assert_int_equal(g.rung[4], 4);  /* position by hop limit */
    assert_int_equal(g.rungs[4], 3); /* rungs seen */

    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 2);
    char buf[64];
    for (int i = 0; i < 2; i++) {
        if (strcmp(tt_str(r.rec[i], "dest"), "2001:db8:99::2") == 0) {
            assert_string_equal(tt_list(r.rec[i], "repeats", buf, sizeof(buf)), "2,0,2,2");
            assert_int_equal(tt_int(r.rec[i], "missing_rungs"), 1);
        } else {
            assert_string_equal(tt_list(r.rec[i], "repeats", buf, sizeof(buf)), "2,1,2");
            assert_int_equal(tt_int(r.rec[i], "missing_rungs"), 0);
        }
    }
    tt_records_free(&r);
    v6p_taggers_free(t);
}

/* Rungs two apart are not a ladder with one lost rung allowed. */
static void sparse_is_not_a_ladder(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int h[] = {1, 1, 4, 4, 7, 7, 10, 10};
    double ts[] = {T0, T0 + 1, T0 + 10, T0 + 11, T0 + 20, T0 + 21, T0 + 30, T0 + 31};
    fed f = {0};
    feed_echo(t, P, T, h, ts, 8, &f);
    assert_int_equal(count_tagged(&f, 8), 0);
    int h2[] = {1, 3, 5, 7};
    feed_echo(t, P, "2001:db8:99::3", h2, ts, 4, &f);
    assert_int_equal(count_tagged(&f, 4), 0);
    v6p_taggers_flush(t);
    tt_records r = {0};
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 0);
    v6p_taggers_free(t);
}

/* Other traffic between the ladder's probes: from other sources, from the
 * same source at ordinary hop limits, TCP from the same source, probes to
 * other destinations. */
static void interleaved(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int ladder_tagged = 0, other_tagged = 0;
    for (int i = 0; i < 8; i++) {
        double at = T0 + (i / 2) * 8 + (i % 2);
        v6p_event ev;
        tt_echo(&ev, P, T, at, i / 2 + 1);
        v6p_taggers_apply(t, &ev);
        ladder_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;

        tt_echo(&ev, P, T, at + 0.2, 57);
        v6p_taggers_apply(t, &ev);
        other_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
        tt_tcp(&ev, P, T, at + 0.3, 3, 443, V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        other_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
        tt_echo(&ev, "2001:db8:77::5", T, at + 0.4, (i * 7) % 9 + 1);
        v6p_taggers_apply(t, &ev);
        other_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
        tt_echo(&ev, P, "2001:db8:99::7", at + 0.5, 8 - i);
        v6p_taggers_apply(t, &ev);
        other_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
    }
    assert_int_equal(ladder_tagged, 4);
    assert_int_equal(other_tagged, 0);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 1);
    char buf[64];
    assert_string_equal(tt_list(r.rec[0], "repeats", buf, sizeof(buf)), "2,2,2,2");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

/* A prober that takes a new address inside its /64 for every probe. */
static void rotation_within_64(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    char src[64];
    uint64_t id = 0;
    int tagged = 0;
    for (int i = 0; i < 8; i++) {
        snprintf(src, sizeof(src), "2001:db8:1:2:%x:%x::%x", 0x1000 + i * 77, i * 13, i + 1);
        v6p_event ev;
        tt_echo(&ev, src, T, T0 + (i / 2) * 9 + (i % 2), i / 2 + 1);
        v6p_taggers_apply(t, &ev);
        if (ev.tags & V6P_TAG_HOP_LADDER) {
            tagged++;
            if (!id)
                id = ev.ladder_id;
            assert_int_equal(ev.ladder_id, id);
        }
    }
    assert_int_equal(tagged, 4);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(tt_str(r.rec[0], "src"), "2001:db8:1:2:1000::1");
    assert_string_equal(tt_str(r.rec[0], "src_prefix"), "2001:db8:1:2::/64");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

static void negatives(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    fed f = {0};
    double ts[16];
    for (int i = 0; i < 16; i++)
        ts[i] = T0 + i * 5;

    int single[] = {1};
    feed_echo(t, P, "2001:db8:99::10", single, ts, 1, &f);
    assert_int_equal(count_tagged(&f, 1), 0);

    int desc[] = {5, 5, 4, 4, 3, 3, 2, 2, 1, 1};
    feed_echo(t, P, "2001:db8:99::11", desc, ts, 10, &f);
    assert_int_equal(count_tagged(&f, 10), 0);

    /* A source whose packets take two paths, near and far. */
    int two_paths_low[] = {4, 5, 4, 5, 5, 4, 4, 5, 4, 5, 4, 5};
    feed_echo(t, P, "2001:db8:99::12", two_paths_low, ts, 12, &f);
    assert_int_equal(count_tagged(&f, 12), 0);
    int two_paths[] = {57, 58, 57, 58, 58, 57, 59, 60, 61, 57};
    feed_echo(t, P, "2001:db8:99::13", two_paths, ts, 10, &f);
    assert_int_equal(count_tagged(&f, 10), 0);

    /* Steady pinging at one hop limit. */
    int steady[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    feed_echo(t, P, "2001:db8:99::14", steady, ts, 12, &f);
    assert_int_equal(count_tagged(&f, 12), 0);

    /* Hosts at different distances, each sending a probe or two. */
    const char *hosts[] = {"2001:db8:a::1", "2001:db8:b::1", "2001:db8:c::1", "2001:db8:d::1"};
    for (int i = 0; i < 8; i++) {
        v6p_event ev;
        tt_echo(&ev, hosts[i % 4], "2001:db8:99::15", T0 + i, i % 4 + 1);
        v6p_taggers_apply(t, &ev);
        assert_false(ev.tags & V6P_TAG_HOP_LADDER);
    }

    /* A ladder too slow: rungs 200 s apart. */
    int slow[] = {1, 1, 2, 2, 3, 3};
    double slow_t[] = {T0, T0 + 1, T0 + 200, T0 + 201, T0 + 400, T0 + 401};
    feed_echo(t, P, "2001:db8:99::16", slow, slow_t, 6, &f);
    assert_int_equal(count_tagged(&f, 6), 0);

    /* TCP SYN-ACKs and echo replies are answers, not probes. */
    for (int i = 0; i < 6; i++) {
        v6p_event ev;
        tt_tcp(&ev, P, "2001:db8:99::17", T0 + i, i / 2 + 1, 80, V6P_TCP_SYN | V6P_TCP_ACK);
        v6p_taggers_apply(t, &ev);
        assert_false(ev.tags & V6P_TAG_HOP_LADDER);
        tt_echo(&ev, P, "2001:db8:99::18", T0 + i, i / 2 + 1);
        ev.icmp_type = 129;
        v6p_taggers_apply(t, &ev);
        assert_false(ev.tags & V6P_TAG_HOP_LADDER);
    }

    v6p_taggers_flush(t);
    tt_records r = {0};
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 0);
    v6p_taggers_stats st;
    v6p_taggers_get_stats(t, &st, sizeof(st));
    assert_int_equal(st.ladders, 0);
    v6p_taggers_free(t);
}

static void tcp_and_udp_ladders(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int tcp_tagged = 0, udp_tagged = 0;
    for (int i = 0; i < 6; i++) {
        v6p_event ev;
        tt_tcp(&ev, P, T, T0 + i * 3, i / 2 + 1, 443, V6P_TCP_SYN);
        v6p_taggers_apply(t, &ev);
        tcp_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
        tt_udp(&ev, P, T, T0 + i * 3 + 1, i + 1, 33434 + i);
        v6p_taggers_apply(t, &ev);
        udp_tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
    }
    assert_int_equal(tcp_tagged, 2);
    assert_int_equal(udp_tagged, 4);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 2);
    int tcp = 0, udp = 0;
    for (int i = 0; i < r.n; i++) {
        tcp += strcmp(tt_str(r.rec[i], "transport"), "tcp") == 0;
        udp += strcmp(tt_str(r.rec[i], "transport"), "udp") == 0;
    }
    assert_true(tcp == 1 && udp == 1);
    tt_records_free(&r);
    v6p_taggers_free(t);
}

/* A Time Exceeded from router `router` arriving with hop limit `hop`, for
 * our probe from 2001:db8:0:1::2 to 3fff:0:0:3::2. */
static void time_exceeded(v6p_event *ev, const char *router, double ts, int hop)
{
    tt_base(ev, router, "2001:db8:0:1::2", ts, hop);
    tt_proto(ev, 58);
    ev->icmp_type = 3;
    ev->icmp_code = 0;
    v6p_event_mark(ev, V6P_F_ICMP_TYPE);
    v6p_event_mark(ev, V6P_F_ICMP_CODE);
    ev->inner_src = tt_addr("2001:db8:0:1::2");
    ev->inner_dest = tt_addr("3fff:0:0:3::2");
    ev->inner_protocol_number = 58;
    ev->inner_hop_limit = 1;
    v6p_event_mark(ev, V6P_F_INNER_SRC);
    v6p_event_mark(ev, V6P_F_INNER_DEST);
    v6p_event_mark(ev, V6P_F_INNER_PROTOCOL_NUMBER);
}

/* Feed n Time Exceeded replies; returns how many were tagged, and the
 * number of summaries at flush in *nsum. */
static int feed_time_exceeded(const char *const *routers, const int *hops, int n, int *nsum)
{
    v6p_taggers *t = mk();
    int tagged = 0;
    for (int i = 0; i < n; i++) {
        v6p_event ev;
        time_exceeded(&ev, routers[i], T0 + i, hops[i]);
        v6p_taggers_apply(t, &ev);
        tagged += (ev.tags & V6P_TAG_HOP_LADDER) != 0;
    }
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    *nsum = r.n;
    tt_records_free(&r);
    v6p_taggers_free(t);
    return tagged;
}

/* Our probes expiring ever nearer: routers 3, 3, 2, 2, 1, 1 (distances 2, 2,
 * 1, 1, 0, 0) are a descending sequence, not a ladder. */
static void time_exceeded_descending(void **state)
{
    (void)state;
    const char *r[] = {"2001:db8:0:3::1", "2001:db8:0:3::1", "2001:db8:0:2::1",
                       "2001:db8:0:2::1", "2001:db8:0:1::1", "2001:db8:0:1::1"};
    int hops[] = {62, 62, 63, 63, 64, 64};
    int nsum;
    assert_int_equal(feed_time_exceeded(r, hops, 6, &nsum), 0);
    assert_int_equal(nsum, 0);
    /* The same with routers whose initial hop limits differ (255 and 64). */
    int mixed[] = {252, 252, 62, 62, 255, 255};
    assert_int_equal(feed_time_exceeded(r, mixed, 6, &nsum), 0);
    assert_int_equal(nsum, 0);
}

/* New routers at the same distance (another path) are no rungs either; the
 * climb still fires, starting at 64 and 255 alike. */
static void time_exceeded_distances(void **state)
{
    (void)state;
    const char *asc[] = {"2001:db8:0:1::1", "2001:db8:0:1::1", "2001:db8:0:2::1",
                         "2001:db8:0:2::1", "2001:db8:0:3::1", "2001:db8:0:3::1"};
    int nsum;
    int plain[] = {64, 64, 63, 63, 62, 62};
    assert_int_equal(feed_time_exceeded(asc, plain, 6, &nsum), 2);
    assert_int_equal(nsum, 1);
    /* Distances 1, 2, 3 from routers starting at 64, 255 and 64. */
    int mixed[] = {63, 63, 253, 253, 61, 61};
    assert_int_equal(feed_time_exceeded(asc, mixed, 6, &nsum), 2);
    assert_int_equal(nsum, 1);
    /* Three routers all two hops away: paths, not a ladder. */
    int flat[] = {62, 62, 253, 253, 126, 126};
    assert_int_equal(feed_time_exceeded(asc, flat, 6, &nsum), 0);
    assert_int_equal(nsum, 0);
    /* A stray far reply first: the ladder restarts at the nearer router and
     * still fires at the third rung. */
    const char *stray[] = {"2001:db8:0:9::1", "2001:db8:0:1::1", "2001:db8:0:2::1",
                           "2001:db8:0:3::1"};
    int shops[] = {50, 64, 63, 62};
    assert_int_equal(feed_time_exceeded(stray, shops, 4, &nsum), 1);
    assert_int_equal(nsum, 1);
}

/* Our own traceroute: Time Exceeded from routers 1, 2, 3, two each. */
static void time_exceeded_sender_side(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    const char *routers[] = {"2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:3::1"};
    int tagged = 0;
    for (int i = 0; i < 6; i++) {
        v6p_event ev;
        tt_base(&ev, routers[i / 2], "2001:db8:0:1::2", T0 + i, 64 - i / 2);
        tt_proto(&ev, 58);
        ev.icmp_type = 3;
        ev.icmp_code = 0;
        v6p_event_mark(&ev, V6P_F_ICMP_TYPE);
        v6p_event_mark(&ev, V6P_F_ICMP_CODE);
        ev.inner_src = tt_addr("2001:db8:0:1::2");
        ev.inner_dest = tt_addr("3fff:0:0:3::2");
        ev.inner_protocol_number = 58;
        ev.inner_hop_limit = 1;
        v6p_event_mark(&ev, V6P_F_INNER_SRC);
        v6p_event_mark(&ev, V6P_F_INNER_DEST);
        v6p_event_mark(&ev, V6P_F_INNER_PROTOCOL_NUMBER);
        v6p_taggers_apply(t, &ev);
        if (ev.tags & V6P_TAG_HOP_LADDER) {
            tagged++;
            assert_int_equal(ev.ladder_rung, 3);
            assert_false(ev.src_behavior & V6P_TAG_HOP_LADDER); /* a router, not a prober */
        }
    }
    assert_int_equal(tagged, 2);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 1);
    char buf[256];
    assert_string_equal(tt_str(r.rec[0], "kind"), "time_exceeded");
    assert_string_equal(tt_str(r.rec[0], "src"), "2001:db8:0:1::2");
    assert_string_equal(tt_str(r.rec[0], "dest"), "3fff:0:0:3::2");
    assert_string_equal(tt_list(r.rec[0], "routers", buf, sizeof(buf)),
                        "2001:db8:0:1::1,2001:db8:0:2::1,2001:db8:0:3::1");
    assert_string_equal(tt_list(r.rec[0], "reply_hop_limits", buf, sizeof(buf)), "64,63,62");
    assert_string_equal(tt_list(r.rec[0], "repeats", buf, sizeof(buf)), "2,2,2");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

/* A ladder ends when the stream's clock passes the gap (any later event),
 * when it runs past the window, or when its slot is needed. */
static void how_ladders_end(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int h[] = {1, 2, 3};
    double ts[] = {T0, T0 + 5, T0 + 10};
    feed_echo(t, P, T, h, ts, 3, NULL);
    v6p_event ev;
    tt_echo(&ev, "2001:db8:5::5", "2001:db8:99::50", T0 + 200, 64);
    v6p_taggers_apply(t, &ev);
    tt_records r = {0};
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 1);
    assert_string_equal(tt_str(r.rec[0], "end"), "gap");
    tt_records_free(&r);

    /* Rungs 100 s apart: under the gap, but the tenth minute ends it. */
    int h2[8];
    double t2[8];
    for (int i = 0; i < 8; i++) {
        h2[i] = i + 1;
        t2[i] = T0 + 1000 + i * 100;
    }
    feed_echo(t, P, T, h2, t2, 8, NULL);
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 1);
    assert_string_equal(tt_str(r.rec[0], "end"), "window");
    assert_int_equal(tt_int(r.rec[0], "rungs"), 7);
    tt_records_free(&r);
    v6p_taggers_free(t);

    /* Capacity one: a second group pushes the first out. */
    v6p_taggers_config cfg;
    v6p_taggers_config_init(&cfg, sizeof(cfg));
    cfg.ladder_capacity = 1;
    v6p_error err = {0};
    t = v6p_taggers_new(&cfg, &err);
    assert_non_null(t);
    feed_echo(t, P, T, h, ts, 3, NULL);
    tt_echo(&ev, "2001:db8:5::5", T, T0 + 11, 2);
    v6p_taggers_apply(t, &ev);
    assert_int_equal(v6p_taggers_drain(t, tt_collect, &r), 1);
    assert_string_equal(tt_str(r.rec[0], "end"), "evicted");
    tt_records_free(&r);
    v6p_taggers_stats st;
    v6p_taggers_get_stats(t, &st, sizeof(st));
    assert_int_equal(st.ladder_evictions, 1);
    assert_int_equal(st.ladders, 1);
    v6p_taggers_free(t);
}

/* Time comes from the events: two sets fed the same stream agree, ids
 * included. */
static void replay_is_identical(void **state)
{
    (void)state;
    uint64_t ids[2];
    for (int k = 0; k < 2; k++) {
        v6p_taggers *t = mk();
        int h[] = {1, 1, 2, 2, 3, 3};
        double ts[] = {T0, T0 + 1, T0 + 10, T0 + 11, T0 + 20, T0 + 21};
        fed f = {0};
        feed_echo(t, P, T, h, ts, 6, &f);
        ids[k] = f.id[5];
        v6p_taggers_free(t);
    }
    assert_true(ids[0] != 0);
    assert_int_equal(ids[0], ids[1]);
}

static void ipv4_ladder(void **state)
{
    (void)state;
    v6p_taggers *t = mk();
    int h[] = {1, 1, 2, 2, 3, 3};
    double ts[] = {T0, T0 + 1, T0 + 10, T0 + 11, T0 + 20, T0 + 21};
    fed f = {0};
    feed_echo(t, "198.51.100.7", "192.0.2.1", h, ts, 6, &f);
    assert_int_equal(count_tagged(&f, 6), 2);
    v6p_taggers_flush(t);
    tt_records r = {0};
    v6p_taggers_drain(t, tt_collect, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(tt_str(r.rec[0], "src_prefix"), "198.51.100.7/32");
    assert_string_equal(tt_str(r.rec[0], "transport"), "icmp");
    tt_records_free(&r);
    v6p_taggers_free(t);
}

static void bad_config(void **state)
{
    (void)state;
    v6p_taggers_config cfg;
    v6p_taggers_config_init(&cfg, sizeof(cfg));
    cfg.ladder_min_rungs = 1;
    v6p_error err = {0};
    assert_null(v6p_taggers_new(&cfg, &err));
    assert_int_equal(err.code, 22);
    assert_non_null(strstr(err.message, "ladder_min_rungs"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pairs_climb),
        cmocka_unit_test(triples_akamai_timing),
        cmocka_unit_test(lost_repeat_and_lost_rung),
        cmocka_unit_test(sparse_is_not_a_ladder),
        cmocka_unit_test(interleaved),
        cmocka_unit_test(rotation_within_64),
        cmocka_unit_test(negatives),
        cmocka_unit_test(tcp_and_udp_ladders),
        cmocka_unit_test(time_exceeded_sender_side),
        cmocka_unit_test(time_exceeded_descending),
        cmocka_unit_test(time_exceeded_distances),
        cmocka_unit_test(how_ladders_end),
        cmocka_unit_test(replay_is_identical),
        cmocka_unit_test(ipv4_ladder),
        cmocka_unit_test(bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
