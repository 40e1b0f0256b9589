/*
 * metrics.c — what /metrics exposes, read from the counters the collectors
 * already keep; nothing here measures anything itself.
 *
 *   process_*   the Prometheus client libraries' process collector, same
 *               names, types and units: /proc/self/stat (CPU, threads,
 *               virtual and resident size, start time with /proc/stat's
 *               btime), /proc/self/fd, RLIMIT_NOFILE. A value that cannot
 *               be read is left out, never reported as 0.
 *   cprof_heap_*         heap_totals_read(): the heap profile summed, the
 *                        same unsampled estimates (left out when heap
 *                        profiling is off)
 *   cprof_threads*       the pthread_create registry (created counter, live
 *                        threads by creator call site, cprof's own) and the
 *                        blocking-call records (threads inside sleep, poll,
 *                        epoll_wait, ...): no signal, no per-thread /proc
 *                        read — a kernel state per thread costs ~30 us, so
 *                        30 ms at 1,000 threads; threads?debug=1 has those
 *   cprof_cpu_profile_*  the CPU sampler's session counter
 *   cprof_symbolizer_*   the symbolizer's own usage report
 *   cprof_metrics_previous_scrape_seconds  what the previous scrape cost
 *
 * The creator label is bounded: call sites grouped by address, the 40
 * largest groups symbolized (a cached lookup after the first scrape) and
 * merged by function name, the METRICS_TOP_CREATORS largest functions
 * labelled, the rest summed as "other".
 */
#include "metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "cpu/cpu.h"
#include "heap/heap.h"
#include "pprof/symbolize.h"
#include "push/push.h"
#include "threads/threads.h"
#include "threads/threads_blocking.h"

/* Seconds since the epoch at boot (/proc/stat "btime"), read once; -1 when
 * unknown. */
static long long boot_time(void)
{
    static long long cached = -1;
    long long bt = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (bt >= 0)
        return bt;
    buf b;
    buf_init(&b);
    if (buf_append_file(&b, "/proc/stat") == 0) {
        buf_append_byte(&b, 0);
        const char *line = b.oom ? NULL : strstr((const char *)b.data, "\nbtime ");
        if (line)
            bt = atoll(line + 7);
    }
    buf_free(&b);
    if (bt > 0)
        __atomic_store_n(&cached, bt, __ATOMIC_RELAXED);
    return bt > 0 ? bt : -1;
}

/* Entries of /proc/self/fd (the directory's own descriptor not counted),
 * or -1 when it cannot be listed. */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

/* The client libraries' process collector: the process_* families; each
 * left out when its source cannot be read (p valid only with have_stat). */
static void write_process(buf *out, const thread_proc_info *p, int have_stat)
{
    long ticks = sysconf(_SC_CLK_TCK);
    if (have_stat && ticks > 0) {
        prom_single(out, "process_cpu_seconds_total", PROM_COUNTER,
                    "Total user and system CPU time spent in seconds.",
                    (double)(p->utime_ticks + p->stime_ticks) / (double)ticks);
    }
    long fds = open_fds();
    if (fds >= 0)
        prom_single(out, "process_open_fds", PROM_GAUGE, "Number of open file descriptors.",
                    (double)fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        prom_single(out, "process_max_fds", PROM_GAUGE, "Maximum number of open file descriptors.",
                    (double)rl.rlim_cur);
    if (!have_stat)
        return;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0)
        prom_single(out, "process_resident_memory_bytes", PROM_GAUGE,
                    "Resident memory size in bytes.", (double)p->rss_pages * (double)page);
    prom_single(out, "process_virtual_memory_bytes", PROM_GAUGE, "Virtual memory size in bytes.",
                (double)p->vsize_bytes);
    long long bt = boot_time();
    if (bt > 0 && ticks > 0)
        prom_single(out, "process_start_time_seconds", PROM_GAUGE,
                    "Start time of the process since unix epoch in seconds.",
                    (double)bt + (double)p->start_ticks / (double)ticks);
    prom_single(out, "process_threads", PROM_GAUGE, "Number of OS threads in the process.",
                (double)p->num_threads);
}

/* The cprof_heap_* families, or nothing when heap profiling is off or the
 * snapshot could not be taken. */
