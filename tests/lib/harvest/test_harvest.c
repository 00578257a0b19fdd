/* Harvester correlation: the remote that every probed temporary address
 * talked to before its first probe ranks above sites everyone talks to. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipv6probe/harvest.h"

#define DAY 86400

static struct in6_addr addr(const char *text)
{
    struct in6_addr a;
    assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
    return a;
}

/* An event as the PE tracker leaves it: internal addresses carry src_pe /
 * dest_pe (true for temporary ones). */
static v6p_event event(const char *src, int src_internal, const char *dest, int dest_internal,
                       int dest_temporary, int64_t t)
{
    v6p_event ev;
    v6p_event_reset(&ev);
    ev.src = addr(src);
    ev.dest = addr(dest);
    ev.protocol_version = 6;
    ev.time_sec = t;
    v6p_event_mark(&ev, V6P_F_SRC);
    v6p_event_mark(&ev, V6P_F_DEST);
    v6p_event_mark(&ev, V6P_F_TIME);
    v6p_event_mark(&ev, V6P_F_PROTOCOL_VERSION);
    if (src_internal) {
        ev.src_pe = true;
        v6p_event_mark(&ev, V6P_F_SRC_PE);
    }
    if (dest_internal) {
        ev.dest_pe = dest_temporary != 0;
        v6p_event_mark(&ev, V6P_F_DEST_PE);
    }
    ev.dvc.ptr = "gw1";
    ev.dvc.len = 3;
    v6p_event_mark(&ev, V6P_F_DVC);
    return ev;
}

typedef struct record {
    char suspect[64];
    double score;
    int support, contacted, never;
    long long first_contact, first_probe;
} record;

typedef struct sink {
    record r[256];
    int n;
} sink;

static void collect(void *ud, const char *sourcetype, const char *json, size_t len, int64_t t)
{
    sink *s = ud;
    assert_string_equal(sourcetype, "ipv6probe:suspect");
    assert_int_equal(strlen(json), len);
    assert_true(s->n < 256);
    record *r = &s->r[s->n++];
    const char *p = strstr(json, "\"suspect\":\"");
    assert_non_null(p);
    sscanf(p + 11, "%63[^\"]", r->suspect);
    assert_non_null(strstr(json, "\"suspect_prefix\":\""));
    assert_int_equal(sscanf(strstr(json, "\"score\":"), "\"score\":%lf", &r->score), 1);
    assert_int_equal(
        sscanf(strstr(json, "\"probed_targets\":"), "\"probed_targets\":%d", &r->support), 1);
    assert_int_equal(
        sscanf(strstr(json, "\"contacted_targets\":"), "\"contacted_targets\":%d", &r->contacted),
        1);
    assert_int_equal(sscanf(strstr(json, "\"never_probed_contacts\":"),
                            "\"never_probed_contacts\":%d", &r->never),
                     1);
    assert_int_equal(
        sscanf(strstr(json, "\"first_contact\":"), "\"first_contact\":%lld", &r->first_contact), 1);
    assert_int_equal(
        sscanf(strstr(json, "\"first_probe\":"), "\"first_probe\":%lld", &r->first_probe), 1);
    assert_int_equal(r->first_probe, t);
    assert_non_null(strstr(json, "\"dvc\":\"gw1\""));
}

static v6p_harvest *make(void)
{
    v6p_harvest_config c;
    v6p_harvest_config_init(&c, sizeof(c));
    c.seed[0] = 1;
    c.seed[1] = 2;
    v6p_harvest *h = v6p_harvest_new(&c, NULL);
    assert_non_null(h);
    return h;
}

static const record *last_for(const sink *s, const char *suspect)
{
    const record *found = NULL;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->r[i].suspect, suspect) == 0)
            found = &s->r[i];
    return found;
}

static void harvester_outranks_popular_site(void **state)
{
    (void)state;
    v6p_harvest *h = make();
    const int64_t t0 = 1795798800;
    char a[64];
    /* Five temporary addresses each query an NTP server (the harvester) and
     * a popular site; twenty other addresses only visit the popular site. */
    for (int i = 1; i <= 5; i++) {
        snprintf(a, sizeof(a), "2001:db8:1:1:%x:1234:5678:9abc", i * 0x1111);
        v6p_event c1 = event(a, 1, "3fff:100::123", 0, 0, t0 + i);
        v6p_event c2 = event(a, 1, "3fff:200::80", 0, 0, t0 + i + 1);
        assert_int_equal(v6p_harvest_observe(h, &c1), 1);
        assert_int_equal(v6p_harvest_observe(h, &c2), 1);
    }
    for (int i = 1; i <= 20; i++) {
        snprintf(a, sizeof(a), "2001:db8:1:2:%x:4321:8765:cba9", i * 0x0707);
        v6p_event c = event(a, 1, "3fff:200::80", 0, 0, t0 + 100 + i);
        v6p_harvest_observe(h, &c);
    }
    /* A day later a scanner probes the five temporary addresses. */
    for (int i = 1; i <= 5; i++) {
        snprintf(a, sizeof(a), "2001:db8:1:1:%x:1234:5678:9abc", i * 0x1111);
        v6p_event p = event("3fff:900::66", 0, a, 1, 1, t0 + DAY + i);
        assert_int_equal(v6p_harvest_observe(h, &p), 1);
        v6p_event again = event("3fff:900::66", 0, a, 1, 1, t0 + DAY + 50 + i);
        v6p_harvest_observe(h, &again); /* later probes add no witness */
    }
    sink s = {.n = 0};
    assert_int_equal(v6p_harvest_drain(h, collect, &s), 10);
    const record *ntp = last_for(&s, "3fff:100::123");
    const record *web = last_for(&s, "3fff:200::80");
    assert_non_null(ntp);
    assert_non_null(web);
    assert_int_equal(ntp->support, 5);
    assert_int_equal(ntp->never, 0);
    assert_int_equal(ntp->contacted, 5);
    assert_int_equal(web->support, 5);
    assert_int_equal(web->never, 20);
    assert_int_equal(web->contacted, 25);
    assert_true(ntp->score > 2.0 * web->score);
    assert_int_equal(ntp->first_contact, t0 + 1);
    assert_int_equal(ntp->first_probe, t0 + DAY + 5);
    v6p_harvest_stats st;
    v6p_harvest_get_stats(h, &st, sizeof(st));
    assert_int_equal(st.first_probes, 5);
    assert_int_equal(st.probes, 10);
    assert_int_equal(st.suspects_emitted, 10);
    v6p_harvest_free(h);
}

