/*
 * mutex_lock.c — what the mutex profile's lock hooks cost
 * (lib/contention/contention_hooks.c), timed over N lock/unlock pairs:
 *   uncontended: 2 threads, each on its own mutex (the fast path: one
 *     trylock);
 *   contended: 2 threads on one mutex with a short critical section (the
 *     slow path: the real lock, timed, and 1 in CPROF_MUTEX_RATE recorded).
 * bench/mutex_lock.sh runs it with and without the preload in alternating
 * rounds and compares the best of each.
 *
 *   semaphore (-s): 2 threads, each sem_post/sem_wait on its own
 *     semaphore (the block profile's sem_wait: a sem_trywait first).
 *
 *   mutex_lock [-n PAIRS] [-c|-s] prints "uncontended NS" (CPU ns a pair,
 *                                 the two threads' average), or
 *                                 "contended NS" with -c, "semaphore NS"
 *                                 with -s
 * CPU time of each thread (CLOCK_THREAD_CPUTIME_ID), not wall time: the
 * machine is shared, and a thread preempted by another program's does
 * not bill us its wait. A contended pair also counts the CPU the slow
 * path spends (the real lock's spinning and futex calls, the hook's clock
 * reads and samples).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long pairs = 100000000;
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *own_mutex(void *arg)
{
    int64_t t0 = cpu_ns();
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    for (long i = 0; i < pairs; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    *(int64_t *)arg = cpu_ns() - t0;
    return NULL;
}

static void *own_semaphore(void *arg)
{
    int64_t t0 = cpu_ns();
    sem_t s;
    sem_init(&s, 0, 0);
    for (long i = 0; i < pairs; i++) {
        sem_post(&s);
        sem_wait(&s);
    }
    *(int64_t *)arg = cpu_ns() - t0;
    return NULL;
}

static void *shared_mutex(void *arg)
{
    int64_t t0 = cpu_ns();
    for (long i = 0; i < pairs; i++) {
        pthread_mutex_lock(&shared);
        for (int k = 0; k < 20; k++)
            counter++;
        pthread_mutex_unlock(&shared);
    }
    *(int64_t *)arg = cpu_ns() - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    int c, contended = 0, semaphore = 0;
    while ((c = getopt(argc, argv, "n:cs")) != -1) {
        if (c == 'n')
            pairs = atol(optarg);
        else if (c == 'c')
            contended = 1;
        else if (c == 's')
            semaphore = 1;
    }
    if (pairs <= 0)
        return 2;
    pthread_t t[2];
    int64_t used[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL,
                       semaphore   ? own_semaphore
                       : contended ? shared_mutex
                                   : own_mutex,
                       &used[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("%s %.3f\n",
           semaphore   ? "semaphore"
           : contended ? "contended"
                       : "uncontended",
           (double)(used[0] + used[1]) / 2 / (double)pairs);
    return 0;
}
