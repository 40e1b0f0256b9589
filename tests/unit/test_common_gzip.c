/*
 * test_common_gzip.c — the common kit's gzip: round trips at both levels,
 * concatenated members, and the errors: truncation, corruption and the
 * output cap, each with its own message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/gzip.h"

/* n bytes of compressible but not trivial text. */
static uint8_t *sample_bytes(size_t n)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)("profile "[i % 8] + (i / 4096) % 3);
    return p;
}

static void test_round_trip(void **state)
{
    (void)state;
    const size_t n = 300000; /* more than one inflate step */
    uint8_t *data = sample_bytes(n);
    const int levels[] = {GZIP_LEVEL_FAST, GZIP_LEVEL_DEFAULT, 9};
    for (size_t l = 0; l < 3; l++) {
        buf z, back;
        buf_init(&z);
        buf_init(&back);
        buf_append(&z, "x", 1); /* appends after what is there */
        assert_int_equal(gzip_compress(&z, data, n, levels[l]), 0);
        assert_true(z.len > 1 && z.len < n / 4);
        assert_true(gzip_is_gzip(z.data + 1, z.len - 1));
        cp_err err = {""};
        assert_int_equal(gzip_decompress(&back, z.data + 1, z.len - 1, n, &err), 0);
        assert_int_equal(back.len, n);
        assert_memory_equal(back.data, data, n);
        assert_int_equal(back.data[back.len], 0);
        buf_free(&z);
        buf_free(&back);
    }
    free(data);
}

static void test_empty_and_magic(void **state)
{
    (void)state;
    buf z, back;
    buf_init(&z);
    buf_init(&back);
    assert_int_equal(gzip_compress(&z, NULL, 0, GZIP_LEVEL_DEFAULT), 0);
    assert_true(gzip_is_gzip(z.data, z.len));
    assert_int_equal(gzip_decompress(&back, z.data, z.len, 10, NULL), 0);
    assert_int_equal(back.len, 0);
    assert_false(gzip_is_gzip((const uint8_t *)"\x1f", 1));
    assert_false(gzip_is_gzip((const uint8_t *)"PK", 2));
    buf_free(&z);
    buf_free(&back);
}

static void test_concatenated_members(void **state)
{
    (void)state;
    buf z, back;
    buf_init(&z);
    buf_init(&back);
    assert_int_equal(gzip_compress(&z, (const uint8_t *)"hello, ", 7, GZIP_LEVEL_FAST), 0);
    assert_int_equal(gzip_compress(&z, (const uint8_t *)"world", 5, GZIP_LEVEL_DEFAULT), 0);
    cp_err err = {""};
    assert_int_equal(gzip_decompress(&back, z.data, z.len, 100, &err), 0);
    assert_int_equal(back.len, 12);
    assert_memory_equal(back.data, "hello, world", 12);
    buf_free(&z);
    buf_free(&back);
}

static void test_errors(void **state)
{
    (void)state;
    const size_t n = 100000;
    uint8_t *data = sample_bytes(n);
    buf z;
    buf_init(&z);
    assert_int_equal(gzip_compress(&z, data, n, GZIP_LEVEL_DEFAULT), 0);

    buf back;
    buf_init(&back);
    cp_err err = {""};
    assert_int_equal(gzip_decompress(&back, z.data, z.len / 2, n, &err), -1);
    assert_non_null(strstr(err.msg, "unexpected end of gzip data"));
    buf_reset(&back);

    z.data[12] ^= 0xff; /* inside the deflate stream's first block header */
    z.data[13] ^= 0xff;
    err.msg[0] = 0;
    assert_int_equal(gzip_decompress(&back, z.data, z.len, n, &err), -1);
    assert_true(err.msg[0] != 0);
    assert_null(strstr(err.msg, "unexpected end"));
    z.data[12] ^= 0xff;
    z.data[13] ^= 0xff;
    buf_reset(&back);

    /* The cap: the whole output is n bytes, the cap 64 KiB. */
    err.msg[0] = 0;
    assert_int_equal(gzip_decompress(&back, z.data, z.len, 64 << 10, &err), -1);
    assert_string_equal(err.msg, "larger than 64 KiB");
    assert_int_equal(back.len, (64 << 10) + 1); /* one byte past the cap, no more */
    buf_reset(&back);
    assert_int_equal(gzip_decompress(&back, z.data, z.len, (size_t)1 << 31, &err), 0);
    assert_int_equal(back.len, n);

    buf_free(&z);
    buf_free(&back);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_and_magic),
        cmocka_unit_test(test_concatenated_members),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
