/*
 * threads_hooks.c — pthread_create interposition and the registry of thread
 * births that debug=2 reads ("created by", age, profiler-owned threads).
 *
 * The wrapper records, on the creating thread, the stack of the
 * pthread_create call (unwind_capture: the same unwinder as heap samples,
 * fine here because this is ordinary code, not a signal handler), the
 * creator's tid and name, and whether the creator belongs to the profiler.
 * It then starts the thread on a trampoline that stamps the start time and
 * the new tid and publishes the record in a tid-keyed hash table. A
 * thread-specific-data destructor takes the record out when the thread
 * ends, however it ends (return, pthread_exit, cancellation).
 *
 * Cost per thread creation: one unwind (~0.2 us), two short critical
 * sections, no malloc: records come from an mmap'd pool recycled through a
 * free list, so thread churn neither allocates through the application's
 * malloc nor shows up in its heap profile.
 *
 * Invariants:
 *   - registry_lock guards the buckets, the free list and the pool; it is
 *     never taken in a signal handler (the dump signal handler does not
 *     look at the registry: the collector does, after the dump).
 *   - A record is in the table from the moment its thread runs application
 *     code until its TSD destructor runs; the wrapper's own functions sit
 *     in PROFILER_TEXT, so they never appear in captured stacks.
 *   - After fork the child keeps only its own thread's record (re-keyed by
 *     its new tid); the others' threads do not exist there.
 *
 * Thread creations (the threadcreate profile) are counted apart from the
 * registry, which forgets a thread when it ends: every successful
 * pthread_create of the program adds one to its creator stack's entry in
 * a stack_counts table (lock-free, no malloc), so the counts include the
 * threads that have exited. The profiler's own threads (the HTTP server's
 * connection threads) are not counted: they are not the program's, and
 * each scrape would add one. A forked child keeps its parent's counts
 * (the table is cumulative since start, like Go's).
 */
#include "common/clock.h"
#include "threads.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "threads_blocking.h"
#include "trace/trace.h"
#include "unwind/stack_counts.h"
#include "unwind/unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define REGISTRY_BUCKETS 4096 /* power of two */
#define POOL_CHUNK 256        /* records per mmap */

typedef struct birth {
    struct birth *next; /* hash chain, or free list */
    void *(*start)(void *);
    void *arg;
    pid_t tid; /* 0 until the thread runs */
    thread_birth_info info;
} birth;

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static _Atomic(create_fn) real_create;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static birth *buckets[REGISTRY_BUCKETS];
static birth *free_list;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int exit_key_ok;

/* Creator stack -> threads created from it, since start (no lock). */
static stack_counts creations = STACK_COUNTS_INIT(4096);
static _Atomic long n_created;

/* CPU time of the profiler's threads that have ended (registry_lock). */
static int64_t ended_internal_cpu_ns;

static __thread birth *tls_birth __attribute__((tls_model("initial-exec")));
static __thread int tls_internal __attribute__((tls_model("initial-exec")));
static __thread int tls_creating_internal __attribute__((tls_model("initial-exec")));

static birth **bucket_of(pid_t tid)
{
    return &buckets[(unsigned)tid & (REGISTRY_BUCKETS - 1)];
}

/* ---- the record pool (registry_lock held) ------------------------------- */

static int pool_grow_locked(void)
{
    birth *chunk = mmap(NULL, POOL_CHUNK * sizeof *chunk, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED)
        return -1;
    for (size_t i = 0; i < POOL_CHUNK; i++) {
        chunk[i].next = free_list;
        free_list = &chunk[i];
    }
    return 0;
}

static birth *birth_alloc(void)
{
    pthread_mutex_lock(&registry_lock);
    birth *b = NULL;
    if (free_list || pool_grow_locked() == 0) {
        b = free_list;
        free_list = b->next;
    }
    pthread_mutex_unlock(&registry_lock);
    if (b)
        memset(b, 0, sizeof *b);
    return b;
}

static void birth_release_locked(birth *b)
{
    b->next = free_list;
    free_list = b;
}

/* ---- the tid-keyed table ------------------------------------------------ */

