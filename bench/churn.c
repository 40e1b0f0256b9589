/*
 * churn — multi-threaded malloc/free churn, the load the heap sampler's
 * overhead targets are stated on. Each thread keeps a ring of live blocks
 * and replaces a random one per step (free + malloc of a new size: mostly
 * small, some medium, a few large), touching each new block like real code
 * would. Prints CPU seconds (user+sys, the overhead that matters on a
 * loaded machine), elapsed seconds and operations per second.
 * Usage: churn [THREADS] [STEPS_PER_THREAD]
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 4096

static long steps_per_thread;

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t pick_size(uint64_t r)
{
    unsigned bucket = r % 100;
    if (bucket < 80)
        return 16 + (r >> 8) % 240; /* 80 %: 16-255 bytes */
    if (bucket < 98)
        return 256 + (r >> 8) % 3840; /* 18 %: 256 B - 4 KiB */
    return 4096 + (r >> 8) % 61440;   /*  2 %: 4-64 KiB */
}

static void *churn(void *arg)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull * ((uintptr_t)arg + 1);
    void **ring = calloc(RING, sizeof *ring);
    for (long i = 0; i < steps_per_thread; i++) {
        uint64_t r = xorshift(&seed);
        size_t slot = (r >> 40) % RING;
        free(ring[slot]);
        size_t size = pick_size(r);
        char *p = malloc(size);
        memset(p, (int)i, size < 64 ? size : 64);
        ring[slot] = p;
    }
    for (int i = 0; i < RING; i++)
        free(ring[i]);
    free(ring);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    steps_per_thread = argc > 2 ? atol(argv[2]) : 20000000;
    pthread_t th[64];
    if (threads < 1 || threads > 64)
        return 2;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)i);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("cpu %.4f s, wall %.4f s, %.1f M malloc+free/s\n", cpu, secs,
           threads * steps_per_thread / secs / 1e6);
    return 0;
}
