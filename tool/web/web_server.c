/*
 * web_server.c — `cprof -http=HOST:PORT`: libmicrohttpd serving the web UI
 * (web.h) until SIGINT or SIGTERM.
 *
 * Concurrency: MHD runs ONE internal thread that handles every request to
 * the end, so the loaded profile needs no lock: a Refresh (which replaces
 * it) never races with a page being rendered from it. The price is that a
 * slow request (a big profile, graphviz, a Refresh of a slow URL) delays
 * the others for its duration; for one person looking at a profile that is
 * the right trade. The main thread only waits for the signal, then stops
 * the daemon cleanly.
 *
 * Each view renders from a copy of the loaded profile (profile_merge of
 * one profile is a deep copy), because filters and aggregation change a
 * profile in place. Routes are pprof's: /ui/ (top; also /), /ui/flamegraph,
 * /ui/graph, /ui/source?f=RE (weblist), /ui/disasm?f=RE, /ui/peek?f=RE,
 * /ui/download (the filtered
 * profile.proto), plus /ui/assets/NAME and POST /ui/refresh.
 * Anything else is a one-line 404; other methods a 405.
 *
 * A trace instead of a profile (web_trace.c decides, before the profile is
 * loaded): the server holds the Timeline's JSON instead of a profile and
 * serves /ui/timeline (also / and /ui/), /ui/timeline.json and Refresh;
 * the profile views answer a page saying why they do not apply. With a
 * profile, /ui/timeline is such a page (and the views' menu has no Timeline).
 *
 * Who may ask (a page on another site must not drive this server from the
 * user's browser): a Host header that is not this server's (DNS rebinding)
 * is a 403; every POST (/ui/refresh, /ui/saveconfig, /ui/deleteconfig)
 * needs a same-origin (or no) Origin and the per-server random token every
 * page carries (its Refresh form, the configurations' select). The
 * daemon holds at most MAX_CONNECTIONS connections (MAX_PER_IP from one
 * address), each closed after IDLE_TIMEOUT idle seconds.
 */
#include <ctype.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "pipeline.h"
#include "web.h"

#define MAX_CONNECTIONS 64u
#define MAX_PER_IP 32u
#define IDLE_TIMEOUT 30u

typedef struct web_state {
    cli *c;
    const char *host; /* the -http host: a name requests may use */
    char token[33];   /* random, hex: POST /ui/refresh must carry it */
    cp_profile *p;    /* as loaded: never filtered, views copy it; NULL for a trace */
    bool trace;       /* the source is a trace: timeline holds its Timeline JSON */
    buf timeline;
    time_t loaded_at;
    char notice[700]; /* shown once, on the next page (refresh failures) */
} web_state;

/* ---- compiled-in assets (tool/web/, xxd -i) ----------------------------- */

extern unsigned char ui_js[], ui_css[], timeline_js[];
extern unsigned int ui_js_len, ui_css_len, timeline_js_len;

const unsigned char *web_asset(const char *name, size_t *len, const char **content_type)
{
    if (!strcmp(name, "ui.js")) {
        *len = ui_js_len;
        *content_type = "text/javascript; charset=utf-8";
        return ui_js;
    }
    if (!strcmp(name, "timeline.js")) {
        *len = timeline_js_len;
        *content_type = "text/javascript; charset=utf-8";
        return timeline_js;
    }
    if (!strcmp(name, "ui.css")) {
        *len = ui_css_len;
        *content_type = "text/css; charset=utf-8";
        return ui_css;
    }
    return NULL;
}

/* ---- replies ------------------------------------------------------------ */

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *resp, const char *type)
{
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* body (taken, freed) as the response, with one extra header (hdr: NULL
 * for none). */
static enum MHD_Result reply_buf(struct MHD_Connection *conn, unsigned status, const char *type,
                                 buf *body, const char *hdr, const char *hdr_value)
{
    if (body->oom) {
        buf_free(body);
        return MHD_NO;
    }
    size_t len;
    uint8_t *data = buf_steal(body, &len);
    struct MHD_Response *resp =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp && hdr)
        MHD_add_response_header(resp, hdr, hdr_value);
    return queue(conn, status, resp, type);
}

/* A one-line plain-text error, as Go's pprof handlers send them. */
static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s\n", msg);
    return reply_buf(conn, status, "text/plain; charset=utf-8", &b, "X-Go-Pprof", "1");
}

/* ---- saved configurations ------------------------------------------------ */

