/*
 * test_http_router.c — Go's /debug/pprof contract, driven through http_route()
 * with no sockets: statuses, headers, bodies and error messages, plus the
 * query-string decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/intern.h"
#include "common/profile_model.h"
#include "http/http.h"
#include "pprof/profiles.h"
#include "pprof/symbolize.h"

static int g_argc;
static char **g_argv;

/* A function whose address /symbol must resolve by name. */
__attribute__((noinline, used)) int cprof_router_test_marker(int x)
{
    __asm__ volatile("" : "+r"(x));
    return x * 3 + 1;
}

/* ---- helpers ---- */

typedef struct call {
    http_request req;
    http_response resp;
} call;

static void route_full(call *c, const char *method, const char *path, const char *query,
                       const void *body, size_t body_len)
{
    memset(c, 0, sizeof *c);
    c->req.method = method;
    c->req.path = path;
    c->req.query = query;
    c->req.body = body;
    c->req.body_len = body_len;
    http_route(&c->req, &c->resp);
}

static void route_get(call *c, const char *path, const char *query)
{
    route_full(c, "GET", path, query, NULL, 0);
}

static const char *body_str(call *c)
{
    /* buf keeps data NUL-terminated; an empty reply may have no data. */
    return c->resp.body.data ? (const char *)c->resp.body.data : "";
}

static void assert_go_error(call *c, int status, const char *msg)
{
    assert_int_equal(c->resp.status, status);
    assert_string_equal(c->resp.content_type, "text/plain; charset=utf-8");
    assert_int_equal(c->resp.go_pprof_error, 1);
    assert_string_equal(c->resp.content_disposition, "");
    char want[512];
    snprintf(want, sizeof want, "%s\n", msg);
    assert_string_equal(body_str(c), want);
}

/* ---- index ---- */

static void test_index(void **state)
{
    (void)state;
    call c;
    route_get(&c, "/", NULL);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/html; charset=utf-8");
    assert_int_equal(c.resp.go_pprof_error, 0);
    const char *b = body_str(&c);
    assert_non_null(strstr(b, "<title>/debug/pprof/</title>"));
    assert_non_null(strstr(b, "<thead><td>Count</td><td>Profile</td></thead>"));
    size_t n;
    const profile_source *src = profile_sources(&n);
    assert_true(n >= 2);
    for (size_t i = 0; i < n; i++) {
        char row[256];
        long count = src[i].count ? src[i].count() : 0;
        /* Sources with their own parameters (profile) link without ?debug=1, as Go. */
        snprintf(row, sizeof row, "<tr><td>%ld</td><td><a href='%s%s'>%s</a></td></tr>",
                 count < 0 ? 0 : count, src[i].name,
                 profile_takes(&src[i], PARAM_DEBUG) ? "?debug=1" : "", src[i].name);
        assert_non_null(strstr(b, row));
        char li[128];
        snprintf(li, sizeof li, "<li><div class=profile-name>%s: </div> ", src[i].name);
        assert_non_null(strstr(b, li));
    }
    assert_non_null(strstr(b, "<a href='cmdline'>cmdline</a>"));
    assert_non_null(strstr(b, "<a href='symbol'>symbol</a>"));
    assert_non_null(strstr(b, "A sampling of memory allocations of live objects."));
    assert_non_null(strstr(b, "A sampling of all past memory allocations"));
    /* Escaped: the symbol description mentions '+' in quotes. */
    assert_non_null(strstr(b, "&#39;+&#39;"));
    http_response_free(&c.resp);

    route_get(&c, "", NULL); /* mounted without trailing slash */
    assert_int_equal(c.resp.status, 200);
    assert_non_null(strstr(body_str(&c), "<title>/debug/pprof/</title>"));
    http_response_free(&c.resp);
}

static void test_registry(void **state)
{
    (void)state;
    assert_non_null(profile_source_find("heap"));
    assert_non_null(profile_source_find("allocs"));
    assert_null(profile_source_find("nonexistent"));
    assert_null(profile_source_find(NULL));
    assert_string_equal(profile_source_find("allocs")->description,
                        "A sampling of all past memory allocations");
}

/* ---- errors ---- */

