/* What the two pf formats (tcpdump's pflog text, pfSense/OPNsense filterlog)
 * share: the mapping of pf's action and direction words to the schema, and
 * where the interface goes.
 *
 * pf states its own verdict, so action and direction are set here and the
 * prefix patterns of parser.c never override them:
 *   pass → allowed; block, synproxy-drop → blocked; every other word (match,
 *   scrub, nat, binat, rdr, their no- forms, unkn(N)) → unknown, because
 *   those rules log a packet without deciding its fate.  The word itself is
 *   kept in pf_action.
 *   in → inbound, out → outbound, fwd → forward; in/out and unknown words →
 *   unknown.
 * The interface is the packet's way in for `in` (src_interface) and its way
 * out for `out` (dest_interface); for any other direction pf only says the
 * rule matched on that interface, which we record as src_interface. */
#ifndef V6PI_PF_H
#define V6PI_PF_H

#include <string.h>

#include "field.h"

static inline int v6pi_pf_word(const char *p, size_t n, const char *lit)
{
    size_t ln = strlen(lit);
    return n == ln && memcmp(p, lit, ln) == 0;
}

static inline v6p_action v6pi_pf_action(const char *p, size_t n)
{
    if (v6pi_pf_word(p, n, "pass"))
        return V6P_ACTION_ALLOWED;
    if (v6pi_pf_word(p, n, "block") || v6pi_pf_word(p, n, "synproxy-drop"))
        return V6P_ACTION_BLOCKED;
    return V6P_ACTION_UNKNOWN;
}

static inline v6p_direction v6pi_pf_direction(const char *p, size_t n)
{
    if (v6pi_pf_word(p, n, "in"))
        return V6P_DIR_INBOUND;
    if (v6pi_pf_word(p, n, "out"))
        return V6P_DIR_OUTBOUND;
    if (v6pi_pf_word(p, n, "fwd"))
        return V6P_DIR_FORWARD;
    return V6P_DIR_UNKNOWN;
}

/* Sets action, pf_action, direction and the interface. */
static inline v6p_reason v6pi_pf_verdict(v6p_event *ev, const char *act, size_t actn,
                                         const char *dir, size_t dirn, const char *ifp, size_t ifn)
{
    v6p_reason r;
    v6p_direction d = v6pi_pf_direction(dir, dirn);
    if ((r = v6pi_set_span(ev, V6P_F_PF_ACTION, act, actn)))
        return r;
    ev->action = v6pi_pf_action(act, actn);
    v6p_event_mark(ev, V6P_F_ACTION);
    ev->direction = d;
    v6p_event_mark(ev, V6P_F_DIRECTION);
    ev->hook = d == V6P_DIR_INBOUND    ? V6P_HOOK_PF_IN
               : d == V6P_DIR_OUTBOUND ? V6P_HOOK_PF_OUT
               : d == V6P_DIR_FORWARD  ? V6P_HOOK_PF_FWD
                                       : V6P_HOOK_UNKNOWN;
    if (ev->hook != V6P_HOOK_UNKNOWN)
        v6p_event_mark(ev, V6P_F_HOOK);
    return v6pi_set_span(ev, d == V6P_DIR_OUTBOUND ? V6P_F_DEST_INTERFACE : V6P_F_SRC_INTERFACE,
                         ifp, ifn);
}

/* TCP flags written as letters, one per flag: filterlog writes
 * `FSRPAUEC` (CWR also as W), tcpdump `FSRP.UEWe` ('.' for ACK, 'e' for
 * the AE bit).  Each letter sets its bit through the field writer, so a
 * letter given twice is refused there. */
static inline v6p_reason v6pi_pf_tcp_flags(v6p_event *ev, const char *p, size_t n, int tcpdump)
{
    for (size_t i = 0; i < n; i++) {
        unsigned bit;
        switch (p[i]) {
        case 'F':
            bit = V6P_TCP_FIN;
            break;
        case 'S':
            bit = V6P_TCP_SYN;
            break;
        case 'R':
            bit = V6P_TCP_RST;
            break;
        case 'P':
            bit = V6P_TCP_PSH;
            break;
        case 'U':
            bit = V6P_TCP_URG;
            break;
        case 'E':
            bit = V6P_TCP_ECE;
            break;
        case 'W':
            bit = V6P_TCP_CWR;
            break;
        case '.':
            bit = tcpdump ? V6P_TCP_ACK : 0;
            break;
        case 'A':
            bit = tcpdump ? 0 : V6P_TCP_ACK;
            break;
        case 'C':
            bit = tcpdump ? 0 : V6P_TCP_CWR;
            break;
        case 'e':
            bit = tcpdump ? V6P_TCP_AE : 0;
            break;
        default:
            bit = 0;
            break;
        }
        if (!bit)
            return V6P_R_UNEXPECTED_TOKEN;
        v6p_reason r = v6pi_set_flag(ev, V6P_F_TCP_FLAG, bit);
        if (r)
            return r;
    }
    return V6P_R_NONE;
}

#endif
