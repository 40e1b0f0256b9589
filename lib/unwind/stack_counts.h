/*
 * stack_counts.h — a fixed-size, insert-only table of counters keyed by
 * stack, for collectors that count events from hooks: thread creations
 * (threadcreate), lock contention (mutex), waits (block).
 *
 * Contract: stack_counts_add is lock-free, never calls malloc, never
 * blocks (a bounded spin at most) and is async-signal-safe; it maps the
 * table with mmap at its first insert. A table never moves an entry nor
 * forgets one, so counts are cumulative since the process started (a
 * forked child keeps its parent's, as Go's profiles do after fork and
 * as the heap's buckets do). A full table drops the event and counts it
 * (stack_counts_dropped). Readers (stack_counts_snapshot) run on profiler
 * threads and may race with adds: each value they read is one some add
 * left, so a snapshot is a consistent-enough cut for cumulative counters.
 */
#ifndef CPROF_STACK_COUNTS_H
#define CPROF_STACK_COUNTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define STACK_COUNTS_FRAMES 32 /* Go's maxStack for its profile buckets */
#define STACK_COUNTS_VALUES 2  /* e.g. count and delay */

typedef struct stack_counts_entry stack_counts_entry;

/* A table: declare it static and zero (STACK_COUNTS_INIT(slots)); slots
 * is a power of two, the most distinct stacks it keeps. */
typedef struct stack_counts {
    unsigned slots;
    _Atomic(stack_counts_entry *) entries; /* mmap'd at the first add */
    _Atomic long used;
    _Atomic uint64_t dropped; /* events lost: table full or out of memory */
} stack_counts;

#define STACK_COUNTS_INIT(n)                                                                       \
    {                                                                                              \
        .slots = (n)                                                                               \
    }

/* Add values[0..STACK_COUNTS_VALUES) to the entry of (pcs[0..n), labels)
 * (n is cut to STACK_COUNTS_FRAMES; labels is a label-set id of
 * labels/labels.h, 0 for none: one stack with two label sets is two
 * entries), creating it when new. Lock-free, malloc-free,
 * async-signal-safe; errno is left as it was. Returns 0, or -1 when the
 * event was dropped. */
int stack_counts_add(stack_counts *t, const uint64_t *pcs, size_t n, uint32_t labels,
                     const int64_t *values);

/* One entry as a snapshot copies it. */
typedef struct stack_counts_record {
    uint32_t n_pcs;
    uint32_t labels; /* label-set id, 0 when none */
    uint64_t pcs[STACK_COUNTS_FRAMES];
    int64_t values[STACK_COUNTS_VALUES];
} stack_counts_record;

/* Copy every complete entry (malloc'd array, caller frees; NULL with
 * *n = 0 when empty or out of memory: *oom then says which). Ordinary
 * context. */
stack_counts_record *stack_counts_snapshot(stack_counts *t, size_t *n, int *oom);

/* Distinct stacks in the table (index page counts). */
long stack_counts_used(stack_counts *t);
/* Events dropped so far. */
uint64_t stack_counts_dropped(stack_counts *t);

#endif
