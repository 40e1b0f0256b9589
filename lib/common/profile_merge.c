/*
 * profile_merge.c — profile.Merge (measurement.ScaleProfiles is the
 * tool's: tool/profile/profile_scale.c).
 *
 * go tool pprof merges every profile it loads, even a single one, and that
 * merge is also a compaction: samples with the same stack and labels are
 * summed, samples whose values are all zero disappear, and mappings,
 * locations and functions are deduplicated by content and renumbered from 1
 * in order of first use. -base subtracts by merging the source with a
 * negated base. The keys below are google/pprof's: a mapping by its rounded
 * size, offset and build id (else file), so address-space randomization
 * does not split it; a location by its mapping-relative address, mapping,
 * lines and folding; a function by name, system name, file and start line.
 * Strings are interned, so keys compare pointers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile_model.h"

typedef struct map_info {
    cp_mapping *m;
    int64_t offset; /* add to a source address to rebase it into m */
} map_info;

typedef struct merger {
    cp_profile *p;
    htab samples, locations, functions, mappings;
    /* Per source profile, by the source object's index. */
    cp_location **loc_by_src;
    cp_function **fn_by_src;
    map_info *map_by_src;
    bool *map_done;
    /* Scratch space for the object being mapped (sizes come from the input,
     * so never from the stack). */
    cp_line *lines;
    size_t lines_cap;
    cp_location **locs;
    size_t locs_cap;
} merger;

static void *scratch(void *p, size_t *cap, size_t n, size_t sz)
{
    if (n <= *cap)
        return p;
    *cap = n * 2;
    return xrealloc(p, *cap, sz);
}

/* ---- mappings ----------------------------------------------------------- */

static uint64_t mapping_size_key(const cp_mapping *m)
{
    uint64_t size = m->limit - m->start;
    size = size + 0x1000 - 1;
    return size - size % 0x1000;
}

static const char *mapping_id_key(const cp_mapping *m)
{
    return *m->build_id ? m->build_id : m->file; /* "" for fake mappings */
}

static int mapping_eq(const void *key, const void *item)
{
    const cp_mapping *a = key, *b = item;
    return mapping_size_key(a) == mapping_size_key(b) && a->offset == b->offset &&
           mapping_id_key(a) == mapping_id_key(b);
}

static uint64_t mapping_hash(const cp_mapping *m)
{
    return hash_ptr(hash_mix(mapping_size_key(m), m->offset), mapping_id_key(m));
}

static map_info map_mapping(merger *mg, const cp_mapping *src)
{
    map_info none = {NULL, 0};
    if (!src)
        return none;
    if (mg->map_done[src->index])
        return mg->map_by_src[src->index];
    uint64_t h = mapping_hash(src);
    cp_mapping *m = htab_find(&mg->mappings, h, mapping_eq, src);
    map_info mi;
    if (m) {
        mi = (map_info){m, (int64_t)(m->start - src->start)};
    } else {
        cp_profile *p = mg->p;
        m = arena_dup(&p->mem, src, 1, sizeof *m);
        m->id = p->n_mappings + 1;
        p->mappings[p->n_mappings++] = m;
        htab_insert(&mg->mappings, h, m);
        mi = (map_info){m, 0};
    }
    mg->map_done[src->index] = true;
    mg->map_by_src[src->index] = mi;
    return mi;
}

/* ---- functions and locations ------------------------------------------- */

static int function_eq(const void *key, const void *item)
{
    const cp_function *a = key, *b = item;
    return a->start_line == b->start_line && a->name == b->name &&
           a->system_name == b->system_name && a->filename == b->filename;
}

static cp_function *map_function(merger *mg, const cp_function *src)
{
    if (mg->fn_by_src[src->index])
        return mg->fn_by_src[src->index];
    uint64_t h = hash_ptr(
        hash_ptr(hash_ptr(hash_mix(0, (uint64_t)src->start_line), src->name), src->system_name),
        src->filename);
    cp_function *f = htab_find(&mg->functions, h, function_eq, src);
    if (!f) {
        cp_profile *p = mg->p;
        f = arena_dup(&p->mem, src, 1, sizeof *f);
        f->id = p->n_functions + 1;
        p->functions[p->n_functions++] = f;
        htab_insert(&mg->functions, h, f);
    }
    mg->fn_by_src[src->index] = f;
    return f;
}

static uint64_t location_addr_key(const cp_location *l)
{
    return l->mapping ? l->address - l->mapping->start : l->address;
}

static int location_eq(const void *key, const void *item)
{
    const cp_location *a = key, *b = item;
    if (location_addr_key(a) != location_addr_key(b) || a->mapping != b->mapping ||
        a->is_folded != b->is_folded || a->n_lines != b->n_lines)
        return 0;
    for (size_t i = 0; i < a->n_lines; i++)
        if (a->lines[i].function != b->lines[i].function || a->lines[i].line != b->lines[i].line ||
            a->lines[i].column != b->lines[i].column)
            return 0;
    return 1;
}

