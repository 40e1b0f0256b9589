/*
 * profile_model.h — a profile.proto decoded into memory: every id resolved
 * to a pointer and every string interned (see intern.h). Shared kit: the
 * tool's reports and the library's ?pid=all merge (lib/http/http_merge.c)
 * use this one decoder, merger and encoder.
 *
 * Mirrors google/pprof's profile.Profile so its algorithms carry over line
 * for line: samples point at locations, locations at a mapping and at lines
 * (inlined callees first, the real caller last), lines at functions.
 * Invariants after decode (and after every operation on it):
 *  - every sample has exactly n_sample_types values;
 *  - every location/function/mapping pointer is one of the profile's own;
 *  - ids are non-zero and unique per kind; strings are never NULL;
 *  - a sample's labels are sorted by (numeric?, key), stably, so two samples
 *    carry the same labels exactly when their label arrays are equal
 *    (profile_sort_labels);
 *  - `index` fields are the positions in the profile's arrays.
 * Everything is allocated in the profile's arena and freed with it.
 * Allocation failure goes to the arena's out-of-memory handler (arena.h).
 */
#ifndef CPROF_PROFILE_MODEL_H
#define CPROF_PROFILE_MODEL_H

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

/* profile_model.c. An empty profile (its strings STR_EMPTY); freed with
 * cp_profile_free (NULL is fine). */
cp_profile *cp_profile_new(void);
void cp_profile_free(cp_profile *p);
/* Re-number the index fields after arrays were rebuilt. */
void cp_profile_reindex(cp_profile *p);
/* Sort n labels by (string before numeric, key), stably: the order every
 * sample's labels keep (see the invariants above). */
void profile_sort_labels(cp_label *l, size_t n);

/* profile_decode.c: gzip or raw profile.proto -> model. NULL on error
 * (err set); the caller frees with cp_profile_free. */
cp_profile *profile_parse_proto(const uint8_t *data, size_t len, cp_err *err);
/* A reader of another format, tried on the (decompressed) bytes when they
 * are not profile.proto: NO when it does not recognize them (the next is
 * tried), OK with *out set, BAD with err set (recognized but malformed). */
typedef enum profile_format_rc {
    PROFILE_FORMAT_NO = 0,
    PROFILE_FORMAT_OK = 1,
    PROFILE_FORMAT_BAD = -1
} profile_format_rc;
typedef profile_format_rc (*profile_format_fn)(const uint8_t *data, size_t len, cp_profile **out,
                                               cp_err *err);
/* profile.proto first, then other (NULL: none), as google/pprof reads.
 * compact: samples with the same location ids and labels whose values are
 * all >= 0 (and not all 0) are folded into the first one as they are read —
 * what profile_merge would do with them, so merging the result gives the
 * same profile, with a fraction of the memory and time on a profile whose
 * stacks repeat; for a profile that is merged next. */
cp_profile *profile_parse_any(const uint8_t *data, size_t len, bool compact,
                              profile_format_fn other, cp_err *err);
/* The cap on a profile's bytes, each of: read from a file, downloaded, and
 * decompressed (-max_size; default 2 GiB). One setting for the process. */
size_t profile_size_limit(void);
void profile_set_size_limit(size_t bytes);

/* profile_encode.c: model -> profile.proto, gzip-compressed when asked. */
int profile_encode(const cp_profile *p, int compress, buf *out, cp_err *err);

/* profile_merge.c */
/* Merge (and compact) profiles into a new one: profile.Merge. NULL with the
 * reason in err when they are incompatible (sample or period types). */
cp_profile *profile_merge(cp_profile **srcs, size_t n, cp_err *err);
/* profile.compatible: 1 when a and b have the same period and sample types,
 * else 0 with err set. */
int profile_compatible(const cp_profile *a, const cp_profile *b, cp_err *err);

#endif
