/*
 * own_fds.c — the program cannot close cprof's descriptors under it.
 *
 * Classic daemon code closes every descriptor from 3 up (a loop of close()
 * to 1024 or getdtablesize(), closefrom(3), close_range(3, ~0U)) without
 * forking, then opens its own files and sockets, which get the lowest free
 * numbers. If that closed the HTTP server's listening socket and wake-up
 * eventfd, the server's threads (libmicrohttpd's, polling in a loop we
 * cannot hook) would go on using those numbers: accepting connections on
 * the program's own listening socket, reading its data to clear a
 * "wake-up". Detecting the closing after the fact always leaves that
 * window open, and stopping the server closes the reused numbers again.
 *
 * So the numbers are never given back: close, close_range and closefrom
 * are interposed, and a descriptor marked as cprof's (one bit in a static
 * bitmap, set when the server opens it) is skipped when a thread of the
 * program closes it: the call succeeds, as if the descriptor had been
 * closed, the program's next open gets another number, and the endpoint
 * keeps serving. cprof's own threads (and the program's thread inside
 * cprof_start/cprof_stop) close them for real. The fast path of close() is
 * one bit test, and it never calls dlsym (resolved by own_fds_init, from the
 * library constructor), so it stays async-signal-safe.
 *
 * dup2 and dup3 onto one of the server's numbers (a program that aims at a
 * number it never got from the system, e.g. one it thinks is free) cannot
 * be skipped: the program needs that number to be its file afterwards. So
 * the server steps aside first: the interposer calls the owner's
 * `relinquish` (own_fds_set_owner), which stops the HTTP servers (their
 * threads gone, their descriptors closed for real), makes the program's
 * call, then `reclaim`, which starts them again on fresh descriptors (the
 * same port) and says so in one stderr line. The program's call returns
 * exactly what the system returned. Serving pauses for the few
 * milliseconds of the restart (longer only when a CPU profile is being
 * recorded: stopping waits for that request to end).
 *
 * No cprof descriptor is 0, 1 or 2: a program started with a standard
 * descriptor closed gets /dev/null on it from its own daemon code
 * (open, then dup2 onto 0..2), so the server opens its descriptors with
 * those three numbers held (own_fds_hold_std).
 *
 * Not covered: a raw syscall(SYS_close), syscall(SYS_close_range) or
 * syscall(SYS_dup2/dup3), which no interposer sees.
 *
 * Besides the server's descriptors, libunwind's memory-check pipe is
 * marked (own_fds_adopt_libunwind_pipe, from the constructor): when its
 * unw_step falls back to guessing a frame it validates addresses by
 * reading one byte from that pipe and writing one to it, which on a
 * reused number would eat and inject bytes in the program's own files.
 * (A dup2 onto that pipe's number is let through: libunwind keeps the
 * numbers and cannot be given new ones.)
 *
 * A vfork child shares our memory but not our descriptor table: its
 * close and dup2 are its own business, so the interposers act only in the
 * process that marked the descriptors (own_pid).
 */
#include "own_fds.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "heap/heap.h"
#include "threads/threads.h"
#include "unwind/unwind.h"

#define EXPORT __attribute__((visibility("default")))
#define WORDS (OWN_FDS_LIMIT / 64)

static _Atomic uint64_t own_bits[WORDS];
static _Atomic int own_count; /* marked descriptors: the fast path's test */

static _Atomic pid_t own_pid;                /* the process whose descriptors these are */
static _Atomic(const own_fds_owner *) owner; /* steps aside for dup2 */

