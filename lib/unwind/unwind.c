/*
 * unwind.c — stack capture for the collectors (see unwind.h).
 *
 * Hook context (heap samples, thread creations, lock and wait events) is
 * not a signal handler, and two unwinders serve it, chosen per thread:
 *   - libunwind's unw_backtrace walks DWARF CFI through a per-thread trace
 *     cache: ~8 ns a frame once the cache holds the thread's frames
 *     (reference §4), but filling it costs the thread ~280 µs of slow-path
 *     steps (dl_iterate_phdr, a sigprocmask and a mincore per step), again
 *     on every new thread. On python3's http.server, which starts a thread
 *     per request, that cold fill was 16-20 % of the server's CPU and cut
 *     its throughput by a quarter (BENCHMARKS.md, "Unwinding in hooks").
 *   - libgcc's _Unwind_Backtrace keeps no per-thread state: 4-15 µs a
 *     stack whatever the thread's age (it reruns each frame's CFI program).
 * A thread's first UNWIND_COLD_CAPTURES captures use libgcc; a thread that
 * captures more is long-lived enough for libunwind's fill to pay off, and
 * uses libunwind from then on. Either walk drops the leading PROFILER_TEXT
 * frames, so both give the same pcs (tests/unit/test_unwind.c). The
 * caller holds its collector's recursion guard, so anything libunwind
 * allocates goes straight to the real allocator.
 *
 * While a walk runs, the thread's tls_capturing is set: a CPU sample or
 * a thread dump that interrupts it keeps the interposer frames, so the
 * profile shows the unwinding as cprof's work (under libcprof's malloc,
 * pthread_create, ...) instead of charging it to the program's caller.
 *
 * Signal handlers (thread dumps, CPU samples) use libgcc's _Unwind_Backtrace
 * instead, taken from libgcc_s.so.1 by dlsym: libunwind (linked above)
 * exports the same _Unwind_* names, and which one a plain reference binds to
 * would depend on the program's load order. On glibc >= 2.35 with gcc >= 12
 * it finds unwind tables through _dl_find_object, lock-free and
 * malloc-free, so a signal landing inside dlopen, dlclose or a C++ throw on
 * the same thread cannot deadlock on the loader lock (reference §3). Its
 * only lazy steps (PLT binding, a pthread_once for register sizes) run in
 * unwind_signal_init's warm-up walk, outside any handler. The walk starts in
 * the handler; frames are dropped until the interrupted pc (from the
 * ucontext) comes up through the kernel's signal frame, so the leaf is the
 * interrupted instruction and no handler frame is kept.
 */
#include "unwind.h"

#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>

extern const char __start_cprof_hook_text[] __attribute__((visibility("hidden")));
extern const char __stop_cprof_hook_text[] __attribute__((visibility("hidden")));

int unwind_is_profiler_pc(uint64_t pc)
{
    return pc >= (uint64_t)(uintptr_t)__start_cprof_hook_text &&
           pc < (uint64_t)(uintptr_t)__stop_cprof_hook_text;
}

/* ---- signal-safe capture (libgcc) ----------------------------------------- */

struct _Unwind_Context;
typedef int (*unwind_trace_fn)(struct _Unwind_Context *, void *);
typedef int (*unwind_backtrace_fn)(unwind_trace_fn, void *);
typedef uintptr_t (*unwind_get_ip_fn)(struct _Unwind_Context *, int *);
#define URC_NO_REASON 0
#define URC_END_OF_STACK 5
#define SIGNAL_SKIP_MAX 32 /* handler frames above the interrupted one */

static unwind_backtrace_fn gcc_backtrace;
static unwind_get_ip_fn gcc_get_ip;
static pthread_once_t gcc_once = PTHREAD_ONCE_INIT;
static int gcc_ok;

/* This thread's captures so far, and whether one is running now. */
static __thread unsigned tls_captures __attribute__((tls_model("initial-exec")));
static __thread volatile sig_atomic_t tls_capturing __attribute__((tls_model("initial-exec")));

typedef struct signal_walk {
    uint64_t *pcs;
    size_t max, n;
    uintptr_t leaf; /* the interrupted pc: frames above it are the handler's */
    int found, skipped;
    int dropped;  /* an interposer's frame was left out */
    int keep_own; /* the thread was inside a capture: its work is cprof's */
} signal_walk;

