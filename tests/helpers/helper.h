/*
 * helper.h — what the test helper programs share: a CHECK that names the
 * program and the failed condition and exits 2, and clock_ns.
 *
 * Helpers are built -O0 with frame pointers (their call sites are what the
 * tests look for), so these are macros and static functions: each program
 * keeps its own copy, and none appears under another's name in a profile.
 */
#ifndef CPROF_TEST_HELPER_H
#define CPROF_TEST_HELPER_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Exit 2 with "PROGRAM: FILE:LINE: COND" on stderr unless cond holds. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s: %s:%d: %s\n", program_invocation_short_name, __FILE__, __LINE__,  \
                    #cond);                                                                        \
            exit(2);                                                                               \
        }                                                                                          \
    } while (0)

/* Clock c (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...) in nanoseconds. */
static inline int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
