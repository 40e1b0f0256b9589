/*
 * cpu_split — CPU burned with a known split, for the CPU profile's accuracy
 * test. Thread "mixed" alternates 7 units in f() and 3 units in g(); thread
 * "pure" runs h() only. Each function measures the thread CPU time it burns
 * (CLOCK_THREAD_CPUTIME_ID around every unit), so the truth is measured,
 * not assumed, and a loaded machine cannot skew it.
 *
 * stdin commands, one per line: "snap" prints
 *   f=NS g=NS h=NS process=NS
 * (cumulative), EOF ends the program.
 * With arguments "file PATH SECONDS HZ" it profiles itself with
 * cprof_cpu_start/cprof_cpu_stop for SECONDS and prints the snapshots
 * before and after. With "own-sigprof" it installs its own SIGPROF handler
 * first (cprof must refuse to profile rather than take it).
 */
#include <cprof.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define UNIT_ITERS 200000

static _Atomic int64_t spent_f, spent_g, spent_h;
static atomic_int stop;

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The loop is in each function itself, so each is the leaf of its samples. */
#define BURN(acc)                                                                                  \
    do {                                                                                           \
        volatile uint64_t x = 1;                                                                   \
        for (int i = 0; i < UNIT_ITERS; i++)                                                       \
            x = x * 6364136223846793005ull + 1442695040888963407ull;                               \
        int64_t t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);                                            \
        atomic_fetch_add(&acc, t1 - t0);                                                           \
    } while (0)

__attribute__((noinline)) void f(void)
{
    int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    BURN(spent_f);
}

__attribute__((noinline)) void g(void)
{
    int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    BURN(spent_g);
}

__attribute__((noinline)) void h(void)
{
    int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    BURN(spent_h);
}

static void *mixed(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int i = 0; i < 7; i++)
            f();
        for (int i = 0; i < 3; i++)
            g();
    }
    return NULL;
}

static void *pure(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        h();
    return NULL;
}

static void snap(void)
{
    printf("f=%lld g=%lld h=%lld process=%lld\n", (long long)atomic_load(&spent_f),
           (long long)atomic_load(&spent_g), (long long)atomic_load(&spent_h),
           (long long)clock_ns(CLOCK_PROCESS_CPUTIME_ID));
    fflush(stdout);
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
        snap();
        sleep((unsigned)atoi(argv[3]));
        snap();
        if (cprof_cpu_stop() != 0)
            return 1;
    } else {
        char line[64];
        while (fgets(line, sizeof line, stdin)) {
            if (strncmp(line, "snap", 4) == 0)
                snap();
        }
    }
    atomic_store(&stop, 1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
