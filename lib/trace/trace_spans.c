/*
 * trace_spans.c — the program's spans and instants (cprof_span_begin,
 * cprof_span_end, cprof_event) into per-thread buffers, for the trace.
 *
 * Fast path with no trace running: one relaxed load of trace_active, then
 * return (bench/trace_spans.sh measures it). With a trace running: the
 * thread's buffer from an initial-exec TLS pointer, the monotonic clock
 * (vDSO), the name copied (at most TRACE_NAME_MAX - 1 bytes), one release
 * store of the head. No lock, no malloc, errno untouched.
 *
 * Names are copied, not kept as pointers: a span's name may be built on the
 * stack or freed right after the call, and the collector reads it up to
 * 100 ms later. Truncation at 47 bytes is the price (documented in
 * include/cprof.h).
 *
 * Buffers: SPAN_EVENTS events each, mmap'd once per thread that records a
 * span while a trace runs (the first such call pays the mmap), linked into
 * one push-only list (compare-and-swap), never unmapped, so the collector
 * may read any of them at any time. A buffer is single-producer (its
 * thread: writes the slot, then head with release) and single-consumer
 * (the collector: reads up to head with acquire, then stores tail). Full:
 * the event is dropped and counted. States: OWNED by a thread, RETIRED when
 * it ended (threads_hooks.c's destructor), FREE once the collector drained
 * a retired buffer; a new thread claims a FREE one before mapping another.
 *
 * A span begun before the trace or ended after it is still shown, cut at
 * the window's edge (trace_timeline.c); its name is unknown when the begin
 * came before the trace, since nothing is recorded while none runs.
 */
#include "trace.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "cprof.h"

#define EXPORT __attribute__((visibility("default")))
#define SPAN_EVENTS 2048 /* per thread: 20,000 a second at the 100 ms drain */

enum { BUF_OWNED = 1, BUF_RETIRED, BUF_FREE };

typedef struct span_buffer {
    struct span_buffer *next; /* the list: set before the buffer is published */
    _Atomic int state;
    _Atomic pid_t tid;
    _Atomic uint64_t head; /* the owner's: events written */
    _Atomic uint64_t tail; /* the collector's: events read */
    _Atomic uint64_t dropped;
    trace_span_event ev[SPAN_EVENTS];
} span_buffer;

_Atomic int trace_active;
static _Atomic(span_buffer *) buffers;
static __thread span_buffer *tls_buf __attribute__((tls_model("initial-exec")));

/* A buffer for the calling thread: a free one, else a new mapping. NULL
 * when out of memory. Lock-free and malloc-free. */
static span_buffer *buffer_claim(void)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    for (span_buffer *b = atomic_load_explicit(&buffers, memory_order_acquire); b; b = b->next) {
        int expect = BUF_FREE;
        if (atomic_compare_exchange_strong(&b->state, &expect, BUF_OWNED)) {
            atomic_store_explicit(&b->tid, tid, memory_order_relaxed);
            return tls_buf = b;
        }
    }
    int saved_errno = errno;
    void *m =
        mmap(NULL, sizeof(span_buffer), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved_errno;
    if (m == MAP_FAILED)
        return NULL;
    span_buffer *b = m;
    atomic_init(&b->state, BUF_OWNED);
    atomic_init(&b->tid, tid);
    span_buffer *head = atomic_load_explicit(&buffers, memory_order_relaxed);
    do {
        b->next = head;
    } while (!atomic_compare_exchange_weak_explicit(&buffers, &head, b, memory_order_release,
                                                    memory_order_relaxed));
    return tls_buf = b;
}

/* Record one event on the calling thread (a trace runs). */
static void record(uint32_t kind, const char *name)
{
    span_buffer *b = tls_buf;
    if (!b && !(b = buffer_claim()))
        return;
    uint64_t head = atomic_load_explicit(&b->head, memory_order_relaxed);
    if (head - atomic_load_explicit(&b->tail, memory_order_acquire) >= SPAN_EVENTS) {
        atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
        return;
    }
    trace_span_event *e = &b->ev[head % SPAN_EVENTS];
    e->time_ns = monotonic_ns();
    e->kind = kind;
    size_t n = name ? strnlen(name, TRACE_NAME_MAX - 1) : 0;
    if (n)
        memcpy(e->name, name, n);
    e->name[n] = '\0';
    atomic_store_explicit(&b->head, head + 1, memory_order_release);
}

EXPORT void cprof_span_begin(const char *name)
{
    if (__builtin_expect(!atomic_load_explicit(&trace_active, memory_order_relaxed), 1))
        return;
    record(TRACE_SPAN_BEGIN, name ? name : "");
}

EXPORT void cprof_span_end(void)
{
    if (__builtin_expect(!atomic_load_explicit(&trace_active, memory_order_relaxed), 1))
        return;
    record(TRACE_SPAN_END, NULL);
}

EXPORT void cprof_event(const char *name)
{
    if (__builtin_expect(!atomic_load_explicit(&trace_active, memory_order_relaxed), 1))
        return;
    record(TRACE_SPAN_INSTANT, name ? name : "");
}

/* Drains every buffer through fn; frees drained retired buffers. Returns the
 * events dropped since the last drain. */
uint64_t trace_spans_drain(trace_span_fn fn, void *ctx)
{
    uint64_t dropped = 0;
    for (span_buffer *b = atomic_load_explicit(&buffers, memory_order_acquire); b; b = b->next) {
        int state = atomic_load_explicit(&b->state, memory_order_acquire);
        if (state == BUF_FREE)
            continue;
        pid_t tid = atomic_load_explicit(&b->tid, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&b->head, memory_order_acquire);
        uint64_t tail = atomic_load_explicit(&b->tail, memory_order_relaxed);
        for (; tail < head; tail++) {
            if (fn)
                fn(tid, &b->ev[tail % SPAN_EVENTS], ctx);
        }
        atomic_store_explicit(&b->tail, tail, memory_order_release);
        dropped += atomic_exchange_explicit(&b->dropped, 0, memory_order_relaxed);
        if (state == BUF_RETIRED) {
            int expect = BUF_RETIRED;
            atomic_compare_exchange_strong(&b->state, &expect, BUF_FREE);
        }
    }
    return dropped;
}

/* The calling thread ends: its buffer is retired (reused once drained). */
void trace_spans_thread_exit(void)
{
    span_buffer *b = tls_buf;
    if (!b)
        return;
    tls_buf = NULL;
    atomic_store_explicit(&b->state, BUF_RETIRED, memory_order_release);
}
