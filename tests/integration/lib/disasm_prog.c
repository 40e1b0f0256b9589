/*
 * disasm_prog — the program whose CPU profile cprof_disasm.sh lists as
 * disassembly and annotated source (built by the test, run under
 * libprofiler's CPUPROFILE). spin_loop burns about 2/3 of 0.6 s of CPU
 * through mix(), inlined into it (the weblist shows the inlined call),
 * spin_other the rest. The comment on line 39 is source text with HTML
 * metacharacters: the weblist must escape it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double mix(double x, int i)
{
    return x + i * 0.5 / (i + 1);
}

__attribute__((noinline)) double spin_loop(double seconds)
{
    double x = 0, end = cpu_seconds() + seconds;
    while (cpu_seconds() < end)
        for (int i = 0; i < 10000; i++)
            x = mix(x, i);
    return x;
}

__attribute__((noinline)) double spin_other(double seconds)
{
    double x = 1, end = cpu_seconds() + seconds;
    while (cpu_seconds() < end)
        for (int i = 1; i < 10000; i++)
            x = x * 1.0000001 + 1.0 / i; /* <script>alert("x")</script> & */
    return x;
}

int main(void)
{
    printf("%f\n", spin_loop(0.4) + spin_other(0.2));
    return 0;
}
