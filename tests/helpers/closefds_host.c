/*
 * closefds_host — classic daemon code that closes every descriptor from 3
 * to 1024 without forking, then opens its own: the numbers cprof's server
 * had must not be used by cprof any more (nor closed, nor accepted on, nor
 * read from), and the program's descriptors must work as it expects.
 *
 * Prints "ready" and waits for a line on stdin; then closes 3..1024 (with
 * close(), or with closefrom(3) when argv[1] is "closefrom") and opens, in
 * this order, two listening TCP sockets on loopback, an eventfd, a pipe, a
 * socketpair and a temporary file, and prints "reopened FD..." (their
 * numbers, lowest first). At each later line on stdin it checks them all:
 * a connection to each listening socket is accepted by the program with
 * the bytes sent, the eventfd counts what was written, the pipe and the
 * socketpair carry a message unchanged, the file reads back what was
 * written; it prints "intact" or what failed. EOF ends it: exit 0 when
 * every check passed.
 *
 * argv[1] "dup2": instead of closing, the program takes over every socket
 * and eventfd number it did not open (cprof's server's), with dup2 of a
 * listening socket / an eventfd of its own onto each, prints "took N",
 * then opens the same set as above; the checks cover the taken numbers too.
 *
 * argv[1] "std" (started with descriptor 0 closed, commands on the FIFO
 * argv[2]): prints "fd0 closed" when no one took 0 before main, then does
 * what daemon code does (open /dev/null, which must be 0) and prints
 * "devnull on N"; it ends at EOF on the FIFO.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

static int lst[2], efd, pfd[2], sp[2], file;
#define MAX_TAKEN 64
static int taken_lst[MAX_TAKEN], taken_efd[MAX_TAKEN], n_taken_lst, n_taken_efd;
static int failures;

static void bad(const char *what)
{
    printf("FAIL %s (%s)\n", what, strerror(errno));
    fflush(stdout);
    failures++;
}

static int listen_loopback(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0)
        return -1;
    return s;
}

/* Connect to our own listener, send a message, accept it ourselves. */
static int check_listener(int s, int round)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getsockname(s, (struct sockaddr *)&a, &len) != 0)
        return -1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    char msg[32], got[32] = "";
    snprintf(msg, sizeof msg, "hello %d", round);
    if (write(c, msg, strlen(msg)) != (ssize_t)strlen(msg))
        return -1;
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1) {
        close(c);
        errno = ETIMEDOUT;
        return -1;
    }
    int acc = accept(s, NULL, NULL);
    if (acc < 0)
        return -1;
    struct pollfd q = {.fd = acc, .events = POLLIN};
    ssize_t n = poll(&q, 1, 2000) == 1 ? read(acc, got, sizeof got - 1) : -1;
    close(acc);
    close(c);
    return n == (ssize_t)strlen(msg) && memcmp(got, msg, (size_t)n) == 0 ? 0 : -1;
}

static int check_pair(int w, int r, const char *msg)
{
    char got[64];
    if (write(w, msg, strlen(msg)) != (ssize_t)strlen(msg))
        return -1;
    struct pollfd p = {.fd = r, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1)
        return -1;
    ssize_t n = read(r, got, sizeof got);
    return n == (ssize_t)strlen(msg) && memcmp(got, msg, (size_t)n) == 0 ? 0 : -1;
}

