/*
 * test_pprof_encode.c — profile model -> profile.proto, decoded back with
 * proto_reader and checked field by field; gzip output inflated back to the
 * same bytes; and the real client, `go tool pprof -raw`, must read the file
 * without a single warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "common/buf.h"
#include "pprof/pprof_encode.h"
#include "pprof/profile.h"
#include "common/proto_wire.h"
#include "pprof/symbolize.h"
#include "pprof/text_format.h"

/* ---- probes: real return addresses inside known functions -------------- */

#define PROBE __attribute__((noinline, noclone, used))

static volatile int sink;
static volatile uintptr_t captured_return;

PROBE static void capture_return_address(void)
{
    captured_return = (uintptr_t)__builtin_return_address(0);
    __asm__ volatile("" ::: "memory");
}

PROBE static uint64_t site_alpha(void)
{
    capture_return_address();
    sink++;
    return captured_return;
}

PROBE static uint64_t site_beta(void)
{
    capture_return_address();
    sink++;
    return captured_return;
}

PROBE static uint64_t site_gamma(void)
{
    capture_return_address();
    sink++;
    return captured_return;
}

static inline __attribute__((always_inline)) void inlined_site(void)
{
    capture_return_address();
    sink++;
}

PROBE static uint64_t site_with_inline(void)
{
    sink++;
    inlined_site();
    sink++;
    return captured_return;
}

/* ---- a minimal profile.proto decoder for the checks -------------------- */

#define MAX_ITEMS 64
#define MAX_LINES 8

typedef struct dec_line {
    uint64_t function_id;
    int64_t line;
} dec_line;

typedef struct dec_location {
    uint64_t id, mapping_id, address;
    dec_line lines[MAX_LINES];
    size_t n_lines;
} dec_location;

typedef struct dec_function {
    uint64_t id;
    int64_t name, system_name, filename;
} dec_function;

typedef struct dec_mapping {
    uint64_t id, start, limit, offset;
    int64_t filename, build_id;
    int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} dec_mapping;

typedef struct dec_label {
    int64_t key, str, num, num_unit;
} dec_label;

typedef struct dec_sample {
    uint64_t location_ids[MAX_ITEMS];
    size_t n_locations;
    int64_t values[8];
    size_t n_values;
    dec_label labels[4];
    size_t n_labels;
} dec_sample;

typedef struct decoded {
    char *strings[256];
    size_t n_strings;
    int64_t sample_type[4][2];
    size_t n_sample_types;
    dec_sample samples[MAX_ITEMS];
    size_t n_samples;
    dec_mapping mappings[MAX_ITEMS * 4];
    size_t n_mappings;
    dec_location locations[MAX_ITEMS];
    size_t n_locations;
    dec_function functions[MAX_ITEMS];
    size_t n_functions;
    int64_t comments[4];
    size_t n_comments;
    int64_t period_type[2], period, time_nanos, duration_nanos, default_sample_type;
} decoded;

/* Repeated scalars may come packed or one per tag; accept both. */
static void read_repeated(proto_reader *r, enum proto_wire_type type, uint64_t *out, size_t *n,
                          size_t max)
{
    if (type == PROTO_BYTES) {
        proto_reader p = proto_get_bytes(r);
        while (proto_reader_more(&p)) {
            uint64_t v = proto_get_varint(&p);
            assert_true(*n < max);
            out[(*n)++] = v;
        }
        assert_null(p.err);
    } else {
        assert_true(*n < max);
        out[(*n)++] = proto_get_varint(r);
    }
}

static void decode_value_type(proto_reader r, int64_t out[2])
{
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        if (f == 1 || f == 2)
            out[f - 1] = (int64_t)proto_get_varint(&r);
        else
            proto_skip(&r, t);
    }
    assert_null(r.err);
}

static void decode_label(proto_reader r, dec_label *l)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(l, 0, sizeof *l);
    while (proto_get_tag(&r, &f, &t)) {
        int64_t v = f <= 4 ? (int64_t)proto_get_varint(&r) : 0;
        if (f == 1)
            l->key = v;
        else if (f == 2)
            l->str = v;
        else if (f == 3)
            l->num = v;
        else if (f == 4)
            l->num_unit = v;
        else
            proto_skip(&r, t);
    }
    assert_null(r.err);
}

