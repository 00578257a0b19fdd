/* Unit tests of the write-ahead spool: order, replay after reopen, done
 * marks, corruption and torn tails, the size cap's policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "spool.h"

typedef struct logbuf {
    char text[8192];
    int lines;
} logbuf;

static void log_to_buf(void *ctx, const char *msg)
{
    logbuf *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof(l->text) - n, "%s\n", msg);
    l->lines++;
}

static char *make_dir(void)
{
    char *d = strdup("/tmp/spooltest-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rm_dir(char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

static spool *open_spool(const char *dir, uint64_t max, spool_policy full, logbuf *lb)
{
    spool_opts o;
    memset(&o, 0, sizeof(o));
    o.dir = dir;
    o.max_bytes = max;
    o.segment_bytes = max / 8;
    o.full = full;
    o.sync = SPOOL_SYNC_NEVER;
    o.log = log_to_buf;
    o.log_ctx = lb;
    spool *s = NULL;
    char err[256];
    int rc = spool_open(&s, &o, err, sizeof(err));
    if (rc != SPOOL_OK)
        fail_msg("spool_open: %s", err);
    return s;
}

static void put_n(spool *s, int from, int to)
{
    char buf[64];
    for (int i = from; i < to; i++) {
        int n = snprintf(buf, sizeof(buf), "{\"event\":%d}", i);
        assert_int_equal(spool_append(s, buf, (size_t)n), SPOOL_OK);
    }
    assert_int_equal(spool_commit(s), SPOOL_OK);
}

/* Reads everything available; returns the count, the values in out. */
static int read_all(spool *s, int *out, uint64_t *seqs, int cap)
{
    int n = 0;
    uint64_t seq;
    const char *d;
    size_t len;
    while (spool_read(s, &seq, &d, &len) == 1) {
        assert_true(n < cap);
        char tmp[64];
        assert_true(len < sizeof(tmp));
        memcpy(tmp, d, len);
        tmp[len] = 0;
        assert_int_equal(sscanf(tmp, "{\"event\":%d}", &out[n]), 1);
        if (seqs)
            seqs[n] = seq;
        n++;
    }
    return n;
}

static void test_order_and_replay(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    put_n(s, 0, 1000);
    int got[2000];
    uint64_t seqs[2000];
    assert_int_equal(read_all(s, got, seqs, 2000), 1000);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(got[i], i);
        assert_int_equal(seqs[i], (uint64_t)i);
    }
    /* Done out of order: 500..999 first, then 0..299: 300..499 still pending. */
    spool_done(s, 500, 500);
    spool_done(s, 0, 300);
    assert_int_equal(spool_pending(s), 200);
    spool_close(s);

    s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    assert_int_equal(read_all(s, got, NULL, 2000), 700); /* from the mark on */
    assert_int_equal(got[0], 300);
    assert_int_equal(got[699], 999);
    assert_int_equal(spool_next_seq(s), 1000);
    put_n(s, 1000, 1010);
    assert_int_equal(read_all(s, got, NULL, 2000), 10);
    assert_int_equal(got[0], 1000);
    spool_close(s);
    rm_dir(dir);
}

static void test_segments_trimmed(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 128 * 1024, SPOOL_FULL_BLOCK_INPUT, &lb);
    put_n(s, 0, 2000); /* ~ 62 KB: several 16 KB segments */
    assert_true(spool_get_stats(s)->segments > 3);
    int got[4000];
    assert_int_equal(read_all(s, got, NULL, 4000), 2000);
    spool_done(s, 0, 2000);
    assert_int_equal(spool_get_stats(s)->segments, 1);
    assert_int_equal(spool_pending(s), 0);
    spool_close(s);
    rm_dir(dir);
}

static void test_block_when_full(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 16 * 1024, SPOOL_FULL_BLOCK_INPUT, &lb);
    int rc = SPOOL_OK, n = 0;
    char buf[64];
    while (rc == SPOOL_OK && n < 100000) {
        int len = snprintf(buf, sizeof(buf), "{\"event\":%d}", n);
        rc = spool_append(s, buf, (size_t)len);
        if (rc == SPOOL_OK)
            n++;
    }
    assert_int_equal(rc, SPOOL_EFULL);
    assert_int_equal(spool_wait_space(s, 10), SPOOL_EFULL);
    spool_commit(s);
    int got[100000];
    int r = read_all(s, got, NULL, 100000);
    assert_int_equal(r, n);
    spool_done(s, 0, (uint64_t)n);
    assert_int_equal(spool_append(s, "{\"event\":-1}", 12), SPOOL_OK);
    spool_close(s);
    rm_dir(dir);
}

