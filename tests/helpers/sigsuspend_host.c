/*
 * sigsuspend_host — the classic master loop: SIGCHLD blocked, fork a
 * child, wait for its SIGCHLD in sigsuspend (nginx's master does this).
 * The child has exited before sigsuspend is entered (waitid WNOWAIT), so
 * the signal is generated while every thread of the program blocks it: it
 * must stay pending for the program, not be taken by a profiler thread.
 *
 * Usage: sigsuspend_host ROUNDS. Prints "ready", waits for a line on stdin,
 * then runs ROUNDS rounds; a round whose sigsuspend is not ended by the
 * SIGCHLD handler running on the main thread (another thread took the
 * signal, or an alarm ended the wait after 2 s) prints why and exits 1.
 * Exits 0 when every round got its SIGCHLD.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_chld, got_alarm;
static volatile pid_t chld_tid; /* the thread that ran the SIGCHLD handler */

static void on_chld(int sig)
{
    (void)sig;
    got_chld = 1;
    chld_tid = gettid();
}

static void on_alarm(int sig)
{
    (void)sig;
    got_alarm = 1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sigset_t block, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &wait_mask);
    sigdelset(&wait_mask, SIGCHLD);
    sigdelset(&wait_mask, SIGALRM);
    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 2;
    for (int i = 0; i < rounds; i++) {
        got_chld = got_alarm = 0;
        pid_t child = fork();
        if (child < 0)
            return 2;
        if (child == 0)
            _exit(0);
        siginfo_t si;
        waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT);
        /* The SIGCHLD is pending for the process: sigsuspend must return
         * at once, through the handler, on this thread. */
        alarm(2);
        sigsuspend(&wait_mask);
        alarm(0);
        waitpid(child, NULL, 0);
        if (!got_chld || chld_tid != getpid()) {
            printf("round %d: %s\n", i,
                   got_chld ? "SIGCHLD was handled on another thread" : "no SIGCHLD within 2 s");
            return 1;
        }
    }
    printf("rounds=%d ok\n", rounds);
    return 0;
}
