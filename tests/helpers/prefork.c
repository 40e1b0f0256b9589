/*
 * prefork — a pre-fork server shape, for the fork-follow tests: the master
 * forks 3 workers that allocate and stay; the master stays too. Prints
 * "worker PID" per worker and "ready" on stdout, then waits for end of
 * file on stdin, kills its workers and exits 0.
 * "prefork idle": each worker allocates a fixed set once (worker_fixed,
 * 64 blocks kept) and then only sleeps, so its heap stays exactly still
 * (the ?pid=all sum test).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void worker_churn(void)
{
    void *keep[64] = {0};
    for (int round = 0;; round++) {
        for (int i = 0; i < 64; i++) {
            free(keep[i]);
            keep[i] = malloc((size_t)(i * 97 % 4000) + 1);
        }
        usleep(20000);
    }
}

void *fixed_keep[64]; /* global: the blocks stay reachable */

static void worker_fixed(void)
{
    for (int i = 0; i < 64; i++)
        fixed_keep[i] = malloc((size_t)(i + 1) * 1024);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    int idle = argc > 1 && strcmp(argv[1], "idle") == 0;
    free(malloc(100));
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        fflush(NULL);
        kids[k] = fork();
        if (kids[k] < 0)
            return 1;
        if (kids[k] == 0) {
            signal(SIGTERM, SIG_DFL);
            if (idle)
                worker_fixed();
            worker_churn();
        }
        printf("worker %d\n", (int)kids[k]);
    }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        int status;
        kill(kids[k], SIGTERM);
        if (waitpid(kids[k], &status, 0) < 0 || !WIFSIGNALED(status))
            ok = 0;
    }
    return ok ? 0 : 1;
}
