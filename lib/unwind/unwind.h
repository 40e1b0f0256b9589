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

#include "common/hash.h"

#define PROFILER_TEXT __attribute__((section("cprof_hook_text"), noinline))

/*
 * Capture the calling thread's stack as return addresses, leaf first,
 * dropping the profiler's own frames; returns how many of pcs[0..max) it
 * filled. For hook context, not signal handlers. A thread's first 16
 * captures go through libgcc (no per-thread state: a short-lived thread
 * pays a few µs a capture), later ones through libunwind's per-thread
 * trace cache (a one-time fill of ~280 µs, then ~8 ns a frame), so threads
 * started per request never pay the fill. Never allocates through the
 * hooked malloc without the caller's recursion guard being set.
 */
size_t unwind_capture(uint64_t *pcs, size_t max);
/* The two walks unwind_capture chooses between, same contract (the libgcc
 * one falls back to libunwind when libgcc_s cannot be loaded). */
size_t unwind_capture_libgcc(uint64_t *pcs, size_t max);
size_t unwind_capture_libunwind(uint64_t *pcs, size_t max);

/*
 * Signal-safe capture (thread dumps, CPU samples): libgcc's
 * _Unwind_Backtrace, which finds unwind tables through glibc's lock-free
 * _dl_find_object, so it neither allocates nor takes the loader lock.
 * unwind_signal_init loads it and runs its lazy one-time steps; call it
 * once in ordinary context before any handler may unwind (idempotent,
 * thread-safe; 0, or -1 when libgcc_s cannot be loaded).
 */
int unwind_signal_init(void);
/*
 * In a signal handler: the interrupted thread's stack from the handler's
 * ucontext, leaf first; the handler's own frames and those of cprof's
 * interposers (PROFILER_TEXT) are dropped. pcs[0] is exact: the interrupted
 * pc, or when that was an interposer's, the call instruction in its caller.
 * A thread interrupted inside unwind_capture keeps its interposer frames:
 * that time is cprof's work and shows as such. Async-signal-safe once
 * unwind_signal_init succeeded. Returns the number of pcs (at least 1).
 */
size_t unwind_from_signal(const void *ucontext, uint64_t *pcs, size_t max);

/*
 * Another thread of this process, from the registers saved at a call site
 * (unwind_remote.c): pc a return address, sp the caller's stack pointer
 * after the return, fp its rbp.
 */
typedef struct unwind_regs {
    uint64_t pc, sp, fp;
} unwind_regs;
/* Set up the remote unwinder once, in ordinary context. 0, or -1. */
int unwind_remote_init(void);
/* Before a series of walks (a dump): notice objects loaded or unloaded and
 * a fork since the last series. */
void unwind_remote_begin(void);
/*
 * Walk from regs over copy (copy_len bytes of the thread's stack from
 * copy_base up); reads outside the copy go through process_vm_readv, so a
 * vanished stack ends the walk instead of faulting. Ordinary context only
 * (libunwind, dl_iterate_phdr), one caller at a time. pcs[0] = regs->pc;
 * returns the number of pcs (at least 1 when max > 0).
 */
size_t unwind_remote(const unwind_regs *regs, const void *copy, uint64_t copy_base, size_t copy_len,
                     uint64_t *pcs, size_t max);

/* A hash of a captured stack (FNV-1a over the pcs, with a shift so high
 * address bits reach the low bits tables index with), mixed with seed (the
 * heap sampler passes the size class, the CPU profiler the depth). Used to
 * key stack tables; async-signal-safe. */
static inline uint64_t unwind_stack_hash(const uint64_t *pcs, size_t n, uint64_t seed)
{
    uint64_t h = HASH_FNV64_OFFSET ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= HASH_FNV64_PRIME;
        h ^= h >> 29;
    }
    return h;
}

/* 1 when pc lies in the profiler's hook section. */
int unwind_is_profiler_pc(uint64_t pc);

#endif
