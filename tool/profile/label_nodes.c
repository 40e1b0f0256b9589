/*
 * label_nodes.c — -tagroot and -tagleaf: labels turned into pseudo frames,
 * google/pprof's driver/tagroot.go (addLabelNodes, formatLabelValues).
 *
 * For every sample and every key given, one frame is added whose function
 * is named by the sample's values of that key (string values in their
 * order, then numeric ones scaled to -unit, joined with ","; "" when the
 * sample has none) and whose file name is the key. Root keys go above the
 * stack (the first key becomes the new root), leaf keys below it (the last
 * key becomes the new leaf). One location and one function per (name,
 * key), given the ids after the profile's largest ones, appended to the
 * profile's arrays; the model's invariants hold afterwards (indexes
 * renumbered). Runs before the filters, so -focus can name the frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "measure.h"

typedef struct label_nodes {
    cp_profile *p;
    htab locs; /* cp_location by (function name, file name) */
    uint64_t next_loc_id, next_func_id;
    size_t cap_locs, cap_funcs;
    const char *output_unit;
} label_nodes;

static int loc_key_eq(const void *key, const void *item)
{
    const cp_function *k = key;
    const cp_location *l = item;
    return l->lines[0].function->name == k->name && l->lines[0].function->filename == k->filename;
}

/* p->v grown by one pointer (arena, doubling). */
static void *push_ptr(cp_profile *p, void **v, size_t n, size_t *cap, void *item)
{
    if (n == *cap) {
        size_t next = *cap ? *cap * 2 : n + 16;
        void **nv = arena_alloc(&p->mem, next, sizeof *nv);
        if (n)
            memcpy(nv, v, n * sizeof *nv);
        v = nv;
        *cap = next;
    }
    v[n] = item;
    return v;
}

/* internLoc: the location of (name, file), created on first use. */
static cp_location *intern_loc(label_nodes *ln, const char *name, const char *file)
{
    cp_profile *p = ln->p;
    cp_function key = {.name = name, .filename = file};
    uint64_t h = hash_ptr(hash_ptr(0, name), file);
    cp_location *l = htab_find(&ln->locs, h, loc_key_eq, &key);
    if (l)
        return l;
    cp_function *f = arena_alloc(&p->mem, 1, sizeof *f);
    f->id = ln->next_func_id++;
    f->name = name;
    f->system_name = STR_EMPTY;
    f->filename = file;
    p->functions = push_ptr(p, (void **)p->functions, p->n_functions, &ln->cap_funcs, f);
    f->index = p->n_functions++;
    l = arena_alloc(&p->mem, 1, sizeof *l);
    l->id = ln->next_loc_id++;
    l->lines = arena_alloc(&p->mem, 1, sizeof *l->lines);
    l->lines[0].function = f;
    l->n_lines = 1;
    p->locations = push_ptr(p, (void **)p->locations, p->n_locations, &ln->cap_locs, l);
    l->index = p->n_locations++;
    htab_insert(&ln->locs, h, l);
    return l;
}

/* formatLabelValues: the sample's values of key joined with ",", interned;
 * *any tells whether there was one. */
static const char *label_values(const label_nodes *ln, const cp_sample *s, const char *key,
                                bool *any)
{
    buf b;
    buf_init(&b);
    bool units = false;
    for (size_t i = 0; i < s->n_labels; i++)
        if (!s->labels[i].str && s->labels[i].key == key && *s->labels[i].unit)
            units = true;
    size_t n = 0;
    for (int numeric = 0; numeric < 2; numeric++)
        for (size_t i = 0; i < s->n_labels; i++) {
            const cp_label *l = &s->labels[i];
            if (l->key != key || (l->str == NULL) != numeric)
                continue;
            char v[64];
            const char *text = l->str;
            if (!text)
                text = units ? measure_scaled_label(v, l->num, l->unit, ln->output_unit)
                             : measure_scaled_label(v, l->num, "", "");
            buf_printf(&b, "%s%s", n++ ? "," : "", text);
        }
    *any = n > 0;
    const char *out = intern((const char *)b.data, b.len);
    buf_free(&b);
    return out;
}

/* makeLabelLocs: one location per key, the last key first (so the first
 * key ends up nearest the root), into out. Whether any key matched. */
static bool label_locs(label_nodes *ln, const cp_sample *s, const strlist *keys, cp_location **out)
{
    bool match = false;
    for (size_t i = 0; i < keys->n; i++) {
        const char *key = intern_cstr(keys->v[keys->n - 1 - i]);
        bool any;
        const char *name = label_values(ln, s, key, &any);
        match |= any;
        out[i] = intern_loc(ln, name, key);
    }
    return match;
}

void profile_add_label_nodes(cp_profile *p, const strlist *root_keys, const strlist *leaf_keys,
                             const char *output_unit, bool *root_match, bool *leaf_match)
{
    *root_match = *leaf_match = false;
    if (root_keys->n == 0 && leaf_keys->n == 0)
        return;
    label_nodes ln = {.p = p, .output_unit = output_unit};
    htab_init(&ln.locs, &htab_xalloc);
    for (size_t i = 0; i < p->n_locations; i++)
        if (p->locations[i]->id >= ln.next_loc_id)
            ln.next_loc_id = p->locations[i]->id;
    for (size_t i = 0; i < p->n_functions; i++)
        if (p->functions[i]->id >= ln.next_func_id)
            ln.next_func_id = p->functions[i]->id;
    ln.next_loc_id++;
    ln.next_func_id++;
    ln.cap_locs = p->n_locations;
    ln.cap_funcs = p->n_functions;
    cp_location **roots = xcalloc(root_keys->n + 1, sizeof *roots);
    cp_location **leaves = xcalloc(leaf_keys->n + 1, sizeof *leaves);
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        *root_match |= label_locs(&ln, s, root_keys, roots);
        *leaf_match |= label_locs(&ln, s, leaf_keys, leaves);
        size_t n = leaf_keys->n + s->n_locs + root_keys->n;
        cp_location **locs = arena_alloc(&p->mem, n, sizeof *locs);
        memcpy(locs, leaves, leaf_keys->n * sizeof *locs);
        if (s->n_locs)
            memcpy(locs + leaf_keys->n, s->locs, s->n_locs * sizeof *locs);
        memcpy(locs + leaf_keys->n + s->n_locs, roots, root_keys->n * sizeof *locs);
        s->locs = locs;
        s->n_locs = n;
    }
    free(roots);
    free(leaves);
    htab_free(&ln.locs);
}
