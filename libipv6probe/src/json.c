/* JSON for events and records: one encoder.
 *
 * The event object is written straight into a growing buffer rather than
 * through yajl_gen: yajl's generator checks its state machine, goes through
 * a print callback and formats numbers with printf for every token, which
 * cost about 1.4 us per event here, more than the parse itself (see
 * tests/bench/).  Writing keys that are known at compile time, numbers and
 * addresses directly is several times faster.  Text from the line (or a
 * table) that holds a quote, a backslash, a control byte or any byte of
 * 0x80 and up goes through v6p_json_quote, the one string encoder of the
 * project: it escapes what JSON needs and replaces bytes that are not
 * well-formed UTF-8 with U+FFFD, counting them, because a log line may hold
 * any bytes and a receiver (Splunk HEC) refuses a whole batch for one
 * invalid string.  Clean ASCII strings, which is nearly all of them, are
 * copied as they are.
 *
 * Records other than events (ladder summaries, suspects, stats, HEC
 * envelopes) are built with v6p_json_builder: the same buffer, the same
 * string and number encoders, with commas and nesting tracked for the
 * caller.  The event writer is a builder with the keys of the field table
 * prepared. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "field.h"
#include "ipv6probe/addr.h"
#include "ipv6probe/json.h"

#define KEY_SLOT 32

struct v6p_json_builder {
    char *buf;
    size_t len, cap;
    int failed;                  /* a grow failed: the record is lost, the builder is not */
    unsigned long long replaced; /* invalid UTF-8 bytes replaced, in all */
    /* Records only: bit d of `member` set when the container at depth d
     * (1 = outermost) holds a value already (the next one needs a comma);
     * bit d of `array` when that container is an array. */
    unsigned depth;
    int misuse; /* too deep, or an end without its begin */
    uint64_t member, array;
    int top_done; /* the top value is written */
};

/* How a field's value is written in an event (see write_shape). */
enum {
    OP_U8,
    OP_U16,
    OP_U32,
    OP_U64,
    OP_ADDR,
    OP_ENUM8,  /* uint8_t member, name from the writer's table */
    OP_ENUM32, /* an enum member, the same */
    OP_MAC,
    OP_TIME,
    OP_SPAN,
    OP_CSTR, /* nothing at all when the pointer is NULL */
    OP_OTHER /* put_field */
};

#define ENUM_SLOT 24 /* quoted name, copied whole; its length in the last byte */
#define ENUM_FIELDS 10
#define SHAPES 64

/* One present field of an event shape, in JSON order. */
typedef struct shape_step {
    uint8_t op;
    uint8_t field;
    uint8_t enum_index; /* OP_ENUM*: row of enum_text */
    uint8_t key_len;    /* of `,"key":` in keys[field] */
    uint16_t offset;    /* of the member in v6p_event */
} shape_step;

/* The fields an event has, as a program: the presence bits moved to the
 * JSON order and each field's way of writing looked up once per set of
 * fields rather than once per field of every event (a firewall's lines
 * come in a handful of shapes). */
typedef struct shape {
    uint64_t present[V6P_FIELD_WORDS];
    uint16_t steps_n; /* 0: an empty slot */
    shape_step steps[V6P_F_COUNT_];
} shape;

struct v6p_json_writer {
    v6p_json_builder b; /* the buffer */
    /* `,"key":` of every field, built once from the field table, in slots
     * of a fixed size so that copying one is a few vector moves (a copy of
     * variable length became `rep movs`, which alone took a third of the
     * time).  key_len 0: too long for a slot, written the slow way. */
    char keys[V6P_F_COUNT_][KEY_SLOT];
    uint8_t key_len[V6P_F_COUNT_];
    /* The place of each field id in the JSON order (v6pi_json_order), and
     * whether that order is the numbering itself. */
    uint8_t rank[V6P_F_COUNT_];
    int in_id_order;
    /* Quoted names of the values of enum fields, by value: a copy of fixed
     * size instead of a name function and strlen.  Length 0 (last byte):
     * no name fits, the value goes through enum_name. */
    char enum_text[ENUM_FIELDS][256][ENUM_SLOT];
    uint8_t enum_field[ENUM_FIELDS];
    /* The decimal digits of 0..255, in slots of four. */
    char u8_text[256][4];
    /* Shapes seen, by a hash of the presence bits. */
    shape shapes[SHAPES];
};

