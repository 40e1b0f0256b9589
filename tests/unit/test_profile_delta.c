/*
 * test_profile_delta.c — profile_delta(): p1 - p0 keyed by stack and string
 * labels, on small hand-made models (run under ASan too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pprof/profile.h"
#include "pprof/profile_delta.h"

static profile *model(int64_t time_nanos)
{
    profile *p = profile_new();
    assert_non_null(p);
    profile_add_sample_type(p, "alloc_space", "bytes");
    profile_add_sample_type(p, "inuse_space", "bytes");
    p->period_type = (profile_value_type){"space", "bytes"};
    p->period = 512 * 1024;
    p->time_nanos = time_nanos;
    return p;
}

static void add(profile *p, uint64_t leaf, uint64_t caller, int64_t alloc, int64_t inuse,
                const char *state, int64_t bytes)
{
    uint64_t pcs[2] = {leaf, caller};
    int64_t v[2] = {alloc, inuse};
    profile_label l[2] = {{.key = "bytes", .num = bytes}, {.key = "state", .str = state}};
    assert_int_equal(profile_add_sample(p, pcs, 2, v, l, state ? 2 : 1), 0);
}

/* The sample of d with this stack and state label, or NULL. */
static const profile_sample *find(const profile *d, uint64_t leaf, uint64_t caller,
                                  const char *state)
{
    for (size_t i = 0; i < d->n_samples; i++) {
        const profile_sample *s = &d->samples[i];
        const char *st = NULL;
        for (size_t k = 0; k < s->n_labels; k++)
            if (s->labels[k].str)
                st = s->labels[k].str;
        if (s->n_pcs == 2 && s->pcs[0] == leaf && s->pcs[1] == caller &&
            (st == state || (st && state && strcmp(st, state) == 0)))
            return s;
    }
    return NULL;
}

static int64_t num_label(const profile_sample *s, const char *key)
{
    for (size_t k = 0; k < s->n_labels; k++)
        if (!s->labels[k].str && strcmp(s->labels[k].key, key) == 0)
            return s->labels[k].num;
    fail_msg("no numeric label %s", key);
    return 0;
}

static void test_matching_and_one_sided(void **state)
{
    (void)state;
    profile *p0 = model(1000), *p1 = model(3000);
    add(p0, 0x10, 0x20, 100, 50, NULL, 64);  /* grows */
    add(p1, 0x10, 0x20, 400, 80, NULL, 72);  /* same site, average size drifted */
    add(p0, 0x30, 0x20, 10, 10, NULL, 16);   /* only before: negative */
    add(p1, 0x40, 0x20, 7, 7, NULL, 8);      /* only after: as is */
    add(p0, 0x50, 0x20, 900, 900, NULL, 32); /* static: dropped */
    add(p1, 0x50, 0x20, 900, 900, NULL, 32);
    add(p0, 0x60, 0x20, 5, 5, NULL, 8); /* same stack, other order of args */
    add(p1, 0x20, 0x60, 5, 5, NULL, 8);
    profile *d = profile_delta(p0, p1);
    assert_non_null(d);
    assert_int_equal(d->n_sample_types, 2);
    assert_string_equal(d->sample_types[1].type, "inuse_space");
    assert_int_equal(d->period, 512 * 1024);
    assert_int_equal(d->time_nanos, 3000);
    assert_int_equal(d->duration_nanos, 2000);
    assert_int_equal(d->n_samples, 5);

    const profile_sample *s = find(d, 0x10, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], 300);
    assert_int_equal(s->values[1], 30);
    assert_int_equal(num_label(s, "bytes"), 72); /* p1's attribute */

    s = find(d, 0x30, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], -10);
    assert_int_equal(s->values[1], -10);
    assert_int_equal(num_label(s, "bytes"), 16);

    s = find(d, 0x40, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], 7);

    assert_null(find(d, 0x50, 0x20, NULL));
    s = find(d, 0x60, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], -5);
    s = find(d, 0x20, 0x60, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], 5);
    profile_free(d);
    profile_free(p0);
    profile_free(p1);
}

