/* The service manager's notification protocol (sd_notify(3)), spoken
 * directly: "READY=1", "STATUS=...", "WATCHDOG=1" and "STOPPING=1" as
 * datagrams to the AF_UNIX socket named in $NOTIFY_SOCKET.  Without that
 * variable (not under systemd, or Type= is not notify) nothing is sent. */
#ifndef FWD_NOTIFY_H
#define FWD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

typedef struct notifier {
    int fd; /* -1: nobody to tell */
    char path[108];
    unsigned path_len;    /* with a leading 0 byte for an abstract socket */
    uint64_t watchdog_us; /* WATCHDOG_USEC meant for this process; 0 = none */
} notifier;

/* Reads the environment; 0, or -1 with err when $NOTIFY_SOCKET is unusable. */
int notify_open(notifier *n, char *err, size_t errlen);
/* Sends one message ("READY=1\nSTATUS=..."); 0 or -1 (errno). */
int notify_send(notifier *n, const char *msg);
void notify_close(notifier *n);

#endif
