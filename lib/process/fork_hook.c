/*
 * fork_hook.c — fork(), interposed, for one thing: a forked child of ours
 * that forks again before it ever allocated or waited for work (nginx's
 * daemonized master forks its workers first thing) gets its Unix socket
 * and daemon watcher here (preload.c's child_first_allocation, left with
 * heap_sampler_call_soon), in ordinary context, before any fork handler
 * takes a lock. A pthread_atfork prepare handler cannot do it: prepare
 * handlers run in reverse order of registration, so the threads registry's
 * lock may already be held when ours runs, and starting the socket's
 * server creates threads. Then glibc's fork, handlers and all.
 *
 * Kept out of build/core.a (with the malloc hooks), so a unit test's own
 * fork() stays glibc's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "heap/heap.h"

#define EXPORT __attribute__((visibility("default")))

static _Atomic(pid_t (*)(void)) real_fork;

/* Resolve glibc's fork while the library loads, so fork() itself (which
 * POSIX lets a signal handler call) never goes through dlsym and its
 * loader lock. */
__attribute__((constructor(102))) static void fork_hook_init(void)
{
    atomic_store_explicit(&real_fork, (pid_t(*)(void))dlsym(RTLD_NEXT, "fork"),
                          memory_order_release);
}

/* Runs the pending child start-up if there is one, then glibc's fork.
 * fork's result; -1 with ENOSYS if the real fork cannot be found. */
EXPORT pid_t fork(void)
{
    pid_t (*real)(void) = atomic_load_explicit(&real_fork, memory_order_acquire);
    if (!real) { /* called by another library's constructor before ours */
        real = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
        atomic_store_explicit(&real_fork, real, memory_order_release);
    }
    if (heap_sampler_call_pending())
        heap_sampler_run_pending();
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real();
}
