/*
 * heap_hooks.c — the interposed malloc family.
 *
 * Exported malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc and malloc_usable_size take
 * precedence over libc's when libcprof is preloaded or linked ahead of libc.
 *
 * Fast paths (no lock, no call but the real allocator's):
 *   allocation: subtract the size from the thread's countdown; while it
 *               stays positive, tail-call the real function.
 *   free:       a pointer that is not page-aligned cannot be a sampled block
 *               (sampled blocks are placed page-aligned, see below); others
 *               probe the sampled-pointer filter; then tail-call the real
 *               free.
 *
 * Bootstrap: the real functions are found with dlsym(RTLD_NEXT), and dlsym
 * itself allocates. Until resolution completes, the resolving thread is
 * served from a static bump arena (other threads wait for it). Bootstrap
 * blocks are never freed; their filter slots are bumped once and never
 * lowered, so frees of them always reach the slow path, which recognises
 * and drops them.
 *
 * Recursion: the profiler's own allocations (unwinder, tables) run with
 * heap_tls.guard set, which the countdown's slow path honours.
 */
#include "heap.h"
#include "heap_internal.h"
#include "unwind/unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* glibc's own entry points: the fallback when dlsym(RTLD_NEXT) finds nothing. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* ---- bootstrap arena ---- */

#define BOOTSTRAP_SIZE (512 * 1024)
static _Alignas(64) char bootstrap_arena[BOOTSTRAP_SIZE];
static _Atomic size_t bootstrap_used;

static int is_bootstrap(const void *p)
{
    return (uintptr_t)p - (uintptr_t)bootstrap_arena < BOOTSTRAP_SIZE;
}

/* Each block is preceded by its size (for realloc and malloc_usable_size). */
static void *bootstrap_alloc(size_t size, size_t align)
{
    /* Page-aligned like sampled blocks, so free() checks the filter for
     * them (where they are pinned) even while samples are aligned. Only a
     * handful are made, while dlsym resolves the real allocator. */
    if (align < 4096)
        align = 4096;
    size_t used = atomic_load(&bootstrap_used), start, end;
    do {
        start = (used + sizeof(size_t) + align - 1) & ~(align - 1);
        if (size > BOOTSTRAP_SIZE || start + size > BOOTSTRAP_SIZE) {
            errno = ENOMEM;
            return NULL;
        }
        end = start + size;
    } while (!atomic_compare_exchange_weak(&bootstrap_used, &used, end));
    void *p = bootstrap_arena + start;
    memcpy((char *)p - sizeof(size_t), &size, sizeof size);
    heap_filter_pin(p);
    return p;
}

static size_t bootstrap_size(const void *p)
{
    size_t size;
    memcpy(&size, (const char *)p - sizeof(size_t), sizeof size);
    return size;
}

/* ---- the real allocator ---- */

typedef struct real_allocator {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
} real_allocator;

enum { UNRESOLVED, RESOLVING, RESOLVED };
static _Atomic int resolve_state;
static __thread int resolving_here __attribute__((tls_model("initial-exec")));

static void *first_malloc(size_t);
static void first_free(void *);
static void *first_calloc(size_t, size_t);
static void *first_realloc(void *, size_t);
static int first_posix_memalign(void **, size_t, size_t);
static void *first_aligned_alloc(size_t, size_t);
static void *first_memalign(size_t, size_t);
static void *first_valloc(size_t);
static void *first_pvalloc(size_t);
static size_t first_malloc_usable_size(void *);

/* Until resolution every entry points at a trampoline that resolves first,
 * so the fast paths never test whether resolution has happened. */
static real_allocator real = {
    first_malloc,        first_free,     first_calloc, first_realloc, first_posix_memalign,
    first_aligned_alloc, first_memalign, first_valloc, first_pvalloc, first_malloc_usable_size,
};

static void *lookup_next(const char *name, void *fallback)
{
    void *fn = dlsym(RTLD_NEXT, name);
    return fn ? fn : fallback;
}

static void resolve_all(void)
{
    real_allocator r;
    r.malloc = lookup_next("malloc", (void *)__libc_malloc);
    r.free = lookup_next("free", (void *)__libc_free);
    r.calloc = lookup_next("calloc", (void *)__libc_calloc);
    r.realloc = lookup_next("realloc", (void *)__libc_realloc);
    r.posix_memalign = lookup_next("posix_memalign", NULL);
    r.aligned_alloc = lookup_next("aligned_alloc", (void *)__libc_memalign);
    r.memalign = lookup_next("memalign", (void *)__libc_memalign);
    r.valloc = lookup_next("valloc", (void *)__libc_valloc);
    r.pvalloc = lookup_next("pvalloc", (void *)__libc_pvalloc);
    r.malloc_usable_size = lookup_next("malloc_usable_size", NULL);
    real = r;
}

