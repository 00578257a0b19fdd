/* Origin AS from a MaxMind-format ASN database (GeoLite2-ASN, or any
 * database with autonomous_system_number / autonomous_system_organization).
 *
 * Optional: without libmaxminddb at build time every call says ENOTSUP, and
 * events simply carry no src_asn / src_as_org; nothing is guessed. */
#include "error.h"
#include "asn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef V6P_HAVE_MAXMINDDB
#include <arpa/inet.h>
#include <maxminddb.h>

struct v6pi_asn {
    MMDB_s db;
    char org[256];   /* the last lookup's organisation, NUL-terminated */
    uint64_t errors; /* lookups the database could not answer (corrupt data) */
};

v6pi_asn *v6pi_asn_open(const char *path, v6p_error *err)
{
    v6pi_asn *a = calloc(1, sizeof(*a));
    if (!a) {
        v6pi_error_set(err, ENOMEM, "out of memory");
        return NULL;
    }
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &a->db);
    if (rc != MMDB_SUCCESS) {
        /* A file that cannot be opened or read says why (ENOENT, EACCES);
         * one that opens but is not a database is EINVAL. */
        int sys = rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR;
        int code = sys ? (errno ? errno : EIO) : EINVAL;
        v6pi_error_set(err, code, "%s: %s", path, MMDB_strerror(rc));
        free(a);
        return NULL;
    }
    return a;
}

void v6pi_asn_close(v6pi_asn *a)
{
    if (!a)
        return;
    MMDB_close(&a->db);
    free(a);
}

int v6pi_asn_lookup(v6pi_asn *a, const struct in6_addr *addr, int v4, uint32_t *asn,
                    const char **org)
{
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    const struct sockaddr *sa;
    if (v4) {
        memset(&s4, 0, sizeof(s4));
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, addr->s6_addr + 12, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        memset(&s6, 0, sizeof(s6));
        s6.sin6_family = AF_INET6;
        s6.sin6_addr = *addr;
        sa = (const struct sockaddr *)&s6;
    }
    int mmerr = 0;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&a->db, sa, &mmerr);
    if (mmerr != MMDB_SUCCESS) {
        a->errors++; /* a damaged search tree: counted, never guessed around */
        return 0;
    }
    if (!r.found_entry)
        return 0;
    MMDB_entry_data_s d;
    int rc = MMDB_get_value(&r.entry, &d, "autonomous_system_number", NULL);
    if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        a->errors++;
    if (rc != MMDB_SUCCESS || !d.has_data)
        return 0;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT32:
        *asn = d.uint32;
        break;
    case MMDB_DATA_TYPE_UINT16:
        *asn = d.uint16;
        break;
    case MMDB_DATA_TYPE_INT32:
        *asn = (uint32_t)d.int32;
        break;
    case MMDB_DATA_TYPE_UINT64:
        *asn = (uint32_t)d.uint64;
        break;
    default:
        return 0;
    }
    *org = NULL;
    if (MMDB_get_value(&r.entry, &d, "autonomous_system_organization", NULL) == MMDB_SUCCESS &&
        d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
        size_t n = d.data_size < sizeof(a->org) - 1 ? d.data_size : sizeof(a->org) - 1;
        memcpy(a->org, d.utf8_string, n);
        a->org[n] = '\0';
        *org = a->org;
    }
    return 1;
}

uint64_t v6pi_asn_errors(const v6pi_asn *a)
{
    return a ? a->errors : 0;
}

#else

struct v6pi_asn {
    int unused;
};

v6pi_asn *v6pi_asn_open(const char *path, v6p_error *err)
{
    v6pi_error_set(err, ENOTSUP, "%s: this build has no libmaxminddb support", path);
    return NULL;
}

void v6pi_asn_close(v6pi_asn *a)
{
    (void)a;
}

int v6pi_asn_lookup(v6pi_asn *a, const struct in6_addr *addr, int v4, uint32_t *asn,
                    const char **org)
{
    (void)a, (void)addr, (void)v4, (void)asn, (void)org;
    return 0;
}

uint64_t v6pi_asn_errors(const v6pi_asn *a)
{
    (void)a;
    return 0;
}

#endif