static uint64_t location_hash(const cp_location *l)
{
    uint64_t h = hash_mix(hash_ptr(location_addr_key(l), l->mapping), l->is_folded);
    for (size_t i = 0; i < l->n_lines; i++)
        h = hash_mix(hash_ptr(h, l->lines[i].function), (uint64_t)l->lines[i].line);
    return h;
}

static cp_location *map_location(merger *mg, const cp_location *src)
{
    if (mg->loc_by_src[src->index])
        return mg->loc_by_src[src->index];
    cp_profile *p = mg->p;
    map_info mi = map_mapping(mg, src->mapping);
    cp_location tmp = {
        .mapping = mi.m,
        .address = (uint64_t)((int64_t)src->address + mi.offset),
        .n_lines = src->n_lines,
        .is_folded = src->is_folded,
    };
    mg->lines = scratch(mg->lines, &mg->lines_cap, src->n_lines, sizeof *mg->lines);
    cp_line *lines = mg->lines;
    for (size_t i = 0; i < src->n_lines; i++) {
        lines[i] = src->lines[i];
        lines[i].function = map_function(mg, src->lines[i].function);
    }
    tmp.lines = lines;
    uint64_t h = location_hash(&tmp);
    cp_location *l = htab_find(&mg->locations, h, location_eq, &tmp);
    if (!l) {
        l = arena_dup(&p->mem, &tmp, 1, sizeof *l);
        l->lines = arena_dup(&p->mem, lines, src->n_lines, sizeof *lines);
        l->id = p->n_locations + 1;
        p->locations[p->n_locations++] = l;
        htab_insert(&mg->locations, h, l);
    }
    mg->loc_by_src[src->index] = l;
    return l;
}

/* ---- samples ------------------------------------------------------------ */

static int sample_eq(const void *key, const void *item)
{
    const cp_sample *a = key, *b = item;
    if (a->n_locs != b->n_locs || a->n_labels != b->n_labels)
        return 0;
    if (a->n_locs && memcmp(a->locs, b->locs, a->n_locs * sizeof *a->locs))
        return 0;
    for (size_t i = 0; i < a->n_labels; i++) {
        const cp_label *x = &a->labels[i], *y = &b->labels[i];
        if (x->key != y->key || x->str != y->str || x->num != y->num || x->unit != y->unit)
            return 0;
    }
    return 1;
}

static uint64_t sample_hash(const cp_sample *s)
{
    uint64_t h = hash_mix(0, s->n_locs);
    for (size_t i = 0; i < s->n_locs; i++)
        h = hash_ptr(h, s->locs[i]);
    for (size_t i = 0; i < s->n_labels; i++)
        h = hash_mix(hash_ptr(hash_ptr(h, s->labels[i].key), s->labels[i].str),
                     (uint64_t)s->labels[i].num);
    return h;
}

static int is_zero_sample(const cp_sample *s, size_t n_values)
{
    for (size_t i = 0; i < n_values; i++)
        if (s->values[i] != 0)
            return 0;
    return 1;
}

static void map_sample(merger *mg, const cp_sample *src)
{
    cp_profile *p = mg->p;
    size_t nv = p->n_sample_types;
    mg->locs = scratch(mg->locs, &mg->locs_cap, src->n_locs, sizeof *mg->locs);
    cp_location **locs = mg->locs;
    for (size_t i = 0; i < src->n_locs; i++)
        locs[i] = map_location(mg, src->locs[i]);
    cp_sample tmp = {locs, src->n_locs, NULL, src->labels, src->n_labels};
    uint64_t h = sample_hash(&tmp);
    cp_sample *s = htab_find(&mg->samples, h, sample_eq, &tmp);
    if (s) {
        for (size_t i = 0; i < nv; i++)
            s->values[i] += src->values[i];
        return;
    }
    s = &p->samples[p->n_samples++];
    s->locs = arena_dup(&p->mem, locs, src->n_locs, sizeof *locs);
    s->n_locs = src->n_locs;
    s->values = arena_dup(&p->mem, src->values, nv, sizeof *s->values);
    s->labels = arena_dup(&p->mem, src->labels, src->n_labels, sizeof *s->labels);
    s->n_labels = src->n_labels;
    htab_insert(&mg->samples, h, s);
}

/* ---- headers ------------------------------------------------------------ */

static int value_type_eq(const cp_value_type *a, const cp_value_type *b)
{
    return a->type == b->type && a->unit == b->unit;
}

/* profile.compatible: 1 when a and b have the same period and sample
 * types, else 0 with err. */
int profile_compatible(const cp_profile *a, const cp_profile *b, cp_err *err)
{
    if (!value_type_eq(&a->period_type, &b->period_type)) {
        cp_err_set(err, "incompatible period types %s/%s and %s/%s", a->period_type.type,
                   a->period_type.unit, b->period_type.type, b->period_type.unit);
        return 0;
    }
    int same = a->n_sample_types == b->n_sample_types;
    for (size_t i = 0; same && i < a->n_sample_types; i++)
        same = value_type_eq(&a->sample_types[i], &b->sample_types[i]);
    if (!same) {
        char sa[200] = "", sb[200] = "";
        for (size_t i = 0; i < a->n_sample_types; i++)
            snprintf(sa + strlen(sa), sizeof sa - strlen(sa), "%s%s/%s", i ? " " : "",
                     a->sample_types[i].type, a->sample_types[i].unit);
        for (size_t i = 0; i < b->n_sample_types; i++)
            snprintf(sb + strlen(sb), sizeof sb - strlen(sb), "%s%s/%s", i ? " " : "",
                     b->sample_types[i].type, b->sample_types[i].unit);
        cp_err_set(err, "incompatible sample types [%s] and [%s]", sa, sb);
        return 0;
    }
    return 1;
}

