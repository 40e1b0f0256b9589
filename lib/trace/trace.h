/*
 * trace.h — /debug/pprof/trace: a timeline of every thread over a window,
 * in the Chrome Trace Event JSON format (Perfetto UI, chrome://tracing and
 * speedscope open it). Not Go's execution trace: C has no runtime whose
 * events could be traced; docs/TRACE.md says what each field means.
 *
 *   trace_spans.c    cprof_span_begin/cprof_span_end/cprof_event: the
 *                    program's spans and instants, lock-free into
 *                    per-thread buffers, one relaxed load when no trace runs
 *   trace_session.c  one trace at a time: the CPU sampler's session (its
 *                    samples carry tid and time), the blocking-call records
 *                    polled at the sampling period, thread births and exits
 *                    from the pthread_create trampoline, the heap and thread
 *                    counters; the "trace" source of the registry
 *   trace_timeline.c the collected window -> events: per-thread tracks, CPU
 *                    samples merged into a flame chart of X slices, states,
 *                    spans, counters, metadata; symbolized in process
 *   trace_json.c     the JSON writer (escaping, microsecond timestamps, one
 *                    event object at a time); pure
 *
 * Design (invariants):
 *   - Free when idle. Spans, the thread hooks and the sampler pay one relaxed
 *     load of `trace_active` and return when no trace runs.
 *   - No lock, no malloc on the program's threads. Span buffers and the
 *     thread-event table come from mmap; a thread claims its buffer with a
 *     compare-and-swap; each buffer is single-producer (its thread),
 *     single-consumer (the collector). Full: the event is dropped and
 *     counted, the trace says how many.
 *   - One trace at a time, and not beside a CPU profile: both are the one
 *     CPU sampling session (cpu_sampler.c), so either gets Go's 500 while
 *     the other runs.
 *   - Everything that allocates (the collected samples, symbolization, the
 *     JSON) runs on the requesting thread, a profiler thread.
 */
#ifndef CPROF_TRACE_H
#define CPROF_TRACE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "pprof/profiles.h"

struct thread_birth_info;

#define TRACE_DEFAULT_SECONDS 1 /* Go's */
#define TRACE_BUSY_MESSAGE "Could not enable tracing: tracing is already enabled"
#define TRACE_CPU_BUSY_MESSAGE                                                                     \
    "Could not enable tracing: cpu profiling already in use (a trace samples the CPU too)"
#define TRACE_NAME_MAX 48 /* a span name is copied, truncated to 47 bytes */

/* 1 while a trace collects (relaxed: the fast paths' one load). */
extern _Atomic int trace_active;

/* ---- spans (trace_spans.c) ---------------------------------------------- */

enum trace_span_kind { TRACE_SPAN_BEGIN = 1, TRACE_SPAN_END, TRACE_SPAN_INSTANT };

typedef struct trace_span_event {
    int64_t time_ns; /* CLOCK_MONOTONIC */
    uint32_t kind;   /* trace_span_kind */
    uint32_t pad_;
    char name[TRACE_NAME_MAX]; /* "" for an end */
} trace_span_event;

typedef void (*trace_span_fn)(pid_t tid, const trace_span_event *ev, void *ctx);
/* Hand every buffered span event of every thread to fn, oldest first per
 * thread; buffers of ended threads are then free for new threads. Returns
 * the events dropped since the last call (buffers full). One consumer. */
uint64_t trace_spans_drain(trace_span_fn fn, void *ctx);
/* The calling thread ends (threads_hooks.c's destructor): its buffer is
 * retired, reused once drained. */
void trace_spans_thread_exit(void);

/* ---- thread births and exits (trace_session.c) -------------------------- */

/* From the pthread_create trampoline of a program thread, after the
 * registry has its birth: recorded when a trace runs. */
void trace_thread_started(const struct thread_birth_info *birth);
/* From the thread-exit destructor: recorded (with the thread's name) when a
 * trace runs. */