static void decode_sample(proto_reader r, dec_sample *s)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(s, 0, sizeof *s);
    while (proto_get_tag(&r, &f, &t)) {
        if (f == 1) {
            read_repeated(&r, t, s->location_ids, &s->n_locations, MAX_ITEMS);
        } else if (f == 2) {
            read_repeated(&r, t, (uint64_t *)s->values, &s->n_values, 8);
        } else if (f == 3) {
            assert_true(s->n_labels < 4);
            decode_label(proto_get_bytes(&r), &s->labels[s->n_labels++]);
        } else {
            proto_skip(&r, t);
        }
    }
    assert_null(r.err);
}

static void decode_mapping(proto_reader r, dec_mapping *m)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(m, 0, sizeof *m);
    while (proto_get_tag(&r, &f, &t)) {
        if (t != PROTO_VARINT) {
            proto_skip(&r, t);
            continue;
        }
        uint64_t v = proto_get_varint(&r);
        switch (f) {
        case 1:
            m->id = v;
            break;
        case 2:
            m->start = v;
            break;
        case 3:
            m->limit = v;
            break;
        case 4:
            m->offset = v;
            break;
        case 5:
            m->filename = (int64_t)v;
            break;
        case 6:
            m->build_id = (int64_t)v;
            break;
        case 7:
            m->has_functions = (int)v;
            break;
        case 8:
            m->has_filenames = (int)v;
            break;
        case 9:
            m->has_line_numbers = (int)v;
            break;
        case 10:
            m->has_inline_frames = (int)v;
            break;
        default:
            break;
        }
    }
    assert_null(r.err);
}

static void decode_line(proto_reader r, dec_line *l)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(l, 0, sizeof *l);
    while (proto_get_tag(&r, &f, &t)) {
        if (f == 1)
            l->function_id = proto_get_varint(&r);
        else if (f == 2)
            l->line = (int64_t)proto_get_varint(&r);
        else
            proto_skip(&r, t);
    }
    assert_null(r.err);
}

static void decode_location(proto_reader r, dec_location *l)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(l, 0, sizeof *l);
    while (proto_get_tag(&r, &f, &t)) {
        if (f == 1) {
            l->id = proto_get_varint(&r);
        } else if (f == 2) {
            l->mapping_id = proto_get_varint(&r);
        } else if (f == 3) {
            l->address = proto_get_varint(&r);
        } else if (f == 4) {
            assert_true(l->n_lines < MAX_LINES);
            decode_line(proto_get_bytes(&r), &l->lines[l->n_lines++]);
        } else {
            proto_skip(&r, t);
        }
    }
    assert_null(r.err);
}

static void decode_function(proto_reader r, dec_function *fn)
{
    uint32_t f;
    enum proto_wire_type t;
    memset(fn, 0, sizeof *fn);
    while (proto_get_tag(&r, &f, &t)) {
        if (t != PROTO_VARINT) {
            proto_skip(&r, t);
            continue;
        }
        uint64_t v = proto_get_varint(&r);
        if (f == 1)
            fn->id = v;
        else if (f == 2)
            fn->name = (int64_t)v;
        else if (f == 3)
            fn->system_name = (int64_t)v;
        else if (f == 4)
            fn->filename = (int64_t)v;
    }
    assert_null(r.err);
}

static void decode_string(proto_reader *r, decoded *d)
{
    proto_reader s = proto_get_bytes(r);
    assert_null(s.err);
    assert_true(d->n_strings < 256);
    size_t len = (size_t)(s.end - s.p);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, s.p, len);
    copy[len] = 0;
    d->strings[d->n_strings++] = copy;
}

