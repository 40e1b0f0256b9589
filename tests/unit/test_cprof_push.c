/*
 * test_cprof_push.c — the ingest query cprof push (and the library's push
 * agent: common/pyroscope.c) sends to Pyroscope: the
 * name with its labels percent-encoded, the time range, format=pprof, and
 * the names and labels Pyroscope would refuse, refused first with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pyroscope.h"

static const char *query(const char *app, const char *labels, buf *b, char *err, size_t n)
{
    buf_init(b);
    if (pyroscope_ingest_query(app, labels, 1700000000, 1700000010, b, err, n) != 0)
        return NULL;
    buf_append_byte(b, 0);
    return (const char *)b->data;
}

static void test_query(void **state)
{
    (void)state;
    buf b;
    char err[256];
    assert_string_equal(query("svc", NULL, &b, err, sizeof err),
                        "name=svc&from=1700000000&until=1700000010&format=pprof");
    buf_free(&b);
    assert_string_equal(query("my.app-1", "env=prod,region=eu west/1", &b, err, sizeof err),
                        "name=my.app-1%7Benv%3Dprod%2Cregion%3Deu%20west%2F1%7D"
                        "&from=1700000000&until=1700000010&format=pprof");
    buf_free(&b);
}

static void test_refused(void **state)
{
    (void)state;
    buf b;
    char err[256];
    const char *bad_labels[] = {"env", "=x", "env=", "env={x}", "e v=x", "a=b=c", "a=1,,b=2"};
    for (size_t i = 0; i < sizeof bad_labels / sizeof *bad_labels; i++) {
        assert_null(query("svc", bad_labels[i], &b, err, sizeof err));
        assert_non_null(strstr(err, "bad label"));
        buf_free(&b);
    }
    assert_null(query("my app", NULL, &b, err, sizeof err));
    assert_non_null(strstr(err, "bad application name \"my app\""));
    buf_free(&b);
    assert_null(query("", NULL, &b, err, sizeof err));
    buf_free(&b);
    assert_int_equal(pyroscope_labels_check("a=1,b.c-d_e=x y/z", err, sizeof err), 0);
    assert_int_equal(pyroscope_labels_check(NULL, err, sizeof err), 0);
    assert_int_equal(pyroscope_labels_check("a=1,", err, sizeof err), -1);
}

static void test_url(void **state)
{
    (void)state;
    const char *bases[] = {"http://p:4040", "http://p:4040/"};
    for (int i = 0; i < 2; i++) {
        buf b;
        char err[256];
        buf_init(&b);
        assert_int_equal(pyroscope_ingest_url(bases[i], "svc", "k=v", 10, 25, &b, err, sizeof err),
                         0);
        buf_append_byte(&b, 0);
        assert_string_equal((const char *)b.data, "http://p:4040/ingest?name=svc%7Bk%3Dv%7D"
                                                  "&from=10&until=25&format=pprof");
        buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_query), cmocka_unit_test(test_refused),
                                       cmocka_unit_test(test_url)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
