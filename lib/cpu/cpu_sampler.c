/*
 * cpu_sampler.c — per-thread CPU-time timers and the SIGPROF handler.
 *
 * Every thread of the program gets its own POSIX timer on its own CPU-time
 * clock; the profiler's own threads (registry: internal) get none, so the
 * profile is the program's work, and their CPU use over the session is
 * measured apart (threads_internal_cpu_ns) for the profile's comment.
 * A timer's signal goes to its thread only (SIGEV_THREAD_ID), the scheme of
 * Go >= 1.18 (reference §3): a process-wide setitimer loses samples once several
 * threads are busy, because standard signals do not queue. Threads alive
 * when a session begins are found in /proc/self/task and armed on their
 * clock by tid; threads born during the session arm themselves from the
 * pthread_create trampoline (threads_hooks.c) and delete their timer from
 * its thread-exit destructor. A tid table keeps one timer per thread: the
 * /proc walk skips a tid that already armed itself, and a new thread
 * replaces whatever an earlier thread of the same tid left behind. The
 * first expiry is random in (0, period], so threads started together do
 * not fire in step.
 *
 * The handler counts only its own timers' signals: si_code SI_TIMER and
 * si_value equal to the session's token (a magic number and a session
 * generation). It unwinds the interrupted stack (unwind_from_signal:
 * libgcc, lock-free, no malloc, safe inside dlopen or a C++ throw on the
 * same thread) and pushes it into the session's ring with weight
 * 1 + si_overrun, so expirations merged by the kernel (CPU timers are
 * checked at the scheduler tick) still count as CPU time. The record also
 * carries the thread's label-set id (labels_current: a TLS load, and an
 * interning of the set once per change of the thread's labels, lock- and
 * malloc-free), so labelled samples stay apart from unlabelled ones.
 *
 * Teardown without stray signals: the token is cleared first (a handler
 * that starts later does nothing), every timer is deleted, then stop waits
 * until no handler is inside (an in-handler counter, both sides sequentially
 * consistent), so the ring can be freed. The handler stays installed after
 * the session, inert: a signal still queued from a deleted timer must not
 * find SIGPROF's default action, which kills the process.
 *
 * The signal (CPROF_CPU_SIGNAL, default SIGPROF) is never taken from the
 * program: if it has its own handler, a session is refused with a reason.
 *
 * Two consumers may share one session (one set of timers, one ring): the
 * foreground one (an HTTP /profile, a file profile, cprof_cpu_start) and
 * the background one (the push agent, lib/push/). Whoever drains copies
 * each sample into both stack tables, so each gets exactly the samples of
 * its own stay, and the timers stop when the last one leaves. A second
 * foreground consumer is still Go's "cpu profiling already in use", and so
 * is one asking for another rate than the agent's (one rate per session).
 *
 * Locks: session_lock serialises begin/end/drain and guards the consumers
 * (and the ring's consumer side); table_lock (taken inside it) guards the
 * tid table. Neither is ever taken in the handler.
 */
#include "common/clock.h"
#include "cpu.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "labels/labels.h"
#include "process/config.h"
#include "threads/threads.h"
#include "unwind/unwind.h"

#define TOKEN_MAGIC 0xC9F0ull
#define TABLE_CAP 65536 /* tid slots (power of two); half of it usable */
#define DRAIN_WAIT_MS 2000
#define TID_EMPTY 0
#define TID_GONE (-1)

typedef struct timer_slot {
    pid_t tid;
    timer_t timer;
} timer_slot;

static _Atomic uint64_t active_token; /* 0 = no session */
static _Atomic(cpu_ring *) active_ring;
static atomic_int in_handler;
static _Atomic uint64_t sessions_begun; /* sessions that began, since start */
static int handler_signal;              /* under session_lock */
static uint32_t generation;
static int64_t period_ns;
static uint64_t rng_state;
static size_t blocked_at_begin;    /* threads blocking the signal at begin */
static int64_t own_cpu_at_begin;   /* threads_internal_cpu_ns at begin */
static int64_t own_cpu_in_session; /* ... and its growth until the end */

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static timer_slot *table; /* TABLE_CAP slots, mmap'd once */
static size_t table_used; /* live + tombstones */
static size_t table_live;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* ---- the handler ---------------------------------------------------------- */

