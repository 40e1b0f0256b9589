/*
 * http_router.c — Go's net/http/pprof contract as a plain C function.
 *
 * http_route() maps one request (path relative to the mount prefix) to one
 * response and never fails: every outcome, including out-of-memory, is a
 * response. It knows nothing of sockets, so the built-in listener and any
 * embedding server get byte-identical behaviour.
 *
 * Routes:  "" and "/"  index page (HTML)
 *          "/cmdline"  argv joined by NUL bytes
 *          "/symbol"   address -> function name (GET query or POST body)
 *          "/procs"    this process and its profiled descendants (proc_tree.h)
 *          "/metrics"  Prometheus text (lib/metrics/) plus the request
 *                      counters this file keeps: per route and status, one
 *                      relaxed atomic add per request
 *          "/<name>"   a profile source from the registry (profiles.c);
 *                      seconds=N on a source with a build function serves
 *                      the delta over N seconds (profile_delta.c)
 *
 * ?pid=N on a profile or /cmdline: another process of the tree answers
 * (http_forward.c); the registry's pid parameter is checked like the others.
 * ?pid=all on a profile: the whole tree merged (http_merge.c).
 *
 * Profiles: the router knows none by name. http_profile_query() checks the
 * query against the registry's tables — every parameter in the registry's
 * order (Go's), and for each: its value, whether this profile takes it, the
 * server's window limit, debug=0 with a delta — and the source gets the
 * parsed values; its neutral profile_status becomes the status code here.
 *
 * Error replies follow Go exactly: text/plain, X-Go-Pprof: 1, message plus
 * newline, no Content-Disposition (google/pprof prints the body only when
 * X-Go-Pprof is present). Checks run in a fixed order — body size, method,
 * route, query parameters — so a request has one well-defined error.
 *
 * Query values are decoded by http_query_get(): %XX and '+' -> ' ', with
 * malformed escapes and decoded NUL bytes rejected, so "debug=1%00x" can never
 * pass for "1".
 */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/gzip.h"
#include "common/hex.h"
#include "cprof.h"
#include "metrics/metrics.h"
#include "pprof/profile_delta.h"
#include "pprof/profiles.h"
#include "pprof/symbolize.h"
#include "process/config.h"
#include "process/proc_tree.h"

#define TEXT_PLAIN HTTP_TEXT_PLAIN
#define TEXT_HTML HTTP_TEXT_HTML
#define OCTET_STREAM HTTP_OCTET_STREAM

#define ALLOW_READ "GET, HEAD"
#define ALLOW_SYMBOL "GET, HEAD, POST"

#define MSG_UNKNOWN "Unknown profile"
#define MSG_NO_ADDRESS "no valid address in request: expected addresses like 0x4005d0 joined by '+'"

/* ------------------------------------------------------------------------ */
/* Responses                                                                 */

void http_response_init(http_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
    resp->content_type = TEXT_PLAIN;
    buf_init(&resp->body);
}

void http_response_free(http_response *resp)
{
    buf_free(&resp->body);
}

void http_response_error(http_response *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = TEXT_PLAIN;
    resp->content_disposition[0] = '\0';
    resp->content_encoding = NULL;
    resp->go_pprof_error = 1;
    /* buf_reset also clears a previous out-of-memory state, so the short
     * error message usually fits even after a failed large reply. */
    buf_reset(&resp->body);
    buf_append_str(&resp->body, msg);
    buf_append_byte(&resp->body, '\n');
}

static void method_not_allowed(http_response *resp, const char *allow)
{
    http_response_error(resp, 405,
                        strcmp(allow, ALLOW_SYMBOL) == 0
                            ? "method not allowed: use GET, HEAD or POST"
                            : "method not allowed: use GET or HEAD");
    resp->allow = allow;
}

/* ------------------------------------------------------------------------ */
/* Query strings                                                             */

/* Decode one byte of a query component starting at *p (before end) and
 * advance *p. Returns the byte, or -1 for a malformed %XX or a decoded NUL. */
