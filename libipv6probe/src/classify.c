/* Source classification: prefix tables loaded from YAML, longest-prefix
 * match through trie.c.
 *
 * A table file looks like libipv6probe/data/classification.yaml:
 *
 *     version: 1
 *     entries:
 *       - prefix: 2001:db8::/32          IPv6 or IPv4 prefix
 *         org: Example                   who announces it
 *         category: research_scanner     lower_snake_case
 *         source: https://...            the page the entry comes from
 *         note: optional free text
 *
 * and, in the same file or a file of its own, organisations by the
 * autonomous system that announces the source:
 *
 *     asns:
 *       - asn: 20940                     AS number (or "AS20940")
 *         org: Akamai
 *         category: cdn
 *         source: https://...
 *
 * A file needs `entries:`, `asns:` or both.  The AS table is used only when
 * no prefix entry covers the source (see taggers.c).
 *
 * Keys an entry does not know are ignored (a newer file still loads); an
 * unknown top-level key is an error, as is a prefix or an AS listed twice in
 * one file, a prefix with host bits set, a source that is not an http(s) URL.
 * These are the rules of splunk_app/tools/yaml_to_csv.py, so that a file one
 * accepts the other accepts too.  Errors read "file:line:column: message".
 *
 * A set holds the entries of every table loaded into it, in load order; the
 * trie maps each prefix to its latest entry, so a later table overrides an
 * earlier one for the same prefix, while a longer prefix from any table wins
 * over a shorter one (longest match first, then load order).
 *
 * A file is parsed completely before any entry is added, so a bad file
 * leaves the set as it was. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "error.h"
#include "classify.h"
#include "trie.h"
#include "yamlblock.h"

typedef struct centry {
    v6p_classify_entry pub;
    uint8_t addr[16];
} centry;

/* `as` holds the AS entries sorted by number (a later table's entry replaces
 * an earlier one in place), so that a lookup is one binary search. */
struct v6p_classify {
    centry *e;
    size_t n, cap;
    v6pi_trie *trie;
    v6p_classify_asn_entry *as;
    size_t nas, ascap;
};

v6p_classify *v6p_classify_new(v6p_error *err)
{
    v6p_classify *c = calloc(1, sizeof(*c));
    if (c && !(c->trie = v6pi_trie_new())) {
        free(c);
        c = NULL;
    }
    if (!c)
        v6pi_error_set(err, ENOMEM, "out of memory");
    return c;
}

static void entry_free(v6p_classify_entry *e)
{
    free((char *)e->org);
    free((char *)e->category);
    free((char *)e->source);
    free((char *)e->note);
}

static void asn_entry_free(v6p_classify_asn_entry *e)
{
    free((char *)e->org);
    free((char *)e->category);
    free((char *)e->source);
    free((char *)e->note);
}

void v6p_classify_free(v6p_classify *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_free(&c->e[i].pub);
    free(c->e);
    for (size_t i = 0; i < c->nas; i++)
        asn_entry_free(&c->as[i]);
    free(c->as);
    v6pi_trie_free(c->trie);
    free(c);
}

size_t v6p_classify_count(const v6p_classify *c)
{
    return c ? c->n : 0;
}

