/* IP protocol numbers: <netinet/in.h> names most of them (IPPROTO_TCP,
 * IPPROTO_ICMPV6, ...); these are the IANA numbers it leaves out. */
#ifndef V6PI_PROTO_H
#define V6PI_PROTO_H

#include <netinet/in.h>

#define V6PI_IPPROTO_OSPF 89   /* OSPFIGP */
#define V6PI_IPPROTO_VRRP 112  /* VRRP; CARP uses the same number */
#define V6PI_IPPROTO_HIP 139   /* Host Identity Protocol (an IPv6 extension header) */
#define V6PI_IPPROTO_SHIM6 140 /* Shim6 (an IPv6 extension header) */

#endif
