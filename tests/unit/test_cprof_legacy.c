/*
 * test_cprof_legacy.c — the non-proto readers (tool/profile/legacy*.c) on
 * small hand-made files whose answers are worked out by hand from
 * google/pprof's legacy_profile.go (and jeprof for jemalloc): unsampling,
 * column order, frame adjustment, the CPU handler-frame heuristic, memory
 * maps (merging, the main binary first, the fake mapping), contention
 * scaling, collapsed stacks, and that each garbage input is one error
 * (run under ASan too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "profile/legacy.h"
#include "profile/model.h"

static cp_profile *parse(const char *text, size_t len)
{
    cp_err err = {.msg = ""};
    cp_profile *p = profile_parse((const uint8_t *)text, len ? len : strlen(text), &err);
    if (!p)
        fail_msg("parse failed: %s", err.msg);
    return p;
}

static void test_tcmalloc_heap(void **state)
{
    (void)state;
    const char *t = "heap profile:   3:   12288 [   5:   20480] @ heapprofile\n"
                    "   2:    8192 [   4:   16384] @ 0x401010 0x402020\n"
                    "   1:    4096 [   1:    4096] @ 0x7f0000001010\n"
                    "\n"
                    "MAPPED_LIBRARIES:\n"
                    "7f0000000000-7f0000001000 r-xp 00000000 08:01 1 /lib/libc.so.6\n"
                    "7f0000001000-7f0000002000 r-xp 00001000 08:01 1 /lib/libc.so.6\n"
                    "00400000-00500000 r-xp 00000000 08:01 2 /srv/server\n"
                    "00500000-00600000 rw-p 00100000 08:01 2 /srv/server\n";
    cp_profile *p = parse(t, 0);
    assert_int_equal(p->n_sample_types, 4); /* alloc columns differ from in-use */
    assert_string_equal(p->sample_types[0].type, "alloc_objects");
    assert_string_equal(p->sample_types[3].type, "inuse_space");
    assert_int_equal(p->period, 1);
    assert_int_equal(p->n_samples, 2);
    int64_t want0[] = {4, 16384, 2, 8192};
    assert_memory_equal(p->samples[0].values, want0, sizeof want0);
    assert_int_equal(p->samples[0].locs[0]->address, 0x40100f); /* moved onto the call */
    assert_string_equal(p->samples[0].labels[0].key, "bytes");
    assert_int_equal(p->samples[0].labels[0].num, 4096);
    /* two adjacent libc entries merged; the program first; rw-p skipped */
    assert_int_equal(p->n_mappings, 2);
    assert_string_equal(p->mappings[0]->file, "/srv/server");
    assert_int_equal(p->mappings[0]->start, 0x400000);
    assert_int_equal(p->mappings[1]->limit, 0x7f0000002000);
    assert_ptr_equal(p->samples[1].locs[0]->mapping, p->mappings[1]);
    assert_string_equal(p->keep_frames,
                        "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*");
    cp_profile_free(p);
}

static void test_go_heap_unsampled(void **state)
{
    (void)state;
    /* @ heap/2*rate; rate 512 KiB: one 1 MiB object is scaled by
     * 1/(1-exp(-2)) = 1.15652..., no memory map: the fake mapping */
    const char *t = "heap profile: 1: 1048576 [1: 1048576] @ heap/1048576\n"
                    "1: 1048576 [1: 1048576] @ 0x401000\n"
                    "# runtime.MemStats\n";
    cp_profile *p = parse(t, 0);
    assert_int_equal(p->n_sample_types, 2);
    assert_int_equal(p->period, 524288);
    assert_int_equal(p->samples[0].values[0], 1);
    assert_int_equal(p->samples[0].values[1], 1212696);
    assert_int_equal(p->n_mappings, 1);
    assert_int_equal(p->mappings[0]->start, 0);
    assert_true(p->mappings[0]->limit == ~(uint64_t)0);
    assert_string_equal(p->mappings[0]->file, "");
    cp_profile_free(p);
}

static void test_jemalloc(void **state)
{
    (void)state;
    const char *t = "heap_v2/4096\n"
                    "  t*: 2: 8192 [0: 0]\n"
                    "  t0: 2: 8192 [0: 0]\n"
                    "@ 0x7f0000000100 0x7f0000000200 0x401010 0x402020\n"
                    "  t*: 2: 8192 [0: 0]\n"
                    "  t0: 2: 8192 [0: 0]\n"
                    "\n"
                    "MAPPED_LIBRARIES:\n"
                    "00400000-00500000 r-xp 00000000 08:01 2 /srv/server\n"
                    "7f0000000000-7f0000001000 r-xp 00000000 08:01 3 /usr/lib/libjemalloc.so.2\n";
    cp_profile *p = parse(t, 0);
    assert_int_equal(p->n_samples, 1);
    /* avg 4096 at rate 4096: scale 1/(1-exp(-1)) = 1.58197... */
    assert_int_equal(p->samples[0].values[0], 3);
    assert_int_equal(p->samples[0].values[1], 12959);
    /* libjemalloc's leaf frames dropped; the caller moved onto its call */
    assert_int_equal(p->samples[0].n_locs, 2);
    assert_int_equal(p->samples[0].locs[0]->address, 0x40100f);
    assert_non_null(strstr(p->drop_frames, "je_.*"));
    cp_profile_free(p);
}

