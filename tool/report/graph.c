/*
 * graph.c — see graph.h. Transcribes google/pprof internal/graph
 * (newGraph, CreateNodes, nodeInfo, the node and edge orders).
 *
 * Identity and dedup: nodes live in a hash table keyed by node_info (all
 * strings interned, so hashing and equality look at pointers); edges in one
 * keyed by the (src, dest) pair. pprof counts a node's cum and an edge's
 * weight once per sample with per-sample "seen" maps; here each node and
 * edge remembers the last sample that counted it (stamp), which is the same
 * rule without clearing a map per sample.
 * Order: Go sorts with comparators that are total orders (the last
 * tie-break compares fmt.Sprint of the whole NodeInfo), so qsort with the
 * same comparators yields the same order regardless of algorithm.
 */
#include "graph.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "intern.h"
#include "profile/measure.h"

/* ---- paths ------------------------------------------------------------- */

const char *clean_path(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return intern_cstr(".");
    char *out = xmalloc(n + 2);
    size_t w = 0, r = 0, dotdot = 0;
    int rooted = path[0] == '/';
    if (rooted) {
        out[w++] = '/';
        r = dotdot = 1;
    }
    while (r < n) {
        if (path[r] == '/') {
            r++;
        } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
            r++;
        } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
            r += 2;
            if (w > dotdot) {
                w--;
                while (w > dotdot && out[w] != '/')
                    w--;
            } else if (!rooted) {
                if (w > 0)
                    out[w++] = '/';
                out[w++] = '.';
                out[w++] = '.';
                dotdot = w;
            }
        } else {
            if ((rooted && w != 1) || (!rooted && w != 0))
                out[w++] = '/';
            for (; r < n && path[r] != '/'; r++)
                out[w++] = path[r];
        }
    }
    const char *s = w == 0 ? intern_cstr(".") : intern(out, w);
    free(out);
    return s;
}

const char *path_base(const char *path)
{
    size_t n = strlen(path);
    if (n == 0)
        return intern_cstr(".");
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return intern_cstr("/");
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return intern(path + start, n - start);
}

/* ---- node identities ---------------------------------------------------- */

static uint64_t info_hash(const node_info *i)
{
    uint64_t h = hash_ptr(hash_ptr(0, i->name), i->orig_name);
    h = hash_ptr(hash_mix(h, i->address), i->file);
    h = hash_mix(hash_mix(h, (uint64_t)i->start_line), (uint64_t)i->lineno);
    return hash_ptr(h, i->objfile);
}

static int info_eq(const node_info *a, const node_info *b)
{
    return a->name == b->name && a->orig_name == b->orig_name && a->address == b->address &&
           a->file == b->file && a->start_line == b->start_line && a->lineno == b->lineno &&
           a->objfile == b->objfile;
}

/* gnode and the node_set entries both start with their node_info. */
static int info_item_eq(const void *key, const void *item)
{
    return info_eq(key, item);
}

void node_set_init(node_set *s)
{
    htab_init(&s->t, &htab_xalloc);
    arena_init(&s->mem);
}

void node_set_free(node_set *s)
{
    htab_free(&s->t);
    arena_free(&s->mem);
}

void node_set_add(node_set *s, const node_info *info)
{
    uint64_t h = info_hash(info);
    if (!htab_find(&s->t, h, info_item_eq, info))
        htab_insert(&s->t, h, arena_dup(&s->mem, info, 1, sizeof *info));
}

bool node_set_has(const node_set *s, const node_info *info)
{
    return htab_find(&s->t, info_hash(info), info_item_eq, info) != NULL;
}

