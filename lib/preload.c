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
 * (threads do not survive fork); it closes the inherited listening socket
 * and says so in one line at its first allocation, so a child that execs
 * straight away (the common fork+exec) stays quiet here: it starts afresh
 * through the constructor and binds its own port, or says why it cannot.
 */
#include "config.h"
#include "cpu.h"
#include "cprof.h"
#include "heap.h"
#include "http.h"
#include "threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static int started;
static volatile int listener_running;
static char bound_address[256];
static pid_t parent_pid;

static int port_is_zero(const char *addr)
{
    size_t n = strlen(addr);
    return n >= 2 && addr[n - 1] == '0' && addr[n - 2] == ':';
}

static int start_listener(const cprof_settings *s)
{
    char bound[256];
    http_listener_options o = {
        .addr = s->http_addr,
        .prefix = CPROF_PREFIX,
        .token = s->token,
        .allow_insecure = s->allow_insecure,
        .tls_cert_pem = s->tls_cert_pem,
        .tls_key_pem = s->tls_key_pem,
    };
    if (http_listener_start_with(&o, bound, sizeof bound) != 0) {
        cprof_log("pid %d: HTTP listener disabled: %s", (int)getpid(), bound);
        return -1;
    }
    strcpy(bound_address, bound);
    listener_running = 1;
    if (port_is_zero(s->http_addr))
        cprof_log("pid %d serving %s://%s%s/", (int)getpid(), s->tls_cert_pem ? "https" : "http",
                  bound, CPROF_PREFIX);
    return 0;
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
    heap_thread_set_internal(1);
    heap_sampler_set_seed(s->seed);
    heap_sampler_set_rate(s->heap_rate);
    threads_capture_start();
    cpu_start_from_env();
    int rc = 0;
    /* The listener's threads, and the threads they start, are ours. */
    threads_mark_internal_creator(1);
    if (s->http_addr[0])
        rc = start_listener(s);
    threads_mark_internal_creator(0);
    heap_thread_set_internal(0);
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
        heap_thread_set_internal(1);
        http_listener_stop();
        heap_thread_set_internal(0);
        listener_running = 0;
        bound_address[0] = 0;
    }
    heap_sampler_set_rate(0);
    started = 0;
    pthread_mutex_unlock(&start_lock);
}

EXPORT const char *cprof_http_address(void)
{
    return listener_running ? bound_address : NULL;
}

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

static void say_child_has_no_listener(void)
{
    char a[24], b[24];
    const char *parts[] = {"cprof: pid ", format_pid(a + sizeof a, getpid()), " (forked from ",
                           format_pid(b + sizeof b, parent_pid),
                           ") has no HTTP listener; exec gives a child its own\n"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        ssize_t ignored = write(STDERR_FILENO, parts[i], strlen(parts[i]));
        (void)ignored;
    }
}

static void atfork_child(void)
{
    heap_sampler_atfork_child();
    pthread_mutex_init(&start_lock, NULL);
    if (listener_running) {
        http_listener_forget_in_child();
        listener_running = 0;
        bound_address[0] = 0;
        heap_sampler_call_soon(say_child_has_no_listener);
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
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    if (loaded_by_preload())
        cprof_start(NULL);
}