static int builder_init(v6p_json_builder *b)
{
    memset(b, 0, sizeof(*b));
    b->cap = 4096;
    b->buf = malloc(b->cap);
    return b->buf ? 0 : -1;
}

static const char *enum_name(const v6p_event *ev, v6p_field f);
static size_t fmt_u64(char *buf, uint64_t v);

/* The enum fields and their row in enum_text. */
static const uint8_t enum_fields[ENUM_FIELDS] = {
    V6P_F_VENDOR_PRODUCT,  V6P_F_ACTION,    V6P_F_DIRECTION,  V6P_F_HOOK,    V6P_F_TRANSPORT,
    V6P_F_INNER_TRANSPORT, V6P_F_SRC_BLOCK, V6P_F_DEST_BLOCK, V6P_F_SRC_IID, V6P_F_DEST_IID};

/* OP_ENUM32 reads these members as unsigned. */
_Static_assert(sizeof(v6p_format) == sizeof(unsigned) && sizeof(v6p_action) == sizeof(unsigned) &&
                   sizeof(v6p_direction) == sizeof(unsigned) &&
                   sizeof(v6p_hook) == sizeof(unsigned),
               "enum members of v6p_event are read as unsigned");

/* enum_text[e][v]: the name enum_name gives field enum_fields[e] of value
 * v, quoted.  Transport names depend on the IP version for one value
 * (hopopt is 0 in IPv6 only): the table holds the IPv6 names and the
 * writer takes value 0 of an IPv4 event the slow way. */
static void enum_text_init(v6p_json_writer *w)
{
    v6p_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.protocol_version = 6;
    for (int e = 0; e < ENUM_FIELDS; e++) {
        v6p_field f = (v6p_field)enum_fields[e];
        w->enum_field[e] = (uint8_t)f;
        for (int v = 0; v < 256; v++) {
            ev.format = (v6p_format)v;
            ev.action = (v6p_action)v;
            ev.direction = (v6p_direction)v;
            ev.hook = (v6p_hook)v;
            ev.protocol_number = ev.inner_protocol_number = (uint8_t)v;
            ev.src_block = ev.dest_block = ev.src_iid = ev.dest_iid = (uint8_t)v;
            const char *name = enum_name(&ev, f);
            char *slot = w->enum_text[e][v];
            size_t n = name ? strlen(name) : 3;
            if (n + 2 > ENUM_SLOT - 1)
                continue; /* length 0: the slow way */
            slot[0] = '"';
            if (name)
                memcpy(slot + 1, name, n);
            else
                n = fmt_u64(slot + 1, (uint64_t)v);
            slot[n + 1] = '"';
            slot[ENUM_SLOT - 1] = (char)(n + 2);
        }
    }
}

v6p_json_writer *v6p_json_writer_new(void)
{
    v6p_json_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    if (builder_init(&w->b) != 0) {
        v6p_json_writer_free(w);
        return NULL;
    }
    const v6pi_field_info *table = v6pi_field_table();
    for (int f = 0; f < V6P_F_COUNT_; f++) {
        int n = snprintf(w->keys[f], sizeof(w->keys[f]), ",\"%s\":", table[f].name);
        w->key_len[f] = (uint8_t)(n > 0 && (size_t)n < sizeof(w->keys[f]) ? n : 0);
        w->rank[v6pi_json_order[f]] = (uint8_t)f;
    }
    w->in_id_order = 1;
    for (int i = 0; i < V6P_F_COUNT_; i++)
        w->in_id_order &= v6pi_json_order[i] == i;
    enum_text_init(w);
    for (int v = 0; v < 256; v++)
        fmt_u64(w->u8_text[v], (uint64_t)v);
    return w;
}

void v6pi_json_writer_reorder(v6p_json_writer *w)
{
    w->in_id_order = 0;
    for (int i = 0; i < SHAPES; i++)
        w->shapes[i].steps_n = 0;
}

void v6p_json_writer_free(v6p_json_writer *w)
{
    if (!w)
        return;
    free(w->b.buf);
    free(w);
}

