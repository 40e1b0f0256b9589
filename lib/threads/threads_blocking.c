/*
 * threads_blocking.c — thread dumps that leave every system call as it was.
 *
 * The dump signal (threads_capture.c) wakes a thread that sits in a call
 * the kernel does not restart after a handler (signal(7): nanosleep,
 * clock_nanosleep, pause, sigsuspend, sigtimedwait, poll, select,
 * epoll_wait, semop, msgrcv, a socket with SO_RCVTIMEO, ...): the call
 * returns EINTR or early, and the program sees it. So, as Go's runtime
 * does at system-call entry, the libc functions that make those calls are
 * interposed here, and each records where its caller is before it blocks:
 *
 *   fast path (every call): a thread-local pointer to the thread's record;
 *   store the call site (return address, the caller's stack pointer and
 *   rbp, from this function's own frame) and the function, then make the
 *   record's sequence number odd; call the real function; make it even.
 *   No lock, no malloc, errno and the return value untouched.
 *
 * A dump does not signal a thread whose sequence number is odd: it copies
 * that thread's stack from the saved stack pointer with process_vm_readv
 * (EFAULT, not a fault, if the stack went away) and unwinds the copy from
 * the saved registers (unwind_remote.c: libdw's frame API in-process),
 * then reads the sequence number again: changed, the thread woke during the
 * walk, and it is tried again, then signalled (it is running or somewhere
 * else). The stack reported is the real function's entry (exact leaf, so
 * it reads "nanosleep", "poll", ...) over the caller's frames.
 *
 * The race. A thread found outside any call (even number) is signalled,
 * but it may enter a call before the signal lands. So a dump first sets
 * dump_gen, then issues membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), and
 * only then reads sequence numbers: the barrier orders, on every thread,
 * the store of the odd number before the load of dump_gen that follows it
 * (Dekker's pattern with the heavy fence on the rare side: the fast path
 * pays a compiler barrier only). A thread that enters a call while a dump
 * runs therefore always sees it, and waits, yielding (which delivers a
 * pending signal), until the dump either saw it inside (remote_seq equals
 * its sequence number: no signal will come) or its signal was handled
 * (handled_gen), or the dump ended. The wait is at most one dump (14 ms
 * with 1,000 threads) and only for calls entered during one.
 *
 * Threads in a call not interposed here (a raw syscall(), a library's own
 * system call): before any signal, the collector reads
 * /proc/self/task/TID/syscall and does not signal a thread sitting in a
 * call that a handler would interrupt (blocking_syscall_interrupts); it
 * reports the call and its PC as the one frame instead.
 *
 * Records live in mmap'd chunks that are never freed, so the collector may
 * read any record at any time; a thread gets one on its first interposed
 * call (lock-free claim: compare-and-swap of the tid) and gives it back at
 * exit (threads_hooks.c's destructor). Sequence numbers never go back, so
 * a record reused by another thread is caught by the same re-check. The
 * real functions are found with dlsym(RTLD_NEXT) at the first call of each
 * (before the library's constructor, too); a thread that left a call by
 * longjmp or cancellation keeps an odd number until its next call, and a
 * dump meanwhile shows it at that call (a stale stack, never a signal).
 *
 * Rejected: (c) a ptrace helper process (PTRACE_SEIZE + PTRACE_INTERRUPT
 * lets nanosleep and pause restart, but signal(7) still lists epoll_wait,
 * semop, sigtimedwait, ... as failing with EINTR after a stop; it needs a
 * process the program names as tracer with prctl(PR_SET_PTRACER), cannot
 * coexist with gdb or strace, and costs a ptrace round trip per thread).
 *
 * Measured on this 2 vCPU VM (BENCHMARKS.md "Thread dumps and blocking
 * calls" has the tables and commands):
 *   - fast path: clock_nanosleep(CLOCK_THREAD_CPUTIME_ID), which glibc
 *     answers without a system call, +0.6-1.9 ns a call preloaded
 *     (bench/blocking_calls.sh); a first version that kept the record and
 *     the arguments in callee-saved registers across the call: +6.8 ns;
 *   - hostile host (tests/integration/threads_blocking.sh, 300 dumps and a
 *     1,000 Hz CPU profile): before, ~600 EINTR or early returns per call
 *     (every dump cut every waiting call); after, 0 for every call here;
 *   - 1,000 threads in sleep(), taken without a signal: debug=1 best
 *     14-27 ms; the remote unwinder was first libunwind's remote API (its
 *     caches lock behind two sigprocmask calls a step: 65-82 ms with its
 *     global cache, 180 ms without); libdw keeps each module's CFI parsed;
 *   - 1,000 threads in read(), signalled as before: each now costs one
 *     /proc/.../syscall read first, ~10 us: debug=1 best 14-18 -> 30-34 ms
 *     at load 10-12 (target 50 ms);
 *   - membarrier(PRIVATE_EXPEDITED): ~1 us, once per dump.
 */
