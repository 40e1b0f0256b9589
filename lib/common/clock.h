/*
 * clock.h — one reading of a POSIX clock in nanoseconds, for every part of
 * the library. clock_gettime is async-signal-safe and goes through the
 * vDSO, so this is fine in a signal handler and cheap on the sampler's slow
 * path.
 */
#ifndef CPROF_CLOCK_H
#define CPROF_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The clock's reading in ns; -1 when it cannot be read (only a clock that
 * can vanish fails: the CPU clock of a thread that has exited). */
static inline int64_t clock_nanos(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* For deadlines and ages: never jumps with the wall clock. */
static inline int64_t monotonic_ns(void)
{
    return clock_nanos(CLOCK_MONOTONIC);
}

#endif
