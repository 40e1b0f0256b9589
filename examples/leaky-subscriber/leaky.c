/*
 * leaky.c — the seed story's Go daemon, ported to C: a cron-style loop
 * that, on every tick, starts a thread that SUBSCRIBEs to a Redis channel
 * and then reads its socket forever. Nothing ever stops those threads, so
 * one more sits blocked in read() after every tick: the goroutine leak of
 * the story, as a thread leak. fixed.c is the same program with the fix.
 *
 *   leaky -p REDIS_PORT [-h HOST] [-t TICK_MS] [-c CHANNEL]
 *
 * Run it under the preload and watch /debug/pprof/threads?debug=1 grow
 * (examples/leaky-subscriber/run.sh does it all). When stdin is a pipe the
 * program exits once the pipe closes, so tests can stop it cleanly.
 *
 * Built with the examples' flags (-O0 -g -fno-omit-frame-pointer), so the
 * function names below are what the profiles show. Threads carry a
 * profiler label, job=cron or job=subscriber (cprof_label_set, Go's
 * pprof.SetGoroutineLabels): `-tagfocus=job=subscriber` selects the
 * subscribers' samples, and threads?debug=1 prints them as Go does.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cprof.h>
/* Weak: the program also runs without libcprof (then nothing is labelled). */
#pragma weak cprof_label_set

static void label(const char *key, const char *value)
{
    if (cprof_label_set)
        cprof_label_set(key, value);
}

typedef struct options {
    const char *host;
    int port;
    int tick_ms;
    const char *channel;
} options;

static options opt = {"127.0.0.1", 0, 200, "new-task"};

/* cprof's spans, when libcprof is there (preloaded or linked): weak, so
 * the program runs without it too. The trace (/debug/pprof/trace) shows
 * one "subscribe" span per subscription on the subscriber's track. */
extern void cprof_span_begin(const char *name) __attribute__((weak));
extern void cprof_span_end(void) __attribute__((weak));
extern void cprof_event(const char *name) __attribute__((weak));
static atomic_int new_task; /* set when a message arrives, read by the cron loop */
static atomic_int subscribed;

/* The goroutine of the story: subscribe, then wait for messages forever.
 * Errors are logged and the loop goes on, as the Go code did. */
static void *subscribe_new_tasks(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "subscriber");
    label("job", "subscriber");
    if (cprof_span_begin)
        cprof_span_begin("subscribe");
    struct timeval connect_timeout = {2, 0};
    redisContext *c = redisConnectWithTimeout(opt.host, opt.port, connect_timeout);
    if (!c || c->err) {
        fprintf(stderr, "[WARNING] redis connect: %s\n", c ? c->errstr : "out of memory");
        redisFree(c);
        if (cprof_span_end)
            cprof_span_end();
        return NULL;
    }
    redisReply *reply = redisCommand(c, "SUBSCRIBE %s", opt.channel);
    freeReplyObject(reply);
    if (cprof_span_end)
        cprof_span_end();
    atomic_fetch_add(&subscribed, 1);
    for (;;) {
        void *msg = NULL;
        if (redisGetReply(c, &msg) != REDIS_OK) { /* blocks in read() */
            fprintf(stderr, "[WARNING] %s\n", c->errstr);
            sleep(1);
            continue;
        }
        if (cprof_event)
            cprof_event("message");
        atomic_store(&new_task, 1);
        freeReplyObject(msg);
    }
    return NULL;
}

static void process_tasks(void)
{
    if (atomic_exchange(&new_task, 0))
        printf("new task\n");
}

/* The cron job. The bug: every run starts one more subscriber, and nothing
 * ever tells the previous ones to stop. */
static void cron_tick(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    if (pthread_create(&t, &attr, subscribe_new_tasks, NULL) != 0)
        fprintf(stderr, "[WARNING] cannot start a subscriber\n");
    pthread_attr_destroy(&attr);
    process_tasks();
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
    while ((c = getopt(argc, argv, "h:p:t:c:")) != -1) {
        if (c == 'h')
            opt.host = optarg;
        else if (c == 'p')
            opt.port = atoi(optarg);
        else if (c == 't')
            opt.tick_ms = atoi(optarg);
        else if (c == 'c')
            opt.channel = optarg;
        else
            exit(2);
    }
    if (opt.port <= 0 || opt.tick_ms <= 0) {
        fprintf(stderr, "usage: %s -p REDIS_PORT [-h HOST] [-t TICK_MS] [-c CHANNEL]\n", argv[0]);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    pthread_setname_np(pthread_self(), "cron");
    label("job", "cron");
    struct stat st;
    int watch_stdin = fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long n = 0;; n++) {
        cron_tick();
        if (n == 0) {
            for (int waited = 0; !atomic_load(&subscribed); waited++) {
                if (waited == 5000) {
                    fprintf(stderr, "no subscription after 5 s: is redis on port %d?\n", opt.port);
                    return 1;
                }
                usleep(1000);
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
