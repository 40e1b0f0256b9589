/*
 * sigwait_host — the daemon pattern "block every signal in main, handle
 * them in one sigwait thread", which a profiler thread with an open signal
 * mask breaks: a process-directed signal lands on the profiler's thread,
 * where SIGUSR1's default action kills the process.
 *
 * main blocks every signal, starts the sigwait thread, prints "ready" and
 * waits for a line on stdin. Then, 100 ms apart, it sends itself SIGUSR1
 * five times (kill(getpid())) and forks a child that exits at once
 * (SIGCHLD), then sends SIGTERM. The sigwait thread counts them; on
 * SIGTERM main checks the counts and exits 0 when every signal reached the
 * sigwait thread (5 SIGUSR1, at least one SIGCHLD), 1 otherwise.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int usr1, chld;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int terminated;

static void *waiter(void *arg)
{
    const sigset_t *set = arg;
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            continue;
        pthread_mutex_lock(&lock);
        if (sig == SIGUSR1)
            usr1++;
        else if (sig == SIGCHLD)
            chld++;
        else if (sig == SIGTERM) {
            terminated = 1;
            pthread_cond_signal(&done);
        }
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int main(void)
{
    static sigset_t all, handled;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    sigemptyset(&handled);
    sigaddset(&handled, SIGUSR1);
    sigaddset(&handled, SIGCHLD);
    sigaddset(&handled, SIGTERM);
    pthread_t t;
    if (pthread_create(&t, NULL, waiter, &handled) != 0)
        return 2;
    printf("ready\n");
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin))
        return 2;
    for (int i = 0; i < 5; i++) {
        kill(getpid(), SIGUSR1);
        pause_ms(100);
    }
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    pause_ms(100);
    waitpid(child, NULL, 0);
    kill(getpid(), SIGTERM);
    pthread_mutex_lock(&lock);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    while (!terminated && pthread_cond_timedwait(&done, &lock, &deadline) == 0)
        ;
    int ok = terminated && usr1 == 5 && chld >= 1;
    printf("usr1=%d chld=%d term=%d\n", usr1, chld, terminated);
    pthread_mutex_unlock(&lock);
    return ok ? 0 : 1;
}
