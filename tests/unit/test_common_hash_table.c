/*
 * test_common_hash_table.c — the common kit's hash functions (known FNV-1a
 * vectors) and hash table: lookups across growth, colliding and zero
 * hashes, index items, iteration, a failing allocator that must leave
 * the table unchanged, and reserving room ahead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hash.h"
#include "common/hash_table.h"

static void test_fnv1a_vectors(void **state)
{
    (void)state;
    /* Published FNV-1a test vectors (http://www.isthe.com/chongo/tech/comp/fnv/). */
    assert_int_equal(hash_fnv1a("", 0, 0), 0xcbf29ce484222325ull);
    assert_int_equal(hash_fnv1a("a", 1, 0), 0xaf63dc4c8601ec8cull);
    assert_int_equal(hash_fnv1a("foobar", 6, 0), 0x85944171f73967e8ull);
    assert_int_equal(hash_fnv1a32_str(""), 0x811c9dc5u);
    assert_int_equal(hash_fnv1a32_str("a"), 0xe40c292cu);
    assert_int_equal(hash_fnv1a32_str("foobar"), 0xbf9cf968u);
    /* hash_str is hash_bytes over the string's bytes; seeds change hashes. */
    assert_int_equal(hash_str("foobar"), hash_bytes("foobar", 6, 0));
    assert_int_not_equal(hash_bytes("foobar", 6, 1), hash_bytes("foobar", 6, 0));
    assert_int_not_equal(hash_mix(0, 1), hash_mix(0, 2));
}

static int int_eq(const void *key, const void *item)
{
    return *(const int *)key == *(const int *)item;
}

static void test_insert_find_grow(void **state)
{
    (void)state;
    enum { N = 5000 };
    int *v = malloc(N * sizeof *v);
    assert_non_null(v);
    htab t;
    htab_init(&t, NULL);
    for (int i = 0; i < N; i++) {
        v[i] = i * 7;
        assert_null(htab_find(&t, hash_mix(0, (uint64_t)v[i]), int_eq, &v[i]));
        assert_int_equal(htab_insert(&t, hash_mix(0, (uint64_t)v[i]), &v[i]), 0);
    }
    assert_int_equal(t.len, N);
    assert_true(t.len * 2 <= t.cap);
    for (int i = 0; i < N; i++) {
        int key = i * 7;
        assert_ptr_equal(htab_find(&t, hash_mix(0, (uint64_t)key), int_eq, &key), &v[i]);
        int absent = i * 7 + 1;
        assert_null(htab_find(&t, hash_mix(0, (uint64_t)absent), int_eq, &absent));
    }
    htab_free(&t);
    assert_int_equal(t.len, 0);
    int key = 0;
    assert_null(htab_find(&t, hash_mix(0, 0), int_eq, &key)); /* empty again, reusable */
    assert_int_equal(htab_insert(&t, hash_mix(0, 0), &v[0]), 0);
    assert_ptr_equal(htab_find(&t, hash_mix(0, 0), int_eq, &key), &v[0]);
    htab_free(&t);
    free(v);
}

/* Every item under one hash (0, which the table must not mistake for an
 * empty slot): lookups fall back on the equality test. */
static void test_colliding_and_zero_hashes(void **state)
{
    (void)state;
    int v[100];
    htab t = {0}; /* a zeroed table is a valid empty one */
    for (int i = 0; i < 100; i++) {
        v[i] = i;
        assert_int_equal(htab_insert(&t, 0, &v[i]), 0);
    }
    for (int i = 0; i < 100; i++)
        assert_ptr_equal(htab_find(&t, 0, int_eq, &i), &v[i]);
    int absent = 100;
    assert_null(htab_find(&t, 0, int_eq, &absent));
    assert_null(htab_find(&t, 2, int_eq, &v[5])); /* equal item, other hash: not found */
    htab_free(&t);
}

typedef struct words {
    const char *const *v;
    const char *want;
} words;

static int word_eq(const void *key, const void *item)
{
    const words *k = key;
    return strcmp(k->v[htab_item_index(item)], k->want) == 0;
}

/* Index items, index 0 included (a NULL pointer value): htab_find_slot
 * tells it apart from absence. */
static void test_index_items(void **state)
{
    (void)state;
    static const char *const v[] = {"zero", "one", "two", "three"};
    htab t;
    htab_init(&t, NULL);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(htab_insert(&t, hash_str(v[i]), htab_index_item(i)), 0);
    for (size_t i = 0; i < 4; i++) {
        words k = {v, v[i]};
        void **slot = htab_find_slot(&t, hash_str(v[i]), word_eq, &k);
        assert_non_null(slot);
        assert_int_equal(htab_item_index(*slot), i);
    }
    words k = {v, "four"};
    assert_null(htab_find_slot(&t, hash_str("four"), word_eq, &k));
    htab_free(&t);
}

