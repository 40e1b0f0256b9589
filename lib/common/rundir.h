/*
 * rundir.h — the per-user runtime directory where every process that has
 * libcprof loaded keeps its Unix domain socket, PID.sock: the library
 * creates and sweeps it (lib/process/proc_socket.c), `cprof ps` and the
 * pid:N sources read it. One definition of where it is and when it is safe.
 */
#ifndef CPROF_RUNDIR_H
#define CPROF_RUNDIR_H

#include <stddef.h>
#include <sys/types.h>

/* The directory of this user: "$XDG_RUNTIME_DIR/cprof" when that variable
 * is an absolute path, otherwise "/tmp/cprof-UID" (UID = effective uid).
 * Written into out; 0, or -1 when it does not fit in cap. */
int rundir_path(char *out, size_t cap);

/* 0 when dir is a real directory (not a symlink) owned by the effective
 * user with no group or other permission bits; -1 with errno otherwise
 * (ENOTDIR, EPERM, or lstat's). With create, a missing one is made 0700
 * first. */
int rundir_check(const char *dir, int create);

/* The socket path of process pid in dir, "DIR/PID.sock"; 0, or -1 when it
 * does not fit in cap. */
int rundir_socket_path(const char *dir, long pid, char *out, size_t cap);

/* The pid of a socket file name "PID.sock", or -1 if name is not one. */
long rundir_socket_pid(const char *name);

#endif
