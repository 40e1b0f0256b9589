/*
 * daemonize — a classic double-fork daemon, for the fork-follow tests.
 * fork, the parent exits; setsid; fork, the intermediate exits; the
 * grandchild allocates at a known site (daemon_keeps_blocks), starts a
 * thread, writes its pid to argv[1] and stays until killed or until the
 * FIFO argv[2] (opened after daemonizing) reports end of file. stderr is
 * kept so libcprof's one line stays visible.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *blocks[256];

__attribute__((noinline)) static void daemon_keeps_blocks(void)
{
    for (int i = 0; i < 256; i++) {
        blocks[i] = malloc(64 * 1024);
        memset(blocks[i], 1, 64 * 1024);
    }
}

static void *daemon_worker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static int write_pid(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", (int)getpid());
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: daemonize PIDFILE FIFO\n");
        return 2;
    }
    free(malloc(100)); /* the parent allocates before daemonizing */
    pid_t p = fork();
    if (p < 0)
        return 1;
    if (p > 0)
        _exit(0);
    if (setsid() < 0)
        _exit(1);
    p = fork();
    if (p < 0)
        _exit(1);
    if (p > 0)
        _exit(0);
    daemon_keeps_blocks();
    pthread_t t;
    if (pthread_create(&t, NULL, daemon_worker, NULL) != 0)
        _exit(1);
    if (write_pid(argv[1]) != 0)
        _exit(1);
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0)
        _exit(1);
    char c;
    while (read(fd, &c, 1) > 0)
        ;
    _exit(0);
}
