/* Helpers shared by the tagger tests: events built field by field, and the
 * summary records collected from v6p_taggers_drain. */
#ifndef TAGTEST_H
#define TAGTEST_H

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "ipv6probe/event.h"
#include "ipv6probe/taggers.h"

static inline struct in6_addr tt_addr(const char *s)
{
    struct in6_addr a;
    memset(&a, 0, sizeof(a));
    if (inet_pton(AF_INET6, s, &a) != 1) {
        struct in_addr a4;
        if (inet_pton(AF_INET, s, &a4) != 1)
            abort();
        a.s6_addr[10] = a.s6_addr[11] = 0xff;
        memcpy(a.s6_addr + 12, &a4, 4);
    }
    return a;
}

static inline void tt_base(v6p_event *ev, const char *src, const char *dst, double t, int hop)
{
    v6p_event_reset(ev);
    ev->time_sec = (int64_t)t;
    ev->time_usec = (uint32_t)((t - (double)(int64_t)t) * 1e6 + 0.5);
    v6p_event_mark(ev, V6P_F_TIME);
    ev->src = tt_addr(src);
    ev->dest = tt_addr(dst);
    ev->protocol_version = strchr(src, ':') ? 6 : 4;
    v6p_event_mark(ev, V6P_F_SRC);
    v6p_event_mark(ev, V6P_F_DEST);
    v6p_event_mark(ev, V6P_F_PROTOCOL_VERSION);
    ev->hop_limit = (uint8_t)hop;
    v6p_event_mark(ev, V6P_F_HOP_LIMIT);
    ev->direction = V6P_DIR_INBOUND;
    v6p_event_mark(ev, V6P_F_DIRECTION);
}

static inline void tt_proto(v6p_event *ev, int proto)
{
    ev->protocol_number = (uint8_t)proto;
    v6p_event_mark(ev, V6P_F_PROTOCOL_NUMBER);
    v6p_event_mark(ev, V6P_F_TRANSPORT);
}

/* An ICMPv6 echo request. */
static inline void tt_echo(v6p_event *ev, const char *src, const char *dst, double t, int hop)
{
    tt_base(ev, src, dst, t, hop);
    tt_proto(ev, ev->protocol_version == 4 ? 1 : 58);
    ev->icmp_type = ev->protocol_version == 4 ? 8 : 128;
    v6p_event_mark(ev, V6P_F_ICMP_TYPE);
    v6p_event_mark(ev, V6P_F_ICMP_CODE);
}

static inline void tt_tcp(v6p_event *ev, const char *src, const char *dst, double t, int hop,
                          int dport, unsigned flags)
{
    tt_base(ev, src, dst, t, hop);
    tt_proto(ev, 6);
    ev->src_port = 40000;
    ev->dest_port = (uint16_t)dport;
    v6p_event_mark(ev, V6P_F_SRC_PORT);
    v6p_event_mark(ev, V6P_F_DEST_PORT);
    ev->tcp_flags = (uint16_t)flags;
    v6p_event_mark(ev, V6P_F_TCP_FLAG);
}

static inline void tt_udp(v6p_event *ev, const char *src, const char *dst, double t, int hop,
                          int dport)
{
    tt_base(ev, src, dst, t, hop);
    tt_proto(ev, 17);
    ev->src_port = 40000;
    ev->dest_port = (uint16_t)dport;
    v6p_event_mark(ev, V6P_F_SRC_PORT);
    v6p_event_mark(ev, V6P_F_DEST_PORT);
}

/* Summary records collected by drain. */
#define TT_MAX_RECORDS 64
typedef struct tt_records {
    int n;
    yajl_val rec[TT_MAX_RECORDS];
    char sourcetype[TT_MAX_RECORDS][32];
} tt_records;

static inline void tt_collect(void *ud, const char *st, const char *json, size_t len, int64_t ts)
{
    (void)len, (void)ts;
    tt_records *r = ud;
    if (r->n >= TT_MAX_RECORDS)
        abort();
    char errbuf[128];
    r->rec[r->n] = yajl_tree_parse(json, errbuf, sizeof(errbuf));
    if (!r->rec[r->n])
        abort(); /* a summary that is not JSON */
    snprintf(r->sourcetype[r->n], sizeof(r->sourcetype[0]), "%s", st);
    r->n++;
}

static inline void tt_collect_none(void *ud, const char *st, const char *json, size_t len,
                                   int64_t ts)
{
    (void)ud, (void)st, (void)json, (void)len, (void)ts;
}

static inline void tt_records_free(tt_records *r)
{
    for (int i = 0; i < r->n; i++)
        yajl_tree_free(r->rec[i]);
    r->n = 0;
}

static inline yajl_val tt_get(yajl_val rec, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(rec, path, yajl_t_any);
}

static inline long long tt_int(yajl_val rec, const char *key)
{
    yajl_val v = tt_get(rec, key);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static inline double tt_num(yajl_val rec, const char *key)
{
    yajl_val v = tt_get(rec, key);
    return v && YAJL_IS_NUMBER(v) ? YAJL_GET_DOUBLE(v) : -1;
}

static inline const char *tt_str(yajl_val rec, const char *key)
{
    yajl_val v = tt_get(rec, key);
    return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";
}

/* The array at key as text "a,b,c" (numbers or strings). */
static inline const char *tt_list(yajl_val rec, const char *key, char *buf, size_t cap)
{
    yajl_val v = tt_get(rec, key);
    buf[0] = '\0';
    if (!v || !YAJL_IS_ARRAY(v))
        return "(none)";
    size_t n = 0;
    for (size_t i = 0; i < v->u.array.len; i++) {
        yajl_val x = v->u.array.values[i];
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "",
                              YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : YAJL_GET_NUMBER(x));
    }
    return buf;
}

#endif