#include "threads_blocking.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "heap/heap.h"
#include "process/config.h"
#include "unwind/unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define CHUNK_RECORDS 256
#define MAX_CHUNKS 1024   /* 262144 threads */
#define COPY_BYTES 32768  /* stack copied per blocked thread; beyond: word reads */
#define TAKE_TRIES 3      /* walks of a thread that keeps waking, before its signal */
#define WAIT_SPIN 64      /* sched_yield rounds before sleeping between looks */
#define WAIT_SLEEPS 50000 /* then 200 us sleeps: 10 s, twice a dump's own limit */

/* One interposed function: its name, the system call it makes, the real one. */
typedef struct blocking_site {
    const char *name;
    long nr;
    _Atomic(void *) real;
} blocking_site;

typedef struct blocking_record {
    _Atomic uint64_t seq;         /* odd while its thread is inside an interposed call */
    _Atomic pid_t tid;            /* 0: free */
    _Atomic uint32_t handled_gen; /* the dump signal of this generation was handled */
    _Atomic uint64_t remote_seq;  /* the dump saw this seq odd: no signal will come */
    _Atomic(const blocking_site *) site;
    _Atomic uint64_t pc, sp, fp; /* the caller at the call */
} __attribute__((aligned(64))) blocking_record;

static _Atomic(blocking_record *) chunks[MAX_CHUNKS];
static _Atomic uint32_t n_records; /* records handed out so far (claimed or freed) */
static _Atomic uint32_t free_hint; /* a record given back lately */
static _Atomic uint32_t dump_gen;  /* non-zero while a dump runs */
static int barrier_ok;             /* membarrier registered */
static int remote_ok;              /* the remote unwinder is set up */
static __thread blocking_record *tls_record __attribute__((tls_model("initial-exec")));
static __thread int tls_dumping __attribute__((tls_model("initial-exec")));

/* ---- records ---------------------------------------------------------------- */

static blocking_record *record_at(uint32_t idx)
{
    if (idx >= (uint32_t)MAX_CHUNKS * CHUNK_RECORDS)
        return NULL;
    blocking_record *c = atomic_load_explicit(&chunks[idx / CHUNK_RECORDS], memory_order_acquire);
    return c ? &c[idx % CHUNK_RECORDS] : NULL;
}

/* The chunk holding idx, mapped by whoever needs it first. */
static blocking_record *record_make(uint32_t idx)
{
    blocking_record *r = record_at(idx);
    if (r || idx >= (uint32_t)MAX_CHUNKS * CHUNK_RECORDS)
        return r;
    void *m = mmap(NULL, CHUNK_RECORDS * sizeof(blocking_record), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    blocking_record *expect = NULL;
    if (!atomic_compare_exchange_strong(&chunks[idx / CHUNK_RECORDS], &expect, m))
        munmap(m, CHUNK_RECORDS * sizeof(blocking_record));
    return record_at(idx);
}

static int record_claim(blocking_record *r, pid_t tid)
{
    pid_t expect = 0;
    if (!atomic_compare_exchange_strong(&r->tid, &expect, tid))
        return 0;
    uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    if (seq & 1) /* the last owner left a call by longjmp or cancellation */
        atomic_store_explicit(&r->seq, seq + 1, memory_order_release);
    return 1;
}

/* The calling thread's record: a free one, else a new one. Lock-free and
 * malloc-free (a signal handler may be the first to call sleep). */
static blocking_record *record_find_or_make(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    uint32_t hint = atomic_load(&free_hint), used = atomic_load(&n_records);
    blocking_record *r = hint < used ? record_at(hint) : NULL;
    if (r && record_claim(r, tid))
        return tls_record = r;
    for (uint32_t i = 0; i < used; i++) {
        r = record_at(i);
        if (r && atomic_load_explicit(&r->tid, memory_order_relaxed) == 0 && record_claim(r, tid))
            return tls_record = r;
    }
    r = record_make(atomic_fetch_add(&n_records, 1));
    if (r && record_claim(r, tid))
        return tls_record = r;
    return NULL;
}

/* record_find_or_make, errno untouched. NULL when out of records. */
PROFILER_TEXT static blocking_record *record_register(void)
{
    int saved_errno = errno; /* an mmap that fails must not show */
    blocking_record *r = record_find_or_make();
    errno = saved_errno;
    return r;
}

/* Lock-free: reads each handed-out record's tid and sequence number once,
 * so the count is a moment's view, not a consistent snapshot. */
size_t blocking_count_waiting(void)
{
    size_t n = 0;
    uint32_t used = atomic_load_explicit(&n_records, memory_order_acquire);
    for (uint32_t i = 0; i < used; i++) {
        blocking_record *r = record_at(i);
        if (r && atomic_load_explicit(&r->tid, memory_order_relaxed) != 0 &&
            (atomic_load_explicit(&r->seq, memory_order_relaxed) & 1))
            n++;
    }
    return n;
}

/* Lock-free walk of the handed-out records (see the header). */
size_t blocking_list_waiting(blocking_now *out, size_t cap)
{
    size_t n = 0;
    uint32_t used = atomic_load_explicit(&n_records, memory_order_acquire);
    for (uint32_t i = 0; i < used; i++) {
        blocking_record *r = record_at(i);
        if (!r)
            continue;
        uint64_t seq = atomic_load_explicit(&r->seq, memory_order_acquire);
        pid_t tid = atomic_load_explicit(&r->tid, memory_order_relaxed);
        const blocking_site *site = atomic_load_explicit(&r->site, memory_order_relaxed);
        if (!tid || !(seq & 1) || !site)
            continue;
        if (n < cap)
            out[n] = (blocking_now){.tid = tid, .seq = seq, .call = site->name};
        n++;
    }
    return n;
}

void blocking_thread_exit(void)
{
    blocking_record *r = tls_record;
    if (!r)
        return;
    tls_record = NULL;
    uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    atomic_store_explicit(&r->seq, (seq | 1) + 1, memory_order_release);
    atomic_store_explicit(&r->tid, 0, memory_order_release);
    for (uint32_t i = 0; i < MAX_CHUNKS; i++) {
        blocking_record *c = atomic_load_explicit(&chunks[i], memory_order_acquire);
        if (c && r >= c && r < c + CHUNK_RECORDS) {
            atomic_store(&free_hint, i * CHUNK_RECORDS + (uint32_t)(r - c));
            break;
        }
    }
}

/* ---- the interposers' two halves ---------------------------------------------- */

/* Entered while a dump runs: wait until the dump saw this call (no signal
 * will come) or this thread's signal was handled (yielding lets a pending
 * one in before the call), or the dump is over. */
/* A thread that blocks the dump signal (as cprof's own threads do) keeps
 * it pending through any call but those that install a signal mask of
 * their own for the wait: it need not wait for the dump. */
PROFILER_TEXT static int signal_cannot_interrupt(blocking_record *r)
{
    const blocking_site *site = atomic_load_explicit(&r->site, memory_order_relaxed);
    int sig = threads_capture_signal();
    if (!sig || !site || site->nr == SYS_ppoll || site->nr == SYS_pselect6 ||
        site->nr == SYS_epoll_pwait || site->nr == SYS_rt_sigsuspend)
        return 0;
    int saved_errno = errno;
    sigset_t cur;
    int blocked = pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, sig) == 1;
    errno = saved_errno;
    return blocked;
}

