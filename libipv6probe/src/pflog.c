/* pf log lines as tcpdump prints them from pflog0 or a pflogd file
 * (`tcpdump -n -e [-v] [-tt|-ttt|-tttt] -r /var/log/pflog`).
 *
 *   [stamp] rule <nr>[.<anchor>][.<sub>]/<reason>[:] [[uid …]] <action> <dir>
 *       on <if>: [(<IPv6 header with -v>)] <src>[.<port>] > <dst>[.<port>]: <text>
 *
 * The stamp is tcpdump's: time of day (default), ` HH:MM:SS.us` delta (-ttt),
 * epoch seconds (-tt) or `YYYY-MM-DD HH:MM:SS.us` (-tttt), all in the
 * capturing host's zone (the parser's local_utc_offset).  A time of day takes
 * its date from the syslog stamp in front of it when that stamp is within an
 * hour of it (otherwise the syslog stamp is kept: the text was a delta, or was
 * logged long after capture), else from the reference time (nearest such time
 * of day).  A delta carries no absolute time: the framing's or the reference
 * time is kept.
 *
 * Only `-v` prints the hop limit, traffic class, flow label and payload
 * length, so hop_limit and bytes (payload + 40) exist only then; with -v a
 * class or flow label that is not printed is zero.  Ports follow the address
 * after its last dot.  The transport comes from the next-header of -v, or
 * from the text tcpdump prints for it. */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "field.h"
#include "formats.h"
#include "framing.h"
#include "pf.h"
#include "textaddr.h"
#include "proto.h"

typedef struct cur {
    const char *p, *end;
} cur;

static inline int at(const cur *c, const char *lit, size_t n)
{
    return (size_t)(c->end - c->p) >= n && memcmp(c->p, lit, n) == 0;
}
#define AT(c, lit) at(c, lit, sizeof(lit) - 1)
#define EAT(c, lit) (AT(c, lit) ? ((c)->p += sizeof(lit) - 1, 1) : 0)

static inline int is_digit(char ch)
{
    return (unsigned char)(ch - '0') < 10;
}

static void skip_sp(cur *c)
{
    while (c->p < c->end && *c->p == ' ')
        c->p++;
}

/* Digits at the cursor, as a number no larger than max. */
static int read_num(cur *c, uint64_t max, uint64_t *out)
{
    const char *s = c->p;
    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    /* digits run into letters (`7x`) are not a number */
    int glued = c->p < c->end && ((*c->p | 0x20) >= 'a' && (*c->p | 0x20) <= 'z');
    if (glued || v6pi_parse_dec(s, (size_t)(c->p - s), max, out) != 0) {
        c->p = s;
        return -1;
    }
    return 0;
}

/* ---- stamps ---- */

enum stamp_kind { ST_NONE, ST_TOD, ST_DELTA, ST_EPOCH, ST_DATETIME };

typedef struct stamp {
    enum stamp_kind kind;
    int64_t sec; /* seconds of the day, epoch seconds, or local civil seconds */
    uint32_t usec;
} stamp;

static int two(const char *p, unsigned *v)
{
    if (!is_digit(p[0]) || !is_digit(p[1]))
        return -1;
    *v = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    return 0;
}

/* `.ffffff` (or nanoseconds with -nano builds) after a clock. */
static int frac(cur *c, uint32_t *usec)
{
    if (c->p >= c->end || *c->p != '.')
        return -1;
    c->p++;
    const char *s = c->p;
    uint32_t v = 0;
    while (c->p < c->end && is_digit(*c->p)) {
        if (c->p - s < 6)
            v = v * 10 + (uint32_t)(*c->p - '0');
        c->p++;
    }
    size_t n = (size_t)(c->p - s);
    if (n == 0 || n > 9)
        return -1;
    for (; n < 6; n++)
        v *= 10;
    *usec = v;
    return 0;
}

/* HH:MM:SS at the cursor (hours may pass 23 in a delta). */
static int clock_hms(cur *c, unsigned *h, unsigned *m, unsigned *s)
{
    const char *p = c->p;
    size_t hn = 0;
    *h = 0;
    while (p + hn < c->end && is_digit(p[hn]) && hn < 6)
        *h = *h * 10 + (unsigned)(p[hn++] - '0');
    if (hn < 2 || c->end - (p + hn) < 6 || p[hn] != ':' || two(p + hn + 1, m) || p[hn + 3] != ':' ||
        two(p + hn + 4, s) || *m > 59 || *s > 60)
        return -1;
    c->p = p + hn + 6;
    return 0;
}

