/* The parser object and the parse call: framing, then the body format, then
 * action and direction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "field.h"
#include "formats.h"
#include "framing.h"
#include "frontend.h"
#include "patterns.h"

/* Longer than any firewall line; past this a line is refused, not parsed. */
#define MAX_LINE 65536

struct v6p_parser {
    v6p_parser_options opts;
    v6pi_patterns *patterns;
    v6pi_year_cache year_memo;
};

/* Tried in order; the first whose sniff accepts the body parses it. */
static const v6pi_body_format formats[] = {
    {v6pi_sniff_netfilter, v6pi_parse_netfilter},
    {v6pi_sniff_filterlog, v6pi_parse_filterlog},
    {v6pi_sniff_pflog, v6pi_parse_pflog},
};

static int tag_is(const v6p_span *tag, const char *name)
{
    size_t n = strlen(name);
    return tag->len == n && memcmp(tag->ptr, name, n) == 0;
}

/* Index in formats[] of the format a syslog program writes (0 when unknown:
 * the order of the table then stands). */
static size_t format_for_tag(const v6p_span *tag)
{
    if (tag->len == 0)
        return 0;
    if (tag_is(tag, "filterlog"))
        return 1;
    if (tag_is(tag, "pflogd") || tag_is(tag, "pflog") || tag_is(tag, "tcpdump") ||
        tag_is(tag, "pf"))
        return 2;
    return 0;
}

/* VyOS and EdgeOS end the prefix with the rule's verdict letter:
 * `[WAN_LOCAL-default-D]`, `[WAN_IN-10-A]` (D drop, R reject, A accept). */
static const struct {
    v6p_pattern_kind kind;
    const char *regex;
    const char *value;
} default_patterns[] = {
    {V6P_PATTERN_ACTION, "^\\[[^]]*-[DR]\\]$", "blocked"},
    {V6P_PATTERN_ACTION, "^\\[[^]]*-A\\]$", "allowed"},
    {V6P_PATTERN_ACTION, "(?i)(?<![a-z])(drop|reject|block|deny|denied)", "blocked"},
    {V6P_PATTERN_ACTION, "(?i)(?<![a-z])(accept|allow|pass)", "allowed"},
};

static int value_for(v6p_pattern_kind kind, const char *value);

static int install_defaults(v6p_parser *p, v6p_error *err)
{
    for (size_t i = 0; i < sizeof(default_patterns) / sizeof(default_patterns[0]); i++)
        if (v6pi_patterns_add(p->patterns, default_patterns[i].kind, default_patterns[i].regex,
                              value_for(default_patterns[i].kind, default_patterns[i].value), 1,
                              err) != 0)
            return -1;
    return 0;
}

void v6p_parser_options_init(v6p_parser_options *opts, size_t size)
{
    v6p_parser_options def = {.size = sizeof(def)};
    v6pi_config_init(opts, size, &def, sizeof(def));
}

v6p_parser *v6p_parser_new(const v6p_parser_options *opts, v6p_error *err)
{
    v6p_parser_options o = {.size = sizeof(o)};
    if (v6pi_config_take(&o, sizeof(o), opts, "v6p_parser_options", err) != 0)
        return NULL;
    v6p_parser *p = calloc(1, sizeof(*p));
    if (!p)
        goto oom;
    p->opts = o;
    p->patterns = v6pi_patterns_new();
    if (!p->patterns)
        goto oom;
    if (!p->opts.no_default_patterns && install_defaults(p, err) != 0) {
        v6p_parser_free(p);
        return NULL;
    }
    return p;
oom:
    free(p);
    v6pi_error_set(err, ENOMEM, "out of memory");
    return NULL;
}

void v6p_parser_free(v6p_parser *p)
{
    if (!p)
        return;
    v6pi_patterns_free(p->patterns);
    free(p);
}

