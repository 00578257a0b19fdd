/* Zones in front-end log prefixes.  Each reader is a few comparisons on the
 * rule text, which the parser has already found; zones are spans into it. */
#include "frontend.h"

#include <string.h>

#include "field.h"

static int starts(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(p, lit, k) == 0;
}

static int word(const char *p, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

static void set_zone(v6p_event *ev, v6p_field f, const char *p, size_t n)
{
    if (n > 0 && n <= 64)
        v6p_set_span(ev, f, p, n);
}

/* Shorewall:<chain>:<disposition>, the chain being <src>-<dst> (or
 * <src>2<dst> in older configurations). */
static int shorewall(v6p_event *ev, const char *p, size_t n)
{
    if (!starts(p, n, "Shorewall:"))
        return 0;
    const char *c = p + 10, *end = p + n;
    const char *ce = memchr(c, ':', (size_t)(end - c));
    if (!ce)
        return 1;
    const char *sep = memchr(c, '-', (size_t)(ce - c));
    if (!sep) {
        /* `2` as separator: only when one stands between two words. */
        const char *two = memchr(c, '2', (size_t)(ce - c));
        if (!two || memchr(two + 1, '2', (size_t)(ce - two - 1)))
            return 1;
        sep = two;
    }
    if (sep > c && sep + 1 < ce) {
        set_zone(ev, V6P_F_SRC_ZONE, c, (size_t)(sep - c));
        set_zone(ev, V6P_F_DEST_ZONE, sep + 1, (size_t)(ce - sep - 1));
    }
    return 1;
}

/* filter_<IN|FWD|FWDI|FWDO>_<zone>_<ACTION>: the ingress zone, or for FWDO
 * the egress zone. */
static int firewalld(v6p_event *ev, const char *p, size_t n)
{
    if (!starts(p, n, "filter_"))
        return 0;
    const char *c = p + 7, *end = p + n;
    const char *us = memchr(c, '_', (size_t)(end - c));
    if (!us)
        return 1;
    size_t cl = (size_t)(us - c);
    v6p_field f;
    if (word(c, cl, "IN") || word(c, cl, "FWD") || word(c, cl, "FWDI"))
        f = V6P_F_SRC_ZONE;
    else if (word(c, cl, "FWDO"))
        f = V6P_F_DEST_ZONE;
    else
        return 1;
    const char *z = us + 1, *last = end;
    while (last > z && last[-1] != '_')
        last--;
    if (last > z + 1)
        set_zone(ev, f, z, (size_t)(last - 1 - z));
    return 1;
}

/* OpenWrt fw3/fw4: `<verdict> <zone> <in|out|forward>`. */
static int openwrt(v6p_event *ev, const char *p, size_t n)
{
    const char *end = p + n, *s1 = memchr(p, ' ', n);
    if (!s1 || !(word(p, (size_t)(s1 - p), "drop") || word(p, (size_t)(s1 - p), "reject") ||
                 word(p, (size_t)(s1 - p), "accept")))
        return 0;
    const char *z = s1 + 1, *s2 = memchr(z, ' ', (size_t)(end - z));
    if (!s2 || s2 == z)
        return 0;
    const char *c = s2 + 1;
    size_t cl = (size_t)(end - c);
    if (word(c, cl, "in") || word(c, cl, "forward"))
        set_zone(ev, V6P_F_SRC_ZONE, z, (size_t)(s2 - z));
    else if (word(c, cl, "out"))
        set_zone(ev, V6P_F_DEST_ZONE, z, (size_t)(s2 - z));
    else
        return 0;
    return 1;
}

void v6p_frontend_zones(v6p_event *ev)
{
    const char *p = ev->rule.ptr;
    size_t n = ev->rule.len;
    switch (p[0]) {
    case 'S':
        shorewall(ev, p, n);
        break;
    case 'f':
        firewalld(ev, p, n);
        break;
    case 'a':
    case 'd':
    case 'r':
        openwrt(ev, p, n);
        break;
    default:
        break;
    }
}