/* CONFIG_FILE in the profile directory (profile_save_dir: $CPROF_HOME...):
 * one "NAME\tQUERY" line per configuration, QUERY a validated
 * web_query_string. Read for every page, rewritten whole (temp + rename). */
#define CONFIG_FILE "web_configs"
#define MAX_CONFIGS_BYTES (256 * 1024)

static void config_path(char *out, size_t cap)
{
    char dir[4096];
    snprintf(out, cap, "%s/" CONFIG_FILE, profile_save_dir(dir, sizeof dir));
}

/* The file's text into b (empty when absent), NUL-terminated. */
static void configs_read(buf *b)
{
    char path[4200];
    config_path(path, sizeof path);
    cp_err err;
    struct stat sb;
    if (stat(path, &sb) != 0 || sb.st_size > MAX_CONFIGS_BYTES || read_file(path, b, &err) != 0)
        b->len = 0;
    buf_append_byte(b, 0);
}

/* A name: 1-64 of letters, digits, space, '.', '_', '-'. */
static bool config_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr(" ._-", name[i]))
            return false;
    return true;
}

/* ---- views -------------------------------------------------------------- */

static const char *query_arg(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static const enum report_format view_format[] = {
    [VIEW_TOP] = FMT_TOP,        [VIEW_FLAME] = FMT_SVG, [VIEW_GRAPH] = FMT_CALLGRAPH_SVG,
    [VIEW_SOURCE] = FMT_WEBLIST, [VIEW_PEEK] = FMT_PEEK, [VIEW_DISASM] = FMT_DISASM,
};

/* The view's report on a copy of the loaded profile, into pg->body. */
static int render_view(web_state *st, web_page *pg, cp_err *err)
{
    cli c = *st->c;
    c.format = view_format[pg->kind];
    c.sample_index = pg->q->si;
    c.filters = pg->q->filters;
    bool by_symbol = pg->kind == VIEW_SOURCE || pg->kind == VIEW_PEEK || pg->kind == VIEW_DISASM;
    c.symbol = by_symbol ? pg->q->filters.focus : NULL;
    c.output = NULL;
    cp_profile *copy = profile_merge(&st->p, 1, err);
    if (!copy)
        return -1;
    int rc = pipeline_report(copy, &c, web_view_emit(pg->kind), pg, err);
    cp_profile_free(copy);
    return rc;
}

/* A view of the loaded profile; with why (not NULL), that one-line reason
 * instead of the view, a 404 (the Timeline asked of a profile). */
static enum MHD_Result serve_view(web_state *st, struct MHD_Connection *conn,
                                  enum web_view_kind kind, const char *why)
{
    web_query q;
    cp_err err;
    buf body, page, configs;
    buf_init(&body);
    buf_init(&page);
    buf_init(&configs);
    configs_read(&configs);
    web_page pg = {.kind = kind,
                   .q = &q,
                   .c = st->c,
                   .p = st->p,
                   .loaded_at = st->loaded_at,
                   .notice = st->notice[0] ? st->notice : NULL,
                   .refresh_token = st->token,
                   .configs = (const char *)configs.data,
                   .body = &body,
                   .status = 500};
    unsigned status = 200;
    const char *error = NULL;
    if (web_query_parse(&q, query_arg, conn, st->c, st->p, &err) != 0) {
        status = 400;
        error = err.msg;
    } else if (why) {
        status = 404;
        error = why;
    } else if ((kind == VIEW_SOURCE || kind == VIEW_PEEK || kind == VIEW_DISASM) &&
               !(q.filters.focus && *q.filters.focus)) {
        buf_append_str(&body, "<p class=\"hint\" id=\"hint\">Which function? Click a name in "
                              "Top, or give a regexp in focus (f=).</p>\n");
    } else if (render_view(st, &pg, &err) != 0) {
        status = (unsigned)pg.status;
        error = err.msg;
    }
    web_page_html(&page, &pg, error);
    st->notice[0] = 0;
    buf_free(&body);
    buf_free(&configs);
    return reply_buf(conn, status, "text/html; charset=utf-8", &page, NULL, NULL);
}

/* ---- the Timeline (a trace) -------------------------------------------------- */

static const char not_a_trace[] =
    "The Timeline view shows a trace (Chrome Trace Event JSON from /debug/pprof/trace: cprof "
    "-http=:0 trace.json, or a HOST:PORT/debug/pprof/trace URL); the source loaded here is a "
    "profile.";
static const char not_a_profile[] =
    "The source loaded here is a trace (Chrome Trace Event JSON), not a profile: its view is the "
    "Timeline (/ui/timeline).";

/* The Timeline page; with error (not NULL), that reason instead, a 404. */
static enum MHD_Result serve_timeline(web_state *st, struct MHD_Connection *conn, const char *error)
{
    buf page;
    buf_init(&page);
    web_timeline_page tp = {.c = st->c,
                            .loaded_at = st->loaded_at,
                            .notice = st->notice[0] ? st->notice : NULL,
                            .refresh_token = st->token};
    web_timeline_html(&page, &tp, error);
    st->notice[0] = 0;
    return reply_buf(conn, error ? 404 : 200, "text/html; charset=utf-8", &page, NULL, NULL);
}

/* GET /ui/timeline.json: the Timeline's data, as made at load or Refresh. */
static enum MHD_Result serve_timeline_json(web_state *st, struct MHD_Connection *conn)
{
    return queue(
        conn, 200,
        MHD_create_response_from_buffer(st->timeline.len, st->timeline.data, MHD_RESPMEM_MUST_COPY),
        "application/json");
}

/* ---- download ----------------------------------------------------------- */

/* pipeline_report's emit for /ui/download: the report's (filtered,
 * compacted) profile as gzipped profile.proto into ctx, a buf. */
static int emit_proto(report *r, void *ctx, cp_err *err)
{
    buf *out = ctx;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    if (!f) {
        cp_err_set(err, "open_memstream: %m");
        return -1;
    }
    int rc = pipeline_write(r, f, err);
    fclose(f);
    if (rc == 0)
        buf_append(out, data, len);
    free(data);
    return rc;
}

/* GET /ui/download: the profile with the request's sample type and filters
 * applied (what the page shows), as -proto writes it, with the headers Go's
 * pprof web UI sends for its download. A bad parameter is a one-line 400. */
static enum MHD_Result serve_download(web_state *st, struct MHD_Connection *conn)
{
    web_query q;
    cp_err err;
    if (web_query_parse(&q, query_arg, conn, st->c, st->p, &err) != 0)
        return reply_error(conn, 400, err.msg);
    cli c = *st->c;
    c.format = FMT_PROTO;
    c.sample_index = q.si;
    c.filters = q.filters;
    c.symbol = NULL;
    c.output = NULL;
    cp_profile *copy = profile_merge(&st->p, 1, &err);
    buf out;
    buf_init(&out);
    int rc = copy ? pipeline_report(copy, &c, emit_proto, &out, &err) : -1;
    cp_profile_free(copy);
    if (rc != 0) {
        buf_free(&out);
        return reply_error(conn, 500, err.msg);
    }
    return reply_buf(conn, 200, "application/vnd.google.protobuf+gzip", &out, "Content-Disposition",
                     "attachment;filename=profile.pb.gz");
}

/* ---- refresh ------------------------------------------------------------ */

/* A 303 to path (a page of ours). */
static enum MHD_Result see_other(struct MHD_Connection *conn, const char *path)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, path);
    return queue(conn, MHD_HTTP_SEE_OTHER, resp, "text/plain; charset=utf-8");
}

