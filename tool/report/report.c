/*
 * report.c — see report.h. Transcribes google/pprof internal/report's
 * Report plumbing: totals, the trimmed graph, output-unit selection and the
 * header lines. The order of operations matters for exact output and is
 * pprof's: the total is computed before filtering (percentages are of the
 * whole profile), the graph is rebuilt from samples after each trimming
 * step, and the output unit is chosen from the final graph.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intern.h"
#include "profile/measure.h"

void print_lines(FILE *out, const strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        fprintf(out, "%s\n", l->v[i]);
}

/* computeTotal: sum of |value|; if the profile has -diff_base samples, the
 * total is that of the base alone (differences are relative to it). */
static int64_t compute_total(const cp_profile *p, int index, bool mean)
{
    int64_t total = 0, diff_total = 0, div = 0, diff_div = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        int64_t v = abs64(p->samples[i].values[index]);
        int64_t d = mean ? p->samples[i].values[0] : 0;
        total += v;
        div += d;
        if (sample_has_label(&p->samples[i], "pprof::base", "true")) {
            diff_total += v;
            diff_div += d;
        }
    }
    if (diff_total > 0) {
        total = diff_total;
        div = diff_div;
    }
    return div != 0 ? total / div : total;
}

void report_init(report *r, cp_profile *p, const report_opts *o)
{
    r->p = p;
    r->o = *o;
    r->total = compute_total(p, o->value_index, o->mean);
}

char *report_format_value(const report *r, int64_t v, char *out)
{
    if (r->o.ratio > 0 && r->o.ratio != 1)
        v = (int64_t)((double)v * r->o.ratio);
    return measure_scaled_label(out, v, r->o.sample_unit, r->o.output_unit);
}

/* ---- source paths (report.go trimPath) ---------------------------------- */

static int next_list_item(const char **list, char *out, size_t cap)
{
    if (!*list)
        return 0;
    const char *colon = strchr(*list, ':');
    size_t n = colon ? (size_t)(colon - *list) : strlen(*list);
    snprintf(out, cap, "%.*s", (int)n, *list);
    *list = colon ? colon + 1 : NULL;
    return 1;
}

const char *trim_source_path(const char *path, const char *trim_path, const char *search_path)
{
    char item[4096], want[4200];
    if (!*trim_path) {
        /* Guess: the base name of a search directory inside the path. */
        const char *list = *search_path ? search_path : NULL;
        while (next_list_item(&list, item, sizeof item)) {
            snprintf(want, sizeof want, "/%s/", path_base(item));
            const char *found = strstr(path, want);
            if (found)
                return intern_cstr(found + strlen(want));
        }
    }
    const char *list = *trim_path ? trim_path : NULL;
    int builtin = 0;
    for (;;) {
        if (!next_list_item(&list, item, sizeof item)) {
            static const char *const fixed[] = {"/proc/self/cwd/./", "/proc/self/cwd/"};
            if (builtin == 2)
                break;
            snprintf(item, sizeof item, "%s", fixed[builtin++]);
        }
        size_t n = strlen(item);
        if (n == 0 || item[n - 1] != '/')
            snprintf(item + n, sizeof item - n, "/");
        if (!strncmp(path, item, strlen(item)))
            return intern_cstr(path + strlen(item));
    }
    return path;
}

/* ---- graphs ------------------------------------------------------------- */

/* report.newGraph: the graph of r's profile (the call tree with
 * r->o.call_tree), only the nodes in kept when it is given. */
static graph *new_graph(report *r, const node_set *kept, bool obj_names, bool edges)
{
    cp_profile *p = r->p;
    for (size_t i = 0; i < p->n_functions; i++)
        p->functions[i]->filename =
            trim_source_path(p->functions[i]->filename, r->o.trim_path, r->o.source_path);
    /* Base samples are only marked to compute the total. */
    profile_remove_label(p, "pprof::base");
    graph_opts go = {
        .value_index = r->o.value_index,
        .mean = r->o.mean,
        .obj_names = obj_names,
        .drop_negative = r->o.drop_negative,
        .kept = kept,
        .no_edges = !edges,
        .call_tree = r->o.call_tree,
        .tags = report_is_visual(r),
        .label_units = &r->o.label_units,
        .output_unit = r->o.output_unit,
    };
    return graph_new(p, &go);
}

graph *report_new_graph(report *r, const node_set *kept, bool obj_names)
{
    return new_graph(r, kept, obj_names, true);
}