static void decode_profile(const uint8_t *data, size_t len, decoded *d)
{
    memset(d, 0, sizeof *d);
    proto_reader r;
    proto_reader_init(&r, data, len);
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        switch (f) {
        case 1:
            assert_true(d->n_sample_types < 4);
            decode_value_type(proto_get_bytes(&r), d->sample_type[d->n_sample_types++]);
            break;
        case 2:
            assert_true(d->n_samples < MAX_ITEMS);
            decode_sample(proto_get_bytes(&r), &d->samples[d->n_samples++]);
            break;
        case 3:
            assert_true(d->n_mappings < MAX_ITEMS * 4);
            decode_mapping(proto_get_bytes(&r), &d->mappings[d->n_mappings++]);
            break;
        case 4:
            assert_true(d->n_locations < MAX_ITEMS);
            decode_location(proto_get_bytes(&r), &d->locations[d->n_locations++]);
            break;
        case 5:
            assert_true(d->n_functions < MAX_ITEMS);
            decode_function(proto_get_bytes(&r), &d->functions[d->n_functions++]);
            break;
        case 6:
            decode_string(&r, d);
            break;
        case 9:
            d->time_nanos = (int64_t)proto_get_varint(&r);
            break;
        case 10:
            d->duration_nanos = (int64_t)proto_get_varint(&r);
            break;
        case 11:
            decode_value_type(proto_get_bytes(&r), d->period_type);
            break;
        case 12:
            d->period = (int64_t)proto_get_varint(&r);
            break;
        case 13:
            read_repeated(&r, t, (uint64_t *)d->comments, &d->n_comments, 4);
            break;
        case 14:
            d->default_sample_type = (int64_t)proto_get_varint(&r);
            break;
        default:
            proto_skip(&r, t);
            break;
        }
    }
    assert_null(r.err);
}

static void decoded_free(decoded *d)
{
    for (size_t i = 0; i < d->n_strings; i++)
        free(d->strings[i]);
}

static const char *S(const decoded *d, int64_t i)
{
    assert_in_range(i, 0, d->n_strings - 1);
    return d->strings[i];
}

static const dec_location *location_by_id(const decoded *d, uint64_t id)
{
    for (size_t i = 0; i < d->n_locations; i++)
        if (d->locations[i].id == id)
            return &d->locations[i];
    fail_msg("no location %llu", (unsigned long long)id);
    return NULL;
}

static const dec_function *function_by_id(const decoded *d, uint64_t id)
{
    for (size_t i = 0; i < d->n_functions; i++)
        if (d->functions[i].id == id)
            return &d->functions[i];
    fail_msg("no function %llu", (unsigned long long)id);
    return NULL;
}

/* Name of the real (last-line) function at a location. */
static const char *location_function(const decoded *d, const dec_location *l)
{
    assert_true(l->n_lines >= 1);
    return S(d, function_by_id(d, l->lines[l->n_lines - 1].function_id)->name);
}

/* ---- the profile under test -------------------------------------------- */

typedef struct fixture {
    uint64_t alpha, beta, gamma, inl;
    profile *p;
} fixture;

static fixture fx;

static int setup(void **state)
{
    (void)state;
    fx.alpha = site_alpha();
    fx.beta = site_beta();
    fx.gamma = site_gamma();
    fx.inl = site_with_inline();
    profile *p = profile_new();
    assert_non_null(p);
    profile_add_sample_type(p, "alloc_objects", "count");
    profile_add_sample_type(p, "alloc_space", "bytes");
    p->period_type.type = "space";
    p->period_type.unit = "bytes";
    p->period = 524288;
    p->duration_nanos = 1500000000;
    p->default_sample_type = "alloc_space";
    const uint64_t s1[] = {fx.alpha, fx.beta, fx.gamma};
    const uint64_t s2[] = {fx.beta, fx.gamma};
    const uint64_t s3[] = {fx.inl, fx.alpha};
    const int64_t v1[] = {3, 3072}, v2[] = {1, 64}, v3[] = {7, 70000};
    const profile_label labels[] = {
        {.key = "kind", .str = "test"},
        {.key = "bytes", .num = 1024, .num_unit = "bytes"},
    };
    assert_int_equal(profile_add_sample(p, s1, 3, v1, labels, 2), 0);
    assert_int_equal(profile_add_sample(p, s2, 2, v2, NULL, 0), 0);
    assert_int_equal(profile_add_sample(p, s3, 2, v3, labels, 1), 0);
    assert_int_equal(profile_add_comment(p, "cprof unit test"), 0);
    fx.p = p;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    profile_free(fx.p);
    return 0;
}

static void encode(const profile *p, int gzip, buf *out)
{
    buf_init(out);
    assert_int_equal(pprof_encode(p, gzip, out), 0);
    assert_false(out->oom);
    assert_true(out->len > 0);
}