typedef int (*close_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
static _Atomic(close_fn) real_close_p;
static _Atomic(close_range_fn) real_close_range_p;
static _Atomic(dup2_fn) real_dup2_p;
static _Atomic(dup3_fn) real_dup3_p;

static int real_close(int fd)
{
    close_fn f = atomic_load_explicit(&real_close_p, memory_order_acquire);
    return f ? f(fd) : (int)syscall(SYS_close, fd);
}

static int real_close_range(unsigned first, unsigned last, int flags)
{
    close_range_fn f = atomic_load_explicit(&real_close_range_p, memory_order_acquire);
    return f ? f(first, last, flags) : (int)syscall(SYS_close_range, first, last, flags);
}

/* dup2 and dup3 as the program would have called them. */
static int real_dup2(int oldfd, int newfd)
{
    dup2_fn f = atomic_load_explicit(&real_dup2_p, memory_order_acquire);
    return f ? f(oldfd, newfd) : (int)syscall(SYS_dup2, oldfd, newfd);
}

static int real_dup3(int oldfd, int newfd, int flags)
{
    dup3_fn f = atomic_load_explicit(&real_dup3_p, memory_order_acquire);
    return f ? f(oldfd, newfd, flags) : (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

void own_fds_init(void)
{
    atomic_store(&real_close_p, (close_fn)dlsym(RTLD_NEXT, "close"));
    atomic_store(&real_close_range_p, (close_range_fn)dlsym(RTLD_NEXT, "close_range"));
    atomic_store(&real_dup2_p, (dup2_fn)dlsym(RTLD_NEXT, "dup2"));
    atomic_store(&real_dup3_p, (dup3_fn)dlsym(RTLD_NEXT, "dup3"));
    atomic_store(&own_pid, getpid());
}

void own_fds_set_owner(const own_fds_owner *o)
{
    atomic_store(&owner, o);
}

void own_fds_hold_std(int held[3])
{
    for (int fd = 0; fd < 3; fd++) {
        held[fd] = -1;
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        /* The lowest free number: fd itself, as the lower ones are open. */
        int got = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (got == fd)
            held[fd] = got;
        else if (got >= 0)
            real_close(got);
    }
}

void own_fds_release_std(const int held[3])
{
    for (int fd = 0; fd < 3; fd++) {
        if (held[fd] >= 0)
            real_close(held[fd]);
    }
}

void own_fd_add(int fd)
{
    if (fd < 0 || fd >= OWN_FDS_LIMIT)
        return;
    uint64_t bit = 1ull << (fd % 64);
    if (!(atomic_fetch_or(&own_bits[fd / 64], bit) & bit))
        atomic_fetch_add(&own_count, 1);
}

static void own_fd_forget(int fd)
{
    if (fd < 0 || fd >= OWN_FDS_LIMIT)
        return;
    uint64_t bit = 1ull << (fd % 64);
    if (atomic_fetch_and(&own_bits[fd / 64], ~bit) & bit)
        atomic_fetch_sub(&own_count, 1);
}

int own_fd_is(int fd)
{
    if (fd < 0 || fd >= OWN_FDS_LIMIT ||
        atomic_load_explicit(&own_count, memory_order_relaxed) == 0)
        return 0;
    return (atomic_load_explicit(&own_bits[fd / 64], memory_order_relaxed) >> (fd % 64)) & 1;
}

int own_fd_close(int fd)
{
    own_fd_forget(fd);
    return real_close(fd);
}

void own_fds_forget_all(void)
{
    for (size_t i = 0; i < WORDS; i++)
        atomic_store_explicit(&own_bits[i], 0, memory_order_relaxed);
    atomic_store(&own_count, 0);
    atomic_store(&own_pid, (pid_t)syscall(SYS_getpid)); /* a fork child's own */
}

/* cprof's threads, and the program's thread inside cprof's API. */
static int caller_is_cprof(void)
{
    return threads_self_internal() || heap_thread_is_internal();
}

/* 1 when a call of the program on fd concerns one of our descriptors: fd is
 * marked, the caller is the program's, and this is the process that owns
 * them (not a vfork child sharing our memory). */
static int program_aims_at_ours(int fd)
{
    return own_fd_is(fd) && !caller_is_cprof() && (pid_t)syscall(SYS_getpid) == own_pid;
}

/* The slow path of dup2/dup3 onto one of our numbers: the owner's servers
 * step aside, the program's call is made (dup3 when flags >= 0), and they
 * come back on fresh descriptors. The call's result, with its errno. */
static int dup_onto_ours(int oldfd, int newfd, int flags)
{
    const own_fds_owner *o = atomic_load(&owner);
    if (o)
        o->relinquish(newfd);
    own_fd_forget(newfd); /* not a server's (libunwind's pipe): let go */
    int rc = flags >= 0 ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
    int saved = errno;
    if (o)
        o->reclaim(newfd);
    errno = saved;
    return rc;
}

/* ---- the interposed calls ------------------------------------------------ */

EXPORT PROFILER_TEXT int close(int fd)
{
    if (own_fd_is(fd)) {
        if (!caller_is_cprof())
            return 0; /* kept: see the top of the file */
        own_fd_forget(fd);
    }
    return real_close(fd);
}

EXPORT PROFILER_TEXT int dup2(int oldfd, int newfd)
{
    /* dup2(fd, fd) only checks fd: nothing is replaced. */
    if (oldfd != newfd && program_aims_at_ours(newfd))
        return dup_onto_ours(oldfd, newfd, -1);
    return real_dup2(oldfd, newfd);
}

EXPORT PROFILER_TEXT int dup3(int oldfd, int newfd, int flags)
{
    if (oldfd != newfd && program_aims_at_ours(newfd))
        return dup_onto_ours(oldfd, newfd, flags);
    return real_dup3(oldfd, newfd, flags);
}

/* The lowest marked descriptor in [from, OWN_FDS_LIMIT), or -1. */
static int next_own(unsigned from)
{
    for (unsigned fd = from; fd < OWN_FDS_LIMIT;) {
        uint64_t w = atomic_load_explicit(&own_bits[fd / 64], memory_order_relaxed) >> (fd % 64);
        if (w)
            return (int)(fd + (unsigned)__builtin_ctzll(w));
        fd = (fd / 64 + 1) * 64;
    }
    return -1;
}

EXPORT PROFILER_TEXT int close_range(unsigned first, unsigned last, int flags)
{
    /* CLOSE_RANGE_CLOEXEC only marks descriptors: harmless to ours. */
    if (atomic_load(&own_count) == 0 || (flags & CLOSE_RANGE_CLOEXEC) || first > last)
        return real_close_range(first, last, flags);
    if (caller_is_cprof()) {
        for (int own = next_own(first); own >= 0 && (unsigned)own <= last; own = next_own(own + 1u))
            own_fd_forget(own);
        return real_close_range(first, last, flags);
    }
    /* The program's: close the runs between our descriptors. */
    unsigned from = first;
    for (int own; from <= last && (own = next_own(from)) >= 0 && (unsigned)own <= last;) {
        if ((unsigned)own > from && real_close_range(from, (unsigned)own - 1, flags) != 0)
            return -1;
        from = (unsigned)own + 1; /* own < OWN_FDS_LIMIT: no wrap */
    }
    return from <= last ? real_close_range(from, last, flags) : 0;
}

EXPORT PROFILER_TEXT void closefrom(int lowfd)
{
    if (lowfd < 0)
        lowfd = 0;
    close_range((unsigned)lowfd, UINT_MAX, 0);
}

/* ---- finding the descriptors libraries open for us -------------------------- */

struct own_fds_snapshot {
    size_t n;
    int fds[];
};

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

own_fds_snapshot *own_fds_snapshot_take(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return NULL;
    size_t cap = 64;
    own_fds_snapshot *s = malloc(sizeof *s + cap * sizeof(int));
    if (s)
        s->n = 0;
    int self = dirfd(d); /* closed again below: not part of the picture */
    for (struct dirent *e; s && (e = readdir(d));) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == self)
            continue;
        if (s->n == cap) {
            cap *= 2;
            own_fds_snapshot *g = realloc(s, sizeof *s + cap * sizeof(int));
            if (!g) {
                free(s);
                s = NULL;
                break;
            }
            s = g;
        }
        s->fds[s->n++] = atoi(e->d_name);
    }
    closedir(d);
    if (s)
        qsort(s->fds, s->n, sizeof(int), cmp_int);
    return s;
}

void own_fds_adopt_new(own_fds_snapshot *before, const char *kind)
{
    own_fds_snapshot *after = before ? own_fds_snapshot_take() : NULL;
    for (size_t i = 0; after && i < after->n; i++) {
        int fd = after->fds[i];
        if (bsearch(&fd, before->fds, before->n, sizeof(int), cmp_int))
            continue;
        char path[64], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, kind, strlen(kind)) == 0)
            own_fd_add(fd);
    }
    free(after);
    free(before);
}

void own_fds_adopt_libunwind_pipe(void)
{
    /* libunwind opens the pipe at its first local unwind. */
    own_fds_snapshot *before = own_fds_snapshot_take();
    uint64_t pcs[4];
    unwind_capture_libunwind(pcs, 4);
    own_fds_adopt_new(before, "pipe:");
}