static int decode_next(const char **p, const char *end)
{
    const char *s = *p;
    if (*s == '+') {
        *p = s + 1;
        return ' ';
    }
    if (*s != '%') {
        *p = s + 1;
        return (unsigned char)*s;
    }
    if (end - s < 3)
        return -1;
    int hi = hex_value((unsigned char)s[1]);
    int lo = hex_value((unsigned char)s[2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return -1;
    *p = s + 3;
    return hi * 16 + lo;
}

/* Does the encoded component [s, end) decode to exactly `name`? */
static int component_equals(const char *s, const char *end, const char *name)
{
    while (s < end) {
        int c = decode_next(&s, end);
        if (c < 0 || *name == '\0' || c != (unsigned char)*name)
            return 0;
        name++;
    }
    return *name == '\0';
}

static int component_decode(const char *s, const char *end, char *out, size_t out_len)
{
    size_t n = 0;
    while (s < end) {
        int c = decode_next(&s, end);
        if (c < 0 || n + 1 >= out_len)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 1;
}

int http_query_get(const char *query, const char *name, char *out, size_t out_len)
{
    if (out && out_len)
        out[0] = '\0';
    if (!query || !name || !out || out_len == 0)
        return 0;
    const char *p = query;
    while (*p) {
        const char *pair_end = strchr(p, '&');
        if (!pair_end)
            pair_end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        if (key_end > p && component_equals(p, key_end, name)) {
            const char *val = eq ? eq + 1 : pair_end;
            return component_decode(val, pair_end, out, out_len);
        }
        p = *pair_end ? pair_end + 1 : pair_end;
    }
    return 0;
}

int http_query_without(const char *query, const char *name, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = query ? query : ""; *p;) {
        const char *pair_end = strchr(p, '&');
        if (!pair_end)
            pair_end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        size_t len = (size_t)(pair_end - p);
        if (len > 0 && !component_equals(p, key_end, name)) {
            if (n + (n > 0) + len + 1 > cap)
                return -1;
            if (n > 0)
                out[n++] = '&';
            memcpy(out + n, p, len);
            n += len;
            out[n] = '\0';
        }
        p = *pair_end ? pair_end + 1 : pair_end;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Index page                                                                */

typedef struct index_entry {
    const char *name;
    const char *href; /* relative to the index page, unescaped */
    long count;
    const char *description;
} index_entry;

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const index_entry *)a)->name, ((const index_entry *)b)->name);
}

/* The registered sources plus the fixed endpoints, sorted by name as Go
 * does. Returns a malloc'd array, or NULL when out of memory. */
static index_entry *index_entries(size_t *n)
{
    size_t n_src;
    const profile_source *src = profile_sources(&n_src);
    index_entry *e = calloc(n_src + 3, sizeof *e);
    if (!e)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n_src; i++, k++) {
        e[k].name = src[i].name;
        /* Go links a profile that reads debug as NAME?debug=1, /profile bare. */
        e[k].href = profile_takes(&src[i], PARAM_DEBUG) ? NULL : src[i].name;
        e[k].count = src[i].count ? src[i].count() : -1;
        e[k].description = src[i].description;
    }
    e[k++] = (index_entry){"cmdline", "cmdline", -1,
                           "The command line invocation of the current program"};
    /* No ?debug=1 here: /symbol reads its query as a list of addresses. */
    e[k++] = (index_entry){"symbol", "symbol", -1,
                           "Maps program counters to function names: GET or POST "
                           "addresses joined by '+' (used by pprof)"};
    e[k++] = (index_entry){"metrics", "metrics", -1,
                           "Process and cprof metrics in the Prometheus text format"};
    qsort(e, k, sizeof *e, entry_cmp);
    *n = k;
    return e;
}

static void append_tree_table(buf *b, const proc_tree_entry *e, size_t n);