static int read_stamp(cur *c, stamp *st)
{
    const char *s0 = c->p;
    int lead = 0;
    st->kind = ST_NONE;
    while (c->p < c->end && *c->p == ' ') {
        c->p++;
        lead = 1;
    }
    const char *s = c->p;
    unsigned h, mi, se;
    /* YYYY-MM-DD HH:MM:SS.frac */
    if (c->end - s >= 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && is_digit(s[0])) {
        unsigned y1, y2, mo, d;
        if (two(s, &y1) || two(s + 2, &y2) || two(s + 5, &mo) || two(s + 8, &d))
            return -1;
        c->p = s + 11;
        if (clock_hms(c, &h, &mi, &se) || h > 23 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
            frac(c, &st->usec))
            return -1;
        st->kind = ST_DATETIME;
        st->sec = v6pi_days_from_civil(y1 * 100 + y2, mo, d) * 86400 + h * 3600 + mi * 60 + se;
        return 0;
    }
    /* epoch.frac */
    size_t nd = 0;
    while (s + nd < c->end && is_digit(s[nd]))
        nd++;
    if (nd >= 1 && s + nd < c->end && s[nd] == '.') {
        uint64_t v;
        if (nd > 12 || v6pi_parse_dec(s, nd, UINT64_MAX, &v))
            return -1;
        c->p = s + nd;
        if (frac(c, &st->usec))
            return -1;
        st->kind = ST_EPOCH;
        st->sec = (int64_t)v;
        return 0;
    }
    if (nd >= 2 && s + nd < c->end && s[nd] == ':') {
        if (clock_hms(c, &h, &mi, &se) || frac(c, &st->usec))
            return -1;
        st->sec = (int64_t)h * 3600 + mi * 60 + se;
        st->kind = lead || h > 23 ? ST_DELTA : ST_TOD;
        return 0;
    }
    c->p = s0;
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The occurrence of a local time of day nearest to `anchor` (UTC). */
static int64_t nearest_tod(int64_t anchor, int64_t tod, int32_t off)
{
    int64_t local = anchor + off;
    int64_t day = floor_div(local, 86400);
    int64_t best = 0, bestd = INT64_MAX;
    for (int64_t d = day - 1; d <= day + 1; d++) {
        int64_t t = d * 86400 + tod;
        int64_t diff = t > local ? t - local : local - t;
        if (diff < bestd) {
            bestd = diff;
            best = t;
        }
    }
    return best - off;
}

static void apply_stamp(const stamp *st, v6p_event *ev, const v6pi_body_ctx *ctx)
{
    switch (st->kind) {
    case ST_EPOCH:
        ev->time_sec = st->sec;
        ev->time_usec = st->usec;
        break;
    case ST_DATETIME:
        ev->time_sec = st->sec - ctx->local_utc_offset;
        ev->time_usec = st->usec;
        break;
    case ST_TOD: {
        int64_t anchor = ctx->has_time ? ev->time_sec : ctx->reference_sec;
        int64_t t = nearest_tod(anchor, st->sec, ctx->local_utc_offset);
        int64_t diff = t > anchor ? t - anchor : anchor - t;
        if (ctx->has_time && diff > 3600)
            break;
        ev->time_sec = t;
        ev->time_usec = st->usec;
        break;
    }
    default:
        break;
    }
    v6p_event_mark(ev, V6P_F_TIME);
}

/* ---- the pf header ---- */

/* After '/': `0(match)`, `unkn(99)` (tcpdump.org) or `(match)` (OpenBSD). */
static int reason_at(const char *p, const char *end)
{
    while (p < end && is_digit(*p))
        p++;
    if (end - p >= 5 && memcmp(p, "unkn(", 5) == 0)
        return 1;
    return p < end && *p == '(';
}

static v6p_reason rule_spec(v6p_event *ev, const char *s, const char *e)
{
    const char *d1 = memchr(s, '.', (size_t)(e - s));
    const char *nr_end = d1 ? d1 : e;
    v6p_reason r;
    uint64_t v;
    size_t nn = (size_t)(nr_end - s);
    if (nn > 0 && !(nn == 3 && memcmp(s, "def", 3) == 0)) {
        if (v6pi_parse_dec(s, nn, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
        /* 4294967295 is pf's -1: no rule (tcpdump 4.99 prints it). */
        if (v != 0xffffffffu && (r = v6pi_set_span(ev, V6P_F_RULE, s, nn)))
            return r;
    }
    if (!d1)
        return V6P_R_NONE;
    const char *d2 = d1 + 1;
    for (const char *q = e; q > d1 + 1; q--)
        if (q[-1] == '.') {
            d2 = q - 1;
            break;
        }
    const char *last = d2 > d1 ? d2 + 1 : d1 + 1;
    /* `rule N.` with nothing after the dot puts last one past e. */
    size_t ln = last < e ? (size_t)(e - last) : 0;
    int last_num = ln > 0;
    for (size_t i = 0; i < ln; i++)
        last_num &= is_digit(last[i]);
    int last_def = ln == 3 && memcmp(last, "def", 3) == 0;
    const char *as = d1 + 1, *ae = e;
    if (last_num || last_def) {
        if (last_num) {
            if (v6pi_parse_dec(last, ln, 0xffffffffu, &v))
                return V6P_R_BAD_NUMBER;
            if (v != 0xffffffffu && (r = v6pi_set_num(ev, V6P_F_PF_SUBRULE, v)))
                return r;
        }
        ae = d2 > d1 ? d2 : d1;
    }
    if (ae > as)
        return v6pi_set_span(ev, V6P_F_PF_ANCHOR, as, (size_t)(ae - as));
    return V6P_R_NONE;
}

/* `[uid 1000]`, `[uid 0, pid 24100]`, `[ridentifier 7]`: uid is kept. */
static v6p_reason bracket_group(cur *c, v6p_event *ev)
{
    const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
    if (!close)
        return V6P_R_TRUNCATED;
    cur in = {c->p + 1, close};
    if (EAT(&in, "uid ")) {
        uint64_t v;
        if (read_num(&in, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
        if (!v6p_event_has(ev, V6P_F_UID))
            v6pi_set_num(ev, V6P_F_UID, v);
    }
    c->p = close + 1;
    skip_sp(c);
    return V6P_R_NONE;
}

static size_t word_len(const cur *c)
{
    const char *q = c->p;
    while (q < c->end && *q != ' ')
        q++;
    return (size_t)(q - c->p);
}

static v6p_reason pf_header(cur *c, v6p_event *ev)
{
    v6p_reason r;
    if (!EAT(c, "rule "))
        return V6P_R_MISSING_FIELD;
    const char *s = c->p, *slash = NULL;
    for (const char *q = s; q < c->end && *q != ' '; q++)
        if (*q == '/' && reason_at(q + 1, c->end)) {
            slash = q;
            break;
        }
    if (!slash)
        return V6P_R_TRUNCATED;
    if ((r = rule_spec(ev, s, slash)))
        return r;
    c->p = slash + 1;
    /* `unkn(N)` is kept whole; `0(match)` and `(match)` give the name */
    int unkn = AT(c, "unkn(");
    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    const char *close = memchr(c->p, ')', (size_t)(c->end - c->p));
    if (!close)
        return V6P_R_TRUNCATED;
    const char *rs = unkn ? c->p : c->p + 1;
    const char *re = unkn ? close + 1 : close;
    if (re <= rs)
        return V6P_R_MISSING_FIELD;
    if ((r = v6pi_set_span(ev, V6P_F_PF_REASON, rs, (size_t)(re - rs))))
        return r;
    c->p = close + 1;
    EAT(c, ":");
    skip_sp(c);
    while (c->p < c->end && *c->p == '[')
        if ((r = bracket_group(c, ev)))
            return r;
    const char *act = c->p;
    size_t actn = word_len(c);
    c->p += actn;
    skip_sp(c);
    const char *dir = c->p;
    size_t dirn = word_len(c);
    c->p += dirn;
    skip_sp(c);
    if (actn == 0 || dirn == 0 || !EAT(c, "on "))
        return V6P_R_TRUNCATED;
    const char *ifp = c->p;
    while (c->p < c->end && *c->p != ':' && *c->p != ' ')
        c->p++;
    size_t ifn = (size_t)(c->p - ifp);
    if (ifn == 0 || c->p >= c->end || *c->p != ':')
        return V6P_R_TRUNCATED;
    c->p++;
    skip_sp(c);
    while (c->p < c->end && *c->p == '[')
        if ((r = bracket_group(c, ev)))
            return r;
    return v6pi_pf_verdict(ev, act, actn, dir, dirn, ifp, ifn);
}

/* ---- the packet ---- */

typedef struct pkt {
    v6p_event *ev;
    int family;  /* 4 or 6 */
    int verbose; /* an IP header in ( ) was printed */
    int nh;      /* next-header / proto from -v, -1 if none */
    int proto;   /* decided transport, -1 if unknown */
    int ported;  /* the addresses carried ports */
} pkt;

/* The ')' that closes the '(' at p, or NULL.  With SSE2 the parentheses of
 * sixteen bytes come out as bit masks and only they are visited: the header
 * in between is some seventy bytes of words and numbers. */
static const char *matching_paren(const char *p, const char *end)
{
    int depth = 0;
    const char *q = p;
#if defined(__SSE2__)
    const __m128i open = _mm_set1_epi8('('), shut = _mm_set1_epi8(')');
    while (end - q >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)q);
        unsigned o = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, open));
        unsigned cl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, shut));
        unsigned both = o | cl;
        while (both) {
            unsigned bit = both & -both;
            both &= both - 1;
            if (o & bit) {
                depth++;
            } else if (--depth == 0) {
                return q + __builtin_ctz(bit);
            }
        }
        q += 16;
    }
