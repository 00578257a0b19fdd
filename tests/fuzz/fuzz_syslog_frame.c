/* libFuzzer target: the syslog TCP framing state machine (RFC 6587 octet
 * counting and LF) over any byte stream.  The first two bytes choose
 * max_message and how the stream is cut into reads; the rest is the
 * stream.  Findings: a crash or sanitizer report; a message longer than
 * max; a cut message holding a line feed (merged lines); more bytes out
 * than in; and a result that depends on how the stream was cut into reads
 * (the same bytes read one way and another must give the same messages). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct sink {
    char *out; /* every message, each as len(8) cut(1) bytes */
    size_t len, cap;
    size_t max, bytes;
} sink;

static int take(void *arg, const char *msg, size_t len, int cut)
{
    sink *k = arg;
    if (len > k->max || (cut && memchr(msg, '\n', len)))
        abort();
    k->bytes += len;
    if (k->len + len + 9 > k->cap) {
        size_t cap = (k->len + len + 9) * 2;
        char *n = realloc(k->out, cap);
        if (!n)
            abort();
        k->out = n;
        k->cap = cap;
    }
    uint64_t l = len;
    memcpy(k->out + k->len, &l, 8);
    k->out[k->len + 8] = (char)cut;
    memcpy(k->out + k->len + 9, msg, len);
    k->len += len + 9;
    return 0;
}

/* The connection as input_syslog.c runs it: a buffer of max + header
 * bytes, reads of at most `chunk` bytes (0: as much as fits). */
static void run(const uint8_t *s, size_t n, size_t max, size_t chunk, sink *k)
{
    size_t cap = max + FRAME_HEADER_MAX, len = 0, off = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    frame_state st;
    memset(&st, 0, sizeof(st));
    while (off < n) {
        size_t room = cap - len, want = chunk && chunk < room ? chunk : room;
        if (want > n - off)
            want = n - off;
        if (want == 0)
            abort(); /* a full buffer that the parser did not take from */
        memcpy(buf + len, s + off, want);
        len += want;
        off += want;
        int rc;
        size_t p = frame_parse(&st, buf, len, max, take, k, &rc);
        if (p > len)
            abort();
        memmove(buf, buf + p, len - p);
        len -= p;
    }
    frame_eof(&st, buf, len, max, take, k, 0);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = 16 + data[0] % 240, chunk = 1 + data[1] % 37;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    sink a = {NULL, 0, 0, max, 0}, b = {NULL, 0, 0, max, 0};
    run(s, n, max, 0, &a);
    run(s, n, max, chunk, &b);
    if (a.bytes > n || a.len != b.len || (a.len && memcmp(a.out, b.out, a.len) != 0))
        abort();
    free(a.out);
    free(b.out);
    return 0;
}
