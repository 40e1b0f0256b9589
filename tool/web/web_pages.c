/*
 * web_pages.c — the web UI's HTML: one page layout (views, sample type,
 * filters, Refresh) around four views, each the HTML form of a report the
 * command line already has:
 *
 *   top    report_top's trimmed graph and header lines, as a table whose
 *          rows carry raw values (data-flat, data-cum) for ui.js to sort
 *   flame  report_flame's SVG, inline; ui.js adds zoom, search, details
 *   graph  report_callgraph_svg (graphviz), inline
 *   source the weblist report's listing (report_weblist_body: source lines
 *          with flat and cum, each expandable to its instructions; ui.js
 *          toggles them), escaped by the report
 *   disasm the disasm report's text (objdump), escaped, one span per line,
 *          sampled instructions marked
 *   peek   the peek report's text (callers and callees of f), escaped
 *
 * Everything from the profile or the request is escaped on the way in
 * (buf_append_html); SVGs from our reports are already XML-escaped and only
 * lose their XML prolog. Pages reference nothing but /ui/assets/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile/measure.h"
#include "web.h"

static const struct {
    enum web_view_kind kind;
    const char *path, *id, *label;
} views[] = {
    {VIEW_TOP, "/ui/", "top", "Top"},
    {VIEW_FLAME, "/ui/flamegraph", "flamegraph", "Flame graph"},
    {VIEW_GRAPH, "/ui/graph", "graph", "Graph"},
    {VIEW_SOURCE, "/ui/source", "source", "Source"},
    {VIEW_PEEK, "/ui/peek", "peek", "Peek"},
    {VIEW_DISASM, "/ui/disasm", "disasm", "Disassemble"},
};
#define N_VIEWS (sizeof views / sizeof views[0])

/* ---- views -------------------------------------------------------------- */

/* A report written to a FILE, collected (open_memstream). */
typedef struct captured {
    char *text;
    size_t len;
    FILE *f;
} captured;

static int capture_begin(captured *c, cp_err *err)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    if (!c->f)
        cp_err_set(err, "open_memstream: %m");
    return c->f ? 0 : -1;
}

static void capture_end(captured *c)
{
    fclose(c->f);
}

/* An SVG of ours, inline: from "<svg" on (no XML prolog or DOCTYPE). */
static void append_svg(buf *b, const captured *c)
{
    const char *svg = c->text ? strstr(c->text, "<svg") : NULL;
    if (svg)
        buf_append(b, svg, c->len - (size_t)(svg - c->text));
}

static void append_legend(buf *b, const strlist *lines)
{
    buf_append_str(b, "<pre class=\"legend\" id=\"legend\">");
    for (size_t i = 0; i < lines->n; i++) {
        buf_append_html(b, lines->v[i], (size_t)-1);
        buf_append_byte(b, '\n');
    }
    buf_append_str(b, "</pre>\n");
}

static void source_link(buf *b, const web_page *pg, const char *name)
{
    buf re;
    buf_init(&re);
    regex_quote(&re, name);
    buf_append_byte(&re, 0);
    buf_append_str(b, "<a href=\"/ui/source?f=");
    url_encode(b, (const char *)re.data);
    if (pg->q->si && *pg->q->si) {
        buf_append_str(b, "&amp;si=");
        url_encode(b, pg->q->si);
    }
    buf_append_str(b, "\">");
    buf_append_html(b, name, (size_t)-1);
    buf_append_str(b, "</a>");
    buf_free(&re);
}

/* The search box of the views without their own (ui.js highlights what
 * matches: Top rows, Graph nodes, Source and Peek lines), inside a tools bar
 * the caller closes (it may add buttons first). */
static void tools_with_search(buf *b)
{
    buf_append_str(b, "<div class=\"tools\"><input id=\"search\" type=\"search\" size=\"30\" "
                      "placeholder=\"Search (JavaScript regexp)\"> <span id=\"search-matched\">"
                      "</span>");
}

/* Percentages come padded for text columns; a table aligns them itself. */
static const char *unpadded(const char *s)
{
    return s + strspn(s, " ");
}

