/*
 * test_cprof_flame.c — the flame graph SVG (report_flame.c) on a hand-made
 * profile whose names need XML escaping (C++ templates, '&', quotes): the
 * tree's values (root = total, callees nested in callers), the escaping of
 * titles and labels, and the grown/shrunk split when values are
 * differences. The integration test covers real profiles; this one pins
 * the exact text.
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
#include "report/graph.h"
#include "report/report.h"

#include "profile/measure.h"

/* Functions 1..3: main, std::vector<int>::push_back, a&b"q; one location
 * each. Samples: main -> push_back -> a&b"q (v1), main -> push_back (v2). */
static cp_profile *make_profile(int64_t v1, int64_t v2)
{
    buf b;
    buf_init(&b);
    size_t m = proto_begin_message(&b, 1);
    proto_put_int64(&b, 1, 1);
    proto_put_int64(&b, 2, 2);
    proto_end_message(&b, m);
    uint64_t stacks[2][3] = {{3, 2, 1}, {2, 1, 0}};
    int64_t values[2] = {v1, v2};
    for (int i = 0; i < 2; i++) {
        m = proto_begin_message(&b, 2);
        proto_put_packed_uint64(&b, 1, stacks[i], i ? 2 : 3);
        proto_put_packed_int64(&b, 2, &values[i], 1);
        proto_end_message(&b, m);
    }
    for (uint64_t id = 1; id <= 3; id++) {
        m = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        size_t ln = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        proto_end_message(&b, ln);
        proto_end_message(&b, m);
        m = proto_begin_message(&b, 5);
        proto_put_uint64(&b, 1, id);
        proto_put_int64(&b, 2, 2 + (int64_t)id);
        proto_end_message(&b, m);
    }
    const char *strs[] = {"", "samples", "count", "main", "std::vector<int>::push_back", "a&b\"q"};
    for (size_t i = 0; i < 6; i++)
        proto_put_string(&b, 6, strs[i]);
    cp_err err = {""};
    cp_profile *p = profile_parse(b.data, b.len, &err);
    if (!p)
        fail_msg("parse: %s", err.msg);
    buf_free(&b);
    return p;
}

static char *render(cp_profile *p, int64_t total, bool has_base)
{
    report r = {.p = p, .total = total};
    r.o.sample_type = "samples";
    r.o.sample_unit = "count";
    r.o.has_base = has_base;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cp_err err;
    assert_int_equal(report_flame(&r, f, &err), 0);
    fclose(f);
    return text;
}

static void test_values_nest_and_names_are_escaped(void **state)
{
    (void)state;
    cp_profile *p = make_profile(5, 3);
    char *svg = render(p, 8, false);
    const char *root = strstr(svg, "<g data-value=\"8\"><title>all (8, 100%)</title>");
    const char *vec = strstr(svg, "<title>std::vector&lt;int&gt;::push_back (8, 100%)</title>");
    const char *leaf = strstr(svg, "<g data-value=\"5\"><title>a&amp;b&quot;q (5, 62.50%)</title>");
    assert_non_null(root);
    assert_non_null(vec);
    assert_non_null(leaf);
    assert_true(root < vec && vec < leaf); /* callers enclose callees */
    assert_null(strstr(svg, "<int>"));
    assert_null(strstr(svg, "a&b"));
    assert_null(strstr(svg, "<script"));
    /* Frames run from the root at the bottom up: leaf above its caller. */
    assert_non_null(strstr(svg, "<text x=\"13.00\" y=\"")); /* root label drawn */
    free(svg);
    cp_profile_free(p);
}

static void test_differences_split_into_grown_and_shrunk(void **state)
{
    (void)state;
    cp_profile *p = make_profile(5, -3);
    char *svg = render(p, 8, true);
    assert_non_null(strstr(svg, "<g data-value=\"2\" data-grown=\"5\" data-shrunk=\"3\">"
                                "<title>all (+2, +25.00%; grew 5, shrank 3)</title>"));
    /* The leaf only grew: fully red. push_back nets +2 of 8 moved: pale red. */
    assert_non_null(strstr(svg, "(+5, +62.50%; grew 5, shrank 0)</title><rect"));
    assert_non_null(strstr(svg, "fill=\"rgb(255,30,30)\""));
    free(svg);
    cp_profile_free(p);
    /* Shrinking: value and percentage both carry the minus sign. */
    p = make_profile(3, -5);
    svg = render(p, 8, true);
    assert_non_null(strstr(svg, "<title>all (-2, -25.00%; grew 3, shrank 5)</title>"));
    assert_non_null(
        strstr(svg, "<title>std::vector&lt;int&gt;::push_back (-2, -25.00%; grew 3, shrank 5)"));
    free(svg);
    cp_profile_free(p);
}

static void test_empty_profile_is_still_an_svg(void **state)
{
    (void)state;
    cp_profile *p = make_profile(0, 0);
    char *svg = render(p, 0, false);
    assert_non_null(strstr(svg, "<svg "));
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_null(strstr(svg, "<g "));
    free(svg);
    cp_profile_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_nest_and_names_are_escaped),
        cmocka_unit_test(test_differences_split_into_grown_and_shrunk),
        cmocka_unit_test(test_empty_profile_is_still_an_svg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
