/*
 * report_dot.c — the call graph in graphviz DOT (-dot), and rendered to SVG
 * by graphviz's dot (-callgraph_svg), after google/pprof's
 * internal/graph/dotgraph.go.
 *
 * The graph is the one top/tree use: report_trimmed_graph, so node and
 * edge dropping follow -nodecount (default 80), -nodefraction and
 * -edgefraction exactly as in the text reports; the legend is their header
 * lines. Node labels are pprof's ("pkg\nName\nflat (flat%)\nof cum
 * (cum%)"), font size grows with flat, colours with cum (red for positive,
 * green for negative values, as pprof's dotColor), edges carry their weight,
 * dotted when residual (frames trimmed between the two nodes), "(inline)"
 * when inlined. The layout is not pprof's byte for byte (no such promise is
 * made for graphs); graphviz parses it.
 *
 * -callgraph_svg writes the DOT text to a temporary file and reads `dot
 * -Tsvg FILE` through popen; when dot is not on PATH it fails before
 * writing anything, in one line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "hash_table.h"
#include "profile/measure.h"
#include "report.h"

/* A DOT string body: quotes and backslashes escaped, newlines as \n. */
static void dot_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if (*s == '\n')
            fputs("\\n", out);
        else
            fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
    }
}

/* pprof's multi-line node name: package and scope separators break lines. */
static void dot_node_name(FILE *out, const char *name)
{
    for (const char *s = name; *s; s++) {
        if (s[0] == ':' && s[1] == ':') {
            fputs("\\n", out);
            s++;
        } else if (*s == '.' && s != name && s[1] && s[1] != '.' && s[-1] != '.') {
            fputs("\\n", out);
        } else if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s, out);
        } else {
            fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
        }
    }
}

/* dotgraph.go dotColor: score in [-1, 1], red for positive, green for
 * negative; pale for the background, saturated for the outline. */
static void dot_color(double score, bool background, char out[8])
{
    const double shift = 0.7;
    double saturation = background ? 0.1 : 1.0, value = background ? 0.93 : 0.7;
    score = fmax(-1.0, fmin(1.0, score));
    if (fabs(score) < 0.2)
        saturation *= fabs(score) / 0.2;
    if (score > 0)
        score = pow(score, 1.0 - shift);
    if (score < 0)
        score = -pow(-score, 1.0 - shift);
    double r, g, b;
    if (score < 0) {
        g = value;
        r = value * (1 + saturation * score);
    } else {
        r = value;
        g = value * (1 - saturation * score);
    }
    b = value * (1 - saturation);
    snprintf(out, 8, "#%02x%02x%02x", (unsigned)(r * 255.0) & 0xff, (unsigned)(g * 255.0) & 0xff,
             (unsigned)(b * 255.0) & 0xff);
}

static void write_legend(report *r, FILE *out, const graph *g, size_t orig, size_t dropped)
{
    strlist lines = {0};
    report_labels(r, g, orig, dropped, &lines);
    if (lines.n == 0)
        return;
    fputs("subgraph cluster_L { \"", out);
    dot_escape(out, lines.v[0]);
    fputs("\" [shape=box fontsize=16 label=\"", out);
    for (size_t i = 0; i < lines.n; i++) {
        dot_escape(out, lines.v[i]);
        fputs("\\l", out);
    }
    fputs("\" tooltip=\"", out);
    dot_escape(out, lines.v[0]);
    fputs("\"] }\n", out);
    strlist_free(&lines);
}

static void write_node(report *r, FILE *out, const gnode *n, size_t id, int64_t max_flat)
{
    char flat[64], cum[64], fp[32], cp[32], fg[8], bg[8];
    double score = r->total ? (double)n->cum / (double)abs64(r->total) : 0;
    double font = 8 + ceil(16 * sqrt(max_flat ? (double)abs64(n->flat) / (double)max_flat : 0));
    dot_color(score, false, fg);
    dot_color(score, true, bg);
    fprintf(out, "N%zu [label=\"", id);
    dot_node_name(out, n->printable);
    report_format_value(r, n->flat, flat);
    report_format_value(r, n->cum, cum);
    measure_percentage(fp, n->flat, r->total);
    measure_percentage(cp, n->cum, r->total);
    /* pprof: "flat (flat%)" or "0", then " of cum (cum%)" (own line after a flat value). */
    if (n->flat != 0)
        fprintf(out, "\\n%s (%s)", flat, fp + strspn(fp, " "));
    else
        fputs("\\n0", out);
    if (n->cum != n->flat)
        fprintf(out, "%sof %s (%s)", n->flat != 0 ? "\\n" : " ", cum, cp + strspn(cp, " "));
    fprintf(out, "\" id=\"node%zu\" fontsize=%.0f shape=box tooltip=\"", id, font);
    dot_escape(out, n->printable);
    fprintf(out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cum, fg, bg);
}

/* Node ids (N1, N2...) are positions in the sorted graph; edges look them
 * up by pointer (a graph can have thousands of nodes with -nodecount=0). */