static void check_all(int round)
{
    int before = failures;
    for (int i = 0; i < 2; i++) {
        if (check_listener(lst[i], round) != 0)
            bad(i ? "second listening socket" : "first listening socket");
    }
    uint64_t v = (uint64_t)round + 1, got = 0;
    if (write(efd, &v, sizeof v) != sizeof v || read(efd, &got, sizeof got) != sizeof got ||
        got != v)
        bad("eventfd");
    if (check_pair(pfd[1], pfd[0], "through the pipe") != 0)
        bad("pipe");
    if (check_pair(sp[0], sp[1], "through the socketpair") != 0)
        bad("socketpair");
    char line[32], back[32] = "";
    int len = snprintf(line, sizeof line, "record %d\n", round);
    if (pwrite(file, line, (size_t)len, 0) != len || pread(file, back, (size_t)len, 0) != len ||
        memcmp(line, back, (size_t)len) != 0)
        bad("file");
    for (int i = 0; i < n_taken_lst; i++) {
        if (check_listener(taken_lst[i], round) != 0)
            bad("taken listening socket");
    }
    for (int i = 0; i < n_taken_efd; i++) {
        uint64_t w = (uint64_t)round + 7, r = 0;
        if (write(taken_efd[i], &w, sizeof w) != sizeof w ||
            read(taken_efd[i], &r, sizeof r) != sizeof r || r != w)
            bad("taken eventfd");
    }
    if (failures == before)
        printf("intact\n");
    fflush(stdout);
}

/* Take over every socket and eventfd number >= 3 open now (none is the
 * program's yet): dup2 a listening socket or an eventfd of our own onto
 * each. The count taken, or -1. */
static int take_foreign_numbers(void)
{
    int targets[MAX_TAKEN], kinds[MAX_TAKEN], n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d)) && n < MAX_TAKEN;) {
        int fd = atoi(e->d_name);
        char path[64], link[64] = "";
        if (fd < 3 || fd == dirfd(d))
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        if (readlink(path, link, sizeof link - 1) <= 0)
            continue;
        int kind = strncmp(link, "socket:", 7) == 0            ? 1
                   : strcmp(link, "anon_inode:[eventfd]") == 0 ? 2
                                                               : 0;
        if (kind) {
            targets[n] = fd;
            kinds[n++] = kind;
        }
    }
    closedir(d);
    for (int i = 0; i < n; i++) {
        int mine = kinds[i] == 1 ? listen_loopback() : eventfd(0, 0);
        if (mine < 0 || dup2(mine, targets[i]) != targets[i])
            return -1;
        close(mine);
        if (kinds[i] == 1)
            taken_lst[n_taken_lst++] = targets[i];
        else
            taken_efd[n_taken_efd++] = targets[i];
    }
    return n;
}

/* The "std" mode: see the top of the file. */
static int std_mode(const char *fifo)
{
    errno = 0;
    int closed = fcntl(0, F_GETFD) == -1 && errno == EBADF;
    printf("fd0 %s\n", closed ? "closed" : "open");
    int null = open("/dev/null", O_RDWR);
    printf("devnull on %d\n", null);
    fflush(stdout);
    int in = open(fifo, O_RDONLY);
    char buf[64];
    while (in >= 0 && read(in, buf, sizeof buf) > 0) {
    }
    return closed && null == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    char line[64];
    if (argc > 2 && strcmp(argv[1], "std") == 0)
        return std_mode(argv[2]);
    printf("ready\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin))
        return 2;
    if (argc > 1 && strcmp(argv[1], "closefrom") == 0) {
        closefrom(3);
    } else if (argc > 1 && strcmp(argv[1], "dup2") == 0) {
        int n = take_foreign_numbers();
        if (n <= 0) {
            bad("taking the numbers over");
            return 1;
        }
        printf("took %d\n", n);
        fflush(stdout);
    } else {
        for (int fd = 3; fd <= 1024; fd++)
            close(fd);
    }
    lst[0] = listen_loopback();
    lst[1] = listen_loopback();
    efd = eventfd(0, 0);
    if (lst[0] < 0 || lst[1] < 0 || efd < 0 || pipe(pfd) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0) {
        bad("open");
        return 1;
    }
    char tmpl[] = "/tmp/closefds_host.XXXXXX";
    file = mkstemp(tmpl);
    if (file < 0) {
        bad("mkstemp");
        return 1;
    }
    unlink(tmpl);
    printf("reopened %d %d %d %d %d %d %d %d\n", lst[0], lst[1], efd, pfd[0], pfd[1], sp[0], sp[1],
           file);
    fflush(stdout);
    for (int round = 0; fgets(line, sizeof line, stdin); round++)
        check_all(round);
    return failures ? 1 : 0;
}
