/*
 * push_idle_ab — what an idle push agent costs the churn benchmark,
 * measured inside one process so that a shared, drifting machine cannot
 * hide it (issue 17: <= 0.5 % of the program's CPU).
 *
 * Why inside one process: on the 2-vCPU test VM two runs of the same
 * bench/churn binary differ by 2-10 % in CPU per step (the machine's load
 * drifts by tens of percent within minutes, and each process gets its own
 * physical pages), so with/without comparisons across processes resolve a
 * few percent at best. Here the same threads, on the same heap, churn
 * throughout (churn.h, 2 threads by default) and each times chunks of
 * CHUNK_STEPS steps with its own CLOCK_THREAD_CPUTIME_ID. Run preloaded
 * (LD_PRELOAD=libcprof.so, CPROF_ADDR=off, no CPROF_PUSH_URL in the
 * environment: the library starts without an agent; the bench starts it
 * with cprof_stop and cprof_start(NULL), CPROF_PUSH_URL set to URL).
 *
 * --fine S (the precise one): the agent runs for S seconds and every
 * worker times its chunks in pairs, one with the sampler's signal blocked
 * and one with it unblocked, in random order. A timer that expires in a
 * blocked chunk leaves its signal pending until the next unblocking, which
 * is the first thing an unblocked chunk does, so the whole cost of every
 * sample (the kernel's delivery, the handler's unwind, what both take from
 * the worker's caches) lands in unblocked chunks, while both kinds make
 * one mask change. The samples' share of the program's work is then
 * (unblocked - blocked) / (2 blocked), with a 95 % interval from the
 * pairs' spread (tens of thousands of ~2.5 ms pairs: a pair sees one
 * moment of the machine). The agent thread's own CPU (comm "cprof-push",
 * its schedstat: drains every 500 ms, a push every interval) is added.
 *
 * Windows (the default): the whole agent switched on and off, cruder but
 * with nothing left out (timers merely armed, the agent thread's effect on
 * the caches). Windows come in pairs, agent on and off in random order;
 * each starts with a restart of libcprof (both kinds alike), and the
 * restart and --settle MS after it (200) are not measured. A chunk counts
 * for a window only when the window did not change during it. The shift
 * of log(on / off) of CPU per step over the pairs is estimated robustly
 * (Hodges-Lehmann, with the Wilcoxon 95 % interval: the machine's bursts
 * give heavy tails; the geometric mean with Student's t interval is
 * printed too), and the agent thread's CPU in the "on" windows (or over
 * --hold S: one stretch of S seconds with the agent, pushes included) is
 * added. --pairs-out FILE writes each pair's CPU per step ("pair off_ns
 * on_ns"); --cpu HZ puts a CPU profile to a file (cprof_cpu_start) at HZ in
 * the "on" windows instead of the agent, and --keep with it leaves
 * libcprof started throughout (no restart: only that profile is started
 * and stopped), to tell what the restarts add from what the sampler costs.
 *
 * Both designs check that the agent's timers were there: one POSIX timer
 * per program thread (/proc/self/timers) with it, none without.
 *
 * Controls, to show what a design resolves:
 *   --aa          no agent in either half: the result must be 0 within its
 *                 interval;
 *   --inject PCT  the "on" (unblocked) halves do PCT % more steps than they
 *                 count: a known cost the result must find (with --fine,
 *                 PCT/2 % of the work).
 *
 * usage: push_idle_ab URL [PAIRS] [WINDOW_MS] [THREADS] [--fine S] [--aa] [--inject PCT]
 *                     [--hold S] [--cpu HZ [--keep]] [--settle MS] [--pairs-out FILE]
 * Defaults: 30 pairs, 500 ms windows (each then holds one of the agent's
 * drains), 2 threads. Prints one "result" line (the overhead and its
 * interval, in percent) and the details; exits 2 on bad usage, 1 when
 * libcprof is not preloaded or the timers were not as claimed.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/helpers/helper.h"
#include "churn.h"

#define MAX_THREADS 8
#define MAX_WINDOWS 4096
#define CHUNK_STEPS 20000 /* ~1-2 ms of churn */

