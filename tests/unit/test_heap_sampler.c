/*
 * Unit tests of the sampler behind the malloc hooks: the Poisson countdown's
 * sampling probability, the bucket and live tables, the lock-free free
 * filter, and snapshots. The hooks themselves are not linked here (see
 * Makefile); tests drive the slow paths directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <pthread.h>
#include <cmocka.h>

#include "heap/heap.h"
#include "heap/heap_internal.h"

/* Run the countdown for `count` allocations of `size` bytes; return how
 * many were chosen for sampling. */
static long count_sampled(long count, size_t size)
{
    long sampled = 0;
    for (long i = 0; i < count; i++) {
        if (heap_tls.bytes_until_sample > (int64_t)size)
            heap_tls.bytes_until_sample -= (int64_t)size;
        else
            sampled += heap_countdown_expired(size);
    }
    return sampled;
}

static void test_sampling_probability_matches_poisson(void **state)
{
    (void)state;
    heap_sampler_set_seed(12345);
    heap_sampler_set_rate(4096);
    const size_t sizes[] = {64, 1000, 4096, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        long n = 400000;
        long got = count_sampled(n, sizes[i]);
        double p = 1.0 - exp(-(double)sizes[i] / 4096.0);
        double expected = (double)n * p;
        double sd = sqrt((double)n * p * (1 - p));
        /* 5 standard deviations: a correct sampler fails this ~1 in 10^6. */
        assert_true(fabs((double)got - expected) < 5 * sd + 1);
    }
    heap_sampler_set_rate(0);
}

static void test_rate_one_samples_everything_and_zero_nothing(void **state)
{
    (void)state;
    /* A rate change reaches a thread when its current countdown runs out;
     * re-seeding resets the calling thread's countdown at once. */
    heap_sampler_set_rate(1);
    heap_sampler_set_seed(1);
    assert_int_equal(count_sampled(1000, 1), 1000);
    heap_sampler_set_rate(0);
    assert_int_equal(count_sampled(100000, 1 << 20), 0);
}

static void test_internal_threads_are_never_sampled(void **state)
{
    (void)state;
    heap_sampler_set_rate(1);
    heap_sampler_set_seed(1);
    heap_thread_set_internal(1);
    assert_int_equal(count_sampled(1000, 100), 0);
    heap_thread_set_internal(0);
    assert_int_equal(count_sampled(10, 100), 10);
    heap_sampler_set_rate(0);
}

static const heap_record *find_record_of_size(heap_record *recs, size_t n, uint64_t size)
{
    for (size_t i = 0; i < n; i++)
        if (recs[i].alloc_objects && recs[i].alloc_bytes / recs[i].alloc_objects == size)
            return &recs[i];
    return NULL;
}

__attribute__((noinline)) static void take_from_here(void *p, size_t size)
{
    heap_sample_take(p, size);
    __asm__ volatile("");
}

static void test_take_and_forget_update_buckets_and_filter(void **state)
{
    (void)state;
    enum { N = 1000 };
    static char blocks[N][32] __attribute__((aligned(16)));
    for (int i = 0; i < N; i++) {
        take_from_here(blocks[i], 777);
        assert_true(heap_filter_maybe_sampled(blocks[i]));
    }
    size_t n;
    heap_record *recs = heap_records_snapshot(&n);
    const heap_record *r = find_record_of_size(recs, n, 777);
    assert_non_null(r);
    assert_int_equal(r->alloc_objects, N);
    assert_int_equal(r->alloc_bytes, N * 777);
    assert_int_equal(r->inuse_objects, N);
    assert_int_equal(r->inuse_bytes, N * 777);
    assert_true(r->n_pcs >= 2); /* take_from_here and this test at least */
    free(recs);

    for (int i = 0; i < N / 2; i++)
        assert_int_equal(heap_sample_forget(blocks[i]), 1);
    /* forgetting twice, or an unsampled pointer, finds nothing */
    assert_int_equal(heap_sample_forget(blocks[0]), 0);
    int unsampled;
    assert_int_equal(heap_sample_forget(&unsampled), 0);

    recs = heap_records_snapshot(&n);
    r = find_record_of_size(recs, n, 777);
    assert_int_equal(r->alloc_objects, N);
    assert_int_equal(r->inuse_objects, N / 2);
    assert_int_equal(r->inuse_bytes, N / 2 * 777);
    free(recs);
    for (int i = N / 2; i < N; i++)
        assert_int_equal(heap_sample_forget(blocks[i]), 1);
    for (int i = 0; i < N; i++)
        assert_false(heap_filter_maybe_sampled(blocks[i]));
}

static void test_size_classes_split_buckets_within_one_eighth(void **state)
{
    (void)state;
    static char blk[4][16] __attribute__((aligned(16)));
    long before = heap_bucket_count();
    /* 1000 and 1020 share a class (1024 > 1000 * 1.125 is false: 1000..1023
     * all fall in [960, 1024)); 3000 and 5000 each get their own. */
    const size_t sizes[4] = {1000, 1020, 3000, 5000};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            if (i)
                heap_sample_forget(blk[j]);
            else
                take_from_here(blk[j], sizes[j]);
        }
    assert_int_equal(heap_bucket_count(), before + 3);
}

/* Many threads sampling and freeing distinct pointers at once must leave
 * exact counts: the tables are shared and lock-free on the read side. */
static void *churn_thread(void *arg)
{
    char *base = arg;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 50; i++)
            take_from_here(base + i * 16, 555);
        for (int i = 0; i < 50; i++)
            heap_sample_forget(base + i * 16);
    }
    return NULL;
}

static void test_concurrent_take_forget_keeps_exact_counts(void **state)
{
    (void)state;
    enum { T = 4 };
    static char space[T][50 * 16] __attribute__((aligned(16)));
    pthread_t th[T];
    for (int i = 0; i < T; i++)
        pthread_create(&th[i], NULL, churn_thread, space[i]);
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    size_t n;
    heap_record *recs = heap_records_snapshot(&n);
    uint64_t alloc = 0, inuse = 0;
    for (size_t i = 0; i < n; i++)
        if (recs[i].alloc_objects && recs[i].alloc_bytes / recs[i].alloc_objects == 555) {
            alloc += recs[i].alloc_objects;
            inuse += recs[i].inuse_objects;
        }
    free(recs);
    assert_int_equal(alloc, T * 200 * 50);
    assert_int_equal(inuse, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sampling_probability_matches_poisson),
        cmocka_unit_test(test_rate_one_samples_everything_and_zero_nothing),
        cmocka_unit_test(test_internal_threads_are_never_sampled),
        cmocka_unit_test(test_take_and_forget_update_buckets_and_filter),
        cmocka_unit_test(test_size_classes_split_buckets_within_one_eighth),
        cmocka_unit_test(test_concurrent_take_forget_keeps_exact_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
