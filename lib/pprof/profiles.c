/*
 * profiles.c — the registry of named profiles served under /debug/pprof/<name>.
 *
 * A static, read-only table: no registration at run time, so lookups need no
 * lock and the table is safe to read from any thread at any moment (including
 * right after fork). Adding a profile is one line in `sources`; the index
 * page lists entries in table order, so keep it sorted by name like Go's.
 *
 * The descriptions are shown verbatim (HTML-escaped) on the index page.
 */
#include "profiles.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"

#include "cpu/cpu.h"
#include "heap/heap.h"
#include "threads/threads.h"

static const profile_source sources[] = {
    {"allocs", "A sampling of all past memory allocations", heap_profile_count, heap_profile_write,
     0, heap_profile_build},
    {"goroutine",
     "Stack traces of all current threads: the threads profile under the name Go tools ask "
     "for. Use debug=2 as a query parameter for one block per thread.",
     threads_count, threads_profile_write, 0, threads_profile_build},
    {"heap",
     "A sampling of memory allocations of live objects. The gc GET parameter is accepted "
     "for compatibility and ignored (C has no garbage collector). min_age=SECONDS keeps "
     "only allocations at least that old.",
     heap_profile_count, heap_profile_write, 0, heap_profile_build},
    {"peak",
     "The sampled heap as it stood at its high-water mark: what filled memory just before "
     "an out-of-memory kill (captured within 1/16 of the peak).",
     heap_peak_count, heap_profile_write, 0, NULL},
    {"profile",
     "CPU profile. You can specify the duration in the seconds GET parameter (default 30) and "
     "the sampling rate in hz (default 100). After you get the profile file, use the go tool "
     "pprof command to investigate the profile.",
     NULL, cpu_profile_write, 1, NULL},
    {"threads",
     "Stack traces of all current threads, grouped by stack. debug=2 gives one block per "
     "thread: state, the system call it waits in, age, CPU time and the stack that created it.",
     threads_count, threads_profile_write, 0, threads_profile_build},
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
