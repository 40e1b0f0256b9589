/*
 * test_cprof_model.c — pieces of the cprof tool that the integration tests
 * only reach indirectly: pprof's number formatting (units, rounding,
 * percentages), the tabwriter layout of the tags report, the decoder,
 * encoder and merge on small hand-made profiles, and the call tree's
 * construction and trimming (run under ASan too).
 *
 * The tool's objects are not in core.a, so the sources are compiled in
 * here; each is self-contained apart from the wire codec and buf (core.a).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gzip.h"
#include "proto_wire.h"
#include "profile/model.h"
#include "arena.h"

#include "profile/measure.h"

#include "report/graph.h"
#include "report/tabwriter.h"

static void check_label(int64_t v, const char *from, const char *to, const char *want)
{
    char out[64];
    assert_string_equal(measure_scaled_label(out, v, from, to), want);
}

static void test_scaled_labels(void **state)
{
    (void)state;
    check_label(0, "nanoseconds", "minimum", "0");
    check_label(10000000, "nanoseconds", "minimum", "10ms");
    check_label(1500000, "nanoseconds", "ms", "1.50ms");
    check_label(21290000000, "nanoseconds", "s", "21.29s");
    check_label(1536, "bytes", "minimum", "1.50kB");
    check_label(-1536, "bytes", "minimum", "-1.50kB");
    check_label(524288, "bytes", "MB", "0.50MB");
    check_label(12345, "count", "count", "12345");
    check_label(3, "count", "minimum", "3");
    check_label(-1, "nanoseconds", "s", "0"); /* "-0.00" -> "-0" -> "0" */
    char out[64];
    measure_scaled_label(out, INT64_MIN, "bytes", "minimum"); /* no overflow trap */
}

static void test_percentages(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(measure_percentage(out, 1, 3), "33.33%");
    assert_string_equal(measure_percentage(out, 1000, 1000), "  100%");
    assert_string_equal(measure_percentage(out, 9996, 10000), "  100%");
    assert_string_equal(measure_percentage(out, 1, 1000), "  0.1%");
    assert_string_equal(measure_percentage(out, 1, 100000), "0.001%");
    assert_string_equal(measure_percentage(out, 0, 0), "    0%");
    assert_string_equal(measure_percentage(out, -5, 10), "50.00%");
}

static void test_units(void **state)
{
    (void)state;
    const char *u;
    assert_true(measure_scale(1, "kilobytes", "bytes", &u) == 1024);
    assert_string_equal(u, "B");
    assert_true(measure_same_family("bytes", "MB"));
    assert_false(measure_same_family("bytes", "ms"));
    assert_true(measure_scale(7, "count", "minimum", &u) == 7);
    assert_string_equal(u, "");
}

static void test_tabwriter_right_aligns_blocks(void **state)
{
    (void)state;
    tabwriter w;
    tabwriter_init(&w, 1, true);
    tabwriter_printf(&w, "bytes:\t Total 10.0kB\n");
    tabwriter_printf(&w, " \t8.0kB (80.00%%):\t 4kB\n");
    tabwriter_printf(&w, " \t2.0kB (20.00%%):\t 64B\n");
    tabwriter_printf(&w, "\n");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    tabwriter_flush(&w, f);
    fclose(f);
    /* Column 0 is as wide as "bytes:" plus padding, for all three lines;
     * column 1 only spans the two value lines. */
    assert_string_equal(text, " bytes: Total 10.0kB\n"
                              "        8.0kB (80.00%): 4kB\n"
                              "        2.0kB (20.00%): 64B\n"
                              "\n");
    free(text);
    buf_free(&w.text);
}

/* ---- a hand-made profile ------------------------------------------------ */

static void put_vt(buf *b, int64_t type, int64_t unit)
{
    size_t m = proto_begin_message(b, 1);
    proto_put_int64(b, 1, type);
    proto_put_int64(b, 2, unit);
    proto_end_message(b, m);
}

static void put_tables(buf *b);

/* A sample's value (packed) and, when labelled, its label k=v. */
static void put_values_label(buf *b, int64_t value, bool labelled)
{
    proto_put_packed_int64(b, 2, &value, 1);
    if (labelled) {
        size_t l = proto_begin_message(b, 3);
        proto_put_int64(b, 1, 5);
        proto_put_int64(b, 2, 6);
        proto_end_message(b, l);
    }
}

/* Samples on the same stack (main -> leaf, leaf inlined into a location
 * with two lines) with these values, labelled k=v where labelled[i];
 * strings: "", samples, count, main, leaf, k, v. */