static void cpu_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    int saved_errno = errno;
    atomic_fetch_add(&in_handler, 1);
    uint64_t token = atomic_load(&active_token);
    if (token && si->si_code == SI_TIMER && (uint64_t)(uintptr_t)si->si_value.sival_ptr == token) {
        cpu_ring *ring = atomic_load(&active_ring);
        uint64_t pcs[CPU_MAX_FRAMES];
        size_t n = unwind_from_signal(uc, pcs, CPU_MAX_FRAMES);
        int overrun = si->si_overrun > 0 ? si->si_overrun : 0;
        if (ring)
            cpu_ring_push(ring, pcs, n, 1 + (uint32_t)(overrun < 1000 ? overrun : 1000),
                          labels_current());
    }
    atomic_fetch_sub(&in_handler, 1);
    errno = saved_errno;
}

/* ---- the signal ------------------------------------------------------------ */

int cpu_parse_signal(const char *text, int sigrtmin, int sigrtmax)
{
    if (!text || !*text || strcmp(text, "SIGPROF") == 0 || strcmp(text, "PROF") == 0)
        return SIGPROF;
    if (strcmp(text, "SIGVTALRM") == 0 || strcmp(text, "VTALRM") == 0)
        return SIGVTALRM;
    int sig = threads_parse_signal(text, sigrtmin, sigrtmax);
    return sig > 0 ? sig : -1;
}

/* Install the handler unless the program has its own on sig. */
static int claim_signal(int sig, char *err, size_t err_len)
{
    struct sigaction cur;
    if (sigaction(sig, NULL, &cur) != 0) {
        snprintf(err, err_len, "Could not enable CPU profiling: signal %d is not usable", sig);
        return -1;
    }
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == cpu_handler)
        return 0;
    if ((cur.sa_flags & SA_SIGINFO) || (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN)) {
        snprintf(err, err_len,
                 "Could not enable CPU profiling: signal %d (%s) has the program's own handler; "
                 "set CPROF_CPU_SIGNAL to a free signal",
                 sig, strsignal(sig));
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = cpu_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    /* Nothing interrupts the handler: a program handler that longjmps out
     * would leave the in-handler count raised and a ring slot claimed. */
    sigfillset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) {
        snprintf(err, err_len, "Could not enable CPU profiling: cannot install a handler on %d",
                 sig);
        return -1;
    }
    return 0;
}

static _Atomic int wanted_signal = SIGPROF; /* cpu_set_signal */

void cpu_set_signal(int sig)
{
    atomic_store(&wanted_signal, sig);
}

/* The wanted signal, unless the thread dumps took it since (they may move
 * to another real-time signal when the program handles theirs). */
static int configured_signal(void)
{
    int sig = atomic_load(&wanted_signal);
    if (sig != SIGPROF && sig == threads_capture_signal()) {
        cprof_log("CPU profiling signal %d is the thread dump signal; using SIGPROF", sig);
        sig = SIGPROF;
        atomic_store(&wanted_signal, sig);
    }
    return sig;
}

/* ---- the tid table (table_lock held) --------------------------------------- */

static timer_slot *table_find_locked(pid_t tid, int for_insert)
{
    timer_slot *grave = NULL;
    for (size_t i = ((size_t)tid * 2654435761u) & (TABLE_CAP - 1), k = 0; k < TABLE_CAP;
         i = (i + 1) & (TABLE_CAP - 1), k++) {
        timer_slot *s = &table[i];
        if (s->tid == tid)
            return s;
        if (s->tid == TID_GONE && !grave)
            grave = s;
        if (s->tid == TID_EMPTY)
            return for_insert ? (grave ? grave : s) : NULL;
    }
    return for_insert ? grave : NULL;
}

