/*
 * push_agent.c — continuous profiles to Grafana Pyroscope from inside the
 * host (CPROF_PUSH_URL), for services nothing scrapes.
 *
 * One thread (own_threads.c: born with the program's signals blocked,
 * marked internal, so neither its allocations nor its CPU are profiled)
 * does everything with libcurl's multi interface, so it never blocks on
 * the network. With a thread-safe libcurl (CURL_VERSION_THREADSAFE) it
 * also makes libcurl's global state (OpenSSL's initialisation, ~7 ms of
 * CPU) and its multi handle, so the host's start does not pay for them;
 * an older libcurl is initialised by push_agent_start, on the caller's
 * thread, before any thread of ours uses it.
 *
 *   every 500 ms   drain the CPU sampler's ring (cpu_session_drain), so
 *                  the ring never fills however long the interval (it
 *                  holds a second of every CPU's samples, at least 256;
 *                  a full one counts what it loses). The idle agent's
 *                  one recurring cost is this wakeup, measured at ~95 us
 *                  of CPU each on the loaded 2-CPU test VM: 2 a second
 *                  (bench/push_idle.py, BENCHMARKS.md)
 *   every interval the CPU profile of the interval (the background consumer
 *                  of cpu_sampler.c: swap in a fresh stack table, build the
 *                  old one: samples/count + cpu/nanoseconds, which
 *                  Pyroscope names process_cpu) and the memory profile
 *                  (alloc_* as the interval's delta, inuse_* as they are
 *                  now: profile_delta_keep, Go's godeltaprof), each encoded
 *                  (gzipped profile.proto) and queued
 *   when it can    POST the queue's head to BASE/ingest?name=APP{labels}&
 *                  from=&until=&format=pprof (common/pyroscope.c, the
 *                  request `cprof push` sends), one request in flight
 *
 * Coexisting with /debug/pprof/profile: the agent is the sampler's
 * background consumer. An HTTP profile (or a file profile) joins the same
 * session as the foreground consumer: one set of timers, every drained
 * sample copied into both tables, so both profiles are complete and
 * neither sees the other. A request for another rate than the agent's
 * (hz=) gets Go's "cpu profiling already in use" with the rate to ask for.
 * When the CPU sampler cannot start (the program owns SIGPROF), the agent
 * says so once and pushes the memory profile alone, trying again each
 * interval.
 *
 * Never blocking or growing the host: the queue holds at most
 * PUSH_QUEUE_MAX profiles; a new one beyond drops the oldest waiting one
 * (counted). A failed attempt (transport error, 5xx, 408, 429) is retried
 * with backoff from 1 s doubling up to 4 intervals (at least 10 s, at most
 * 60 s); any
 * other answer drops that profile (counted: Pyroscope refused it and will
 * again). The first failure after a success prints one line, the next
 * success one more (with how many attempts failed and profiles were
 * dropped); nothing in between.
 *
 * Exit: an atexit handler asks the thread to collect the interval so far
 * and flush the queue within PUSH_EXIT_FLUSH_MS, and waits at most that
 * plus 1 s; a receiver that does not answer costs the host's exit no more.
 * It is registered only once libcurl's global init returned: that init
 * makes OpenSSL register its own atexit cleanup, which frees OpenSSL's
 * locks, and exit runs handlers last-registered first, so ours (stopping
 * the thread) runs before OpenSSL's and the thread is never inside a TLS
 * request when its locks go. (Registered before that init, as it was, it
 * ran after OpenSSL's: push_agent_tls segfaulted at exit in
 * CRYPTO_THREAD_read_lock, called by the exit flush's TLS request, in 2 of
 * 34 runs here and in one fresh-machine run.)
 * No flush (the exit does not wait) while pushing is failing, or in a
 * process that lived under half a second (wrappers and the short commands
 * of a script preloaded with the same environment).
 *
 * Fork: the thread stays with the parent. A forked child does not push
 * (no double sends: the queue and the exit flush check the agent's pid);
 * a child that execs starts its own agent from the environment like any
 * preloaded program. See docs/PYROSCOPE.md.
 *
 * Locks: ctl_lock guards the control fields (stop request, done, pid)
 * between the agent thread and push_agent_stop; the queue and the curl
 * handles are the agent thread's alone; counters are relaxed atomics.
 */
