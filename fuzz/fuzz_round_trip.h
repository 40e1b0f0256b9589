/*
 * fuzz_round_trip.h — the invariant both fuzz targets check on a profile
 * that decoded: merged (pprof's compaction, as every report does first),
 * encoded and decoded again, it keeps its number of samples; what cprof
 * writes it must read back. Aborts (a fuzzer finding) otherwise.
 */
#ifndef CPROF_FUZZ_ROUND_TRIP_H
#define CPROF_FUZZ_ROUND_TRIP_H

#include <stdio.h>
#include <stdlib.h>

#include "profile/model.h"

/* p stays the caller's. */
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

#endif