/* Make room for n more bytes; on failure later writes are skipped and the
 * record reports -1. */
static int reserve(v6p_json_builder *w, size_t n)
{
    if (w->len + n <= w->cap)
        return 1;
    if (w->failed)
        return 0;
    size_t cap = w->cap;
    while (cap < w->len + n)
        cap *= 2;
    char *nb = realloc(w->buf, cap);
    if (!nb) {
        w->failed = 1;
        return 0;
    }
    w->buf = nb;
    w->cap = cap;
    return 1;
}

static inline void put(v6p_json_builder *w, const char *s, size_t n)
{
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static inline void put_c(v6p_json_builder *w, char c)
{
    w->buf[w->len++] = c;
}

/* Integers are written here, not by printf; the event has dozens of them.
 * Two digits per step from a table halves the divisions. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

static size_t fmt_u64(char *buf, uint64_t v)
{
    /* The length first, so that the digits go straight to their place
     * (copying them from a scratch buffer was a call to memcpy of a
     * variable length per number). */
    static const uint64_t pow10[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};
    /* log10 from the bit length (1233/4096 is just over log10(2)), less
     * one below the next power of ten.  v | 1 counts 0 as one digit and
     * counts as v does: every power of ten above 1 is even. */
    uint64_t u = v | 1;
    unsigned t = (unsigned)(64 - __builtin_clzll(u)) * 1233 >> 12;
    size_t n = t + 1 - (u < pow10[t]);
    char *o = buf + n;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        o -= 2;
        memcpy(o, digit_pairs + 2 * r, 2);
    }
    if (v >= 10) {
        o -= 2;
        memcpy(o, digit_pairs + 2 * v, 2);
    } else {
        *--o = (char)('0' + v);
    }
    return n;
}

/* The callers reserve room for the value first (64 bytes covers every
 * number, address, MAC and stamp). */
static void put_u64(v6p_json_builder *w, uint64_t v)
{
    w->len += fmt_u64(w->buf + w->len, v);
}

static void put_i64(v6p_json_builder *w, int64_t v)
{
    if (v < 0) {
        put_c(w, '-');
        put_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(w, (uint64_t)v);
    }
}

/* put() for the short strings of an event (interface names, rules): two
 * overlapping fixed-size moves instead of a call to memcpy.  Nothing is
 * written outside [len, len + n), which the caller reserved. */
static inline void put_short(v6p_json_builder *w, const char *s, size_t n)
{
    char *o = w->buf + w->len;
    if (n >= 8 && n <= 16) {
        memcpy(o, s, 8);
        memcpy(o + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(o, s, 4);
        memcpy(o + n - 4, s + n - 4, 4);
    } else if (n > 16) {
        memcpy(o, s, n);
    } else {
        for (size_t i = 0; i < n; i++)
            o[i] = s[i];
    }
    w->len += n;
}

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when the bytes
 * there are not one (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no cut sequence). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* A byte as \u00XX at o; returns the end. */
static inline char *put_u00(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    memcpy(o, "\\u00", 4);
    o[4] = hex[c >> 4];
    o[5] = hex[c & 15];
    return o + 6;
}

size_t v6p_json_quote(char *dst, const char *src, size_t n, unsigned long long *replaced)
{
    const unsigned char *s = (const unsigned char *)src;
    char *o = dst;
    *o++ = '"';
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20) {
            o = put_u00(o, c);
        } else if (c >= 0x80) {
            size_t k = utf8_seq(s + i, n - i);
            if (k) {
                memcpy(o, s + i, k);
                o += k;
                i += k;
                continue;
            }
            /* One replacement character per byte that starts no valid
             * sequence, as WHATWG decoders do (a byte of a cut sequence
             * starts none either). */
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            if (replaced)
                (*replaced)++;
        } else {
            *o++ = (char)c;
        }
        i++;
    }
    *o++ = '"';
    return (size_t)(o - dst);
}

/* A quoted string.  The fast path copies a string that has nothing to
 * escape and no byte of 0x80 or above; anything else goes through
 * v6p_json_quote, which escapes and replaces invalid UTF-8, so that every
 * event is valid JSON whatever bytes the line held. */
