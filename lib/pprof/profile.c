/*
 * profile.c — builder of the internal profile model (see profile.h).
 * Plain arrays grown by doubling: a profile is built once per request and
 * read once by an encoder, so nothing fancier pays for itself.
 */
#include "common/clock.h"
#include "profile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t profile_now_nanos(void)
{
    return clock_nanos(CLOCK_REALTIME);
}

profile *profile_new(void)
{
    profile *p = calloc(1, sizeof *p);
    if (p)
        p->time_nanos = profile_now_nanos();
    return p;
}

static void labels_free(profile_label *labels, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)labels[i].key);
        free((char *)labels[i].str);
        free((char *)labels[i].num_unit);
    }
    free(labels);
}

void profile_free(profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_samples; i++) {
        free(p->samples[i].pcs);
        labels_free(p->samples[i].labels, p->samples[i].n_labels);
    }
    free(p->samples);
    for (size_t i = 0; i < p->n_comments; i++)
        free(p->comments[i]);
    free(p->comments);
    free(p);
}

void profile_add_sample_type(profile *p, const char *type, const char *unit)
{
    if (p->n_sample_types >= PROFILE_MAX_VALUES)
        return;
    p->sample_types[p->n_sample_types].type = type;
    p->sample_types[p->n_sample_types].unit = unit;
    p->n_sample_types++;
}

static char *dup_or_null(const char *s, int *failed)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *failed = 1;
    return d;
}

static int copy_labels(profile_sample *s, const profile_label *labels, size_t n)
{
    if (n == 0)
        return 0;
    s->labels = calloc(n, sizeof *labels);
    if (!s->labels)
        return -1;
    s->n_labels = n;
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        s->labels[i].key = dup_or_null(labels[i].key, &failed);
        s->labels[i].str = dup_or_null(labels[i].str, &failed);
        s->labels[i].num = labels[i].num;
        s->labels[i].num_unit = dup_or_null(labels[i].num_unit, &failed);
    }
    return failed ? -1 : 0;
}

int profile_add_sample(profile *p, const uint64_t *pcs, size_t n_pcs, const int64_t *values,
                       const profile_label *labels, size_t n_labels)
{
    if (p->n_samples == p->cap_samples) {
        size_t cap = p->cap_samples ? p->cap_samples * 2 : 64;
        profile_sample *grown = realloc(p->samples, cap * sizeof *grown);
        if (!grown)
            goto oom;
        p->samples = grown;
        p->cap_samples = cap;
    }
    profile_sample *s = &p->samples[p->n_samples];
    memset(s, 0, sizeof *s);
    if (n_pcs) {
        s->pcs = malloc(n_pcs * sizeof *pcs);
        if (!s->pcs)
            goto oom;
        memcpy(s->pcs, pcs, n_pcs * sizeof *pcs);
    }
    s->n_pcs = n_pcs;
    for (size_t i = 0; i < p->n_sample_types; i++)
        s->values[i] = values[i];
    if (copy_labels(s, labels, n_labels) != 0) {
        free(s->pcs);
        labels_free(s->labels, s->n_labels);
        goto oom;
    }
    p->n_samples++;
    return 0;
oom:
    p->oom = 1;
    return -1;
}

int profile_add_comment(profile *p, const char *comment)
{
    char **grown = realloc(p->comments, (p->n_comments + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    p->comments = grown;
    if (!(p->comments[p->n_comments] = strdup(comment)))
        goto oom;
    p->n_comments++;
    return 0;
oom:
    p->oom = 1;
    return -1;
}
