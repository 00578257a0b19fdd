/* Address analysis: which registry block an IPv6 address is in, and what kind
 * of interface identifier (IID) it carries.
 *
 * Threads: no handle and no state; every function here is safe from any
 * thread. */
#ifndef IPV6PROBE_ADDR_H
#define IPV6PROBE_ADDR_H

#include <netinet/in.h>
#include <stdint.h>

#include "event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IANA IPv6 Special-Purpose Address Registry entries and scopes.  JSON
 * values are the names from v6p_block_name(). */
typedef enum v6p_block {
    V6P_BLOCK_NONE = 0,
    V6P_BLOCK_UNSPECIFIED,      /* ::/128 */
    V6P_BLOCK_LOOPBACK,         /* ::1/128 */
    V6P_BLOCK_IPV4_MAPPED,      /* ::ffff:0:0/96 */
    V6P_BLOCK_IPV4_COMPATIBLE,  /* ::/96 (deprecated) */
    V6P_BLOCK_NAT64,            /* 64:ff9b::/96 */
    V6P_BLOCK_NAT64_LOCAL,      /* 64:ff9b:1::/48 */
    V6P_BLOCK_DISCARD,          /* 100::/64 */
    V6P_BLOCK_DUMMY,            /* 100:0:0:1::/64 */
    V6P_BLOCK_IETF_PROTOCOL,    /* 2001::/23 (other sub-blocks) */
    V6P_BLOCK_TEREDO,           /* 2001::/32 */
    V6P_BLOCK_PCP_ANYCAST,      /* 2001:1::1/128 */
    V6P_BLOCK_TURN_ANYCAST,     /* 2001:1::2/128 */
    V6P_BLOCK_DNS_SD_ANYCAST,   /* 2001:1::3/128 */
    V6P_BLOCK_BENCHMARKING,     /* 2001:2::/48 */
    V6P_BLOCK_AMT,              /* 2001:3::/32 */
    V6P_BLOCK_AS112,            /* 2001:4:112::/48 */
    V6P_BLOCK_ORCHID,           /* 2001:10::/28 (deprecated) */
    V6P_BLOCK_ORCHIDV2,         /* 2001:20::/28 */
    V6P_BLOCK_DRONE_REMOTE_ID,  /* 2001:30::/28 */
    V6P_BLOCK_DOCUMENTATION,    /* 2001:db8::/32, 3fff::/20 */
    V6P_BLOCK_6TO4,             /* 2002::/16 */
    V6P_BLOCK_AS112_DELEGATION, /* 2620:4f:8000::/48 */
    V6P_BLOCK_SRV6_SID,         /* 5f00::/16 */
    V6P_BLOCK_ULA,              /* fc00::/7 */
    V6P_BLOCK_LINK_LOCAL,       /* fe80::/10 */
    V6P_BLOCK_SITE_LOCAL,       /* fec0::/10 (deprecated) */
    V6P_BLOCK_MULTICAST,        /* ff00::/8 */
    V6P_BLOCK_GLOBAL_UNICAST,   /* 2000::/3 otherwise */
    V6P_BLOCK_RESERVED,         /* IETF-reserved space outside 2000::/3 */
    V6P_BLOCK_IPV4,             /* an IPv4 event's address */
    V6P_BLOCK_COUNT_
} v6p_block;

/* Interface-identifier kinds (the low 64 bits). */
typedef enum v6p_iid_kind {
    V6P_IID_NONE = 0,
    V6P_IID_ZERO,               /* all zero: subnet-router anycast */
    V6P_IID_EUI64,              /* from a universal MAC (ff:fe in the middle) */
    V6P_IID_EUI64_LOCAL,        /* from a locally administered MAC */
    V6P_IID_ISATAP,             /* 0000:5efe or 0200:5efe + IPv4 */
    V6P_IID_EMBEDDED_IPV4,      /* ::a.b.c.d in the low 32 bits, top 32 zero
                                   (also the Akamai-style ::b81b:b286) */
    V6P_IID_EMBEDDED_IPV4_64,   /* ::a:b:c:d, each group a decimal octet */
    V6P_IID_EMBEDDED_IPV4_TAIL, /* random-looking high half, IPv4 in low 32 (CDN style);
                                   syntax alone cannot tell it from random, so
                                   v6p_addr_analyze() never assigns it */
    V6P_IID_PORT_EMBEDDED,      /* a service port in the low 16 bits */
    V6P_IID_LOW_BYTE,           /* ::1, ::2:1 … */
    V6P_IID_PATTERN,            /* repeated bytes, many zero bytes */
    V6P_IID_TEREDO,             /* Teredo client (RFC 4380 / RFC 5991 flags) */
    V6P_IID_RESERVED,           /* RFC 5453 reserved IIDs */
    V6P_IID_RANDOMIZED,         /* passes the randomness test */
    V6P_IID_UNCLASSIFIED,       /* none of the above, not random enough */
    V6P_IID_COUNT_
} v6p_iid_kind;