#include "push.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/pyroscope.h"
#include "cpu/cpu.h"
#include "heap/heap.h"
#include "pprof/pprof_encode.h"
#include "pprof/profile.h"
#include "pprof/profile_delta.h"
#include "process/config.h"
#include "process/own_threads.h"
#include "threads/threads.h"

#define TICK_MS 500 /* the idle step: drain, run libcurl */
#define PUSH_EXIT_MIN_AGE_MS 500
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define BACKOFF_FLOOR_MS 10000
#define REQUEST_TIMEOUT_MS 10000
#define CONNECT_TIMEOUT_MS 5000

typedef struct item {
    char *url; /* the full ingest URL (malloc'd) */
    buf body;  /* gzipped profile.proto */
    const char *kind;
} item;

static struct {
    /* config (copied at start) */
    char url[1024], service[128], labels[1024], auth[600], tenant[300], cacert[1024];
    int interval_ms;
    int hz; /* CPU samples a CPU-second */
    /* control (ctl_lock) */
    pthread_t thread;
    int running; /* a thread exists in agent_pid */
    pid_t agent_pid;
    int stop; /* 1 = stop, 2 = stop after flushing */
    int done; /* the thread has finished */
    CURLM *multi;
    int init_in_thread; /* libcurl is thread-safe: its global init is the agent's */
    /* the agent thread's own */
    item queue[PUSH_QUEUE_MAX];
    size_t q_head, q_n;
    int in_flight;
    CURL *easy;
    struct curl_slist *headers;
    char curl_err[CURL_ERROR_SIZE];
    int64_t retry_at_ms, backoff_ms;
    int failing;
    uint64_t failed_in_a_row, dropped_at_failure;
    int cpu_on, cpu_said;
    profile *heap_prev;
    int64_t interval_wall_start, interval_mono_start;
    int64_t own_cpu_ns; /* threads_internal_cpu_ns at the interval's start */
    int64_t started_ms; /* when the agent started (monotonic) */
} agent;

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ctl_cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t n_ok, n_failed, n_dropped, n_queued;

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
    return monotonic_ns() / 1000000;
}

/* ---- the queue (agent thread only) ------------------------------------------ */

/* Free one item's memory. */
static void item_free(item *it)
{
    free(it->url);
    buf_free(&it->body);
    memset(it, 0, sizeof *it);
}

/* The queue's i-th item from the head. */
static item *q_at(size_t i)
{
    return &agent.queue[(agent.q_head + i) % PUSH_QUEUE_MAX];
}

/* Drop the oldest item not in flight (counted). */
static void q_drop_oldest(void)
{
    size_t i = agent.in_flight ? 1 : 0;
    if (i >= agent.q_n)
        return;
    item_free(q_at(i));
    for (; i + 1 < agent.q_n; i++)
        *q_at(i) = *q_at(i + 1);
    memset(q_at(agent.q_n - 1), 0, sizeof(item));
    agent.q_n--;
    atomic_fetch_add_explicit(&n_dropped, 1, memory_order_relaxed);
}

/* Remove the head (sent or refused). */
static void q_pop(void)
{
    item_free(q_at(0));
    agent.q_head = (agent.q_head + 1) % PUSH_QUEUE_MAX;
    agent.q_n--;
}

/* Queue an encoded profile for [from, until]; takes body. */
static void q_push(const char *kind, buf *body, long long from, long long until)
{
    buf url;
    buf_init(&url);
    char err[300];
    if (pyroscope_ingest_url(agent.url, agent.service, agent.labels, from, until, &url, err,
                             sizeof err) != 0 ||
        url.oom || body->oom) {
        buf_free(&url);
        buf_free(body);
        atomic_fetch_add_explicit(&n_dropped, 1, memory_order_relaxed);
        return;
    }
    buf_append_byte(&url, 0);
    if (agent.q_n == PUSH_QUEUE_MAX)
        q_drop_oldest();
    if (agent.q_n == PUSH_QUEUE_MAX) { /* only the one in flight left: cannot happen */
        buf_free(&url);
        buf_free(body);
        atomic_fetch_add_explicit(&n_dropped, 1, memory_order_relaxed);
        return;
    }
    item *it = q_at(agent.q_n++);
    size_t len;
    it->url = (char *)buf_steal(&url, &len);
    it->body = *body;
    it->kind = kind;
    buf_init(body);
    atomic_store_explicit(&n_queued, agent.q_n, memory_order_relaxed);
}

/* ---- collecting one interval ------------------------------------------------- */