static void test_iteration(void **state)
{
    (void)state;
    enum { N = 300 };
    int v[N], seen[N];
    memset(seen, 0, sizeof seen);
    htab t;
    htab_init(&t, NULL);
    size_t cursor = 0;
    assert_null(htab_next(&t, &cursor)); /* empty, never allocated */
    for (int i = 0; i < N; i++) {
        v[i] = i;
        assert_int_equal(htab_insert(&t, hash_mix(0, (uint64_t)i), &v[i]), 0);
    }
    size_t n = 0;
    cursor = 0;
    for (void **it; (it = htab_next(&t, &cursor));) {
        int *p = *it;
        assert_true(p >= v && p < v + N);
        seen[*p]++;
        n++;
        *it = p; /* writable in place */
    }
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    assert_null(htab_next(&t, &cursor)); /* stays at the end */
    htab_free(&t);
}

/* An allocator that counts, and fails once its budget is spent. */
typedef struct budget {
    int allocs_left, live;
} budget;

static void *budget_zalloc(size_t n, size_t sz, void *ctx)
{
    budget *b = ctx;
    if (b->allocs_left == 0)
        return NULL;
    b->allocs_left--;
    b->live++;
    return calloc(n, sz);
}

static void budget_release(void *p, void *ctx)
{
    budget *b = ctx;
    b->live--;
    free(p);
}

static void test_allocator_and_failure(void **state)
{
    (void)state;
    budget b = {2, 0};
    const htab_alloc a = {budget_zalloc, budget_release, &b};
    htab t;
    htab_init(&t, &a);
    int v[64];
    int i = 0;
    for (; i < 64; i++) {
        v[i] = i;
        if (htab_insert(&t, hash_mix(0, (uint64_t)i), &v[i]) != 0)
            break;
    }
    /* Two arrays: 16 slots (8 items), then 32 (16 items); the 17th fails. */
    assert_int_equal(i, 16);
    assert_int_equal(t.len, 16);
    assert_int_equal(t.cap, 32);
    assert_int_equal(b.live, 1);
    for (int j = 0; j < 16; j++)
        assert_ptr_equal(htab_find(&t, hash_mix(0, (uint64_t)j), int_eq, &j), &v[j]);
    assert_null(htab_find(&t, hash_mix(0, 16), int_eq, &v[16]));
    htab_free(&t);
    assert_int_equal(b.live, 0);
    assert_ptr_equal(t.alloc, &a); /* still the caller's allocator */
}

/* htab_reserve: one allocation makes room for n items (inserting them
 * allocates nothing more), keeps the items already in, is a no-op when
 * there is room, and leaves the table unchanged when it cannot allocate. */
static void test_reserve(void **state)
{
    (void)state;
    budget b = {2, 0};
    const htab_alloc a = {budget_zalloc, budget_release, &b};
    htab t;
    htab_init(&t, &a);
    int v[200];
    for (int i = 0; i < 200; i++)
        v[i] = i;
    assert_int_equal(htab_insert(&t, hash_mix(0, 0), &v[0]), 0); /* 16 slots */
    assert_int_equal(htab_reserve(&t, 100), 0);
    assert_int_equal(t.cap, 256);
    assert_int_equal(b.allocs_left, 0);
    assert_int_equal(b.live, 1);
    assert_ptr_equal(htab_find(&t, hash_mix(0, 0), int_eq, &v[0]), &v[0]);
    assert_int_equal(htab_reserve(&t, 128), 0); /* room already: nothing */
    for (int i = 1; i < 128; i++)
        assert_int_equal(htab_insert(&t, hash_mix(0, (uint64_t)i), &v[i]), 0);
    assert_int_equal(htab_insert(&t, hash_mix(0, 128), &v[128]), -1); /* budget spent */
    assert_int_equal(htab_reserve(&t, 199), -1);
    assert_int_equal(t.cap, 256);
    assert_int_equal(t.len, 128);
    for (int i = 0; i < 128; i++)
        assert_ptr_equal(htab_find(&t, hash_mix(0, (uint64_t)i), int_eq, &v[i]), &v[i]);
    htab_free(&t);
    assert_int_equal(b.live, 0);
    htab t2;
    htab_init(&t2, NULL); /* an empty table reserves its first array */
    assert_int_equal(htab_reserve(&t2, 9), 0);
    assert_int_equal(t2.cap, 32);
    assert_int_equal(t2.len, 0);
    htab_free(&t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a_vectors),
        cmocka_unit_test(test_insert_find_grow),
        cmocka_unit_test(test_colliding_and_zero_hashes),
        cmocka_unit_test(test_index_items),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_allocator_and_failure),
        cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
