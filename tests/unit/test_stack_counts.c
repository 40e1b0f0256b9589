/*
 * Unit tests of the stack-keyed counter table (unwind/stack_counts.c):
 * exact sums under concurrent adds from several threads, distinct stacks
 * kept apart (same hash slot too), a full table drops and counts, stacks
 * longer than the limit cut, errno untouched.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unwind/stack_counts.h"

enum { THREADS = 4, STACKS = 40, ROUNDS = 20000 };

static stack_counts shared = STACK_COUNTS_INIT(64);

static void stack_of(int i, uint64_t *pcs, size_t *n)
{
    *n = 1 + (size_t)(i % 5);
    for (size_t k = 0; k < *n; k++)
        pcs[k] = 0x400000 + (uint64_t)i * 16 + k;
}

static void *adder(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        int i = r % STACKS;
        uint64_t pcs[8];
        size_t n;
        stack_of(i, pcs, &n);
        int64_t v[STACK_COUNTS_VALUES] = {1, i};
        stack_counts_add(&shared, pcs, n, 0, v);
    }
    return NULL;
}

static void test_concurrent_adds_sum_exactly(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, adder, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    size_t n;
    int oom;
    stack_counts_record *recs = stack_counts_snapshot(&shared, &n, &oom);
    assert_int_equal(oom, 0);
    assert_int_equal(n, STACKS);
    assert_int_equal(stack_counts_used(&shared), STACKS);
    assert_int_equal(stack_counts_dropped(&shared), 0);
    int seen[STACKS] = {0};
    for (size_t k = 0; k < n; k++) {
        int i = (int)((recs[k].pcs[0] - 0x400000) / 16);
        assert_true(i >= 0 && i < STACKS);
        uint64_t pcs[8];
        size_t len;
        stack_of(i, pcs, &len);
        assert_int_equal(recs[k].n_pcs, len);
        assert_memory_equal(recs[k].pcs, pcs, len * sizeof *pcs);
        int64_t per_thread = ROUNDS / STACKS;
        assert_int_equal(recs[k].values[0], THREADS * per_thread);
        assert_int_equal(recs[k].values[1], THREADS * per_thread * i);
        seen[i]++;
    }
    for (int i = 0; i < STACKS; i++)
        assert_int_equal(seen[i], 1);
    free(recs);
}

static void test_full_table_drops_and_counts(void **state)
{
    (void)state;
    static stack_counts small = STACK_COUNTS_INIT(4);
    int64_t one[STACK_COUNTS_VALUES] = {1, 0};
    errno = 1234;
    for (uint64_t i = 0; i < 6; i++) {
        uint64_t pc = 0x1000 + i;
        int rc = stack_counts_add(&small, &pc, 1, 0, one);
        assert_int_equal(rc, i < 4 ? 0 : -1);
    }
    assert_int_equal(errno, 1234);
    uint64_t pc = 0x1002; /* a known stack still counts when full */
    assert_int_equal(stack_counts_add(&small, &pc, 1, 0, one), 0);
    assert_int_equal(stack_counts_dropped(&small), 2);
    size_t n;
    int oom;
    stack_counts_record *recs = stack_counts_snapshot(&small, &n, &oom);
    assert_int_equal(n, 4);
    int64_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += recs[k].values[0];
    assert_int_equal(total, 5);
    free(recs);
}

static void test_long_stacks_are_cut_and_empty_table_is_empty(void **state)
{
    (void)state;
    static stack_counts t = STACK_COUNTS_INIT(8);
    size_t n;
    int oom;
    assert_null(stack_counts_snapshot(&t, &n, &oom));
    assert_int_equal(n, 0);
    assert_int_equal(oom, 0);
    uint64_t pcs[STACK_COUNTS_FRAMES + 10];
    for (size_t i = 0; i < sizeof pcs / sizeof *pcs; i++)
        pcs[i] = 0x9000 + i;
    int64_t one[STACK_COUNTS_VALUES] = {1, 7};
    assert_int_equal(stack_counts_add(&t, pcs, sizeof pcs / sizeof *pcs, 0, one), 0);
    assert_int_equal(stack_counts_add(&t, pcs, STACK_COUNTS_FRAMES, 0, one), 0);
    stack_counts_record *recs = stack_counts_snapshot(&t, &n, &oom);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].n_pcs, STACK_COUNTS_FRAMES);
    assert_int_equal(recs[0].values[0], 2);
    assert_int_equal(recs[0].values[1], 14);
    free(recs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_adds_sum_exactly),
        cmocka_unit_test(test_full_table_drops_and_counts),
        cmocka_unit_test(test_long_stacks_are_cut_and_empty_table_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
