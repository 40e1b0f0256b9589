/*
 * threads_dump.c — how long a thread dump takes with many threads.
 *
 * Starts N threads (64 KiB stacks), each parked in read() under a few
 * frames, then asks its own /debug/pprof/threads (the library comes in
 * through LD_PRELOAD; bench/threads_dump.sh sets it up) R times at each
 * debug level and prints the time per dump as a client sees it: signal to
 * every thread, unwind, /proc reads, grouping, symbolization (cached after
 * the first dump), encoding and the HTTP transfer. It checks that every
 * dump covered all N threads and that each one answered with a stack.
 *
 * With -w sleep the threads park in sleep() instead: the dump then takes
 * their stacks without a signal (lib/threads/threads_blocking.c).
 *
 * With -m it times /metrics instead (METRICS=1 bench/threads_dump.sh): the threads
 * come from 16 creator functions, so the creator label has its top 10 and
 * "other"; each line gives the client's time and the library's own
 * (cprof_metrics_previous_scrape_seconds of the next reply), next to
 * /debug/pprof/cmdline, the cheapest reply, as the HTTP baseline.
 *
 *   threads_dump -n THREADS -p PORT [-r REPEATS] [-w read|sleep] [-m]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 6

static int pipe_fds[2];
static int port;
static int park_in_sleep; /* -w sleep: park in sleep(), which a signal would cut short */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((noinline)) static void park(int depth)
{
    if (depth > 0) {
        park(depth - 1);
        __asm__ volatile("" ::: "memory");
        return;
    }
    char c;
    if (park_in_sleep) {
        for (;;)
            sleep(1000);
    }
    while (read(pipe_fds[0], &c, 1) < 0 && errno == EINTR)
        ;
}

static void *parked_thread(void *arg)
{
    (void)arg;
    park(DEPTH);
    return NULL;
}

static int report(int rc, int i)
{
    if (rc != 0)
        fprintf(stderr, "threads_dump: thread %d: %s\n", i, strerror(rc));
    return rc;
}

static int spawn(const pthread_attr_t *attr, int i)
{
    pthread_t t;
    return report(pthread_create(&t, attr, parked_thread, NULL), i);
}

/* 16 distinct creator functions for -m. */
#define SPAWNER(k)                                                                                 \
    __attribute__((noinline)) static int spawner_##k(const pthread_attr_t *attr, int i)            \
    {                                                                                              \
        pthread_t t;                                                                               \
        return report(pthread_create(&t, attr, parked_thread, NULL), i);                           \
    }
SPAWNER(0)
SPAWNER(1)
SPAWNER(2)
SPAWNER(3)
SPAWNER(4)
SPAWNER(5)
SPAWNER(6)
SPAWNER(7)
SPAWNER(8)
SPAWNER(9)
SPAWNER(10)
SPAWNER(11)
SPAWNER(12)
SPAWNER(13)
SPAWNER(14)
SPAWNER(15)
static int (*const spawners[16])(const pthread_attr_t *, int) = {
    spawner_0, spawner_1, spawner_2,  spawner_3,  spawner_4,  spawner_5,  spawner_6,  spawner_7,
    spawner_8, spawner_9, spawner_10, spawner_11, spawner_12, spawner_13, spawner_14, spawner_15};

static int start_threads(int n, int many_creators)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < n; i++) {
        if ((many_creators ? spawners[i % 16](&attr, i) : spawn(&attr, i)) != 0)
            return -1;
    }
    pthread_attr_destroy(&attr);
    return 0;
}

