/*
 * formats_prog — the program whose profiles the foreign-format tests
 * (cprof_formats*.sh) have the real allocators and profilers write. Built
 * by the test itself with plain cc (no libcprof), so only the tool under
 * LD_PRELOAD (libtcmalloc, libjemalloc, libprofiler) watches it.
 *   formats_prog heap   site_big keeps 2048 blocks of 4 KiB, site_small
 *                       4096 of 64 bytes, site_churn allocates and frees
 *                       16 MiB in 16 KiB blocks; then, when jemalloc's
 *                       mallctl is there, "prof.dump" (the file is also
 *                       written at exit with prof_final)
 *   formats_prog cpu    spin_hot burns about 3/4 of 0.4 s of CPU,
 *                       spin_warm the rest
 * Functions are noinline so each one is a frame of its own.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_BIG 2048
#define N_SMALL 4096

static void *keep_big[N_BIG], *keep_small[N_SMALL];

__attribute__((noinline)) static void site_big(void)
{
    for (int i = 0; i < N_BIG; i++) {
        keep_big[i] = malloc(4096);
        memset(keep_big[i], 1, 4096);
    }
}

__attribute__((noinline)) static void site_small(void)
{
    for (int i = 0; i < N_SMALL; i++) {
        keep_small[i] = malloc(64);
        memset(keep_small[i], 2, 64);
    }
}

__attribute__((noinline)) static void site_churn(void)
{
    for (int i = 0; i < 1024; i++) {
        char *p = malloc(16384);
        p[0] = (char)i;
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
    }
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static double spin(double seconds)
{
    double x = 0, end = cpu_seconds() + seconds;
    while (cpu_seconds() < end)
        for (int i = 0; i < 10000; i++)
            x += i * 0.5 / (i + 1);
    return x;
}

__attribute__((noinline)) static double spin_hot(void)
{
    return spin(0.3);
}

__attribute__((noinline)) static double spin_warm(void)
{
    return spin(0.1);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "cpu")) {
        printf("%g\n", spin_hot() + spin_warm());
        return 0;
    }
    site_big();
    site_small();
    site_churn();
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    if (mallctl && mallctl("prof.dump", NULL, NULL, NULL, 0) != 0)
        fprintf(stderr, "prof.dump failed\n");
    printf("%p %p\n", keep_big[N_BIG - 1], keep_small[N_SMALL - 1]);
    return 0;
}
