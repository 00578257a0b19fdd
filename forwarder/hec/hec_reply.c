/* HEC reply bodies and the status table. */
#include "hec_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static yajl_val parse(const char *body, size_t len)
{
    /* yajl_tree_parse wants a NUL-terminated string. */
    char stack[1024];
    char *buf = len < sizeof(stack) ? stack : malloc(len + 1);
    if (!buf)
        return NULL;
    memcpy(buf, body, len);
    buf[len] = 0;
    yajl_val v = yajl_tree_parse(buf, NULL, 0);
    if (buf != stack)
        free(buf);
    return v;
}

static int get_int(yajl_val obj, const char *key, long long *out)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_number);
    if (!v || !YAJL_IS_INTEGER(v))
        return 0;
    *out = YAJL_GET_INTEGER(v);
    return 1;
}

int hec_reply_parse(const char *body, size_t len, hec_reply *r)
{
    memset(r, 0, sizeof(*r));
    yajl_val v = len ? parse(body, len) : NULL;
    if (!v || !YAJL_IS_OBJECT(v)) {
        yajl_tree_free(v);
        return -1;
    }
    long long n;
    if (get_int(v, "code", &n)) {
        r->has_code = 1;
        r->code = (long)n;
    }
    if (get_int(v, "invalid-event-number", &n) && n >= 0) {
        r->has_ien = 1;
        r->ien = (long)n;
    }
    if (get_int(v, "ackId", &n) && n >= 0) {
        r->has_ack_id = 1;
        r->ack_id = (uint64_t)n;
    }
    const char *tp[] = {"text", NULL};
    yajl_val t = yajl_tree_get(v, tp, yajl_t_string);
    if (t)
        snprintf(r->text, sizeof(r->text), "%s", YAJL_GET_STRING(t));
    yajl_tree_free(v);
    return 0;
}

int hec_ack_parse(const char *body, size_t len, void (*fn)(void *, uint64_t, int), void *arg)
{
    yajl_val v = parse(body, len);
    const char *path[] = {"acks", NULL};
    yajl_val acks = v ? yajl_tree_get(v, path, yajl_t_object) : NULL;
    if (!acks) {
        yajl_tree_free(v);
        return -1;
    }
    size_t n = YAJL_GET_OBJECT(acks)->len;
    for (size_t i = 0; i < n; i++) {
        const char *k = YAJL_GET_OBJECT(acks)->keys[i];
        yajl_val b = YAJL_GET_OBJECT(acks)->values[i];
        char *end;
        unsigned long long id = strtoull(k, &end, 10);
        if (*k && !*end)
            fn(arg, (uint64_t)id, YAJL_IS_TRUE(b));
    }
    yajl_tree_free(v);
    return (int)n;
}

hec_action hec_classify(long status, const hec_reply *r, size_t n_events)
{
    if (status >= 200 && status < 300)
        return HEC_DONE;
    if (status == 0 || status == 408 || status == 429 || status >= 500 || status == 404)
        return HEC_RETRY; /* 0 = no HTTP reply at all */
    if (status == 401 || status == 403)
        return HEC_AUTH;
    if (status == 413)
        return HEC_TOO_LARGE;
    if (status >= 400 && r->has_ien && r->ien >= 0 && (size_t)r->ien < n_events)
        return HEC_PARTIAL;
    if (status >= 400)
        return HEC_REJECT;
    return HEC_MISCONFIGURED; /* 1xx, 3xx: not an HEC port (Splunk Web?) */
}

const char *hec_action_name(hec_action a)
{
    static const char *const names[] = {"done",          "retry",         "partial", "too large",
                                        "token refused", "misconfigured", "rejected"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}
