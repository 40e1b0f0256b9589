/*
 * push_busy.c — a busy program for the push agent's tests: THREADS threads
 * (default 2) burn CPU in burn_a/burn_b and churn small allocations for
 * SECONDS seconds, then it prints its own CPU time since start
 * (getrusage: utime + stime) as "cpu_ns N", the part of it used by cprof's
 * live threads (those /proc/self/task/TID/comm names "cprof-..." or
 * "MHD-...", libmicrohttpd's threads of cprof's listener; their
 * sum_exec_runtime from .../schedstat) as "own_ns N", and the main
 * thread's CPU before main() (the loader and libcprof's constructor) as
 * "pre_main_ns N", and returns from main, so the agent's exit flush runs. With SECONDS 0 it runs
 * until stdin closes. A third argument "fork": first a forked child burns 100 ms and exit()s
 * (running atexit handlers), the parent waits for it ("child exited N").
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static atomic_int stop;
static volatile double sink;

__attribute__((noinline)) static void burn_a(void)
{
    double x = 1;
    for (int i = 0; i < 200000; i++)
        x = x * 1.0000001 + 0.5;
    sink += x;
}

__attribute__((noinline)) static void burn_b(void)
{
    char *p = malloc(256 + (size_t)(rand() % 4096));
    if (p) {
        memset(p, 1, 256);
        sink += p[10];
        free(p);
    }
    burn_a();
}

/* cprof's own threads: "cprof-..." (lib/process/own_threads.c, and the
 * threads they start) and "MHD-..." (libmicrohttpd's, of cprof's listener;
 * this program does not use libmicrohttpd). */
static const char *const own_thread_names[] = {"cprof-", "MHD-", NULL};

static void *worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        burn_b();
    return NULL;
}

int main(int argc, char **argv)
{
    struct timespec pre;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &pre);
    int seconds = argc > 1 ? atoi(argv[1]) : 10;
    int n = argc > 2 ? atoi(argv[2]) : 2;
    pthread_t t[64];
    if (n < 1 || n > 64)
        n = 2;
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    if (argc > 3 && strcmp(argv[3], "fork") == 0) {
        pid_t kid = fork();
        if (kid == 0) {
            burn_a();
            exit(0);
        }
        int status = -1;
        waitpid(kid, &status, 0);
        printf("child exited %d\n", status);
    }
    printf("ready\n");
    fflush(stdout);
    if (seconds > 0) {
        sleep((unsigned)seconds);
    } else {
        char b[64];
        while (fgets(b, sizeof b, stdin))
            ;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long ns = (long long)ru.ru_utime.tv_sec * 1000000000 + ru.ru_utime.tv_usec * 1000LL +
                   (long long)ru.ru_stime.tv_sec * 1000000000 + ru.ru_stime.tv_usec * 1000LL;
    long long own = threads_cpu_ns(own_thread_names);
    printf("cpu_ns %lld\nown_ns %lld\npre_main_ns %lld\n", ns, own,
           (long long)pre.tv_sec * 1000000000 + pre.tv_nsec);
    fflush(stdout);
    return 0;
}