PROFILER_TEXT __attribute__((cold)) static void dump_wait(blocking_record *r)
{
    if (tls_dumping) /* the dumping thread itself: nobody will signal it */
        return;
    if (signal_cannot_interrupt(r))
        return;
    int saved_errno = errno; /* the sleeps below end in EINTR when the signal comes */
    uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    for (unsigned i = 0; i < WAIT_SPIN + WAIT_SLEEPS; i++) {
        uint32_t gen = atomic_load_explicit(&dump_gen, memory_order_acquire);
        if (!gen || atomic_load_explicit(&r->remote_seq, memory_order_acquire) == seq ||
            atomic_load_explicit(&r->handled_gen, memory_order_acquire) == gen)
            break;
        if (i < WAIT_SPIN) {
            syscall(SYS_sched_yield);
        } else {
            struct timespec ts = {0, 200000}; /* raw: not our own interposer */
            syscall(SYS_nanosleep, &ts, NULL);
        }
    }
    errno = saved_errno;
}

/* Publish the call site and make the sequence number odd. */
static inline void blocking_publish(blocking_record *r, const blocking_site *site, void *ret,
                                    void *frame)
{
    uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
    atomic_store_explicit(&r->site, site, memory_order_relaxed);
    atomic_store_explicit(&r->pc, (uint64_t)(uintptr_t)ret, memory_order_relaxed);
    atomic_store_explicit(&r->sp, (uint64_t)(uintptr_t)frame + 16, memory_order_relaxed);
    atomic_store_explicit(&r->fp, *(uint64_t *)frame, memory_order_relaxed);
    atomic_store_explicit(&r->seq, (seq + 1) | 1, memory_order_release);
    /* The dump's membarrier orders the store above before the caller's
     * next load of dump_gen. */
    atomic_signal_fence(memory_order_seq_cst);
}

static inline void blocking_leave(blocking_record *r)
{
    if (LIKELY(r != NULL)) {
        atomic_signal_fence(memory_order_seq_cst);
        uint64_t seq = atomic_load_explicit(&r->seq, memory_order_relaxed);
        atomic_store_explicit(&r->seq, (seq | 1) + 1, memory_order_release);
    }
}

/* The real function of a site, found at its first call. */
PROFILER_TEXT __attribute__((cold)) static void *resolve(blocking_site *site)
{
    void *fn = dlsym(RTLD_NEXT, site->name);
    atomic_store_explicit(&site->real, fn, memory_order_release);
    return fn;
}