static int signal_walk_frame(struct _Unwind_Context *ctx, void *arg)
{
    signal_walk *w = arg;
    int before_insn = 0;
    uintptr_t ip = gcc_get_ip(ctx, &before_insn);
    if (!w->found) {
        if (ip != w->leaf)
            return ++w->skipped > SIGNAL_SKIP_MAX ? URC_END_OF_STACK : URC_NO_REASON;
        w->found = 1;
    }
    if (ip == 0 || w->n >= w->max)
        return URC_END_OF_STACK;
    /* An interposer (malloc family, blocking calls) between the program's
     * frames is cprof's code, not the program's work: dropped, as
     * unwind_capture drops it, so the stack reads as without cprof. */
    if (unwind_is_profiler_pc(ip) && !w->keep_own) {
        w->dropped = 1;
        return URC_NO_REASON;
    }
    /* A return address standing in for the leaf: its call instruction. */
    uintptr_t pc = w->n == 0 && w->dropped ? ip - 1 : ip;
    w->pcs[w->n++] = pc;
    return URC_NO_REASON;
}

size_t unwind_from_signal(const void *ucontext, uint64_t *pcs, size_t max)
{
    const ucontext_t *uc = ucontext;
    signal_walk w = {.pcs = pcs,
                     .max = max,
                     .leaf = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP],
                     .keep_own = tls_capturing};
    if (max == 0)
        return 0;
    if (gcc_ok)
        gcc_backtrace(signal_walk_frame, &w);
    if (w.n == 0) {      /* the walk never reached the interrupted frame, or */
        pcs[0] = w.leaf; /* found only interposer frames: keep the leaf */
        w.n = 1;
    }
    return w.n;
}

static int count_frame(struct _Unwind_Context *ctx, void *arg)
{
    (void)ctx;
    ++*(int *)arg;
    return URC_NO_REASON;
}

static void load_libgcc(void)
{
    void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h)
        return;
    gcc_backtrace = (unwind_backtrace_fn)dlsym(h, "_Unwind_Backtrace");
    gcc_get_ip = (unwind_get_ip_fn)dlsym(h, "_Unwind_GetIPInfo");
    if (!gcc_backtrace || !gcc_get_ip)
        return;
    int frames = 0;
    gcc_backtrace(count_frame, &frames); /* the warm-up walk */
    gcc_ok = 1;
}

int unwind_signal_init(void)
{
    pthread_once(&gcc_once, load_libgcc);
    return gcc_ok ? 0 : -1;
}

/* ---- capture in hook context ----------------------------------------------- */

/* A thread's captures through libgcc before it switches to libunwind. */
#define UNWIND_COLD_CAPTURES 16
/* Extra room for the profiler frames dropped from the top. */
#define UNWIND_SKIP_MAX 8

/* See unwind.h: libunwind's walk, through this thread's trace cache (the
 * first call on a thread fills it). Returns the pcs kept. */
PROFILER_TEXT size_t unwind_capture_libunwind(uint64_t *pcs, size_t max)
{
    void *raw[max + UNWIND_SKIP_MAX];
    tls_capturing = 1;
    int n = unw_backtrace(raw, (int)(max + UNWIND_SKIP_MAX));
    tls_capturing = 0;
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

typedef struct capture_walk {
    uint64_t *pcs;
    size_t max, n;
} capture_walk;

/* _Unwind_Backtrace's callback: skip the leading profiler frames, keep the
 * rest up to max. */
static int capture_frame(struct _Unwind_Context *ctx, void *arg)
{
    capture_walk *w = arg;
    int before_insn = 0;
    uintptr_t ip = gcc_get_ip(ctx, &before_insn);
    if (ip == 0 || w->n >= w->max)
        return URC_END_OF_STACK;
    if (w->n == 0 && unwind_is_profiler_pc(ip))
        return URC_NO_REASON; /* the capture's own frames and the hook's */
    w->pcs[w->n++] = ip;
    return URC_NO_REASON;
}

/* See unwind.h: libgcc's walk, no per-thread state (libunwind's when
 * libgcc_s is missing). Returns the pcs kept. */
PROFILER_TEXT size_t unwind_capture_libgcc(uint64_t *pcs, size_t max)
{
    if (unwind_signal_init() != 0)
        return unwind_capture_libunwind(pcs, max);
    capture_walk w = {.pcs = pcs, .max = max};
    tls_capturing = 1;
    gcc_backtrace(capture_frame, &w);
    tls_capturing = 0;
    return w.n;
}

/* See unwind.h: libgcc for this thread's first UNWIND_COLD_CAPTURES
 * captures, libunwind after. */
PROFILER_TEXT size_t unwind_capture(uint64_t *pcs, size_t max)
{
    if (tls_captures < UNWIND_COLD_CAPTURES) {
        tls_captures++;
        return unwind_capture_libgcc(pcs, max);
    }
    return unwind_capture_libunwind(pcs, max);
}
