/*
 * proc_socket.c — see proc_socket.h. Owns this process's socket file: its
 * path, who made it (the pid, so a forked child's inherited exit handler
 * never removes its parent's file), its removal at exit, and the sweep of
 * stale files left by processes that died without removing theirs.
 */
#include "proc_socket.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/rundir.h"
#include "http/http.h"
#include "own_fds.h"

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static volatile pid_t sock_owner; /* the pid that made sock_path; 0 = none */
static int exit_hook_added;

const char *proc_socket_path(void)
{
    return sock_owner == getpid() ? sock_path : NULL;
}

/* Remove DIR/N.sock for every N that no longer exists. A pid that exists
 * but belongs to another user (EPERM) is alive: its file stays. */
static void sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = rundir_socket_pid(e->d_name);
        if (pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* At exit only the file goes: stopping the daemon would wait for its
 * connections, and a client in the middle of a long profile could hold
 * the exit up. The files of children that died before us without exit
 * handlers (killed workers, _exit) go too. An inherited handler in a forked
 * child does nothing. */
static void remove_at_exit(void)
{
    if (sock_owner != getpid())
        return;
    unlink(sock_path);
    char dir[sizeof sock_path];
    if (rundir_path(dir, sizeof dir) == 0)
        sweep_stale(dir);
}

int proc_socket_open(char *err, size_t err_len)
{
    char dir[sizeof sock_path];
    char path[sizeof sock_path];
    if (rundir_path(dir, sizeof dir) != 0 ||
        rundir_socket_path(dir, (long)getpid(), path, sizeof path) != 0) {
        snprintf(err, err_len, "the runtime directory path is too long for a socket");
        return -1;
    }
    if (rundir_check(dir, 1) != 0) {
        snprintf(err, err_len, "unsafe or unusable directory %s: %s", dir, strerror(errno));
        return -1;
    }
    sweep_stale(dir);
    int std_held[3];
    own_fds_hold_std(std_held); /* never 0, 1 or 2: see own_fds.c */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    own_fds_release_std(std_held);
    if (fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path); /* a file of an earlier process with our pid */
    /* The directory is 0700, so nobody else can reach the socket in the
     * moment between bind and chmod. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, 0600) != 0 ||
        listen(fd, 64) != 0) {
        snprintf(err, err_len, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    memcpy(sock_path, path, sizeof path);
    sock_owner = getpid();
    if (http_unix_listener_start(fd) != 0) {
        snprintf(err, err_len, "cannot serve %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        sock_owner = 0;
        return -1;
    }
    if (!exit_hook_added) {
        exit_hook_added = 1;
        atexit(remove_at_exit);
    }
    return 0;
}

void proc_socket_close(void)
{
    if (sock_owner != getpid())
        return;
    sock_owner = 0;
    unlink(sock_path);
    http_unix_listener_stop();
}

void proc_socket_forget_in_child(void)
{
    sock_owner = 0;
}
