/*
 * churn — multi-threaded malloc/free churn (churn.h), the load the heap
 * sampler's overhead targets are stated on. Prints CPU seconds (user+sys, the overhead that matters
 * on a loaded machine), elapsed seconds, operations per second, and the worker threads' own CPU
 * (each one's CLOCK_THREAD_CPUTIME_ID at its end: what the churn itself cost, without the process's
 * other threads or its start). Usage: churn [THREADS] [STEPS_PER_THREAD]
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn.h"

static long steps_per_thread;
static double worker_cpu[64]; /* each worker's own CPU seconds, set at its end */

static void *churn(void *arg)
{
    churn_state c;
    if (churn_begin(&c, (unsigned)(uintptr_t)arg) != 0)
        return NULL;
    churn_steps(&c, 0, steps_per_thread);
    churn_end(&c);
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    worker_cpu[(uintptr_t)arg] = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
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
    double workers = 0;
    for (int i = 0; i < threads; i++)
        workers += worker_cpu[i];
    printf("cpu %.4f s, wall %.4f s, %.1f M malloc+free/s, workers %.4f s\n", cpu, secs,
           threads * steps_per_thread / secs / 1e6, workers);
    return 0;
}