typedef int (*cprof_start_fn)(const void *config);
typedef void (*cprof_stop_fn)(void);
typedef int (*cprof_cpu_start_fn)(const char *path, int hz);
typedef int (*cprof_cpu_stop_fn)(void);

/* The window being measured: (index << 1) | 1 while it is measured, an
 * even value while libcprof restarts between windows. */
static _Atomic uint64_t window_tag;
static atomic_int stopping;
static double inject_fraction; /* extra steps per counted step in "on" windows */
static _Atomic int inject_now;

typedef struct window_acc {
    double ns;    /* CPU of the credited chunks */
    double steps; /* steps counted in them */
} window_acc;

/* Each worker's own accumulators (no sharing between workers). */
static window_acc acc[MAX_THREADS][MAX_WINDOWS];

static double now_thread_ns(void)
{
    return (double)clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* A worker: churn in chunks until stopping; credits each chunk that began
 * and ended in the same measured window to that window. */
static void *worker(void *arg)
{
    unsigned index = (unsigned)(uintptr_t)arg;
    churn_state c;
    if (churn_begin(&c, index) != 0)
        return NULL;
    long step = 0;
    while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
        uint64_t tag = atomic_load_explicit(&window_tag, memory_order_acquire);
        long extra = atomic_load_explicit(&inject_now, memory_order_relaxed)
                         ? lround(CHUNK_STEPS * inject_fraction)
                         : 0;
        double t0 = now_thread_ns();
        churn_steps(&c, step, CHUNK_STEPS + extra);
        double t1 = now_thread_ns();
        step += CHUNK_STEPS + extra;
        if ((tag & 1) && atomic_load_explicit(&window_tag, memory_order_acquire) == tag) {
            window_acc *a = &acc[index][tag >> 1];
            a->ns += t1 - t0;
            a->steps += CHUNK_STEPS;
        }
    }
    churn_end(&c);
    return NULL;
}

/* CPU nanoseconds of this process's threads named cprof-push (the agent),
 * 0 when there is none. */
static double agent_thread_ns(void)
{
    return (double)threads_cpu_ns((const char *const[]){"cprof-push", NULL});
}

/* The POSIX timers this process has now (/proc/self/timers: one "ID:" line
 * each), -1 when the kernel does not list them. The agent's CPU sampler
 * arms one per program thread; none may be left in a window without it. */
