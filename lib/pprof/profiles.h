/*
 * profiles.h — the registry of named profiles served under /debug/pprof/<name>:
 * the one place that knows each profile.
 *
 * For every profile the table in profiles.c says which query parameters it
 * takes and how (the parameters themselves — name, type, range, Go's error
 * texts — are one table too, in the order they are checked), its index-page
 * description, and the source that produces it. The router (http_router.c)
 * reads the query, checks every parameter from these tables and hands the
 * source already-parsed values in a profile_request; a source knows its
 * collector and which encoder to call, and nothing of HTTP: it answers a
 * neutral profile_status that the router turns into a status code. Adding a
 * profile means adding one entry to the table in profiles.c.
 *
 * The pprof folder: the profile model (profile.c), this registry
 * (profiles.c), delta profiles (profile_delta.c), the profile.proto
 * encoder (pprof_encode.c), Go's legacy text helpers (text_format.c) and
 * the in-process symbolizer (symbolize.c).
 */
#ifndef CPROF_PROFILES_H
#define CPROF_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct profile;

/* The query parameters a profile may take, in the order the router checks
 * them (Go's): debug, then seconds, then min_age, then hz; then pid (ours:
 * the process of the tree whose profile is asked for, 0 = this one). */
typedef enum profile_param_id {
    PARAM_DEBUG,
    PARAM_SECONDS,
    PARAM_MIN_AGE,
    PARAM_HZ,
    PARAM_PID,
    PROFILE_N_PARAMS
} profile_param_id;

typedef enum profile_param_type {
    PARAM_TYPE_INT,     /* decimal digits only, no sign */
    PARAM_TYPE_SECONDS, /* decimal seconds, fraction allowed; the value is in ns */
} profile_param_type;

/* One query parameter, whichever profile takes it. */
typedef struct profile_param_spec {
    const char *name;
    profile_param_type type;
    int64_t min, max;    /* accepted range (PARAM_TYPE_SECONDS: in seconds) */
    int empty_is_absent; /* "name=" counts as absent, like Go's FormValue */
    /* Also bounded by the server's window limit (profile_max_seconds). */
    int limited;
    const char *bad_text; /* Go's 400 for a malformed or out-of-range value */
    /* The 400 for a well-formed value on a profile that refuses it. */
    const char *refused_text;
    /* Non-NULL: the 400 when the value is given with a non-zero debug. */
    const char *needs_debug_0_text;
} profile_param_spec;

/* How one profile takes one parameter. */
typedef enum profile_param_use {
    PARAM_UNUSED = 0,    /* not read, whatever its value (Go ignores parameters a
                          * handler does not know) */
    PARAM_STRICT,        /* a malformed or out-of-range value is a 400 */
    PARAM_LENIENT,       /* Go's strconv.ParseInt: a malformed value, or one
                          * below the minimum, means the default (Go's
                          * /profile?seconds) */
    PARAM_REFUSED,       /* checked like STRICT, then refused when present */
    PARAM_LENIENT_FLOAT, /* Go's strconv.ParseFloat (Go's /trace?seconds): a
                          * fraction allowed (0.5); malformed, out of range,
                          * NaN or <= 0 means the default; the window in
                          * profile_request.window_ns */
} profile_param_use;

typedef struct profile_param_rule {
    profile_param_use use;
    int64_t fallback; /* the value when absent (PARAM_TYPE_SECONDS: ns) */
} profile_param_rule;

/* The spec of parameter id (id < PROFILE_N_PARAMS). */
const profile_param_spec *profile_param(profile_param_id id);

/* What a source needs to write one profile: everything already parsed and
 * checked. */
typedef struct profile_request {
    const char *name; /* the profile asked for, e.g. "heap" (for messages) */
    int variant;      /* the source's own selector (profile_source.variant) */
    int debug;        /* 0 = gzipped profile.proto, >0 = text */
    /* The collection window of a source that collects over time (the CPU
     * profile); a delta's window is the router's, not the source's. */
    int seconds;
    /* The same window in nanoseconds: seconds * 1e9, or the fraction a
     * PARAM_LENIENT_FLOAT seconds gave (then seconds is it rounded up). */
    int64_t window_ns;
    int hz; /* sampling rate of the CPU profile */
    /* heap: in use only if allocated at least this long ago; 0 = all */
    int64_t min_age_ns;
    /* pid: another process of the tree serves the request (the router
     * forwards it there; a source never sees a non-zero one). 0 = this. */
    long pid;
    /* A probe that says the client has gone away (NULL: cannot tell), so a
     * long collection can end early. */
    int (*client_gone)(void *ctx);
    void *client_ctx;
} profile_request;

