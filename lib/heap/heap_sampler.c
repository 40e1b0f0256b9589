/*
 * heap_sampler.c — Poisson sampling of allocations and the two tables behind
 * the heap profile.
 *
 * Sampling (as Go and tcmalloc): each thread counts down bytes_until_sample;
 * an allocation of n bytes that reaches zero is sampled and a new countdown is
 * drawn from an exponential distribution with mean `rate`. A block of n bytes
 * is thus sampled with probability 1 - exp(-n/rate), which heap_profile.c
 * undoes. rate 1 samples everything; rate 0 is off (threads then re-check the
 * rate every HEAP_OFF_RECHECK bytes, so a later start takes effect quickly
 * without any load on the fast path).
 *
 * Bucket table: (stack, size class) -> alloc/free counters and bytes, like
 * Go's memprofile buckets (which key on exact size). Insert-only and lock-free: chains are pushed
 * with CAS and never unlinked, so readers (the profile snapshot, other samplers) walk them with
 * plain acquire loads. Bucket memory comes from an mmap arena and lives as
 * long as the process; pcs handed out in snapshots stay valid forever.
 * Not the common kit's table (common/hash_table.h): that one is
 * single-threaded and grows through calloc, and this one is searched and
 * extended concurrently from the malloc hooks, lock-free, without ever
 * moving a bucket or calling the hooked malloc.
 *
 * Live table: sampled pointer -> (bucket, size, time, tid), sharded with one
 * mutex per shard. Only sampled blocks are in it; a free of any other pointer
 * is ruled out by the filter bitmap (heap_internal.h) without a lock.
 * Invariant: a pointer's filter bit is set before the allocation is returned
 * to the application and cleared only when no sampled block maps to that
 * slot, after the record is gone and before the block reaches the real free,
 * so no free can miss its record.
 *
 * Nothing here calls the hooked malloc: memory comes from mmap. Locks are
 * taken only after the stack has been unwound, so the unwinder (which may
 * take the loader lock) never runs under a sampler lock.
 */
#include "common/clock.h"
#include "heap.h"
#include "heap_internal.h"
#include "heap_live.h"
#include "labels/labels.h"
#include "unwind/unwind.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__thread heap_thread_state heap_tls __attribute__((tls_model("initial-exec")));

#define HEAP_OFF_RECHECK (4 << 20)
#define HEAP_INTERNAL_COUNTDOWN (INT64_MAX / 2)

static _Atomic int64_t sample_rate;
static void (*_Atomic pending_call)(void);
static _Atomic uint64_t sample_seed;
static _Atomic uint64_t thread_counter;

/* ---- arena: process-lifetime memory for buckets and live records ---- */

#define ARENA_CHUNK (1u << 20)

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena_next;
static size_t arena_left;

/* 64-byte aligned: buckets keep their counters on cache lines of their own. */
static void *arena_alloc(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    pthread_mutex_lock(&arena_lock);
    if (size > arena_left) {
        size_t chunk = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        void *mem = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            pthread_mutex_unlock(&arena_lock);
            return NULL;
        }
        arena_next = mem;
        arena_left = chunk;
    }
    void *p = arena_next;
    arena_next += size;
    arena_left -= size;
    pthread_mutex_unlock(&arena_lock);
    return p;
}

/* ---- bucket table ---- */

/* Allocation counters, striped by thread and one cache line each: when
 * several threads sample the same site (every allocation at rate 1), each
 * adds to its own line instead of bouncing one between cores. The key
 * fields read by lookups sit on lines of their own that stay clean. */
#define COUNTER_STRIPES 4

typedef struct bucket_counters {
    _Atomic uint64_t objects;
    _Atomic uint64_t bytes;
} __attribute__((aligned(64))) bucket_counters;