static void test_unknown_profile(void **state)
{
    (void)state;
    call c;
    route_get(&c, "/nonexistent", NULL);
    assert_go_error(&c, 404, "Unknown profile");
    http_response_free(&c.resp);
    route_get(&c, "/heap/extra", "debug=1");
    assert_go_error(&c, 404, "Unknown profile");
    http_response_free(&c.resp);
}

static void test_bad_debug(void **state)
{
    (void)state;
    static const char *bad[] = {"debug=abc", "debug=-1",  "debug=1x",    "debug=%201",
                                "debug=+1",  "debug=%zz", "debug=1%002", "debug=99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call c;
        route_get(&c, "/heap", bad[i]);
        assert_go_error(&c, 400, "invalid value for \"debug\" - must be a non-negative integer");
        http_response_free(&c.resp);
    }
}

static int gone_at_once(void *ctx)
{
    (*(int *)ctx)++;
    return 1;
}

static void test_seconds(void **state)
{
    (void)state;
    call c;
    /* Go's order: the value, the profile type, the limit, then debug. */
    route_get(&c, "/heap", "seconds=0");
    assert_go_error(&c, 400, "invalid value for \"seconds\" - must be a positive integer");
    http_response_free(&c.resp);
    route_get(&c, "/heap", "seconds=x");
    assert_go_error(&c, 400, "invalid value for \"seconds\" - must be a positive integer");
    http_response_free(&c.resp);
    route_get(&c, "/heap", "seconds=-3");
    assert_go_error(&c, 400, "invalid value for \"seconds\" - must be a positive integer");
    http_response_free(&c.resp);
    route_get(&c, "/peak", "seconds=5");
    assert_go_error(&c, 400, "\"seconds\" parameter is not supported for this profile type");
    http_response_free(&c.resp);
    route_get(&c, "/peak", "debug=1&seconds=5");
    assert_go_error(&c, 400, "\"seconds\" parameter is not supported for this profile type");
    http_response_free(&c.resp);
    char limit[32], msg[96];
    snprintf(limit, sizeof limit, "seconds=%d", profile_max_seconds() + 1);
    snprintf(msg, sizeof msg, "profile duration exceeds the server's limit of %d seconds",
             profile_max_seconds());
    route_get(&c, "/heap", limit);
    assert_go_error(&c, 400, msg);
    http_response_free(&c.resp);
    const char *delta_names[] = {"/heap", "/allocs", "/goroutine", "/threads"};
    for (size_t i = 0; i < 4; i++) {
        route_get(&c, delta_names[i], "debug=1&seconds=5");
        assert_go_error(&c, 400, "seconds and debug params are incompatible");
        http_response_free(&c.resp);
        route_get(&c, delta_names[i], "seconds=5&debug=2");
        assert_go_error(&c, 400, "seconds and debug params are incompatible");
        http_response_free(&c.resp);
    }
    route_get(&c, "/heap", "seconds=2&min_age=x");
    assert_go_error(&c, 400,
                    "invalid value for \"min_age\" - must be a non-negative number of seconds");
    http_response_free(&c.resp);
    /* Empty seconds is absent, as with Go's FormValue. */
    route_get(&c, "/heap", "seconds=&debug=1");
    assert_int_equal(c.resp.status, 200);
    http_response_free(&c.resp);
}

/* A delta over one second: 200, gzipped proto, Go's "<name>-delta". */
static void test_seconds_delta(void **state)
{
    (void)state;
    call c;
    const char *names[] = {"/heap", "/goroutine"};
    const char *want[] = {"attachment; filename=\"heap-delta\"",
                          "attachment; filename=\"goroutine-delta\""};
    for (size_t i = 0; i < 2; i++) {
        route_get(&c, names[i], "seconds=1&gc=1");
        assert_int_equal(c.resp.status, 200);
        assert_int_equal(c.resp.go_pprof_error, 0);
        assert_string_equal(c.resp.content_type, "application/octet-stream");
        assert_string_equal(c.resp.content_disposition, want[i]);
        assert_true(c.resp.body.len > 2);
        assert_int_equal(c.resp.body.data[0], 0x1f); /* gzip */
        assert_int_equal(c.resp.body.data[1], 0x8b);
        http_response_free(&c.resp);
    }
}

