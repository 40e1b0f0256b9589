/*
 * profile_delta.h — delta profiles: p1 - p0 over a window (profile_delta.c).
 */
#ifndef CPROF_PROFILE_DELTA_H
#define CPROF_PROFILE_DELTA_H

#include "common/buf.h"
#include "profile.h"
#include "profiles.h"

/* p1 - p0 as a new profile: samples matched by stack and string labels,
 * zero samples dropped; p1's time, the interval as duration. NULL when out
 * of memory or the two have different sample types. */
profile *profile_delta(const profile *p0, const profile *p1);
/* The same, but value k with bit k of keep set is p1's as it is (Go's
 * godeltaprof heap: alloc_* over the interval, inuse_* as they are now). */
profile *profile_delta_keep(const profile *p0, const profile *p1, unsigned keep);

/* The delta of src (which must have a build function) over `seconds`,
 * gzipped profile.proto appended to out. Ends early, answering
 * PROFILE_ABANDONED, when the client hangs up. Returns PROFILE_OK, or
 * another status with a reason in err. */
profile_status profile_delta_write(const profile_source *src, const profile_request *req,
                                   int seconds, buf *out, char *err, size_t err_len);

#endif
