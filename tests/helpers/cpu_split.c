/*
 * cpu_split — CPU burned with a known split, for the CPU profile's accuracy
 * test. Thread "mixed" spends 70 % of its work in f() and 30 % in g();
 * thread "pure" runs h() only. Each function measures the thread CPU time it
 * burns (CLOCK_THREAD_CPUTIME_ID around every unit), so the truth is
 * measured, not assumed, and a loaded machine cannot skew it.
 *
 * Each call burns a random stretch of CPU time (f: 35-105 ms, g: 15-45 ms,
 * h: 50-150 ms; 70/30 on average) and the stretches come in random order:
 * the kernel checks CPU timers at its tick, so a strictly periodic pattern
 * could alias with it, and stretches much longer than the sampling period
 * make the split a stratified sample (only the samples next to a boundary
 * are in doubt) instead of a coin toss per sample, so a few seconds at
 * 100 Hz measure the profiler rather than sampling noise.
 *
 * While it runs it watches its own POSIX timers (/proc/self/timers) every
 * 2 ms: when a CPU profile's timers appear it prints
 *   start f=NS g=NS h=NS process=NS
 * and when they are gone "end ..." likewise (cumulative figures; process =
 * CLOCK_PROCESS_CPUTIME_ID, the kernel's count), so the test compares the
 * profile with exactly the window it covered, whatever the HTTP request
 * around it cost. EOF on stdin ends the program.
 * With arguments "file PATH SECONDS HZ" it profiles itself with
 * cprof_cpu_start/cprof_cpu_stop for SECONDS instead, printing the figures
 * right after the start and right before the stop. With "own-sigprof" it
 * installs its own SIGPROF handler first (cprof must refuse to profile
 * rather than take it).
 */
#include <cprof.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#define CHECK_ITERS 20000 /* work between reads of the thread CPU clock */

static _Atomic int64_t spent_f, spent_g, spent_h;
static atomic_int stop;

/* The loop is in each function itself, so each is the leaf of its samples. */
#define BURN(acc, ms)                                                                              \
    do {                                                                                           \
        int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t1, end = t0 + (int64_t)(ms)*1000000;      \
        volatile uint64_t x = 1;                                                                   \
        do {                                                                                       \
            for (int i = 0; i < CHECK_ITERS; i++)                                                  \
                x = x * 6364136223846793005ull + 1442695040888963407ull;                           \
            t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);                                                \
        } while (t1 < end && !atomic_load(&stop));                                                 \
        atomic_fetch_add(&acc, t1 - t0);                                                           \
    } while (0)

__attribute__((noinline)) void f(int ms)
{
    BURN(spent_f, ms);
}

__attribute__((noinline)) void g(int ms)
{
    BURN(spent_g, ms);
}

__attribute__((noinline)) void h(int ms)
{
    BURN(spent_h, ms);
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Uniform in [mean/2, 3*mean/2] ms. */
static int stretch_ms(uint64_t *s, int mean)
{
    return mean / 2 + (int)(next_random(s) % (uint64_t)(mean + 1));
}

/* 70 % f, 30 % g: in every 100 ms of the mixed thread's CPU on average,
 * f and g each come once, in random order. */
static void *mixed(void *arg)
{
    (void)arg;
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)clock_ns(CLOCK_MONOTONIC);
    while (!atomic_load(&stop)) {
        if (next_random(&rng) & 1) {
            f(stretch_ms(&rng, 70));
            g(stretch_ms(&rng, 30));
        } else {
            g(stretch_ms(&rng, 30));
            f(stretch_ms(&rng, 70));
        }
    }
    return NULL;
}

static void *pure(void *arg)
{
    (void)arg;
    uint64_t rng = 0xD1B54A32D192ED03ull ^ (uint64_t)clock_ns(CLOCK_MONOTONIC);
    while (!atomic_load(&stop))
        h(stretch_ms(&rng, 100));
    return NULL;
}

static void snap(const char *what)
{
    printf("%s f=%lld g=%lld h=%lld process=%lld\n", what, (long long)atomic_load(&spent_f),
           (long long)atomic_load(&spent_g), (long long)atomic_load(&spent_h),
           (long long)clock_ns(CLOCK_PROCESS_CPUTIME_ID));
    fflush(stdout);
}

static int have_timers(void)
{
    char c;
    int fd = open("/proc/self/timers", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, &c, 1);
    close(fd);
    return n == 1;
}

/* Until EOF on stdin: report when a profile's timers come and go. */
static void watch_profiles(void)
{
    int had = 0;
    for (;;) {
        struct pollfd p = {.fd = 0, .events = POLLIN};
        if (poll(&p, 1, 2) > 0) {
            char buf[256];
            if (read(0, buf, sizeof buf) <= 0)
                return;
        }
        int has = have_timers();
        if (has != had)
            snap(has ? "start" : "end");
        had = has;
    }
}

static void own_handler(int sig)
{
    (void)sig;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "own-sigprof") == 0)
        signal(SIGPROF, own_handler);
    pthread_t a, b;
    pthread_create(&a, NULL, mixed, NULL);
    pthread_create(&b, NULL, pure, NULL);
    printf("ready\n");
    fflush(stdout);
    if (argc == 5 && strcmp(argv[1], "file") == 0) {
        if (cprof_cpu_start(argv[2], atoi(argv[4])) != 0)
            return 1;
        snap("start");
        sleep((unsigned)atoi(argv[3]));
        snap("end");
        if (cprof_cpu_stop() != 0)
            return 1;
    } else {
        watch_profiles();
    }
    atomic_store(&stop, 1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
