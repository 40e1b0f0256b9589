/*
 * preload.c — the library's entry points: the constructor that makes
 * LD_PRELOAD=libcprof.so work with no code change, cprof_start/cprof_stop
 * for programs that link it, and fork handling.
 *
 * The constructor always resolves the real allocator and installs the fork
 * handlers; it starts profiling only when the library came in through
 * LD_PRELOAD (a linked program decides for itself with cprof_start).
 *
 * Fork: the sampler's locks are held across fork() so the child inherits
 * consistent tables. The child keeps sampling but has no listener thread
 * (threads do not survive fork); it closes the inherited listening socket.
 * A child that execs straight away (the common fork+exec) stays quiet
 * here: it starts afresh through the constructor and binds its own port
 * (quietly failing on a fixed port its profiled parent holds), unless
 * CPROF_PROGRAM names another program. A child that goes on without exec:
 *   - CPROF_FOLLOW_FORK=auto (default): fork_follow.c watches whether the
 *     parent exits soon after the fork (daemonizing: fork, parent exits,
 *     maybe setsid and a second fork); then the child takes the endpoint
 *     over with the settings kept here ("pid N serving URL (daemonized
 *     from P)"). A child whose parent stays (pre-fork worker) never binds;
 *     with CPROF_VERBOSE=1 it says once, after 1 s, that it has no listener.
 *   - CPROF_FOLLOW_FORK=off: the child never binds (and with
 *     CPROF_VERBOSE=1 says so at its first allocation).
 */
#include "config.h"
#include "contention/contention.h"
#include "cpu/cpu.h"
#include "cprof.h"
#include "fork_follow.h"
#include "push/push.h"
#include "heap/heap.h"
#include "http/http.h"
#include "pprof/profiles.h"
#include "pprof/symbolize.h"
#include "own_fds.h"
#include "own_threads.h"
#include "proc_socket.h"
#include "threads/threads.h"
#include "threads/threads_blocking.h"
#include "unwind/unwind.h"
#include "common/rundir.h"

#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int started;
static volatile int listener_running;
static char bound_address[256];
static pid_t parent_pid;
static pid_t endpoint_origin; /* the process that last served, for messages */
/* What the listener started with, for a child that takes it over. */
static cprof_settings kept;
static int kept_valid;
static int follow_fork = 1;
static int unix_socket_on;                  /* CPROF_SOCKET: forked children open theirs too */
static int verbose;                         /* CPROF_VERBOSE=1 */
static volatile sig_atomic_t child_says_no; /* CPROF_FOLLOW_FORK=off child */

static const char *scheme(const cprof_settings *s)
{
    return s->tls_cert_pem ? "https" : "http";
}

/* Start the listener; the bound address (or a one-line reason) in out. */
static int open_listener(const cprof_settings *s, char *out, size_t out_len)
{
    http_listener_options o = {
        .addr = s->http_addr,
        .prefix = CPROF_PREFIX,
        .metrics_path = s->metrics_path,
        .token = s->token,
        .allow_insecure = s->allow_insecure,
        .tls_cert_pem = s->tls_cert_pem,
        .tls_key_pem = s->tls_key_pem,
    };
    if (http_listener_start_with(&o, out, out_len) != 0)
        return -1;
    snprintf(bound_address, sizeof bound_address, "%s", out);
    listener_running = 1;
    return 0;
}

/* Whether the parent process has libcprof loaded too (its socket is in
 * our runtime directory): then a port it holds is no news. */
static int parent_is_profiled(void)
{
    char dir[256], path[300];
    return rundir_path(dir, sizeof dir) == 0 &&
           rundir_socket_path(dir, (long)getppid(), path, sizeof path) == 0 &&
           access(path, F_OK) == 0;
}

/* The "serving" line of a fixed port, or of a process named by
 * CPROF_PROGRAM, comes once the process has served ANNOUNCE_AFTER_MS: a
 * process that serves for a moment (the parent of a daemon, which exits
 * right after its fork; `postgres -V`, which pg_ctl runs before the
 * postmaster) leaves without a word, so one line names the process that
 * serves. Port 0 is announced at once: nobody knows the port otherwise. */
#define ANNOUNCE_AFTER_MS 1000
static char announce_line[320];
static pid_t announce_pid;

