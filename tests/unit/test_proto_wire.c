/*
 * test_proto_wire.c — the protobuf wire codec: round trips of varints and
 * nested/packed fields, and malformed input that must set err, not crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/proto_wire.h"

static uint64_t roundtrip_varint(uint64_t v, size_t *encoded_len)
{
    buf b;
    buf_init(&b);
    proto_put_varint(&b, v);
    assert_false(b.oom);
    *encoded_len = b.len;
    proto_reader r;
    proto_reader_init(&r, b.data, b.len);
    uint64_t got = proto_get_varint(&r);
    assert_null(r.err);
    assert_false(proto_reader_more(&r));
    buf_free(&b);
    return got;
}

static void test_varint_roundtrip(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        size_t len;
    } cases[] = {
        {0, 1}, {1, 1}, {127, 1}, {128, 2}, {300, 2}, {1ull << 63, 10}, {UINT64_MAX, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        assert_int_equal(roundtrip_varint(cases[i].v, &len), cases[i].v);
        assert_int_equal(len, cases[i].len);
    }
}

static void test_varint_known_bytes(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_put_varint(&b, 300);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.data[0], 0xac);
    assert_int_equal(b.data[1], 0x02);
    buf_free(&b);
}

static void test_negative_int64_is_ten_bytes(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_put_int64(&b, 1, -1);
    assert_int_equal(b.len, 11); /* tag + 10 */
    proto_reader r;
    proto_reader_init(&r, b.data, b.len);
    uint32_t field;
    enum proto_wire_type type;
    assert_true(proto_get_tag(&r, &field, &type));
    assert_int_equal(field, 1);
    assert_int_equal(type, PROTO_VARINT);
    assert_int_equal((int64_t)proto_get_varint(&r), -1);
    assert_null(r.err);
    buf_free(&b);
}

static void test_nonzero_and_bool_helpers_skip_defaults(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    proto_put_uint64_nonzero(&b, 1, 0);
    proto_put_int64_nonzero(&b, 2, 0);
    proto_put_bool_true(&b, 3, 0);
    assert_int_equal(b.len, 0);
    proto_put_bool_true(&b, 3, 1);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.data[0], (3 << 3) | PROTO_VARINT);
    assert_int_equal(b.data[1], 1);
    buf_free(&b);
}

/* Outer { 1: "hi", 2: Inner { 7: 42, 8: packed [1, 300, 2^40] }, 3: 9 },
 * with the inner body made long enough (>127 bytes) to need a 2-byte length. */
static void test_nested_and_packed(void **state)
{
    (void)state;
    const uint64_t packed[] = {1, 300, 1ull << 40};
    char filler[200];
    memset(filler, 'x', sizeof filler - 1);
    filler[sizeof filler - 1] = 0;

    buf b;
    buf_init(&b);
    proto_put_string(&b, 1, "hi");
    size_t m = proto_begin_message(&b, 2);
    proto_put_uint64(&b, 7, 42);
    proto_put_packed_uint64(&b, 8, packed, 3);
    proto_put_string(&b, 9, filler);
    proto_end_message(&b, m);
    proto_put_uint64(&b, 3, 9);
    assert_false(b.oom);

    proto_reader r;
    proto_reader_init(&r, b.data, b.len);
    uint32_t field;
    enum proto_wire_type type;
    int seen = 0;
    while (proto_get_tag(&r, &field, &type)) {
        if (field == 1) {
            proto_reader s = proto_get_bytes(&r);
            assert_int_equal(s.end - s.p, 2);
            assert_memory_equal(s.p, "hi", 2);
            seen |= 1;
        } else if (field == 2) {
            assert_int_equal(type, PROTO_BYTES);
            proto_reader in = proto_get_bytes(&r);
            uint32_t f2;
            enum proto_wire_type t2;
            while (proto_get_tag(&in, &f2, &t2)) {
                if (f2 == 7) {
                    assert_int_equal(proto_get_varint(&in), 42);
                    seen |= 2;
                } else if (f2 == 8) {
                    proto_reader pk = proto_get_bytes(&in);
                    size_t k = 0;
                    while (proto_reader_more(&pk))
                        assert_int_equal(proto_get_varint(&pk), packed[k++]);
                    assert_int_equal(k, 3);
                    assert_null(pk.err);
                    seen |= 4;
                } else if (f2 == 9) {
                    proto_reader s = proto_get_bytes(&in);
                    assert_int_equal(s.end - s.p, strlen(filler));
                    seen |= 8;
                } else {
                    fail_msg("unexpected inner field %u", f2);
                }
            }
            assert_null(in.err);
        } else if (field == 3) {
            assert_int_equal(proto_get_varint(&r), 9);
            seen |= 16;
        } else {
            proto_skip(&r, type);
        }
    }
    assert_null(r.err);
    assert_int_equal(seen, 31);
    buf_free(&b);
}

static void test_skip_every_wire_type(void **state)
{
    (void)state;
    const uint8_t msg[] = {
        (1 << 3) | PROTO_VARINT,  0x96, 0x01,                       /* 1: 150 */
        (2 << 3) | PROTO_FIXED64, 1,    2,    3,   4,   5, 6, 7, 8, /* 2: fixed64 */
        (3 << 3) | PROTO_BYTES,   3,    'a',  'b', 'c',             /* 3: "abc" */
        (4 << 3) | PROTO_FIXED32, 1,    2,    3,   4,               /* 4: fixed32 */
        (5 << 3) | PROTO_VARINT,  7,                                /* 5: 7 */
    };
    proto_reader r;
    proto_reader_init(&r, msg, sizeof msg);
    uint32_t field;
    enum proto_wire_type type;
    uint64_t last = 0;
    while (proto_get_tag(&r, &field, &type)) {
        if (field == 5)
            last = proto_get_varint(&r);
        else
            proto_skip(&r, type);
    }
    assert_null(r.err);
    assert_int_equal(last, 7);
}