/* Encode p into a queued request for [from, until]; frees p. */
static void queue_profile(const char *kind, profile *p, long long from, long long until)
{
    buf body;
    buf_init(&body);
    if (!p || p->oom || pprof_encode(p, 1, &body) != 0) {
        buf_free(&body);
        atomic_fetch_add_explicit(&n_dropped, 1, memory_order_relaxed);
    } else {
        q_push(kind, &body, from, until);
    }
    profile_free(p);
}

/* The heap model now (in-use view: all four sample types), or NULL. */
static profile *heap_now(void)
{
    if (heap_sampler_rate() <= 0)
        return NULL;
    profile_request req = {.name = "heap", .variant = HEAP_VIEW_INUSE};
    profile *p = NULL;
    char err[200];
    return heap_profile_build(&req, &p, err, sizeof err) == PROFILE_OK ? p : NULL;
}

/* Join the CPU sampler if not yet in (says once why not). */
static void cpu_join(void)
{
    if (agent.cpu_on)
        return;
    cpu_stacks *acc = cpu_stacks_new();
    char err[256] = "out of memory";
    profile_status st = acc ? cpu_background_begin(agent.hz, acc, err, sizeof err) : PROFILE_FAILED;
    if (st == PROFILE_OK) {
        agent.cpu_on = 1;
        return;
    }
    cpu_stacks_free(acc);
    if (!agent.cpu_said)
        cprof_log("push: no CPU profile for now (%s); pushing the memory profile, trying again "
                  "every interval",
                  err);
    agent.cpu_said = 1;
}

/* The interval ends now: queue its CPU and memory profiles, begin the next. */
static void collect_interval(void)
{
    int64_t wall = profile_now_nanos(), mono = monotonic_ns();
    long long from = agent.interval_wall_start / 1000000000;
    long long until = wall / 1000000000;
    if (until <= from)
        until = from + 1;
    if (agent.cpu_on) {
        cpu_stacks *fresh = cpu_stacks_new();
        cpu_stacks *old = fresh ? cpu_background_swap(fresh) : NULL;
        if (old) {
            profile *p = cpu_stacks_profile(old, agent.hz, agent.interval_wall_start,
                                            mono - agent.interval_mono_start);
            cpu_stacks_free(old);
            int64_t own = threads_internal_cpu_ns(NULL);
            if (p) {
                char note[160];
                snprintf(note, sizeof note,
                         "cprof: its own threads (push agent, HTTP server, symbolizer) used "
                         "%.3f s of CPU during this interval, not sampled and not included",
                         (double)(own - agent.own_cpu_ns) / 1e9);
                profile_add_comment(p, note);
            }
            agent.own_cpu_ns = own;
            queue_profile("cpu", p, from, until);
        } else {
            cpu_stacks_free(fresh);
        }
    }
    profile *cur = heap_now();
    if (cur && agent.heap_prev) {
        unsigned keep = 0;
        for (size_t k = 0; k < cur->n_sample_types; k++)
            if (strncmp(cur->sample_types[k].type, "inuse_", 6) == 0)
                keep |= 1u << k;
        profile *d = profile_delta_keep(agent.heap_prev, cur, keep);
        if (d) {
            d->time_nanos = agent.interval_wall_start;
            d->duration_nanos = wall - agent.interval_wall_start;
        }
        queue_profile("memory", d, from, until);
    }
    profile_free(agent.heap_prev);
    agent.heap_prev = cur;
    agent.interval_wall_start = wall;
    agent.interval_mono_start = mono;
    cpu_join();
}

/* ---- sending (agent thread only) ------------------------------------------------ */

/* libcurl's write callback: the reply is not needed. */
static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
    (void)ptr, (void)ctx;
    return size * n;
}

/* Start sending the queue's head. 0, or -1 (then retried later). */
static int send_head(void)
{
    item *it = q_at(0);
    if (!agent.easy) {
        agent.easy = curl_easy_init();
        if (!agent.easy)
            return -1;
    } else {
        curl_easy_reset(agent.easy);
    }
    CURL *e = agent.easy;
    agent.curl_err[0] = 0;
    curl_easy_setopt(e, CURLOPT_URL, it->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, (const char *)it->body.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->body.len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, agent.headers);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, agent.curl_err);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "cprof-push-agent");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    /* TLS: the peer's certificate and name are always verified (libcurl's
     * defaults, set here so no reset or build default can turn them off);
     * CPROF_PUSH_CACERT replaces the system's CA store. */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (agent.cacert[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, agent.cacert);
    if (curl_multi_add_handle(agent.multi, e) != CURLM_OK)
        return -1;
    agent.in_flight = 1;
    return 0;
}

