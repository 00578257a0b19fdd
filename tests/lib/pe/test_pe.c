/* Unit tests of the temporary-address tracker: time evidence, stable
 * addresses never temporary, learning internal /64s, the event tags and JSON,
 * replay determinism, and bounded memory under a flood. */
#include <arpa/inet.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipv6probe/addr.h"
#include "ipv6probe/json.h"
#include "ipv6probe/pe.h"

#define T0 1795798800LL
#define HOUR 3600LL
#define DAY 86400LL

/* Addresses of one host in 2001:db8:1:2::/64 and an outside prober. */
#define T1 "2001:db8:1:2:3c5e:11d9:8be0:7f42"
#define T2 "2001:db8:1:2:a3f1:9c2e:57b0:d84a"
#define T3 "2001:db8:1:2:6b07:e2c4:19fd:538e"
#define STABLE_OPAQUE "2001:db8:1:2:94d2:7a1b:c06e:25f3"
#define EUI64 "2001:db8:1:2:211:22ff:fe33:4455"
#define REMOTE "2001:db8:ffff::7"
#define PROBER "2001:db8:eeee::9"

static v6p_event make_event(const char *src, const char *dest, int64_t t, v6p_direction dir)
{
    v6p_event ev;
    v6p_event_reset(&ev);
    ev.protocol_version = 6;
    ev.time_sec = t;
    ev.direction = dir;
    assert_int_equal(inet_pton(AF_INET6, src, &ev.src), 1);
    assert_int_equal(inet_pton(AF_INET6, dest, &ev.dest), 1);
    v6p_event_mark(&ev, V6P_F_TIME);
    v6p_event_mark(&ev, V6P_F_PROTOCOL_VERSION);
    v6p_event_mark(&ev, V6P_F_SRC);
    v6p_event_mark(&ev, V6P_F_DEST);
    v6p_event_mark(&ev, V6P_F_DIRECTION);
    return ev;
}

static v6p_pe_tracker *tracker(int64_t valid)
{
    v6p_pe_config c;
    v6p_pe_config_init(&c, sizeof(c));
    c.valid_lifetime = valid;
    c.seed[0] = 7;
    v6p_pe_tracker *t = NULL;
    assert_non_null(t = v6p_pe_new(&c, NULL));
    return t;
}

static void send_out(v6p_pe_tracker *t, const char *src, int64_t t_sec)
{
    v6p_event ev = make_event(src, REMOTE, t_sec, V6P_DIR_OUTBOUND);
    assert_int_equal(v6p_pe_tag(t, &ev), 0);
}

/* Outbound traffic, every 10 minutes, from `src` over [from, to]. */
static void active_span(v6p_pe_tracker *t, const char *src, int64_t from, int64_t to)
{
    for (int64_t s = from; s <= to; s += 600)
        send_out(t, src, s);
}

static v6p_event probe(v6p_pe_tracker *t, const char *dest, int64_t t_sec)
{
    v6p_event ev = make_event(PROBER, dest, t_sec, V6P_DIR_INBOUND);
    assert_int_equal(v6p_pe_tag(t, &ev), 0);
    return ev;
}

static v6p_pe_verdict classify(v6p_pe_tracker *t, const char *addr, int64_t now)
{
    struct in6_addr a;
    v6p_pe_verdict v;
    inet_pton(AF_INET6, addr, &a);
    assert_int_equal(v6p_pe_classify(t, &a, now, &v), 0);
    return v;
}

/* A Linux host: the stable opaque address and the EUI-64 address live all
 * along; temporaries rotate daily.  Interleaved in time order. */
static void linux_host_days(v6p_pe_tracker *t)
{
    /* The stable opaque address sends first: it will look "replaced" by T1. */
    send_out(t, STABLE_OPAQUE, T0);
    send_out(t, EUI64, T0 + 60);
    active_span(t, T1, T0 + 120, T0 + 20 * HOUR);
    active_span(t, T2, T0 + 23 * HOUR, T0 + 43 * HOUR);
    active_span(t, T3, T0 + 46 * HOUR, T0 + 50 * HOUR);
    for (int64_t s = T0 + DAY; s <= T0 + 50 * HOUR; s += 6 * HOUR) {
        send_out(t, STABLE_OPAQUE, s);
        send_out(t, EUI64, s + 1);
    }
}

