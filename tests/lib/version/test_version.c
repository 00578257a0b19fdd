/* version.c: v6p_version() and v6p_version_number() report the library
 * linked, which must match the headers and meson's project version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <ipv6probe/ipv6probe.h>

static void string_matches_headers_and_meson(void **state)
{
    (void)state;
    assert_string_equal(v6p_version(), V6P_VERSION_STRING);
    assert_string_equal(v6p_version(), MESON_PROJECT_VERSION);
}

static void number_matches_headers_and_string(void **state)
{
    (void)state;
    int major = -1, minor = -1, patch = -1;
    assert_int_equal(sscanf(v6p_version(), "%d.%d.%d", &major, &minor, &patch), 3);
    assert_int_equal(v6p_version_number(), V6P_VERSION_NUM);
    assert_int_equal(v6p_version_number(), major * 1000000 + minor * 1000 + patch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(string_matches_headers_and_meson),
        cmocka_unit_test(number_matches_headers_and_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
