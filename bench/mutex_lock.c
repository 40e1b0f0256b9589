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
 *   handoff (-H): every lock call contended, and counted: a holder thread
 *     takes the mutex, lets the waiter call pthread_mutex_lock, and
 *     unlocks only once glibc marks the lock word 2 (a waiter is in the
 *     kernel), so each of the N waiter calls goes the slow path and is one
 *     contention event (recorded at CPROF_MUTEX_RATE=1, 1 in 10 at the
 *     default). Prints the waiter's CPU ns of one lock+unlock call (the
 *     thread CPU clock read around the two calls, so the spin of the
 *     handshake is not billed; the clock reads cost the same in every
 *     configuration). With -w it then waits for stdin to close, for the
 *     caller to fetch the mutex profile.
 *
 *   mutex_lock [-n PAIRS] [-c|-s] prints "uncontended NS" (CPU ns a pair,
 *                                 the two threads' average), or
 *                                 "contended NS" with -c, "semaphore NS"
 *                                 with -s, "handoff NS" with -H
 * CPU time of each thread (CLOCK_THREAD_CPUTIME_ID), not wall time: the
 * machine is shared, and a thread preempted by another program's does
 * not bill us its wait. A contended pair also counts the CPU the slow
 * path spends (the real lock's spinning and futex calls, the hook's clock
 * reads and samples).
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
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

static pthread_mutex_t handoff = PTHREAD_MUTEX_INITIALIZER;
static atomic_long held_round, waiter_round;

/* Spin politely (the machine is shared): yield while waiting. */
static void wait_for(atomic_long *v, long want)
{
    while (atomic_load_explicit(v, memory_order_acquire) != want)
        sched_yield();
}

static void *handoff_holder(void *arg)
{
    (void)arg;
    for (long i = 1; i <= pairs; i++) {
        pthread_mutex_lock(&handoff);
        atomic_store_explicit(&held_round, i, memory_order_release);
        /* glibc sets the lock word to 2 when a waiter goes to the kernel */
        while (__atomic_load_n(&handoff.__data.__lock, __ATOMIC_ACQUIRE) != 2)
            sched_yield();
        pthread_mutex_unlock(&handoff);
        wait_for(&waiter_round, i);
    }
    return NULL;
}

static void *handoff_waiter(void *arg)
{
    int64_t used = 0;
    for (long i = 1; i <= pairs; i++) {
        wait_for(&held_round, i);
        int64_t t0 = cpu_ns();
        pthread_mutex_lock(&handoff);
        pthread_mutex_unlock(&handoff);
        used += cpu_ns() - t0;
        atomic_store_explicit(&waiter_round, i, memory_order_release);
    }
    *(int64_t *)arg = used;
    return NULL;
}

/* -H: the waiter's CPU ns a contended lock+unlock; -w: then wait for EOF. */
static int run_handoff(int wait_eof)
{
    pthread_t h, w;
    int64_t used = 0;
    pthread_create(&h, NULL, handoff_holder, NULL);
    pthread_create(&w, NULL, handoff_waiter, &used);
    pthread_join(w, NULL);
    pthread_join(h, NULL);
    printf("handoff %.3f\n", (double)used / (double)pairs);
    fflush(stdout);
    if (wait_eof)
        while (getchar() != EOF)
            ;
    return 0;
}

int main(int argc, char **argv)
{
    int c, contended = 0, semaphore = 0, handoff_mode = 0, wait_eof = 0;
    while ((c = getopt(argc, argv, "n:csHw")) != -1) {
        if (c == 'n')
            pairs = atol(optarg);
        else if (c == 'c')
            contended = 1;
        else if (c == 's')
            semaphore = 1;
        else if (c == 'H')
            handoff_mode = 1;
        else if (c == 'w')
            wait_eof = 1;
    }
    if (pairs <= 0)
        return 2;
    if (handoff_mode)
        return run_handoff(wait_eof);
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