/* A client that hangs up ends the window at the first probe. */
static void test_seconds_client_gone(void **state)
{
    (void)state;
    call c;
    int probes = 0;
    memset(&c, 0, sizeof c);
    c.req.method = "GET";
    c.req.path = "/allocs";
    char query[32];
    snprintf(query, sizeof query, "seconds=%d", profile_max_seconds());
    c.req.query = query;
    c.req.client_gone = gone_at_once;
    c.req.client_ctx = &probes;
    http_route(&c.req, &c.resp); /* would take minutes if the probe were ignored */
    assert_int_equal(probes, 1);
    assert_go_error(&c, 500, "client went away; allocs delta profile abandoned");
    http_response_free(&c.resp);
}

static void test_methods(void **state)
{
    (void)state;
    call c;
    route_full(&c, "POST", "/heap", NULL, "x", 1);
    assert_go_error(&c, 405, "method not allowed: use GET or HEAD");
    assert_string_equal(c.resp.allow, "GET, HEAD");
    http_response_free(&c.resp);
    route_full(&c, "DELETE", "/symbol", NULL, NULL, 0);
    assert_go_error(&c, 405, "method not allowed: use GET, HEAD or POST");
    assert_string_equal(c.resp.allow, "GET, HEAD, POST");
    http_response_free(&c.resp);
    route_full(&c, "HEAD", "/", NULL, NULL, 0);
    assert_int_equal(c.resp.status, 200);
    assert_null(c.resp.allow);
    http_response_free(&c.resp);
}

static void test_body_too_large(void **state)
{
    (void)state;
    size_t n = HTTP_MAX_BODY + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '1', n);
    call c;
    route_full(&c, "POST", "/symbol", NULL, big, n);
    assert_go_error(&c, 413, "request body too large (limit 1048576 bytes)");
    http_response_free(&c.resp);
    /* Exactly at the limit is fine (one huge invalid token -> 400, not 413). */
    route_full(&c, "POST", "/symbol", NULL, big, HTTP_MAX_BODY);
    assert_int_equal(c.resp.status, 400);
    http_response_free(&c.resp);
    free(big);
}

/* ---- profiles ---- */

static void test_heap_text(void **state)
{
    (void)state;
    call c;
    route_get(&c, "/heap", "debug=1");
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/plain; charset=utf-8");
    assert_string_equal(c.resp.content_disposition, "");
    assert_int_equal(c.resp.go_pprof_error, 0);
    assert_non_null(strstr(body_str(&c), "heap profile:"));
    http_response_free(&c.resp);

    /* gc is accepted and ignored; an empty debug means 0. */
    route_get(&c, "/heap", "gc=1&debug=2");
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/plain; charset=utf-8");
    http_response_free(&c.resp);
}

static void assert_gzip_attachment(const char *name)
{
    call c;
    char path[64];
    snprintf(path, sizeof path, "/%s", name);
    route_get(&c, path, NULL);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "application/octet-stream");
    char want[96];
    snprintf(want, sizeof want, "attachment; filename=\"%s\"", name);
    assert_string_equal(c.resp.content_disposition, want);
    assert_true(c.resp.body.len >= 2);
    assert_int_equal(c.resp.body.data[0], 0x1f);
    assert_int_equal(c.resp.body.data[1], 0x8b);
    http_response_free(&c.resp);
}

static void test_heap_proto(void **state)
{
    (void)state;
    assert_gzip_attachment("heap");
    assert_gzip_attachment("allocs");
    call c;
    route_get(&c, "/heap", "debug=0&gc=1");
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "application/octet-stream");
    http_response_free(&c.resp);
    route_get(&c, "/heap", "debug=");
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "application/octet-stream");
    http_response_free(&c.resp);
}