typedef struct heap_bucket {
    struct heap_bucket *_Atomic chain_next; /* same hash slot */
    struct heap_bucket *_Atomic all_next;   /* every bucket, for snapshots */
    uint64_t hash;
    uint64_t size_class;
    /* the size of the block that created the bucket: the profile's "bytes"
     * label, fixed for the bucket's life (see heap_record.label_size) */
    uint64_t first_size;
    uint32_t labels; /* the allocating thread's label-set id (labels.h) */
    /* where this bucket sits in the snapshot being built (snapshot_lock) */
    uint64_t snapshot_generation;
    size_t snapshot_index;
    /* in use at the last peak capture, valid when peak_generation matches
     * heap_peak.c's (written and read under its lock) */
    uint64_t peak_generation;
    uint64_t peak_objects, peak_bytes;
    uint32_t n_pcs;
    bucket_counters alloc[COUNTER_STRIPES];
    uint64_t pcs[];
} heap_bucket;

#define BUCKET_SLOTS (1u << 16)

/*
 * Buckets are keyed by stack and size class, not exact size: a site that
 * allocates every length from 1 to 64 KiB gets ~100 buckets, not 65536, yet
 * sizes within a class differ by under 12.5 %, so unsampling with the
 * class's average size stays accurate (the scale varies smoothly with size).
 * Sizes below 16 are their own classes.
 */
static uint64_t size_class_of(uint64_t size)
{
    if (size < 16)
        return size;
    int msb = 63 - __builtin_clzll(size);
    uint64_t mantissa = (size >> (msb - 3)) & 7;
    return 16 + ((uint64_t)msb << 3 | mantissa);
}
static heap_bucket *_Atomic bucket_slots[BUCKET_SLOTS];
static heap_bucket *_Atomic bucket_all;
static _Atomic long bucket_count;

static heap_bucket *bucket_find_in_chain(heap_bucket *b, heap_bucket *stop, uint64_t hash,
                                         const uint64_t *pcs, size_t n, uint64_t size,
                                         uint32_t labels)
{
    for (; b && b != stop; b = atomic_load_explicit(&b->chain_next, memory_order_acquire)) {
        if (b->hash == hash && b->size_class == size && b->labels == labels && b->n_pcs == n &&
            memcmp(b->pcs, pcs, n * sizeof *pcs) == 0)
            return b;
    }
    return NULL;
}

static void bucket_publish_all(heap_bucket *b)
{
    heap_bucket *head = atomic_load_explicit(&bucket_all, memory_order_relaxed);
    do {
        atomic_store_explicit(&b->all_next, head, memory_order_relaxed);
    } while (!atomic_compare_exchange_weak_explicit(&bucket_all, &head, b, memory_order_release,
                                                    memory_order_relaxed));
    atomic_fetch_add_explicit(&bucket_count, 1, memory_order_relaxed);
}

/* Find or create the bucket of (pcs, size class of block_size, label set);
 * a new one remembers block_size as its label size. NULL only when out of
 * memory. */
static heap_bucket *bucket_lookup(const uint64_t *pcs, size_t n, uint64_t block_size,
                                  uint32_t labels)
{
    uint64_t size_class = size_class_of(block_size);
    uint64_t size = size_class;
    uint64_t hash = unwind_stack_hash(pcs, n, size | (uint64_t)labels << 32);
    heap_bucket *_Atomic *slot = &bucket_slots[hash & (BUCKET_SLOTS - 1)];
    heap_bucket *head = atomic_load_explicit(slot, memory_order_acquire);
    heap_bucket *found = bucket_find_in_chain(head, NULL, hash, pcs, n, size, labels);
    if (found)
        return found;

    heap_bucket *b = arena_alloc(sizeof *b + n * sizeof *pcs);
    if (!b)
        return NULL;
    b->hash = hash;
    b->size_class = size_class;
    b->first_size = block_size;
    b->labels = labels;
    b->n_pcs = (uint32_t)n;
    memcpy(b->pcs, pcs, n * sizeof *pcs);
    for (int i = 0; i < COUNTER_STRIPES; i++) {
        atomic_init(&b->alloc[i].objects, 0);
        atomic_init(&b->alloc[i].bytes, 0);
    }
    b->snapshot_generation = 0;
    b->peak_generation = 0;
    for (;;) {
        atomic_store_explicit(&b->chain_next, head, memory_order_relaxed);
        heap_bucket *seen = head;
        if (atomic_compare_exchange_weak_explicit(slot, &head, b, memory_order_release,
                                                  memory_order_acquire))
            break;
        /* Someone pushed first: they may have inserted this very key. The
         * abandoned bucket stays in the arena, a few hundred bytes at most
         * once per race. */
        found = bucket_find_in_chain(head, seen, hash, pcs, n, size, labels);
        if (found)
            return found;
    }
    bucket_publish_all(b);
    return b;
}

