/*
 * report_traces.c — reports that look at samples one by one rather than at
 * the graph: traces (every sample's stack, pprof's printTraces), tags
 * (label values and their weights, printTags), collapsed (folded stacks
 * for flamegraph.pl) and comments.
 *
 * Frame names come from graph_nodes_only, i.e. the same node identities
 * (and so the same names at the chosen granularity) as the graph reports.
 * traces and tags format values with the unit picked per value ("minimum"),
 * as pprof does for reports that never select an output unit.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile/measure.h"
#include "report.h"
#include "tabwriter.h"

static const char separator[] =
    "-----------+-------------------------------------------------------";

/* "%10s:  v1 v2\n" per key, string labels then numeric ones, each sorted.
 * Labels are sorted by (numeric?, key), so one key's values are adjacent. */
static void print_sample_labels(const report *r, FILE *out, const cp_sample *s)
{
    for (int numeric = 0; numeric < 2; numeric++) {
        strlist lines = {0};
        buf b;
        buf_init(&b);
        size_t pos = 0, first, end;
        while (sample_label_run(s, numeric, &pos, &first, &end)) {
            const char *key = s->labels[first].key;
            const char *unit = num_label_unit(&r->o.label_units, key);
            buf_reset(&b);
            buf_printf(&b, "%10s:  ", key);
            for (size_t j = first; j < end; j++) {
                char v[64];
                if (j > first)
                    buf_append_byte(&b, ' ');
                buf_append_str(&b, numeric ? measure_label(v, s->labels[j].num, unit)
                                           : s->labels[j].str);
            }
            strlist_push(&lines, (const char *)b.data);
        }
        buf_free(&b);
        strlist_sort(&lines);
        for (size_t i = 0; i < lines.n; i++)
            fprintf(out, "%s\n", lines.v[i]);
        strlist_free(&lines);
    }
}

int report_traces(report *r, FILE *out, cp_err *err)
{
    (void)err;
    const cp_profile *p = r->p;
    strlist labels = {0};
    report_profile_labels(r, &labels);
    print_lines(out, &labels);
    strlist_free(&labels);
    graph_opts go = {.value_index = r->o.value_index};
    graph *g = graph_nodes_only(p, &go);
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        size_t frames = 0;
        for (size_t j = 0; j < s->n_locs; j++)
            frames += g->loc_n_nodes[s->locs[j]->index];
        if (frames == 0)
            continue;
        fprintf(out, "%s\n", separator);
        print_sample_labels(r, out, s);
        char v[64];
        report_format_value(r, s->values[r->o.value_index], v);
        bool first = true;
        for (size_t j = 0; j < s->n_locs; j++) {
            size_t li = s->locs[j]->index, n = g->loc_n_nodes[li];
            for (size_t k = 0; k < n; k++) {
                fprintf(out, "%10s   %s%s\n", first ? v : "", g->loc_nodes[li][k]->printable,
                        k != n - 1 ? " (inline)" : "");
                first = false;
            }
        }
    }
    fprintf(out, "%s\n", separator);
    graph_free(g);
    return 0;
}

/* ---- tags --------------------------------------------------------------- */

typedef struct tag_entry {
    const char *key, *value; /* interned */
    int64_t weight;
} tag_entry;

static int tag_eq(const void *key, const void *item)
{
    const tag_entry *a = key, *b = item;
    return a->key == b->key && a->value == b->value;
}

/* Keys by name; values by |weight| descending, then name (graph.SortTags). */
static int cmp_tags(const void *pa, const void *pb)
{
    const tag_entry *a = *(tag_entry *const *)pa, *b = *(tag_entry *const *)pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    if (a->weight != b->weight && abs64(a->weight) != abs64(b->weight))
        return abs64(a->weight) > abs64(b->weight) ? -1 : 1;
    return strcmp(a->value, b->value);
}

static void add_tag(htab *t, arena *mem, const char *key, const char *value, int64_t w)
{
    tag_entry k = {key, value, 0};
    uint64_t h = hash_ptr(hash_ptr(0, key), value);
    tag_entry *e = htab_find(t, h, tag_eq, &k);
    if (!e) {
        e = arena_dup(mem, &k, 1, sizeof k);
        htab_insert(t, h, e);
    }
    e->weight += w;
}

