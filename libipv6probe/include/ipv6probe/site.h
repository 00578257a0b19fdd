/* The site: which addresses and interfaces are inside, so that `direction`
 * says what the packet did relative to the site, not to the logging device.
 *
 * A host firewall sees its own traffic in INPUT and OUTPUT; a router sees
 * nearly everything in FORWARD, where IN= and OUT= are both set and the
 * device's view (`hook`) says nothing about whether a packet came from
 * outside.  Describe the site with internal prefixes, internal interfaces
 * (names or fnmatch(3) globs: `lan0`, `br-*`, `igb1.*`), or both, and
 * v6p_site_direction() rewrites `direction`:
 *
 *     inbound   outside -> inside      outbound  inside -> outside
 *     lateral   inside  -> inside      unknown   neither end placed, or
 *                                                outside -> outside
 *
 * Each end of the packet is placed in this order: an address inside an
 * internal prefix is inside; else the interface on that end (IN= for the
 * source, OUT= for the destination), when interfaces are configured, says
 * inside or outside; else the logging device itself (the destination of a
 * netfilter `input` packet, the source of an `output` one) is inside; else,
 * when prefixes are configured, the address is outside.  An end still not
 * placed takes the side that makes sense of the other (a packet from
 * outside is taken as coming in).  The rule in full: docs/taggers.md.
 *
 * Threads: a site serves one thread at a time, lookups included (it keeps
 * a small cache of interface names). */
#ifndef IPV6PROBE_SITE_H
#define IPV6PROBE_SITE_H

#include <stdbool.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct v6p_site v6p_site;

V6P_API v6p_site *v6p_site_new(v6p_error *err);
V6P_API void v6p_site_free(v6p_site *s);

/* "2001:db8:1::/48" (a bare address is a /128).  Returns 0, or -1 with
 * err (EINVAL: not an IPv6 prefix; ENOMEM). */
V6P_API int v6p_site_add_prefix(v6p_site *s, const char *text, v6p_error *err);
/* An interface name or glob ("lan0", "br-*", "igb1.*").  Returns 0, or -1
 * with err (EINVAL: empty or longer than 63 bytes; ENOMEM). */
V6P_API int v6p_site_add_interface(v6p_site *s, const char *glob, v6p_error *err);

/* Whether any prefix or interface was added: without either, direction is
 * left as the parser set it (the device's view). */
V6P_API bool v6p_site_known(const v6p_site *s);

/* Set ev->direction relative to the site (when v6p_site_known) and return
 * it; otherwise return ev->direction unchanged. */
V6P_API v6p_direction v6p_site_direction(v6p_site *s, v6p_event *ev);

#ifdef __cplusplus
}
#endif
#endif
