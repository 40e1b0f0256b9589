/*
 * unwind.c — stack capture for the collectors (see unwind.h).
 *
 * Heap samples are taken in malloc-hook context, not in a signal handler, so
 * libunwind's unw_backtrace is allowed: it walks DWARF CFI through a
 * per-thread trace cache (~8 ns a frame on this machine type, reference §4),
 * which also works through code built without frame pointers (Debian's libc).
 * The caller holds the heap recursion guard, so anything libunwind allocates
 * goes straight to the real allocator.
 */
#include "unwind.h"

#include <libunwind.h>

extern const char __start_cprof_hook_text[] __attribute__((visibility("hidden")));
extern const char __stop_cprof_hook_text[] __attribute__((visibility("hidden")));

int unwind_is_profiler_pc(uint64_t pc)
{
    return pc >= (uint64_t)(uintptr_t)__start_cprof_hook_text &&
           pc < (uint64_t)(uintptr_t)__stop_cprof_hook_text;
}

/* Extra room for the profiler frames dropped from the top. */
#define UNWIND_SKIP_MAX 8

PROFILER_TEXT size_t unwind_capture(uint64_t *pcs, size_t max)
{
    void *raw[max + UNWIND_SKIP_MAX];
    int n = unw_backtrace(raw, (int)(max + UNWIND_SKIP_MAX));
    if (n <= 0)
        return 0;
    size_t first = 0;
    while (first < (size_t)n && unwind_is_profiler_pc((uint64_t)(uintptr_t)raw[first]))
        first++;
    size_t out = 0;
    for (size_t i = first; i < (size_t)n && out < max; i++)
        pcs[out++] = (uint64_t)(uintptr_t)raw[i];
    return out;
}
