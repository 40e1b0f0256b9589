/*
 * fork_follow.c — the HTTP endpoint follows a process that daemonizes.
 *
 * A classic C daemon daemonizes after start-up without exec: fork(), the
 * parent exits, the child setsid()s, often forks again and the grandchild
 * runs the service (redis-server --daemonize yes, daemon(3)). Threads do
 * not survive fork, so the listener started by the constructor stays with
 * the parent, which then exits. Pre-fork servers are the opposite case: the
 * master stays and its workers must never grab or fight over the port.
 *
 * The rule: a forked child that inherited the duty to serve (its parent
 * served, or was itself still waiting to know) takes the endpoint over when
 * its parent exits soon after the fork — the parent is gone when getppid()
 * no longer returns the pid recorded before fork (reparented to init or a
 * subreaper). A child whose parent is still there after the watch window
 * is a worker and never binds.
 *
 * How, step by step:
 *   - atfork child handler (async-signal-safe only): fork_follow_child()
 *     records the parent; preload.c has the heap sampler call
 *     fork_follow_start at this process's next allocation (after opening
 *     the child's own Unix socket; heap_sampler_call_soon) — or its first
 *     epoll_wait/semop/msgrcv/sigwait, or its first poll/select/accept/
 *     pause/sigsuspend/sleep made with the signal mask it forked with and
 *     off the alternate stack, i.e. not in a signal handler
 *     (threads_blocking.c), or its next fork() (fork_hook.c), whichever
 *     comes first — i.e. in ordinary context, outside any lock of ours
 *     (the pending call runs
 *     before the sampler's recursion guard is looked at, and pthread_create
 *     re-enters malloc only through the hooks' normal path). A child that
 *     execs straight away never allocates before exec: it stays quiet and
 *     starts afresh through the constructor.
 *   - start_watcher creates one small detached thread of the profiler's
 *     (own_thread_create: its allocations stay out of the heap profile,
 *     the threads profile shows it as "cprof internal", named
 *     cprof-follow, and the program's signals are blocked in it from its
 *     first instruction; the listener it may start inherits that mask,
 *     as when the constructor starts it). It polls getppid()
 *     every 100 ms for 3 s, then every 500 ms up to WATCH_WINDOW_MS.
 *     Polling is chosen over PR_SET_PDEATHSIG because a signal could reach
 *     the program's own handlers or masks; getppid() disturbs nothing.
 *   - Parent gone on two polls in a row: take over. The second poll lets
 *     the intermediate child of a double fork, which forks and exits at
 *     once, leave without binding: only the grandchild serves. The listener
 *     starts with the settings the library started with (address, token,
 *     TLS); a fixed port is retried on "in use" with backoff for up to
 *     BIND_RETRY_MS (the old owner may still hold it), port 0 binds a fresh
 *     port. One line either way: "pid N serving URL (daemonized from P)" or
 *     why not.
 *   - Parent still there after 1 s: the child is a worker; it says once
 *     that it has no listener (the same line as CPROF_FOLLOW_FORK=off, only
 *     later, so short-lived helper children stay quiet; preload.c prints
 *     it with CPROF_VERBOSE=1 only). If the parent
 *     exits before the window ends the child still takes over.
 *   - A fork while undecided passes the duty on (the double fork's
 *     grandchild). After the window the duty is dropped: a master that
 *     dies late does not make its workers race for the port.
 *
 * Limits: a child that never allocates, forks or makes an interposed wait
 * (or waits only inside signal handlers, or changed its signal mask other
 * than with sigprocmask/pthread_sigmask before waiting in poll and the
 * like: threads_blocking.c) never starts its watcher; a daemon whose
 * parent lingers longer than WATCH_WINDOW_MS after the fork is treated as
 * a worker.
 */
#include "fork_follow.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "heap/heap.h"
#include "own_threads.h"

#define WATCH_WINDOW_MS 10000
#define FAST_POLL_FOR_MS 3000
#define FAST_POLL_MS 100
#define SLOW_POLL_MS 500
#define WORKER_AFTER_MS 1000
#define BIND_RETRY_MS 5000
#define WATCHER_STACK (256 * 1024) /* room for MHD and TLS set-up */

static fork_follow_ops ops;
static volatile sig_atomic_t duty_pending;
static volatile pid_t watched_parent;
static volatile pid_t served_by; /* named in the take-over line */

void fork_follow_init(const fork_follow_ops *o)
{
    ops = *o;
}

int fork_follow_pending(void)
{
    return duty_pending;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void take_over(void)
{
    /* This thread was born with a profiler thread's mask (own_threads.c):
     * the listener's threads inherit it. */
    int origin = (int)served_by;
    char out[320];
    int delay = 50, waited = 0, rc;
    while ((rc = ops.start_again(out, sizeof out)) == -1 && strstr(out, "in use") &&
           waited < BIND_RETRY_MS) {
        sleep_ms(delay);
        waited += delay;
        delay = delay * 2 > 500 ? 500 : delay * 2;
    }
    if (rc == 0)
        cprof_log("pid %d serving %s (daemonized from %d)", (int)getpid(), out, origin);
    else if (rc == -1)
        cprof_log("pid %d (daemonized from %d): HTTP listener disabled: %s", (int)getpid(), origin,
                  out);
    /* rc == -2: the program stopped cprof or started a listener itself. */
}

static void *watch(void *unused)
{
    (void)unused;
    heap_thread_set_internal(1);
    prctl(PR_SET_NAME, "cprof-follow");
    pid_t parent = watched_parent;
    int gone_polls = 0, told = 0;
    for (int waited = 0; waited < WATCH_WINDOW_MS;) {
        int step = waited < FAST_POLL_FOR_MS ? FAST_POLL_MS : SLOW_POLL_MS;
        sleep_ms(step);
        waited += step;
        if (getppid() != parent) {
            if (++gone_polls < 2)
                continue;
            take_over();
            duty_pending = 0;
            return NULL;
        }
        if (!told && waited >= WORKER_AFTER_MS) {
            told = 1;
            ops.say_no_listener(parent);
        }
    }
    duty_pending = 0;
    return NULL;
}

void fork_follow_start(void)
{
    pthread_attr_t attr;
    pthread_t t;
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, WATCHER_STACK);
        rc = own_thread_create(&t, &attr, watch, NULL);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        duty_pending = 0;
        cprof_log("pid %d (forked from %d): cannot watch whether it daemonizes (%s); no HTTP "
                  "listener",
                  (int)getpid(), (int)watched_parent, strerror(rc));
    }
}

void fork_follow_child(pid_t parent, pid_t origin)
{
    if (!ops.start_again || !ops.say_no_listener)
        return;
    watched_parent = parent;
    served_by = origin;
    duty_pending = 1;
}