/* A failed attempt: count it, say so the first time, back off. permanent:
 * the head is dropped instead of retried. */
static void attempt_failed(const char *why, int permanent)
{
    atomic_fetch_add_explicit(&n_failed, 1, memory_order_relaxed);
    agent.failed_in_a_row++;
    if (!agent.failing) {
        cprof_log("push to %.200s failed: %s; retrying with backoff (up to %d profiles wait, "
                  "older ones are dropped)",
                  agent.url, why, PUSH_QUEUE_MAX);
        agent.failing = 1;
        agent.dropped_at_failure = atomic_load(&n_dropped);
    }
    if (permanent) {
        q_pop();
        atomic_fetch_add_explicit(&n_dropped, 1, memory_order_relaxed);
        agent.retry_at_ms = now_ms();
        return;
    }
    /* Up to 4 intervals (at least 10 s, at most 60 s): a receiver back
     * from an outage gets the queue within a few intervals. */
    int64_t max = 4 * (int64_t)agent.interval_ms;
    max = max < BACKOFF_FLOOR_MS ? BACKOFF_FLOOR_MS : max > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : max;
    agent.backoff_ms = agent.backoff_ms ? agent.backoff_ms * 2 : BACKOFF_MIN_MS;
    if (agent.backoff_ms > max)
        agent.backoff_ms = max;
    agent.retry_at_ms = now_ms() + agent.backoff_ms;
}

/* The transfer in flight ended with result rc. */
static void transfer_done(CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(agent.easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(agent.multi, agent.easy);
    agent.in_flight = 0;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        q_pop();
        atomic_fetch_add_explicit(&n_ok, 1, memory_order_relaxed);
        if (agent.failing)
            cprof_log("push to %.200s works again (%llu attempts failed, %llu profiles dropped "
                      "meanwhile)",
                      agent.url, (unsigned long long)agent.failed_in_a_row,
                      (unsigned long long)(atomic_load(&n_dropped) - agent.dropped_at_failure));
        agent.failing = 0;
        agent.failed_in_a_row = 0;
        agent.backoff_ms = 0;
        agent.retry_at_ms = 0;
    } else if (rc != CURLE_OK) {
        char why[CURL_ERROR_SIZE + 64];
        snprintf(why, sizeof why, "%s",
                 agent.curl_err[0] ? agent.curl_err : curl_easy_strerror(rc));
        attempt_failed(why, 0);
    } else {
        char why[64];
        snprintf(why, sizeof why, "server answered %ld", status);
        attempt_failed(why, !(status >= 500 || status == 408 || status == 429));
    }
    atomic_store_explicit(&n_queued, agent.q_n, memory_order_relaxed);
}

/* Run libcurl and collect a finished transfer. */
static void pump(int wait_ms)
{
    int still;
    curl_multi_perform(agent.multi, &still);
    if (wait_ms > 0)
        curl_multi_poll(agent.multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(agent.multi, &still);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(agent.multi, &left))) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == agent.easy && agent.in_flight)
            transfer_done(m->data.result);
    }
    if (!agent.in_flight && agent.q_n && now_ms() >= agent.retry_at_ms && send_head() != 0)
        attempt_failed("cannot start a request", 0);
}

/* At exit: send what waits within the deadline. */
static void flush_queue(int64_t deadline_ms)
{
    while ((agent.q_n || agent.in_flight) && now_ms() < deadline_ms) {
        if (!agent.in_flight && agent.q_n && now_ms() < agent.retry_at_ms)
            agent.retry_at_ms = now_ms(); /* no backoff when leaving */
        int64_t left = deadline_ms - now_ms();
        pump(left < TICK_MS ? (int)(left > 0 ? left : 0) : TICK_MS);
    }
}

/* ---- the thread -------------------------------------------------------------- */

/* atexit: the last interval, bounded; the thread stopped (or given up on)
 * before OpenSSL's own exit handler runs (see "Exit" above). */
static void at_exit_flush(void)
{
    push_agent_stop(1);
}

/* Register at_exit_flush, once libcurl's global init has returned. */
static void register_exit_flush(void)
{
    atexit(at_exit_flush);
}

