/*
 * labelsites — labelled work for the labels tests (cprof_label_set).
 *
 * Three worker threads run the very same code (burn, churn, contend,
 * nap): one labelled request=checkout, one request=search, one without
 * labels, so only the labels tell their samples apart. Each loop burns
 * about 1 ms of CPU, allocates 16 KiB blocks (the last 64 stay live),
 * takes a shared mutex held 100 us (contended by the others) and waits
 * 200 us on a condition variable (the block profile). A fourth thread
 * sets role=idle and worker=7 and parks in park(), blocked. The main
 * thread sets a label, checks the API's edges (refusals, truncation),
 * prints "running" and exits when stdin closes.
 */
#include <cprof.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static atomic_int stop;
static volatile unsigned long sink;

__attribute__((noinline)) static void burn(void)
{
    long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 1000000;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 1000; i++)
            sink += (unsigned long)i * 2654435761u;
}

__attribute__((noinline)) static void churn(void **ring, unsigned *at)
{
    for (int i = 0; i < 4; i++) {
        free(ring[*at % 64]);
        ring[*at % 64] = malloc(16384);
        memset(ring[*at % 64], 1, 64);
        (*at)++;
    }
}

__attribute__((noinline)) static void contend(void)
{
    pthread_mutex_lock(&shared);
    struct timespec hold = {0, 100000};
    nanosleep(&hold, NULL);
    pthread_mutex_unlock(&shared);
}

__attribute__((noinline)) static void nap(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += 200000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&cond_lock);
    pthread_cond_timedwait(&never, &cond_lock, &t);
    pthread_mutex_unlock(&cond_lock);
}

static void *worker(void *arg)
{
    const char *request = arg;
    if (request)
        CHECK(cprof_label_set("request", request) == 0);
    void *ring[64] = {0};
    unsigned at = 0;
    while (!atomic_load(&stop)) {
        burn();
        churn(ring, &at);
        contend();
        nap();
    }
    for (int i = 0; i < 64; i++)
        free(ring[i]);
    return NULL;
}

__attribute__((noinline)) static void park(void)
{
    while (!atomic_load(&stop))
        usleep(20000);
}

static void *idle(void *arg)
{
    (void)arg;
    CHECK(cprof_label_set("worker", "7") == 0);
    CHECK(cprof_label_set("role", "idle") == 0);
    park();
    return NULL;
}

/* The API's edges on the main thread (its labels are cleared after). */
static void check_edges(void)
{
    CHECK(cprof_label_set(NULL, "x") == -1);
    CHECK(cprof_label_set("", "x") == -1);
    CHECK(cprof_label_clear("absent") == 0);
    CHECK(cprof_label_set("a", "1") == 0);
    CHECK(cprof_label_set("b", "2") == 0);
    CHECK(cprof_label_set("c", "3") == 0);
    CHECK(cprof_label_set("d", "4") == 0);
    CHECK(cprof_label_set("e", "5") == -1); /* a fifth key */
    CHECK(cprof_label_set("d", "44") == 0); /* replacing is fine */
    CHECK(cprof_label_set("d", NULL) == 0); /* NULL value clears */
    CHECK(cprof_label_set("e", "5") == 0);
    CHECK(cprof_label_clear(NULL) == 0);
    CHECK(cprof_label_set("main", "yes") == 0);
}

int main(void)
{
    check_edges();
    pthread_t t[4];
    static char checkout[] = "checkout", search[] = "search";
    pthread_create(&t[0], NULL, worker, checkout);
    pthread_create(&t[1], NULL, worker, search);
    pthread_create(&t[2], NULL, worker, NULL);
    pthread_create(&t[3], NULL, idle, NULL);
    printf("running\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return 0;
}
