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
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "hash.h"
#include "hash_table.h"
#include "profile/measure.h"
#include "report.h"

/* escapeForDot: quotes and backslashes escaped, a newline as \l (a
 * left-justified line break); control characters as '?'. */
static void dot_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if (*s == '\n')
            fputs("\\l", out);
        else
            fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
    }
}

static bool go_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* group of re (POSIX ERE) in s when it matches, into out; false if not. */
static bool regex_group(const char *pattern, int group, const char *s, char *out, size_t cap)
{
    regex_t re;
    regmatch_t m[8];
    if (regcomp(&re, pattern, REG_EXTENDED) != 0)
        return false;
    bool ok = regexec(&re, s, 8, m, 0) == 0 && m[group].rm_so >= 0;
    if (ok)
        snprintf(out, cap, "%.*s", (int)(m[group].rm_eo - m[group].rm_so), s + m[group].rm_so);
    regfree(&re);
    return ok;
}

/* graph.ShortenFunctionName into out (cap bytes): C++'s anonymous
 * namespace prefix and a Go module's /vN dropped, then the first of: a Go
 * name without its package path (goRegExp), a Java method without its
 * package, a C++ Class::method without its namespaces. */
static void shorten_function_name(const char *f, char *out, size_t cap)
{
    char buf[4096];
    static const char anon[] = "(anonymous namespace)::";
    if (!strncmp(f, anon, sizeof anon - 1))
        f += sizeof anon - 1;
    snprintf(buf, sizeof buf, "%s", f);
    /* goVerRegExp: ^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$ */
    for (char *v = strstr(buf, "/v"); v; v = strstr(v + 1, "/v")) {
        const char *d = v + 2;
        size_t n = strspn(d, "0123456789");
        if (n == 0 || (n == 1 && *d < '2') || (n > 1 && *d == '0') || (d[n] != '.' && d[n] != '/'))
            continue;
        memmove(v, d + n, strlen(d + n) + 1);
        break;
    }
    /* goRegExp: ^(?:[\w\-\.]+\/)+(.+) */
    size_t i = 0, cut = 0;
    for (;;) {
        size_t start = i;
        while (go_word_char(buf[i]))
            i++;
        if (i == start || buf[i] != '/')
            break;
        cut = ++i;
    }
    if (cut > 0 && buf[cut]) {
        snprintf(out, cap, "%s", buf + cut);
        return;
    }
    if (regex_group(
            "^([a-z][[:alnum:]_]*\\.)*([A-Z][[:alnum:]_$]*\\.(<init>|[a-z][[:alnum:]_$]*(\\$["
            "0-9]+)?))(\\(|$)",
            2, buf, out, cap) ||
        regex_group("^([_a-zA-Z][[:alnum:]_]*::)+(_*[A-Z][[:alnum:]_]*::~?[_a-zA-Z][[:alnum:]_]*(<"
                    ".*>)?)",
                    2, buf, out, cap))
        return;
    snprintf(out, cap, "%s", buf);
}

/* multilinePrintableName: the shortened name, escaped, broken at "::" and
 * "." ("[...]", Go's type parameters, kept as "[…]"), then the file's base
 * name (and line) or the binary, each component on its line, ending in a
 * line break. */