static void registry_insert(birth *b)
{
    pthread_mutex_lock(&registry_lock);
    birth **head = bucket_of(b->tid);
    b->next = *head;
    *head = b;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_unlink_locked(birth *b)
{
    for (birth **p = bucket_of(b->tid); *p; p = &(*p)->next) {
        if (*p == b) {
            *p = b->next;
            return;
        }
    }
}

/* The newest record for tid (tids are reused; the newest is at the head). */
static birth *registry_find_locked(pid_t tid)
{
    for (birth *b = *bucket_of(tid); b; b = b->next) {
        if (b->tid == tid)
            return b;
    }
    return NULL;
}

int threads_registry_lookup(pid_t tid, thread_birth_info *out)
{
    pthread_mutex_lock(&registry_lock);
    birth *b = registry_find_locked(tid);
    if (b)
        *out = b->info;
    pthread_mutex_unlock(&registry_lock);
    return b != NULL;
}

int threads_registry_is_internal(pid_t tid)
{
    pthread_mutex_lock(&registry_lock);
    birth *b = registry_find_locked(tid);
    int internal = b ? b->info.internal : 0;
    pthread_mutex_unlock(&registry_lock);
    return internal;
}

int threads_self_internal(void)
{
    return tls_internal || tls_creating_internal;
}

int threads_mark_internal_creator(int on)
{
    int was = tls_creating_internal;
    tls_creating_internal = on ? 1 : 0;
    return was;
}

int64_t threads_internal_cpu_ns(size_t *n_live)
{
    size_t live = 0;
    pthread_mutex_lock(&registry_lock);
    int64_t total = ended_internal_cpu_ns;
    for (size_t i = 0; i < REGISTRY_BUCKETS; i++) {
        for (birth *b = buckets[i]; b; b = b->next) {
            int64_t ns = b->info.internal ? threads_cpu_ns(b->tid) : -1;
            if (ns >= 0) {
                total += ns;
                live++;
            }
        }
    }
    pthread_mutex_unlock(&registry_lock);
    if (n_live)
        *n_live = live;
    return total;
}

/* Fills pcs[0..cap) with the creator call site of each live program
 * thread (0 when none was recorded); counts the profiler's apart. Returns
 * how many program threads there are, which may exceed cap (the rest are
 * not copied). One walk under registry_lock, no allocation. */
size_t threads_registry_creators(uint64_t *pcs, size_t cap, size_t *n_internal)
{
    size_t n = 0, internal = 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < REGISTRY_BUCKETS; i++) {
        for (birth *b = buckets[i]; b; b = b->next) {
            if (b->info.internal) {
                internal++;
                continue;
            }
            if (n < cap)
                pcs[n] = b->info.n_creator ? b->info.creator[0] : 0;
            n++;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    if (n_internal)
        *n_internal = internal;
    return n;
}

void threads_internal_summary(char *out, size_t len)
{
    size_t live;
    int64_t ns = threads_internal_cpu_ns(&live);
    snprintf(out, len, "%zu thread%s, %.3f s of CPU since start", live, live == 1 ? "" : "s",
             (double)ns / 1e9);
}

/* ---- thread exit and fork ----------------------------------------------- */

static void on_thread_exit(void *p)
{
    birth *b = p;
    cpu_thread_exiting();
    if (!b->info.internal)
        trace_thread_exiting();
    trace_spans_thread_exit();
    blocking_thread_exit();
    int64_t cpu_ns = b->info.internal ? clock_nanos(CLOCK_THREAD_CPUTIME_ID) : 0;
    pthread_mutex_lock(&registry_lock);
    if (cpu_ns > 0)
        ended_internal_cpu_ns += cpu_ns;
    registry_unlink_locked(b);
    birth_release_locked(b);
    pthread_mutex_unlock(&registry_lock);
    if (tls_birth == b)
        tls_birth = NULL;
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&registry_lock);
}
static void atfork_parent(void)
{
    pthread_mutex_unlock(&registry_lock);
}

/* Only the forking thread lives on: every other record goes back to the
 * pool, and ours is filed under the child's tid. */
static void atfork_child(void)
{
    pthread_mutex_init(&registry_lock, NULL);
    ended_internal_cpu_ns = 0; /* the child's threads start afresh */
    for (size_t i = 0; i < REGISTRY_BUCKETS; i++) {
        birth *b = buckets[i];
        buckets[i] = NULL;
        while (b) {
            birth *next = b->next;
            if (b != tls_birth)
                birth_release_locked(b);
            b = next;
        }
    }
    if (tls_birth) {
        tls_birth->tid = gettid();
        birth **head = bucket_of(tls_birth->tid);
        tls_birth->next = *head;
        *head = tls_birth;
    }
}

static void setup(void)
{
    exit_key_ok = pthread_key_create(&exit_key, on_thread_exit) == 0;
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- the interposed pthread_create --------------------------------------- */

static create_fn resolve_real_create(void)
{
    create_fn f = atomic_load_explicit(&real_create, memory_order_acquire);
    if (!f) {
        f = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
        atomic_store_explicit(&real_create, f, memory_order_release);
    }
    return f;
}

/* Runs first on every new thread: publish the record, then become the
 * application's start routine (a tail call where the compiler allows it,
 * so the trampoline usually leaves no frame behind). */
PROFILER_TEXT static void *thread_trampoline(void *p)
{
    birth *b = p;
    b->tid = gettid();
    b->info.start_ns = monotonic_ns();
    tls_birth = b;
    tls_internal = b->info.internal;
    void *(*start)(void *) = b->start;
    void *arg = b->arg;
    registry_insert(b);
    if (exit_key_ok)
        pthread_setspecific(exit_key, b);
    /* A CPU profile running: arm this thread's timer; the profiler's own
     * threads get none (a CPU profile is the program's work only). */
    if (!b->info.internal) {
        cpu_thread_started();
        trace_thread_started(&b->info); /* a trace running: its birth on the timeline */
    }
    return start(arg);
}

static void record_creator(birth *b)
{
    b->info.creator_tid = gettid();
    b->info.internal = tls_internal || tls_creating_internal;
    char name[THREADS_NAME_MAX] = "";
    if (prctl(PR_GET_NAME, name) == 0)
        memcpy(b->info.creator_name, name, sizeof name);
    b->info.creator_name[THREADS_NAME_MAX - 1] = 0;
}

/* One more thread of the program created from creator[0..n). */
static void count_creation(const uint64_t *creator, size_t n)
{
    static const int64_t one[STACK_COUNTS_VALUES] = {1, 0};
    stack_counts_add(&creations, creator, n, 0, one);
    atomic_fetch_add_explicit(&n_created, 1, memory_order_relaxed);
}

stack_counts_record *threads_creations_snapshot(size_t *n, int *oom)
{
    return stack_counts_snapshot(&creations, n, oom);
}

long threads_created_count(void)
{
    return atomic_load_explicit(&n_created, memory_order_relaxed);
}

EXPORT PROFILER_TEXT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                        void *(*start)(void *), void *arg)
{
    create_fn real = resolve_real_create();
    if (!real)
        return EAGAIN;
    pthread_once(&setup_once, setup);
    /* Taken before the call: once the thread runs, it may end and give
     * its record back before we look at it again. */
    uint64_t creator[THREADS_CREATOR_FRAMES];
    size_t n_creator = unwind_capture(creator, THREADS_CREATOR_FRAMES);
    int internal = threads_self_internal();
    birth *b = exit_key_ok ? birth_alloc() : NULL;
    if (!b) {
        int rc = real(thread, attr, start, arg);
        if (rc == 0 && !internal)
            count_creation(creator, n_creator);
        return rc;
    }
    b->start = start;
    b->arg = arg;
    b->info.n_creator = (uint32_t)n_creator;
    memcpy(b->info.creator, creator, n_creator * sizeof *creator);
    record_creator(b);
    int rc = real(thread, attr, thread_trampoline, b);
    if (rc != 0) {
        pthread_mutex_lock(&registry_lock);
        birth_release_locked(b);
        pthread_mutex_unlock(&registry_lock);
    } else if (!internal) {
        count_creation(creator, n_creator);
    }
    return rc;
}
