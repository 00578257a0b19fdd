/* Site-relative direction (see site.h for the rule). */
#include "ipv6probe/site.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "trie.h"

#define MAX_GLOBS 64
#define GLOB_MAX 64
/* Interface names seen, with their verdict: a site has few, and fnmatch
 * per glob per event would cost more than the rest of this file. */
#define NAME_CACHE 64

typedef struct name_slot {
    uint8_t len; /* 0 = empty */
    uint8_t inside;
    char name[GLOB_MAX];
} name_slot;

struct v6p_site {
    v6pi_trie *prefixes;
    size_t n_prefixes;
    char globs[MAX_GLOBS][GLOB_MAX];
    size_t n_globs;
    name_slot cache[NAME_CACHE];
};

enum side { SIDE_UNKNOWN = 0, SIDE_INSIDE, SIDE_OUTSIDE };

v6p_site *v6p_site_new(v6p_error *err)
{
    v6p_site *s = calloc(1, sizeof(*s));
    if (s && !(s->prefixes = v6pi_trie_new())) {
        free(s);
        s = NULL;
    }
    if (!s)
        v6pi_error_set(err, ENOMEM, "out of memory");
    return s;
}

void v6p_site_free(v6p_site *s)
{
    if (!s)
        return;
    v6pi_trie_free(s->prefixes);
    free(s);
}

int v6p_site_add_prefix(v6p_site *s, const char *text, v6p_error *err)
{
    uint8_t addr[16];
    unsigned len;
    const char *why;
    /* The classification tables' prefix syntax: an IPv4 prefix covers the
     * IPv4-mapped addresses events carry for IPv4 packets. */
    if (v6pi_prefix_parse(text, strlen(text), addr, &len, &why) != 0) {
        v6pi_error_set(err, EINVAL, "\"%s\" is not a prefix such as 2001:db8::/48 (%s)", text, why);
        return -1;
    }
    if (v6pi_trie_insert(s->prefixes, addr, len, 1) != 0) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return -1;
    }
    s->n_prefixes++;
    return 0;
}

int v6p_site_add_interface(v6p_site *s, const char *glob, v6p_error *err)
{
    size_t n = strlen(glob);
    if (n == 0 || n >= GLOB_MAX) {
        v6pi_error_set(err, EINVAL, "interface \"%s\": a name or glob of 1 to %d bytes", glob,
                       GLOB_MAX - 1);
        return -1;
    }
    if (s->n_globs == MAX_GLOBS) {
        v6pi_error_set(err, EINVAL, "too many internal interfaces (at most %d)", MAX_GLOBS);
        return -1;
    }
    memcpy(s->globs[s->n_globs++], glob, n + 1);
    memset(s->cache, 0, sizeof(s->cache));
    return 0;
}

bool v6p_site_known(const v6p_site *s)
{
    return s && (s->n_prefixes || s->n_globs);
}

static bool glob_inside(const v6p_site *s, const char *name)
{
    for (size_t i = 0; i < s->n_globs; i++)
        if (fnmatch(s->globs[i], name, 0) == 0)
            return true;
    return false;
}

static enum side interface_side(v6p_site *s, const v6p_span *ifc)
{
    if (ifc->len == 0 || ifc->len >= GLOB_MAX)
        return SIDE_OUTSIDE;
    unsigned h = 0;
    for (uint32_t i = 0; i < ifc->len; i++)
        h = h * 31 + (unsigned char)ifc->ptr[i];
    name_slot *slot = &s->cache[h % NAME_CACHE];
    if (slot->len != ifc->len || memcmp(slot->name, ifc->ptr, ifc->len) != 0) {
        memcpy(slot->name, ifc->ptr, ifc->len);
        slot->name[ifc->len] = 0;
        slot->len = (uint8_t)ifc->len;
        slot->inside = glob_inside(s, slot->name);
    }
    return slot->inside ? SIDE_INSIDE : SIDE_OUTSIDE;
}

/* One end of the packet, in the order site.h gives. */
static enum side place(v6p_site *s, const v6p_event *ev, v6p_field addr_f,
                       const struct in6_addr *addr, v6p_field ifc_f, const v6p_span *ifc,
                       bool is_device)
{
    if (s->n_prefixes && v6p_event_has(ev, addr_f) && ev->protocol_version != 4 &&
        v6pi_trie_lookup(s->prefixes, addr->s6_addr, NULL) != V6PI_TRIE_NONE)
        return SIDE_INSIDE;
    if (s->n_globs && v6p_event_has(ev, ifc_f))
        return interface_side(s, ifc);
    if (is_device)
        return SIDE_INSIDE;
    /* The prefixes are IPv6: they say nothing of an IPv4 address. */
    return s->n_prefixes && ev->protocol_version != 4 ? SIDE_OUTSIDE : SIDE_UNKNOWN;
}

v6p_direction v6p_site_direction(v6p_site *s, v6p_event *ev)
{
    if (!v6p_site_known(s))
        return ev->direction;
    enum side src = place(s, ev, V6P_F_SRC, &ev->src, V6P_F_SRC_INTERFACE, &ev->src_interface,
                          ev->hook == V6P_HOOK_OUTPUT);
    enum side dst = place(s, ev, V6P_F_DEST, &ev->dest, V6P_F_DEST_INTERFACE, &ev->dest_interface,
                          ev->hook == V6P_HOOK_INPUT);
    v6p_direction d;
    if (src == SIDE_INSIDE)
        d = dst == SIDE_INSIDE ? V6P_DIR_LATERAL : V6P_DIR_OUTBOUND;
    else if (src == SIDE_OUTSIDE)
        d = dst == SIDE_OUTSIDE ? V6P_DIR_UNKNOWN : V6P_DIR_INBOUND;
    else
        d = dst == SIDE_INSIDE    ? V6P_DIR_INBOUND
            : dst == SIDE_OUTSIDE ? V6P_DIR_OUTBOUND
                                  : V6P_DIR_UNKNOWN;
    ev->direction = d;
    v6p_event_mark(ev, V6P_F_DIRECTION);
    return d;
}