static void dot_node_name(FILE *out, const node_info *i)
{
    char name[4096];
    shorten_function_name(i->name, name, sizeof name);
    if (i->address)
        fprintf(out, "%016" PRIx64 "\\n", i->address);
    if (*i->name) {
        for (const char *s = name; *s; s++) {
            if (s[0] == ':' && s[1] == ':') {
                fputs("\\n", out);
                s++;
            } else if (!strncmp(s, "[...]", 5)) {
                fputs("[\xe2\x80\xa6]", out);
                s += 4;
            } else if (*s == '.') {
                fputs("\\n", out);
            } else if (*s == '\n') {
                fputs("\\l", out);
            } else {
                if (*s == '"' || *s == '\\')
                    fputc('\\', out);
                fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
            }
        }
        fputs("\\n", out);
    }
    const char *file = *i->file ? path_base(i->file) : "";
    if (i->lineno != 0) {
        dot_escape(out, file);
        fprintf(out, ":%" PRId64 "\\n", i->lineno);
    } else if (*file) {
        dot_escape(out, file);
        fputs("\\n", out);
    } else if (*i->name) {
    } else if (*i->objfile) {
        fputs("[", out);
        dot_escape(out, path_base(i->objfile));
        fputs("]\\n", out);
    } else {
        fputs("<unknown>\\n", out);
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

/* The graph's title (report.New's Title): the main binary's base name, or
 * "" (the graph is then "unnamed"). */
static const char *graph_title(const report *r)
{
    const cp_profile *p = r->p;
    return p->n_mappings > 0 && *p->mappings[0]->file ? path_base(p->mappings[0]->file) : "";
}

/* addLegend: the header lines in a box, each ending in \l. */
static void write_legend(report *r, FILE *out, const strlist *lines)
{
    if (lines->n == 0)
        return;
    fputs("subgraph cluster_L { \"", out);
    dot_escape(out, lines->v[0]);
    fputs("\" [shape=box fontsize=16 label=\"", out);
    for (size_t i = 0; i < lines->n; i++) {
        dot_escape(out, lines->v[i]);
        fputs("\\l", out);
    }
    fputs("\"", out);
    if (*graph_title(r)) {
        fputs(" tooltip=\"", out);
        dot_escape(out, graph_title(r));
        fputs("\"", out);
    }
    fputs("] }\n", out);
}

/* addNode: the name, "flat (flat%)" or "0", and " of cum (cum%)" when cum
 * differs (own line after a flat value), the mean with -mean; font size by
 * flat, colours by cum. */
static void write_node(report *r, FILE *out, const gnode *n, size_t id, double max_flat)
{
    char flat_s[64], cum_s[64], fp[32], cp[32], fg[8], bg[8];
    int64_t flat = gnode_flat_value(n), cum = gnode_cum_value(n);
    double score = r->total ? (double)cum / (double)abs64(r->total) : 0;
    int font = 8;
    if (max_flat != 0 && flat != 0 && (double)abs64(flat) <= max_flat)
        font += (int)ceil(16.0 * sqrt((double)abs64(flat) / max_flat));
    dot_color(score, false, fg);
    dot_color(score, true, bg);
    fprintf(out, "N%zu [label=\"", id);
    dot_node_name(out, &n->info);
    report_format_value(r, flat, flat_s);
    measure_percentage(fp, flat, r->total);
    const char *cum_shown = flat_s;
    if (flat != 0)
        fprintf(out, "%s (%s)", flat_s, fp + strspn(fp, " "));
    else
        fputs("0", out);
    if (cum != flat) {
        cum_shown = report_format_value(r, cum, cum_s);
        measure_percentage(cp, cum, r->total);
        fprintf(out, "%sof %s (%s)", flat != 0 ? "\\n" : " ", cum_s, cp + strspn(cp, " "));
    }
    fprintf(out, "\" id=\"node%zu\" fontsize=%d shape=box tooltip=\"", id, font);
    dot_escape(out, n->printable);
    fprintf(out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cum_shown, fg, bg);
}

/* ---- nodelets: a node's tags drawn under it (dotgraph.go addNodelets) ---- */

#define MAX_NODELETS 4

/* SortTags: by |cum| (unless *flat), then |flat|, then name. */
static int cmp_tags(const void *pa, const void *pb, void *flat)
{
    const gtag *a = *(gtag *const *)pa, *b = *(gtag *const *)pb;
    if (!*(bool *)flat && a->cum != b->cum)
        return abs64(a->cum) > abs64(b->cum) ? -1 : 1;
    if (a->flat != b->flat)
        return abs64(a->flat) > abs64(b->flat) ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void sort_tags(gtag **ts, size_t n, bool flat)
{
    if (n > 1)
        qsort_r(ts, n, sizeof *ts, cmp_tags, &flat);
}

/* tagDistance: |t's value - u's in t's unit|. */
static double tag_distance(const gtag *t, const gtag *u)
{
    const char *unused;
    double v = measure_scale(u->value, u->unit, t->unit, &unused);
    return v < (double)t->value ? (double)t->value - v : v - (double)t->value;
}

/* collapsedTags: ts sorted; past count of them, each joins the group of
 * the nearest of the first count, and a group becomes one tag named
 * "min..max" (tagGroupLabel) with its summed values (means with -mean).
 * The tags to draw (arena's), *n updated. */
static gtag **collapsed_tags(arena *mem, gtag **ts, size_t *n, size_t count, bool flat)
{
    sort_tags(ts, *n, flat);
    if (*n <= count)
        return ts;
    size_t *group = arena_alloc(mem, *n, sizeof *group);
    for (size_t i = 0; i < *n; i++) {
        group[i] = i;
        if (i < count)
            continue;
        double d = tag_distance(ts[i], ts[0]);
        group[i] = 0;
        for (size_t k = 1; k < count; k++) {
            double nd = tag_distance(ts[i], ts[k]);
            if (nd < d)
                group[i] = k, d = nd;
        }
    }
    gtag **out = arena_alloc(mem, count, sizeof *out);
    for (size_t k = 0; k < count; k++) {
        gtag *t = arena_alloc(mem, 1, sizeof *t), *min = ts[k], *max = ts[k];
        int64_t f = min->flat, df = min->flat_div, c = min->cum, dc = min->cum_div;
        size_t members = 1;
        const char *unused;
        for (size_t i = count; i < *n; i++) {
            if (group[i] != k)
                continue;
            members++;
            if ((int64_t)measure_scale(ts[i]->value, ts[i]->unit, min->unit, &unused) < min->value)
                min = ts[i];
            if ((int64_t)measure_scale(ts[i]->value, ts[i]->unit, max->unit, &unused) > max->value)
                max = ts[i];
            f += ts[i]->flat, df += ts[i]->flat_div, c += ts[i]->cum, dc += ts[i]->cum_div;
        }
        char a[64], b[64];
        if (members == 1) {
            t->name = arena_printf(mem, "%s", measure_label(a, ts[k]->value, ts[k]->unit));
            t->flat = gtag_flat_value(ts[k]);
            t->cum = gtag_cum_value(ts[k]);
        } else {
            t->name = arena_printf(mem, "%s..%s", measure_label(a, min->value, min->unit),
                                   measure_label(b, max->value, max->unit));
            t->flat = df ? f / df : f;
            t->cum = dc ? c / dc : c;
        }
        out[k] = t;
    }
    *n = count;
    sort_tags(out, count, flat);
    return out;
}

/* One nodelet: the box N<box>_<j> named name (as pprof writes it: the
 * joined labels' \n breaks lines; only a quote is escaped), and its edge
 * from the box named from, weighing w (attr: more edge attributes). */
static void write_nodelet(report *r, FILE *out, const char *box, const char *from, size_t j,
                          const char *name, int64_t w, const char *attr)
{
    char weight[64];
    report_format_value(r, w, weight);
    fprintf(out, "N%s_%zu [label = \"", box, j);
    for (const char *c = name; *c; c++) { /* pprof writes it as it is; a quote would end it */
        if (*c == '"')
            fputc('\\', out);
        fputc((unsigned char)*c < 0x20 ? '?' : *c, out);
    }
    fprintf(out, "\" id=\"N%s_%zu\" fontsize=8 shape=box3d tooltip=\"%s\"]\n", box, j, weight);
    fprintf(out, "%s -> N%s_%zu [label=\" %s\" weight=100 tooltip=\"%s\" labeltooltip=\"%s\"%s]\n",
            from, box, j, weight, weight, weight, attr);
}

/* numericNodelets: the numeric tags nts (at most MAX_NODELETS boxes) under
 * the box named source. Whether anything was drawn. */
static bool numeric_nodelets(report *r, FILE *out, arena *mem, gtag **nts, size_t n, bool flat,
                             const char *source)
{
    bool drawn = false;
    gtag **ts = collapsed_tags(mem, nts, &n, MAX_NODELETS, flat);
    for (size_t j = 0; j < n; j++) {
        int64_t w = gtag_cum_value(ts[j]);
        const char *attr = " style=\"dotted\"";
        if (flat || gtag_flat_value(ts[j]) == gtag_cum_value(ts[j]))
            w = gtag_flat_value(ts[j]), attr = "";
        if (w == 0)
            continue;
        write_nodelet(r, out, source, source, j, ts[j]->name, w, attr);
        drawn = true;
    }
    return drawn;
}

/* addNodelets: n's label tags (the MAX_NODELETS heaviest) and under each
 * its numeric tags, then the numeric tags of unlabelled samples; flat
 * values for a node with callees, cum for a leaf. Whether anything was
 * drawn. */
static bool write_nodelets(report *r, FILE *out, const gnode *n, size_t id)
{
    bool flat = false, drawn = false;
    for (size_t i = 0; i < n->n_out && !flat; i++)
        flat = !n->out[i]->removed && n->out[i]->src == n;
    arena mem;
    arena_init(&mem);
    gtag **labels = arena_alloc(&mem, n->n_tags + 1, sizeof *labels);
    gtag **nums = arena_alloc(&mem, n->n_tags + 1, sizeof *nums);
    size_t nl = 0;
    for (size_t i = 0; i < n->n_tags; i++)
        if (!n->tags[i]->removed && !n->tags[i]->labels)
            labels[nl++] = n->tags[i];
    sort_tags(labels, nl, flat);
    if (nl > MAX_NODELETS)
        nl = MAX_NODELETS;
    char source[64];
    for (size_t i = 0; i < nl; i++) {
        gtag *t = labels[i];
        int64_t w = flat ? gtag_flat_value(t) : gtag_cum_value(t);
        if (w == 0)
            continue;
        char box[32], from[32];
        snprintf(box, sizeof box, "%zu", id);
        snprintf(from, sizeof from, "N%zu", id);
        write_nodelet(r, out, box, from, i, t->name, w, "");
        drawn = true;
        size_t nn = 0;
        for (size_t k = 0; k < n->n_tags; k++)
            if (!n->tags[k]->removed && n->tags[k]->labels == t->name)
                nums[nn++] = n->tags[k];
        snprintf(source, sizeof source, "N%zu_%zu", id, i);
        if (nn)
            numeric_nodelets(r, out, &mem, nums, nn, flat, source);
    }
    size_t nn = 0;
    for (size_t k = 0; k < n->n_tags; k++)
        if (!n->tags[k]->removed && n->tags[k]->labels && !*n->tags[k]->labels)
            nums[nn++] = n->tags[k];
    snprintf(source, sizeof source, "N%zu", id);
    if (nn && numeric_nodelets(r, out, &mem, nums, nn, flat, source))
        drawn = true;
    arena_free(&mem);
    return drawn;
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

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* addEdge: the weight (the mean with -mean), "(inline)", graphviz's
 * weight and pen width by the share of the total, dotted when residual
 * (the tooltip then says "..." instead of "->"). */
static void write_edge(report *r, FILE *out, const graph *g, const node_ids *ids, const gedge *e,
                       const bool *has_nodelets)
{
    size_t from = node_id(ids, g, e->src), to = node_id(ids, g, e->dest);
    if (!from || !to)
        return;
    char w[64], col[8];
    int64_t v = gedge_weight_value(e), total = r->total;
    report_format_value(r, v, w);
    fprintf(out, "N%zu -> N%zu [label=\" %s%s\"", from, to, w, e->is_inline ? "\\n (inline)" : "");
    if (total != 0) {
        int weight = 1 + (int)min64(abs64(v * 100 / total), 100);
        int width = 1 + (int)min64(abs64(v * 5 / total), 5);
        if (weight > 1)
            fprintf(out, " weight=%d", weight);
        if (width > 1)
            fprintf(out, " penwidth=%d", width);
        dot_color((double)v / (double)abs64(total), false, col);
        fprintf(out, " color=\"%s\"", col);
    }
    for (int k = 0; k < 2; k++) {
        fputs(k ? " labeltooltip=\"" : " tooltip=\"", out);
        dot_escape(out, e->src->printable);
        fputs(e->residual ? " ... " : " -> ", out);
        dot_escape(out, e->dest->printable);
        fprintf(out, " (%s)\"", w);
    }
    if (e->residual)
        fputs(" style=\"dotted\"", out);
    if (has_nodelets[from - 1]) /* children further from a source with tags */
        fputs(" minlen=2", out);
    fputs("]\n", out);
}

/* edgeList.Less, over every edge of the graph (EdgeMap.Sort). */
static int cmp_edges(const void *pa, const void *pb)
{
    const gedge *a = *(gedge *const *)pa, *b = *(gedge *const *)pb;
    if (a->weight != b->weight && abs64(a->weight) != abs64(b->weight))
        return abs64(a->weight) > abs64(b->weight) ? -1 : 1;
    int c = strcmp(a->src->printable, b->src->printable);
    return c ? c : strcmp(a->dest->printable, b->dest->printable);
}

int report_dot(report *r, FILE *out, cp_err *err)
{
    (void)err;
    size_t orig = 0, dropped = 0, dropped_edges = 0;
    graph *g = report_trimmed_graph(r, &orig, &dropped, &dropped_edges);
    report_select_output_unit(r, g);
    strlist labels = {0};
    report_labels(r, g, orig, dropped, dropped_edges, &labels);
    fputs("digraph \"", out);
    dot_escape(out, *graph_title(r) ? graph_title(r) : "unnamed");
    fputs("\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n", out);
    write_legend(r, out, &labels);
    strlist_free(&labels);
    double max_flat = g->n_nodes ? (double)abs64(gnode_flat_value(g->nodes[0])) : 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if ((double)abs64(gnode_flat_value(g->nodes[i])) > max_flat)
            max_flat = (double)abs64(gnode_flat_value(g->nodes[i]));
    size_t n_edges = 0, cap = 0;
    gedge **edges = NULL;
    bool *has_nodelets = xcalloc(g->n_nodes + 1, sizeof *has_nodelets);
    for (size_t i = 0; i < g->n_nodes; i++) {
        write_node(r, out, g->nodes[i], i + 1, max_flat);
        has_nodelets[i] = write_nodelets(r, out, g->nodes[i], i + 1);
        size_t n;
        gedge **mine = node_edges_sorted(g->nodes[i], false, &n);
        if (n_edges + n > cap) {
            cap = (n_edges + n) * 2;
            edges = xrealloc(edges, cap, sizeof *edges);
        }
        if (n)
            memcpy(edges + n_edges, mine, n * sizeof *mine);
        n_edges += n;
        free(mine);
    }
    if (n_edges > 1)
        qsort(edges, n_edges, sizeof *edges, cmp_edges);
    node_ids ids;
    node_ids_build(&ids, g);
    for (size_t i = 0; i < n_edges; i++)
        write_edge(r, out, g, &ids, edges[i], has_nodelets);
    free(edges);
    free(has_nodelets);
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
