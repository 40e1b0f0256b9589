/*
 * pprof_encode.h — the one place that writes profile.proto.
 *
 * Turns the internal profile model into a perftools.profiles.Profile message
 * (google/pprof proto/profile.proto), symbolized in process (functions,
 * file:line, inline frames as extra Line entries) with mappings and build IDs
 * from /proc/self/maps, optionally gzip-compressed (zlib).
 */
#ifndef CPROF_PPROF_ENCODE_H
#define CPROF_PPROF_ENCODE_H

#include "common/buf.h"
#include "profile.h"

/* Append the encoded profile to out. gzip != 0 compresses it (as served on
 * the wire and written to disk). Returns 0, or -1 when out of memory or zlib
 * failed. */
int pprof_encode(const profile *p, int gzip, buf *out);

#endif