size_t v6p_classify_asn_count(const v6p_classify *c)
{
    return c ? c->nas : 0;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_names(const char *const x[4], const char *const y[4])
{
    for (int i = 0; i < 4; i++)
        if (!same_str(x[i], y[i]))
            return 0;
    return 1;
}

int v6pi_classify_same(const v6p_classify *x, const v6p_classify *y)
{
    if (x->n != y->n || x->nas != y->nas)
        return 0;
    for (size_t i = 0; i < x->n; i++) {
        const centry *a = &x->e[i], *b = &y->e[i];
        const char *na[4] = {a->pub.org, a->pub.category, a->pub.source, a->pub.note};
        const char *nb[4] = {b->pub.org, b->pub.category, b->pub.source, b->pub.note};
        if (memcmp(a->addr, b->addr, 16) != 0 || a->pub.prefix_len != b->pub.prefix_len ||
            !same_names(na, nb))
            return 0;
    }
    for (size_t i = 0; i < x->nas; i++) {
        const v6p_classify_asn_entry *a = &x->as[i], *b = &y->as[i];
        const char *na[4] = {a->org, a->category, a->source, a->note};
        const char *nb[4] = {b->org, b->category, b->source, b->note};
        if (a->asn != b->asn || !same_names(na, nb))
            return 0;
    }
    return 1;
}

/* Index of the first AS entry >= asn. */
static size_t asn_slot(const v6p_classify *c, uint32_t asn)
{
    size_t lo = 0, hi = c->nas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->as[mid].asn < asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const v6p_classify_asn_entry *v6p_classify_lookup_asn(const v6p_classify *c, uint32_t asn)
{
    if (!c || c->nas == 0)
        return NULL;
    size_t i = asn_slot(c, asn);
    return i < c->nas && c->as[i].asn == asn ? &c->as[i] : NULL;
}

/* Take ownership of the strings in *src and add it, replacing an entry for
 * the same AS.  On failure the strings are freed. */
static int push_asn(v6p_classify *c, v6p_classify_asn_entry *src)
{
    size_t i = asn_slot(c, src->asn);
    if (i < c->nas && c->as[i].asn == src->asn) {
        asn_entry_free(&c->as[i]);
        c->as[i] = *src;
        return 0;
    }
    if (c->nas == c->ascap) {
        size_t ncap = c->ascap ? c->ascap * 2 : 32;
        v6p_classify_asn_entry *na = realloc(c->as, ncap * sizeof(*na));
        if (!na) {
            asn_entry_free(src);
            return -1;
        }
        c->as = na;
        c->ascap = ncap;
    }
    memmove(&c->as[i + 1], &c->as[i], (c->nas - i) * sizeof(*c->as));
    c->as[i] = *src;
    c->nas++;
    return 0;
}

void v6pi_classify_prefetch(const v6p_classify *c, const struct in6_addr *a)
{
    if (c)
        v6pi_trie_prefetch(c->trie, a->s6_addr);
}

void v6pi_classify_prefetch_node(const v6p_classify *c, const struct in6_addr *a)
{
    if (c)
        v6pi_trie_prefetch_node(c->trie, a->s6_addr);
}

uint32_t v6pi_classify_prefetch_step(const v6p_classify *c, const struct in6_addr *a, uint32_t ni)
{
    return c ? v6pi_trie_prefetch_step(c->trie, a->s6_addr, ni) : 0;
}

const v6p_classify_entry *v6p_classify_lookup(const v6p_classify *c, const struct in6_addr *a)
{
    if (!c)
        return NULL;
    uint32_t i = v6pi_trie_lookup(c->trie, a->s6_addr, NULL);
    return i == V6PI_TRIE_NONE ? NULL : &c->e[i].pub;
}

/* Take ownership of the strings in *src and add it.  On failure the strings
 * are freed. */
static int push(v6p_classify *c, const uint8_t addr[16], unsigned len, v6p_classify_entry *src)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        centry *ne = realloc(c->e, ncap * sizeof(*ne));
        if (!ne)
            goto nomem;
        c->e = ne;
        c->cap = ncap;
    }
    if (c->n >= V6PI_TRIE_NONE || v6pi_trie_insert(c->trie, addr, len, (uint32_t)c->n) != 0)
        goto nomem;
    centry *e = &c->e[c->n++];
    e->pub = *src;
    e->pub.prefix_len = (uint8_t)len;
    memcpy(e->addr, addr, 16);
    return 0;
nomem:
    entry_free(src);
    return -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

v6p_classify *v6pi_classify_clone(const v6p_classify *c)
{
    v6p_classify *n = v6p_classify_new(NULL);
    if (!n || !c)
        return n;
    for (size_t i = 0; i < c->n; i++) {
        const centry *e = &c->e[i];
        v6p_classify_entry copy = {dup_or_null(e->pub.org), dup_or_null(e->pub.category),
                                   dup_or_null(e->pub.source), dup_or_null(e->pub.note), 0};
        if (!copy.org || !copy.category || !copy.source || (e->pub.note && !copy.note) ||
            push(n, e->addr, e->pub.prefix_len, &copy) != 0) {
            entry_free(&copy);
            v6p_classify_free(n);
            return NULL;
        }
    }
    for (size_t i = 0; i < c->nas; i++) {
        const v6p_classify_asn_entry *a = &c->as[i];
        v6p_classify_asn_entry copy = {a->asn, dup_or_null(a->org), dup_or_null(a->category),
                                       dup_or_null(a->source), dup_or_null(a->note)};
        if (!copy.org || !copy.category || !copy.source || (a->note && !copy.note)) {
            asn_entry_free(&copy);
            v6p_classify_free(n);
            return NULL;
        }
        if (push_asn(n, &copy) != 0) { /* it freed the copy */
            v6p_classify_free(n);
            return NULL;
        }
    }
    v6pi_trie_compact(n->trie);
    return n;
}

int v6pi_prefix_parse(const char *s, size_t n, uint8_t addr[16], unsigned *len, const char **why)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf)) {
        *why = "not a prefix";
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d)) {
            *why = "prefix length is not a number";
            return -1;
        }
        plen = strtol(d, NULL, 10);
    }
    struct in_addr a4;
    memset(addr, 0, 16);
    if (inet_pton(AF_INET6, buf, addr) == 1) {
        if (plen < 0)
            plen = 128;
        if (plen > 128) {
            *why = "IPv6 prefix length over 128";
            return -1;
        }
    } else if (inet_pton(AF_INET, buf, &a4) == 1) {
        if (plen < 0)
            plen = 32;
        if (plen > 32) {
            *why = "IPv4 prefix length over 32";
            return -1;
        }
        /* IPv4 lives at ::ffff:0:0/96, where events keep IPv4 addresses. */
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &a4, 4);
        plen += 96;
    } else {
        *why = "not an IPv6 or IPv4 address";
        return -1;
    }
    for (unsigned b = (unsigned)plen; b < 128; b++) {
        if (addr[b / 8] & (0x80 >> (b % 8))) {
            *why = "host bits set past the prefix length";
            return -1;
        }
    }
    *len = (unsigned)plen;
    return 0;
}

