/*
 * blocking_calls — a hostile host for thread dumps: threads that sit in the
 * blocking calls the kernel does not restart after a signal handler, each
 * checking every return value and how long the call took.
 *
 * Usage: blocking_calls [-t THREADS] MODE...   (MODE "all" = every mode)
 *   sleep usleep nanosleep clock_nanosleep pause sigsuspend sigtimedwait
 *   sigwaitinfo sigwait poll ppoll select pselect epoll_wait semop msgrcv
 *   recv cond_timedwait busy_nanosleep raw_nanosleep (syscall(), not libc's)
 * Each mode runs THREADS threads (default 2) that repeat their call until
 * stdin closes. Timed calls (sleep ... epoll_wait, recv with SO_RCVTIMEO,
 * pthread_cond_timedwait, sigtimedwait) wait for a timeout that nothing
 * cuts short: a return before it, or EINTR, is counted. Event calls (pause,
 * sigsuspend, sigwaitinfo, sigwait, semop, msgrcv) are woken by a waker
 * thread every WAKE_MS: a return that no wake-up explains, or EINTR, is
 * counted. Prints "ready" once every thread runs; at the end one line per
 * mode, "MODE calls=N early=E eintr=I errors=X", and exits 1 when any E, I
 * or X is not 0.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 300 /* every timed call waits this long */
#define SLACK_MS 5     /* jiffy-based timeouts (SO_RCVTIMEO) may end a tick early */
#define WAKE_MS 200    /* event calls are woken this often */
#define MAX_THREADS 64

typedef struct worker {
    pthread_t thread;
    int index;
    struct mode *mode;
    int fd;                /* recv: the socket; epoll_wait: the epoll */
    atomic_int wakes_sent; /* event modes: wake-ups the waker sent */
    atomic_int ready;
} worker;

typedef struct mode {
    const char *name;
    int (*call)(worker *w); /* 0 ok, 1 early return, 2 EINTR, 3 other error */
    int event;              /* woken by the waker thread */
    atomic_long calls, early, eintr, errors;
    worker workers[MAX_THREADS];
} mode;

static atomic_int stopping;
static int n_threads = 2;
static int sem_id = -1, msg_id = -1;
static __thread volatile sig_atomic_t usr1_seen;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int timed(int rc_ok, int64_t t0, int64_t want_ms)
{
    if (!rc_ok)
        return errno == EINTR ? 2 : 3;
    return now_ms() - t0 < want_ms - SLACK_MS ? 1 : 0;
}

/* ---- timed calls ---- */

static int do_sleep(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    unsigned left = sleep(1);
    if (left != 0)
        return 1;
    return now_ms() - t0 < 1000 - SLACK_MS ? 1 : 0;
}

static int do_usleep(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(usleep(TIMEOUT_MS * 1000) == 0, t0, TIMEOUT_MS);
}

static const struct timespec timeout_ts = {0, TIMEOUT_MS * 1000000L};

static int do_nanosleep(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(nanosleep(&timeout_ts, NULL) == 0, t0, TIMEOUT_MS);
}

static int do_clock_nanosleep(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &timeout_ts, NULL);
    if (rc != 0)
        errno = rc;
    return timed(rc == 0, t0, TIMEOUT_MS);
}

/* CPU-bound work between short sleeps: the CPU profiler's timer fires on
 * this thread (it runs), never while it sleeps. */
static int do_busy_nanosleep(worker *w)
{
    (void)w;
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 2000000L);
    const struct timespec ms = {0, 1000000L};
    int64_t start = now_ms();
    if (nanosleep(&ms, NULL) != 0)
        return errno == EINTR ? 2 : 3;
    return now_ms() - start < 1 - SLACK_MS ? 1 : 0;
}

/* A system call no interposer sees: the dump must read /proc, find it in
 * a call a signal would interrupt, and leave it alone. */
static int do_raw_nanosleep(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &timeout_ts, NULL) == 0, t0,
                 TIMEOUT_MS);
}

