/*
 * cpu_burn — a CPU-bound program for the CPU profiler's overhead benchmark
 * (bench/cpu.sh): THREADS threads each run ROUNDS rounds of integer work
 * under a 12-deep call chain (so every sample unwinds a realistic stack
 * through code built without frame pointers, -O2). Prints the process CPU
 * time spent in the work (getrusage, before exit: the one-time writing of a
 * profile file at exit is not part of the sampling overhead) and the wall
 * time:  "cpu <seconds> s, wall <seconds> s".
 * With PROGRESS_FILE, the work done is also counted in the file, a shared
 * mapping of one 64-byte slot per thread (its first 8 bytes: units of
 * 10,000 iterations done by that thread, one writer, relaxed stores), so
 * another process can sum the work done over any window and divide by the
 * CPU time spent (bench/trace_overhead.sh); a unit is ~20 us, so the work
 * in flight at a window's edges is negligible.
 * Usage: cpu_burn [THREADS (1..1024)] [ROUNDS] [PROGRESS_FILE]
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long rounds = 400;
#define MAX_THREADS 1024
#define SLOT_WORDS 8 /* 64 bytes: one cache line per thread */
static _Atomic uint64_t *progress; /* NULL: not counted */
static _Thread_local _Atomic uint64_t *my_progress;

__attribute__((noinline)) static uint64_t leaf_work(uint64_t x)
{
    for (int j = 0; j < 100; j++) {
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005ull + 1442695040888963407ull + (x >> 17);
        if (my_progress)
            atomic_store_explicit(
                my_progress, atomic_load_explicit(my_progress, memory_order_relaxed) + 1,
                memory_order_relaxed);
    }
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
    if (progress)
        my_progress = &progress[(x - 1) * SLOT_WORDS];
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
    if (argc > 3) {
        int fd = open(argv[3], O_RDWR | O_CREAT, 0600);
        size_t size = MAX_THREADS * SLOT_WORDS * sizeof *progress;
        if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
            return 1;
        progress = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (progress == MAP_FAILED)
            return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static pthread_t t[MAX_THREADS];
    if (threads < 1 || threads > MAX_THREADS)
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