static int category_ok(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    }
    return 1;
}

int v6p_classify_add(v6p_classify *c, const char *prefix, const char *org, const char *category,
                     const char *source, v6p_error *err)
{
    uint8_t addr[16];
    unsigned len;
    const char *why;
    if (!prefix || v6pi_prefix_parse(prefix, strlen(prefix), addr, &len, &why) != 0) {
        v6pi_error_set(err, EINVAL, "%s: %s", prefix ? prefix : "(null)",
                       prefix ? why : "no prefix");
        return -1;
    }
    if (!org || !*org || !category || !category_ok(category) || !source) {
        v6pi_error_set(err, EINVAL, "%s: org, category (lower_snake_case) and source are required",
                       prefix);
        return -1;
    }
    v6p_classify_entry e = {strdup(org), strdup(category), strdup(source), NULL, 0};
    if (!e.org || !e.category || !e.source || push(c, addr, len, &e) != 0) {
        if (!e.org || !e.category || !e.source)
            entry_free(&e);
        v6pi_error_set(err, ENOMEM, "out of memory");
        return -1;
    }
    return 0;
}

int v6p_classify_add_asn(v6p_classify *c, uint32_t asn, const char *org, const char *category,
                         const char *source, v6p_error *err)
{
    if (asn == 0 || !org || !*org || !category || !category_ok(category) || !source) {
        v6pi_error_set(err, EINVAL,
                       "AS%u: a non-zero AS number, org, category (lower_snake_case) and "
                       "source are required",
                       asn);
        return -1;
    }
    v6p_classify_asn_entry e = {asn, strdup(org), strdup(category), strdup(source), NULL};
    if (!e.org || !e.category || !e.source) {
        asn_entry_free(&e);
        v6pi_error_set(err, ENOMEM, "out of memory");
        return -1;
    }
    if (push_asn(c, &e) != 0) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- YAML ---- */

typedef struct pending {
    uint8_t addr[16];
    unsigned len;
    size_t line;
    yaml_mark_t pmark;
    v6p_classify_entry e;
} pending;

typedef struct pending_asn {
    size_t line;
    yaml_mark_t mark;
    v6p_classify_asn_entry e;
} pending_asn;

typedef struct yctx {
    yaml_parser_t p;
    v6pi_yblock *blk; /* set: events come from the plain-subset scanner */
    yaml_event_t ev;
    int have;
    const char *file;
    v6p_error *err;
    pending *items;
    size_t n, cap;
    pending_asn *asns;
    size_t nas, ascap;
} yctx;

static int yerr(yctx *y, yaml_mark_t m, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* libyaml counts from 0; editors count from 1. */
    v6pi_error_set(y->err, EINVAL, "%s:%zu:%zu: %s", y->file, m.line + 1, m.column + 1, msg);
    return -1;
}

static int ynext(yctx *y)
{
    if (y->blk) {
        int r = v6pi_yblock_next(y->blk, &y->ev);
        if (r == 1)
            return 0;
        v6pi_error_set(y->err, r < 0 ? ENOMEM : EINVAL, "%s: beyond the plain block subset",
                       y->file);
        return -1;
    }
    if (y->have)
        yaml_event_delete(&y->ev);
    y->have = 0;
    if (!yaml_parser_parse(&y->p, &y->ev)) {
        if (y->p.error == YAML_MEMORY_ERROR) {
            v6pi_error_set(y->err, ENOMEM, "%s: out of memory", y->file);
            return -1;
        }
        return yerr(y, y->p.problem_mark, "%s%s%s", y->p.problem ? y->p.problem : "bad YAML",
                    y->p.context ? " " : "", y->p.context ? y->p.context : "");
    }
    y->have = 1;
    if (y->ev.type == YAML_ALIAS_EVENT)
        return yerr(y, y->ev.start_mark, "aliases are not supported here");
    return 0;
}

static int is_scalar(const yctx *y)
{
    return y->ev.type == YAML_SCALAR_EVENT;
}

static const char *sval(const yctx *y)
{
    return (const char *)y->ev.data.scalar.value;
}

/* Skip the node whose first event is current. */
static int skip_node(yctx *y)
{
    int depth = 0;
    do {
        switch (y->ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        default:
            break;
        }
        if (depth == 0)
            return 0;
    } while (ynext(y) == 0);
    return -1;
}

static const char *const FIELD_NAMES[] = {"prefix", "org", "category", "source", "note"};
enum { K_PREFIX, K_ORG, K_CATEGORY, K_SOURCE, K_NOTE, K_COUNT };
#define K_ASN K_PREFIX /* an AS entry has "asn" where a prefix entry has "prefix" */

static const char *field_name(int k, const char *first)
{
    return k == 0 ? first : FIELD_NAMES[k];
}

/* Read the mapping whose start is current into val[] (first key named
 * `first`, then org, category, source, note), checking what every entry
 * shares: a mapping of plain non-empty values, no key twice, the required
 * ones present, a lower_snake_case category, an http(s) source.  On error
 * the caller frees val[]. */
static int read_fields(yctx *y, const char *first, char *val[K_COUNT], yaml_mark_t mark[K_COUNT],
                       yaml_mark_t *startp)
{
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return yerr(y, y->ev.start_mark, "an entry must be a mapping of %s, org, category, source",
                    first);
    yaml_mark_t start = y->ev.start_mark;
    *startp = start;
    for (;;) {
        if (ynext(y) != 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (!is_scalar(y))
            return yerr(y, y->ev.start_mark, "expected a key");
        int k = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (strcmp(sval(y), field_name(i, first)) == 0)
                k = i;
        yaml_mark_t kmark = y->ev.start_mark;
        if (k >= 0 && val[k])
            return yerr(y, kmark, "duplicate key '%s'", field_name(k, first));
        /* Only for messages: the key's event is gone once the value is read. */
        char keyname[32];
        size_t kn = strnlen(sval(y), sizeof(keyname) - 1);
        memcpy(keyname, sval(y), kn);
        keyname[kn] = '\0';
        if (ynext(y) != 0)
            return -1;
        if (k < 0) { /* a key this version does not use */
            if (skip_node(y) != 0)
                return -1;
            continue;
        }
        if (!is_scalar(y))
            return yerr(y, y->ev.start_mark, "'%s' must be a plain value", keyname);
        if (y->ev.data.scalar.length == 0)
            return yerr(y, y->ev.start_mark, "'%s' is empty", keyname);
        val[k] = strdup(sval(y));
        mark[k] = y->ev.start_mark;
        if (!val[k]) {
            v6pi_error_set(y->err, ENOMEM, "out of memory");
            return -1;
        }
    }
    for (int i = 0; i < K_NOTE; i++)
        if (!val[i])
            return yerr(y, start, "entry lacks '%s'", field_name(i, first));
    if (!category_ok(val[K_CATEGORY]))
        return yerr(y, mark[K_CATEGORY], "category '%s' must be lower_snake_case", val[K_CATEGORY]);
    if (strncmp(val[K_SOURCE], "https://", 8) != 0 && strncmp(val[K_SOURCE], "http://", 7) != 0)
        return yerr(y, mark[K_SOURCE], "source must be an http(s) URL");
    return 0;
}

static int parse_entry(yctx *y)
{
    char *val[K_COUNT] = {0};
    yaml_mark_t mark[K_COUNT];
    int rc = -1;
    yaml_mark_t start;
    if (read_fields(y, "prefix", val, mark, &start) != 0)
        goto out;
    pending pe;
    memset(&pe, 0, sizeof(pe));
    const char *why;
    if (v6pi_prefix_parse(val[K_PREFIX], strlen(val[K_PREFIX]), pe.addr, &pe.len, &why) != 0) {
        yerr(y, mark[K_PREFIX], "bad prefix '%s': %s", val[K_PREFIX], why);
        goto out;
    }
    if (y->n == y->cap) {
        size_t ncap = y->cap ? y->cap * 2 : 64;
        pending *ni = realloc(y->items, ncap * sizeof(*ni));
        if (!ni) {
            v6pi_error_set(y->err, ENOMEM, "out of memory");
            goto out;
        }
        y->items = ni;
        y->cap = ncap;
    }
    free(val[K_PREFIX]);
    val[K_PREFIX] = NULL;
    pe.line = start.line + 1;
    pe.pmark = mark[K_PREFIX];
    pe.e.org = val[K_ORG];
    pe.e.category = val[K_CATEGORY];
    pe.e.source = val[K_SOURCE];
    pe.e.note = val[K_NOTE];
    y->items[y->n++] = pe;
    return 0;
out:
    for (int i = 0; i < K_COUNT; i++)
        free(val[i]);
    return rc;
}

/* "20940" or "AS20940": 1..4294967295. */
static int parse_asn(const char *s, uint32_t *asn)
{
    if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
        s += 2;
    if (!*s || strlen(s) > 10 || strspn(s, "0123456789") != strlen(s))
        return -1;
    unsigned long long v = strtoull(s, NULL, 10);
    if (v == 0 || v > UINT32_MAX)
        return -1;
    *asn = (uint32_t)v;
    return 0;
}

static int parse_asn_entry(yctx *y)
{
    char *val[K_COUNT] = {0};
    yaml_mark_t mark[K_COUNT], start;
    pending_asn pa;
    memset(&pa, 0, sizeof(pa));
    if (read_fields(y, "asn", val, mark, &start) != 0)
        goto out;
    if (parse_asn(val[K_ASN], &pa.e.asn) != 0) {
        yerr(y, mark[K_ASN], "bad AS number '%s'", val[K_ASN]);
        goto out;
    }
    if (y->nas == y->ascap) {
        size_t ncap = y->ascap ? y->ascap * 2 : 32;
        pending_asn *na = realloc(y->asns, ncap * sizeof(*na));
        if (!na) {
            v6pi_error_set(y->err, ENOMEM, "out of memory");
            goto out;
        }
        y->asns = na;
        y->ascap = ncap;
    }
    free(val[K_ASN]);
    pa.line = start.line + 1;
    pa.mark = mark[K_ASN];
    pa.e.org = val[K_ORG];
    pa.e.category = val[K_CATEGORY];
    pa.e.source = val[K_SOURCE];
    pa.e.note = val[K_NOTE];
    y->asns[y->nas++] = pa;
    return 0;
out:
    for (int i = 0; i < K_COUNT; i++)
        free(val[i]);
    return -1;
}

/* A list under a top-level key: each item through parse_item.  "key:" with
 * nothing under it is an empty list. */
static int parse_list(yctx *y, const char *key, int (*parse_item)(yctx *))
{
    if (ynext(y) != 0)
        return -1;
    if (is_scalar(y) && y->ev.data.scalar.length == 0)
        return 0;
    if (y->ev.type != YAML_SEQUENCE_START_EVENT)
        return yerr(y, y->ev.start_mark, "'%s' must be a list", key);
    for (;;) {
        if (ynext(y) != 0)
            return -1;
        if (y->ev.type == YAML_SEQUENCE_END_EVENT)
            return 0;
        if (parse_item(y) != 0)
            return -1;
    }
}

static int parse_doc(yctx *y)
{
    if (ynext(y) != 0) /* stream start */
        return -1;
    if (ynext(y) != 0)
        return -1;
    if (y->ev.type != YAML_DOCUMENT_START_EVENT)
        return yerr(y, y->ev.start_mark, "empty file: expected 'version: 1' and 'entries:'");
    if (ynext(y) != 0)
        return -1;
    if (y->ev.type != YAML_MAPPING_START_EVENT)
        return yerr(y, y->ev.start_mark, "expected a mapping with 'version' and 'entries'");
    yaml_mark_t root = y->ev.start_mark;
    int saw_version = 0, saw_entries = 0, saw_asns = 0;
    for (;;) {
        if (ynext(y) != 0)
            return -1;
        if (y->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (!is_scalar(y))
            return yerr(y, y->ev.start_mark, "expected a key");
        yaml_mark_t kmark = y->ev.start_mark;
        if (strcmp(sval(y), "version") == 0) {
            if (ynext(y) != 0)
                return -1;
            if (!is_scalar(y) || strcmp(sval(y), "1") != 0)
                return yerr(y, y->ev.start_mark,
                            "unsupported version (this library reads "
                            "version 1)");
            saw_version = 1;
        } else if (strcmp(sval(y), "entries") == 0) {
            if (saw_entries)
                return yerr(y, kmark, "duplicate key 'entries'");
            saw_entries = 1;
            if (parse_list(y, "entries", parse_entry) != 0)
                return -1;
        } else if (strcmp(sval(y), "asns") == 0) {
            if (saw_asns)
                return yerr(y, kmark, "duplicate key 'asns'");
            saw_asns = 1;
            if (parse_list(y, "asns", parse_asn_entry) != 0)
                return -1;
        } else {
            return yerr(y, kmark, "unknown top-level key '%s'", sval(y));
        }
    }
    if (!saw_version)
        return yerr(y, root, "missing 'version: 1'");
    if (!saw_entries && !saw_asns)
        return yerr(y, root, "missing 'entries:' (or 'asns:')");
    if (ynext(y) != 0) /* document end */
        return -1;
    if (ynext(y) != 0)
        return -1;
    if (y->ev.type != YAML_STREAM_END_EVENT)
        return yerr(y, y->ev.start_mark, "only one document per file");
    return 0;
}

static int cmp_pending(const void *a, const void *b)
{
    const pending *x = *(const pending *const *)a, *y = *(const pending *const *)b;
    int c = memcmp(x->addr, y->addr, 16);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* A prefix listed twice in one file is a mistake (which line is meant?);
 * sorting finds the pairs in n log n. */
static int check_duplicates(yctx *y)
{
    if (y->n < 2)
        return 0;
    const pending **ix = malloc(y->n * sizeof(*ix));
    if (!ix) {
        v6pi_error_set(y->err, ENOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < y->n; i++)
        ix[i] = &y->items[i];
    qsort(ix, y->n, sizeof(*ix), cmp_pending);
    const pending *dup = NULL, *first = NULL;
    for (size_t i = 1; i < y->n; i++) {
        if (ix[i]->len == ix[i - 1]->len && memcmp(ix[i]->addr, ix[i - 1]->addr, 16) == 0 &&
            (!dup || ix[i]->line < dup->line)) {
            dup = ix[i];
            first = ix[i - 1];
        }
    }
    free(ix);
    if (dup)
        return yerr(y, dup->pmark, "prefix already listed at line %zu", first->line);
    return 0;
}

static int cmp_pending_asn(const void *a, const void *b)
{
    const pending_asn *x = *(const pending_asn *const *)a, *y = *(const pending_asn *const *)b;
    if (x->e.asn != y->e.asn)
        return x->e.asn < y->e.asn ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* The same for AS numbers. */
static int check_asn_duplicates(yctx *y)
{
    if (y->nas < 2)
        return 0;
    const pending_asn **ix = malloc(y->nas * sizeof(*ix));
    if (!ix) {
        v6pi_error_set(y->err, ENOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < y->nas; i++)
        ix[i] = &y->asns[i];
    qsort(ix, y->nas, sizeof(*ix), cmp_pending_asn);
    const pending_asn *dup = NULL, *first = NULL;
    for (size_t i = 1; i < y->nas; i++) {
        if (ix[i]->e.asn == ix[i - 1]->e.asn && (!dup || ix[i]->line < dup->line)) {
            dup = ix[i];
            first = ix[i - 1];
        }
    }
    free(ix);
    if (dup)
        return yerr(y, dup->mark, "AS%u already listed at line %zu", dup->e.asn, first->line);
    return 0;
}

static void yctx_clear(yctx *y)
{
    for (size_t i = 0; i < y->n; i++)
        entry_free(&y->items[i].e);
    for (size_t i = 0; i < y->nas; i++)
        asn_entry_free(&y->asns[i].e);
    free(y->items);
    free(y->asns);
    y->items = NULL;
    y->asns = NULL;
    y->n = y->cap = y->nas = y->ascap = 0;
}

/* One pass over the text, by the plain-subset scanner (fast) or libyaml. */
static int parse_text(yctx *y, const char *text, size_t len, int fast)
{
    int rc;
    if (fast) {
        if (!(y->blk = v6pi_yblock_new(text, len))) {
            v6pi_error_set(y->err, ENOMEM, "out of memory");
            return -1;
        }
        rc = parse_doc(y);
        v6pi_yblock_free(y->blk);
        y->blk = NULL;
    } else {
        if (!yaml_parser_initialize(&y->p)) {
            v6pi_error_set(y->err, ENOMEM, "out of memory");
            return -1;
        }
        yaml_parser_set_input_string(&y->p, (const unsigned char *)text, len);
        rc = parse_doc(y);
        if (y->have)
            yaml_event_delete(&y->ev);
        y->have = 0;
        yaml_parser_delete(&y->p);
    }
    if (rc == 0)
        rc = check_duplicates(y);
    if (rc == 0)
        rc = check_asn_duplicates(y);
    return rc;
}

static char *read_whole(const char *path, size_t *len, v6p_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        goto fail;
    for (;;) {
        if (cap - n < 65536) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                errno = ENOMEM;
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                goto fail;
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
fail:;
    int e = errno ? errno : EIO;
    if (f)
        fclose(f);
    free(buf);
    v6pi_error_set(err, e, "%s:0:0: %s", path, strerror(e));
    return NULL;
}

int v6pi_classify_add_yaml_how(v6p_classify *c, const char *path, int how, int *scanned_plain,
                               v6p_error *err)
{
    size_t len;
    char *text = read_whole(path, &len, err);
    if (!text)
        return -1;
    yctx y;
    memset(&y, 0, sizeof(y));
    y.file = path;
    int rc = -1, plain = 0;
    if (how != V6PI_YAML_LIBYAML) {
        /* The scanner's own refusals are not the file's errors: libyaml
         * reads it again and words what is wrong. */
        v6p_error scratch;
        memset(&scratch, 0, sizeof(scratch));
        y.err = how == V6PI_YAML_PLAIN ? err : &scratch;
        rc = parse_text(&y, text, len, 1);
        plain = rc == 0;
        if (rc != 0)
            yctx_clear(&y);
    }
    if (rc != 0 && how != V6PI_YAML_PLAIN) {
        y.err = err;
        rc = parse_text(&y, text, len, 0);
    }
    free(text);
    if (scanned_plain)
        *scanned_plain = plain;
    size_t i = 0;
    if (rc == 0) {
        for (; i < y.n; i++) {
            if (push(c, y.items[i].addr, y.items[i].len, &y.items[i].e) != 0) {
                v6pi_error_set(err, ENOMEM, "%s: out of memory", path);
                rc = -1;
                i++;
                break;
            }
        }
    }
    for (; i < y.n; i++)
        entry_free(&y.items[i].e);
    free(y.items);
    if (rc == 0)
        v6pi_trie_compact(c->trie); /* only the layout: fine to skip without memory */
    for (i = 0; i < y.nas; i++) {
        if (rc == 0 && push_asn(c, &y.asns[i].e) != 0) {
            v6pi_error_set(err, ENOMEM, "%s: out of memory", path);
            rc = -1;
        } else if (rc != 0) {
            asn_entry_free(&y.asns[i].e);
        }
    }
    free(y.asns);
    return rc;
}

int v6p_classify_add_yaml(v6p_classify *c, const char *path, v6p_error *err)
{
    return v6pi_classify_add_yaml_how(c, path, V6PI_YAML_AUTO, NULL, err);
}
