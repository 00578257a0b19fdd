/* The one field writer every parser uses.
 *
 * Each field has a row in a table (type, offset in v6p_event, upper bound).
 * Parsers set fields only through these calls, which refuse a value out of
 * range for its field and a field given twice, so every format gets the same
 * checks and the JSON writer can walk the same table. */
#ifndef V6PI_FIELD_H
#define V6PI_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "ipv6probe/event.h"
#include "ipv6probe/parse.h"

typedef enum v6pi_field_type {
    V6PI_T_NUM,   /* unsigned integer of the member's size */
    V6PI_T_SPAN,  /* text in the line */
    V6PI_T_ADDR,  /* struct in6_addr */
    V6PI_T_ADDR4, /* struct in_addr */
    V6PI_T_MAC,   /* uint8_t[6] */
    V6PI_T_BOOL,  /* bool */
    V6PI_T_TIME,  /* time_sec + time_usec */
    V6PI_T_ENUM,  /* named by a function of the value */
    V6PI_T_FLAGS, /* array of names */
    V6PI_T_CSTR,  /* const char * owned elsewhere */
    V6PI_T_REAL,  /* double */
    V6PI_T_INT64  /* signed 64-bit */
} v6pi_field_type;

typedef struct v6pi_field_info {
    const char *name;
    uint8_t type;
    uint8_t size;    /* bytes of the member, for V6PI_T_NUM */
    uint16_t offset; /* in v6p_event */
    uint64_t max;    /* largest value accepted, for V6PI_T_NUM */
} v6pi_field_info;

const v6pi_field_info *v6pi_field_table(void);

/* The same table by name, for the inline setter below: numbers are most of
 * a line's fields, and a call per number showed in profiles. */
extern const v6pi_field_info v6pi_field_rows[V6P_F_COUNT_];

/* The order of keys in JSON: field ids, first key first.  Field ids are
 * fixed numbers that only grow, while a new key may belong anywhere in the
 * output, so the order is this table, not the numbering.  Every field id
 * appears once. */
extern const uint8_t v6pi_json_order[V6P_F_COUNT_];

/* Make a JSON writer move the presence bits to the JSON order even while
 * that order is the numbering, so that tests run the path later fields
 * will take. */
struct v6p_json_writer;
void v6pi_json_writer_reorder(struct v6p_json_writer *w);

static inline int v6pi_field_taken(const v6p_event *ev, v6p_field f)
{
    return v6p_event_has(ev, f);
}

/* The field writer of every parser; the public v6p_event_set_* (parse.h)
 * are these with a check that f is a field of the kind.  Each returns
 * V6P_R_NONE or the reason the value was refused.  A field given twice
 * means the line is not what the format says it is (or is crafted), so it
 * is refused rather than overwritten. */
static inline v6p_reason v6pi_set_num(v6p_event *ev, v6p_field f, uint64_t value)
{
    const v6pi_field_info *fi = &v6pi_field_rows[f];
    if (value > fi->max)
        return V6P_R_BAD_NUMBER;
    if (v6p_event_has(ev, f))
        return V6P_R_DUPLICATE_FIELD;
    v6p_event_mark(ev, f);
    void *m = (char *)ev + fi->offset;
    switch (fi->size) {
    case 1:
        *(uint8_t *)m = (uint8_t)value;
        break;
    case 2:
        *(uint16_t *)m = (uint16_t)value;
        break;
    case 4:
        *(uint32_t *)m = (uint32_t)value;
        break;
    default:
        *(uint64_t *)m = value;
        break;
    }
    return V6P_R_NONE;
}
v6p_reason v6pi_set_span(v6p_event *ev, v6p_field f, const char *p, size_t n);
v6p_reason v6pi_set_addr(v6p_event *ev, v6p_field f, const struct in6_addr *a);
v6p_reason v6pi_set_mac(v6p_event *ev, v6p_field f, const uint8_t mac[6]);
v6p_reason v6pi_set_bool(v6p_event *ev, v6p_field f, int value);
/* Flags OR into the member; giving the same flag twice is a duplicate. */
v6p_reason v6pi_set_flag(v6p_event *ev, v6p_field f, unsigned bit);

/* Parse decimal digits [p, p+n) into *out; -1 if empty, not all digits, or
 * over max. */
int v6pi_parse_dec(const char *p, size_t n, uint64_t max, uint64_t *out);
/* The same for hex digits, with or without a 0x prefix. */
int v6pi_parse_hex(const char *p, size_t n, uint64_t max, uint64_t *out);
/* Parse decimal text and set field f (bounds from the table). */
v6p_reason v6pi_set_dec(v6p_event *ev, v6p_field f, const char *p, size_t n);
v6p_reason v6pi_set_hex(v6p_event *ev, v6p_field f, const char *p, size_t n);

#endif
