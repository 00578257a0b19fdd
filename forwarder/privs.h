/* Dropping root once the privileged work (binding ports below 1024, opening
 * /dev/kmsg) is done, so that no parsing or tagging runs as root. */
#ifndef FWD_PRIVS_H
#define FWD_PRIVS_H

#include <stddef.h>

/* Become user (and group, or the user's primary group).  0, or -1 with err.
 * Does nothing when user is NULL; fails when it is set and we are not root
 * and not already that user. */
int privs_drop(const char *user, const char *group, char *err, size_t errlen);

#endif
