/*
 * heap_live.c — sampled live blocks: pointer -> (bucket, size, time, tid).
 *
 * Sharded open-addressing tables (linear probing, backward-shift deletion,
 * load factor <= 1/2) with entries stored inline, so a lookup costs about
 * one cache miss and no pointer chasing; arrays come from mmap, never from
 * the hooked malloc. Each shard has a test-and-test-and-set spinlock: the
 * critical sections are a few dozen instructions, and an uncontended
 * release is a plain store (a pthread mutex's unlock is an atomic RMW plus a
 * waiter check, measurably slower at rate 1 where every free comes here).
 *
 * Filter: a pointer's shard is fixed by its filter slot (the slot's top
 * bits), so the shard lock guards that slot's count and bit, and every
 * bitmap word is written by exactly one shard: plain atomic stores, no RMW.
 * A bit is set before the insert's lock is released (so before the block
 * reaches the application) and cleared only when its slot's last sampled
 * block is removed (so before that block reaches the real free).
 *
 * Why not the common kit's table (common/hash_table.h): this one runs inside
 * the malloc hooks, so it must never call the hooked malloc (its arrays come
 * from mmap), needs deletion on every sampled free (backward shift, no
 * tombstones to pile up), per-shard locking and inline entries; the kit
 * table is insert-only, single-threaded and allocates through calloc.
 */
#include "heap_live.h"
#include "heap_internal.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

_Atomic uint64_t heap_filter_words[(1u << HEAP_FILTER_BITS) / 64];

#define LIVE_SHARDS (1 << HEAP_SHARD_BITS)
#define LIVE_INITIAL_CAPACITY 512

typedef struct live_shard {
    _Atomic int locked;
    live_entry *entries;
    size_t capacity; /* power of two, or 0 before first use */
    size_t count;
    /* sampled blocks per filter slot of this shard */
    uint32_t slot_counts[1u << HEAP_SLOTS_PER_SHARD_BITS];
} __attribute__((aligned(64))) live_shard;

static live_shard shards[LIVE_SHARDS];

static void shard_lock(live_shard *s)
{
    for (unsigned spins = 0;; spins++) {
        if (!atomic_exchange_explicit(&s->locked, 1, memory_order_acquire))
            return;
        while (atomic_load_explicit(&s->locked, memory_order_relaxed)) {
            if (++spins > 200)
                sched_yield(); /* the holder was preempted: let it run */
            else
                __builtin_ia32_pause();
        }
    }
}

static void shard_unlock(live_shard *s)
{
    atomic_store_explicit(&s->locked, 0, memory_order_release);
}

static live_shard *shard_of_slot(uint32_t filter_slot)
{
    return &shards[filter_slot >> HEAP_SLOTS_PER_SHARD_BITS];
}

static size_t home_of(uintptr_t ptr, size_t capacity)
{
    uint64_t h = ((uint64_t)ptr >> 4) * 0xff51afd7ed558ccdull;
    return (size_t)(h >> 32) & (capacity - 1);
}

static void filter_bit_write(uint32_t slot, int on)
{
    _Atomic uint64_t *word = &heap_filter_words[slot >> 6];
    uint64_t bit = 1ull << (slot & 63);
    uint64_t old = atomic_load_explicit(word, memory_order_relaxed);
    atomic_store_explicit(word, on ? old | bit : old & ~bit, memory_order_release);
}

static void filter_slot_add(live_shard *s, uint32_t slot)
{
    if (s->slot_counts[slot & ((1u << HEAP_SLOTS_PER_SHARD_BITS) - 1)]++ == 0)
        filter_bit_write(slot, 1);
}

static void filter_slot_remove(live_shard *s, uint32_t slot)
{
    if (--s->slot_counts[slot & ((1u << HEAP_SLOTS_PER_SHARD_BITS) - 1)] == 0)
        filter_bit_write(slot, 0);
}

void heap_filter_pin(const void *ptr)
{
    uint32_t slot = heap_filter_slot(ptr);
    live_shard *s = shard_of_slot(slot);
    shard_lock(s);
    filter_slot_add(s, slot);
    shard_unlock(s);
}