static int do_poll(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(poll(NULL, 0, TIMEOUT_MS) == 0, t0, TIMEOUT_MS);
}

static int do_ppoll(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(ppoll(NULL, 0, &timeout_ts, NULL) == 0, t0, TIMEOUT_MS);
}

static int do_select(worker *w)
{
    (void)w;
    struct timeval tv = {0, TIMEOUT_MS * 1000};
    int64_t t0 = now_ms();
    return timed(select(0, NULL, NULL, NULL, &tv) == 0, t0, TIMEOUT_MS);
}

static int do_pselect(worker *w)
{
    (void)w;
    int64_t t0 = now_ms();
    return timed(pselect(0, NULL, NULL, NULL, &timeout_ts, NULL) == 0, t0, TIMEOUT_MS);
}

static int do_epoll_wait(worker *w)
{
    struct epoll_event ev;
    int64_t t0 = now_ms();
    return timed(epoll_wait(w->fd, &ev, 1, TIMEOUT_MS) == 0, t0, TIMEOUT_MS);
}

static int do_recv(worker *w)
{
    char c;
    int64_t t0 = now_ms();
    ssize_t n = recv(w->fd, &c, 1, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return now_ms() - t0 < TIMEOUT_MS - SLACK_MS ? 1 : 0;
    if (n < 0 && errno == EINTR)
        return 2;
    return n < 0 ? 3 : 1;
}

static int do_sigtimedwait(worker *w)
{
    (void)w;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2); /* blocked, never sent to this mode */
    int64_t t0 = now_ms();
    int rc = sigtimedwait(&set, NULL, &timeout_ts);
    if (rc < 0 && errno == EAGAIN)
        return now_ms() - t0 < TIMEOUT_MS - SLACK_MS ? 1 : 0;
    if (rc < 0 && errno == EINTR)
        return 2;
    return rc < 0 ? 3 : 1;
}

static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

static int do_cond_timedwait(worker *w)
{
    (void)w;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += TIMEOUT_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000;
    until.tv_nsec %= 1000000000;
    int64_t t0 = now_ms();
    pthread_mutex_lock(&cond_lock);
    int rc = pthread_cond_timedwait(&cond, &cond_lock, &until); /* never signalled */
    pthread_mutex_unlock(&cond_lock);
    if (rc == ETIMEDOUT)
        return now_ms() - t0 < TIMEOUT_MS - SLACK_MS ? 1 : 0;
    return rc == EINTR ? 2 : rc == 0 ? 1 : 3;
}

/* ---- event calls: a return must match a wake-up the waker sent ---- */

static void on_usr1(int sig)
{
    (void)sig;
    usr1_seen++;
}

static int do_pause(worker *w)
{
    (void)w;
    sig_atomic_t before = usr1_seen;
    int rc = pause();
    if (rc != -1 || errno != EINTR)
        return 3;
    return usr1_seen != before ? 0 : 2; /* interrupted by someone else's signal */
}

static int do_sigsuspend(worker *w)
{
    (void)w;
    sigset_t mask; /* SIGUSR1 is blocked in this thread except in here */
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    sigdelset(&mask, SIGUSR1);
    sig_atomic_t before = usr1_seen;
    int rc = sigsuspend(&mask);
    if (rc != -1 || errno != EINTR)
        return 3;
    return usr1_seen != before ? 0 : 2;
}

static int do_sigwaitinfo(worker *w)
{
    (void)w;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    int rc = sigwaitinfo(&set, NULL);
    if (rc < 0)
        return errno == EINTR ? 2 : 3;
    return rc == SIGUSR2 ? 0 : 3;
}

static int do_sigwait(worker *w)
{
    (void)w;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    int sig = 0;
    int rc = sigwait(&set, &sig);
    if (rc != 0)
        return rc == EINTR ? 2 : 3;
    return sig == SIGUSR2 ? 0 : 3;
}

