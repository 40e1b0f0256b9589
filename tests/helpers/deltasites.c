/*
 * deltasites — known allocation and thread-creation sites for the delta
 * profile test. At start, static_site keeps 8 MiB live (4 KiB blocks) and
 * two threads wait in static_thread; then it prints "ready". Each line
 * "grow" on stdin makes grow_site keep another 16 MiB live (4 KiB blocks),
 * churn_site allocate and free 16 MiB (16 KiB blocks) and spawn_site start
 * four more waiting threads, then prints "grown N". When stdin closes, the
 * threads are released and the kept memory checked and freed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 64
#define MAX_BLOCKS (1 << 16)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int done;
static pthread_t threads[MAX_THREADS];
static int n_threads;
static void *blocks[MAX_BLOCKS];
static size_t n_blocks;

/* A macro, not a function: each thread's own function must be the leaf
 * frame the threads profile charges it to. */
#define WAIT_UNTIL_DONE()                                                                          \
    do {                                                                                           \
        pthread_mutex_lock(&lock);                                                                 \
        while (!done)                                                                              \
            pthread_cond_wait(&released, &lock);                                                   \
        pthread_mutex_unlock(&lock);                                                               \
    } while (0)

__attribute__((noinline)) static void *static_thread(void *arg)
{
    (void)arg;
    WAIT_UNTIL_DONE();
    return NULL;
}

__attribute__((noinline)) static void *spawned_thread(void *arg)
{
    (void)arg;
    WAIT_UNTIL_DONE();
    return NULL;
}

__attribute__((noinline)) static void spawn_site(void *(*fn)(void *))
{
    if (n_threads < MAX_THREADS && pthread_create(&threads[n_threads], NULL, fn, NULL) == 0)
        n_threads++;
}

__attribute__((noinline)) static void *static_site(void)
{
    return malloc(4096);
}

__attribute__((noinline)) static void *grow_site(void)
{
    return malloc(4096);
}

__attribute__((noinline)) static void churn_site(void)
{
    char *p = malloc(16384);
    p[0] = 1;
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
}

static int keep(void *p)
{
    if (!p || n_blocks == MAX_BLOCKS)
        return -1;
    memset(p, 0x5a, 4096);
    blocks[n_blocks++] = p;
    return 0;
}

int main(void)
{
    for (int i = 0; i < 8 * 256; i++)
        if (keep(static_site()) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        spawn_site(static_thread);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    int grown = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (strcmp(line, "grow\n") != 0)
            continue;
        for (int i = 0; i < 16 * 256; i++)
            if (keep(grow_site()) != 0)
                return 1;
        for (int i = 0; i < 16 * 64; i++)
            churn_site();
        for (int i = 0; i < 4; i++)
            spawn_site(spawned_thread);
        printf("grown %d\n", ++grown);
        fflush(stdout);
    }
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&released);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < n_blocks; i++) {
        const unsigned char *p = blocks[i];
        for (size_t j = 0; j < 4096; j++)
            if (p[j] != 0x5a)
                return 3;
        free(blocks[i]);
    }
    printf("verified\n");
    return 0;
}
