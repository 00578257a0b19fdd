/* Names of address blocks and IID kinds, as they appear in JSON. */
#include "ipv6probe/addr.h"

#include <stddef.h>

const char *v6p_block_name(v6p_block b)
{
    static const char *const names[V6P_BLOCK_COUNT_] = {
        [V6P_BLOCK_NONE] = NULL,
        [V6P_BLOCK_UNSPECIFIED] = "unspecified",
        [V6P_BLOCK_LOOPBACK] = "loopback",
        [V6P_BLOCK_IPV4_MAPPED] = "ipv4_mapped",
        [V6P_BLOCK_IPV4_COMPATIBLE] = "ipv4_compatible",
        [V6P_BLOCK_NAT64] = "nat64",
        [V6P_BLOCK_NAT64_LOCAL] = "nat64_local",
        [V6P_BLOCK_DISCARD] = "discard",
        [V6P_BLOCK_DUMMY] = "dummy",
        [V6P_BLOCK_IETF_PROTOCOL] = "ietf_protocol",
        [V6P_BLOCK_TEREDO] = "teredo",
        [V6P_BLOCK_PCP_ANYCAST] = "pcp_anycast",
        [V6P_BLOCK_TURN_ANYCAST] = "turn_anycast",
        [V6P_BLOCK_DNS_SD_ANYCAST] = "dns_sd_anycast",
        [V6P_BLOCK_BENCHMARKING] = "benchmarking",
        [V6P_BLOCK_AMT] = "amt",
        [V6P_BLOCK_AS112] = "as112",
        [V6P_BLOCK_ORCHID] = "orchid",
        [V6P_BLOCK_ORCHIDV2] = "orchidv2",
        [V6P_BLOCK_DRONE_REMOTE_ID] = "drone_remote_id",
        [V6P_BLOCK_DOCUMENTATION] = "documentation",
        [V6P_BLOCK_6TO4] = "6to4",
        [V6P_BLOCK_AS112_DELEGATION] = "as112_delegation",
        [V6P_BLOCK_SRV6_SID] = "srv6_sid",
        [V6P_BLOCK_ULA] = "ula",
        [V6P_BLOCK_LINK_LOCAL] = "link_local",
        [V6P_BLOCK_SITE_LOCAL] = "site_local",
        [V6P_BLOCK_MULTICAST] = "multicast",
        [V6P_BLOCK_GLOBAL_UNICAST] = "global_unicast",
        [V6P_BLOCK_RESERVED] = "reserved",
        [V6P_BLOCK_IPV4] = "ipv4",
    };
    return (unsigned)b < V6P_BLOCK_COUNT_ ? names[b] : NULL;
}

const char *v6p_iid_kind_name(v6p_iid_kind k)
{
    static const char *const names[V6P_IID_COUNT_] = {
        [V6P_IID_NONE] = NULL,
        [V6P_IID_ZERO] = "zero",
        [V6P_IID_EUI64] = "eui64",
        [V6P_IID_EUI64_LOCAL] = "eui64_local",
        [V6P_IID_ISATAP] = "isatap",
        [V6P_IID_EMBEDDED_IPV4] = "embedded_ipv4",
        [V6P_IID_EMBEDDED_IPV4_64] = "embedded_ipv4_64",
        [V6P_IID_EMBEDDED_IPV4_TAIL] = "embedded_ipv4_tail",
        [V6P_IID_PORT_EMBEDDED] = "port_embedded",
        [V6P_IID_LOW_BYTE] = "low_byte",
        [V6P_IID_PATTERN] = "pattern",
        [V6P_IID_TEREDO] = "teredo",
        [V6P_IID_RESERVED] = "reserved",
        [V6P_IID_RANDOMIZED] = "randomized",
        [V6P_IID_UNCLASSIFIED] = "unclassified",
    };
    return (unsigned)k < V6P_IID_COUNT_ ? names[k] : NULL;
}