static void serve_index(http_response *resp)
{
    size_t n;
    index_entry *e = index_entries(&n);
    if (!e) {
        http_response_error(resp, 500, "out of memory while building the index page");
        return;
    }
    buf *b = &resp->body;
    resp->content_type = TEXT_HTML;
    buf_append_str(b, "<html>\n<head>\n<title>/debug/pprof/</title>\n"
                      "<style>\n.profile-name{\n\tdisplay:inline-block;\n\twidth:6rem;\n}\n"
                      "</style>\n</head>\n<body>\n/debug/pprof/\n<br>\n");
    buf_printf(b,
               "<p>cprof %s, process %ld. Add debug=1 to a profile's URL for the legacy "
               "text format; without it you get gzipped profile.proto for "
               "<code>go tool pprof</code>.</p>\n<br>\n",
               CPROF_VERSION, (long)getpid());
    buf_append_str(b, "Types of profiles available:\n<table>\n"
                      "<thead><td>Count</td><td>Profile</td></thead>\n");
    for (size_t i = 0; i < n; i++) {
        /* Go shows 0 for endpoints without a count (cmdline, profile). */
        buf_printf(b, "<tr><td>%ld</td><td><a href='", e[i].count < 0 ? 0L : e[i].count);
        buf_append_html(b, e[i].href ? e[i].href : e[i].name, (size_t)-1);
        if (!e[i].href)
            buf_append_str(b, "?debug=1");
        buf_append_str(b, "'>");
        buf_append_html(b, e[i].name, (size_t)-1);
        buf_append_str(b, "</a></td></tr>\n");
    }
    buf_append_str(b, "</table>\n");
    size_t n_notes;
    const profile_index_note *notes = profile_index_notes(&n_notes);
    for (size_t i = 0; i < n_notes; i++) {
        char value[192];
        notes[i].value(value, sizeof value);
        buf_append_str(b, "<p>");
        buf_append_html(b, notes[i].title, (size_t)-1);
        buf_append_str(b, ": ");
        buf_append_html(b, value, (size_t)-1);
        if (notes[i].remark) {
            buf_append_str(b, " ");
            buf_append_html(b, notes[i].remark, (size_t)-1);
        }
        buf_append_str(b, ".");
        if (notes[i].href) {
            buf_append_str(b, " <a href='");
            buf_append_html(b, notes[i].href, (size_t)-1);
            buf_append_str(b, "'>");
            buf_append_html(b, notes[i].link_text, (size_t)-1);
            buf_append_str(b, "</a>");
        }
        buf_append_str(b, "</p>\n");
    }
    size_t n_procs;
    proc_tree_entry *procs = proc_tree_list(&n_procs);
    if (procs && n_procs > 1) {
        buf_printf(b,
                   "<p>Processes: %zu (this one and its descendants that have cprof; "
                   "<code>?pid=N</code> asks one, <code>?pid=all</code> merges them all). "
                   "<a href='procs'>process tree</a></p>\n",
                   n_procs);
        append_tree_table(b, procs, n_procs);
    }
    free(procs);
    buf_append_str(b, "<br>\n<p>\nProfile Descriptions:\n<ul>\n");
    for (size_t i = 0; i < n; i++) {
        buf_append_str(b, "<li><div class=profile-name>");
        buf_append_html(b, e[i].name, (size_t)-1);
        buf_append_str(b, ": </div> ");
        buf_append_html(b, e[i].description ? e[i].description : "", (size_t)-1);
        buf_append_str(b, "</li>\n");
    }
    buf_append_str(b, "</ul>\n</p>\n</body>\n</html>\n");
    free(e);
}

/* ------------------------------------------------------------------------ */
/* The process tree: /procs and the index                                    */

/* One row per process of the tree: pid (indented by depth), parent,
 * program, threads, and a link to each profile and /cmdline of it (the
 * registry's sources; ?pid=N for the descendants). */
static void append_tree_table(buf *b, const proc_tree_entry *e, size_t n)
{
    size_t n_src;
    const profile_source *src = profile_sources(&n_src);
    buf_append_str(b, "<table>\n<thead><td>PID</td><td>PPID</td><td>Program</td><td>Threads</td>"
                      "<td>Profiles</td></thead>\n");
    for (size_t i = 0; i < n; i++) {
        char pid_q[40] = "";
        if (e[i].depth > 0)
            snprintf(pid_q, sizeof pid_q, "pid=%ld", e[i].pid);
        buf_printf(b, "<tr><td>");
        for (int d = 0; d < e[i].depth; d++)
            buf_append_str(b, "&nbsp;&nbsp;");
        buf_printf(b, "%ld</td><td>%ld</td><td>", e[i].pid, e[i].ppid);
        buf_append_html(b, e[i].program[0] ? e[i].program : e[i].comm, (size_t)-1);
        if (e[i].program[0] && strcmp(e[i].program, e[i].comm) != 0) {
            buf_append_str(b, " (");
            buf_append_html(b, e[i].comm, (size_t)-1);
            buf_append_str(b, ")");
        }
        buf_printf(b, "</td><td>%ld</td><td>", e[i].threads);
        for (size_t k = 0; k < n_src; k++) {
            int debug = profile_takes(&src[k], PARAM_DEBUG);
            buf_append_str(b, "<a href='");
            buf_append_html(b, src[k].name, (size_t)-1);
            buf_printf(b, "%s%s%s%s'>", debug || pid_q[0] ? "?" : "", debug ? "debug=1" : "",
                       debug && pid_q[0] ? "&amp;" : "", pid_q);
            buf_append_html(b, src[k].name, (size_t)-1);
            buf_append_str(b, "</a> ");
        }
        buf_printf(b, "<a href='cmdline%s%s'>cmdline</a></td></tr>\n", pid_q[0] ? "?" : "", pid_q);
    }
    /* pid=all: every profile of the whole tree merged (protobuf only). */
    buf_printf(b,
               "<tr><td>all</td><td></td><td>the %zu merged, labelled pid and program</td>"
               "<td></td><td>",
               n);
    for (size_t k = 0; k < n_src; k++) {
        buf_append_str(b, "<a href='");
        buf_append_html(b, src[k].name, (size_t)-1);
        buf_append_str(b, "?pid=all'>");
        buf_append_html(b, src[k].name, (size_t)-1);
        buf_append_str(b, "</a> ");
    }
    buf_append_str(b, "</td></tr>\n</table>\n");
}

