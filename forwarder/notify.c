/* sd_notify without libsystemd: the protocol is one datagram per message
 * to a Unix socket, which is all the forwarder needs, so it carries no
 * extra dependency.  A path starting with '@' is in the abstract
 * namespace. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* WATCHDOG_USEC counts only when WATCHDOG_PID is unset or this process. */
static uint64_t watchdog_usec(void)
{
    const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    if (!us)
        return 0;
    if (pid && strtol(pid, NULL, 10) != (long)getpid())
        return 0;
    char *end;
    unsigned long long v = strtoull(us, &end, 10);
    return *us && !*end ? (uint64_t)v : 0;
}

int notify_open(notifier *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof(*n));
    n->fd = -1;
    const char *sock = getenv("NOTIFY_SOCKET");
    if (!sock || !*sock)
        return 0;
    size_t len = strlen(sock);
    if ((sock[0] != '/' && sock[0] != '@') || len >= sizeof(n->path)) {
        snprintf(err, errlen, "NOTIFY_SOCKET: \"%s\" is not a Unix socket path", sock);
        return -1;
    }
    memcpy(n->path, sock, len);
    if (sock[0] == '@')
        n->path[0] = 0;
    n->path_len = (unsigned)len;
    n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (n->fd < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET: %s", strerror(errno));
        return -1;
    }
    n->watchdog_us = watchdog_usec();
    return 0;
}

int notify_send(notifier *n, const char *msg)
{
    if (n->fd < 0)
        return 0;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, n->path, n->path_len);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n->path_len);
    ssize_t w = sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, sl);
    return w < 0 ? -1 : 0;
}

void notify_close(notifier *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