/* The calls where a forked child that never allocates runs what preload.c
 * left for its first allocation (its Unix socket, the daemon watcher:
 * heap_sampler_call_soon) unconditionally: a server's wait for work
 * (epoll_wait, a semaphore, a message queue, sigwait). Only calls that are
 * not async-signal-safe, so never one a signal handler may make. A
 * constant per site: the check folds away in the others. */
static inline int runs_pending(long nr)
{
    return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_rt_sigtimedwait ||
           nr == SYS_semop || nr == SYS_semtimedop || nr == SYS_msgrcv || nr == SYS_msgsnd;
}

/*
 * The other sites (poll, select, accept, pause, sigsuspend, the sleeps...)
 * are async-signal-safe: a signal handler may call them, and the pending
 * start-up (thread creation, malloc, locks) must never run inside one. A
 * pre-fork worker that sleeps in poll() or accept() right after fork,
 * without allocating, still needs its socket, so there they run it only
 * where the thread is provably in the context it forked in:
 *
 *   - at fork, in the child (blocking_child_start_armed, from preload.c's
 *     atfork child handler, async-signal-safe), the forking thread records
 *     its signal mask and that it is not on the alternate signal stack;
 *     a fork made on the alternate stack records nothing;
 *   - at such a wait, with work pending (child_start_armed: the only thing
 *     the fast path reads, one relaxed load, so every other process and
 *     every call once the work ran pays a constant check), the same thread
 *     runs it only if its mask now equals the recorded one and sigaltstack
 *     does not say SS_ONSTACK. The kernel adds the handled signal to the
 *     mask while a handler runs (unless SA_NODEFER), so a wait inside a
 *     handler sees another mask and leaves the work pending. Only while
 *     work is pending: one system call (rt_sigprocmask) a wait where the
 *     mask differs, two (and sigaltstack) where it matches.
 *
 *   - the program's own mask changes are followed: sigprocmask and
 *     pthread_sigmask, interposed, cost one relaxed load when nothing is
 *     pending; while work is pending, a change made by the forking thread
 *     in the recorded context (its mask equal to the recorded one, not on
 *     the alternate stack) records the mask it leaves, so a worker that
 *     restores the mask its master blocked around fork still qualifies. A
 *     change made inside a handler starts from another mask and is not
 *     followed.
 *
 * Residual cases, documented rather than guarded: a handler installed with
 * SA_NODEFER and an empty sa_mask, not on the alternate stack, looks like
 * ordinary context; and a fork made from inside a signal handler records
 * the handler's mask (a child that then waits inside that handler would
 * run the work there; after fork it is the only thread, and our locks were
 * consistent across the fork). A mask changed some other way (the legacy
 * sigsetmask/sigblock/sighold, a raw system call, a sigsuspend/ppoll
 * mask is only for its call) is not followed: such a child gets its
 * socket at its first allocation, fork, or epoll_wait/semop/msgrcv/
 * sigtimedwait, as before, and pays the one system call at each of these
 * waits until then (bench/blocking_calls -p: 2.5-4.7 us a call at load 14
 * on this 2 vCPU VM, whose system calls cost microseconds). Neither the
 * return value nor errno of any call changes, and no signal is sent.
 */
static _Atomic int child_start_armed; /* work may be pending (forked child) */
static uint64_t child_start_mask;     /* the kernel's mask at fork, 64 signals */
static __thread int tls_forked_here __attribute__((tls_model("initial-exec")));

/* This thread's kernel signal mask into *mask: 0, or -1. A raw system
 * call: async-signal-safe, errno untouched. */
static int current_mask(uint64_t *mask)
{
    int saved_errno = errno;
    *mask = 0;
    int rc = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, mask, sizeof *mask) == 0 ? 0 : -1;
    errno = saved_errno;
    return rc;
}

/* Whether this thread runs on its alternate signal stack: 1, 0, or -1 when
 * it cannot be told. A raw system call, errno untouched. */
static int on_alt_stack(void)
{
    int saved_errno = errno;
    stack_t ss;
    int rc = syscall(SYS_sigaltstack, NULL, &ss) == 0 ? (ss.ss_flags & SS_ONSTACK) != 0 : -1;
    errno = saved_errno;
    return rc;
}

/* Whether the calling thread is the one that forked, in the context it
 * forked in (its mask as recorded, then the alternate stack: a mismatch,
 * the usual answer inside a handler, costs one system call). */
static int in_recorded_context(void)
{
    uint64_t mask;
    return tls_forked_here && current_mask(&mask) == 0 && mask == child_start_mask &&
           on_alt_stack() == 0;
}

void blocking_child_start_armed(void)
{
    uint64_t mask;
    if (current_mask(&mask) != 0 || on_alt_stack() != 0)
        return; /* on the alternate stack: left to allocation, epoll_wait, fork */
    child_start_mask = mask;
    tls_forked_here = 1;
    atomic_store_explicit(&child_start_armed, 1, memory_order_release);
}

