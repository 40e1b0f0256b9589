/*
 * labelfork — labels across fork() under LD_PRELOAD (labels_fork.sh).
 *
 * The parent's main thread sets role=parent and request=parent-req; a
 * parent worker thread sets role=parent-worker and burns CPU and allocates
 * (parent_burn, parent_alloc). Then the main thread forks. The child (only
 * the forking thread lives on) first allocates with the labels it inherited
 * (child_alloc_inherited: role=parent, request=parent-req, kept live), then
 * sets its own: role=child, request cleared, child=1; it starts thread A
 * (worker=child-a: child_a_burn, child_a_alloc) and thread B (no labels:
 * child_b_burn, child_b_alloc) and itself burns and allocates
 * (child_main_burn, child_main_alloc). Every burn is ~1 ms of CPU and
 * every alloc keeps the last 64 16-KiB blocks live.
 * The parent worker forks too, before it starts working: that child
 * ("child2", forked from a thread that is not main) sets role=child2 over
 * the role=parent-worker it inherited and works in child2_burn/alloc.
 * Prints "child PID", "child2 PID" and "ready"; at end of file on stdin
 * kills both children, waits for them and exits 0 (1 when one died
 * otherwise).
 */
#include <cprof.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static volatile unsigned long sink;
static atomic_int parent_ready;

static void spin_1ms(void)
{
    long long end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 1000000;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 1000; i++)
            sink += (unsigned long)i * 2654435761u;
}

static void keep(void **ring, unsigned *at)
{
    for (int i = 0; i < 4; i++) {
        free(ring[*at % 64]);
        ring[*at % 64] = malloc(16384);
        memset(ring[*at % 64], 1, 64);
        (*at)++;
    }
}

/* One function per (process, thread): a profile tells them apart by name. */
#define WORK(name)                                                                                 \
    __attribute__((noinline)) static void name##_burn(void)                                        \
    {                                                                                              \
        spin_1ms();                                                                                \
        __asm__ volatile("");                                                                      \
    }                                                                                              \
    __attribute__((noinline)) static void name##_alloc(void **ring, unsigned *at)                  \
    {                                                                                              \
        keep(ring, at);                                                                            \
        __asm__ volatile("");                                                                      \
    }                                                                                              \
    __attribute__((noinline)) static void name##_loop(void)                                        \
    {                                                                                              \
        void *ring[64] = {0};                                                                      \
        unsigned at = 0;                                                                           \
        for (;;) {                                                                                 \
            name##_burn();                                                                         \
            name##_alloc(ring, &at);                                                               \
            usleep(1000);                                                                          \
        }                                                                                          \
    }

WORK(parent)
WORK(child_a)
WORK(child_b)
WORK(child_main)
WORK(child2)

static pid_t child2_pid;

void *inherited[64]; /* global: the blocks stay reachable */

__attribute__((noinline)) static void child_alloc_inherited(void)
{
    for (int i = 0; i < 64; i++)
        inherited[i] = malloc(16384);
}

static void *parent_worker(void *arg)
{
    (void)arg;
    CHECK(cprof_label_set("role", "parent-worker") == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        CHECK(cprof_label_set("role", "child2") == 0);
        child2_loop();
    }
    child2_pid = pid;
    atomic_store(&parent_ready, 1);
    parent_loop();
    return NULL;
}

static void *child_a(void *arg)
{
    (void)arg;
    CHECK(cprof_label_set("worker", "child-a") == 0);
    child_a_loop();
    return NULL;
}

static void *child_b(void *arg)
{
    (void)arg;
    child_b_loop();
    return NULL;
}

static void child(void)
{
    signal(SIGTERM, SIG_DFL);
    child_alloc_inherited(); /* with the forking thread's labels */
    CHECK(cprof_label_set("role", "child") == 0);
    CHECK(cprof_label_clear("request") == 0);
    CHECK(cprof_label_set("child", "1") == 0);
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, child_a, NULL) == 0);
    CHECK(pthread_create(&b, NULL, child_b, NULL) == 0);
    child_main_loop();
}

int main(void)
{
    CHECK(cprof_label_set("role", "parent") == 0);
    CHECK(cprof_label_set("request", "parent-req") == 0);
    pthread_t w;
    CHECK(pthread_create(&w, NULL, parent_worker, NULL) == 0);
    while (!atomic_load(&parent_ready))
        usleep(1000);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        child();
    printf("child %d\nchild2 %d\nready\n", (int)pid, (int)child2_pid);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    int ok = 1;
    pid_t kids[2] = {pid, child2_pid};
    for (int i = 0; i < 2; i++) {
        int status;
        kill(kids[i], SIGTERM);
        CHECK(waitpid(kids[i], &status, 0) == kids[i]);
        ok = ok && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
    }
    return ok ? 0 : 1;
}
