/* Syslog and kernel-log framings, detected per line.
 *
 * Handled: RFC 3164 (and journalctl short / short-precise), RFC 5424,
 * RFC 3339 stamps (rsyslog high precision, journalctl short-iso), /dev/kmsg
 * records, dmesg and dmesg -T.  A kernel uptime stamp after the tag
 * (`kernel: [ 135.8] `) is skipped.  Anything else is taken as a bare body. */
#include "framing.h"

#include <string.h>

#include "textscan.h"

int64_t v6pi_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm: exact for the proleptic Gregorian calendar. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static inline int is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* Read exactly n digits at p[*i]. */
static int digits(const char *p, size_t len, size_t *i, int n, unsigned *out)
{
    unsigned v = 0;
    if (*i + (size_t)n > len)
        return -1;
    for (int k = 0; k < n; k++) {
        char c = p[*i + (size_t)k];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return 0;
}

/* Optional fraction: up to 9 digits kept as microseconds. */
static void fraction(const char *p, size_t len, size_t *i, uint32_t *usec)
{
    *usec = 0;
    if (*i >= len || (p[*i] != '.' && p[*i] != ','))
        return;
    size_t k = *i + 1;
    uint32_t v = 0;
    int nd = 0;
    while (k < len && is_digit(p[k])) {
        if (nd < 6) {
            v = v * 10 + (uint32_t)(p[k] - '0');
            nd++;
        }
        k++;
    }
    if (k == *i + 1)
        return;
    while (nd++ < 6)
        v *= 10;
    *usec = v;
    *i = k;
}

/* The month by its three letters as one integer: a switch, not twelve
 * compares in a row. */
#define MON(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)
static int month_from(const char *p)
{
    switch (MON((unsigned char)p[0], (unsigned char)p[1], (unsigned char)p[2])) {
    case MON('J', 'a', 'n'):
        return 1;
    case MON('F', 'e', 'b'):
        return 2;
    case MON('M', 'a', 'r'):
        return 3;
    case MON('A', 'p', 'r'):
        return 4;
    case MON('M', 'a', 'y'):
        return 5;
    case MON('J', 'u', 'n'):
        return 6;
    case MON('J', 'u', 'l'):
        return 7;
    case MON('A', 'u', 'g'):
        return 8;
    case MON('S', 'e', 'p'):
        return 9;
    case MON('O', 'c', 't'):
        return 10;
    case MON('N', 'o', 'v'):
        return 11;
    case MON('D', 'e', 'c'):
        return 12;
    }
    return 0;
}

static int valid_clock(unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s <= 60;
}

/* HH:MM:SS at p[*i]: the eight bytes checked and read as one word. */
static int clock_time(const char *p, size_t len, size_t *i, unsigned *h, unsigned *mi, unsigned *s)
{
    if (*i + 8 > len || v6pi_swar_clock(v6pi_load_le64(p + *i), h, mi, s) != 0)
        return -1;
    *i += 8;
    return 0;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|+HHMM).  Returns -1 when
 * the text is not this shape at all, -2 when it is but the values are bad. */
static int rfc3339(const char *p, size_t len, size_t *i, int64_t *sec, uint32_t *usec)
{
    unsigned y, mo, d, h, mi, s;
    size_t k = *i;
    if (digits(p, len, &k, 4, &y) || k >= len || p[k++] != '-' || digits(p, len, &k, 2, &mo) ||
        k >= len || p[k++] != '-' || digits(p, len, &k, 2, &d) || k >= len ||
        (p[k] != 'T' && p[k] != 't'))
        return -1;
    k++;
    if (clock_time(p, len, &k, &h, &mi, &s))
        return -2;
    fraction(p, len, &k, usec);
    if (!valid_clock(mo, d, h, mi, s))
        return -2;
    int64_t off = 0;
    if (k < len && (p[k] == 'Z' || p[k] == 'z')) {
        k++;
    } else if (k < len && (p[k] == '+' || p[k] == '-')) {
        int sign = p[k] == '-' ? -1 : 1;
        unsigned oh, om;
        k++;
        if (digits(p, len, &k, 2, &oh))
            return -2;
        if (k < len && p[k] == ':')
            k++;
        if (digits(p, len, &k, 2, &om) || oh > 23 || om > 59)
            return -2;
        off = sign * (int64_t)(oh * 3600 + om * 60);
    } else {
        return -2;
    }
    *sec = v6pi_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    *i = k;
    return 0;
}

static int64_t civil_seconds(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                             unsigned s)
{
    return v6pi_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* A stamp without a year gets the latest year that does not put it more than
 * a day after the reference time: logs describe the past, and a December line
 * read in January belongs to the year before. */
static int64_t reference_year(int64_t reference_sec)
{
    int64_t days = reference_sec / 86400 - (reference_sec % 86400 < 0);
    /* civil_from_days, year only */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned ref_month = mp < 10 ? mp + 3 : mp - 9;
    if (ref_month <= 2)
        y++;
    return y;
}

static int64_t infer_year(int64_t reference_sec, unsigned mo, unsigned d, unsigned h, unsigned mi,
                          unsigned s, int32_t utc_offset)
{
    int64_t y = reference_year(reference_sec);
    for (int64_t cand = y + 1; cand >= y - 1; cand--) {
        int64_t t = civil_seconds(cand, mo, d, h, mi, s) - utc_offset;
        if (t <= reference_sec + 86400)
            return cand;
    }
    return y - 1;
}

/* The candidate years of infer_year (the first it tries, and the two
 * before), as day numbers of the month and day in each. */
static void fill_year_cache(v6pi_year_cache *c, const v6pi_frame_opts *o, unsigned mo, unsigned d)
{
    c->year = reference_year(o->reference_sec) + 1;
    for (int n = 0; n < 3; n++)
        c->days[n] = v6pi_days_from_civil(c->year - n, mo, d);
    c->reference_sec = o->reference_sec;
    c->utc_offset = o->local_utc_offset;
    c->mo = mo;
    c->d = d;
    c->valid = 1;
}

/* `Mmm dd hh:mm:ss[.frac]` (day space-padded or not). */
static int rfc3164_stamp(const char *p, size_t len, size_t *i, const v6pi_frame_opts *o,
                         int64_t *sec, uint32_t *usec)
{
    size_t k = *i;
    if (k + 15 > len || p[k + 3] != ' ')
        return -1;
    int mo = month_from(p + k);
    if (!mo)
        return -1;
    k += 4;
    if (p[k] == ' ')
        k++;
    unsigned d = 0, h, mi, s;
    if (!is_digit(p[k]))
        return -1;
    d = (unsigned)(p[k++] - '0');
    if (k < len && is_digit(p[k]))
        d = d * 10 + (unsigned)(p[k++] - '0');
    if (k >= len || p[k++] != ' ')
        return -1;
    if (clock_time(p, len, &k, &h, &mi, &s))
        return -1;
    fraction(p, len, &k, usec);
    if (!valid_clock((unsigned)mo, d, h, mi, s))
        return -2;
    v6pi_year_cache *c = o->year_memo;
    if (!c) {
        int64_t y = infer_year(o->reference_sec, (unsigned)mo, d, h, mi, s, o->local_utc_offset);
        *sec = civil_seconds(y, (unsigned)mo, d, h, mi, s) - o->local_utc_offset;
    } else {
        if (!c->valid || c->reference_sec != o->reference_sec ||
            c->utc_offset != o->local_utc_offset || c->mo != (unsigned)mo || c->d != d)
            fill_year_cache(c, o, (unsigned)mo, d);
        /* infer_year's test, candidate by candidate, on the cached days:
         * the time of day still decides near the reference time. */
        int64_t tod = (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)s;
        int n = 0;
        while (n < 2 && c->days[n] * 86400 + tod - o->local_utc_offset > o->reference_sec + 86400)
            n++;
        *sec = c->days[n] * 86400 + tod - o->local_utc_offset;
    }
    *i = k;
    return 0;
}

static size_t skip_spaces(const char *p, size_t len, size_t i)
{
    while (i < len && p[i] == ' ')
        i++;
    return i;
}

static size_t token_end(const char *p, size_t len, size_t i)
{
    while (i < len && p[i] != ' ')
        i++;
    return i;
}

/* A syslog tag: `name:`, `name[pid]:`; sets tag without the pid. */
static int is_tag(const char *p, size_t start, size_t end, v6p_span *tag)
{
    if (end - start < 2 || p[end - 1] != ':')
        return 0;
    size_t name_end = end - 1;
    if (p[name_end - 1] == ']') {
        size_t b = start;
        while (b < name_end && p[b] != '[')
            b++;
        if (b == name_end || b == start)
            return 0;
        name_end = b;
    }
    tag->ptr = p + start;
    tag->len = (uint32_t)(name_end - start);
    return 1;
}

/* rsyslog's `%syslogtag%%msg%` template glues the message to the tag:
 * `kernel:FW-DROP IN=…`.  Only the kernel's tag is split off so, since a log
 * prefix may hold colons itself (`Shorewall:net-fw:DROP:`).  Returns where
 * the message starts, or 0. */
static size_t glued_kernel_tag(const char *p, size_t i, size_t e, v6pi_frame *f)
{
    if (e - i <= 7 || memcmp(p + i, "kernel:", 7) != 0)
        return 0;
    f->tag.ptr = p + i;
    f->tag.len = 6;
    return i + 7;
}

/* After a stamp: `[host] tag: ` — the host is absent when the first token
 * is already a tag (pfSense's default). */
static size_t host_and_tag(const char *p, size_t len, size_t i, v6pi_frame *f)
{
    i = skip_spaces(p, len, i);
    size_t e1 = token_end(p, len, i), g;
    if ((g = glued_kernel_tag(p, i, e1, f)))
        return g;
    if (is_tag(p, i, e1, &f->tag))
        return skip_spaces(p, len, e1);
    if (e1 > i) {
        f->host.ptr = p + i;
        f->host.len = (uint32_t)(e1 - i);
    }
    size_t t = skip_spaces(p, len, e1);
    size_t e2 = token_end(p, len, t);
    if ((g = glued_kernel_tag(p, t, e2, f)))
        return g;
    if (is_tag(p, t, e2, &f->tag))
        return skip_spaces(p, len, e2);
    return t;
}

static int span_is(const v6p_span *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && memcmp(s->ptr, lit, n) == 0;
}

/* A message with no header that still starts with its program's tag, as
 * some daemons and scripts write it (`filterlog: 5,,,…`).  Only the
 * programs whose formats are read here count: any other `word:` may be a
 * log prefix. */
static size_t bare_tag(const char *p, size_t len, size_t i, v6pi_frame *f)
{
    size_t e = token_end(p, len, i), g;
    if ((g = glued_kernel_tag(p, i, e, f)))
        return g;
    v6p_span t;
    if (!is_tag(p, i, e, &t))
        return i;
    if (!span_is(&t, "filterlog") && !span_is(&t, "kernel") && !span_is(&t, "pflogd") &&
        !span_is(&t, "pflog") && !span_is(&t, "tcpdump"))
        return i;
    f->tag = t;
    return skip_spaces(p, len, e);
}

/* journalctl -o short-monotonic: `[  716.782127] host kernel: …`, the
 * uptime stamp then a host and the kernel's tag.  dmesg lines have no
 * host, so both words are required. */
static size_t monotonic_host(const char *p, size_t len, size_t i, v6pi_frame *f)
{
    size_t e1 = token_end(p, len, i), t = skip_spaces(p, len, e1), e2 = token_end(p, len, t);
    if (e1 == i || e2 - t != 7 || memcmp(p + t, "kernel:", 7) != 0)
        return i;
    f->host.ptr = p + i;
    f->host.len = (uint32_t)(e1 - i);
    f->tag.ptr = p + t;
    f->tag.len = 6;
    return skip_spaces(p, len, e2);
}

/* `[  135.845075]` — the kernel's uptime stamp. */
static int uptime_stamp(const char *p, size_t len, size_t *i, uint64_t *usec)
{
    size_t k = *i;
    if (k >= len || p[k] != '[')
        return -1;
    if (len - k >= 14 && v6pi_swar_uptime(p + k, usec) == 0) {
        *i = k + 14;
        return 0;
    }
    k = skip_spaces(p, len, k + 1);
    uint64_t s = 0;
    size_t start = k;
    while (k < len && is_digit(p[k]) && k - start < 12)
        s = s * 10 + (uint64_t)(p[k++] - '0');
    if (k == start || k >= len || p[k] != '.')
        return -1;
    uint32_t frac;
    fraction(p, len, &k, &frac);
    if (k >= len || p[k] != ']')
        return -1;
    *usec = s * 1000000 + frac;
    *i = k + 1;
    return 0;
}

/* The kernel's own uptime stamp at the start of a message, as klogd and
 * rsyslog's imklog keep it under any syslog header: noted and skipped, so
 * that it does not become part of the log prefix. */
static size_t skip_uptime(const char *p, size_t len, size_t i, v6pi_frame *f)
{
    size_t u = i;
    if (uptime_stamp(p, len, &u, &f->boot_usec) != 0)
        return i;
    f->has_boot_time = 1;
    return skip_spaces(p, len, u);
}

static int kmsg_record(const char *p, size_t len, v6pi_frame *f)
{
    /* prio,seq,usec,flags[,more];message */
    size_t k = 0;
    uint64_t fields[3] = {0, 0, 0};
    for (int n = 0; n < 3; n++) {
        size_t start = k;
        while (k < len && is_digit(p[k]) && k - start < 20)
            fields[n] = fields[n] * 10 + (uint64_t)(p[k++] - '0');
        if (k == start || k >= len || p[k] != ',')
            return -1;
        k++;
    }
    size_t semi = k;
    while (semi < len && semi - k < 32 && p[semi] != ';' && p[semi] != ' ')
        semi++;
    if (semi >= len || p[semi] != ';')
        return -1;
    f->kind = V6PI_FRAMING_KMSG;
    f->has_boot_time = 1;
    f->boot_usec = fields[2];
    f->body = semi + 1;
    return 0;
}

static int dmesg_t_stamp(const char *p, size_t len, size_t *i, const v6pi_frame_opts *o,
                         int64_t *sec)
{
    /* [Fri Nov 27 16:59:01 2026] */
    size_t k = *i;
    if (k + 26 > len || p[k] != '[' || p[k + 4] != ' ' || p[k + 8] != ' ')
        return -1;
    int mo = month_from(p + k + 5);
    if (!mo)
        return -1;
    k += 9;
    k = skip_spaces(p, len, k);
    unsigned d = 0, h, mi, s, y;
    while (k < len && is_digit(p[k]) && d < 100)
        d = d * 10 + (unsigned)(p[k++] - '0');
    if (k >= len || p[k++] != ' ' || clock_time(p, len, &k, &h, &mi, &s) || k >= len ||
        p[k++] != ' ' || digits(p, len, &k, 4, &y) || k >= len || p[k] != ']')
        return -1;
    if (!valid_clock((unsigned)mo, d, h, mi, s))
        return -2;
    *sec = civil_seconds(y, (unsigned)mo, d, h, mi, s) - o->local_utc_offset;
    *i = k + 1;
    return 0;
}

static v6p_reason rfc5424(const char *p, size_t len, size_t i, v6pi_frame *f)
{
    /* VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG] */
    i += 2;
    if (i < len && p[i] == '-') {
        i++;
    } else {
        int r = rfc3339(p, len, &i, &f->sec, &f->usec);
        if (r != 0)
            return V6P_R_BAD_TIMESTAMP;
        f->has_time = 1;
    }
    size_t tok[3][2];
    for (int n = 0; n < 3; n++) {
        if (i >= len || p[i] != ' ')
            return V6P_R_BAD_FRAMING;
        i++;
        tok[n][0] = i;
        i = token_end(p, len, i);
        tok[n][1] = i;
    }
    if (tok[0][1] - tok[0][0] != 1 || p[tok[0][0]] != '-') {
        f->host.ptr = p + tok[0][0];
        f->host.len = (uint32_t)(tok[0][1] - tok[0][0]);
    }
    if (tok[1][1] - tok[1][0] != 1 || p[tok[1][0]] != '-') {
        f->tag.ptr = p + tok[1][0];
        f->tag.len = (uint32_t)(tok[1][1] - tok[1][0]);
    }
    i = token_end(p, len, skip_spaces(p, len, i)); /* MSGID */
    i = skip_spaces(p, len, i);
    if (i < len && p[i] == '-') {
        i++;
    } else {
        /* Structured data: [id k="v" ...][...]; a quoted value may hold an
         * escaped quote or bracket. */
        while (i < len && p[i] == '[') {
            int quoted = 0;
            i++;
            for (; i < len; i++) {
                if (quoted && p[i] == '\\') {
                    i++;
                    continue;
                }
                if (p[i] == '"')
                    quoted = !quoted;
                else if (!quoted && p[i] == ']')
                    break;
            }
            if (i >= len)
                return V6P_R_BAD_FRAMING;
            i++;
        }
    }
    i = skip_spaces(p, len, i);
    /* An optional UTF-8 byte-order mark before the message. */
    if (i + 3 <= len && (unsigned char)p[i] == 0xef && (unsigned char)p[i + 1] == 0xbb &&
        (unsigned char)p[i + 2] == 0xbf)
        i += 3;
    f->kind = V6PI_FRAMING_RFC5424;
    f->body = skip_uptime(p, len, i, f);
    return V6P_R_NONE;
}

/* ---- journalctl -o json ---- */

/* The end of the JSON value at p[i] (a string, array, object, or a bare
 * number/literal), or 0 when it is not closed on the line. */
static size_t json_value_end(const char *p, size_t len, size_t i)
{
    int depth = 0, str = 0;
    for (size_t k = i; k < len; k++) {
        char c = p[k];
        if (str) {
            if (c == '\\')
                k++;
            else if (c == '"') {
                str = 0;
                if (depth == 0)
                    return k + 1;
            }
        } else if (c == '"') {
            str = 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth == 0)
                return k; /* a bare value ends at its object's close */
            if (--depth == 0)
                return k + 1;
        } else if (depth == 0 && (c == ',' || c == ' ')) {
            return k;
        }
    }
    return 0;
}

static int key_is(const char *p, size_t ks, size_t ke, const char *lit)
{
    size_t n = strlen(lit);
    return ke - ks == n && memcmp(p + ks, lit, n) == 0;
}

/* A string value without escapes, as a span of the line (quotes off). */
static int plain_string(const char *p, size_t vs, size_t ve, v6p_span *out)
{
    if (ve - vs < 2 || p[vs] != '"' || memchr(p + vs, '\\', ve - vs))
        return 0;
    out->ptr = p + vs + 1;
    out->len = (uint32_t)(ve - vs - 2);
    return 1;
}

/* One journal entry: MESSAGE is the body, _HOSTNAME the host,
 * __REALTIME_TIMESTAMP (microseconds since the epoch) the time,
 * SYSLOG_IDENTIFIER the tag.  The body must be a span of the line, so a
 * MESSAGE with escapes (or journald's byte-array form) is refused rather
 * than parsed half-decoded. */
static v6p_reason journal_json(const char *p, size_t len, v6pi_frame *f)
{
    size_t i = 1;
    v6p_span msg = {NULL, 0}, ts = {NULL, 0};
    int have_msg = 0;
    for (;;) {
        while (i < len && (p[i] == ' ' || p[i] == ','))
            i++;
        if (i >= len || p[i] == '}')
            break;
        if (p[i] != '"')
            return V6P_R_BAD_FRAMING;
        size_t ks = ++i;
        while (i < len && p[i] != '"')
            i++;
        size_t ke = i++;
        while (i < len && p[i] == ' ')
            i++;
        if (i >= len || p[i++] != ':')
            return V6P_R_BAD_FRAMING;
        while (i < len && p[i] == ' ')
            i++;
        size_t vs = i, ve = json_value_end(p, len, i);
        if (ve <= vs)
            return V6P_R_BAD_FRAMING;
        i = ve;
        v6p_span v;
        if (key_is(p, ks, ke, "MESSAGE")) {
            if (!plain_string(p, vs, ve, &msg))
                return V6P_R_BAD_FRAMING;
            have_msg = 1;
        } else if (key_is(p, ks, ke, "_HOSTNAME") && plain_string(p, vs, ve, &v)) {
            f->host = v;
        } else if (key_is(p, ks, ke, "SYSLOG_IDENTIFIER") && plain_string(p, vs, ve, &v)) {
            f->tag = v;
        } else if (key_is(p, ks, ke, "__REALTIME_TIMESTAMP") && plain_string(p, vs, ve, &v)) {
            ts = v;
        }
    }
    if (!have_msg)
        return V6P_R_BAD_FRAMING;
    if (ts.len) {
        uint64_t us = 0;
        for (uint32_t k = 0; k < ts.len; k++) {
            if (!is_digit(ts.ptr[k]) || k >= 19)
                return V6P_R_BAD_TIMESTAMP;
            us = us * 10 + (uint64_t)(ts.ptr[k] - '0');
        }
        f->sec = (int64_t)(us / 1000000);
        f->usec = (uint32_t)(us % 1000000);
        f->has_time = 1;
    }
    f->kind = V6PI_FRAMING_JOURNAL_JSON;
    f->body_end = (size_t)(msg.ptr - p) + msg.len;
    f->body = skip_uptime(p, f->body_end, (size_t)(msg.ptr - p), f);
    return V6P_R_NONE;
}

v6p_reason v6pi_frame_parse(const char *p, size_t len, const v6pi_frame_opts *o, v6pi_frame *f)
{
    memset(f, 0, sizeof(*f));
    size_t i = 0;
    if (len > 0 && p[0] == '<') {
        size_t k = 1;
        unsigned pri = 0;
        while (k < len && k < 5 && is_digit(p[k]))
            pri = pri * 10 + (unsigned)(p[k++] - '0');
        if (k > 1 && k < len && p[k] == '>' && pri <= 191) {
            i = k + 1;
            if (i + 1 < len && is_digit(p[i]) && p[i + 1] == ' ')
                return rfc5424(p, len, i, f);
            /* `<4>[  716.782127] …`: /proc/kmsg and `dmesg -r`. */
            size_t u = i;
            if (uptime_stamp(p, len, &u, &f->boot_usec) == 0) {
                f->kind = V6PI_FRAMING_DMESG;
                f->has_boot_time = 1;
                f->body = skip_spaces(p, len, u);
                return V6P_R_NONE;
            }
        }
    }
    if (len > 0 && p[0] == '{')
        return journal_json(p, len, f);
    if (i == 0 && len > 0 && is_digit(p[0]) && kmsg_record(p, len, f) == 0)
        return V6P_R_NONE;
    if (i == 0 && len > 0 && p[0] == '[') {
        size_t k = 0;
        if (uptime_stamp(p, len, &k, &f->boot_usec) == 0) {
            f->kind = V6PI_FRAMING_DMESG;
            f->has_boot_time = 1;
            f->body = monotonic_host(p, len, skip_spaces(p, len, k), f);
            return V6P_R_NONE;
        }
        int r = dmesg_t_stamp(p, len, &k, o, &f->sec);
        if (r == 0) {
            f->kind = V6PI_FRAMING_DMESG_T;
            f->has_time = 1;
            f->body = skip_spaces(p, len, k);
            return V6P_R_NONE;
        }
        if (r == -2)
            return V6P_R_BAD_TIMESTAMP;
    }

    size_t k = i;
    int r = rfc3339(p, len, &k, &f->sec, &f->usec);
    if (r == 0) {
        f->kind = V6PI_FRAMING_RFC3339;
    } else if (r == -1) {
        r = rfc3164_stamp(p, len, &k, o, &f->sec, &f->usec);
        if (r == 0)
            f->kind = V6PI_FRAMING_RFC3164;
    }
    if (r == -2)
        return V6P_R_BAD_TIMESTAMP;
    if (r == -1) {
        f->kind = V6PI_FRAMING_NONE;
        f->body = bare_tag(p, len, i, f);
        return V6P_R_NONE;
    }
    f->has_time = 1;
    if (k < len && p[k] != ' ')
        return V6P_R_BAD_FRAMING;
    i = host_and_tag(p, len, k, f);
    f->body = skip_uptime(p, len, i, f);
    return V6P_R_NONE;
}
