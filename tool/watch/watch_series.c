/*
 * watch_series.c — snapshots into one time series per stack.
 *
 * A stack is identified by its frames' function names and file:line (leaf
 * first, inlined frames included), not by addresses: what a reader calls
 * "the same place in the code", and stable across snapshots. Samples with
 * the same key are summed (the threads profile splits a stack by thread
 * name and state, the heap profile by size class). Threads the profiler
 * owns (label cprof=internal) are left out: they are not the program's.
 *
 * Values: threads — the thread count; threadcreate — the threads created
 * since start by that creator stack (cumulative: it grows while the stack
 * keeps creating threads, whether they exit or not); heap — inuse_space, the unsampled
 * estimate the server computes, and beside it alloc_space (cumulative), from
 * which the leak test learns how much the site freed and so how far its
 * sampled value can wander by chance (watch_trend.c). A stack first seen at
 * snapshot i gets 0 for the earlier ones: it had no thread / no sampled
 * block then.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "intern.h"
#include "watch.h"

const char *watch_kind_name(enum watch_kind kind)
{
    return kind == WATCH_THREADS ? "threads" : kind == WATCH_HEAP ? "heap" : "threadcreate";
}

void watch_target_init(watch_target *w, enum watch_kind kind)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    htab_init(&w->index, &htab_xalloc);
    w->floor = kind == WATCH_HEAP ? 0 : 3;
}

void watch_target_free(watch_target *w)
{
    for (size_t i = 0; i < w->n_series; i++) {
        watch_series *s = w->series[i];
        strlist_free(&s->frames);
        strlist_free(&s->creator);
        free(s->v);
        free(s->alloc);
        free(s);
    }
    free(w->series);
    free(w->t);
    free(w->total);
    free(w->url);
    free(w->base);
    free(w->first_path);
    free(w->last_path);
    htab_free(&w->index);
}

static int sample_type_index(const cp_profile *p, const char *type)
{
    for (size_t i = 0; i < p->n_sample_types; i++)
        if (!strcmp(p->sample_types[i].type, type))
            return (int)i;
    return -1;
}

static int value_index(const cp_profile *p, enum watch_kind kind)
{
    if (kind == WATCH_HEAP)
        return sample_type_index(p, "inuse_space");
    if (kind == WATCH_THREADCREATE)
        return sample_type_index(p, "threadcreate");
    int i = sample_type_index(p, "threads");
    return i >= 0 ? i : sample_type_index(p, "goroutine");
}

int watch_profile_kind(const cp_profile *p)
{
    if (value_index(p, WATCH_THREADS) >= 0)
        return WATCH_THREADS;
    if (value_index(p, WATCH_HEAP) >= 0)
        return WATCH_HEAP;
    if (value_index(p, WATCH_THREADCREATE) >= 0)
        return WATCH_THREADCREATE;
    return -1;
}

const char *watch_stack_key(const cp_sample *s, strlist *frames)
{
    buf key;
    buf_init(&key);
    for (size_t i = 0; i < s->n_locs; i++) {
        const cp_location *loc = s->locs[i];
        char frame[1024];
        if (loc->n_lines == 0) {
            snprintf(frame, sizeof frame, "0x%llx", (unsigned long long)loc->address);
            if (frames)
                strlist_push(frames, frame);
            buf_printf(&key, "%s\n", frame);
        }
        for (size_t j = 0; j < loc->n_lines; j++) {
            const cp_line *ln = &loc->lines[j];
            const char *fn = ln->function ? ln->function->name : "?";
            const char *file = ln->function ? ln->function->filename : "";
            if (*file)
                snprintf(frame, sizeof frame, "%s %s:%lld", fn, file, (long long)ln->line);
            else
                snprintf(frame, sizeof frame, "%s", fn);
            if (frames)
                strlist_push(frames, frame);
            buf_printf(&key, "%s\n", frame);
        }
    }
    if (key.oom)
        die_oom();
    const char *k = key.len ? intern((const char *)key.data, key.len) : NULL;
    buf_free(&key);
    return k;
}

static int series_eq(const void *key, const void *item)
{
    return ((const watch_series *)item)->key == key;
}

/* The series of key, created (zero up to the current snapshot) if new. */
static watch_series *series_for(watch_target *w, const cp_sample *smp, const char *key)
{
    uint64_t h = hash_ptr(0, key);
    watch_series *s = htab_find(&w->index, h, series_eq, key);
    if (s)
        return s;
    s = xcalloc(1, sizeof *s);
    s->key = key;
    s->old_bytes = -1;
    watch_stack_key(smp, &s->frames);
    s->v = xcalloc(w->cap ? w->cap : 1, sizeof *s->v);
    if (w->kind == WATCH_HEAP)
        s->alloc = xcalloc(w->cap ? w->cap : 1, sizeof *s->alloc);
    htab_insert(&w->index, h, s);
    w->series = xrealloc(w->series, w->n_series + 1, sizeof *w->series);
    w->series[w->n_series++] = s;
    return s;
}

