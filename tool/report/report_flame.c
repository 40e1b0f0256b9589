/*
 * report_flame.c — the flame graph as one self-contained SVG (-svg).
 *
 * The samples (already merged, filtered and aggregated to the granularity,
 * like every other report) are folded into a prefix tree, root first; the
 * frame names are graph_nodes_only's, so a frame is named exactly as in
 * top/collapsed. A frame's width is proportional to its cum value: the sum
 * of the samples whose stack passes through it, so children never exceed
 * their parent and the root ("all") is the sum of every sample.
 *
 * With a base (-base/-diff_base) samples may be negative. Each frame then
 * keeps the positive part (what grew: the profile) and the negative part
 * (what shrank: the base) separately; its width is |grown| + |shrunk| (the
 * only additive measure, so the nesting invariant still holds) and its
 * colour goes from red (grew) to green (shrank) by the share of its net
 * delta. Without a base, colours are a hash of the function name in a warm
 * palette, so one function has one colour everywhere.
 *
 * With -mean a frame stands for the mean over the samples through it, as
 * a node of pprof's call tree does (its CumValue: the sum over the sum of
 * the first values, the counts; the root "all" is the sum of its
 * children's, as pprof's flame graph's root): every value shown and every
 * width is the mean, in the same scale; a mean callee can be wider than
 * its caller, and is clipped to the caller's right edge.
 *
 * Output needs nothing external: no script, no web font (generic
 * monospace). Every frame is a <g data-value=".."> holding a <title>
 * tooltip (name, value, percent of the report total), its <rect>, its label
 * when it fits, and its children's <g>s: the tree is the XML nesting.
 * Frames narrower than MIN_WIDTH pixels are left out (not their parents).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "hash_table.h"
#include "intern.h"
#include "profile/measure.h"
#include "report.h"

#define IMAGE_WIDTH 1200.0
#define MARGIN 10.0
#define FRAME_HEIGHT 16.0
#define HEADER 40.0
#define MIN_WIDTH 0.1
#define GLYPH_WIDTH 7.0 /* 12px monospace, a little generous */

typedef struct frame frame;
struct frame {
    const char *name; /* interned */
    frame *parent, *first_child, *next_sibling;
    int64_t grown, shrunk; /* sums of positive / negative sample values */
    int64_t div;           /* -mean: the sum of the samples' first values (counts) */
    size_t n_children;
};

typedef struct flame {
    arena mem;
    htab children; /* (parent, name) -> frame */
    frame root;
    int depth; /* deepest frame, root = 0 */
    const report *r;
    bool diff, mean;
} flame;

typedef struct child_key {
    const frame *parent;
    const char *name;
} child_key;

static int child_eq(const void *key, const void *item)
{
    const child_key *k = key;
    const frame *f = item;
    return f->parent == k->parent && f->name == k->name;
}

static frame *child_of(flame *fl, frame *parent, const char *name)
{
    child_key k = {parent, name};
    uint64_t h = hash_ptr(hash_ptr(0, parent), name);
    frame *f = htab_find(&fl->children, h, child_eq, &k);
    if (f)
        return f;
    f = arena_alloc(&fl->mem, 1, sizeof *f);
    f->name = name;
    f->parent = parent;
    f->next_sibling = parent->first_child;
    parent->first_child = f;
    parent->n_children++;
    htab_insert(&fl->children, h, f);
    return f;
}

static void add_value(frame *f, int64_t v, int64_t dv)
{
    if (v > 0)
        f->grown += v;
    else
        f->shrunk += v;
    f->div += dv;
}

static void flame_add_sample(flame *fl, const graph *g, const cp_sample *s, int64_t v, int64_t dv)
{
    frame *f = &fl->root;
    int depth = 0;
    add_value(f, v, dv);
    /* Root first: locations from the end, a location's lines caller first. */
    for (size_t j = s->n_locs; j-- > 0;) {
        size_t li = s->locs[j]->index;
        for (size_t k = g->loc_n_nodes[li]; k-- > 0;) {
            f = child_of(fl, f, g->loc_nodes[li][k]->printable);
            add_value(f, v, dv);
            depth++;
        }
    }
    if (depth > fl->depth)
        fl->depth = depth;
}

/* With -mean, what a frame's sums are divided by (|counts|, or 1 when
 * they sum to 0, as Node.CumValue does). */
static int64_t frame_div(const flame *fl, const frame *f)
{
    return fl->mean && f->div != 0 ? abs64(f->div) : 1;
}

/* The value a frame's width stands for: grown + |shrunk| (the mean of
 * each with -mean). */
static int64_t frame_width_value(const flame *fl, const frame *f)
{
    return f->grown / frame_div(fl, f) - f->shrunk / frame_div(fl, f);
}

