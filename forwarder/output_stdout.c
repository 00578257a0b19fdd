/* JSON-lines outputs: standard output and an appended file.  Both write
 * through a large stdio buffer; flush() pushes it to the descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipv6probe/json.h"
#include "output.h"
#include "stats.h"

#define OUT_BUFFER (1 << 18)

typedef struct lines_out {
    FILE *f;
    char *path; /* NULL for stdout */
    int fsync;
    char *buf;
    v6p_json_builder *label; /* the labelled records' envelope */
    unsigned long long records, bytes, errors, labelled;
} lines_out;

static int lines_write(output *o, const output_record *r)
{
    lines_out *s = o->state;
    /* Events, and unparsed lines (--unparsed=raw), as they are.  Other
     * records (ipv6probe:ladder summaries, ipv6probe:stats) come labelled,
     * as HEC would carry them, so that a reader of the stream cannot take
     * them for events:  {"time":T,"sourcetype":"…","event":{…}} */
    int plain = r->event || !strcmp(r->sourcetype, SOURCETYPE_UNPARSED);
    const char *text = r->json;
    size_t len = r->len;
    if (!plain) {
        v6p_json_builder *b = s->label;
        v6p_json_builder_reset(b);
        v6p_json_object_begin(b, NULL);
        v6p_json_time(b, "time", r->time_sec, r->time_usec);
        v6p_json_cstring(b, "sourcetype", r->sourcetype);
        v6p_json_raw(b, "event", r->json, r->len);
        v6p_json_object_end(b);
        if (v6p_json_builder_finish(b, &text, &len, NULL) != 0) {
            s->errors++;
            return -1;
        }
        s->labelled++;
    }
    /* _unlocked: only the worker thread writes, and the locked stdio calls
     * cost more than the copy on this path. */
    if (fwrite_unlocked(text, 1, len, s->f) != len || putc_unlocked('\n', s->f) == EOF) {
        s->errors++;
        return -1;
    }
    s->records++;
    s->bytes += len + 1;
    return 0;
}

static int lines_flush(output *o, unsigned timeout_ms)
{
    (void)timeout_ms;
    lines_out *s = o->state;
    if (fflush(s->f) != 0) {
        s->errors++;
        return -1;
    }
    if (s->fsync && s->path && fsync(fileno(s->f)) != 0) {
        s->errors++;
        return -1;
    }
    return 0;
}

static void lines_stats(output *o, output_emit_fn emit, void *arg)
{
    lines_out *s = o->state;
    emit(arg, "records", s->records);
    emit(arg, "bytes", s->bytes);
    emit(arg, "errors", s->errors);
    emit(arg, "labelled_records", s->labelled);
}

static int open_path(lines_out *s)
{
    int fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "a");
    if (!f) {
        close(fd);
        return -1;
    }
    setvbuf(f, s->buf, _IOFBF, OUT_BUFFER);
    s->f = f;
    return 0;
}

static int lines_reopen(output *o)
{
    lines_out *s = o->state;
    if (!s->path)
        return 0;
    /* After logrotate moved the file away: finish the old one, start anew. */
    fflush(s->f);
    FILE *old = s->f;
    if (open_path(s) != 0) {
        s->f = old;
        return -1;
    }
    fclose(old);
    return 0;
}

static void lines_close(output *o)
{
    lines_out *s = o->state;
    if (!s)
        return;
    if (s->path) {
        fclose(s->f);
    } else {
        fflush(s->f);
        setvbuf(s->f, NULL, _IONBF, 0); /* the buffer is freed below */
    }
    free(s->buf);
    free(s->path);
    v6p_json_builder_free(s->label);
    free(s);
    o->state = NULL;
}

static int common_open(output *o, const char *path, int want_fsync, char *err, size_t errlen)
{
    lines_out *s = calloc(1, sizeof(*s));
    if (!s || !(s->buf = malloc(OUT_BUFFER)) || !(s->label = v6p_json_builder_new())) {
        if (s) {
            free(s->buf);
            v6p_json_builder_free(s->label);
        }
        free(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->fsync = want_fsync;
    if (path) {
        s->path = strdup(path);
        if (open_path(s) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(s->path);
            free(s->buf);
            v6p_json_builder_free(s->label);
            free(s);
            return -1;
        }
    } else {
        s->f = stdout;
        setvbuf(stdout, s->buf, _IOFBF, OUT_BUFFER);
    }
    o->state = s;
    return 0;
}

static int stdout_open(output *o, const fwd_config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    return common_open(o, NULL, 0, err, errlen);
}

static int file_open(output *o, const fwd_config *cfg, char *err, size_t errlen)
{
    return common_open(o, cfg->out_file, cfg->out_file_fsync, err, errlen);
}

const output_ops output_stdout_ops = {"stdout",    stdout_open,  lines_write, lines_flush,
                                      lines_stats, lines_reopen, lines_close};
const output_ops output_file_ops = {"file",      file_open,    lines_write, lines_flush,
                                    lines_stats, lines_reopen, lines_close};
