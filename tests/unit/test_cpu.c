/*
 * test_cpu.c — the CPU profiler's parts that run in process: /profile's
 * parameters (Go's fallbacks, our 400s), the sample ring (order, full ->
 * lost, many producers against one consumer), aggregation into the profile
 * model (sample types, period, the lost-samples frame), and whole sessions
 * on this process: samples of a burning thread, a thread born mid-session
 * armed and disarmed, the second session refused with Go's message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "http/http.h"

/* ---- parameters ---------------------------------------------------------- */

/* /profile's parameters as the router parses them from the registry. */
static int params(const char *query, int max, int *secs, int *hz, char *err)
{
    profile_request req;
    int status = http_profile_query(profile_source_find("profile"), query, max, &req, err, 256);
    *secs = req.seconds;
    *hz = req.hz;
    return status;
}

static void test_params_defaults_and_go_fallbacks(void **state)
{
    (void)state;
    int secs, hz;
    char err[256];
    const char *fallbacks[] = {
        NULL,          "",
        "seconds=",    "seconds=abc",
        "seconds=0",   "seconds=-5",
        "seconds=1.5", "debug=1",
        "seconds=%zz", "seconds=99999999999999999999999" /* ParseInt overflow */};
    for (size_t i = 0; i < sizeof fallbacks / sizeof *fallbacks; i++) {
        assert_int_equal(params(fallbacks[i], 300, &secs, &hz, err), 0);
        assert_int_equal(secs, 30);
        assert_int_equal(hz, CPU_HZ_ANY); /* the session's rate, else 100 */
    }
    assert_int_equal(params("seconds=7&hz=1000", 300, &secs, &hz, err), 0);
    assert_int_equal(secs, 7);
    assert_int_equal(hz, 1000);
    assert_int_equal(params("seconds=300&hz=", 300, &secs, &hz, err), 0);
    assert_int_equal(secs, 300);
    assert_int_equal(hz, CPU_HZ_ANY);
    /* A limit under Go's default lowers the default. */
    assert_int_equal(params(NULL, 10, &secs, &hz, err), 0);
    assert_int_equal(secs, 10);
}

static void test_params_refused(void **state)
{
    (void)state;
    int secs, hz;
    char err[256];
    assert_int_equal(params("seconds=301", 300, &secs, &hz, err), 400);
    assert_string_equal(err, "profile duration exceeds the server's limit of 300 seconds");
    assert_int_equal(params("seconds=99999999999999", 300, &secs, &hz, err), 400);
    const char *bad_hz[] = {"hz=0", "hz=5001", "hz=abc", "hz=-1", "hz=10x", "hz=%00"};
    for (size_t i = 0; i < sizeof bad_hz / sizeof *bad_hz; i++) {
        assert_int_equal(params(bad_hz[i], 300, &secs, &hz, err), 400);
        assert_string_equal(err, "invalid value for \"hz\" - must be an integer from 1 to 5000");
    }
}

static void test_signal_names(void **state)
{
    (void)state;
    assert_int_equal(cpu_parse_signal(NULL, 34, 64), SIGPROF);
    assert_int_equal(cpu_parse_signal("SIGPROF", 34, 64), SIGPROF);
    assert_int_equal(cpu_parse_signal("VTALRM", 34, 64), SIGVTALRM);
    assert_int_equal(cpu_parse_signal("SIGRTMIN+5", 34, 64), 39);
    assert_int_equal(cpu_parse_signal("SIGSEGV", 34, 64), -1);
    assert_int_equal(cpu_parse_signal("off", 34, 64), -1);
}

/* ---- the ring ---------------------------------------------------------------- */

typedef struct seen {
    size_t n;
    uint64_t first[64];
    uint64_t weight;
    int corrupt;
} seen;

static void collect(const cpu_record *rec, void *ctx)
{
    const uint64_t *pcs = rec->pcs;
    size_t n = rec->n_pcs;
    uint32_t weight = rec->weight;
    seen *s = ctx;
    /* Producers push labels = the tag of their pcs: a torn record shows;
     * every record is stamped with the pushing thread and a time. */
    if (rec->labels != (uint32_t)(pcs[0] >> 32) || rec->tid <= 0 || rec->time_ns <= 0)
        s->corrupt = 1;
    if (s->n < 64)
        s->first[s->n] = pcs[0];
    /* Producers write pcs[i] = tag + i: a torn record breaks the pattern. */
    for (size_t i = 1; i < n; i++)
        if (pcs[i] != pcs[0] + i)
            s->corrupt = 1;
    s->n++;
    s->weight += weight;
}