static int value_for(v6p_pattern_kind kind, const char *value)
{
    static const char *const actions[] = {"unknown", "blocked", "allowed"};
    static const char *const dirs[] = {"unknown", "inbound", "outbound", "forward"};
    const char *const *names = kind == V6P_PATTERN_ACTION ? actions : dirs;
    int n = kind == V6P_PATTERN_ACTION ? 3 : 4;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], value) == 0)
            return i;
    return -1;
}

int v6p_parser_add_pattern(v6p_parser *p, v6p_pattern_kind kind, const char *regex,
                           const char *value, v6p_error *err)
{
    int v = value_for(kind, value ? value : "");
    if (v < 0) {
        if (err) {
            err->code = 22;
            err->offset = 0;
            strcpy(err->message, kind == V6P_PATTERN_ACTION
                                     ? "action must be blocked, allowed or unknown"
                                     : "direction must be inbound, outbound, forward or unknown");
        }
        return -1;
    }
    return v6pi_patterns_add(p->patterns, kind, regex, v, 0, err);
}

void v6p_parser_clear_patterns(v6p_parser *p)
{
    v6pi_patterns_clear(p->patterns);
}

static v6p_status finish(v6p_result *res, v6p_status st, v6p_reason r, size_t off, size_t body)
{
    if (res) {
        res->status = st;
        res->reason = r;
        res->offset = (uint32_t)off;
        res->body_offset = (uint32_t)body;
    }
    return st;
}

/* Action and direction: a format that states them (pf) has set them
 * already; otherwise patterns over the rule decide, then IN=/OUT=.  The
 * hook is what IN=/OUT= show, whatever the patterns say. */
static void decide_action_direction(v6p_parser *p, v6p_event *ev, const v6pi_body_ctx *ctx)
{
    const char *rule = ev->rule.ptr;
    size_t rlen = v6p_event_has(ev, V6P_F_RULE) ? ev->rule.len : 0;
    if (!v6p_event_has(ev, V6P_F_HOOK) && (ctx->has_in || ctx->has_out)) {
        ev->hook = ctx->has_in && ctx->has_out ? V6P_HOOK_FORWARD
                   : ctx->has_in               ? V6P_HOOK_INPUT
                                               : V6P_HOOK_OUTPUT;
        v6p_event_mark(ev, V6P_F_HOOK);
    }
    if (rlen && (ev->format == V6P_FORMAT_IPTABLES || ev->format == V6P_FORMAT_NFTABLES))
        v6pi_frontend_zones(ev);
    if (!v6p_event_has(ev, V6P_F_ACTION)) {
        int a = rlen ? v6pi_patterns_match(p->patterns, V6P_PATTERN_ACTION, rule, rlen) : -1;
        ev->action = a < 0 ? V6P_ACTION_UNKNOWN : (v6p_action)a;
        v6p_event_mark(ev, V6P_F_ACTION);
    }
    if (!v6p_event_has(ev, V6P_F_DIRECTION)) {
        int d = rlen ? v6pi_patterns_match(p->patterns, V6P_PATTERN_DIRECTION, rule, rlen) : -1;
        if (d < 0) {
            d = ctx->has_in && ctx->has_out ? V6P_DIR_FORWARD
                : ctx->has_in               ? V6P_DIR_INBOUND
                : ctx->has_out              ? V6P_DIR_OUTBOUND
                                            : V6P_DIR_UNKNOWN;
        }
        ev->direction = (v6p_direction)d;
        v6p_event_mark(ev, V6P_F_DIRECTION);
    }
}

