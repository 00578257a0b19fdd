/* Dropping root once the privileged work (binding ports below 1024, opening
 * /dev/kmsg) is done, so that no parsing or tagging runs as root. */
#ifndef FWD_PRIVS_H
#define FWD_PRIVS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/* fopen(path, "ae") for a file only this user may read (0600 when it is
 * created, whatever the umask): dead-letter files hold refused events. */
static inline FILE *fopen_private_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f && fd >= 0)
        close(fd);
    return f;
}

/* Become user (and group, or the user's primary group).  0, or -1 with err.
 * Does nothing when user is NULL; fails when it is set and we are not root
 * and not already that user. */
int privs_drop(const char *user, const char *group, char *err, size_t errlen);

#endif
