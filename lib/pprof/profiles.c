/*
 * profiles.c — the registry of named profiles served under /debug/pprof/<name>:
 * each profile's parameters, description, source and index-page notes.
 *
 * Static, read-only tables: no registration at run time, so lookups need no
 * lock and the tables are safe to read from any thread at any moment
 * (including right after fork). Adding a profile is one entry in `sources`;
 * the index page lists entries in table order, so keep it sorted by name
 * like Go's. The descriptions are shown verbatim (HTML-escaped) on the
 * index page.
 *
 * The parameter texts are Go's net/http/pprof messages where Go has the
 * parameter (debug, seconds), ours in the same style where it has not
 * (min_age, hz). `hz` is ours (Go fixes 100 Hz): 1..5000, anything else a
 * 400, since silently profiling at another rate than asked would mislead.
 */
#include "profiles.h"
#include "pprof_encode.h"
#include "profile.h"
#include "symbolize.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

#include "contention/contention.h"
#include "cpu/cpu.h"
#include "heap/heap.h"
#include "threads/threads.h"
#include "trace/trace.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const profile_param_spec params[PROFILE_N_PARAMS] = {
    [PARAM_DEBUG] = {.name = "debug",
                     .type = PARAM_TYPE_INT,
                     .min = 0,
                     .max = INT_MAX,
                     .empty_is_absent = 1,
                     .bad_text = "invalid value for \"debug\" - must be a non-negative integer"},
    [PARAM_SECONDS] = {.name = "seconds",
                       .type = PARAM_TYPE_INT,
                       .min = 1,
                       .max = INT_MAX,
                       .empty_is_absent = 1,
                       .limited = 1,
                       .bad_text = "invalid value for \"seconds\" - must be a positive integer",
                       .refused_text =
                           "\"seconds\" parameter is not supported for this profile type",
                       .needs_debug_0_text = "seconds and debug params are incompatible"},
    [PARAM_MIN_AGE] = {.name = "min_age",
                       .type = PARAM_TYPE_SECONDS,
                       .min = 0,
                       .max = 366 * 86400,
                       .bad_text = "invalid value for \"min_age\" - must be a non-negative "
                                   "number of seconds",
                       .refused_text =
                           "\"min_age\" parameter is only supported for the heap profile"},
    [PARAM_HZ] = {.name = "hz",
                  .type = PARAM_TYPE_INT,
                  .min = CPU_MIN_HZ,
                  .max = CPU_MAX_HZ,
                  .empty_is_absent = 1,
                  .bad_text = "invalid value for \"hz\" - must be an integer from " STR(
                      CPU_MIN_HZ) " to " STR(CPU_MAX_HZ)},
    [PARAM_PID] = {.name = "pid",
                   .type = PARAM_TYPE_INT,
                   .min = 1,
                   .max = INT_MAX,
                   .empty_is_absent = 1,
                   .bad_text = "invalid value for \"pid\" - must be the id of a process under this "
                               "one (see /debug/pprof/procs), or all on a profile"},
};

/* The snapshot profiles: debug, a delta over seconds, min_age refused. */
#define SNAPSHOT_PARAMS                                                                            \
    {                                                                                              \
        [PARAM_DEBUG] = {PARAM_STRICT, 0}, [PARAM_SECONDS] = {PARAM_STRICT, 0},                    \
        [PARAM_MIN_AGE] = {PARAM_REFUSED, 0}, [PARAM_PID] = {PARAM_STRICT, 0},                     \
    }

