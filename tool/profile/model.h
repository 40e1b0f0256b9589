/*
 * model.h — the tool's in-memory profile: profile.proto decoded, every id
 * resolved to a pointer and every string interned (see intern.h).
 *
 * Mirrors google/pprof's profile.Profile so its algorithms carry over line
 * for line: samples point at locations, locations at a mapping and at lines
 * (inlined callees first, the real caller last), lines at functions.
 * Invariants after decode (and after every operation below):
 *  - every sample has exactly n_sample_types values;
 *  - every location/function/mapping pointer is one of the profile's own;
 *  - ids are non-zero and unique per kind; strings are never NULL;
 *  - a sample's labels are sorted by (numeric?, key), stably, so two samples
 *    carry the same labels exactly when their label arrays are equal;
 *  - `index` fields are the positions in the profile's arrays.
 * Everything is allocated in the profile's arena and freed with it.
 */
#ifndef CPROF_TOOL_MODEL_H
#define CPROF_TOOL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cp_err.h"

typedef struct cp_value_type {
    const char *type, *unit;
} cp_value_type;

typedef struct cp_label {
    const char *key;
    const char *str; /* string label; NULL for a numeric one */
    int64_t num;
    const char *unit; /* numeric label unit, "" when none */
} cp_label;

typedef struct cp_mapping {
    uint64_t id, start, limit, offset;
    const char *file, *build_id;
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
    size_t index;
} cp_mapping;

typedef struct cp_function {
    uint64_t id;
    const char *name, *system_name, *filename;
    int64_t start_line;
    size_t index;
} cp_function;

typedef struct cp_line {
    cp_function *function;
    int64_t line, column;
} cp_line;

typedef struct cp_location {
    uint64_t id;
    cp_mapping *mapping; /* may be NULL */
    uint64_t address;
    cp_line *lines;
    size_t n_lines;
    bool is_folded;
    size_t index;
} cp_location;

typedef struct cp_sample {
    cp_location **locs; /* leaf first */
    size_t n_locs;
    int64_t *values;
    cp_label *labels;
    size_t n_labels;
} cp_sample;

typedef struct cp_profile {
    arena mem;
    cp_value_type *sample_types;
    size_t n_sample_types;
    const char *default_sample_type;
    cp_sample *samples;
    size_t n_samples;
    cp_mapping **mappings;
    size_t n_mappings;
    cp_location **locations;
    size_t n_locations;
    cp_function **functions;
    size_t n_functions;
    const char **comments;
    size_t n_comments;
    const char *drop_frames, *keep_frames, *doc_url;
    int64_t time_nanos, duration_nanos, period;
    cp_value_type period_type;
} cp_profile;

cp_profile *profile_new(void);
void profile_free(cp_profile *p);
/* Re-number the index fields after arrays were rebuilt. */
void profile_reindex(cp_profile *p);

/* profile_decode.c: gzip or raw profile.proto -> model. NULL on error. */
cp_profile *profile_parse(const uint8_t *data, size_t len, cp_err *err);
/* Like profile_parse, but samples with the same location ids and labels
 * whose values are all >= 0 (and not all 0) are folded into the first one
 * as they are read: what profile_merge would do with them, so merging the
 * result gives the same profile, with a fraction of the memory and time on
 * a profile whose stacks repeat. For a profile that is merged next. */
cp_profile *profile_parse_compact(const uint8_t *data, size_t len, cp_err *err);
/* The cap on a profile's bytes, each of: read from a file, downloaded, and
 * decompressed (-max_size; default 2 GiB). One setting for the process. */
size_t profile_size_limit(void);
void profile_set_size_limit(size_t bytes);

/* profile_encode.c: model -> profile.proto, gzip-compressed when asked. */
int profile_encode(const cp_profile *p, int compress, buf *out, cp_err *err);

/* profile_ops.c: in-place operations with pprof's semantics. */
/* Sample index for -sample_index (name, number, "" = default), or -1. */
int profile_sample_index(const cp_profile *p, const char *name, cp_err *err);
/* Multiply each value column by ratios[i] (math.Round); drops samples whose
 * scaled values are all zero. */
void profile_scale(cp_profile *p, const double *ratios);
void profile_scale_all(cp_profile *p, double ratio);
void profile_set_label(cp_profile *p, const char *key, const char *value);
void profile_remove_label(cp_profile *p, const char *key);
bool sample_has_label(const cp_sample *s, const char *key, const char *value);
/* A sample's labels are sorted by (kind, key) when parsed, so one key's
 * values are adjacent. From *pos, find the next run of labels of one kind
 * (numeric or string) sharing a key: [*first, *end), and *pos = *end.
 * false when there is none. */
bool sample_label_run(const cp_sample *s, bool numeric, size_t *pos, size_t *first, size_t *end);
/* -functions/-lines/... (profile.Aggregate). */
void profile_aggregate(cp_profile *p, bool inline_frames, bool function, bool filename,
                       bool linenumber, bool address);
/* Unit of each numeric label key (profile.NumLabelUnits), as parallel arrays. */
typedef struct num_label_units {
    const char **keys, **units;
    size_t n;
} num_label_units;
void profile_num_label_units(const cp_profile *p, num_label_units *out, arena *mem);
const char *num_label_unit(const num_label_units *u, const char *key);

/* profile_merge.c */
/* Merge (and compact) profiles into a new one: profile.Merge. */
cp_profile *profile_merge(cp_profile **srcs, size_t n, cp_err *err);
/* profile.Normalize (-normalize): p's values scaled, per sample type, so
 * that they sum to base's (a type p sums to 0 for becomes 0; samples left
 * all zero are dropped). 0, or -1 with err when the types differ. */
int profile_normalize(cp_profile *p, const cp_profile *base, cp_err *err);
/* Make units of sample and period types compatible: ScaleProfiles. */
int profile_scale_units(cp_profile **ps, size_t n, cp_err *err);

#endif