/* heap_sampler_run_pending with errno as it was. */
PROFILER_TEXT __attribute__((cold)) static void run_pending_quietly(void)
{
    int saved_errno = errno;
    heap_sampler_run_pending();
    errno = saved_errno;
}

/* At an async-signal-safe wait of a forked child with work pending: run it
 * when this is the thread that forked, in the context it forked in (see
 * above); disarm once nothing is pending any more. */
PROFILER_TEXT __attribute__((cold)) static void child_start_at_wait(void)
{
    if (!heap_sampler_call_pending()) {
        atomic_store_explicit(&child_start_armed, 0, memory_order_relaxed);
        return;
    }
    if (in_recorded_context())
        run_pending_quietly();
}

/* sigprocmask and pthread_sigmask (real: the one of the two called), made
 * while start-up work is pending: when the forking thread changes its mask
 * in the recorded context, the new mask becomes that context (see above).
 * The real call's return value; errno as it leaves it. */
PROFILER_TEXT __attribute__((cold)) static int
mask_change(int (*real)(int, const sigset_t *, sigset_t *), int how, const sigset_t *set,
            sigset_t *old)
{
    if (!heap_sampler_call_pending()) {
        atomic_store_explicit(&child_start_armed, 0, memory_order_relaxed);
        return real(how, set, old);
    }
    uint64_t after;
    int follow = in_recorded_context();
    int rc = real(how, set, old);
    if (follow && rc == 0 && current_mask(&after) == 0)
        child_start_mask = after;
    return rc;
}

/* The fast path's test for pending start-up work at site nr: always looked
 * for at a wait for work (runs_pending), only when armed at the others. */
#define PENDING_AT(nr)                                                                             \
    (runs_pending(nr) ? heap_sampler_call_pending()                                                \
                      : atomic_load_explicit(&child_start_armed, memory_order_relaxed))

/*
 * Each interposer is two functions. The exported one is the fast path: the
 * thread has a record, the real function is known, no dump runs; it holds
 * nothing in callee-saved registers across the real call (the record is
 * read again after it), so it costs the stores above and a frame. Anything
 * else goes to slow_NAME by a tail call, with the caller's return address
 * and frame still its own: the first call (dlsym, a record), and a call
 * entered while a dump runs (dump_wait). The frame builtins give both
 * functions a frame pointer, so the return address and the CFA read from
 * it are the caller's.
 */