/* NodeInfo.PrintableName */
static const char *printable_name(arena *mem, const node_info *i)
{
    char addr[20] = "";
    if (i->address)
        snprintf(addr, sizeof addr, "%016" PRIx64, i->address);
    const char *parts[3] = {0}; /* gcc -O2 in a unity build cannot prove n >= 1 */
    size_t n = 0;
    if (*addr)
        parts[n++] = addr;
    if (*i->name)
        parts[n++] = i->name;
    char *loc = NULL;
    if (i->lineno != 0)
        loc = arena_printf(mem, "%s:%" PRId64, i->file, i->lineno);
    else if (*i->file)
        loc = (char *)i->file;
    else if (*i->name)
        loc = NULL;
    else if (*i->objfile)
        loc = arena_printf(mem, "[%s]", path_base(i->objfile));
    else
        loc = "<unknown>";
    if (loc)
        parts[n++] = loc;
    if (n == 1)
        return parts[0] == addr ? arena_printf(mem, "%s", addr) : parts[0];
    if (n == 2)
        return arena_printf(mem, "%s %s", parts[0], parts[1]);
    return arena_printf(mem, "%s %s %s", parts[0], parts[1], parts[2]);
}

/* graph.nodeInfo */
static node_info location_line_info(const cp_location *l, const cp_line *line, const graph_opts *o)
{
    const char *objfile = l->mapping ? l->mapping->file : STR_EMPTY;
    node_info ni = {STR_EMPTY, STR_EMPTY, l->address, STR_EMPTY, 0, 0, STR_EMPTY};
    if (!line) {
        ni.objfile = objfile;
        return ni;
    }
    ni.lineno = line->line;
    ni.name = line->function->name;
    if (*line->function->filename)
        ni.file = clean_path(line->function->filename);
    if (o->obj_names || !*ni.name) {
        ni.objfile = objfile;
        ni.start_line = line->function->start_line;
    }
    return ni;
}

/* NodeMap.FindOrInsertNode */
static gnode *find_or_insert(graph *g, const node_info *info, const node_set *kept)
{
    if (kept && !node_set_has(kept, info))
        return NULL;
    uint64_t h = info_hash(info);
    gnode *n = htab_find(&g->node_map, h, info_item_eq, info);
    if (n)
        return n;
    n = arena_alloc(&g->mem, 1, sizeof *n);
    n->info = *info;
    n->printable = printable_name(&g->mem, info);
    htab_insert(&g->node_map, h, n);
    return n;
}

/* graph.CreateNodes */
static void create_nodes(graph *g, const cp_profile *p, const graph_opts *o)
{
    g->loc_nodes = arena_alloc(&g->mem, p->n_locations, sizeof *g->loc_nodes);
    g->loc_n_nodes = arena_alloc(&g->mem, p->n_locations, sizeof *g->loc_n_nodes);
    for (size_t i = 0; i < p->n_locations; i++) {
        const cp_location *l = p->locations[i];
        size_t n = l->n_lines ? l->n_lines : 1;
        gnode **nodes = arena_alloc(&g->mem, n, sizeof *nodes);
        for (size_t j = 0; j < n; j++) {
            node_info info = location_line_info(l, l->n_lines ? &l->lines[j] : NULL, o);
            nodes[j] = find_or_insert(g, &info, o->kept);
        }
        g->loc_nodes[i] = nodes;
        g->loc_n_nodes[i] = n;
    }
}

/* ---- edges -------------------------------------------------------------- */

typedef struct edge_key {
    const gnode *src, *dest;
} edge_key;

static int edge_eq(const void *key, const void *item)
{
    const edge_key *k = key;
    const gedge *e = item;
    return e->src == k->src && e->dest == k->dest;
}

static void push_edge(gedge ***list, size_t *n, size_t *cap, gedge *e)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *list = xrealloc(*list, *cap, sizeof **list);
    }
    (*list)[(*n)++] = e;
}

static gedge *find_or_add_edge(graph *g, gnode *src, gnode *dest, bool is_inline)
{
    edge_key k = {src, dest};
    uint64_t h = hash_ptr(hash_ptr(0, src), dest);
    gedge *e = htab_find(&g->edge_map, h, edge_eq, &k);
    if (e)
        return e;
    e = arena_alloc(&g->mem, 1, sizeof *e);
    e->src = src;
    e->dest = dest;
    e->is_inline = is_inline;
    htab_insert(&g->edge_map, h, e);
    push_edge(&src->out, &src->n_out, &src->cap_out, e);
    push_edge(&dest->in, &dest->n_in, &dest->cap_in, e);
    return e;
}