static void test_drop_oldest(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 16 * 1024, SPOOL_FULL_DROP_OLDEST_SEG, &lb);
    put_n(s, 0, 5000);
    const spool_stats *st = spool_get_stats(s);
    assert_true(st->dropped_oldest > 0);
    assert_true(st->bytes <= 16 * 1024);
    int got[5000];
    int r = read_all(s, got, NULL, 5000);
    /* What is left is the newest events, in order, and counts add up. */
    assert_int_equal((uint64_t)r + st->dropped_oldest, 5000);
    assert_int_equal(got[r - 1], 4999);
    for (int i = 1; i < r; i++)
        assert_int_equal(got[i], got[i - 1] + 1);
    assert_non_null(strstr(lb.text, "dropped the oldest segment"));
    spool_close(s);
    rm_dir(dir);
}

static void test_drop_new(void **state)
{
    (void)state;
    logbuf lb = {0};
    spool_opts o;
    memset(&o, 0, sizeof(o));
    o.max_bytes = 8 * 1024;
    o.full = SPOOL_FULL_DROP_NEW;
    spool *s = NULL;
    char err[128];
    assert_int_equal(spool_open(&s, &o, err, sizeof(err)), SPOOL_OK); /* memory only */
    (void)lb;
    put_n(s, 0, 1000);
    const spool_stats *st = spool_get_stats(s);
    assert_true(st->dropped_new > 0);
    int got[1000];
    int r = read_all(s, got, NULL, 1000);
    assert_int_equal((uint64_t)r + st->dropped_new, 1000);
    for (int i = 0; i < r; i++)
        assert_int_equal(got[i], i); /* the oldest are kept */
    spool_close(s);
}

static void flip_byte(const char *dir, const char *name, long off)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static void test_corrupt_record_skipped(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    put_n(s, 0, 100);
    spool_close(s);
    /* Record 10 starts at 10 records of (20 + 11 or 12 bytes); damage its data. */
    long off = 0;
    for (int i = 0; i < 10; i++)
        off += 20 + snprintf(NULL, 0, "{\"event\":%d}", i);
    flip_byte(dir, "seg-0000000000000000.spl", off + 25);
    s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    int got[200];
    int r = read_all(s, got, NULL, 200);
    assert_int_equal(r, 99);
    for (int i = 0, want = 0; i < r; i++, want++) {
        if (want == 10)
            want++;
        assert_int_equal(got[i], want);
    }
    const spool_stats *st = spool_get_stats(s);
    assert_int_equal(st->corrupt_records, 1);
    assert_int_equal(st->lost_records, 1);
    assert_non_null(strstr(lb.text, "damaged record"));
    /* The lost one counts as finished: nothing stays pending forever. */
    spool_done(s, 0, 10);
    spool_done(s, 11, 89);
    assert_int_equal(spool_pending(s), 0);
    spool_close(s);
    rm_dir(dir);
}

static void test_torn_tail_cut(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    put_n(s, 0, 50);
    spool_close(s);
    char path[512];
    snprintf(path, sizeof(path), "%s/seg-0000000000000000.spl", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 5), 0); /* the last record torn */
    s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    assert_true(spool_get_stats(s)->torn_bytes > 0);
    assert_int_equal(spool_next_seq(s), 49);
    put_n(s, 49, 60);
    int got[100];
    int r = read_all(s, got, NULL, 100);
    assert_int_equal(r, 60);
    for (int i = 0; i < r; i++)
        assert_int_equal(got[i], i);
    assert_non_null(strstr(lb.text, "unfinished record"));
    spool_close(s);
    rm_dir(dir);
}

static void test_damaged_header_in_old_segment(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 128 * 1024, SPOOL_FULL_BLOCK_INPUT, &lb);
    put_n(s, 0, 2000);
    spool_close(s);
    flip_byte(dir, "seg-0000000000000000.spl", 1); /* first record's magic */
    s = open_spool(dir, 128 * 1024, SPOOL_FULL_BLOCK_INPUT, &lb);
    int got[2000];
    int r = read_all(s, got, NULL, 2000);
    assert_int_equal(r, 1999);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1998], 1999);
    spool_close(s);
    rm_dir(dir);
}

static void test_locked(void **state)
{
    (void)state;
    char *dir = make_dir();
    logbuf lb = {0};
    spool *s = open_spool(dir, 1 << 20, SPOOL_FULL_BLOCK_INPUT, &lb);
    spool_opts o;
    memset(&o, 0, sizeof(o));
    o.dir = dir;
    spool *t = NULL;
    char err[256];
    assert_int_equal(spool_open(&t, &o, err, sizeof(err)), SPOOL_ELOCKED);
    assert_null(t);
    spool_close(s);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_replay),
        cmocka_unit_test(test_segments_trimmed),
        cmocka_unit_test(test_block_when_full),
        cmocka_unit_test(test_drop_oldest),
        cmocka_unit_test(test_drop_new),
        cmocka_unit_test(test_corrupt_record_skipped),
        cmocka_unit_test(test_torn_tail_cut),
        cmocka_unit_test(test_damaged_header_in_old_segment),
        cmocka_unit_test(test_locked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