static void test_linux_rotation(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    assert_int_equal(v6p_pe_add_prefix_str(t, "2001:db8:1::/48", NULL), 0);
    linux_host_days(t);
    const int64_t now = T0 + 51 * HOUR;

    /* Replaced within a day by the next random IID: temporary. */
    v6p_pe_verdict v = classify(t, T1, now);
    assert_int_equal(v.state, V6P_PE_TEMPORARY);
    assert_true(v.evidence & V6P_PE_EV_REPLACED);
    assert_true(v.evidence & V6P_PE_EV_ENDED_SHORT);
    assert_int_equal(v.age, now - (T0 + 120));
    v = classify(t, T2, now);
    assert_int_equal(v.state, V6P_PE_TEMPORARY);
    assert_true(v.confidence >= 0.8);
    /* The newest one is not replaced yet, but its /64 rotates. */
    v = classify(t, T3, now);
    assert_int_equal(v.state, V6P_PE_TEMPORARY);
    assert_true(v.evidence & V6P_PE_EV_ROTATING);
    assert_false(v.evidence & V6P_PE_EV_REPLACED);
    /* EUI-64: stable whatever the time says. */
    v = classify(t, EUI64, now);
    assert_int_equal(v.state, V6P_PE_STABLE);
    assert_false(v.temporary);
    /* The stable opaque address outlived its "replacement": not temporary. */
    v = classify(t, STABLE_OPAQUE, now);
    assert_false(v.temporary);
    assert_true(v.evidence & V6P_PE_EV_PAST_PREFERRED);
    /* … and once it has been active longer than the valid lifetime it is
     * stable for good. */
    active_span(t, STABLE_OPAQUE, T0 + 3 * DAY, T0 + 3 * DAY + 600);
    send_out(t, STABLE_OPAQUE, T0 + 8 * DAY);
    v = classify(t, STABLE_OPAQUE, T0 + 8 * DAY);
    assert_int_equal(v.state, V6P_PE_STABLE);
    assert_true(v.evidence & V6P_PE_EV_PAST_VALID);
    /* An address outside the internal prefixes gets no verdict. */
    assert_int_equal(classify(t, REMOTE, now).state, V6P_PE_EXTERNAL);
    v6p_pe_free(t);
}

static char *json_of(const v6p_event *ev)
{
    v6p_json_writer *w = v6p_json_writer_new();
    const char *out;
    size_t n;
    assert_int_equal(v6p_json_write_event(w, ev, &out, &n), 0);
    char *s = strndup(out, n);
    v6p_json_writer_free(w);
    return s;
}

static void assert_has(const char *js, const char *kv)
{
    if (!strstr(js, kv))
        fail_msg("expected %s in %s", kv, js);
}

