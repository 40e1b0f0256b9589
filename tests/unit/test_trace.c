/*
 * test_trace.c — lib/trace without a process to trace: the JSON writer's
 * escaping (always valid JSON and UTF-8, whatever bytes a name holds), and
 * the timeline of synthetic collected data: consecutive samples with the
 * same frames merged into one nested slice per level, a gap closing every
 * slice, thread births with their creator, spans nested and cut at the
 * window's edges, instants and counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pprof/symbolize.h"
#include "trace/trace.h"

static char *json_of(const char *s)
{
    buf b;
    buf_init(&b);
    trace_json_string(&b, s);
    buf_append_byte(&b, 0);
    size_t n;
    return (char *)buf_steal(&b, &n);
}

static void test_string_escaping(void **state)
{
    (void)state;
    char *j = json_of("a\"b\\c\nd\te\x01");
    assert_string_equal(j, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    free(j);
    j = json_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* valid UTF-8 passes */
    assert_string_equal(j, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    free(j);
    j = json_of("bad\xff\xc3(\xed\xa0\x80"); /* stray, truncated, surrogate */
    assert_string_equal(j, "\"bad\\u00ff\\u00c3(\\u00ed\\u00a0\\u0080\"");
    free(j);
    j = json_of(NULL);
    assert_string_equal(j, "\"\"");
    free(j);
}

static void test_event_fields(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    trace_json j;
    trace_json_begin(&j, &b, "\"k\":1");
    trace_json_event e = {
        .ph = 'X', .name = "f", .cat = "cpu", .pid = 7, .tid = 8, .ts_ns = 1234567, .dur_ns = 1000};
    trace_json_event_write(&j, &e);
    trace_json_event i = {.ph = 'i', .name = "x", .pid = 7, .tid = 8, .ts_ns = 5, .args = "{}"};
    trace_json_event_write(&j, &i);
    trace_json_end(&j);
    buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.data,
                        "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"k\":1},\"traceEvents\":[\n"
                        "{\"ph\":\"X\",\"name\":\"f\",\"cat\":\"cpu\",\"pid\":7,\"tid\":8,"
                        "\"ts\":1234.567,\"dur\":1.000},\n"
                        "{\"ph\":\"i\",\"name\":\"x\",\"pid\":7,\"tid\":8,\"ts\":0.005,\"s\":\"t\","
                        "\"args\":{}}\n]}\n");
    buf_free(&b);
}

/* Synthetic data: thread 100 sampled at 10 ms periods on stacks
 * [A B] [A B] [A C] (continuous), then after a gap [A B]. */
#define MS 1000000LL
#define A 0x1000
#define B 0x2000
#define C 0x3000

