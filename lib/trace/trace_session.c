/*
 * trace_session.c — one trace at a time: what is collected over the window,
 * and the registry's "trace" source.
 *
 * The requesting thread (an HTTP worker, a profiler thread) does all the
 * work: it begins the CPU sampler's session (cpu_sampler.c: one timer per
 * thread on its CPU clock; every sample carries its tid and time), sets
 * trace_active, then sleeps in steps of one sampling period. Each step it
 * looks at the blocking-call records (threads_blocking.c: which threads sit
 * in poll, epoll_wait, nanosleep... now; lock-free, no /proc), so thread
 * states have the sampling period's resolution; every 100 ms it drains the
 * sample ring and the span buffers and reads the counters (sampled heap in
 * use from the heap buckets, the thread count from /proc/self/status). At
 * the end: trace_active cleared, the session ended, the last drains, the
 * live threads listed (names), and trace_timeline.c writes the JSON.
 *
 * Thread births and exits come from the pthread_create trampoline and the
 * thread-exit destructor (threads_hooks.c) while a trace runs: a slot of an
 * mmap'd table claimed with one atomic add, filled, then published with a
 * release store of its generation. A slot not yet published at the end, or
 * of an earlier trace, is skipped. Full: counted as dropped.
 *
 * Busy: a second trace gets Go's "tracing is already enabled"; a trace
 * while a CPU profile runs (and a CPU profile while a trace runs) gets the
 * sampler's busy answer: there is one CPU sampling session.
 */
#include "trace.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "cpu/cpu.h"
#include "heap/heap.h"
#include "pprof/profile.h"
#include "threads/threads.h"
#include "threads/threads_blocking.h"

#define THREAD_EVENTS 8192 /* births and exits per trace */
#define DRAIN_EVERY_NS 100000000LL
#define MAX_BLOCKED_LOOK 4096

typedef struct thread_slot {
    _Atomic uint32_t gen; /* the trace it belongs to, stored last */
    trace_thread_event ev;
} thread_slot;

static atomic_int trace_busy;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static _Atomic uint32_t trace_gen;
static _Atomic uint32_t n_thread_slots;
static thread_slot *thread_slots; /* THREAD_EVENTS, mmap'd at the first trace */

/* ---- thread hooks (program threads, any time) ------------------------------ */

/* A zeroed event of this trace for the calling thread (tid, time, name
 * filled), or NULL (none runs, or the table is full); *gen is the trace's
 * generation, to publish the slot with (slot_publish). */
static thread_slot *slot_claim(uint32_t *gen, int exited)
{
    if (__builtin_expect(!atomic_load_explicit(&trace_active, memory_order_relaxed), 1))
        return NULL;
    *gen = atomic_load_explicit(&trace_gen, memory_order_acquire);
    uint32_t i = atomic_fetch_add_explicit(&n_thread_slots, 1, memory_order_relaxed);
    if (i >= THREAD_EVENTS)
        return NULL;
    trace_thread_event *e = &thread_slots[i].ev;
    memset(e, 0, sizeof *e);
    e->exited = exited;
    e->tid = (int32_t)syscall(SYS_gettid);
    e->time_ns = monotonic_ns();
    prctl(PR_GET_NAME, e->name);
    return &thread_slots[i];
}

/* Records a birth (creator and its stack from the registry's record). */
void trace_thread_started(const thread_birth_info *birth)
{
    uint32_t gen;
    thread_slot *s = slot_claim(&gen, 0);
    if (!s)
        return;
    trace_thread_event *e = &s->ev;
    if (birth) {
        e->time_ns = birth->start_ns;
        e->creator_tid = birth->creator_tid;
        memcpy(e->creator_name, birth->creator_name, sizeof e->creator_name);
        e->n_creator = birth->n_creator < 32 ? birth->n_creator : 32;
        memcpy(e->creator, birth->creator, e->n_creator * sizeof e->creator[0]);
    }
    atomic_store_explicit(&s->gen, gen, memory_order_release);
}

/* Records an exit with the thread's last name. */
void trace_thread_exiting(void)
{
    uint32_t gen;
    thread_slot *s = slot_claim(&gen, 1);
    if (s)
        atomic_store_explicit(&s->gen, gen, memory_order_release);
}