/* Every source (and base) read again; on failure the old profile stays
 * and the next page says why. Then back to the page it came from. */
static enum MHD_Result serve_refresh(web_state *st, struct MHD_Connection *conn)
{
    const char *back = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "back");
    if (!back)
        back = "/ui/";
    if (!web_local_path(back))
        return reply_error(conn, 400, "back must be a page of this server (/ui/...)");
    cp_err err;
    if (st->trace) {
        buf json;
        buf_init(&json);
        int rc = web_trace_load(st->c, &json, &err);
        if (rc == 1) {
            buf_free(&st->timeline);
            st->timeline = json;
            st->loaded_at = time(NULL);
            st->notice[0] = 0;
        } else {
            buf_free(&json);
            snprintf(st->notice, sizeof st->notice,
                     "Refresh failed: %.600s (still showing the trace loaded before)",
                     rc == 0 ? "the source is no longer a trace" : err.msg);
        }
        return see_other(conn, back);
    }
    cp_profile *p = pipeline_load(st->c, &err);
    if (p) {
        cp_profile_free(st->p);
        st->p = p;
        st->loaded_at = time(NULL);
        st->notice[0] = 0;
    } else {
        snprintf(st->notice, sizeof st->notice,
                 "Refresh failed: %.600s (still showing the profile loaded before)", err.msg);
    }
    return see_other(conn, back);
}