static void test_header_fields(void **state)
{
    (void)state;
    buf raw;
    encode(fx.p, 0, &raw);
    decoded *d = calloc(1, sizeof *d);
    decode_profile(raw.data, raw.len, d);

    assert_true(d->n_strings > 0);
    assert_string_equal(d->strings[0], "");
    assert_int_equal(d->n_sample_types, 2);
    assert_string_equal(S(d, d->sample_type[0][0]), "alloc_objects");
    assert_string_equal(S(d, d->sample_type[0][1]), "count");
    assert_string_equal(S(d, d->sample_type[1][0]), "alloc_space");
    assert_string_equal(S(d, d->sample_type[1][1]), "bytes");
    assert_string_equal(S(d, d->period_type[0]), "space");
    assert_string_equal(S(d, d->period_type[1]), "bytes");
    assert_int_equal(d->period, 524288);
    assert_int_equal(d->time_nanos, fx.p->time_nanos);
    assert_int_equal(d->duration_nanos, 1500000000);
    assert_string_equal(S(d, d->default_sample_type), "alloc_space");
    assert_int_equal(d->n_comments, 1);
    assert_string_equal(S(d, d->comments[0]), "cprof unit test");
    /* Interned: no string appears twice. */
    for (size_t i = 0; i < d->n_strings; i++)
        for (size_t j = i + 1; j < d->n_strings; j++)
            assert_string_not_equal(d->strings[i], d->strings[j]);
    decoded_free(d);
    free(d);
    buf_free(&raw);
}

static void test_samples_and_labels(void **state)
{
    (void)state;
    buf raw;
    encode(fx.p, 0, &raw);
    decoded *d = calloc(1, sizeof *d);
    decode_profile(raw.data, raw.len, d);

    assert_int_equal(d->n_samples, 3);
    const dec_sample *s = &d->samples[0];
    assert_int_equal(s->n_locations, 3);
    assert_int_equal(s->n_values, 2);
    assert_int_equal(s->values[0], 3);
    assert_int_equal(s->values[1], 3072);
    assert_int_equal(s->n_labels, 2);
    assert_string_equal(S(d, s->labels[0].key), "kind");
    assert_string_equal(S(d, s->labels[0].str), "test");
    assert_int_equal(s->labels[0].num, 0);
    assert_string_equal(S(d, s->labels[1].key), "bytes");
    assert_int_equal(s->labels[1].str, 0);
    assert_int_equal(s->labels[1].num, 1024);
    assert_string_equal(S(d, s->labels[1].num_unit), "bytes");
    assert_int_equal(d->samples[1].n_labels, 0);
    assert_int_equal(d->samples[2].values[1], 70000);

    /* Leaf first, and the same PC always maps to the same location. */
    assert_string_equal(location_function(d, location_by_id(d, s->location_ids[0])), "site_alpha");
    assert_string_equal(location_function(d, location_by_id(d, s->location_ids[1])), "site_beta");
    assert_string_equal(location_function(d, location_by_id(d, s->location_ids[2])), "site_gamma");
    assert_int_equal(d->samples[1].location_ids[0], s->location_ids[1]);
    assert_int_equal(d->samples[2].location_ids[1], s->location_ids[0]);
    decoded_free(d);
    free(d);
    buf_free(&raw);
}

