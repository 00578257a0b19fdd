/* /dev/kmsg: the kernel's log read directly, for hosts without a syslog
 * daemon.  Each read() returns one record, "PRI,SEQ,USEC,FLAGS;TEXT\n"
 * followed by " KEY=VALUE" continuation lines, which are dropped here: the
 * parser reads the first line, stamps relative to boot included. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "inputs.h"

#define KMSG_RECORD_MAX 8192 /* the kernel's own limit on one record */

static int kmsg_open(runtime *rt, input *in, char *err, size_t errlen)
{
    int fd = open(rt->cfg->kmsg_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", rt->cfg->kmsg_path, strerror(errno));
        return -1;
    }
    /* Opened before privileges are dropped; where to start is decided now
     * so that records logged while starting up are not skipped later. */
    if (rt->cfg->kmsg_start == START_END)
        lseek(fd, 0, SEEK_END);
    in->fd = fd;
    return 0;
}

static void kmsg_read(runtime *rt, input *in)
{
    emitter em;
    emitter_init(&em, rt, in);
    char buf[KMSG_RECORD_MAX];
    while (!atomic_load(&rt->stopping)) {
        ssize_t k = read(in->fd, buf, sizeof(buf));
        if (k > 0) {
            char *nl = memchr(buf, '\n', (size_t)k);
            size_t len = nl ? (size_t)(nl - buf) : (size_t)k;
            int cut = len > rt->cfg->max_line;
            if (cut)
                len = (size_t)rt->cfg->max_line;
            if (emitter_line(&em, buf, len, cut, -1) != 0)
                break;
            continue;
        }
        if (k < 0 && errno == EPIPE) {
            /* Records were overwritten in the ring before we read them. */
            counter_add(&in->st.dropped, 1);
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN) {
            counter_add(&in->st.read_errors, 1);
            log_msg(LOG_LV_ERROR, "%s: %s", in->name, strerror(errno));
            break;
        }
        /* Nothing more now: hand over what there is, then wait. */
        if (emitter_push(&em) != 0)
            break;
        struct pollfd p[2] = {{in->fd, POLLIN, 0}, {rt->stop_fd, POLLIN, 0}};
        poll(p, 2, -1);
    }
    emitter_push(&em);
    emitter_free(&em);
}

static void kmsg_run(runtime *rt)
{
    for (size_t i = 0; i < rt->n_inputs; i++)
        if (rt->inputs[i].ops == &input_kmsg_ops)
            kmsg_read(rt, &rt->inputs[i]);
}

const input_ops input_kmsg_ops = {"kmsg", kmsg_open, kmsg_run, input_close_fd};