#endif
    for (; q < end; q++) {
        depth += *q == '(';
        if (*q == ')' && --depth == 0)
            return q;
    }
    return NULL;
}

/* The IP header tcpdump prints with -v:
 *   (class 0x20, flowlabel 0x12345, hlim 64, next-header TCP (6) payload length: 20)
 *   (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40) */
static v6p_reason ip_header(cur *c, pkt *k)
{
    const char *close = matching_paren(c->p, c->end);
    if (!close)
        return V6P_R_TRUNCATED;
    cur in = {c->p + 1, close};
    v6p_event *ev = k->ev;
    v6p_reason r = V6P_R_NONE;
    uint64_t v;
    k->verbose = 1;
    while (in.p < in.end && r == V6P_R_NONE) {
        while (in.p < in.end && (*in.p == ' ' || *in.p == ','))
            in.p++;
        if (EAT(&in, "class ") || EAT(&in, "tos ")) {
            const char *s = in.p;
            while (in.p < in.end && *in.p != ',' && *in.p != ' ')
                in.p++;
            r = v6pi_set_hex(ev, V6P_F_TRAFFIC_CLASS, s, (size_t)(in.p - s));
        } else if (EAT(&in, "flowlabel ")) {
            const char *s = in.p;
            while (in.p < in.end && *in.p != ',' && *in.p != ' ')
                in.p++;
            r = v6pi_set_hex(ev, V6P_F_FLOW_LABEL, s, (size_t)(in.p - s));
        } else if (EAT(&in, "hlim ") || EAT(&in, "ttl ")) {
            r = read_num(&in, 255, &v) ? V6P_R_BAD_NUMBER : v6pi_set_num(ev, V6P_F_HOP_LIMIT, v);
        } else if (EAT(&in, "id ")) {
            r = read_num(&in, 0xffff, &v) ? V6P_R_BAD_NUMBER : v6pi_set_num(ev, V6P_F_IP_ID, v);
        } else if (EAT(&in, "next-header ") || EAT(&in, "proto ")) {
            const char *lp = memchr(in.p, '(', (size_t)(in.end - in.p));
            if (!lp)
                return V6P_R_TRUNCATED;
            in.p = lp + 1;
            if (read_num(&in, 255, &v) || !EAT(&in, ")"))
                return V6P_R_BAD_NUMBER;
            k->nh = (int)v;
        } else if (EAT(&in, "payload length: ") || EAT(&in, "payload length ")) {
            if (read_num(&in, 0xffff, &v))
                return V6P_R_BAD_NUMBER;
            r = v6pi_set_num(ev, V6P_F_BYTES, v + 40);
            k->family = 6;
        } else if (EAT(&in, "length ")) {
            r = read_num(&in, 0xffff, &v) ? V6P_R_BAD_NUMBER : v6pi_set_num(ev, V6P_F_BYTES, v);
            k->family = 4;
        } else if (EAT(&in, "flags [")) {
            const char *q = memchr(in.p, ']', (size_t)(in.end - in.p));
            if (!q)
                return V6P_R_TRUNCATED;
            in.p = q + 1;
        } else {
            /* offset, and words newer tcpdumps may add: skip to the next comma */
            while (in.p < in.end && *in.p != ',')
                in.p++;
        }
    }
    if (r != V6P_R_NONE)
        return r;
    if (!v6p_event_has(ev, V6P_F_HOP_LIMIT) || k->nh < 0)
        return V6P_R_MISSING_FIELD;
    if (k->family == 6) {
        /* tcpdump prints class and flow label only when they are not zero */
        if (!v6p_event_has(ev, V6P_F_TRAFFIC_CLASS))
            v6pi_set_num(ev, V6P_F_TRAFFIC_CLASS, 0);
        if (!v6p_event_has(ev, V6P_F_FLOW_LABEL))
            v6pi_set_num(ev, V6P_F_FLOW_LABEL, 0);
    }
    c->p = close + 1;
    skip_sp(c);
    return V6P_R_NONE;
}

