/* Unit tests of asn.c: origin-AS lookups in a real MaxMind-format database,
 * written here by mkmmdb.pl (Debian's libmaxmind-db-writer-perl) in the
 * GeoLite2-ASN layout.  IPv6, IPv4 and IPv4-mapped sources; the most
 * specific network; a long organisation name cut, not overrun; a missing,
 * a foreign, a truncated and a damaged file.
 *
 *   test_asn [MKMMDB.PL]    (the build's copy by default; exit 77 when
 *                            perl's MaxMind::DB::Writer is missing; without
 *                            libmaxminddb only ENOTSUP is checked) */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "asn.h"

#define SKIP 77

static char dir[] = "/tmp/v6p-asn-XXXXXX";
static char good[256], foreign[256], truncated[256], damaged[256];
static char long_org[301];

/* Networks of the test database: "prefix asn organisation". */
static void write_networks(FILE *f)
{
    fprintf(f,
            "2001:db8:a::/48 64500 EXAMPLE-A\n"
            "2001:db8:a:b::/64 64502 EXAMPLE-A-SUB\n"
            "3fff:100::/24 64503 %s\n"
            "192.0.2.0/24 64501 EXAMPLE-V4\n"
            "198.51.100.0/25 4200000001 EXAMPLE-32BIT\n",
            long_org);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* The database, and the broken files made from it. */
static int make_files(const char *mkmmdb)
{
    if (system("perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null") != 0) {
        printf("SKIP: perl MaxMind::DB::Writer (libmaxmind-db-writer-perl) is not installed\n");
        return SKIP;
    }
    if (!mkdtemp(dir))
        return 1;
    memset(long_org, 'O', sizeof(long_org) - 1);
    snprintf(good, sizeof(good), "%s/asn.mmdb", dir);
    snprintf(foreign, sizeof(foreign), "%s/foreign.mmdb", dir);
    snprintf(truncated, sizeof(truncated), "%s/truncated.mmdb", dir);
    snprintf(damaged, sizeof(damaged), "%s/damaged.mmdb", dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "perl '%s' '%s'", mkmmdb, good);
    FILE *p = popen(cmd, "w");
    if (!p)
        return 1;
    write_networks(p);
    if (pclose(p) != 0) {
        printf("FAIL: %s did not write the database\n", mkmmdb);
        return 1;
    }
    return 0;
}

static void remove_files(void)
{
    unlink(good);
    unlink(foreign);
    unlink(truncated);
    unlink(damaged);
    rmdir(dir);
}

/* Look text up (v4: as an IPv4 address, text being a.b.c.d). */
static int lookup(v6pi_asn *a, const char *text, int v4, uint32_t *asn, const char **org)
{
    struct in6_addr addr;
    if (v4) {
        char mapped[64];
        snprintf(mapped, sizeof(mapped), "::ffff:%s", text);
        assert_int_equal(inet_pton(AF_INET6, mapped, &addr), 1);
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, &addr), 1);
    }
    *asn = 0;
    *org = "untouched";
    return v6pi_asn_lookup(a, &addr, v4, asn, org);
}

static void expect(v6pi_asn *a, const char *text, int v4, uint32_t want_asn, const char *want_org)
{
    uint32_t asn;
    const char *org;
    int found = lookup(a, text, v4, &asn, &org);
    if (!want_org) {
        if (found)
            fail_msg("%s: AS%u found, want none", text, asn);
        return;
    }
    if (!found)
        fail_msg("%s: not found, want AS%u", text, want_asn);
    assert_int_equal(asn, want_asn);
    assert_non_null(org);
    assert_string_equal(org, want_org);
}

static v6pi_asn *open_good(void)
{
    v6p_error err;
    memset(&err, 0, sizeof(err));
    v6pi_asn *a = v6pi_asn_open(good, &err);
    if (!a)
        fail_msg("%s: %s", good, err.message);
    return a;
}

static void test_ipv6_sources(void **state)
{
    (void)state;
    v6pi_asn *a = open_good();
    expect(a, "2001:db8:a::1", 0, 64500, "EXAMPLE-A");
    expect(a, "2001:db8:a:ffff::1", 0, 64500, "EXAMPLE-A");
    expect(a, "2001:db8:a:b::1", 0, 64502, "EXAMPLE-A-SUB"); /* the most specific */
    expect(a, "2001:db8:b::1", 0, 0, NULL);
    expect(a, "2001:db9::1", 0, 0, NULL);
    assert_int_equal(v6pi_asn_errors(a), 0);
    v6pi_asn_close(a);
}

/* An IPv4 event (v4 set: the last four bytes are the address) and an
 * IPv4-mapped IPv6 source find the same IPv4 network; 32-bit AS numbers
 * come through whole. */