static void write_heap(buf *out)
{
    heap_totals t;
    if (heap_sampler_rate() <= 0 || heap_totals_read(&t) != 0)
        return;
    const struct {
        const char *name;
        prom_type type;
        const char *help;
        double value;
    } rows[] = {
        {"cprof_heap_inuse_bytes", PROM_GAUGE, "Heap bytes in use", (double)t.inuse_bytes},
        {"cprof_heap_inuse_objects", PROM_GAUGE, "Heap objects in use", (double)t.inuse_objects},
        {"cprof_heap_allocated_bytes_total", PROM_COUNTER, "Heap bytes allocated since start",
         (double)t.alloc_bytes},
        {"cprof_heap_allocated_objects_total", PROM_COUNTER, "Heap objects allocated since start",
         (double)t.alloc_objects},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char help[160];
        snprintf(help, sizeof help, "%s, estimated from the sampled heap profile.", rows[i].help);
        prom_single(out, rows[i].name, rows[i].type, help, rows[i].value);
    }
    prom_single(out, "cprof_heap_sample_rate_bytes", PROM_GAUGE,
                "Mean bytes allocated between two heap samples (CPROF_HEAP_RATE).", (double)t.rate);
}

/* qsort: larger count first, then lower call site. */
static int creator_desc(const void *a, const void *b)
{
    const metrics_creator *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* qsort: ascending. */
static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts pcs in place and writes the groups into out; returns their number. */
size_t metrics_group_creators(uint64_t *pcs, size_t n, metrics_creator *out)
{
    qsort(pcs, n, sizeof *pcs, u64_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && out[k - 1].pc == pcs[i])
            out[k - 1].count++;
        else
            out[k++] = (metrics_creator){pcs[i], 1};
    }
    qsort(out, k, sizeof *out, creator_desc);
    return k;
}

/* One label per function among the top groups (two call sites in one
 * function are one label), in order of first appearance. */
typedef struct creator_label {
    const char *function;
    size_t count;
} creator_label;

/* Call sites symbolized at most per scrape: the largest groups. Function
 * names are merged before the top METRICS_TOP_CREATORS are chosen, so a
 * function whose threads come from several call sites (or inlined copies)
 * is one label. */
#define CREATOR_SITES (4 * METRICS_TOP_CREATORS)

/* qsort: larger count first, then by name. */
static int label_desc(const void *a, const void *b)
{
    const creator_label *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->function, y->function);
}

/* The cprof_threads_by_creator family from pcs[0..n) (sorted in place);
 * nothing when out of memory. Frees what it allocates. */
static void write_creators(buf *out, uint64_t *pcs, size_t n)
{
    metrics_creator *groups = malloc((n ? n : 1) * sizeof *groups);
    if (!groups)
        return;
    size_t k = metrics_group_creators(pcs, n, groups);
    creator_label labels[CREATOR_SITES];
    size_t n_labels = 0, other = 0;
    for (size_t i = 0; i < k; i++) {
        if (i >= CREATOR_SITES) {
            other += groups[i].count;
            continue;
        }
        const char *fn = groups[i].pc ? threads_creator_function(groups[i].pc) : "unknown";
        size_t j = 0;
        while (j < n_labels && strcmp(labels[j].function, fn) != 0)
            j++;
        if (j == n_labels)
            labels[n_labels++] = (creator_label){fn, 0};
        labels[j].count += groups[i].count;
    }
    free(groups);
    qsort(labels, n_labels, sizeof *labels, label_desc);
    for (size_t j = METRICS_TOP_CREATORS; j < n_labels; j++)
        other += labels[j].count;
    if (n_labels > METRICS_TOP_CREATORS)
        n_labels = METRICS_TOP_CREATORS;
    prom_family(out, "cprof_threads_by_creator", PROM_GAUGE,
                "Live program threads by the function that called pthread_create (the top "
                "creators; the rest as other).");
    for (size_t j = 0; j < n_labels; j++) {
        prom_label l = {"creator", labels[j].function};
        prom_sample(out, "cprof_threads_by_creator", &l, 1, (double)labels[j].count);
    }
    if (other > 0) {
        prom_label l = {"creator", "other"};
        prom_sample(out, "cprof_threads_by_creator", &l, 1, (double)other);
    }
}

/* cprof_threads_created_total, cprof_internal_threads, the creator family
 * and, with /proc/self/stat read (p), cprof_threads{state}. Frees what it
 * allocates. */