static void test_locations_functions_mappings(void **state)
{
    (void)state;
    buf raw;
    encode(fx.p, 0, &raw);
    decoded *d = calloc(1, sizeof *d);
    decode_profile(raw.data, raw.len, d);

    assert_int_equal(d->n_locations, 4); /* alpha, beta, gamma, inl */
    for (size_t i = 0; i < d->n_locations; i++) {
        const dec_location *l = &d->locations[i];
        assert_int_equal(l->id, i + 1);
        assert_int_equal(l->mapping_id, 1);
        assert_true(l->n_lines >= 1);
        for (size_t k = 0; k < l->n_lines; k++) {
            const dec_function *fn = function_by_id(d, l->lines[k].function_id);
            assert_true(l->lines[k].line > 0);
            assert_int_equal(fn->name, fn->system_name);
            const char *file = S(d, fn->filename);
            assert_non_null(strstr(file, "test_pprof_encode.c"));
        }
    }
    /* Addresses are the call instructions (pc-1), like Go's encoder. */
    const dec_location *alpha = location_by_id(d, d->samples[0].location_ids[0]);
    assert_int_equal(alpha->address, fx.alpha - 1);

    /* The inlined call expands to two lines, inlined callee first. */
    const dec_location *inl = location_by_id(d, d->samples[2].location_ids[0]);
    assert_true(inl->n_lines >= 2);
    assert_string_equal(S(d, function_by_id(d, inl->lines[0].function_id)->name), "inlined_site");
    assert_string_equal(location_function(d, inl), "site_with_inline");

    /* Functions are deduplicated by (name, filename). */
    for (size_t i = 0; i < d->n_functions; i++) {
        assert_int_equal(d->functions[i].id, i + 1);
        for (size_t j = i + 1; j < d->n_functions; j++)
            assert_false(d->functions[i].name == d->functions[j].name &&
                         d->functions[i].filename == d->functions[j].filename);
    }
    assert_int_equal(d->n_functions, 5);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    assert_true(d->n_mappings >= 2);
    const dec_mapping *m = &d->mappings[0];
    assert_int_equal(m->id, 1);
    assert_string_equal(S(d, m->filename), exe);
    assert_int_equal(strlen(S(d, m->build_id)), 40);
    assert_true(m->start <= fx.alpha && fx.alpha < m->limit);
    assert_true(m->has_functions && m->has_filenames && m->has_line_numbers &&
                m->has_inline_frames);
    /* Mappings without locations claim nothing. */
    for (size_t i = 1; i < d->n_mappings; i++) {
        assert_int_equal(d->mappings[i].id, i + 1);
        assert_true(d->mappings[i].start < d->mappings[i].limit);
        assert_false(d->mappings[i].has_functions);
    }
    decoded_free(d);
    free(d);
    buf_free(&raw);
}

/* CPROF_SYMBOLIZE=off: the same locations (addresses, mapping ids), no
 * lines, no functions; mappings keep file, offsets and build ID and claim
 * nothing, so pprof symbolizes them; the text frames are bare addresses. */
static void test_symbolize_off(void **state)
{
    (void)state;
    symbolize_set_mode(SYMBOLIZE_OFF);
    assert_false(symbolize_enabled());
    buf raw;
    encode(fx.p, 0, &raw);
    decoded *d = calloc(1, sizeof *d);
    decode_profile(raw.data, raw.len, d);
    assert_int_equal(d->n_locations, 4);
    assert_int_equal(d->n_functions, 0);
    for (size_t i = 0; i < d->n_locations; i++) {
        assert_int_equal(d->locations[i].mapping_id, 1);
        assert_int_equal(d->locations[i].n_lines, 0);
    }
    assert_int_equal(location_by_id(d, d->samples[0].location_ids[0])->address, fx.alpha - 1);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    const dec_mapping *m = &d->mappings[0];
    assert_string_equal(S(d, m->filename), exe);
    assert_int_equal(strlen(S(d, m->build_id)), 40);
    assert_true(m->start <= fx.alpha && fx.alpha < m->limit);
    for (size_t i = 0; i < d->n_mappings; i++)
        assert_false(d->mappings[i].has_functions || d->mappings[i].has_filenames ||
                     d->mappings[i].has_line_numbers || d->mappings[i].has_inline_frames);
    buf text;
    buf_init(&text);
    text_write_frames(&text, &fx.alpha, 1, 0);
    char want[64];
    snprintf(want, sizeof want, "#\t0x%" PRIx64 "\n", fx.alpha - 1);
    assert_int_equal(text.len, strlen(want));
    assert_memory_equal(text.data, want, text.len);
    symbol_info si;
    assert_int_equal(symbolize_addr(fx.alpha - 1, &si), -1);
    assert_int_equal(si.n_lines, 0);
    symbolize_set_mode(SYMBOLIZE_ON);
    assert_int_equal(symbolize_addr(fx.alpha - 1, &si), 0);
    assert_string_equal(si.lines[si.n_lines - 1].function, "site_alpha");
    buf_free(&text);
    decoded_free(d);
    free(d);
    buf_free(&raw);
}

