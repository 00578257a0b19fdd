/* The plain block subset of YAML (see yamlblock.h).
 *
 * One line at a time: a line is blank, a comment, "key: value", "key:" or
 * "- key[: value]".  Indentation opens and closes collections the way a
 * YAML block parser does, with a stack of open mappings and sequences and
 * their columns; a line may close several and open two (a sequence under a
 * "key:" line, then the item's mapping), so its events go through a small
 * queue.  Scalars are spans of the text, copied NUL-terminated when handed
 * out. */
#include "yamlblock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define YB_DEPTH 8
#define YB_QUEUE 16 /* a line emits at most YB_DEPTH ends + 4 */

typedef struct yb_event {
    yaml_event_type_t type;
    size_t line, column;
    size_t off, len; /* scalars: the span in the text */
} yb_event;

typedef struct yb_open {
    int is_seq;
    size_t column;
} yb_open;

struct v6pi_yblock {
    const char *text;
    size_t len, pos, line; /* pos: start of the next line; line: its number from 0 */
    int begun, in_doc, ended;
    yb_open open[YB_DEPTH];
    int depth;
    /* A "key:" line whose value has not come: an empty scalar, unless the
     * next line opens a sequence under it. */
    int pending;
    yb_event q[YB_QUEUE];
    unsigned qhead, qlen;
    char *scratch;
    size_t scratch_cap;
};

v6pi_yblock *v6pi_yblock_new(const char *text, size_t len)
{
    v6pi_yblock *s = calloc(1, sizeof(*s));
    if (s) {
        s->text = text;
        s->len = len;
    }
    return s;
}

void v6pi_yblock_free(v6pi_yblock *s)
{
    if (s) {
        free(s->scratch);
        free(s);
    }
}

static int push(v6pi_yblock *s, yaml_event_type_t type, size_t column, size_t off, size_t len)
{
    if (s->qlen == YB_QUEUE)
        return 0;
    s->q[(s->qhead + s->qlen++) % YB_QUEUE] = (yb_event){type, s->line, column, off, len};
    return 1;
}

static int open_collection(v6pi_yblock *s, int is_seq, size_t column)
{
    if (s->depth == YB_DEPTH)
        return 0;
    s->open[s->depth++] = (yb_open){is_seq, column};
    return push(s, is_seq ? YAML_SEQUENCE_START_EVENT : YAML_MAPPING_START_EVENT, column, 0, 0);
}

static int close_top(v6pi_yblock *s)
{
    const yb_open *o = &s->open[--s->depth];
    return push(s, o->is_seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT, 0, 0, 0);
}

/* An empty scalar for a "key:" that turned out to have no value. */
static int settle_pending(v6pi_yblock *s)
{
    if (!s->pending)
        return 1;
    s->pending = 0;
    return push(s, YAML_SCALAR_EVENT, 0, 0, 0);
}

/* Plain scalars this scanner is sure of: printable ASCII (checked by the
 * caller), no indicator first, no "#" (a comment, or not), no ": " and no
 * ":" at the end (a mapping, or an error). */