static void contacts_after_the_probe_or_too_old_do_not_count(void **state)
{
    (void)state;
    v6p_harvest *h = make();
    const int64_t t0 = 1795798800;
    const char *pe = "2001:db8:1:1:a1b2:c3d4:e5f6:789";
    v6p_event old = event(pe, 1, "3fff:300::1", 0, 0, t0 - 30 * DAY); /* past the look-back */
    v6p_harvest_observe(h, &old);
    v6p_event probe = event("3fff:900::66", 0, pe, 1, 1, t0);
    v6p_harvest_observe(h, &probe);
    v6p_event after = event(pe, 1, "3fff:400::1", 0, 0, t0 + 10);
    v6p_harvest_observe(h, &after);
    sink s = {.n = 0};
    assert_int_equal(v6p_harvest_drain(h, collect, &s), 0);
    v6p_harvest_free(h);
}

static void stable_targets_and_outside_traffic_are_ignored(void **state)
{
    (void)state;
    v6p_harvest *h = make();
    const int64_t t0 = 1795798800;
    const char *stable = "2001:db8:1:1::10";
    v6p_event c = event(stable, 1, "3fff:100::123", 0, 0, t0);
    v6p_harvest_observe(h, &c);
    /* probe of an internal address that is not temporary: no harvest signal */
    v6p_event p = event("3fff:900::66", 0, stable, 1, 0, t0 + DAY);
    assert_int_equal(v6p_harvest_observe(h, &p), 0);
    /* traffic between two outside hosts, or two inside ones */
    v6p_event out = event("3fff:1::1", 0, "3fff:2::2", 0, 0, t0);
    assert_int_equal(v6p_harvest_observe(h, &out), 0);
    v6p_event in = event(stable, 1, "2001:db8:1:1::11", 1, 1, t0);
    assert_int_equal(v6p_harvest_observe(h, &in), 0);
    sink s = {.n = 0};
    assert_int_equal(v6p_harvest_drain(h, collect, &s), 0);
    v6p_harvest_free(h);
}

static void memory_stays_fixed_under_a_flood(void **state)
{
    (void)state;
    v6p_harvest_config c;
    v6p_harvest_config_init(&c, sizeof(c));
    c.contact_capacity = 4096;
    c.address_capacity = 1024;
    c.remote_capacity = 1024;
    c.summary_queue = 64;
    v6p_harvest *h = v6p_harvest_new(&c, NULL);
    v6p_harvest_stats before, after;
    v6p_harvest_get_stats(h, &before, sizeof(before));
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 1000000; i++) {
        v6p_event ev = event("2001:db8::1", 1, "3fff::1", 0, 0, 1795798800 + i);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(&ev.src.s6_addr[8], &x, 8);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        memcpy(&ev.dest.s6_addr[0], &x, 8);
        if (i % 3 == 0) { /* probes of random temporary addresses */
            v6p_event p = event("3fff::9", 0, "2001:db8::1", 1, 1, ev.time_sec);
            memcpy(&p.dest.s6_addr[8], &x, 8);
            v6p_harvest_observe(h, &p);
        }
        v6p_harvest_observe(h, &ev);
        if (i % 1000 == 0) {
            sink s = {.n = 0};
            while (v6p_harvest_drain(h, collect, &s) && s.n > 200)
                s.n = 0;
        }
    }
    v6p_harvest_get_stats(h, &after, sizeof(after));
    assert_int_equal(before.memory, after.memory);
    assert_true(after.contact_evictions > 900000);
    assert_true(after.address_evictions > 0);
    assert_true(after.remote_evictions > 0);
    v6p_harvest_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(harvester_outranks_popular_site),
        cmocka_unit_test(contacts_after_the_probe_or_too_old_do_not_count),
        cmocka_unit_test(stable_targets_and_outside_traffic_are_ignored),
        cmocka_unit_test(memory_stays_fixed_under_a_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
