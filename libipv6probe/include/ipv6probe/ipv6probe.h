/* libipv6probe: firewall log lines in, normalized and tagged IPv6 events out. */
#ifndef IPV6PROBE_H
#define IPV6PROBE_H

#include "common.h"
#include "event.h"
#include "parse.h"
#include "json.h"
#include "addr.h"
#include "pe.h"
#include "site.h"
#include "dedupe.h"
#include "taggers.h"
#include "harvest.h"
#include "chain.h"
#include "version.h"

#endif
