/*
 * fuzz_legacy.c — libFuzzer target for cprof's readers of the formats that
 * are not profile.proto (tool/profile/legacy.h): gperftools heap and CPU,
 * Go's debug=1 text, jemalloc heap_v2, collapsed stacks.
 *
 * Every input goes to legacy_parse directly (the detection and each
 * parser), then, when it decodes, through the merge, the encoder and the
 * proto decoder: a legacy profile must become a profile.proto cprof reads
 * back with the same number of samples. Invariants: no crash, leak or UB
 * (ASan/UBSan), PROFILE_FORMAT_BAD always comes with a message, and the round trip
 * holds (abort otherwise). The seed corpus (fuzz/corpus_legacy) holds small
 * files written by the real tools.
 *
 * Build: fuzz/build.sh build/fuzz/fuzz_legacy fuzz_legacy;
 * run: build/fuzz/fuzz_legacy fuzz/corpus_legacy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_round_trip.h"
#include "profile/legacy.h"
#include "profile/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cp_err err = {.msg = ""};
    cp_profile *p = NULL;
    profile_format_rc rc = legacy_parse(data, size, &p, &err);
    if (rc == PROFILE_FORMAT_BAD && !err.msg[0]) {
        fprintf(stderr, "an error without a message\n");
        abort();
    }
    if (rc != PROFILE_FORMAT_OK)
        return 0;
    round_trip(p);
    cp_profile_free(p);
    return 0;
}
