/*
 * spawner — posix_spawn a program N times, one after the other, for the
 * quiet-by-default test: "spawner N PROG [ARGS...]" runs PROG N times with
 * this process's environment (the preload included), waits for each, and
 * prints "spawned N" when every one exited 0 (exit 1 otherwise).
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: spawner N PROG [ARGS...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int status;
        if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0 ||
            waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn %d of %s failed\n", i, argv[2]);
            return 1;
        }
    }
    printf("spawned %d\n", n);
    return 0;
}
