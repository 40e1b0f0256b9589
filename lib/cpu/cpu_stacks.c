/*
 * cpu_stacks.c — drained CPU samples, aggregated by stack, and the profile
 * model built from them.
 *
 * The collector drains the ring every 100 ms into this table, so memory
 * grows with the number of distinct stacks, not with the length of the
 * profile. The common kit's hash table keyed by a 64-bit hash of the pcs;
 * each entry is one malloc'd record holding its stack. Built and read on
 * profiler threads only (never in a handler), so the table may allocate.
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

#include "common/hash.h"
#include "common/hash_table.h"
#include "labels/labels.h"
#include "unwind/unwind.h"

typedef struct stack_entry {
    uint64_t weight;
    uint32_t labels; /* label-set id (labels.h) */
    size_t n_pcs;
    uint64_t pcs[]; /* n_pcs of them */
} stack_entry;

struct cpu_stacks {
    htab entries;   /* stack_entry * by stack */
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
    return calloc(1, sizeof(cpu_stacks));
}

void cpu_stacks_free(cpu_stacks *s)
{
    if (!s)
        return;
    size_t cursor = 0;
    for (void **it; (it = htab_next(&s->entries, &cursor));)
        free(*it);
    htab_free(&s->entries);
    free(s);
}

typedef struct stack_key {
    const uint64_t *pcs;
    size_t n;
    uint32_t labels;
} stack_key;

/* htab_eq_fn: the entry holds exactly the key's pcs. */
static int stack_eq(const void *key, const void *item)
{
    const stack_key *k = key;
    const stack_entry *e = item;
    return e->n_pcs == k->n && e->labels == k->labels &&
           memcmp(e->pcs, k->pcs, k->n * sizeof *k->pcs) == 0;
}

/* Add w to the entry of (pcs, labels), made when new. 0, or -1 when out of
 * memory (counted as lost). */
int cpu_stacks_add(cpu_stacks *s, const uint64_t *pcs, size_t n_pcs, uint64_t w, uint32_t labels)
{
    s->total += w;
    if (n_pcs == 0) {
        s->lost += w;
        return 0;
    }
    uint64_t h = hash_mix(unwind_stack_hash(pcs, n_pcs, n_pcs), labels);
    stack_key k = {pcs, n_pcs, labels};
    stack_entry *e = htab_find(&s->entries, h, stack_eq, &k);
    if (!e) {
        e = malloc(sizeof *e + n_pcs * sizeof *pcs);
        if (!e || htab_insert(&s->entries, h, e) != 0) {
            free(e);
            s->lost += w;
            return -1;
        }
        memcpy(e->pcs, pcs, n_pcs * sizeof *pcs);
        e->n_pcs = n_pcs;
        e->weight = 0;
        e->labels = labels;
    }
    e->weight += w;
    return 0;
}

/* cpu_sample_fn: counts the record's stack, weight and label set into ctx
 * (a cpu_stacks). */
void cpu_stacks_sink(const cpu_record *rec, void *ctx)
{
    cpu_stacks_add(ctx, rec->pcs, rec->n_pcs, rec->weight, rec->labels);
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

/* One sample of weight w (count and nanoseconds), with the labels of set
 * labels. */
static void add_weighted(profile *p, const uint64_t *pcs, size_t n, uint64_t w, int64_t period,
                         uint32_t labels)
{
    int64_t values[2] = {(int64_t)w, (int64_t)w * period};
    profile_label l[LABELS_MAX_KEYS];
    size_t n_labels = labels_to_profile(labels, l);
    profile_add_sample(p, pcs, n, values, l, n_labels);
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
    size_t cursor = 0;
    for (void **it; (it = htab_next(&s->entries, &cursor));) {
        const stack_entry *e = *it;
        add_weighted(p, e->pcs, e->n_pcs, e->weight, period, e->labels);
    }
    if (s->lost) {
        uint64_t pc = cpu_lost_samples_pc();
        add_weighted(p, &pc, 1, s->lost, period, LABELS_NONE);
    }
    if (p->oom) {
        profile_free(p);
        return NULL;
    }
    return p;
}