/* Node.AddToEdgeDiv, counted once per sample. */
static void add_to_edge(graph *g, gnode *parent, gnode *n, int64_t w, int64_t dw, bool residual,
                        bool is_inline, size_t stamp)
{
    gedge *e = find_or_add_edge(g, parent, n, is_inline);
    if (e->stamp == stamp)
        return;
    e->stamp = stamp;
    e->weight += w;
    e->weight_div += dw;
    e->residual |= residual;
    if (!is_inline)
        e->is_inline = false;
}

/* ---- tags (the graph views) ---------------------------------------------- */

/* One sample's tag names: its joined string labels, and its "bytes"
 * values formatted (pprof's report.newGraph keeps no other numeric
 * label). */
typedef struct sample_tags {
    const char *labels; /* "" when the sample has no string label */
    const char **names; /* numeric tags' names */
    int64_t *values;
    size_t n;
    const char *unit;
} sample_tags;

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* joinLabels and the numeric tags of s, into st (its arrays the caller's
 * to free). */
static void sample_tags_of(const cp_sample *s, const graph_opts *o, sample_tags *st)
{
    const char *bytes = intern_cstr("bytes");
    char **parts = xcalloc(s->n_labels + 1, sizeof *parts);
    size_t np = 0, len = 0;
    st->names = xcalloc(s->n_labels + 1, sizeof *st->names);
    st->values = xcalloc(s->n_labels + 1, sizeof *st->values);
    st->n = 0;
    st->unit = num_label_unit(o->label_units, bytes);
    for (size_t i = 0; i < s->n_labels; i++) {
        const cp_label *l = &s->labels[i];
        if (l->str) {
            if (asprintf(&parts[np], "%s:%s", l->key, l->str) < 0)
                die_oom();
            len += strlen(parts[np++]) + 2;
        } else if (l->key == bytes) {
            char name[64];
            measure_scaled_label(name, l->num, st->unit, o->output_unit);
            st->names[st->n] = intern_cstr(name);
            st->values[st->n++] = l->num;
        }
    }
    qsort(parts, np, sizeof *parts, cmp_cstr);
    char *joined = xmalloc(len + 1);
    joined[0] = 0;
    for (size_t i = 0; i < np; i++) {
        if (i)
            strcat(joined, "\\n");
        strcat(joined, parts[i]);
        free(parts[i]);
    }
    st->labels = intern_cstr(joined);
    free(joined);
    free(parts);
}

static void sample_tags_free(sample_tags *st)
{
    free(st->names);
    free(st->values);
}

/* TagMap.findOrAddTag on n: the tag named name under labels (NULL: a
 * label tag), found by a linear search (a node has few tags; only the
 * graph views build them). */
static gtag *node_tag(graph *g, gnode *n, const char *labels, const char *name, const char *unit,
                      int64_t value)
{
    for (size_t i = 0; i < n->n_tags; i++)
        if (n->tags[i]->labels == labels && n->tags[i]->name == name)
            return n->tags[i];
    gtag *t = arena_alloc(&g->mem, 1, sizeof *t);
    t->name = name;
    t->labels = labels;
    t->unit = unit;
    t->value = value;
    if (n->n_tags == n->cap_tags) {
        n->cap_tags = n->cap_tags ? 2 * n->cap_tags : 4;
        n->tags = xrealloc(n->tags, n->cap_tags, sizeof *n->tags);
    }
    n->tags[n->n_tags++] = t;
    return t;
}

/* Node.addSample's tags: the sample's weight on n's tags, flat or cum. */
static void add_tags(graph *g, gnode *n, const sample_tags *st, int64_t w, int64_t dw, bool flat)
{
    gtag *ts[65];
    size_t k = 0;
    if (*st->labels)
        ts[k++] = node_tag(g, n, NULL, st->labels, STR_EMPTY, 0);
    for (size_t i = 0; i < st->n && k < 65; i++)
        ts[k++] = node_tag(g, n, st->labels, st->names[i], st->unit, st->values[i]);
    for (size_t i = 0; i < k; i++) {
        if (flat) {
            ts[i]->flat += w;
            ts[i]->flat_div += dw;
        } else {
            ts[i]->cum += w;
            ts[i]->cum_div += dw;
        }
    }
}

