/*
 * heap_internal.h — what the malloc hooks (heap_hooks.c) and the sampler
 * (heap_sampler.c) share, and nobody else may use.
 *
 * The fast path of every hook reads only thread-local state and one filter
 * counter, so these are exposed as variables, not functions: an unsampled
 * malloc is a TLS subtraction and a compare, an unsampled free a hash and a
 * relaxed load, both followed by a tail call into the real allocator.
 */
#ifndef CPROF_HEAP_INTERNAL_H
#define CPROF_HEAP_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind/unwind.h"
#define HEAP_HOOK_TEXT PROFILER_TEXT

typedef struct heap_thread_state {
    /* Bytes this thread may still allocate before the next sample. When it
     * would drop to or below zero the hook takes the slow path. 0 on a new
     * thread, so every thread's first allocation seeds its generator. */
    int64_t bytes_until_sample;
    uint64_t rng;
    uint32_t guard;   /* >0 while inside the profiler: never sample */
    uint8_t internal; /* a profiler thread: never sample */
    uint8_t seeded;
    int32_t tid; /* cached gettid(); reset after fork */
    /* Sampled in-use estimate not yet added to the global one (heap_peak.c) */
    int64_t peak_delta;
} heap_thread_state;

extern __thread heap_thread_state heap_tls
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* Filter over sampled live pointers: a set bit at a pointer's slot means
 * "maybe sampled, look it up"; a clear bit means "certainly not". One bit a
 * slot keeps the whole filter (8 KiB) in L1 for the free fast path. Slot s
 * belongs to live-table shard s >> HEAP_SLOTS_PER_SHARD_BITS, whose lock
 * guards the slot's count and therefore its bit: a word is only ever written
 * by one shard, so plain atomic stores suffice. Read without any lock. */
#define HEAP_FILTER_BITS 16
#define HEAP_SHARD_BITS 6
#define HEAP_SLOTS_PER_SHARD_BITS (HEAP_FILTER_BITS - HEAP_SHARD_BITS)
extern _Atomic uint64_t heap_filter_words[(1u << HEAP_FILTER_BITS) / 64]
    __attribute__((visibility("hidden")));

static inline uint32_t heap_filter_slot(const void *ptr)
{
    /* The shard (top bits) comes from the pointer's 64 MiB region: glibc
     * gives each thread arena its own 64 MiB-aligned heaps, so a thread's
     * blocks map to its own shard and threads sampling in parallel do not
     * bounce shard locks and table lines between cores (at rate 1 this
     * halved the cost). The slot within the shard hashes the pointer (16-byte
     * aligned: drop those bits) to spread neighbouring blocks. */
    uint64_t region = ((uint64_t)(uintptr_t)ptr >> 26) * 0x9E3779B97F4A7C15ull;
    uint64_t h = ((uint64_t)(uintptr_t)ptr >> 4) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)((region >> (64 - HEAP_SHARD_BITS)) << HEAP_SLOTS_PER_SHARD_BITS |
                      (h >> (64 - HEAP_SLOTS_PER_SHARD_BITS)));
}

static inline int heap_filter_maybe_sampled(const void *ptr)
{
    uint32_t slot = heap_filter_slot(ptr);
    uint64_t word = atomic_load_explicit(&heap_filter_words[slot >> 6], memory_order_relaxed);
    return (int)((word >> (slot & 63)) & 1);
}

/* Keep ptr's filter bit set for good (bootstrap blocks: their frees must
 * always reach the slow path, which recognises them). */
void heap_filter_pin(const void *ptr);

/* Slow path of the countdown: called when an allocation of `size` bytes
 * would exhaust bytes_until_sample. Returns 1 when this allocation is to be
 * sampled (then call heap_sample_take after the real allocation). */
int heap_countdown_expired(size_t size);

/* heap_peak.c: the high-water mark. Called from the sampled slow paths only
 * (never from the fast path) with the weight of a sampled block coming into
 * or leaving use; may capture the peak profile with a trylock, never waits. */
void heap_peak_note(int64_t weight);
/* Bucket side of a capture (heap_sampler.c): record every bucket's in-use
 * counts under generation gen; returns the number of buckets with any. */
size_t heap_buckets_capture_peak(uint64_t gen);

#endif
