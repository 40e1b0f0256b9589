/*
 * threads_capture.c — every thread's stack, taken by the thread itself in a
 * signal handler (the ClickHouse system.stack_trace scheme, reference §3).
 *
 * Protocol. The collector (an HTTP worker, one dump at a time under
 * dump_lock) gives each thread a slot in a pool of preallocated slots and
 * queues it one thread-directed signal with rt_tgsigqueueinfo, whose
 * si_value carries a token: a magic byte, the dump's generation and the
 * slot index. The handler claims its slot with one compare-and-swap
 * (WAITING -> WRITING, same generation), unwinds into it, publishes DONE
 * with a release store and decrements the dump's pending count; the last
 * answer wakes the collector through a futex. The collector waits until
 * all answered, or nobody answered for WAIT_IDLE_MS, or WAIT_MAX_MS passed.
 * Slots still WAITING are then taken back (WAITING -> IDLE), so a late
 * signal finds its claim refused and writes nothing: a thread that blocks
 * the signal, or exits, is reported with a marker and never waited for.
 *
 * Handler rules: no malloc, no locks, no stdio, no loader lock. The pool is
 * never freed (chunks are mmap'd once and published with release stores),
 * so a signal delivered long after its dump still points at valid memory.
 * The pending count carries the generation in its high half, so a late
 * handler cannot decrement a later dump's count.
 *
 * Unwinder: unwind_from_signal (unwind.c), libgcc's _Unwind_Backtrace, shared
 * with the CPU profiler. It walks DWARF CFI, so it gets
 * through Debian's libc (built without frame pointers), and on glibc >= 2.35
 * with gcc >= 12 it finds unwind tables with _dl_find_object, lock-free and
 * malloc-free (libgcc_s imports it; the registered-frames path only takes
 * its mutex when some code called __register_frame_info, i.e. a JIT). The
 * only lazy steps (PLT binding, a pthread_once for register sizes) are done
 * by a warm-up call and a self-test dump at start, outside any handler.
 * Measured with bench/unwind_signal.c on this machine type (2 vCPU VM), in
 * the handler of a thread blocked in read() under 22 frames: libgcc 4.1-4.4
 * us for all 29 frames (the handler's own 3 included, ~150 ns a frame);
 * libunwind unw_init_local2(UNW_INIT_SIGNAL_FRAME) + unw_step 270-314 us
 * with caching off and 60-73 us with its global cache (which adds a lock
 * to the handler, and every cache miss still goes through dl_iterate_phdr
 * and the loader lock); a frame-pointer walk 0.03 us but 1 frame: inside
 * libc's read() rbp is not a frame pointer, so the walk stops at once and
 * loses the caller of the libc wrapper, the frame that says what the
 * thread waits for. unw_backtrace is out anyway: its per-thread cache is
 * not signal-safe on a thread's first call. The signal round trip (queue,
 * wake, handler, answer) is 16-17 us a thread with libgcc.
 *
 * The signal (CPROF_SIGNAL, default SIGRTMIN+3) is never taken from the
 * program: a signal that already has a handler is skipped for the next
 * free real-time signal, with one line on stderr, and the handler is
 * checked again before every dump, since a preloaded library installs its
 * handler before the program's main() runs.
 *
 * No system call of the program is cut short. The signal would make calls
 * the kernel does not restart after a handler (nanosleep, poll, epoll_wait,
 * semop, sigtimedwait, a socket with SO_RCVTIMEO, ...; signal(7)) return
 * EINTR or early, so a thread is signalled only when it is running or in a
 * restartable call (read, write, futex waits: SA_RESTART resumes them):
 *   - a thread inside one of the interposed libc calls (threads_blocking.c)
 *     is not signalled at all: blocking_dump_take unwinds a copy of its
 *     stack from the call site the interposer saved;
 *   - any other thread's /proc/self/task/TID/syscall is read first, and a
 *     thread sitting in a call a handler would interrupt (a raw syscall(),
 *     a library's own system call) is reported at the PC /proc gives, as
 *     its one frame, with the call's number, instead of being signalled;
 *   - blocking_dump_begin/end bracket the dump so that a thread entering an
 *     interposed call meanwhile waits for its signal to be handled first.
 * Measured (bench/threads_dump.sh, BENCHMARKS.md "Thread dumps and blocking
 * calls"): 1,000 threads in read(), each now costing one more /proc read,
 * and 1,000 threads in sleep(), taken with no signal at all.
 */
