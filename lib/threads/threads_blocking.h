/*
 * threads_blocking.h — where a thread blocked in a call a signal would cut
 * short is, recorded at the call, so a thread dump needs no signal for it
 * (threads_blocking.c; the collector side is in threads_capture.c).
 */
#ifndef CPROF_THREADS_BLOCKING_H
#define CPROF_THREADS_BLOCKING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "threads.h"

/* Ordinary context, once, before the first dump: the remote unwinder and
 * the process-wide barrier. 0, or -1 when blocked threads will be
 * signalled like the others (said on stderr). */
int blocking_init(void);

/* A dump of generation gen (non-zero) begins: from here on, a thread that
 * enters an interposed call waits until the dump has either seen it there
 * or delivered its signal. Ordinary context, dump lock held. */
void blocking_dump_begin(uint32_t gen);
/* tid's stack, taken without a signal when it sits inside an interposed
 * call: 1 with *out filled (status CAPTURE_OK), 0 when it is not in one
 * (running, or woke at every try): signal it. */
int blocking_dump_take(pid_t tid, thread_capture *out);
/* The dump is over: every waiting thread goes on. */
void blocking_dump_end(void);
/* In the dump signal's handler, on the thread that got it: its signal of
 * generation gen is handled, a call it enters now is safe.
 * Async-signal-safe. */
void blocking_signal_handled(uint32_t gen);
/* 1 when a caught signal would make the call sc describes fail with EINTR
 * or return early (signal(7): nanosleep, poll, epoll_wait, semop, a socket
 * with a receive timeout, ...), 0 when it restarts or the thread is not in
 * a call. May look at the socket sc's first argument names. */
int blocking_syscall_interrupts(const thread_syscall *sc);
/* Threads inside an interposed blocking call now (sleep, poll, epoll_wait,
 * ...: the calls whose site is recorded). A thread that left one by
 * longjmp or cancellation counts until its next call. No lock, no /proc. */
size_t blocking_count_waiting(void);
/* One thread inside an interposed blocking call (blocking_list_waiting). */
typedef struct blocking_now {
    pid_t tid;
    uint64_t seq;     /* the call's sequence number: equal across looks = the same call */
    const char *call; /* the interposed function: "poll", "epoll_wait", ... (static) */
} blocking_now;
/* The threads inside an interposed blocking call now, into out[0..cap)
 * (the trace's thread states). Lock-free, no /proc, no allocation: each
 * record read once, a moment's view. Returns how many there are (> cap:
 * only cap copied). */
size_t blocking_list_waiting(blocking_now *out, size_t cap);
/* The calling thread ends: its record goes back to the pool (threads_hooks.c's
 * thread-exit destructor). */
void blocking_thread_exit(void);
/* In a forked child's atfork handler, right after heap_sampler_call_soon
 * (async-signal-safe: two raw system calls, no lock): record the forking
 * thread's signal mask so that its async-signal-safe waits (poll, accept,
 * pause, nanosleep...) run the pending start-up when, and only when, the
 * thread is back in that context, never inside a signal handler. Does
 * nothing on the alternate signal stack. */
void blocking_child_start_armed(void);

#endif
