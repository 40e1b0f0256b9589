/*
 * threads_snapshot.c — one snapshot of every thread, and its grouping by
 * stack: what both encoders of the threads profile (threads_profile.c for
 * profile.proto, threads_text.c for Go's text) are built on.
 *
 * A snapshot reads each thread's /proc state just before signalling it:
 * the dump signal wakes the thread, so "sleeping" must be read first, and
 * reading thread i while threads 0..i-1 answer overlaps the two costs. Each
 * level reads only what it prints: detail 0 (debug=1) needs no /proc file
 * per thread, 1 (debug=0) reads stat (the name and state labels), 2
 * (debug=2) adds wchan, syscall, CPU time and the registry's creator stack.
 *
 * Stacks come from threads_capture.c with an exact leaf PC (the interrupted
 * instruction) and return addresses above it. Frames of the profiler's own
 * text (the pthread_create trampoline, when the compiler kept its frame)
 * are dropped here, so no encoder ever sees them.
 */
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "labels/labels.h"
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

/* labels_thread_fn: give the row of tid (rows ascending by tid) its
 * label-set id. */
static void attach_labels(pid_t tid, uint32_t id, void *arg)
{
    threads_snapshot *s = arg;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->rows[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->rows[lo].tid == tid)
        s->rows[lo].labels = id;
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
    /* Each thread's labels as they stand now (read after its stack: a
     * label changed in between is the one the thread carries next). */
    labels_for_each_thread(attach_labels, s);
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
    if (x->labels != y->labels)
        return x->labels < y->labels ? -1 : 1;
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
