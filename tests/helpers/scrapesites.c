/*
 * scrapesites — a long-running target for the scrape conformance test:
 * everything a default Alloy/Parca job scrapes keeps changing while it is
 * scraped. Until stdin closes:
 *  - 4 threads contend on one mutex in contend_lock (each holds it 300 us
 *    asleep, then waits 50 us outside it): the mutex profile grows;
 *  - a thread waits on a condition variable in wait_cond that main signals
 *    every 20 ms, another on a semaphore in wait_sem posted every 20 ms:
 *    the block profile grows;
 *  - a thread allocates 16 to 17.5 KiB blocks in alloc_churn (one every
 *    200 us), keeping the last 512 live and freeing the older ones: allocs
 *    grows while the in-use figures stay level;
 *  - a thread burns CPU in burn_cpu for 2 ms of every 10 ms: the CPU
 *    profile has samples.
 * Prints "ready" once every thread runs; on EOF stops them, joins them and
 * exits 0.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "helper.h"

#define CONTENDERS 4
#define KEPT 512

static atomic_int stop;
static pthread_mutex_t contended = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int tickets;
static sem_t sem;
static volatile unsigned long sink;

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void contend_lock(void)
{
    pthread_mutex_lock(&contended);
    sleep_us(300);
    pthread_mutex_unlock(&contended);
}

static void *contender(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        contend_lock();
        sleep_us(50);
    }
    return NULL;
}

__attribute__((noinline)) static void wait_cond(void)
{
    pthread_mutex_lock(&cond_lock);
    while (tickets == 0 && !atomic_load(&stop))
        pthread_cond_wait(&cond, &cond_lock);
    if (tickets > 0)
        tickets--;
    pthread_mutex_unlock(&cond_lock);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        wait_cond();
    return NULL;
}

__attribute__((noinline)) static void wait_sem(void)
{
    sem_wait(&sem);
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        wait_sem();
    return NULL;
}

__attribute__((noinline)) static void alloc_churn(void **kept, unsigned i)
{
    free(kept[i % KEPT]);
    /* 16-18 KiB: one of the heap sampler's size classes, as a
     * variable-length record's allocations are */
    kept[i % KEPT] = malloc(16384 + (i % 7) * 256);
    if (kept[i % KEPT])
        memset(kept[i % KEPT], (int)i, 64);
}

static void *allocator(void *arg)
{
    (void)arg;
    void **kept = calloc(KEPT, sizeof *kept);
    if (!kept)
        return NULL;
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        alloc_churn(kept, i);
        sleep_us(200);
    }
    for (unsigned i = 0; i < KEPT; i++)
        free(kept[i]);
    free(kept);
    return NULL;
}

__attribute__((noinline)) static void burn_cpu(void)
{
    long long end = clock_ns(CLOCK_MONOTONIC) + 2000000;
    while (clock_ns(CLOCK_MONOTONIC) < end)
        for (int k = 0; k < 1000; k++)
            sink += (unsigned long)k * 2654435761u;
}

static void *burner(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        burn_cpu();
        sleep_us(8000);
    }
    return NULL;
}

/* Signals the condition variable and posts the semaphore every 20 ms
 * until stdin closes, then wakes every waiter for good. */
static void *ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        sleep_us(20000);
        pthread_mutex_lock(&cond_lock);
        tickets++;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&cond_lock);
        sem_post(&sem);
    }
    pthread_mutex_lock(&cond_lock);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    sem_post(&sem);
    return NULL;
}

int main(void)
{
    sem_init(&sem, 0, 0);
    pthread_t t[CONTENDERS + 5];
    int n = 0;
    for (int i = 0; i < CONTENDERS; i++)
        pthread_create(&t[n++], NULL, contender, NULL);
    pthread_create(&t[n++], NULL, cond_waiter, NULL);
    pthread_create(&t[n++], NULL, sem_waiter, NULL);
    pthread_create(&t[n++], NULL, allocator, NULL);
    pthread_create(&t[n++], NULL, burner, NULL);
    pthread_t tick;
    pthread_create(&tick, NULL, ticker, NULL);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin))
        ;
    atomic_store(&stop, 1);
    pthread_join(tick, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    sem_destroy(&sem);
    return 0;
}
