/*
 * contention_hooks.c — interposed lock functions for the mutex profile:
 * pthread_mutex_lock, pthread_mutex_timedlock, pthread_rwlock_rdlock,
 * pthread_rwlock_wrlock, pthread_rwlock_timedrdlock,
 * pthread_rwlock_timedwrlock; and for the block profile the waits
 * pthread_cond_wait/timedwait, sem_wait/timedwait, pthread_join,
 * pthread_barrier_wait (below: timed, sampled by duration).
 *
 * Fast path (the lock is free): one trylock, its result returned. Nothing
 * else: no TLS, no atomic, no clock. pthread_mutex_lock goes one step
 * further (bench/mutex_lock.sh: a trylock plus our frame cost 7-10 % of an
 * uncontended lock/unlock pair): when the mutex's lock word reads free it
 * tail-calls the real function, and only a mutex that reads held goes
 * through the trylock. Anything but success (or EOWNERDEAD,
 * which acquires a robust mutex as lock would) goes to the slow path,
 * which calls the real lock function and returns its result and errno
 * unchanged, whatever the mutex type: a recursive mutex the caller owns
 * succeeds at trylock as at lock; an error-checking one the caller owns
 * fails trylock with EBUSY, then the real lock answers EDEADLK; a lock
 * that is busy is waited for by the real function, with its own timeout
 * for the timed forms. Only when the real call succeeded (or timed out:
 * the thread waited all the same) is the wait recorded.
 *
 * Sampling (runtime.SetMutexProfileFraction): 1 in `rate` contention
 * events, chosen by a per-thread xorshift before the wait, so the stack is
 * taken only for sampled events, before the thread blocks (the unwinder
 * may take the loader lock: never while the lock just acquired is held).
 * The profile scales counts and delays by rate (contention_profile.c).
 *
 * Not recorded: calls made while this thread is already inside a hook's
 * recording (recursion guard: the unwinder and the table may lock), calls
 * on cprof's own threads, and calls from cprof's own code (its internal
 * locks, found by the caller's address in libcprof's text).
 *
 * The real functions are found with dlsym(RTLD_NEXT) at the first
 * contended call of each (and all at once by contention_set_mutex_rate,
 * at start); while a thread is inside dlsym (which may lock), its nested
 * calls use glibc's clock forms (pthread_mutex_clocklock, ...: with
 * CLOCK_REALTIME for the timed forms, with a deadline 2^40 s away for the
 * untimed ones), which wait as the interposed names do. A fork needs nothing: the table is
 * lock-free and inherited (stack_counts.h), the rate and the resolved functions stay valid in the
 * child.
 */
#include "contention.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "threads/threads.h"
#include "labels/labels.h"
#include "unwind/stack_counts.h"
#include "unwind/unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The try forms, called through the GOT rather than a PLT stub: one
 * indirect jump less on the fast path. */
extern int pthread_mutex_trylock(pthread_mutex_t *m) __attribute__((noplt));
extern int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) __attribute__((noplt));
extern int pthread_rwlock_trywrlock(pthread_rwlock_t *l) __attribute__((noplt));

/* For calls nested in our own dlsym: the clock forms with a deadline
 * that never comes wait exactly as the untimed ones. */
static const struct timespec never = {(time_t)1 << 40, 0};

static stack_counts tables[CONTENTION_KINDS] = {STACK_COUNTS_INIT(4096), STACK_COUNTS_INIT(4096)};
static _Atomic int64_t mutex_rate;
static _Atomic int64_t block_rate; /* ns */

/* [own_text_start, own_text_end): libcprof's executable segment. */
static uintptr_t own_text_start, own_text_end;

static __thread int tls_guard __attribute__((tls_model("initial-exec")));
static __thread uint64_t tls_rng __attribute__((tls_model("initial-exec")));

/* ---- the table -------------------------------------------------------------- */

void contention_record(enum contention_kind kind, const uint64_t *pcs, size_t n, int64_t count,
                       int64_t delay_ns)
{
    int64_t values[STACK_COUNTS_VALUES] = {count, delay_ns};
    stack_counts_add(&tables[kind], pcs, n, labels_current(), values);
}

