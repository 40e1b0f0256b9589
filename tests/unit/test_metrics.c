/*
 * test_metrics.c — the Prometheus exposition (lib/metrics/): the text
 * format byte for byte (escaping, numbers, families), the creator grouping,
 * the process fields of /proc/self/stat, and /metrics through the router:
 * content type, every line well-formed, the request counters, the creator
 * label naming the function that started threads, 405 for other methods.
 */
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http/http.h"
#include "metrics/metrics.h"
#include "threads/threads.h"

static const char *text(buf *b)
{
    buf_append_byte(b, 0);
    b->len--;
    return (const char *)b->data;
}

static void test_family_and_samples(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    prom_family(&b, "x_total", PROM_COUNTER, "Help with \\ and\nnewline.");
    prom_sample(&b, "x_total", NULL, 0, 3);
    prom_label l[2] = {{"path", "/a\"b\\c\nd"}, {"code", "200"}};
    prom_sample(&b, "x_total", l, 2, 1.5);
    prom_single(&b, "g", PROM_GAUGE, "G.", 0);
    assert_string_equal(text(&b), "# HELP x_total Help with \\\\ and\\nnewline.\n"
                                  "# TYPE x_total counter\n"
                                  "x_total 3\n"
                                  "x_total{path=\"/a\\\"b\\\\c\\nd\",code=\"200\"} 1.5\n"
                                  "# HELP g G.\n"
                                  "# TYPE g gauge\n"
                                  "g 0\n");
    buf_free(&b);
}

static void test_values(void **state)
{
    (void)state;
    struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "v 0\n"},
        {-7, "v -7\n"},
        {1796393076.35, "v 1796393076.35\n"}, /* shortest, not 1796393076.3499999 */
        {0.1, "v 0.1\n"},
        {9007199254740991.0, "v 9007199254740991\n"},
        {1e20, "v 1e+20\n"},
        {NAN, "v NaN\n"},
        {INFINITY, "v +Inf\n"},
        {-INFINITY, "v -Inf\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        buf b;
        buf_init(&b);
        prom_sample(&b, "v", NULL, 0, cases[i].v);
        assert_string_equal(text(&b), cases[i].want);
        buf_free(&b);
    }
}

static void test_group_creators(void **state)
{
    (void)state;
    uint64_t pcs[] = {30, 10, 20, 10, 30, 10, 0};
    metrics_creator out[7];
    size_t k = metrics_group_creators(pcs, 7, out);
    assert_int_equal(k, 4);
    assert_int_equal(out[0].pc, 10);
    assert_int_equal(out[0].count, 3);
    assert_int_equal(out[1].pc, 30);
    assert_int_equal(out[1].count, 2);
    /* Equal counts: by call site. */
    assert_int_equal(out[2].pc, 0);
    assert_int_equal(out[3].pc, 20);
    assert_int_equal(metrics_group_creators(pcs, 0, out), 0);
}

static void test_process_stat_fields(void **state)
{
    (void)state;
    const char *line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
                       "250 50 0 0 20 0 17 0 123456 987654321 2048 18446744073709551615 "
                       "1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    thread_proc_info p;
    memset(&p, 0, sizeof p);
    assert_int_equal(threads_parse_stat(line, &p), 0);
    assert_string_equal(p.name, "a (b) c");
    assert_int_equal(p.utime_ticks, 250);
    assert_int_equal(p.stime_ticks, 50);
    assert_int_equal(p.num_threads, 17);
    assert_int_equal(p.start_ticks, 123456);
    assert_int_equal(p.vsize_bytes, 987654321);
    assert_int_equal(p.rss_pages, 2048);
    assert_int_equal(threads_read_process(&p), 0);
    assert_true(p.num_threads >= 1);
    assert_true(p.rss_pages > 0);
}

/* ---- /metrics through the router ---- */

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;

static _Atomic int n_parked;

/* Runs after the registry has the thread (the trampoline publishes it
 * before the start routine). */
static void *parked(void *arg)
{
    (void)arg;
    n_parked++;
    pthread_mutex_lock(&park_lock);
    pthread_mutex_unlock(&park_lock);
    return NULL;
}

/* The function the creator label must name. */
__attribute__((noinline)) static void metrics_test_spawner(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, parked, NULL), 0);
    __asm__ volatile("");
}

static void get(const char *method, const char *path, http_response *resp)
{
    http_request req = {.method = method, .path = path};
    http_route(&req, resp);
}

/* The value of the sample line starting with `series` + ' ', or -1. */
static double sample_value(const char *body, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return -1;
}