#define BLOCKING_CALL(type, fname, nr_, params, args)                                              \
    static blocking_site site_##fname = {#fname, nr_, NULL};                                       \
    PROFILER_TEXT __attribute__((cold)) static type slow_##fname params                            \
    {                                                                                              \
        type(*real_) params = (type(*) params)atomic_load(&site_##fname.real);                     \
        if (!real_ && !(real_ = (type(*) params)resolve(&site_##fname))) {                         \
            errno = ENOSYS;                                                                        \
            return (type)-1;                                                                       \
        }                                                                                          \
        if (runs_pending(nr_) && heap_sampler_call_pending())                                      \
            run_pending_quietly();                                                                 \
        else if (!runs_pending(nr_) && atomic_load(&child_start_armed))                            \
            child_start_at_wait();                                                                 \
        blocking_record *r_ = tls_record ? tls_record : record_register();                         \
        if (r_) {                                                                                  \
            blocking_publish(r_, &site_##fname, __builtin_return_address(0),                       \
                             __builtin_frame_address(0));                                          \
            if (atomic_load_explicit(&dump_gen, memory_order_relaxed))                             \
                dump_wait(r_);                                                                     \
        }                                                                                          \
        type rc_ = real_ args;                                                                     \
        blocking_leave(r_);                                                                        \
        return rc_;                                                                                \
    }                                                                                              \
    EXPORT PROFILER_TEXT type fname params                                                         \
    {                                                                                              \
        blocking_record *r_ = tls_record;                                                          \
        type(*real_) params =                                                                      \
            (type(*) params)atomic_load_explicit(&site_##fname.real, memory_order_relaxed);        \
        if (UNLIKELY(!r_ || !real_ || PENDING_AT(nr_)))                                            \
            return slow_##fname args;                                                              \
        blocking_publish(r_, &site_##fname, __builtin_return_address(0),                           \
                         __builtin_frame_address(0));                                              \
        if (UNLIKELY(atomic_load_explicit(&dump_gen, memory_order_relaxed)))                       \
            return slow_##fname args;                                                              \
        type rc_ = real_ args;                                                                     \
        blocking_leave(tls_record);                                                                \
        return rc_;                                                                                \
    }

BLOCKING_CALL(unsigned, sleep, SYS_clock_nanosleep, (unsigned s), (s))
BLOCKING_CALL(int, usleep, SYS_clock_nanosleep, (useconds_t us), (us))
BLOCKING_CALL(int, nanosleep, SYS_clock_nanosleep,
              (const struct timespec *req, struct timespec *rem), (req, rem))
BLOCKING_CALL(int, clock_nanosleep, SYS_clock_nanosleep,
              (clockid_t c, int flags, const struct timespec *req, struct timespec *rem),
              (c, flags, req, rem))
BLOCKING_CALL(int, pause, SYS_pause, (void), ())
BLOCKING_CALL(int, sigsuspend, SYS_rt_sigsuspend, (const sigset_t *mask), (mask))
BLOCKING_CALL(int, sigtimedwait, SYS_rt_sigtimedwait,
              (const sigset_t *set, siginfo_t *info, const struct timespec *t), (set, info, t))
BLOCKING_CALL(int, sigwaitinfo, SYS_rt_sigtimedwait, (const sigset_t *set, siginfo_t *info),
              (set, info))
BLOCKING_CALL(int, sigwait, SYS_rt_sigtimedwait, (const sigset_t *set, int *sig), (set, sig))
BLOCKING_CALL(int, poll, SYS_poll, (struct pollfd * fds, nfds_t n, int ms), (fds, n, ms))
BLOCKING_CALL(int, __poll_chk, SYS_poll, (struct pollfd * fds, nfds_t n, int ms, size_t len),
              (fds, n, ms, len))
BLOCKING_CALL(int, ppoll, SYS_ppoll,
              (struct pollfd * fds, nfds_t n, const struct timespec *t, const sigset_t *mask),
              (fds, n, t, mask))
BLOCKING_CALL(int, __ppoll_chk, SYS_ppoll,
              (struct pollfd * fds, nfds_t n, const struct timespec *t, const sigset_t *mask,
               size_t len),
              (fds, n, t, mask, len))
BLOCKING_CALL(int, select, SYS_select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t),
              (n, r, w, e, t))
BLOCKING_CALL(int, pselect, SYS_pselect6,
              (int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
               const sigset_t *mask),
              (n, r, w, e, t, mask))
BLOCKING_CALL(int, epoll_wait, SYS_epoll_wait, (int fd, struct epoll_event *ev, int max, int ms),
              (fd, ev, max, ms))
BLOCKING_CALL(int, epoll_pwait, SYS_epoll_pwait,
              (int fd, struct epoll_event *ev, int max, int ms, const sigset_t *mask),
              (fd, ev, max, ms, mask))
BLOCKING_CALL(int, semop, SYS_semop, (int id, struct sembuf *ops, size_t n), (id, ops, n))
BLOCKING_CALL(int, semtimedop, SYS_semtimedop,
              (int id, struct sembuf *ops, size_t n, const struct timespec *t), (id, ops, n, t))
BLOCKING_CALL(ssize_t, msgrcv, SYS_msgrcv, (int id, void *msg, size_t size, long type, int flags),
              (id, msg, size, type, flags))
BLOCKING_CALL(int, msgsnd, SYS_msgsnd, (int id, const void *msg, size_t size, int flags),
              (id, msg, size, flags))
BLOCKING_CALL(ssize_t, recv, SYS_recvfrom, (int fd, void *b, size_t n, int flags),
              (fd, b, n, flags))
BLOCKING_CALL(ssize_t, __recv_chk, SYS_recvfrom, (int fd, void *b, size_t n, size_t len, int flags),
              (fd, b, n, len, flags))
BLOCKING_CALL(ssize_t, recvfrom, SYS_recvfrom,
              (int fd, void *b, size_t n, int flags, struct sockaddr *a, socklen_t *al),
              (fd, b, n, flags, a, al))
BLOCKING_CALL(ssize_t, __recvfrom_chk, SYS_recvfrom,
              (int fd, void *b, size_t n, size_t len, int flags, struct sockaddr *a, socklen_t *al),
              (fd, b, n, len, flags, a, al))
BLOCKING_CALL(ssize_t, recvmsg, SYS_recvmsg, (int fd, struct msghdr *m, int flags), (fd, m, flags))
BLOCKING_CALL(int, accept, SYS_accept, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al))
BLOCKING_CALL(int, accept4, SYS_accept4, (int fd, struct sockaddr *a, socklen_t *al, int flags),
              (fd, a, al, flags))

/* The mask functions: not waits (no record, nothing for a dump), only
 * followed while a forked child's start-up work is pending. */
typedef int (*mask_fn)(int, const sigset_t *, sigset_t *);
static blocking_site site_sigprocmask = {"sigprocmask", SYS_rt_sigprocmask, NULL};
static blocking_site site_pthread_sigmask = {"pthread_sigmask", SYS_rt_sigprocmask, NULL};

/* The mask functions' real ones, found while the library loads: a handler
 * may make a process's first sigprocmask call, and must not reach dlsym. */
__attribute__((constructor(102))) static void mask_sites_init(void)
{
    resolve(&site_sigprocmask);
    resolve(&site_pthread_sigmask);
}

/* sigprocmask(2), followed for blocking_child_start_armed: the real one's
 * result (-1 with ENOSYS if it cannot be found). */
EXPORT PROFILER_TEXT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    mask_fn real = (mask_fn)atomic_load_explicit(&site_sigprocmask.real, memory_order_relaxed);
    if (UNLIKELY(!real) && !(real = (mask_fn)resolve(&site_sigprocmask))) {
        errno = ENOSYS;
        return -1;
    }
    if (UNLIKELY(atomic_load_explicit(&child_start_armed, memory_order_relaxed)))
        return mask_change(real, how, set, old);
    return real(how, set, old);
}

/* pthread_sigmask(3), followed likewise: the real one's result (ENOSYS if
 * it cannot be found). */
EXPORT PROFILER_TEXT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    mask_fn real = (mask_fn)atomic_load_explicit(&site_pthread_sigmask.real, memory_order_relaxed);
    if (UNLIKELY(!real) && !(real = (mask_fn)resolve(&site_pthread_sigmask)))
        return ENOSYS;
    if (UNLIKELY(atomic_load_explicit(&child_start_armed, memory_order_relaxed)))
        return mask_change(real, how, set, old);
    return real(how, set, old);
}