static void write_threads(buf *out, const thread_proc_info *p, int have_stat)
{
    prom_single(out, "cprof_threads_created_total", PROM_COUNTER,
                "Program threads started through pthread_create since start.",
                (double)threads_created_count());
    /* The registry walk copies call sites only: size the array first, and
     * once more if threads were born meanwhile (then what fits). */
    size_t cap = have_stat && p->num_threads > 0 ? (size_t)p->num_threads + 64 : 1024;
    uint64_t *pcs = malloc(cap * sizeof *pcs);
    size_t n_internal = 0;
    size_t n = pcs ? threads_registry_creators(pcs, cap, &n_internal) : 0;
    if (pcs && n > cap) {
        uint64_t *more = realloc(pcs, (n + 64) * sizeof *pcs);
        if (more) {
            pcs = more;
            cap = n + 64;
            n = threads_registry_creators(pcs, cap, &n_internal);
        }
    }
    if (pcs) {
        prom_single(out, "cprof_internal_threads", PROM_GAUGE,
                    "Threads of cprof itself (HTTP listener, workers).", (double)n_internal);
        write_creators(out, pcs, n < cap ? n : cap);
        free(pcs);
    }
    if (!have_stat)
        return;
    size_t blocked = blocking_count_waiting();
    double total = (double)p->num_threads;
    prom_family(out, "cprof_threads", PROM_GAUGE,
                "Threads by state: blocked_in_call = inside an interposed blocking call "
                "(sleep, poll, epoll_wait, ...), other = running or waiting elsewhere.");
    prom_label blocked_l = {"state", "blocked_in_call"}, other_l = {"state", "other"};
    prom_sample(out, "cprof_threads", &blocked_l, 1, (double)blocked);
    prom_sample(out, "cprof_threads", &other_l, 1,
                total > (double)blocked ? total - (double)blocked : 0);
}

/* The CPU session and symbolizer families (always present). */
static void write_cpu_and_symbolizer(buf *out)
{
    prom_single(out, "cprof_cpu_profile_sessions_total", PROM_COUNTER,
                "CPU profile sessions begun since start.", (double)cpu_sessions_total());
    prom_single(out, "cprof_cpu_profile_active", PROM_GAUGE,
                "1 while a CPU profile is being collected.", (double)cpu_session_active());
    symbolize_usage u;
    symbolize_usage_read(&u);
    prom_single(out, "cprof_symbolizer_index_bytes", PROM_GAUGE,
                "Bytes held by the symbolizer's lookup indexes.", (double)u.index_bytes);
    prom_single(out, "cprof_symbolizer_index_budget_bytes", PROM_GAUGE,
                "The symbolizer's index budget (CPROF_SYMBOL_CACHE_MB).", (double)u.budget_bytes);
    prom_single(out, "cprof_symbolizer_cached_addresses", PROM_GAUGE,
                "Addresses whose symbolization is cached.", (double)u.addresses);
}

/* The push agent's families (always present; zeros without an agent). */
static void write_push(buf *out)
{
    push_counts c;
    push_agent_counts(&c);
    prom_family(out, "cprof_push_requests_total", PROM_COUNTER,
                "Profiles pushed to Pyroscope (CPROF_PUSH_URL), by result of the attempt.");
    prom_label ok = {"result", "ok"}, failed = {"result", "failed"};
    prom_sample(out, "cprof_push_requests_total", &ok, 1, (double)c.ok);
    prom_sample(out, "cprof_push_requests_total", &failed, 1, (double)c.failed);
    prom_single(out, "cprof_push_dropped_total", PROM_COUNTER,
                "Profiles the push agent dropped (queue full, or refused by the server).",
                (double)c.dropped);
    prom_single(out, "cprof_push_queued", PROM_GAUGE, "Profiles waiting to be pushed.",
                (double)c.queued);
}

/* How long the previous metrics_write took (ns; 0 before the second). */
static _Atomic int64_t last_scrape_ns;

/* Writes the families into out; nothing returned (out->oom on failure). */
void metrics_write(buf *out)
{
    int was_internal = heap_internal_enter();
    int64_t t0 = monotonic_ns();
    thread_proc_info p;
    int have_stat = threads_read_process(&p) == 0;
    write_process(out, &p, have_stat);
    write_heap(out);
    write_threads(out, &p, have_stat);
    write_cpu_and_symbolizer(out);
    write_push(out);
    int64_t prev = atomic_load_explicit(&last_scrape_ns, memory_order_relaxed);
    if (prev > 0)
        prom_single(out, "cprof_metrics_previous_scrape_seconds", PROM_GAUGE,
                    "Time the previous /metrics reply took to build, request counters aside.",
                    (double)prev / 1e9);
    int64_t t1 = monotonic_ns();
    if (t0 >= 0 && t1 >= t0)
        atomic_store_explicit(&last_scrape_ns, t1 - t0 > 0 ? t1 - t0 : 1, memory_order_relaxed);
    heap_internal_leave(was_internal);
}