/* 1 when the real functions are usable; 0 when this thread is the one
 * resolving them (dlsym allocating): serve it from the bootstrap arena. */
static int resolve_real(void)
{
    int state = atomic_load_explicit(&resolve_state, memory_order_acquire);
    if (LIKELY(state == RESOLVED))
        return 1;
    if (resolving_here)
        return 0;
    int expected = UNRESOLVED;
    if (atomic_compare_exchange_strong(&resolve_state, &expected, RESOLVING)) {
        resolving_here = 1;
        resolve_all();
        resolving_here = 0;
        atomic_store_explicit(&resolve_state, RESOLVED, memory_order_release);
        return 1;
    }
    while (atomic_load_explicit(&resolve_state, memory_order_acquire) != RESOLVED)
        sched_yield();
    return 1;
}

void heap_hooks_init(void)
{
    resolve_real();
}

static void *first_malloc(size_t n)
{
    return resolve_real() ? real.malloc(n) : bootstrap_alloc(n, 16);
}

static void first_free(void *p)
{
    if (resolve_real())
        real.free(p);
}

static void *first_calloc(size_t n, size_t m)
{
    if (resolve_real())
        return real.calloc(n, m);
    if (m && n > SIZE_MAX / m) {
        errno = ENOMEM;
        return NULL;
    }
    return bootstrap_alloc(n * m, 16); /* static memory, never reused: zero */
}

static void *first_realloc(void *p, size_t n)
{
    return resolve_real() ? real.realloc(p, n) : NULL;
}

static int memalign_via_posix(void **out, size_t align, size_t size)
{
    if (!real.posix_memalign) {
        *out = real.memalign(align, size);
        return *out ? 0 : ENOMEM;
    }
    return real.posix_memalign(out, align, size);
}

static int first_posix_memalign(void **out, size_t align, size_t size)
{
    if (resolve_real())
        return memalign_via_posix(out, align, size);
    *out = bootstrap_alloc(size, align);
    return *out ? 0 : ENOMEM;
}

static void *first_aligned_alloc(size_t a, size_t n)
{
    return resolve_real() ? real.aligned_alloc(a, n) : bootstrap_alloc(n, a);
}

static void *first_memalign(size_t a, size_t n)
{
    return resolve_real() ? real.memalign(a, n) : bootstrap_alloc(n, a);
}

static void *first_valloc(size_t n)
{
    return resolve_real() ? real.valloc(n) : NULL;
}
static void *first_pvalloc(size_t n)
{
    return resolve_real() ? real.pvalloc(n) : NULL;
}

static size_t first_malloc_usable_size(void *p)
{
    return resolve_real() && real.malloc_usable_size ? real.malloc_usable_size(p) : 0;
}

/* ---- sampling decisions ---- */

/*
 * Sampled blocks are placed at SAMPLE_ALIGN-aligned addresses, so free()
 * rules out all but 1 in 256 pointers by their low bits alone, touching no
 * memory (the filter probe it replaces was the largest part of the hooks'
 * cost on a churn load). At rates below SAMPLE_ALIGN_MIN_RATE samples are
 * frequent enough that page alignment would waste real memory: they are
 * left where the allocator puts them, and free() probes the filter for
 * every pointer from then on (samples_unaligned is sticky).
 */
#define SAMPLE_ALIGN 4096
#define SAMPLE_ALIGN_MIN_RATE (64 * 1024)
static _Atomic int samples_unaligned;

static void mark_samples_unaligned(void)
{
    /* Set before the block exists, so no free of it can skip the filter
     * (a free elsewhere happens after the application hands the pointer
     * over, which orders this store before it). Written once: a store per
     * sample would bounce the line every free() reads. */
    if (!atomic_load_explicit(&samples_unaligned, memory_order_relaxed))
        atomic_store_explicit(&samples_unaligned, 1, memory_order_relaxed);
}

static inline int maybe_sampled(const void *p)
{
    if (LIKELY(((uintptr_t)p & (SAMPLE_ALIGN - 1)) != 0) &&
        LIKELY(!atomic_load_explicit(&samples_unaligned, memory_order_relaxed)))
        return 0;
    return heap_filter_maybe_sampled(p);
}

static inline int should_sample(size_t size)
{
    if (LIKELY(heap_tls.bytes_until_sample > (int64_t)size)) {
        heap_tls.bytes_until_sample -= (int64_t)size;
        return 0;
    }
    return heap_countdown_expired(size);
}

/* Allocate a block chosen for sampling and record it. align 0 = malloc's. */
PROFILER_TEXT static void *sampled_alloc(size_t align, size_t size, int zero)
{
    void *p;
    if (heap_sampler_rate() >= SAMPLE_ALIGN_MIN_RATE) {
        p = real.memalign(align > SAMPLE_ALIGN ? align : SAMPLE_ALIGN, size);
        if (p && zero)
            memset(p, 0, size);
    } else {
        mark_samples_unaligned();
        p = align ? real.memalign(align, size) : zero ? real.calloc(1, size) : real.malloc(size);
    }
    if (p)
        heap_sample_take(p, size);
    return p;
}