/* Whether s[0..n) is copied into a JSON string as it is: no byte below
 * 0x20, no quote, no backslash, no byte of 0x80 and up. */
static inline uint64_t load8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

/* No byte of x is below 0x20, a quote, a backslash or 0x80 and up: bit 7
 * of a byte of ctl | eq | x is set exactly for such a byte. */
static inline int clean8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t ctl = ~(((x & low7) + (ones * (0x80 - 0x20))) | x);
    uint64_t eq = ~(((q & low7) + low7) | q) | ~(((b & low7) + low7) | b);
    return !((ctl | eq | x) & (ones << 7));
}

static inline int clean_ascii(const char *s, size_t n)
{
    /* Eight bytes at a time, the last eight overlapping the ones before;
     * four and four overlapping for 4..7 bytes (interface names). */
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (!clean8(load8(s + i)))
                return 0;
        return clean8(load8(s + n - 8));
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        return clean8((uint64_t)a | (uint64_t)b << 32);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
            return 0;
    }
    return 1;
}

static void put_str(v6p_json_builder *w, const char *s, size_t n)
{
    if (clean_ascii(s, n)) {
        if (!reserve(w, n + 2))
            return;
        put_c(w, '"');
        put_short(w, s, n);
        put_c(w, '"');
        return;
    }
    if (reserve(w, V6P_JSON_QUOTE_MAX(n)))
        w->len += v6p_json_quote(w->buf + w->len, s, n, &w->replaced);
}

static void put_cstr(v6p_json_builder *w, const char *s)
{
    put_str(w, s, strlen(s));
}

static void put_flags(v6p_json_builder *w, v6p_field f, uint32_t bits)
{
    static const char *const tcp[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"};
    static const char *const ip[] = {"CE", "DF", "MF"};
    int first = 1;
    put_c(w, '[');
    for (; bits; bits &= bits - 1) {
        unsigned b = (unsigned)__builtin_ctz(bits);
        const char *name = NULL;
        if (f == V6P_F_TCP_FLAG)
            name = b < 9 ? tcp[b] : NULL;
        else if (f == V6P_F_IP_FLAG)
            name = b < 3 ? ip[b] : NULL;
        else
            name = v6p_tag_name(1u << b);
        if (!name)
            continue;
        if (!reserve(w, 2))
            return;
        if (!first)
            put_c(w, ',');
        first = 0;
        put_cstr(w, name);
    }
    if (reserve(w, 1))
        put_c(w, ']');
}

static const char *enum_name(const v6p_event *ev, v6p_field f)
{
    switch (f) {
    case V6P_F_VENDOR_PRODUCT:
        return v6p_format_name(ev->format);
    case V6P_F_ACTION:
        return v6p_action_name(ev->action);
    case V6P_F_DIRECTION:
        return v6p_direction_name(ev->direction);
    case V6P_F_HOOK:
        return v6p_hook_name(ev->hook);
    case V6P_F_TRANSPORT:
        return v6p_transport_name(ev->protocol_number, ev->protocol_version);
    case V6P_F_INNER_TRANSPORT:
        return v6p_transport_name(ev->inner_protocol_number, ev->protocol_version);
    case V6P_F_SRC_BLOCK:
        return v6p_block_name((v6p_block)ev->src_block);
    case V6P_F_DEST_BLOCK:
        return v6p_block_name((v6p_block)ev->dest_block);
    case V6P_F_SRC_IID:
        return v6p_iid_kind_name((v6p_iid_kind)ev->src_iid);
    case V6P_F_DEST_IID:
        return v6p_iid_kind_name((v6p_iid_kind)ev->dest_iid);
    default:
        return NULL;
    }
}

/* The values v6p_json_write_event does not write in place: strings, flag lists and the rarer
 * types, each reserving its own room (the caller reserved 64 bytes, which
 * covers a boolean, a 64-bit number and an IPv4 address). */
static void put_field(v6p_json_builder *w, const v6p_event *ev, v6p_field f,
                      const v6pi_field_info *fi)
{
    const void *m = (const char *)ev + fi->offset;
    switch ((v6pi_field_type)fi->type) {
    case V6PI_T_SPAN: {
        const v6p_span *s = m;
        put_str(w, s->ptr, s->len);
        break;
    }
    case V6PI_T_ADDR4: {
        struct in6_addr mapped;
        memset(&mapped, 0, sizeof(mapped));
        mapped.s6_addr[10] = mapped.s6_addr[11] = 0xff;
        memcpy(&mapped.s6_addr[12], m, 4);
        put_c(w, '"');
        w->len += v6p_addr_format(&mapped, 1, w->buf + w->len);
        put_c(w, '"');
        break;
    }
    case V6PI_T_BOOL:
        if (*(const bool *)m)
            put(w, "true", 4);
        else
            put(w, "false", 5);
        break;
    case V6PI_T_FLAGS: {
        uint32_t bits = f == V6P_F_IP_FLAG    ? *(const uint8_t *)m
                        : f == V6P_F_TCP_FLAG ? *(const uint16_t *)m
                                              : *(const uint32_t *)m;
        put_flags(w, f, bits);
        break;
    }
    case V6PI_T_CSTR:
        put_cstr(w, *(const char *const *)m);
        break;
    case V6PI_T_REAL: {
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "%.3f", *(const double *)m);
        if (n < 0)
            n = 0;
        if ((size_t)n >= sizeof(buf))
            n = sizeof(buf) - 1;
        if (reserve(w, (size_t)n))
            put(w, buf, (size_t)n);
        break;
    }
    case V6PI_T_INT64:
        put_i64(w, *(const int64_t *)m);
        break;
    default: /* the fixed-size types: written in place by v6p_json_write_event */
        break;
    }
}

