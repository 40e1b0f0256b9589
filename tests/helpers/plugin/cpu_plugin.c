/* A small shared library that the CPU stress helper dlopens and dlcloses in
 * a loop (tests/helpers/cpu_stress.cc). */
#include <stdint.h>

uint64_t plugin_work(uint64_t n);

uint64_t plugin_work(uint64_t n)
{
    volatile uint64_t x = n;
    for (int i = 0; i < 1000; i++)
        x = x * 6364136223846793005ull + 1;
    return x;
}