/* libcurl's global state (OpenSSL's among it: ~7 ms of CPU) and the multi
 * handle, made on the agent thread when libcurl is thread-safe, so neither
 * the host's start nor its main thread pays for them. 0, or -1 with one
 * stderr line, the agent marked not running (and the thread detached,
 * unless push_agent_stop is already waiting to join it). */
static int init_curl_here(void)
{
    if (!agent.init_in_thread)
        return 0;
    CURLM *m = NULL;
    int ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK &&
             (agent.multi || (m = curl_multi_init()) != NULL);
    pthread_mutex_lock(&ctl_lock);
    if (m)
        agent.multi = m;
    if (!ok) {
        /* push_agent_stop joins a thread it asked to stop; otherwise no
         * one will: detach, and say the agent is not running. */
        if (!agent.stop) {
            agent.running = 0;
            cpu_background_expect(0);
            pthread_detach(pthread_self());
        }
        agent.done = 1;
        pthread_cond_broadcast(&ctl_cond);
    }
    pthread_mutex_unlock(&ctl_lock);
    if (!ok) {
        cprof_log("push: cannot initialise libcurl; pushing disabled");
        return -1;
    }
    pthread_once(&exit_once, register_exit_flush);
    return 0;
}

static void *agent_main(void *unused)
{
    (void)unused;
    heap_thread_set_internal(1);
    threads_mark_internal_creator(1); /* libcurl's resolver threads are ours */
    pthread_setname_np(pthread_self(), "cprof-push");
    if (init_curl_here() != 0)
        return NULL;
    agent.interval_wall_start = profile_now_nanos();
    agent.interval_mono_start = monotonic_ns();
    agent.heap_prev = heap_now();
    agent.own_cpu_ns = threads_internal_cpu_ns(NULL);
    cpu_join();
    int64_t next = now_ms() + agent.interval_ms;
    int stop = 0;
    for (;;) {
        pthread_mutex_lock(&ctl_lock);
        stop = agent.stop;
        pthread_mutex_unlock(&ctl_lock);
        if (stop)
            break;
        if (agent.cpu_on)
            cpu_session_drain();
        if (now_ms() >= next) {
            collect_interval();
            next += agent.interval_ms;
            if (next <= now_ms()) /* fell behind (a stopped process): no burst */
                next = now_ms() + agent.interval_ms;
        }
        int64_t wait = next - now_ms();
        pump(wait > TICK_MS ? TICK_MS : wait > 0 ? (int)wait : 0);
    }
    /* The exit flush, unless pushing is failing now (the host's exit would
     * only wait for the same failure) or the process lived under
     * PUSH_EXIT_MIN_AGE_MS (a wrapper, a short command of a script: its
     * exit is not delayed by a request). */
    if (stop == 2 && !agent.failing && now_ms() - agent.started_ms >= PUSH_EXIT_MIN_AGE_MS) {
        collect_interval();
        flush_queue(now_ms() + PUSH_EXIT_FLUSH_MS);
    }
    if (agent.cpu_on)
        cpu_stacks_free(cpu_background_end());
    agent.cpu_on = 0;
    if (agent.in_flight)
        curl_multi_remove_handle(agent.multi, agent.easy);
    agent.in_flight = 0;
    while (agent.q_n)
        q_pop();
    atomic_store_explicit(&n_queued, 0, memory_order_relaxed);
    profile_free(agent.heap_prev);
    agent.heap_prev = NULL;
    if (agent.easy)
        curl_easy_cleanup(agent.easy);
    agent.easy = NULL;
    pthread_mutex_lock(&ctl_lock);
    agent.done = 1;
    pthread_cond_broadcast(&ctl_cond);
    pthread_mutex_unlock(&ctl_lock);
    return NULL;
}

/* A forked child: the thread stayed with the parent, and another thread
 * may have held ctl_lock at the fork. agent_pid tells the child it has no
 * agent (no queue, no exit flush). */
static void atfork_child(void)
{
    pthread_mutex_init(&ctl_lock, NULL);
    pthread_cond_init(&ctl_cond, NULL);
    cpu_background_expect(0);
}

/* Register the fork handler once. */
static void setup_fork(void)
{
    pthread_atfork(NULL, NULL, atfork_child);
}

