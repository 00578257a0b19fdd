/* The forwarder's one clock: monotonic milliseconds, for timeouts, batch
 * ages, rates and uptime, and the same clock for the deadlines of timed
 * condition waits.  Never wall time (stamps come from time()), so that a
 * clock step does not fire or hold back a timer.  Inline, because the HEC
 * library and the forwarder both read it, and the HEC output reads it for
 * every event. */
#ifndef FWD_CLOCK_H
#define FWD_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A condition variable whose timed waits run on this clock.  0 or an
 * errno value, as pthread_cond_init(). */
static inline int clock_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    int r = pthread_condattr_init(&ca);
    if (r)
        return r;
    r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!r)
        r = pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}

/* The deadline ms from now, for pthread_cond_timedwait() on a condition
 * made by clock_cond_init(). */
static inline struct timespec clock_deadline(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

#endif
