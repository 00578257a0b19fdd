/* Loading the YAML configuration.
 *
 * The file is loaded as a libyaml document and walked against tables of the
 * keys each mapping may hold, so that every error can name the line and
 * column of the node at fault, and a misspelt key can be answered with the
 * nearest known one.  Adding an option means adding a row to a table here,
 * a field to config.h, and a documented line to examples/forward.yaml. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "ipv6probe/event.h"

typedef struct ctx {
    yaml_document_t *doc;
    const char *file;
    char *err;
    size_t errlen;
    fwd_config *cfg;
} ctx;

typedef enum key_type {
    K_BOOL,    /* int */
    K_UINT,    /* uint64_t, min..max */
    K_INT,     /* int64_t, min..max */
    K_U32,     /* uint32_t, min..max */
    K_SIZET,   /* size_t, min..max */
    K_CBOOL,   /* bool */
    K_SIZE,    /* uint64_t bytes; accepts KiB/MiB/GiB suffixes */
    K_STR,     /* char * */
    K_STRLIST, /* char ** and a size_t count at off2 */
    K_ENUM,    /* int: index in names */
    K_SECTION, /* a mapping: sub table, same base */
    K_CUSTOM   /* fn */
} key_type;

struct key_spec;
typedef int (*custom_fn)(ctx *c, yaml_node_t *n, void *base);

typedef struct key_spec {
    const char *name;
    key_type type;
    size_t off;
    long long min, max;
    const char *const *names;
    const struct key_spec *sub;
    custom_fn fn;
    size_t off2;
} key_spec;

static int fail(ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    int k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, n->start_mark.line + 1,
                     n->start_mark.column + 1);
    if (k < 0 || (size_t)k >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static char *own(fwd_config *cfg, char *p)
{
    if (!p)
        return NULL;
    if (cfg->n_owned == cfg->cap_owned) {
        size_t n = cfg->cap_owned ? cfg->cap_owned * 2 : 32;
        void **a = realloc(cfg->owned, n * sizeof(*a));
        if (!a) {
            free(p);
            return NULL;
        }
        cfg->owned = a;
        cfg->cap_owned = n;
    }
    cfg->owned[cfg->n_owned++] = p;
    return p;
}

static char *own_dup(fwd_config *cfg, const char *s)
{
    return own(cfg, strdup(s));
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain empty value, "~" or "null": the key is there but says nothing. */
static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = scalar(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int want_scalar(ctx *c, yaml_node_t *n, const char *key, const char *what)
{
    if (n->type == YAML_SCALAR_NODE)
        return 0;
    return fail(c, n, "\"%s\" must be %s, not a %s", key, what,
                n->type == YAML_MAPPING_NODE ? "mapping" : "list");
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_key(ctx *c, yaml_node_t *k, const key_spec *specs, const char *where)
{
    const char *best = NULL;
    size_t best_d = 99;
    for (const key_spec *s = specs; s->name; s++) {
        size_t d = edit_distance(scalar(k), s->name);
        if (d < best_d) {
            best_d = d;
            best = s->name;
        }
    }
    size_t len = strlen(scalar(k));
    if (best && best_d <= 2 && best_d < len)
        return fail(c, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)", scalar(k), where,
                    best);
    return fail(c, k, "unknown key \"%s\" in %s", scalar(k), where);
}

static int parse_bool(ctx *c, yaml_node_t *n, const char *key, int *out)
{
    if (want_scalar(c, n, key, "true or false"))
        return -1;
    static const char *const yes[] = {"true", "yes", "on", "True", "Yes", "On", "TRUE", NULL};
    static const char *const no[] = {"false", "no", "off", "False", "No", "Off", "FALSE", NULL};
    for (int i = 0; yes[i]; i++)
        if (!strcmp(scalar(n), yes[i])) {
            *out = 1;
            return 0;
        }
    for (int i = 0; no[i]; i++)
        if (!strcmp(scalar(n), no[i])) {
            *out = 0;
            return 0;
        }
    return fail(c, n, "\"%s\" must be true or false, not \"%s\"", key, scalar(n));
}

static int parse_int(ctx *c, yaml_node_t *n, const char *key, long long min, long long max,
                     long long *out)
{
    if (want_scalar(c, n, key, "a whole number"))
        return -1;
    const char *s = scalar(n);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno)
        return fail(c, n, "\"%s\" must be a whole number, not \"%s\"", key, s);
    if (v < min || v > max)
        return fail(c, n, "\"%s\" must be from %lld to %lld, not %lld", key, min, max, v);
    *out = v;
    return 0;
}

static int parse_size(ctx *c, yaml_node_t *n, const char *key, long long min, long long max,
                      uint64_t *out)
{
    if (want_scalar(c, n, key, "a size"))
        return -1;
    const char *s = scalar(n);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || end == s || errno)
        return fail(c, n, "\"%s\" must be a size such as 65536, 64KiB or 16MiB, not \"%s\"", key,
                    s);
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {{"", 0},   {"B", 0},  {"KiB", 10}, {"MiB", 20}, {"GiB", 30},
                 {"k", 10}, {"K", 10}, {"M", 20},   {"G", 30}};
    while (*end == ' ')
        end++;
    unsigned shift = 99;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcmp(end, units[i].suffix))
            shift = units[i].shift;
    if (shift == 99)
        return fail(c, n, "\"%s\": unknown size unit \"%s\" (use KiB, MiB or GiB)", key, end);
    if (shift && v > (ULLONG_MAX >> shift))
        return fail(c, n, "\"%s\" is too large", key);
    v <<= shift;
    if ((long long)v < min || v > (unsigned long long)max)
        return fail(c, n, "\"%s\" must be from %lld to %lld bytes, not %llu", key, min, max, v);
    *out = v;
    return 0;
}