/* ---- collection (the requesting thread) ------------------------------------ */

void trace_data_free(trace_data *d)
{
    free(d->samples);
    free(d->pcs);
    free(d->ticks);
    free(d->blocked);
    free(d->counters);
    free(d->threads);
    free(d->spans);
    free(d->live_at_start);
    memset(d, 0, sizeof *d);
}

/* Room for one more element of a trace_data array; sets d->oom on failure. */
#define ROOM(d, arr, n, cap)                                                                       \
    ((d)->n + 1 <= (d)->cap ||                                                                     \
             array_grow((void **)&(d)->arr, &(d)->cap, (d)->n + 1, sizeof *(d)->arr) == 0          \
         ? 1                                                                                       \
         : ((d)->oom = 1, 0))

/* cpu_sample_fn: keeps one sample (tid, time, stack). */
static void keep_sample(const cpu_record *rec, void *ctx)
{
    trace_data *d = ctx;
    if (!ROOM(d, samples, n_samples, cap_samples))
        return;
    while (d->n_pcs + rec->n_pcs > d->cap_pcs) { /* each call doubles */
        if (array_grow((void **)&d->pcs, &d->cap_pcs, d->cap_pcs, sizeof *d->pcs) != 0) {
            d->oom = 1;
            return;
        }
    }
    memcpy(d->pcs + d->n_pcs, rec->pcs, rec->n_pcs * sizeof *d->pcs);
    d->samples[d->n_samples++] = (trace_sample){.tid = rec->tid,
                                                .weight = rec->weight,
                                                .time_ns = rec->time_ns,
                                                .first_pc = (uint32_t)d->n_pcs,
                                                .n_pcs = rec->n_pcs};
    d->n_pcs += rec->n_pcs;
}

/* trace_span_fn: keeps one span event. */
static void keep_span(pid_t tid, const trace_span_event *ev, void *ctx)
{
    trace_data *d = ctx;
    if (ROOM(d, spans, n_spans, cap_spans))
        d->spans[d->n_spans++] = (trace_span_rec){.tid = tid, .ev = *ev};
}

/* One look at the blocking-call records: a state tick. */
static void look_blocked(trace_data *d, blocking_now *look)
{
    size_t n = blocking_list_waiting(look, MAX_BLOCKED_LOOK);
    if (n > MAX_BLOCKED_LOOK)
        n = MAX_BLOCKED_LOOK;
    if (!ROOM(d, ticks, n_ticks, cap_ticks))
        return;
    trace_state_tick *t = &d->ticks[d->n_ticks++];
    t->time_ns = monotonic_ns();
    t->first = (uint32_t)d->n_blocked;
    t->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (threads_registry_is_internal(look[i].tid) || !ROOM(d, blocked, n_blocked, cap_blocked))
            continue;
        d->blocked[d->n_blocked++] =
            (trace_blocked){.tid = look[i].tid, .seq = look[i].seq, .call = look[i].call};
        t->n++;
    }
}

/* The counters now: sampled heap in use, thread count. */
static void read_counters(trace_data *d)
{
    if (!ROOM(d, counters, n_counters, cap_counters))
        return;
    heap_totals t;
    int64_t heap = heap_totals_read(&t) == 0 && t.rate > 0 ? (int64_t)t.inuse_bytes : -1;
    d->counters[d->n_counters++] = (trace_counter){
        .time_ns = monotonic_ns(), .heap_inuse_bytes = heap, .threads = threads_count()};
}

/* Drains the ring and the span buffers, reads the counters. */
static void drain(trace_data *d)
{
    cpu_session_drain();
    d->dropped_spans += trace_spans_drain(keep_span, d);
    read_counters(d);
}

/* The thread events of trace gen published so far, into d. */
static void collect_thread_events(trace_data *d, uint32_t gen)
{
    uint32_t n = atomic_load(&n_thread_slots);
    if (n > THREAD_EVENTS) {
        d->dropped_thread_events = n - THREAD_EVENTS;
        n = THREAD_EVENTS;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (atomic_load_explicit(&thread_slots[i].gen, memory_order_acquire) != gen)
            continue;
        if (ROOM(d, threads, n_threads, cap_threads))
            d->threads[d->n_threads++] = thread_slots[i].ev;
    }
}