static uint64_t next_random(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static clockid_t thread_cpu_clock(pid_t tid)
{
    /* The kernel's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED), as glibc's
     * pthread_getcpuclockid builds it. */
    return (clockid_t)((~(unsigned)tid) << 3) | 4 | 2;
}

static int arm_timer(pid_t tid, clockid_t clock, uint64_t token, timer_t *out)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = handler_signal;
    sev.sigev_value.sival_ptr = (void *)(uintptr_t)token;
    sev._sigev_un._tid = tid;
    if (timer_create(clock, &sev, out) != 0)
        return -1;
    int64_t first = 1 + (int64_t)(next_random() % (uint64_t)period_ns);
    struct itimerspec its = {
        .it_interval = {period_ns / 1000000000, period_ns % 1000000000},
        .it_value = {first / 1000000000, first % 1000000000},
    };
    if (timer_settime(*out, 0, &its, NULL) != 0) {
        timer_delete(*out);
        return -1;
    }
    return 0;
}

/* Give tid a timer. replace: tid is the calling, newborn thread, so an
 * entry under its tid belongs to a dead thread. */
static void arm_thread_locked(pid_t tid, clockid_t clock, int replace)
{
    uint64_t token = atomic_load(&active_token);
    if (!token || !table)
        return;
    timer_slot *s = table_find_locked(tid, 1);
    if (!s)
        return;
    if (s->tid == tid) {
        if (!replace)
            return;
        timer_delete(s->timer);
        s->tid = TID_GONE;
        table_live--;
    } else if (table_used >= TABLE_CAP / 2 && s->tid == TID_EMPTY) {
        return; /* full: this thread goes unsampled */
    }
    timer_t t;
    if (arm_timer(tid, clock, token, &t) != 0)
        return; /* the thread is gone already */
    if (s->tid == TID_EMPTY)
        table_used++;
    s->tid = tid;
    s->timer = t;
    table_live++;
}

static void disarm_all_locked(void)
{
    for (size_t i = 0; table && i < TABLE_CAP; i++) {
        if (table[i].tid > 0)
            timer_delete(table[i].timer);
        table[i].tid = TID_EMPTY;
    }
    table_used = table_live = 0;
}

/* A thread that blocks the signal is armed anyway (it may unblock it) but
 * cannot be sampled meanwhile: counted, so the profile can say so. */
static int blocks_signal(pid_t tid, int sig)
{
    char status[4096];
    return threads_read_status(tid, status, sizeof status) == 0 &&
           threads_status_has_signal(status, "SigBlk", sig) == 1;
}

