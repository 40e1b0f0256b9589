/*
 * rundir.c — see rundir.h. No allocation and no stdio beyond snprintf: the
 * library calls these in a forked child's first allocation.
 */
#include "rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rundir_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n = xdg && xdg[0] == '/' ? snprintf(out, cap, "%s/cprof", xdg)
                                 : snprintf(out, cap, "/tmp/cprof-%ld", (long)geteuid());
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int rundir_check(const char *dir, int create)
{
    if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (lstat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR; /* a symlink or a file planted in our place */
        return -1;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int rundir_socket_path(const char *dir, long pid, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%ld.sock", dir, pid);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

long rundir_socket_pid(const char *name)
{
    long pid = 0;
    const char *p = name;
    if (*p < '1' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (pid > 100000000L)
            return -1;
        pid = pid * 10 + (*p - '0');
    }
    return strcmp(p, ".sock") == 0 ? pid : -1;
}