static int parse_addr(const char *p, size_t n, int *fam, struct in6_addr *a)
{
    if (memchr(p, ':', n)) {
        *fam = 6;
        return v6pi_parse_ip6(p, n, a);
    }
    *fam = 4;
    return v6pi_parse_ip4_mapped(p, n, a);
}

/* `addr` or `addr.port`; returns 1 with a port, 0 without, -1 if neither.
 * The dots after the last colon tell which, without a second parse: one
 * (v6 + port) or four (v4, or a v6 dotted tail, + port) mean a port. */
static int host_port(const char *p, size_t n, int *fam, struct in6_addr *a, uint64_t *port)
{
    if (n == 0)
        return -1;
    size_t dots = 0, last_dot = 0;
    for (size_t i = n; i > 0; i--) {
        char ch = p[i - 1];
        if (ch == ':')
            break;
        if (ch == '.') {
            if (!dots)
                last_dot = i - 1;
            dots++;
        }
    }
    if (dots != 1 && dots != 4)
        return parse_addr(p, n, fam, a) == 0 ? 0 : -1;
    if (parse_addr(p, last_dot, fam, a) != 0 ||
        v6pi_parse_dec(p + last_dot + 1, n - last_dot - 1, 65535, port) != 0)
        return -1;
    if (*fam == 4 && dots != 4)
        return -1; /* `192.0.2` is no address */
    return 1;
}

static v6p_reason addresses(cur *c, pkt *k)
{
    /* `SRC > DST: `: neither address holds a space, so the first space ends
     * each of them (found by memchr, which reads a word at a time). */
    const char *gt = memchr(c->p, ' ', (size_t)(c->end - c->p));
    if (!gt || c->end - gt < 3 || gt[1] != '>' || gt[2] != ' ')
        return V6P_R_TRUNCATED;
    const char *ds = gt + 3;
    const char *dsp = memchr(ds, ' ', (size_t)(c->end - ds));
    if (!dsp || dsp == ds || dsp[-1] != ':')
        return V6P_R_TRUNCATED;
    const char *de = dsp - 1;
    struct in6_addr s, d;
    uint64_t sp = 0, dp = 0;
    int fs, fd;
    int ps = host_port(c->p, (size_t)(gt - c->p), &fs, &s, &sp);
    int pd = host_port(ds, (size_t)(de - ds), &fd, &d, &dp);
    if (ps < 0 || pd < 0)
        return V6P_R_BAD_ADDRESS;
    if (ps != pd)
        return V6P_R_UNEXPECTED_TOKEN;
    if (fs != fd || (k->family && k->family != fs))
        return V6P_R_FAMILY_MISMATCH;
    k->family = fs;
    v6p_reason r;
    if ((r = v6pi_set_addr(k->ev, V6P_F_SRC, &s)) || (r = v6pi_set_addr(k->ev, V6P_F_DEST, &d)))
        return r;
    if (ps == 1) {
        k->ported = 1;
        if ((r = v6pi_set_num(k->ev, V6P_F_SRC_PORT, sp)) ||
            (r = v6pi_set_num(k->ev, V6P_F_DEST_PORT, dp)))
            return r;
    }
    c->p = de + 2;
    skip_sp(c);
    return V6P_R_NONE;
}

/* ---- ICMPv6 ---- */

