/*
 * test_cprof_web.c — the web UI's input checks and escaping (web_request.c)
 * and the HTML it wraps around reports (web_pages.c): the -http address
 * forms, query parameters (pprof's names; bad regexps, bad sample types,
 * over-long values refused with the one-line reason), the query string of
 * links, where a refresh may redirect, and that names from C++ (<, >, &,
 * quotes) never reach a page unescaped. tests/integration/cprof_web.sh
 * drives the server itself in a browser.
 *
 * The tool's objects are not in core.a, so the sources are compiled in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_wire.h"
#include "profile/model.h"
#include "arena.h"
#include "profile/filters.h"
#include "report/graph.h"

#include "profile/measure.h"

#include "report/report.h"
#include "web/web.h"

/* Two sample types (alloc_space, inuse_space); main -> std::vector<int>::
 * push_back -> a&b"q'<x>, and main -> push_back. */
static cp_profile *make_profile(void)
{
    buf b;
    buf_init(&b);
    for (int64_t t = 1; t <= 2; t++) {
        size_t m = proto_begin_message(&b, 1);
        proto_put_int64(&b, 1, t);
        proto_put_int64(&b, 2, 3);
        proto_end_message(&b, m);
    }
    uint64_t stacks[2][3] = {{3, 2, 1}, {2, 1, 0}};
    int64_t values[2][2] = {{500, 50}, {300, 30}};
    for (int i = 0; i < 2; i++) {
        size_t m = proto_begin_message(&b, 2);
        proto_put_packed_uint64(&b, 1, stacks[i], i ? 2 : 3);
        proto_put_packed_int64(&b, 2, values[i], 2);
        proto_end_message(&b, m);
    }
    for (uint64_t id = 1; id <= 3; id++) {
        size_t m = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        size_t ln = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        proto_end_message(&b, ln);
        proto_end_message(&b, m);
        m = proto_begin_message(&b, 5);
        proto_put_uint64(&b, 1, id);
        proto_put_int64(&b, 2, 3 + (int64_t)id);
        proto_end_message(&b, m);
    }
    const char *strs[] = {"",          "alloc_space", "inuse_space",
                          "bytes",     "main",        "std::vector<int>::push_back",
                          "a&b\"q'<x>"};
    for (size_t i = 0; i < 7; i++)
        proto_put_string(&b, 6, strs[i]);
    cp_err err = {""};
    cp_profile *p = profile_parse(b.data, b.len, &err);
    if (!p)
        fail_msg("parse: %s", err.msg);
    buf_free(&b);
    return p;
}

static char *text(buf *b)
{
    buf_append_byte(b, 0);
    return (char *)b->data;
}

/* ---- the -http address ---------------------------------------------------- */

static void test_listen_forms(void **state)
{
    (void)state;
    char host[64];
    unsigned port;
    cp_err err;
    assert_int_equal(web_parse_listen(":8080", host, sizeof host, &port, &err), 0);
    assert_string_equal(host, "127.0.0.1"); /* not every interface, unlike pprof */
    assert_int_equal(port, 8080);
    assert_int_equal(web_parse_listen("localhost:0", host, sizeof host, &port, &err), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 0);
    assert_int_equal(web_parse_listen("[::1]:65535", host, sizeof host, &port, &err), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 65535);
    assert_int_equal(web_parse_listen("0.0.0.0:80", host, sizeof host, &port, &err), 0);
    assert_string_equal(host, "0.0.0.0");
}

static void test_listen_errors(void **state)
{
    (void)state;
    char host[16];
    unsigned port;
    cp_err err;
    assert_int_equal(web_parse_listen("8080", host, sizeof host, &port, &err), -1);
    assert_string_equal(err.msg, "-http=8080: want HOST:PORT or :PORT");
    static const char *bad_ports[] = {":", ":70000", ":12a", ":-1", ": 80", "x:+80"};
    for (size_t i = 0; i < sizeof bad_ports / sizeof *bad_ports; i++) {
        assert_int_equal(web_parse_listen(bad_ports[i], host, sizeof host, &port, &err), -1);
        assert_non_null(strstr(err.msg, "port must be a number from 0 to 65535"));
    }
    assert_int_equal(web_parse_listen("::1:80", host, sizeof host, &port, &err), -1);
    assert_non_null(strstr(err.msg, "in brackets"));
    assert_int_equal(
        web_parse_listen("a-very-long-host-name.example:1", host, sizeof host, &port, &err), -1);
    assert_non_null(strstr(err.msg, "host name too long"));
}