void graph_trim_tags(graph *g, int64_t cutoff)
{
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t j = 0; j < g->nodes[i]->n_tags; j++) {
            gtag *t = g->nodes[i]->tags[j];
            if (abs64(t->flat) < cutoff && abs64(t->cum) < cutoff)
                t->removed = true;
        }
}

size_t gnode_count_tags(const gnode *n)
{
    size_t k = 0;
    for (size_t i = 0; i < n->n_tags; i++)
        k += !n->tags[i]->removed && n->tags[i]->flat != 0;
    return k;
}

size_t graph_select_top(const graph *g, size_t max_nodes, bool visual)
{
    if (max_nodes > 0 && visual) {
        size_t count = 0;
        for (size_t i = 0; i < g->n_nodes; i++) {
            size_t tags = gnode_count_tags(g->nodes[i]);
            if (tags > 4)
                tags = 4;
            if ((count += tags + 1) >= max_nodes) {
                max_nodes = i + 1;
                break;
            }
        }
    }
    return max_nodes < g->n_nodes ? max_nodes : g->n_nodes;
}

/* ---- building ----------------------------------------------------------- */

static void add_sample(graph *g, const cp_sample *s, int64_t w, int64_t dw, size_t stamp,
                       bool edges, const sample_tags *st)
{
    gnode *parent = NULL;
    bool residual = false;
    for (size_t i = s->n_locs; i-- > 0;) {
        size_t li = s->locs[i]->index;
        gnode **nodes = g->loc_nodes[li];
        size_t nn = g->loc_n_nodes[li];
        for (size_t ni = nn; ni-- > 0;) {
            gnode *n = nodes[ni];
            if (!n) {
                residual = true;
                continue;
            }
            if (n->stamp != stamp) {
                n->stamp = stamp;
                n->cum += w;
                n->cum_div += dw;
                if (st)
                    add_tags(g, n, st, w, dw, false);
            }
            if (edges && parent && n != parent)
                add_to_edge(g, parent, n, w, dw, residual, ni != nn - 1, stamp);
            parent = n;
            residual = false;
        }
    }
    if (parent && !residual) {
        parent->flat += w;
        parent->flat_div += dw;
        if (st)
            add_tags(g, parent, st, w, dw, true);
    }
}

static bool is_negative(const gnode *n)
{
    return n->flat < 0 || (n->flat == 0 && n->cum < 0);
}

/* selectNodesForGraph: nodes in creation order, minus the empty ones. */
static void select_nodes(graph *g, const graph_opts *o)
{
    g->nodes = arena_alloc(&g->mem, g->node_map.len, sizeof *g->nodes);
    size_t cursor = 0;
    for (void **it; (it = htab_next(&g->node_map, &cursor));) {
        gnode *n = *it;
        if (n->cum == 0 && n->flat == 0)
            continue;
        if (o->drop_negative && is_negative(n))
            continue;
        g->nodes[g->n_nodes++] = n;
    }
}

static graph *graph_alloc(void)
{
    graph *g = xcalloc(1, sizeof *g);
    arena_init(&g->mem);
    htab_init(&g->node_map, &htab_xalloc);
    htab_init(&g->edge_map, &htab_xalloc);
    return g;
}

graph *graph_nodes_only(const cp_profile *p, const graph_opts *o)
{
    graph *g = graph_alloc();
    create_nodes(g, p, o);
    return g;
}

/* ---- the call tree (graph.newTree) --------------------------------------- */

typedef struct tree_key {
    const gnode *above;
    const node_info *info;
} tree_key;

static int tree_item_eq(const void *key, const void *item)
{
    const tree_key *k = key;
    const gnode *n = item;
    return n->above == k->above && info_eq(k->info, &n->info);
}

/* The node for info under above (NULL: a root), created when missing
 * (NodeMap.findOrInsertLine on parentNodeMap[above]). */
static gnode *tree_child(graph *g, gnode *above, const node_info *info)
{
    tree_key k = {above, info};
    uint64_t h = hash_ptr(info_hash(info), above);
    gnode *n = htab_find(&g->node_map, h, tree_item_eq, &k);
    if (n)
        return n;
    n = arena_alloc(&g->mem, 1, sizeof *n);
    n->info = *info;
    n->printable = printable_name(&g->mem, info);
    n->above = above;
    htab_insert(&g->node_map, h, n);
    return n;
}

