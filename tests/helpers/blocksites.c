/*
 * blocksites — known waits for the block profile. A thread in wait_cond
 * waits on a condition variable that main signals every 30 ms, a thread in
 * wait_sem waits on a semaphore that main posts every 20 ms, ROUNDS times
 * each; main then joins both in join_waiters. Each waiter times its own
 * waits. Prints "cond_ns=N sem_ns=M" and "ready", and exits when stdin
 * closes. Argument: ROUNDS (default 20).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "helper.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int tickets;
static sem_t sem;
static int rounds = 20;
static long long cond_ns, sem_ns;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void wait_cond(void)
{
    pthread_mutex_lock(&lock);
    while (tickets == 0) {
        long long t0 = clock_ns(CLOCK_MONOTONIC);
        pthread_cond_wait(&cond, &lock);
        cond_ns += clock_ns(CLOCK_MONOTONIC) - t0;
    }
    tickets--;
    pthread_mutex_unlock(&lock);
}

__attribute__((noinline)) static void wait_sem(void)
{
    long long t0 = clock_ns(CLOCK_MONOTONIC);
    sem_wait(&sem);
    sem_ns += clock_ns(CLOCK_MONOTONIC) - t0;
}

static void *cond_waiter(void *arg)
{
    for (int i = 0; i < rounds; i++)
        wait_cond();
    return arg;
}

static void *sem_waiter(void *arg)
{
    for (int i = 0; i < rounds; i++)
        wait_sem();
    return arg;
}

__attribute__((noinline)) static void join_waiters(pthread_t a, pthread_t b)
{
    pthread_join(a, NULL);
    pthread_join(b, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atoi(argv[1]);
    sem_init(&sem, 0, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, cond_waiter, NULL);
    pthread_create(&b, NULL, sem_waiter, NULL);
    long long start = clock_ns(CLOCK_MONOTONIC);
    int posted = 0, signalled = 0;
    while (posted < rounds || signalled < rounds) {
        sleep_ms(10);
        long long ms = (clock_ns(CLOCK_MONOTONIC) - start) / 1000000;
        if (posted < rounds && ms >= 20 * (posted + 1)) {
            sem_post(&sem);
            posted++;
        }
        if (signalled < rounds && ms >= 30 * (signalled + 1)) {
            pthread_mutex_lock(&lock);
            tickets++;
            pthread_cond_signal(&cond);
            pthread_mutex_unlock(&lock);
            signalled++;
        }
    }
    join_waiters(a, b);
    printf("cond_ns=%lld sem_ns=%lld\nready\n", cond_ns, sem_ns);
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin))
        ;
    return 0;
}