/* ---- per-thread countdown ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int32_t current_tid(void)
{
    if (!heap_tls.tid)
        heap_tls.tid = (int32_t)syscall(SYS_gettid);
    return heap_tls.tid;
}

static void thread_seed(void)
{
    uint64_t seed = atomic_load_explicit(&sample_seed, memory_order_relaxed);
    uint64_t index = atomic_fetch_add_explicit(&thread_counter, 1, memory_order_relaxed);
    if (seed == 0) {
        seed = (uint64_t)monotonic_ns() * 0x100000001ull ^ (uint64_t)current_tid();
    }
    heap_tls.rng = seed ^ (index * 0xD1B54A32D192ED03ull);
    heap_tls.seeded = 1;
}

/* Exponentially distributed bytes until the next sample, mean `rate`. */
static int64_t next_sample_interval(int64_t rate)
{
    /* 53 random bits -> u in (0, 1]; -log(u) is Exp(1). */
    double u = (double)((splitmix64(&heap_tls.rng) >> 11) + 1) * (1.0 / 9007199254740992.0);
    double bytes = -log(u) * (double)rate;
    if (bytes > (double)(INT64_MAX / 4))
        return INT64_MAX / 4;
    return (int64_t)bytes + 1;
}

void heap_sampler_call_soon(void (*fn)(void))
{
    atomic_store(&pending_call, fn);
    heap_tls.bytes_until_sample = 0;
}

static void run_pending_call(void)
{
    void (*fn)(void) = atomic_exchange(&pending_call, NULL);
    if (fn)
        fn();
}

int heap_sampler_call_pending(void)
{
    return atomic_load_explicit(&pending_call, memory_order_relaxed) != NULL;
}

void heap_sampler_run_pending(void)
{
    run_pending_call();
}

PROFILER_TEXT int heap_countdown_expired(size_t size)
{
    if (__builtin_expect(atomic_load_explicit(&pending_call, memory_order_relaxed) != NULL, 0))
        run_pending_call();
    if (heap_tls.internal || heap_tls.guard) {
        if (heap_tls.internal)
            heap_tls.bytes_until_sample = HEAP_INTERNAL_COUNTDOWN;
        return 0;
    }
    int64_t rate = atomic_load_explicit(&sample_rate, memory_order_relaxed);
    if (rate <= 0) {
        heap_tls.bytes_until_sample = HEAP_OFF_RECHECK;
        return 0;
    }
    if (rate == 1) {
        heap_tls.bytes_until_sample = 0; /* every allocation comes back here */
        return 1;
    }
    if (!heap_tls.seeded) {
        /* First allocation of this thread: draw a countdown and count this
         * allocation against it like any other. */
        thread_seed();
        heap_tls.bytes_until_sample = next_sample_interval(rate);
        if (heap_tls.bytes_until_sample > (int64_t)size) {
            heap_tls.bytes_until_sample -= (int64_t)size;
            return 0;
        }
    }
    heap_tls.bytes_until_sample = next_sample_interval(rate);
    return 1;
}

/* ---- the slow paths called by the hooks ---- */

/* Allocation times (heap?min_age) need no more than tick resolution, and the
 * coarse clock is the cheapest read on the sampled path. */
static inline int64_t coarse_monotonic_ns(void)
{
    return clock_nanos(CLOCK_MONOTONIC_COARSE);
}

/* What a sampled block of `size` bytes stands for once unsampled (the
 * inverse of its sampling probability, heap_profile.c's scale). */
static int64_t sample_weight(uint64_t size)
{
    int64_t rate = atomic_load_explicit(&sample_rate, memory_order_relaxed);
    if (rate <= 1 || size == 0)
        return (int64_t)size;
    return (int64_t)((double)size / (1.0 - exp(-(double)size / (double)rate)));
}