stack_counts_record *contention_snapshot(enum contention_kind kind, size_t *n, int *oom)
{
    return stack_counts_snapshot(&tables[kind], n, oom);
}

long contention_count_mutex(void)
{
    return stack_counts_used(&tables[CONTENTION_MUTEX]);
}

long contention_count_block(void)
{
    return stack_counts_used(&tables[CONTENTION_BLOCK]);
}

/* ---- what is ours ---------------------------------------------------------------- */

static int find_own_text(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t self = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && self >= lo && self < hi) {
            own_text_start = lo;
            own_text_end = hi;
            return 1;
        }
    }
    return 0;
}

/* ---- one wait ------------------------------------------------------------------- */

typedef struct wait_probe {
    int sampled;
    size_t n;
    int64_t t0;
    uint64_t pcs[STACK_COUNTS_FRAMES];
} wait_probe;

static uint64_t next_random(void)
{
    uint64_t x = tls_rng;
    if (!x)
        x = (uint64_t)syscall(SYS_gettid) * 0x9E3779B97F4A7C15ull ^ (uint64_t)monotonic_ns();
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    tls_rng = x ? x : 1;
    return x;
}

/* Before a contended wait: is it sampled? If so, take the stack (the
 * caller's frames: the hooks are PROFILER_TEXT, so pcs[0] is the return
 * address into whoever called the lock function; a caller in libcprof
 * is cprof's own lock) and start the clock. errno untouched. */
PROFILER_TEXT static void wait_begin(wait_probe *w)
{
    w->sampled = 0;
    int64_t rate = atomic_load_explicit(&mutex_rate, memory_order_relaxed);
    if (rate <= 0 || tls_guard || threads_self_internal())
        return;
    int saved_errno = errno;
    if (rate == 1 || next_random() % (uint64_t)rate == 0) {
        /* The clock starts first: the delay is what the caller lost in
         * this call, our unwind included, as it would measure it. */
        w->t0 = monotonic_ns();
        tls_guard = 1;
        w->n = unwind_capture(w->pcs, STACK_COUNTS_FRAMES);
        tls_guard = 0;
        w->sampled = w->n > 0 && !(w->pcs[0] >= own_text_start && w->pcs[0] < own_text_end);
    }
    errno = saved_errno;
}

/* After it: record it when the call waited for the lock (rc 0) or until
 * its timeout. errno untouched. */
PROFILER_TEXT static void wait_end(wait_probe *w, int rc)
{
    if (!w->sampled || (rc != 0 && rc != ETIMEDOUT))
        return;
    int saved_errno = errno;
    int64_t delay = monotonic_ns() - w->t0;
    tls_guard = 1;
    contention_record(CONTENTION_MUTEX, w->pcs, w->n, 1, delay > 0 ? delay : 0);
    tls_guard = 0;
    errno = saved_errno;
}

/* ---- the real functions ----------------------------------------------------------- */

typedef struct real_site {
    const char *name;
    const char *version; /* NULL: the default version (dlsym) */
    _Atomic(void *) fn;
} real_site;

static __thread int tls_resolving __attribute__((tls_model("initial-exec")));

/* The real function of site, or NULL while this thread is inside dlsym
 * (the caller then uses glibc's equivalent). */
static void *real_of(real_site *site)
{
    void *fn = atomic_load_explicit(&site->fn, memory_order_acquire);
    if (LIKELY(fn) || tls_resolving)
        return fn;
    int saved_errno = errno;
    tls_resolving = 1;
    fn = site->version ? dlvsym(RTLD_NEXT, site->name, site->version) : NULL;
    if (!fn)
        fn = dlsym(RTLD_NEXT, site->name);
    tls_resolving = 0;
    errno = saved_errno;
    atomic_store_explicit(&site->fn, fn, memory_order_release);
    return fn;
}

static real_site real_mutex_lock = {"pthread_mutex_lock", NULL, NULL};
static real_site real_mutex_timedlock = {"pthread_mutex_timedlock", NULL, NULL};
static real_site real_rdlock = {"pthread_rwlock_rdlock", NULL, NULL};
static real_site real_wrlock = {"pthread_rwlock_wrlock", NULL, NULL};
static real_site real_timedrdlock = {"pthread_rwlock_timedrdlock", NULL, NULL};
static real_site real_timedwrlock = {"pthread_rwlock_timedwrlock", NULL, NULL};