/* ---- query parameters ------------------------------------------------------ */

/* A request's arguments: "key", "value" pairs, NULL-terminated. */
static const char *args_get(void *ctx, const char *key)
{
    for (const char **kv = ctx; kv[0]; kv += 2)
        if (!strcmp(kv[0], key))
            return kv[1];
    return NULL;
}

static int parse(web_query *q, const char **args, const cli *c, const cp_profile *p, cp_err *err)
{
    return web_query_parse(q, args_get, (void *)args, c, p, err);
}

static void test_query_defaults_and_overrides(void **state)
{
    (void)state;
    cp_profile *p = make_profile();
    cli c = {.sample_index = "inuse_space", .filters = {.focus = "main", .hide = "x"}};
    web_query q;
    cp_err err;
    const char *none[] = {NULL};
    assert_int_equal(parse(&q, none, &c, p, &err), 0);
    assert_string_equal(q.si, "inuse_space"); /* the command line's values */
    assert_string_equal(q.filters.focus, "main");
    assert_string_equal(q.filters.hide, "x");
    const char *args[] = {"si",  "alloc_space", "f", "",  "i",   "push", "s",
                          "a|b", "sf",          "m", "h", "vec", NULL};
    assert_int_equal(parse(&q, args, &c, p, &err), 0);
    assert_string_equal(q.si, "alloc_space");
    assert_string_equal(q.filters.focus, ""); /* present and empty: cleared */
    assert_string_equal(q.filters.ignore, "push");
    assert_string_equal(q.filters.show, "a|b");
    assert_string_equal(q.filters.show_from, "m");
    assert_string_equal(q.filters.hide, "vec");
    const char *by_number[] = {"si", "0", NULL};
    assert_int_equal(parse(&q, by_number, &c, p, &err), 0);
    cp_profile_free(p);
}