static int parse_str(ctx *c, yaml_node_t *n, const char *key, char **out)
{
    if (want_scalar(c, n, key, "a string"))
        return -1;
    if (is_null(n)) {
        *out = NULL; /* written out as "null": the default, unset */
        return 0;
    }
    *out = own_dup(c->cfg, scalar(n));
    return *out ? 0 : fail(c, n, "out of memory");
}

static int parse_strlist(ctx *c, yaml_node_t *n, const char *key, char ***list, size_t *count)
{
    free(*list);
    *list = NULL;
    *count = 0;
    if (is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "\"%s\" must be a list", key);
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    *list = calloc(len + 1, sizeof(char *));
    if (!*list)
        return fail(c, n, "out of memory");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (is_null(item))
            return fail(c, item, "\"%s\": an empty item", key);
        if (parse_str(c, item, key, &(*list)[*count]))
            return -1;
        (*count)++;
    }
    return 0;
}

static int walk_map(ctx *c, yaml_node_t *n, const key_spec *specs, void *base, const char *where);

static int apply_key(ctx *c, const key_spec *s, yaml_node_t *v, void *base)
{
    char *p = (char *)base + s->off;
    long long iv;
    switch (s->type) {
    case K_BOOL:
        return parse_bool(c, v, s->name, (int *)p);
    case K_UINT:
        if (parse_int(c, v, s->name, s->min, s->max, &iv))
            return -1;
        *(uint64_t *)p = (uint64_t)iv;
        return 0;
    case K_INT:
        if (parse_int(c, v, s->name, s->min, s->max, &iv))
            return -1;
        *(int64_t *)p = iv;
        return 0;
    case K_U32:
        if (parse_int(c, v, s->name, s->min, s->max, &iv))
            return -1;
        *(uint32_t *)p = (uint32_t)iv;
        return 0;
    case K_SIZET:
        if (parse_int(c, v, s->name, s->min, s->max, &iv))
            return -1;
        *(size_t *)p = (size_t)iv;
        return 0;
    case K_CBOOL: {
        int b;
        if (parse_bool(c, v, s->name, &b))
            return -1;
        *(bool *)p = b != 0;
        return 0;
    }
    case K_SIZE:
        return parse_size(c, v, s->name, s->min, s->max, (uint64_t *)p);
    case K_STR:
        return parse_str(c, v, s->name, (char **)p);
    case K_STRLIST:
        return parse_strlist(c, v, s->name, (char ***)p, (size_t *)((char *)base + s->off2));
    case K_ENUM:
        if (want_scalar(c, v, s->name, "a word"))
            return -1;
        for (int i = 0; s->names[i]; i++)
            if (!strcmp(scalar(v), s->names[i])) {
                *(int *)p = i;
                return 0;
            }
        {
            char list[200] = "";
            for (int i = 0; s->names[i]; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", s->names[i]);
            }
            return fail(c, v, "\"%s\" must be one of %s, not \"%s\"", s->name, list, scalar(v));
        }
    case K_SECTION:
        return walk_map(c, v, s->sub, p, s->name);
    case K_CUSTOM:
        return s->fn(c, v, base);
    }
    return -1;
}

static int walk_map(ctx *c, yaml_node_t *n, const key_spec *specs, void *base, const char *where)
{
    if (is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return fail(c, n, "%s must be a mapping of keys to values", where);
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
        if (k->type != YAML_SCALAR_NODE)
            return fail(c, k, "keys in %s must be plain words", where);
        /* A key given twice is a mistake the user will not see otherwise. */
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
            yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
            if (k2->type == YAML_SCALAR_NODE && !strcmp(scalar(k2), scalar(k)))
                return fail(c, k, "key \"%s\" given twice in %s (first at line %zu)", scalar(k),
                            where, k2->start_mark.line + 1);
        }
        const key_spec *s = specs;
        while (s->name && strcmp(s->name, scalar(k)))
            s++;
        if (!s->name)
            return unknown_key(c, k, specs, where);
        if (apply_key(c, s, v, base))
            return -1;
    }
    return 0;
}

/* ---- custom keys -------------------------------------------------------- */

static const char *const start_names[] = {"beginning", "end", NULL};

static const key_spec file_keys[] = {
    {"path", K_STR, offsetof(cfg_file_input, path), 0, 0, NULL, NULL, NULL, 0},
    {"follow", K_BOOL, offsetof(cfg_file_input, follow), 0, 0, NULL, NULL, NULL, 0},
    {"start_at", K_ENUM, offsetof(cfg_file_input, start), 0, 0, start_names, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0}};

static int set_files(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "\"files\" must be a list of paths or of mappings with \"path\"");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (config_add_file(cfg, NULL, 0))
            return fail(c, item, "out of memory");
        cfg_file_input *f = &cfg->files[cfg->n_files - 1];
        if (item->type == YAML_SCALAR_NODE) {
            if (parse_str(c, item, "files", &f->path))
                return -1;
            continue;
        }
        if (walk_map(c, item, file_keys, f, "a file input"))
            return -1;
        if (!f->path)
            return fail(c, item, "a file input needs \"path\"");
    }
    return 0;
}

