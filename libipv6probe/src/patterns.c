/* Prefix patterns.  Log prefixes repeat endlessly (a firewall has a handful of
 * rules), so results are memoized in a small direct-mapped cache keyed by the
 * prefix text: the regex engine runs once per distinct prefix, not per line. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "patterns.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATTERNS 64
#define CACHE_SLOTS 256
#define CACHE_KEY_MAX 64

typedef struct pattern {
    pcre2_code *code;
    int kind;
    int value;
    int is_default;
} pattern;

typedef struct cache_slot {
    uint8_t len; /* 0 = empty */
    int8_t result[2];
    char key[CACHE_KEY_MAX];
} cache_slot;

struct v6pi_patterns {
    pattern pats[MAX_PATTERNS];
    int count;
    pcre2_match_data *md;
    cache_slot cache[CACHE_SLOTS];
    cache_slot *last; /* the slot of the previous lookup */
};

v6pi_patterns *v6pi_patterns_new(void)
{
    v6pi_patterns *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return NULL;
    ps->md = pcre2_match_data_create(4, NULL);
    if (!ps->md) {
        free(ps);
        return NULL;
    }
    return ps;
}

static void flush_cache(v6pi_patterns *ps)
{
    for (int i = 0; i < CACHE_SLOTS; i++)
        ps->cache[i].len = 0;
    ps->last = NULL;
}

void v6pi_patterns_clear(v6pi_patterns *ps)
{
    for (int i = 0; i < ps->count; i++)
        pcre2_code_free(ps->pats[i].code);
    ps->count = 0;
    flush_cache(ps);
}

void v6pi_patterns_free(v6pi_patterns *ps)
{
    if (!ps)
        return;
    v6pi_patterns_clear(ps);
    pcre2_match_data_free(ps->md);
    free(ps);
}

int v6pi_patterns_add(v6pi_patterns *ps, v6p_pattern_kind kind, const char *regex, int value,
                      int is_default, v6p_error *err)
{
    if (ps->count == MAX_PATTERNS) {
        if (err) {
            err->code = 1;
            err->offset = 0;
            snprintf(err->message, sizeof(err->message), "too many patterns (at most %d)",
                     MAX_PATTERNS);
        }
        return -1;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
    if (!code) {
        if (err) {
            char msg[160];
            pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
            err->code = 2;
            err->offset = (uint32_t)eo;
            snprintf(err->message, sizeof(err->message), "bad pattern at offset %zu: %s",
                     (size_t)eo, msg);
        }
        return -1;
    }
    /* JIT is an optimization; without it matching still works. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    /* A site's own patterns go before the built-in defaults, so that they
     * decide first. */
    int at = ps->count;
    if (!is_default)
        while (at > 0 && ps->pats[at - 1].is_default)
            at--;
    memmove(&ps->pats[at + 1], &ps->pats[at], (size_t)(ps->count - at) * sizeof(pattern));
    ps->pats[at].code = code;
    ps->pats[at].kind = (int)kind;
    ps->pats[at].value = value;
    ps->pats[at].is_default = is_default;
    ps->count++;
    flush_cache(ps);
    return 0;
}

static int run(v6pi_patterns *ps, int kind, const char *text, size_t len)
{
    for (int i = 0; i < ps->count; i++) {
        if (ps->pats[i].kind != kind)
            continue;
        int rc = pcre2_match(ps->pats[i].code, (PCRE2_SPTR)text, len, 0, 0, ps->md, NULL);
        if (rc >= 0)
            return ps->pats[i].value;
    }
    return -1;
}

/* The key is hashed on every parsed line (twice: action, then direction),
 * so eight bytes at a time rather than FNV's byte-serial multiplies. */
static unsigned hash(const char *s, size_t n)
{
    const uint64_t m = 0xff51afd7ed558ccdull;
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        h = (h ^ x) * m;
        h ^= h >> 29;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ x) * m;
    return (unsigned)(h >> 32 ^ h);
}

int v6pi_patterns_match(v6pi_patterns *ps, v6p_pattern_kind kind, const char *text, size_t len)
{
    /* Action and direction are asked for one after the other about the
     * same rule: the slot found for the first answers the second without
     * hashing again (the key is still compared: a reused line buffer can
     * hold other text at the same address). */
    cache_slot *last = ps->last;
    if (last && last->len == len && len && memcmp(last->key, text, len) == 0)
        return last->result[kind];
    if (len == 0 || len >= CACHE_KEY_MAX)
        return run(ps, (int)kind, text, len);
    cache_slot *slot = &ps->cache[hash(text, len) % CACHE_SLOTS];
    if (slot->len != len || memcmp(slot->key, text, len) != 0) {
        slot->len = (uint8_t)len;
        memcpy(slot->key, text, len);
        slot->result[0] = (int8_t)run(ps, V6P_PATTERN_ACTION, text, len);
        slot->result[1] = (int8_t)run(ps, V6P_PATTERN_DIRECTION, text, len);
    }
    ps->last = slot;
    return slot->result[kind];
}