/* copy_short at a cursor: two overlapping fixed-size moves. */
static inline char *copy_short(char *o, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(o, s, 8);
        memcpy(o + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(o, s, 4);
        memcpy(o + n - 4, s + n - 4, 4);
    } else {
        memcpy(o, s, n);
    }
    return o + n;
}

/* "0".."99" of 0..99 with the tens first, as two bytes. */
static inline char *put_pair(char *o, unsigned v)
{
    memcpy(o, digit_pairs + 2 * v, 2);
    return o + 2;
}

/* Hex pairs of the bytes 0..255, for MAC addresses. */
static const char hex_pairs[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                                "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
                                "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
                                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
                                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                                "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
                                "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                                "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

unsigned long long v6p_json_writer_replaced(const v6p_json_writer *w)
{
    return w->b.replaced;
}

/* Room each step may take at its cursor before the next is placed: the
 * key slot, copied whole, and the largest fixed-size value (an IPv6
 * address with its IPv4 tail, 45 bytes, quoted; a short clean string
 * written in place, 60).  Strings beyond that and the rarer types reserve
 * their own room. */
#define STEP_ROOM (KEY_SLOT + 64)
#define SPAN_INLINE 60

/* The program of the shape of ev (its presence bits), from the cache or
 * made now. */
static const shape *shape_of(v6p_json_writer *jw, const v6p_event *ev)
{
    uint64_t h = 0;
    for (int i = 0; i < V6P_FIELD_WORDS; i++)
        h = (h ^ ev->present[i]) * 0x9e3779b97f4a7c15ull;
    shape *sh = &jw->shapes[h >> 58];
    if (sh->steps_n && memcmp(sh->present, ev->present, sizeof(sh->present)) == 0)
        return sh;
    memcpy(sh->present, ev->present, sizeof(sh->present));
    /* The present fields in JSON order: their bits moved to their ranks. */
    uint64_t ordered[V6P_FIELD_WORDS] = {0};
    for (int word = 0; word < V6P_FIELD_WORDS; word++)
        for (uint64_t bits = ev->present[word]; bits; bits &= bits - 1) {
            int f = word * 64 + __builtin_ctzll(bits);
            if (f >= V6P_F_COUNT_)
                break;
            unsigned r = jw->in_id_order ? (unsigned)f : jw->rank[f];
            ordered[r / 64] |= (uint64_t)1 << (r % 64);
        }
    const v6pi_field_info *table = v6pi_field_table();
    int n = 0;
    for (int word = 0; word < V6P_FIELD_WORDS; word++)
        for (uint64_t bits = ordered[word]; bits; bits &= bits - 1) {
            int pos = word * 64 + __builtin_ctzll(bits);
            if (pos >= V6P_F_COUNT_)
                break;
            int f = jw->in_id_order ? pos : v6pi_json_order[pos];
            const v6pi_field_info *fi = &table[f];
            shape_step *st = &sh->steps[n++];
            st->field = (uint8_t)f;
            st->offset = fi->offset;
            st->key_len = jw->key_len[f];
            st->enum_index = 0;
            switch ((v6pi_field_type)fi->type) {
            case V6PI_T_NUM:
                st->op = fi->size == 1   ? OP_U8
                         : fi->size == 2 ? OP_U16
                         : fi->size == 4 ? OP_U32
                                         : OP_U64;
                break;
            case V6PI_T_ADDR:
                st->op = OP_ADDR;
                break;
            case V6PI_T_ENUM:
                st->op = OP_OTHER;
                for (int e = 0; e < ENUM_FIELDS; e++)
                    if (jw->enum_field[e] == f) {
                        st->enum_index = (uint8_t)e;
                        st->op = e < 4 ? OP_ENUM32 : OP_ENUM8;
                    }
                break;
            case V6PI_T_MAC:
                st->op = OP_MAC;
                break;
            case V6PI_T_TIME:
                st->op = OP_TIME;
                break;
            case V6PI_T_SPAN:
                st->op = OP_SPAN;
                break;
            case V6PI_T_CSTR:
                st->op = OP_CSTR;
                break;
            default:
                st->op = OP_OTHER;
                break;
            }
        }
    sh->steps_n = (uint16_t)n;
    return sh;
}

/* A span that needs no escaping and fits the step's room, quoted at o;
 * NULL for any other (put_str takes it). */
static inline char *put_span_inline(char *o, const v6p_span *sp)
{
    size_t n = sp->len;
    if (n > SPAN_INLINE || !clean_ascii(sp->ptr, n))
        return NULL;
    *o++ = '"';
    if (n > 16)
        memcpy(o, sp->ptr, n);
    else if (n >= 4)
        copy_short(o, sp->ptr, n);
    else
        for (size_t i = 0; i < n; i++)
            o[i] = sp->ptr[i];
    o += n;
    *o++ = '"';
    return o;
}

int v6p_json_write_event(v6p_json_writer *jw, const v6p_event *ev, const char **out,
                         size_t *out_len)
{
    const v6pi_field_info *table = v6pi_field_table();
    v6p_json_builder *w = &jw->b;
    const shape *sh = shape_of(jw, ev);
    int steps = sh->steps_n;
    w->len = 0;
    w->failed = 0;
    /* Room for every step at once; a step that writes more than its room
     * (a long or escaped string, a flag list) asks for the rest again. */
    if (!reserve(w, 11 + (size_t)steps * STEP_ROOM + 2))
        return -1;
    char *o = w->buf;
    memcpy(o, "{\"schema\":1", 11);
    o += 11;
    const char *base = (const char *)ev;
    for (int i = 0; i < steps; i++) {
        const shape_step *st = &sh->steps[i];
        const void *m = base + st->offset;
        /* A C string field with no string behind it has nothing to say. */
        if (st->op == OP_CSTR && !*(const char *const *)m)
            continue;
        if (st->key_len) {
            memcpy(o, jw->keys[st->field], KEY_SLOT);
            o += st->key_len;
        } else {
            /* A name too long for a key slot (none is today). */
            w->len = (size_t)(o - w->buf);
            put_c(w, ',');
            put_cstr(w, table[st->field].name);
            if (!reserve(w, 1 + STEP_ROOM))
                return -1;
            put_c(w, ':');
            o = w->buf + w->len;
        }
        switch (st->op) {
        case OP_U8: {
            /* Three digits from the table, the count from two compares. */
            unsigned v = *(const uint8_t *)m;
            memcpy(o, jw->u8_text[v], 4);
            o += 1 + (v >= 10) + (v >= 100);
            continue;
        }
        case OP_U16:
            o += fmt_u64(o, *(const uint16_t *)m);
            continue;
        case OP_U32:
            o += fmt_u64(o, *(const uint32_t *)m);
            continue;
        case OP_U64:
            o += fmt_u64(o, *(const uint64_t *)m);
            continue;
        case OP_ADDR:
            *o++ = '"';
            o += v6p_addr_format(m, ev->protocol_version == 4, o);
            *o++ = '"';
            continue;
        case OP_ENUM8:
        case OP_ENUM32: {
            unsigned v = st->op == OP_ENUM8 ? *(const uint8_t *)m : *(const unsigned *)m;
            const char *slot = jw->enum_text[st->enum_index][v & 255];
            unsigned n = (unsigned char)slot[ENUM_SLOT - 1];
            /* Transport 0 names hopopt in IPv6 alone. */
            if (v < 256 && n &&
                (v || st->enum_index < 4 || st->enum_index > 5 || ev->protocol_version == 6)) {
                memcpy(o, slot, ENUM_SLOT);
                o += n;
                continue;
            }
            const char *name = enum_name(ev, (v6p_field)st->field);
            *o++ = '"';
            if (name)
                o = copy_short(o, name, strlen(name));
            else
                o += fmt_u64(o, *(const uint8_t *)m);
            *o++ = '"';
            continue;
        }
        case OP_MAC: {
            const uint8_t *b = m;
            *o = '"';
            for (int k = 0; k < 6; k++) {
                memcpy(o + 1 + 3 * k, hex_pairs + 2 * b[k], 2);
                o[3 + 3 * k] = ':';
            }
            o[18] = '"';
            o += 19;
            continue;
        }
        case OP_TIME: {
            int64_t sec = ev->time_sec;
            uint32_t usec = ev->time_usec;
            if (sec < 0) {
                *o++ = '-';
                o += fmt_u64(o, (uint64_t)0 - (uint64_t)sec);
            } else {
                o += fmt_u64(o, (uint64_t)sec);
            }
            *o++ = '.';
            /* Six digits, as three pairs (a microsecond count above
             * 999999 keeps its digits modulo a million, as the loop of
             * single digits it replaces did). */
            usec %= 1000000;
            o = put_pair(o, usec / 10000);
            o = put_pair(o, usec / 100 % 100);
            o = put_pair(o, usec % 100);
            continue;
        }
        case OP_SPAN: {
            char *e = put_span_inline(o, m);
            if (e) {
                o = e;
                continue;
            }
            break;
        }
        default:
            break;
        }
        /* The rest through the builder: its length synchronised, and the
         * room of the steps after this one asked for again. */
        w->len = (size_t)(o - w->buf);
        put_field(w, ev, (v6p_field)st->field, &table[st->field]);
        if (!reserve(w, (size_t)(steps - i) * STEP_ROOM + 2))
            return -1;
        o = w->buf + w->len;
    }
    w->len = (size_t)(o - w->buf);
    if (w->failed)
        return -1;
    put_c(w, '}');
    w->buf[w->len] = '\0';
    *out = w->buf;
    *out_len = w->len;
    return 0;
}

/* ---- the record builder ---- */

v6p_json_builder *v6p_json_builder_new(void)
{
    v6p_json_builder *b = malloc(sizeof(*b));
    if (!b || builder_init(b) != 0) {
        free(b);
        return NULL;
    }
    return b;
}

void v6p_json_builder_free(v6p_json_builder *b)
{
    if (!b)
        return;
    free(b->buf);
    free(b);
}

void v6p_json_builder_reset(v6p_json_builder *b)
{
    b->len = 0;
    b->failed = b->misuse = b->top_done = 0;
    b->depth = 0;
    b->member = b->array = 0;
}

unsigned long long v6p_json_builder_replaced(const v6p_json_builder *b)
{
    return b->replaced;
}

/* Before a value: the comma when the container holds one already, then the
 * key.  `more` is the room the value needs (beyond what it reserves
 * itself).  Returns 0 when nothing may be written. */
static int value_start(v6p_json_builder *b, const char *key, size_t more)
{
    if (b->depth == 0) {
        if (b->top_done)
            b->misuse = 1; /* a second top value */
        b->top_done = 1;
    } else {
        uint64_t bit = (uint64_t)1 << (b->depth - 1);
        if ((b->member & bit) && reserve(b, 1))
            put_c(b, ',');
        b->member |= bit;
    }
    if (key) {
        put_str(b, key, strlen(key));
        if (reserve(b, 1))
            put_c(b, ':');
    }
    return reserve(b, more);
}

static void open_container(v6p_json_builder *b, const char *key, char c, int array)
{
    if (!value_start(b, key, 1))
        return;
    if (b->depth == V6P_JSON_MAX_DEPTH) {
        b->misuse = 1;
        return;
    }
    put_c(b, c);
    uint64_t bit = (uint64_t)1 << b->depth;
    b->depth++;
    b->member &= ~bit;
    if (array)
        b->array |= bit;
    else
        b->array &= ~bit;
}

static void close_container(v6p_json_builder *b, char c, int array)
{
    if (b->depth == 0 || !!(b->array >> (b->depth - 1) & 1) != array) {
        b->misuse = 1;
        return;
    }
    b->depth--;
    if (reserve(b, 1))
        put_c(b, c);
}

void v6p_json_object_begin(v6p_json_builder *b, const char *key)
{
    open_container(b, key, '{', 0);
}

void v6p_json_object_end(v6p_json_builder *b)
{
    close_container(b, '}', 0);
}

void v6p_json_array_begin(v6p_json_builder *b, const char *key)
{
    open_container(b, key, '[', 1);
}

void v6p_json_array_end(v6p_json_builder *b)
{
    close_container(b, ']', 1);
}

void v6p_json_string(v6p_json_builder *b, const char *key, const char *s, size_t n)
{
    if (value_start(b, key, 0))
        put_str(b, s, n);
}

void v6p_json_cstring(v6p_json_builder *b, const char *key, const char *s)
{
    v6p_json_string(b, key, s, strlen(s));
}

void v6p_json_bytes(v6p_json_builder *b, const char *key, const char *s, size_t n)
{
    if (!value_start(b, key, V6P_JSON_QUOTE_MAX(n)))
        return;
    char *o = b->buf + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o = put_u00(o, c);
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->buf);
}