static void make_repeats(buf *b, const int64_t *values, const bool *labelled, size_t n)
{
    put_vt(b, 1, 2);
    for (size_t i = 0; i < n; i++) {
        size_t m = proto_begin_message(b, 2);
        uint64_t locs[] = {1, 2};
        proto_put_packed_uint64(b, 1, locs, 2);
        put_values_label(b, values[i], labelled[i]);
        proto_end_message(b, m);
    }
    put_tables(b);
}

/* make_repeats's locations (1: main, 2: leaf), functions and strings. */
static void put_tables(buf *b)
{
    for (uint64_t id = 1; id <= 2; id++) {
        size_t m = proto_begin_message(b, 4);
        proto_put_uint64(b, 1, id);
        proto_put_uint64(b, 3, 0x1000 * id);
        size_t ln = proto_begin_message(b, 4);
        proto_put_uint64(b, 1, id);
        proto_put_int64(b, 2, 10 * (int64_t)id);
        proto_end_message(b, ln);
        proto_end_message(b, m);
    }
    for (uint64_t id = 1; id <= 2; id++) {
        size_t m = proto_begin_message(b, 5);
        proto_put_uint64(b, 1, id);
        proto_put_int64(b, 2, id == 1 ? 4 : 3);
        proto_end_message(b, m);
    }
    const char *strs[] = {"", "samples", "count", "main", "leaf", "k", "v"};
    for (size_t i = 0; i < 7; i++)
        proto_put_string(b, 6, strs[i]);
}

/* Two samples on that stack: 5, and value2 with the label. */
static void make_profile(buf *b, int64_t value2)
{
    const int64_t values[] = {5, value2};
    const bool labelled[] = {false, true};
    make_repeats(b, values, labelled, 2);
}

static cp_profile *parse_buf(const buf *b)
{
    cp_err err = {""};
    cp_profile *p = profile_parse(b->data, b->len, &err);
    if (!p)
        fail_msg("parse: %s", err.msg);
    return p;
}

static void test_decode_resolves_everything(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    make_profile(&b, 7);
    cp_profile *p = parse_buf(&b);
    assert_int_equal(p->n_samples, 2);
    assert_string_equal(p->sample_types[0].type, "samples");
    assert_string_equal(p->samples[0].locs[0]->lines[0].function->name, "leaf");
    assert_string_equal(p->samples[0].locs[1]->lines[0].function->name, "main");
    assert_int_equal(p->samples[1].n_labels, 1);
    assert_string_equal(p->samples[1].labels[0].str, "v");
    assert_int_equal(p->samples[1].values[0], 7);
    cp_profile_free(p);
    buf_free(&b);
}

static void test_encode_roundtrip_and_merge(void **state)
{
    (void)state;
    buf b, out;
    buf_init(&b);
    buf_init(&out);
    make_profile(&b, 7);
    cp_profile *p = parse_buf(&b);
    cp_err err;
    assert_int_equal(profile_encode(p, 1, &out, &err), 0);
    assert_true(gzip_is_gzip(out.data, out.len));
    cp_profile *q = parse_buf(&out);
    /* The label keeps the two samples apart; without it they merge. */
    cp_profile *m = profile_merge(&q, 1, &err);
    assert_int_equal(m->n_samples, 2);
    cp_profile_free(m);
    profile_remove_label(q, "k");
    m = profile_merge(&q, 1, &err);
    assert_int_equal(m->n_samples, 1);
    assert_int_equal(m->samples[0].values[0], 12);
    assert_int_equal(m->n_locations, 2);
    cp_profile_free(m);
    /* A negated copy cancels out; zero samples disappear. */
    cp_profile *neg = parse_buf(&out);
    profile_remove_label(neg, "k");
    profile_scale_all(neg, -1);
    cp_profile *both[2] = {q, neg};
    m = profile_merge(both, 2, &err);
    assert_int_equal(m->n_samples, 0);
    cp_profile_free(m);
    cp_profile_free(neg);
    cp_profile_free(q);
    cp_profile_free(p);
    buf_free(&b);
    buf_free(&out);
}

/* profile_parse_compact folds repeated stacks as it reads, and merging
 * its result gives what merging profile_parse's gives: same samples in
 * the same order with the same values, negative and zero samples too
 * (a group whose values cancel out is gone either way). */
