/*
 * test_cprof_trace.c — `cprof trace`'s reading side: the JSON reader
 * (escapes, surrogate pairs, errors with their offset, the depth limit),
 * a document's tracks (X and B/E slices nested, metadata names, gzip), the
 * summary's lines and the speedscope file's balanced events; the web UI's
 * Timeline data (lanes, names and args by index, counters, the cut that
 * keeps a big trace bounded).
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

/* The Timeline JSON of doc (with a counter and an instant's args added),
 * parsed back with the same reader. */
static void test_timeline_json(void **state)
{
    (void)state;
    cp_err err;
    const char *more =
        "{\"otherData\":{\"state_track_offset\":4194304,\"span_track_offset\":8388608},"
        "\"traceEvents\":["
        "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":5,\"args\":{\"name\":\"w (5)\"}},"
        "{\"ph\":\"X\",\"name\":\"main\",\"pid\":1,\"tid\":5,\"ts\":100,\"dur\":20},"
        "{\"ph\":\"X\",\"name\":\"leaf\",\"pid\":1,\"tid\":5,\"ts\":110,\"dur\":5},"
        "{\"ph\":\"i\",\"name\":\"thread created\",\"pid\":1,\"tid\":5,\"ts\":100,"
        "\"args\":{\"creator_stack\":[\"a\\\"b\"]}},"
        "{\"ph\":\"X\",\"name\":\"poll\",\"pid\":1,\"tid\":4194309,\"ts\":100,\"dur\":40,"
        "\"args\":{\"call\":\"poll\"}},"
        "{\"ph\":\"C\",\"name\":\"threads\",\"pid\":1,\"tid\":0,\"ts\":100,\"args\":{\"count\":3}},"
        "{\"ph\":\"C\",\"name\":\"threads\",\"pid\":1,\"tid\":0,\"ts\":200,\"args\":{\"count\":4}}"
        "]}";
    trace_doc d;
    assert_int_equal(trace_doc_load(&d, (const uint8_t *)more, strlen(more), &err), 0);
    assert_int_equal(d.n_counters, 1);
    trace_timeline_limits lim = {100, 100, 100, 100, 1 << 20};
    buf out;
    buf_init(&out);
    trace_timeline_json(&d, &lim, &out);
    json_value *v = json_parse((const char *)out.data, out.len, &err);
    assert_non_null(v);
    const json_value *threads = json_get(v, "threads"), *names = json_get(v, "names");
    assert_int_equal(threads->len, 1); /* three tracks, one thread */
    const json_value *th = &threads->items[0];
    assert_string_equal(json_get_str(th, "name", ""), "w (5)");
    assert_true(json_get_num(th, "born", -1) == 0); /* times from the first event */
    const json_value *lanes = json_get(th, "lanes");
    assert_int_equal(lanes->len, 2);
    assert_string_equal(json_get_str(&lanes->items[0], "kind", ""), "cpu");
    const json_value *cpu = json_get(&lanes->items[0], "slices");
    assert_int_equal(cpu->len, 10);                                 /* two slices of five numbers */
    assert_true(cpu->items[5].num == 10 && cpu->items[7].num == 1); /* leaf: ts 10, depth 1 */
    assert_string_equal(names->items[(size_t)cpu->items[8].num].str, "leaf");
    const json_value *state_slices = json_get(&lanes->items[1], "slices");
    const json_value *args = json_get(v, "args");
    assert_string_equal(json_get_str(&args->items[(size_t)state_slices->items[4].num], "call", ""),
                        "poll");
    const json_value *inst = json_get(th, "instants");
    const json_value *ia = json_get(&args->items[(size_t)inst->items[2].num], "creator_stack");
    assert_string_equal(ia->items[0].str, "a\"b"); /* escaped on the way out */
    const json_value *ctr = &json_get(v, "counters")->items[0];
    assert_string_equal(json_get_str(ctr, "key", ""), "count");
    assert_int_equal(json_get(ctr, "points")->len, 4);
    json_free(v);

    /* The cut: 3 slices, room for 2: the outermost level only. */
    lim.max_slices = 2;
    buf_reset(&out);
    trace_timeline_json(&d, &lim, &out);
    v = json_parse((const char *)out.data, out.len, &err);
    assert_non_null(v);
    const json_value *l = json_get(v, "limits");
    assert_true(json_get_num(l, "slices_total", 0) == 3 && json_get_num(l, "slices_sent", 0) == 2);
    assert_true(json_get_num(l, "depth_cut", 9) == 0);
    json_free(v);
    /* Room for 1: the outermost level by time. */
    lim.max_slices = 1;
    buf_reset(&out);
    trace_timeline_json(&d, &lim, &out);
    v = json_parse((const char *)out.data, out.len, &err);
    assert_non_null(v);
    l = json_get(v, "limits");
    assert_true(json_get_num(l, "slices_sent", 0) == 1);
    assert_true(json_get_num(l, "time_cut", -1) == 0); /* only main, at 0 */
    json_free(v);
    buf_free(&out);
    trace_doc_free(&d);
}

