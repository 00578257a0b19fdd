/* Bounded memory: events from random spoofed sources (and random low hop
 * limits, so that the ladder table fills too) keep every tracker within the
 * capacity it was given, with evictions counted.  RSS is measured.
 *
 * Usage: test_memory [EVENTS]   default 1,000,000; the full check is
 * 10,000,000 (meson test --suite taggers-long, or by hand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tagtest.h"
#include "xorshift.h"

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    return xorshift64(&rng);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (rss_kb() < 0) {
        printf("SKIP: no /proc/self/status to read RSS from\n");
        return 77;
    }
    long base = rss_kb();
    v6p_error err = {0};
    v6p_taggers *t = v6p_taggers_new(NULL, &err);
    if (!t) {
        printf("FAIL: %s\n", err.message);
        return 1;
    }
    v6p_taggers_stats st;
    v6p_taggers_get_stats(t, &st, sizeof(st));
    size_t cap_bytes = st.memory;
    long half_rss = 0;
    v6p_event ev;
    tt_echo(&ev, "2001:db8::1", "2001:db8:99::1", 1700000000, 1);
    for (long i = 0; i < n; i++) {
        uint64_t r = rnd(), r2 = rnd();
        /* A spoofed source anywhere in 2000::/3, a destination in our /64. */
        r = (r & ~(UINT64_C(7) << 61)) | (UINT64_C(1) << 61);
        for (int b = 0; b < 8; b++) {
            ev.src.s6_addr[b] = (uint8_t)(r >> (56 - 8 * b));
            ev.src.s6_addr[8 + b] = (uint8_t)(r2 >> (56 - 8 * b));
        }
        ev.dest.s6_addr[15] = (uint8_t)rnd();
        ev.dest.s6_addr[14] = (uint8_t)rnd();
        ev.time_sec = 1700000000 + i / 10000; /* 10,000 events a second */
        ev.time_usec = (uint32_t)(i % 10000) * 100;
        ev.hop_limit = (uint8_t)(r2 % 12 + 1);
        ev.tags = ev.src_behavior = 0;
        switch (r2 >> 60 & 3) {
        case 0:
            ev.protocol_number = 58;
            ev.icmp_type = 128;
            break;
        case 1:
            ev.protocol_number = 6;
            ev.tcp_flags = V6P_TCP_SYN;
            ev.dest_port = (uint16_t)(r2 >> 20);
            v6p_event_mark(&ev, V6P_F_DEST_PORT);
            break;
        default:
            ev.protocol_number = 17;
            ev.dest_port = (uint16_t)(r2 >> 20);
            v6p_event_mark(&ev, V6P_F_DEST_PORT);
            break;
        }
        v6p_taggers_apply(t, &ev);
        if (i == n / 2)
            half_rss = rss_kb();
        if (i % 100000 == 0)
            v6p_taggers_drain(t, tt_collect_none, NULL);
    }
    v6p_taggers_flush(t);
    v6p_taggers_drain(t, tt_collect_none, NULL);
    long end_rss = rss_kb();
    v6p_taggers_get_stats(t, &st, sizeof(st));
    long used = end_rss - base;
    printf("events %ld: RSS %ld kB over start (%ld kB at half way), table caps %zu kB\n", n, used,
           half_rss - base, cap_bytes / 1024);
    printf("held: ladders %zu, sources %zu, pairs %zu; evictions: ladder %llu, scan %llu, pair "
           "%llu\n",
           st.ladder_count, st.scan_count, st.pair_count, (unsigned long long)st.ladder_evictions,
           (unsigned long long)st.scan_evictions, (unsigned long long)st.pair_evictions);
    int fail = 0;
    /* Caps plus a little for the program itself (stdio, libyaml not loaded). */
    if ((size_t)used * 1024 > cap_bytes + 4u * 1024 * 1024) {
        printf("FAIL: RSS grew past the table caps\n");
        fail = 1;
    }
    if (end_rss - half_rss > 1024) {
        printf("FAIL: RSS still growing in the second half (%ld kB)\n", end_rss - half_rss);
        fail = 1;
    }
    if (n >= 1000000 && (st.scan_evictions == 0 || st.pair_evictions == 0 ||
                         st.ladder_evictions + st.ladders == 0)) {
        printf("FAIL: a flood this size must evict, and evictions must be counted\n");
        fail = 1;
    }
    v6p_taggers_config cfg;
    v6p_taggers_config_init(&cfg, sizeof(cfg));
    if (st.scan_count > 3 * (size_t)cfg.scan_capacity || st.pair_count > cfg.pair_capacity ||
        st.ladder_count > (size_t)cfg.ladder_capacity + cfg.ladder_sender_capacity) {
        printf("FAIL: a table holds more keys than its capacity\n");
        fail = 1;
    }
    v6p_taggers_free(t);
    return fail;
}