/* GET path over HTTP/1.0; the body goes to *body (malloc'd). Status or -1. */
static int http_get(const char *path, char **body, size_t *len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("threads_dump: connect");
        exit(1);
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        exit(1);
    size_t cap = 1 << 20, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (got + 65536 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + got, cap - got - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    int status = -1;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *start = strstr(buf, "\r\n\r\n");
    start = start ? start + 4 : buf + got;
    *len = got - (size_t)(start - buf);
    *body = malloc(*len + 1);
    memcpy(*body, start, *len + 1);
    free(buf);
    return status;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* debug=1 must list every thread, each with a stack. */
static void check_coverage(const char *body, int want)
{
    long total = -1;
    sscanf(body, "threads profile: total %ld", &total);
    /* Threads that end during a dump (the previous request's connection
     * thread) are listed as exited: not a failure. */
    const char *nostack = strstr(body, ": no stack:");
    while (nostack && strncmp(nostack, ": no stack: thread exited", 25) == 0)
        nostack = strstr(nostack + 1, ": no stack:");
    if (total < want || nostack) {
        fprintf(stderr, "threads_dump: dump covers %ld threads (want >= %d)%s\n", total, want,
                nostack ? ", some without a stack:" : "");
        for (const char *p = nostack; p; p = strstr(p + 1, ": no stack:")) {
            if (strncmp(p, ": no stack: thread exited", 25) == 0)
                continue;
            const char *line = p;
            while (line > body && line[-1] != '\n')
                line--;
            fprintf(stderr, "  %.*s\n", (int)strcspn(line, "\n"), line);
        }
        exit(1);
    }
}

static void run_level(int n, int debug, int repeats)
{
    int64_t *ms = malloc((size_t)repeats * sizeof *ms);
    size_t bytes = 0;
    char path[64];
    snprintf(path, sizeof path, "/debug/pprof/threads?debug=%d", debug);
    for (int i = 0; i < repeats; i++) {
        char *body;
        int64_t t0 = now_ns();
        int status = http_get(path, &body, &bytes);
        ms[i] = now_ns() - t0;
        if (status != 200) {
            fprintf(stderr, "threads_dump: %s: status %d\n", path, status);
            exit(1);
        }
        if (debug == 1)
            check_coverage(body, n);
        free(body);
    }
    qsort(ms, (size_t)repeats, sizeof *ms, compare_i64);
    printf("%8d %6d %6d %9.1f %10.1f %9.1f %10zu\n", n, debug, repeats, ms[0] / 1e6,
           ms[repeats / 2] / 1e6, ms[repeats - 1] / 1e6, bytes);
    free(ms);
}

/* The value of the sample line `name value` in a /metrics body, or -1. */
static double metric_value(const char *body, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = body; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return atof(p + n + 1);
    }
    return -1;
}

/* -m: R scrapes of path; client time, and the library's own time of each
 * scrape as the next reply reports it (metrics only). */
static void run_scrapes(int n, const char *path, int repeats)
{
    int64_t *client = malloc((size_t)repeats * sizeof *client);
    int64_t *own = malloc((size_t)repeats * sizeof *own);
    size_t bytes = 0;
    int n_own = 0;
    for (int i = 0; i <= repeats; i++) {
        char *body;
        int64_t t0 = now_ns();
        int status = http_get(path, &body, &bytes);
        int64_t t = now_ns() - t0;
        if (status != 200) {
            fprintf(stderr, "threads_dump: %s: status %d\n", path, status);
            exit(1);
        }
        double prev = metric_value(body, "cprof_metrics_previous_scrape_seconds");
        if (i > 0 && prev > 0)
            own[n_own++] = (int64_t)(prev * 1e9);
        if (i < repeats)
            client[i] = t;
        else if (strcmp(path, "/metrics") != 0)
            break;
        free(body);
    }
    qsort(client, (size_t)repeats, sizeof *client, compare_i64);
    qsort(own, (size_t)n_own, sizeof *own, compare_i64);
    printf("%8d %-22s %6d %9.3f %10.3f %9.3f %12s %8zu\n", n, path, repeats, client[0] / 1e6,
           client[repeats / 2] / 1e6, client[repeats - 1] / 1e6, "", bytes);
    if (n_own > 0)
        printf("%8d %-22s %6d %9.3f %10.3f %9.3f %12s\n", n, "  (library's own time)", n_own,
               own[0] / 1e6, own[n_own / 2] / 1e6, own[n_own - 1] / 1e6, "");
    free(client);
    free(own);
}

int main(int argc, char **argv)
{
    int n = 1000, repeats = 10, c, metrics = 0;
    while ((c = getopt(argc, argv, "n:p:r:w:m")) != -1) {
        if (c == 'n')
            n = atoi(optarg);
        else if (c == 'p')
            port = atoi(optarg);
        else if (c == 'r')
            repeats = atoi(optarg);
        else if (c == 'w')
            park_in_sleep = strcmp(optarg, "sleep") == 0;
        else if (c == 'm')
            metrics = 1;
    }
    if (n <= 0 || port <= 0 || repeats <= 0) {
        fprintf(stderr,
                "usage: threads_dump -n THREADS -p PORT [-r REPEATS] [-w read|sleep] [-m]\n");
        return 2;
    }
    struct rlimit nproc = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_NPROC, &nproc); /* may fail when not root: fine if high enough */
    if (pipe(pipe_fds) != 0 || start_threads(n, metrics) != 0)
        return 1;
    usleep(200000 + (useconds_t)n * 20); /* all parked */
    if (metrics) {
        printf("%8s %-22s %6s %9s %10s %9s %12s %8s\n", "threads", "path", "gets", "min ms",
               "median ms", "max ms", "", "bytes");
        run_scrapes(n, "/debug/pprof/cmdline", repeats);
        run_scrapes(n, "/metrics", repeats);
        return 0;
    }
    char *body;
    size_t len;
    http_get("/debug/pprof/threads?debug=1", &body, &len); /* warm the symbol cache */
    free(body);
    printf("%8s %6s %6s %9s %10s %9s %10s\n", "threads", "debug", "dumps", "min ms", "median ms",
           "max ms", "bytes");
    for (int debug = 0; debug <= 2; debug++)
        run_level(n, debug, repeats);
    return 0;
}