/* ---- the hooks ---- */

EXPORT PROFILER_TEXT void *malloc(size_t size)
{
    if (LIKELY(!should_sample(size)))
        return real.malloc(size);
    return sampled_alloc(0, size, 0);
}

EXPORT PROFILER_TEXT void free(void *p)
{
    if (UNLIKELY(maybe_sampled(p))) {
        if (is_bootstrap(p))
            return;
        heap_sample_forget(p);
    }
    real.free(p);
}

EXPORT PROFILER_TEXT void *calloc(size_t n, size_t m)
{
    size_t size;
    if (__builtin_mul_overflow(n, m, &size))
        return real.calloc(n, m); /* let the allocator report ENOMEM */
    if (LIKELY(!should_sample(size)))
        return real.calloc(n, m);
    return sampled_alloc(0, size, 1);
}

static void *realloc_bootstrap(void *old, size_t size)
{
    void *p = malloc(size);
    if (p) {
        size_t old_size = bootstrap_size(old);
        memcpy(p, old, old_size < size ? old_size : size);
    }
    return p;
}

/* Above this size a sampled realloc keeps the allocator's in-place growth
 * (mremap for large blocks) instead of copying into an aligned block; the
 * block is then sampled where it lands, and free() probes the filter for
 * every pointer from then on. */
#define REALLOC_COPY_LIMIT (1u << 20)

/* realloc chosen for sampling: a new (aligned) block, the old contents
 * copied, the old block released — a move, which realloc may always do. */
PROFILER_TEXT static void *realloc_sampled(void *old, size_t size)
{
    if (old && size >= REALLOC_COPY_LIMIT) {
        mark_samples_unaligned();
        void *p = real.realloc(old, size);
        if (p)
            heap_sample_take(p, size);
        return p;
    }
    size_t old_usable = old ? real.malloc_usable_size(old) : 0;
    void *p = sampled_alloc(0, size, 0);
    if (p && old) {
        memcpy(p, old, old_usable < size ? old_usable : size);
        real.free(old);
    }
    return p;
}

EXPORT PROFILER_TEXT void *realloc(void *old, size_t size)
{
    if (UNLIKELY(old && maybe_sampled(old))) {
        if (is_bootstrap(old))
            return realloc_bootstrap(old, size);
        /* realloc = free + malloc. Forgotten first so no other thread can be
         * handed this address while its record still exists. */
        heap_sample_forget(old);
    }
    /* realloc(p, 0) frees in glibc: never turn it into an allocation. */
    if (LIKELY(size == 0 || !real.malloc_usable_size || !should_sample(size)))
        return real.realloc(old, size);
    return realloc_sampled(old, size);
}

EXPORT PROFILER_TEXT void *reallocarray(void *old, size_t n, size_t m)
{
    size_t size;
    if (__builtin_mul_overflow(n, m, &size)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, size);
}

static int valid_posix_alignment(size_t align)
{
    return align >= sizeof(void *) && (align & (align - 1)) == 0;
}

EXPORT PROFILER_TEXT int posix_memalign(void **out, size_t align, size_t size)
{
    if (LIKELY(!valid_posix_alignment(align) || !should_sample(size)))
        return real.posix_memalign ? real.posix_memalign(out, align, size)
                                   : first_posix_memalign(out, align, size);
    void *p = sampled_alloc(align, size, 0);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

EXPORT PROFILER_TEXT void *aligned_alloc(size_t align, size_t size)
{
    if (LIKELY(!should_sample(size)))
        return real.aligned_alloc(align, size);
    return sampled_alloc(align, size, 0);
}

EXPORT PROFILER_TEXT void *memalign(size_t align, size_t size)
{
    if (LIKELY(!should_sample(size)))
        return real.memalign(align, size);
    return sampled_alloc(align, size, 0);
}

EXPORT PROFILER_TEXT void *valloc(size_t size)
{
    if (LIKELY(!should_sample(size)))
        return real.valloc(size);
    return sampled_alloc((size_t)sysconf(_SC_PAGESIZE), size, 0);
}

EXPORT PROFILER_TEXT void *pvalloc(size_t size)
{
    if (LIKELY(!should_sample(size)))
        return real.pvalloc(size);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = size ? (size + page - 1) & ~(page - 1) : page;
    if (rounded < size)
        return real.pvalloc(size); /* overflow: let the allocator fail it */
    return sampled_alloc(page, rounded, 0);
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    if (is_bootstrap(p))
        return bootstrap_size(p);
    return real.malloc_usable_size ? real.malloc_usable_size(p) : 0;
}
