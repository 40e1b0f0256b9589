/*
 * threads_profile.c — the "threads" profile and its "goroutine" alias: a
 * snapshot of every thread, grouped by stack, as profile.proto (debug=0) or
 * Go's text (debug=1 groups, debug=2 one block per thread, threads_text.c).
 *
 * A snapshot reads each thread's /proc state just before signalling it:
 * the dump signal wakes the thread, so "sleeping" must be read first, and
 * reading thread i while threads 0..i-1 answer overlaps the two costs. Each level reads only what
 * it prints: debug=1 needs no /proc file per thread, debug=0 reads stat (the name and state
 * labels), debug=2 adds wchan, syscall, CPU time and the registry's creator stack.
 *
 * Stacks come from threads_capture.c with an exact leaf PC (the interrupted
 * instruction) and return addresses above it, so the model sets
 * leaf_pc_exact. Frames of the profiler's own text (the pthread_create
 * trampoline, when the compiler kept its frame) are dropped.
 *
 * The index page's "N (+d since last view)" keeps the count of the previous
 * view in one atomic: concurrent views each see some earlier view, which is
 * all "since last view" can mean with several people refreshing.
 */
#include "threads.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "pprof/pprof_encode.h"
#include "pprof/profile.h"
#include "pprof/symbolize.h"
#include "unwind/unwind.h"

/* ---- snapshot ------------------------------------------------------------- */

static void drop_profiler_frames(thread_capture *c)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < c->n_pcs; i++) {
        uint64_t lookup = i == 0 ? c->pcs[i] : c->pcs[i] - 1;
        if (!unwind_is_profiler_pc(lookup))
            c->pcs[k++] = c->pcs[i];
    }
    c->n_pcs = k;
}

static void set_syscall(thread_row *r, const char *name, long nr)
{
    if (name)
        snprintf(r->syscall, sizeof r->syscall, "%s", name);
    else
        snprintf(r->syscall, sizeof r->syscall, "syscall %ld", nr);
}

static const char *syscall_of_leaf(const thread_capture *c)
{
    symbol_info si;
    if (c->status != CAPTURE_OK || c->n_pcs == 0 || symbolize_addr(c->pcs[0], &si) != 0)
        return NULL;
    for (size_t i = 0; i < si.n_lines; i++) {
        const char *name = threads_syscall_from_function(si.lines[i].function);
        if (name)
            return name;
    }
    return NULL;
}

void threads_derive_syscall(thread_row *r)
{
    r->syscall[0] = 0;
    const thread_capture *c = &r->cap;
    if (c->status == CAPTURE_OK && c->in_syscall && c->syscall_nr >= 0) {
        set_syscall(r, threads_syscall_name(c->syscall_nr), c->syscall_nr);
        return;
    }
    if (r->proc_ok && r->proc.syscall_nr >= 0) {
        set_syscall(r, threads_syscall_name(r->proc.syscall_nr), r->proc.syscall_nr);
        return;
    }
    if (!threads_row_blocked(r))
        return;
    const char *name = syscall_of_leaf(c);
    if (!name && r->proc_ok)
        name = threads_syscall_from_wchan(r->proc.wchan);
    if (name)
        set_syscall(r, name, -1);
}

int threads_row_blocked(const thread_row *r)
{
    return (r->proc_ok && (r->proc.state == 'S' || r->proc.state == 'D')) ||
           (r->cap.status == CAPTURE_OK && r->cap.in_syscall);
}

/* Age, CPU time and the system call. The syscall and wchan files are read
 * after the dump and only when the handler did not already see the call
 * number (it does for every restartable call): they are the dearest /proc
 * files. Our own would describe the reading itself. */
