/*
 * cpu_profile.c — the CPU profile's two front ends: the /debug/pprof/profile
 * source, and a file covering a whole run (cprof_cpu_start/cprof_cpu_stop,
 * which preload.c calls for CPROF_CPU_PROFILE, like gperftools' CPUPROFILE).
 *
 * Both run one collection: begin the session (cpu_sampler.c), drain the ring
 * into a stack table every 100 ms, end the session, build the profile model
 * (cpu_stacks.c) and hand it to the one encoder (pprof_encode.c). Only one
 * such collection exists at a time, so a second request, or a request while
 * a file profile runs, gets Go's 500 "cpu profiling already in use". The
 * push agent's continuous profile is not one of them: a collection shares
 * its timers (cpu_sampler.c's background consumer).
 *
 * The source gets its window and rate already parsed (the registry's table
 * says how: Go's rules for seconds, ours for hz). The request's worker
 * sleeps in 100 ms steps and ends early, freeing everything, when the
 * client hangs up.
 *
 * File mode drains on its own thread (a profiler thread, out of the heap
 * profile); the file is written by cprof_cpu_stop or, when the program never
 * calls it, at exit (atexit), where stopping is bounded: a drainer that does
 * not answer within 2 s is abandoned rather than waited for.
 */
#include "common/clock.h"
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "process/own_threads.h"
#include "cprof.h"
#include "process/config.h"
#include "heap/heap.h"
#include "pprof/pprof_encode.h"
#include "threads/threads.h"

#define EXPORT __attribute__((visibility("default")))
#define DRAIN_EVERY_MS 100
#define DRAINER_WAIT_MS 2000

/* Between waits: move the ring's samples into the stack table, so a full
 * ring loses nothing however long the profile. */
static void drain_step(void *unused)
{
    (void)unused;
    cpu_session_drain();
}

/* ---- one collection -------------------------------------------------------- */

typedef struct collection {
    cpu_stacks *acc;
    int hz;
    int64_t start_wall, start_mono;
} collection;

/* Start one collection at hz (CPU_HZ_ANY: the running session's rate, else
 * the default; c->hz is the rate it runs at): PROFILE_OK, or the session's
 * status with the reason in err (nothing left to free). */
static profile_status collection_begin(collection *c, int hz, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    c->hz = hz;
    c->acc = cpu_stacks_new();
    if (!c->acc) {
        snprintf(err, err_len, "Could not enable CPU profiling: out of memory");
        return PROFILE_FAILED;
    }
    profile_status status = cpu_session_begin(&c->hz, c->acc, err, err_len);
    if (status != 0) {
        cpu_stacks_free(c->acc);
        return status;
    }
    c->start_wall = profile_now_nanos();
    c->start_mono = monotonic_ns();
    return PROFILE_OK;
}

/* End the session and build the profile; frees the stack table. */
static profile *collection_end(collection *c)
{
    cpu_session_end(c->acc);
    profile *p = cpu_stacks_profile(c->acc, c->hz, c->start_wall, monotonic_ns() - c->start_mono);
    size_t blocked = cpu_session_blocked_threads();
    if (p && blocked) {
        /* Shown by go tool pprof -comments: CPU those threads used is missing. */
        char note[160];
        snprintf(note, sizeof note,
                 "cprof: %zu thread(s) blocked signal %d when the profile began and were not "
                 "sampled while they blocked it",
                 blocked, cpu_session_signal());
        profile_add_comment(p, note);
    }
    if (p) {
        char own[200];
        snprintf(own, sizeof own,
                 "cprof: its own threads (HTTP server, encoders, symbolizer) used %.3f s of CPU "
                 "during this profile, not sampled and not included",
                 (double)cpu_session_own_cpu_ns() / 1e9);
        profile_add_comment(p, own);
    }
    cpu_stacks_free(c->acc);
    c->acc = NULL;
    return p;
}

/* ---- the /debug/pprof/profile source ---------------------------------------- */

profile_status cpu_profile_write(const profile_request *req, buf *out, char *err, size_t err_len)
{
    collection c;
    profile_status status = collection_begin(&c, req->hz, err, err_len);
    if (status != PROFILE_OK)
        return status;
    int64_t deadline = c.start_mono + (int64_t)req->seconds * 1000000000;
    int gone = profile_request_wait(req, deadline, DRAIN_EVERY_MS, drain_step, c.acc);
    profile *p = collection_end(&c);
    if (gone) {
        profile_free(p);
        snprintf(err, err_len, "client went away; CPU profile abandoned");
        return PROFILE_ABANDONED;
    }
    int rc = p ? pprof_encode(p, 1, out) : -1;
    profile_free(p);
    if (rc != 0) {
        snprintf(err, err_len, "out of memory while encoding the CPU profile");
        return PROFILE_FAILED;
    }
    return PROFILE_OK;
}

/* ---- file mode: CPROF_CPU_PROFILE, cprof_cpu_start / cprof_cpu_stop ------------ */