static void put64(char *b, size_t i, uint64_t v)
{
    memcpy(b + 8 * i, &v, 8);
}

static void test_gperftools_cpu(void **state)
{
    (void)state;
    /* 40 of 41 samples share the handler frame 0x500 as their second
     * frame (pprof allows 41/32 others): it is removed; one sample has its
     * leaf again as the next frame (0x401002, then 0x401002 - 1 after the
     * caller adjustment): the duplicate is dropped */
    static char b[8 * 400];
    const char maps[] = "00400000-00402000 r-xp 00000000 08:01 2 /srv/server\n";
    size_t w = 0;
    uint64_t hdr[] = {0, 3, 0, 10000, 0};
    for (size_t i = 0; i < 5; i++)
        put64(b, w++, hdr[i]);
    for (int i = 0; i < 40; i++) {
        uint64_t rec[] = {1, 3, 0x401100 + (uint64_t)i, 0x501, 0x401801 + (uint64_t)i};
        for (size_t k = 0; k < 5; k++)
            put64(b, w++, rec[k]);
    }
    uint64_t dup[] = {2, 2, 0x401002, 0x401002};
    for (size_t k = 0; k < 4; k++)
        put64(b, w++, dup[k]);
    uint64_t end[] = {0, 1, 0};
    for (size_t k = 0; k < 3; k++)
        put64(b, w++, end[k]);
    memcpy(b + 8 * w, maps, sizeof maps - 1);
    cp_profile *p = parse(b, 8 * w + sizeof maps - 1);
    assert_int_equal(p->period, 10000000);
    assert_string_equal(p->sample_types[1].type, "cpu");
    assert_int_equal(p->n_samples, 41);
    assert_int_equal(p->samples[0].n_locs, 2); /* 0x500 gone */
    assert_int_equal(p->samples[0].locs[1]->address, 0x401800);
    assert_int_equal(p->samples[40].n_locs, 1); /* duplicated leaf gone */
    assert_int_equal(p->samples[40].values[1], 20000000);
    assert_string_equal(p->mappings[0]->file, "/srv/server");
    cp_profile_free(p);
}

static void test_go_text(void **state)
{
    (void)state;
    cp_profile *p = parse("goroutine profile: total 3\n"
                          "2 @ 0x401010 0x402020\n"
                          "#\t0x40100f\tmain.f+0xf\t/src/main.go:10\n"
                          "1 @ 0x401010\n",
                          0);
    assert_string_equal(p->sample_types[0].type, "goroutine");
    assert_int_equal(p->n_samples, 2);
    assert_int_equal(p->n_locations, 2);
    assert_int_equal(p->samples[0].values[0], 2);
    cp_profile_free(p);
    /* delay cycles -> ns at 2 GHz, times the period; counts times the period */
    p = parse("--- mutex:\ncycles/second=2000000000\nsampling period=5\n"
              "4000 3 @ 0x401010 0x402020\n",
              0);
    assert_string_equal(p->sample_types[1].type, "delay");
    assert_int_equal(p->samples[0].values[0], 15);
    assert_int_equal(p->samples[0].values[1], 10000);
    assert_non_null(strstr(p->drop_frames, "(SpinLockHolder::)?~SpinLockHolder.*"));
    cp_profile_free(p);
}

static void test_collapsed(void **state)
{
    (void)state;
    cp_profile *p = parse("main;serve;parse 30\r\nmain;serve 10\n\nmain;idle 5\n", 0);
    assert_int_equal(p->n_samples, 3);
    assert_int_equal(p->n_functions, 4);
    assert_int_equal(p->samples[0].n_locs, 3);
    assert_string_equal(p->samples[0].locs[0]->lines[0].function->name, "parse");
    assert_string_equal(p->samples[0].locs[2]->lines[0].function->name, "main");
    assert_ptr_equal(p->samples[1].locs[0], p->samples[0].locs[1]); /* one location per name */
    assert_int_equal(p->samples[2].values[0], 5);
    cp_profile_free(p);
}

static void test_garbage_is_one_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "heap profile: 1: 2 [1: 2] @ heapprofile\nnonsense\n",
        "heap_v2/64\n@ 0x1\nnot a t line\n",
        "goroutine profile: total 1\n1 @ 0x1 junk\n",
        "main;a 1\nmain;b\n",
        "--- contention:\n1 a @ 0x1\n",
        "hello world\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cp_err err = {.msg = ""};
        assert_null(profile_parse((const uint8_t *)bad[i], strlen(bad[i]), &err));
        assert_true(err.msg[0] != 0);
        assert_null(strchr(err.msg, '\n'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcmalloc_heap),
        cmocka_unit_test(test_go_heap_unsampled),
        cmocka_unit_test(test_jemalloc),
        cmocka_unit_test(test_gperftools_cpu),
        cmocka_unit_test(test_go_text),
        cmocka_unit_test(test_collapsed),
        cmocka_unit_test(test_garbage_is_one_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