static int emit_top(report *r, void *ctx, cp_err *err)
{
    (void)err;
    web_page *pg = ctx;
    buf *b = pg->body;
    size_t orig, dropped;
    graph *g = report_trimmed_graph(r, &orig, &dropped, NULL);
    report_select_output_unit(r, g);
    strlist labels = {0};
    report_labels(r, g, orig, dropped, 0, &labels);
    append_legend(b, &labels);
    strlist_free(&labels);
    tools_with_search(b);
    buf_append_str(b, " <span class=\"tip\">Click a row to refine by its function.</span></div>\n");
    buf_printf(b,
               "<table id=\"top\" class=\"top\" data-total=\"%lld\">\n<thead><tr>"
               "<th data-key=\"flat\">flat</th><th data-key=\"flat\">flat%%</th>"
               "<th data-key=\"sum\">sum%%</th><th data-key=\"cum\">cum</th>"
               "<th data-key=\"cum\">cum%%</th><th data-key=\"name\">name</th>"
               "</tr></thead>\n<tbody>\n",
               (long long)r->total);
    int64_t flat_sum = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const gnode *n = g->nodes[i];
        char flat[64], cum[64], p1[32], p2[32], p3[32];
        int64_t fv = gnode_flat_value(n), cv = gnode_cum_value(n); /* means with -mean */
        flat_sum += fv;
        buf_printf(b, "<tr data-flat=\"%lld\" data-cum=\"%lld\" data-name=\"", (long long)fv,
                   (long long)cv);
        buf_append_html(b, n->printable, (size_t)-1);
        buf_printf(b, "\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
                   report_format_value(r, fv, flat), unpadded(measure_percentage(p1, fv, r->total)),
                   unpadded(measure_percentage(p2, flat_sum, r->total)),
                   report_format_value(r, cv, cum), unpadded(measure_percentage(p3, cv, r->total)));
        source_link(b, pg, n->printable);
        buf_append_html(b, report_inline_label(n), (size_t)-1);
        buf_append_str(b, "</td></tr>\n");
    }
    buf_append_str(b, "</tbody></table>\n");
    graph_free(g);
    return 0;
}

static int emit_flame(report *r, void *ctx, cp_err *err)
{
    web_page *pg = ctx;
    captured c;
    if (capture_begin(&c, err) != 0)
        return -1;
    int rc = report_flame(r, c.f, err);
    capture_end(&c);
    if (rc == 0) {
        buf_append_str(pg->body,
                       "<div class=\"tools\"><button id=\"flame-reset\" type=\"button\">Reset "
                       "zoom</button> <input id=\"flame-search\" type=\"search\" size=\"30\" "
                       "placeholder=\"Search (JavaScript regexp)\"> <span id=\"flame-matched\">"
                       "</span></div>\n<div id=\"flame-detail\" class=\"detail\">Click a frame "
                       "to zoom, hover for its value.</div>\n<div id=\"flame\">");
        append_svg(pg->body, &c);
        buf_append_str(pg->body, "</div>\n");
    }
    free(c.text);
    return rc;
}

static int emit_graph(report *r, void *ctx, cp_err *err)
{
    web_page *pg = ctx;
    captured c;
    if (capture_begin(&c, err) != 0)
        return -1;
    int rc = report_callgraph_svg(r, c.f, err);
    capture_end(&c);
    if (rc == 0) {
        tools_with_search(pg->body);
        buf_append_str(pg->body,
                       " <button id=\"graph-fit\" type=\"button\">Fit</button><button "
                       "id=\"graph-zoom-in\" type=\"button\" title=\"Zoom in\">+</button><button "
                       "id=\"graph-zoom-out\" type=\"button\" title=\"Zoom out\">&minus;</button> "
                       "<span class=\"tip\">Drag to pan, wheel to zoom, click a node to refine."
                       "</span></div>\n<div id=\"graph\">");
        append_svg(pg->body, &c);
        buf_append_str(pg->body, "</div>\n");
    }
    free(c.text);
    return rc;
}

/* A line of the list or disasm report with a sample: "  flat  cum
 * LINE:text" or "  flat  cum  ADDRESS: instruction" where flat or cum is not
 * "." (the report's zero). */
