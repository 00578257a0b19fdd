/* JSON for events: one walk over the field table, written with yajl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "field.h"
#include "ipv6probe/addr.h"
#include "ipv6probe/json.h"

struct v6p_json_writer {
    yajl_gen g;
};

v6p_json_writer *v6p_json_writer_new(void)
{
    v6p_json_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->g = yajl_gen_alloc(NULL);
    if (!w->g) {
        free(w);
        return NULL;
    }
    /* Log lines may hold any bytes; yajl must not refuse a line for them. */
    yajl_gen_config(w->g, yajl_gen_validate_utf8, 0);
    return w;
}

void v6p_json_writer_free(v6p_json_writer *w)
{
    if (!w)
        return;
    yajl_gen_free(w->g);
    free(w);
}

/* yajl formats integers with printf; doing it here is several times faster
 * and the event has dozens of them. */
static size_t fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static void gen_u64(yajl_gen g, uint64_t v)
{
    char buf[24];
    yajl_gen_number(g, buf, fmt_u64(buf, v));
}

static void gen_i64(yajl_gen g, int64_t v)
{
    char buf[24];
    size_t n = 0;
    if (v < 0) {
        buf[n++] = '-';
        n += fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
    } else {
        n = fmt_u64(buf, (uint64_t)v);
    }
    yajl_gen_number(g, buf, n);
}

static void gen_time(yajl_gen g, int64_t sec, uint32_t usec)
{
    char buf[40];
    size_t n = 0;
    if (sec < 0) {
        buf[n++] = '-';
        n += fmt_u64(buf + n, (uint64_t)0 - (uint64_t)sec);
    } else {
        n = fmt_u64(buf, (uint64_t)sec);
    }
    buf[n++] = '.';
    for (int d = 100000; d >= 1; d /= 10)
        buf[n++] = (char)('0' + usec / (unsigned)d % 10);
    yajl_gen_number(g, buf, n);
}

static void gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_mac(yajl_gen g, const uint8_t *m)
{
    static const char hex[] = "0123456789abcdef";
    char buf[17];
    for (int i = 0; i < 6; i++) {
        buf[3 * i] = hex[m[i] >> 4];
        buf[3 * i + 1] = hex[m[i] & 15];
        if (i < 5)
            buf[3 * i + 2] = ':';
    }
    yajl_gen_string(g, (const unsigned char *)buf, 17);
}

