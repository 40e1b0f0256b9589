/*
 * graph.h — samples folded into a call graph: google/pprof's
 * internal/graph, the engine behind top, tree/peek and list.
 *
 * A node is one distinct node_info (function, or function+line, or
 * address... depending on what profile_aggregate left in the profile); its
 * flat value is what samples spent in it as the leaf, its cum value what
 * samples spent in it anywhere on the stack (counted once per sample even
 * under recursion). Edges carry caller->callee weights; an edge is
 * "residual" when frames between the two were trimmed away, "inline" when
 * the call was inlined. Building with a kept set (node_set) leaves out every
 * node not in it, which is how pprof drops low-weight nodes: it rebuilds the
 * graph from the samples rather than patching it, so values stay exact.
 */
#ifndef CPROF_TOOL_GRAPH_H
#define CPROF_TOOL_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "hash_table.h"
#include "profile/model.h"

static inline int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* graph.NodeInfo; strings are interned (never NULL). */
typedef struct node_info {
    const char *name, *orig_name;
    uint64_t address;
    const char *file;
    int64_t start_line, lineno;
    const char *objfile;
} node_info;

typedef struct gedge gedge;

/* graph.Tag: a node's share of the samples carrying some labels. A label
 * tag (labels NULL) is named by the samples' string labels joined
 * ("key:value" sorted, joined by a literal \n); a numeric tag by a "bytes"
 * value formatted in the output unit, under the string labels of its
 * samples (labels, "" for none). */
typedef struct gtag {
    const char *name, *labels; /* interned; labels NULL for a label tag */
    const char *unit;          /* numeric: the value's unit */
    int64_t value;             /* numeric: the first value seen */
    int64_t flat, flat_div, cum, cum_div;
    bool removed; /* graph_trim_tags */
} gtag;

typedef struct gnode {
    node_info info;
    const char *printable; /* NodeInfo.PrintableName() */
    int64_t flat, flat_div, cum, cum_div;
    gedge **in, **out; /* includes removed edges: test gedge.removed */
    size_t n_in, n_out, cap_in, cap_out;
    size_t stamp;        /* last sample that counted this node */
    struct gnode *above; /* call tree: the node it was created under (NULL: a root) */
    int64_t score;       /* graph_sort: CumNameOrder and EntropyOrder score */
    bool keep;           /* graph_trim_tree: stays in the graph */
    size_t visit;        /* graph_remove_redundant_edges' search mark */
    gtag **tags;         /* with graph_opts.tags; includes removed ones */
    size_t n_tags, cap_tags;
} gnode;

struct gedge {
    gnode *src, *dest;
    int64_t weight, weight_div;
    bool residual, is_inline, removed;
    size_t stamp;
};

/* A set of node identities (graph.NodeSet). */
typedef struct node_set {
    htab t;
    arena mem;
} node_set;

/* Node.FlatValue, CumValue and Edge.WeightValue: the value, or with -mean
 * (a divisor was summed alongside) the value over the divisor. */
static inline int64_t gnode_flat_value(const gnode *n)
{
    return n->flat_div ? n->flat / n->flat_div : n->flat;
}
static inline int64_t gnode_cum_value(const gnode *n)
{
    return n->cum_div ? n->cum / n->cum_div : n->cum;
}
static inline int64_t gedge_weight_value(const gedge *e)
{
    return e->weight_div ? e->weight / e->weight_div : e->weight;
}

typedef struct graph_opts {
    int value_index;
    bool mean;                          /* -mean: sum value 0 as each value's divisor */
    bool obj_names;                     /* keep the binary name in every node */
    bool drop_negative;                 /* leave out nodes with negative values */
    const node_set *kept;               /* NULL: every node */
    bool no_edges;                      /* node values only (they never depend on edges) */
    bool call_tree;                     /* -call_tree: a node per calling context (graph.newTree) */
    bool tags;                          /* label and "bytes" tags on the nodes (the graph views) */
    const num_label_units *label_units; /* tags: the numeric labels' units */
    const char *output_unit;            /* tags: the unit numeric tags are named in */
} graph_opts;

typedef struct graph {
    arena mem;
    gnode **nodes;
    size_t n_nodes;
    htab node_map, edge_map; /* call tree: node_map keyed by (above, node_info) */
    /* CreateNodes: the nodes of each location (one per line), by index. */
    gnode ***loc_nodes;
    size_t *loc_n_nodes;
    size_t visit_gen; /* the last gnode.visit mark handed out */
} graph;

enum node_order {
    ORDER_FLAT_NAME,
    ORDER_CUM_NAME,
    ORDER_NAME,
    ORDER_FILE,
    ORDER_ADDRESS,
    ORDER_ENTROPY /* the graph views' order: entropyScore over the live edges */
};

/* graph.New: newGraph, or newTree with o->call_tree (one node per calling
 * context: a function called from two paths is two nodes; kept and
 * no_edges do not apply to it). Caller frees with graph_free. */
graph *graph_new(const cp_profile *p, const graph_opts *o);
/* Only the per-location nodes (graph.CreateNodes), for traces/collapsed. */
graph *graph_nodes_only(const cp_profile *p, const graph_opts *o);
void graph_free(graph *g);

void graph_sort(gnode **nodes, size_t n, enum node_order order);
/* Sum of flat and of cum over nodes (Nodes.Sum). */
void nodes_sum(gnode *const *nodes, size_t n, int64_t *flat, int64_t *cum);
/* TrimLowFrequencyEdges: removes edges below cutoff; returns how many. */
size_t graph_trim_edges(graph *g, int64_t cutoff);
/* Graph.TrimTree, for a call tree: the nodes whose keep is false leave
 * g->nodes (the order of the others stays); the children of one are
 * reattached to its parent by a residual edge (inline when both were), or
 * become roots when it had none; then graph_remove_redundant_edges. */
void graph_trim_tree(graph *g);
/* Graph.RemoveRedundantEdges: walking the nodes from the last, each one's
 * residual incoming edges from the lightest up (stopping at the first that
 * is not residual) are removed when their source still reaches the node
 * another way. */
void graph_remove_redundant_edges(graph *g);
/* Graph.TrimLowFrequencyTags: tags whose |flat| and |cum| are both below
 * cutoff are marked removed. */
void graph_trim_tags(graph *g, int64_t cutoff);
/* countTags: n's live tags with a flat value (label and numeric). */
size_t gnode_count_tags(const gnode *n);
/* Graph.selectTopNodes: how many of the first nodes to keep for
 * max_nodes; in a graph view (visual), a node's tags (at most 4, pprof's
 * maxNodelets) count as nodes. */
size_t graph_select_top(const graph *g, size_t max_nodes, bool visual);
/* Tag.FlatValue and CumValue. */
static inline int64_t gtag_flat_value(const gtag *t)
{
    return t->flat_div ? t->flat / t->flat_div : t->flat;
}
static inline int64_t gtag_cum_value(const gtag *t)
{
    return t->cum_div ? t->cum / t->cum_div : t->cum;
}
/* Live edges of a node, sorted like EdgeMap.Sort(); caller frees. */
gedge **node_edges_sorted(const gnode *n, bool incoming, size_t *count);

void node_set_init(node_set *s);
void node_set_free(node_set *s);
void node_set_add(node_set *s, const node_info *info);
bool node_set_has(const node_set *s, const node_info *info);

/* Go's filepath.Clean, interned. */
const char *clean_path(const char *path);
const char *path_base(const char *path); /* filepath.Base, interned */

#endif