V6P_API const char *v6p_block_name(v6p_block b);
V6P_API const char *v6p_iid_kind_name(v6p_iid_kind k);

/* Scope values of RFC 4007 / RFC 7346 (the multicast scope field).  Unicast
 * addresses get the scope of their block: loopback 1, link-local 2, site-local
 * 5, everything else routable 14 (global; ULA included, as RFC 4193 says). */
enum {
    V6P_SCOPE_NONE = 0,
    V6P_SCOPE_INTERFACE = 1,
    V6P_SCOPE_LINK = 2,
    V6P_SCOPE_REALM = 3,
    V6P_SCOPE_ADMIN = 4,
    V6P_SCOPE_SITE = 5,
    V6P_SCOPE_ORGANIZATION = 8,
    V6P_SCOPE_GLOBAL = 14
};
/* "link_local", "global", … ; "scope_N" names do not exist: NULL for
 * unassigned values. */
V6P_API const char *v6p_scope_name(unsigned scope);

/* Teredo flag formats (RFC 4380 section 4, RFC 5991 section 2). */
typedef enum v6p_teredo_kind {
    V6P_TEREDO_NONE = 0,
    V6P_TEREDO_RFC4380, /* only the cone bit may be set */
    V6P_TEREDO_RFC5991, /* 12 random bits, R/U/G zero */
    V6P_TEREDO_UNKNOWN  /* neither */
} v6p_teredo_kind;

/* Where an embedded IPv4 address was found. */
typedef enum v6p_ipv4_origin {
    V6P_V4_NONE = 0,
    V6P_V4_MAPPED,     /* ::ffff:a.b.c.d */
    V6P_V4_COMPATIBLE, /* ::a.b.c.d */
    V6P_V4_NAT64,      /* 64:ff9b::a.b.c.d, 64:ff9b:1::/48 (last 32 bits) */
    V6P_V4_6TO4,       /* 2002:AABB:CCDD:: */
    V6P_V4_TEREDO,     /* the Teredo client (de-obfuscated) */
    V6P_V4_ISATAP,     /* ::5efe:a.b.c.d */
    V6P_V4_IID32,      /* IID ::a.b.c.d */
    V6P_V4_IID64       /* IID ::192:168:1:1 (decimal words) */
} v6p_ipv4_origin;

/* An IID whose randomness score is at least this is "randomized".  The score
 * is a p-value (see v6p_addr_info.randomness), so a truly random IID is
 * refused with this probability. */
#define V6P_RANDOM_MIN 0.005

/* Everything v6p_addr_analyze() finds in one address.  Caller-owned. */
typedef struct v6p_addr_info {
    v6p_block block;
    v6p_iid_kind iid;    /* V6P_IID_NONE when the block has no IID (multicast,
                            loopback, unspecified, IPv4-mapped/compatible) */
    uint8_t scope;       /* V6P_SCOPE_* */
    uint8_t mcast_flags; /* multicast: the 4 flag bits (R, P, T) */
    /* How random the IID's 16 nibbles look, in [0, 1]: the probability that
     * a uniformly random IID looks at least as patterned, by the worst of four
     * exact tests (distinct digits, equal neighbours, distinct neighbour
     * differences, share of letters a-f; Bonferroni-corrected).  A random IID
     * scores uniformly in [0, 1]; 0123456789abcdef or dead:beef:cafe:babe
     * score near 0.  0 when there is no IID. */
    double randomness;

    v6p_ipv4_origin ipv4_origin;
    struct in_addr ipv4;          /* network order */
    struct in_addr teredo_server; /* Teredo only */
    uint16_t teredo_port;         /* client port, de-obfuscated */
    uint16_t teredo_flags;
    v6p_teredo_kind teredo_kind;
    uint8_t mac[6];        /* EUI-64 kinds: the MAC (OUI = mac[0..2]) */
    uint16_t port;         /* V6P_IID_PORT_EMBEDDED: the service port */
    uint8_t port_reversed; /* port in the upper word (addr6 "port-rev") */
    /* Room for later members without changing the size (callers allocate
     * it); zero. */
    uint64_t reserved_[4];
} v6p_addr_info;

/* Analyse an IPv6 address.  Returns 0, or -1 when an argument is NULL.  No
 * allocation, no state: safe from any thread. */
V6P_API int v6p_addr_analyze(const struct in6_addr *a, v6p_addr_info *info);

/* Only the block (cheaper; no IID work). */
V6P_API v6p_block v6p_addr_block(const struct in6_addr *a);

/* Set src_block/dest_block and src_iid/dest_iid on an event from its
 * addresses (the tagger to use when no temporary-address tracker is set up).
 * IPv4 events get block "ipv4" and no IID.  Returns 0, -1 on NULL. */
V6P_API int v6p_addr_tag(v6p_event *ev);

#ifdef __cplusplus
}
#endif
#endif
