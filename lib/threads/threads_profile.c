/*
 * threads_profile.c — the "threads" profile and its "goroutine" alias: a
 * snapshot (threads_snapshot.c) as profile.proto (debug=0) or Go's text
 * (debug=1 groups, debug=2 one block per thread: threads_text.c), and the
 * index page's summary. The model sets leaf_pc_exact: the snapshot's leaf
 * PC is the interrupted instruction.
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
#include "labels/labels.h"
#include "pprof/profile.h"
#include "pprof/symbolize.h"

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

#define ROW_LABELS (5 + LABELS_MAX_KEYS)

/* The row's labels into l[0..ROW_LABELS): name, state, marker, leaf, why
 * no stack, then the program's own (cprof_label_set). Returns how many. */
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
    return n + labels_to_profile(r->labels, l + n);
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
    profile_label labels[ROW_LABELS];
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
    profile_label labels[ROW_LABELS];
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
    return req->variant == THREADS_VIEW_GOROUTINE ? "goroutine" : "threads";
}

static profile_status snapshot_failed(char *err, size_t err_len)
{
    snprintf(err, err_len, "could not list the threads (/proc/self/task) or out of memory");
    return PROFILE_FAILED;
}

profile_status threads_profile_build(const profile_request *req, profile **out, char *err,
                                     size_t err_len)
{
    threads_snapshot s;
    if (threads_snapshot_take(&s, 1) != 0)
        return snapshot_failed(err, err_len);
    profile *p = build_profile(&s, sample_type(req));
    threads_snapshot_free(&s);
    if (!p || p->oom) {
        profile_free(p);
        return profile_out_of_memory(req, err, err_len);
    }
    *out = p;
    return PROFILE_OK;
}

profile_status threads_profile_write(const profile_request *req, buf *out, char *err,
                                     size_t err_len)
{
    if (req->debug == 0)
        return profile_write_built(threads_profile_build, req, out, err, err_len);
    threads_snapshot s;
    if (threads_snapshot_take(&s, req->debug >= 2 ? 2 : 0) != 0)
        return snapshot_failed(err, err_len);
    if (req->debug >= 2)
        threads_write_dump_text(&s, out);
    else
        threads_write_groups_text(&s, sample_type(req), out);
    threads_snapshot_free(&s);
    return out->oom ? profile_out_of_memory(req, err, err_len) : PROFILE_OK;
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