static void test_compact_parse_merges_alike(void **state)
{
    (void)state;
    const int64_t values[] = {2, 7, 3, -5, 0, 4, 0};
    const bool labelled[] = {false, true, false, false, false, true, true};
    buf b;
    buf_init(&b);
    make_repeats(&b, values, labelled, 7);
    cp_err err = {""};
    cp_profile *plain = profile_parse(b.data, b.len, &err);
    cp_profile *compact = profile_parse_compact(b.data, b.len, &err);
    assert_non_null(plain);
    assert_non_null(compact);
    assert_int_equal(plain->n_samples, 7);
    /* 2+3 folded, -5 and the zeros kept apart, 7+4 folded. */
    assert_int_equal(compact->n_samples, 5);
    assert_int_equal(compact->samples[0].values[0], 5);
    assert_int_equal(compact->samples[1].values[0], 11);
    cp_profile *a = profile_merge(&plain, 1, &err), *c = profile_merge(&compact, 1, &err);
    assert_int_equal(a->n_samples, c->n_samples);
    /* The unlabelled group sums to 0: Merge removes it (it re-merges). */
    assert_int_equal(a->n_samples, 1);
    for (size_t i = 0; i < a->n_samples; i++) {
        assert_int_equal(a->samples[i].values[0], c->samples[i].values[0]);
        assert_int_equal(a->samples[i].n_labels, c->samples[i].n_labels);
    }
    assert_int_equal(a->samples[0].values[0], 11);
    cp_profile_free(a);
    cp_profile_free(c);
    cp_profile_free(plain);
    cp_profile_free(compact);
    buf_free(&b);
}

/* ---- the call tree (-call_tree) --------------------------------------- */

/* main -> a -> c (10) and main -> b -> c (20): functions and locations
 * 1..4 are main, a, b, c; strings: "", samples, count, main, a, b, c. */
static cp_profile *diamond(void)
{
    buf b;
    buf_init(&b);
    put_vt(&b, 1, 2);
    const uint64_t stacks[2][3] = {{4, 2, 1}, {4, 3, 1}};
    const int64_t values[2] = {10, 20};
    for (size_t i = 0; i < 2; i++) {
        size_t m = proto_begin_message(&b, 2);
        proto_put_packed_uint64(&b, 1, stacks[i], 3);
        proto_put_packed_int64(&b, 2, &values[i], 1);
        proto_end_message(&b, m);
    }
    for (uint64_t id = 1; id <= 4; id++) {
        size_t m = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        size_t ln = proto_begin_message(&b, 4);
        proto_put_uint64(&b, 1, id);
        proto_end_message(&b, ln);
        proto_end_message(&b, m);
        m = proto_begin_message(&b, 5);
        proto_put_uint64(&b, 1, id);
        proto_put_int64(&b, 2, (int64_t)id + 2);
        proto_end_message(&b, m);
    }
    const char *strs[] = {"", "samples", "count", "main", "a", "b", "c"};
    for (size_t i = 0; i < 7; i++)
        proto_put_string(&b, 6, strs[i]);
    cp_profile *p = parse_buf(&b);
    buf_free(&b);
    return p;
}

/* The nodes named name, in g's order, into out; how many. */
static size_t named(const graph *g, const char *name, gnode **out)
{
    size_t k = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i]->info.name, name))
            out[k++] = g->nodes[i];
    return k;
}

/* n's one live incoming edge (asserted). */
static gedge *only_in(const gnode *n)
{
    gedge *in = NULL;
    for (size_t i = 0; i < n->n_in; i++)
        if (!n->in[i]->removed) {
            assert_null(in);
            in = n->in[i];
        }
    assert_non_null(in);
    return in;
}

static void test_call_tree_splits_and_trims(void **state)
{
    (void)state;
    cp_profile *p = diamond();
    graph *g = graph_new(p, &(graph_opts){.value_index = 0});
    gnode *c[4], *m[2];
    assert_int_equal(g->n_nodes, 4); /* the graph: one c, cum 30 */
    assert_int_equal(named(g, "c", c), 1);
    assert_int_equal(c[0]->cum, 30);
    graph_free(g);

    g = graph_new(p, &(graph_opts){.value_index = 0, .call_tree = true});
    assert_int_equal(g->n_nodes, 5); /* the tree: c under a, c under b */
    assert_int_equal(named(g, "c", c), 2);
    gnode *under_a = !strcmp(only_in(c[0])->src->info.name, "a") ? c[0] : c[1];
    gnode *under_b = under_a == c[0] ? c[1] : c[0];
    assert_int_equal(under_a->cum, 10);
    assert_int_equal(under_a->flat, 10);
    assert_int_equal(under_b->cum, 20);
    assert_int_equal(only_in(under_b)->weight, 20);
    assert_int_equal(named(g, "main", m), 1);
    assert_int_equal(m[0]->cum, 30);

    /* Dropping a: its callee hangs from main by a residual edge. */
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i]->keep = strcmp(g->nodes[i]->info.name, "a") != 0;
    graph_trim_tree(g);
    assert_int_equal(g->n_nodes, 4);
    gedge *e = only_in(under_a);
    assert_ptr_equal(e->src, m[0]);
    assert_true(e->residual);
    assert_int_equal(e->weight, 10);
    assert_false(only_in(under_b)->residual);

    /* Dropping the root: its callees become roots. */
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i]->keep = g->nodes[i] != m[0];
    graph_trim_tree(g);
    assert_int_equal(g->n_nodes, 3);
    for (size_t i = 0; i < under_a->n_in; i++)
        assert_true(under_a->in[i]->removed);
    graph_free(g);
    cp_profile_free(p);
}