static int do_semop(worker *w)
{
    struct sembuf op = {(unsigned short)w->index, -1, 0};
    if (semop(sem_id, &op, 1) != 0)
        return errno == EINTR ? 2 : 3;
    return 0;
}

struct message {
    long mtype;
    char text[8];
};

static int do_msgrcv(worker *w)
{
    struct message m;
    ssize_t n = msgrcv(msg_id, &m, sizeof m.text, w->index + 1, 0);
    if (n < 0)
        return errno == EINTR ? 2 : 3;
    return n == sizeof m.text && m.mtype == w->index + 1 ? 0 : 3;
}

/* Wake every worker of the event modes (stopping: one last wake each, so
 * nobody is left waiting). */
static void wake(mode *m, worker *w)
{
    atomic_fetch_add(&w->wakes_sent, 1);
    if (m->call == do_pause || m->call == do_sigsuspend) {
        pthread_kill(w->thread, SIGUSR1);
    } else if (m->call == do_sigwaitinfo || m->call == do_sigwait) {
        pthread_kill(w->thread, SIGUSR2);
    } else if (m->call == do_semop) {
        struct sembuf op = {(unsigned short)w->index, 1, 0};
        semop(sem_id, &op, 1);
    } else if (m->call == do_msgrcv) {
        struct message msg = {w->index + 1, "wake"};
        msgsnd(msg_id, &msg, sizeof msg.text, 0);
    }
}

static mode modes[] = {
    {.name = "sleep", .call = do_sleep},
    {.name = "usleep", .call = do_usleep},
    {.name = "nanosleep", .call = do_nanosleep},
    {.name = "clock_nanosleep", .call = do_clock_nanosleep},
    {.name = "pause", .call = do_pause, .event = 1},
    {.name = "sigsuspend", .call = do_sigsuspend, .event = 1},
    {.name = "sigtimedwait", .call = do_sigtimedwait},
    {.name = "sigwaitinfo", .call = do_sigwaitinfo, .event = 1},
    {.name = "sigwait", .call = do_sigwait, .event = 1},
    {.name = "busy_nanosleep", .call = do_busy_nanosleep},
    {.name = "raw_nanosleep", .call = do_raw_nanosleep},
    {.name = "poll", .call = do_poll},
    {.name = "ppoll", .call = do_ppoll},
    {.name = "select", .call = do_select},
    {.name = "pselect", .call = do_pselect},
    {.name = "epoll_wait", .call = do_epoll_wait},
    {.name = "semop", .call = do_semop, .event = 1},
    {.name = "msgrcv", .call = do_msgrcv, .event = 1},
    {.name = "recv", .call = do_recv},
    {.name = "cond_timedwait", .call = do_cond_timedwait},
};
#define N_MODES (sizeof modes / sizeof *modes)

static mode *active[N_MODES];
static size_t n_active;

static void *run_worker(void *arg)
{
    worker *w = arg;
    mode *m = w->mode;
    if (m->call == do_sigsuspend) {
        sigset_t usr1;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    }
    atomic_store(&w->ready, 1);
    while (!atomic_load(&stopping)) {
        int r = m->call(w);
        atomic_fetch_add(&m->calls, 1);
        if (r == 1)
            atomic_fetch_add(&m->early, 1);
        else if (r == 2)
            atomic_fetch_add(&m->eintr, 1);
        else if (r == 3)
            atomic_fetch_add(&m->errors, 1);
        if (r && !atomic_load(&stopping))
            fprintf(stderr, "blocking_calls: %s: %s\n", m->name,
                    r == 1   ? "early return"
                    : r == 2 ? "EINTR"
                             : strerror(errno));
    }
    return NULL;
}

static void *run_waker(void *arg)
{
    (void)arg;
    struct timespec ts = {0, WAKE_MS * 1000000L};
    while (!atomic_load(&stopping)) {
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ts.tv_nsec = WAKE_MS * 1000000L;
        for (size_t i = 0; i < n_active; i++) {
            for (int k = 0; active[i]->event && k < n_threads; k++)
                wake(active[i], &active[i]->workers[k]);
        }
    }
    return NULL;
}