static void keep_nodes(node_set *s, gnode *const *nodes, size_t n, int64_t cutoff)
{
    node_set_init(s);
    for (size_t i = 0; i < n; i++)
        if (abs64(nodes[i]->cum) >= cutoff)
            node_set_add(s, &nodes[i]->info);
}

bool report_is_visual(const report *r)
{
    return r->o.format == FMT_DOT || r->o.format == FMT_CALLGRAPH_SVG;
}

/* graph_trim_tree keeping the first n of g's nodes. */
static void keep_first(graph *g, size_t n)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i]->keep = i < n;
    graph_trim_tree(g);
}

graph *report_trimmed_graph(report *r, size_t *orig_count, size_t *dropped_nodes,
                            size_t *dropped_edges)
{
    size_t unused;
    if (!dropped_edges)
        dropped_edges = &unused;
    const report_opts *o = &r->o;
    bool visual = report_is_visual(r), tree = o->call_tree;
    enum node_order order = visual ? ORDER_ENTROPY : o->cum_sort ? ORDER_CUM_NAME : ORDER_FLAT_NAME;
    /* When nodes may be dropped, the first graph only serves to pick them,
     * and node values do not depend on edges: it is built without its
     * edges, on a big profile most of the cost (3 M edges for 200,000
     * samples of the analyzer benchmark). Kept whole, it is built again.
     * The graph views' order depends on the edges: they are built then. A
     * call tree is trimmed in place (a node_info names several of its
     * nodes), never rebuilt. */
    bool edges = o->node_fraction == 0 || visual || tree;
    graph *g = new_graph(r, NULL, false, edges);
    int64_t total_value;
    nodes_sum(g->nodes, g->n_nodes, &total_value, NULL);
    int64_t node_cutoff = abs64((int64_t)((double)total_value * o->node_fraction));
    int64_t edge_cutoff = abs64((int64_t)((double)total_value * o->edge_fraction));
    *dropped_nodes = 0;
    if (node_cutoff > 0 && tree) {
        size_t kept = 0;
        for (size_t i = 0; i < g->n_nodes; i++)
            kept += g->nodes[i]->keep = abs64(g->nodes[i]->cum) >= node_cutoff;
        if (kept != g->n_nodes) {
            *dropped_nodes = g->n_nodes - kept;
            graph_trim_tree(g);
        }
    } else if (node_cutoff > 0) {
        node_set kept;
        keep_nodes(&kept, g->nodes, g->n_nodes, node_cutoff);
        if (kept.t.len != g->n_nodes) {
            *dropped_nodes = g->n_nodes - kept.t.len;
            graph_free(g);
            g = report_new_graph(r, &kept, false);
            edges = true;
        }
        node_set_free(&kept);
    }
    if (!edges) {
        graph_free(g);
        g = report_new_graph(r, NULL, false);
    }
    *orig_count = g->n_nodes;
    graph_sort(g->nodes, g->n_nodes, order);
    if (o->node_count > 0) {
        graph_trim_tags(g, node_cutoff);
        graph_trim_edges(g, edge_cutoff);
        size_t top = graph_select_top(g, (size_t)o->node_count, visual);
        if (top != g->n_nodes && tree) {
            keep_first(g, top);
        } else if (top != g->n_nodes) {
            node_set kept;
            keep_nodes(&kept, g->nodes, top, 0);
            graph_free(g);
            g = report_new_graph(r, &kept, false);
            node_set_free(&kept);
        }
        if (top != *orig_count)
            graph_sort(g->nodes, g->n_nodes, order);
    }
    graph_trim_tags(g, node_cutoff);
    *dropped_edges = graph_trim_edges(g, edge_cutoff);
    if (visual)
        graph_remove_redundant_edges(g);
    return g;
}

void report_select_output_unit(report *r, const graph *g)
{
    report_opts *o = &r->o;
    if (strcmp(o->output_unit, "minimum") != 0 || g->n_nodes == 0)
        return;
    int64_t min_value = 0, max_value = r->total;
    for (size_t i = 0; i < g->n_nodes; i++) {
        int64_t v = abs64(gnode_flat_value(g->nodes[i]));
        if (v == 0)
            v = abs64(gnode_cum_value(g->nodes[i]));
        if (v > 0 && (min_value == 0 || v < min_value))
            min_value = v;
    }
    if (min_value == 0)
        min_value = max_value;
    if (o->ratio > 0 && o->ratio != 1) {
        min_value = (int64_t)((double)min_value * o->ratio);
        max_value = (int64_t)((double)max_value * o->ratio);
    }
    const char *min_unit, *max_unit, *unit;
    measure_scale(min_value, o->sample_unit, "minimum", &min_unit);
    measure_scale(max_value, o->sample_unit, "minimum", &max_unit);
    unit = min_unit;
    if (strcmp(min_unit, max_unit) != 0 && min_value * 100 < max_value)
        measure_scale(100 * min_value, o->sample_unit, "minimum", &unit);
    o->output_unit = *unit ? intern_cstr(unit) : o->sample_unit;
}