void v6p_json_uint(v6p_json_builder *b, const char *key, uint64_t v)
{
    if (value_start(b, key, 24))
        put_u64(b, v);
}

void v6p_json_int(v6p_json_builder *b, const char *key, int64_t v)
{
    if (value_start(b, key, 24))
        put_i64(b, v);
}

void v6p_json_double(v6p_json_builder *b, const char *key, double v, int decimals)
{
    if (!isfinite(v)) {
        v6p_json_null(b, key);
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 17)
        decimals = 17;
    /* %f of a large double has up to 309 digits before the point. */
    char buf[360];
    int n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof(buf)) {
        v6p_json_null(b, key);
        return;
    }
    if (value_start(b, key, (size_t)n))
        put(b, buf, (size_t)n);
}

void v6p_json_time(v6p_json_builder *b, const char *key, int64_t sec, uint32_t usec)
{
    if (!value_start(b, key, 32))
        return;
    put_i64(b, sec);
    char *o = b->buf + b->len;
    *o++ = '.';
    usec %= 1000000;
    for (unsigned d = 100000; d >= 1; d /= 10)
        *o++ = (char)('0' + usec / d % 10);
    b->len = (size_t)(o - b->buf);
}

void v6p_json_bool(v6p_json_builder *b, const char *key, int v)
{
    v6p_json_raw(b, key, v ? "true" : "false", v ? 4 : 5);
}

void v6p_json_null(v6p_json_builder *b, const char *key)
{
    v6p_json_raw(b, key, "null", 4);
}

void v6p_json_raw(v6p_json_builder *b, const char *key, const char *json, size_t n)
{
    if (value_start(b, key, n))
        put(b, json, n);
}

int v6p_json_builder_finish(v6p_json_builder *b, const char **out, size_t *len, v6p_error *err)
{
    if (b->failed || !reserve(b, 1)) {
        v6pi_error_set(err, ENOMEM, "JSON record: out of memory");
        return -1;
    }
    if (b->misuse || b->depth) {
        v6pi_error_set(err, EINVAL, "JSON record: %s",
                       b->depth ? "an object or array is still open"
                                : "nesting too deep, a second top value or an end "
                                  "without its begin");
        return -1;
    }
    b->buf[b->len] = '\0';
    *out = b->buf;
    *len = b->len;
    return 0;
}