/* The program's threads alive now (the profiler's left out). */
static void list_live(trace_data *d)
{
    size_t n = 0;
    pid_t *tids = threads_list(&n);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (!threads_registry_is_internal(tids[i]))
            tids[kept++] = tids[i];
    d->live_at_start = tids;
    d->n_live_at_start = kept;
}

/* A child forked during a trace has no collector: it records nothing and
 * may trace on its own (its CPU session is reset by cpu_sampler.c). */
static void atfork_child(void)
{
    atomic_store(&trace_active, 0);
    atomic_store(&trace_busy, 0);
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

/* The "trace" source (see the file's notes). */
profile_status trace_profile_write(const profile_request *req, buf *out, char *err, size_t err_len)
{
    pthread_once(&atfork_once, install_atfork);
    int idle = 0;
    if (!atomic_compare_exchange_strong(&trace_busy, &idle, 1)) {
        snprintf(err, err_len, "%s", TRACE_BUSY_MESSAGE);
        return PROFILE_BUSY;
    }
    int was_internal = heap_internal_enter();
    profile_status status = PROFILE_OK;
    trace_data d;
    memset(&d, 0, sizeof d);
    blocking_now *look = malloc(MAX_BLOCKED_LOOK * sizeof *look);
    if (!thread_slots) {
        void *m = mmap(NULL, THREAD_EVENTS * sizeof *thread_slots, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        thread_slots = m == MAP_FAILED ? NULL : m;
    }
    if (!look || !thread_slots) {
        free(look);
        atomic_store(&trace_busy, 0);
        heap_internal_leave(was_internal);
        return profile_out_of_memory(req, err, err_len);
    }
    char cpu_err[256];
    int hz = req->hz; /* CPU_HZ_ANY becomes the session's rate */
    status = cpu_session_begin_to(&hz, keep_sample, &d, cpu_err, sizeof cpu_err);
    if (status != PROFILE_OK) {
        snprintf(err, err_len, "%s", status == PROFILE_BUSY ? TRACE_CPU_BUSY_MESSAGE : cpu_err);
        free(look);
        atomic_store(&trace_busy, 0);
        heap_internal_leave(was_internal);
        return status;
    }
    uint32_t gen = atomic_fetch_add(&trace_gen, 1) + 1;
    atomic_store(&n_thread_slots, 0);
    trace_spans_drain(NULL, NULL); /* whatever an earlier trace left */
    d.hz = hz;
    d.pid = getpid();
    d.start_wall_ns = profile_now_nanos();
    d.start_ns = monotonic_ns();
    atomic_store(&trace_active, 1);
    list_live(&d);
    read_counters(&d);
    int64_t period = 1000000000LL / hz;
    int64_t deadline = d.start_ns + req->window_ns;
    int64_t next_drain = d.start_ns + DRAIN_EVERY_NS;
    int gone = 0;
    for (;;) {
        int64_t now = monotonic_ns();
        int64_t step_end = now + period < deadline ? now + period : deadline;
        int step_ms = (int)((step_end - now + 999999) / 1000000);
        gone = profile_request_wait(req, step_end, step_ms > 0 ? step_ms : 1, NULL, NULL);
        if (gone)
            break;
        look_blocked(&d, look);
        now = monotonic_ns();
        if (now >= next_drain) {
            drain(&d);
            next_drain = now + DRAIN_EVERY_NS;
        }
        if (now >= deadline)
            break;
    }
    atomic_store(&trace_active, 0);
    d.end_ns = monotonic_ns();
    uint64_t lost = 0;
    cpu_session_end_to(&lost);
    d.lost_samples = lost;
    d.own_cpu_ns = cpu_session_own_cpu_ns();
    d.dropped_spans += trace_spans_drain(keep_span, &d);
    read_counters(&d);
    collect_thread_events(&d, gen);
    free(look);
    if (gone) {
        snprintf(err, err_len, "client went away; trace abandoned");
        status = PROFILE_ABANDONED;
    } else if (d.oom || trace_timeline_write(&d, out) != 0) {
        status = profile_out_of_memory(req, err, err_len);
    }
    trace_data_free(&d);
    atomic_store(&trace_busy, 0); /* after the timeline: it is single-threaded */
    heap_internal_leave(was_internal);
    return status;
}