PROFILER_TEXT void heap_sample_take(void *ptr, size_t size)
{
    if (!ptr)
        return;
    heap_tls.guard++;
    uint64_t pcs[HEAP_MAX_FRAMES];
    size_t n = unwind_capture(pcs, HEAP_MAX_FRAMES);
    heap_bucket *b = bucket_lookup(pcs, n, size, labels_current());
    live_entry e = {(uintptr_t)ptr, b, size, coarse_monotonic_ns(), current_tid()};
    if (b && live_insert(&e) == 0) {
        bucket_counters *c = &b->alloc[(unsigned)current_tid() % COUNTER_STRIPES];
        atomic_fetch_add_explicit(&c->bytes, size, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->objects, 1, memory_order_relaxed);
        heap_peak_note(sample_weight(size));
    }
    heap_tls.guard--;
}

/* A free touches only the live table: in-use totals are summed from it at
 * snapshot time, so frees never contend on a bucket's counters. */
int heap_sample_forget(void *ptr)
{
    heap_tls.guard++;
    uint64_t size = 0;
    int found = live_remove_sized((uintptr_t)ptr, &size);
    if (found)
        heap_peak_note(-sample_weight(size));
    heap_tls.guard--;
    return found;
}

/* ---- control and snapshots ---- */

void heap_sampler_set_rate(int64_t rate)
{
    atomic_store_explicit(&sample_rate, rate < 0 ? 0 : rate, memory_order_relaxed);
}

int64_t heap_sampler_rate(void)
{
    return atomic_load_explicit(&sample_rate, memory_order_relaxed);
}

void heap_sampler_set_seed(uint64_t seed)
{
    atomic_store_explicit(&sample_seed, seed, memory_order_relaxed);
    atomic_store_explicit(&thread_counter, 0, memory_order_relaxed);
    heap_tls.seeded = 0; /* the calling thread re-seeds on its next allocation */
    heap_tls.bytes_until_sample = 0;
}

void heap_thread_set_internal(int on)
{
    heap_tls.internal = on ? 1 : 0;
    heap_tls.bytes_until_sample = on ? HEAP_INTERNAL_COUNTDOWN : 0;
}

int heap_thread_is_internal(void)
{
    return heap_tls.internal;
}

int heap_internal_enter(void)
{
    int prev = heap_tls.internal;
    heap_thread_set_internal(1);
    return prev;
}

void heap_internal_leave(int prev)
{
    heap_thread_set_internal(prev);
}

long heap_bucket_count(void)
{
    return atomic_load_explicit(&bucket_count, memory_order_relaxed);
}

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t snapshot_generation;

typedef struct snapshot_build {
    heap_record *records;
    uint64_t generation;
    int64_t born_before_ns; /* only blocks allocated before this count as in use */
} snapshot_build;

static void add_live_entry(const live_entry *e, void *arg)
{
    snapshot_build *sb = arg;
    heap_bucket *b = e->bucket;
    /* Buckets published after the bucket walk are not in this snapshot. */
    if (b->snapshot_generation != sb->generation || e->time_ns > sb->born_before_ns)
        return;
    sb->records[b->snapshot_index].inuse_objects++;
    sb->records[b->snapshot_index].inuse_bytes += e->size;
}

heap_record *heap_records_snapshot(size_t *n)
{
    return heap_records_snapshot_aged(n, 0);
}

/* A record for bucket b: its stack and its allocation counters summed over
 * the stripes; in-use is filled by the caller. */
static void record_from_bucket(heap_record *r, const heap_bucket *b)
{
    r->pcs = b->pcs;
    r->n_pcs = b->n_pcs;
    r->label_size = b->first_size;
    r->labels = b->labels;
    for (int k = 0; k < COUNTER_STRIPES; k++) {
        r->alloc_objects += atomic_load_explicit(&b->alloc[k].objects, memory_order_relaxed);
        r->alloc_bytes += atomic_load_explicit(&b->alloc[k].bytes, memory_order_relaxed);
    }
}

