/*
 * own_threads.c — the one place cprof's threads get their signal mask and
 * their "profiler's own" marks.
 *
 * A process-directed signal (kill -USR1 pid, SIGCHLD, SIGTERM, SIGQUIT) is
 * delivered to any one thread that does not block it. The library starts
 * its threads from the constructor, before main() has a chance to block
 * anything, so a thread of ours with an open mask takes the program's
 * signals: a "block everything in main, sigwait in one thread" daemon is
 * killed by a SIGUSR1 whose default action runs on our thread, and a
 * master waiting in sigsuspend for SIGCHLD never sees it (nginx). Our
 * threads therefore block every signal the program could get, and they
 * are created with the mask already set (a thread inherits its creator's
 * mask), since a mask set by the new thread itself leaves a window where
 * the signal can land.
 *
 * Left unblocked:
 *   - the synchronous fault signals: the kernel delivers a fault to the
 *     faulting thread, and a blocked one makes it reset the program's
 *     handler (crash reporters) to the default first;
 *   - the thread-dump signal (threads_capture.c): it is cprof's own, its
 *     handler only answers cprof's dumps, and it lets the threads profile
 *     show the profiler's stacks as before.
 * The CPU profiler's signal stays blocked: our threads get no CPU timer
 * (cpu_sampler.c), their CPU use is reported apart.
 */
#include "own_threads.h"

#include "heap/heap.h"
#include "threads/threads.h"

void own_threads_mask(sigset_t *out)
{
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    sigfillset(out);
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        sigdelset(out, faults[i]);
    int dump = threads_capture_signal();
    if (dump > 0)
        sigdelset(out, dump);
}

void own_threads_enter(own_scope *s)
{
    sigset_t mask;
    own_threads_mask(&mask);
    pthread_sigmask(SIG_SETMASK, &mask, &s->saved_mask);
    s->heap_internal = heap_internal_enter();
    s->creator_internal = threads_mark_internal_creator(1);
}

void own_threads_leave(const own_scope *s)
{
    threads_mark_internal_creator(s->creator_internal);
    heap_internal_leave(s->heap_internal);
    pthread_sigmask(SIG_SETMASK, &s->saved_mask, NULL);
}

int own_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    own_scope s;
    own_threads_enter(&s);
    int rc = pthread_create(t, attr, fn, arg);
    own_threads_leave(&s);
    return rc;
}
