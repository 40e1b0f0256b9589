/*
 * profile_delta.c — Go's delta profiles (heap?seconds=N and friends) in the
 * model layer: take a profile, wait, take another, serve the difference.
 *
 * profile_delta() is Go's profile.Merge of p0 scaled by -1 with p1: samples
 * are matched by their key — the stack (PCs, leaf first) and the string
 * labels — values are summed with p0's negated, and a sample whose values
 * all come to zero is dropped. The result takes p1's shape (sample types,
 * period) and time, and the interval between the two as its duration.
 *
 * Why numeric labels are not part of the key: they are attributes of a
 * sample, not its identity. The heap's "bytes" label is a bucket's average
 * block size, which drifts as blocks of a slightly different size (the same
 * size class) land in the bucket during the window; keying on it would
 * show the same site as one large negative and one large positive sample.
 * A matched sample keeps p1's numeric labels (p0's when only p0 has it).
 * String labels (a thread's name and state) are identity, as in Go.
 *
 * Every value is a difference, in-use ones included, as Go does (see
 * docs/CONFIGURATION.md for why we match it).
 *
 * profile_delta_write() is the window: the HTTP worker builds p0 through the
 * source's build function, sleeps in 100 ms steps checking whether the
 * client hung up (then it frees everything and gives up at once), builds p1
 * and encodes the delta. It holds no lock while it waits.
 */
#include "common/clock.h"
#include "profile_delta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprof_encode.h"

#define WAIT_STEP_MS 100

typedef struct signed_sample {
    const profile_sample *s;
    int sign; /* -1: from p0, +1: from p1 */
} signed_sample;

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_str(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static size_t n_string_labels(const profile_sample *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_labels; i++)
        n += s->labels[i].str != NULL;
    return n;
}

/* The i-th string label of s (collectors add labels in a fixed order). */
static const profile_label *string_label(const profile_sample *s, size_t i)
{
    for (size_t k = 0; k < s->n_labels; k++) {
        if (s->labels[k].str && i-- == 0)
            return &s->labels[k];
    }
    return NULL;
}

static int cmp_key(const profile_sample *a, const profile_sample *b)
{
    if (a->n_pcs != b->n_pcs)
        return cmp_u64(a->n_pcs, b->n_pcs);
    for (size_t i = 0; i < a->n_pcs; i++) {
        if (a->pcs[i] != b->pcs[i])
            return cmp_u64(a->pcs[i], b->pcs[i]);
    }
    size_t na = n_string_labels(a), nb = n_string_labels(b);
    if (na != nb)
        return cmp_u64(na, nb);
    for (size_t i = 0; i < na; i++) {
        const profile_label *x = string_label(a, i), *y = string_label(b, i);
        int c = cmp_str(x->key, y->key);
        if (c == 0)
            c = cmp_str(x->str, y->str);
        if (c != 0)
            return c;
    }
    return 0;
}

/* By key, p0's sample before p1's among equals so a merged run ends on p1. */
static int cmp_signed(const void *x, const void *y)
{
    const signed_sample *a = x, *b = y;
    int c = cmp_key(a->s, b->s);
    return c ? c : a->sign - b->sign;
}

static profile *delta_shell(const profile *p0, const profile *p1)
{
    profile *d = profile_new();
    if (!d)
        return NULL;
    memcpy(d->sample_types, p1->sample_types, sizeof d->sample_types);
    d->n_sample_types = p1->n_sample_types;
    d->period_type = p1->period_type;
    d->period = p1->period;
    d->default_sample_type = p1->default_sample_type;
    d->leaf_pc_exact = p1->leaf_pc_exact;
    d->time_nanos = p1->time_nanos;
    d->duration_nanos = p1->time_nanos - p0->time_nanos;
    for (size_t i = 0; i < p1->n_comments; i++)
        profile_add_comment(d, p1->comments[i]);
    return d;
}

/* Sum the run [v, v+n) of equal keys into d; nothing when all values are 0.
 * Value k with bit k of keep set is p1's as is (0 when only p0 has it). */
static void add_run(profile *d, const signed_sample *v, size_t n, unsigned keep)
{
    int64_t sum[PROFILE_MAX_VALUES] = {0};
    int nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < d->n_sample_types; k++) {
            if (keep & (1u << k))
                sum[k] += v[i].sign > 0 ? v[i].s->values[k] : 0;
            else
                sum[k] += v[i].sign * v[i].s->values[k];
        }
    }
    for (size_t k = 0; k < d->n_sample_types; k++)
        nonzero |= sum[k] != 0;
    if (!nonzero)
        return;
    const profile_sample *last = v[n - 1].s; /* p1's when p1 has the key */
    profile_add_sample(d, last->pcs, last->n_pcs, sum, last->labels, last->n_labels);
}

profile *profile_delta(const profile *p0, const profile *p1)
{
    return profile_delta_keep(p0, p1, 0);
}

profile *profile_delta_keep(const profile *p0, const profile *p1, unsigned keep)
{
    if (p0->n_sample_types != p1->n_sample_types)
        return NULL;
    profile *d = delta_shell(p0, p1);
    size_t n = p0->n_samples + p1->n_samples;
    signed_sample *v = n ? malloc(n * sizeof *v) : NULL;
    if (!d || (n && !v)) {
        profile_free(d);
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < p0->n_samples; i++)
        v[i] = (signed_sample){&p0->samples[i], -1};
    for (size_t i = 0; i < p1->n_samples; i++)
        v[p0->n_samples + i] = (signed_sample){&p1->samples[i], +1};
    if (n)
        qsort(v, n, sizeof *v, cmp_signed);
    for (size_t start = 0, end; start < n; start = end) {
        for (end = start + 1; end < n && cmp_key(v[start].s, v[end].s) == 0; end++)
            ;
        add_run(d, v + start, end - start, keep);
    }
    free(v);
    return d;
}

profile_status profile_delta_write(const profile_source *src, const profile_request *req,
                                   int seconds, buf *out, char *err, size_t err_len)
{
    profile *p0 = NULL, *p1 = NULL, *d = NULL;
    profile_status status = src->build(req, &p0, err, err_len);
    if (status == 0 && profile_request_wait(req, monotonic_ns() + (int64_t)seconds * 1000000000,
                                            WAIT_STEP_MS, NULL, NULL)) {
        snprintf(err, err_len, "client went away; %s delta profile abandoned", src->name);
        status = PROFILE_ABANDONED;
    }
    if (status == 0)
        status = src->build(req, &p1, err, err_len);
    if (status == 0) {
        d = profile_delta(p0, p1);
        if (!d || d->oom || pprof_encode(d, 1, out) != 0 || out->oom) {
            snprintf(err, err_len, "could not compute the %s delta profile: out of memory",
                     src->name);
            status = PROFILE_FAILED;
        }
    }
    profile_free(p0);
    profile_free(p1);
    profile_free(d);
    return status;
}
