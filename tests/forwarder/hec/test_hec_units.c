/* Unit tests of the HEC client's pure parts: the event object, reply
 * classification, ack replies, tokens and their redaction, endpoint URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hec.h"
#include "hec_envelope.h"
#include "hec_reply.h"
#include "hec_token.h"

static const char *envelope(const hec_meta *m, const char *ev, const char *const *f, size_t nf)
{
    static hec_buf b;
    static char out[4096];
    assert_int_equal(hec_envelope(&b, m, ev, strlen(ev), f, nf), 0);
    assert_true(b.len < sizeof(out));
    memcpy(out, b.p, b.len);
    out[b.len] = 0;
    return out;
}

static void test_envelope_metadata(void **state)
{
    (void)state;
    hec_meta m = {1700000000, 123456, "gw1", 3, "fw:syslog", "ipv6probe:event", "netfw"};
    assert_string_equal(envelope(&m, "{\"a\":1}", NULL, 0),
                        "{\"time\":1700000000.123456,\"host\":\"gw1\",\"source\":\"fw:syslog\","
                        "\"sourcetype\":\"ipv6probe:event\",\"index\":\"netfw\","
                        "\"event\":{\"a\":1}}");
    hec_meta bare = {5, 0, NULL, 0, NULL, NULL, NULL};
    assert_string_equal(envelope(&bare, "{}", NULL, 0), "{\"time\":5.000000,\"event\":{}}");
    hec_meta q = {1, 0, "a\"b\\c", 5, NULL, NULL, NULL};
    assert_string_equal(envelope(&q, "{}", NULL, 0),
                        "{\"time\":1.000000,\"host\":\"a\\\"b\\\\c\",\"event\":{}}");
}

static void test_envelope_fields(void **state)
{
    (void)state;
    hec_meta m = {1, 0, NULL, 0, NULL, NULL, NULL};
    const char *f[] = {"src", "dest_port", "tags", "dest_pe", "nested", "nothing", "mixed"};
    const char *ev = "{\"src\":\"2001:db8::1\",\"dest_port\":22,\"tags\":[\"hop_ladder\","
                     "\"pe_target\"],\"dest_pe\":true,\"nested\":{\"x\":\"y\"},\"other\":\"z\","
                     "\"mixed\":[1,\"a\",null]}";
    const char *out = envelope(&m, ev, f, 7);
    const char *fields = strstr(out, ",\"fields\":");
    assert_non_null(fields);
    assert_string_equal(fields, ",\"fields\":{\"src\":\"2001:db8::1\",\"dest_port\":\"22\","
                                "\"tags\":[\"hop_ladder\",\"pe_target\"],\"dest_pe\":\"true\","
                                "\"mixed\":[\"1\",\"a\"]}}");
    /* No wanted field present: no "fields" at all. */
    assert_null(strstr(envelope(&m, "{\"other\":1}", f, 7), "fields"));
    /* Not an object: refused. */
    hec_buf b = {0};
    assert_int_equal(hec_envelope(&b, &m, "[1]", 3, NULL, 0), -1);
    hec_buf_free(&b);
}

static void test_classify(void **state)
{
    (void)state;
    hec_reply r;
    assert_int_equal(hec_reply_parse("{\"text\":\"Success\",\"code\":0,\"ackId\":7}", 37, &r), 0);
    assert_true(r.has_ack_id);
    assert_int_equal(r.ack_id, 7);
    assert_int_equal(hec_classify(200, &r, 10), HEC_DONE);

    const char *busy = "{\"text\":\"Server is busy\",\"code\":9,\"invalid-event-number\":0}";
    hec_reply_parse(busy, strlen(busy), &r);
    assert_true(r.has_ien);
    assert_int_equal(hec_classify(503, &r, 10), HEC_RETRY); /* 5xx: whole batch again */

    const char *bad = "{\"text\":\"Invalid data format\",\"code\":6,\"invalid-event-number\":3}";
    hec_reply_parse(bad, strlen(bad), &r);
    assert_string_equal(r.text, "Invalid data format");
    assert_int_equal(hec_classify(400, &r, 10), HEC_PARTIAL);
    assert_int_equal(hec_classify(400, &r, 3), HEC_REJECT); /* number out of range */

    hec_reply none;
    assert_int_equal(hec_reply_parse("<html>", 6, &none), -1);
    assert_int_equal(hec_classify(0, &none, 1), HEC_RETRY);
    assert_int_equal(hec_classify(408, &none, 1), HEC_RETRY);
    assert_int_equal(hec_classify(429, &none, 1), HEC_RETRY);
    assert_int_equal(hec_classify(404, &none, 1), HEC_RETRY);
    assert_int_equal(hec_classify(502, &none, 1), HEC_RETRY);
    assert_int_equal(hec_classify(401, &none, 1), HEC_AUTH);
    assert_int_equal(hec_classify(403, &none, 1), HEC_AUTH);
    assert_int_equal(hec_classify(413, &none, 1), HEC_TOO_LARGE);
    assert_int_equal(hec_classify(400, &none, 1), HEC_REJECT);
    assert_int_equal(hec_classify(303, &none, 1), HEC_MISCONFIGURED);
}