typedef struct node_ids {
    htab t; /* gnode * -> its slot in graph.nodes */
} node_ids;

static int node_id_eq(const void *key, const void *item)
{
    return *(const gnode *const *)item == key;
}

static void node_ids_build(node_ids *m, const graph *g)
{
    htab_init(&m->t, &htab_xalloc);
    for (size_t i = 0; i < g->n_nodes; i++)
        htab_insert(&m->t, hash_ptr(0, g->nodes[i]), &g->nodes[i]);
}

static size_t node_id(const node_ids *m, const graph *g, const gnode *want)
{
    gnode **slot = htab_find(&m->t, hash_ptr(0, want), node_id_eq, want);
    return slot ? (size_t)(slot - g->nodes) + 1 : 0;
}

static void write_edge(report *r, FILE *out, const graph *g, const node_ids *ids, const gedge *e,
                       int64_t max_edge)
{
    size_t from = node_id(ids, g, e->src), to = node_id(ids, g, e->dest);
    if (!from || !to)
        return;
    char w[64], col[8];
    double score = r->total ? (double)e->weight / (double)abs64(r->total) : 0;
    double share = max_edge ? (double)abs64(e->weight) / (double)max_edge : 0;
    dot_color(score, false, col);
    report_format_value(r, e->weight, w);
    fprintf(out, "N%zu -> N%zu [label=\" %s%s\" weight=%d penwidth=%.2f color=\"%s\"", from, to, w,
            e->is_inline ? "\\n (inline)" : "", 1 + (int)(100 * share), 1 + 5 * share, col);
    if (e->residual)
        fputs(" style=\"dotted\"", out);
    fputs(" tooltip=\"", out);
    dot_escape(out, e->src->printable);
    fputs(" -> ", out);
    dot_escape(out, e->dest->printable);
    fprintf(out, " (%s)\"]\n", w);
}

int report_dot(report *r, FILE *out, cp_err *err)
{
    (void)err;
    size_t orig = 0, dropped = 0;
    graph *g = report_trimmed_graph(r, &orig, &dropped);
    report_select_output_unit(r, g);
    fputs("digraph \"unnamed\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n", out);
    write_legend(r, out, g, orig, dropped);
    int64_t max_flat = 0, max_edge = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (abs64(g->nodes[i]->flat) > max_flat)
            max_flat = abs64(g->nodes[i]->flat);
        for (size_t j = 0; j < g->nodes[i]->n_out; j++)
            if (!g->nodes[i]->out[j]->removed && abs64(g->nodes[i]->out[j]->weight) > max_edge)
                max_edge = abs64(g->nodes[i]->out[j]->weight);
    }
    for (size_t i = 0; i < g->n_nodes; i++)
        write_node(r, out, g->nodes[i], i + 1, max_flat);
    node_ids ids;
    node_ids_build(&ids, g);
    for (size_t i = 0; i < g->n_nodes; i++) {
        size_t n;
        gedge **edges = node_edges_sorted(g->nodes[i], false, &n);
        for (size_t j = 0; j < n; j++)
            write_edge(r, out, g, &ids, edges[j], max_edge);
        free(edges);
    }
    htab_free(&ids.t);
    fputs("}\n", out);
    graph_free(g);
    return 0;
}

/* ---- rendering through graphviz ----------------------------------------- */

static bool dot_on_path(void)
{
    const char *path = getenv("PATH");
    char dir[4096], file[4200];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(dir, sizeof dir, "%.*s", (int)n, n ? path : ".");
        snprintf(file, sizeof file, "%s/dot", dir);
        if (access(file, X_OK) == 0)
            return true;
        path = colon ? colon + 1 : NULL;
    }
    return false;
}

static int copy_stream(FILE *from, FILE *to)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, from)) > 0)
        if (fwrite(chunk, 1, n, to) != n)
            return -1;
    return ferror(from) ? -1 : 0;
}

int report_callgraph_svg(report *r, FILE *out, cp_err *err)
{
    if (!dot_on_path()) {
        cp_err_set(err, "callgraph_svg needs graphviz's dot on PATH (install graphviz, or use "
                        "-dot and render it elsewhere)");
        return -1;
    }
    const char *tmpdir = getenv("TMPDIR");
    char path[4096], cmd[4200];
    snprintf(path, sizeof path, "%s/cprof-dot.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    FILE *dot = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!dot) {
        cp_err_set(err, "temporary file for dot: %m");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    report_dot(r, dot, err);
    int rc = fclose(dot) == 0 ? 0 : -1;
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s'", path);
    FILE *svg = rc == 0 ? popen(cmd, "r") : NULL;
    if (!svg || copy_stream(svg, out) != 0)
        rc = -1;
    int status = svg ? pclose(svg) : -1;
    unlink(path);
    if (rc != 0 || status != 0) {
        cp_err_set(err, "dot -Tsvg failed (status %d)", status);
        return -1;
    }
    return 0;
}
