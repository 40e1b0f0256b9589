/*
 * heap_live.h — the table of sampled blocks still live, and the filter bitmap
 * that lets free() rule out every other pointer without a lock (see
 * heap_internal.h for the filter's reader side). Internal to the heap sampler.
 */
#ifndef CPROF_HEAP_LIVE_H
#define CPROF_HEAP_LIVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct live_entry {
    uintptr_t ptr; /* 0 = empty slot */
    void *bucket;  /* the sampler's bucket of this block's stack */
    uint64_t size;
    int64_t time_ns; /* CLOCK_MONOTONIC at allocation */
    int32_t tid;
} live_entry;

/* Insert a sampled block; 0, or -1 when out of memory (not recorded). */
int live_insert(const live_entry *e);
/* Remove ptr; 1 when it was there, 0 when it was not sampled. */
int live_remove(uintptr_t ptr);
/* live_remove that also returns the block's size (when found and size != NULL). */
int live_remove_sized(uintptr_t ptr, uint64_t *size);
/* Call fn on every live entry, one shard at a time under that shard's lock:
 * fn must not allocate through the hooks or take sampler locks. */
void live_for_each(void (*fn)(const live_entry *e, void *arg), void *arg);
size_t live_count(void);

void live_atfork_prepare(void);
void live_atfork_parent(void);
void live_atfork_child(void);

#endif