/* The value shown: the net sum, or Node.CumValue's mean with -mean. */
static int64_t frame_value(const flame *fl, const frame *f)
{
    int64_t net = f->grown + f->shrunk;
    return fl->mean && f->div != 0 ? net / f->div : net;
}

/* -mean: the root's value is its children's (pprof's rootValue), kept as
 * grown and shrunk over a divisor of 1. */
static void mean_root(flame *fl)
{
    int64_t grown = 0, shrunk = 0;
    for (frame *c = fl->root.first_child; c; c = c->next_sibling) {
        int64_t v = frame_value(fl, c);
        if (fl->diff) {
            grown += c->grown / frame_div(fl, c);
            shrunk += c->shrunk / frame_div(fl, c);
        } else if (v > 0) {
            grown += v;
        } else {
            shrunk += v;
        }
    }
    fl->root.grown = grown;
    fl->root.shrunk = shrunk;
    fl->root.div = 0;
}

static int cmp_frame_name(const void *a, const void *b)
{
    return strcmp((*(frame *const *)a)->name, (*(frame *const *)b)->name);
}

/* ---- colours ------------------------------------------------------------ */

/* flamegraph.pl's "hot" palette, keyed by the name instead of rand(). */
static void hash_colour(const char *name, char *out, size_t cap)
{
    uint32_t h = hash_fnv1a32_str(name);
    double a = (double)(h & 0xffff) / 65535.0, b = (double)(h >> 16) / 65535.0;
    snprintf(out, cap, "rgb(%d,%d,%d)", 205 + (int)(50 * b), (int)(230 * a), (int)(55 * b));
}

/* Red for growth, green for shrinkage, white-ish when they cancel out. */
static void diff_colour(const frame *f, char *out, size_t cap)
{
    int64_t net = f->grown + f->shrunk, mag = f->grown - f->shrunk;
    double share = mag ? (double)(net < 0 ? -net : net) / (double)mag : 0;
    int fade = 230 - (int)(200 * share);
    if (net > 0)
        snprintf(out, cap, "rgb(255,%d,%d)", fade, fade);
    else if (net < 0)
        snprintf(out, cap, "rgb(%d,255,%d)", fade, fade);
    else
        snprintf(out, cap, "rgb(230,230,230)");
}

/* ---- SVG ---------------------------------------------------------------- */

static void xml_escape(FILE *out, const char *s, size_t max_chars)
{
    for (size_t n = 0; *s && n < max_chars; s++, n++) {
        const char *entity = html_entity(*s);
        if (entity)
            fputs(entity, out);
        else /* control characters are not allowed in XML 1.0 */
            fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
    }
}

static void write_title(const flame *fl, FILE *out, const frame *f)
{
    const report *r = fl->r;
    char v[64], pct[32], a[64], b[64];
    int64_t net = frame_value(fl, f), d = frame_div(fl, f);
    fputs("<title>", out);
    xml_escape(out, f->name, (size_t)-1);
    const char *pc = measure_percentage(pct, net, r->total);
    while (*pc == ' ')
        pc++;
    if (!fl->diff) {
        fprintf(out, " (%s, %s)</title>", measure_label(v, net, r->o.sample_unit), pc);
        return;
    }
    fprintf(out, " (%s%s, %s%s; grew %s, shrank %s)</title>", net > 0 ? "+" : "",
            measure_label(v, net, r->o.sample_unit),
            net > 0   ? "+"
            : net < 0 ? "-"
                      : "",
            pc, measure_label(a, f->grown / d, r->o.sample_unit),
            measure_label(b, -f->shrunk / d, r->o.sample_unit));
}

static void write_label(FILE *out, const frame *f, double x, double y, double w)
{
    size_t fits = (size_t)((w - 6) / GLYPH_WIDTH), len = strlen(f->name);
    if (fits < 3)
        return;
    fprintf(out, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_HEIGHT - 4);
    if (len <= fits) {
        xml_escape(out, f->name, len);
    } else {
        xml_escape(out, f->name, fits - 2);
        fputs("..", out);
    }
    fputs("</text>", out);
}

/* Depth 0 (the root) at the bottom, callees above their callers. Writes
 * f's opening <g>, title, rect and label; its children and "</g>" follow. */
static void open_frame(const flame *fl, FILE *out, const frame *f, int depth, double x,
                       double scale, double max_w)
{
    double w = fmin((double)frame_width_value(fl, f) * scale, max_w);
    double y = HEADER + (double)(fl->depth - depth) * (FRAME_HEIGHT + 1);
    char colour[48];
    if (fl->diff)
        diff_colour(f, colour, sizeof colour);
    else if (depth == 0)
        snprintf(colour, sizeof colour, "rgb(240,200,120)");
    else
        hash_colour(f->name, colour, sizeof colour);
    int64_t d = frame_div(fl, f);
    fprintf(out, "<g data-value=\"%lld\"", (long long)frame_value(fl, f));
    if (fl->diff)
        fprintf(out, " data-grown=\"%lld\" data-shrunk=\"%lld\"", (long long)(f->grown / d),
                (long long)(-f->shrunk / d));
    fputs(">", out);
    write_title(fl, out, f);
    fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"%s\"/>", x, y,
            w, FRAME_HEIGHT, colour);
    write_label(out, f, x, y, w);
    fputs("\n", out);
}