static void test_metrics_route(void **state)
{
    (void)state;
    long created0 = threads_created_count();
    pthread_t t[4];
    pthread_mutex_lock(&park_lock);
    metrics_test_spawner(t, 4);
    while (n_parked < 4)
        usleep(1000);

    http_response r;
    get("GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_int_equal(r.go_pprof_error, 0);
    const char *body = text(&r.body);

    /* Every line: HELP, TYPE or a sample. */
    regex_t line_re;
    assert_int_equal(regcomp(&line_re,
                             "^(# HELP [a-z_]+ .+|# TYPE [a-z_]+ (counter|gauge)|"
                             "[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? "
                             "-?[0-9.e+]+)$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    char *copy = strdup(body);
    int lines = 0;
    for (char *save, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (regexec(&line_re, l, 0, NULL, 0) != 0)
            fail_msg("malformed line: %s", l);
        lines++;
    }
    free(copy);
    regfree(&line_re);
    assert_true(lines > 20);

    assert_true(sample_value(body, "process_threads") >= 5);
    assert_true(sample_value(body, "process_resident_memory_bytes") > 0);
    assert_true(sample_value(body, "process_open_fds") >= 3);
    assert_true(sample_value(body, "process_start_time_seconds") > 1.6e9);
    assert_true(sample_value(body, "cprof_threads_created_total") >= (double)(created0 + 4));
    assert_true(sample_value(body, "cprof_threads_by_creator{creator=\"metrics_test_spawner\"}") ==
                4);
    assert_non_null(strstr(body, "# TYPE cprof_threads_created_total counter\n"));
    assert_non_null(strstr(body, "# TYPE process_cpu_seconds_total counter\n"));
    assert_non_null(strstr(body, "cprof_threads{state=\"blocked_in_call\"} "));
    assert_non_null(strstr(body, "cprof_symbolizer_index_budget_bytes "));
    http_response_free(&r);

    pthread_mutex_unlock(&park_lock);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);

    /* The counters: the first scrape is in the second, a 404 and a 405 too. */
    get("GET", "/nosuch", &r);
    assert_int_equal(r.status, 404);
    http_response_free(&r);
    get("POST", "/metrics", &r);
    assert_int_equal(r.status, 405);
    assert_int_equal(r.go_pprof_error, 1);
    http_response_free(&r);
    get("GET", "metrics", &r);
    body = text(&r.body);
    assert_true(sample_value(body, "cprof_http_requests_total{path=\"/metrics\",code=\"200\"}") >=
                1);
    assert_true(sample_value(body, "cprof_http_requests_total{path=\"other\",code=\"404\"}") >= 1);
    assert_true(sample_value(body, "cprof_http_requests_total{path=\"/metrics\",code=\"405\"}") >=
                1);
    /* Threads that ended are no longer counted by creator. */
    assert_true(sample_value(body, "cprof_threads_by_creator{creator=\"metrics_test_spawner\"}") <
                0);
    http_response_free(&r);

    /* The index lists it. */
    get("GET", "/", &r);
    assert_non_null(strstr(text(&r.body), "<a href='metrics'>metrics</a>"));
    http_response_free(&r);
}

/* Twelve creator functions: k-th starts 12 - k threads. */
#define CREATOR(k)                                                                                 \
    __attribute__((noinline)) static void creator_fn_##k(pthread_t *t)                             \
    {                                                                                              \
        for (int i = 0; i < 12 - k; i++)                                                           \
            assert_int_equal(pthread_create(&t[i], NULL, parked, NULL), 0);                        \
        __asm__ volatile("" ::: "memory");                                                         \
    }
CREATOR(0)
CREATOR(1)
CREATOR(2)
CREATOR(3)
CREATOR(4)
CREATOR(5)
CREATOR(6)
CREATOR(7)
CREATOR(8)
CREATOR(9)
CREATOR(10)
CREATOR(11)

static void test_creator_top_and_other(void **state)
{
    (void)state;
    void (*fns[12])(pthread_t *) = {creator_fn_0, creator_fn_1, creator_fn_2,  creator_fn_3,
                                    creator_fn_4, creator_fn_5, creator_fn_6,  creator_fn_7,
                                    creator_fn_8, creator_fn_9, creator_fn_10, creator_fn_11};
    pthread_t t[78];
    n_parked = 0;
    pthread_mutex_lock(&park_lock);
    size_t used = 0;
    for (int k = 0; k < 12; k++) {
        fns[k](t + used);
        used += (size_t)(12 - k);
    }
    while (n_parked < 78)
        usleep(1000);
    http_response r;
    get("GET", "/metrics", &r);
    const char *body = text(&r.body);
    int labels = 0;
    for (int k = 0; k < 12; k++) {
        char series[96];
        snprintf(series, sizeof series, "cprof_threads_by_creator{creator=\"creator_fn_%d\"}", k);
        double v = sample_value(body, series);
        if (k < 10)
            assert_true(v == 12 - k);
        else
            assert_true(v < 0); /* the two smallest are other */
        labels += v > 0;
    }
    assert_int_equal(labels, 10);
    assert_true(sample_value(body, "cprof_threads_by_creator{creator=\"other\"}") == 3);
    http_response_free(&r);
    pthread_mutex_unlock(&park_lock);
    for (size_t i = 0; i < used; i++)
        pthread_join(t[i], NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples), cmocka_unit_test(test_values),
        cmocka_unit_test(test_group_creators),     cmocka_unit_test(test_process_stat_fields),
        cmocka_unit_test(test_metrics_route),      cmocka_unit_test(test_creator_top_and_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