static void test_exact_leaf_pc(void **state)
{
    (void)state;
    profile *p = profile_new();
    profile_add_sample_type(p, "samples", "count");
    p->leaf_pc_exact = 1;
    uint64_t leaf = (uint64_t)(uintptr_t)&site_beta + 2;
    const uint64_t pcs[] = {leaf, fx.alpha};
    const int64_t v[] = {1};
    assert_int_equal(profile_add_sample(p, pcs, 2, v, NULL, 0), 0);
    buf raw;
    encode(p, 0, &raw);
    decoded *d = calloc(1, sizeof *d);
    decode_profile(raw.data, raw.len, d);
    const dec_location *l0 = location_by_id(d, d->samples[0].location_ids[0]);
    const dec_location *l1 = location_by_id(d, d->samples[0].location_ids[1]);
    assert_int_equal(l0->address, leaf);
    assert_string_equal(location_function(d, l0), "site_beta");
    assert_int_equal(l1->address, fx.alpha - 1);
    assert_string_equal(location_function(d, l1), "site_alpha");
    assert_int_equal(d->default_sample_type, 0); /* NULL: field omitted */
    decoded_free(d);
    free(d);
    buf_free(&raw);
    profile_free(p);
}

static void inflate_all(const uint8_t *in, size_t in_len, buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip wrapper only */
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    int rc;
    do {
        assert_int_equal(buf_reserve(out, 65536), 0);
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        rc = inflate(&zs, Z_NO_FLUSH);
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
        out->len = out->cap - 1 - zs.avail_out;
    } while (rc != Z_STREAM_END);
    assert_int_equal(zs.avail_in, 0);
    inflateEnd(&zs);
}

static void test_gzip_inflates_to_raw(void **state)
{
    (void)state;
    buf raw, gz, back;
    encode(fx.p, 0, &raw);
    encode(fx.p, 1, &gz);
    assert_int_equal(gz.data[0], 0x1f);
    assert_int_equal(gz.data[1], 0x8b);
    buf_init(&back);
    inflate_all(gz.data, gz.len, &back);
    assert_int_equal(back.len, raw.len);
    assert_memory_equal(back.data, raw.data, raw.len);
    buf_free(&raw);
    buf_free(&gz);
    buf_free(&back);
}

static void test_appends_to_existing_output(void **state)
{
    (void)state;
    buf raw, both;
    encode(fx.p, 0, &raw);
    buf_init(&both);
    buf_append_str(&both, "prefix");
    assert_int_equal(pprof_encode(fx.p, 0, &both), 0);
    assert_int_equal(both.len, 6 + raw.len);
    assert_memory_equal(both.data, "prefix", 6);
    assert_memory_equal(both.data + 6, raw.data, raw.len);
    buf_free(&raw);
    buf_free(&both);
}

/* ---- the real client ---------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    buf_append_byte(&b, 0);
    return (char *)buf_steal(&b, NULL);
}

static void assert_no_warnings(const char *err)
{
    static const char *const bad[] = {"Warning", "warning", "failed", "Failed", "error"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(err, bad[i]))
            fail_msg("go tool pprof complained:\n%s", err);
}

/* Run `go tool pprof -raw` on data written to a temp file; fails the test
 * unless it exits 0 with a quiet stderr. Returns pprof's stdout (free it). go
 * is a required dependency: a missing go fails. HOME and a private GOCACHE
 * keep go happy in bare test environments. */
static char *go_tool_pprof_raw(const void *data, size_t len, const char *file_name)
{
    char dir[] = "/tmp/cprof-pprof-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prof[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX], cmd[4 * PATH_MAX];
    snprintf(prof, sizeof prof, "%s/%s", dir, file_name);
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);

    FILE *f = fopen(prof, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);

    snprintf(cmd, sizeof cmd,
             "cd %s && HOME=%s GOCACHE=%s/gocache PPROF_TMPDIR=%s go tool pprof -raw %s "
             ">%s 2>%s",
             dir, dir, dir, dir, prof, out_path, err_path);
    int status = system(cmd);
    char *out = slurp(out_path), *err = slurp(err_path);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("go tool pprof failed (status %d):\n%s", status, err);
    assert_no_warnings(err);
    free(err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return out;
}