static const struct {
    const char *name;
    uint8_t len;
    uint8_t type;
} icmp6_names[] = {
#define N(s, t)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1, t                                                                        \
    }
    N("destination unreachable", 1),
    N("packet too big", 2),
    N("time exceeded", 3),
    N("parameter problem", 4),
    N("echo request", 128),
    N("echo reply", 129),
    N("multicast listener query", 130),
    N("multicast listener report v2", 143),
    N("multicast listener report", 131),
    N("multicast listener done", 132),
    N("router solicitation", 133),
    N("router advertisement", 134),
    N("neighbor solicitation", 135),
    N("neighbor advertisement", 136),
    N("redirect", 137),
    N("router renumbering", 138),
    N("who-are-you request", 139),
    N("who-are-you reply", 140),
    N("node information query", 139),
    N("node information reply", 140),
    N("inverse neighbor solicitation", 141),
    N("inverse neighbor advertisement", 142),
    N("ha discovery request", 144),
    N("ha discovery reply", 145),
    N("mobile router solicitation", 146),
    N("mobile router advertisement", 147),
    N("RPL", 155),
    N("mtrace response", 200),
    N("mtrace", 201),
#undef N
};

/* An address in the ICMPv6 text, ending at ',', ' ' or the end. */
static v6p_reason text_addr(cur *c, v6p_event *ev, v6p_field f)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p != ',' && *c->p != ' ')
        c->p++;
    struct in6_addr a;
    if (v6pi_parse_ip6(s, (size_t)(c->p - s), &a))
        return c->p == c->end ? V6P_R_TRUNCATED : V6P_R_BAD_ADDRESS;
    return v6pi_set_addr(ev, f, &a);
}

/* `... (N)` : a number in parentheses, as in `unknown code (5)`. */
static v6p_reason paren_num(cur *c, v6p_event *ev, v6p_field f)
{
    uint64_t v;
    if (!EAT(c, "("))
        return V6P_R_TRUNCATED;
    if (read_num(c, 255, &v) || !EAT(c, ")"))
        return V6P_R_BAD_NUMBER;
    return v6pi_set_num(ev, f, v);
}

static v6p_reason icmp6_unreach(cur *c, v6p_event *ev)
{
    static const struct {
        const char *t;
        uint8_t n, code;
    } codes[] = {{"unreachable route ", 18, 0},      {"no route to ", 12, 0},
                 {"unreachable prohibited ", 23, 1}, {"beyond scope ", 13, 2},
                 {"unreachable address ", 20, 3},    {"unreachable port, ", 18, 4}};
    v6p_reason r;
    skip_sp(c);
    if (EAT(c, "unknown unreach code "))
        return paren_num(c, ev, V6P_F_ICMP_CODE);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (!at(c, codes[i].t, codes[i].n))
            continue;
        c->p += codes[i].n;
        if ((r = v6pi_set_num(ev, V6P_F_ICMP_CODE, codes[i].code)) ||
            (r = text_addr(c, ev, V6P_F_INNER_DEST)))
            return r;
        if (codes[i].code == 2 && EAT(c, ", source address "))
            return text_addr(c, ev, V6P_F_INNER_SRC);
        if (codes[i].code == 4) {
            int proto = EAT(c, " tcp port ") ? IPPROTO_TCP : EAT(c, " udp port ") ? IPPROTO_UDP : 0;
            uint64_t v;
            if (proto) {
                v6p_event_mark(ev, V6P_F_INNER_TRANSPORT);
                if ((r = v6pi_set_num(ev, V6P_F_INNER_PROTOCOL_NUMBER, (uint64_t)proto)))
                    return r;
                /* a port may be printed by name only without -n */
                if (read_num(c, 65535, &v) == 0)
                    return v6pi_set_num(ev, V6P_F_INNER_DEST_PORT, v);
            }
        }
        return V6P_R_NONE;
    }
    return V6P_R_NONE; /* a code this tcpdump names in words we do not know */
}

static v6p_reason icmp6_param(cur *c, v6p_event *ev)
{
    static const struct {
        const char *t;
        uint8_t n, code;
    } codes[] = {{"erroneous - octet ", 18, 0},
                 {"errorneous - octet ", 19, 0},
                 {"next header - octet ", 20, 1},
                 {"option - octet ", 15, 2},
                 {"incomplete header chain - octet ", 32, 3}};
    uint64_t v;
    v6p_reason r;
    if (EAT(c, "code-#"))
        return read_num(c, 255, &v) ? V6P_R_BAD_NUMBER : v6pi_set_num(ev, V6P_F_ICMP_CODE, v);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (!at(c, codes[i].t, codes[i].n))
            continue;
        c->p += codes[i].n;
        if ((r = v6pi_set_num(ev, V6P_F_ICMP_CODE, codes[i].code)))
            return r;
        return read_num(c, 0xffffffffu, &v) ? V6P_R_TRUNCATED
                                            : v6pi_set_num(ev, V6P_F_ICMP_POINTER, v);
    }
    return V6P_R_NONE;
}

