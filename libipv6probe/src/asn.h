/* Origin AS lookups in a MaxMind-format database (library-internal). */
#ifndef V6PI_ASN_H
#define V6PI_ASN_H

#include <netinet/in.h>
#include <stdint.h>

#include "ipv6probe/parse.h"

typedef struct v6pi_asn v6pi_asn;

/* NULL with err set: ENOTSUP when built without libmaxminddb, EINVAL for a
 * file that is not a MaxMind database, or the errno of the open. */
v6pi_asn *v6pi_asn_open(const char *path, v6p_error *err);
void v6pi_asn_close(v6pi_asn *a);

/* 1 when the database has a record with an AS number for the address (the
 * organisation may be NULL; it stays valid for the next V6PI_ASN_ORGS - 1
 * lookups, so that each event of a batch has its own), else 0. */
#define V6PI_ASN_ORGS 256
int v6pi_asn_lookup(v6pi_asn *a, const struct in6_addr *addr, int v4, uint32_t *asn,
                    const char **org);

/* Lookups the database failed to answer (a damaged file). */
uint64_t v6pi_asn_errors(const v6pi_asn *a);

#endif
