/* The normalized firewall event: one per parsed log line.
 *
 * An event is a plain caller-owned struct.  Text fields are spans that point
 * into the line that was parsed (no copies), so an event is valid only while
 * that line's buffer is.  Which fields are set is recorded in a presence
 * bitmap; a field that is not present is omitted from JSON, never null.
 *
 * Threads: an event belongs to its caller; the functions here keep no
 * state and are safe from any thread.
 */
#ifndef IPV6PROBE_EVENT_H
#define IPV6PROBE_EVENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum v6p_format {
    V6P_FORMAT_NONE = 0,
    V6P_FORMAT_IPTABLES, /* linux:iptables */
    V6P_FORMAT_NFTABLES, /* linux:nftables */
    V6P_FORMAT_PFLOG,    /* pf:pflog (tcpdump text) */
    V6P_FORMAT_FILTERLOG /* pf:filterlog (pfSense/OPNsense CSV) */
} v6p_format;

typedef enum v6p_action {
    V6P_ACTION_UNKNOWN = 0,
    V6P_ACTION_BLOCKED,
    V6P_ACTION_ALLOWED
} v6p_action;

/* `direction`.  Without a site description (internal prefixes or
 * interfaces, see site.h) it is the device's own view, as `hook` shows it:
 * inbound, outbound or forward.  With one it is relative to the site:
 * inbound (outside to inside), outbound (inside to outside), lateral
 * (inside to inside) or unknown. */
typedef enum v6p_direction {
    V6P_DIR_UNKNOWN = 0,
    V6P_DIR_INBOUND,
    V6P_DIR_OUTBOUND,
    V6P_DIR_FORWARD,
    V6P_DIR_LATERAL
} v6p_direction;

/* `hook`: where the device saw the packet.  netfilter: input (only IN=),
 * output (only OUT=), forward (both); pf: its own words in, out, fwd. */
typedef enum v6p_hook {
    V6P_HOOK_UNKNOWN = 0,
    V6P_HOOK_INPUT,
    V6P_HOOK_OUTPUT,
    V6P_HOOK_FORWARD,
    V6P_HOOK_PF_IN,
    V6P_HOOK_PF_OUT,
    V6P_HOOK_PF_FWD
} v6p_hook;

/* TCP flags, in the kernel's print order. */
enum {
    V6P_TCP_FIN = 1u << 0,
    V6P_TCP_SYN = 1u << 1,
    V6P_TCP_RST = 1u << 2,
    V6P_TCP_PSH = 1u << 3,
    V6P_TCP_ACK = 1u << 4,
    V6P_TCP_URG = 1u << 5,
    V6P_TCP_ECE = 1u << 6,
    V6P_TCP_CWR = 1u << 7,
    V6P_TCP_AE = 1u << 8
};

/* IPv4 header flags (IPv4 lines only). */
enum { V6P_IP_CE = 1u << 0, V6P_IP_DF = 1u << 1, V6P_IP_MF = 1u << 2 };

/* Tag bits: every tag that fired, for quick filters (`tags` in JSON). */
enum {
    V6P_TAG_HOP_LADDER = 1u << 0,
    V6P_TAG_PE_TARGET = 1u << 1,
    V6P_TAG_PORT_SCAN = 1u << 2,
    V6P_TAG_ADDRESS_SWEEP = 1u << 3,
    V6P_TAG_PE_TARGETED = 1u << 4,
    V6P_TAG_REPEAT_VISIT = 1u << 5,
    V6P_TAG_KNOWN_SCANNER = 1u << 6,
    V6P_TAG_PE_SOURCE = 1u << 7
};
/* src_behavior bits share the V6P_TAG_ values of the behaviours. */

/* Field identifiers: one per JSON key.  The numbers are fixed: a program
 * built against these headers keeps them, so a new field takes the next
 * number (after the last one, before V6P_F_COUNT_) and no number is ever
 * reused.  The order of keys in JSON output is a separate table (field.c).
 * Adding a field means adding it here, to the struct below (from its
 * reserved tail) and to the tables in field.c; nothing else. */
