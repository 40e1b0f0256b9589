/*
 * proc_tree.c — see proc_tree.h.
 *
 * Design: nothing is registered. A process that has libcprof serves
 * PID.sock in the runtime directory from its start (proc_socket.c), so the
 * directory is the list of profiled processes of this user; /proc/PID/stat
 * gives each one's parent, and a pid is ours when following parents from it
 * reaches this process. An unprofiled process in between (a shell that
 * forked a profiled child) does not break the chain: parents are read from
 * /proc, not from the sockets. A socket file whose process is gone (or is
 * a zombie) is skipped. Everything is read afresh on each call: the tree of
 * a pre-fork server changes (nginx -s reload replaces its workers), and a
 * request is rare.
 */
#include "proc_tree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc_stat.h"
#include "common/rundir.h"

#define MAX_DEPTH 64 /* parent links followed from a socket's pid */

/* The depth of pid below this process (1 for a child), or -1 when it is
 * not a live descendant. *st gets pid's own stat. */
static int depth_below_us(long pid, proc_stat *st)
{
    long self = (long)getpid();
    if (proc_stat_read(pid, st) != 0 || st->state == 'Z' || st->state == 'X')
        return -1;
    long p = st->ppid;
    for (int depth = 1; depth <= MAX_DEPTH && p > 1; depth++) {
        if (p == self)
            return depth;
        proc_stat up;
        if (proc_stat_read(p, &up) != 0)
            return -1;
        p = up.ppid;
    }
    return -1;
}

static void fill_entry(proc_tree_entry *e, long pid, const proc_stat *st, int depth)
{
    memset(e, 0, sizeof *e);
    e->pid = pid;
    e->ppid = st->ppid;
    e->depth = depth;
    e->threads = st->num_threads;
    snprintf(e->comm, sizeof e->comm, "%s", st->comm);
    char path[64], exe[4096];
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    ssize_t len = readlink(path, exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    const char *slash = strrchr(exe, '/');
    const char *name = slash ? slash + 1 : exe;
    size_t n = strnlen(name, sizeof e->program - 1);
    memcpy(e->program, name, n);
    e->program[n] = 0;
}

/* Append to out, from index k, the entries hanging from parent (up[i]:
 * entry i's nearest listed ancestor), each followed by its own subtree;
 * siblings by pid. Returns the new length. */
static size_t place(const proc_tree_entry *in, const long *up, size_t n, long parent, int *used,
                    proc_tree_entry *out, size_t k)
{
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && up[i] == parent && (best == n || in[i].pid < in[best].pid))
                best = i;
        if (best == n)
            return k;
        used[best] = 1;
        out[k++] = in[best];
        k = place(in, up, n, in[best].pid, used, out, k);
    }
}

/* Entry i's nearest ancestor among in[0..n) (in[0] is this process, an
 * ancestor of all): unprofiled processes in between are skipped. */
static long nearest_listed(const proc_tree_entry *in, size_t n, size_t i)
{
    long p = in[i].ppid;
    for (int guard = 0; guard < MAX_DEPTH; guard++) {
        for (size_t j = 0; j < n; j++)
            if (in[j].pid == p)
                return p;
        proc_stat up;
        if (proc_stat_read(p, &up) != 0)
            break;
        p = up.ppid;
    }
    return in[0].pid;
}

/* This process's entry, then one per socket file of a descendant in the
 * runtime directory: a malloc'd array (length in *n), NULL when out of
 * memory. */
static proc_tree_entry *collect(size_t *n)
{
    size_t cap = 16, count = 0;
    proc_tree_entry *found = malloc(cap * sizeof *found);
    proc_stat st;
    if (!found || proc_stat_read((long)getpid(), &st) != 0) {
        free(found);
        return NULL;
    }
    fill_entry(&found[count++], (long)getpid(), &st, 0);
    char dir[256];
    DIR *d = rundir_path(dir, sizeof dir) == 0 ? opendir(dir) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        long pid = rundir_socket_pid(de->d_name);
        int depth = pid > 0 && pid != (long)getpid() ? depth_below_us(pid, &st) : -1;
        if (depth < 0)
            continue;
        if (count == cap) {
            proc_tree_entry *bigger = realloc(found, 2 * cap * sizeof *found);
            if (!bigger)
                break;
            found = bigger;
            cap *= 2;
        }
        fill_entry(&found[count++], pid, &st, depth);
    }
    if (d)
        closedir(d);
    *n = count;
    return found;
}

proc_tree_entry *proc_tree_list(size_t *n)
{
    *n = 0;
    size_t count = 0;
    proc_tree_entry *found = collect(&count);
    if (!found)
        return NULL;
    proc_tree_entry *sorted = malloc(count * sizeof *sorted);
    int *used = calloc(count, sizeof *used);
    long *up = malloc(count * sizeof *up);
    if (sorted && used && up) {
        up[0] = -1;
        for (size_t i = 1; i < count; i++)
            up[i] = nearest_listed(found, count, i);
        *n = place(found, up, count, -1, used, sorted, 0);
    } else {
        free(sorted);
        sorted = NULL;
    }
    free(used);
    free(up);
    free(found);
    return sorted;
}

int proc_tree_socket_of(long pid, char *out, size_t cap)
{
    proc_stat st;
    char dir[256];
    if (pid <= 0 || pid == (long)getpid() || depth_below_us(pid, &st) < 0 ||
        rundir_path(dir, sizeof dir) != 0 || rundir_socket_path(dir, pid, out, cap) != 0)
        return -1;
    return access(out, F_OK) == 0 ? 0 : -1;
}