static void print_tag_group(const report *r, tabwriter *tw, tag_entry **e, size_t n)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += e[i]->weight;
    const char *u;
    double f = measure_scale(total, r->o.sample_unit, r->o.output_unit, &u);
    tabwriter_printf(tw, "%s:\t Total %.1f%s\n", e[0]->key, f, u);
    for (size_t i = 0; i < n; i++) {
        f = measure_scale(e[i]->weight, r->o.sample_unit, r->o.output_unit, &u);
        char pct[32];
        if (total > 0)
            tabwriter_printf(tw, " \t%.1f%s (%s):\t %s\n", f, u,
                             measure_percentage(pct, e[i]->weight, total), e[i]->value);
        else
            tabwriter_printf(tw, " \t%.1f%s:\t %s\n", f, u, e[i]->value);
    }
    tabwriter_printf(tw, "\n");
}

int report_tags(report *r, FILE *out, cp_err *err)
{
    (void)err;
    const cp_profile *p = r->p;
    htab t;
    arena mem;
    htab_init(&t, &htab_xalloc);
    arena_init(&mem);
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        int64_t w = s->values[r->o.value_index];
        for (size_t j = 0; j < s->n_labels; j++) {
            const cp_label *l = &s->labels[j];
            char v[64];
            const char *value =
                l->str
                    ? l->str
                    : intern_cstr(measure_scaled_label(
                          v, l->num, num_label_unit(&r->o.label_units, l->key), r->o.output_unit));
            add_tag(&t, &mem, l->key, value, w);
        }
    }
    tag_entry **all = xcalloc(t.len, sizeof *all);
    size_t n = 0;
    size_t cursor = 0;
    for (void **it; (it = htab_next(&t, &cursor));)
        all[n++] = *it;
    if (n > 1)
        qsort(all, n, sizeof *all, cmp_tags);
    tabwriter tw;
    tabwriter_init(&tw, 1, true);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && all[j]->key == all[i]->key)
            j++;
        print_tag_group(r, &tw, all + i, j - i);
        i = j;
    }
    tabwriter_flush(&tw, out);
    buf_free(&tw.text);
    free(all);
    htab_free(&t);
    arena_free(&mem);
    return 0;
}

/* ---- collapsed (folded) stacks ------------------------------------------ */

typedef struct folded {
    const char *stack; /* interned "root;...;leaf" */
    int64_t weight;
} folded;

static int folded_eq(const void *key, const void *item)
{
    return ((const folded *)item)->stack == key;
}

static int cmp_folded(const void *a, const void *b)
{
    return strcmp((*(folded *const *)a)->stack, (*(folded *const *)b)->stack);
}

int report_collapsed(report *r, FILE *out, cp_err *err)
{
    (void)err;
    const cp_profile *p = r->p;
    graph_opts go = {.value_index = r->o.value_index};
    graph *g = graph_nodes_only(p, &go);
    htab t;
    htab_init(&t, &htab_xalloc);
    arena mem;
    arena_init(&mem);
    buf b;
    buf_init(&b);
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        int64_t w = s->values[r->o.value_index];
        buf_reset(&b);
        /* Root first: walk locations from the end, lines from the caller. */
        for (size_t j = s->n_locs; j-- > 0;) {
            size_t li = s->locs[j]->index;
            for (size_t k = g->loc_n_nodes[li]; k-- > 0;) {
                if (b.len)
                    buf_append_byte(&b, ';');
                buf_append_str(&b, g->loc_nodes[li][k]->printable);
            }
        }
        if (w == 0 || b.len == 0)
            continue;
        const char *stack = intern((const char *)b.data, b.len);
        uint64_t h = hash_ptr(0, stack);
        folded *f = htab_find(&t, h, folded_eq, stack);
        if (!f) {
            f = arena_alloc(&mem, 1, sizeof *f);
            f->stack = stack;
            htab_insert(&t, h, f);
        }
        f->weight += w;
    }
    folded **all = xcalloc(t.len, sizeof *all);
    size_t n = 0;
    size_t cursor = 0;
    for (void **it; (it = htab_next(&t, &cursor));)
        all[n++] = *it;
    if (n > 1)
        qsort(all, n, sizeof *all, cmp_folded);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %lld\n", all[i]->stack, (long long)all[i]->weight);
    free(all);
    buf_free(&b);
    htab_free(&t);
    arena_free(&mem);
    graph_free(g);
    return 0;
}

int report_comments(report *r, FILE *out, cp_err *err)
{
    (void)err;
    for (size_t i = 0; i < r->p->n_comments; i++)
        fprintf(out, "%s\n", r->p->comments[i]);
    return 0;
}