/* ---- header lines ------------------------------------------------------- */

/* Go's time layout "Jan 2, 2006 at 3:04pm (MST)", local time. */
static void format_time(int64_t nanos, char *out, size_t cap)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t secs = (time_t)(nanos / 1000000000);
    if (nanos < 0 && nanos % 1000000000)
        secs--;
    struct tm tm;
    localtime_r(&secs, &tm);
    int hour12 = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
    snprintf(out, cap, "%s %d, %d at %d:%02d%s (%s)", months[tm.tm_mon], tm.tm_mday,
             tm.tm_year + 1900, hour12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm",
             tm.tm_zone ? tm.tm_zone : "UTC");
}

void report_profile_labels(const report *r, strlist *out)
{
    const cp_profile *p = r->p;
    char a[64], b[64], when[128];
    if (p->n_mappings > 0) {
        if (*p->mappings[0]->file)
            strlist_pushf(out, "File: %s", path_base(p->mappings[0]->file));
        if (*p->mappings[0]->build_id)
            strlist_pushf(out, "Build ID: %s", p->mappings[0]->build_id);
    }
    for (size_t i = 0; i < p->n_comments; i++)
        if (p->comments[i][0] != '#')
            strlist_push(out, p->comments[i]);
    if (*r->o.sample_type)
        strlist_pushf(out, "Type: %s", r->o.sample_type);
    if (p->time_nanos != 0) {
        format_time(p->time_nanos, when, sizeof when);
        strlist_pushf(out, "Time: %s", when);
    }
    if (p->duration_nanos != 0) {
        const char *unit;
        double total_ns = measure_scale(r->total, r->o.sample_unit, "nanoseconds", &unit);
        char ratio[48] = "", pct[32];
        if (!strcmp(unit, "ns") && total_ns != 0)
            snprintf(ratio, sizeof ratio, "(%s)",
                     measure_percentage(pct, (int64_t)total_ns, p->duration_nanos));
        strlist_pushf(out, "Duration: %s, Total samples = %s %s",
                      measure_label(a, p->duration_nanos, "nanoseconds"),
                      report_format_value(r, r->total, b), ratio);
    }
}

static const char *trim_space(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

void report_labels(const report *r, const graph *g, size_t orig_count, size_t dropped_nodes,
                   size_t dropped_edges, strlist *out)
{
    char a[64], b[64], pct[32];
    bool full = report_is_visual(r); /* the graph's legend: fullHeaders */
    if (full || !r->o.compact_labels)
        report_profile_labels(r, out);
    int64_t flat_sum = 0; /* of Node.FlatValue (the mean with -mean) */
    for (size_t i = 0; i < g->n_nodes; i++)
        flat_sum += gnode_flat_value(g->nodes[i]);
    if (r->o.active_filters.n > 0) {
        strlist_push(out, "Active filters:");
        for (size_t i = 0; i < r->o.active_filters.n; i++) {
            const char *s = r->o.active_filters.v[i];
            if (strlen(s) > 80)
                strlist_pushf(out, "   %.80s\xe2\x80\xa6", s);
            else
                strlist_pushf(out, "   %s", s);
        }
    }
    strlist_pushf(out, "Showing nodes accounting for %s, %s of %s total",
                  report_format_value(r, flat_sum, a),
                  trim_space(measure_percentage(pct, flat_sum, r->total)),
                  report_format_value(r, r->total, b));
    if (r->total != 0) {
        if (dropped_nodes > 0)
            strlist_pushf(
                out, "Dropped %zu node%s (cum <= %s)", dropped_nodes, dropped_nodes > 1 ? "s" : "",
                report_format_value(r, abs64((int64_t)((double)r->total * r->o.node_fraction)), a));
        if (dropped_edges > 0)
            strlist_pushf(
                out, "Dropped %zu edge%s (freq <= %s)", dropped_edges, dropped_edges > 1 ? "s" : "",
                report_format_value(r, abs64((int64_t)((double)r->total * r->o.edge_fraction)), a));
        if (g->n_nodes > 0 && g->n_nodes < orig_count)
            strlist_pushf(out, "Showing top %zu nodes out of %zu", g->n_nodes, orig_count);
    }
    if (full)
        strlist_push(out, "\nSee https://git.io/JfYMW for how to read the graph");
}
