/*
 * heapsites — a program with known allocation sites, for the heap accuracy
 * tests. Usage: heapsites A_MIB B_MIB C_MIB
 *   site_a keeps A_MIB MiB live in 4 KiB blocks
 *   site_b keeps B_MIB MiB live in 64-byte blocks
 *   site_c allocates and frees C_MIB MiB in 16 KiB blocks (nothing stays)
 * Prints "ready" on stdout once done, then waits until stdin closes, so the
 * test can scrape /debug/pprof/heap while everything is still live. Every
 * kept block carries a pattern that is checked before exit: exit status 3
 * means the program's memory changed under the profiler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void **keep;
static unsigned *keep_size;
static size_t kept;

__attribute__((noinline)) static void *site_a(void)
{
    return malloc(4096); /* SITE_A_LINE */
}

__attribute__((noinline)) static void *site_b(void)
{
    return malloc(64); /* SITE_B_LINE */
}

__attribute__((noinline)) static void site_c(void)
{
    char *p = malloc(16384); /* SITE_C_LINE */
    p[0] = 1;
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: heapsites A_MIB B_MIB C_MIB\n");
        return 2;
    }
    size_t a = strtoull(argv[1], 0, 10) << 20, b = strtoull(argv[2], 0, 10) << 20;
    size_t c = strtoull(argv[3], 0, 10) << 20;
    size_t na = a / 4096, nb = b / 64, done_b = 0;
    keep = calloc(na + nb, sizeof *keep);
    keep_size = calloc(na + nb, sizeof *keep_size);
    if (!keep || !keep_size)
        return 1;
    /* Interleave so neither site's samples depend on the other's order. */
    for (size_t i = 0; i < na; i++) {
        keep_size[kept] = 4096;
        keep[kept++] = site_a();
        for (; done_b < (i + 1) * nb / na; done_b++) {
            keep_size[kept] = 64;
            keep[kept++] = site_b();
        }
    }
    for (; done_b < nb; done_b++) {
        keep_size[kept] = 64;
        keep[kept++] = site_b();
    }
    for (size_t i = 0; i < c / 16384; i++)
        site_c();
    for (size_t i = 0; i < kept; i++) {
        if (!keep[i])
            return 1;
        memset(keep[i], (int)(i * 31 + 7), keep_size[i]);
    }
    printf("ready\n");
    fflush(stdout);
    char line[16];
    while (read(0, line, sizeof line) > 0)
        ;
    for (size_t i = 0; i < kept; i++) {
        const unsigned char *p = keep[i];
        for (size_t j = 0; j < keep_size[i]; j++)
            if (p[j] != (unsigned char)(i * 31 + 7)) {
                fprintf(stderr, "heapsites: block %zu byte %zu changed\n", i, j);
                return 3;
            }
    }
    printf("verified\n");
    return 0;
}
