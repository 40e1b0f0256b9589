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
 * Go's memprofile buckets (which key on exact size). Insert-only and lock-free: chains are pushed with CAS and never
 * unlinked, so readers (the profile snapshot, other samplers) walk them with
 * plain acquire loads. Bucket memory comes from an mmap arena and lives as
 * long as the process; pcs handed out in snapshots stay valid forever.
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
#include "heap.h"
#include "heap_internal.h"
#include "unwind.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__thread heap_thread_state heap_tls __attribute__((tls_model("initial-exec")));
_Atomic uint64_t heap_filter_words[(1u << HEAP_FILTER_BITS) / 64];
/* Sampled live blocks per filter slot; guarded by the slot's shard lock. */
static uint32_t filter_slot_counts[1u << HEAP_FILTER_BITS];

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

static void *arena_alloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
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

typedef struct heap_bucket {
    struct heap_bucket *_Atomic chain_next; /* same hash slot */
    struct heap_bucket *_Atomic all_next;   /* every bucket, for snapshots */
    uint64_t hash;
    uint64_t size_class;
    _Atomic uint64_t alloc_objects;
    _Atomic uint64_t alloc_bytes;
    _Atomic uint64_t free_objects;
    _Atomic uint64_t free_bytes;
    uint32_t n_pcs;
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

static uint64_t stack_hash(const uint64_t *pcs, size_t n, uint64_t size)
{
    uint64_t h = 0xcbf29ce484222325ull ^ size;
    for (size_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static heap_bucket *bucket_find_in_chain(heap_bucket *b, heap_bucket *stop, uint64_t hash,
                                         const uint64_t *pcs, size_t n, uint64_t size)
{
    for (; b && b != stop; b = atomic_load_explicit(&b->chain_next, memory_order_acquire)) {
        if (b->hash == hash && b->size_class == size && b->n_pcs == n &&
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

/* Find or create the bucket of (pcs, size class). NULL only when out of memory. */
static heap_bucket *bucket_lookup(const uint64_t *pcs, size_t n, uint64_t size_class)
{
    uint64_t size = size_class;
    uint64_t hash = stack_hash(pcs, n, size);
    heap_bucket *_Atomic *slot = &bucket_slots[hash & (BUCKET_SLOTS - 1)];
    heap_bucket *head = atomic_load_explicit(slot, memory_order_acquire);
    heap_bucket *found = bucket_find_in_chain(head, NULL, hash, pcs, n, size);
    if (found)
        return found;

    heap_bucket *b = arena_alloc(sizeof *b + n * sizeof *pcs);
    if (!b)
        return NULL;
    b->hash = hash;
    b->size_class = size_class;
    b->n_pcs = (uint32_t)n;
    memcpy(b->pcs, pcs, n * sizeof *pcs);
    atomic_init(&b->alloc_objects, 0);
    atomic_init(&b->alloc_bytes, 0);
    atomic_init(&b->free_objects, 0);
    atomic_init(&b->free_bytes, 0);
    for (;;) {
        atomic_store_explicit(&b->chain_next, head, memory_order_relaxed);
        heap_bucket *seen = head;
        if (atomic_compare_exchange_weak_explicit(slot, &head, b, memory_order_release,
                                                  memory_order_acquire))
            break;
        /* Someone pushed first: they may have inserted this very key. The
         * abandoned bucket stays in the arena, a few hundred bytes at most
         * once per race. */
        found = bucket_find_in_chain(head, seen, hash, pcs, n, size);
        if (found)
            return found;
    }
    bucket_publish_all(b);
    return b;
}

/* ---- live table ---- */

typedef struct live_block {
    uintptr_t ptr;
    heap_bucket *bucket;
    uint64_t size;
    int64_t time_ns; /* CLOCK_MONOTONIC at allocation */
    int32_t tid;
    struct live_block *next;
} live_block;

#define LIVE_SHARDS (1 << HEAP_SHARD_BITS)
#define LIVE_INITIAL_SLOTS 256

typedef struct live_shard {
    pthread_mutex_t lock;
    live_block **slots;
    size_t n_slots;
    size_t count;
    live_block *free_records;
} __attribute__((aligned(64))) live_shard;

static live_shard live_shards[LIVE_SHARDS] = {
    [0 ... LIVE_SHARDS - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

/* A pointer's shard is fixed by its filter slot, so the shard lock also
 * owns that slot's count and bit (heap_internal.h). */
static live_shard *live_shard_of_slot(uint32_t filter_slot)
{
    return &live_shards[filter_slot >> HEAP_SLOTS_PER_SHARD_BITS];
}

static size_t live_slot_of(const live_shard *s, uintptr_t p)
{
    uint64_t h = ((uint64_t)p >> 4) * 0xff51afd7ed558ccdull;
    return (size_t)(h >> 32) & (s->n_slots - 1);
}

static void filter_slot_add(uint32_t slot)
{
    if (filter_slot_counts[slot]++ == 0) {
        _Atomic uint64_t *word = &heap_filter_words[slot >> 6];
        atomic_store_explicit(word, atomic_load_explicit(word, memory_order_relaxed) |
                                        (1ull << (slot & 63)),
                              memory_order_release);
    }
}

static void filter_slot_remove(uint32_t slot)
{
    if (--filter_slot_counts[slot] == 0) {
        _Atomic uint64_t *word = &heap_filter_words[slot >> 6];
        atomic_store_explicit(word, atomic_load_explicit(word, memory_order_relaxed) &
                                        ~(1ull << (slot & 63)),
                              memory_order_release);
    }
}

void heap_filter_pin(const void *ptr)
{
    uint32_t slot = heap_filter_slot(ptr);
    live_shard *s = live_shard_of_slot(slot);
    pthread_mutex_lock(&s->lock);
    filter_slot_add(slot);
    pthread_mutex_unlock(&s->lock);
}

/* Double the slot array (under the shard lock). Failure leaves longer chains. */
static void live_shard_grow(live_shard *s)
{
    size_t n = s->n_slots ? s->n_slots * 2 : LIVE_INITIAL_SLOTS;
    live_block **slots =
        mmap(NULL, n * sizeof *slots, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED)
        return;
    live_block **old = s->slots;
    size_t old_n = s->n_slots;
    s->slots = slots;
    s->n_slots = n;
    for (size_t i = 0; i < old_n; i++) {
        live_block *r = old[i];
        while (r) {
            live_block *next = r->next;
            size_t at = live_slot_of(s, r->ptr);
            r->next = slots[at];
            slots[at] = r;
            r = next;
        }
    }
    if (old)
        munmap(old, old_n * sizeof *old);
}

static int live_insert(uintptr_t ptr, uint64_t size, heap_bucket *bucket, int64_t time_ns,
                       int32_t tid)
{
    uint32_t filter_slot = heap_filter_slot((void *)ptr);
    live_shard *s = live_shard_of_slot(filter_slot);
    pthread_mutex_lock(&s->lock);
    if (s->count >= s->n_slots * 2)
        live_shard_grow(s);
    live_block *r = s->free_records;
    if (r)
        s->free_records = r->next;
    else
        r = arena_alloc(sizeof *r);
    if (!r || !s->slots) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    *r = (live_block){.ptr = ptr, .bucket = bucket, .size = size, .time_ns = time_ns, .tid = tid};
    size_t at = live_slot_of(s, ptr);
    r->next = s->slots[at];
    s->slots[at] = r;
    s->count++;
    filter_slot_add(filter_slot);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Remove ptr's record into *out; returns 0, or -1 when ptr was not sampled. */
static int live_remove(uintptr_t ptr, live_block *out)
{
    uint32_t filter_slot = heap_filter_slot((void *)ptr);
    live_shard *s = live_shard_of_slot(filter_slot);
    int found = -1;
    pthread_mutex_lock(&s->lock);
    if (s->slots) {
        live_block **link = &s->slots[live_slot_of(s, ptr)];
        for (live_block *r = *link; r; link = &r->next, r = r->next) {
            if (r->ptr != ptr)
                continue;
            *link = r->next;
            *out = *r;
            r->next = s->free_records;
            s->free_records = r;
            s->count--;
            filter_slot_remove(filter_slot);
            found = 0;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
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
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)current_tid();
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

static int64_t monotonic_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

PROFILER_TEXT void heap_sample_take(void *ptr, size_t size)
{
    if (!ptr)
        return;
    heap_tls.guard++;
    uint64_t pcs[HEAP_MAX_FRAMES];
    size_t n = unwind_capture(pcs, HEAP_MAX_FRAMES);
    heap_bucket *b = bucket_lookup(pcs, n, size_class_of(size));
    if (b && live_insert((uintptr_t)ptr, size, b, monotonic_nanos(), current_tid()) == 0) {
        atomic_fetch_add_explicit(&b->alloc_bytes, size, memory_order_relaxed);
        atomic_fetch_add_explicit(&b->alloc_objects, 1, memory_order_relaxed);
    }
    heap_tls.guard--;
}

int heap_sample_forget(void *ptr)
{
    heap_tls.guard++;
    live_block r;
    int found = live_remove((uintptr_t)ptr, &r) == 0;
    if (found) {
        atomic_fetch_add_explicit(&r.bucket->free_bytes, r.size, memory_order_relaxed);
        atomic_fetch_add_explicit(&r.bucket->free_objects, 1, memory_order_relaxed);
    }
    heap_tls.guard--;
    return found;
}

/* ---- control and snapshots ---- */

void heap_sampler_set_rate(int64_t rate)
{
    atomic_store_explicit(&sample_rate, rate < 0 ? 0 : rate, memory_order_relaxed);
}

int64_t heap_sampler_rate(void) { return atomic_load_explicit(&sample_rate, memory_order_relaxed); }

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

long heap_bucket_count(void) { return atomic_load_explicit(&bucket_count, memory_order_relaxed); }

heap_record *heap_records_snapshot(size_t *n)
{
    *n = 0;
    long cap = heap_bucket_count();
    if (cap <= 0)
        return NULL;
    heap_record *out = calloc((size_t)cap, sizeof *out);
    if (!out)
        return NULL;
    /* Buckets published after we read the count are skipped: the list is
     * pushed at the head, so walk and stop when the array is full. */
    size_t i = 0;
    for (heap_bucket *b = atomic_load_explicit(&bucket_all, memory_order_acquire);
         b && i < (size_t)cap; b = atomic_load_explicit(&b->all_next, memory_order_acquire)) {
        out[i].pcs = b->pcs;
        out[i].n_pcs = b->n_pcs;
        /* Frees are read before allocations so that, with the bytes added
         * before the objects on both sides, free <= alloc holds in the copy
         * except for a free racing its own allocation: clamp that. */
        out[i].free_objects = atomic_load_explicit(&b->free_objects, memory_order_acquire);
        out[i].free_bytes = atomic_load_explicit(&b->free_bytes, memory_order_acquire);
        out[i].alloc_objects = atomic_load_explicit(&b->alloc_objects, memory_order_acquire);
        out[i].alloc_bytes = atomic_load_explicit(&b->alloc_bytes, memory_order_acquire);
        if (out[i].free_objects > out[i].alloc_objects)
            out[i].free_objects = out[i].alloc_objects;
        if (out[i].free_bytes > out[i].alloc_bytes)
            out[i].free_bytes = out[i].alloc_bytes;
        i++;
    }
    *n = i;
    return out;
}

/* ---- fork ---- */

void heap_sampler_atfork_prepare(void)
{
    pthread_mutex_lock(&arena_lock);
    for (int i = 0; i < LIVE_SHARDS; i++)
        pthread_mutex_lock(&live_shards[i].lock);
}

void heap_sampler_atfork_parent(void)
{
    for (int i = LIVE_SHARDS - 1; i >= 0; i--)
        pthread_mutex_unlock(&live_shards[i].lock);
    pthread_mutex_unlock(&arena_lock);
}

void heap_sampler_atfork_child(void)
{
    /* Only the forking thread exists now; it held every lock, so the tables
     * are consistent. Re-initialise rather than unlock (glibc allows either
     * for default mutexes; this is robust to other kinds). */
    for (int i = 0; i < LIVE_SHARDS; i++)
        pthread_mutex_init(&live_shards[i].lock, NULL);
    pthread_mutex_init(&arena_lock, NULL);
    heap_tls.tid = 0;
}