static bool sampled_line(const char *line, size_t len)
{
    if (len < 23 || line[9] == ' ' || line[20] == ' ')
        return false;
    size_t i = 21;
    while (i < len && line[i] == ' ')
        i++;
    while (i < len && ((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f')))
        i++;
    return i < len && line[i] == ':' && (line[9] != '.' || line[20] != '.');
}

/* A text report (write into a FILE) as <pre id=id>, one span per line
 * (ui.js's search highlights them); with mark_source, the list report's
 * ROUTINE and sampled lines get their classes. A failed report is a 404:
 * its one failure is that no function matches. */
static int emit_text(web_page *pg, report *r, int (*write)(report *, FILE *, cp_err *),
                     const char *id, bool mark_source, cp_err *err)
{
    captured c;
    if (capture_begin(&c, err) != 0)
        return -1;
    int rc = write(r, c.f, err);
    capture_end(&c);
    if (rc != 0)
        pg->status = 404;
    buf *b = pg->body;
    if (rc == 0) {
        tools_with_search(b);
        buf_append_str(b, "</div>\n");
    }
    buf_printf(b, "<pre id=\"%s\" class=\"source\">", id);
    for (size_t at = 0; rc == 0 && at < c.len;) {
        const char *line = c.text + at, *nl = memchr(line, '\n', c.len - at);
        size_t len = nl ? (size_t)(nl - line) : c.len - at;
        const char *cls = !mark_source                    ? ""
                          : !strncmp(line, "ROUTINE ", 8) ? " routine"
                          : sampled_line(line, len)       ? " hot"
                                                          : "";
        buf_printf(b, "<span class=\"line%s\">", cls);
        buf_append_html(b, line, len);
        buf_append_str(b, "</span>\n");
        at += len + 1;
    }
    buf_append_str(b, "</pre>\n");
    free(c.text);
    return rc;
}

/* The weblist listing (its HTML is the report's, escaped there), under the
 * search box. A failed report is a 404 (no function matches). */
static int emit_source(report *r, void *ctx, cp_err *err)
{
    web_page *pg = ctx;
    captured c;
    if (capture_begin(&c, err) != 0)
        return -1;
    int rc = report_weblist_body(r, c.f, err);
    capture_end(&c);
    if (rc != 0) {
        pg->status = 404;
    } else {
        tools_with_search(pg->body);
        buf_append_str(pg->body, " <span class=\"tip\">Click a line to show its instructions."
                                 "</span></div>\n<div id=\"source\" class=\"weblist\">");
        buf_append(pg->body, c.text, c.len);
        buf_append_str(pg->body, "</div>\n");
    }
    free(c.text);
    return rc;
}

/* The disasm report: the instructions of the functions f matches. */
static int emit_disasm(report *r, void *ctx, cp_err *err)
{
    return emit_text(ctx, r, report_disasm, "disasm", true, err);
}

/* The peek report (report_tree with the symbol set: callers and callees of
 * the functions f matches). */
static int emit_peek(report *r, void *ctx, cp_err *err)
{
    return emit_text(ctx, r, report_tree, "peek", false, err);
}

report_emit web_view_emit(enum web_view_kind kind)
{
    switch (kind) {
    case VIEW_FLAME:
        return emit_flame;
    case VIEW_GRAPH:
        return emit_graph;
    case VIEW_SOURCE:
        return emit_source;
    case VIEW_PEEK:
        return emit_peek;
    case VIEW_DISASM:
        return emit_disasm;
    default:
        return emit_top;
    }
}

/* ---- the page around a view --------------------------------------------- */

static void nav(buf *b, const web_page *pg, const char *qs)
{
    buf_append_str(b, "<nav>");
    for (size_t i = 0; i < N_VIEWS; i++) {
        buf_printf(b, "<a id=\"nav-%s\" href=\"%s%s", views[i].id, views[i].path, *qs ? "?" : "");
        buf_append_html(b, qs, (size_t)-1);
        buf_printf(b, "\"%s>%s</a> ", views[i].kind == pg->kind ? " class=\"active\"" : "",
                   views[i].label);
    }
    buf_append_str(b, "</nav>\n");
}

static void sample_select(buf *b, const web_page *pg)
{
    cp_err err;
    int current = profile_sample_index(pg->p, pg->q->si ? pg->q->si : "", &err);
    buf_append_str(b, "<label>Sample <select id=\"si\" name=\"si\">");
    for (size_t i = 0; i < pg->p->n_sample_types; i++) {
        const cp_value_type *t = &pg->p->sample_types[i];
        buf_append_str(b, "<option value=\"");
        buf_append_html(b, t->type, (size_t)-1);
        buf_append_str(b, (int)i == current ? "\" selected>" : "\">");
        buf_append_html(b, t->type, (size_t)-1);
        buf_append_str(b, "</option>");
    }
    buf_append_str(b, "</select></label>\n");
}

static void text_field(buf *b, const char *name, const char *label, const char *value)
{
    buf_printf(b, "<label>%s <input type=\"text\" id=\"q-%s\" name=\"%s\" size=\"14\" value=\"",
               label, name, name);
    buf_append_html(b, value ? value : "", (size_t)-1);
    buf_append_str(b, "\"></label>\n");
}

/* Saved configurations (name -> query string): a select that opens the
 * current view with one (ui.js), Save as / Delete buttons that POST to
 * /ui/saveconfig and /ui/deleteconfig with the page's token. */
static void config_select(buf *b, const web_page *pg)
{
    buf_append_str(b, "<select id=\"config\" data-token=\"");
    buf_append_html(b, pg->refresh_token ? pg->refresh_token : "", (size_t)-1);
    buf_append_str(b, "\"><option value=\"\">Saved configurations</option>");
    for (const char *s = pg->configs; s && *s;) {
        const char *nl = strchr(s, '\n'), *tab = strchr(s, '\t');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (tab && tab < s + len) {
            buf_append_str(b, "<option value=\"");
            buf_append_html(b, tab + 1, len - (size_t)(tab + 1 - s));
            buf_append_str(b, "\">");
            buf_append_html(b, s, (size_t)(tab - s));
            buf_append_str(b, "</option>");
        }
        s += len + (nl ? 1 : 0);
    }
    buf_append_str(b, "</select><button type=\"button\" id=\"config-save\">Save as</button>"
                      "<button type=\"button\" id=\"config-delete\">Delete</button>\n");
}

static void controls(buf *b, const web_page *pg, const char *qs)
{
    const name_filters *f = &pg->q->filters;
    buf_printf(b, "<form id=\"controls\" method=\"get\" action=\"%s\">\n", views[pg->kind].path);
    sample_select(b, pg);
    text_field(b, "f", "focus", f->focus);
    text_field(b, "i", "ignore", f->ignore);
    text_field(b, "h", "hide", f->hide);
    text_field(b, "s", "show", f->show);
    text_field(b, "sf", "show from", f->show_from);
    buf_append_str(b, "<button type=\"submit\" id=\"apply\">Apply</button></form>\n");
    /* The profile as filtered here, as -proto writes it. */
    buf_printf(b, "<a id=\"download\" class=\"button\" href=\"/ui/download%s", *qs ? "?" : "");
    buf_append_html(b, qs, (size_t)-1);
    buf_append_str(b, "\" download>Download</a>\n");
    /* Refresh re-reads every source, then comes back to this very view. */
    buf back;
    buf_init(&back);
    buf_printf(&back, "%s%s%s", views[pg->kind].path, *qs ? "?" : "", qs);
    buf_append_byte(&back, 0);
    buf_append_str(b, "<form id=\"refresh-form\" method=\"post\" action=\"/ui/refresh?back=");
    buf url;
    buf_init(&url);
    url_encode(&url, (const char *)back.data);
    if (pg->refresh_token) {
        buf_append_str(&url, "&t=");
        url_encode(&url, pg->refresh_token);
    }
    buf_append_byte(&url, 0);
    buf_append_html(b, (const char *)url.data, (size_t)-1);
    buf_append_str(b, "\"><button type=\"submit\" id=\"refresh\">Refresh</button></form>\n");
    config_select(b, pg);
    buf_free(&url);
    buf_free(&back);
}

/* "Source: ...; loaded at HH:MM:SS", the line under every page's header. */
static void web_sources_line(buf *b, const cli *c, time_t loaded_at)
{
    buf_append_str(b, "<div class=\"info\" id=\"info\">");
    for (size_t i = 0; i < c->sources.n; i++) {
        buf_append_str(b, i ? ", " : "Source: ");
        buf_append_html(b, c->sources.v[i], (size_t)-1);
    }
    for (size_t i = 0; i < c->bases.n; i++) {
        buf_append_str(b, i ? ", " : c->diff_base ? "; diff_base: " : "; base: ");
        buf_append_html(b, c->bases.v[i], (size_t)-1);
    }
    char when[32];
    struct tm tm;
    localtime_r(&loaded_at, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    buf_printf(b, "; loaded at <span id=\"loaded-at\">%s</span></div>\n", when);
}

/* See web.h. */
void web_page_start(buf *out, const cli *c, time_t loaded_at, const char *notice, const char *error)
{
    web_sources_line(out, c, loaded_at);
    if (notice) {
        buf_append_str(out, "<div class=\"notice\" id=\"notice\">");
        buf_append_html(out, notice, (size_t)-1);
        buf_append_str(out, "</div>\n");
    }
    buf_append_str(out, "<main>\n");
    if (error) {
        buf_append_str(out, "<div class=\"error\" id=\"error\">");
        buf_append_html(out, error, (size_t)-1);
        buf_append_str(out, "</div>\n");
    }
}

void web_page_html(buf *out, const web_page *pg, const char *error)
{
    buf qs;
    buf_init(&qs);
    web_query_string(&qs, pg->q);
    buf_append_byte(&qs, 0);
    const char *q = (const char *)qs.data;
    buf_printf(out,
               "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<title>cprof: %s</title>\n<link rel=\"icon\" href=\"data:,\">\n"
               "<link rel=\"stylesheet\" href=\"/ui/assets/ui.css\"></head>\n"
               "<body class=\"view-%s\">\n<header><span class=\"brand\">cprof</span>\n",
               views[pg->kind].label, views[pg->kind].id);
    nav(out, pg, q);
    controls(out, pg, q);
    buf_append_str(out, "</header>\n");
    web_page_start(out, pg->c, pg->loaded_at, pg->notice, error);
    if (!error && pg->body) {
        buf_append(out, pg->body->data, pg->body->len);
    }
    buf_append_str(out, "</main>\n<script src=\"/ui/assets/ui.js\"></script>\n</body></html>\n");
    buf_free(&qs);
}
