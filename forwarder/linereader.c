#include "linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int linereader_init(linereader *lr, int fd, size_t max_line)
{
    memset(lr, 0, sizeof(*lr));
    lr->fd = fd;
    lr->max_line = max_line;
    lr->cap = max_line + 65536 > (1u << 20) ? max_line + 65536 : (1u << 20);
    lr->buf = malloc(lr->cap);
    return lr->buf ? 0 : -1;
}

void linereader_free(linereader *lr)
{
    free(lr->buf);
    lr->buf = NULL;
}

void linereader_reset(linereader *lr, int fd, unsigned long long at)
{
    lr->fd = fd;
    lr->start = lr->end = 0;
    lr->eof = 0;
    lr->skipping = 0;
    lr->bytes = at;
}

static int fill(linereader *lr)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->start = 0;
    }
    for (;;) {
        size_t room = lr->cap - lr->end;
        ssize_t n = lr->readfn ? lr->readfn(lr->readarg, lr->buf + lr->end, room)
                               : read(lr->fd, lr->buf + lr->end, room);
        if (n > 0) {
            lr->end += (size_t)n;
            lr->bytes += (unsigned long long)n;
            return 1;
        }
        if (n == 0) {
            if (!lr->follow)
                lr->eof = 1;
            return 0;
        }
        if (errno != EINTR)
            return -1;
    }
}

int linereader_next(linereader *lr, const char **line, size_t *len, int *cut)
{
    *cut = 0;
    for (;;) {
        char *s = lr->buf + lr->start;
        size_t avail = lr->end - lr->start;
        char *nl = memchr(s, '\n', avail);
        if (lr->skipping) {
            /* Drop the rest of a line already delivered cut. */
            if (!nl) {
                lr->start = lr->end;
            } else {
                lr->start += (size_t)(nl - s) + 1;
                lr->skipping = 0;
                continue;
            }
        } else if (nl && (size_t)(nl - s) <= lr->max_line) {
            *line = s;
            *len = (size_t)(nl - s);
            lr->start += *len + 1;
            return 1;
        } else if (avail >= lr->max_line) {
            *line = s;
            *len = lr->max_line;
            *cut = 1;
            lr->start += lr->max_line;
            lr->skipping = 1;
            return 1;
        } else if (lr->eof) {
            if (avail == 0)
                return 0;
            *line = s;
            *len = avail;
            lr->start = lr->end;
            return 1;
        }
        if (lr->eof && lr->start == lr->end)
            return 0;
        int r = fill(lr);
        if (r < 0)
            return -1;
        if (r == 0 && lr->follow)
            return 0;
    }
}

int linereader_rest(linereader *lr, const char **line, size_t *len)
{
    if (lr->start == lr->end || lr->skipping)
        return 0;
    *line = lr->buf + lr->start;
    *len = lr->end - lr->start;
    lr->start = lr->end;
    return 1;
}