/* Many distinct tracks load in linear time (the tracks are hashed). */
static void test_many_tracks(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    buf_append_str(&b, "[");
    for (int i = 0; i < 200000; i++)
        buf_printf(&b, "%s{\"ph\":\"i\",\"name\":\"e\",\"pid\":1,\"tid\":%d,\"ts\":%d}",
                   i ? "," : "", i, i);
    buf_append_str(&b, "]");
    trace_doc d;
    cp_err err;
    assert_int_equal(trace_doc_load(&d, b.data, b.len, &err), 0);
    assert_int_equal(d.n_tracks, 200000);
    assert_non_null(trace_find_track(&d, 1, 123456));
    assert_null(trace_find_track(&d, 2, 1));
    trace_doc_free(&d);
    buf_free(&b);
}

/* Odd but well-formed values (ids beyond a long, strings for numbers,
 * negative durations, huge times, an E without a B): loaded, and the
 * Timeline JSON of it parses back. */
static void test_odd_values(void **state)
{
    (void)state;
    const char *t =
        "{\"otherData\":{\"state_track_offset\":1e300,\"span_track_offset\":-1},"
        "\"traceEvents\":["
        "{\"ph\":\"X\",\"name\":5,\"ts\":\"a\",\"dur\":-1,\"pid\":1e300,\"tid\":-1e300},"
        "{\"ph\":\"X\",\"name\":\"\\u0000x\\n\",\"ts\":1e308,\"dur\":1e308,\"pid\":1,\"tid\":2},"
        "{\"ph\":\"E\",\"pid\":3,\"tid\":3,\"ts\":1},"
        "{\"ph\":\"C\",\"name\":\"c\",\"ts\":1,\"args\":{\"v\":1e308,\"s\":\"x\"}},"
        "{\"ph\":\"i\",\"name\":\"i\",\"pid\":1,\"tid\":2,\"ts\":-1e308,\"args\":[1,[2,{}]]},"
        "{\"ph\":\"\"},{}]}";
    trace_doc d;
    cp_err err;
    assert_int_equal(trace_doc_load(&d, (const uint8_t *)t, strlen(t), &err), 0);
    trace_timeline_limits lim = {10, 10, 10, 10, 1000};
    buf out;
    buf_init(&out);
    trace_timeline_json(&d, &lim, &out);
    json_value *v = json_parse((const char *)out.data, out.len, &err);
    assert_non_null(v);
    assert_int_equal(json_get(v, "threads")->len, 2);
    json_free(v);
    buf_free(&out);
    trace_doc_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_values), cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_document),    cmocka_unit_test(test_timeline_json),
        cmocka_unit_test(test_many_tracks), cmocka_unit_test(test_odd_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