/* Every site, so blocking_init can find the real functions in ordinary
 * context: a signal handler that makes a thread's first call to one of
 * them then never reaches dlsym. */
static blocking_site *const all_sites[] = {
    &site_sleep,          &site_usleep,
    &site_nanosleep,      &site_clock_nanosleep,
    &site_pause,          &site_sigsuspend,
    &site_sigtimedwait,   &site_sigwaitinfo,
    &site_sigwait,        &site_poll,
    &site___poll_chk,     &site_ppoll,
    &site___ppoll_chk,    &site_select,
    &site_pselect,        &site_epoll_wait,
    &site_epoll_pwait,    &site_semop,
    &site_semtimedop,     &site_msgrcv,
    &site_msgsnd,         &site_recv,
    &site___recv_chk,     &site_recvfrom,
    &site___recvfrom_chk, &site_recvmsg,
    &site_accept,         &site_accept4,
    &site_sigprocmask,    &site_pthread_sigmask,
};

/* ---- the collector's side (dump lock held) --------------------------------------- */

typedef struct tid_record {
    pid_t tid;
    blocking_record *r;
} tid_record;

static tid_record *by_tid;
static size_t n_by_tid;
static unsigned char copy_buf[COPY_BYTES];
static pid_t dump_pid;

/* The child has the forking thread only, and no dump running. */
static void atfork_child(void)
{
    atomic_store(&dump_gen, 0);
    uint32_t used = atomic_load(&n_records);
    for (uint32_t i = 0; i < used; i++) {
        blocking_record *r = record_at(i);
        if (r && r != tls_record && atomic_load(&r->tid) != 0) {
            uint64_t seq = atomic_load(&r->seq);
            atomic_store(&r->seq, (seq | 1) + 1);
            atomic_store(&r->tid, 0);
        }
    }
    if (tls_record)
        atomic_store(&tls_record->tid, (pid_t)syscall(SYS_gettid));
}