/* newTree: every sample walked from its root, each frame a child of the
 * one above it; cum on every node of the path, flat on its leaf, the
 * weight on every edge of the path (no residual edges: nothing is left
 * out). The node_info of each location's lines is computed once. */
static void build_tree(graph *g, const cp_profile *p, const graph_opts *o)
{
    node_info **infos = xcalloc(p->n_locations ? p->n_locations : 1, sizeof *infos);
    for (size_t i = 0; i < p->n_locations; i++) {
        const cp_location *l = p->locations[i];
        size_t n = l->n_lines ? l->n_lines : 1;
        infos[i] = arena_alloc(&g->mem, n, sizeof **infos);
        for (size_t j = 0; j < n; j++)
            infos[i][j] = location_line_info(l, l->n_lines ? &l->lines[j] : NULL, o);
    }
    for (size_t i = 0; i < p->n_samples; i++) {
        const cp_sample *s = &p->samples[i];
        int64_t w = s->values[o->value_index], dw = o->mean ? s->values[0] : 0;
        if (w == 0 && dw == 0)
            continue;
        sample_tags st;
        if (o->tags)
            sample_tags_of(s, o, &st);
        gnode *parent = NULL;
        for (size_t j = s->n_locs; j-- > 0;) {
            const cp_location *l = s->locs[j];
            size_t nl = l->n_lines ? l->n_lines : 1;
            for (size_t k = nl; k-- > 0;) {
                gnode *n = tree_child(g, parent, &infos[l->index][k]);
                n->cum += w;
                n->cum_div += dw;
                if (o->tags)
                    add_tags(g, n, &st, w, dw, false);
                if (parent)
                    add_to_edge(g, parent, n, w, dw, false, k != nl - 1, i + 1);
                parent = n;
            }
        }
        if (parent) {
            parent->flat += w;
            parent->flat_div += dw;
            if (o->tags)
                add_tags(g, parent, &st, w, dw, true);
        }
        if (o->tags)
            sample_tags_free(&st);
    }
    free(infos);
}

graph *graph_new(const cp_profile *p, const graph_opts *o)
{
    graph *g = graph_alloc();
    if (o->call_tree) {
        build_tree(g, p, o);
        select_nodes(g, o);
        return g;
    }
    create_nodes(g, p, o);
    for (size_t i = 0; i < p->n_samples; i++) {
        int64_t w = p->samples[i].values[o->value_index];
        int64_t dw = o->mean ? p->samples[i].values[0] : 0;
        if (w == 0 && dw == 0)
            continue;
        sample_tags st;
        if (o->tags)
            sample_tags_of(&p->samples[i], o, &st);
        add_sample(g, &p->samples[i], w, dw, i + 1, !o->no_edges, o->tags ? &st : NULL);
        if (o->tags)
            sample_tags_free(&st);
    }
    select_nodes(g, o);
    return g;
}

void graph_free(graph *g)
{
    if (!g)
        return;
    size_t cursor = 0;
    for (void **it; (it = htab_next(&g->node_map, &cursor));) {
        gnode *n = *it;
        free(n->in);
        free(n->out);
        free(n->tags);
    }
    htab_free(&g->node_map);
    htab_free(&g->edge_map);
    arena_free(&g->mem);
    free(g);
}

/* ---- ordering ----------------------------------------------------------- */

/* compareNodes: fmt.Sprint(NodeInfo) order, the final tie-break. */
static char *sprint_info(const node_info *i)
{
    char *s = NULL;
    if (asprintf(&s, "{%s %s %" PRIu64 " %s %" PRId64 " %" PRId64 " %s}", i->name, i->orig_name,
                 i->address, i->file, i->start_line, i->lineno, i->objfile) < 0)
        die_oom();
    return s;
}

static int compare_infos(const gnode *l, const gnode *r)
{
    char *a = sprint_info(&l->info), *b = sprint_info(&r->info);
    int c = strcmp(a, b);
    free(a);
    free(b);
    return c;
}

#define DESC(a, b)                                                                                 \
    do {                                                                                           \
        if ((a) != (b))                                                                            \
            return (a) > (b) ? -1 : 1;                                                             \
    } while (0)
