/*
 * profiles.h — the named profiles served under /debug/pprof/<name>.
 *
 * The router validates the request (query parameters, method) and then asks
 * a profile source to write its bytes; a source knows its collector and which
 * encoder to call, and nothing of HTTP. Adding a profile (threads, CPU) means
 * adding one entry to the table in profiles.c.
 */
#ifndef CPROF_PROFILES_H
#define CPROF_PROFILES_H

#include <stdint.h>

#include "common/buf.h"

struct profile;

typedef struct profile_request {
    const char *name; /* the profile asked for, e.g. "heap" */
    int debug;        /* 0 = gzipped profile.proto, >0 = text */
    /* heap: in use only if allocated at least this long ago; 0 = all */
    int64_t min_age_ns;
    /* For sources with raw_query set: the undecoded query string (NULL when
     * none), and a probe that says the client has gone away (NULL: cannot
     * tell), so a long collection can end early. */
    const char *query;
    int (*client_gone)(void *ctx);
    void *client_ctx;
} profile_request;

typedef struct profile_source {
    const char *name;
    const char *description; /* one line for the index page */
    /* Live count for the index page; -1 when the profile has none. */
    long (*count)(void);
    /* Append the profile to out. Returns 0, or an HTTP status (4xx/5xx) with
     * a one-line reason (no newline) written to err. */
    int (*write)(const profile_request *req, buf *out, char *err, size_t err_len);
    /* Nonzero: the source reads its own query parameters (the CPU profile's
     * seconds and hz) instead of the router's debug/seconds checks, always
     * answers profile.proto, and is linked from the index page without
     * ?debug=1, as Go links /profile. */
    int raw_query;
    /* Non-NULL: the profile supports Go's delta (NAME?seconds=N, Go's
     * profileSupportsDelta): build the model of one snapshot (debug is 0)
     * into *out. Returns 0, or an HTTP status with a reason in err. */
    int (*build)(const profile_request *req, struct profile **out, char *err, size_t err_len);
} profile_source;

/*
 * The wait of the requests that last seconds (a CPU profile, a delta):
 * sleep until deadline_ns (CLOCK_MONOTONIC) in steps of at most step_ms,
 * calling each_step(ctx) after every step when it is not NULL, and stop as
 * soon as the client has hung up (checked before the first step and after
 * each). Returns 1 when the client went away, 0 at the deadline.
 */
int profile_request_wait(const profile_request *req, int64_t deadline_ns, int step_ms,
                         void (*each_step)(void *ctx), void *ctx);

/* NULL when no profile has that name. */
const profile_source *profile_source_find(const char *name);
/* All sources in index-page order. */
const profile_source *profile_sources(size_t *n);

#endif