/* The waits of the block profile. pthread_cond_wait and timedwait have
 * two versions in glibc: the default, GLIBC_2.3.2, is the one programs
 * link against (dlsym may return the old one). */
static real_site real_cond_wait = {"pthread_cond_wait", "GLIBC_2.3.2", NULL};
static real_site real_cond_timedwait = {"pthread_cond_timedwait", "GLIBC_2.3.2", NULL};
static real_site real_sem_wait = {"sem_wait", NULL, NULL};
static real_site real_sem_timedwait = {"sem_timedwait", NULL, NULL};
static real_site real_join = {"pthread_join", NULL, NULL};
static real_site real_barrier_wait = {"pthread_barrier_wait", NULL, NULL};

static real_site *const all_sites[] = {
    &real_mutex_lock,  &real_mutex_timedlock, &real_rdlock,    &real_wrlock,
    &real_timedrdlock, &real_timedwrlock,     &real_cond_wait, &real_cond_timedwait,
    &real_sem_wait,    &real_sem_timedwait,   &real_join,      &real_barrier_wait,
};

static int call_mutex_lock(pthread_mutex_t *m)
{
    int (*f)(pthread_mutex_t *) = real_of(&real_mutex_lock);
    return f ? f(m) : pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &never);
}

static int call_mutex_timedlock(pthread_mutex_t *m, const struct timespec *t)
{
    int (*f)(pthread_mutex_t *, const struct timespec *) = real_of(&real_mutex_timedlock);
    return f ? f(m, t) : pthread_mutex_clocklock(m, CLOCK_REALTIME, t);
}

static int call_rdlock(pthread_rwlock_t *l)
{
    int (*f)(pthread_rwlock_t *) = real_of(&real_rdlock);
    return f ? f(l) : pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &never);
}

static int call_wrlock(pthread_rwlock_t *l)
{
    int (*f)(pthread_rwlock_t *) = real_of(&real_wrlock);
    return f ? f(l) : pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &never);
}

static int call_timedrdlock(pthread_rwlock_t *l, const struct timespec *t)
{
    int (*f)(pthread_rwlock_t *, const struct timespec *) = real_of(&real_timedrdlock);
    return f ? f(l, t) : pthread_rwlock_clockrdlock(l, CLOCK_REALTIME, t);
}

static int call_timedwrlock(pthread_rwlock_t *l, const struct timespec *t)
{
    int (*f)(pthread_rwlock_t *, const struct timespec *) = real_of(&real_timedwrlock);
    return f ? f(l, t) : pthread_rwlock_clockwrlock(l, CLOCK_REALTIME, t);
}

/* ---- the rate ---------------------------------------------------------------------- */

/* Ordinary context, before the rates matter: libcprof's text, every real
 * function. */
static void resolve_all(void)
{
    if (!own_text_end)
        dl_iterate_phdr(find_own_text, (void *)(uintptr_t)contention_set_mutex_rate);
    for (size_t i = 0; i < sizeof all_sites / sizeof *all_sites; i++)
        real_of(all_sites[i]);
}

void contention_set_mutex_rate(int64_t rate)
{
    resolve_all();
    atomic_store_explicit(&mutex_rate, rate < 0 ? 0 : rate, memory_order_relaxed);
}

void contention_set_block_rate(int64_t rate_ns)
{
    resolve_all();
    atomic_store_explicit(&block_rate, rate_ns < 0 ? 0 : rate_ns, memory_order_relaxed);
}

int64_t contention_block_rate(void)
{
    return atomic_load_explicit(&block_rate, memory_order_relaxed);
}

int64_t contention_mutex_rate(void)
{
    return atomic_load_explicit(&mutex_rate, memory_order_relaxed);
}

/* ---- the interposers ------------------------------------------------------------------ */

