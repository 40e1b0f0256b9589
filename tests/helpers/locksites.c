/*
 * locksites — two mutexes of known contention for the mutex profile.
 * Arguments: NA NB MILLISECONDS. NA threads loop on lock A (wait_a), NB
 * on lock B (wait_b), for that long, each holding it 200 us asleep, then
 * waiting 20 us outside it (so the thread that unlocks does not take it
 * straight back). With n threads on a lock about n-1 wait at any time,
 * so 8 and 4 threads give A about 7/10 of the total wait. The helper
 * times every lock call itself and, when the time is up,
 * prints "wait_a_ns=N wait_b_ns=M" and "ready"; it exits when stdin
 * closes. Also checks the lock functions' answers on the other mutex
 * types (recursive, error-checking, timed, rwlock) and prints "types ok".
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static _Atomic long long waited_a, waited_b;
static long long deadline;

static void hold(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void wait_a(void)
{
    long long t0 = clock_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&lock_a);
    waited_a += clock_ns(CLOCK_MONOTONIC) - t0;
    hold(200);
    pthread_mutex_unlock(&lock_a);
}

__attribute__((noinline)) static void wait_b(void)
{
    long long t0 = clock_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&lock_b);
    waited_b += clock_ns(CLOCK_MONOTONIC) - t0;
    hold(200);
    pthread_mutex_unlock(&lock_b);
}

static void *worker(void *arg)
{
    void (*wait)(void) = (void (*)(void))arg;
    while (clock_ns(CLOCK_MONOTONIC) < deadline) {
        wait();
        hold(20); /* outside the lock: others get their turn, no barging */
    }
    return NULL;
}

static void *try_timed(void *arg)
{
    pthread_mutex_t *m = arg;
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 20000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return (void *)(long)pthread_mutex_timedlock(m, &t);
}

/* Each type answers as the C library says it does. */
static void check_types(void)
{
    pthread_mutexattr_t at;
    pthread_mutex_t rec, chk;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&chk, &at);
    CHECK(pthread_mutex_lock(&rec) == 0 && pthread_mutex_lock(&rec) == 0);
    CHECK(pthread_mutex_unlock(&rec) == 0 && pthread_mutex_unlock(&rec) == 0);
    CHECK(pthread_mutex_lock(&chk) == 0);
    errno = 77;
    CHECK(pthread_mutex_lock(&chk) == EDEADLK && errno == 77);
    /* Held here: another thread's timed lock times out. */
    pthread_t t;
    void *rc;
    pthread_create(&t, NULL, try_timed, &chk);
    pthread_join(t, &rc);
    CHECK((long)rc == ETIMEDOUT);
    CHECK(pthread_mutex_unlock(&chk) == 0);
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    CHECK(pthread_rwlock_wrlock(&rw) == 0);
    CHECK(pthread_rwlock_rdlock(&rw) == EDEADLK);
    CHECK(pthread_rwlock_unlock(&rw) == 0);
    CHECK(pthread_rwlock_rdlock(&rw) == 0 && pthread_rwlock_rdlock(&rw) == 0);
    CHECK(pthread_rwlock_unlock(&rw) == 0 && pthread_rwlock_unlock(&rw) == 0);
}

int main(int argc, char **argv)
{
    int na = argc > 1 ? atoi(argv[1]) : 8, nb = argc > 2 ? atoi(argv[2]) : 4;
    long ms = argc > 3 ? atol(argv[3]) : 2000;
    check_types();
    printf("types ok\n");
    fflush(stdout);
    pthread_t t[64];
    if (na > 32)
        na = 32;
    if (nb > 32)
        nb = 32;
    int n = na + nb;
    deadline = clock_ns(CLOCK_MONOTONIC) + ms * 1000000ll;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i < na ? wait_a : wait_b));
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("wait_a_ns=%lld wait_b_ns=%lld\nready\n", (long long)waited_a, (long long)waited_b);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin))
        ;
    return 0;
}
