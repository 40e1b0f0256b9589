/*
 * Unit tests of the live table (open addressing with backward-shift
 * deletion, sharded) and its filter bitmap, against a shadow model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heap/heap_internal.h"
#include "heap/heap_live.h"

enum { SPACE = 1 << 16 };

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void count_entry(const live_entry *e, void *arg)
{
    (void)e;
    (*(size_t *)arg)++;
}

/* Random inserts and removes over a small pointer space (so clusters form
 * and collide), checked against a shadow array after every step. */
static void test_random_ops_match_shadow_model(void **state)
{
    (void)state;
    static unsigned char present[SPACE];
    memset(present, 0, sizeof present);
    uintptr_t base = 0x100000;
    size_t live = 0;
    for (int step = 0; step < 400000; step++) {
        size_t k = next_random() % SPACE;
        uintptr_t ptr = base + k * 16;
        if (next_random() % 3 && !present[k]) {
            live_entry e = {.ptr = ptr, .size = k};
            assert_int_equal(live_insert(&e), 0);
            present[k] = 1;
            live++;
            assert_true(heap_filter_maybe_sampled((void *)ptr));
        } else {
            assert_int_equal(live_remove(ptr), present[k]);
            if (present[k])
                live--;
            present[k] = 0;
        }
    }
    assert_int_equal(live_count(), live);
    size_t seen = 0;
    live_for_each(count_entry, &seen);
    assert_int_equal(seen, live);
    for (size_t k = 0; k < SPACE; k++)
        if (present[k])
            assert_int_equal(live_remove(base + k * 16), 1);
    assert_int_equal(live_count(), 0);
    /* every filter bit is clear once nothing is live */
    for (size_t k = 0; k < SPACE; k++)
        assert_false(heap_filter_maybe_sampled((void *)(base + k * 16)));
}

static void test_pinned_filter_bits_stay(void **state)
{
    (void)state;
    static char pinned[32] __attribute__((aligned(16)));
    heap_filter_pin(pinned);
    assert_true(heap_filter_maybe_sampled(pinned));
    live_entry e = {.ptr = (uintptr_t)pinned};
    assert_int_equal(live_insert(&e), 0);
    assert_int_equal(live_remove((uintptr_t)pinned), 1);
    assert_true(heap_filter_maybe_sampled(pinned));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops_match_shadow_model),
        cmocka_unit_test(test_pinned_filter_bits_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