static const key_spec listener_keys[] = {
    {"listen", K_STR, offsetof(cfg_listener, listen), 0, 0, NULL, NULL, NULL, 0},
    {"max_message", K_SIZE, offsetof(cfg_listener, max_message), 64, 64 << 20, NULL, NULL, NULL, 0},
    {"max_connections", K_UINT, offsetof(cfg_listener, max_connections), 1, 1000000, NULL, NULL,
     NULL, 0},
    {"receive_buffer", K_SIZE, offsetof(cfg_listener, receive_buffer), 0, 1 << 30, NULL, NULL, NULL,
     0},
    {"idle_timeout_ms", K_UINT, offsetof(cfg_listener, idle_timeout_ms), 0, 86400000, NULL, NULL,
     NULL, 0},
    {"min_bytes_per_minute", K_UINT, offsetof(cfg_listener, min_bytes_per_minute), 0, 1 << 30, NULL,
     NULL, NULL, 0},
    {"max_connections_per_source", K_UINT, offsetof(cfg_listener, max_connections_per_source), 1,
     1000000, NULL, NULL, NULL, 0},
    {"peer_buffer_budget", K_SIZE, offsetof(cfg_listener, peer_buffer_budget), 1024, 1LL << 40,
     NULL, NULL, NULL, 0},
    {"buffer_budget", K_SIZE, offsetof(cfg_listener, buffer_budget), 1024, 1LL << 40, NULL, NULL,
     NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0}};

/* Defaults that keep one peer from taking the listener: a silent
 * connection goes after 5 minutes, one trickling an unfinished message
 * (slowloris) after a minute below 120 bytes; a peer address holds at most
 * 64 connections and 4 MiB of buffers, the listener 64 MiB. */
static void listener_defaults(cfg_listener *l)
{
    if (!l->max_message)
        l->max_message = 64 * 1024;
    if (!l->max_connections)
        l->max_connections = 1024;
    l->idle_timeout_ms = 300000;
    l->min_bytes_per_minute = 120;
    l->max_connections_per_source = 64;
    l->peer_buffer_budget = 4u << 20;
    l->buffer_budget = 64u << 20;
}

static int add_listener(fwd_config *cfg)
{
    cfg_listener *a = realloc(cfg->listeners, (cfg->n_listeners + 1) * sizeof(*a));
    if (!a)
        return -1;
    cfg->listeners = a;
    cfg_listener *l = &a[cfg->n_listeners++];
    memset(l, 0, sizeof(*l));
    listener_defaults(l);
    return 0;
}

static int set_syslog(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "\"syslog\" must be a list of listeners");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        if (add_listener(cfg))
            return fail(c, item, "out of memory");
        cfg_listener *l = &cfg->listeners[cfg->n_listeners - 1];
        yaml_node_t *at = item;
        if (item->type == YAML_SCALAR_NODE) {
            if (parse_str(c, item, "syslog", &l->listen))
                return -1;
        } else {
            if (walk_map(c, item, listener_keys, l, "a syslog listener"))
                return -1;
            if (!l->listen)
                return fail(c, item, "a syslog listener needs \"listen\"");
            /* Point errors in the address at the listen value itself. */
            for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
                 pr < item->data.mapping.pairs.top; pr++)
                if (!strcmp(scalar(yaml_document_get_node(c->doc, pr->key)), "listen"))
                    at = yaml_document_get_node(c->doc, pr->value);
        }
        char why[200];
        cfg_listener keep = *l; /* the limits given: parsing the address resets them */
        char *text = l->listen;
        if (config_parse_listen(text, l, why, sizeof(why)))
            return fail(c, at, "%s", why);
        l->max_message = keep.max_message;
        l->max_connections = keep.max_connections;
        l->receive_buffer = keep.receive_buffer;
        l->idle_timeout_ms = keep.idle_timeout_ms;
        l->min_bytes_per_minute = keep.min_bytes_per_minute;
        l->max_connections_per_source = keep.max_connections_per_source;
        l->peer_buffer_budget = keep.peer_buffer_budget;
        l->buffer_budget = keep.buffer_budget;
        l->line = (int)at->start_mark.line + 1;
        l->column = (int)at->start_mark.column + 1;
    }
    return 0;
}

static int set_patterns(ctx *c, yaml_node_t *n, fwd_config *cfg, v6p_pattern_kind kind,
                        const char *key)
{
    static const char *const actions[] = {"blocked", "allowed", "unknown", NULL};
    static const char *const dirs[] = {"inbound", "outbound", "forward", "unknown", NULL};
    const char *const *values = kind == V6P_PATTERN_ACTION ? actions : dirs;
    if (is_null(n))
        return 0;
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(c, n, "\"%s\" must be a list of {match: REGEX, value: WORD}", key);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        cfg_pattern p;
        memset(&p, 0, sizeof(p));
        p.kind = kind;
        p.line = (int)item->start_mark.line + 1;
        p.column = (int)item->start_mark.column + 1;
        const key_spec keys[] = {
            {"match", K_STR, offsetof(cfg_pattern, match), 0, 0, NULL, NULL, NULL, 0},
            {"value", K_STR, offsetof(cfg_pattern, value), 0, 0, NULL, NULL, NULL, 0},
            {NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0}};
        if (walk_map(c, item, keys, &p, "a pattern"))
            return -1;
        if (!p.match || !p.value)
            return fail(c, item, "a pattern needs both \"match\" and \"value\"");
        int ok = 0;
        for (int i = 0; values[i]; i++)
            ok |= !strcmp(values[i], p.value);
        if (!ok)
            return fail(c, item, "pattern value \"%s\" is not one of %s", p.value,
                        kind == V6P_PATTERN_ACTION ? "blocked, allowed, unknown"
                                                   : "inbound, outbound, forward, unknown");
        cfg_pattern *a = realloc(cfg->patterns, (cfg->n_patterns + 1) * sizeof(*a));
        if (!a)
            return fail(c, item, "out of memory");
        cfg->patterns = a;
        a[cfg->n_patterns++] = p;
    }
    return 0;
}

