/*
 * watch_targets.c — programs with a known memory or thread behaviour for
 * the `cprof watch` tests: three leaks and three healthy patterns that a
 * naive "it grew between two snapshots" check would get wrong.
 *
 *   watch_targets MODE     (runs until stdin closes; prints "ready")
 *
 * Leaks (each at a site whose name and line the tests check):
 *   thread-leak   a worker thread per 250 ms that parks forever
 *                 (park_forever, created by spawn_worker)
 *   churn-leak    ~300 MB/s of healthy alloc/free churn at many sizes
 *                 (32 MiB live), and remember_session leaking 256-byte
 *                 blocks at ~300 KB/s
 *   rare-leak     2000 requests/s; one in 50 takes handle_rare_error,
 *                 which leaks its 8 KiB buffer (~320 KB/s)
 * Healthy:
 *   steady        churn only: alloc/free at many sizes and lifetimes
 *   cache         fill_cache grows an LRU cache to 24 MiB over ~6 s, then
 *                 evicts as it inserts: flat from then on; a pool of 6
 *                 threads started at once
 *   grow-free     grow_buffer appends to a buffer up to 16 MiB over ~4 s,
 *                 then frees it and starts again
 * A service with four heap sites at once (issue 19):
 *   service       churn ~25 MiB/s, fill_cache's 24 MiB LRU cache (full in
 *                 ~6 s, then evicting), grow_buffer's 16 MiB buffer freed
 *                 every ~15 s
 *   service-leaks the same, plus remember_order leaking 1 KiB per 10 ms
 *                 (~5.9 MiB/min) and log_rare_failure keeping a 48 KiB
 *                 block every 2 s (30 a minute, ~1.4 MiB/min), never freed
 * Thread churn (threadcreate, issue 15):
 *   thread-churn  handle_job starts a thread per 100 ms (in spawn_job) that
 *                 does its job and exits: the thread count stays flat,
 *                 the threads created by spawn_job keep growing
 * Heap views (the peak and min_age endpoints):
 *   views         keep_early keeps 8 MiB, 5 s later keep_late keeps 8 MiB
 *                 and fill_spike allocates 64 MiB and frees it all; then
 *                 prints "views done" and idles
 * Sizes and rates are set so that at the default sampling rate (512 KiB)
 * each leak passes the watch's noise floor within ~20 s.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static volatile uintptr_t sink; /* keeps the compiler from dropping blocks */

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- churn: a ring of blocks replaced at random ------------------------- */

#define RING 4096
static void *ring[RING];

static __attribute__((noinline)) void *churn_alloc(size_t size)
{
    char *p = malloc(size);
    if (p)
        p[0] = 1;
    return p;
}

/* Replace `n` random ring slots with blocks of 16 B .. 16 KiB. */
static void churn(int n)
{
    for (int i = 0; i < n; i++) {
        size_t slot = next_rand() % RING;
        free(ring[slot]);
        ring[slot] = churn_alloc(16 + next_rand() % (16 << 10));
    }
}

static void churn_free_all(void)
{
    for (size_t i = 0; i < RING; i++) {
        free(ring[i]);
        ring[i] = NULL;
    }
}

/* ---- leaks --------------------------------------------------------------- */

static __attribute__((noinline)) void remember_session(void)
{
    char *s = malloc(256);
    memset(s, 's', 256);
    sink ^= (uintptr_t)s; /* never freed */
}

static __attribute__((noinline)) void handle_rare_error(void)
{
    char *buf = malloc(8192); /* leaked below */
    snprintf(buf, 8192, "error context");
    sink ^= (uintptr_t)buf; /* the error path forgets to free it */
}

static __attribute__((noinline)) void handle_request(unsigned long id)
{
    char *buf = malloc(4096);
    snprintf(buf, 4096, "request %lu", id);
    if (id % 50 == 7) {
        handle_rare_error();
    }
    free(buf);
}

static __attribute__((noinline)) void remember_order(void)
{
    char *o = malloc(1024); /* the order log nobody trims */
    memset(o, 'o', 1024);
    sink ^= (uintptr_t)o;
}

static __attribute__((noinline)) void log_rare_failure(void)
{
    char *ctx = malloc(48 << 10); /* kept by the rare path, never freed */
    memset(ctx, 'f', 64);
    sink ^= (uintptr_t)ctx;
}

static void *park_forever(void *arg)
{
    (void)arg;
    while (!stop)
        pause(); /* a worker waiting for work that never comes */
    return NULL;
}

static __attribute__((noinline)) void spawn_worker(void)
{
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, park_forever, NULL) != 0)
        fprintf(stderr, "pthread_create failed\n");
    pthread_attr_destroy(&attr);
}

static void *run_job(void *arg)
{
    (void)arg;
    nap_us(2000); /* a short job, then the thread is gone */
    return NULL;
}

static __attribute__((noinline)) void spawn_job(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, run_job, NULL) == 0)
        pthread_join(t, NULL);
}

static __attribute__((noinline)) void handle_job(void)
{
    spawn_job();
}

/* ---- healthy patterns ------------------------------------------------------ */

