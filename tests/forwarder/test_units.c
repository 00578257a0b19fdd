/* Unit tests of the forwarder's parts: configuration loading, listen
 * addresses, batches and the queue, the line reader, checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "config.h"
#include "linereader.h"
#include "queue.h"
#include "syslog_frame.h"

static char tmpdir[] = "/tmp/v6p-units-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void config_values(void **state)
{
    (void)state;
    const char *p =
        write_tmp("good.yaml", "inputs:\n"
                               "  syslog:\n"
                               "    - listen: \"tcp://[::1]:6514\"\n"
                               "      max_message: 16KiB\n"
                               "    - udp://0.0.0.0:514\n"
                               "  files:\n"
                               "    - /var/log/a.log\n"
                               "    - path: /var/log/b.log\n"
                               "      follow: yes\n"
                               "      start_at: end\n"
                               "parser:\n"
                               "  action_patterns:\n"
                               "    - {match: \"^A\", value: allowed}\n"
                               "  direction_patterns:\n"
                               "    - {match: \"^B\", value: forward}\n"
                               "pe:\n"
                               "  valid_lifetime_s: 172800\n"
                               "outputs:\n"
                               "  hec:\n"
                               "    endpoints: [\"https://a:8088\", \"https://b:8088\"]\n"
                               "    token_env: T\n"
                               "    batch: {events: 50, bytes: 2MiB}\n"
                               "    spool: {dir: /s, full_policy: drop_oldest}\n"
                               "    indexed_fields: [src, dest_port]\n");
    fwd_config c;
    char err[CFG_ERR_MAX] = "";
    config_defaults(&c);
    int rc = config_load(&c, p, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
    assert_int_equal(c.n_listeners, 2);
    assert_int_equal(c.listeners[0].proto, PROTO_TCP);
    assert_string_equal(c.listeners[0].address, "::1");
    assert_int_equal(c.listeners[0].port, 6514);
    assert_int_equal(c.listeners[0].max_message, 16384);
    assert_int_equal(c.listeners[1].proto, PROTO_UDP);
    assert_int_equal(c.listeners[1].max_message, 65536); /* the default */
    assert_int_equal(c.n_files, 2);
    assert_int_equal(c.files[0].follow, 0);
    assert_int_equal(c.files[1].follow, 1);
    assert_int_equal(c.files[1].start, START_END);
    assert_int_equal(c.n_patterns, 2);
    assert_int_equal(c.patterns[0].kind, V6P_PATTERN_ACTION);
    assert_int_equal(c.patterns[1].kind, V6P_PATTERN_DIRECTION);
    assert_int_equal(c.pe.valid_lifetime, 172800);
    assert_int_equal(c.pe.preferred_lifetime, 86400); /* the library's default stays */
    assert_true(c.hec.enabled);
    assert_int_equal(c.hec.n_endpoints, 2);
    assert_int_equal(c.hec.batch.events, 50);
    assert_int_equal(c.hec.batch.bytes, 2 << 20);
    assert_int_equal(c.hec.batch.time_ms, 200);
    assert_int_equal(c.hec.spool.full_policy, SPOOL_FULL_DROP_OLDEST);
    assert_int_equal(c.hec.n_indexed_fields, 2);
    /* With HEC on and stdout not asked for, stdout stays off. */
    assert_int_equal(c.out_stdout, 0);
    assert_int_equal(c.stats_events, 1);
    config_free(&c);
}

static void load_error(const char *text, char *err, size_t errlen)
{
    const char *p = write_tmp("bad.yaml", text);
    fwd_config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, p, err, errlen), -1);
    config_free(&c);
}

static void config_suggestions(void **state)
{
    (void)state;
    char err[CFG_ERR_MAX];
    load_error("outputs:\n  hec:\n    retry:\n      max_backof_ms: 5\n", err, sizeof(err));
    assert_non_null(strstr(err, "bad.yaml:4:7: unknown key \"max_backof_ms\" in retry (did you "
                                "mean \"max_backoff_ms\"?)"));
    /* Nothing near: no guess. */
    load_error("zzzzzz: 1\n", err, sizeof(err));
    assert_non_null(strstr(err, "unknown key \"zzzzzz\" in the configuration"));
    assert_null(strstr(err, "did you mean"));
    /* Sizes: units and overflow. */
    load_error("pipeline:\n  batch_bytes: 99999999999GiB\n", err, sizeof(err));
    assert_non_null(strstr(err, "2:16: \"batch_bytes\" is too large"));
}

/* workers: range-checked with its place; 0 = the CPUs this process may run
 * on, never none. */