static int set_action_patterns(ctx *c, yaml_node_t *n, void *base)
{
    return set_patterns(c, n, base, V6P_PATTERN_ACTION, "action_patterns");
}

static int set_direction_patterns(ctx *c, yaml_node_t *n, void *base)
{
    return set_patterns(c, n, base, V6P_PATTERN_DIRECTION, "direction_patterns");
}

/* "2001:db8::/32" */
static int prefix_ok(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash - s >= INET6_ADDRSTRLEN)
        return 0;
    char host[INET6_ADDRSTRLEN];
    memcpy(host, s, (size_t)(slash - s));
    host[slash - s] = 0;
    struct in6_addr a;
    char *end;
    long len = strtol(slash + 1, &end, 10);
    if (inet_pton(AF_INET6, host, &a) != 1 || *end || !slash[1] || len < 0 || len > 128)
        return 0;
    /* 2001:db8::1/64 is a host, not a prefix: most likely a typo. */
    for (long b = len; b < 128; b++)
        if (a.s6_addr[b / 8] & (0x80 >> (b % 8)))
            return 0;
    return 1;
}

static int set_internal_prefixes(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (parse_strlist(c, n, "internal_prefixes", &cfg->internal_prefixes,
                      &cfg->n_internal_prefixes))
        return -1;
    for (size_t i = 0; i < cfg->n_internal_prefixes; i++)
        if (!prefix_ok(cfg->internal_prefixes[i])) {
            yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
            return fail(c, item,
                        "\"%s\" is not an IPv6 prefix such as 2001:db8::/32 "
                        "(with no bits set past its length)",
                        cfg->internal_prefixes[i]);
        }
    return 0;
}

/* "lan0", "br-*", "igb1.*": names as the kernel prints them (at most 15
 * bytes) or fnmatch globs over them. */
static int set_internal_interfaces(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (parse_strlist(c, n, "internal_interfaces", &cfg->internal_interfaces,
                      &cfg->n_internal_interfaces))
        return -1;
    for (size_t i = 0; i < cfg->n_internal_interfaces; i++) {
        size_t len = strlen(cfg->internal_interfaces[i]);
        if (len == 0 || len > 63 || strpbrk(cfg->internal_interfaces[i], " \t/")) {
            yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
            return fail(c, item, "\"%s\" is not an interface name or glob such as lan0 or br-*",
                        cfg->internal_interfaces[i]);
        }
    }
    return 0;
}

static const char *const unparsed_names[] = {"stderr", "drop", "raw", "file", NULL};

static const key_spec unparsed_keys[] = {
    {"mode", K_ENUM, offsetof(fwd_config, unparsed), 0, 0, unparsed_names, NULL, NULL, 0},
    {"file", K_STR, offsetof(fwd_config, unparsed_file), 0, 0, NULL, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0}};

static int set_unparsed(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (walk_map(c, n, unparsed_keys, cfg, "unparsed"))
        return -1;
    if (cfg->unparsed == UNPARSED_FILE && !cfg->unparsed_file)
        return fail(c, n, "unparsed: mode file needs \"file\": the dead-letter file's path");
    if (cfg->unparsed_file && cfg->unparsed != UNPARSED_FILE)
        return fail(c, n, "unparsed: \"file\" is given but mode is not file");
    return 0;
}

static const char *const fsync_names[] = {"batch", "always", "never", NULL};
static const char *const full_names[] = {"block", "drop_oldest", "drop_newest", NULL};

#define KEND                                                                                       \
    {                                                                                              \
        NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0                                                      \
    }
#define KB(n, f)                                                                                   \
    {                                                                                              \
        n, K_BOOL, offsetof(fwd_config, f), 0, 0, NULL, NULL, NULL, 0                              \
    }
#define KU(n, f, lo, hi)                                                                           \
    {                                                                                              \
        n, K_UINT, offsetof(fwd_config, f), lo, hi, NULL, NULL, NULL, 0                            \
    }
#define KI(n, f, lo, hi)                                                                           \
    {                                                                                              \
        n, K_INT, offsetof(fwd_config, f), lo, hi, NULL, NULL, NULL, 0                             \
    }
#define K32(n, f, lo, hi)                                                                          \
    {                                                                                              \
        n, K_U32, offsetof(fwd_config, f), lo, hi, NULL, NULL, NULL, 0                             \
    }
#define KST(n, f, lo, hi)                                                                          \
    {                                                                                              \
        n, K_SIZET, offsetof(fwd_config, f), lo, hi, NULL, NULL, NULL, 0                           \
    }
#define KCB(n, f)                                                                                  \
    {                                                                                              \
        n, K_CBOOL, offsetof(fwd_config, f), 0, 0, NULL, NULL, NULL, 0                             \
    }
#define KZ(n, f, lo, hi)                                                                           \
    {                                                                                              \
        n, K_SIZE, offsetof(fwd_config, f), lo, hi, NULL, NULL, NULL, 0                            \
    }
#define KS(n, f)                                                                                   \
    {                                                                                              \
        n, K_STR, offsetof(fwd_config, f), 0, 0, NULL, NULL, NULL, 0                               \
    }
#define KL(n, f, cnt)                                                                              \
    {                                                                                              \
        n, K_STRLIST, offsetof(fwd_config, f), 0, 0, NULL, NULL, NULL, offsetof(fwd_config, cnt)   \
    }
#define KE(n, f, names)                                                                            \
    {                                                                                              \
        n, K_ENUM, offsetof(fwd_config, f), 0, 0, names, NULL, NULL, 0                             \
    }
