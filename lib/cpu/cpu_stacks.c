/*
 * cpu_stacks.c — drained CPU samples, aggregated by stack, and the profile
 * model built from them.
 *
 * The collector drains the ring every 100 ms into this table, so memory
 * grows with the number of distinct stacks, not with the length of the
 * profile. Open addressing on a 64-bit hash of the pcs, doubling at half
 * load; each entry owns a malloc'd copy of its stack. Built and read on
 * profiler threads only (never in a handler).
 *
 * Samples the handler could not record (ring full) or the table could not
 * keep (out of memory) are counted as lost and reported like Go reports
 * them: one sample whose only frame is a pseudo-function, here
 * cprof_lost_samples, a real function of libcprof so every symbolizer
 * names it.
 */
#include "cpu.h"

#include <stdlib.h>
#include <string.h>

#include "unwind/unwind.h"

typedef struct stack_entry {
    uint64_t hash;
    uint64_t weight;
    uint64_t *pcs; /* NULL = empty slot */
    size_t n_pcs;
} stack_entry;

struct cpu_stacks {
    stack_entry *slots;
    size_t cap; /* power of two */
    size_t used;
    uint64_t total; /* every weight, lost included */
    uint64_t lost;
};

/* The lost samples' frame. Never called: its address is the frame. */
__attribute__((noinline, used)) static void cprof_lost_samples(void)
{
    __asm__ volatile("");
}

uint64_t cpu_lost_samples_pc(void)
{
    return (uint64_t)(uintptr_t)cprof_lost_samples;
}

cpu_stacks *cpu_stacks_new(void)
{
    cpu_stacks *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = 256;
    s->slots = calloc(s->cap, sizeof *s->slots);
    if (!s->slots) {
        free(s);
        return NULL;
    }
    return s;
}

void cpu_stacks_free(cpu_stacks *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].pcs);
    free(s->slots);
    free(s);
}

static stack_entry *find_slot(stack_entry *slots, size_t cap, uint64_t h, const uint64_t *pcs,
                              size_t n)
{
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        stack_entry *e = &slots[i];
        if (!e->pcs || (e->hash == h && e->n_pcs == n && memcmp(e->pcs, pcs, n * 8) == 0))
            return e;
    }
}

static int grow(cpu_stacks *s)
{
    size_t cap = s->cap * 2;
    stack_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        stack_entry *e = &s->slots[i];
        if (e->pcs)
            *find_slot(slots, cap, e->hash, e->pcs, e->n_pcs) = *e;
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int cpu_stacks_add(cpu_stacks *s, const uint64_t *pcs, size_t n_pcs, uint64_t w)
{
    s->total += w;
    if (n_pcs == 0 || ((s->used + 1) * 2 > s->cap && grow(s) != 0)) {
        s->lost += w;
        return n_pcs == 0 ? 0 : -1;
    }
    uint64_t h = unwind_stack_hash(pcs, n_pcs, n_pcs);
    stack_entry *e = find_slot(s->slots, s->cap, h, pcs, n_pcs);
    if (!e->pcs) {
        e->pcs = malloc(n_pcs * sizeof *pcs);
        if (!e->pcs) {
            s->lost += w;
            return -1;
        }
        memcpy(e->pcs, pcs, n_pcs * sizeof *pcs);
        e->n_pcs = n_pcs;
        e->hash = h;
        s->used++;
    }
    e->weight += w;
    return 0;
}

void cpu_stacks_sink(const uint64_t *pcs, size_t n_pcs, uint32_t weight, void *ctx)
{
    cpu_stacks_add(ctx, pcs, n_pcs, weight);
}

void cpu_stacks_add_lost(cpu_stacks *s, uint64_t w)
{
    s->total += w;
    s->lost += w;
}

uint64_t cpu_stacks_total(const cpu_stacks *s)
{
    return s->total;
}

uint64_t cpu_stacks_lost(const cpu_stacks *s)
{
    return s->lost;
}

static void add_weighted(profile *p, const uint64_t *pcs, size_t n, uint64_t w, int64_t period)
{
    int64_t values[2] = {(int64_t)w, (int64_t)w * period};
    profile_add_sample(p, pcs, n, values, NULL, 0);
}

profile *cpu_stacks_profile(const cpu_stacks *s, int hz, int64_t start_nanos,
                            int64_t duration_nanos)
{
    profile *p = profile_new();
    if (!p)
        return NULL;
    int64_t period = 1000000000 / (hz > 0 ? hz : CPU_DEFAULT_HZ);
    profile_add_sample_type(p, "samples", "count");
    profile_add_sample_type(p, "cpu", "nanoseconds");
    p->period_type = (profile_value_type){"cpu", "nanoseconds"};
    p->period = period;
    p->time_nanos = start_nanos;
    p->duration_nanos = duration_nanos;
    p->leaf_pc_exact = 1; /* pcs[0] comes from the signal context */
    for (size_t i = 0; i < s->cap; i++) {
        const stack_entry *e = &s->slots[i];
        if (e->pcs)
            add_weighted(p, e->pcs, e->n_pcs, e->weight, period);
    }
    if (s->lost) {
        uint64_t pc = cpu_lost_samples_pc();
        add_weighted(p, &pc, 1, s->lost, period);
    }
    if (p->oom) {
        profile_free(p);
        return NULL;
    }
    return p;
}
