/*
 * fork_follow.h — the HTTP endpoint follows a process that daemonizes
 * (fork, the parent exits) without exec. See fork_follow.c.
 */
#ifndef CPROF_FORK_FOLLOW_H
#define CPROF_FORK_FOLLOW_H

#include <stddef.h>
#include <sys/types.h>

/* In a pthread_atfork child handler (async-signal-safe): this process
 * inherited from `parent` the duty to serve the endpoint that `origin`
 * served, but not its listener. Arms the watcher; the caller has
 * fork_follow_start run at the child's next allocation. */
void fork_follow_child(pid_t parent, pid_t origin);

/* Whether this process still waits to learn if it should serve (a fork
 * of it passes the duty on). */
int fork_follow_pending(void);

/* At the child's first allocation after fork_follow_child (ordinary
 * context, heap_sampler_call_soon): start the watcher thread. */
void fork_follow_start(void);

/* What the owner of the listener (preload.c) does for the watcher, given
 * once by the library constructor:
 *   start_again: start this process's listener with the settings the
 *     library started with; 0 serving (its URL in out), -1 with a one-line
 *     reason in out, -2 nothing to do (stopped, or already serving);
 *   say_no_listener: the "pid N (forked from P) has no HTTP listener" line. */
typedef struct fork_follow_ops {
    int (*start_again)(char *out, size_t out_len);
    void (*say_no_listener)(pid_t parent);
} fork_follow_ops;
void fork_follow_init(const fork_follow_ops *ops);

#endif