#define KSEC(n, sub)                                                                               \
    {                                                                                              \
        n, K_SECTION, 0, 0, 0, NULL, sub, NULL, 0                                                  \
    }
#define KC(n, fn)                                                                                  \
    {                                                                                              \
        n, K_CUSTOM, 0, 0, 0, NULL, NULL, fn, 0                                                    \
    }

#define DAY_S 86400LL
#define YEAR_S (366 * DAY_S)

static const key_spec tls_keys[] = {KB("verify", hec.tls.verify),
                                    KS("ca_file", hec.tls.ca_file),
                                    KS("ca_dir", hec.tls.ca_dir),
                                    KS("client_cert", hec.tls.client_cert),
                                    KS("client_key", hec.tls.client_key),
                                    KS("sni", hec.tls.sni),
                                    KEND};
static const key_spec batch_keys[] = {KU("events", hec.batch.events, 1, 1000000),
                                      KZ("bytes", hec.batch.bytes, 1024, 1LL << 30),
                                      KU("time_ms", hec.batch.time_ms, 0, 3600000), KEND};
static const key_spec acks_keys[] = {
    KB("enabled", hec.acks.enabled), KU("timeout_ms", hec.acks.timeout_ms, 1, 86400000),
    KU("poll_interval_ms", hec.acks.poll_interval_ms, 10, 3600000), KEND};
static const key_spec retry_keys[] = {
    KU("initial_backoff_ms", hec.retry.initial_backoff_ms, 1, 3600000),
    KU("max_backoff_ms", hec.retry.max_backoff_ms, 1, 86400000), KEND};
static const key_spec spool_keys[] = {KS("dir", hec.spool.dir),
                                      KZ("max_bytes", hec.spool.max_bytes, 1 << 20, 1LL << 50),
                                      KE("fsync", hec.spool.fsync, fsync_names),
                                      KE("full_policy", hec.spool.full_policy, full_names), KEND};

static int set_indexed_fields(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    if (parse_strlist(c, n, "indexed_fields", &cfg->hec.indexed_fields, &cfg->hec.n_indexed_fields))
        return -1;
    for (size_t i = 0; i < cfg->hec.n_indexed_fields; i++) {
        const char *f = cfg->hec.indexed_fields[i];
        if (v6p_field_by_name(f, strlen(f)) == V6P_F_NONE)
            return fail(c, yaml_document_get_node(c->doc, n->data.sequence.items.start[i]),
                        "\"%s\" is not an event field", f);
    }
    return 0;
}

static const key_spec hec_keys[] = {KL("endpoints", hec.endpoints, hec.n_endpoints),
                                    KS("token_file", hec.token_file),
                                    KS("token_env", hec.token_env),
                                    KSEC("tls", tls_keys),
                                    KSEC("batch", batch_keys),
                                    KU("gzip", hec.gzip, 0, 9),
                                    KSEC("acks", acks_keys),
                                    KSEC("retry", retry_keys),
                                    KSEC("spool", spool_keys),
                                    KU("timeout_ms", hec.timeout_ms, 1, 3600000),
                                    KU("health_interval_ms", hec.health_interval_ms, 0, 86400000),
                                    KU("max_in_flight", hec.max_in_flight, 1, 64),
                                    KS("dead_letter", hec.dead_letter),
                                    KB("allow_insecure_http", hec.allow_insecure_http),
                                    KS("index", hec.index),
                                    KS("source", hec.source),
                                    KS("sourcetype", hec.sourcetype),
                                    KS("host", hec.host),
                                    KC("indexed_fields", set_indexed_fields),
                                    KEND};

/* An http:// URL whose host is loopback; https:// URLs pass too.  The same
 * rule as the client's, here so that --check-config reports it. */
static int is_loopback_url(const char *url)
{
    if (strncmp(url, "http://", 7))
        return 1;
    const char *h = url + 7, *e;
    char host[256];
    if (*h == '[') {
        e = strchr(++h, ']');
    } else {
        e = h + strcspn(h, ":/?#");
    }
    if (!e || (size_t)(e - h) >= sizeof(host))
        return 0;
    memcpy(host, h, (size_t)(e - h));
    host[e - h] = 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcasecmp(host, "localhost"))
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int set_hec(ctx *c, yaml_node_t *n, void *base)
{
    fwd_config *cfg = base;
    cfg->hec.enabled = 1;
    cfg->hec.line = (int)n->start_mark.line + 1;
    cfg->hec.column = (int)n->start_mark.column + 1;
    if (walk_map(c, n, hec_keys, cfg, "hec"))
        return -1;
    if (!cfg->hec.n_endpoints)
        return fail(c, n, "hec needs \"endpoints\": a list of https://host:port URLs");
    for (size_t i = 0; i < cfg->hec.n_endpoints; i++) {
        const char *e = cfg->hec.endpoints[i];
        if (strncmp(e, "https://", 8) && strncmp(e, "http://", 7))
            return fail(c, n, "hec endpoint \"%s\" must start with https:// or http://", e);
    }
    for (size_t i = 0; i < cfg->hec.n_endpoints && !cfg->hec.allow_insecure_http; i++)
        if (!is_loopback_url(cfg->hec.endpoints[i]))
            return fail(c, n,
                        "hec endpoint \"%s\": plain http would send the token and events in "
                        "clear text to another host; use https, or set allow_insecure_http: true",
                        cfg->hec.endpoints[i]);
    if (!cfg->hec.token_file == !cfg->hec.token_env)
        return fail(c, n, "hec needs exactly one of \"token_file\" and \"token_env\"");
    /* A token pasted in place of the variable's name is not echoed. */
    const char *e = cfg->hec.token_env;
    if (e && (strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                  strlen(e) ||
              (*e >= '0' && *e <= '9')))
        return fail(c, n,
                    "hec token_env is not an environment variable name (the value is not shown: "
                    "it may be the token itself)");
    if (cfg->hec.retry.initial_backoff_ms > cfg->hec.retry.max_backoff_ms)
        return fail(c, n, "hec retry: initial_backoff_ms is above max_backoff_ms");
    return 0;
}

