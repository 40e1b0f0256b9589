/*
 * report.h — a report is a profile, the value column to show, and
 * formatting options: google/pprof's report.Report. Every text output
 * (top, tree, peek, traces, tags, list, collapsed) is generated from one.
 */
#ifndef CPROF_TOOL_REPORT_H
#define CPROF_TOOL_REPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "graph.h"
#include "profile/model.h"
#include "profile/strlist.h"
#include "symbolize/symbolize.h"

enum report_format {
    FMT_TOP,
    FMT_TREE,
    FMT_PEEK,
    FMT_TRACES,
    FMT_TAGS,
    FMT_LIST,
    FMT_PROTO,
    FMT_COLLAPSED,
    FMT_RAW,
    FMT_COMMENTS,
    FMT_SVG,           /* flame graph */
    FMT_DOT,           /* call graph, graphviz text */
    FMT_CALLGRAPH_SVG, /* call graph through dot -Tsvg */
    FMT_DISASM,        /* annotated disassembly (objdump) */
    FMT_WEBLIST,       /* annotated source and disassembly, HTML */
};

typedef struct report_opts {
    enum report_format format;
    bool cum_sort, drop_negative, compact_labels;
    bool has_base;  /* -base/-diff_base given: values are differences */
    int node_count; /* 0: no limit */
    double node_fraction, edge_fraction;
    strlist active_filters; /* "focus=...", shown in the header */
    num_label_units label_units;
    int value_index;
    const char *sample_type, *sample_unit;
    const char *output_unit; /* "minimum" until selected */
    regex_t *symbol;         /* peek/list argument, or NULL */
    const char *symbol_src;
    const char *source_path, *trim_path;
    double ratio;                    /* 1 / -divide_by: values are shown multiplied by it (0: 1) */
    bool mean;                       /* -mean: values over the first value (count) */
    const symbolize_opts *symbolize; /* where disasm/weblist find binaries */
    bool call_tree; /* -call_tree: the graph views draw a node per calling context */
} report_opts;

typedef struct report {
    cp_profile *p;
    int64_t total;
    report_opts o;
} report;

/* report.New: computes the total, before any filter runs. */
void report_init(report *r, cp_profile *p, const report_opts *o);
/* rpt.formatValue: the value in the output unit. out: 64 bytes. */
char *report_format_value(const report *r, int64_t v, char *out);
/* report.newGraph: the full graph, or only the nodes in kept. */
graph *report_new_graph(report *r, const node_set *kept, bool obj_names);
/* report.newTrimmedGraph: drop nodes below node_fraction, keep node_count,
 * then edges below edge_fraction (how many: *dropped_edges, which may be
 * NULL). For the graph views (report_is_visual) nodes are in pprof's
 * entropy order and redundant residual edges are removed; with call_tree
 * the graph is the call tree, trimmed as one. Caller frees with graph_free. */
graph *report_trimmed_graph(report *r, size_t *orig_count, size_t *dropped_nodes,
                            size_t *dropped_edges);
/* Whether r is a graph view (dot, callgraph_svg): pprof's visualMode. */
bool report_is_visual(const report *r);
/* report.selectOutputUnit for "minimum". */
void report_select_output_unit(report *r, const graph *g);
/* ProfileLabels and reportLabels: the header lines, into out (the
 * caller's). A graph view's (report_is_visual) are pprof's fullHeaders:
 * the profile's lines even with compact_labels, the dropped edges, and
 * pprof's pointer to how to read the graph after an empty line ("\n"). */
void report_profile_labels(const report *r, strlist *out);
void report_labels(const report *r, const graph *g, size_t orig_count, size_t dropped_nodes,
                   size_t dropped_edges, strlist *out);
void print_lines(FILE *out, const strlist *l);

/* report_top.c */
int report_top(report *r, FILE *out, cp_err *err);
int report_tree(report *r, FILE *out, cp_err *err); /* tree, and peek when symbol is set */
/* " (inline)", " (partial-inline)" or "": how calls into n were made. */
const char *report_inline_label(const gnode *n);
/* report_traces.c */
int report_traces(report *r, FILE *out, cp_err *err);
int report_tags(report *r, FILE *out, cp_err *err);
int report_collapsed(report *r, FILE *out, cp_err *err);
int report_raw(report *r, FILE *out, cp_err *err);
int report_comments(report *r, FILE *out, cp_err *err);
/* report_flame.c: flame graph SVG */
int report_flame(report *r, FILE *out, cp_err *err);
/* report_dot.c: call graph as DOT, or as SVG through graphviz */
int report_dot(report *r, FILE *out, cp_err *err);
int report_callgraph_svg(report *r, FILE *out, cp_err *err);
/* report_list.c */
int report_list(report *r, FILE *out, cp_err *err);
/* report_disasm.c: -disasm (objdump through symbolize/objtool.h) */
int report_disasm(report *r, FILE *out, cp_err *err);
/* The address the disasm/weblist argument names when it parses as a number
 * (strconv.ParseUint(s, 0, 64)): true with *out. */
bool report_symbol_address(const char *s, uint64_t *out);
/* report_weblist.c: -weblist, a whole self-contained HTML page; and the
 * listing alone (no <html>, no script: the web UI's Source view). */
int report_weblist(report *r, FILE *out, cp_err *err);
int report_weblist_body(report *r, FILE *out, cp_err *err);

/* valueOrDot: "." for 0, else the value formatted (out: 64 bytes). */
const char *report_value_or_dot(const report *r, int64_t v, char *out);
/* report_list.c: one source file, read once (pprof's sourceReader), found
 * as list finds it: absolute paths as they are, relative ones under each
 * directory of search_path and its parents, after trim_source_path. On
 * failure lines is NULL and error says why. free_source frees the lines. */
typedef struct source_file {
    char **lines; /* lines[0] is line 1 */
    size_t n;
    char error[600]; /* non-empty when the file could not be read */
} source_file;
void read_source(source_file *sf, const char *path, const char *search_path, const char *trim);
void free_source(source_file *sf);
/* -source_path, or the current directory (written into cwd) when it is
 * empty; NULL with err when that cannot be read. */
const char *report_search_path(const report *r, char *cwd, size_t cap, cp_err *err);

/* report.go trimPath and the source search of source.go. */
const char *trim_source_path(const char *path, const char *trim_path, const char *search_path);

#endif
