/*
 * profile.h — the one internal profile model.
 *
 * Collectors (heap sampler, and later CPU and threads) fill a profile with
 * samples: a stack of program counters plus one value per sample type plus
 * optional labels. Encoders (pprof_encode.c, text writers) read it and know
 * nothing of malloc or signals — the split of Go's runtime/pprof.
 *
 * PCs: the leaf comes first. Every PC is a return address (the symbolizer
 * looks up pc-1) unless leaf_pc_exact is set, in which case pcs[0] is an exact
 * instruction address (a CPU sample taken from a signal context).
 *
 * Memory: a profile owns copies of everything added to it; strings handed in
 * are copied. Built and freed on profiler threads only.
 */
#ifndef CPROF_PROFILE_H
#define CPROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define PROFILE_MAX_VALUES 4

typedef struct profile_value_type {
    const char *type; /* e.g. "inuse_space" (static strings) */
    const char *unit; /* e.g. "bytes" */
} profile_value_type;

typedef struct profile_label {
    const char *key;      /* copied */
    const char *str;      /* copied; NULL for a numeric label */
    int64_t num;          /* used when str == NULL */
    const char *num_unit; /* copied; may be NULL */
} profile_label;

typedef struct profile_sample {
    uint64_t *pcs; /* leaf first */
    size_t n_pcs;
    int64_t values[PROFILE_MAX_VALUES];
    profile_label *labels;
    size_t n_labels;
} profile_sample;

typedef struct profile {
    profile_value_type sample_types[PROFILE_MAX_VALUES];
    size_t n_sample_types;
    profile_value_type period_type;
    int64_t period;
    const char *default_sample_type; /* NULL: the first sample type */
    int64_t time_nanos;              /* wall clock when collection started */
    int64_t duration_nanos;
    int leaf_pc_exact;
    profile_sample *samples;
    size_t n_samples;
    size_t cap_samples;
    char **comments;
    size_t n_comments;
    int oom; /* set when an add failed for lack of memory */
} profile;

/* A new empty profile with time_nanos set to now; NULL when out of memory. */
profile *profile_new(void);
void profile_free(profile *p);

/* Declare the next sample type (at most PROFILE_MAX_VALUES). */
void profile_add_sample_type(profile *p, const char *type, const char *unit);

/* Append a sample; pcs, values (n_sample_types of them) and labels are
 * copied. Returns 0, or -1 when out of memory (p->oom is set too). */
int profile_add_sample(profile *p, const uint64_t *pcs, size_t n_pcs, const int64_t *values,
                       const profile_label *labels, size_t n_labels);

int profile_add_comment(profile *p, const char *comment);

/* Wall-clock nanoseconds since the epoch. */
int64_t profile_now_nanos(void);

#endif
