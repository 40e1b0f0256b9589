/*
 * heap_peak.c — /debug/pprof/peak: the sampled heap as it stood at its
 * high-water mark, i.e. what filled memory just before an OOM kill.
 *
 * Tracking: every sampled block carries a weight (its size divided by its
 * sampling probability: the unsampled estimate the heap profile shows). The
 * sampled slow paths (allocation taken, sampled block freed) add and
 * subtract it; unsampled allocations and frees never come here, so the fast
 * path costs nothing more. Each thread accumulates its changes in its TLS
 * state and publishes them to one atomic total when they reach
 * PEAK_FLUSH, so at rate 1 (every allocation sampled) threads do not all
 * hammer one cache line. The total is therefore approximate: within
 * PEAK_FLUSH per thread, and a rate change while blocks are live shifts it
 * (weights are recomputed with the current rate at free); it is clamped at 0.
 *
 * Capture: when a publishing allocation sees the total exceed the last
 * recorded peak by 1/16 (and at least PEAK_MIN_BYTES), it copies every
 * bucket's in-use counts (a walk of the live table, no allocation) under
 * peak_lock, taken with trylock: if another thread is capturing or a reader
 * is serving the peak, this allocation skips it and a later one captures.
 * The 1/16 margin bounds the cost: captures happen at geometrically growing
 * totals, so their summed cost is ~17 walks of the final live table. The
 * copy is thus the heap at most 1/16 (plus the flush slack) below the true
 * peak, taken at the moment it was reached — not later, when the program may
 * already have freed (or been killed).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "heap.h"
#include "heap_internal.h"
#include "pprof/profile.h"

#define PEAK_FLUSH (256 << 10)
#define PEAK_MIN_BYTES (1 << 20)

static _Atomic int64_t inuse_estimate;
static _Atomic int64_t peak_mark; /* the estimate at the last capture */
static pthread_mutex_t peak_lock = PTHREAD_MUTEX_INITIALIZER;
/* under peak_lock */
static uint64_t peak_generation, next_generation;
static size_t peak_buckets;
static int64_t peak_time_nanos;

static void try_capture(int64_t total)
{
    if (pthread_mutex_trylock(&peak_lock) != 0)
        return;
    int64_t mark = atomic_load_explicit(&peak_mark, memory_order_relaxed);
    if (total > mark + mark / 16) {
        uint64_t gen = ++next_generation;
        __atomic_store_n(&peak_buckets, heap_buckets_capture_peak(gen), __ATOMIC_RELAXED);
        peak_generation = gen;
        peak_time_nanos = profile_now_nanos();
        atomic_store_explicit(&peak_mark, total, memory_order_relaxed);
    }
    pthread_mutex_unlock(&peak_lock);
}

void heap_peak_note(int64_t weight)
{
    int64_t d = heap_tls.peak_delta + weight;
    if (d < PEAK_FLUSH && d > -PEAK_FLUSH) {
        heap_tls.peak_delta = d;
        return;
    }
    heap_tls.peak_delta = 0;
    int64_t total = atomic_fetch_add_explicit(&inuse_estimate, d, memory_order_relaxed) + d;
    if (weight <= 0 || total < PEAK_MIN_BYTES)
        return;
    int64_t mark = atomic_load_explicit(&peak_mark, memory_order_relaxed);
    if (total > mark + mark / 16)
        try_capture(total);
}

heap_record *heap_peak_snapshot(size_t *n, heap_peak_info *info)
{
    *n = 0;
    pthread_mutex_lock(&peak_lock);
    info->bytes = atomic_load_explicit(&peak_mark, memory_order_relaxed);
    info->time_nanos = peak_time_nanos;
    int64_t now = atomic_load_explicit(&inuse_estimate, memory_order_relaxed);
    info->current = now < 0 ? 0 : now;
    heap_record *recs =
        peak_generation ? heap_buckets_peak_records(peak_generation, peak_buckets, n) : NULL;
    pthread_mutex_unlock(&peak_lock);
    return recs;
}

long heap_peak_count(void)
{
    /* A racy read for the index page: a count, not a pointer. */
    return (long)__atomic_load_n(&peak_buckets, __ATOMIC_RELAXED);
}

void heap_peak_atfork_child(void)
{
    /* A thread that was capturing or serving the peak is gone. */
    pthread_mutex_init(&peak_lock, NULL);
}
