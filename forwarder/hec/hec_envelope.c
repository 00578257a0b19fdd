/* Building HEC event objects. */
#include "hec_envelope.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipv6probe/json.h"

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
 * quoted (as text, so that the indexed field keeps one type).  null,
 * objects, arrays: nothing (returns 1). */
static int is_scalar(const char *v, size_t n)
{
    return !(n == 0 || (n == 4 && memcmp(v, "null", 4) == 0) || v[0] == '{' || v[0] == '[');
}

static int put_scalar(v6p_json_builder *b, const char *key, const char *v, size_t n)
{
    if (!is_scalar(v, n))
        return 1;
    if (v[0] == '"')
        v6p_json_raw(b, key, v, n);
    else
        v6p_json_string(b, key, v, n);
    return 0;
}

/* The scalars of an array value, in order; 1 when there is none. */
static int scalar_count(const char *v, size_t n)
{
    int count = 0;
    for (size_t i = skip_ws(v, 1, n); i < n && v[i] != ']';) {
        size_t e = skip_value(v, i, n);
        count += is_scalar(v + i, e - i);
        i = skip_ws(v, e, n);
        if (i < n && v[i] == ',')
            i = skip_ws(v, i + 1, n);
    }
    return count;
}

static int put_field_value(v6p_json_builder *b, const char *key, const char *v, size_t n)
{
    if (n == 0 || v[0] != '[')
        return put_scalar(b, key, v, n);
    if (!scalar_count(v, n))
        return 1;
    v6p_json_array_begin(b, key);
    for (size_t i = skip_ws(v, 1, n); i < n && v[i] != ']';) {
        size_t e = skip_value(v, i, n);
        put_scalar(b, NULL, v + i, e - i); /* null or nested: left out */
        i = skip_ws(v, e, n);
        if (i < n && v[i] == ',')
            i = skip_ws(v, i + 1, n);
    }
    v6p_json_array_end(b);
    return 0;
}

/* The configured name that the key s[0..kl) is, or NULL. */
static const char *wanted(const char *k, size_t kl, const char *const *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++)
        if (strlen(fields[i]) == kl && memcmp(fields[i], k, kl) == 0)
            return fields[i];
    return NULL;
}

/* Whether any wanted key holds a value that put_field_value writes: the
 * "fields" object is left out when it would be empty. */
static int put_fields(v6p_json_builder *b, const char *s, size_t n, const char *const *fields,
                      size_t nf, int write)
{
    int count = 0;
    size_t i = skip_ws(s, 1, n);
    while (i < n && s[i] == '"') {
        size_t ke = skip_string(s, i, n);
        size_t vi = skip_ws(s, ke, n);
        if (vi >= n || s[vi] != ':')
            break;
        vi = skip_ws(s, vi + 1, n);
        size_t ve = skip_value(s, vi, n);
        const char *key = wanted(s + i + 1, ke - i - 2, fields, nf);
        if (key) {
            if (write)
                count += put_field_value(b, key, s + vi, ve - vi) == 0;
            else
                count += ve > vi && (s[vi] == '[' ? scalar_count(s + vi, ve - vi) > 0
                                                  : is_scalar(s + vi, ve - vi));
        }
        i = skip_ws(s, ve, n);
        if (i < n && s[i] == ',')
            i = skip_ws(s, i + 1, n);
    }
    return count;
}

int hec_envelope(hec_buf *hb, const hec_meta *m, const char *json, size_t len,
                 const char *const *fields, size_t n_fields)
{
    size_t s = skip_ws(json, 0, len);
    if (s >= len || json[s] != '{')
        return -1;
    if (!hb->b && !(hb->b = v6p_json_builder_new()))
        return -1;
    v6p_json_builder *b = hb->b;
    v6p_json_builder_reset(b);
    v6p_json_object_begin(b, NULL);
    v6p_json_time(b, "time", m->time_sec, m->time_usec);
    /* host comes from the log line: any bytes, made valid UTF-8 by the
     * builder (Splunk refuses the whole batch otherwise). */
    if (m->host && m->host_len)
        v6p_json_string(b, "host", m->host, m->host_len);
    if (m->source)
        v6p_json_cstring(b, "source", m->source);
    if (m->sourcetype)
        v6p_json_cstring(b, "sourcetype", m->sourcetype);
    if (m->index)
        v6p_json_cstring(b, "index", m->index);
    v6p_json_raw(b, "event", json + s, len - s);
    if (n_fields && put_fields(NULL, json + s, len - s, fields, n_fields, 0)) {
        v6p_json_object_begin(b, "fields");
        put_fields(b, json + s, len - s, fields, n_fields, 1);
        v6p_json_object_end(b);
    }
    v6p_json_object_end(b);
    return v6p_json_builder_finish(b, &hb->p, &hb->len, NULL);
}

void hec_buf_free(hec_buf *b)
{
    v6p_json_builder_free(b->b);
    b->b = NULL;
    b->p = NULL;
    b->len = 0;
}