static void config_workers_key(void **state)
{
    (void)state;
    char err[CFG_ERR_MAX];
    load_error("progress: false\nworkers: 257\n", err, sizeof(err));
    assert_non_null(strstr(err, "bad.yaml:2:10: \"workers\" must be from 0 to 256, not 257"));
    load_error("workers: -1\n", err, sizeof(err));
    assert_non_null(strstr(err, "bad.yaml:1:10: \"workers\""));
    const char *p = write_tmp("workers.yaml", "workers: 3\n");
    fwd_config c;
    config_defaults(&c);
    assert_int_equal(config_workers(&c), config_workers(&c));
    assert_true(config_workers(&c) >= 1 && config_workers(&c) <= CFG_MAX_WORKERS);
    assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
    assert_int_equal(config_workers(&c), 3);
    config_free(&c);
}

static void listen_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        const char *addr;
        unsigned port;
    } cases[] = {
        {"tcp://[::1]:6514", 1, "::1", 6514},
        {"udp://127.0.0.1:514", 1, "127.0.0.1", 514},
        {"tcp://[2001:db8::5]:1", 1, "2001:db8::5", 1},
        {"tcp://::1:6514", 0, NULL, 0},
        {"tcp://[::1]6514", 0, NULL, 0},
        {"tcp://[::1]:0", 0, NULL, 0},
        {"tcp://127.0.0.1:", 0, NULL, 0},
        {"tcp://host.example:514", 0, NULL, 0},
        {"http://127.0.0.1:80", 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg_listener l;
        memset(&l, 0, sizeof(l));
        char err[256];
        int rc = config_parse_listen(cases[i].text, &l, err, sizeof(err));
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_string_equal(l.address, cases[i].addr);
            assert_int_equal(l.port, cases[i].port);
        } else {
            assert_int_equal(rc, -1);
        }
        free(l.address);
        if (l.line < 0)
            free(l.listen);
    }
}

static void batches(void **state)
{
    (void)state;
    queue q;
    assert_int_equal(queue_init(&q, 2, 64), 0);
    batch *b = queue_get_batch(&q);
    assert_non_null(b);
    /* Records of every length modulo 4, and an empty one, come back intact. */
    assert_int_equal(batch_add(b, "abc", 3, 0), 0);
    assert_int_equal(batch_add(b, "", 0, REC_CUT), 0);
    assert_int_equal(batch_add(b, "defgh", 5, 0), 0);
    char big[40];
    memset(big, 'x', sizeof(big));
    assert_int_equal(batch_add(b, big, sizeof(big), 0), -1); /* does not fit */
    size_t pos = 0, len;
    const char *line;
    unsigned flags;
    assert_int_equal(batch_next(b, &pos, &line, &len, &flags), 1);
    assert_int_equal(len, 3);
    assert_memory_equal(line, "abc", 3);
    assert_int_equal(batch_next(b, &pos, &line, &len, &flags), 1);
    assert_int_equal(len, 0);
    assert_int_equal(flags, REC_CUT);
    assert_int_equal(batch_next(b, &pos, &line, &len, &flags), 1);
    assert_memory_equal(line, "defgh", 5);
    assert_int_equal(batch_next(b, &pos, &line, &len, &flags), 0);

    /* Bounded: the third push of a 2-batch queue fails without waiting. */
    assert_int_equal(queue_try_push(&q, b), 0);
    batch *b2 = queue_get_batch(&q);
    assert_int_equal(queue_try_push(&q, b2), 0);
    batch *b3 = queue_get_batch(&q);
    assert_int_equal(queue_try_push(&q, b3), -1);
    int done;
    assert_ptr_equal(queue_pop(&q, 10, &done), b); /* in order */
    assert_int_equal(queue_try_push(&q, b3), 0);
    queue_put_batch(&q, b);
    queue_close(&q);
    assert_ptr_equal(queue_pop(&q, 10, &done), b2);
    assert_ptr_equal(queue_pop(&q, 10, &done), b3);
    assert_null(queue_pop(&q, 10, &done));
    assert_int_equal(done, 1);
    queue_put_batch(&q, b2);
    queue_put_batch(&q, b3);
    queue_destroy(&q);
}

static void reader_cut_and_follow(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/lines", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("short\n", f);
    for (int i = 0; i < 300; i++)
        fputc('L', f);
    fputs("\nnext\npart", f);
    fclose(f);
    FILE *r = fopen(path, "r");
    linereader lr;
    assert_int_equal(linereader_init(&lr, fileno(r), 100), 0);
    lr.follow = 1;
    const char *line;
    size_t len;
    int cut;
    assert_int_equal(linereader_next(&lr, &line, &len, &cut), 1);
    assert_int_equal(len, 5);
    assert_int_equal(linereader_offset(&lr), 6);
    assert_int_equal(linereader_next(&lr, &line, &len, &cut), 1);
    assert_int_equal(len, 100);
    assert_int_equal(cut, 1);
    assert_int_equal(linereader_next(&lr, &line, &len, &cut), 1);
    assert_memory_equal(line, "next", 4); /* the long line's tail was skipped */
    assert_int_equal(cut, 0);
    /* "part" has no newline yet: held back in follow mode. */
    assert_int_equal(linereader_next(&lr, &line, &len, &cut), 0);
    assert_int_equal(linereader_offset(&lr), 6 + 301 + 5);
    f = fopen(path, "a");
    fputs("ial\n", f);
    fclose(f);
    assert_int_equal(linereader_next(&lr, &line, &len, &cut), 1);
    assert_int_equal(len, 7);
    assert_memory_equal(line, "partial", 7);
    linereader_free(&lr);
    fclose(r);
}