/* A frame being written: its children sorted by name, the next one to
 * write and where it starts. */
typedef struct open_g {
    frame **kids; /* owned, NULL when there are none */
    size_t n_kids, next;
    double next_x, end_x; /* end_x: the frame's right edge */
} open_g;

/* The sorted children of f, or NULL when it has none; the caller frees. */
static frame **sorted_children(const frame *f)
{
    if (f->n_children == 0)
        return NULL;
    frame **kids = xcalloc(f->n_children, sizeof *kids);
    size_t n = 0;
    for (frame *c = f->first_child; c; c = c->next_sibling)
        kids[n++] = c;
    qsort(kids, n, sizeof *kids, cmp_frame_name);
    return kids;
}

/* The tree under root as nested <g>s, depth first with an explicit stack on
 * the heap (one entry per open frame), so any stack depth fits. */
static void write_frames(const flame *fl, FILE *out, const frame *root, double scale)
{
    size_t cap = (size_t)fl->depth + 1, top = 0;
    open_g *st = xcalloc(cap, sizeof *st);
    double root_w = (double)frame_width_value(fl, root) * scale;
    open_frame(fl, out, root, 0, MARGIN, scale, root_w);
    st[0] = (open_g){sorted_children(root), root->n_children, 0, MARGIN, MARGIN + root_w};
    for (;;) {
        open_g *g = &st[top];
        if (g->next < g->n_kids) {
            frame *c = g->kids[g->next++];
            double cx = g->next_x, cw = (double)frame_width_value(fl, c) * scale;
            g->next_x += cw;
            if (fl->mean) /* a mean callee may be wider than its caller */
                cw = fmin(cw, g->end_x - cx);
            if (cw < MIN_WIDTH)
                continue;
            open_frame(fl, out, c, (int)top + 1, cx, scale, cw);
            st[++top] = (open_g){sorted_children(c), c->n_children, 0, cx, cx + cw};
            continue;
        }
        fputs("</g>\n", out);
        free(g->kids);
        if (top == 0)
            break;
        top--;
    }
    free(st);
}

static void write_svg(const flame *fl, FILE *out)
{
    const report *r = fl->r;
    double height = HEADER + (fl->depth + 1) * (FRAME_HEIGHT + 1) + MARGIN;
    int64_t span = frame_width_value(fl, &fl->root);
    double scale = span ? (IMAGE_WIDTH - 2 * MARGIN) / (double)span : 0;
    char total[64];
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
            "<style>text { font-family: monospace; font-size: 12px; fill: #000; "
            "pointer-events: none; } rect { stroke: #fff; stroke-width: 0.5; } "
            "g > rect:hover { stroke: #000; }</style>\n"
            "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#fdfdf6\"/>\n",
            IMAGE_WIDTH, height, IMAGE_WIDTH, height);
    fprintf(out, "<text x=\"%.0f\" y=\"24\" style=\"font-size: 16px\">Flame graph: ", MARGIN);
    xml_escape(out, *r->o.sample_type ? r->o.sample_type : "samples", (size_t)-1);
    fprintf(out, ", total %s%s</text>\n", measure_label(total, r->total, r->o.sample_unit),
            fl->diff ? " (red: grew, green: shrank)" : "");
    if (span != 0)
        write_frames(fl, out, &fl->root, scale);
    fputs("</svg>\n", out);
}

int report_flame(report *r, FILE *out, cp_err *err)
{
    (void)err;
    const cp_profile *p = r->p;
    graph_opts go = {.value_index = r->o.value_index};
    graph *g = graph_nodes_only(p, &go);
    flame fl = {.r = r, .diff = r->o.has_base, .mean = r->o.mean};
    arena_init(&fl.mem);
    htab_init(&fl.children, &htab_xalloc);
    fl.root.name = intern_cstr("all");
    for (size_t i = 0; i < p->n_samples; i++) {
        int64_t v = p->samples[i].values[r->o.value_index];
        int64_t dv = fl.mean ? p->samples[i].values[0] : 0;
        if (v != 0 || dv != 0)
            flame_add_sample(&fl, g, &p->samples[i], v, dv);
    }
    if (fl.mean)
        mean_root(&fl);
    write_svg(&fl, out);
    htab_free(&fl.children);
    arena_free(&fl.mem);
    graph_free(g);
    return 0;
}
