/*
 * proc_socket.h — every process with libcprof loaded serves /debug/pprof on
 * its own Unix-domain socket, PID.sock in the per-user runtime directory
 * (common/rundir.h), whether or not it has a TCP listener: no port to fight
 * over. The directory is 0700 and the socket 0600: the file mode is the
 * access control, so no token is asked there.
 */
#ifndef CPROF_PROC_SOCKET_H
#define CPROF_PROC_SOCKET_H

#include <stddef.h>

/* Create the directory if needed (refusing one that is a symlink, not
 * ours, or open to others), sweep the sockets of dead pids, bind PID.sock
 * (0600) and serve it. 0, or -1 with a one-line reason in err. Removal at
 * exit is registered the first time. */
int proc_socket_open(char *err, size_t err_len);
/* Stop serving and remove this process's socket file (only if this
 * process made it). Safe to call when none is open. */
void proc_socket_close(void);
/* In a pthread_atfork child handler (async-signal-safe): forget the
 * parent's socket without removing its file (the parent still serves it). */
void proc_socket_forget_in_child(void);
/* This process's socket path, or NULL when it has none. */
const char *proc_socket_path(void);

#endif