static void test_query_bad_values(void **state)
{
    (void)state;
    cp_profile *p = make_profile();
    cli c = {.sample_index = ""};
    web_query q;
    cp_err err;
    static const struct {
        const char *key, *value, *reason;
    } bad[] = {
        {"f", "(", "parsing focus regexp (: "},
        {"i", "a[", "parsing ignore regexp a[: "},
        {"h", "*x{", "parsing hide regexp *x{: "},
        {"s", "a{2,1}", "parsing show regexp a{2,1}: "},
        {"sf", "(?i)x", "parsing show_from regexp (?i)x: "},
        {"si", "bytes", "sample_index \"bytes\" must be one of: [alloc_space inuse_space]"},
        {"si", "7", "sample_index 7"},
        {"f", "a\nb", "parameter f has a control character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *args[] = {bad[i].key, bad[i].value, NULL};
        err.msg[0] = 0;
        assert_int_equal(parse(&q, args, &c, p, &err), -1);
        if (!strstr(err.msg, bad[i].reason))
            fail_msg("%s=%s: got \"%s\", want \"%s\"", bad[i].key, bad[i].value, err.msg,
                     bad[i].reason);
        assert_null(strchr(err.msg, '\n'));
    }
    char *long_value = malloc(WEB_MAX_PARAM + 2);
    memset(long_value, 'a', WEB_MAX_PARAM + 1);
    long_value[WEB_MAX_PARAM + 1] = 0;
    const char *args[] = {"h", long_value, NULL};
    assert_int_equal(parse(&q, args, &c, p, &err), -1);
    assert_string_equal(err.msg, "parameter h is longer than 1024 bytes");
    long_value[WEB_MAX_PARAM] = 0; /* exactly the limit is fine */
    assert_int_equal(parse(&q, args, &c, p, &err), 0);
    free(long_value);
    cp_profile_free(p);
}

static void test_query_string_is_encoded(void **state)
{
    (void)state;
    web_query q = {.si = "alloc_space",
                   .filters = {.focus = "a b&c=d", .ignore = "", .show = "^x$"}};
    buf b;
    buf_init(&b);
    web_query_string(&b, &q);
    assert_string_equal(text(&b), "si=alloc_space&f=a%20b%26c%3Dd&s=%5Ex%24");
    buf_free(&b);
    web_query empty = {0};
    buf_init(&b);
    web_query_string(&b, &empty);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_refresh_goes_back_only_to_our_pages(void **state)
{
    (void)state;
    assert_true(web_local_path("/"));
    assert_true(web_local_path("/ui/"));
    assert_true(web_local_path("/ui/flamegraph?si=alloc_space&f=%5Emain%24"));
    static const char *bad[] = {NULL,      "",          "ui/",          "//evil.example/ui/",
                                "/\\evil", "http://x/", "/ui/\r\nX: y", "/other",
                                "/ui/a b", "/uix"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (web_local_path(bad[i]))
            fail_msg("accepted %s", bad[i] ? bad[i] : "NULL");
}

/* ---- escaping ---------------------------------------------------------------- */

static void test_host_and_origin_checks(void **state)
{
    (void)state;
    /* Addresses, localhost and the -http name, any port; nothing else. */
    assert_true(web_host_allowed("127.0.0.1:8080", "127.0.0.1"));
    assert_true(web_host_allowed("localhost:1", "127.0.0.1"));
    assert_true(web_host_allowed("LOCALHOST", "127.0.0.1"));
    assert_true(web_host_allowed("[::1]:80", "127.0.0.1"));
    assert_true(web_host_allowed("10.1.2.3:80", "0.0.0.0"));
    assert_true(web_host_allowed("box.example:8080", "box.example"));
    assert_true(web_host_allowed(NULL, "127.0.0.1"));
    assert_false(web_host_allowed("rebind.attacker.example:8080", "127.0.0.1"));
    assert_false(web_host_allowed("127.0.0.1.attacker.example", "127.0.0.1"));
    assert_false(web_host_allowed("localhost.attacker.example", "127.0.0.1"));
    assert_false(web_host_allowed("[::1", "127.0.0.1"));
    assert_false(web_host_allowed("[::1]x", "127.0.0.1"));
    assert_false(web_host_allowed("", "127.0.0.1"));
    assert_false(web_host_allowed(":80", "127.0.0.1"));
    /* Origin: absent, or exactly http:// + Host. */
    assert_true(web_origin_allowed(NULL, "127.0.0.1:8080"));
    assert_true(web_origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
    assert_false(web_origin_allowed("http://127.0.0.1:8081", "127.0.0.1:8080"));
    assert_false(web_origin_allowed("http://evil.example", "127.0.0.1:8080"));
    assert_false(web_origin_allowed("null", "127.0.0.1:8080"));
    assert_false(web_origin_allowed("https://127.0.0.1:8080", "127.0.0.1:8080"));
    assert_false(web_origin_allowed("http://127.0.0.1:8080", NULL));
}

static void test_escaping(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    buf_append_html(&b, "std::map<int, a&b>::\"x\"'y'", (size_t)-1);
    assert_string_equal(text(&b), "std::map&lt;int, a&amp;b&gt;::&quot;x&quot;&#39;y&#39;");
    buf_reset(&b);
    buf_append_html(&b, "<abc>", 2);
    assert_string_equal(text(&b), "&lt;a");
    buf_reset(&b);
    url_encode(&b, "a-b_c.d~e /?&=#%<\xc3\xa9");
    assert_string_equal(text(&b), "a-b_c.d~e%20%2F%3F%26%3D%23%25%3C%C3%A9");
    buf_free(&b);
}

static void test_regex_quote_matches_exactly(void **state)
{
    (void)state;
    const char *names[] = {"strings.(*Builder).grow", "operator()[]{1,2}", "a+b?c|d^e$f\\g",
                           "std::vector<int>::push_back"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        buf b;
        buf_init(&b);
        regex_quote(&b, names[i]);
        regex_t re;
        cp_err err;
        assert_int_equal(regex_compile(&re, text(&b), "quoted", &err), 0);
        assert_true(regex_match(&re, names[i]));
        char longer[128];
        snprintf(longer, sizeof longer, "x%s", names[i]);
        assert_false(regex_match(&re, longer)); /* anchored */
        regfree(&re);
        buf_free(&b);
    }
    buf b;
    buf_init(&b);
    regex_quote(&b, "a.b");
    assert_string_equal(text(&b), "^a\\.b$");
    buf_free(&b);
}

/* ---- pages ------------------------------------------------------------------- */

static void test_top_view_escapes_names(void **state)
{
    (void)state;
    cp_profile *p = make_profile();
    report r = {.p = p, .total = 800};
    r.o.sample_type = "alloc_space";
    r.o.sample_unit = "bytes";
    r.o.output_unit = "minimum";
    r.o.compact_labels = true;
    r.o.source_path = r.o.trim_path = "";
    web_query q = {.si = "alloc_space"};
    cli c = {0};
    buf body, page;
    buf_init(&body);
    buf_init(&page);
    web_page pg = {.kind = VIEW_TOP, .q = &q, .c = &c, .p = p, .body = &body};
    cp_err err;
    assert_int_equal(web_view_emit(VIEW_TOP)(&r, &pg, &err), 0);
    web_page_html(&page, &pg, NULL);
    const char *html = text(&page);
    assert_non_null(strstr(html, "<table id=\"top\" class=\"top\" data-total=\"800\">"));
    assert_non_null(strstr(html, "data-name=\"a&amp;b&quot;q&#39;&lt;x&gt;\">"
                                 "<td>500B</td><td>62.50%</td><td>62.50%</td>"));
    assert_non_null(strstr(html, ">std::vector&lt;int&gt;::push_back</a>"));
    /* The source link: the exact-name regexp, URL-encoded, then &amp;-joined. */
    assert_non_null(strstr(html, "href=\"/ui/source?f=%5Emain%24&amp;si=alloc_space\">main</a>"));
    assert_null(strstr(html, "<int>"));
    assert_null(strstr(html, "<x>"));
    assert_non_null(strstr(html, "<option value=\"alloc_space\" selected>"));
    assert_non_null(strstr(html, "action=\"/ui/refresh?back=%2Fui%2F%3Fsi%3Dalloc_space\""));
    buf_free(&body);
    buf_free(&page);
    cp_profile_free(p);
}

static void test_error_page_escapes_reason_and_values(void **state)
{
    (void)state;
    cp_profile *p = make_profile();
    web_query q = {.si = "", .filters = {.focus = "<script>\"x"}};
    cli c = {0};
    char *sources[] = {"a<b>.pb.gz"};
    c.sources.v = sources;
    c.sources.n = 1;
    buf page;
    buf_init(&page);
    web_page pg = {.kind = VIEW_FLAME, .q = &q, .c = &c, .p = p, .notice = "Refresh & <fail>"};
    web_page_html(&page, &pg, "parsing focus regexp <script>: bad");
    const char *html = text(&page);
    assert_non_null(strstr(html, "<div class=\"error\" id=\"error\">parsing focus regexp "
                                 "&lt;script&gt;: bad</div>"));
    assert_non_null(strstr(html, "value=\"&lt;script&gt;&quot;x\""));
    assert_non_null(strstr(html, "Source: a&lt;b&gt;.pb.gz"));
    assert_non_null(strstr(html, "id=\"notice\">Refresh &amp; &lt;fail&gt;</div>"));
    assert_non_null(strstr(html, "<a id=\"nav-flamegraph\" href=\"/ui/flamegraph?f=%3Cscript%3E"
                                 "%22x\" class=\"active\">"));
    assert_null(strstr(html, "<script>\""));
    assert_null(strstr(html, "<main>\n<table")); /* the error, not a view */
    buf_free(&page);
    cp_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_listen_errors),
        cmocka_unit_test(test_query_defaults_and_overrides),
        cmocka_unit_test(test_query_bad_values),
        cmocka_unit_test(test_query_string_is_encoded),
        cmocka_unit_test(test_refresh_goes_back_only_to_our_pages),
        cmocka_unit_test(test_host_and_origin_checks),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_regex_quote_matches_exactly),
        cmocka_unit_test(test_top_view_escapes_names),
        cmocka_unit_test(test_error_page_escapes_reason_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
