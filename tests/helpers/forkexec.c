/*
 * forkexec — a program that forks and execs children, for the preload tests.
 * Allocates, then starts: a child that execs /bin/true, a child that execs
 * this program in "child" mode (allocates, prints "child ok"), and a child
 * that only forks (allocates and frees in the copy of the parent). Exits 0
 * when every child exited 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int churn(int n)
{
    void *keep[64] = {0};
    for (int i = 0; i < n; i++) {
        free(keep[i % 64]);
        keep[i % 64] = malloc((size_t)(i % 5000) + 1);
        if (!keep[i % 64])
            return 1;
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        int rc = churn(100000);
        printf("child ok\n");
        return rc;
    }
    if (churn(100000))
        return 1;
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        fflush(NULL);
        kids[k] = fork();
        if (kids[k] < 0)
            return 1;
        if (kids[k] == 0) {
            if (k == 0)
                execl("/bin/true", "true", (char *)NULL);
            else if (k == 1)
                execl("/proc/self/exe", argv[0], "child", (char *)NULL);
            else
                _exit(churn(100000));
            _exit(127);
        }
    }
    int all_ok = 1;
    for (int k = 0; k < 3; k++) {
        int status;
        if (waitpid(kids[k], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            all_ok = 0;
    }
    printf(all_ok ? "parent ok\n" : "parent: a child failed\n");
    return all_ok ? 0 : 1;
}