#include "common/clock.h"
#include "threads.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "process/config.h"
#include "threads_blocking.h"
#include "unwind/unwind.h"

#define CHUNK_SLOTS 256
#define MAX_CHUNKS 1024 /* 262144 threads */
#define TOKEN_MAGIC 0xC5ull
#define WAIT_IDLE_MS 250 /* give up when nobody answered for this long */
#define WAIT_MAX_MS 5000 /* and after this long in any case */
#define WRITING_GRACE_MS 200
#define SUSPECTS_MAX 4096

enum { PHASE_IDLE = 0, PHASE_WAITING = 1, PHASE_WRITING = 2, PHASE_DONE = 3 };

typedef struct dump_slot {
    _Atomic uint64_t state; /* generation << 2 | phase */
    int in_syscall;
    long syscall_nr;
    uint32_t n_pcs;
    uint64_t pcs[THREADS_MAX_FRAMES];
} dump_slot;

static _Atomic(dump_slot *) chunks[MAX_CHUNKS];
static size_t n_chunks;          /* under dump_lock */
static _Atomic uint64_t pending; /* generation << 32 | answers still due */
static _Atomic uint32_t wake_word;
static uint32_t generation; /* under dump_lock */
static _Atomic int dump_signal;
static _Atomic pid_t dump_pid; /* getpid() of the process dumping, set per dump */
static _Atomic uint64_t signals_sent;
static int started;
static int wanted_signal = -1; /* threads_capture_set_signal; -1 = the default */
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
/* Threads that did not answer last time: their signal may still be queued. */
static pid_t suspects[SUSPECTS_MAX];
static size_t n_suspects;

static uint64_t state_word(uint32_t gen, int phase)
{
    return (uint64_t)gen << 2 | (uint64_t)phase;
}

/* ---- the handler (async-signal-safe from here to dump_handler) ----------- */

static dump_slot *slot_at(uint32_t idx)
{
    dump_slot *chunk = atomic_load_explicit(&chunks[idx / CHUNK_SLOTS], memory_order_acquire);
    return chunk ? &chunk[idx % CHUNK_SLOTS] : NULL;
}

/* A thread interrupted in a restartable system call is rewound onto its
 * 2-byte `syscall` instruction with the call number back in rax; one that
 * was interrupted for good sits just after it with -EINTR in rax. Code
 * bytes are readable; the page checks keep both reads inside rip's page. */
static void note_syscall(dump_slot *slot, const ucontext_t *uc)
{
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    int64_t rax = (int64_t)uc->uc_mcontext.gregs[REG_RAX];
    const uint8_t *code = (const uint8_t *)rip;
    slot->in_syscall = 0;
    slot->syscall_nr = -1;
    if ((rip & 4095) <= 4094 && code[0] == 0x0f && code[1] == 0x05) {
        slot->in_syscall = 1;
        slot->syscall_nr = (long)rax;
    } else if ((rip & 4095) >= 2 && code[-2] == 0x0f && code[-1] == 0x05 && rax == -EINTR) {
        slot->in_syscall = 1;
    }
}

static void record_stack(dump_slot *slot, const ucontext_t *uc)
{
    note_syscall(slot, uc);
    slot->n_pcs = (uint32_t)unwind_from_signal(uc, slot->pcs, THREADS_MAX_FRAMES);
}