/* ---- saved configurations: save and delete ----------------------------- */

/* POST /ui/saveconfig?config=NAME&back=PATH&si=...&f=... (save: the
 * request's validated parameters under NAME, replacing one of that name)
 * and /ui/deleteconfig?config=NAME&back=PATH; then back to PATH. */
static enum MHD_Result serve_config(web_state *st, struct MHD_Connection *conn, bool save)
{
    const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "config");
    const char *back = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "back");
    if (!back)
        back = "/ui/";
    if (!config_name_ok(name))
        return reply_error(conn, 400, "config must be 1 to 64 letters, digits, spaces, . _ -");
    if (!web_local_path(back))
        return reply_error(conn, 400, "back must be a page of this server (/ui/...)");
    web_query q;
    cp_err err;
    if (save && web_query_parse(&q, query_arg, conn, st->c, st->p, &err) != 0)
        return reply_error(conn, 400, err.msg);
    buf old, out;
    buf_init(&old);
    buf_init(&out);
    configs_read(&old);
    size_t nlen = strlen(name);
    for (const char *s = (const char *)old.data; *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
        if (!(len > nlen && !strncmp(s, name, nlen) && s[nlen] == '\t'))
            buf_append(&out, s, len);
        s += len;
    }
    if (save) {
        buf qs; /* web_query_string separates from what the buffer holds */
        buf_init(&qs);
        web_query_string(&qs, &q);
        buf_printf(&out, "%s\t", name);
        buf_append(&out, qs.data, qs.len);
        buf_append_byte(&out, '\n');
        buf_free(&qs);
    }
    buf_free(&old);
    char path[4200], tmp[4300];
    config_path(path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && (out.len == 0 || fwrite(out.data, 1, out.len, f) == out.len);
    if (f && fclose(f) != 0)
        ok = false;
    ok = ok && rename(tmp, path) == 0;
    buf_free(&out);
    if (!ok) {
        unlink(tmp);
        return reply_error(conn, 500, "cannot write the saved configurations");
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, back);
    return queue(conn, MHD_HTTP_SEE_OTHER, resp, "text/plain; charset=utf-8");
}

/* ---- routing ------------------------------------------------------------ */