static void add_detail(thread_row *r, pid_t self)
{
    static long ticks_per_s;
    if (!ticks_per_s)
        ticks_per_s = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    r->cpu_ns = threads_cpu_ns(r->tid);
    if (r->has_birth && r->birth.start_ns > 0)
        r->age_ns = monotonic_ns() - r->birth.start_ns;
    else if (r->proc_ok)
        r->age_ns = clock_nanos(CLOCK_BOOTTIME) -
                    (int64_t)(r->proc.start_ticks * (1000000000ull / (uint64_t)ticks_per_s));
    if (r->age_ns < 0 && r->age_ns != -1)
        r->age_ns = 0;
    int known = r->cap.status == CAPTURE_OK && r->cap.in_syscall && r->cap.syscall_nr >= 0;
    if (!known && r->proc_ok && r->tid != self)
        threads_read_syscall(r->tid, &r->proc.syscall_nr, NULL);
    threads_derive_syscall(r);
    if (!r->syscall[0] && r->proc_ok && r->tid != self && threads_row_blocked(r) &&
        threads_read_wchan(r->tid, r->proc.wchan, sizeof r->proc.wchan) == 0)
        threads_derive_syscall(r);
}

typedef struct snapshot_ctx {
    thread_row *rows;
    int detail;
} snapshot_ctx;

/* Before thread i's signal: its /proc state (the signal wakes it) and what
 * the registry knows. Overlaps with earlier threads' answers. */
static void read_row(size_t i, void *arg)
{
    snapshot_ctx *c = arg;
    thread_row *r = &c->rows[i];
    if (c->detail >= 1)
        r->proc_ok = threads_read_proc(r->tid, &r->proc) == 0;
    if (c->detail >= 2)
        r->has_birth = threads_registry_lookup(r->tid, &r->birth);
    r->internal = r->has_birth ? r->birth.internal : threads_registry_is_internal(r->tid);
}

int threads_snapshot_take(threads_snapshot *s, int detail)
{
    memset(s, 0, sizeof *s);
    s->pid = getpid();
    size_t n;
    pid_t *tids = threads_list(&n);
    if (!tids)
        return -1;
    thread_row *rows = calloc(n ? n : 1, sizeof *rows);
    thread_capture *caps = malloc((n ? n : 1) * sizeof *caps);
    if (!rows || !caps) {
        free(tids);
        free(rows);
        free(caps);
        return -1;
    }
    pid_t self = gettid();
    for (size_t i = 0; i < n; i++) {
        rows[i].tid = tids[i];
        rows[i].age_ns = rows[i].cpu_ns = -1;
    }
    snapshot_ctx ctx = {rows, detail};
    int rc = threads_capture(tids, n, caps, read_row, &ctx);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rows[i].cap = caps[i];
        drop_profiler_frames(&rows[i].cap);
        /* No stack (signal blocked, ...): /proc may still say where it waits. */
        if (threads_no_stack_reason(&rows[i]))
            threads_read_syscall(rows[i].tid, NULL, &rows[i].leaf_pc);
        if (detail >= 2)
            add_detail(&rows[i], self);
    }
    free(tids);
    free(caps);
    if (rc != 0) {
        free(rows);
        return -1;
    }
    s->rows = rows;
    s->n = n;
    return 0;
}

void threads_snapshot_free(threads_snapshot *s)
{
    free(s->rows);
    memset(s, 0, sizeof *s);
}

const char *threads_no_stack_reason(const thread_row *r)
{
    switch (r->cap.status) {
    case CAPTURE_OK:
        return r->cap.n_pcs ? NULL : "no stack: the unwinder found no frame";
    case CAPTURE_EXITED:
        return "no stack: thread exited during the dump";
    case CAPTURE_BLOCKED:
        return "no stack: signal blocked";
    case CAPTURE_TIMEOUT:
        return "no stack: no answer in time (signal blocked or thread exited)";
    case CAPTURE_DISABLED:
        return "no stack: thread dumps disabled (CPROF_SIGNAL)";
    default:
        return "no stack: the dump signal could not be queued";
    }
}

/* ---- grouping -------------------------------------------------------------- */

static int compare_stacks(const thread_row *x, const thread_row *y)
{
    if (x->cap.n_pcs != y->cap.n_pcs)
        return x->cap.n_pcs < y->cap.n_pcs ? -1 : 1;
    for (uint32_t i = 0; i < x->cap.n_pcs; i++) {
        if (x->cap.pcs[i] != y->cap.pcs[i])
            return x->cap.pcs[i] < y->cap.pcs[i] ? -1 : 1;
    }
    return 0;
}

