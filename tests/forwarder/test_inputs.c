/* Unit tests of the forwarder's inputs: the emitter every input hands its
 * lines through (lines, datagrams written in place, pushes that wait and
 * pushes that do not), and the input_ops tables: which table each input of
 * a configuration gets, one thread per table, open() and close(). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "inputs.h"
#include "queue.h"
#include "runtime.h"

static char tmpdir[] = "/tmp/fwd-inputs-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* A UDP port the kernel says is free now (the test runs beside others). */
static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* The records of a batch, "|"-joined, with "!" after a cut one. */
static void records(const batch *b, char *out, size_t cap)
{
    size_t pos = 0, o = 0, len;
    const char *line;
    unsigned flags;
    out[0] = 0;
    while (batch_next(b, &pos, &line, &len, &flags))
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s%s", o ? "|" : "", (int)len, line,
                              flags & REC_CUT ? "!" : "");
}

static void emitter_lines_and_datagrams(void **state)
{
    (void)state;
    fwd_config cfg;
    config_defaults(&cfg);
    runtime rt;
    memset(&rt, 0, sizeof(rt));
    rt.cfg = &cfg;
    assert_int_equal(queue_init(&rt.q, 1, 256), 0);
    input in;
    memset(&in, 0, sizeof(in));
    in.rt = &rt;
    emitter e;
    emitter_init(&e, &rt, &in);

    /* Lines: held until pushed, counted as read when handed over. */
    assert_int_equal(emitter_line(&e, "one", 3, 0, -1), 0);
    assert_int_equal(emitter_line(&e, "two", 3, 1, -1), 0);
    assert_int_equal(emitter_pending(&e), 2);
    assert_int_equal(counter_get(&in.st.lines), 0);
    assert_int_equal(counter_get(&in.st.cut), 1);
    assert_int_equal(emitter_push(&e), 0);
    assert_int_equal(emitter_pending(&e), 0);
    assert_int_equal(counter_get(&in.st.lines), 2);
    assert_int_equal(counter_get(&in.st.bytes), 8);

    /* Datagrams written in place: an empty one is counted in bytes at once,
     * the others when their batch is handed over. */
    char *dst = emitter_reserve(&e, 16);
    assert_non_null(dst);
    memcpy(dst, "hello", 5);
    emitter_commit(&e, 5, 0, 6);
    dst = emitter_reserve(&e, 16);
    memcpy(dst, "xyz", 3);
    emitter_commit(&e, 3, 1, 40);
    assert_non_null(emitter_reserve(&e, 16));
    emitter_commit(&e, 0, 0, 1);
    assert_int_equal(emitter_pending(&e), 2);
    assert_int_equal(counter_get(&in.st.cut), 2);
    assert_int_equal(counter_get(&in.st.bytes), 8 + 1);
    /* No room for a record this large: the caller pushes first. */
    assert_null(emitter_reserve(&e, 240));

    /* The queue holds one batch: a push that must not wait keeps it. */
    assert_int_equal(emitter_try_push(&e), -1);
    assert_int_equal(emitter_pending(&e), 2);
    assert_int_equal(counter_get(&in.st.lines), 2);
    int done;
    batch *first = queue_pop(&rt.q, 10, &done);
    assert_non_null(first);
    char got[256];
    records(first, got, sizeof(got));
    assert_string_equal(got, "one|two!");
    assert_int_equal(first->first_no, 1);
    assert_ptr_equal(first->src, &in);
    queue_put_batch(&rt.q, first);
    assert_int_equal(emitter_try_push(&e), 0);
    assert_int_equal(emitter_pending(&e), 0);
    assert_int_equal(counter_get(&in.st.lines), 4);
    assert_int_equal(counter_get(&in.st.bytes), 8 + 6 + 40 + 1);
    batch *second = queue_pop(&rt.q, 10, &done);
    assert_non_null(second);
    records(second, got, sizeof(got));
    assert_string_equal(got, "hello|xyz!");
    assert_int_equal(second->first_no, 3); /* datagrams are numbered like lines */
    assert_int_equal(second->end_offset, -1);
    queue_put_batch(&rt.q, second);

    emitter_free(&e);
    queue_destroy(&rt.q);
    config_free(&cfg);
}