static void test_min_age(void **state)
{
    (void)state;
    call c;
    const char *ok[] = {"min_age=0", "min_age=30", "min_age=0.5", "min_age=2&debug=1"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        route_get(&c, "/heap", ok[i]);
        assert_int_equal(c.resp.status, 200);
        http_response_free(&c.resp);
    }
    const char *bad[] = {"min_age=-1",   "min_age=abc", "min_age=",           "min_age=1e3",
                         "min_age=1%00", "min_age=.5x", "min_age=99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        route_get(&c, "/heap", bad[i]);
        assert_go_error(&c, 400,
                        "invalid value for \"min_age\" - must be a non-negative number of seconds");
        http_response_free(&c.resp);
    }
    route_get(&c, "/threads", "min_age=1");
    assert_go_error(&c, 400, "\"min_age\" parameter is only supported for the heap profile");
    http_response_free(&c.resp);
    route_get(&c, "/peak", "");
    assert_int_equal(c.resp.status, 200);
    http_response_free(&c.resp);
}

/* ---- the registry's parameter tables ---- */

/* http_profile_query on src; returns the status, the parse in *req. */
static int query(const profile_source *src, const char *q, int max, profile_request *req, char *err)
{
    memset(req, 0xa5, sizeof *req);
    err[0] = 0;
    return http_profile_query(src, q, max, req, err, 256);
}

/* The tables agree with each other: every refused parameter has a text to
 * refuse it with, a lenient one is an integer, a strict seconds (a delta)
 * has a build function, and the index links a profile with ?debug=1 exactly
 * when it reads debug. */
static void test_param_tables(void **state)
{
    (void)state;
    for (int id = 0; id < PROFILE_N_PARAMS; id++) {
        const profile_param_spec *spec = profile_param((profile_param_id)id);
        assert_non_null(spec->name);
        assert_non_null(spec->bad_text);
        assert_true(spec->min <= spec->max);
    }
    size_t n;
    const profile_source *src = profile_sources(&n);
    for (size_t i = 0; i < n; i++) {
        for (int id = 0; id < PROFILE_N_PARAMS; id++) {
            const profile_param_spec *spec = profile_param((profile_param_id)id);
            const profile_param_rule *rule = &src[i].params[id];
            if (rule->use == PARAM_REFUSED)
                assert_non_null(spec->refused_text);
            if (rule->use == PARAM_LENIENT)
                assert_int_equal(spec->type, PARAM_TYPE_INT);
            if (rule->use == PARAM_LENIENT_FLOAT) /* a window: the seconds */
                assert_int_equal(id, PARAM_SECONDS);
            if (id == PARAM_SECONDS && rule->use == PARAM_STRICT)
                assert_non_null(src[i].build);
            assert_int_equal(profile_takes(&src[i], (profile_param_id)id),
                             rule->use != PARAM_UNUSED);
        }
    }
}

/* The trace's seconds as Go's Trace handler reads them (strconv.ParseFloat;
 * malformed, out of range or <= 0 is 1 s; above the limit a 400). */
static void test_trace_seconds(void **state)
{
    (void)state;
    const profile_source *trace = profile_source_find("trace");
    assert_non_null(trace);
    static const struct {
        const char *q;
        int64_t ns;
        int seconds;
    } cases[] = {
        {NULL, 1000000000, 1},
        {"seconds=0.5", 500000000, 1},
        {"seconds=1.5", 1500000000, 2},
        {"seconds=2", 2000000000, 2},
        {"seconds=%2B2", 2000000000, 2},
        {"seconds=.25", 250000000, 1},
        {"seconds=1e-1", 100000000, 1},
        {"seconds=0x1p-1", 500000000, 1},
        {"seconds=300", 300000000000, 300},
        {"seconds=abc", 1000000000, 1},
        {"seconds=0", 1000000000, 1},
        {"seconds=-0.5", 1000000000, 1},
        {"seconds=NaN", 1000000000, 1},
        {"seconds=1e400", 1000000000, 1},
        {"seconds=1e-400", 1000000000, 1}, /* 0: Go falls back too */
        {"seconds=%201", 1000000000, 1},
        {"seconds=1_0", 1000000000, 1},
        {"seconds=0.5s", 1000000000, 1},
        {"seconds=", 1000000000, 1},
    };
    profile_request r;
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(query(trace, cases[i].q, 300, &r, err), 0);
        assert_int_equal(r.window_ns, cases[i].ns);
        assert_int_equal(r.seconds, cases[i].seconds);
    }
    const char *too_long[] = {"seconds=300.5", "seconds=301", "seconds=inf", "seconds=1e300"};
    for (size_t i = 0; i < sizeof too_long / sizeof too_long[0]; i++) {
        assert_int_equal(query(trace, too_long[i], 300, &r, err), 400);
        assert_string_equal(err, "profile duration exceeds the server's limit of 300 seconds");
    }
    /* The CPU profile stays Go's integer seconds: 0.5 is malformed, 30 s. */
    assert_int_equal(query(profile_source_find("profile"), "seconds=0.5", 300, &r, err), 0);
    assert_int_equal(r.seconds, 30);
    assert_int_equal(r.window_ns, 30000000000);
}

