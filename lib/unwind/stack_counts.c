/*
 * stack_counts.c — the stack-keyed counter table of the counting
 * collectors (threadcreate, mutex, block). Contracts in stack_counts.h.
 *
 * Design: open addressing over a fixed array mapped once with mmap (so no
 * malloc, no lock, usable from a pthread hook or a signal handler), linear
 * probing, insert-only. An entry is claimed by a compare-and-swap of its
 * hash from 0 (the hash is forced non-zero), then its stack is written and
 * `ready` is stored with release; a reader or a second inserter of the
 * same hash acts on an entry only once it has read `ready` with acquire.
 * Values are atomic adds, so concurrent events on one stack never lose a
 * count.
 *
 * Invariants:
 *   - an entry's hash and stack never change once ready: a snapshot may
 *     copy them while adds go on;
 *   - nothing waits on another thread except an inserter that finds its own
 *     hash claimed but not yet ready: it spins a bounded number of times,
 *     then drops the event (the claimer may be a thread frozen by fork, or
 *     the same thread interrupted by a handler), so an add never blocks;
 *   - a full table (used == slots) or a failed mmap drops the event and
 *     counts it; nothing is evicted, so counts stay cumulative.
 * Not the heap's bucket table (heap_sampler.c): that one grows without a
 * bound from an arena, keys on a size class too and stripes its counters;
 * these collectors see few distinct stacks and need a hard memory bound.
 */
#include "stack_counts.h"
#include "unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define READY_SPINS 4096

struct stack_counts_entry {
    _Atomic uint64_t hash; /* 0: free */
    _Atomic int ready;     /* the stack below is written */
    uint32_t n_pcs;
    uint32_t labels;
    _Atomic int64_t values[STACK_COUNTS_VALUES];
    uint64_t pcs[STACK_COUNTS_FRAMES];
};

/* The table's entries, mapped by the first add (errno untouched). NULL
 * when the mapping failed. */
static stack_counts_entry *entries_of(stack_counts *t)
{
    stack_counts_entry *e = atomic_load_explicit(&t->entries, memory_order_acquire);
    if (e)
        return e;
    int saved_errno = errno;
    size_t size = (size_t)t->slots * sizeof *e;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved_errno;
    if (m == MAP_FAILED)
        return NULL;
    stack_counts_entry *expect = NULL;
    if (!atomic_compare_exchange_strong(&t->entries, &expect, (stack_counts_entry *)m)) {
        munmap(m, size);
        errno = saved_errno;
        return expect;
    }
    return m;
}

static void add_values(stack_counts_entry *e, const int64_t *values)
{
    for (int i = 0; i < STACK_COUNTS_VALUES; i++) {
        if (values[i])
            atomic_fetch_add_explicit(&e->values[i], values[i], memory_order_relaxed);
    }
}

/* 1 when e (hash h) holds (pcs[0..n), labels), 0 when it holds another
 * key, -1 when it is still being written after the bounded wait. */
static int entry_matches(stack_counts_entry *e, const uint64_t *pcs, size_t n, uint32_t labels)
{
    for (int i = 0; !atomic_load_explicit(&e->ready, memory_order_acquire); i++) {
        if (i == READY_SPINS)
            return -1;
        __builtin_ia32_pause();
    }
    return e->n_pcs == n && e->labels == labels && memcmp(e->pcs, pcs, n * sizeof *pcs) == 0;
}

/* See stack_counts.h: find or claim the entry of (pcs, labels), add. */
int stack_counts_add(stack_counts *t, const uint64_t *pcs, size_t n, uint32_t labels,
                     const int64_t *values)
{
    if (n > STACK_COUNTS_FRAMES)
        n = STACK_COUNTS_FRAMES;
    stack_counts_entry *entries = entries_of(t);
    if (!entries) {
        atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
        return -1;
    }
    uint64_t h = unwind_stack_hash(pcs, n, (uint64_t)n << 32 | labels) | 1;
    unsigned mask = t->slots - 1;
    for (unsigned probe = 0; probe < t->slots; probe++) {
        stack_counts_entry *e = &entries[(h + probe) & mask];
        uint64_t seen = atomic_load_explicit(&e->hash, memory_order_acquire);
        if (seen == 0) {
            if (atomic_compare_exchange_strong(&e->hash, &seen, h)) {
                e->n_pcs = (uint32_t)n;
                e->labels = labels;
                memcpy(e->pcs, pcs, n * sizeof *pcs);
                atomic_store_explicit(&e->ready, 1, memory_order_release);
                atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
                add_values(e, values);
                return 0;
            }
            /* seen now holds the winner's hash: compare with it below */
        }
        if (seen != h)
            continue;
        int m = entry_matches(e, pcs, n, labels);
        if (m < 0)
            break;
        if (m) {
            add_values(e, values);
            return 0;
        }
    }
    atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
    return -1;
}

stack_counts_record *stack_counts_snapshot(stack_counts *t, size_t *n, int *oom)
{
    *n = 0;
    *oom = 0;
    stack_counts_entry *entries = atomic_load_explicit(&t->entries, memory_order_acquire);
    long used = atomic_load_explicit(&t->used, memory_order_relaxed);
    if (!entries || used <= 0)
        return NULL;
    /* Entries made after `used` was read are left for the next snapshot. */
    stack_counts_record *out = malloc((size_t)used * sizeof *out);
    if (!out) {
        *oom = 1;
        return NULL;
    }
    size_t k = 0;
    for (unsigned i = 0; i < t->slots && k < (size_t)used; i++) {
        stack_counts_entry *e = &entries[i];
        if (!atomic_load_explicit(&e->ready, memory_order_acquire))
            continue;
        stack_counts_record *r = &out[k++];
        r->n_pcs = e->n_pcs;
        r->labels = e->labels;
        memcpy(r->pcs, e->pcs, e->n_pcs * sizeof *r->pcs);
        for (int v = 0; v < STACK_COUNTS_VALUES; v++)
            r->values[v] = atomic_load_explicit(&e->values[v], memory_order_relaxed);
    }
    *n = k;
    if (k == 0) {
        free(out);
        return NULL;
    }
    return out;
}

long stack_counts_used(stack_counts *t)
{
    return atomic_load_explicit(&t->used, memory_order_relaxed);
}

uint64_t stack_counts_dropped(stack_counts *t)
{
    return atomic_load_explicit(&t->dropped, memory_order_relaxed);
}