static int compare_rows(const void *a, const void *b, void *by_labels)
{
    const thread_row *x = *(const thread_row *const *)a, *y = *(const thread_row *const *)b;
    int c = compare_stacks(x, y);
    if (c)
        return c;
    if (x->internal != y->internal)
        return x->internal - y->internal;
    if (!*(const int *)by_labels)
        return 0;
    c = strcmp(x->proc.name, y->proc.name);
    return c ? c : x->proc.state - y->proc.state;
}

static int compare_groups(const void *a, const void *b)
{
    const thread_group *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return compare_stacks(x->row, y->row);
}

thread_group *threads_group(const threads_snapshot *s, int by_labels, size_t *n_groups)
{
    *n_groups = 0;
    const thread_row **order = malloc((s->n ? s->n : 1) * sizeof *order);
    thread_group *groups = malloc((s->n ? s->n : 1) * sizeof *groups);
    if (!order || !groups) {
        free(order);
        free(groups);
        return NULL;
    }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!threads_no_stack_reason(&s->rows[i]))
            order[m++] = &s->rows[i];
    }
    qsort_r(order, m, sizeof *order, compare_rows, &by_labels);
    size_t ng = 0;
    for (size_t i = 0; i < m; i++) {
        if (ng > 0 && compare_rows(&groups[ng - 1].row, &order[i], &by_labels) == 0) {
            groups[ng - 1].count++;
            continue;
        }
        groups[ng++] = (thread_group){order[i], 1};
    }
    free(order);
    qsort(groups, ng, sizeof *groups, compare_groups);
    *n_groups = ng;
    return groups;
}

/* ---- profile.proto ----------------------------------------------------------- */

/* In the proto form each thread is charged to the program's own code: the
 * frames of system libraries (libc, libhiredis, ... under /lib, /usr/lib)
 * leafward of the deepest frame outside them are cut, and the cut leaf's
 * function is kept as the label "leaf". `go tool pprof -top` then lists
 * the function that is waiting (a subscriber loop) instead of read() for
 * every thread; the debug=1 and debug=2 texts keep the whole stack. A
 * stack with no frame outside system libraries (the profiler's listener
 * threads run in libmicrohttpd) is kept whole. */
typedef struct map_table {
    mapping_info *v;
    size_t n;
} map_table;

static int is_system_object(const char *path)
{
    static const char *const prefixes[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/",
                                           "[vdso]"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    }
    return 0;
}

static int in_system_object(const map_table *maps, uint64_t addr)
{
    for (size_t i = 0; i < maps->n; i++) {
        if (addr >= maps->v[i].start && addr < maps->v[i].limit)
            return is_system_object(maps->v[i].filename);
    }
    return 0; /* unknown code (JIT, anonymous): the program's */
}

/* Index of the leafmost frame outside system libraries; 0 when the leaf is
 * already the program's or no frame is. */
static size_t program_frame(const thread_capture *c, const map_table *maps)
{
    for (uint32_t i = 0; i < c->n_pcs; i++) {
        if (!in_system_object(maps, i == 0 ? c->pcs[i] : c->pcs[i] - 1))
            return i;
    }
    return 0;
}

static size_t row_labels(const thread_row *r, const char *leaf, profile_label *l)
{
    size_t n = 0;
    l[n++] = (profile_label){.key = "name", .str = r->proc_ok ? r->proc.name : "?"};
    l[n++] = (profile_label){.key = "state",
                             .str = r->proc_ok ? threads_state_name(r->proc.state) : "unknown"};
    if (r->internal)
        l[n++] = (profile_label){.key = "cprof", .str = "internal"};
    if (leaf)
        l[n++] = (profile_label){.key = "leaf", .str = leaf};
    const char *reason = threads_no_stack_reason(r);
    if (reason)
        l[n++] = (profile_label){.key = "stack", .str = reason};
    return n;
}

/* The group's stack as the proto shows it, all return addresses (an exact
 * leaf PC is written plus one, so the encoder's pc-1 lands on it). */