static void gen_flags(yajl_gen g, v6p_field f, uint32_t bits)
{
    static const char *const tcp[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"};
    static const char *const ip[] = {"CE", "DF", "MF"};
    yajl_gen_array_open(g);
    for (unsigned b = 0; b < 32; b++) {
        if (!(bits >> b & 1))
            continue;
        const char *name = NULL;
        if (f == V6P_F_TCP_FLAG)
            name = b < 9 ? tcp[b] : NULL;
        else if (f == V6P_F_IP_FLAG)
            name = b < 3 ? ip[b] : NULL;
        else
            name = v6p_tag_name(1u << b);
        if (name)
            gen_str(g, name);
    }
    yajl_gen_array_close(g);
}

static const char *enum_name(const v6p_event *ev, v6p_field f)
{
    switch (f) {
    case V6P_F_VENDOR_PRODUCT: return v6p_format_name(ev->format);
    case V6P_F_ACTION: return v6p_action_name(ev->action);
    case V6P_F_DIRECTION: return v6p_direction_name(ev->direction);
    case V6P_F_TRANSPORT: return v6p_transport_name(ev->protocol_number, ev->protocol_version);
    case V6P_F_INNER_TRANSPORT:
        return v6p_transport_name(ev->inner_protocol_number, ev->protocol_version);
    case V6P_F_SRC_BLOCK: return v6p_block_name((v6p_block)ev->src_block);
    case V6P_F_DEST_BLOCK: return v6p_block_name((v6p_block)ev->dest_block);
    case V6P_F_SRC_IID: return v6p_iid_kind_name((v6p_iid_kind)ev->src_iid);
    case V6P_F_DEST_IID: return v6p_iid_kind_name((v6p_iid_kind)ev->dest_iid);
    default: return NULL;
    }
}

static void gen_field(yajl_gen g, const v6p_event *ev, v6p_field f, const v6p_field_info *fi)
{
    const void *m = (const char *)ev + fi->offset;
    char addr[INET6_ADDRSTRLEN];
    switch ((v6p_field_type)fi->type) {
    case V6P_T_NUM: {
        uint64_t v = fi->size == 1   ? *(const uint8_t *)m
                     : fi->size == 2 ? *(const uint16_t *)m
                     : fi->size == 4 ? *(const uint32_t *)m
                                     : *(const uint64_t *)m;
        gen_u64(g, v);
        break;
    }
    case V6P_T_SPAN: {
        const v6p_span *s = m;
        yajl_gen_string(g, (const unsigned char *)s->ptr, s->len);
        break;
    }
    case V6P_T_ADDR: {
        size_t n = v6p_addr_format(m, ev->protocol_version == 4, addr);
        yajl_gen_string(g, (const unsigned char *)addr, n);
        break;
    }
    case V6P_T_ADDR4: {
        struct in6_addr mapped;
        memset(&mapped, 0, sizeof(mapped));
        mapped.s6_addr[10] = mapped.s6_addr[11] = 0xff;
        memcpy(&mapped.s6_addr[12], m, 4);
        size_t n = v6p_addr_format(&mapped, 1, addr);
        yajl_gen_string(g, (const unsigned char *)addr, n);
        break;
    }
    case V6P_T_MAC: gen_mac(g, m); break;
    case V6P_T_BOOL: yajl_gen_bool(g, *(const bool *)m); break;
    case V6P_T_TIME: gen_time(g, ev->time_sec, ev->time_usec); break;
    case V6P_T_ENUM: {
        const char *name = enum_name(ev, f);
        if (name) {
            gen_str(g, name);
        } else {
            /* A protocol without a name here is given as its number, in text,
             * so that the field keeps one type. */
            char buf[4];
            size_t n = fmt_u64(buf, *(const uint8_t *)m);
            yajl_gen_string(g, (const unsigned char *)buf, n);
        }
        break;
    }
    case V6P_T_FLAGS: {
        uint32_t bits = f == V6P_F_IP_FLAG    ? *(const uint8_t *)m
                        : f == V6P_F_TCP_FLAG ? *(const uint16_t *)m
                                              : *(const uint32_t *)m;
        gen_flags(g, f, bits);
        break;
    }
    case V6P_T_CSTR: gen_str(g, *(const char *const *)m); break;
    case V6P_T_REAL: {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%.3f", *(const double *)m);
        yajl_gen_number(g, buf, (size_t)n);
        break;
    }
    case V6P_T_INT64: gen_i64(g, *(const int64_t *)m); break;
    }
}

int v6p_json_write_event(v6p_json_writer *w, const v6p_event *ev, const char **out,
                         size_t *out_len)
{
    yajl_gen g = w->g;
    yajl_gen_reset(g, NULL);
    yajl_gen_clear(g);
    const v6p_field_info *table = v6p_field_table();
    yajl_gen_map_open(g);
    gen_str(g, "schema");
    gen_u64(g, 1);
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        if (!v6p_event_has(ev, (v6p_field)f))
            continue;
        /* A C string field with no string behind it has nothing to say. */
        if (table[f].type == V6P_T_CSTR && !*(const char *const *)((const char *)ev + table[f].offset))
            continue;
        gen_str(g, table[f].name);
        gen_field(g, ev, (v6p_field)f, &table[f]);
    }
    if (yajl_gen_map_close(g) != yajl_gen_status_ok)
        return -1;
    const unsigned char *buf;
    size_t len;
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
        return -1;
    *out = (const char *)buf;
    *out_len = len;
    return 0;
}
