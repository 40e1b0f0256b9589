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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "intern.h"

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

/* ---- building ----------------------------------------------------------- */

static void add_sample(graph *g, const cp_sample *s, int64_t w, int64_t dw, size_t stamp,
                       bool edges)
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

graph *graph_new(const cp_profile *p, const graph_opts *o)
{
    graph *g = graph_alloc();
    create_nodes(g, p, o);
    for (size_t i = 0; i < p->n_samples; i++) {
        int64_t w = p->samples[i].values[o->value_index];
        int64_t dw = o->mean ? p->samples[i].values[0] : 0;
        if (w != 0 || dw != 0)
            add_sample(g, &p->samples[i], w, dw, i + 1, !o->no_edges);
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

static int cmp_cum_name(const void *pa, const void *pb)
{
    const gnode *l = *(gnode *const *)pa, *r = *(gnode *const *)pb;
    DESC(abs64(l->cum), abs64(r->cum));
    STR_ASC(l->printable, r->printable);
    DESC(abs64(l->flat), abs64(r->flat));
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

void graph_sort(gnode **nodes, size_t n, enum node_order order)
{
    static int (*const cmp[])(const void *, const void *) = {
        [ORDER_FLAT_NAME] = cmp_flat_name, [ORDER_CUM_NAME] = cmp_cum_name, [ORDER_NAME] = cmp_name,
        [ORDER_FILE] = cmp_file,           [ORDER_ADDRESS] = cmp_address,
    };
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
    gedge **list = xcalloc(total, sizeof *list);
    for (size_t i = 0; i < total; i++)
        if (!all[i]->removed)
            list[k++] = all[i];
    if (k > 1)
        qsort(list, k, sizeof *list, cmp_edges);
    *count = k;
    return list;
}