static void place(live_entry *entries, size_t capacity, const live_entry *e)
{
    size_t i = home_of(e->ptr, capacity);
    while (entries[i].ptr)
        i = (i + 1) & (capacity - 1);
    entries[i] = *e;
}

/* Double the table (under the shard lock); -1 when mmap fails. */
static int shard_grow(live_shard *s)
{
    size_t capacity = s->capacity ? s->capacity * 2 : LIVE_INITIAL_CAPACITY;
    live_entry *entries = mmap(NULL, capacity * sizeof *entries, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (entries == MAP_FAILED)
        return -1;
    for (size_t i = 0; i < s->capacity; i++)
        if (s->entries[i].ptr)
            place(entries, capacity, &s->entries[i]);
    if (s->entries)
        munmap(s->entries, s->capacity * sizeof *s->entries);
    s->entries = entries;
    s->capacity = capacity;
    return 0;
}

int live_insert(const live_entry *e)
{
    uint32_t slot = heap_filter_slot((void *)e->ptr);
    live_shard *s = shard_of_slot(slot);
    shard_lock(s);
    if ((s->count + 1) * 2 > s->capacity && shard_grow(s) != 0) {
        shard_unlock(s);
        return -1;
    }
    place(s->entries, s->capacity, e);
    s->count++;
    filter_slot_add(s, slot);
    shard_unlock(s);
    return 0;
}

/* Linear-probing deletion: shift later members of the cluster back so no
 * lookup ever stops early at the hole. */
static void remove_at(live_shard *s, size_t hole)
{
    size_t mask = s->capacity - 1;
    for (size_t j = (hole + 1) & mask; s->entries[j].ptr; j = (j + 1) & mask) {
        size_t home = home_of(s->entries[j].ptr, s->capacity);
        /* entries[j] may move to the hole if its home is not in (hole, j] */
        int home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_between) {
            s->entries[hole] = s->entries[j];
            hole = j;
        }
    }
    s->entries[hole].ptr = 0;
}

int live_remove(uintptr_t ptr)
{
    return live_remove_sized(ptr, NULL);
}

int live_remove_sized(uintptr_t ptr, uint64_t *size)
{
    uint32_t slot = heap_filter_slot((void *)ptr);
    live_shard *s = shard_of_slot(slot);
    int found = 0;
    shard_lock(s);
    if (s->capacity) {
        size_t mask = s->capacity - 1;
        for (size_t i = home_of(ptr, s->capacity); s->entries[i].ptr; i = (i + 1) & mask) {
            if (s->entries[i].ptr == ptr) {
                if (size)
                    *size = s->entries[i].size;
                remove_at(s, i);
                s->count--;
                filter_slot_remove(s, slot);
                found = 1;
                break;
            }
        }
    }
    shard_unlock(s);
    return found;
}

void live_for_each(void (*fn)(const live_entry *e, void *arg), void *arg)
{
    for (int k = 0; k < LIVE_SHARDS; k++) {
        live_shard *s = &shards[k];
        shard_lock(s);
        for (size_t i = 0; i < s->capacity; i++)
            if (s->entries[i].ptr)
                fn(&s->entries[i], arg);
        shard_unlock(s);
    }
}

size_t live_count(void)
{
    size_t n = 0;
    for (int k = 0; k < LIVE_SHARDS; k++)
        n += __atomic_load_n(&shards[k].count, __ATOMIC_RELAXED);
    return n;
}

void live_atfork_prepare(void)
{
    for (int k = 0; k < LIVE_SHARDS; k++)
        shard_lock(&shards[k]);
}

void live_atfork_parent(void)
{
    for (int k = LIVE_SHARDS - 1; k >= 0; k--)
        shard_unlock(&shards[k]);
}

void live_atfork_child(void)
{
    /* The forking thread held every lock: the tables are consistent. */
    for (int k = 0; k < LIVE_SHARDS; k++)
        atomic_store(&shards[k].locked, 0);
}
