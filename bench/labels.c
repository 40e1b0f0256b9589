/*
 * labels.c — what cprof_label_set costs (lib/labels/labels.c), in CPU ns
 * a call on one thread (CLOCK_THREAD_CPUTIME_ID, so a preemption by
 * another program is not billed):
 *   set        cprof_label_set("request", "checkout"/"search"), alternating
 *              (every call changes the set: the worst case)
 *   set_clear  a cprof_label_set + cprof_label_clear pair, pprof.Do's shape
 *   empty      an empty call through a function pointer (the baseline)
 * Run preloaded (bench/labels.sh): the functions are found with dlsym, so
 * the binary does not link libcprof.
 *
 *   labels [-n CALLS]   prints "set NS", "set_clear NS", "empty NS"
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*set_fn)(const char *, const char *);
typedef int (*clear_fn)(const char *);

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static int empty_set(const char *k, const char *v)
{
    __asm__ volatile("" : : "r"(k), "r"(v) : "memory");
    return 0;
}

int main(int argc, char **argv)
{
    long n = 20000000;
    if (argc == 3 && strcmp(argv[1], "-n") == 0)
        n = atol(argv[2]);
    set_fn set = (set_fn)dlsym(RTLD_DEFAULT, "cprof_label_set");
    clear_fn clear = (clear_fn)dlsym(RTLD_DEFAULT, "cprof_label_clear");
    if (!set || !clear) {
        fprintf(stderr, "labels: run it with LD_PRELOAD=libcprof.so\n");
        return 2;
    }
    volatile set_fn empty = empty_set;
    const char *values[2] = {"checkout", "search"};
    double t0 = cpu_ns();
    for (long i = 0; i < n; i++)
        set("request", values[i & 1]);
    double t1 = cpu_ns();
    for (long i = 0; i < n; i++) {
        set("request", values[i & 1]);
        clear("request");
    }
    double t2 = cpu_ns();
    for (long i = 0; i < n; i++)
        empty("request", values[i & 1]);
    double t3 = cpu_ns();
    printf("set %.2f\nset_clear %.2f\nempty %.2f\n", (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n);
    return 0;
}