/*
 * Each: try, and return at once when that acquired the lock; else the slow
 * path (cold, a tail call): probe, the real call, record. `acquired` says
 * which trylock results hold the lock already: 0, and for a mutex
 * EOWNERDEAD (a robust mutex whose owner died: acquired, as lock says).
 */
#define CONTENTION_HOOK(linkage, fname, try_call, real_call, params, args, acquired)               \
    PROFILER_TEXT __attribute__((cold)) static int slow_##fname params                             \
    {                                                                                              \
        wait_probe w_;                                                                             \
        wait_begin(&w_);                                                                           \
        int rc_ = real_call args;                                                                  \
        wait_end(&w_, rc_);                                                                        \
        return rc_;                                                                                \
    }                                                                                              \
    linkage PROFILER_TEXT int fname params                                                         \
    {                                                                                              \
        int rc_ = try_call(obj_);                                                                  \
        if (LIKELY(acquired(rc_)))                                                                 \
            return rc_;                                                                            \
        return slow_##fname args;                                                                  \
    }

#define MUTEX_ACQUIRED(rc) ((rc) == 0 || (rc) == EOWNERDEAD)
#define RWLOCK_ACQUIRED(rc) ((rc) == 0)

/* pthread_mutex_lock, the one called millions of times a second: when the
 * mutex's lock word (glibc's public struct __pthread_mutex_s, the field
 * PTHREAD_MUTEX_INITIALIZER sets) reads free, tail-call the real function
 * (one load, one test, one indirect jump: no frame of ours, no second
 * atomic); a mutex that reads held takes the trylock path above. A mutex
 * taken between the look and the real call is waited for unseen: an
 * undercount of a race window of a few instructions. */
CONTENTION_HOOK(static, try_mutex_lock, pthread_mutex_trylock, call_mutex_lock,
                (pthread_mutex_t * obj_), (obj_), MUTEX_ACQUIRED)

EXPORT PROFILER_TEXT int pthread_mutex_lock(pthread_mutex_t *m)
{
    int (*real)(pthread_mutex_t *) =
        atomic_load_explicit(&real_mutex_lock.fn, memory_order_relaxed);
    if (LIKELY(real && __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0))
        return real(m);
    return try_mutex_lock(m);
}

CONTENTION_HOOK(EXPORT, pthread_mutex_timedlock, pthread_mutex_trylock, call_mutex_timedlock,
                (pthread_mutex_t * obj_, const struct timespec *t_), (obj_, t_), MUTEX_ACQUIRED)
CONTENTION_HOOK(EXPORT, pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, call_rdlock,
                (pthread_rwlock_t * obj_), (obj_), RWLOCK_ACQUIRED)
CONTENTION_HOOK(EXPORT, pthread_rwlock_wrlock, pthread_rwlock_trywrlock, call_wrlock,
                (pthread_rwlock_t * obj_), (obj_), RWLOCK_ACQUIRED)
CONTENTION_HOOK(EXPORT, pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock, call_timedrdlock,
                (pthread_rwlock_t * obj_, const struct timespec *t_), (obj_, t_), RWLOCK_ACQUIRED)
CONTENTION_HOOK(EXPORT, pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock, call_timedwrlock,
                (pthread_rwlock_t * obj_, const struct timespec *t_), (obj_, t_), RWLOCK_ACQUIRED)

/* ---- the block profile's waits -------------------------------------------------------- */

/*
 * Each wait is timed when the block profile is on (two clock reads; one
 * relaxed load when off) and, as runtime.SetBlockProfileRate samples, a
 * wait of d ns is recorded when d >= rate, else with probability d/rate
 * and then weighted rate/d events of rate ns (Go's saveblockevent), so the
 * profile is unbiased. Counts are kept in thousandths of an event
 * (CONTENTION_BLOCK_COUNT_UNIT). The stack is taken after the wait (d
 * must be known first): the waiter's call site.
 */

/* The wait's start, or 0 when it is not to be timed. */
PROFILER_TEXT static int64_t block_begin(void)
{
    if (LIKELY(atomic_load_explicit(&block_rate, memory_order_relaxed) <= 0) || tls_guard ||
        threads_self_internal())
        return 0;
    return monotonic_ns();
}