static void test_decode_rejects_truncation_everywhere(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    make_profile(&b, 7);
    /* Every strict prefix either fails cleanly or (at a field boundary
     * that still forms a valid profile) parses; none may crash. */
    size_t failures = 0;
    for (size_t n = 0; n < b.len; n++) {
        cp_err err = {""};
        cp_profile *p = profile_parse(b.data, n, &err);
        if (p)
            cp_profile_free(p);
        else
            failures += err.msg[0] != 0;
    }
    assert_true(failures > b.len / 2);
    buf_free(&b);
}

/* n samples over five stacks of locations 1 and 2 (packed, or unpacked
 * for every 7th sample: the slow path), values from a fixed pseudo-random
 * sequence with zeros and negatives, every 5th labelled k=v; sample bad
 * (1-based, 0: none) refers to location 9, which does not exist. Strings
 * and locations as make_repeats's. */
static void make_mixed(buf *b, size_t n, size_t bad)
{
    static const uint64_t stacks[5][3] = {{1, 2}, {2, 1}, {1}, {2}, {1, 2, 1}};
    static const size_t depth[5] = {2, 2, 1, 1, 3};
    put_vt(b, 1, 2);
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t k = (size_t)(x >> 33) % 5;
        int64_t v = (int64_t)((x >> 40) % 9) - 2; /* -2 .. 6 */
        size_t m = proto_begin_message(b, 2);
        if (i + 1 == bad) {
            uint64_t nine = 9;
            proto_put_packed_uint64(b, 1, &nine, 1);
        } else if (i % 7 == 3) {
            for (size_t j = 0; j < depth[k]; j++)
                proto_put_uint64(b, 1, stacks[k][j]);
        } else
            proto_put_packed_uint64(b, 1, stacks[k], depth[k]);
        put_values_label(b, v, i % 5 == 4);
        proto_end_message(b, m);
    }
    put_tables(b);
}

/* Across many batches of compact decoding (fast and slow paths mixed,
 * zeros, negatives, labels), compact parse + merge = parse + merge; and a
 * bad sample in the middle of a batch gives the same error either way. */
static void test_compact_parse_many_batches(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    make_mixed(&b, 1000, 0);
    cp_err err = {""};
    cp_profile *plain = profile_parse(b.data, b.len, &err);
    assert_non_null(plain);
    cp_profile *compact = profile_parse_compact(b.data, b.len, &err);
    assert_non_null(compact);
    assert_int_equal(plain->n_samples, 1000);
    assert_true(compact->n_samples < 500); /* zeros and negatives stay apart */
    cp_profile *a = profile_merge(&plain, 1, &err), *c = profile_merge(&compact, 1, &err);
    assert_int_equal(a->n_samples, c->n_samples);
    assert_true(a->n_samples >= 5);
    for (size_t i = 0; i < a->n_samples; i++) {
        assert_int_equal(a->samples[i].values[0], c->samples[i].values[0]);
        assert_int_equal(a->samples[i].n_labels, c->samples[i].n_labels);
        assert_int_equal(a->samples[i].n_locs, c->samples[i].n_locs);
        for (size_t j = 0; j < a->samples[i].n_locs; j++)
            assert_int_equal(a->samples[i].locs[j]->id, c->samples[i].locs[j]->id);
    }
    cp_profile_free(a);
    cp_profile_free(c);
    cp_profile_free(plain);
    cp_profile_free(compact);
    buf_free(&b);

    buf_init(&b);
    make_mixed(&b, 100, 40);
    cp_err e1 = {""}, e2 = {""};
    assert_null(profile_parse(b.data, b.len, &e1));
    assert_null(profile_parse_compact(b.data, b.len, &e2));
    assert_string_equal(e1.msg, e2.msg);
    assert_non_null(strstr(e1.msg, "sample 40 refers to unknown location 9"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaled_labels),
        cmocka_unit_test(test_percentages),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_tabwriter_right_aligns_blocks),
        cmocka_unit_test(test_decode_resolves_everything),
        cmocka_unit_test(test_encode_roundtrip_and_merge),
        cmocka_unit_test(test_decode_rejects_truncation_everywhere),
        cmocka_unit_test(test_compact_parse_merges_alike),
        cmocka_unit_test(test_compact_parse_many_batches),
        cmocka_unit_test(test_call_tree_splits_and_trims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