static bool view_of(const char *url, enum web_view_kind *kind)
{
    static const struct {
        const char *path;
        enum web_view_kind kind;
    } routes[] = {
        {"/", VIEW_TOP},
        {"/ui", VIEW_TOP},
        {"/ui/", VIEW_TOP},
        {"/ui/top", VIEW_TOP},
        {"/ui/flamegraph", VIEW_FLAME},
        {"/ui/graph", VIEW_GRAPH},
        {"/ui/source", VIEW_SOURCE},
        {"/ui/peek", VIEW_PEEK},
        {"/ui/disasm", VIEW_DISASM},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (!strcmp(url, routes[i].path)) {
            *kind = routes[i].kind;
            return true;
        }
    return false;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    (void)version;
    (void)upload_data;
    static int started;
    web_state *st = cls;
    if (!*req_cls) { /* headers only so far */
        *req_cls = &started;
        return MHD_YES;
    }
    if (*upload_data_size) { /* no route reads a body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    enum web_view_kind kind;
    char msg[300];
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!web_host_allowed(host, st->host)) {
        snprintf(msg, sizeof msg, "403 Forbidden: Host \"%.100s\" is not a name of this server",
                 host);
        return reply_error(conn, 403, msg);
    }
    const char *post = !strcmp(url, "/ui/refresh")        ? "refresh"
                       : !strcmp(url, "/ui/saveconfig")   ? "saveconfig"
                       : !strcmp(url, "/ui/deleteconfig") ? "deleteconfig"
                                                          : NULL;
    if (post) {
        if (strcmp(method, "POST") != 0) {
            snprintf(msg, sizeof msg, "%s needs POST", post);
            return reply_error(conn, 405, msg);
        }
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        if (!web_origin_allowed(origin, host)) {
            snprintf(msg, sizeof msg, "403 Forbidden: %s from another origin", post);
            return reply_error(conn, 403, msg);
        }
        const char *t = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
        if (!t || strcmp(t, st->token) != 0) {
            snprintf(msg, sizeof msg,
                     "403 Forbidden: %s without this server's token (reload the page)", post);
            return reply_error(conn, 403, msg);
        }
        if (post[0] != 'r' && st->trace)
            return reply_error(conn, 404, "saved configurations are for profiles, not a trace");
        return post[0] == 'r' ? serve_refresh(st, conn) : serve_config(st, conn, post[0] == 's');
    }
    if (!get) {
        snprintf(msg, sizeof msg, "method %.20s not allowed", method);
        return reply_error(conn, 405, msg);
    }
    bool timeline = !strcmp(url, "/ui/timeline");
    if (st->trace) {
        if (timeline || !strcmp(url, "/") || !strcmp(url, "/ui") || !strcmp(url, "/ui/"))
            return serve_timeline(st, conn, NULL);
        if (!strcmp(url, "/ui/timeline.json"))
            return serve_timeline_json(st, conn);
        if (view_of(url, &kind) || !strcmp(url, "/ui/download"))
            return serve_timeline(st, conn, not_a_profile);
    } else {
        if (timeline)
            return serve_view(st, conn, VIEW_TOP, not_a_trace);
        if (!strcmp(url, "/ui/timeline.json"))
            return reply_error(conn, 404, not_a_trace);
    }
    if (view_of(url, &kind))
        return serve_view(st, conn, kind, NULL);
    if (!strcmp(url, "/ui/download"))
        return serve_download(st, conn);
    if (!strncmp(url, "/ui/assets/", 11)) {
        size_t len;
        const char *type;
        const unsigned char *data = web_asset(url + 11, &len, &type);
        if (data)
            return queue(conn, 200,
                         MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT),
                         type);
    }
    snprintf(msg, sizeof msg, "404 page not found: %.200s", url);
    return reply_error(conn, 404, msg);
}

/* ---- the daemon --------------------------------------------------------- */

static struct MHD_Daemon *start(web_state *st, const char *spec, const char *host, unsigned port,
                                char *shown, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    int gai = getaddrinfo(host, NULL, &hints, &ai);
    if (gai != 0) {
        fprintf(stderr, "cprof: -http=%s: %s: %s\n", spec, host, gai_strerror(gai));
        return NULL;
    }
    struct sockaddr_storage addr;
    memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    bool v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (v6)
        ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
        handle, st, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        MAX_PER_IP, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cprof: -http=%s: cannot listen on %s port %u\n", spec, host, port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(shown, cap, v6 ? "http://[%s]:%u" : "http://%s:%u", host, info ? info->port : port);
    return d;
}

/* cap-1 random hex digits and a NUL into out; 0, or -1 without entropy. */
static int random_token(char *out, size_t cap)
{
    unsigned char raw[16];
    size_t n = (cap - 1) / 2 < sizeof raw ? (cap - 1) / 2 : sizeof raw;
    if (getrandom(raw, n, 0) != (ssize_t)n)
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

int web_serve(cli *c)
{
    cp_err err;
    char host[256];
    unsigned port;
    if (web_parse_listen(c->http, host, sizeof host, &port, &err) != 0) {
        fprintf(stderr, "cprof: %s\n", err.msg);
        return 2;
    }
    web_state st = {.c = c, .host = host};
    if (random_token(st.token, sizeof st.token) != 0) {
        fprintf(stderr, "cprof: -http: no random bytes for the page token\n");
        return 1;
    }
    buf_init(&st.timeline);
    int is_trace = web_trace_load(c, &st.timeline, &err);
    if (is_trace < 0) {
        char *url = source_url(c->sources.v[0]);
        char *shown = url ? url_redacted(c->sources.v[0]) : NULL; /* no token in messages */
        fprintf(stderr, "cprof: %s: %s\n", shown ? shown : c->sources.v[0], err.msg);
        free(shown);
        free(url);
        buf_free(&st.timeline);
        return 1;
    }
    st.trace = is_trace == 1;
    if (!st.trace && !(st.p = pipeline_load(c, &err)))
        return 1;
    st.loaded_at = time(NULL);
    /* Blocked before the daemon's thread starts, so only sigwait sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    char shown[400];
    struct MHD_Daemon *d = start(&st, c->http, host, port, shown, sizeof shown);
    if (!d) {
        cp_profile_free(st.p);
        buf_free(&st.timeline);
        return 1;
    }
    fprintf(stderr, "Serving web UI on %s\n", shown);
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    cp_profile_free(st.p);
    buf_free(&st.timeline);
    fprintf(stderr, "cprof: %s: web UI stopped\n", sig == SIGINT ? "interrupt" : "terminated");
    return 0;
}
