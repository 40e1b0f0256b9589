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
#include "fuzz_round_trip.h"
#include "profile/model.h"

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