static int acked[8];
static void on_ack(void *arg, uint64_t id, int ok)
{
    (void)arg;
    if (id < 8)
        acked[id] = ok ? 1 : -1;
}

static void test_ack_parse(void **state)
{
    (void)state;
    const char *body = "{\"acks\":{\"0\":true,\"1\":false,\"5\":true}}";
    assert_int_equal(hec_ack_parse(body, strlen(body), on_ack, NULL), 3);
    assert_int_equal(acked[0], 1);
    assert_int_equal(acked[1], -1);
    assert_int_equal(acked[5], 1);
    assert_int_equal(hec_ack_parse("{\"text\":\"x\"}", 12, on_ack, NULL), -1);
}

static void test_token(void **state)
{
    (void)state;
    char path[] = "/tmp/hec-token-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *t = "  4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90 \n";
    assert_int_equal(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    char tok[HEC_TOKEN_MAX], err[256];
    assert_int_equal(hec_token_load(path, NULL, tok, sizeof(tok), err, sizeof(err)), 0);
    assert_string_equal(tok, "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90");
    unlink(path);
    assert_int_equal(hec_token_load(path, NULL, tok, sizeof(tok), err, sizeof(err)), -1);

    setenv("HEC_UNIT_TOKEN", "abc def", 1); /* a space would break the header */
    assert_int_equal(hec_token_load(NULL, "HEC_UNIT_TOKEN", tok, sizeof(tok), err, sizeof(err)),
                     -1);
    assert_null(strstr(err, "abc"));
    setenv("HEC_UNIT_TOKEN", "secret-token-1", 1);
    assert_int_equal(hec_token_load(NULL, "HEC_UNIT_TOKEN", tok, sizeof(tok), err, sizeof(err)), 0);

    char msg[128] = "Authorization: Splunk secret-token-1; again secret-token-1.";
    hec_redact(msg, sizeof(msg), "secret-token-1");
    assert_string_equal(msg, "Authorization: Splunk <redacted>; again <redacted>.");
}

static void test_urls(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(hec_check_url("https://splunk.example:8088", 0, err, sizeof(err)), HEC_OK);
    assert_int_equal(hec_check_url("http://127.0.0.1:8088", 0, err, sizeof(err)), HEC_OK);
    assert_int_equal(hec_check_url("http://[::1]:8088", 0, err, sizeof(err)), HEC_OK);
    assert_int_equal(hec_check_url("http://localhost:8088", 0, err, sizeof(err)), HEC_OK);
    assert_int_equal(hec_check_url("http://splunk.example:8088", 0, err, sizeof(err)), HEC_EINVAL);
    assert_non_null(strstr(err, "allow_insecure_http"));
    assert_int_equal(hec_check_url("http://splunk.example:8088", 1, err, sizeof(err)), HEC_OK);
    assert_int_equal(hec_check_url("ftp://splunk.example", 1, err, sizeof(err)), HEC_EINVAL);
    assert_int_equal(
        hec_check_url("https://h:8088/services/collector?token=x", 0, err, sizeof(err)),
        HEC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_metadata),
        cmocka_unit_test(test_envelope_fields),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_ack_parse),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
