/*
 * web_trace.c — the web UI on a trace: `cprof -http=:0 trace.json` (the
 * Chrome Trace Event JSON of /debug/pprof/trace, plain or gzipped) or a
 * trace URL (HOST:PORT/debug/pprof/trace?seconds=N) opens the Timeline view.
 *
 * Which sources are a trace: exactly one source and no base, and either a
 * URL whose path ends in /trace (fetched once: a URL is never fetched twice
 * to find out what it serves, since a profile URL may take seconds), or a
 * file whose text (after gzip) starts with '{' or '[' — profile.proto and
 * every legacy profile format start otherwise. Anything else is a profile
 * and goes through pipeline_load as before.
 *
 * The trace is read by tool/trace/'s one reader (trace_doc_load) and turned
 * into the Timeline's compact JSON (trace_timeline_json) once, at load and
 * at each Refresh; the server then holds only that JSON, bounded by
 * timeline_limits whatever the file's size. A file that looks like a trace
 * but is not a valid one is a one-line error (at start: the exit status 1;
 * at Refresh: the page's notice, the old timeline kept).
 */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "trace/trace.h"
#include "web.h"

/* What the page gets at most: enough for a 30 s trace of 100 threads at
 * 100 Hz with its frames, small enough for a browser to draw smoothly. */
static const trace_timeline_limits timeline_limits = {
    .max_slices = 300000,
    .max_instants = 50000,
    .max_threads = 2000,
    .max_counter_points = 20000,
    .max_args_bytes = 8u << 20,
};

/* Whether url's path (before any query) ends in "/trace". */
static bool trace_url(const char *url)
{
    size_t n = strcspn(url, "?#");
    return n >= 6 && !strncmp(url + n - 6, "/trace", 6);
}

/* Whether text (plain) starts, after white space, with '{' or '['. */
static bool json_text(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i < len && (p[i] == '{' || p[i] == '[');
}

/* See web.h. */
int web_trace_load(const cli *c, buf *json, cp_err *err)
{
    if (c->sources.n != 1 || c->bases.n != 0)
        return 0;
    const char *source = c->sources.v[0];
    char *url = source_url(source);
    if (url && !trace_url(url)) {
        free(url);
        return 0;
    }
    free(url);
    buf plain;
    buf_init(&plain);
    int rc = trace_source_read(source, &c->fetch, &plain, err);
    const uint8_t *data = plain.data;
    size_t len = plain.len;
    if (rc != 0) {
        rc = -1;
    } else if (!json_text(data, len)) {
        rc = 0; /* a profile: pipeline_load reads it (and says what is wrong with it) */
    } else {
        trace_doc d;
        if (trace_doc_load(&d, data, len, err) != 0) {
            rc = -1;
        } else {
            buf_reset(json);
            trace_timeline_json(&d, &timeline_limits, json);
            trace_doc_free(&d);
            rc = 1;
            if (json->oom) {
                cp_err_set(err, "out of memory making the timeline");
                rc = -1;
            }
        }
    }
    buf_free(&plain);
    return rc;
}

/* See web.h. */
void web_timeline_html(buf *out, const web_timeline_page *tp, const char *error)
{
    buf_append_str(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                        "<title>cprof: Timeline</title>\n<link rel=\"icon\" href=\"data:,\">\n"
                        "<link rel=\"stylesheet\" href=\"/ui/assets/ui.css\"></head>\n"
                        "<body class=\"view-timeline\">\n<header><span class=\"brand\">cprof"
                        "</span>\n<nav><a id=\"nav-timeline\" href=\"/ui/timeline\" "
                        "class=\"active\">Timeline</a></nav>\n");
    buf url;
    buf_init(&url);
    buf_append_str(&url, "/ui/refresh?back=%2Fui%2Ftimeline&t=");
    url_encode(&url, tp->refresh_token);
    buf_append_byte(&url, 0);
    buf_append_str(out, "<form id=\"refresh-form\" method=\"post\" action=\"");
    buf_append_html(out, (const char *)url.data, (size_t)-1);
    buf_append_str(out, "\"><button type=\"submit\" id=\"refresh\">Refresh</button></form>\n"
                        "</header>\n");
    buf_free(&url);
    web_page_start(out, tp->c, tp->loaded_at, tp->notice, error);
    if (error) {
        buf_append_str(out, "</main>\n</body></html>\n");
        return;
    }
    buf_append_str(
        out,
        "<div class=\"tools\"><input id=\"timeline-search\" type=\"search\" size=\"30\" "
        "placeholder=\"Search slices (JavaScript regexp)\"> <span id=\"timeline-matched\"></span> "
        "<button id=\"timeline-zoom-in\" type=\"button\" title=\"Zoom in\">+</button><button "
        "id=\"timeline-zoom-out\" type=\"button\" title=\"Zoom out\">&minus;</button><button "
        "id=\"timeline-reset\" type=\"button\">Reset zoom</button> <span id=\"timeline-range\">"
        "</span> <span class=\"tip\">Drag to pan, Ctrl+wheel to zoom, wheel to scroll the "
        "threads, hover for details.</span></div>\n"
        "<div id=\"timeline-info\" class=\"detail\">Loading the trace&hellip;</div>\n"
        "<div id=\"timeline-limits\" class=\"notice\" hidden></div>\n"
        "<div id=\"timeline-box\"><canvas id=\"timeline\"></canvas>"
        "<div id=\"timeline-tip\" class=\"timeline-tip\" hidden></div></div>\n"
        "<details id=\"timeline-threads-box\"><summary>Threads</summary>"
        "<table id=\"timeline-threads\"><thead><tr><th>thread</th><th>tid</th><th>created</th>"
        "<th>exited</th><th>on CPU</th></tr></thead><tbody></tbody></table></details>\n"
        "</main>\n<script src=\"/ui/assets/timeline.js\"></script>\n</body></html>\n");
}