static int plain_ok(const char *v, size_t n)
{
    if (strchr("-?:,[]{}#&*!|>'\"%@`", v[0]))
        return 0;
    if (memchr(v, '#', n) || v[n - 1] == ':')
        return 0;
    for (const char *c = memchr(v, ':', n); c; c = memchr(c + 1, ':', (size_t)(v + n - c - 1)))
        if (c[1] == ' ')
            return 0;
    return 1;
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* One content line: [indent]["- "]key:[ value].  0 when it leaves the
 * subset. */
static int content_line(v6pi_yblock *s, size_t start, size_t indent, size_t end)
{
    const char *t = s->text;
    size_t p = start + indent;
    int dash = 0;
    if (t[p] == '-') {
        if (p + 1 >= end || t[p + 1] != ' ')
            return 0;
        dash = 1;
        for (p += 1; p < end && t[p] == ' '; p++)
            ;
    }
    size_t key = p;
    while (p < end && is_key_char(t[p]))
        p++;
    if (p == key || p >= end || t[p] != ':' || (p + 1 < end && t[p + 1] != ' '))
        return 0;
    size_t key_len = p - key, key_col = key - start;
    for (p++; p < end && t[p] == ' '; p++)
        ;
    size_t vend = end;
    while (vend > p && t[vend - 1] == ' ')
        vend--;
    if (vend > p && !plain_ok(t + p, vend - p))
        return 0;

    if (!s->in_doc) { /* the first line opens the document's mapping */
        if (dash || !push(s, YAML_DOCUMENT_START_EVENT, 0, 0, 0) || !open_collection(s, 0, indent))
            return 0;
        s->in_doc = 1;
    }
    if (dash) {
        const yb_open *top = &s->open[s->depth - 1];
        if (s->pending && !top->is_seq && indent >= top->column) {
            s->pending = 0; /* "key:" then "- …": the key's value is this list */
            if (!open_collection(s, 1, indent))
                return 0;
        } else if (!settle_pending(s)) {
            return 0;
        }
        while (s->depth > 0 && s->open[s->depth - 1].column > indent)
            if (!close_top(s))
                return 0;
        if (s->depth == 0 || !s->open[s->depth - 1].is_seq ||
            s->open[s->depth - 1].column != indent)
            return 0;
        if (!open_collection(s, 0, key_col))
            return 0;
    } else {
        if (s->pending && indent > s->open[s->depth - 1].column)
            return 0; /* a mapping nested under "key:" */
        if (!settle_pending(s))
            return 0;
        /* A list at this column (written flush with its key) ends here. */
        while (s->depth > 0 &&
               (s->open[s->depth - 1].column > indent ||
                (s->open[s->depth - 1].is_seq && s->open[s->depth - 1].column == indent)))
            if (!close_top(s))
                return 0;
        if (s->depth == 0 || s->open[s->depth - 1].is_seq || s->open[s->depth - 1].column != indent)
            return 0;
    }
    if (!push(s, YAML_SCALAR_EVENT, key_col, key, key_len))
        return 0;
    if (vend > p)
        return push(s, YAML_SCALAR_EVENT, p - start, p, vend - p);
    s->pending = 1;
    return 1;
}

/* The first byte at or after i that is not printable ASCII (0x20..0x7e),
 * or len: eight bytes a step.  In each step the lowest flagged byte is
 * exact (a borrow or carry only reaches bytes above one already flagged),
 * and it is the only one used. */
static size_t line_end(const char *t, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, t + i, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w); /* the first byte lowest, where carries start */
#endif
        uint64_t below = (w - 0x20 * ones) & ~w, above = (w + ones) | w;
        uint64_t flags = (below | above) & highs;
        if (flags)
            return i + (size_t)(__builtin_ctzll(flags) / 8);
    }
    while (i < len && (unsigned char)t[i] >= 0x20 && (unsigned char)t[i] <= 0x7e)
        i++;
    return i;
}

/* Read lines until an event is queued or the text ends.  0 when the text
 * leaves the subset. */
static int advance(v6pi_yblock *s)
{
    const char *t = s->text;
    while (s->qlen == 0 && s->pos < s->len) {
        size_t start = s->pos, end = line_end(t, start, s->len);
        if (end < s->len && t[end] != '\n')
            return 0; /* tabs, CR, UTF-8, control bytes: libyaml's job */
        const char *nl = end < s->len ? t + end : NULL;
        size_t indent = 0;
        while (start + indent < end && t[start + indent] == ' ')
            indent++;
        if (start + indent < end && t[start + indent] != '#') {
            if (indent == 0 &&
                (t[start] == '%' || (end - start >= 3 && (!memcmp(t + start, "---", 3) ||
                                                          !memcmp(t + start, "...", 3)))))
                return 0;
            if (!content_line(s, start, indent, end))
                return 0;
        }
        s->pos = nl ? end + 1 : end;
        s->line++;
    }
    if (s->qlen == 0 && !s->ended) { /* end of text: close everything */
        if (!s->in_doc)
            return 0; /* no content: libyaml words that */
        if (!settle_pending(s))
            return 0;
        while (s->depth > 0)
            if (!close_top(s))
                return 0;
        if (!push(s, YAML_DOCUMENT_END_EVENT, 0, 0, 0) || !push(s, YAML_STREAM_END_EVENT, 0, 0, 0))
            return 0;
        s->ended = 1;
    }
    return s->qlen > 0;
}

int v6pi_yblock_next(v6pi_yblock *s, yaml_event_t *ev)
{
    if (!s->begun) {
        s->begun = 1;
        memset(ev, 0, sizeof(*ev));
        ev->type = YAML_STREAM_START_EVENT;
        return 1;
    }
    if (s->qlen == 0 && !advance(s))
        return 0;
    yb_event e = s->q[s->qhead];
    s->qhead = (s->qhead + 1) % YB_QUEUE;
    s->qlen--;
    memset(ev, 0, sizeof(*ev));
    ev->type = e.type;
    ev->start_mark.line = e.line;
    ev->start_mark.column = e.column;
    ev->end_mark = ev->start_mark;
    if (e.type == YAML_SCALAR_EVENT) {
        if (e.len + 1 > s->scratch_cap) {
            size_t cap = (e.len + 1) * 2;
            char *n = realloc(s->scratch, cap);
            if (!n)
                return -1;
            s->scratch = n;
            s->scratch_cap = cap;
        }
        memcpy(s->scratch, s->text + e.off, e.len);
        s->scratch[e.len] = '\0';
        ev->data.scalar.value = (yaml_char_t *)s->scratch;
        ev->data.scalar.length = e.len;
        ev->data.scalar.plain_implicit = 1;
        ev->data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
    }
    return 1;
}