static int timers_now(void)
{
    FILE *f = fopen("/proc/self/timers", "r");
    if (!f)
        return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strncmp(line, "ID:", 3) == 0;
    fclose(f);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

static cprof_start_fn start_fn;
static cprof_stop_fn stop_fn;
static cprof_cpu_start_fn cpu_start_fn;
static cprof_cpu_stop_fn cpu_stop_fn;
static const char *push_url;
static int cpu_hz; /* --cpu: a file CPU profile at this rate instead of the agent */
static char cpu_path[] = "/tmp/push_idle_ab.XXXXXX";
static int cpu_running;
static FILE *pairs_out;     /* --pairs-out: "pair off_ns on_ns" per pair */
static int settle_ms = 200; /* --settle: not measured after each restart */
static int keep_started;    /* --keep (with --cpu): no restart, only the CPU profile switched */

/* Restart libcprof with or without the agent (on the main thread); with
 * --cpu, "with" is a CPU profile to a file at cpu_hz instead. */
static void restart(int agent)
{
    if (cpu_running) {
        cpu_stop_fn();
        cpu_running = 0;
    }
    if (keep_started) {
        if (agent)
            cpu_running = cpu_start_fn(cpu_path, cpu_hz) == 0;
        return;
    }
    stop_fn();
    if (cpu_hz) {
        unsetenv("CPROF_PUSH_URL");
        start_fn(NULL);
        if (agent)
            cpu_running = cpu_start_fn(cpu_path, cpu_hz) == 0;
        return;
    }
    if (agent)
        setenv("CPROF_PUSH_URL", push_url, 1);
    else
        unsetenv("CPROF_PUSH_URL");
    start_fn(NULL);
}

/* Student's t quantile for a two-sided 95 % interval with df degrees of
 * freedom (df >= 1). */
static double t95(int df)
{
    static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                   2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                   2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                   2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    if (df <= 30)
        return table[df - 1];
    return df <= 60 ? 2.000 : 1.980;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Hodges-Lehmann estimate of the shift of d[0..n) (the median of the
 * n(n+1)/2 pairwise means, robust to the machine's bursts, which put heavy
 * tails on the differences) and its 95 % interval from the Wilcoxon
 * signed-rank statistic (normal approximation, n >= 10). 0, or -1 without
 * memory. */
static int hodges_lehmann(const double *d, int n, double *est, double *lo, double *hi)
{
    size_t m = (size_t)n * (size_t)(n + 1) / 2, k = 0;
    double *w = malloc(m * sizeof *w);
    if (!w)
        return -1;
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            w[k++] = (d[i] + d[j]) / 2;
    qsort(w, m, sizeof *w, cmp_double);
    *est = m % 2 ? w[m / 2] : (w[m / 2 - 1] + w[m / 2]) / 2;
    double spread = sqrt((double)n * (n + 1) * (2.0 * n + 1) / 24);
    double c = floor((double)m / 2 - 1.96 * spread);
    size_t rank = c > 0 ? (size_t)c : 0;
    *lo = w[rank];
    *hi = w[m - 1 - rank];
    free(w);
    return 0;
}

/* Sum of every worker's accumulator for window w. */
static window_acc window_total(int threads, int w)
{
    window_acc t = {0, 0};
    for (int i = 0; i < threads; i++) {
        t.ns += acc[i][w].ns;
        t.steps += acc[i][w].steps;
    }
    return t;
}

/* --fine: per worker, over the chunk pairs of the measured stretch. */
typedef struct fine_acc {
    double pairs;
    double on, off; /* CPU of the chunks with the signal unblocked, blocked */
    double d, d2;   /* sum of (on - off) per pair, and of its square */
} fine_acc;
static fine_acc fine[MAX_THREADS];
static int fine_mode;

/* A worker in --fine mode (see the top): chunk pairs, the sampler's
 * signal blocked in one and unblocked in the other; the mask change is
 * inside the timed stretch. */
static void *fine_worker(void *arg)
{
    unsigned index = (unsigned)(uintptr_t)arg;
    churn_state c;
    if (churn_begin(&c, index) != 0)
        return NULL;
    sigset_t sig;
    sigemptyset(&sig);
    sigaddset(&sig, SIGPROF);
    uint64_t rng = 0x2545F4914F6CDD1Dull * (index + 1);
    long step = 0;
    while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
        uint64_t tag = atomic_load_explicit(&window_tag, memory_order_acquire);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        int first_on = (int)(rng >> 63);
        double cost[2];
        for (int k = 0; k < 2; k++) {
            int on = (k == 0) == first_on;
            long extra = on ? lround(CHUNK_STEPS * inject_fraction) : 0;
            double t0 = now_thread_ns();
            pthread_sigmask(on ? SIG_UNBLOCK : SIG_BLOCK, &sig, NULL);
            churn_steps(&c, step, CHUNK_STEPS + extra);
            cost[on] = now_thread_ns() - t0;
            step += CHUNK_STEPS + extra;
        }
        if ((tag & 1) && atomic_load_explicit(&window_tag, memory_order_acquire) == tag) {
            fine_acc *a = &fine[index];
            a->pairs++;
            a->on += cost[1];
            a->off += cost[0];
            a->d += cost[1] - cost[0];
            a->d2 += (cost[1] - cost[0]) * (cost[1] - cost[0]);
        }
    }
    pthread_sigmask(SIG_UNBLOCK, &sig, NULL);
    churn_end(&c);
    return NULL;
}

/* --fine: the agent on for seconds s (or off, with aa), the workers
 * alternating; prints the samples' share of the workers' CPU. 0, or 1. */
static int run_fine(int threads, int seconds, int aa, double inject_pct)
{
    pthread_t th[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, fine_worker, (void *)(uintptr_t)i);
    restart(!aa);
    sleep_ms(settle_ms);
    int armed = timers_now();
    double a0 = agent_thread_ns();
    atomic_store_explicit(&window_tag, 1, memory_order_release);
    sleep_ms(seconds * 1000L);
    atomic_store_explicit(&window_tag, 2, memory_order_release);
    double agent = agent_thread_ns() - a0;
    atomic_store(&stopping, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    restart(0);
    stop_fn();
    if (armed >= 0 && (aa ? armed > 0 : armed < threads + 1)) {
        fprintf(stderr, "push_idle_ab: %d POSIX timers with the agent %s\n", armed,
                aa ? "off" : "on");
        return 1;
    }
    fine_acc t = {0, 0, 0, 0, 0};
    for (int i = 0; i < threads; i++) {
        t.pairs += fine[i].pairs;
        t.on += fine[i].on;
        t.off += fine[i].off;
        t.d += fine[i].d;
        t.d2 += fine[i].d2;
    }
    if (t.pairs < 100 || t.off <= 0) {
        fprintf(stderr, "push_idle_ab: too few chunk pairs measured\n");
        return 1;
    }
    /* All of the samples' cost is in the unblocked half of the chunks, so
     * against the program's work (twice the blocked chunks) it is
     * (on - off) / (2 off); its standard error from the pairs' spread. */
    double mean_d = t.d / t.pairs;
    double var_d = (t.d2 - t.pairs * mean_d * mean_d) / (t.pairs - 1);
    double per_pair_off = t.off / t.pairs;
    double share = mean_d / (2 * per_pair_off);
    double half = 1.96 * sqrt(var_d / t.pairs) / (2 * per_pair_off);
    printf("push_idle_ab --fine: %.0f chunk pairs over %d s, %d churn threads, %s%s\n", t.pairs,
           seconds, threads, aa ? "no agent (A/A control)" : "the agent on",
           inject_pct > 0 ? ", injected extra work in the unblocked chunks" : "");
    if (inject_pct > 0)
        printf("  injected: %.3f %% more steps in the unblocked chunks (%.3f %% of the work)\n",
               inject_pct, inject_pct / 2);
    printf("  chunk pair: blocked %.1f us, unblocked %.1f us, difference %+.3f us (sd %.1f us)\n",
           per_pair_off / 1e3, t.on / t.pairs / 1e3, mean_d / 1e3, sqrt(var_d) / 1e3);
    /* The agent thread's own CPU over the work the program did (twice the
     * blocked chunks' CPU): its drains, and a push every interval. */
    double agent_share = agent / (2 * t.off);
    printf("  samples (signals, unwinds, what they cost the workers' caches): %+.4f %% [%+.4f, "
           "%+.4f]\n",
           100 * share, 100 * (share - half), 100 * (share + half));
    printf("  agent thread: %.1f ms, %.4f %%\n", agent / 1e6, 100 * agent_share);
    printf("result: overhead %+.3f %% [%+.3f, %+.3f] (samples %+.3f %%, agent thread %.4f %%)\n",
           100 * (share + agent_share), 100 * (share - half + agent_share),
           100 * (share + half + agent_share), 100 * share, 100 * agent_share);
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: push_idle_ab URL [PAIRS] [WINDOW_MS] [THREADS] [--aa] "
            "[--inject PCT] [--hold S] [--cpu HZ [--keep]] [--settle MS] [--pairs-out FILE] "
            "[--fine S]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int pairs = 30, window_ms = 500, threads = 2, aa = 0, hold_s = 0;
    double inject_pct = 0;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--aa") == 0)
            aa = 1;
        else if (strcmp(argv[i], "--inject") == 0 && i + 1 < argc)
            inject_pct = atof(argv[++i]);
        else if (strcmp(argv[i], "--pairs-out") == 0 && i + 1 < argc) {
            pairs_out = fopen(argv[++i], "w");
            if (!pairs_out) {
                perror("push_idle_ab: --pairs-out");
                return 2;
            }
        } else if (strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
            settle_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--fine") == 0 && i + 1 < argc)
            fine_mode = atoi(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0 && i + 1 < argc)
            cpu_hz = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep_started = 1;
        else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc)
            hold_s = atoi(argv[++i]);
        else if (pos == 0 && ++pos)
            push_url = argv[i];
        else if (pos == 1 && ++pos)
            pairs = atoi(argv[i]);
        else if (pos == 2 && ++pos)
            window_ms = atoi(argv[i]);
        else if (pos == 3 && ++pos)
            threads = atoi(argv[i]);
        else
            return usage();
    }
    if (!push_url || pairs < 10 || 2 * pairs + 1 > MAX_WINDOWS || window_ms < 100 || threads < 1 ||
        threads > MAX_THREADS || inject_pct < 0 || inject_pct > 100 || hold_s < 0 ||
        settle_ms < 0 || fine_mode < 0 || (fine_mode && (cpu_hz || hold_s || pairs_out)) ||
        cpu_hz < 0 || cpu_hz > 5000 || (cpu_hz && (aa || hold_s)) || (keep_started && !cpu_hz))
        return usage();
    start_fn = (cprof_start_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cprof_start");
    stop_fn = (cprof_stop_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cprof_stop");
    cpu_start_fn = (cprof_cpu_start_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cprof_cpu_start");
    cpu_stop_fn = (cprof_cpu_stop_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "cprof_cpu_stop");
    if (!start_fn || !stop_fn || !cpu_start_fn || !cpu_stop_fn) {
        fprintf(stderr, "push_idle_ab: run me with LD_PRELOAD=libcprof.so\n");
        return 1;
    }
    if (getenv("CPROF_PUSH_URL")) {
        fprintf(stderr, "push_idle_ab: unset CPROF_PUSH_URL (the URL is the first argument)\n");
        return 2;
    }
    inject_fraction = inject_pct / 100;
    if (cpu_hz) {
        int fd = mkstemp(cpu_path);
        if (fd < 0) {
            perror("push_idle_ab: mkstemp");
            return 1;
        }
        close(fd);
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (fine_mode)
        return run_fine(threads, fine_mode, aa, inject_pct);

    pthread_t th[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);

    int on_window[MAX_WINDOWS], timers[MAX_WINDOWS];
    double agent_ns[MAX_WINDOWS];
    for (int p = 0; p < pairs; p++) {
        int first_on = rand() & 1;
        for (int k = 0; k < 2; k++) {
            int w = 2 * p + k;
            int on = (k == 0) == first_on;
            on_window[w] = on;
            atomic_store_explicit(&window_tag, (uint64_t)w << 1, memory_order_release);
            restart(on && !aa);
            atomic_store_explicit(&inject_now, on && inject_fraction > 0, memory_order_relaxed);
            sleep_ms(settle_ms);
            timers[w] = timers_now();
            double a0 = agent_thread_ns();
            atomic_store_explicit(&window_tag, ((uint64_t)w << 1) | 1, memory_order_release);
            sleep_ms(window_ms);
            atomic_store_explicit(&window_tag, (uint64_t)(w + 1) << 1, memory_order_release);
            agent_ns[w] = agent_thread_ns() - a0;
        }
    }

    /* The hold: the agent on for hold_s seconds, pushes included. */
    int hold_w = 2 * pairs;
    double hold_agent = 0;
    if (hold_s > 0) {
        restart(1);
        atomic_store_explicit(&inject_now, 0, memory_order_relaxed);
        sleep_ms(settle_ms);
        double a0 = agent_thread_ns();
        atomic_store_explicit(&window_tag, ((uint64_t)hold_w << 1) | 1, memory_order_release);
        sleep_ms(hold_s * 1000L);
        atomic_store_explicit(&window_tag, (uint64_t)(hold_w + 1) << 1, memory_order_release);
        hold_agent = agent_thread_ns() - a0;
    }
    atomic_store(&stopping, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    restart(0);
    stop_fn();
    if (cpu_hz)
        unlink(cpu_path);

    /* The windows were what they claim: timers on every program thread
     * (the workers and main) with the sampler, none without. */
    int bad = 0;
    for (int w = 0; w < 2 * pairs; w++) {
        int sampled = on_window[w] && !aa;
        if (timers[w] >= 0 && (sampled ? timers[w] < threads + 1 : timers[w] > 0)) {
            fprintf(stderr, "push_idle_ab: window %d (%s) had %d POSIX timers\n", w,
                    sampled ? "sampled" : "not sampled", timers[w]);
            bad = 1;
        }
    }
    if (bad)
        return 1;

    /* Per pair: the log ratio of CPU per step, on against off. */
    double d[MAX_WINDOWS / 2], sum = 0, on_ns = 0, on_agent = 0, per_step[2] = {0, 0};
    int counted = 0;
    for (int p = 0; p < pairs; p++) {
        double cost[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            int w = 2 * p + k;
            window_acc t = window_total(threads, w);
            if (t.steps <= 0)
                break;
            cost[on_window[w]] = t.ns / t.steps;
            if (on_window[w]) {
                on_ns += t.ns;
                on_agent += agent_ns[w];
            }
        }
        if (cost[0] <= 0 || cost[1] <= 0)
            continue;
        per_step[0] += cost[0];
        per_step[1] += cost[1];
        /* The log of the ratio: with the order of a pair random, its
         * distribution is symmetric when the agent does nothing, which the
         * Hodges-Lehmann interval needs (the plain ratio is skewed right). */
        d[counted] = log(cost[1] / cost[0]);
        if (pairs_out)
            fprintf(pairs_out, "%d %.4f %.4f\n", p, cost[0], cost[1]);
        sum += d[counted++];
    }
    if (counted < 10) {
        fprintf(stderr, "push_idle_ab: fewer than 10 pairs measured\n");
        return 1;
    }
    double hl, hl_lo, hl_hi;
    if (hodges_lehmann(d, counted, &hl, &hl_lo, &hl_hi) != 0) {
        fprintf(stderr, "push_idle_ab: out of memory\n");
        return 1;
    }
    /* Back from logs to relative differences. */
    hl = expm1(hl);
    hl_lo = expm1(hl_lo);
    hl_hi = expm1(hl_hi);
    double mean = sum / counted, var = 0;
    for (int i = 0; i < counted; i++)
        var += (d[i] - mean) * (d[i] - mean);
    double sd = sqrt(var / (counted - 1)), half = t95(counted - 1) * sd / sqrt(counted);
    qsort(d, (size_t)counted, sizeof d[0], cmp_double);
    double median = counted % 2 ? d[counted / 2] : (d[counted / 2 - 1] + d[counted / 2]) / 2;
    double agent_share = on_ns > 0 ? on_agent / on_ns : 0;

    printf("push_idle_ab: %d pairs of %d ms windows, %d churn threads%s%s%s\n", counted, window_ms,
           threads, aa ? ", A/A control (no agent in either window)" : "",
           cpu_hz ? ", a CPU profile to a file instead of the agent" : "",
           inject_pct > 0 ? ", injected extra work in the \"on\" windows" : "");
    if (inject_pct > 0)
        printf("  injected: %.3f %% more steps per counted step\n", inject_pct);
    printf("  CPU per step: off %.2f ns, on %.2f ns (means over pairs)\n", per_step[0] / counted,
           per_step[1] / counted);
    printf("  pair ratios on / off - 1: geometric mean %+.3f %%, 95 %% CI [%+.3f, %+.3f] %%, "
           "median %+.3f %%, sd of the logs %.3f %%\n",
           100 * expm1(mean), 100 * expm1(mean - half), 100 * expm1(mean + half),
           100 * expm1(median), 100 * sd);
    printf("  Hodges-Lehmann shift: %+.3f %%, 95 %% CI [%+.3f, %+.3f] %%\n", 100 * hl, 100 * hl_lo,
           100 * hl_hi);
    printf("  agent thread in the \"on\" windows: %.4f %% of the workers' CPU\n",
           100 * agent_share);
    if (hold_s > 0) {
        window_acc t = window_total(threads, hold_w);
        printf("  hold of %d s at the configured interval: agent thread %.1f ms, %.4f %% of the "
               "workers' CPU\n",
               hold_s, hold_agent / 1e6, t.ns > 0 ? 100 * hold_agent / t.ns : 0.0);
        if (t.ns > 0)
            agent_share = hold_agent / t.ns;
    }
    if (pairs_out)
        fclose(pairs_out);
    printf("result: overhead %+.3f %% [%+.3f, %+.3f] (workers %+.3f %%, agent thread %.4f %%)\n",
           100 * (hl + agent_share), 100 * (hl_lo + agent_share), 100 * (hl_hi + agent_share),
           100 * hl, 100 * agent_share);
    return 0;
}