/* Parsed values and defaults reach the source; what a profile does not
 * take is never read, whatever its value. */
static void test_query_values(void **state)
{
    (void)state;
    profile_request r;
    char err[256];
    const profile_source *heap = profile_source_find("heap");
    assert_int_equal(query(heap, NULL, 300, &r, err), 0);
    assert_string_equal(r.name, "heap");
    assert_int_equal(r.variant, heap->variant);
    assert_int_equal(r.debug, 0);
    assert_int_equal(r.seconds, 0);
    assert_int_equal(r.min_age_ns, 0);
    assert_null(r.client_gone);
    assert_int_equal(query(heap, "debug=2&min_age=0.25&hz=abc&gc=1", 300, &r, err), 0);
    assert_int_equal(r.debug, 2);
    assert_int_equal(r.min_age_ns, 250000000);
    assert_int_equal(query(heap, "seconds=7", 300, &r, err), 0);
    assert_int_equal(r.seconds, 7);

    const profile_source *cpu = profile_source_find("profile");
    assert_int_equal(query(cpu, "debug=abc&min_age=x&seconds=12&hz=250", 300, &r, err), 0);
    assert_int_equal(r.debug, 0);
    assert_int_equal(r.min_age_ns, 0);
    assert_int_equal(r.seconds, 12);
    assert_int_equal(r.hz, 250);
    assert_int_equal(query(cpu, "seconds=%2B8", 300, &r, err), 0); /* Go's ParseInt */
    assert_int_equal(r.seconds, 8);
    assert_int_equal(query(cpu, "seconds=40", 40, &r, err), 0); /* at the limit */
    assert_int_equal(r.seconds, 40);
    assert_int_equal(query(cpu, "seconds=41", 40, &r, err), 400);
    assert_string_equal(err, "profile duration exceeds the server's limit of 40 seconds");
}

/* One error per request, in Go's order: each parameter's value, then
 * whether the profile takes it, then the limit, then debug; parameters in
 * the table's order (debug, seconds, min_age, hz). */