#define CACHE_SLOTS 6144 /* x 4 KiB = 24 MiB */
static void *cache[CACHE_SLOTS];
static size_t cache_next;

static __attribute__((noinline)) void fill_cache(void)
{
    /* LRU by insertion order: the oldest entry goes when the cache is full. */
    free(cache[cache_next]);
    cache[cache_next] = malloc(4096);
    memset(cache[cache_next], 'c', 64);
    cache_next = (cache_next + 1) % CACHE_SLOTS;
}

static char *buffer;
static size_t buffer_len;

static __attribute__((noinline)) void grow_buffer(void)
{
    char *b = realloc(buffer, buffer_len + 65536);
    if (!b)
        return;
    memset(b + buffer_len, 'b', 65536);
    buffer = b;
    buffer_len += 65536;
    if (buffer_len >= (16u << 20)) { /* the request is done: release it */
        free(buffer);
        buffer = NULL;
        buffer_len = 0;
    }
}

static void *pool_worker(void *arg)
{
    (void)arg;
    while (!stop)
        nap_us(100000);
    return NULL;
}

/* ---- heap views ----------------------------------------------------------- */

static __attribute__((noinline)) void *keep_early(void)
{
    return calloc(1, 4096);
}

static __attribute__((noinline)) void *keep_late(void)
{
    return calloc(1, 4096);
}

static __attribute__((noinline)) void *fill_spike(void)
{
    return calloc(1, 1024);
}

static void heap_views(void)
{
    static void *early[2048], *late[2048], *spike[65536];
    for (int i = 0; i < 2048; i++)
        early[i] = keep_early();
    for (int i = 0; i < 50 && !stop; i++)
        nap_us(100000);
    for (int i = 0; i < 2048; i++)
        late[i] = keep_late();
    for (int i = 0; i < 65536; i++)
        spike[i] = fill_spike();
    for (int i = 0; i < 65536; i++)
        free(spike[i]);
    sink ^= (uintptr_t)early[0] ^ (uintptr_t)late[0];
    printf("views done\n");
    fflush(stdout);
    while (!stop)
        nap_us(50000);
}

/* ---- a service with four sites ---------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One 10 ms tick of the service: churn (32 blocks of ~8 KiB), the cache,
 * the buffer (64 KiB per 58 ms: 16 MiB in ~15 s), and with `leaks` the two
 * leaking sites; the buffer and the rare path go by the clock. */
static void service_tick(bool leaks)
{
    static double next_grow, next_rare;
    churn(32);
    for (int i = 0; i < 10; i++)
        fill_cache();
    double t = now_s();
    if (t >= next_grow) {
        grow_buffer();
        next_grow = (next_grow ? next_grow : t) + 15.0 / 256;
    }
    if (leaks) {
        remember_order();
        if (t >= next_rare) {
            log_rare_failure();
            next_rare = (next_rare ? next_rare : t) + 2.0;
        }
    }
}

/* ---- main ------------------------------------------------------------------- */

static void *watch_stdin(void *arg)
{
    (void)arg;
    char b[64];
    while (read(0, b, sizeof b) > 0) {
    }
    stop = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    pthread_t in;
    pthread_create(&in, NULL, watch_stdin, NULL);
    pthread_t pool[6];
    int n_pool = 0;
    if (!strcmp(mode, "cache"))
        for (; n_pool < 6; n_pool++)
            pthread_create(&pool[n_pool], NULL, pool_worker, NULL);
    printf("ready\n");
    fflush(stdout);
    unsigned long tick = 0;
    while (!stop) {
        tick++;
        if (!strcmp(mode, "thread-leak")) {
            spawn_worker();
            nap_us(250000);
        } else if (!strcmp(mode, "thread-churn")) {
            handle_job();
            nap_us(100000);
        } else if (!strcmp(mode, "churn-leak")) {
            churn(400); /* ~3 MB per 10 ms tick of churn: ~300 MB/s with the sleep */
            for (int i = 0; i < 12; i++)
                remember_session();
            nap_us(10000);
        } else if (!strcmp(mode, "rare-leak")) {
            for (int i = 0; i < 20; i++)
                handle_request(tick * 20 + (unsigned long)i);
            nap_us(10000);
        } else if (!strcmp(mode, "steady")) {
            churn(400);
            nap_us(10000);
        } else if (!strcmp(mode, "cache")) {
            for (int i = 0; i < 10; i++)
                fill_cache();
            nap_us(10000);
        } else if (!strcmp(mode, "service") || !strcmp(mode, "service-leaks")) {
            service_tick(!strcmp(mode, "service-leaks"));
            nap_us(10000);
        } else if (!strcmp(mode, "views")) {
            heap_views();
        } else if (!strcmp(mode, "grow-free")) {
            grow_buffer();
            nap_us(15000);
        } else {
            fprintf(stderr, "usage: watch_targets thread-leak|thread-churn|churn-leak|rare-leak|"
                            "steady|cache|grow-free|service|service-leaks|views\n");
            return 2;
        }
    }
    churn_free_all();
    for (int i = 0; i < n_pool; i++)
        pthread_join(pool[i], NULL);
    return 0;
}
