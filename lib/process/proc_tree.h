/*
 * proc_tree.h — this process and its descendants that have libcprof: the
 * tree /debug/pprof/procs lists and ?pid=N reaches. Found by their sockets
 * in this user's runtime directory (common/rundir.h) and the parent links
 * of /proc; a descendant whose socket is elsewhere (it changed user, or
 * CPROF_SOCKET=off) is not in it.
 */
#ifndef CPROF_PROC_TREE_H
#define CPROF_PROC_TREE_H

#include <stddef.h>

typedef struct proc_tree_entry {
    long pid, ppid;
    int depth;        /* 0: this process; 1: its profiled children; ... */
    long threads;     /* from /proc/PID/stat */
    char comm[64];    /* the kernel's name (nginx shows "nginx", workers too) */
    char program[64]; /* the executable's last path component */
} proc_tree_entry;

/* This process first, then each descendant with a socket, depth-first in
 * pid order (a child right after its nearest profiled ancestor). A malloc'd
 * array the caller frees, its length in *n; NULL when out of memory. */
proc_tree_entry *proc_tree_list(size_t *n);

/* The socket path of pid when pid is a descendant of this process (not this
 * process itself) with a socket in the runtime directory: 0 with the path
 * in out, or -1 (not a descendant, no socket, or the path does not fit). */
int proc_tree_socket_of(long pid, char *out, size_t cap);

#endif