static void test_query_order(void **state)
{
    (void)state;
    static const struct {
        const char *name, *query, *msg;
    } cases[] = {
        {"peak", "seconds=x&debug=y",
         "invalid value for \"debug\" - must be a non-negative integer"},
        {"peak", "seconds=x", "invalid value for \"seconds\" - must be a positive integer"},
        {"peak", "min_age=x&seconds=5",
         "\"seconds\" parameter is not supported for this profile type"},
        {"heap", "seconds=301&debug=1",
         "profile duration exceeds the server's limit of 300 seconds"},
        {"heap", "min_age=x&seconds=5&debug=1", "seconds and debug params are incompatible"},
        {"threads", "min_age=-1",
         "invalid value for \"min_age\" - must be a non-negative number of seconds"},
        {"threads", "min_age=1", "\"min_age\" parameter is only supported for the heap profile"},
        {"profile", "seconds=301&hz=0",
         "profile duration exceeds the server's limit of 300 seconds"},
        {"profile", "seconds=5&hz=%2B10",
         "invalid value for \"hz\" - must be an integer from 1 to 5000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        profile_request r;
        char err[256];
        assert_int_equal(query(profile_source_find(cases[i].name), cases[i].query, 300, &r, err),
                         400);
        assert_string_equal(err, cases[i].msg);
    }
}

/* The router knows no profile by name: a source's table alone decides. A
 * made-up source that takes min_age strictly and hz leniently gets them;
 * one that refuses debug refuses it with nothing to say but Go's text. */
static void test_query_from_table_only(void **state)
{
    (void)state;
    profile_source fake = {
        .name = "fake",
        .variant = 7,
        .params =
            {
                [PARAM_MIN_AGE] = {PARAM_STRICT, 0},
                [PARAM_HZ] = {PARAM_LENIENT, 42},
            },
    };
    profile_request r;
    char err[256];
    assert_int_equal(query(&fake, "min_age=2&hz=abc&debug=x&seconds=-1", 300, &r, err), 0);
    assert_int_equal(r.variant, 7);
    assert_int_equal(r.min_age_ns, 2000000000);
    assert_int_equal(r.hz, 42);
    assert_int_equal(r.debug, 0);
    assert_int_equal(r.seconds, 0);
    assert_int_equal(query(&fake, "hz=9", 300, &r, err), 0);
    assert_int_equal(r.hz, 9);
    fake.params[PARAM_SECONDS] = (profile_param_rule){PARAM_REFUSED, 0};
    assert_int_equal(query(&fake, "seconds=3", 300, &r, err), 400);
    assert_string_equal(err, "\"seconds\" parameter is not supported for this profile type");
}

/* ---- cmdline ---- */

static void test_cmdline(void **state)
{
    (void)state;
    size_t want_len = 0;
    for (int i = 0; i < g_argc; i++)
        want_len += strlen(g_argv[i]) + (i > 0);
    char *want = malloc(want_len + 1);
    assert_non_null(want);
    char *p = want;
    for (int i = 0; i < g_argc; i++) {
        if (i > 0)
            *p++ = '\0';
        size_t n = strlen(g_argv[i]);
        memcpy(p, g_argv[i], n);
        p += n;
    }
    call c;
    route_get(&c, "/cmdline", "debug=1");
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/plain; charset=utf-8");
    assert_int_equal(c.resp.body.len, want_len);
    assert_memory_equal(c.resp.body.data, want, want_len);
    http_response_free(&c.resp);
    free(want);
}

/* ---- symbol ---- */

static void test_symbol_get(void **state)
{
    (void)state;
    call c;
    route_get(&c, "/symbol", NULL);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/plain; charset=utf-8");
    assert_string_equal(body_str(&c), "num_symbols: 1\n");
    http_response_free(&c.resp);
    route_get(&c, "/symbol", "");
    assert_string_equal(body_str(&c), "num_symbols: 1\n");
    http_response_free(&c.resp);
}

static void test_symbol_lookup(void **state)
{
    (void)state;
    uint64_t addr = (uint64_t)(uintptr_t)&cprof_router_test_marker;
    char body[128];
    int n = snprintf(body, sizeof body, "%#llx+garbage+0x10", (unsigned long long)addr);
    char want[256];
    snprintf(want, sizeof want, "num_symbols: 1\n%#llx cprof_router_test_marker\n",
             (unsigned long long)addr);

    call c;
    route_full(&c, "POST", "/symbol", NULL, body, (size_t)n);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(c.resp.content_type, "text/plain; charset=utf-8");
    assert_string_equal(body_str(&c), want);
    http_response_free(&c.resp);

    /* GET reads the raw query the same way; decimal and octal parse too. */
    char query[64];
    snprintf(query, sizeof query, "%llu+0", (unsigned long long)addr);
    route_get(&c, "/symbol", query);
    assert_string_equal(body_str(&c), want);
    http_response_free(&c.resp);

    /* Valid but unresolvable addresses: just the header, status 200. */
    route_full(&c, "POST", "/symbol", NULL, "0x10+0x0+", 9);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(body_str(&c), "num_symbols: 1\n");
    http_response_free(&c.resp);

    /* An empty POST is the GET probe. */
    route_full(&c, "POST", "/symbol", NULL, "", 0);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(body_str(&c), "num_symbols: 1\n");
    http_response_free(&c.resp);

    /* CPROF_SYMBOLIZE=off: no symbols here, said as pprof reads it. */
    symbolize_set_mode(SYMBOLIZE_OFF);
    route_full(&c, "POST", "/symbol", NULL, body, (size_t)n);
    assert_int_equal(c.resp.status, 200);
    assert_string_equal(body_str(&c), "num_symbols: 0\n");
    http_response_free(&c.resp);
    symbolize_set_mode(SYMBOLIZE_ON);
}

static void test_symbol_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {"garbage", "0x+zz", "-1", "0x1ffffffffffffffff", "1.5", "0x10 x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        call c;
        route_full(&c, "POST", "/symbol", NULL, bad[i], strlen(bad[i]));
        assert_go_error(
            &c, 400, "no valid address in request: expected addresses like 0x4005d0 joined by '+'");
        http_response_free(&c.resp);
    }
}