static void test_probe_tags(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    v6p_pe_add_prefix_str(t, "2001:db8:1::/48", NULL);
    linux_host_days(t);
    const int64_t now = T0 + 51 * HOUR;

    v6p_event ev = probe(t, T1, now);
    assert_true(ev.dest_pe);
    assert_true(ev.tags & V6P_TAG_PE_TARGET);
    assert_int_equal(ev.dest_age, now - (T0 + 120));
    assert_int_equal(ev.dest_block, V6P_BLOCK_DOCUMENTATION);
    assert_int_equal(ev.dest_iid, V6P_IID_RANDOMIZED);
    assert_false(v6p_event_has(&ev, V6P_F_SRC_PE)); /* the prober is not ours */
    char *js = json_of(&ev);
    assert_has(js, "\"dest_pe\":true");
    assert_has(js, "\"dest_pe_confidence\":");
    assert_has(js, "\"dest_age\":183480");
    assert_has(js, "\"pe_target\"");
    assert_has(js, "\"dest_iid\":\"randomized\"");
    free(js);

    ev = probe(t, EUI64, now);
    assert_true(v6p_event_has(&ev, V6P_F_DEST_PE));
    assert_false(ev.dest_pe);
    assert_false(ev.tags & V6P_TAG_PE_TARGET);
    js = json_of(&ev);
    assert_has(js, "\"dest_pe\":false");
    assert_has(js, "\"dest_iid\":\"eui64\"");
    assert_null(strstr(js, "pe_target"));
    free(js);

    /* An outbound event from a temporary sets src_pe. */
    v6p_event out = make_event(T3, REMOTE, now, V6P_DIR_OUTBOUND);
    v6p_pe_tag(t, &out);
    assert_true(v6p_event_has(&out, V6P_F_SRC_PE));
    assert_true(out.src_pe);
    assert_false(v6p_event_has(&out, V6P_F_DEST_PE));

    /* A probe to a random IID in a /64 never seen: no evidence, not temporary. */
    ev = probe(t, "2001:db8:1:99:5d1e:a2c7:3b90:f864", now);
    assert_true(v6p_event_has(&ev, V6P_F_DEST_PE));
    assert_false(ev.dest_pe);
    assert_int_equal(ev.dest_age, 0);

    /* No time on the event: blocks and IIDs only. */
    v6p_event nt = make_event(PROBER, T1, now, V6P_DIR_INBOUND);
    v6p_event_unmark(&nt, V6P_F_TIME);
    v6p_pe_tag(t, &nt);
    assert_true(v6p_event_has(&nt, V6P_F_DEST_IID));
    assert_false(v6p_event_has(&nt, V6P_F_DEST_PE));
    v6p_pe_free(t);
}

/* Probes do not make an address look long-lived: a temporary probed for
 * weeks after it died is still temporary. */
static void test_probes_do_not_extend_life(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    v6p_pe_add_prefix_str(t, "2001:db8:1::/48", NULL);
    linux_host_days(t);
    for (int d = 3; d < 30; d++)
        probe(t, T1, T0 + d * DAY);
    v6p_event ev = probe(t, T1, T0 + 30 * DAY);
    assert_true(ev.dest_pe);
    assert_int_equal(ev.dest_age, 30 * DAY - 120);
    v6p_pe_free(t);
}

/* Valid lifetime is configurable: 3 days of activity is stable for Linux
 * (valid 2 days) but not yet for Windows/macOS (7 days). */
static void test_lifetimes_configurable(void **state)
{
    (void)state;
    v6p_pe_tracker *lin = tracker(2 * DAY), *win = tracker(7 * DAY);
    v6p_pe_add_prefix_str(lin, "2001:db8:1::/48", NULL);
    v6p_pe_add_prefix_str(win, "2001:db8:1::/48", NULL);
    active_span(lin, T1, T0, T0 + 3 * DAY);
    active_span(win, T1, T0, T0 + 3 * DAY);
    assert_int_equal(classify(lin, T1, T0 + 3 * DAY).state, V6P_PE_STABLE);
    v6p_pe_verdict v = classify(win, T1, T0 + 3 * DAY);
    assert_int_not_equal(v.state, V6P_PE_STABLE);
    assert_false(v.temporary); /* past preferred, nothing for it */
    v6p_pe_free(lin);
    v6p_pe_free(win);

    v6p_pe_config c;
    v6p_pe_config_init(&c, sizeof(c));
    assert_int_equal(c.preferred_lifetime, DAY);
    assert_int_equal(c.valid_lifetime, 7 * DAY);
    c.valid_lifetime = c.preferred_lifetime - 1;
    v6p_pe_tracker *bad = NULL;
    assert_null(bad = v6p_pe_new(&c, NULL));
    assert_null(bad);
}