static void add_group_sample(profile *p, const thread_group *g, const map_table *maps)
{
    const thread_capture *c = &g->row->cap;
    size_t k = program_frame(c, maps);
    uint64_t pcs[THREADS_MAX_FRAMES];
    size_t n = c->n_pcs - k;
    memcpy(pcs, c->pcs + k, n * sizeof *pcs);
    if (k == 0)
        pcs[0] += 1;
    const char *leaf = NULL;
    symbol_info si;
    if (k > 0 && symbolize_addr(c->pcs[0], &si) == 0 && si.n_lines > 0)
        leaf = si.lines[si.n_lines - 1].function;
    profile_label labels[5];
    int64_t count = (int64_t)g->count;
    profile_add_sample(p, pcs, n, &count, labels, row_labels(g->row, leaf, labels));
}

static profile *build_profile(const threads_snapshot *s, const char *type)
{
    profile *p = profile_new();
    if (!p)
        return NULL;
    profile_add_sample_type(p, type, "count");
    p->period_type = (profile_value_type){type, "count"};
    p->period = 1;
    size_t ng;
    thread_group *groups = threads_group(s, 1, &ng);
    map_table maps;
    maps.v = mappings_read_self(&maps.n);
    if (!groups && s->n)
        p->oom = 1;
    for (size_t i = 0; i < ng; i++)
        add_group_sample(p, &groups[i], &maps);
    free(groups);
    free(maps.v);
    /* Threads without a stack still count, one sample each: at the PC /proc
     * gave when it did (a sample without locations is dropped by pprof). */
    profile_label labels[5];
    for (size_t i = 0; i < s->n; i++) {
        const thread_row *r = &s->rows[i];
        int64_t one = 1;
        uint64_t leaf = r->leaf_pc + 1;
        if (threads_no_stack_reason(r))
            profile_add_sample(p, &leaf, r->leaf_pc ? 1 : 0, &one, labels,
                               row_labels(r, NULL, labels));
    }
    return p;
}

/* ---- the sources ---------------------------------------------------------------- */

static const char *sample_type(const profile_request *req)
{
    return strcmp(req->name, "goroutine") == 0 ? "goroutine" : "threads";
}

static int snapshot_failed(char *err, size_t err_len)
{
    snprintf(err, err_len, "could not list the threads (/proc/self/task) or out of memory");
    return 500;
}

static int out_of_memory(const profile_request *req, char *err, size_t err_len)
{
    snprintf(err, err_len, "could not build the %s profile: out of memory", req->name);
    return 500;
}

int threads_profile_build(const profile_request *req, profile **out, char *err, size_t err_len)
{
    threads_snapshot s;
    if (threads_snapshot_take(&s, 1) != 0)
        return snapshot_failed(err, err_len);
    profile *p = build_profile(&s, sample_type(req));
    threads_snapshot_free(&s);
    if (!p || p->oom) {
        profile_free(p);
        return out_of_memory(req, err, err_len);
    }
    *out = p;
    return 0;
}

int threads_profile_write(const profile_request *req, buf *out, char *err, size_t err_len)
{
    if (req->debug == 0) {
        profile *p = NULL;
        int status = threads_profile_build(req, &p, err, err_len);
        if (status != 0)
            return status;
        if (pprof_encode(p, 1, out) != 0)
            out->oom = 1;
        profile_free(p);
        return out->oom ? out_of_memory(req, err, err_len) : 0;
    }
    threads_snapshot s;
    if (threads_snapshot_take(&s, req->debug >= 2 ? 2 : 0) != 0)
        return snapshot_failed(err, err_len);
    if (req->debug >= 2)
        threads_write_dump_text(&s, out);
    else
        threads_write_groups_text(&s, sample_type(req), out);
    threads_snapshot_free(&s);
    return out->oom ? out_of_memory(req, err, err_len) : 0;
}

static _Atomic long last_view_count = -1;

void threads_index_summary(char *out, size_t len)
{
    long now = threads_count();
    long before = atomic_exchange(&last_view_count, now);
    if (now < 0)
        snprintf(out, len, "unknown");
    else if (before < 0)
        snprintf(out, len, "%ld (first view)", now);
    else
        snprintf(out, len, "%ld (%+ld since last view)", now, now - before);
}