static struct {
    pthread_mutex_t lock; /* start/stop */
    int running;
    char path[4096];
    collection c;
    pthread_t drainer;
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    int stop;         /* under wake_lock */
    int drainer_done; /* under wake_lock */
} file = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};
static pthread_once_t file_once = PTHREAD_ONCE_INIT;

static void *drain_loop(void *arg)
{
    (void)arg;
    heap_thread_set_internal(1);
    pthread_setname_np(pthread_self(), "cprof-cpu");
    pthread_mutex_lock(&file.wake_lock);
    while (!file.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += DRAIN_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&file.wake, &file.wake_lock, &until);
        if (file.stop)
            break;
        pthread_mutex_unlock(&file.wake_lock);
        cpu_session_drain();
        pthread_mutex_lock(&file.wake_lock);
    }
    file.drainer_done = 1;
    pthread_cond_broadcast(&file.wake);
    pthread_mutex_unlock(&file.wake_lock);
    return NULL;
}

/* Tell the drainer to stop and wait for it, bounded. 0 when it stopped. */
static int stop_drainer(void)
{
    pthread_mutex_lock(&file.wake_lock);
    file.stop = 1;
    pthread_cond_broadcast(&file.wake);
    int64_t give_up = monotonic_ns() + (int64_t)DRAINER_WAIT_MS * 1000000;
    while (!file.drainer_done && monotonic_ns() < give_up) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 10000000L;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&file.wake, &file.wake_lock, &until);
    }
    int done = file.drainer_done;
    pthread_mutex_unlock(&file.wake_lock);
    if (done)
        pthread_join(file.drainer, NULL);
    else
        pthread_detach(file.drainer);
    return done ? 0 : -1;
}

static int write_file(const char *path, const buf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    return close(fd);
}

static void at_exit_write(void)
{
    cprof_cpu_stop();
}

static void file_atfork_child(void)
{
    /* The session and the drainer thread stay with the parent. */
    pthread_mutex_init(&file.lock, NULL);
    pthread_mutex_init(&file.wake_lock, NULL);
    pthread_cond_init(&file.wake, NULL);
    file.running = 0;
}

static void file_setup(void)
{
    pthread_atfork(NULL, NULL, file_atfork_child);
    atexit(at_exit_write);
}

static int start_drainer(void)
{
    file.stop = file.drainer_done = 0;
    /* The drainer is the profiler's: none of the program's signals, no
     * CPU timer of its own. */
    int rc = own_thread_create(&file.drainer, NULL, drain_loop, NULL);
    return rc;
}

EXPORT int cprof_cpu_start(const char *path, int hz)
{
    if (!path || !*path || strlen(path) >= sizeof file.path) {
        cprof_log("cprof_cpu_start: a file path is required");
        return -1;
    }
    if (hz != CPU_HZ_ANY && (hz < CPU_MIN_HZ || hz > CPU_MAX_HZ)) {
        cprof_log("cprof_cpu_start: hz %d is not from %d to %d", hz, CPU_MIN_HZ, CPU_MAX_HZ);
        return -1;
    }
    int was_internal = heap_internal_enter();
    pthread_once(&file_once, file_setup);
    pthread_mutex_lock(&file.lock);
    int rc = -1;
    char err[256];
    if (file.running) {
        cprof_log("cprof_cpu_start: %s", CPU_BUSY_MESSAGE);
    } else if (collection_begin(&file.c, hz, err, sizeof err) != 0) {
        cprof_log("cprof_cpu_start: %s", err);
    } else if (start_drainer() != 0) {
        cprof_log("cprof_cpu_start: cannot start the collector thread");
        profile_free(collection_end(&file.c));
    } else {
        strcpy(file.path, path);
        file.running = 1;
        rc = 0;
    }
    pthread_mutex_unlock(&file.lock);
    heap_internal_leave(was_internal);
    return rc;
}

EXPORT int cprof_cpu_stop(void)
{
    int was_internal = heap_internal_enter();
    pthread_mutex_lock(&file.lock);
    int rc = -1;
    if (file.running) {
        file.running = 0;
        if (stop_drainer() != 0) {
            /* The drainer may still be inside the ring: end the session
             * (handlers stop) but keep its table, and write nothing. */
            cprof_log("CPU profile collector did not stop; %s not written", file.path);
            cpu_session_end(NULL);
        } else {
            profile *p = collection_end(&file.c);
            buf b;
            buf_init(&b);
            rc = p && pprof_encode(p, 1, &b) == 0 && write_file(file.path, &b) == 0 ? 0 : -1;
            if (rc != 0)
                cprof_log("cannot write the CPU profile to %.200s: %s", file.path,
                          p ? strerror(errno) : "out of memory");
            buf_free(&b);
            profile_free(p);
        }
    }
    pthread_mutex_unlock(&file.lock);
    heap_internal_leave(was_internal);
    return rc;
}
