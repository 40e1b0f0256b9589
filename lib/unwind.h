/*
 * unwind.h — the one stack-capture API of the collectors.
 *
 * Code that may sit on the stack between the application's frame and the
 * unwinder (the malloc hooks, their slow paths, the capture function) is put
 * in one linker section, PROFILER_TEXT, so captures drop exactly those frames
 * however the compiler inlined them.
 */
#ifndef CPROF_UNWIND_H
#define CPROF_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#define PROFILER_TEXT __attribute__((section("cprof_hook_text"), noinline))

/*
 * Capture the calling thread's stack as return addresses, leaf first,
 * dropping the profiler's own frames. For malloc-hook context (not signal
 * safe: libunwind builds a per-thread cache on first use). Never allocates
 * through the hooked malloc without the caller's recursion guard being set.
 */
size_t unwind_capture(uint64_t *pcs, size_t max);

/* 1 when pc lies in the profiler's hook section. */
int unwind_is_profiler_pc(uint64_t pc);

#endif