static v6p_reason icmp6(cur *c, pkt *k)
{
    v6p_event *ev = k->ev;
    v6p_reason r;
    uint64_t v;
    k->proto = IPPROTO_ICMPV6;
    if (EAT(c, "unknown icmp6 type "))
        return paren_num(c, ev, V6P_F_ICMP_TYPE);
    size_t i, n = sizeof(icmp6_names) / sizeof(icmp6_names[0]);
    for (i = 0; i < n; i++)
        if (at(c, icmp6_names[i].name, icmp6_names[i].len))
            break;
    if (i == n)
        return c->p == c->end ? V6P_R_TRUNCATED : V6P_R_NONE;
    c->p += icmp6_names[i].len;
    unsigned t = icmp6_names[i].type;
    if ((r = v6pi_set_num(ev, V6P_F_ICMP_TYPE, t)))
        return r;
    switch (t) {
    case 128:
    case 129:
        if (!EAT(c, ", id "))
            return V6P_R_TRUNCATED;
        if (read_num(c, 65535, &v) || (r = v6pi_set_num(ev, V6P_F_ICMP_ID, v)))
            return r ? r : V6P_R_BAD_NUMBER;
        if (!EAT(c, ", seq "))
            return V6P_R_TRUNCATED;
        if (read_num(c, 65535, &v))
            return V6P_R_BAD_NUMBER;
        return v6pi_set_num(ev, V6P_F_ICMP_SEQ, v);
    case 1:
        if (!EAT(c, ","))
            return V6P_R_TRUNCATED;
        return icmp6_unreach(c, ev);
    case 2:
        if (!EAT(c, ", mtu "))
            return V6P_R_TRUNCATED;
        if (read_num(c, 0xffffffffu, &v))
            return V6P_R_BAD_NUMBER;
        return v6pi_set_num(ev, V6P_F_ICMP_MTU, v);
    case 3:
        if (!EAT(c, " in-transit"))
            return V6P_R_TRUNCATED;
        if (EAT(c, " for ")) {
            if ((r = v6pi_set_num(ev, V6P_F_ICMP_CODE, 0)))
                return r;
            return text_addr(c, ev, V6P_F_INNER_DEST);
        }
        if (EAT(c, " (reassembly)"))
            return v6pi_set_num(ev, V6P_F_ICMP_CODE, 1);
        if (EAT(c, ", unknown code "))
            return paren_num(c, ev, V6P_F_ICMP_CODE);
        return V6P_R_NONE;
    case 4:
        if (!EAT(c, ", "))
            return V6P_R_TRUNCATED;
        return icmp6_param(c, ev);
    }
    return V6P_R_NONE;
}

/* ---- TCP and UDP ---- */

static v6p_reason tcp_flags(cur *c, v6p_event *ev)
{
    const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
    if (!close)
        return V6P_R_TRUNCATED;
    if (close - c->p == 4 && memcmp(c->p, "none", 4) == 0) {
        v6p_event_mark(ev, V6P_F_TCP_FLAG);
        c->p = close + 1;
        return V6P_R_NONE;
    }
    v6p_reason r = v6pi_pf_tcp_flags(ev, c->p, (size_t)(close - c->p), 1);
    if (r)
        return r;
    c->p = close + 1;
    return V6P_R_NONE;
}

/* `Flags [S.], seq 1:5, ack 2, win 8192, urg 1, options [...], length 4` */
static v6p_reason tcp(cur *c, pkt *k)
{
    v6p_event *ev = k->ev;
    v6p_reason r;
    uint64_t v;
    int win = 0, cut = 0;
    k->proto = IPPROTO_TCP;
    if ((r = tcp_flags(c, ev)))
        return r;
    while (c->p < c->end) {
        if (AT(c, "[|tcp]")) {
            cut = 1;
            break;
        }
        if (!EAT(c, ", "))
            break;
        if (EAT(c, "seq ")) {
            if (read_num(c, 0xffffffffu, &v) || (r = v6pi_set_num(ev, V6P_F_TCP_SEQ, v)))
                return r ? r : V6P_R_BAD_NUMBER;
            if (EAT(c, ":") && read_num(c, 0xffffffffu, &v))
                return V6P_R_BAD_NUMBER;
        } else if (EAT(c, "ack ")) {
            if (read_num(c, 0xffffffffu, &v) || (r = v6pi_set_num(ev, V6P_F_TCP_ACK, v)))
                return r ? r : V6P_R_BAD_NUMBER;
        } else if (EAT(c, "win ")) {
            if (read_num(c, 0xffffffffu, &v) || (r = v6pi_set_num(ev, V6P_F_TCP_WINDOW, v)))
                return r ? r : V6P_R_BAD_NUMBER;
            win = 1;
        } else if (EAT(c, "urg ")) {
            if (read_num(c, 0xffff, &v) || (r = v6pi_set_num(ev, V6P_F_TCP_URGP, v)))
                return r ? r : V6P_R_BAD_NUMBER;
        } else if (EAT(c, "options [")) {
            const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
            if (!close)
                return V6P_R_TRUNCATED;
            if ((r = v6pi_set_span(ev, V6P_F_TCP_OPTIONS, c->p, (size_t)(close - c->p))))
                return r;
            c->p = close + 1;
        } else {
            /* cksum, length, and whatever follows: not ours */
            while (c->p < c->end && *c->p != ',')
                c->p++;
        }
    }
    return win || cut ? V6P_R_NONE : V6P_R_TRUNCATED;
}

/* OpenBSD's tcpdump: `S 757158343:757158343(0) [ack N] win 52206`. */
static int old_tcp(cur *c, v6p_event *ev)
{
    size_t n = word_len(c);
    if (n == 0 || n > 8)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!memchr("SFRPWEU.", c->p[i], 8))
            return 0;
    cur t = {c->p + n, c->end};
    skip_sp(&t);
    if (!(t.p < t.end && is_digit(*t.p)) && !AT(&t, "ack ") && !AT(&t, "win "))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned bit = c->p[i] == 'S'   ? V6P_TCP_SYN
                       : c->p[i] == 'F' ? V6P_TCP_FIN
                       : c->p[i] == 'R' ? V6P_TCP_RST
                       : c->p[i] == 'P' ? V6P_TCP_PSH
                       : c->p[i] == 'W' ? V6P_TCP_CWR
                       : c->p[i] == 'E' ? V6P_TCP_ECE
                       : c->p[i] == 'U' ? V6P_TCP_URG
                                        : 0;
        if (bit)
            v6pi_set_flag(ev, V6P_F_TCP_FLAG, bit);
    }
    uint64_t v;
    if (read_num(&t, 0xffffffffu, &v) == 0)
        v6pi_set_num(ev, V6P_F_TCP_SEQ, v);
    while (t.p < t.end) {
        skip_sp(&t);
        if (EAT(&t, "ack ") && read_num(&t, 0xffffffffu, &v) == 0) {
            v6pi_set_num(ev, V6P_F_TCP_ACK, v);
            v6pi_set_flag(ev, V6P_F_TCP_FLAG, V6P_TCP_ACK);
        } else if (EAT(&t, "win ") && read_num(&t, 0xffffffffu, &v) == 0) {
            v6pi_set_num(ev, V6P_F_TCP_WINDOW, v);
        } else {
            t.p += word_len(&t);
        }
    }
    return 1;
}

