/* Zones named by the log prefixes of common Linux firewall front-ends. */
#ifndef V6PI_FRONTEND_H
#define V6PI_FRONTEND_H

#include "ipv6probe/event.h"

/* Read src_zone / dest_zone from ev->rule where the prefix follows one of
 * these conventions (nothing is set otherwise):
 *   Shorewall   `Shorewall:net-fw:DROP`, `Shorewall:loc2net:REJECT`, and
 *               `net-fw DROP` (Debian's LOGFORMAT "%s %s ")
 *   firewalld   `filter_IN_public_REJECT`, `filter_FWDO_dmz_DROP`
 *   OpenWrt     `reject wan in`, `drop wan out`, `drop lan forward`
 * The action comes from the prefix patterns as for any prefix. */
void v6pi_frontend_zones(v6p_event *ev);

#endif
