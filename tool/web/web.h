/*
 * web.h — the web UI: `cprof -http=HOST:PORT SOURCE...` serves the reports
 * as pages (go tool pprof's -http, with its page and parameter names).
 *
 *   web_server.c   libmicrohttpd, routing, the loaded profile, refresh
 *   web_request.c  what comes from outside: the -http address, the query
 *                  parameters (validated: one-line reasons), and escaping
 *   web_pages.c    the HTML around the reports: header, controls, views
 *   web_trace.c    a trace instead of a profile: the Timeline view's page
 *                  and data (tool/trace/'s reader, trace_timeline_json)
 *   web/           JS and CSS, compiled in (xxd -i; web_assets_data.c)
 *
 * Every view runs the command line's pipeline (pipeline.h) on a copy of
 * the loaded profile and formats what the existing reports compute: top's
 * trimmed graph, the flame graph SVG of report_flame.c, the call graph SVG
 * of report_dot.c, the weblist (source) and disasm reports, peek.
 */
#ifndef CPROF_TOOL_WEB_H
#define CPROF_TOOL_WEB_H

#include <stdbool.h>
#include <time.h>

#include "buf.h"
#include "profile/filters.h"
#include "profile/model.h"
#include "options.h"
#include "pipeline.h"
#include "report/report.h"

/* Serve until SIGINT or SIGTERM; the process exit status. */
int web_serve(cli *c);

/* ---- web_request.c ------------------------------------------------------ */

/* "HOST:PORT", ":PORT" (127.0.0.1), "[V6]:PORT"; port 0 = any free one. */
int web_parse_listen(const char *spec, char *host, size_t host_cap, unsigned *port, cp_err *err);

/* The view parameters, pprof's names: si (sample index), f (focus; also
 * the source view's function), i (ignore), h (hide), s (show), sf
 * (show_from). An absent parameter keeps the command line's value; a
 * present one, even empty, replaces it (the forms always send them). */
typedef const char *(*web_arg_fn)(void *ctx, const char *key);
typedef struct web_query {
    const char *si;
    name_filters filters;
} web_query;
#define WEB_MAX_PARAM 1024 /* longer values are refused */

/* Fill q from get(ctx, key), starting from the command line's c; each
 * regexp is compiled and si checked against p. 0, or -1 with a one-line
 * reason in err (a 400). */
int web_query_parse(web_query *q, web_arg_fn get, void *ctx, const cli *c, const cp_profile *p,
                    cp_err *err);
/* "si=...&f=..." of the non-empty parameters, URL-encoded. */
void web_query_string(buf *b, const web_query *q);
/* DNS rebinding: whether a request's Host header (NULL when absent) names
 * this server: an IP address, "localhost", or the -http host (bind_host),
 * any port. Other names get a 403. */
bool web_host_allowed(const char *host_header, const char *bind_host);
/* Cross-site POSTs: whether a POST's Origin header (NULL when absent) is
 * this server's own origin, "http://" + the (already allowed) Host. */
bool web_origin_allowed(const char *origin, const char *host_header);
/* Whether a refresh may send the browser back to path: a page of ours. */
bool web_local_path(const char *path);

void url_encode(buf *b, const char *s);
/* A POSIX extended regexp matching exactly s (metacharacters escaped). */
void regex_quote(buf *b, const char *s);

/* ---- web_pages.c -------------------------------------------------------- */

enum web_view_kind { VIEW_TOP, VIEW_FLAME, VIEW_GRAPH, VIEW_SOURCE, VIEW_PEEK, VIEW_DISASM };

/* What a page shows around its report. */
typedef struct web_page {
    enum web_view_kind kind;
    const web_query *q;
    const cli *c;        /* sources and bases, for the header */
    const cp_profile *p; /* the loaded profile: its sample types */
    time_t loaded_at;
    const char *notice;        /* a message above the view, or NULL */
    const char *refresh_token; /* sent back by the Refresh form (t=), or NULL */
    const char *configs;       /* saved configurations: "NAME\tQUERY\n" lines, or NULL */
    buf *body;                 /* the view's HTML (the emit functions fill it) */
    int status;                /* HTTP status when emit fails (default 500) */
} web_page;

/* The report's emit for a view (pipeline.h): ctx is the web_page. */
report_emit web_view_emit(enum web_view_kind kind);
/* A whole page: header, controls, notice, then body (or the error). */
void web_page_html(buf *out, const web_page *pg, const char *error);

/* What every page has under its header: the sources line ("Source: ...;
 * loaded at HH:MM:SS"), the notice (or
 * NULL), "<main>" and the error (or NULL) instead of the view. */
void web_page_start(buf *out, const cli *c, time_t loaded_at, const char *notice,
                    const char *error);

/* ---- web_trace.c -------------------------------------------------------- */

/* Whether c's sources are one trace (web_trace.c says how it tells): 1,
 * with the Timeline's JSON in json (replaced); 0, not a trace (a profile);
 * -1, a trace that cannot be fetched or read, with a one-line reason. */
int web_trace_load(const cli *c, buf *json, cp_err *err);

/* What the Timeline page shows around the view timeline.js draws. */
typedef struct web_timeline_page {
    const cli *c;
    time_t loaded_at;
    const char *notice;        /* a message above the view, or NULL */
    const char *refresh_token; /* sent back by the Refresh form (t=) */
} web_timeline_page;

/* The Timeline page (error: instead of the view, or NULL) into out. */
void web_timeline_html(buf *out, const web_timeline_page *tp, const char *error);

/* ---- web_assets_data.c (generated) -------------------------------------- */

/* The compiled-in file named name ("ui.js"), or NULL. */
const unsigned char *web_asset(const char *name, size_t *len, const char **content_type);

#endif