static int setup_mode(mode *m)
{
    for (int k = 0; k < n_threads; k++) {
        worker *w = &m->workers[k];
        w->index = k;
        w->mode = m;
        if (m->call == do_epoll_wait) {
            w->fd = epoll_create1(0);
        } else if (m->call == do_recv) {
            int sv[2];
            struct timeval tv = {0, TIMEOUT_MS * 1000};
            if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
                return -1;
            setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            w->fd = sv[0];
        }
    }
    if (m->call == do_semop && sem_id < 0)
        sem_id = semget(IPC_PRIVATE, MAX_THREADS, 0600);
    if (m->call == do_msgrcv && msg_id < 0)
        msg_id = msgget(IPC_PRIVATE, 0600);
    return (m->call == do_semop && sem_id < 0) || (m->call == do_msgrcv && msg_id < 0) ? -1 : 0;
}

static void remove_ipc(void)
{
    if (sem_id >= 0)
        semctl(sem_id, 0, IPC_RMID);
    if (msg_id >= 0)
        msgctl(msg_id, IPC_RMID, NULL);
}

static int add_mode(const char *name)
{
    for (size_t i = 0; i < N_MODES; i++) {
        if (strcmp(name, "all") == 0 || strcmp(name, modes[i].name) == 0) {
            int seen = 0;
            for (size_t k = 0; k < n_active; k++)
                seen |= active[k] == &modes[i];
            if (!seen)
                active[n_active++] = &modes[i];
            if (strcmp(name, "all") != 0)
                return 0;
        }
    }
    return strcmp(name, "all") == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt == 't')
            n_threads = atoi(optarg);
    }
    if (n_threads < 1 || n_threads > MAX_THREADS || optind >= argc) {
        fprintf(stderr, "usage: blocking_calls [-t THREADS] MODE...\n");
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        if (add_mode(argv[i]) != 0) {
            fprintf(stderr, "blocking_calls: unknown mode %s\n", argv[i]);
            return 2;
        }
    }
    /* SIGUSR2 is only ever taken by sigwait*: blocked everywhere. SIGUSR1
     * wakes pause and sigsuspend through a handler. */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: as a program waiting in pause would */
    atexit(remove_ipc);
    for (size_t i = 0; i < n_active; i++) {
        if (setup_mode(active[i]) != 0) {
            fprintf(stderr, "blocking_calls: %s: set-up failed: %s\n", active[i]->name,
                    strerror(errno));
            return 2;
        }
        for (int k = 0; k < n_threads; k++)
            pthread_create(&active[i]->workers[k].thread, NULL, run_worker, &active[i]->workers[k]);
    }
    pthread_t waker;
    pthread_create(&waker, NULL, run_waker, NULL);
    for (size_t i = 0; i < n_active; i++) {
        for (int k = 0; k < n_threads; k++) {
            while (!atomic_load(&active[i]->workers[k].ready))
                usleep(1000);
        }
    }
    printf("ready\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
    atomic_store(&stopping, 1);
    pthread_join(waker, NULL);
    int bad = 0;
    for (size_t i = 0; i < n_active; i++) {
        mode *m = active[i];
        for (int k = 0; k < n_threads; k++) {
            /* Event waiters get wake-ups until they notice the stop. */
            while (pthread_tryjoin_np(m->workers[k].thread, NULL) == EBUSY) {
                if (m->event)
                    wake(m, &m->workers[k]);
                usleep(10000);
            }
        }
        printf("%s calls=%ld early=%ld eintr=%ld errors=%ld\n", m->name, atomic_load(&m->calls),
               atomic_load(&m->early), atomic_load(&m->eintr), atomic_load(&m->errors));
        bad |= atomic_load(&m->early) || atomic_load(&m->eintr) || atomic_load(&m->errors);
    }
    return bad ? 1 : 0;
}
