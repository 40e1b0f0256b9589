/*
 * profile_ops.c — in-place operations on the model, each a transcription of
 * the google/pprof profile method named in its comment, so that cprof's
 * reports see the same samples go tool pprof's do.
 *
 * Operations only shrink or rewrite arrays the profile already owns, or
 * allocate replacements in its arena; pointers between model objects stay
 * valid throughout.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "model.h"

/* strconv.Atoi: optional sign, then only decimal digits. */
static int parse_int(const char *s, long *out)
{
    const char *d = s + (*s == '+' || *s == '-');
    if (!*d || strspn(d, "0123456789") != strlen(d))
        return -1;
    errno = 0;
    *out = strtol(s, NULL, 10);
    return errno ? -1 : 0;
}

/* profile.SampleIndexByName */
int profile_sample_index(const cp_profile *p, const char *name, cp_err *err)
{
    size_t n = p->n_sample_types;
    if (n == 0) {
        cp_err_set(err, "profile has no samples");
        return -1;
    }
    if (!name || !*name) {
        for (size_t i = 0; i < n && *p->default_sample_type; i++)
            if (p->sample_types[i].type == p->default_sample_type)
                return (int)i;
        return (int)n - 1;
    }
    long i;
    if (parse_int(name, &i) == 0) {
        if (i < 0 || (size_t)i >= n) {
            cp_err_set(err, "sample_index %s is outside the range [0..%zu]", name, n - 1);
            return -1;
        }
        return (int)i;
    }
    const char *no_inuse = strncmp(name, "inuse_", 6) == 0 ? name + 6 : name;
    for (size_t j = 0; j < n; j++)
        if (!strcmp(p->sample_types[j].type, name) || !strcmp(p->sample_types[j].type, no_inuse))
            return (int)j;
    char list[256] = "";
    for (size_t j = 0; j < n; j++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", j ? " " : "", p->sample_types[j].type);
    }
    cp_err_set(err, "sample_index \"%s\" must be one of: [%s]", name, list);
    return -1;
}

/* profile.ScaleN: only columns whose ratio is not 1 decide whether a sample
 * survives (a sample is kept if any of them is non-zero after scaling). */
void profile_scale(cp_profile *p, const double *ratios)
{
    int all_ones = 1;
    for (size_t i = 0; i < p->n_sample_types; i++)
        all_ones &= ratios[i] == 1;
    if (all_ones)
        return;
    size_t kept = 0;
    for (size_t s = 0; s < p->n_samples; s++) {
        cp_sample *sm = &p->samples[s];
        int keep = 0;
        for (size_t i = 0; i < p->n_sample_types; i++) {
            if (ratios[i] == 1)
                continue;
            sm->values[i] = (int64_t)round((double)sm->values[i] * ratios[i]);
            keep |= sm->values[i] != 0;
        }
        if (keep)
            p->samples[kept++] = *sm;
    }
    p->n_samples = kept;
}

void profile_scale_all(cp_profile *p, double ratio)
{
    if (ratio == 1)
        return;
    double *r = arena_alloc(&p->mem, p->n_sample_types, sizeof *r);
    for (size_t i = 0; i < p->n_sample_types; i++)
        r[i] = ratio;
    profile_scale(p, r);
}

static void drop_string_label(cp_sample *s, const char *key)
{
    size_t kept = 0;
    for (size_t j = 0; j < s->n_labels; j++)
        if (!(s->labels[j].str && s->labels[j].key == key))
            s->labels[kept++] = s->labels[j];
    s->n_labels = kept;
}

/* profile.SetLabel: the key's string values become exactly {value}. */
void profile_set_label(cp_profile *p, const char *key, const char *value)
{
    key = intern_cstr(key);
    value = intern_cstr(value);
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        drop_string_label(s, key);
        cp_label *l = arena_alloc(&p->mem, s->n_labels + 1, sizeof *l);
        /* Keep the (string first, by key) order: insert before the first
         * numeric label or the first larger key. */
        size_t at = 0;
        while (at < s->n_labels && s->labels[at].str && strcmp(s->labels[at].key, key) < 0)
            at++;
        if (s->n_labels > 0) { /* labels may be NULL: memcpy must not see it */
            memcpy(l, s->labels, at * sizeof *l);
            memcpy(l + at + 1, s->labels + at, (s->n_labels - at) * sizeof *l);
        }
        l[at] = (cp_label){.key = key, .str = value, .unit = STR_EMPTY};
        s->labels = l;
        s->n_labels++;
    }
}

void profile_remove_label(cp_profile *p, const char *key)
{
    key = intern_cstr(key);
    for (size_t i = 0; i < p->n_samples; i++)
        drop_string_label(&p->samples[i], key);
}