static long membarrier(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

int blocking_init(void)
{
    static int done;
    if (done)
        return barrier_ok && remote_ok ? 0 : -1;
    done = 1;
    for (size_t i = 0; i < sizeof all_sites / sizeof *all_sites; i++) {
        if (!atomic_load(&all_sites[i]->real))
            resolve(all_sites[i]);
    }
    pthread_atfork(NULL, NULL, atfork_child);
    barrier_ok = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
    remote_ok = unwind_remote_init() == 0;
    if (!barrier_ok)
        cprof_log("membarrier unavailable: a thread entering a blocking call during a thread "
                  "dump may see EINTR");
    if (!remote_ok)
        cprof_log("cannot set up the remote unwinder: threads in blocking calls get the dump "
                  "signal");
    return barrier_ok && remote_ok ? 0 : -1;
}

static int compare_tid(const void *a, const void *b)
{
    pid_t x = ((const tid_record *)a)->tid, y = ((const tid_record *)b)->tid;
    return (x > y) - (x < y);
}

void blocking_dump_begin(uint32_t gen)
{
    if (!remote_ok)
        return;
    tls_dumping = 1;
    atomic_store(&dump_gen, gen);
    dump_pid = getpid();
    unwind_remote_begin();
    /* A forked child's new address space must register again. */
    if (barrier_ok && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
        (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0 ||
         membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0))
        atomic_thread_fence(memory_order_seq_cst);
    else if (!barrier_ok)
        atomic_thread_fence(memory_order_seq_cst);
    /* Read after the barrier: a thread registering now either shows here
     * or saw dump_gen and waits for its signal. */
    uint32_t used = atomic_load(&n_records);
    free(by_tid);
    by_tid = malloc((used ? used : 1) * sizeof *by_tid);
    n_by_tid = 0;
    for (uint32_t i = 0; by_tid && i < used; i++) {
        blocking_record *r = record_at(i);
        pid_t tid = r ? atomic_load_explicit(&r->tid, memory_order_acquire) : 0;
        if (tid > 0)
            by_tid[n_by_tid++] = (tid_record){tid, r};
    }
    qsort(by_tid, n_by_tid, sizeof *by_tid, compare_tid);
}

void blocking_dump_end(void)
{
    tls_dumping = 0;
    atomic_store(&dump_gen, 0);
}

void blocking_signal_handled(uint32_t gen)
{
    blocking_record *r = tls_record;
    if (r)
        atomic_store_explicit(&r->handled_gen, gen, memory_order_release);
}

static blocking_record *find_record(pid_t tid)
{
    tid_record key = {tid, NULL};
    tid_record *hit =
        n_by_tid ? bsearch(&key, by_tid, n_by_tid, sizeof *by_tid, compare_tid) : NULL;
    return hit ? hit->r : NULL;
}

/* Copy up to COPY_BYTES of tid's stack from sp, page by page so a partial
 * read stops at the first unmapped page. Bytes copied. */
static size_t copy_stack(uint64_t sp)
{
    struct iovec remote[COPY_BYTES / 4096 + 1];
    size_t n = 0, total = 0;
    uint64_t at = sp;
    while (total < COPY_BYTES && n < sizeof remote / sizeof *remote) {
        size_t len = 4096 - (size_t)(at & 4095);
        if (len > COPY_BYTES - total)
            len = COPY_BYTES - total;
        remote[n++] = (struct iovec){(void *)(uintptr_t)at, len};
        at += len;
        total += len;
    }
    struct iovec local = {copy_buf, total};
    ssize_t got = process_vm_readv(dump_pid, &local, 1, remote, n, 0);
    return got > 0 ? (size_t)got : 0;
}

int blocking_dump_take(pid_t tid, thread_capture *out)
{
    blocking_record *r = remote_ok ? find_record(tid) : NULL;
    if (!r)
        return 0;
    for (int attempt = 0; attempt < TAKE_TRIES; attempt++) {
        uint64_t seq = atomic_load_explicit(&r->seq, memory_order_acquire);
        if (!(seq & 1) || atomic_load_explicit(&r->tid, memory_order_acquire) != tid)
            return 0;
        const blocking_site *site = atomic_load_explicit(&r->site, memory_order_relaxed);
        unwind_regs regs = {atomic_load_explicit(&r->pc, memory_order_relaxed),
                            atomic_load_explicit(&r->sp, memory_order_relaxed),
                            atomic_load_explicit(&r->fp, memory_order_relaxed)};
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->seq, memory_order_relaxed) != seq)
            continue;
        /* Seen inside: no signal will come, the thread may go on in. */
        atomic_store_explicit(&r->remote_seq, seq, memory_order_release);
        size_t len = copy_stack(regs.sp);
        void *entry =
            site ? atomic_load_explicit(&((blocking_site *)site)->real, memory_order_relaxed)
                 : NULL;
        out->pcs[0] = (uint64_t)(uintptr_t)entry;
        size_t n =
            unwind_remote(&regs, copy_buf, regs.sp, len, out->pcs + 1, THREADS_MAX_FRAMES - 1);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->seq, memory_order_relaxed) != seq || !entry)
            continue;
        out->status = CAPTURE_OK;
        out->in_syscall = 1;
        out->syscall_nr = site->nr;
        out->n_pcs = (uint32_t)(n + 1);
        return 1;
    }
    return 0;
}

/* ---- which calls a handler interrupts (signal(7)) --------------------------------- */

/* A socket with a receive (or send) timeout: its calls fail with EINTR. */
static int socket_has_timeout(int fd, int opt)
{
    struct timeval tv = {0, 0};
    socklen_t len = sizeof tv;
    return getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == 0 && (tv.tv_sec || tv.tv_usec);
}

int blocking_syscall_interrupts(const thread_syscall *sc)
{
    switch (sc->nr) {
    case SYS_nanosleep:
    case SYS_clock_nanosleep:
    case SYS_pause:
    case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait:
    case SYS_poll:
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
#ifdef SYS_epoll_pwait2
    case SYS_epoll_pwait2:
#endif
    case SYS_semop:
    case SYS_semtimedop:
    case SYS_msgrcv:
    case SYS_msgsnd:
    case SYS_io_getevents:
#ifdef SYS_io_pgetevents
    case SYS_io_pgetevents:
#endif
#ifdef SYS_io_uring_enter
    case SYS_io_uring_enter:
#endif
    case SYS_restart_syscall: /* the rest of an interrupted sleep or poll */
        return 1;
    case SYS_read:
    case SYS_readv:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_recvmmsg:
    case SYS_accept:
    case SYS_accept4:
        return socket_has_timeout((int)sc->args[0], SO_RCVTIMEO);
    case SYS_write:
    case SYS_writev:
    case SYS_sendto:
    case SYS_sendmsg:
    case SYS_sendmmsg:
    case SYS_connect:
        return socket_has_timeout((int)sc->args[0], SO_SNDTIMEO);
    default:
        return 0;
    }
}
