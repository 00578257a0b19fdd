/* The forwarder's one clock: monotonic milliseconds, for timeouts, batch
 * ages, rates and uptime.  Never wall time (stamps come from time()), so
 * that a clock step does not fire or hold back a timer.  Inline, because
 * the HEC library and the forwarder both read it, and the HEC output reads
 * it for every event. */
#ifndef FWD_CLOCK_H
#define FWD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
