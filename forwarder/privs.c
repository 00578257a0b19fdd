#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privs_drop(const char *user, const char *group, char *err, size_t errlen)
{
    if (!user)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "user \"%s\": no such user", user);
        return -1;
    }
    gid_t gid = pw->pw_gid;
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            snprintf(err, errlen, "group \"%s\": no such group", group);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if (geteuid() != 0) {
        if (geteuid() == pw->pw_uid)
            return 0; /* started as that user already (systemd User=) */
        snprintf(err, errlen, "user \"%s\": not running as root, cannot switch", user);
        return -1;
    }
    /* Supplementary groups of the user (adm to read /var/log), then the
     * group, then the user: the order in which each step is still allowed. */
    if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0) {
        snprintf(err, errlen, "switching to user \"%s\": %s", user, strerror(errno));
        return -1;
    }
    if (setuid(0) == 0) {
        snprintf(err, errlen, "switching to user \"%s\": root could be regained", user);
        return -1;
    }
    return 0;
}