typedef enum v6p_field {
    V6P_F_TIME = 0,
    V6P_F_DVC = 1,
    V6P_F_VENDOR_PRODUCT = 2,
    V6P_F_RULE = 3,
    V6P_F_ACTION = 4,
    V6P_F_DIRECTION = 5,
    V6P_F_HOOK = 6,
    V6P_F_SRC_ZONE = 7, /* from a front-end's log prefix (Shorewall, firewalld, OpenWrt) */
    V6P_F_DEST_ZONE = 8,
    V6P_F_SRC_INTERFACE = 9,
    V6P_F_DEST_INTERFACE = 10,
    V6P_F_SRC_PHYS_INTERFACE = 11,
    V6P_F_DEST_PHYS_INTERFACE = 12,
    V6P_F_SRC_MAC = 13,
    V6P_F_DEST_MAC = 14,
    V6P_F_ETHER_TYPE = 15,
    V6P_F_VLAN_ID = 16,
    V6P_F_TUNNEL_SRC = 17,
    V6P_F_TUNNEL_DEST = 18,
    V6P_F_PROTOCOL_VERSION = 19,
    V6P_F_SRC = 20,
    V6P_F_DEST = 21,
    V6P_F_TRANSPORT = 22, /* derived from protocol_number; presence = number known */
    V6P_F_PROTOCOL_NUMBER = 23,
    V6P_F_SRC_PORT = 24,
    V6P_F_DEST_PORT = 25,
    V6P_F_ICMP_TYPE = 26,
    V6P_F_ICMP_CODE = 27,
    V6P_F_ICMP_ID = 28,
    V6P_F_ICMP_SEQ = 29,
    V6P_F_ICMP_MTU = 30,
    V6P_F_ICMP_POINTER = 31,
    V6P_F_HOP_LIMIT = 32,
    V6P_F_FLOW_LABEL = 33,
    V6P_F_TRAFFIC_CLASS = 34,
    V6P_F_BYTES = 35,
    V6P_F_TRANSPORT_LENGTH = 36,
    V6P_F_IP_ID = 37,
    V6P_F_IP_FLAG = 38,
    V6P_F_FRAG_OFFSET = 39,
    V6P_F_FRAG_MORE = 40,
    V6P_F_FRAG_ID = 41,
    V6P_F_TCP_FLAG = 42,
    V6P_F_TCP_SEQ = 43,
    V6P_F_TCP_ACK = 44,
    V6P_F_TCP_WINDOW = 45,
    V6P_F_TCP_RES = 46,
    V6P_F_TCP_URGP = 47,
    V6P_F_TCP_OPTIONS = 48,
    V6P_F_UID = 49,
    V6P_F_GID = 50,
    V6P_F_MARK = 51,
    V6P_F_INNER_SRC = 52,
    V6P_F_INNER_DEST = 53,
    V6P_F_INNER_TRANSPORT = 54,
    V6P_F_INNER_PROTOCOL_NUMBER = 55,
    V6P_F_INNER_SRC_PORT = 56,
    V6P_F_INNER_DEST_PORT = 57,
    V6P_F_INNER_HOP_LIMIT = 58,
    V6P_F_INNER_ICMP_TYPE = 59,
    V6P_F_INNER_ICMP_ID = 60,
    V6P_F_INNER_ICMP_SEQ = 61,
    V6P_F_PF_REASON = 62,
    V6P_F_PF_ANCHOR = 63,
    V6P_F_PF_LABEL = 64,
    V6P_F_PF_SUBRULE = 65,
    V6P_F_PF_ACTION = 66, /* pf's own action word (pass, block, match, rdr…) */
    /* Tag fields, filled by taggers after parsing. */
    V6P_F_SRC_BLOCK = 67,
    V6P_F_DEST_BLOCK = 68,
    V6P_F_SRC_IID = 69,
    V6P_F_DEST_IID = 70,
    V6P_F_SRC_PE = 71,
    V6P_F_DEST_PE = 72,
    V6P_F_DEST_PE_CONFIDENCE = 73,
    V6P_F_DEST_AGE = 74,
    V6P_F_SRC_ORG = 75,
    V6P_F_SRC_CATEGORY = 76,
    V6P_F_SRC_ASN = 77,
    V6P_F_SRC_AS_ORG = 78,
    V6P_F_SRC_BEHAVIOR = 79,
    V6P_F_LADDER_ID = 80,
    V6P_F_LADDER_RUNG = 81,
    V6P_F_LADDER_RUNGS = 82,
    V6P_F_LADDER_REPEAT = 83,
    V6P_F_PACKET_ID = 84,    /* one packet, however many lines logged it (dedupe.h) */
    V6P_F_DUPLICATE_OF = 85, /* on a repeat: the packet_id of the first line */
    V6P_F_TAGS = 86,
    V6P_F_COUNT_ = 87, /* fields these headers know; grows */
    V6P_F_NONE = -1    /* no such field */
} v6p_field;

/* Words of the presence bitmap: fixed, room for 256 fields, so that adding
 * fields changes neither the event's size nor v6p_event_has(). */
#define V6P_FIELD_WORDS 4

/* The IP header part, shared by the event and the packet quoted inside an
 * ICMPv6 error (the `inner_*` fields). */
