/*
 * test_cprof_trace.c — `cprof trace`'s reading side: the JSON reader
 * (escapes, surrogate pairs, errors with their offset, the depth limit),
 * a document's tracks (X and B/E slices nested, metadata names, gzip), the
 * summary's lines and the speedscope file's balanced events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gzip.h"
#include "trace/json.h"
#include "trace/trace.h"

static void test_json_values(void **state)
{
    (void)state;
    cp_err err;
    const char *t = "{\"a\":[1,-2.5e3,true,false,null],\"s\":\"x\\\"\\u00e9\\ud83d\\ude00\\n\"}";
    json_value *v = json_parse(t, strlen(t), &err);
    assert_non_null(v);
    const json_value *a = json_get(v, "a");
    assert_int_equal(a->type, JSON_ARRAY);
    assert_int_equal(a->len, 5);
    assert_true(a->items[1].num == -2500.0);
    assert_int_equal(a->items[2].type, JSON_BOOL);
    assert_int_equal(a->items[4].type, JSON_NULL);
    assert_string_equal(json_get_str(v, "s", NULL), "x\"\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_null(json_get(v, "missing"));
    json_free(v);
}

static void test_json_errors(void **state)
{
    (void)state;
    cp_err err;
    const char *bad[] = {"{", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "tru", "\"\\q\"", "{1:2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(json_parse(bad[i], strlen(bad[i]), &err));
        assert_non_null(strstr(err.msg, "at byte"));
    }
    char deep[200];
    memset(deep, '[', sizeof deep);
    assert_null(json_parse(deep, sizeof deep, &err));
    assert_non_null(strstr(err.msg, "nested too deeply"));
}

static const char doc[] =
    "{\"otherData\":{\"state_track_offset\":4194304,\"span_track_offset\":8388608},"
    "\"traceEvents\":["
    "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"prog\"}},"
    "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":5,\"args\":{\"name\":\"w (5)\"}},"
    "{\"ph\":\"X\",\"name\":\"leaf\",\"cat\":\"cpu\",\"pid\":1,\"tid\":5,\"ts\":10,\"dur\":5},"
    "{\"ph\":\"X\",\"name\":\"main\",\"cat\":\"cpu\",\"pid\":1,\"tid\":5,\"ts\":0,\"dur\":20},"
    "{\"ph\":\"B\",\"name\":\"b\",\"pid\":1,\"tid\":5,\"ts\":30},"
    "{\"ph\":\"E\",\"pid\":1,\"tid\":5,\"ts\":40},"
    "{\"ph\":\"i\",\"name\":\"thread created\",\"pid\":1,\"tid\":5,\"ts\":0,\"s\":\"t\"},"
    "{\"ph\":\"X\",\"name\":\"running\",\"cat\":\"state\",\"pid\":1,\"tid\":4194309,\"ts\":0,"
    "\"dur\":40}"
    "]}";

static void test_document(void **state)
{
    (void)state;
    cp_err err;
    buf gz;
    buf_init(&gz);
    assert_int_equal(gzip_compress(&gz, (const uint8_t *)doc, strlen(doc), 1), 0);
    trace_doc d;
    assert_int_equal(trace_doc_load(&d, gz.data, gz.len, &err), 0);
    assert_string_equal(d.process_name, "prog");
    assert_int_equal(d.n_tracks, 2);
    const trace_track *t = &d.tracks[0];
    assert_int_equal(t->tid, 5);
    assert_string_equal(t->name, "w (5)");
    assert_int_equal(t->n_slices, 3);
    assert_string_equal(t->slices[0].name, "main");
    assert_int_equal(t->slices[1].parent, 0); /* leaf inside main */
    assert_int_equal(t->slices[1].depth, 1);
    assert_int_equal(t->slices[2].parent, -1); /* the B/E pair after */
    buf out;
    buf_init(&out);
    trace_summary(&d, 5, &out);
    buf_append_byte(&out, 0);
    const char *s = (const char *)out.data;
    assert_non_null(strstr(s, "Threads: 1 (1 created, 0 exited during the trace)"));
    assert_non_null(strstr(s, "w (5) (tid 5): created at 0.000 s, still running at its end"));
    assert_non_null(strstr(s, "states: running 100.0%"));
    assert_non_null(strstr(s, "leaf < main"));
    buf_reset(&out);
    trace_to_speedscope(&d, "prog", &out);
    buf_append_byte(&out, 0);
    s = (const char *)out.data;
    assert_non_null(
        strstr(s, "\"frames\":[{\"name\":\"main\"},{\"name\":\"leaf\"},{\"name\":\"b\"}]"));
    assert_non_null(strstr(s, "\"events\":[{\"type\":\"O\",\"frame\":0,\"at\":0.000},"
                              "{\"type\":\"O\",\"frame\":1,\"at\":10.000},"
                              "{\"type\":\"C\",\"frame\":1,\"at\":15.000},"
                              "{\"type\":\"C\",\"frame\":0,\"at\":20.000},"
                              "{\"type\":\"O\",\"frame\":2,\"at\":30.000},"
                              "{\"type\":\"C\",\"frame\":2,\"at\":40.000}]"));
    buf_free(&out);
    trace_doc_free(&d);
    buf_free(&gz);
    assert_int_equal(trace_doc_load(&d, (const uint8_t *)"{\"x\":1}", 7, &err), -1);
    assert_non_null(strstr(err.msg, "traceEvents"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