/* /procs: this process and its profiled descendants (proc_tree.h) with
 * links; debug=1: one line per process, "PID PPID DEPTH PROGRAM THREADS". */
static void serve_procs(const http_request *req, http_response *resp)
{
    char debug[16];
    int r = http_query_get(req->query, "debug", debug, sizeof debug);
    int text = r > 0 && strcmp(debug, "1") == 0;
    if (r < 0 || (r > 0 && debug[0] && strcmp(debug, "0") != 0 && !text)) {
        http_response_error(resp, 400, "invalid value for \"debug\" - must be 0 or 1");
        return;
    }
    size_t n;
    proc_tree_entry *e = proc_tree_list(&n);
    if (!e) {
        http_response_error(resp, 500, "out of memory while listing the processes");
        return;
    }
    buf *b = &resp->body;
    if (text) {
        resp->content_type = TEXT_PLAIN;
        for (size_t i = 0; i < n; i++)
            buf_printf(b, "%ld %ld %d %s %ld\n", e[i].pid, e[i].ppid, e[i].depth,
                       e[i].program[0] ? e[i].program : e[i].comm, e[i].threads);
    } else {
        resp->content_type = TEXT_HTML;
        buf_append_str(b, "<html>\n<head>\n<title>/debug/pprof/procs</title>\n</head>\n<body>\n"
                          "<p><a href='./'>/debug/pprof/</a>: this process and its descendants "
                          "that have cprof (each also on its own Unix socket; "
                          "<code>?pid=N</code> on a profile asks that process; "
                          "<code>?pid=all</code> merges the profiles of them all into one, "
                          "each sample labelled <code>pid</code> (numeric) and "
                          "<code>program</code>, so <code>go tool pprof -tagfocus=pid=N</code> "
                          "splits it again).</p>\n");
        append_tree_table(b, e, n);
        buf_append_str(b, "</body>\n</html>\n");
    }
    free(e);
}

/* ------------------------------------------------------------------------ */
/* /cmdline                                                                  */

static void serve_cmdline(http_response *resp)
{
    buf *b = &resp->body;
    if (buf_append_file(b, "/proc/self/cmdline") != 0) {
        http_response_error(resp, 500, "could not read /proc/self/cmdline");
        return;
    }
    /* The kernel terminates every argument with NUL; Go joins them. */
    if (b->len > 0 && b->data[b->len - 1] == '\0')
        b->len--;
    resp->content_type = TEXT_PLAIN;
}

/* ------------------------------------------------------------------------ */
/* /symbol                                                                   */

/* Parse one '+'-separated token as Go's strconv.ParseUint(s, 0, 64): the
 * whole token must be a number (0x.., 0.. octal or decimal) that fits. */
