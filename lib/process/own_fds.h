/*
 * own_fds.h — cprof's own file descriptors (the listening socket, the HTTP
 * server's wake-up eventfd, its connections) kept out of the program's
 * reach: a close() of one by the program is a no-op that succeeds. See
 * own_fds.c.
 */
#ifndef CPROF_OWN_FDS_H
#define CPROF_OWN_FDS_H

/* Resolve the real close and close_range (the library constructor, once;
 * before that the interposers make the system calls themselves). */
void own_fds_init(void);
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
