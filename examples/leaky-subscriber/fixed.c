/*
 * fixed.c — leaky.c with the story's fix: each tick hands its subscriber a
 * cancellation (the C stand-in for the context.Context the Go fix passed
 * down), and cancels it when the tick's work is done. The subscriber waits
 * on its Redis socket and on the cancellation together (poll), so it
 * unsubscribes, closes its connection and returns: the thread count stays
 * flat however long the daemon runs.
 *
 *   fixed -p REDIS_PORT [-h HOST] [-t TICK_MS] [-w WORK_MS] [-c CHANNEL]
 *
 * The cancellation is an eventfd: writable from any thread, pollable next
 * to the socket, and it stays readable once written, so a subscriber that
 * is still connecting when its tick ends sees it too.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
    const char *host;
    int port;
    int tick_ms;
    int work_ms;
    const char *channel;
} options;

static options opt = {"127.0.0.1", 0, 200, 50, "new-task"};
static atomic_int new_task;
static atomic_int subscribed;

typedef struct subscription {
    pthread_t thread;
    int cancel_fd; /* eventfd: readable once the tick is over */
} subscription;

static int cancelled(int cancel_fd)
{
    struct pollfd p = {.fd = cancel_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Read what the socket has, hand every complete message on. 0 on success. */
static int drain_messages(redisContext *c)
{
    if (redisBufferRead(c) != REDIS_OK)
        return -1;
    void *msg = NULL;
    while (redisGetReplyFromReader(c, &msg) == REDIS_OK && msg) {
        atomic_store(&new_task, 1);
        freeReplyObject(msg);
        msg = NULL;
    }
    return 0;
}

/* Subscribe, then wait for a message or the cancellation, whichever first. */
static void *subscribe_new_tasks(void *arg)
{
    subscription *sub = arg;
    pthread_setname_np(pthread_self(), "subscriber");
    struct timeval connect_timeout = {2, 0};
    redisContext *c = redisConnectWithTimeout(opt.host, opt.port, connect_timeout);
    if (!c || c->err) {
        fprintf(stderr, "[WARNING] redis connect: %s\n", c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    freeReplyObject(redisCommand(c, "SUBSCRIBE %s", opt.channel));
    atomic_fetch_add(&subscribed, 1);
    while (!cancelled(sub->cancel_fd)) {
        struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                              {.fd = sub->cancel_fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && drain_messages(c) != 0) {
            fprintf(stderr, "[WARNING] %s\n", c->errstr);
            break;
        }
    }
    redisFree(c); /* closing the connection ends the subscription */
    return NULL;
}

static void process_tasks(void)
{
    if (atomic_exchange(&new_task, 0))
        printf("new task\n");
    usleep((useconds_t)opt.work_ms * 1000);
}

/* The cron job: the subscriber lives exactly as long as this tick's work. */
static void cron_tick(void)
{
    subscription sub;
    sub.cancel_fd = eventfd(0, EFD_CLOEXEC);
    if (sub.cancel_fd < 0) {
        perror("eventfd");
        return;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int started = pthread_create(&sub.thread, &attr, subscribe_new_tasks, &sub) == 0;
    pthread_attr_destroy(&attr);
    if (!started)
        fprintf(stderr, "[WARNING] cannot start a subscriber\n");
    process_tasks();
    uint64_t one = 1;
    if (write(sub.cancel_fd, &one, sizeof one) != sizeof one)
        perror("eventfd write");
    if (started)
        pthread_join(sub.thread, NULL);
    close(sub.cancel_fd);
}

/* Sleep until the next tick; returns 0 when stdin (a pipe) was closed. */
static int wait_next_tick(int watch_stdin, const struct timespec *deadline)
{
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms =
            (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
        if (ms <= 0)
            return 1;
        struct pollfd p = {.fd = 0, .events = POLLIN};
        int r = poll(&p, watch_stdin ? 1 : 0, (int)ms);
        if (r < 0 && errno == EINTR) /* a profiler signal: sleep on */
            continue;
        if (r > 0) {
            char buf[256];
            if (read(0, buf, sizeof buf) <= 0)
                return 0;
        }
    }
}

static void parse_args(int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "h:p:t:w:c:")) != -1) {
        if (c == 'h')
            opt.host = optarg;
        else if (c == 'p')
            opt.port = atoi(optarg);
        else if (c == 't')
            opt.tick_ms = atoi(optarg);
        else if (c == 'w')
            opt.work_ms = atoi(optarg);
        else if (c == 'c')
            opt.channel = optarg;
        else
            exit(2);
    }
    if (opt.port <= 0 || opt.tick_ms <= 0 || opt.work_ms < 0) {
        fprintf(stderr,
                "usage: %s -p REDIS_PORT [-h HOST] [-t TICK_MS] [-w WORK_MS] [-c CHANNEL]\n",
                argv[0]);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    pthread_setname_np(pthread_self(), "cron");
    struct stat st;
    int watch_stdin = fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long n = 0;; n++) {
        cron_tick();
        if (n == 0) {
            if (!atomic_load(&subscribed)) {
                fprintf(stderr, "no subscription in the first tick: is redis on port %d?\n",
                        opt.port);
                return 1;
            }
            printf("ready\n");
        }
        next.tv_nsec += (long)opt.tick_ms * 1000000;
        next.tv_sec += next.tv_nsec / 1000000000;
        next.tv_nsec %= 1000000000;
        if (!wait_next_tick(watch_stdin, &next))
            return 0;
    }
}
