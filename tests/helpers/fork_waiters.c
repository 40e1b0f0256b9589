/*
 * fork_waiters — pre-fork workers that never allocate after fork, for the
 * test that every forked child is reachable (tests/integration/
 * procs_fork_waiters.sh). The master forks one child per kind and prints
 * "KIND PID" for each, then "ready", then waits for end of file on stdin,
 * ends its children (SIGKILL) and exits 0. Every child makes system calls
 * only (no malloc, no stdio) from fork on:
 *   poll, ppoll, select, accept, pause, sigsuspend, nanosleep, sleep: it
 *       blocks in that call at once, forever;
 *   handler: it raises SIGUSR1, whose handler (no SA_NODEFER) writes
 *       "handler waiting", sleeps HANDLER_POLL_MS in poll(), writes
 *       "handler done" and returns; then the child polls forever;
 *   unmask: the master blocks every signal around this fork (as servers
 *       do, so no handler runs in the child before it is set up); the
 *       child restores the master's mask with sigprocmask, then polls;
 *   userns: it calls unshare(CLONE_NEWUSER) at once (which fails with
 *       EINVAL in a multithreaded process), writes "userns ok",
 *       "userns EINVAL", "userns EPERM" or "userns errno", then polls.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANDLER_POLL_MS 3000

static void say(const char *line)
{
    ssize_t ignored = write(STDOUT_FILENO, line, strlen(line));
    (void)ignored;
}

static sigset_t master_mask; /* the master's mask, blocked around unmask's fork */

static void on_usr1(int sig)
{
    (void)sig;
    say("handler waiting\n");
    poll(NULL, 0, HANDLER_POLL_MS);
    say("handler done\n");
}

/* The child's life: never returns. */
static void child(const char *kind, int listen_fd)
{
    sigset_t none;
    sigemptyset(&none);
    if (strcmp(kind, "handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
        raise(SIGUSR1);
    } else if (strcmp(kind, "unmask") == 0) {
        sigprocmask(SIG_SETMASK, &master_mask, NULL);
    } else if (strcmp(kind, "userns") == 0) {
        int rc = unshare(CLONE_NEWUSER);
        say(rc == 0           ? "userns ok\n"
            : errno == EINVAL ? "userns EINVAL\n"
            : errno == EPERM  ? "userns EPERM\n"
                              : "userns errno\n");
    }
    for (;;) {
        if (strcmp(kind, "ppoll") == 0) {
            ppoll(NULL, 0, NULL, NULL);
        } else if (strcmp(kind, "select") == 0) {
            select(0, NULL, NULL, NULL, NULL);
        } else if (strcmp(kind, "accept") == 0) {
            accept(listen_fd, NULL, NULL);
        } else if (strcmp(kind, "pause") == 0) {
            pause();
        } else if (strcmp(kind, "sigsuspend") == 0) {
            sigsuspend(&none);
        } else if (strcmp(kind, "nanosleep") == 0) {
            struct timespec ts = {1000, 0};
            nanosleep(&ts, NULL);
        } else if (strcmp(kind, "sleep") == 0) {
            sleep(1000);
        } else {
            poll(NULL, 0, -1);
        }
    }
}

int main(void)
{
    static const char *kinds[] = {"poll",      "ppoll", "select",  "accept", "pause", "sigsuspend",
                                  "nanosleep", "sleep", "handler", "unmask", "userns"};
    enum { N = sizeof kinds / sizeof *kinds };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0)
        return 1;
    free(malloc(100));
    pid_t kids[N];
    for (int k = 0; k < N; k++) {
        fflush(NULL);
        sigset_t all;
        sigfillset(&all);
        int unmask = strcmp(kinds[k], "unmask") == 0;
        if (unmask)
            pthread_sigmask(SIG_BLOCK, &all, &master_mask);
        kids[k] = fork();
        if (kids[k] < 0)
            return 1;
        if (kids[k] == 0)
            child(kinds[k], fd);
        if (unmask)
            pthread_sigmask(SIG_SETMASK, &master_mask, NULL);
        printf("%s %d\n", kinds[k], (int)kids[k]);
    }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
    for (int k = 0; k < N; k++)
        kill(kids[k], SIGKILL);
    for (int k = 0; k < N; k++)
        waitpid(kids[k], NULL, 0);
    return 0;
}
