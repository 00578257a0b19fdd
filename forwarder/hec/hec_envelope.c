/* Building HEC event objects. */
#include "hec_envelope.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6probe/json.h"

static int reserve(hec_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap *= 2;
    char *n = realloc(b->p, cap);
    if (!n)
        return -1;
    b->p = n;
    b->cap = cap;
    return 0;
}

static int put(hec_buf *b, const char *s, size_t n)
{
    if (reserve(b, n))
        return -1;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* host comes from the log line: any bytes, made valid UTF-8 JSON by the
 * one string encoder (Splunk refuses the whole batch otherwise). */
static int put_str(hec_buf *b, const char *s, size_t n)
{
    if (reserve(b, V6P_JSON_QUOTE_MAX(n)))
        return -1;
    b->len += v6p_json_quote(b->p + b->len, s, n, NULL);
    return 0;
}

static int put_key(hec_buf *b, const char *key, const char *val, size_t n)
{
    char k[32];
    int kl = snprintf(k, sizeof(k), ",\"%s\":", key);
    return put(b, k, (size_t)kl) || put_str(b, val, n);
}

/* ---- a small scanner over the event's top level ---- */

static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static size_t skip_string(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

/* End of the value starting at i. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return n;
    if (s[i] == '"')
        return skip_string(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '"') {
                i = skip_string(s, i, n) - 1;
            } else if (s[i] == '{' || s[i] == '[') {
                depth++;
            } else if (s[i] == '}' || s[i] == ']') {
                if (--depth == 0)
                    return i + 1;
            }
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n')
        i++;
    return i;
}

/* A scalar as a JSON string: strings as they are, numbers and booleans
 * quoted.  null, objects: nothing (returns 1). */
static int put_scalar(hec_buf *b, const char *v, size_t n)
{
    if (n == 0 || (n == 4 && memcmp(v, "null", 4) == 0) || v[0] == '{' || v[0] == '[')
        return 1;
    if (v[0] == '"')
        return put(b, v, n);
    return put(b, "\"", 1) || put(b, v, n) || put(b, "\"", 1);
}

static int put_field_value(hec_buf *b, const char *v, size_t n)
{
    if (n == 0 || v[0] != '[')
        return put_scalar(b, v, n);
    size_t mark = b->len, i = skip_ws(v, 1, n), count = 0;
    if (put(b, "[", 1))
        return -1;
    while (i < n && v[i] != ']') {
        size_t e = skip_value(v, i, n);
        size_t before = b->len;
        if (count && put(b, ",", 1))
            return -1;
        int rc = put_scalar(b, v + i, e - i);
        if (rc < 0)
            return -1;
        if (rc > 0)
            b->len = before; /* null or nested: left out */
        else
            count++;
        i = skip_ws(v, e, n);
        if (i < n && v[i] == ',')
            i = skip_ws(v, i + 1, n);
    }
    if (count == 0) {
        b->len = mark;
        return 1;
    }
    return put(b, "]", 1);
}

static int wanted(const char *k, size_t kl, const char *const *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++)
        if (strlen(fields[i]) == kl && memcmp(fields[i], k, kl) == 0)
            return 1;
    return 0;
}

static int put_fields(hec_buf *b, const char *s, size_t n, const char *const *fields, size_t nf)
{
    size_t i = skip_ws(s, 1, n), count = 0, mark = b->len;
    if (put(b, ",\"fields\":{", 11))
        return -1;
    while (i < n && s[i] == '"') {
        size_t ke = skip_string(s, i, n);
        size_t vi = skip_ws(s, ke, n);
        if (vi >= n || s[vi] != ':')
            break;
        vi = skip_ws(s, vi + 1, n);
        size_t ve = skip_value(s, vi, n);
        if (wanted(s + i + 1, ke - i - 2, fields, nf)) {
            size_t before = b->len;
            if ((count && put(b, ",", 1)) || put(b, s + i, ke - i) || put(b, ":", 1))
                return -1;
            int rc = put_field_value(b, s + vi, ve - vi);
            if (rc < 0)
                return -1;
            if (rc > 0)
                b->len = before;
            else
                count++;
        }
        i = skip_ws(s, ve, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    if (count == 0) {
        b->len = mark;
        return 0;
    }
    return put(b, "}", 1);
}

int hec_envelope(hec_buf *b, const hec_meta *m, const char *json, size_t len,
                 const char *const *fields, size_t n_fields)
{
    b->len = 0;
    size_t s = skip_ws(json, 0, len);
    if (s >= len || json[s] != '{')
        return -1;
    char t[64];
    int tl = snprintf(t, sizeof(t), "{\"time\":%" PRId64 ".%06u", m->time_sec,
                      (unsigned)(m->time_usec % 1000000));
    if (put(b, t, (size_t)tl))
        return -1;
    if (m->host && m->host_len && put_key(b, "host", m->host, m->host_len))
        return -1;
    if (m->source && put_key(b, "source", m->source, strlen(m->source)))
        return -1;
    if (m->sourcetype && put_key(b, "sourcetype", m->sourcetype, strlen(m->sourcetype)))
        return -1;
    if (m->index && put_key(b, "index", m->index, strlen(m->index)))
        return -1;
    if (put(b, ",\"event\":", 9) || put(b, json + s, len - s))
        return -1;
    if (n_fields && put_fields(b, json + s, len - s, fields, n_fields))
        return -1;
    return put(b, "}", 1);
}

void hec_buf_free(hec_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
