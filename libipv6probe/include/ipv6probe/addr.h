/* Address analysis: which registry block an IPv6 address is in, and what kind
 * of interface identifier (IID) it carries. */
#ifndef IPV6PROBE_ADDR_H
#define IPV6PROBE_ADDR_H

#include <netinet/in.h>
#include <stdint.h>

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
    V6P_IID_ZERO,                  /* all zero: subnet-router anycast */
    V6P_IID_EUI64,                 /* from a universal MAC (ff:fe in the middle) */
    V6P_IID_EUI64_LOCAL,           /* from a locally administered MAC */
    V6P_IID_ISATAP,                /* 0000:5efe or 0200:5efe + IPv4 */
    V6P_IID_EMBEDDED_IPV4,         /* ::a.b.c.d in the low 32 bits, top 32 zero */
    V6P_IID_EMBEDDED_IPV4_64,      /* ::a:b:c:d, each group a decimal octet */
    V6P_IID_EMBEDDED_IPV4_TAIL,    /* random-looking high half, IPv4 in low 32 (CDN style) */
    V6P_IID_PORT_EMBEDDED,         /* a service port in the low 16 bits */
    V6P_IID_LOW_BYTE,              /* ::1, ::2:1 … */
    V6P_IID_PATTERN,               /* repeated bytes, many zero bytes */
    V6P_IID_TEREDO,                /* Teredo client (RFC 4380 / RFC 5991 flags) */
    V6P_IID_RESERVED,              /* RFC 5453 reserved IIDs */
    V6P_IID_RANDOMIZED,            /* passes the randomness test */
    V6P_IID_UNCLASSIFIED,          /* none of the above, not random enough */
    V6P_IID_COUNT_
} v6p_iid_kind;

const char *v6p_block_name(v6p_block b);
const char *v6p_iid_kind_name(v6p_iid_kind k);

#ifdef __cplusplus
}
#endif
#endif