void trace_thread_exiting(void);

/* ---- the JSON writer (trace_json.c) ------------------------------------- */

typedef struct trace_json {
    buf *out;
    int n_events;
} trace_json;

/* One event of the traceEvents array. ph: 'X' (complete), 'i' (instant),
 * 'C' (counter), 'M' (metadata). ts/dur in ns (written in microseconds with
 * three decimals). args: a JSON object text, or NULL. */
typedef struct trace_json_event {
    char ph;
    const char *name;
    const char *cat; /* NULL: none */
    int pid, tid;
    int64_t ts_ns;
    int64_t dur_ns;   /* 'X' only */
    char scope;       /* 'i' only: 't' thread, 'p' process, 'g' global */
    const char *args; /* NULL: none */
} trace_json_event;

/* Open the document: {"displayTimeUnit":"ms","otherData":{other},"traceEvents":[
 * other is a JSON object's members text ("" for none). */
void trace_json_begin(trace_json *j, buf *out, const char *other);
void trace_json_event_write(trace_json *j, const trace_json_event *e);
/* Close the array and the document. */
void trace_json_end(trace_json *j);
/* s as a JSON string (quoted, escaped; invalid UTF-8 bytes as \u00XX). */
void trace_json_string(buf *b, const char *s);

/* ---- the timeline (trace_timeline.c) ------------------------------------ */

typedef struct trace_sample {
    int32_t tid;
    uint32_t weight;
    int64_t time_ns;
    uint32_t first_pc, n_pcs; /* into trace_data.pcs, leaf first */
} trace_sample;

typedef struct trace_state_tick {
    int64_t time_ns;
    uint32_t first, n; /* into trace_data.blocked */
} trace_state_tick;

typedef struct trace_blocked {
    int32_t tid;
    uint64_t seq;
    const char *call;
} trace_blocked;

typedef struct trace_counter {
    int64_t time_ns;
    int64_t heap_inuse_bytes; /* -1: heap profiling off */
    long threads;
} trace_counter;

typedef struct trace_thread_event {
    int exited; /* 0: started */
    int32_t tid;
    int64_t time_ns;
    char name[16];
    int32_t creator_tid;
    char creator_name[16];
    uint32_t n_creator;
    uint64_t creator[32];
} trace_thread_event;

typedef struct trace_span_rec {
    int32_t tid;
    trace_span_event ev;
} trace_span_rec;

/* Everything one trace collected (trace_session.c fills it). */
typedef struct trace_data {
    int64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
    int64_t start_wall_ns;
    int hz;
    pid_t pid;
    trace_sample *samples;
    size_t n_samples, cap_samples;
    uint64_t *pcs;
    size_t n_pcs, cap_pcs;
    trace_state_tick *ticks;
    size_t n_ticks, cap_ticks;
    trace_blocked *blocked;
    size_t n_blocked, cap_blocked;
    trace_counter *counters;
    size_t n_counters, cap_counters;
    trace_thread_event *threads;
    size_t n_threads, cap_threads;
    trace_span_rec *spans;
    size_t n_spans, cap_spans;
    pid_t *live_at_start; /* program threads alive when the trace began */
    size_t n_live_at_start;
    uint64_t lost_samples, dropped_spans, dropped_thread_events;
    int64_t own_cpu_ns; /* the profiler's threads' CPU during the trace */
    int oom;
} trace_data;

void trace_data_free(trace_data *d);
/* Write d as a Chrome Trace Event JSON document to out. 0, or -1 when out
 * of memory. Symbolizes (the caller is a profiler thread). */
int trace_timeline_write(const trace_data *d, buf *out);

/* ---- the source (trace_session.c) --------------------------------------- */

/* The "trace" source: a timeline of req->seconds at req->hz. */
profile_status trace_profile_write(const profile_request *req, buf *out, char *err, size_t err_len);

#endif
