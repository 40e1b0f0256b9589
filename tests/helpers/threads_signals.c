/*
 * threads_signals — a host for the thread-dump signal tests.
 * Usage: threads_signals MODE
 *   blocked         three threads sleeping in read(), one ("stubborn") that
 *                   blocks every signal first
 *   handler-after   installs its own handler on SIGRTMIN+3 in main(), after
 *                   the preloaded library took that signal
 *   linked-before   not preloaded: installs its own handler on SIGRTMIN+3,
 *                   then cprof_start() with a free port; prints
 *                   "listening http://HOST:PORT/debug/pprof/"
 *   linked-masked   not preloaded: calls cprof_start() with every signal
 *                   blocked (as programs that leave signals to a sigwait
 *                   thread do), then unblocks them; prints "listening ..."
 * Prints "ready", waits until stdin closes, then prints
 * "app handler calls: N" (how often its own handler ran: must stay 0, the
 * library never sends the program's signal).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cprof.h>

static atomic_int app_calls;
static int pipe_fds[2];

static void app_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    atomic_fetch_add(&app_calls, 1);
}

static void install_app_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = app_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGRTMIN + 3, &sa, NULL);
}

__attribute__((noinline)) static void *sleeper(void *arg)
{
    (void)arg;
    char c;
    while (read(pipe_fds[0], &c, 1) < 0)
        ;
    return NULL;
}

__attribute__((noinline)) static void *stubborn(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "stubborn");
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    return sleeper(NULL);
}

static void start_threads(int with_stubborn)
{
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, sleeper, NULL);
        pthread_detach(t);
    }
    if (with_stubborn) {
        pthread_t t;
        pthread_create(&t, NULL, stubborn, NULL);
        pthread_detach(t);
    }
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "blocked";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe(pipe_fds) != 0)
        return 1;
    if (strcmp(mode, "handler-after") == 0) {
        install_app_handler();
    } else if (strncmp(mode, "linked-", 7) == 0) {
        sigset_t all, saved;
        sigfillset(&all);
        if (strcmp(mode, "linked-before") == 0)
            install_app_handler();
        else
            pthread_sigmask(SIG_BLOCK, &all, &saved);
        cprof_config c = {.http_addr = "127.0.0.1:0"};
        if (cprof_start(&c) != 0)
            return 1;
        if (strcmp(mode, "linked-masked") == 0)
            pthread_sigmask(SIG_SETMASK, &saved, NULL);
        printf("listening http://%s/debug/pprof/\n", cprof_http_address());
    }
    start_threads(strcmp(mode, "blocked") == 0);
    usleep(50000);
    printf("ready\n");
    char c;
    while (read(0, &c, 1) > 0)
        ;
    printf("app handler calls: %d\n", atomic_load(&app_calls));
    return 0;
}
