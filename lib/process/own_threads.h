/*
 * own_threads.h — how cprof starts a thread of its own (the HTTP listener
 * and its connection threads, the fork follower, the CPU file drainer, the
 * embedding API's async jobs): with every signal of the program blocked
 * from its first instruction, and marked as the profiler's. See
 * own_threads.c.
 */
#ifndef CPROF_OWN_THREADS_H
#define CPROF_OWN_THREADS_H

#include <pthread.h>
#include <signal.h>

/* What own_threads_enter changed on the calling thread, to put back. */
typedef struct own_scope {
    sigset_t saved_mask;
    int heap_internal;    /* heap_thread_is_internal() before */
    int creator_internal; /* threads_mark_internal_creator's setting before */
} own_scope;

/* From here until own_threads_leave, every thread the calling thread
 * creates (directly, or inside a library such as libmicrohttpd) is born
 * with the mask own_threads_mask gives, and belongs to the profiler (out
 * of the heap profile, "cprof internal" in the threads profile, no CPU
 * timer). The calling thread's own allocations meanwhile are the
 * profiler's too. Never fails. */
void own_threads_enter(own_scope *s);
void own_threads_leave(const own_scope *s);

/* The mask of a profiler thread: everything blocked except the
 * synchronous fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
 * SIGSYS: blocked, the kernel would reset the program's handler to the
 * default before delivering one) and the thread-dump signal (so a dump
 * still shows the profiler's own stacks). */
void own_threads_mask(sigset_t *out);

/* pthread_create inside an own_threads scope. Returns pthread_create's
 * result. */
int own_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

#endif