static void checkpoint_roundtrip(void **state)
{
    (void)state;
    char file[512];
    snprintf(file, sizeof(file), "%s/ck", tmpdir);
    checkpoints c;
    char err[256];
    assert_int_equal(checkpoints_open(&c, file, err, sizeof(err)), 0);
    ckpt_entry *a = checkpoints_get(&c, "/var/log/with space.log");
    ckpt_entry *b = checkpoints_get(&c, "/var/log/b.log");
    checkpoints_commit(&c, a, 2049, 77, 123456789012LL);
    checkpoints_commit(&c, b, 1, 2, 3);
    assert_int_equal(checkpoints_save(&c), 0);
    checkpoints_close(&c);
    assert_int_equal(checkpoints_open(&c, file, err, sizeof(err)), 0);
    a = checkpoints_get(&c, "/var/log/with space.log");
    uint64_t dev, ino;
    int64_t off;
    checkpoints_read(&c, a, &dev, &ino, &off);
    assert_int_equal(dev, 2049);
    assert_int_equal(ino, 77);
    assert_int_equal(off, 123456789012LL);
    ckpt_entry *n = checkpoints_get(&c, "/new");
    checkpoints_read(&c, n, &dev, &ino, &off);
    assert_int_equal(off, -1); /* unknown file */
    checkpoints_close(&c);
    /* A damaged file is an error, not a silent restart from zero. */
    FILE *f = fopen(file, "w");
    fputs("12 x 5 /a\n", f);
    fclose(f);
    assert_int_equal(checkpoints_open(&c, file, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: damaged checkpoint line"));
    checkpoints_close(&c);
}

/* ---- syslog TCP framing ---- */

typedef struct frames {
    char text[512]; /* messages joined by '|', a cut one marked '!' */
    size_t len;
} frames;

static int collect(void *arg, const char *msg, size_t len, int cut)
{
    frames *f = arg;
    assert_true(f->len + len + 2 < sizeof(f->text));
    memcpy(f->text + f->len, msg, len);
    f->len += len;
    f->text[f->len++] = cut ? '!' : '|';
    f->text[f->len] = 0;
    return 0;
}

/* Feeds s in reads of `chunk` bytes through a buffer of max + header, as
 * the listener does, then ends the stream. */
static void feed(const char *s, size_t max, size_t chunk, frames *f)
{
    char buf[256];
    size_t len = 0, n = strlen(s), off = 0;
    frame_state st;
    memset(&st, 0, sizeof(st));
    memset(f, 0, sizeof(*f));
    while (off < n) {
        size_t k = chunk < n - off ? chunk : n - off;
        if (k > max + FRAME_HEADER_MAX - len)
            k = max + FRAME_HEADER_MAX - len;
        memcpy(buf + len, s + off, k);
        len += k;
        off += k;
        int rc;
        size_t p = frame_parse(&st, buf, len, max, collect, f, &rc);
        memmove(buf, buf + p, len - p);
        len -= p;
    }
    frame_eof(&st, buf, len, max, collect, f, 0);
}

static void syslog_framing(void **state)
{
    (void)state;
    frames f;
    /* A message of exactly max bytes is whole however it arrives (the
     * fuzzer found it cut when it came a byte at a time). */
    for (size_t chunk = 1; chunk < 40; chunk++) {
        feed("0123456789abcdef\nnext\n", 16, chunk, &f);
        assert_string_equal(f.text, "0123456789abcdef|next|");
    }
    /* Longer than max: cut once, the rest skipped, the next whole. */
    feed("0123456789abcdefXYZ\nnext\n", 16, 3, &f);
    assert_string_equal(f.text, "0123456789abcdef!next|");
    /* Octet counting, a line feed inside a frame is the message's. */
    feed("7 a\nb c d3 xyz", 16, 2, &f);
    assert_string_equal(f.text, "a\nb c d|xyz|");
    /* A length past the end of the stream: the body to its first line,
     * cut; never the header with the next lines inside. */
    feed("4294967296 first\nsecond\n", 64, 5, &f);
    assert_string_equal(f.text, "first!");
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_values),
        cmocka_unit_test(config_suggestions),
        cmocka_unit_test(config_workers_key),
        cmocka_unit_test(listen_addresses),
        cmocka_unit_test(batches),
        cmocka_unit_test(reader_cut_and_follow),
        cmocka_unit_test(checkpoint_roundtrip),
        cmocka_unit_test(syslog_framing),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