static const profile_source sources[] = {
    {
        .name = "allocs",
        .description = "A sampling of all past memory allocations",
        .count = heap_profile_count,
        .write = heap_profile_write,
        .build = heap_profile_build,
        .variant = HEAP_VIEW_ALLOCS,
        .params = SNAPSHOT_PARAMS,
    },
    {
        .name = "block",
        .description = "Stack traces that led to blocking on synchronization primitives",
        .count = contention_count_block,
        .write = contention_profile_write,
        .build = contention_profile_build,
        .variant = CONTENTION_BLOCK,
        .params = SNAPSHOT_PARAMS,
    },
    {
        .name = "goroutine",
        .description =
            "Stack traces of all current threads: the threads profile under the name Go tools "
            "ask for. Use debug=2 as a query parameter for one block per thread.",
        .count = threads_count,
        .write = threads_profile_write,
        .build = threads_profile_build,
        .variant = THREADS_VIEW_GOROUTINE,
        .params = SNAPSHOT_PARAMS,
    },
    {
        .name = "heap",
        .description =
            "A sampling of memory allocations of live objects. The gc GET parameter is accepted "
            "for compatibility and ignored (C has no garbage collector). min_age=SECONDS keeps "
            "only allocations at least that old.",
        .count = heap_profile_count,
        .write = heap_profile_write,
        .build = heap_profile_build,
        .variant = HEAP_VIEW_INUSE,
        .params =
            {
                [PARAM_DEBUG] = {PARAM_STRICT, 0},
                [PARAM_SECONDS] = {PARAM_STRICT, 0},
                [PARAM_MIN_AGE] = {PARAM_STRICT, 0},
                [PARAM_PID] = {PARAM_STRICT, 0},
            },
    },
    {
        .name = "mutex",
        .description = "Stack traces of threads that waited for contended pthread mutexes and "
                       "rwlocks (cprof charges the waiting call; Go, the holder). Sampled 1 in "
                       "CPROF_MUTEX_RATE contentions.",
        .count = contention_count_mutex,
        .write = contention_profile_write,
        .build = contention_profile_build,
        .variant = CONTENTION_MUTEX,
        .params = SNAPSHOT_PARAMS,
    },
    {
        .name = "peak",
        .description =
            "The sampled heap as it stood at its high-water mark: what filled memory just before "
            "an out-of-memory kill (captured within 1/16 of the peak).",
        .count = heap_peak_count,
        .write = heap_profile_write,
        .variant = HEAP_VIEW_PEAK,
        .params =
            {
                [PARAM_DEBUG] = {PARAM_STRICT, 0},
                [PARAM_SECONDS] = {PARAM_REFUSED, 0},
                [PARAM_MIN_AGE] = {PARAM_REFUSED, 0},
                [PARAM_PID] = {PARAM_STRICT, 0},
            },
    },
    {
        /* Go's /profile: seconds missing, malformed or <= 0 means 30; a
         * duration above the server's limit is a 400; debug is ignored. */
        .name = "profile",
        .description =
            "CPU profile. You can specify the duration in the seconds GET parameter (default 30) "
            "and the sampling rate in hz (default 100, or the push agent's while it samples). "
            "After "
            "you get the profile file, use the go tool pprof command to investigate the profile.",
        .write = cpu_profile_write,
        .params =
            {
                [PARAM_SECONDS] = {PARAM_LENIENT, CPU_DEFAULT_SECONDS},
                [PARAM_HZ] = {PARAM_STRICT, CPU_HZ_ANY},
                [PARAM_PID] = {PARAM_STRICT, 0},
            },
    },
    {
        .name = "threadcreate",
        .description = "Stack traces that led to the creation of new OS threads",
        .count = threads_created_count,
        .write = threadcreate_profile_write,
        .build = threadcreate_profile_build,
        .params = SNAPSHOT_PARAMS,
    },
    {
        .name = "threads",
        .description =
            "Stack traces of all current threads, grouped by stack. debug=2 gives one block per "
            "thread: state, the system call it waits in, age, CPU time and the stack that created "
            "it.",
        .count = threads_count,
        .write = threads_profile_write,
        .build = threads_profile_build,
        .variant = THREADS_VIEW_THREADS,
        .params = SNAPSHOT_PARAMS,
    },
    {
        /* Go's /trace: seconds parsed as Go's strconv.ParseFloat (0.5 is
         * half a second); missing, malformed or <= 0 means 1 s; above the
         * server's limit a 400. Not Go's trace format: JSON. */
        .name = "trace",
        .description =
            "A timeline of every thread in the Chrome Trace Event JSON format (Perfetto UI, "
            "chrome://tracing, speedscope; not Go's execution trace): CPU samples as a flame "
            "chart over time, thread states, births and exits, spans, heap and thread counters. "
            "You can specify the duration in the seconds GET parameter (default 1) and the "
            "sampling rate in hz (default 100, or the push agent's while it samples). Read it with "
            "cprof trace.",
        .write = trace_profile_write,
        .params =
            {
                [PARAM_SECONDS] = {PARAM_LENIENT_FLOAT, TRACE_DEFAULT_SECONDS},
                [PARAM_HZ] = {PARAM_STRICT, CPU_HZ_ANY},
                [PARAM_PID] = {PARAM_STRICT, 0},
            },
        .content_type = "application/json",
        .filename = "trace.json",
        .gzip_if_accepted = 1,
    },
};