static void test_learning(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    struct in6_addr a;
    inet_pton(AF_INET6, T1, &a);
    assert_false(v6p_pe_is_internal(t, &a));
    /* A spoofed inbound source teaches nothing. */
    v6p_event in = make_event(T1, PROBER, T0, V6P_DIR_INBOUND);
    v6p_pe_tag(t, &in);
    assert_false(v6p_pe_is_internal(t, &a));
    assert_false(v6p_event_has(&in, V6P_F_SRC_PE));
    /* Outbound traffic does, for its /64 only. */
    send_out(t, T1, T0 + 1);
    assert_true(v6p_pe_is_internal(t, &a));
    inet_pton(AF_INET6, "2001:db8:1:3::1", &a);
    assert_false(v6p_pe_is_internal(t, &a));
    v6p_pe_stats st;
    v6p_pe_get_stats(t, &st, sizeof(st));
    assert_int_equal(st.learned_prefixes, 1);
    v6p_event ev = probe(t, T2, T0 + 2);
    assert_true(v6p_event_has(&ev, V6P_F_DEST_PE));
    ev = probe(t, "2001:db8:1:3::1", T0 + 2);
    assert_false(v6p_event_has(&ev, V6P_F_DEST_PE));
    /* Learning can be turned off. */
    v6p_pe_config c;
    v6p_pe_config_init(&c, sizeof(c));
    c.learn_prefixes = false;
    v6p_pe_tracker *quiet = NULL;
    assert_non_null(quiet = v6p_pe_new(&c, NULL));
    send_out(quiet, T1, T0);
    inet_pton(AF_INET6, T1, &a);
    assert_false(v6p_pe_is_internal(quiet, &a));
    v6p_pe_free(quiet);
    v6p_pe_free(t);
}

static void test_prefixes(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    assert_int_equal(v6p_pe_add_prefix_str(t, "2001:db8:1::/45", NULL), 0);
    assert_int_equal(v6p_pe_add_prefix_str(t, "fd00:1:2:3::", NULL), 0); /* /64 */
    assert_int_equal(v6p_pe_add_prefix_str(t, "2001:db8::/129", NULL), -1);
    assert_int_equal(v6p_pe_add_prefix_str(t, "nonsense/48", NULL), -1);
    assert_int_equal(v6p_pe_add_prefix_str(t, "2001:db8::/", NULL), -1);
    struct in6_addr a;
    inet_pton(AF_INET6, "2001:db8:7:ffff::1", &a); /* inside /45 */
    assert_true(v6p_pe_is_internal(t, &a));
    inet_pton(AF_INET6, "2001:db8:8::1", &a); /* just outside */
    assert_false(v6p_pe_is_internal(t, &a));
    inet_pton(AF_INET6, "fd00:1:2:3:abcd::1", &a);
    assert_true(v6p_pe_is_internal(t, &a));
    inet_pton(AF_INET6, "fd00:1:2:4::1", &a);
    assert_false(v6p_pe_is_internal(t, &a));
    int full = 0;
    v6p_error err = {0};
    for (int i = 0; i < 100; i++)
        full |= v6p_pe_add_prefix_str(t, "fd00::/16", &err) == -1 && err.code == ENOSPC;
    assert_true(full);
    v6p_pe_free(t);
}

/* A reload replaces the set as a whole: again and again without filling
 * up, a removed prefix no longer internal, a bad text changes nothing. */
static void test_set_prefixes(void **state)
{
    (void)state;
    v6p_pe_tracker *t = tracker(7 * DAY);
    const char *both[] = {"2001:db8:1::/48", "2001:db8:2::/48"};
    const char *one[] = {"2001:db8:2::/48"};
    const char *bad[] = {"2001:db8:3::/48", "nonsense"};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v6p_pe_set_prefixes(t, both, 2, NULL, NULL), 0);
    struct in6_addr a1, a2, a3;
    inet_pton(AF_INET6, "2001:db8:1::1", &a1);
    inet_pton(AF_INET6, "2001:db8:2::1", &a2);
    inet_pton(AF_INET6, "2001:db8:3::1", &a3);
    assert_true(v6p_pe_is_internal(t, &a1));
    assert_int_equal(v6p_pe_set_prefixes(t, one, 1, NULL, NULL), 0);
    assert_false(v6p_pe_is_internal(t, &a1));
    assert_true(v6p_pe_is_internal(t, &a2));
    size_t at = 99;
    assert_int_equal(v6p_pe_set_prefixes(t, bad, 2, &at, NULL), -1);
    assert_int_equal(at, 1);
    assert_false(v6p_pe_is_internal(t, &a3));
    assert_true(v6p_pe_is_internal(t, &a2));
    v6p_pe_free(t);
}

