/*
 * cpu_ring.c — the buffer between the CPU signal handler and the collector.
 *
 * A bounded multi-producer, single-consumer ring of fixed-size records
 * (Vyukov's bounded queue): every slot carries a sequence number. A
 * producer (a signal handler on any thread) reads the tail, and when the
 * slot's sequence equals it, claims the slot by advancing the tail with a
 * compare-and-swap, copies the sample in and publishes it by storing
 * sequence = index + 1 (release). The consumer takes the slot at head once
 * its sequence is head + 1, then hands it back by storing head + capacity.
 *
 * Why this shape: the handler may not allocate, lock or wait. Claiming is
 * one CAS (retried only when another thread's handler won the same slot),
 * so a handler never waits for another; a full ring is detected without
 * waiting (the slot's sequence is behind) and the sample is counted in
 * `lost` instead, which the profile reports as a pseudo-frame (Go does the
 * same). A handler is never interrupted by itself: the signal is blocked
 * while it runs. The consumer stops at a slot still being written and
 * takes it at the next drain.
 *
 * Memory comes from mmap, so the ring never touches the program's malloc.
 */
#include "common/clock.h"
#include "cpu.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

cpu_ring *cpu_ring_new(size_t slots)
{
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    size_t len = sizeof(cpu_ring) + n * sizeof(cpu_record);
    void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    cpu_ring *r = mem;
    r->mask = n - 1;
    r->map_len = len;
    r->slots = (cpu_record *)(r + 1);
    for (size_t i = 0; i < n; i++)
        atomic_init(&r->slots[i].seq, i);
    atomic_init(&r->tail, 0);
    atomic_init(&r->lost, 0);
    atomic_init(&r->pushed, 0);
    r->head = 0;
    return r;
}

void cpu_ring_free(cpu_ring *r)
{
    if (r)
        munmap(r, r->map_len);
}

/* Claim a slot with one CAS, copy the sample in, publish it (see the top
 * comment). 0, or -1 when the ring is full (weight counted as lost). */
int cpu_ring_push(cpu_ring *r, const uint64_t *pcs, size_t n_pcs, uint32_t weight, uint32_t labels)
{
    uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    cpu_record *rec;
    for (;;) {
        rec = &r->slots[pos & r->mask];
        uint64_t seq = atomic_load_explicit(&rec->seq, memory_order_acquire);
        int64_t diff = (int64_t)(seq - pos);
        if (diff == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (diff < 0) { /* the consumer has not freed this slot yet */
            atomic_fetch_add_explicit(&r->lost, weight, memory_order_relaxed);
            return -1;
        } else {
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
    if (n_pcs > CPU_MAX_FRAMES)
        n_pcs = CPU_MAX_FRAMES;
    rec->n_pcs = (uint32_t)n_pcs;
    rec->weight = weight;
    rec->labels = labels;
    rec->tid = (int32_t)syscall(SYS_gettid);
    rec->time_ns = monotonic_ns();
    memcpy(rec->pcs, pcs, n_pcs * sizeof pcs[0]);
    atomic_store_explicit(&rec->seq, pos + 1, memory_order_release);
    atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
    return 0;
}

size_t cpu_ring_drain(cpu_ring *r, cpu_sample_fn fn, void *ctx)
{
    size_t taken = 0;
    for (;;) {
        cpu_record *rec = &r->slots[r->head & r->mask];
        if (atomic_load_explicit(&rec->seq, memory_order_acquire) != r->head + 1)
            return taken;
        fn(rec, ctx);
        atomic_store_explicit(&rec->seq, r->head + r->mask + 1, memory_order_release);
        r->head++;
        taken++;
    }
}
