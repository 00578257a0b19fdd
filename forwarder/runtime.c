/* What every thread does with the runtime: ask the inputs to stop, and wait
 * for that (or for a timeout) without missing it. */
#include "runtime.h"

#include <poll.h>
#include <stdint.h>
#include <unistd.h>

void runtime_stop_inputs(runtime *rt)
{
    atomic_store(&rt->stopping, 1);
    uint64_t one = 1;
    if (write(rt->stop_fd, &one, sizeof(one)) < 0) {
        /* An eventfd write fails only on overflow: it is readable anyway. */
    }
}

int runtime_sleep(runtime *rt, unsigned ms)
{
    if (atomic_load(&rt->stopping))
        return 1;
    struct pollfd p = {rt->stop_fd, POLLIN, 0};
    poll(&p, 1, (int)ms);
    return atomic_load(&rt->stopping);
}
