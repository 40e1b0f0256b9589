/*
 * helper.h — what the test helper programs (and the benchmarks that watch
 * cprof's threads) share: a CHECK that names the program and the failed
 * condition and exits 2, clock_ns, and threads_cpu_ns.
 *
 * Helpers are built -O0 with frame pointers (their call sites are what the
 * tests look for), so these are macros and static functions: each program
 * keeps its own copy, and none appears under another's name in a profile.
 */
#ifndef CPROF_TEST_HELPER_H
#define CPROF_TEST_HELPER_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The CPU time (ns, from each one's schedstat) of this process's live
 * threads whose name (comm) starts with one of prefixes, a NULL-terminated
 * list: {"cprof-", NULL} is cprof's own threads (lib/process/own_threads.c
 * names them, and the threads they start inherit the name). 0 without
 * /proc. */
static inline long long threads_cpu_ns(const char *const *prefixes)
{
    long long total = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (!fgets(comm, sizeof comm, f))
            comm[0] = 0;
        fclose(f);
        int match = 0;
        for (const char *const *p = prefixes; *p && !match; p++)
            match = strncmp(comm, *p, strlen(*p)) == 0;
        if (!match)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        long long ns = 0;
        f = fopen(path, "r");
        if (f && fscanf(f, "%lld", &ns) == 1)
            total += ns;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return total;
}

#endif