/* A source's outcome, free of any protocol: the router maps it (400 for
 * PROFILE_BAD_REQUEST, 500 for the others, as Go answers them). */
typedef enum profile_status {
    PROFILE_OK = 0,
    PROFILE_BAD_REQUEST, /* the request cannot be served as asked */
    PROFILE_BUSY,        /* the one collection of its kind is running */
    PROFILE_ABANDONED,   /* the client went away during the window */
    PROFILE_FAILED,      /* out of memory, or the system refused */
} profile_status;

typedef struct profile_source {
    const char *name;
    const char *description; /* one line for the index page */
    /* Live count for the index page; NULL when the profile has none. */
    long (*count)(void);
    /* Append the profile to out. Returns PROFILE_OK, or another status with
     * a one-line reason (no newline) written to err. */
    profile_status (*write)(const profile_request *req, buf *out, char *err, size_t err_len);
    /* Non-NULL: the profile supports Go's delta (NAME?seconds=N, Go's
     * profileSupportsDelta): build the model of one snapshot (debug is 0)
     * into *out. Returns PROFILE_OK, or another status with a reason in err. */
    profile_status (*build)(const profile_request *req, struct profile **out, char *err,
                            size_t err_len);
    int variant; /* handed to the source in profile_request.variant */
    profile_param_rule params[PROFILE_N_PARAMS];
    /* The reply of a successful debug=0 request: NULL = Go's profile
     * (application/octet-stream, attachment named after the profile). */
    const char *content_type;
    const char *filename;
    /* The body is text the router gzips (Content-Encoding: gzip) when the
     * client accepts it; a profile.proto source gzips its own body. */
    int gzip_if_accepted;
} profile_source;

/* Does src read parameter id (any use but PARAM_UNUSED)? */
int profile_takes(const profile_source *src, profile_param_id id);

/* A line of the index page beside the table: "TITLE: VALUE REMARK. <a
 * href='HREF'>LINK_TEXT</a>"; value() writes the live part. remark and href
 * may be NULL (no remark, no link). */
typedef struct profile_index_note {
    const char *title;
    void (*value)(char *out, size_t len);
    const char *remark;
    const char *href; /* relative to the index page */
    const char *link_text;
} profile_index_note;

const profile_index_note *profile_index_notes(size_t *n);

/* The server's limit on a window, in seconds: the longest CPU profile or
 * delta served (Go: its WriteTimeout; CPROF_CPU_MAX_SECONDS, read by
 * config.c). Default PROFILE_DEFAULT_MAX_SECONDS. */
#define PROFILE_DEFAULT_MAX_SECONDS 300
int profile_max_seconds(void);
/* Set it (1..86400; anything else is ignored). */
void profile_set_max_seconds(int seconds);

/*
 * The wait of the requests that last seconds (a CPU profile, a delta):
 * sleep until deadline_ns (CLOCK_MONOTONIC) in steps of at most step_ms,
 * calling each_step(ctx) after every step when it is not NULL, and stop as
 * soon as the client has hung up (checked before the first step and after
 * each). Returns 1 when the client went away, 0 at the deadline.
 */
int profile_request_wait(const profile_request *req, int64_t deadline_ns, int step_ms,
                         void (*each_step)(void *ctx), void *ctx);

/* PROFILE_FAILED, with "could not build the NAME profile: out of memory"
 * in err: what a source answers when memory runs out. */
profile_status profile_out_of_memory(const profile_request *req, char *err, size_t err_len);

/* The debug=0 answer of a source with a build function: build the model
 * (build(req, ...)), append it as gzipped profile.proto, free it. Returns
 * build's status, or PROFILE_FAILED with "could not build the NAME
 * profile: out of memory" in err when encoding runs out of memory. */
profile_status profile_write_built(profile_status (*build)(const profile_request *req,
                                                           struct profile **out, char *err,
                                                           size_t err_len),
                                   const profile_request *req, buf *out, char *err, size_t err_len);

/* NULL when no profile has that name. */
const profile_source *profile_source_find(const char *name);
/* All sources in index-page order. */
const profile_source *profile_sources(size_t *n);

#endif
