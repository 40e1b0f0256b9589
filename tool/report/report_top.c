/*
 * report_top.c — the flat report (top/text) and the call-tree report
 * (tree, peek), as google/pprof's printText and printTree print them.
 *
 * Both walk the trimmed graph in its sorted order. A top row is
 *   flat flat% sum% cum cum% name [(inline)|(partial-inline)]
 * where sum% accumulates flat in row order and the inline marker comes from
 * the node's surviving incoming edges. Percentages are of the report total
 * (the unfiltered profile), exactly as pprof computes them.
 */
#include <stdlib.h>
#include <string.h>

#include "profile/filters.h"
#include "profile/measure.h"
#include "report.h"

/* TextItems' inline marker: are the calls into this node inlined? */
const char *report_inline_label(const gnode *n)
{
    bool inl = false, noinl = false;
    for (size_t i = 0; i < n->n_in; i++) {
        if (n->in[i]->removed)
            continue;
        if (n->in[i]->is_inline)
            inl = true;
        else
            noinl = true;
    }
    if (!inl)
        return "";
    return noinl ? " (partial-inline)" : " (inline)";
}

/* The graph top and tree print, trimmed as pprof trims it, after the
 * header lines (File, Type, Showing nodes ..., Dropped ...). */
static graph *trimmed_graph_with_header(report *r, FILE *out)
{
    size_t orig, dropped;
    graph *g = report_trimmed_graph(r, &orig, &dropped, NULL);
    report_select_output_unit(r, g);
    strlist labels = {0};
    report_labels(r, g, orig, dropped, 0, &labels);
    print_lines(out, &labels);
    strlist_free(&labels);
    return g;
}

int report_top(report *r, FILE *out, cp_err *err)
{
    (void)err;
    graph *g = trimmed_graph_with_header(r, out);
    fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
    int64_t flat_sum = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const gnode *n = g->nodes[i];
        char flat[64], cum[64], p1[32], p2[32], p3[32];
        int64_t fv = gnode_flat_value(n), cv = gnode_cum_value(n);
        flat_sum += fv;
        fprintf(out, "%10s %s %s %10s %s  %s%s\n", report_format_value(r, fv, flat),
                measure_percentage(p1, fv, r->total), measure_percentage(p2, flat_sum, r->total),
                report_format_value(r, cv, cum), measure_percentage(p3, cv, r->total), n->printable,
                report_inline_label(n));
    }
    graph_free(g);
    return 0;
}

static void print_edges(report *r, FILE *out, const gnode *n, bool incoming)
{
    size_t count;
    gedge **edges = node_edges_sorted(n, incoming, &count);
    for (size_t i = 0; i < count; i++) {
        const gedge *e = edges[i];
        char w[64], pct[32];
        /* pprof's printTree: the raw weight, a percentage of the cum value */
        fprintf(out, "%50s %s |   %s%s\n", report_format_value(r, e->weight, w),
                measure_percentage(pct, e->weight, gnode_cum_value(n)),
                (incoming ? e->src : e->dest)->printable, e->is_inline ? " (inline)" : "");
    }
    free(edges);
}

int report_tree(report *r, FILE *out, cp_err *err)
{
    static const char separator[] =
        "----------------------------------------------------------+-------------";
    static const char legend[] =
        "      flat  flat%   sum%        cum   cum%   calls calls% + context 	 	 ";
    graph *g = trimmed_graph_with_header(r, out);
    fprintf(out, "%s\n%s\n", separator, legend);
    int64_t flat_sum = 0;
    size_t matched = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const gnode *n = g->nodes[i];
        if (r->o.symbol && !regex_match(r->o.symbol, n->printable))
            continue;
        matched++;
        fprintf(out, "%s\n", separator);
        print_edges(r, out, n, true);
        char flat[64], cum[64], p1[32], p2[32], p3[32];
        int64_t fv = gnode_flat_value(n), cv = gnode_cum_value(n);
        flat_sum += fv;
        fprintf(out, "%10s %s %s %10s %s                | %s\n", report_format_value(r, fv, flat),
                measure_percentage(p1, fv, r->total), measure_percentage(p2, flat_sum, r->total),
                report_format_value(r, cv, cum), measure_percentage(p3, cv, r->total),
                n->printable);
        print_edges(r, out, n, false);
    }
    if (g->n_nodes > 0)
        fprintf(out, "%s\n", separator);
    graph_free(g);
    if (r->o.symbol && matched == 0) {
        cp_err_set(err, "no matches found for regexp: %s", r->o.symbol_src);
        return -1;
    }
    return 0;
}