/* ---- malformed input --------------------------------------------------- */

static void test_truncated_varint(void **state)
{
    (void)state;
    const uint8_t data[] = {0x80, 0x80};
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    assert_int_equal(proto_get_varint(&r), 0);
    assert_non_null(r.err);
    assert_false(proto_reader_more(&r));
    /* Sticky: later reads keep failing quietly. */
    assert_int_equal(proto_get_varint(&r), 0);
    uint32_t f;
    enum proto_wire_type t;
    assert_false(proto_get_tag(&r, &f, &t));
}

static void test_eleven_byte_varint(void **state)
{
    (void)state;
    uint8_t data[11];
    memset(data, 0xff, 10);
    data[10] = 0x01;
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    assert_int_equal(proto_get_varint(&r), 0);
    assert_non_null(r.err);
}

static void test_tenth_byte_overflow(void **state)
{
    (void)state;
    uint8_t data[10];
    memset(data, 0xff, 9);
    data[9] = 0x02; /* bit 64: does not fit */
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    proto_get_varint(&r);
    assert_non_null(r.err);
}

static void test_length_past_end(void **state)
{
    (void)state;
    const uint8_t data[] = {(1 << 3) | PROTO_BYTES, 5, 'a', 'b'};
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    uint32_t f;
    enum proto_wire_type t;
    assert_true(proto_get_tag(&r, &f, &t));
    proto_reader sub = proto_get_bytes(&r);
    assert_non_null(r.err);
    assert_non_null(sub.err);
    assert_false(proto_reader_more(&sub));
    assert_int_equal(proto_get_varint(&sub), 0);
}

static void test_huge_length_does_not_wrap(void **state)
{
    (void)state;
    /* Length UINT64_MAX: p + len would wrap around if added blindly. */
    uint8_t data[12] = {(1 << 3) | PROTO_BYTES};
    memset(data + 1, 0xff, 9);
    data[10] = 0x01;
    data[11] = 'z';
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    uint32_t f;
    enum proto_wire_type t;
    assert_true(proto_get_tag(&r, &f, &t));
    proto_reader sub = proto_get_bytes(&r);
    assert_non_null(r.err);
    assert_false(proto_reader_more(&sub));
}

static void test_bad_tags(void **state)
{
    (void)state;
    const uint8_t field_zero[] = {(0 << 3) | PROTO_VARINT, 1};
    const uint8_t group[] = {(1 << 3) | 3};
    const uint8_t wire7[] = {(1 << 3) | 7};
    const uint8_t *cases[] = {field_zero, group, wire7};
    const size_t lens[] = {sizeof field_zero, sizeof group, sizeof wire7};
    for (size_t i = 0; i < 3; i++) {
        proto_reader r;
        proto_reader_init(&r, cases[i], lens[i]);
        uint32_t f;
        enum proto_wire_type t;
        assert_false(proto_get_tag(&r, &f, &t));
        assert_non_null(r.err);
    }
}

static void test_truncated_fixed(void **state)
{
    (void)state;
    const uint8_t data[] = {(1 << 3) | PROTO_FIXED64, 1, 2, 3};
    proto_reader r;
    proto_reader_init(&r, data, sizeof data);
    uint32_t f;
    enum proto_wire_type t;
    assert_true(proto_get_tag(&r, &f, &t));
    proto_skip(&r, t);
    assert_non_null(r.err);
}

/* Every prefix and every single-byte corruption of a valid message must
 * parse to an end or an error without reading out of bounds (ASan checks). */
static void walk(proto_reader r, int depth)
{
    uint32_t f;
    enum proto_wire_type t;
    while (proto_get_tag(&r, &f, &t)) {
        if (t == PROTO_BYTES && depth < 4)
            walk(proto_get_bytes(&r), depth + 1);
        else
            proto_skip(&r, t);
    }
}

static void test_fuzz_prefixes_and_flips(void **state)
{
    (void)state;
    buf b;
    buf_init(&b);
    const int64_t vals[] = {-5, 0, 1ll << 50};
    size_t m = proto_begin_message(&b, 2);
    proto_put_packed_int64(&b, 2, vals, 3);
    size_t m2 = proto_begin_message(&b, 3);
    proto_put_string(&b, 1, "nested");
    proto_end_message(&b, m2);
    proto_end_message(&b, m);
    proto_put_uint64(&b, 9, 123456789);
    for (size_t len = 0; len <= b.len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b.data, len);
        proto_reader r;
        proto_reader_init(&r, copy, len);
        walk(r, 0);
        for (size_t i = 0; i < len; i++) {
            for (int bit = 0; bit < 8; bit++) {
                copy[i] ^= (uint8_t)(1u << bit);
                proto_reader_init(&r, copy, len);
                walk(r, 0);
                copy[i] ^= (uint8_t)(1u << bit);
            }
        }
        free(copy);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_varint_known_bytes),
        cmocka_unit_test(test_negative_int64_is_ten_bytes),
        cmocka_unit_test(test_nonzero_and_bool_helpers_skip_defaults),
        cmocka_unit_test(test_nested_and_packed),
        cmocka_unit_test(test_skip_every_wire_type),
        cmocka_unit_test(test_truncated_varint),
        cmocka_unit_test(test_eleven_byte_varint),
        cmocka_unit_test(test_tenth_byte_overflow),
        cmocka_unit_test(test_length_past_end),
        cmocka_unit_test(test_huge_length_does_not_wrap),
        cmocka_unit_test(test_bad_tags),
        cmocka_unit_test(test_truncated_fixed),
        cmocka_unit_test(test_fuzz_prefixes_and_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