v6p_status v6p_parse(v6p_parser *p, const char *line, size_t len, int64_t fallback_sec,
                     uint32_t fallback_usec, v6p_event *ev, v6p_result *res)
{
    v6p_event_reset(ev);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return finish(res, V6P_NOT_FIREWALL, V6P_R_EMPTY, 0, 0);
    if (len > MAX_LINE)
        return finish(res, V6P_MALFORMED, V6P_R_TOO_LONG, MAX_LINE, 0);

    v6pi_frame fr;
    v6pi_frame_opts fo = {p->opts.local_utc_offset, fallback_sec, &p->year_memo};
    v6p_reason fr_err = v6pi_frame_parse(line, len, &fo, &fr);
    if (fr_err != V6P_R_NONE)
        return finish(res, V6P_MALFORMED, fr_err, 0, 0);

    if (fr.has_time) {
        ev->time_sec = fr.sec;
        ev->time_usec = fr.usec;
    } else if (fr.has_boot_time && p->opts.boot_time) {
        ev->time_sec = p->opts.boot_time + (int64_t)(fr.boot_usec / 1000000);
        ev->time_usec = (uint32_t)(fr.boot_usec % 1000000);
    } else {
        ev->time_sec = fallback_sec;
        ev->time_usec = fallback_usec;
    }
    v6p_event_mark(ev, V6P_F_TIME);
    if (fr.host.len)
        v6pi_set_span(ev, V6P_F_DVC, fr.host.ptr, fr.host.len);

    const char *body = line + fr.body;
    size_t blen = (fr.body_end ? fr.body_end : len) - fr.body;
    v6pi_body_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.tag = fr.tag;
    ctx.has_time = fr.has_time;
    ctx.reference_sec = fallback_sec;
    ctx.local_utc_offset = p->opts.local_utc_offset;

    /* The program that logged the line names its format; trying that one
     * first spares the others' sniffs a walk over the whole line. */
    const size_t nformats = sizeof(formats) / sizeof(formats[0]);
    size_t first = format_for_tag(&fr.tag);
    for (size_t k = 0; k < nformats; k++) {
        size_t i = k == 0 ? first : k <= first ? k - 1 : k;
        if (!formats[i].sniff(body, blen, &ctx))
            continue;
        v6pi_body_result br = formats[i].parse(body, blen, ev, &ctx);
        if (br.status == V6P_NOT_FIREWALL)
            continue;
        if (br.status != V6P_OK)
            return finish(res, br.status, br.reason, fr.body + br.offset, fr.body);
        decide_action_direction(p, ev, &ctx);
        return finish(res, V6P_OK, V6P_R_NONE, 0, fr.body);
    }
    return finish(res, V6P_NOT_FIREWALL, V6P_R_NO_FORMAT, 0, fr.body);
}

const char *v6p_status_name(v6p_status s)
{
    switch (s) {
    case V6P_OK:
        return "ok";
    case V6P_NOT_FIREWALL:
        return "not_firewall";
    case V6P_MALFORMED:
        return "malformed";
    }
    return "unknown";
}

const char *v6p_reason_text(v6p_reason r)
{
    static const char *const text[V6P_R_COUNT_] = {
        [V6P_R_NONE] = "no error",
        [V6P_R_EMPTY] = "empty line",
        [V6P_R_NO_FORMAT] = "no known firewall format",
        [V6P_R_BAD_FRAMING] = "damaged syslog header",
        [V6P_R_BAD_TIMESTAMP] = "timestamp is not a valid date",
        [V6P_R_TRUNCATED] = "line ends inside a required field",
        [V6P_R_BAD_ADDRESS] = "address is not a valid address",
        [V6P_R_BAD_NUMBER] = "number is not a number or out of range",
        [V6P_R_BAD_MAC] = "MAC field is not hex pairs",
        [V6P_R_DUPLICATE_FIELD] = "field given twice",
        [V6P_R_MISSING_FIELD] = "required field missing",
        [V6P_R_UNEXPECTED_TOKEN] = "unexpected token",
        [V6P_R_BAD_NESTING] = "unbalanced or nested brackets",
        [V6P_R_FIELD_COUNT] = "field count fits no known variant",
        [V6P_R_FAMILY_MISMATCH] = "IPv4 and IPv6 fields mixed",
        [V6P_R_TOO_LONG] = "line too long",
        [V6P_R_BAD_FIELD] = "no such field, or not a field of that kind",
    };
    return (unsigned)r < V6P_R_COUNT_ ? text[r] : "unknown reason";
}