/* Blocks sampled between reading the counters and walking the live table
 * are in use before their allocation is counted: keep in-use <= allocated. */
static void record_clamp_alloc(heap_record *r)
{
    if (r->inuse_objects > r->alloc_objects)
        r->alloc_objects = r->inuse_objects;
    if (r->inuse_bytes > r->alloc_bytes)
        r->alloc_bytes = r->inuse_bytes;
}

heap_record *heap_records_snapshot_aged(size_t *n, int64_t min_age_ns)
{
    *n = 0;
    pthread_mutex_lock(&snapshot_lock);
    long cap = heap_bucket_count();
    heap_record *out = cap > 0 ? calloc((size_t)cap, sizeof *out) : NULL;
    if (!out) {
        pthread_mutex_unlock(&snapshot_lock);
        return NULL;
    }
    snapshot_build sb = {out, ++snapshot_generation,
                         min_age_ns > 0 ? coarse_monotonic_ns() - min_age_ns : INT64_MAX};
    /* The list is pushed at the head: buckets published after the count was
     * read come first and are skipped once the array is full. */
    size_t i = 0;
    for (heap_bucket *b = atomic_load_explicit(&bucket_all, memory_order_acquire);
         b && i < (size_t)cap; b = atomic_load_explicit(&b->all_next, memory_order_acquire)) {
        b->snapshot_generation = sb.generation;
        b->snapshot_index = i;
        record_from_bucket(&out[i], b);
        i++;
    }
    live_for_each(add_live_entry, &sb);
    pthread_mutex_unlock(&snapshot_lock);
    for (size_t k = 0; k < i; k++)
        record_clamp_alloc(&out[k]);
    *n = i;
    return out;
}

/* ---- peak capture (heap_peak.c holds its lock around both) ---- */

static void add_peak_entry(const live_entry *e, void *arg)
{
    heap_bucket *b = e->bucket;
    uint64_t gen = *(const uint64_t *)arg;
    if (b->peak_generation != gen) {
        b->peak_generation = gen;
        b->peak_objects = b->peak_bytes = 0;
    }
    b->peak_objects++;
    b->peak_bytes += e->size;
}

size_t heap_buckets_capture_peak(uint64_t gen)
{
    live_for_each(add_peak_entry, &gen);
    size_t n = 0;
    for (heap_bucket *b = atomic_load_explicit(&bucket_all, memory_order_acquire); b;
         b = atomic_load_explicit(&b->all_next, memory_order_acquire))
        n += b->peak_generation == gen;
    return n;
}

heap_record *heap_buckets_peak_records(uint64_t gen, size_t n_max, size_t *n)
{
    *n = 0;
    heap_record *out = n_max ? calloc(n_max, sizeof *out) : NULL;
    if (!out)
        return NULL;
    size_t i = 0;
    for (heap_bucket *b = atomic_load_explicit(&bucket_all, memory_order_acquire); b && i < n_max;
         b = atomic_load_explicit(&b->all_next, memory_order_acquire)) {
        if (b->peak_generation != gen)
            continue;
        record_from_bucket(&out[i], b);
        out[i].inuse_objects = b->peak_objects;
        out[i].inuse_bytes = b->peak_bytes;
        record_clamp_alloc(&out[i]);
        i++;
    }
    *n = i;
    return out;
}

/* ---- fork ---- */

void heap_sampler_atfork_prepare(void)
{
    pthread_mutex_lock(&snapshot_lock);
    pthread_mutex_lock(&arena_lock);
    live_atfork_prepare();
}

void heap_sampler_atfork_parent(void)
{
    live_atfork_parent();
    pthread_mutex_unlock(&arena_lock);
    pthread_mutex_unlock(&snapshot_lock);
}

void heap_sampler_atfork_child(void)
{
    /* Only the forking thread exists now; it held every lock, so the tables
     * are consistent. Re-initialise rather than unlock (glibc allows either
     * for default mutexes; this is robust to other kinds). */
    live_atfork_child();
    heap_peak_atfork_child();
    pthread_mutex_init(&arena_lock, NULL);
    pthread_mutex_init(&snapshot_lock, NULL);
    heap_tls.tid = 0;
}