static uint64_t pcs[] = {B + 1, A + 1, B + 1, A + 1, C + 1, A + 1, B + 1, A + 1, 0xabc, 0xdef};

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void test_timeline(void **state)
{
    (void)state;
    symbolize_set_mode(SYMBOLIZE_OFF); /* frames are "0x... (module)" */
    trace_sample samples[] = {
        {.tid = 100, .weight = 1, .time_ns = 110 * MS, .first_pc = 0, .n_pcs = 2},
        {.tid = 100, .weight = 1, .time_ns = 120 * MS, .first_pc = 2, .n_pcs = 2},
        {.tid = 100, .weight = 1, .time_ns = 130 * MS, .first_pc = 4, .n_pcs = 2},
        {.tid = 100, .weight = 1, .time_ns = 200 * MS, .first_pc = 6, .n_pcs = 2},
    };
    trace_thread_event born = {.tid = 101,
                               .time_ns = 150 * MS,
                               .name = "kid",
                               .creator_tid = 100,
                               .creator_name = "parent",
                               .n_creator = 2,
                               .creator = {0xabc, 0xdef}};
    trace_thread_event gone = {.exited = 1, .tid = 101, .time_ns = 180 * MS, .name = "kid"};
    trace_thread_event threads[] = {born, gone};
    trace_span_rec spans[] = {
        {.tid = 100, .ev = {.time_ns = 105 * MS, .kind = TRACE_SPAN_END}},
        {.tid = 100, .ev = {.time_ns = 110 * MS, .kind = TRACE_SPAN_BEGIN, .name = "outer"}},
        {.tid = 100, .ev = {.time_ns = 120 * MS, .kind = TRACE_SPAN_BEGIN, .name = "inner"}},
        {.tid = 100, .ev = {.time_ns = 125 * MS, .kind = TRACE_SPAN_INSTANT, .name = "ping"}},
        {.tid = 100, .ev = {.time_ns = 130 * MS, .kind = TRACE_SPAN_END}},
    };
    trace_counter counters[] = {{.time_ns = 100 * MS, .heap_inuse_bytes = 4096, .threads = 2}};
    pid_t live[] = {100};
    trace_data d = {.start_ns = 100 * MS,
                    .end_ns = 210 * MS,
                    .hz = 100,
                    .pid = 42,
                    .samples = samples,
                    .n_samples = 4,
                    .pcs = pcs,
                    .n_pcs = 10,
                    .threads = threads,
                    .n_threads = 2,
                    .spans = spans,
                    .n_spans = 5,
                    .counters = counters,
                    .n_counters = 1,
                    .live_at_start = live,
                    .n_live_at_start = 1};
    buf out;
    buf_init(&out);
    assert_int_equal(trace_timeline_write(&d, &out), 0);
    buf_append_byte(&out, 0);
    const char *j = (const char *)out.data;
    /* A is one slice over the continuous run [100, 130] ms, then one over
     * [190, 200] after the gap; B [100, 120], C [120, 130], B [190, 200]. */
    char a[64];
    snprintf(a, sizeof a, "\"name\":\"0x%x (", A);
    assert_int_equal(count(j, a), 2);
    assert_non_null(
        strstr(j, "\"cat\":\"cpu\",\"pid\":42,\"tid\":100,\"ts\":0.000,\"dur\":30000.000}"));
    assert_non_null(
        strstr(j, "\"cat\":\"cpu\",\"pid\":42,\"tid\":100,\"ts\":0.000,\"dur\":20000.000}"));
    assert_non_null(
        strstr(j, "\"cat\":\"cpu\",\"pid\":42,\"tid\":100,\"ts\":20000.000,\"dur\":10000.000}"));
    assert_int_equal(count(j, "\"ts\":90000.000,\"dur\":10000.000}"), 2);
    /* The child's birth, creator and exit; its name. */
    assert_non_null(
        strstr(j, "{\"ph\":\"i\",\"name\":\"thread created\",\"cat\":\"thread\",\"pid\":42,"
                  "\"tid\":101,\"ts\":50000.000,\"s\":\"t\",\"args\":{\"creator_tid\":100,"
                  "\"creator_name\":\"parent\",\"creator_stack\":[\"0xabc ("));
    assert_non_null(strstr(
        j,
        "\"name\":\"thread exited\",\"cat\":\"thread\",\"pid\":42,\"tid\":101,\"ts\":80000.000"));
    assert_non_null(strstr(j, "\"args\":{\"name\":\"kid (101)\"}"));
    /* Spans: the end before any begin, nested ones, the unclosed cut at the end. */
    int sp = 100 + (1 << 23);
    char want[200];
    snprintf(want, sizeof want,
             "{\"ph\":\"X\",\"name\":\"(span begun before the trace)\",\"cat\":\"span\",\"pid\":42,"
             "\"tid\":%d,\"ts\":0.000,\"dur\":5000.000}",
             sp);
    assert_non_null(strstr(j, want));
    snprintf(want, sizeof want,
             "\"name\":\"outer\",\"cat\":\"span\",\"pid\":42,\"tid\":%d,\"ts\":10000.000,\"dur\":"
             "100000.000}",
             sp);
    assert_non_null(strstr(j, want));
    snprintf(want, sizeof want,
             "\"name\":\"inner\",\"cat\":\"span\",\"pid\":42,\"tid\":%d,\"ts\":20000.000,\"dur\":"
             "10000.000}",
             sp);
    assert_non_null(strstr(j, want));
    snprintf(
        want, sizeof want,
        "{\"ph\":\"i\",\"name\":\"ping\",\"cat\":\"event\",\"pid\":42,\"tid\":%d,\"ts\":25000.000",
        sp);
    assert_non_null(strstr(j, want));
    assert_non_null(
        strstr(j, "{\"ph\":\"C\",\"name\":\"heap in use "
                  "(sampled)\",\"pid\":42,\"tid\":42,\"ts\":0.000,\"args\":{\"bytes\":4096}}"));
    assert_non_null(strstr(j, "\"symbolized\":false"));
    buf_free(&out);
    symbolize_set_mode(SYMBOLIZE_ON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