/* A replayed log gives the same tags. */
static void test_replay_deterministic(void **state)
{
    (void)state;
    char *first = NULL;
    for (int run = 0; run < 2; run++) {
        v6p_pe_tracker *t = tracker(7 * DAY);
        v6p_pe_add_prefix_str(t, "2001:db8:1::/48", NULL);
        linux_host_days(t);
        size_t len = 0;
        char *all = NULL;
        FILE *f = open_memstream(&all, &len);
        static const char *const targets[] = {T1, T2, T3, EUI64, STABLE_OPAQUE};
        for (size_t i = 0; i < 5; i++) {
            v6p_event ev = probe(t, targets[i], T0 + 51 * HOUR);
            char *js = json_of(&ev);
            fprintf(f, "%s\n", js);
            free(js);
        }
        fclose(f);
        if (run == 0)
            first = all;
        else {
            assert_string_equal(first, all);
            free(all);
        }
        v6p_pe_free(t);
    }
    free(first);
}

/* A million random internal addresses: the tracker stays within its cap,
 * the heap does not grow, and every eviction is counted. */
static void test_flood_bounded(void **state)
{
    (void)state;
    v6p_pe_config c;
    v6p_pe_config_init(&c, sizeof(c));
    c.max_addresses = 10000;
    c.max_prefixes = 1000;
    v6p_pe_tracker *t = NULL;
    assert_non_null(t = v6p_pe_new(&c, NULL));
    v6p_pe_add_prefix_str(t, "2001:db8:1::/48", NULL);
    v6p_pe_stats before;
    v6p_pe_get_stats(t, &before, sizeof(before));
    assert_true(before.memory < 4u * 1024 * 1024);
    struct mallinfo2 m0 = mallinfo2();

    uint64_t x = 88172645463325252ULL;
    v6p_event ev = make_event("2001:db8:1::1", REMOTE, T0, V6P_DIR_OUTBOUND);
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* 2001:db8:1:XXXX:XXXX:XXXX:XXXX:XXXX, distinct for every i. */
        inet_pton(AF_INET6, "2001:db8:1::", &ev.src);
        for (int j = 6; j < 12; j++)
            ev.src.s6_addr[j] = (uint8_t)(x >> (8 * (j - 6)));
        for (int j = 12; j < 16; j++)
            ev.src.s6_addr[j] = (uint8_t)((uint32_t)i >> (8 * (j - 12))) ^ (uint8_t)(x >> 56);
        ev.time_sec = T0 + i / 100;
        /* Half go out as sources, half come in as probed destinations. */
        if (i & 1) {
            ev.dest = ev.src;
            inet_pton(AF_INET6, PROBER, &ev.src);
            ev.direction = V6P_DIR_INBOUND;
        } else {
            inet_pton(AF_INET6, REMOTE, &ev.dest);
            ev.direction = V6P_DIR_OUTBOUND;
        }
        v6p_pe_tag(t, &ev);
    }
    struct mallinfo2 m1 = mallinfo2();
    v6p_pe_stats after;
    v6p_pe_get_stats(t, &after, sizeof(after));
    assert_int_equal(after.memory, before.memory);
    assert_true(m1.uordblks <= m0.uordblks);
    assert_int_equal(after.addresses, c.max_addresses);
    assert_int_equal(after.max_addresses, c.max_addresses);
    assert_true(after.prefixes <= c.max_prefixes);
    /* All million addresses are distinct, so all but the last 10000 went. */
    assert_int_equal(after.address_evictions, (uint64_t)n - c.max_addresses);
    assert_true(after.prefix_evictions > 0);
    print_message("flood: %d addresses, %zu kept, %llu evicted, %zu bytes\n", n, after.addresses,
                  (unsigned long long)after.address_evictions, after.memory);
    v6p_pe_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_rotation),
        cmocka_unit_test(test_probe_tags),
        cmocka_unit_test(test_probes_do_not_extend_life),
        cmocka_unit_test(test_lifetimes_configurable),
        cmocka_unit_test(test_learning),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_set_prefixes),
        cmocka_unit_test(test_replay_deterministic),
        cmocka_unit_test(test_flood_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