static void count_answer(uint32_t gen)
{
    uint64_t v = atomic_load_explicit(&pending, memory_order_relaxed);
    do {
        if ((uint32_t)(v >> 32) != gen || (uint32_t)v == 0)
            return;
    } while (!atomic_compare_exchange_weak_explicit(&pending, &v, v - 1, memory_order_acq_rel,
                                                    memory_order_relaxed));
    if ((uint32_t)(v - 1) == 0) {
        atomic_fetch_add_explicit(&wake_word, 1, memory_order_release);
        syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

static void dump_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    int saved_errno = errno;
    uint64_t token = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
    if (si->si_code == SI_QUEUE &&
        si->si_pid == atomic_load_explicit(&dump_pid, memory_order_relaxed) &&
        token >> 56 == TOKEN_MAGIC) {
        uint32_t gen = (uint32_t)(token >> 24);
        blocking_signal_handled(gen);
        dump_slot *slot = slot_at((uint32_t)(token & 0xffffff));
        uint64_t expect = state_word(gen, PHASE_WAITING);
        if (slot && atomic_compare_exchange_strong_explicit(
                        &slot->state, &expect, state_word(gen, PHASE_WRITING), memory_order_acquire,
                        memory_order_relaxed)) {
            record_stack(slot, ucv);
            atomic_store_explicit(&slot->state, state_word(gen, PHASE_DONE), memory_order_release);
            count_answer(gen);
        }
    }
    errno = saved_errno;
}

/* ---- choosing and installing the signal ---------------------------------- */

static int forbidden_signal(int sig, int rtmin)
{
    /* Uncatchable, synchronous faults, and glibc's internal real-time ones. */
    return sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
           sig == SIGFPE || sig == SIGTRAP || sig == SIGABRT || (sig > SIGSYS && sig < rtmin);
}

static int parse_offset(const char *s, int base, int sign, int lo, int hi)
{
    if (!*s)
        return base;
    if (*s != (sign > 0 ? '+' : '-') || !s[1])
        return -1;
    int64_t k;
    if (parse_int64(s + 1, 0, 64, &k) != 0)
        return -1;
    int sig = base + sign * (int)k;
    return sig >= lo && sig <= hi ? sig : -1;
}

int threads_parse_signal(const char *text, int sigrtmin, int sigrtmax)
{
    if (!text || !*text)
        return sigrtmin + 3 <= sigrtmax ? sigrtmin + 3 : sigrtmin;
    if (strcmp(text, "off") == 0 || strcmp(text, "none") == 0 || strcmp(text, "0") == 0)
        return 0;
    const char *name = strncmp(text, "SIG", 3) == 0 ? text + 3 : text;
    int sig = -1;
    int64_t n;
    if (parse_int64(text, 1, sigrtmax, &n) == 0)
        sig = (int)n;
    else if (strcmp(name, "USR1") == 0)
        sig = SIGUSR1;
    else if (strcmp(name, "USR2") == 0)
        sig = SIGUSR2;
    else if (strncmp(name, "RTMIN", 5) == 0)
        sig = parse_offset(name + 5, sigrtmin, 1, sigrtmin, sigrtmax);
    else if (strncmp(name, "RTMAX", 5) == 0)
        sig = parse_offset(name + 5, sigrtmax, -1, sigrtmin, sigrtmax);
    return sig > 0 && !forbidden_signal(sig, sigrtmin) ? sig : -1;
}

static int handler_is_ours(int sig)
{
    struct sigaction cur;
    return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == dump_handler;
}

static int signal_is_free(int sig)
{
    struct sigaction cur;
    return sigaction(sig, NULL, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
           cur.sa_handler == SIG_DFL;
}

static int install_handler(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = dump_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    /* Nothing may interrupt the handler: a program handler that longjmps
     * out would leave the slot claimed and half written. */
    sigfillset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

/* The first free real-time signal at or after `from`, wrapping around. */
static int free_rt_signal(int from, int except)
{
    int lo = SIGRTMIN, hi = SIGRTMAX;
    for (int k = 0; k <= hi - lo; k++) {
        int sig = lo + (from - lo + k) % (hi - lo + 1);
        if (sig != except && signal_is_free(sig))
            return sig;
    }
    return 0;
}

/* Take `want`, or the next free real-time signal when the program handles
 * it. Returns the signal installed, 0 when none. */
static int claim_signal(int want, const char *why)
{
    int sig = want;
    if (!signal_is_free(want)) {
        sig = free_rt_signal(want < SIGRTMIN ? SIGRTMIN + 3 : want + 1, want);
        if (sig)
            cprof_log("signal %d %s; thread dumps use signal %d instead", want, why, sig);
        else
            cprof_log("signal %d %s and no real-time signal is free; thread dumps disabled", want,
                      why);
    }
    if (sig && install_handler(sig) != 0) {
        cprof_log("cannot install the thread dump handler on signal %d; thread dumps disabled",
                  sig);
        sig = 0;
    }
    atomic_store(&dump_signal, sig);
    return sig;
}

/* Before each dump: the program may have installed its own handler since
 * (a preloaded library starts before main). Never send it our signals. */
static int signal_checked_locked(void)
{
    int sig = atomic_load(&dump_signal);
    if (!sig || handler_is_ours(sig))
        return sig;
    return claim_signal(sig, "now has the program's handler");
}

int threads_capture_signal(void)
{
    return atomic_load(&dump_signal);
}

uint64_t threads_capture_signals_sent(void)
{
    return atomic_load(&signals_sent);
}

/* ---- the slot pool (dump_lock held) -------------------------------------- */

static size_t pool_reserve(size_t n)
{
    while (n_chunks * CHUNK_SLOTS < n && n_chunks < MAX_CHUNKS) {
        dump_slot *chunk = mmap(NULL, CHUNK_SLOTS * sizeof *chunk, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (chunk == MAP_FAILED)
            break;
        atomic_store_explicit(&chunks[n_chunks++], chunk, memory_order_release);
    }
    return n_chunks * CHUNK_SLOTS;
}

/* The next slot at or after *next that no late handler is writing into. */
static int64_t claim_slot(size_t *next, size_t capacity, uint32_t gen)
{
    for (; *next < capacity; (*next)++) {
        dump_slot *s = slot_at((uint32_t)*next);
        uint64_t old = atomic_load_explicit(&s->state, memory_order_acquire);
        if ((old & 3) == PHASE_WRITING)
            continue;
        if (atomic_compare_exchange_strong(&s->state, &old, state_word(gen, PHASE_WAITING)))
            return (int64_t)(*next)++;
    }
    return -1;
}

/* ---- sending and waiting -------------------------------------------------- */

static int send_signal(pid_t pid, pid_t tid, int sig, uint32_t gen, uint32_t idx)
{
    static uid_t uid = (uid_t)-1;
    if (uid == (uid_t)-1)
        uid = getuid(); /* the real uid does not change under us in practice */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;
    info.si_pid = pid;
    info.si_uid = uid;
    uint64_t token = TOKEN_MAGIC << 56 | (uint64_t)gen << 24 | idx;
    info.si_value.sival_ptr = (void *)(uintptr_t)token;
    return (int)syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &info);
}

static uint32_t answers_due(void)
{
    return (uint32_t)atomic_load(&pending);
}

/* Wait until at most `target` answers are due, nobody answered for idle_ms,
 * or the deadline passes. */
static void wait_answers(uint32_t target, int64_t idle_ms, int64_t deadline_ns)
{
    int64_t last_progress = monotonic_ns();
    uint32_t last_due = answers_due();
    for (;;) {
        uint32_t word = atomic_load_explicit(&wake_word, memory_order_acquire);
        uint32_t due = answers_due();
        int64_t now = monotonic_ns();
        if (due <= target || now >= deadline_ns)
            return;
        if (due < last_due) {
            last_due = due;
            last_progress = now;
        } else if (now - last_progress >= idle_ms * 1000000) {
            return;
        }
        /* The last answer wakes us; otherwise look at progress every 5 ms. */
        struct timespec ts = {0, 5000000};
        syscall(SYS_futex, &wake_word, FUTEX_WAIT_PRIVATE, word, &ts, NULL, 0);
    }
}

static int is_suspect(pid_t tid)
{
    for (size_t i = 0; i < n_suspects; i++) {
        if (suspects[i] == tid)
            return 1;
    }
    return 0;
}

/* Why a thread did not answer, from what /proc says now. */
static int classify_silence(pid_t tid, int sig)
{
    char status[4096];
    if (threads_read_status(tid, status, sizeof status) != 0)
        return CAPTURE_EXITED;
    if (threads_status_has_signal(status, "SigBlk", sig) == 1)
        return CAPTURE_BLOCKED;
    return CAPTURE_TIMEOUT;
}

/* A thread that did not answer last time and still has our signal queued
 * would only pile up more queued signals (RLIMIT_SIGPENDING): skip it. */
static int still_unanswered(pid_t tid, int sig, int *status)
{
    char text[4096];
    if (threads_read_status(tid, text, sizeof text) != 0) {
        *status = CAPTURE_EXITED;
        return 1;
    }
    if (threads_status_has_signal(text, "SigPnd", sig) != 1)
        return 0;
    *status =
        threads_status_has_signal(text, "SigBlk", sig) == 1 ? CAPTURE_BLOCKED : CAPTURE_TIMEOUT;
    return 1;
}

/* Queue the signal, making room when the per-user queue limit is hit. */
static int send_with_retry(pid_t pid, pid_t tid, int sig, uint32_t gen, uint32_t idx,
                           int64_t deadline_ns)
{
    atomic_fetch_add(&pending, 1);
    for (int attempt = 0;; attempt++) {
        if (send_signal(pid, tid, sig, gen, idx) == 0) {
            atomic_fetch_add_explicit(&signals_sent, 1, memory_order_relaxed);
            return CAPTURE_OK;
        }
        int err = errno;
        if (err != EAGAIN || attempt >= 3 || monotonic_ns() >= deadline_ns) {
            atomic_fetch_sub(&pending, 1);
            return err == ESRCH ? CAPTURE_EXITED : CAPTURE_FAILED;
        }
        wait_answers(answers_due() / 2, 50, deadline_ns);
    }
}

static void copy_out(const dump_slot *s, thread_capture *out)
{
    out->status = CAPTURE_OK;
    out->in_syscall = s->in_syscall;
    out->syscall_nr = s->syscall_nr;
    out->n_pcs = s->n_pcs <= THREADS_MAX_FRAMES ? s->n_pcs : THREADS_MAX_FRAMES;
    memcpy(out->pcs, s->pcs, out->n_pcs * sizeof out->pcs[0]);
}

/* Take the answer of slot idx, or take the slot back from a late signal. */
static void collect_slot(uint32_t idx, uint32_t gen, pid_t tid, int sig, thread_capture *out)
{
    dump_slot *s = slot_at(idx);
    uint64_t expect = state_word(gen, PHASE_WAITING);
    if (atomic_compare_exchange_strong(&s->state, &expect, state_word(gen, PHASE_IDLE))) {
        out->status = classify_silence(tid, sig);
        return;
    }
    /* A handler is writing right now: it is short and lock-free. */
    int64_t give_up = monotonic_ns() + (int64_t)WRITING_GRACE_MS * 1000000;
    while ((atomic_load_explicit(&s->state, memory_order_acquire) & 3) == PHASE_WRITING &&
           monotonic_ns() < give_up)
        sched_yield();
    if (atomic_load_explicit(&s->state, memory_order_acquire) == state_word(gen, PHASE_DONE))
        copy_out(s, out);
    else
        out->status = CAPTURE_TIMEOUT; /* slot stays WRITING; claim_slot skips it */
}

/* A thread in a call that a handler would cut short (and that no
 * interposer recorded: a raw syscall(), a library's own system call) is
 * not signalled: its stack is the one frame /proc gives. 1 when so. */
static int in_interruptible_call(pid_t tid, thread_capture *out)
{
    thread_syscall sc;
    if (threads_read_syscall_full(tid, &sc) != 0 || sc.nr < 0 || !blocking_syscall_interrupts(&sc))
        return 0;
    out->status = CAPTURE_OK;
    out->in_syscall = 1;
    out->syscall_nr = sc.nr;
    out->pcs[0] = sc.pc;
    out->n_pcs = sc.pc ? 1 : 0;
    return 1;
}

static void remember_silent(const pid_t *tids, size_t n, const thread_capture *out)
{
    n_suspects = 0;
    for (size_t i = 0; i < n && n_suspects < SUSPECTS_MAX; i++) {
        if (out[i].status == CAPTURE_BLOCKED || out[i].status == CAPTURE_TIMEOUT)
            suspects[n_suspects++] = tids[i];
    }
}

static void capture_locked(const pid_t *tids, size_t n, thread_capture *out, uint32_t *slot_of,
                           int sig, threads_before_signal_fn before, void *ctx)
{
    pid_t pid = getpid();
    atomic_store(&dump_pid, pid);
    size_t capacity = pool_reserve(n), next = 0;
    uint32_t gen = ++generation ? generation : ++generation;
    int64_t deadline = monotonic_ns() + (int64_t)WAIT_MAX_MS * 1000000;
    atomic_store(&pending, (uint64_t)gen << 32);
    blocking_dump_begin(gen);
    pid_t self = gettid();
    for (size_t i = 0; i < n; i++) {
        slot_of[i] = UINT32_MAX;
        if (before)
            before(i, ctx);
        if (blocking_dump_take(tids[i], &out[i]) ||
            (tids[i] != self && in_interruptible_call(tids[i], &out[i])))
            continue;
        if (is_suspect(tids[i]) && still_unanswered(tids[i], sig, &out[i].status))
            continue;
        int64_t idx = claim_slot(&next, capacity, gen);
        if (idx < 0) {
            out[i].status = CAPTURE_FAILED;
            continue;
        }
        out[i].status = send_with_retry(pid, tids[i], sig, gen, (uint32_t)idx, deadline);
        if (out[i].status == CAPTURE_OK)
            slot_of[i] = (uint32_t)idx;
        else
            atomic_store(&slot_at((uint32_t)idx)->state, state_word(gen, PHASE_IDLE));
    }
    wait_answers(0, WAIT_IDLE_MS, deadline);
    for (size_t i = 0; i < n; i++) {
        if (slot_of[i] != UINT32_MAX)
            collect_slot(slot_of[i], gen, tids[i], sig, &out[i]);
    }
    blocking_dump_end();
    remember_silent(tids, n, out);
}

int threads_capture(const pid_t *tids, size_t n, thread_capture *out,
                    threads_before_signal_fn before, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        out[i].status = CAPTURE_DISABLED;
        out[i].n_pcs = 0;
        out[i].in_syscall = 0;
        out[i].syscall_nr = -1;
    }
    if (n == 0)
        return 0;
    uint32_t *slot_of = malloc(n * sizeof *slot_of);
    if (!slot_of)
        return -1;
    pthread_mutex_lock(&dump_lock);
    int sig = signal_checked_locked();
    if (sig) {
        capture_locked(tids, n, out, slot_of, sig, before, ctx);
    } else if (before) {
        for (size_t i = 0; i < n; i++)
            before(i, ctx);
    }
    pthread_mutex_unlock(&dump_lock);
    free(slot_of);
    return 0;
}

/* ---- start ----------------------------------------------------------------- */

/* Bind every lazy symbol the handler uses and run libgcc's one-time set-up
 * here, in ordinary context; then check a real dump of this thread works. */
static int self_test_locked(int sig)
{
    /* The starting thread may block signals (programs that leave them to
     * one sigwait thread do): let this one through for the test only. */
    sigset_t one, saved;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, &saved);
    pid_t self = gettid();
    thread_capture tc;
    uint32_t slot_of;
    capture_locked(&self, 1, &tc, &slot_of, sig, NULL, NULL);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return tc.status == CAPTURE_OK && tc.n_pcs > 0 ? 0 : -1;
}

static void atfork_child(void)
{
    pthread_mutex_init(&dump_lock, NULL);
}

void threads_capture_set_signal(int sig)
{
    wanted_signal = sig;
}

int threads_capture_start(void)
{
    pthread_mutex_lock(&dump_lock);
    if (started) {
        pthread_mutex_unlock(&dump_lock);
        return atomic_load(&dump_signal);
    }
    started = 1;
    pthread_atfork(NULL, NULL, atfork_child);
    int want = wanted_signal >= 0 ? wanted_signal : threads_parse_signal(NULL, SIGRTMIN, SIGRTMAX);
    if (want)
        blocking_init();
    if (want && unwind_signal_init() != 0) {
        cprof_log("cannot load libgcc_s.so.1 (the unwinder); thread dumps disabled");
        want = 0;
    }
    int sig = want ? claim_signal(want, "already has a handler") : 0;
    if (sig && self_test_locked(sig) != 0) {
        cprof_log("thread dump self-test failed on signal %d; thread dumps disabled", sig);
        signal(sig, SIG_DFL);
        atomic_store(&dump_signal, 0);
        sig = 0;
    }
    pthread_mutex_unlock(&dump_lock);
    return sig;
}
