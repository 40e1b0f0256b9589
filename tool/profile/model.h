/*
 * model.h — the tool's in-memory profile: the shared kit's model, decoder,
 * encoder and merger (lib/common/profile_model.h) plus the operations of
 * go tool pprof's reports on it.
 */
#ifndef CPROF_TOOL_MODEL_H
#define CPROF_TOOL_MODEL_H

#include "profile_model.h"

/* legacy.c: any profile cprof reads — gzip or raw profile.proto, then the
 * legacy formats in google/pprof's order (gperftools heap and CPU, Go's
 * debug=1 text), jemalloc heap_v2 and collapsed stacks. NULL on error (err
 * set); the caller frees with cp_profile_free. */
cp_profile *profile_parse(const uint8_t *data, size_t len, cp_err *err);
/* The same, with repeated stacks folded as they are read
 * (profile_parse_any's compact): for a profile that is merged next. */
cp_profile *profile_parse_compact(const uint8_t *data, size_t len, cp_err *err);

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

/* profile.Normalize (-normalize), profile_ops.c: p's values scaled, per
 * sample type, so that they sum to base's (a type p sums to 0 for becomes 0;
 * samples left all zero are dropped). 0, or -1 with err when the types
 * differ. */
int profile_normalize(cp_profile *p, const cp_profile *base, cp_err *err);

/* profile_scale.c */
/* Make units of sample and period types compatible: ScaleProfiles. */
int profile_scale_units(cp_profile **ps, size_t n, cp_err *err);

#endif