static const key_spec file_out_keys[] = {KS("path", out_file), KB("fsync", out_file_fsync), KEND};
static const key_spec outputs_keys[] = {KB("stdout", out_stdout), KSEC("file", file_out_keys),
                                        KC("hec", set_hec), KEND};

static const key_spec kmsg_keys[] = {KB("enabled", kmsg), KS("path", kmsg_path),
                                     KE("start_at", kmsg_start, start_names), KEND};
static const key_spec checkpoint_keys[] = {
    KS("file", checkpoint_file), KU("interval_ms", checkpoint_interval_ms, 10, 3600000), KEND};
static const key_spec inputs_keys[] = {KB("stdin", use_stdin),
                                       KC("files", set_files),
                                       KC("syslog", set_syslog),
                                       KSEC("kmsg", kmsg_keys),
                                       KSEC("checkpoint", checkpoint_keys),
                                       KU("follow_poll_ms", follow_poll_ms, 10, 60000),
                                       KEND};
static const key_spec parser_keys[] = {KI("utc_offset", utc_offset, -86400, 86400),
                                       KI("boot_time", boot_time, 0, 1LL << 40),
                                       KB("default_patterns", default_patterns),
                                       KZ("max_line", max_line, 256, 64 << 20),
                                       KC("action_patterns", set_action_patterns),
                                       KC("direction_patterns", set_direction_patterns),
                                       KEND};
static const key_spec pe_keys[] = {KI("preferred_lifetime_s", pe.preferred_lifetime, 60, YEAR_S),
                                   KI("valid_lifetime_s", pe.valid_lifetime, 60, YEAR_S),
                                   KST("max_addresses", pe.max_addresses, 16, 100000000),
                                   KST("max_prefixes", pe.max_prefixes, 16, 10000000),
                                   KCB("learn_prefixes", pe.learn_prefixes),
                                   KEND};
static const key_spec ladder_keys[] = {
    K32("max_ladders", taggers.ladder_capacity, 16, 10000000),
    K32("min_rungs", taggers.ladder_min_rungs, 2, 255),
    K32("step", taggers.ladder_step, 1, 64),
    K32("max_repeat", taggers.ladder_max_repeat, 1, 255),
    K32("max_skip", taggers.ladder_max_skip, 0, 16),
    K32("max_start_hop", taggers.ladder_max_start_hop, 1, 255),
    K32("gap_s", taggers.ladder_gap_sec, 1, DAY_S),
    K32("window_s", taggers.ladder_window_sec, 1, DAY_S),
    KB("tcp_udp", taggers.ladder_tcp_udp),
    K32("max_sender_ladders", taggers.ladder_sender_capacity, 16, 10000000),
    K32("summary_queue", taggers.ladder_summary_queue, 1, 10000000),
    KEND};
static const key_spec scan_keys[] = {K32("max_sources", taggers.scan_capacity, 16, 100000000),
                                     K32("max_pairs", taggers.pair_capacity, 16, 100000000),
                                     K32("sweep_addresses", taggers.sweep_threshold, 2, 1000000000),
                                     K32("sweep_window_s", taggers.sweep_window_sec, 1, DAY_S),
                                     K32("ports", taggers.port_threshold, 2, 65536),
                                     K32("ports_window_s", taggers.port_window_sec, 1, DAY_S),
                                     K32("pe_window_s", taggers.pe_window_sec, 1, 30 * DAY_S),
                                     K32("repeat_gap_s", taggers.repeat_gap_sec, 1, 365 * DAY_S),
                                     K32("visit_gap_s", taggers.visit_gap_sec, 1, 30 * DAY_S),
                                     KEND};
static const key_spec classification_keys[] = {
    KL("tables", classification.tables, classification.n_tables),
    KB("builtin", classification.builtin), KS("asn_database", classification.asn_database), KEND};
static const key_spec dedupe_keys[] = {KB("enabled", dedupe_enabled),
                                       K32("window_ms", dedupe.window_ms, 1, 60000),
                                       KST("max_packets", dedupe.capacity, 16, 100000000), KEND};
static const key_spec pipeline_keys[] = {KU("queue_batches", queue_batches, 2, 65536),
                                         KZ("batch_bytes", batch_bytes, 4096, 64 << 20), KEND};
static const key_spec stats_keys[] = {KU("interval_s", stats_interval_s, 0, 86400),
                                      KB("events", stats_events), KEND};
static const key_spec metrics_keys[] = {KS("listen", metrics_listen), KEND};
static const key_spec shutdown_keys[] = {KU("deadline_ms", shutdown_deadline_ms, 0, 3600000), KEND};

static const key_spec top_keys[] = {KSEC("inputs", inputs_keys),
                                    KSEC("parser", parser_keys),
                                    KC("unparsed", set_unparsed),
                                    KC("internal_prefixes", set_internal_prefixes),
                                    KC("internal_interfaces", set_internal_interfaces),
                                    KSEC("dedupe", dedupe_keys),
                                    KSEC("pe", pe_keys),
                                    KSEC("ladder", ladder_keys),
                                    KSEC("scan", scan_keys),
                                    KSEC("classification", classification_keys),
                                    KSEC("outputs", outputs_keys),
                                    KSEC("pipeline", pipeline_keys),
                                    KSEC("stats", stats_keys),
                                    KSEC("shutdown", shutdown_keys),
                                    KSEC("metrics", metrics_keys),
                                    KS("user", user),
                                    KS("group", group),
                                    KS("pid_file", pid_file),
                                    KB("progress", progress),
                                    KU("workers", workers, 0, CFG_MAX_WORKERS),
                                    KEND};

