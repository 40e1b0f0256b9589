/*
 * fuzz_decode.c — libFuzzer target for cprof's profile decoder.
 *
 * Every input goes through profile_parse as given (gzip when it starts with
 * the gzip magic, raw profile.proto otherwise); raw inputs are also
 * gzip-compressed and parsed again, so arbitrary bytes reach the decoder
 * through the inflate path too. A profile that decodes is merged (pprof's
 * compaction, as every report does first), encoded and decoded again: what
 * cprof writes it must read back, with the same number of samples.
 * Invariants checked: no crash, leak or UB (ASan/UBSan), errors are
 * reported through cp_err only, and the round trip holds (abort otherwise).
 *
 * Build: fuzz/build.sh (or `make fuzz`); run: build/fuzz/fuzz_decode fuzz/corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gzip.h"
#include "profile/model.h"

static void round_trip(cp_profile *p)
{
    cp_err err;
    cp_profile *merged = profile_merge(&p, 1, &err);
    if (!merged)
        return; /* e.g. incompatible sample types: an error, not a bug */
    buf b;
    buf_init(&b);
    if (profile_encode(merged, 0, &b, &err) != 0) {
        fprintf(stderr, "encode failed: %s\n", err.msg);
        abort();
    }
    cp_profile *again = profile_parse(b.data, b.len, &err);
    if (!again) {
        fprintf(stderr, "cprof cannot read what it wrote: %s\n", err.msg);
        abort();
    }
    if (again->n_samples != merged->n_samples) {
        fprintf(stderr, "round trip: %zu samples, then %zu\n", merged->n_samples, again->n_samples);
        abort();
    }
    cp_profile_free(again);
    cp_profile_free(merged);
    buf_free(&b);
}

static void parse_one(const uint8_t *data, size_t size)
{
    cp_err err;
    cp_profile *p = profile_parse(data, size, &err);
    if (p) {
        round_trip(p);
        cp_profile_free(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_one(data, size);
    if (!gzip_is_gzip(data, size)) {
        buf z;
        buf_init(&z);
        gzip_compress(&z, data, size, GZIP_LEVEL_DEFAULT);
        parse_one(z.data, z.len);
        buf_free(&z);
    }
    return 0;
}
