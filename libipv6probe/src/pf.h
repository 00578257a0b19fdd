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
#ifndef V6P_PF_H
#define V6P_PF_H

#include <string.h>

#include "field.h"

static inline int v6p_pf_word(const char *p, size_t n, const char *lit)
{
    size_t ln = strlen(lit);
    return n == ln && memcmp(p, lit, ln) == 0;
}

static inline v6p_action v6p_pf_action(const char *p, size_t n)
{
    if (v6p_pf_word(p, n, "pass"))
        return V6P_ACTION_ALLOWED;
    if (v6p_pf_word(p, n, "block") || v6p_pf_word(p, n, "synproxy-drop"))
        return V6P_ACTION_BLOCKED;
    return V6P_ACTION_UNKNOWN;
}

static inline v6p_direction v6p_pf_direction(const char *p, size_t n)
{
    if (v6p_pf_word(p, n, "in"))
        return V6P_DIR_INBOUND;
    if (v6p_pf_word(p, n, "out"))
        return V6P_DIR_OUTBOUND;
    if (v6p_pf_word(p, n, "fwd"))
        return V6P_DIR_FORWARD;
    return V6P_DIR_UNKNOWN;
}

/* Sets action, pf_action, direction and the interface. */
static inline v6p_reason v6p_pf_verdict(v6p_event *ev, const char *act, size_t actn,
                                        const char *dir, size_t dirn, const char *ifp, size_t ifn)
{
    v6p_reason r;
    v6p_direction d = v6p_pf_direction(dir, dirn);
    if ((r = v6p_set_span(ev, V6P_F_PF_ACTION, act, actn)))
        return r;
    ev->action = v6p_pf_action(act, actn);
    v6p_event_mark(ev, V6P_F_ACTION);
    ev->direction = d;
    v6p_event_mark(ev, V6P_F_DIRECTION);
    return v6p_set_span(ev, d == V6P_DIR_OUTBOUND ? V6P_F_DEST_INTERFACE : V6P_F_SRC_INTERFACE, ifp,
                        ifn);
}

#endif