static void test_ipv4_and_mapped_sources(void **state)
{
    (void)state;
    v6pi_asn *a = open_good();
    expect(a, "192.0.2.77", 1, 64501, "EXAMPLE-V4");
    expect(a, "::ffff:192.0.2.77", 0, 64501, "EXAMPLE-V4");
    expect(a, "198.51.100.5", 1, 4200000001u, "EXAMPLE-32BIT");
    expect(a, "198.51.100.200", 1, 0, NULL); /* outside the /25 */
    expect(a, "::ffff:198.51.100.200", 0, 0, NULL);
    expect(a, "203.0.113.1", 1, 0, NULL);
    v6pi_asn_close(a);
}

/* A 300-byte organisation comes back cut to 255 bytes and terminated; the
 * next lookup's organisation replaces it. */
static void test_long_organisation_cut(void **state)
{
    (void)state;
    v6pi_asn *a = open_good();
    uint32_t asn;
    const char *org;
    assert_int_equal(lookup(a, "3fff:100::1", 0, &asn, &org), 1);
    assert_int_equal(asn, 64503);
    assert_int_equal(strlen(org), 255);
    assert_memory_equal(org, long_org, 255);
    expect(a, "2001:db8:a::1", 0, 64500, "EXAMPLE-A");
    v6pi_asn_close(a);
}

static void test_missing_file(void **state)
{
    (void)state;
    v6p_error err;
    memset(&err, 0, sizeof(err));
    char path[300];
    snprintf(path, sizeof(path), "%s/none.mmdb", dir);
    assert_null(v6pi_asn_open(path, &err));
    assert_int_equal(err.code, ENOENT);
    assert_non_null(strstr(err.message, path));
    assert_null(v6pi_asn_open(path, NULL)); /* err may be NULL */
}

/* Not a MaxMind database, or one cut in half (its metadata is at the end):
 * refused at open with the path and the reason. */
static void test_foreign_and_truncated(void **state)
{
    (void)state;
    size_t n;
    unsigned char *db = read_file(good, &n);
    unsigned char noise[4096];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)(i * 7919u >> 3);
    write_file(foreign, noise, sizeof(noise));
    write_file(truncated, db, n / 2);
    free(db);
    const char *paths[] = {foreign, truncated};
    for (int i = 0; i < 2; i++) {
        v6p_error err;
        memset(&err, 0, sizeof(err));
        assert_null(v6pi_asn_open(paths[i], &err));
        assert_int_equal(err.code, EINVAL);
        assert_non_null(strstr(err.message, paths[i]));
        assert_non_null(strstr(err.message, "metadata"));
    }
}

/* The search tree overwritten, the metadata intact: the file opens, and
 * lookups answer nothing rather than a wrong AS, each failure counted. */
static void test_damaged_tree(void **state)
{
    (void)state;
    size_t n;
    unsigned char *db = read_file(good, &n);
    for (size_t i = 0; i < n / 2 && i < 1024; i++)
        db[i] = 0xFF;
    write_file(damaged, db, n);
    free(db);
    v6p_error err;
    memset(&err, 0, sizeof(err));
    v6pi_asn *a = v6pi_asn_open(damaged, &err);
    if (!a)
        fail_msg("%s: %s", damaged, err.message);
    const char *srcs[] = {"2001:db8:a::1", "2001:db8:a:b::1", "::ffff:192.0.2.77"};
    for (int i = 0; i < 3; i++) {
        uint32_t asn;
        const char *org;
        assert_int_equal(lookup(a, srcs[i], 0, &asn, &org), 0);
    }
    uint32_t asn;
    const char *org;
    assert_int_equal(lookup(a, "192.0.2.77", 1, &asn, &org), 0);
    assert_true(v6pi_asn_errors(a) >= 1);
    v6pi_asn_close(a);
    v6pi_asn_close(NULL);
    assert_int_equal(v6pi_asn_errors(NULL), 0);
}

int main(int argc, char **argv)
{
#ifndef V6P_HAVE_MAXMINDDB
    (void)argc, (void)argv;
    v6p_error err;
    memset(&err, 0, sizeof(err));
    if (v6pi_asn_open("/any.mmdb", &err) != NULL || err.code != ENOTSUP) {
        printf("FAIL: without libmaxminddb, open must say ENOTSUP\n");
        return 1;
    }
    printf("SKIP: built without libmaxminddb (ENOTSUP checked)\n");
    return SKIP;
#else
    if (argc > 2) {
        fprintf(stderr, "usage: test_asn [MKMMDB.PL]\n");
        return 2;
    }
    int rc = make_files(argc == 2 ? argv[1] : MKMMDB);
    if (rc != 0)
        return rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_sources),
        cmocka_unit_test(test_ipv4_and_mapped_sources),
        cmocka_unit_test(test_long_organisation_cut),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_foreign_and_truncated),
        cmocka_unit_test(test_damaged_tree),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove_files();
    return rc;
#endif
}