static cp_profile *combine_headers(cp_profile **srcs, size_t n, cp_err *err)
{
    for (size_t i = 1; i < n; i++)
        if (!profile_compatible(srcs[0], srcs[i], err))
            return NULL;
    cp_profile *p = cp_profile_new();
    size_t n_samples = 0, n_locs = 0, n_fns = 0, n_maps = 0, n_comments = 0;
    for (size_t i = 0; i < n; i++) {
        const cp_profile *s = srcs[i];
        /* Go's rule, quirks included: a later zero time resets the minimum. */
        if (p->time_nanos == 0 || s->time_nanos < p->time_nanos)
            p->time_nanos = s->time_nanos;
        p->duration_nanos += s->duration_nanos;
        if (p->period == 0 || p->period < s->period)
            p->period = s->period;
        if (p->default_sample_type == STR_EMPTY)
            p->default_sample_type = s->default_sample_type;
        n_samples += s->n_samples;
        n_locs += s->n_locations;
        n_fns += s->n_functions;
        n_maps += s->n_mappings;
        n_comments += s->n_comments;
    }
    p->comments = arena_alloc(&p->mem, n_comments, sizeof *p->comments);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < srcs[i]->n_comments; c++) {
            size_t k = 0;
            while (k < p->n_comments && p->comments[k] != srcs[i]->comments[c])
                k++;
            if (k == p->n_comments)
                p->comments[p->n_comments++] = srcs[i]->comments[c];
        }
    p->n_sample_types = srcs[0]->n_sample_types;
    p->sample_types =
        arena_dup(&p->mem, srcs[0]->sample_types, p->n_sample_types, sizeof *p->sample_types);
    p->drop_frames = srcs[0]->drop_frames;
    p->keep_frames = srcs[0]->keep_frames;
    p->doc_url = srcs[0]->doc_url;
    p->period_type = srcs[0]->period_type;
    p->samples = arena_alloc(&p->mem, n_samples, sizeof *p->samples);
    p->locations = arena_alloc(&p->mem, n_locs, sizeof *p->locations);
    p->functions = arena_alloc(&p->mem, n_fns, sizeof *p->functions);
    p->mappings = arena_alloc(&p->mem, n_maps, sizeof *p->mappings);
    return p;
}

static void merge_one(merger *mg, const cp_profile *src)
{
    mg->loc_by_src = xcalloc(src->n_locations, sizeof *mg->loc_by_src);
    mg->fn_by_src = xcalloc(src->n_functions, sizeof *mg->fn_by_src);
    mg->map_by_src = xcalloc(src->n_mappings, sizeof *mg->map_by_src);
    mg->map_done = xcalloc(src->n_mappings, sizeof *mg->map_done);
    /* The first mapping is the main binary: keep it first. */
    if (mg->p->n_mappings == 0 && src->n_mappings > 0)
        map_mapping(mg, src->mappings[0]);
    for (size_t i = 0; i < src->n_samples; i++)
        if (!is_zero_sample(&src->samples[i], src->n_sample_types))
            map_sample(mg, &src->samples[i]);
    free(mg->loc_by_src);
    free(mg->fn_by_src);
    free(mg->map_by_src);
    free(mg->map_done);
}

cp_profile *profile_merge(cp_profile **srcs, size_t n, cp_err *err)
{
    if (n == 0) {
        cp_err_set(err, "no profiles to merge");
        return NULL;
    }
    cp_profile *p = combine_headers(srcs, n, err);
    if (!p)
        return NULL;
    merger mg = {.p = p};
    htab_init(&mg.samples, &htab_xalloc);
    htab_init(&mg.locations, &htab_xalloc);
    htab_init(&mg.functions, &htab_xalloc);
    htab_init(&mg.mappings, &htab_xalloc);
    size_t total = 0; /* at most this many samples, sized once */
    for (size_t i = 0; i < n; i++)
        total += srcs[i]->n_samples;
    htab_reserve(&mg.samples, total);
    for (size_t i = 0; i < n; i++)
        merge_one(&mg, srcs[i]);
    htab_free(&mg.samples);
    htab_free(&mg.locations);
    htab_free(&mg.functions);
    htab_free(&mg.mappings);
    free(mg.lines);
    free(mg.locs);
    cp_profile_reindex(p);
    /* Samples that summed to zero: merge again to collect them (Go does). */
    for (size_t i = 0; i < p->n_samples; i++)
        if (is_zero_sample(&p->samples[i], p->n_sample_types)) {
            cp_profile *again = profile_merge(&p, 1, err);
            cp_profile_free(p);
            return again;
        }
    return p;
}