/* ---- query decoding ---- */

static void test_query_get(void **state)
{
    (void)state;
    char v[16];
    assert_int_equal(http_query_get("debug=1&gc=0", "debug", v, sizeof v), 1);
    assert_string_equal(v, "1");
    assert_int_equal(http_query_get("debug=1&gc=0", "gc", v, sizeof v), 1);
    assert_string_equal(v, "0");
    assert_int_equal(http_query_get("a=%41%2b%2F+b", "a", v, sizeof v), 1);
    assert_string_equal(v, "A+/ b");
    /* Keys are decoded too; the first match wins. */
    assert_int_equal(http_query_get("d%65bug=7&debug=8", "debug", v, sizeof v), 1);
    assert_string_equal(v, "7");
    /* A key without '=' has an empty value; a prefix of a key is no match. */
    assert_int_equal(http_query_get("x&debug", "debug", v, sizeof v), 1);
    assert_string_equal(v, "");
    assert_int_equal(http_query_get("debugx=1&&=2", "debug", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(http_query_get(NULL, "debug", v, sizeof v), 0);
    assert_int_equal(http_query_get("", "debug", v, sizeof v), 0);
    /* Malformed escapes and decoded NUL bytes. */
    assert_int_equal(http_query_get("debug=%zz", "debug", v, sizeof v), -1);
    assert_int_equal(http_query_get("debug=%4", "debug", v, sizeof v), -1);
    assert_int_equal(http_query_get("debug=1%00", "debug", v, sizeof v), -1);
    /* A bad escape in another pair does not matter. */
    assert_int_equal(http_query_get("x=%zz&debug=2", "debug", v, sizeof v), 1);
    assert_string_equal(v, "2");
    /* Too long: 15 characters fit in 16 bytes, 16 do not. */
    assert_int_equal(http_query_get("a=123456789012345", "a", v, sizeof v), 1);
    assert_string_equal(v, "123456789012345");
    assert_int_equal(http_query_get("a=1234567890123456", "a", v, sizeof v), -1);
    assert_int_equal(http_query_get("a=%41", "a", v, 1), -1);
}

/* ?pid=N is forwarded without itself, every other pair kept raw and in
 * order; an encoded name counts; a short buffer is refused. */
static void test_query_without(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(http_query_without("debug=1&pid=42&seconds=5", "pid", out, sizeof out), 0);
    assert_string_equal(out, "debug=1&seconds=5");
    assert_int_equal(http_query_without("pid=42", "pid", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(http_query_without("p%69d=1&a=%2B&&pid", "pid", out, sizeof out), 0);
    assert_string_equal(out, "a=%2B");
    assert_int_equal(http_query_without(NULL, "pid", out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(http_query_without("abcdefgh=1", "pid", out, 8), -1);
}

/* ?pid=all with no descendant: this process's own profile, decoded by the
 * shared kit's decoder, every sample labelled with its pid and program; a
 * text format or a bad parameter is a 400 with a reason. */
static void test_pid_all(void **state)
{
    (void)state;
    free(malloc(1000));
    http_request req = {.method = "GET", .path = "/heap", .query = "pid=all"};
    http_response resp;
    http_route(&req, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_disposition, "attachment; filename=\"heap\"");
    cp_err err = {{0}};
    cp_profile *p = profile_parse_proto(resp.body.data, resp.body.len, &err);
    assert_non_null(p);
    const char *pid_key = intern_cstr("pid"), *prog_key = intern_cstr("program");
    for (size_t i = 0; i < p->n_samples; i++) {
        int pid_seen = 0, prog_seen = 0;
        for (size_t j = 0; j < p->samples[i].n_labels; j++) {
            const cp_label *l = &p->samples[i].labels[j];
            pid_seen += l->key == pid_key && !l->str && l->num == (int64_t)getpid();
            prog_seen += l->key == prog_key && l->str && strstr(l->str, "test_http_router");
        }
        assert_int_equal(pid_seen, 1);
        assert_int_equal(prog_seen, 1);
    }
    int commented = 0;
    for (size_t i = 0; i < p->n_comments; i++)
        commented += strstr(p->comments[i], "1 of 1 processes merged") != NULL;
    assert_int_equal(commented, 1);
    cp_profile_free(p);
    intern_reset();
    http_response_free(&resp);
    const char *bad[] = {"pid=all&debug=1", "pid=all&debug=x", "pid=all&seconds=-1"};
    const char *why[] = {"pid=all merges protobuf profiles only", "invalid value for \"debug\"",
                         "invalid value for \"seconds\""};
    for (size_t i = 0; i < 3; i++) {
        http_request bad_req = {.method = "GET", .path = "/heap", .query = bad[i]};
        http_route(&bad_req, &resp);
        assert_int_equal(resp.status, 400);
        assert_int_equal(resp.go_pprof_error, 1);
        assert_non_null(strstr((const char *)resp.body.data, why[i]));
        http_response_free(&resp);
    }
}

/* The pid parameter goes through the registry: a bad value is its 400,
 * a pid that is not under this process a 404 with a reason. */
static void test_pid_parameter(void **state)
{
    (void)state;
    const char *bad[] = {"pid=abc", "pid=0", "pid=-3", "pid=al", "debug=1&pid=1x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad + 1; i++) {
        /* The last: all is for profiles, not /cmdline. */
        http_request req = {.method = "GET",
                            .path = i < sizeof bad / sizeof *bad ? "/heap" : "/cmdline",
                            .query = i < sizeof bad / sizeof *bad ? bad[i] : "pid=all"};
        http_response resp;
        http_route(&req, &resp);
        assert_int_equal(resp.status, 400);
        assert_int_equal(resp.go_pprof_error, 1);
        assert_non_null(strstr((const char *)resp.body.data, "invalid value for \"pid\""));
        http_response_free(&resp);
    }
    const char *paths[] = {"/heap", "/profile", "/cmdline"};
    for (size_t i = 0; i < 3; i++) {
        http_request req = {.method = "GET", .path = paths[i], .query = "pid=1"};
        http_response resp;
        http_route(&req, &resp);
        assert_int_equal(resp.status, 404);
        assert_int_equal(resp.go_pprof_error, 1);
        assert_non_null(
            strstr((const char *)resp.body.data, "no profiled process 1 under this one"));
        http_response_free(&resp);
    }
    char self[64];
    snprintf(self, sizeof self, "pid=%ld&debug=1", (long)getpid());
    http_request req = {.method = "GET", .path = "/heap", .query = self};
    http_response resp;
    http_route(&req, &resp);
    assert_int_equal(resp.status, 200); /* this process serves itself */
    http_response_free(&resp);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_unknown_profile),
        cmocka_unit_test(test_bad_debug),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_seconds_delta),
        cmocka_unit_test(test_seconds_client_gone),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_heap_text),
        cmocka_unit_test(test_heap_proto),
        cmocka_unit_test(test_cmdline),
        cmocka_unit_test(test_symbol_get),
        cmocka_unit_test(test_symbol_lookup),
        cmocka_unit_test(test_symbol_garbage),
        cmocka_unit_test(test_query_get),
        cmocka_unit_test(test_min_age),
        cmocka_unit_test(test_param_tables),
        cmocka_unit_test(test_query_values),
        cmocka_unit_test(test_trace_seconds),
        cmocka_unit_test(test_query_order),
        cmocka_unit_test(test_query_from_table_only),
        cmocka_unit_test(test_query_without),
        cmocka_unit_test(test_pid_parameter),
        cmocka_unit_test(test_pid_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