int push_agent_start(const push_config *c)
{
    pthread_mutex_lock(&ctl_lock);
    if (agent.running && agent.agent_pid == getpid()) {
        pthread_mutex_unlock(&ctl_lock);
        cprof_log("push: the agent is already running");
        return -1;
    }
    /* A thread-safe libcurl is initialised by the agent thread; another
     * one here, before any thread of ours uses it. */
    const curl_version_info_data *ver = curl_version_info(CURLVERSION_NOW);
    agent.init_in_thread = ver && (ver->features & CURL_VERSION_THREADSAFE) != 0;
    if (!agent.init_in_thread && (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
                                  (!agent.multi && !(agent.multi = curl_multi_init())))) {
        pthread_mutex_unlock(&ctl_lock);
        cprof_log("push: cannot initialise libcurl; pushing disabled");
        return -1;
    }
    snprintf(agent.url, sizeof agent.url, "%s", c->url);
    snprintf(agent.service, sizeof agent.service, "%s", c->service);
    snprintf(agent.labels, sizeof agent.labels, "%s", c->labels ? c->labels : "");
    snprintf(agent.cacert, sizeof agent.cacert, "%s", c->cacert ? c->cacert : "");
    agent.interval_ms = (c->interval > 0 ? c->interval : 15) * 1000;
    agent.hz = c->hz >= CPU_MIN_HZ && c->hz <= CPU_MAX_HZ ? c->hz : PUSH_DEFAULT_HZ;
    curl_slist_free_all(agent.headers);
    agent.headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    agent.headers = curl_slist_append(agent.headers, "Expect:");
    if (c->token && *c->token) {
        snprintf(agent.auth, sizeof agent.auth, "Authorization: Bearer %s", c->token);
        agent.headers = curl_slist_append(agent.headers, agent.auth);
        memset(agent.auth, 0, sizeof agent.auth);
    }
    if (c->tenant && *c->tenant) {
        snprintf(agent.tenant, sizeof agent.tenant, "X-Scope-OrgID: %s", c->tenant);
        agent.headers = curl_slist_append(agent.headers, agent.tenant);
    }
    agent.stop = agent.done = 0;
    agent.failing = 0;
    agent.backoff_ms = agent.retry_at_ms = 0;
    agent.q_head = agent.q_n = 0;
    agent.cpu_on = agent.cpu_said = 0;
    agent.started_ms = now_ms();
    int rc = agent.headers ? own_thread_create(&agent.thread, NULL, agent_main, NULL) : -1;
    if (rc == 0) {
        agent.running = 1;
        agent.agent_pid = getpid();
        cpu_background_expect(agent.hz); /* a rateless /profile or file takes it */
    }
    pthread_mutex_unlock(&ctl_lock);
    if (rc != 0) {
        cprof_log("push: cannot start the agent thread; pushing disabled");
        return -1;
    }
    pthread_once(&fork_once, setup_fork);
    if (!agent.init_in_thread) /* libcurl initialised above: see "Exit" */
        pthread_once(&exit_once, register_exit_flush);
    cprof_log("pid %d pushing profiles to %.200s every %d s as %s%s%s%s", (int)getpid(), agent.url,
              agent.interval_ms / 1000, agent.service, agent.labels[0] ? "{" : "", agent.labels,
              agent.labels[0] ? "}" : "");
    return 0;
}

void push_agent_stop(int flush)
{
    pthread_mutex_lock(&ctl_lock);
    if (!agent.running || agent.agent_pid != getpid()) {
        pthread_mutex_unlock(&ctl_lock);
        return;
    }
    agent.running = 0;
    cpu_background_expect(0);
    agent.stop = flush ? 2 : 1;
    if (agent.multi) /* else the thread has not reached its loop yet */
        curl_multi_wakeup(agent.multi);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (PUSH_EXIT_FLUSH_MS + 1000) / 1000;
    while (!agent.done) {
        if (pthread_cond_timedwait(&ctl_cond, &ctl_lock, &until) != 0)
            break;
    }
    int done = agent.done;
    pthread_mutex_unlock(&ctl_lock);
    if (done)
        pthread_join(agent.thread, NULL);
    else
        pthread_detach(agent.thread);
}

void push_agent_counts(push_counts *out)
{
    out->ok = atomic_load_explicit(&n_ok, memory_order_relaxed);
    out->failed = atomic_load_explicit(&n_failed, memory_order_relaxed);
    out->dropped = atomic_load_explicit(&n_dropped, memory_order_relaxed);
    out->queued = atomic_load_explicit(&n_queued, memory_order_relaxed);
    out->running = agent.running && agent.agent_pid == getpid();
}