static void arm_existing_threads(void)
{
    size_t n = 0, blocked = 0;
    pid_t *tids = threads_list(&n);
    /* The profiler's own threads get no timer: their CPU is reported apart
     * (threads_internal_cpu_ns), so the profile is the program's work. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!threads_registry_is_internal(tids[i]))
            tids[kept++] = tids[i];
    }
    for (size_t i = 0; i < kept; i++)
        blocked += (size_t)blocks_signal(tids[i], handler_signal);
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < kept; i++)
        arm_thread_locked(tids[i], thread_cpu_clock(tids[i]), 0);
    pthread_mutex_unlock(&table_lock);
    free(tids);
    blocked_at_begin = blocked;
}

/* Sessions begun since start (relaxed read). */
uint64_t cpu_sessions_total(void)
{
    return atomic_load_explicit(&sessions_begun, memory_order_relaxed);
}

/* 1 while a session's token is set, else 0 (relaxed read). */
int cpu_session_active(void)
{
    return atomic_load_explicit(&active_token, memory_order_relaxed) != 0;
}

size_t cpu_session_blocked_threads(void)
{
    return blocked_at_begin;
}

int64_t cpu_session_own_cpu_ns(void)
{
    return own_cpu_in_session > 0 ? own_cpu_in_session : 0;
}

int cpu_session_signal(void)
{
    return handler_signal;
}

size_t cpu_session_armed_threads(void)
{
    pthread_mutex_lock(&table_lock);
    size_t n = table_live;
    pthread_mutex_unlock(&table_lock);
    return n;
}

/* ---- thread births and deaths ------------------------------------------------ */

void cpu_thread_started(void)
{
    if (!atomic_load_explicit(&active_token, memory_order_relaxed))
        return;
    pthread_mutex_lock(&table_lock);
    arm_thread_locked(gettid(), CLOCK_THREAD_CPUTIME_ID, 1);
    pthread_mutex_unlock(&table_lock);
}

void cpu_thread_exiting(void)
{
    if (!atomic_load_explicit(&active_token, memory_order_relaxed))
        return;
    pthread_mutex_lock(&table_lock);
    timer_slot *s = table ? table_find_locked(gettid(), 0) : NULL;
    if (s) {
        timer_delete(s->timer);
        s->tid = TID_GONE;
        table_live--;
    }
    pthread_mutex_unlock(&table_lock);
}

/* ---- the session --------------------------------------------------------------- */

/* The consumers of the one session (session_lock): the foreground one (an
 * HTTP /profile, a file profile, the API, or a trace) and the background one
 * (the push agent). Each has its own sink; a drain, by either, hands every
 * sample to both, so each sees exactly the samples of its own stay. */
typedef struct consumer {
    int active;
    cpu_sample_fn fn; /* where a drained record goes */
    void *ctx;
    uint64_t lost;      /* lost samples settled so far, for a consumer without a table */
    uint64_t lost_base; /* ring->lost when it joined or was last settled */
} consumer;

/* c's stack table when it is a stack-table consumer (its sink is
 * cpu_stacks_sink: lost samples go into the table), else NULL. */
static cpu_stacks *consumer_table(const consumer *c)
{
    return c->fn == cpu_stacks_sink ? c->ctx : NULL;
}

static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;
static int session_running; /* timers armed (session_lock) */
static int session_hz;
static consumer fg, bg;
static atomic_int expected_bg_hz; /* cpu_background_expect: the agent's rate, 0 */

static void atfork_child(void)
{
    /* Timers are not inherited: the child has no session. */
    pthread_mutex_init(&table_lock, NULL);
    pthread_mutex_init(&session_lock, NULL);
    atomic_store(&active_token, 0);
    atomic_store(&active_ring, NULL);
    session_running = 0;
    memset(&fg, 0, sizeof fg);
    memset(&bg, 0, sizeof bg);
    table_used = table_live = 0;
    if (table)
        memset(table, 0, TABLE_CAP * sizeof *table);
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

static size_t ring_slots(int hz)
{
    /* A second of samples from every CPU: a request's collector drains
     * every 100 ms, the push agent every 500 ms (fewer wakeups of an idle
     * agent), so the ring fills only when a collector falls far behind. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = (size_t)hz * (size_t)(cpus > 0 ? cpus : 1);
    return n < 256 ? 256 : n > 65536 ? 65536 : n;
}

/* Arm the timers at hz (session_lock held, no session running). */
static profile_status start_locked(int hz, char *err, size_t err_len)
{
    pthread_once(&atfork_once, install_atfork);
    if (hz < CPU_MIN_HZ || hz > CPU_MAX_HZ) {
        snprintf(err, err_len, "Could not enable CPU profiling: invalid rate");
        return PROFILE_FAILED;
    }
    if (unwind_signal_init() != 0) {
        snprintf(err, err_len,
                 "Could not enable CPU profiling: cannot load libgcc_s.so.1 (the unwinder)");
        return PROFILE_FAILED;
    }
    if (!table) {
        void *m = mmap(NULL, TABLE_CAP * sizeof *table, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            snprintf(err, err_len, "Could not enable CPU profiling: out of memory");
            return PROFILE_FAILED;
        }
        table = m;
    }
    int sig = configured_signal();
    if (claim_signal(sig, err, err_len) != 0)
        return PROFILE_FAILED;
    cpu_ring *ring = cpu_ring_new(ring_slots(hz));
    if (!ring) {
        snprintf(err, err_len, "Could not enable CPU profiling: out of memory");
        return PROFILE_FAILED;
    }
    handler_signal = sig;
    session_hz = hz;
    period_ns = 1000000000 / hz;
    rng_state = (uint64_t)monotonic_ns() * 0x100001ull ^ 0x9E3779B97F4A7C15ull;
    generation = (generation + 1) & 0xffffffffu;
    atomic_store(&active_ring, ring);
    /* From here new threads arm themselves; the walk covers the others. */
    atomic_store(&active_token, TOKEN_MAGIC << 48 | generation);
    arm_existing_threads();
    session_running = 1;
    return PROFILE_OK;
}

/* Join consumer c (session_lock held): start the timers, or share them
 * when the other consumer runs them at the same rate; CPU_HZ_ANY takes the
 * other's rate when it runs, else the push agent's expected rate, else
 * CPU_DEFAULT_HZ. Returns PROFILE_OK with *hz the session's rate, or the
 * refusal with its reason in err. */
static profile_status join_locked(consumer *c, consumer *other, int *hz_inout, cpu_sample_fn fn,
                                  void *ctx, char *err, size_t err_len)
{
    if (c->active) {
        snprintf(err, err_len, "%s", CPU_BUSY_MESSAGE);
        return PROFILE_BUSY;
    }
    int hz = *hz_inout;
    int expected = atomic_load(&expected_bg_hz);
    if (hz == CPU_HZ_ANY)
        hz = session_running && other->active ? session_hz : expected ? expected : CPU_DEFAULT_HZ;
    if (session_running && other->active && hz != session_hz) {
        if (c == &fg)
            snprintf(err, err_len, "%s (the push agent samples at %d Hz; ask for hz=%d)",
                     CPU_BUSY_MESSAGE, session_hz, session_hz);
        else
            snprintf(err, err_len, "a CPU profile at %d Hz is running, the agent samples at %d Hz",
                     session_hz, hz);
        return PROFILE_BUSY;
    }
    if (!session_running) {
        profile_status st = start_locked(hz, err, err_len);
        if (st != PROFILE_OK)
            return st;
    }
    cpu_ring *ring = atomic_load(&active_ring);
    *hz_inout = hz;
    c->active = 1;
    c->fn = fn;
    c->ctx = ctx;
    c->lost = 0;
    c->lost_base = ring ? atomic_load(&ring->lost) : 0;
    atomic_fetch_add_explicit(&sessions_begun, 1, memory_order_relaxed);
    return PROFILE_OK;
}

/* Move the ring's samples into every active consumer (session_lock held). */
static void fan_out(const cpu_record *rec, void *ctx)
{
    (void)ctx;
    if (fg.active && fg.fn)
        fg.fn(rec, fg.ctx);
    if (bg.active && bg.fn)
        bg.fn(rec, bg.ctx);
}

static void drain_locked(void)
{
    cpu_ring *ring = atomic_load(&active_ring);
    if (ring)
        cpu_ring_drain(ring, fan_out, NULL);
}

/* Samples the ring lost since c last settled go into its table. */
static void settle_lost_locked(consumer *c)
{
    cpu_ring *ring = atomic_load(&active_ring);
    if (!ring)
        return;
    uint64_t lost = atomic_load(&ring->lost);
    cpu_stacks *table = consumer_table(c);
    if (table && lost > c->lost_base)
        cpu_stacks_add_lost(table, lost - c->lost_base);
    else if (lost > c->lost_base)
        c->lost += lost - c->lost_base;
    c->lost_base = lost;
}

/* The foreground consumer as a stack table (HTTP /profile, file, API). */
profile_status cpu_session_begin(int *hz, cpu_stacks *acc, char *err, size_t err_len)
{
    return cpu_session_begin_to(hz, cpu_stacks_sink, acc, err, err_len);
}

/* The foreground consumer with any sink (the trace: records with tid, time). */
profile_status cpu_session_begin_to(int *hz, cpu_sample_fn fn, void *ctx, char *err, size_t err_len)
{
    pthread_mutex_lock(&session_lock);
    profile_status st = join_locked(&fg, &bg, hz, fn, ctx, err, err_len);
    if (st == PROFILE_OK) {
        own_cpu_at_begin = threads_internal_cpu_ns(NULL);
        own_cpu_in_session = 0;
    }
    pthread_mutex_unlock(&session_lock);
    return st;
}

void cpu_session_drain(void)
{
    pthread_mutex_lock(&session_lock);
    drain_locked();
    pthread_mutex_unlock(&session_lock);
}

/* Until no handler runs (bounded: a handler is a few microseconds, but a
 * stopped or descheduled thread may sit in one). 0 when none left. */
static int wait_handlers(void)
{
    for (int ms = 0; ms < DRAIN_WAIT_MS; ms++) {
        if (atomic_load(&in_handler) == 0)
            return 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Stop the timers (the last consumer left; session_lock held unless
 * unlocked says it could not be taken). c, the last consumer, gets the rest
 * of the samples and the lost count; NULL: drop them and keep the ring,
 * another collector may still be draining it. */
static void stop_session(consumer *c)
{
    cpu_ring *ring = atomic_load(&active_ring);
    atomic_store(&active_token, 0);
    pthread_mutex_lock(&table_lock);
    disarm_all_locked();
    pthread_mutex_unlock(&table_lock);
    int quiet = wait_handlers() == 0 && c;
    if (ring && c) {
        if (c->fn)
            cpu_ring_drain(ring, c->fn, c->ctx);
        settle_lost_locked(c);
    }
    atomic_store(&active_ring, NULL);
    /* A handler still inside after the wait may yet write: leak the ring
     * (a few hundred KiB) rather than free memory under it. */
    if (ring && quiet)
        cpu_ring_free(ring);
    else if (ring && c)
        cprof_log("a CPU sample handler did not return within %d ms; its buffer is kept",
                  DRAIN_WAIT_MS);
    session_running = 0;
}

/* The foreground consumer leaves: the rest of its samples and the lost
 * count go to it; the timers stop unless the push agent still samples.
 * Returns the lost samples it was not given in a table (0 with one). */
static uint64_t end_foreground(void)
{
    pthread_mutex_lock(&session_lock);
    own_cpu_in_session = threads_internal_cpu_ns(NULL) - own_cpu_at_begin;
    uint64_t lost = 0;
    if (fg.active && bg.active) {
        /* The push agent keeps sampling: leave with what is drained. */
        drain_locked();
        settle_lost_locked(&fg);
    } else if (fg.active) {
        stop_session(&fg);
    }
    lost = fg.lost;
    memset(&fg, 0, sizeof fg);
    pthread_mutex_unlock(&session_lock);
    return lost;
}

/* Ends the foreground consumer (see cpu.h); acc NULL when its collector may
 * still be inside the ring. */
void cpu_session_end(cpu_stacks *acc)
{
    if (!acc) {
        /* A collector that did not stop may hold session_lock: take it
         * only if it comes within the handlers' wait; else end anyway. */
        int locked = 0;
        for (int ms = 0; ms < DRAIN_WAIT_MS && !locked; ms++) {
            locked = pthread_mutex_trylock(&session_lock) == 0;
            if (!locked) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
        }
        own_cpu_in_session = threads_internal_cpu_ns(NULL) - own_cpu_at_begin;
        if (!bg.active)
            stop_session(NULL);
        memset(&fg, 0, sizeof fg);
        if (locked)
            pthread_mutex_unlock(&session_lock);
        return;
    }
    (void)end_foreground();
}

/* Ends a foreground consumer begun with cpu_session_begin_to: the rest of
 * its samples to its sink, its lost samples in *lost (may be NULL). */
void cpu_session_end_to(uint64_t *lost)
{
    uint64_t n = end_foreground();
    if (lost)
        *lost = n;
}

profile_status cpu_background_begin(int hz, cpu_stacks *acc, char *err, size_t err_len)
{
    pthread_mutex_lock(&session_lock);
    profile_status st = join_locked(&bg, &fg, &hz, cpu_stacks_sink, acc, err, err_len);
    pthread_mutex_unlock(&session_lock);
    return st;
}

cpu_stacks *cpu_background_swap(cpu_stacks *fresh)
{
    pthread_mutex_lock(&session_lock);
    cpu_stacks *old = NULL;
    if (bg.active) {
        drain_locked();
        settle_lost_locked(&bg);
        old = consumer_table(&bg);
        bg.ctx = fresh;
    }
    pthread_mutex_unlock(&session_lock);
    return old;
}

cpu_stacks *cpu_background_end(void)
{
    pthread_mutex_lock(&session_lock);
    cpu_stacks *acc = NULL;
    if (bg.active) {
        acc = consumer_table(&bg);
        if (fg.active) {
            drain_locked();
            settle_lost_locked(&bg);
        } else {
            stop_session(&bg);
        }
        memset(&bg, 0, sizeof bg);
    }
    pthread_mutex_unlock(&session_lock);
    return acc;
}

/* See cpu.h: the agent's rate, for CPU_HZ_ANY (join_locked). */
void cpu_background_expect(int hz)
{
    atomic_store(&expected_bg_hz, hz);
}

int cpu_session_hz(void)
{
    return cpu_session_active() ? session_hz : 0;
}
