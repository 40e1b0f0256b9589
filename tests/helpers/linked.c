/*
 * linked — libcprof linked in (no LD_PRELOAD) and started from code:
 * cprof_start with a config, a known allocation site, cprof_http_address,
 * a second cprof_start refused, cprof_stop. Prints "listening URL" then
 * "ready", waits for stdin to close, stops, and prints "stopped".
 */
#include <cprof.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void **kept;

__attribute__((noinline)) static void *linked_site(void)
{
    return malloc(8192); /* LINKED_SITE */
}

int main(void)
{
    if (cprof_http_address() != NULL)
        return 10; /* nothing runs before cprof_start in linked mode */
    cprof_config cfg = {.heap_rate = 4096, .http_addr = "127.0.0.1:0", .seed = 3};
    if (cprof_start(&cfg) != 0)
        return 11;
    if (cprof_start(&cfg) != -1)
        return 12; /* twice without stop is refused */
    const char *addr = cprof_http_address();
    if (!addr)
        return 13;
    kept = calloc(4096, sizeof *kept);
    for (int i = 0; i < 4096; i++) /* 32 MiB live */
        kept[i] = linked_site();
    printf("listening http://%s/debug/pprof/\nready\n", addr);
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0)
        ;
    cprof_stop();
    if (cprof_http_address() != NULL)
        return 14;
    cprof_stop(); /* idempotent */
    printf("stopped\n");
    return 0;
}