/* ---- public ------------------------------------------------------------- */

void config_defaults(fwd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->kmsg_path = "/dev/kmsg";
    c->kmsg_start = START_END;
    c->checkpoint_interval_ms = 1000;
    c->follow_poll_ms = 250;
    c->default_patterns = 1;
    c->dedupe_enabled = 1;
    v6p_dedupe_config_init(&c->dedupe, sizeof(c->dedupe));
    c->max_line = 64 * 1024;
    c->unparsed = UNPARSED_STDERR;
    v6p_pe_config_init(&c->pe, sizeof(c->pe));
    v6p_taggers_config_init(&c->taggers, sizeof(c->taggers));
    c->classification.builtin = 1;
    c->out_stdout = -1;
    c->hec.tls.verify = 1;
    c->hec.batch.events = 500;
    c->hec.batch.bytes = 1 << 20;
    c->hec.batch.time_ms = 200;
    c->hec.gzip = 0;
    /* A real indexer can take minutes to acknowledge at low volume; a
     * shorter wait only resends (duplicates) what is on its way. */
    c->hec.acks.timeout_ms = 300000;
    c->hec.acks.poll_interval_ms = 1000;
    c->hec.health_interval_ms = 30000;
    c->hec.max_in_flight = 4;
    c->hec.retry.initial_backoff_ms = 500;
    c->hec.retry.max_backoff_ms = 60000;
    c->hec.spool.max_bytes = 1ULL << 30;
    c->hec.timeout_ms = 30000;
    c->queue_batches = 64;
    c->batch_bytes = 256 * 1024;
    c->stats_events = -1;
    c->shutdown_deadline_ms = 10000;
    c->progress = -1;
}

static void yaml_problem(ctx *c, const yaml_parser_t *p)
{
    const yaml_mark_t *m =
        p->problem_mark.line || p->problem_mark.column ? &p->problem_mark : &p->context_mark;
    snprintf(c->err, c->errlen, "%s:%zu:%zu: YAML syntax: %s%s%s", c->file, m->line + 1,
             m->column + 1, p->problem ? p->problem : "error", p->context ? " " : "",
             p->context ? p->context : "");
}

/* Deeper than any real configuration (the schema nests four levels). */
#define CFG_MAX_DEPTH 32

/* A first pass over the events that stops at the first node nested deeper
 * than CFG_MAX_DEPTH: libyaml's scanner slows down with the nesting (a file
 * 100,000 levels deep takes it tens of seconds), so the cap must come before
 * the document is built.  Syntax errors are left to the real load. */
static int check_depth(ctx *c, yaml_parser_t *p)
{
    int depth = 0, rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev))
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > CFG_MAX_DEPTH) {
                snprintf(c->err, c->errlen, "%s:%zu:%zu: nested more than %d levels deep", c->file,
                         ev.start_mark.line + 1, ev.start_mark.column + 1, CFG_MAX_DEPTH);
                rc = -1;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (rc || t == YAML_STREAM_END_EVENT)
            break;
    }
    return rc;
}

int config_load(fwd_config *cfg, const char *path, char *err, size_t errlen)
{
    ctx c = {NULL, path, err, errlen, cfg};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    cfg->path = own_dup(cfg, path);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = -1;
    if (check_depth(&c, &parser) != 0)
        goto out_parser;
    yaml_parser_delete(&parser);
    rewind(f);
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_problem(&c, &parser);
        goto out_parser;
    }
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = 0; /* an empty file: defaults */
    } else {
        rc = walk_map(&c, root, top_keys, cfg, "the configuration");
    }
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

int config_add_file(fwd_config *c, const char *path, int follow)
{
    cfg_file_input *a = realloc(c->files, (c->n_files + 1) * sizeof(*a));
    if (!a)
        return -1;
    c->files = a;
    cfg_file_input *fi = &a[c->n_files++];
    memset(fi, 0, sizeof(*fi));
    fi->follow = follow;
    fi->start = START_BEGINNING;
    if (path && !(fi->path = own_dup(c, path)))
        return -1;
    return 0;
}

int config_parse_listen(const char *text, cfg_listener *l, char *err, size_t errlen)
{
    const char *s = text;
    if (!strncmp(s, "udp://", 6)) {
        l->proto = PROTO_UDP;
        s += 6;
    } else if (!strncmp(s, "tcp://", 6)) {
        l->proto = PROTO_TCP;
        s += 6;
    } else {
        snprintf(err, errlen, "listen address \"%s\" must start with udp:// or tcp://", text);
        return -1;
    }
    char host[INET6_ADDRSTRLEN + 2];
    const char *port;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host)) {
            snprintf(err, errlen, "listen address \"%s\": expected [IPv6]:PORT", text);
            return -1;
        }
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = 0;
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof(host) || memchr(s, ':', (size_t)(colon - s))) {
            snprintf(err, errlen,
                     "listen address \"%s\": expected ADDRESS:PORT, with an IPv6 address in "
                     "brackets",
                     text);
            return -1;
        }
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
        port = colon + 1;
    }
    struct in6_addr a6;
    struct in_addr a4;
    if (inet_pton(AF_INET6, host, &a6) != 1 && inet_pton(AF_INET, host, &a4) != 1) {
        snprintf(err, errlen, "listen address \"%s\": \"%s\" is not a numeric IP address", text,
                 host);
        return -1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 1 || p > 65535) {
        snprintf(err, errlen, "listen address \"%s\": port must be from 1 to 65535", text);
        return -1;
    }
    free(l->address);
    l->address = strdup(host);
    if (!l->address) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->port = (unsigned)p;
    if (!l->listen || l->listen != text) {
        /* From the command line: keep a copy of the text for messages. */
        l->listen = strdup(text);
        if (!l->listen) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        l->line = -1;
    }
    if (!l->max_message || !l->buffer_budget)
        listener_defaults(l); /* from the command line: the same defaults */
    return 0;
}

