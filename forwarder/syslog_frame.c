/* RFC 6587 framing of a syslog TCP stream (see syslog_frame.h). */
#include "syslog_frame.h"

#include <string.h>

/* Trailing CR/LF and NULs are framing, not message.  A cut message (a
 * length past max, or past the end of the stream) may hold what were other
 * messages: it ends at its first line, so that a record never carries
 * headers and lines merged. */
static int deliver(frame_emit_fn emit, void *arg, const char *msg, size_t len, int cut)
{
    if (cut) {
        const char *nl = memchr(msg, '\n', len);
        if (nl)
            len = (size_t)(nl - msg);
    }
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == 0))
        len--;
    if (!len && !cut)
        return 0;
    return emit(arg, msg, len, cut);
}

/* Digits then a space within FRAME_HEADER_MAX bytes: an octet-counting
 * header of *hlen bytes (space included) saying *n.  0 when s is not one,
 * -1 when it may still become one (more bytes needed). */
static int octet_header(const char *s, size_t avail, size_t *hlen, uint64_t *n)
{
    if (!avail || s[0] < '1' || s[0] > '9')
        return 0;
    size_t i = 0;
    uint64_t v = 0;
    while (i < avail && i < FRAME_HEADER_MAX && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + (uint64_t)(s[i++] - '0');
    if (i == avail && i < FRAME_HEADER_MAX)
        return -1;
    if (i < avail && s[i] == ' ' && i < FRAME_HEADER_MAX - 1) {
        *hlen = i + 1;
        *n = v;
        return 1;
    }
    return 0; /* an LF-terminated message that starts with a digit */
}

size_t frame_parse(frame_state *st, const char *buf, size_t len, size_t max, frame_emit_fn emit,
                   void *arg, int *rc)
{
    size_t p = 0;
    *rc = 0;
    while (p < len && *rc == 0) {
        const char *s = buf + p;
        size_t avail = len - p;
        if (st->skip) {
            size_t k = avail < st->skip ? avail : (size_t)st->skip;
            st->skip -= k;
            p += k;
            continue;
        }
        if (st->skip_to_lf) {
            const char *nl = memchr(s, '\n', avail);
            p += nl ? (size_t)(nl - s) + 1 : avail;
            st->skip_to_lf = !nl;
            continue;
        }
        if (*s == '\n' || *s == '\r' || *s == 0 || *s == ' ') {
            p++; /* between frames */
            continue;
        }
        size_t hl;
        uint64_t n;
        int h = octet_header(s, avail, &hl, &n);
        if (h < 0)
            break; /* the header is not complete yet */
        if (h > 0) {
            if (n <= max) {
                if (avail - hl < n)
                    break;
                *rc = deliver(emit, arg, s + hl, (size_t)n, 0);
                p += hl + (size_t)n;
            } else {
                if (avail - hl < max)
                    break;
                *rc = deliver(emit, arg, s + hl, max, 1);
                st->skip = n - max;
                p += hl + max;
            }
            continue;
        }
        const char *nl = memchr(s, '\n', avail < max + 1 ? avail : max + 1);
        if (nl) {
            *rc = deliver(emit, arg, s, (size_t)(nl - s), 0);
            p += (size_t)(nl - s) + 1;
        } else if (avail > max) {
            /* max + 1 bytes without a line feed: longer than max for sure
             * (with max alone, the next byte may be its line feed). */
            *rc = deliver(emit, arg, s, max, 1);
            st->skip_to_lf = 1;
            p += max;
        } else {
            break;
        }
    }
    return p;
}

void frame_eof(frame_state *st, const char *buf, size_t len, size_t max, frame_emit_fn emit,
               void *arg, int cut)
{
    if (!len || st->skip || st->skip_to_lf)
        return; /* the rest of a message already passed on cut */
    size_t hl;
    uint64_t n;
    if (octet_header(buf, len, &hl, &n) > 0) {
        /* Its length said more than came: the body alone, cut. */
        size_t body = len - hl;
        deliver(emit, arg, buf + hl, body < max ? body : max, 1);
        return;
    }
    deliver(emit, arg, buf, len < max ? len : max, cut || len > max);
}
