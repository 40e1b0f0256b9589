/*
 * Unit tests of the two heap views behind /debug/pprof/peak and
 * heap?min_age: the peak copy keeps a spike that has since been freed (and
 * stays within the 1/16 capture margin of it), a smaller later high does not
 * replace it, and the min_age snapshot counts only blocks old enough. The
 * sampler's slow paths are driven directly (the hooks are not linked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "heap/heap.h"
#include "heap/heap_internal.h"

#define BLOCK (64 << 10)
#define N_BLOCKS 128 /* 8 MiB */

static char blocks[N_BLOCKS]; /* addresses only: the sampler never touches them */

static __attribute__((noinline)) void take_spike(void)
{
    for (int i = 0; i < N_BLOCKS; i++)
        heap_sample_take(&blocks[i], BLOCK);
}

static void forget_all(void)
{
    for (int i = 0; i < N_BLOCKS; i++)
        assert_int_equal(heap_sample_forget(&blocks[i]), 1);
}

static uint64_t inuse_total(const heap_record *r, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += r[i].inuse_bytes;
    return sum;
}

static void test_peak_outlives_the_spike(void **state)
{
    (void)state;
    heap_sampler_set_rate(1); /* weight = size: exact numbers */
    size_t n;
    heap_peak_info info;
    heap_record *r = heap_peak_snapshot(&n, &info);
    assert_null(r);
    assert_int_equal(n, 0);

    take_spike();
    forget_all();
    r = heap_records_snapshot(&n);
    assert_int_equal(inuse_total(r, n), 0); /* the live heap has no trace */
    free(r);

    r = heap_peak_snapshot(&n, &info);
    assert_non_null(r);
    uint64_t peak = inuse_total(r, n);
    const uint64_t spike = (uint64_t)N_BLOCKS * BLOCK;
    assert_true(peak <= spike);
    assert_true(peak >= spike - spike / 16 - (256 << 10));
    assert_true(info.bytes >= (int64_t)(spike - spike / 16 - (256 << 10)));
    assert_true(info.time_nanos > 0);
    assert_true(info.current < (int64_t)(512 << 10));
    for (size_t i = 0; i < n; i++)
        assert_true(r[i].alloc_bytes >= r[i].inuse_bytes);
    free(r);

    /* a smaller high later does not replace the peak */
    for (int i = 0; i < N_BLOCKS / 2; i++)
        heap_sample_take(&blocks[i], BLOCK);
    r = heap_peak_snapshot(&n, &info);
    assert_int_equal(inuse_total(r, n), peak);
    free(r);
    for (int i = 0; i < N_BLOCKS / 2; i++)
        heap_sample_forget(&blocks[i]);
    heap_sampler_set_rate(0);
}

static void test_min_age(void **state)
{
    (void)state;
    heap_sampler_set_rate(1);
    heap_sample_take(&blocks[0], 1000);
    struct timespec ts = {0, 60 * 1000 * 1000};
    nanosleep(&ts, NULL);
    heap_sample_take(&blocks[1], 2000);
    size_t n;
    heap_record *r = heap_records_snapshot_aged(&n, 0);
    assert_int_equal(inuse_total(r, n), 3000);
    free(r);
    /* 30 ms: the first block is old enough, the second is not (the coarse
     * clock ticks every few ms, well under the 60 ms between them) */
    r = heap_records_snapshot_aged(&n, 30 * 1000 * 1000);
    assert_int_equal(inuse_total(r, n), 1000);
    free(r);
    r = heap_records_snapshot_aged(&n, 3600ll * 1000 * 1000 * 1000);
    assert_int_equal(inuse_total(r, n), 0);
    free(r);
    heap_sample_forget(&blocks[0]);
    heap_sample_forget(&blocks[1]);
    heap_sampler_set_rate(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peak_outlives_the_spike),
        cmocka_unit_test(test_min_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
