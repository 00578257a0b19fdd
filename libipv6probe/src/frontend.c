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
        v6pi_set_span(ev, f, p, n);
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

static int lower_word(const char *p, const char *end)
{
    if (p == end)
        return 0;
    for (; p < end; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Shorewall as Debian ships it (LOGFORMAT="%s %s "): `net-fw DROP`, the
 * chain then the disposition; zone names are lower case, dispositions
 * upper case, which keeps `IPT6-IN DROP` and the like out. */
static int shorewall_debian(v6p_event *ev, const char *p, size_t n)
{
    static const char *const disp[] = {"DROP",     "REJECT",   "ACCEPT", "A_DROP",  "A_REJECT",
                                       "A_ACCEPT", "CONTINUE", "QUEUE",  "NFQUEUE", NULL};
    const char *end = p + n, *sp = memchr(p, ' ', n);
    if (!sp)
        return 0;
    size_t dl = (size_t)(end - sp - 1);
    int ok = 0;
    for (int i = 0; disp[i] && !ok; i++)
        ok = word(sp + 1, dl, disp[i]);
    const char *dash = memchr(p, '-', (size_t)(sp - p));
    if (!ok || !dash || !lower_word(p, dash) || !lower_word(dash + 1, sp))
        return 0;
    set_zone(ev, V6P_F_SRC_ZONE, p, (size_t)(dash - p));
    set_zone(ev, V6P_F_DEST_ZONE, dash + 1, (size_t)(sp - dash - 1));
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

void v6pi_frontend_zones(v6p_event *ev)
{
    const char *p = ev->rule.ptr;
    size_t n = ev->rule.len;
    switch (p[0]) {
    case 'S':
        shorewall(ev, p, n);
        return;
    case 'f':
        if (firewalld(ev, p, n))
            return;
        break;
    case 'a':
    case 'd':
    case 'r':
        if (openwrt(ev, p, n))
            return;
        break;
    default:
        break;
    }
    if (p[0] >= 'a' && p[0] <= 'z')
        shorewall_debian(ev, p, n);
}