#define STR_ASC(a, b)                                                                              \
    do {                                                                                           \
        int c_ = strcmp((a), (b));                                                                 \
        if (c_)                                                                                    \
            return c_;                                                                             \
    } while (0)

static int cmp_flat_name(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    DESC(abs64(l->flat), abs64(r->flat));
    STR_ASC(l->printable, r->printable);
    DESC(abs64(l->cum), abs64(r->cum));
    return compare_infos(l, r);
}

static int cmp_name(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    STR_ASC(l->info.name, r->info.name);
    return compare_infos(l, r);
}

static int cmp_file(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    STR_ASC(l->info.file, r->info.file);
    if (l->info.start_line != r->info.start_line)
        return l->info.start_line < r->info.start_line ? -1 : 1;
    return compare_infos(l, r);
}

static int cmp_address(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    if (l->info.address != r->info.address)
        return l->info.address < r->info.address ? -1 : 1;
    return compare_infos(l, r);
}

/* Nodes.Sort's CumNameOrder and EntropyOrder: by the score (cum, or
 * entropyScore), then the name, then flat. */
static int cmp_score_name(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    DESC(abs64(l->score), abs64(r->score));
    STR_ASC(l->printable, r->printable);
    DESC(abs64(l->flat), abs64(r->flat));
    return compare_infos(l, r);
}

/* An edge still in the graph, leaving n (a call tree's trimming moves
 * edges to another source, and leaves them in the old one's list). */
static bool live_out(const gnode *n, const gedge *e)
{
    return !e->removed && e->src == n;
}

/* edgeEntropyScore over the live edges in or out of n. */
static double edge_entropy_score(const gnode *n, bool incoming, int64_t self)
{
    gedge *const *all = incoming ? n->in : n->out;
    size_t count = incoming ? n->n_in : n->n_out;
    double score = 0;
    int64_t total = self;
    for (size_t i = 0; i < count; i++)
        if ((incoming ? !all[i]->removed : live_out(n, all[i])) && all[i]->weight > 0)
            total += abs64(all[i]->weight);
    if (total == 0)
        return 0;
    for (size_t i = 0; i < count; i++) {
        if (incoming ? all[i]->removed : !live_out(n, all[i]))
            continue;
        double frac = (double)abs64(all[i]->weight) / (double)total;
        score += -frac * log2(frac);
    }
    if (self > 0) {
        double frac = (double)abs64(self) / (double)total;
        score += -frac * log2(frac);
    }
    return score;
}

static size_t live_edges(const gnode *n, bool incoming)
{
    size_t k = 0;
    if (incoming) {
        for (size_t i = 0; i < n->n_in; i++)
            k += !n->in[i]->removed;
    } else {
        for (size_t i = 0; i < n->n_out; i++)
            k += live_out(n, n->out[i]);
    }
    return k;
}

/* entropyScore: entry and leaf nodes favoured, and nodes whose calls
 * spread over several edges over simple fall-throughs. */
static int64_t entropy_score(const gnode *n)
{
    double score = 0;
    score += live_edges(n, true) == 0 ? 1 : edge_entropy_score(n, true, 0);
    score += live_edges(n, false) == 0 ? 1 : edge_entropy_score(n, false, n->flat);
    return (int64_t)(score * (double)n->cum) + n->flat;
}

void graph_sort(gnode **nodes, size_t n, enum node_order order)
{
    static int (*const cmp[])(const void *, const void *) = {
        [ORDER_FLAT_NAME] = cmp_flat_name, [ORDER_CUM_NAME] = cmp_score_name,
        [ORDER_NAME] = cmp_name,           [ORDER_FILE] = cmp_file,
        [ORDER_ADDRESS] = cmp_address,     [ORDER_ENTROPY] = cmp_score_name,
    };
    if (order == ORDER_ENTROPY || order == ORDER_CUM_NAME)
        for (size_t i = 0; i < n; i++)
            nodes[i]->score = order == ORDER_CUM_NAME ? nodes[i]->cum : entropy_score(nodes[i]);
    if (n > 1)
        qsort(nodes, n, sizeof *nodes, cmp[order]);
}

