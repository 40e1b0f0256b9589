/*
 * filters.h — sample and frame filters with go tool pprof's semantics
 * (-focus, -ignore, -hide, -show, -show_from, -prune_from, the label
 * filters -tagfocus, -tagignore, -tagshow, -taghide, and the profile's own
 * drop_frames). Patterns are POSIX extended regular
 * expressions, matched unanchored like Go's regexp.MatchString; RE2-only
 * syntax such as (?i) or \d is not available (glibc does accept \w \s \b).
 */
#ifndef CPROF_TOOL_FILTERS_H
#define CPROF_TOOL_FILTERS_H

#include <regex.h>

#include "model.h"
#include "strlist.h"

typedef struct name_filters {
    const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
    const char *tagfocus, *tagignore, *tagshow, *taghide;
} name_filters;

/* regcomp(REG_EXTENDED | REG_NOSUB) with a one-line error naming what. */
int regex_compile(regex_t *re, const char *pattern, const char *what, cp_err *err);
int regex_match(const regex_t *re, const char *s);

/* driver.applyFocus: every filter, in pprof's order. Warns on stderr (like
 * pprof) when an expression matched nothing. Always drops samples that
 * have no location, as pprof does. units: of numeric labels, for ranges. */
int apply_filters(cp_profile *p, const name_filters *f, const num_label_units *units, cp_err *err);
/* tag_filters.c: the label filters (called by apply_filters). */
int apply_tag_filters(cp_profile *p, const name_filters *f, const num_label_units *units,
                      cp_err *err);
/* profile.RemoveUninteresting: prune frames matching drop_frames. */
int profile_remove_uninteresting(cp_profile *p, cp_err *err);

/* label_nodes.c: -tagroot/-tagleaf (pprof's addLabelNodes): for each
 * sample, a pseudo frame per key named by its values of that key (numeric
 * ones scaled to output_unit), file name the key; root keys above the
 * stack (the first is the new root), leaf keys below it (the last is the
 * new leaf). *root_match / *leaf_match: whether some sample had a value of
 * some root / leaf key. New locations and functions live in p's arena. */
void profile_add_label_nodes(cp_profile *p, const strlist *root_keys, const strlist *leaf_keys,
                             const char *output_unit, bool *root_match, bool *leaf_match);

#endif