static int parse_address(const char *s, size_t len, uint64_t *out)
{
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    char tok[32];
    if (len == 0 || len >= sizeof tok || !isdigit((unsigned char)s[0]))
        return -1;
    memcpy(tok, s, len);
    tok[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(tok, &end, 0);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int token_is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!isspace((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static void serve_symbol(const http_request *req, http_response *resp)
{
    const char *in;
    size_t in_len;
    if (strcmp(req->method, "POST") == 0) {
        in = (const char *)req->body;
        in_len = req->body ? req->body_len : 0;
    } else {
        in = req->query;
        in_len = in ? strlen(in) : 0;
    }
    buf *b = &resp->body;
    resp->content_type = TEXT_PLAIN;
    /* pprof only checks that this is non-zero: symbols are available. With
     * CPROF_SYMBOLIZE=off there are none here (pprof then says so). */
    if (!symbolize_enabled()) {
        buf_append_str(b, "num_symbols: 0\n");
        return;
    }
    buf_append_str(b, "num_symbols: 1\n");
    size_t n_valid = 0, n_garbage = 0;
    const char *p = in, *end = in + in_len;
    while (p < end) {
        const char *plus = memchr(p, '+', (size_t)(end - p));
        const char *tok_end = plus ? plus : end;
        size_t len = (size_t)(tok_end - p);
        uint64_t addr;
        symbol_info si;
        if (parse_address(p, len, &addr) == 0) {
            n_valid++;
            /* Like Go, skip address 0 and those that do not resolve. */
            if (addr != 0 && symbolize_addr(addr, &si) == 0 && si.n_lines > 0)
                buf_printf(b, "0x%" PRIx64 " %s\n", addr, si.lines[si.n_lines - 1].function);
        } else if (!token_is_blank(p, len)) {
            n_garbage++;
        }
        p = plus ? plus + 1 : end;
    }
    if (n_valid == 0 && n_garbage > 0)
        http_response_error(resp, 400, MSG_NO_ADDRESS);
}

/* ------------------------------------------------------------------------ */
/* /metrics and the request counters                                        */

/* Counted routes: the fixed ones, then the registry's sources by index; a
 * path that names nothing counts as "other". Codes beyond the list count
 * as "other" too, so the label set stays bounded whatever clients send. */
enum { SLOT_INDEX, SLOT_CMDLINE, SLOT_SYMBOL, SLOT_METRICS, SLOT_PROCS, SLOT_OTHER, SLOT_SOURCES };
#define MAX_COUNTED_SOURCES 48
static const char *const slot_paths[SLOT_SOURCES] = {"/",        "/cmdline", "/symbol",
                                                     "/metrics", "/procs",   "other"};
static const int counted_codes[] = {200, 400, 401, 404, 405, 413, 500, 502, 503};
#define N_CODES (sizeof counted_codes / sizeof counted_codes[0] + 1)
static _Atomic uint64_t request_counts[SLOT_SOURCES + MAX_COUNTED_SOURCES][N_CODES];

/* One relaxed add to the (slot, status) counter; an unlisted status goes
 * to the last column ("other"). */
static void count_request(size_t slot, int status)
{
    size_t c = 0;
    while (c < N_CODES - 1 && counted_codes[c] != status)
        c++;
    if (slot < SLOT_SOURCES + MAX_COUNTED_SOURCES)
        atomic_fetch_add_explicit(&request_counts[slot][c], 1, memory_order_relaxed);
}

/* The cprof_http_requests_total family: every (path, code) seen so far. */
static void write_request_counts(buf *b)
{
    size_t n_src;
    const profile_source *src = profile_sources(&n_src);
    prom_family(b, "cprof_http_requests_total", PROM_COUNTER,
                "Requests answered by cprof's router, by path (relative to the mount point) "
                "and status code.");
    for (size_t slot = 0; slot < SLOT_SOURCES + MAX_COUNTED_SOURCES; slot++) {
        char path[64];
        if (slot < SLOT_SOURCES)
            snprintf(path, sizeof path, "%s", slot_paths[slot]);
        else if (slot - SLOT_SOURCES < n_src)
            snprintf(path, sizeof path, "/%s", src[slot - SLOT_SOURCES].name);
        else
            break;
        for (size_t c = 0; c < N_CODES; c++) {
            uint64_t v = atomic_load_explicit(&request_counts[slot][c], memory_order_relaxed);
            if (v == 0)
                continue;
            char code[16];
            snprintf(code, sizeof code, "%d", counted_codes[c]);
            prom_label l[2] = {{"path", path}, {"code", c < N_CODES - 1 ? code : "other"}};
            prom_sample(b, "cprof_http_requests_total", l, 2, (double)v);
        }
    }
}

/* The exposition into resp (200; out of memory shows in resp->body.oom,
 * which http_route turns into a 500). */
static void serve_metrics(http_response *resp)
{
    resp->content_type = PROM_CONTENT_TYPE;
    metrics_write(&resp->body);
    write_request_counts(&resp->body);
}

/* ------------------------------------------------------------------------ */
/* Named profiles                                                            */

/* Parse a present, non-empty-or-not value v of spec into *out (ns for
 * PARAM_TYPE_SECONDS). 0, or -1 when malformed or out of range. */
static int parse_strict(const profile_param_spec *spec, const char *v, int64_t *out)
{
    if (spec->type == PARAM_TYPE_INT)
        return isdigit((unsigned char)v[0]) && parse_int64(v, spec->min, spec->max, out) == 0 ? 0
                                                                                              : -1;
    /* PARAM_TYPE_SECONDS: digits and at most a decimal point, no exponent. */
    char *end = NULL;
    errno = 0;
    double secs = isdigit((unsigned char)v[0]) ? strtod(v, &end) : -1;
    if (secs < (double)spec->min || secs > (double)spec->max || errno || !end || *end ||
        strspn(v, "0123456789.") != strlen(v))
        return -1;
    *out = (int64_t)(secs * 1e9);
    return 0;
}

/* Go's strconv.ParseInt(v, 10, 64) >= min (a '+' allowed), for
 * PARAM_LENIENT: 0 with *out set, -1 when Go would fall back. */
static int parse_lenient(const profile_param_spec *spec, const char *v, int64_t *out)
{
    int64_t x;
    if (parse_int64(v[0] == '+' ? v + 1 : v, INT64_MIN, INT64_MAX, &x) != 0 || x < spec->min)
        return -1;
    *out = x;
    return 0;
}

/* Go's strconv.ParseFloat(v, 64) > 0 (decimal or hex, an exponent, a
 * sign, "inf"), for PARAM_LENIENT_FLOAT: 0 with *ns set (the value in
 * nanoseconds, truncated as Go's time.Duration(sec * 1e9); +Inf and what
 * overflows int64 as INT64_MAX, which any limit refuses), -1 when Go would
 * fall back (malformed, out of float64's range, NaN, <= 0). */
static int parse_lenient_float(const char *v, int64_t *ns)
{
    if (!v[0] || isspace((unsigned char)v[0]) || strchr(v, '_'))
        return -1; /* strtod skips leading space; Go takes underscores only with a base prefix */
    char *end = NULL;
    errno = 0;
    double secs = strtod(v, &end);
    if (!end || *end || (errno == ERANGE && isinf(secs)) || isnan(secs) || secs <= 0)
        return -1;
    *ns = secs * 1e9 >= 9.2e18 ? INT64_MAX : (int64_t)(secs * 1e9);
    return 0;
}

static int refuse(char *err, size_t err_len, const char *msg)
{
    snprintf(err, err_len, "%s", msg);
    return 400;
}

int http_profile_query(const profile_source *src, const char *query, int max_seconds,
                       profile_request *req, char *err, size_t err_len)
{
    int64_t v[PROFILE_N_PARAMS];
    int64_t window_ns = -1; /* set by a PARAM_LENIENT_FLOAT seconds */
    for (int id = 0; id < PROFILE_N_PARAMS; id++) {
        const profile_param_spec *spec = profile_param((profile_param_id)id);
        const profile_param_rule *rule = &src->params[id];
        v[id] = rule->fallback;
        if (spec->limited && v[id] > max_seconds)
            v[id] = max_seconds; /* a limit under the default lowers the default */
        if (rule->use == PARAM_UNUSED)
            continue;
        char text[32];
        int r = http_query_get(query, spec->name, text, sizeof text);
        if (r == 0 || (r > 0 && text[0] == '\0' && spec->empty_is_absent))
            continue;
        if (rule->use == PARAM_LENIENT_FLOAT) {
            int64_t ns;
            if (r < 0 || parse_lenient_float(text, &ns) != 0)
                continue; /* Go's fallback: v[id] keeps the default */
            if (spec->limited && ns > (int64_t)max_seconds * 1000000000LL) {
                snprintf(err, err_len, "profile duration exceeds the server's limit of %d seconds",
                         max_seconds);
                return 400;
            }
            window_ns = ns;
            v[id] = (ns + 999999999) / 1000000000;
            continue;
        }
        if (rule->use == PARAM_LENIENT) {
            if (r < 0 || parse_lenient(spec, text, &v[id]) != 0)
                continue; /* Go's fallback: v[id] keeps the default */
        } else if (r < 0 || parse_strict(spec, text, &v[id]) != 0) {
            return refuse(err, err_len, spec->bad_text);
        }
        if (rule->use == PARAM_REFUSED)
            return refuse(err, err_len, spec->refused_text);
        if (spec->limited && v[id] > max_seconds) {
            snprintf(err, err_len, "profile duration exceeds the server's limit of %d seconds",
                     max_seconds);
            return 400;
        }
        if (spec->needs_debug_0_text && v[PARAM_DEBUG] != 0)
            return refuse(err, err_len, spec->needs_debug_0_text);
    }
    *req =
        (profile_request){.name = src->name,
                          .variant = src->variant,
                          .debug = (int)v[PARAM_DEBUG],
                          .seconds = (int)v[PARAM_SECONDS],
                          .window_ns = window_ns >= 0 ? window_ns : v[PARAM_SECONDS] * 1000000000LL,
                          .hz = (int)v[PARAM_HZ],
                          .min_age_ns = v[PARAM_MIN_AGE],
                          .pid = (long)v[PARAM_PID]};
    return 0;
}

/* Does the request's Accept-Encoding name gzip (with a q other than 0)? */
static int accepts_gzip(const http_request *req)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        if (!req->headers[i].name || strcasecmp(req->headers[i].name, "Accept-Encoding") != 0)
            continue;
        const char *v = req->headers[i].value ? req->headers[i].value : "";
        for (const char *p = v; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
            if (p > v && p[-1] != ' ' && p[-1] != ',')
                continue;
            const char *q = p + 4;
            while (*q == ' ')
                q++;
            if (*q == ',' || *q == '\0')
                return 1;
            if (*q == ';') { /* gzip;q=0 refuses it */
                const char *eq = strchr(q, '=');
                return !(eq && strtod(eq + 1, NULL) == 0.0);
            }
        }
    }
    return 0;
}

/* Replace the body by its gzip (fast level) and say so; left as it was
 * when compression fails. */
static void gzip_body(http_response *resp)
{
    buf gz;
    buf_init(&gz);
    if (gzip_compress(&gz, resp->body.data, resp->body.len, GZIP_LEVEL_FAST) == 0) {
        buf_free(&resp->body);
        resp->body = gz;
        resp->content_encoding = "gzip";
    } else {
        buf_free(&gz);
    }
}

/* A source's neutral outcome as Go answers it: 400 for a request that
 * cannot be served as asked, 500 for everything else (Go's "cpu profiling
 * already in use" is a 500 too). */
static int status_code(profile_status st)
{
    return st == PROFILE_BAD_REQUEST ? 400 : 500;
}

static void serve_profile(const profile_source *src, const http_request *req, http_response *resp);

/* serve_profile as http_merge_all's self: ctx is the source. */
static void serve_self(const http_request *sub, http_response *resp, void *ctx)
{
    serve_profile(ctx, sub, resp);
}

/* ?pid=all: the query is checked without pid (the same errors as for one
 * process), then every process of the tree is merged (http_merge.c). */
static void serve_profile_all(const profile_source *src, const http_request *req,
                              http_response *resp)
{
    char query[2048], err[256] = "";
    if (http_query_without(req->query, "pid", query, sizeof query) != 0) {
        http_response_error(resp, 400, "query too long");
        return;
    }
    profile_request preq;
    if (http_profile_query(src, query, profile_max_seconds(), &preq, err, sizeof err) != 0) {
        http_response_error(resp, 400, err);
        return;
    }
    if (preq.debug > 0) {
        http_response_error(resp, 400,
                            "pid=all merges protobuf profiles only: use debug=0, or ask each "
                            "process with ?pid=N&debug=N (its list: /debug/pprof/procs)");
        return;
    }
    http_request sub = *req;
    sub.query = query;
    http_merge_all(req->path, &sub, preq.seconds, serve_self, (void *)src, resp);
}

static void serve_profile(const profile_source *src, const http_request *req, http_response *resp)
{
    profile_request preq;
    char err[256] = "";
    char pid_text[8];
    if (http_query_get(req->query, "pid", pid_text, sizeof pid_text) > 0 &&
        strcmp(pid_text, "all") == 0) {
        serve_profile_all(src, req, resp);
        return;
    }
    if (http_profile_query(src, req->query, profile_max_seconds(), &preq, err, sizeof err) != 0) {
        http_response_error(resp, 400, err);
        return;
    }
    if (preq.pid != 0 && preq.pid != (long)getpid()) {
        http_forward(preq.pid, req->path, req, resp);
        return;
    }
    preq.client_gone = req->client_gone;
    preq.client_ctx = req->client_ctx;
    /* seconds on a snapshot profile is a delta over that window (Go's
     * serveDeltaProfile); on a collecting source, its own window. */
    int delta = src->build && preq.seconds > 0;
    profile_status st =
        delta ? profile_delta_write(src, &preq, preq.seconds, &resp->body, err, sizeof err)
              : src->write(&preq, &resp->body, err, sizeof err);
    symbolize_release_pages(); /* the debug files' pages out of the host's RSS */
    if (st != PROFILE_OK) {
        http_response_error(resp, status_code(st), err[0] ? err : "could not produce the profile");
        return;
    }
    if (preq.debug > 0) {
        resp->content_type = TEXT_PLAIN;
    } else {
        /* Go names a delta "<name>-delta". */
        resp->content_type = src->content_type ? src->content_type : OCTET_STREAM;
        snprintf(resp->content_disposition, sizeof resp->content_disposition,
                 "attachment; filename=\"%s%s\"", src->filename ? src->filename : src->name,
                 delta ? "-delta" : "");
        if (src->gzip_if_accepted && accepts_gzip(req))
            gzip_body(resp);
    }
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */

typedef enum route_kind {
    ROUTE_INDEX,
    ROUTE_CMDLINE,
    ROUTE_SYMBOL,
    ROUTE_PROCS,
    ROUTE_METRICS,
    ROUTE_PROFILE
} route_kind;

/* /cmdline?pid=N: the registry's pid parameter, checked as a profile's.
 * 0 with *pid (0 when absent), or -1 after a 400. */
static int cmdline_pid(const http_request *req, http_response *resp, long *pid)
{
    const profile_param_spec *spec = profile_param(PARAM_PID);
    char text[32];
    int64_t v = 0;
    int r = http_query_get(req->query, spec->name, text, sizeof text);
    if (r < 0 || (r > 0 && text[0] && parse_strict(spec, text, &v) != 0)) {
        http_response_error(resp, 400, spec->bad_text);
        return -1;
    }
    *pid = (long)v;
    return 0;
}

static int method_is(const http_request *req, const char *m)
{
    return req->method && strcmp(req->method, m) == 0;
}

static void route(const http_request *req, http_response *resp, size_t *slot);

/* Route, then count the outcome by route and status. */
void http_route(const http_request *req, http_response *resp)
{
    size_t slot = SLOT_OTHER;
    route(req, resp, &slot);
    count_request(slot, resp->status);
}

/* Fills resp; *slot is set to the request counter's route slot. */
static void route(const http_request *req, http_response *resp, size_t *slot)
{
    http_response_init(resp);
    const char *path = req->path ? req->path : "";
    if (*path == '/')
        path++;

    route_kind kind = ROUTE_PROFILE;
    if (*path == '\0')
        kind = ROUTE_INDEX;
    else if (strcmp(path, "cmdline") == 0)
        kind = ROUTE_CMDLINE;
    else if (strcmp(path, "symbol") == 0)
        kind = ROUTE_SYMBOL;
    else if (strcmp(path, "procs") == 0)
        kind = ROUTE_PROCS;
    else if (strcmp(path, "metrics") == 0)
        kind = ROUTE_METRICS;
    const profile_source *src = kind == ROUTE_PROFILE ? profile_source_find(path) : NULL;
    size_t n_src;
    *slot = kind == ROUTE_INDEX     ? SLOT_INDEX
            : kind == ROUTE_CMDLINE ? SLOT_CMDLINE
            : kind == ROUTE_SYMBOL  ? SLOT_SYMBOL
            : kind == ROUTE_METRICS ? SLOT_METRICS
            : kind == ROUTE_PROCS   ? SLOT_PROCS
            : src                   ? SLOT_SOURCES + (size_t)(src - profile_sources(&n_src))
                                    : SLOT_OTHER;

    if (req->body_len > HTTP_MAX_BODY) {
        char msg[80];
        snprintf(msg, sizeof msg, "request body too large (limit %u bytes)", HTTP_MAX_BODY);
        http_response_error(resp, 413, msg);
        return;
    }
    int readonly = method_is(req, "GET") || method_is(req, "HEAD");
    if (kind == ROUTE_SYMBOL && !readonly && !method_is(req, "POST")) {
        method_not_allowed(resp, ALLOW_SYMBOL);
        return;
    }
    if (kind != ROUTE_SYMBOL && !readonly) {
        method_not_allowed(resp, ALLOW_READ);
        return;
    }

    switch (kind) {
    case ROUTE_INDEX:
        serve_index(resp);
        break;
    case ROUTE_CMDLINE: {
        long pid;
        if (cmdline_pid(req, resp, &pid) != 0)
            break;
        if (pid != 0 && pid != (long)getpid())
            http_forward(pid, req->path, req, resp);
        else
            serve_cmdline(resp);
        break;
    }
    case ROUTE_PROCS:
        serve_procs(req, resp);
        break;
    case ROUTE_SYMBOL:
        serve_symbol(req, resp);
        break;
    case ROUTE_METRICS:
        serve_metrics(resp);
        break;
    case ROUTE_PROFILE: {
        if (!src)
            http_response_error(resp, 404, MSG_UNKNOWN);
        else
            serve_profile(src, req, resp);
        break;
    }
    }
    if (resp->body.oom)
        http_response_error(resp, 500, "out of memory while building the reply");
}