typedef struct v6p_event {
    uint64_t present[V6P_FIELD_WORDS];

    int64_t time_sec; /* epoch seconds (UTC) */
    uint32_t time_usec;
    v6p_span dvc;
    v6p_format format;
    v6p_span rule;
    v6p_action action;
    v6p_direction direction;
    v6p_hook hook;
    v6p_span src_zone, dest_zone;
    v6p_span src_interface, dest_interface;
    v6p_span src_phys_interface, dest_phys_interface;
    uint8_t src_mac[6], dest_mac[6];
    uint16_t ether_type;
    uint16_t vlan_id;
    struct in_addr tunnel_src, tunnel_dest;

    uint8_t protocol_version; /* 4 or 6 */
    /* IPv4 addresses are held as IPv4-mapped IPv6 (::ffff:a.b.c.d) and printed
     * dotted-quad when protocol_version is 4. */
    struct in6_addr src, dest;
    uint8_t protocol_number;
    uint16_t src_port, dest_port;
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    uint32_t icmp_mtu, icmp_pointer;
    uint8_t hop_limit; /* IPv4: TTL */
    uint32_t flow_label;
    uint8_t traffic_class; /* IPv4: TOS */
    uint32_t bytes;        /* whole packet length as logged */
    uint32_t transport_length;
    uint32_t ip_id;
    uint8_t ip_flags; /* V6P_IP_* */
    uint32_t frag_offset;
    bool frag_more;
    uint32_t frag_id;
    uint16_t tcp_flags; /* V6P_TCP_* */
    uint32_t tcp_seq, tcp_ack;
    uint32_t tcp_window;
    uint8_t tcp_res;
    uint32_t tcp_urgp;
    v6p_span tcp_options;
    uint32_t uid, gid;
    uint32_t mark;

    struct in6_addr inner_src, inner_dest;
    uint8_t inner_protocol_number;
    uint16_t inner_src_port, inner_dest_port;
    uint8_t inner_hop_limit;
    uint8_t inner_icmp_type;
    uint16_t inner_icmp_id, inner_icmp_seq;

    v6p_span pf_reason, pf_anchor, pf_label;
    uint32_t pf_subrule;
    v6p_span pf_action;

    /* Tags (see the address, tracker and classification headers). */
    uint8_t src_block, dest_block; /* enum v6p_block */
    uint8_t src_iid, dest_iid;     /* enum v6p_iid_kind */
    bool src_pe, dest_pe;
    double dest_pe_confidence;
    int64_t dest_age; /* seconds since the destination was first seen */
    const char *src_org, *src_category, *src_as_org; /* owned by their table */
    uint32_t src_asn;
    uint32_t src_behavior; /* V6P_TAG_* behaviour bits */
    uint64_t ladder_id;
    uint32_t ladder_rung, ladder_rungs, ladder_repeat;
    uint64_t packet_id, duplicate_of; /* below 2^53: exact as a JSON number */
    uint32_t tags;                    /* V6P_TAG_* */

    /* Room for members of fields added later: a new member is taken from
     * here, so that the size of the event and the place of every member
     * stay as they are.  Zero; never read it. */
    uint64_t reserved_[22];
} v6p_event;

/* Clear an event for reuse. */
V6P_API void v6p_event_reset(v6p_event *ev);

static inline bool v6p_event_has(const v6p_event *ev, v6p_field f)
{
    return (ev->present[f / 64] >> (f % 64)) & 1u;
}

/* Mark a field set by a tagger (parsers use the checked writer instead:
 * v6p_event_set_* in parse.h). */
static inline void v6p_event_mark(v6p_event *ev, v6p_field f)
{
    ev->present[f / 64] |= (uint64_t)1 << (f % 64);
}

static inline void v6p_event_unmark(v6p_event *ev, v6p_field f)
{
    ev->present[f / 64] &= ~((uint64_t)1 << (f % 64));
}

/* JSON key of a field, e.g. "hop_limit". */
V6P_API const char *v6p_field_name(v6p_field f);
/* Look a field up by its JSON key; returns V6P_F_NONE when unknown. */
V6P_API v6p_field v6p_field_by_name(const char *name, size_t len);

V6P_API const char *v6p_format_name(v6p_format f); /* "linux:iptables" … */
V6P_API const char *v6p_action_name(v6p_action a); /* "blocked" … */
V6P_API const char *v6p_direction_name(v6p_direction d);
V6P_API const char *v6p_hook_name(v6p_hook h); /* "input" … */

/* True when the event repeats a packet already seen (v6p_dedupe_mark set
 * duplicate_of): trackers, ladder rungs and the correlator skip it. */
static inline bool v6p_event_is_duplicate(const v6p_event *ev)
{
    return v6p_event_has(ev, V6P_F_DUPLICATE_OF);
}
/* "tcp", "udp", "icmpv6", … or NULL when the number has no name here. */
V6P_API const char *v6p_transport_name(uint8_t protocol_number, uint8_t protocol_version);
/* Name of a single tag bit, e.g. "hop_ladder". */
V6P_API const char *v6p_tag_name(uint32_t tag_bit);

#ifdef __cplusplus
}
#endif
#endif