static v6p_reason udp(cur *c, pkt *k)
{
    uint64_t v;
    k->proto = IPPROTO_UDP;
    if (read_num(c, 65535 - 8, &v))
        return V6P_R_TRUNCATED;
    /* tcpdump prints the payload; transport_length is the UDP length */
    return v6pi_set_num(k->ev, V6P_F_TRANSPORT_LENGTH, v + 8);
}

/* Extension headers printed before the transport: `HBH (padn) `,
 * `DSTOPT `, `RT6 (...) `, `frag (0x00000005:0|18) `. */
static v6p_reason ext_headers(cur *c, pkt *k, int *nonfirst)
{
    for (;;) {
        size_t n = word_len(c);
        int frag = n == 4 && memcmp(c->p, "frag", 4) == 0;
        if (!(frag || (n == 3 && memcmp(c->p, "HBH", 3) == 0) ||
              (n == 6 && memcmp(c->p, "DSTOPT", 6) == 0) ||
              (n == 3 && memcmp(c->p, "RT6", 3) == 0)))
            break;
        c->p += n;
        skip_sp(c);
        if (c->p < c->end && *c->p == '(') {
            const char *close = memchr(c->p, ')', (size_t)(c->end - c->p));
            if (!close)
                return V6P_R_TRUNCATED;
            if (frag) {
                cur in = {c->p + 1, close};
                const char *colon = memchr(in.p, ':', (size_t)(in.end - in.p));
                uint64_t off, id;
                if (colon) {
                    if (v6pi_parse_hex(in.p, (size_t)(colon - in.p), 0xffffffffu, &id) == 0)
                        v6pi_set_num(k->ev, V6P_F_FRAG_ID, id);
                    in.p = colon + 1;
                }
                if (read_num(&in, 0xffff, &off))
                    return V6P_R_BAD_NUMBER;
                v6pi_set_num(k->ev, V6P_F_FRAG_OFFSET, off);
                *nonfirst = off != 0;
            }
            c->p = close + 1;
            skip_sp(c);
        }
        if (frag && !*nonfirst) {
            /* the first fragment's ports, without addresses: `40000 > 33434: ` */
            cur t = *c;
            uint64_t sp, dp;
            if (read_num(&t, 65535, &sp) == 0 && EAT(&t, " > ") && read_num(&t, 65535, &dp) == 0 &&
                EAT(&t, ": ")) {
                v6pi_set_num(k->ev, V6P_F_SRC_PORT, sp);
                v6pi_set_num(k->ev, V6P_F_DEST_PORT, dp);
                k->ported = 1;
                *c = t;
            }
        }
    }
    return V6P_R_NONE;
}

static const struct {
    const char *text;
    uint8_t len, proto;
} proto_words[] = {
#define P(s, n)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1, n                                                                        \
    }
    P("[|tcp]", IPPROTO_TCP),      P("[|udp]", IPPROTO_UDP),
    P("[|icmp6]", IPPROTO_ICMPV6), P("[|icmp]", IPPROTO_ICMP),
    P("ICMP ", IPPROTO_ICMP),      P("GREv", IPPROTO_GRE),
    P("ESP(", IPPROTO_ESP),        P("AH(", IPPROTO_AH),
    P("OSPFv", V6PI_IPPROTO_OSPF), P("PIMv", IPPROTO_PIM),
    P("VRRPv", V6PI_IPPROTO_VRRP), P("CARPv", V6PI_IPPROTO_VRRP),
    P("sctp", IPPROTO_SCTP),       P("DCCP", IPPROTO_DCCP),
    P("IGMP", IPPROTO_IGMP),       P("no next header", IPPROTO_NONE),
#undef P
};

static int is_ext_header(int nh)
{
    return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
           nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH || nh == IPPROTO_MH ||
           nh == V6PI_IPPROTO_HIP || nh == V6PI_IPPROTO_SHIM6;
}