bool sample_has_label(const cp_sample *s, const char *key, const char *value)
{
    for (size_t j = 0; j < s->n_labels; j++)
        if (s->labels[j].str && !strcmp(s->labels[j].key, key) && !strcmp(s->labels[j].str, value))
            return true;
    return false;
}

bool sample_label_run(const cp_sample *s, bool numeric, size_t *pos, size_t *first, size_t *end)
{
    size_t j = *pos;
    while (j < s->n_labels && (s->labels[j].str == NULL) != numeric)
        j++;
    if (j >= s->n_labels)
        return false;
    *first = j;
    const char *key = s->labels[j].key;
    while (j < s->n_labels && s->labels[j].key == key && (s->labels[j].str == NULL) == numeric)
        j++;
    *pos = *end = j;
    return true;
}

/* profile.Aggregate: forget what the chosen granularity does not show. */
void profile_aggregate(cp_profile *p, bool inline_frames, bool function, bool filename,
                       bool linenumber, bool address)
{
    for (size_t i = 0; i < p->n_mappings; i++) {
        cp_mapping *m = p->mappings[i];
        m->has_inline_frames &= inline_frames;
        m->has_functions &= function;
        m->has_filenames &= filename;
        m->has_line_numbers &= linenumber;
    }
    for (size_t i = 0; i < p->n_functions; i++) {
        cp_function *f = p->functions[i];
        if (!function)
            f->name = f->system_name = STR_EMPTY;
        if (!filename)
            f->filename = STR_EMPTY;
    }
    if (inline_frames && address && linenumber)
        return;
    for (size_t i = 0; i < p->n_locations; i++) {
        cp_location *l = p->locations[i];
        if (!inline_frames && l->n_lines > 1) {
            l->lines += l->n_lines - 1;
            l->n_lines = 1;
        }
        if (!linenumber)
            for (size_t j = 0; j < l->n_lines; j++)
                l->lines[j].line = 0;
        if (!address)
            l->address = 0;
    }
}

/* profile.NumLabelUnits: the first unit seen for a key wins; keys without
 * any unit get "bytes" (alignment, request) or their own name. */
void profile_num_label_units(const cp_profile *p, num_label_units *out, arena *mem)
{
    size_t cap = 0;
    out->n = 0;
    out->keys = out->units = NULL;
    for (size_t i = 0; i < p->n_samples; i++)
        for (size_t j = 0; j < p->samples[i].n_labels; j++)
            cap += p->samples[i].labels[j].str == NULL;
    out->keys = arena_alloc(mem, cap, sizeof *out->keys);
    out->units = arena_alloc(mem, cap, sizeof *out->units);
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        for (size_t j = 0; j < s->n_labels; j++) {
            const cp_label *l = &s->labels[j];
            if (l->str)
                continue;
            size_t k = 0;
            while (k < out->n && out->keys[k] != l->key)
                k++;
            if (k == out->n) {
                out->keys[k] = l->key;
                out->units[k] = STR_EMPTY;
                out->n++;
            }
            if (out->units[k] == STR_EMPTY)
                out->units[k] = l->unit;
        }
    }
    for (size_t k = 0; k < out->n; k++) {
        if (out->units[k] != STR_EMPTY)
            continue;
        if (!strcmp(out->keys[k], "alignment") || !strcmp(out->keys[k], "request"))
            out->units[k] = intern_cstr("bytes");
        else
            out->units[k] = out->keys[k];
    }
}

const char *num_label_unit(const num_label_units *u, const char *key)
{
    for (size_t k = 0; k < u->n; k++)
        if (u->keys[k] == key)
            return u->units[k];
    return STR_EMPTY;
}

/* profile.Normalize (-normalize): see model.h. */
int profile_normalize(cp_profile *p, const cp_profile *base, cp_err *err)
{
    if (!profile_compatible(p, base, err))
        return -1;
    size_t n = p->n_sample_types;
    int64_t *sums = xcalloc(2 * n + 1, sizeof *sums), *base_sums = sums + n;
    double *ratios = xcalloc(n + 1, sizeof *ratios);
    for (size_t s = 0; s < base->n_samples; s++)
        for (size_t i = 0; i < n; i++)
            base_sums[i] += base->samples[s].values[i];
    for (size_t s = 0; s < p->n_samples; s++)
        for (size_t i = 0; i < n; i++)
            sums[i] += p->samples[s].values[i];
    for (size_t i = 0; i < n; i++)
        ratios[i] = sums[i] == 0 ? 0.0 : (double)base_sums[i] / (double)sums[i];
    profile_scale(p, ratios);
    free(sums);
    free(ratios);
    return 0;
}
