/* The library's own version, compiled in: what --version reports as the
 * library linked at run time. */
#include "version.h" /* generated from version.h.in */

const char *v6p_version(void)
{
    return V6P_VERSION_STRING;
}

int v6p_version_number(void)
{
    return V6P_VERSION_NUM;
}