static v6p_reason transport(cur *c, pkt *k)
{
    v6p_reason r;
    int nonfirst = 0;
    if ((r = ext_headers(c, k, &nonfirst)))
        return r;
    /* checksum notes of -v: `[icmp6 sum ok] `, `[bad udp cksum 0x… -> 0x…!] ` */
    while (c->p < c->end && *c->p == '[' && !AT(c, "[|")) {
        const char *close = memchr(c->p, ']', (size_t)(c->end - c->p));
        if (!close)
            return V6P_R_TRUNCATED;
        c->p = close + 1;
        skip_sp(c);
    }
    if (nonfirst) {
        k->proto = -1;
    } else if (EAT(c, "ICMP6, ")) {
        return icmp6(c, k);
    } else if (EAT(c, "Flags [")) {
        return tcp(c, k);
    } else if (EAT(c, "UDP, length ")) {
        return udp(c, k);
    } else if (EAT(c, "ip-proto-")) {
        uint64_t v;
        if (read_num(c, 255, &v))
            return V6P_R_BAD_NUMBER;
        k->proto = (int)v;
    } else {
        for (size_t i = 0; i < sizeof(proto_words) / sizeof(proto_words[0]); i++)
            if (at(c, proto_words[i].text, proto_words[i].len)) {
                k->proto = proto_words[i].proto;
                break;
            }
        if (k->proto < 0 && k->ported) {
            if (old_tcp(c, k->ev))
                k->proto = IPPROTO_TCP;
            else if (k->nh >= 0 && !is_ext_header(k->nh))
                k->proto = k->nh;
            else
                k->proto = IPPROTO_UDP; /* an application decode: tcpdump names only UDP's so */
        }
    }
    if (k->proto < 0 && c->p == c->end && !k->verbose)
        return V6P_R_TRUNCATED;
    return V6P_R_NONE;
}

static v6p_reason packet(cur *c, v6p_event *ev)
{
    pkt k = {ev, 0, 0, -1, -1, 0};
    v6p_reason r;
    if (c->p < c->end && *c->p == '(' && (r = ip_header(c, &k)))
        return r;
    if (EAT(c, "IP6 "))
        k.family = k.family ? k.family : 6;
    else
        EAT(c, "IP ");
    if (c->p >= c->end)
        return V6P_R_TRUNCATED;
    if ((r = addresses(c, &k)) || (r = transport(c, &k)))
        return r;
    int proto = k.proto >= 0 ? k.proto : k.nh >= 0 && !is_ext_header(k.nh) ? k.nh : -1;
    if (k.ported && proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP &&
        proto != IPPROTO_DCCP)
        return V6P_R_UNEXPECTED_TOKEN;
    if (proto >= 0) {
        if ((r = v6pi_set_num(ev, V6P_F_PROTOCOL_NUMBER, (uint64_t)proto)))
            return r;
        v6p_event_mark(ev, V6P_F_TRANSPORT);
    }
    return v6pi_set_num(ev, V6P_F_PROTOCOL_VERSION, (uint64_t)k.family);
}

/* ---- entry points ---- */

/* OpenBSD's tcpdump stamps `Aug 29 15:41:11.757829 rule 0/(match) …`, which
 * the framing reads as an RFC 3164 stamp with host `rule`: the text of the
 * pf header then starts at that "host". */
static int host_is_rule(const v6p_event *ev, const char *body)
{
    return v6p_event_has(ev, V6P_F_DVC) && ev->dvc.len == 4 &&
           memcmp(ev->dvc.ptr, "rule", 4) == 0 && ev->dvc.ptr < body;
}

static int looks_like_rule_tag(const v6p_span *t)
{
    return t->len > 3 && t->ptr[t->len - 1] == ')' && memchr(t->ptr, '/', t->len) &&
           memchr(t->ptr, '(', t->len);
}

int v6pi_sniff_pflog(const char *body, size_t len, v6pi_body_ctx *ctx)
{
    cur c = {body, body + len};
    stamp st;
    if (read_stamp(&c, &st) != 0)
        return 0;
    skip_sp(&c);
    if (AT(&c, "rule "))
        return 1;
    /* the OpenBSD case above: the body starts after the rule, or after it */
    if (looks_like_rule_tag(&ctx->tag))
        return 1;
    /* the OpenBSD case above: `0/(match) block in on …`; a rule with its
     * anchor is a short word, so the look stops after 128 bytes */
    size_t n = word_len(&c);
    if (n == 0 || n > 128)
        return 0;
    const char *slash = memchr(c.p, '/', n);
    return slash && slash > c.p && reason_at(slash + 1, c.p + n) &&
           memmem(c.p + n, (size_t)(c.end - c.p - n), " on ", 4) != NULL;
}

v6pi_body_result v6pi_parse_pflog(const char *body, size_t len, v6p_event *ev, v6pi_body_ctx *ctx)
{
    v6pi_body_result res = {V6P_OK, V6P_R_NONE, 0};
    cur c = {body, body + len};
    const char *base = body;
    stamp st;
    if (host_is_rule(ev, body)) {
        c.p = ev->dvc.ptr;
        base = ev->dvc.ptr;
        v6p_event_unmark(ev, V6P_F_DVC);
        ev->dvc.ptr = NULL;
        ev->dvc.len = 0;
        st.kind = ST_NONE;
    } else if (read_stamp(&c, &st) != 0) {
        res.status = V6P_MALFORMED;
        res.reason = V6P_R_BAD_TIMESTAMP;
        return res;
    }
    skip_sp(&c);
    if (!AT(&c, "rule ")) {
        res.status = V6P_NOT_FIREWALL;
        res.reason = V6P_R_NO_FORMAT;
        return res;
    }
    v6p_reason r = pf_header(&c, ev);
    if (r == V6P_R_NONE)
        r = packet(&c, ev);
    if (r != V6P_R_NONE) {
        res.status = V6P_MALFORMED;
        res.reason = r;
        res.offset = c.p >= body ? (size_t)(c.p - body) : 0;
        (void)base;
        return res;
    }
    apply_stamp(&st, ev, ctx);
    ev->format = V6P_FORMAT_PFLOG;
    v6p_event_mark(ev, V6P_F_VENDOR_PRODUCT);
    return res;
}
