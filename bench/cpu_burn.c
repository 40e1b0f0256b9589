/*
 * cpu_burn — a CPU-bound program for the CPU profiler's overhead benchmark
 * (bench/cpu.sh): THREADS threads each run ROUNDS rounds of integer work
 * under a 12-deep call chain (so every sample unwinds a realistic stack
 * through code built without frame pointers, -O2). Prints the process CPU
 * time spent in the work (getrusage, before exit: the one-time writing of a
 * profile file at exit is not part of the sampling overhead) and the wall
 * time:  "cpu <seconds> s, wall <seconds> s".
 * Usage: cpu_burn [THREADS] [ROUNDS]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static long rounds = 400;

__attribute__((noinline)) static uint64_t leaf_work(uint64_t x)
{
    for (int i = 0; i < 1000000; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull + (x >> 17);
    return x;
}

__attribute__((noinline)) static uint64_t chain(int depth, uint64_t x)
{
    if (depth == 0)
        return leaf_work(x);
    uint64_t r = chain(depth - 1, x + (uint64_t)depth);
    __asm__ volatile("" : "+r"(r));
    return r;
}

static void *worker(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg;
    for (long r = 0; r < rounds; r++)
        x = chain(12, x);
    return (void *)(uintptr_t)x;
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (argc > 2)
        rounds = atol(argv[2]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t t[64];
    if (threads < 1 || threads > 64)
        threads = 2;
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    uint64_t sum = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (uint64_t)(uintptr_t)r;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu %.4f s, wall %.4f s (%llx)\n", seconds(ru.ru_utime) + seconds(ru.ru_stime),
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (unsigned long long)(sum & 0xff));
    return 0;
}