int config_finish(fwd_config *c, char *err, size_t errlen)
{
    const char *file = c->path ? c->path : "command line";
    if (c->unparsed == UNPARSED_FILE && !c->unparsed_file) {
        snprintf(err, errlen, "%s: unparsed: mode file needs \"file\"", file);
        return -1;
    }
    if (c->out_stdout < 0)
        c->out_stdout = !c->out_file && !c->hec.enabled;
    if (c->stats_events < 0)
        c->stats_events = c->hec.enabled;
    if (c->batch_bytes < c->max_line + 64)
        c->batch_bytes = c->max_line + 64;
    for (size_t i = 0; i < c->n_listeners; i++)
        if (c->listeners[i].max_message > c->max_line)
            c->max_line = c->listeners[i].max_message;
    if (c->batch_bytes < c->max_line + 64)
        c->batch_bytes = c->max_line + 64;
    if (!c->use_stdin && !c->n_files && !c->n_listeners && !c->kmsg)
        c->use_stdin = 1; /* like cat: no inputs named means standard input */
    return 0;
}

void config_free(fwd_config *c)
{
    for (size_t i = 0; i < c->n_listeners; i++) {
        free(c->listeners[i].address);
        if (c->listeners[i].line < 0)
            free(c->listeners[i].listen);
    }
    free(c->listeners);
    free(c->files);
    free(c->patterns);
    free(c->internal_prefixes);
    free(c->internal_interfaces);
    free(c->classification.tables);
    free(c->hec.endpoints);
    free(c->hec.indexed_fields);
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    memset(c, 0, sizeof(*c));
}

static const char *yn(int v)
{
    return v ? "yes" : "no";
}

void config_print_summary(const fwd_config *c, FILE *f)
{
    fprintf(f, "configuration %s: OK\n", c->path ? c->path : "(none, defaults)");
    if (c->use_stdin)
        fprintf(f, "  input: standard input\n");
    for (size_t i = 0; i < c->n_files; i++)
        fprintf(f, "  input: file %s%s\n", c->files[i].path, c->files[i].follow ? " (follow)" : "");
    for (size_t i = 0; i < c->n_listeners; i++)
        fprintf(f, "  input: syslog %s (max message %llu bytes)\n", c->listeners[i].listen,
                (unsigned long long)c->listeners[i].max_message);
    if (c->kmsg)
        fprintf(f, "  input: kernel log %s\n", c->kmsg_path);
    if (c->checkpoint_file)
        fprintf(f, "  checkpoints: %s\n", c->checkpoint_file);
    fprintf(f, "  patterns: %zu configured, defaults %s\n", c->n_patterns, yn(c->default_patterns));
    fprintf(f, "  internal prefixes: %zu; classification tables: %zu (builtin %s)\n",
            c->n_internal_prefixes, c->classification.n_tables, yn(c->classification.builtin));
    fprintf(f, "  internal interfaces: %zu; direction: %s; duplicate packets: %s\n",
            c->n_internal_interfaces,
            c->n_internal_prefixes || c->n_internal_interfaces ? "site-relative"
                                                               : "the device's (hook)",
            c->dedupe_enabled ? "marked" : "not looked for");
    if (c->out_stdout)
        fprintf(f, "  output: stdout\n");
    if (c->out_file)
        fprintf(f, "  output: file %s\n", c->out_file);
    if (c->hec.enabled) {
        /* The token itself is never read here, only where it comes from. */
        fprintf(f, "  output: hec, %zu endpoint(s), token from %s, tls verify %s\n",
                c->hec.n_endpoints, c->hec.token_file ? "a file" : "the environment",
                yn(c->hec.tls.verify));
        for (size_t i = 0; i < c->hec.n_endpoints; i++)
            fprintf(f, "    endpoint %s\n", c->hec.endpoints[i]);
        fprintf(f, "    acks %s (timeout %llu ms), gzip %llu, spool %s\n", yn(c->hec.acks.enabled),
                (unsigned long long)c->hec.acks.timeout_ms, (unsigned long long)c->hec.gzip,
                c->hec.spool.dir ? c->hec.spool.dir : "in memory");
        if (c->hec.dead_letter || c->hec.spool.dir)
            fprintf(f, "    dead letters: %s%s\n",
                    c->hec.dead_letter ? c->hec.dead_letter : c->hec.spool.dir,
                    c->hec.dead_letter ? "" : "/dead-letter.jsonl");
    }
    fprintf(f, "  workers: %zu%s\n", config_workers(c),
            c->workers ? "" : " (one per CPU this process may run on)");
    if (c->user)
        fprintf(f, "  runs as: %s\n", c->user);
    if (c->metrics_listen)
        fprintf(f, "  metrics: http://%s/metrics\n", c->metrics_listen);
}

size_t config_workers(const fwd_config *c)
{
    if (c->workers)
        return (size_t)c->workers;
    cpu_set_t set;
    long n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    return n > CFG_MAX_WORKERS ? CFG_MAX_WORKERS : (size_t)n;
}