static void grow(watch_target *w)
{
    if (w->n < w->cap)
        return;
    size_t cap = w->cap ? w->cap * 2 : 64;
    w->t = xrealloc(w->t, cap, sizeof *w->t);
    w->total = xrealloc(w->total, cap, sizeof *w->total);
    for (size_t i = 0; i < w->n_series; i++) {
        watch_series *s = w->series[i];
        s->v = xrealloc(s->v, cap, sizeof(double));
        memset(s->v + w->cap, 0, (cap - w->cap) * sizeof(double));
        if (s->alloc) {
            s->alloc = xrealloc(s->alloc, cap, sizeof(double));
            memset(s->alloc + w->cap, 0, (cap - w->cap) * sizeof(double));
        }
    }
    w->cap = cap;
}

int watch_add_snapshot(watch_target *w, const cp_profile *p, double t, cp_err *err)
{
    int vi = value_index(p, w->kind);
    if (vi < 0) {
        cp_err_set(err, "not a %s profile", watch_kind_name(w->kind));
        return -1;
    }
    grow(w);
    size_t i = w->n;
    w->t[i] = t;
    w->total[i] = 0;
    /* Heap floor: ~4 sampled allocations; and at least 64 KiB, so a program
     * sampled at rate 1 (no sampling noise) is not flagged for a few bytes. */
    if (w->kind == WATCH_HEAP && p->period > 0) {
        w->period = p->period;
        w->floor = 4.0 * (double)p->period;
        if (w->floor < 65536)
            w->floor = 65536;
    }
    if (!w->program && p->n_mappings > 0 && *p->mappings[0]->file)
        w->program = p->mappings[0]->file;
    /* Heap: the allocation totals, when the profile has them (a heap
     * profile from cprof or Go does; without them the test does without
     * the sampling-noise rule). */
    int ai = w->kind == WATCH_HEAP ? sample_type_index(p, "alloc_space") : -1;
    int oi = w->kind == WATCH_HEAP ? sample_type_index(p, "alloc_objects") : -1;
    for (size_t k = 0; k < p->n_samples; k++) {
        const cp_sample *smp = &p->samples[k];
        if (sample_has_label(smp, "cprof", "internal"))
            continue;
        double v = (double)smp->values[vi];
        w->total[i] += v;
        const char *key = watch_stack_key(smp, NULL);
        if (!key)
            continue;
        watch_series *s = series_for(w, smp, key);
        s->v[i] += v;
        if (ai >= 0 && oi >= 0 && s->alloc) {
            s->alloc[i] += (double)smp->values[ai];
            if (s->objects_at != i)
                s->objects = 0, s->objects_at = i;
            s->objects += (double)smp->values[oi];
        }
    }
    w->have_alloc = ai >= 0 && oi >= 0 && (i == 0 || w->have_alloc);
    w->n++;
    return 0;
}

size_t watch_judge(watch_target *w)
{
    size_t leaks = 0;
    for (size_t i = 0; i < w->n_series; i++) {
        watch_series *s = w->series[i];
        trend_input in = {.t = w->t, .v = s->v, .n = w->n, .floor = w->floor};
        size_t last = w->n ? w->n - 1 : 0;
        if (w->have_alloc && s->alloc && s->objects_at == last && s->objects > 0) {
            in.alloc = s->alloc;
            double mean = s->alloc[last] / s->objects;
            in.unit = trend_sampling_unit(mean, (double)w->period);
            in.weight = trend_sampled_weight(mean, (double)w->period);
        }
        trend_analyze(&in, &s->tr);
        leaks += s->tr.leak;
    }
    return leaks;
}

typedef struct suspect_ref {
    watch_series *s;
    watch_target *w;
} suspect_ref;

static int by_kind_then_rate(const void *a, const void *b)
{
    const suspect_ref *x = a, *y = b;
    if (x->w->kind != y->w->kind)
        return x->w->kind < y->w->kind ? -1 : 1; /* threads, heap, threadcreate */
    double rx = x->s->tr.slope, ry = y->s->tr.slope;
    return rx > ry ? -1 : rx < ry;
}

watch_series **watch_suspects(watch_target *ws, size_t n, size_t *n_out, watch_target ***owner)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ws[i].n_series; j++)
            m += ws[i].series[j]->tr.leak;
    suspect_ref *refs = xcalloc(m ? m : 1, sizeof *refs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < ws[i].n_series; j++)
            if (ws[i].series[j]->tr.leak)
                refs[k++] = (suspect_ref){ws[i].series[j], &ws[i]};
    qsort(refs, m, sizeof *refs, by_kind_then_rate);
    watch_series **out = xcalloc(m ? m : 1, sizeof *out);
    watch_target **own = xcalloc(m ? m : 1, sizeof *own);
    for (size_t i = 0; i < m; i++) {
        out[i] = refs[i].s;
        own[i] = refs[i].w;
    }
    free(refs);
    *n_out = m;
    if (owner)
        *owner = own;
    else
        free(own);
    return out;
}
