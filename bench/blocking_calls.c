/*
 * blocking_calls.c — what the interposed blocking calls cost on their fast
 * path (lib/threads/threads_blocking.c), timed per call over N calls:
 *   clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, ...), which glibc answers
 *     EINVAL without a system call: the interposer's own cost, bare;
 *   poll(NULL, 0, 0) and recv() on an empty non-blocking socket (EAGAIN):
 *     the cheapest real calls (a system call on this VM costs microseconds,
 *     so their ratio is what a program sees, not a way to see nanoseconds).
 * bench/blocking_calls.sh runs it with and without the preload in
 * alternating rounds and compares the best of each.
 *
 *   blocking_calls [-n CALLS]     prints "CALL NS" lines (ns a call)
 *   blocking_calls -p [-n CALLS]  the first of them in a forked child whose
 *     start-up work stays pending (it blocks SIGUSR2 with a raw system call,
 *     a mask change cprof does not follow): what each async-signal-safe
 *     wait costs while a forked child has not run its start-up, against
 *     the same loop in the parent ("clock_nanosleep_einval_pending NS",
 *     "clock_nanosleep_einval NS")
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns a call of clock_nanosleep(CLOCK_THREAD_CPUTIME_ID) over n calls, or
 * -1 when one does not fail with EINVAL. */
static double einval_ns(long n)
{
    struct timespec zero = {0, 0};
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL) != EINVAL)
            return -1;
    }
    return (double)(now_ns() - t0) / (double)n;
}

/* -p: the pending child's loop, then the parent's. 0, or 1 on a failure. */
static int pending_child(long n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        uint64_t block = 1ull << (SIGUSR2 - 1);
        syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, NULL, sizeof block);
        double ns = einval_ns(n);
        printf("clock_nanosleep_einval_pending %.2f\n", ns);
        fflush(stdout);
        _exit(ns < 0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    double ns = einval_ns(n);
    printf("clock_nanosleep_einval %.2f\n", ns);
    return ns < 0;
}

int main(int argc, char **argv)
{
    long n = 10000000;
    int c, pending = 0;
    while ((c = getopt(argc, argv, "n:p")) != -1) {
        if (c == 'n')
            n = atol(optarg);
        else if (c == 'p')
            pending = 1;
    }
    if (pending)
        return n > 0 ? pending_child(n) : 2;
    int sv[2];
    if (n <= 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
        return 2;
    struct timespec zero = {0, 0};
    int64_t tb = now_ns();
    for (long i = 0; i < n * 10; i++) {
        if (clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero, NULL) != EINVAL)
            return 1;
    }
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (poll(NULL, 0, 0) != 0)
            return 1;
    }
    int64_t t1 = now_ns();
    char b;
    for (long i = 0; i < n; i++) {
        if (recv(sv[0], &b, 1, 0) != -1 || errno != EAGAIN)
            return 1;
    }
    int64_t t2 = now_ns();
    printf("clock_nanosleep_einval %.2f\n", (double)(t0 - tb) / (double)(n * 10));
    printf("poll %.2f\nrecv %.2f\n", (double)(t1 - t0) / (double)n, (double)(t2 - t1) / (double)n);
    return 0;
}
