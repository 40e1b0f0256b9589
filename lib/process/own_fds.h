/*
 * own_fds.h — cprof's own file descriptors (the listening socket, the HTTP
 * server's wake-up eventfd, its connections) kept out of the program's
 * reach: a close() of one by the program is a no-op that succeeds. See
 * own_fds.c.
 */
#ifndef CPROF_OWN_FDS_H
#define CPROF_OWN_FDS_H

/* Resolve the real close, close_range, dup2 and dup3 and note this
 * process as the owner (the library constructor, once; before that the
 * interposers make the system calls themselves). */
void own_fds_init(void);

/* Who steps aside when the program dup2s/dup3s onto one of the marked
 * numbers: relinquish(fd) stops everything that uses marked descriptors
 * (their closes are real), reclaim(fd) starts it again after the program's
 * call. Both run on the program's thread, must keep errno, and may block
 * for as long as stopping the servers takes. */
typedef struct own_fds_owner {
    void (*relinquish)(int fd);
    void (*reclaim)(int fd);
} own_fds_owner;
/* Install o (static storage; NULL: none). */
void own_fds_set_owner(const own_fds_owner *o);

/* Put /dev/null on each of 0, 1 and 2 that is closed, so descriptors opened
 * until own_fds_release_std are never standard ones; held[i] is i when
 * held, else -1. */
void own_fds_hold_std(int held[3]);
/* Close what own_fds_hold_std put there. */
void own_fds_release_std(const int held[3]);
/* Mark fd as cprof's (fds >= OWN_FDS_LIMIT are never marked). */
void own_fd_add(int fd);
/* 1 when fd is marked as cprof's. */
int own_fd_is(int fd);
/* Close one of cprof's descriptors from any thread (the program's ones
 * included, e.g. in a fork child) and unmark it. close()'s result. */
int own_fd_close(int fd);
/* In a fork child (async-signal-safe): the parent's descriptors are not
 * this process's to keep; unmark them all. */
void own_fds_forget_all(void);

/* The descriptors open now (NULL when /proc is missing or out of memory);
 * own_fds_adopt_new frees it. */
typedef struct own_fds_snapshot own_fds_snapshot;
own_fds_snapshot *own_fds_snapshot_take(void);
/* Mark the descriptors opened since `before` whose /proc/self/fd link
 * starts with kind ("anon_inode:[eventfd]": libmicrohttpd's wake-up
 * descriptor, which it does not expose; "pipe:"), and free `before`. Only
 * exact while no other thread opens descriptors meanwhile. */
void own_fds_adopt_new(own_fds_snapshot *before, const char *kind);
/* Mark libunwind's memory-check pipe, opened by a first unwind here (the
 * library constructor, before the program has threads of its own). */
void own_fds_adopt_libunwind_pipe(void);

#define OWN_FDS_LIMIT 65536

#endif