static void test_ring_order_full_and_lost(void **state)
{
    (void)state;
    cpu_ring *r = cpu_ring_new(3); /* rounded up to 4 */
    assert_non_null(r);
    uint64_t pcs[3];
    for (int i = 0; i < 4; i++) {
        pcs[0] = 100 * (uint64_t)i;
        pcs[1] = pcs[0] + 1;
        pcs[2] = pcs[0] + 2;
        assert_int_equal(cpu_ring_push(r, pcs, 3, 1, 0), 0);
    }
    assert_int_equal(cpu_ring_push(r, pcs, 3, 5, 0), -1);
    assert_int_equal(atomic_load(&r->lost), 5);
    seen s = {0};
    assert_int_equal(cpu_ring_drain(r, collect, &s), 4);
    assert_int_equal(s.first[0], 0);
    assert_int_equal(s.first[3], 300);
    assert_false(s.corrupt);
    /* Room again after the drain, across the wrap. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(cpu_ring_push(r, pcs, 3, 1, 0), 0);
    assert_int_equal(cpu_ring_drain(r, collect, &s), 3);
    assert_int_equal(cpu_ring_drain(r, collect, &s), 0);
    cpu_ring_free(r);
}

#define PRODUCERS 4
#define PUSHES 200000

static cpu_ring *shared_ring;
static atomic_int producers_done;

static void *producer(void *arg)
{
    uint64_t tag = (uint64_t)(uintptr_t)arg << 32;
    uint64_t pcs[CPU_MAX_FRAMES];
    for (uint64_t i = 0; i < PUSHES; i++) {
        size_t n = 1 + i % CPU_MAX_FRAMES;
        for (size_t k = 0; k < n; k++)
            pcs[k] = tag + i * 100 + k;
        cpu_ring_push(shared_ring, pcs, n, 1, (uint32_t)(tag >> 32));
    }
    atomic_fetch_add(&producers_done, 1);
    return NULL;
}

static void test_ring_many_producers(void **state)
{
    (void)state;
    shared_ring = cpu_ring_new(256);
    pthread_t t[PRODUCERS];
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        pthread_create(&t[i], NULL, producer, (void *)(i + 1));
    seen s = {0};
    while (atomic_load(&producers_done) < PRODUCERS)
        cpu_ring_drain(shared_ring, collect, &s);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(t[i], NULL);
    cpu_ring_drain(shared_ring, collect, &s);
    assert_false(s.corrupt);
    assert_int_equal(s.weight + atomic_load(&shared_ring->lost), (uint64_t)PRODUCERS * PUSHES);
    assert_int_equal(s.n, atomic_load(&shared_ring->pushed));
    cpu_ring_free(shared_ring);
}

/* ---- aggregation into the model ------------------------------------------------ */

static void test_stacks_profile(void **state)
{
    (void)state;
    cpu_stacks *s = cpu_stacks_new();
    uint64_t a[3] = {0x1000, 0x2000, 0x3000}, b[2] = {0x1000, 0x2000};
    cpu_stacks_add(s, a, 3, 1, 0);
    cpu_stacks_add(s, b, 2, 2, 0);
    cpu_stacks_add(s, a, 3, 1, 0);
    for (uint64_t i = 0; i < 5000; i++) { /* forces the table to grow */
        uint64_t c[2] = {0x5000 + i, 0x9000};
        cpu_stacks_add(s, c, 2, 1, 0);
    }
    cpu_stacks_add_lost(s, 7);
    assert_int_equal(cpu_stacks_total(s), 4 + 5000 + 7);
    assert_int_equal(cpu_stacks_lost(s), 7);
    profile *p = cpu_stacks_profile(s, 250, 1234, 5678);
    assert_non_null(p);
    assert_int_equal(p->n_sample_types, 2);
    assert_string_equal(p->sample_types[0].type, "samples");
    assert_string_equal(p->sample_types[0].unit, "count");
    assert_string_equal(p->sample_types[1].type, "cpu");
    assert_string_equal(p->sample_types[1].unit, "nanoseconds");
    assert_string_equal(p->period_type.type, "cpu");
    assert_int_equal(p->period, 4000000);
    assert_int_equal(p->time_nanos, 1234);
    assert_int_equal(p->duration_nanos, 5678);
    assert_true(p->leaf_pc_exact);
    assert_int_equal(p->n_samples, 2 + 5000 + 1);
    int found_a = 0, found_lost = 0;
    int64_t total = 0;
    for (size_t i = 0; i < p->n_samples; i++) {
        profile_sample *x = &p->samples[i];
        assert_int_equal(x->values[1], x->values[0] * 4000000);
        total += x->values[0];
        if (x->n_pcs == 3 && x->pcs[2] == 0x3000) {
            found_a = 1;
            assert_int_equal(x->values[0], 2);
        }
        if (x->n_pcs == 1 && x->pcs[0] == cpu_lost_samples_pc()) {
            found_lost = 1;
            assert_int_equal(x->values[0], 7);
        }
    }
    assert_true(found_a);
    assert_true(found_lost);
    assert_int_equal(total, 4 + 5000 + 7);
    profile_free(p);
    cpu_stacks_free(s);
}

/* ---- sessions on this process ------------------------------------------------------ */

static int64_t thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((noinline)) static void burn_ms(int ms)
{
    int64_t end = thread_cpu_ms() + ms;
    volatile uint64_t x = 1;
    while (thread_cpu_ms() < end)
        for (int i = 0; i < 10000; i++)
            x = x * 3 + 1;
}

static void *burner(void *arg)
{
    burn_ms((int)(intptr_t)arg);
    return NULL;
}

/* cpu_session_begin at a named rate (its in/out rate argument). */
static profile_status begin_at(int hz, cpu_stacks *acc, char *err, size_t err_len)
{
    return cpu_session_begin(&hz, acc, err, err_len);
}

static void test_session_samples_threads(void **state)
{
    (void)state;
    char err[256];
    cpu_stacks *acc = cpu_stacks_new();
    size_t before = 0;
    assert_int_equal(begin_at(1000, acc, err, sizeof err), 0);
    before = cpu_session_armed_threads();
    assert_true(before >= 1);
    /* A second session is refused with Go's message. */
    char err2[256];
    assert_int_equal(begin_at(100, acc, err2, sizeof err2), PROFILE_BUSY);
    assert_string_equal(err2, CPU_BUSY_MESSAGE);
    burn_ms(100);
    /* A thread born now arms its own timer and deletes it when it ends. */
    pthread_t t;
    pthread_create(&t, NULL, burner, (void *)(intptr_t)100);
    pthread_join(t, NULL);
    assert_int_equal(cpu_session_armed_threads(), before);
    cpu_session_drain();
    cpu_session_end(acc);
    assert_int_equal(cpu_session_armed_threads(), 0);
    /* ~200 ms of CPU at 1000 Hz: CPU-time based, so load cannot starve it. */
    uint64_t n = cpu_stacks_total(acc);
    print_message("samples: %llu (lost %llu)\n", (unsigned long long)n,
                  (unsigned long long)cpu_stacks_lost(acc));
    assert_true(n >= 100);
    assert_true(n <= 400);
    cpu_stacks_free(acc);
    /* Every timer is gone with the session (the kernel's list of this
     * process's POSIX timers is empty). */
    FILE *timers = fopen("/proc/self/timers", "r");
    if (timers) {
        assert_int_equal(fgetc(timers), EOF);
        fclose(timers);
    }
    /* After the end: no timer fires, a new session can begin; one naming no
     * rate, with no agent, runs at the default. */
    burn_ms(30);
    acc = cpu_stacks_new();
    int hz = CPU_HZ_ANY;
    assert_int_equal(cpu_session_begin(&hz, acc, err, sizeof err), 0);
    assert_int_equal(hz, CPU_DEFAULT_HZ);
    assert_int_equal(cpu_session_hz(), CPU_DEFAULT_HZ);
    cpu_session_end(acc);
    cpu_stacks_free(acc);
}

/* The push agent's background consumer and a /profile share one session:
 * both get the samples of their stay; another rate, or a second foreground
 * consumer, is refused; the timers stop with the last one. */
static void test_session_shared_with_background(void **state)
{
    (void)state;
    char err[256];
    cpu_stacks *bg_acc = cpu_stacks_new(), *fg_acc = cpu_stacks_new(), *other = cpu_stacks_new();
    assert_int_equal(cpu_background_begin(1000, bg_acc, err, sizeof err), PROFILE_OK);
    assert_int_equal(cpu_session_hz(), 1000);
    assert_int_equal(begin_at(100, fg_acc, err, sizeof err), PROFILE_BUSY);
    assert_non_null(strstr(err, "ask for hz=1000"));
    /* A request naming no rate gets the agent's. */
    int hz = CPU_HZ_ANY;
    assert_int_equal(cpu_session_begin(&hz, fg_acc, err, sizeof err), PROFILE_OK);
    assert_int_equal(hz, 1000);
    assert_int_equal(begin_at(1000, other, err, sizeof err), PROFILE_BUSY);
    assert_string_equal(err, CPU_BUSY_MESSAGE);
    burn_ms(100);
    cpu_session_drain();
    cpu_session_end(fg_acc);
    /* The agent keeps sampling after the request ends. */
    assert_true(cpu_session_armed_threads() >= 1);
    uint64_t fg_n = cpu_stacks_total(fg_acc);
    burn_ms(100);
    cpu_stacks *fresh = cpu_stacks_new();
    cpu_stacks *first = cpu_background_swap(fresh);
    assert_ptr_equal(first, bg_acc);
    uint64_t bg_n = cpu_stacks_total(first);
    print_message("foreground %llu, background %llu samples\n", (unsigned long long)fg_n,
                  (unsigned long long)bg_n);
    assert_true(fg_n >= 50);
    assert_true(bg_n >= fg_n + 50); /* the request's 100 ms and the 100 ms after */
    burn_ms(50);
    cpu_stacks *last = cpu_background_end();
    assert_ptr_equal(last, fresh);
    assert_true(cpu_stacks_total(last) >= 20);
    assert_int_equal(cpu_session_armed_threads(), 0);
    assert_int_equal(cpu_session_hz(), 0);
    /* An agent that started but has not joined yet: a rateless consumer
     * takes its rate, and the default again once it stopped. */
    cpu_background_expect(25);
    hz = CPU_HZ_ANY;
    assert_int_equal(cpu_session_begin(&hz, other, err, sizeof err), PROFILE_OK);
    assert_int_equal(hz, 25);
    cpu_session_end(other);
    cpu_background_expect(0);
    hz = CPU_HZ_ANY;
    assert_int_equal(cpu_session_begin(&hz, other, err, sizeof err), PROFILE_OK);
    assert_int_equal(hz, CPU_DEFAULT_HZ);
    cpu_session_end(other);
    cpu_stacks_free(first);
    cpu_stacks_free(last);
    cpu_stacks_free(fg_acc);
    cpu_stacks_free(other);
}

/* ---- through the router (the path cprof_handle takes) ------------------------------ */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_router_profile(void **state)
{
    (void)state;
    http_request req = {.method = "GET", .path = "/profile", .query = "seconds=1&hz=500"};
    http_response resp;
    int64_t t0 = mono_ms();
    http_route(&req, &resp);
    int64_t took = mono_ms() - t0;
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/octet-stream");
    assert_string_equal(resp.content_disposition, "attachment; filename=\"profile\"");
    assert_true(resp.body.len > 20);
    assert_int_equal(resp.body.data[0], 0x1f); /* gzip */
    assert_int_equal(resp.body.data[1], 0x8b);
    assert_true(took >= 1000);
    http_response_free(&resp);
}

static int gone_at_once(void *ctx)
{
    (void)ctx;
    return 1;
}

static void test_router_client_gone(void **state)
{
    (void)state;
    http_request req = {
        .method = "GET", .path = "/profile", .query = "seconds=20", .client_gone = gone_at_once};
    http_response resp;
    int64_t t0 = mono_ms();
    http_route(&req, &resp);
    assert_true(mono_ms() - t0 < 5000);
    assert_int_equal(resp.status, 500);
    http_response_free(&resp);
    /* Everything was released: the next profile begins. */
    char err[256];
    cpu_stacks *acc = cpu_stacks_new();
    assert_int_equal(begin_at(100, acc, err, sizeof err), 0);
    cpu_session_end(acc);
    cpu_stacks_free(acc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_defaults_and_go_fallbacks),
        cmocka_unit_test(test_params_refused),
        cmocka_unit_test(test_signal_names),
        cmocka_unit_test(test_ring_order_full_and_lost),
        cmocka_unit_test(test_ring_many_producers),
        cmocka_unit_test(test_stacks_profile),
        cmocka_unit_test(test_session_samples_threads),
        cmocka_unit_test(test_session_shared_with_background),
        cmocka_unit_test(test_router_profile),
        cmocka_unit_test(test_router_client_gone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