/* The seed's "refresh and compare": each view reports the change. */
static const profile_index_note notes[] = {
    {"Threads", threads_index_summary, NULL, "goroutine?debug=2", "full goroutine stack dump"},
    {"cprof's own threads", threads_internal_summary, "(not in the CPU profile)", NULL, NULL},
    {"Symbol cache", symbolize_usage_summary, "(CPROF_SYMBOL_CACHE_MB)", NULL, NULL},
};

#define N_SOURCES (sizeof sources / sizeof sources[0])

const profile_source *profile_source_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_SOURCES; i++) {
        if (strcmp(sources[i].name, name) == 0)
            return &sources[i];
    }
    return NULL;
}

const profile_param_spec *profile_param(profile_param_id id)
{
    return &params[id];
}

int profile_takes(const profile_source *src, profile_param_id id)
{
    return src->params[id].use != PARAM_UNUSED;
}

const profile_index_note *profile_index_notes(size_t *n)
{
    *n = sizeof notes / sizeof notes[0];
    return notes;
}

static _Atomic int max_seconds = PROFILE_DEFAULT_MAX_SECONDS;

int profile_max_seconds(void)
{
    return max_seconds;
}

void profile_set_max_seconds(int seconds)
{
    if (seconds >= 1 && seconds <= 86400)
        max_seconds = seconds;
}

const profile_source *profile_sources(size_t *n)
{
    if (n)
        *n = N_SOURCES;
    return sources;
}

static int client_has_gone(const profile_request *req)
{
    return req->client_gone && req->client_gone(req->client_ctx);
}

int profile_request_wait(const profile_request *req, int64_t deadline_ns, int step_ms,
                         void (*each_step)(void *ctx), void *ctx)
{
    for (;;) {
        if (client_has_gone(req))
            return 1;
        int64_t left = deadline_ns - monotonic_ns();
        if (left <= 0)
            return 0;
        int64_t step = left < step_ms * 1000000LL ? left : step_ms * 1000000LL;
        struct timespec ts = {(time_t)(step / 1000000000), (long)(step % 1000000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        if (each_step)
            each_step(ctx);
    }
}

profile_status profile_out_of_memory(const profile_request *req, char *err, size_t err_len)
{
    snprintf(err, err_len, "could not build the %s profile: out of memory", req->name);
    return PROFILE_FAILED;
}

profile_status profile_write_built(profile_status (*build)(const profile_request *req,
                                                           profile **out, char *err,
                                                           size_t err_len),
                                   const profile_request *req, buf *out, char *err, size_t err_len)
{
    profile *p = NULL;
    profile_status status = build(req, &p, err, err_len);
    if (status != PROFILE_OK)
        return status;
    if (pprof_encode(p, 1, out) != 0)
        out->oom = 1;
    profile_free(p);
    return out->oom ? profile_out_of_memory(req, err, err_len) : PROFILE_OK;
}