/* After a wait that began at t0 (non-zero) and ended as the call says
 * (waited: it blocked until woken or timed out). errno untouched. */
PROFILER_TEXT static void block_end(int64_t t0, int waited)
{
    int64_t rate = atomic_load_explicit(&block_rate, memory_order_relaxed);
    if (!waited || rate <= 0)
        return;
    int saved_errno = errno;
    int64_t d = monotonic_ns() - t0;
    if (d <= 0)
        d = 1;
    int64_t count = CONTENTION_BLOCK_COUNT_UNIT, delay = d;
    if (d < rate) {
        if ((int64_t)(next_random() % (uint64_t)rate) >= d) {
            errno = saved_errno;
            return;
        }
        count = (int64_t)((double)CONTENTION_BLOCK_COUNT_UNIT * (double)rate / (double)d + 0.5);
        delay = rate;
    }
    uint64_t pcs[STACK_COUNTS_FRAMES];
    tls_guard = 1;
    size_t n = unwind_capture(pcs, STACK_COUNTS_FRAMES);
    if (n > 0 && !(pcs[0] >= own_text_start && pcs[0] < own_text_end))
        contention_record(CONTENTION_BLOCK, pcs, n, count, delay);
    tls_guard = 0;
    errno = saved_errno;
}

EXPORT PROFILER_TEXT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    int (*f)(pthread_cond_t *, pthread_mutex_t *) = real_of(&real_cond_wait);
    int64_t t0 = block_begin();
    int rc = f ? f(c, m) : pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, &never);
    if (t0)
        block_end(t0, rc == 0);
    return rc;
}

EXPORT PROFILER_TEXT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                                const struct timespec *t)
{
    int (*f)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *) =
        real_of(&real_cond_timedwait);
    int64_t t0 = block_begin();
    int rc = f ? f(c, m, t) : pthread_cond_clockwait(c, m, CLOCK_REALTIME, t);
    if (t0)
        block_end(t0, rc == 0 || rc == ETIMEDOUT);
    return rc;
}

/* A semaphore that can be taken at once is not a wait: sem_trywait first
 * (errno restored when it fails). */
EXPORT PROFILER_TEXT int sem_wait(sem_t *s)
{
    int saved_errno = errno;
    if (sem_trywait(s) == 0)
        return 0;
    errno = saved_errno;
    int (*f)(sem_t *) = real_of(&real_sem_wait);
    int64_t t0 = block_begin();
    int rc = f ? f(s) : sem_clockwait(s, CLOCK_MONOTONIC, &never);
    if (t0)
        block_end(t0, rc == 0);
    return rc;
}

/* glibc checks the deadline before it takes a free semaphore: an invalid
 * one fails EINVAL even then, so only a valid one is tried first. */
EXPORT PROFILER_TEXT int sem_timedwait(sem_t *s, const struct timespec *t)
{
    int saved_errno = errno;
    if (t->tv_nsec >= 0 && t->tv_nsec < 1000000000 && sem_trywait(s) == 0)
        return 0;
    errno = saved_errno;
    int (*f)(sem_t *, const struct timespec *) = real_of(&real_sem_timedwait);
    int64_t t0 = block_begin();
    int rc = f ? f(s, t) : sem_clockwait(s, CLOCK_REALTIME, t);
    if (t0)
        block_end(t0, rc == 0 || errno == ETIMEDOUT);
    return rc;
}

EXPORT PROFILER_TEXT int pthread_join(pthread_t th, void **ret)
{
    int (*f)(pthread_t, void **) = real_of(&real_join);
    int64_t t0 = block_begin();
    int rc = f ? f(th, ret) : pthread_clockjoin_np(th, ret, CLOCK_MONOTONIC, &never);
    if (t0)
        block_end(t0, rc == 0);
    return rc;
}

EXPORT PROFILER_TEXT int pthread_barrier_wait(pthread_barrier_t *b)
{
    int (*f)(pthread_barrier_t *) = real_of(&real_barrier_wait);
    if (!f) /* only inside our own dlsym, which never waits at a barrier */
        return EAGAIN;
    int64_t t0 = block_begin();
    int rc = f(b);
    if (t0)
        block_end(t0, rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    return rc;
}