/* Each input of a configuration gets its table; one thread serves each
 * table; what open() took close() gives back. */
static void inputs_from_config(void **state)
{
    (void)state;
    fwd_config cfg;
    config_defaults(&cfg);
    const char *once1 = write_tmp("once1.log", "a1\na2\n");
    const char *follow = write_tmp("follow.log", "old line\n");
    const char *once2 = write_tmp("once2.log", "b1\n");
    assert_int_equal(config_add_file(&cfg, once1, 0), 0);
    assert_int_equal(config_add_file(&cfg, follow, 1), 0);
    assert_int_equal(config_add_file(&cfg, once2, 0), 0);
    cfg.listeners = calloc(1, sizeof(cfg_listener));
    assert_non_null(cfg.listeners);
    char url[64], err[256];
    snprintf(url, sizeof(url), "udp://127.0.0.1:%d", free_udp_port());
    assert_int_equal(config_parse_listen(url, &cfg.listeners[0], err, sizeof(err)), 0);
    cfg.n_listeners = 1;
    cfg.follow_poll_ms = 20;

    runtime rt;
    memset(&rt, 0, sizeof(rt));
    rt.cfg = &cfg;
    assert_int_equal(queue_init(&rt.q, 8, cfg.batch_bytes), 0);
    assert_int_equal(inputs_open(&rt, err, sizeof(err)), 0);
    assert_int_equal(rt.n_inputs, 4);
    assert_ptr_equal(rt.inputs[0].ops, &input_once_ops);
    assert_ptr_equal(rt.inputs[1].ops, &input_follow_ops);
    assert_ptr_equal(rt.inputs[2].ops, &input_once_ops);
    assert_ptr_equal(rt.inputs[3].ops, &input_syslog_ops);
    assert_int_equal(rt.inputs[3].kind, INPUT_SYSLOG);
    assert_true(rt.inputs[3].fd >= 0); /* bound by open(), before the thread */
    assert_int_equal(rt.inputs[0].fd, -1);

    assert_int_equal(inputs_start(&rt, err, sizeof(err)), 0);
    assert_int_equal(rt.n_threads, 3);
    assert_ptr_equal(rt.threads[0].ops, &input_once_ops);
    assert_ptr_equal(rt.threads[1].ops, &input_follow_ops);
    assert_ptr_equal(rt.threads[2].ops, &input_syslog_ops);

    /* The files read once come out in the order given. */
    char all[256] = "", got[256];
    int done = 0;
    while (strlen(all) < strlen("a1|a2|b1")) {
        batch *b = queue_pop(&rt.q, 5000, &done);
        assert_non_null(b);
        if (b->src->ops == &input_once_ops) { /* the followed file may come too */
            records(b, got, sizeof(got));
            strcat(all, *all ? "|" : "");
            strcat(all, got);
        }
        queue_put_batch(&rt.q, b);
    }
    assert_string_equal(all, "a1|a2|b1");
    assert_int_equal(counter_get(&rt.inputs[0].st.lines), 2);
    assert_int_equal(counter_get(&rt.inputs[2].st.lines), 1);

    /* Stopped, every thread ends and the queue closes behind them. */
    runtime_stop_inputs(&rt);
    inputs_join(&rt);
    assert_int_equal(rt.n_threads, 0);
    batch *b;
    while ((b = queue_pop(&rt.q, 1000, &done)))
        queue_put_batch(&rt.q, b);
    assert_true(done);
    inputs_free(&rt);
    assert_null(rt.inputs);
    queue_destroy(&rt.q);
    config_free(&cfg);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(emitter_lines_and_datagrams),
        cmocka_unit_test(inputs_from_config),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