static void test_go_tool_pprof_reads_it(void **state)
{
    (void)state;
    buf gz;
    encode(fx.p, 1, &gz);
    char *out = go_tool_pprof_raw(gz.data, gz.len, "heap.pb.gz");
    buf_free(&gz);
    /* pprof saw our symbolization, inline frames included. */
    assert_non_null(strstr(out, "site_alpha"));
    assert_non_null(strstr(out, "inlined_site"));
    assert_non_null(strstr(out, "alloc_space/bytes"));
    free(out);
}

/* ---- text_format.c: Go's legacy text pieces ---------------------------- */

static void test_text_pcs_and_frames(void **state)
{
    (void)state;
    const uint64_t pcs[] = {fx.inl, fx.alpha, 0x10};
    buf t;
    buf_init(&t);
    text_write_pcs(&t, pcs, 3);
    char want[128];
    snprintf(want, sizeof want, " 0x%llx 0x%llx 0x10", (unsigned long long)fx.inl,
             (unsigned long long)fx.alpha);
    assert_string_equal((char *)t.data, want);

    buf_reset(&t);
    text_write_frames(&t, pcs, 3, 0);
    /* Inlined callee first, then its real function, both at the call PC. */
    char *line = strtok((char *)t.data, "\n");
    char fmt[64];
    snprintf(fmt, sizeof fmt, "#\t0x%llx\tinlined_site+0x", (unsigned long long)fx.inl - 1);
    assert_non_null(line);
    assert_memory_equal(line, fmt, strlen(fmt));
    assert_non_null(strstr(line, "test_pprof_encode.c:"));
    line = strtok(NULL, "\n");
    snprintf(fmt, sizeof fmt, "#\t0x%llx\tsite_with_inline+0x", (unsigned long long)fx.inl - 1);
    assert_non_null(line);
    assert_memory_equal(line, fmt, strlen(fmt));
    line = strtok(NULL, "\n");
    unsigned long long pc, off;
    char fn[64], file[PATH_MAX];
    int lineno = 0;
    assert_non_null(line);
    assert_int_equal(
        sscanf(line, "#\t0x%llx\t%63[^+]+0x%llx\t%[^:]:%d", &pc, fn, &off, file, &lineno), 5);
    assert_int_equal(pc, fx.alpha - 1);
    assert_string_equal(fn, "site_alpha");
    assert_int_equal(off, fx.alpha - 1 - (uintptr_t)&site_alpha);
    assert_true(lineno > 0);
    line = strtok(NULL, "\n");
    assert_non_null(line);
    assert_string_equal(line, "#\t0xf"); /* unknown: just the PC */
    assert_null(strtok(NULL, "\n"));
    buf_free(&t);
}

/* A legacy heap profile built from the text pieces: google/pprof's legacy
 * parser must place the addresses through MAPPED_LIBRARIES and symbolize
 * them from this binary. */
static void test_legacy_text_reads_in_go_tool_pprof(void **state)
{
    (void)state;
    const uint64_t pcs[] = {fx.alpha, fx.beta};
    buf t;
    buf_init(&t);
    buf_append_str(&t, "heap profile: 1: 4096 [1: 4096] @ heap/1048576\n1: 4096 [1: 4096] @");
    text_write_pcs(&t, pcs, 2);
    buf_append_str(&t, "\n");
    text_write_frames(&t, pcs, 2, 0);
    buf_append_str(&t, "\n");
    text_write_mapped_libraries(&t);
    assert_false(t.oom);
    assert_non_null(strstr((char *)t.data, "\nMAPPED_LIBRARIES:\n"));
    char *out = go_tool_pprof_raw(t.data, t.len, "heap.txt");
    assert_non_null(strstr(out, "site_alpha"));
    assert_non_null(strstr(out, "site_beta"));
    free(out);
    buf_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_fields),
        cmocka_unit_test(test_samples_and_labels),
        cmocka_unit_test(test_locations_functions_mappings),
        cmocka_unit_test(test_symbolize_off),
        cmocka_unit_test(test_exact_leaf_pc),
        cmocka_unit_test(test_gzip_inflates_to_raw),
        cmocka_unit_test(test_appends_to_existing_output),
        cmocka_unit_test(test_go_tool_pprof_reads_it),
        cmocka_unit_test(test_text_pcs_and_frames),
        cmocka_unit_test(test_legacy_text_reads_in_go_tool_pprof),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