static int port_is_zero(const char *addr)
{
    size_t n = strlen(addr);
    return n >= 2 && addr[n - 1] == '0' && addr[n - 2] == ':';
}

static void *announce_later(void *unused)
{
    (void)unused;
    heap_thread_set_internal(1);
    struct timespec ts = {ANNOUNCE_AFTER_MS / 1000, (ANNOUNCE_AFTER_MS % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    if (listener_running && announce_pid == getpid())
        cprof_log("%s", announce_line);
    return NULL;
}

/* Say "pid N serving URL": at once, or with later from a detached thread
 * of ours (program signals blocked) after ANNOUNCE_AFTER_MS, if still
 * serving then. */
static void announce(const cprof_settings *s, const char *bound, int later)
{
    snprintf(announce_line, sizeof announce_line, "pid %d serving %s://%s%s/", (int)getpid(),
             scheme(s), bound, CPROF_PREFIX);
    announce_pid = getpid();
    pthread_attr_t attr;
    pthread_t t;
    if (later && pthread_attr_init(&attr) == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int rc = own_thread_create(&t, &attr, announce_later, NULL);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            return;
    }
    cprof_log("%s", announce_line);
}

/* The TCP listener of settings s. Quiet by default: the process that
 * serves says so in one line (announce); one whose fixed port is held by a profiled
 * parent (an exec'd child) says nothing unless verbose or named by
 * CPROF_PROGRAM. 0, or -1. */
static int start_listener(const cprof_settings *s)
{
    char bound[256];
    if (open_listener(s, bound, sizeof bound) != 0) {
        if (s->verbose || s->program == PROGRAM_THIS || !strstr(bound, "in use") ||
            !parent_is_profiled())
            cprof_log("pid %d: HTTP listener disabled: %s", (int)getpid(), bound);
        return -1;
    }
    announce(s, bound, s->program == PROGRAM_THIS || !port_is_zero(s->http_addr));
    return 0;
}

static void keep_settings(const cprof_settings *s)
{
    kept = *s;
    kept.tls_cert_pem = s->tls_cert_pem ? strdup(s->tls_cert_pem) : NULL;
    kept.tls_key_pem = s->tls_key_pem ? strdup(s->tls_key_pem) : NULL;
    kept_valid = !s->tls_cert_pem || (kept.tls_cert_pem && kept.tls_key_pem);
}

static void forget_settings(void)
{
    if (kept_valid)
        settings_free(&kept);
    kept_valid = 0;
}

static int start_listener_again(char *out, size_t out_len)
{
    pthread_mutex_lock(&start_lock);
    int rc = -2; /* stopped, or already serving: nothing to do */
    if (started && kept_valid && !listener_running && kept.http_addr[0]) {
        char bound[256];
        threads_mark_internal_creator(1);
        rc = open_listener(&kept, bound, sizeof bound);
        threads_mark_internal_creator(0);
        if (rc == 0)
            snprintf(out, out_len, "%s://%s%s/", scheme(&kept), bound, CPROF_PREFIX);
        else
            snprintf(out, out_len, "%s", bound);
    }
    pthread_mutex_unlock(&start_lock);
    return rc;
}

/* This process's Unix socket (proc_socket.h); a failure is one line. */
static void open_socket(void)
{
    char err[300];
    if (proc_socket_open(err, sizeof err) != 0)
        cprof_log("pid %d: no Unix socket: %s", (int)getpid(), err);
    else if (verbose)
        cprof_log("pid %d serving unix:%s", (int)getpid(), proc_socket_path());
}

static int start_with(const cprof_settings *s)
{
    pthread_mutex_lock(&start_lock);
    if (started) {
        pthread_mutex_unlock(&start_lock);
        cprof_log("cprof_start called twice; ignored");
        return -1;
    }
    started = 1;
    /* Our own set-up allocations (listener threads, buffers) are not the
     * program's: keep them out of its profile. */
    int was_internal = heap_internal_enter();
    heap_sampler_set_seed(s->seed);
    heap_sampler_set_rate(s->heap_rate);
    contention_set_mutex_rate(s->mutex_rate);
    contention_set_block_rate(s->block_rate);
    profile_set_max_seconds(s->max_seconds);
    cpu_set_signal(s->cpu_signal);
    threads_capture_set_signal(s->dump_signal);
    symbolize_set_cache_budget((size_t)s->symbol_cache_mb << 20);
    http_merge_set_budget((size_t)s->merge_max_kb << 10);
    symbolize_set_mode(s->symbolize);
    threads_capture_start();
    /* CPROF_PROGRAM names the service: a wrapper it does not name pushes
     * nothing either. The agent starts first, so that a file profile with
     * no CPROF_CPU_HZ takes its rate and shares its timers. */
    if (s->push_url[0] && s->program != PROGRAM_OTHER)
        push_agent_start(&(push_config){.url = s->push_url,
                                        .service = s->push_service,
                                        .labels = s->push_labels,
                                        .interval = s->push_interval,
                                        .hz = s->push_hz,
                                        .token = s->push_token,
                                        .tenant = s->push_tenant,
                                        .cacert = s->push_cacert});
    if (s->cpu_profile[0])
        cprof_cpu_start(s->cpu_profile, s->cpu_hz);
    int rc = 0;
    /* The listener's threads, and the threads they start, are ours. */
    threads_mark_internal_creator(1);
    follow_fork = s->follow_fork;
    unix_socket_on = s->unix_socket;
    verbose = s->verbose;
    if (unix_socket_on)
        open_socket();
    if (s->http_addr[0]) {
        rc = start_listener(s);
        if (rc == 0)
            keep_settings(s);
    }
    threads_mark_internal_creator(0);
    heap_internal_leave(was_internal);
    pthread_mutex_unlock(&start_lock);
    return rc;
}

EXPORT int cprof_start(const cprof_config *config)
{
    cprof_settings s;
    if (config)
        settings_from_config(config, &s);
    else
        settings_from_env(&s);
    int rc = start_with(&s);
    settings_free(&s); /* the listener keeps its own copies */
    return rc;
}

EXPORT void cprof_stop(void)
{
    pthread_mutex_lock(&start_lock);
    if (listener_running) {
        int was_internal = heap_internal_enter();
        http_listener_stop();
        heap_internal_leave(was_internal);
        listener_running = 0;
        bound_address[0] = 0;
    }
    {
        int was_internal = heap_internal_enter();
        proc_socket_close();
        heap_internal_leave(was_internal);
    }
    unix_socket_on = 0;
    push_agent_stop(0);
    forget_settings();
    heap_sampler_set_rate(0);
    contention_set_mutex_rate(0);
    contention_set_block_rate(0);
    started = 0;
    pthread_mutex_unlock(&start_lock);
}

EXPORT const char *cprof_http_address(void)
{
    return listener_running ? bound_address : NULL;
}

/* ---- the program takes one of our descriptor numbers (own_fds.c) ---- */

static int stepped_aside_tcp, stepped_aside_unix;

/* own_fds owner: stop both servers before the program's dup2/dup3 onto fd
 * (one of their descriptors), holding start_lock until reclaim. */
static void relinquish_descriptors(int fd)
{
    (void)fd;
    int saved = errno;
    pthread_mutex_lock(&start_lock);
    int was_internal = heap_internal_enter();
    stepped_aside_tcp = listener_running;
    stepped_aside_unix = proc_socket_path() != NULL;
    if (stepped_aside_tcp) {
        http_listener_stop();
        listener_running = 0;
    }
    if (stepped_aside_unix)
        proc_socket_close();
    heap_internal_leave(was_internal);
    errno = saved;
}

/* own_fds owner: after the program's call, serve again on fresh descriptors
 * (the TCP listener on the port it had) and say so in one line. */
static void reclaim_descriptors(int fd)
{
    int saved = errno;
    int was_internal = heap_internal_enter();
    threads_mark_internal_creator(1);
    if (stepped_aside_unix)
        open_socket();
    if (stepped_aside_tcp && kept_valid) {
        cprof_settings again = kept;
        char previous[256], bound[256];
        snprintf(previous, sizeof previous, "%s", bound_address);
        snprintf(again.http_addr, sizeof again.http_addr, "%s", previous);
        int rc = open_listener(&again, bound, sizeof bound);
        if (rc != 0 && strcmp(previous, kept.http_addr) != 0)
            rc = open_listener(&kept, bound, sizeof bound); /* the configured address */
        if (rc == 0)
            cprof_log("pid %d: the program took descriptor %d (dup2); serving again on %s://%s%s/",
                      (int)getpid(), fd, scheme(&kept), bound, CPROF_PREFIX);
        else
            cprof_log("pid %d: the program took descriptor %d (dup2); HTTP listener disabled: %s",
                      (int)getpid(), fd, bound);
    }
    threads_mark_internal_creator(0);
    heap_internal_leave(was_internal);
    stepped_aside_tcp = stepped_aside_unix = 0;
    pthread_mutex_unlock(&start_lock);
    errno = saved;
}

static const own_fds_owner descriptor_owner = {relinquish_descriptors, reclaim_descriptors};

/* ---- fork ---- */

static void atfork_prepare(void)
{
    parent_pid = getpid();
    heap_sampler_atfork_prepare();
}

static void atfork_parent(void)
{
    heap_sampler_atfork_parent();
}

/* Decimal formatting without stdio: the child of a multithreaded fork may
 * only use async-signal-safe functions until it execs. */
static char *format_pid(char *end, long v)
{
    *--end = 0;
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* "pid N (forked from P) has no HTTP listener", with CPROF_VERBOSE=1 only:
 * a worker is reachable over its Unix socket and stays quiet. */
static void say_no_listener(pid_t parent)
{
    if (!verbose)
        return;
    char a[24], b[24];
    const char *parts[] = {"cprof: pid ", format_pid(a + sizeof a, getpid()), " (forked from ",
                           format_pid(b + sizeof b, parent),
                           ") has no HTTP listener; exec gives a child its own\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        ssize_t ignored = write(STDERR_FILENO, parts[i], strlen(parts[i]));
        (void)ignored;
    }
}

static void say_child_has_no_listener(void)
{
    say_no_listener(parent_pid);
}

/* The forked child's first allocation (heap_sampler_call_soon), its
 * first wait for work (epoll_wait, semop, sigwait...: threads_blocking.c),
 * its first async-signal-safe wait (poll, accept, pause, nanosleep...) made
 * in the signal context it forked in (never in a handler:
 * blocking_child_start_armed), or its next fork (the fork interposer),
 * whichever comes first, in ordinary context: its own Unix socket, then the
 * daemon watcher or the "no listener" line. A child that execs or unshares
 * before any of them does neither (it stays single-threaded): the
 * constructor starts an exec'd one afresh. */
static void child_first_allocation(void)
{
    pthread_mutex_lock(&start_lock);
    if (started && unix_socket_on) {
        int was_internal = heap_internal_enter();
        threads_mark_internal_creator(1);
        open_socket();
        threads_mark_internal_creator(0);
        heap_internal_leave(was_internal);
    }
    pthread_mutex_unlock(&start_lock);
    if (fork_follow_pending())
        fork_follow_start();
    else if (child_says_no)
        say_child_has_no_listener();
    child_says_no = 0;
}

static void atfork_child(void)
{
    heap_sampler_atfork_child();
    pthread_mutex_init(&start_lock, NULL);
    proc_socket_forget_in_child();
    http_listener_forget_in_child();
    child_says_no = 0;
    /* Serving, or still waiting to know whether to (a double fork's first
     * child forks again before deciding). */
    if (listener_running || fork_follow_pending()) {
        if (listener_running)
            endpoint_origin = parent_pid;
        listener_running = 0;
        bound_address[0] = 0;
        if (follow_fork)
            fork_follow_child(parent_pid, endpoint_origin);
        else
            child_says_no = 1;
    }
    if (fork_follow_pending() || child_says_no || (started && unix_socket_on)) {
        heap_sampler_call_soon(child_first_allocation);
        blocking_child_start_armed();
    }
}

static int loaded_by_preload(void)
{
    const char *preload = getenv("LD_PRELOAD");
    return preload && strstr(preload, "libcprof") != NULL;
}

__attribute__((constructor(101))) static void cprof_library_init(void)
{
    heap_hooks_init();
    /* libgcc's unwinder, loaded here rather than by a hook's first capture
     * (dlopen in a malloc hook). */
    unwind_signal_init();
    own_fds_init();
    /* Nothing we open here may be 0, 1 or 2 (own_fds.c). */
    int std_held[3];
    own_fds_hold_std(std_held);
    own_fds_adopt_libunwind_pipe();
    own_fds_set_owner(&descriptor_owner);
    fork_follow_init(&(fork_follow_ops){start_listener_again, say_no_listener});
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    if (loaded_by_preload())
        cprof_start(NULL);
    own_fds_release_std(std_held);
}