/* The push agent's memory profile: alloc_space over the interval, inuse_space
 * (bit 1 of keep) as it is at its end; a site whose blocks are all still in
 * use but allocated nothing new keeps its in-use sample (alloc 0). */
static void test_keep_values_as_they_are(void **state)
{
    (void)state;
    profile *p0 = model(1000), *p1 = model(3000);
    add(p0, 0x10, 0x20, 100, 50, NULL, 64);
    add(p1, 0x10, 0x20, 400, 80, NULL, 64);  /* alloc 300 in the interval, 80 in use */
    add(p0, 0x50, 0x20, 900, 900, NULL, 32); /* a leak that stopped growing */
    add(p1, 0x50, 0x20, 900, 900, NULL, 32);
    add(p0, 0x30, 0x20, 10, 10, NULL, 16); /* gone (a reset table): in use 0 */
    profile *d = profile_delta_keep(p0, p1, 1u << 1);
    assert_non_null(d);
    const profile_sample *s = find(d, 0x10, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], 300);
    assert_int_equal(s->values[1], 80);
    s = find(d, 0x50, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], 0);
    assert_int_equal(s->values[1], 900);
    s = find(d, 0x30, 0x20, NULL);
    assert_non_null(s);
    assert_int_equal(s->values[0], -10);
    assert_int_equal(s->values[1], 0);
    profile_free(d);
    profile_free(p0);
    profile_free(p1);
}

/* String labels are identity: a thread that went from sleeping to running
 * is one fewer sleeper and one more runner; labels survive the delta. */
static void test_string_labels_kept(void **state)
{
    (void)state;
    profile *p0 = model(0), *p1 = model(10);
    add(p0, 0x10, 0x20, 3, 3, "sleeping", 0);
    add(p1, 0x10, 0x20, 2, 2, "sleeping", 0);
    add(p1, 0x10, 0x20, 1, 1, "running", 0);
    add(p0, 0x70, 0x20, 4, 4, "sleeping", 0); /* four threads exited */
    profile *d = profile_delta(p0, p1);
    assert_non_null(d);
    assert_int_equal(d->n_samples, 3);
    const profile_sample *s = find(d, 0x10, 0x20, "sleeping");
    assert_non_null(s);
    assert_int_equal(s->values[0], -1);
    s = find(d, 0x10, 0x20, "running");
    assert_non_null(s);
    assert_int_equal(s->values[0], 1);
    s = find(d, 0x70, 0x20, "sleeping");
    assert_non_null(s);
    assert_int_equal(s->values[0], -4);
    assert_int_equal(s->n_labels, 2);
    profile_free(d);
    profile_free(p0);
    profile_free(p1);
}

/* Equal profiles and empty ones give an empty delta; a zero sample is
 * dropped only when every value is zero. */
static void test_zero_samples_dropped(void **state)
{
    (void)state;
    profile *p0 = model(0), *p1 = model(0);
    profile *d = profile_delta(p0, p1);
    assert_non_null(d);
    assert_int_equal(d->n_samples, 0);
    profile_free(d);
    add(p0, 0x10, 0x20, 100, 50, NULL, 64);
    add(p1, 0x10, 0x20, 100, 50, NULL, 64);
    add(p0, 0x11, 0x20, 100, 50, NULL, 64);
    add(p1, 0x11, 0x20, 100, 0, NULL, 64); /* freed during the window */
    d = profile_delta(p0, p1);
    assert_non_null(d);
    assert_int_equal(d->n_samples, 1);
    assert_int_equal(d->samples[0].values[0], 0);
    assert_int_equal(d->samples[0].values[1], -50);
    profile_free(d);
    profile_free(p0);
    profile_free(p1);
}

static void test_mismatched_types(void **state)
{
    (void)state;
    profile *p0 = model(0), *p1 = profile_new();
    profile_add_sample_type(p1, "threads", "count");
    assert_null(profile_delta(p0, p1));
    profile_free(p0);
    profile_free(p1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matching_and_one_sided),  cmocka_unit_test(test_string_labels_kept),
        cmocka_unit_test(test_keep_values_as_they_are), cmocka_unit_test(test_zero_samples_dropped),
        cmocka_unit_test(test_mismatched_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
