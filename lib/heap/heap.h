/*
 * heap.h — the sampled heap profile.
 *
 *   heap_hooks.c    the interposed malloc family (fast path: a countdown
 *                   and a filter probe, no lock)
 *   heap_sampler.c  Poisson sampling, the bucket table (stack+size ->
 *                   counters) and the live table (sampled pointer -> bucket)
 *   heap_live.c     that live table and the lock-free filter free() reads
 *   heap_peak.c     the high-water mark of the sampled heap and its copy
 *   heap_profile.c  buckets -> profile model (unsampled, reference §2) and
 *                   Go's legacy debug=1 text; the heap/allocs/peak sources
 */
#ifndef CPROF_HEAP_H
#define CPROF_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "pprof/profiles.h"

#define HEAP_MAX_FRAMES 64

/* Sampling control. rate: mean bytes between samples; 0 = off, 1 = every
 * allocation. Takes effect on each thread within a few MiB of allocation. */
void heap_sampler_set_rate(int64_t rate);
int64_t heap_sampler_rate(void);
/* Seed of the per-thread generators (0 = from the clock). Threads started
 * after the call derive their generator from it. */
void heap_sampler_set_seed(uint64_t seed);

/* Mark the calling thread as the profiler's own: none of its allocations are
 * sampled (the HTTP listener and its workers). */
void heap_thread_set_internal(int on);
int heap_thread_is_internal(void);
/* "This thread is the profiler's for a while": mark the calling thread
 * internal and return what it was, to hand back to heap_internal_leave:
 *     int prev = heap_internal_enter(); ... heap_internal_leave(prev);
 * Pairs nest (an inner pair leaves the thread internal). */
int heap_internal_enter(void);
void heap_internal_leave(int prev);

/* One bucket: allocations of one size class from one call stack. Counters
 * are raw sampled counts and bytes (in-use = sampled blocks not yet freed);
 * pcs point into memory that lives as long as the process. */
typedef struct heap_record {
    const uint64_t *pcs;
    size_t n_pcs;
    uint32_t labels; /* the allocating threads' label-set id (labels.h), 0: none */
    uint64_t alloc_objects;
    uint64_t alloc_bytes;
    uint64_t inuse_objects;
    uint64_t inuse_bytes;
    /* The size the profile's "bytes" label shows: the first sampled block of
     * the bucket. Never the running average: scrapers that diff cumulative
     * profiles (Grafana Alloy) key a series by stack and labels, so a label
     * that drifts as sizes within the class vary would end one series and
     * start another each scrape. Exact when the site allocates one size. */
    uint64_t label_size;
} heap_record;

/* Number of buckets (distinct stack+size pairs) sampled so far. */
long heap_bucket_count(void);

/* A consistent-enough copy of all buckets (counters are read atomically one
 * by one). Caller frees the array. NULL with *n = 0 when there are none. */
heap_record *heap_records_snapshot(size_t *n);
/* The same, counting as in use only blocks allocated at least min_age_ns
 * ago (CLOCK_MONOTONIC); 0 = all. Allocation counters are not filtered. */
heap_record *heap_records_snapshot_aged(size_t *n, int64_t min_age_ns);

/* The peak (heap_peak.c): the buckets' in-use counts as they stood at the
 * last capture of the high-water mark. NULL with *n = 0 when none yet. */
typedef struct heap_peak_info {
    int64_t bytes;      /* the unsampled in-use estimate at the capture */
    int64_t time_nanos; /* wall clock of the capture */
    int64_t current;    /* the estimate now */
} heap_peak_info;
heap_record *heap_peak_snapshot(size_t *n, heap_peak_info *info);
long heap_peak_count(void);
void heap_peak_atfork_child(void);
/* heap_sampler.c: the records of generation gen (at most n_max). */
heap_record *heap_buckets_peak_records(uint64_t gen, size_t n_max, size_t *n);

/* Slow paths called by the hooks (heap_hooks.c -> heap_sampler.c). */
void heap_sample_take(void *ptr, size_t size);
int heap_sample_forget(void *ptr); /* 1 when ptr was sampled */
/* Resolve the real allocator (idempotent; the first hooked call does it
 * too). Called from the library constructor. */
void heap_hooks_init(void);
/* Run fn once, from the calling thread's next allocation slow path (then on
 * whichever thread gets there first). Used after fork to speak up only in
 * children that go on running code, not in those that exec at once. */
void heap_sampler_call_soon(void (*fn)(void));
/* Whether a call_soon function waits to run, and run it now from this
 * thread: for the other ordinary-context points where a forked child that
 * does not allocate gets there (its first epoll_wait, its next fork). Never
 * from a signal handler. */
int heap_sampler_call_pending(void);
void heap_sampler_run_pending(void);
/* Fork handling: hold every sampler lock across fork. */
void heap_sampler_atfork_prepare(void);
void heap_sampler_atfork_parent(void);
void heap_sampler_atfork_child(void);

/* The views of the sampled heap one source serves (profile_request.variant):
 * "heap" and "allocs" are the same data differing in default sample type
 * (inuse_space vs alloc_space); "peak" is the copy at the high-water mark. */
enum heap_view { HEAP_VIEW_INUSE, HEAP_VIEW_ALLOCS, HEAP_VIEW_PEAK };

/* The whole heap profile summed (heap_profile.c): the same unsampled
 * estimates as the heap profile's samples, added up. Allocation counts
 * since start, in-use now. */
typedef struct heap_totals {
    uint64_t alloc_objects, alloc_bytes;
    uint64_t inuse_objects, inuse_bytes;
    int64_t rate; /* the sampling rate (0: heap profiling off) */
} heap_totals;
/* One snapshot of the buckets, like a heap profile. 0, or -1 when out of
 * memory (*t zeroed). Call with the thread marked internal. */
int heap_totals_read(heap_totals *t);

/* The "heap", "allocs" and "peak" profile sources (heap_profile.c). */
long heap_profile_count(void);
profile_status heap_profile_write(const profile_request *req, buf *out, char *err, size_t err_len);
/* The same as the model, for a delta (profiles.h: build). */
profile_status heap_profile_build(const profile_request *req, struct profile **out, char *err,
                                  size_t err_len);

#endif