void nodes_sum(gnode *const *nodes, size_t n, int64_t *flat, int64_t *cum)
{
    int64_t f = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        f += nodes[i]->flat;
        c += nodes[i]->cum;
    }
    if (flat)
        *flat = f;
    if (cum)
        *cum = c;
}

size_t graph_trim_edges(graph *g, int64_t cutoff)
{
    size_t dropped = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        gnode *n = g->nodes[i];
        for (size_t j = 0; j < n->n_in; j++) {
            gedge *e = n->in[j];
            if (!e->removed && abs64(e->weight) < cutoff) {
                e->removed = true;
                dropped++;
            }
        }
    }
    return dropped;
}

/* edgeList.Less */
static int cmp_edges(const void *pa, const void *pb)
{
    const gedge *a = *(gedge *const *)pa, *b = *(gedge *const *)pb;
    if (a->weight != b->weight && abs64(a->weight) != abs64(b->weight))
        return abs64(a->weight) > abs64(b->weight) ? -1 : 1;
    STR_ASC(a->src->printable, b->src->printable);
    return strcmp(a->dest->printable, b->dest->printable);
}

gedge **node_edges_sorted(const gnode *n, bool incoming, size_t *count)
{
    gedge *const *all = incoming ? n->in : n->out;
    size_t total = incoming ? n->n_in : n->n_out, k = 0;
    gedge **list = xcalloc(total ? total : 1, sizeof *list);
    for (size_t i = 0; i < total; i++)
        if (incoming ? !all[i]->removed : live_out(n, all[i]))
            list[k++] = all[i];
    if (k > 1)
        qsort(list, k, sizeof *list, cmp_edges);
    *count = k;
    return list;
}

/* isRedundantEdge: whether e's source reaches e's destination without e,
 * breadth first up the live incoming edges (mark: the graph's visit
 * generation, so nothing is cleared between calls). */
static bool redundant_edge(graph *g, const gedge *e)
{
    size_t gen = ++g->visit_gen, head = 0, n_queue = 1, cap = 16;
    gnode **queue = xcalloc(cap, sizeof *queue);
    queue[0] = e->dest;
    e->dest->visit = gen;
    bool found = false;
    while (head < n_queue && !found) {
        gnode *n = queue[head++];
        for (size_t i = 0; i < n->n_in && !found; i++) {
            gedge *ie = n->in[i];
            if (ie->removed || ie == e || ie->src->visit == gen)
                continue;
            if (ie->src == e->src) {
                found = true;
                break;
            }
            ie->src->visit = gen;
            if (n_queue == cap) {
                cap *= 2;
                queue = xrealloc(queue, cap, sizeof *queue);
            }
            queue[n_queue++] = ie->src;
        }
    }
    free(queue);
    return found;
}

void graph_remove_redundant_edges(graph *g)
{
    for (size_t i = g->n_nodes; i > 0; i--) {
        size_t n_in;
        gedge **in = node_edges_sorted(g->nodes[i - 1], true, &n_in);
        for (size_t j = n_in; j > 0; j--) {
            gedge *e = in[j - 1];
            if (!e->residual)
                break;
            if (redundant_edge(g, e))
                e->removed = true;
        }
        free(in);
    }
}

void graph_trim_tree(graph *g)
{
    size_t kept = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        gnode *cur = g->nodes[i];
        if (cur->keep) {
            g->nodes[kept++] = cur;
            continue;
        }
        gedge *up = NULL;
        for (size_t j = 0; j < cur->n_in && !up; j++)
            if (!cur->in[j]->removed)
                up = cur->in[j];
        if (up)
            up->removed = true;
        /* cur's out list may grow only when cur is the parent: never here. */
        for (size_t j = 0; j < cur->n_out; j++) {
            gedge *e = cur->out[j];
            if (!live_out(cur, e))
                continue;
            if (!up) { /* cur was a root: its children become roots */
                e->removed = true;
                continue;
            }
            e->src = up->src;
            e->residual = true;
            e->is_inline = up->is_inline && e->is_inline;
            push_edge(&up->src->out, &up->src->n_out, &up->src->cap_out, e);
        }
    }
    g->n_nodes = kept;
    graph_remove_redundant_edges(g);
}
