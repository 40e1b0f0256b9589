/*
 * test_cprof_watch_trend.c — the leak test of `cprof watch` on synthetic
 * series: steady growth, a staircase (a slow heap leak seen through
 * sampling), noise, a cache that fills then plateaus, a sawtooth (a buffer
 * grown and freed), growth below the floor, and too few points. The
 * integration tests (watch_leaks, watch_healthy) run the rules on real
 * programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../tool/watch_trend.c"

#define N 40

static double t[N], v[N];
static uint64_t seed = 12345;

static double noise(double amplitude)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return ((double)(seed % 10001) / 10000.0 - 0.5) * 2 * amplitude;
}

static void times(void)
{
    for (int i = 0; i < N; i++)
        t[i] = i;
}

static void test_linear_growth_is_a_leak(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 2 + 4 * i; /* 4 threads a second */
    trend r;
    trend_analyze(t, v, N, 3, &r);
    assert_true(r.leak);
    assert_true(r.slope > 3.9 && r.slope < 4.1);
    assert_true(r.z > 5);
}

static void test_noisy_growth_is_a_leak(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 10e6 + 200e3 * i + noise(600e3);
    trend r;
    trend_analyze(t, v, N, 2e6, &r);
    assert_true(r.leak);
    assert_true(r.slope > 150e3 && r.slope < 250e3);
}

static void test_staircase_is_a_leak(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 524288.0 * (i / 4); /* one sample every 4 snapshots */
    trend r;
    trend_analyze(t, v, N, 4 * 524288.0, &r);
    assert_true(r.leak);
    assert_true(r.slope > 0);
}

static void test_noise_is_not(void **state)
{
    (void)state;
    times();
    for (int k = 0; k < 200; k++) {
        for (int i = 0; i < N; i++)
            v[i] = 32e6 + noise(4e6);
        trend r;
        trend_analyze(t, v, N, 2e6, &r);
        assert_false(r.leak);
    }
}

static void test_plateau_is_not(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = i < 10 ? 2.4e6 * i : 24e6 + noise(1e6); /* fills in 10 s, then full */
    trend r;
    trend_analyze(t, v, N, 2e6, &r);
    assert_false(r.leak);
    assert_string_equal(r.why_not, "stopped growing (plateau)");
}

static void test_sawtooth_is_not(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 4e6 * (i % 5); /* grows for 4 s, freed */
    trend r;
    trend_analyze(t, v, N, 2e6, &r);
    assert_false(r.leak);
}

static void test_small_growth_is_not(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 5 + i / 20; /* one thread more over the window */
    trend r;
    trend_analyze(t, v, N, 3, &r);
    assert_false(r.leak);
}

static void test_too_few_points(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 100 * i;
    trend r;
    trend_analyze(t, v, TREND_MIN_POINTS - 1, 3, &r);
    assert_false(r.leak);
    assert_string_equal(r.why_not, "too few snapshots");
}

static void test_decline_is_not(void **state)
{
    (void)state;
    times();
    for (int i = 0; i < N; i++)
        v[i] = 1000 - 10 * i;
    trend r;
    trend_analyze(t, v, N, 3, &r);
    assert_false(r.leak);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_growth_is_a_leak),
        cmocka_unit_test(test_noisy_growth_is_a_leak),
        cmocka_unit_test(test_staircase_is_a_leak),
        cmocka_unit_test(test_noise_is_not),
        cmocka_unit_test(test_plateau_is_not),
        cmocka_unit_test(test_sawtooth_is_not),
        cmocka_unit_test(test_small_growth_is_not),
        cmocka_unit_test(test_too_few_points),
        cmocka_unit_test(test_decline_is_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
