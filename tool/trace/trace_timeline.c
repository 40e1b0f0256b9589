/*
 * trace_timeline.c — the web UI's Timeline data: a trace document (the
 * model of trace_model.c, the one reader of trace files) as a compact JSON
 * object the page's timeline.js draws.
 *
 * Shape (docs/TRACE.md, "The web UI's Timeline"): times in microseconds
 * from the document's first event; names and args by index into two tables
 * (a frame name appears in thousands of slices); a slice is five numbers in
 * a flat array (ts, dur, depth, name, args), an instant three (ts, name,
 * args), a counter point two (ts, value).
 *
 * Threads: with cprof's layout (trace_layout_of) a thread's CPU, state and
 * span tracks become the lanes of one thread; another producer's tracks are
 * each a thread with one lane.
 *
 * Bounded: whatever the file holds, the reply holds at most lim's slices,
 * instants, threads, counter points and args bytes, and says what was left
 * out ("limits"). Slices go by depth first — the deepest levels are cut, so
 * the picture stays whole over time and only detail is lost — and only
 * when the outermost level alone is too many, by time (the first ones
 * kept). Nothing here trusts the document: every string goes through
 * json_write_str, counts come from the model.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "trace/json.h"

#define MAX_DEPTH 257 /* trace_model.c nests at most 256 open slices */

/* A time or duration (microseconds) as a JSON number into b, after sep:
 * three decimals (nanoseconds); a hostile file's huge values in exponent
 * form (short: readers limit a number's length) and what is not finite
 * (1e308 + 1e308) as 0, since JSON has no spelling for it. */
static void put_us(buf *b, const char *sep, double x)
{
    if (!isfinite(x))
        x = 0;
    buf_printf(b, fabs(x) < 1e12 ? "%s%.3f" : "%s%.6e", sep, x);
}

/* ---- threads -------------------------------------------------------------- */

typedef struct thread_ref {
    long pid, tid;
    const trace_track *lane[3]; /* TRACK_CPU, TRACK_STATE, TRACK_SPANS; NULL when absent */
} thread_ref;

static int cmp_thread(const void *a, const void *b)
{
    const thread_ref *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* The threads of d (caller frees), *n of them; NULL when out of memory. */
static thread_ref *threads_of(const trace_doc *d, const trace_layout *l, size_t *n)
{
    thread_ref *v = calloc(d->n_tracks ? d->n_tracks : 1, sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < d->n_tracks; i++) {
        int kind;
        long tid = trace_thread_of(l, d->tracks[i].tid, &kind);
        v[(*n)++] = (thread_ref){d->tracks[i].pid, tid, {NULL, NULL, NULL}};
    }
    qsort(v, *n, sizeof *v, cmp_thread);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || cmp_thread(&v[k - 1], &v[i]) != 0)
            v[k++] = v[i];
    *n = k;
    for (size_t i = 0; i < k; i++) {
        v[i].lane[TRACK_CPU] = trace_find_track(d, v[i].pid, v[i].tid);
        if (l->state_off) {
            v[i].lane[TRACK_STATE] = trace_find_track(d, v[i].pid, v[i].tid + l->state_off);
            v[i].lane[TRACK_SPANS] = trace_find_track(d, v[i].pid, v[i].tid + l->span_off);
        }
    }
    return v;
}

/* ---- the cut -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Which slices go: depth <= *depth_cut and ts <= *time_cut (and, ties at
 * the time cut, no more than max: write_slices stops there). The cut is
 * (-1, INFINITY) when everything fits; *total is the count of them all. */
static void choose_cut(const thread_ref *th, size_t n_th, size_t max, int *depth_cut,
                       double *time_cut, size_t *total)
{
    size_t per_depth[MAX_DEPTH] = {0};
    *total = 0;
    for (size_t i = 0; i < n_th; i++)
        for (int k = 0; k < 3; k++)
            for (size_t j = 0; th[i].lane[k] && j < th[i].lane[k]->n_slices; j++) {
                int dp = th[i].lane[k]->slices[j].depth;
                per_depth[dp < MAX_DEPTH ? dp : MAX_DEPTH - 1]++;
                (*total)++;
            }
    *depth_cut = -1;
    *time_cut = INFINITY;
    if (*total <= max)
        return;
    size_t sum = 0;
    int dp = 0;
    while (dp < MAX_DEPTH && sum + per_depth[dp] <= max)
        sum += per_depth[dp++];
    *depth_cut = dp - 1;
    if (dp > 0)
        return;
    /* The outermost level alone is too many: the first max of it in time. */
    *depth_cut = 0;
    double *ts = malloc(per_depth[0] * sizeof *ts);
    if (!ts) {
        *time_cut = -INFINITY;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_th; i++)
        for (int k = 0; k < 3; k++)
            for (size_t j = 0; th[i].lane[k] && j < th[i].lane[k]->n_slices; j++)
                if (th[i].lane[k]->slices[j].depth == 0)
                    ts[n++] = th[i].lane[k]->slices[j].ts;
    qsort(ts, n, sizeof *ts, cmp_double);
    *time_cut = max == 0 ? -INFINITY : ts[max - 1]; /* max < n here */
    free(ts);
}

/* ---- the document --------------------------------------------------------- */

typedef struct writer {
    const trace_doc *d;
    const trace_timeline_limits *lim;
    trace_strtab names;
    buf args;
    size_t n_args, args_dropped;
    size_t instants_total, instants_sent, slices_sent;
} writer;

/* The index of args (a json_value) in the args table; -1 for none or when
 * the table is full. */
static long args_id(writer *w, const void *args)
{
    const json_value *a = args;
    if (!a || (a->type == JSON_OBJECT && a->len == 0))
        return -1;
    size_t before = w->args.len;
    buf_append_str(&w->args, w->n_args ? "," : "");
    json_write(&w->args, a);
    if (w->args.len > w->lim->max_args_bytes) {
        w->args.len = before;
        w->args_dropped++;
        return -1;
    }
    return (long)w->n_args++;
}

static void write_slices(writer *w, buf *b, const trace_track *t, int depth_cut, double time_cut)
{
    double t0 = w->d->t_min;
    bool first = true;
    for (size_t j = 0; j < t->n_slices; j++) {
        const trace_slice *s = &t->slices[j];
        if (s->depth > depth_cut && depth_cut >= 0)
            continue;
        if (!(s->ts <= time_cut) || w->slices_sent >= w->lim->max_slices)
            continue;
        put_us(b, first ? "" : ",", s->ts - t0);
        put_us(b, ",", s->dur);
        buf_printf(b, ",%d,%zu,%ld", s->depth, trace_strtab_id(&w->names, s->name),
                   args_id(w, s->args));
        first = false;
        w->slices_sent++;
    }
}

static void write_instants(writer *w, buf *b, const trace_track *t, bool *first)
{
    for (size_t j = 0; t && j < t->n_instants; j++) {
        w->instants_total++;
        if (w->instants_sent >= w->lim->max_instants)
            continue;
        const trace_instant *in = &t->instants[j];
        put_us(b, *first ? "" : ",", in->ts - w->d->t_min);
        buf_printf(b, ",%zu,%ld", trace_strtab_id(&w->names, in->name), args_id(w, in->args));
        *first = false;
        w->instants_sent++;
    }
}

/* The time of the first instant named name on t, as a JSON number or null. */
static void instant_time(buf *b, const trace_doc *d, const trace_track *t, const char *name)
{
    for (size_t j = 0; t && j < t->n_instants; j++)
        if (!strcmp(t->instants[j].name, name)) {
            put_us(b, "", t->instants[j].ts - d->t_min);
            return;
        }
    buf_append_str(b, "null");
}

static void write_thread(writer *w, buf *b, const thread_ref *th, bool cprof, int depth_cut,
                         double time_cut)
{
    static const char *const kinds[3] = {"cpu", "state", "spans"};
    const trace_track *cpu = th->lane[TRACK_CPU];
    buf_printf(b, "{\"pid\":%ld,\"tid\":%ld,\"name\":", th->pid, th->tid);
    char fallback[64];
    const char *name = NULL;
    for (int k = 0; k < 3 && !name; k++)
        if (th->lane[k] && th->lane[k]->name)
            name = th->lane[k]->name;
    if (!name) {
        snprintf(fallback, sizeof fallback, "tid %ld", th->tid);
        name = fallback;
    }
    json_write_str(b, name, strlen(name));
    buf_append_str(b, ",\"born\":");
    instant_time(b, w->d, cpu, "thread created");
    buf_append_str(b, ",\"exited\":");
    instant_time(b, w->d, cpu, "thread exited");
    buf_append_str(b, ",\"lanes\":[");
    bool first = true;
    for (int k = 0; k < 3; k++) {
        if (!th->lane[k] || (k > 0 && th->lane[k]->n_slices == 0))
            continue;
        buf_printf(b, "%s{\"kind\":\"%s\",\"slices\":[", first ? "" : ",",
                   cprof ? kinds[k] : "slices");
        write_slices(w, b, th->lane[k], depth_cut, time_cut);
        buf_append_str(b, "]}");
        first = false;
    }
    buf_append_str(b, "],\"instants\":[");
    first = true;
    for (int k = 0; k < 3; k++)
        write_instants(w, b, th->lane[k], &first);
    buf_append_str(b, "]}");
}

static void write_counters(writer *w, buf *b)
{
    for (size_t i = 0; i < w->d->n_counters; i++) {
        const trace_counter *c = &w->d->counters[i];
        size_t max = w->lim->max_counter_points ? w->lim->max_counter_points : 1;
        size_t stride = (c->n + max - 1) / max;
        buf_append_str(b, i ? ",{\"name\":" : "{\"name\":");
        json_write_str(b, c->name, strlen(c->name));
        buf_append_str(b, ",\"key\":");
        json_write_str(b, c->key, strlen(c->key));
        buf_append_str(b, ",\"points\":[");
        for (size_t j = 0; j < c->n; j += stride ? stride : 1) {
            put_us(b, j ? "," : "", c->ts[j] - w->d->t_min);
            buf_printf(b, ",%.17g", isfinite(c->val[j]) ? c->val[j] : 0.0);
        }
        buf_append_str(b, "]}");
    }
}

/* See trace.h. */
void trace_timeline_json(const trace_doc *d, const trace_timeline_limits *lim, buf *out)
{
    trace_layout l = trace_layout_of(d);
    bool cprof = l.state_off != 0;
    size_t n_th;
    thread_ref *th = threads_of(d, &l, &n_th);
    if (!th) {
        out->oom = 1;
        return;
    }
    size_t n_sent = n_th < lim->max_threads ? n_th : lim->max_threads;
    int depth_cut;
    double time_cut;
    size_t total;
    choose_cut(th, n_sent, lim->max_slices, &depth_cut, &time_cut, &total);
    writer w = {.d = d, .lim = lim};
    trace_strtab_init(&w.names);
    buf_init(&w.args);
    buf threads;
    buf_init(&threads);
    for (size_t i = 0; i < n_sent; i++) {
        buf_append_str(&threads, i ? ",\n" : "");
        write_thread(&w, &threads, &th[i], cprof, depth_cut, time_cut);
    }
    const char *process = d->process_name ? d->process_name : "";
    const char *comment = json_get_str(d->other, "comment", "");
    buf_append_str(out, "{\"process\":");
    json_write_str(out, process, strlen(process));
    buf_append_str(out, ",\"comment\":");
    json_write_str(out, comment, strlen(comment));
    buf_printf(out, ",\"cprof\":%s,\"duration\":", cprof ? "true" : "false");
    put_us(out, "", d->t_max - d->t_min);
    buf_printf(out, ",\"events\":%zu,", d->n_events);
    buf_printf(out,
               "\"limits\":{\"slices_total\":%zu,\"slices_sent\":%zu,\"depth_cut\":%d,"
               "\"time_cut\":",
               total, w.slices_sent, depth_cut);
    if (isfinite(time_cut))
        put_us(out, "", time_cut - d->t_min);
    else
        buf_append_str(out, "null");
    buf_printf(out,
               ",\"threads_total\":%zu,\"threads_sent\":%zu,\"instants_total\":%zu,"
               "\"instants_sent\":%zu,\"args_dropped\":%zu},\n\"names\":[",
               n_th, n_sent, w.instants_total, w.instants_sent, w.args_dropped);
    for (size_t i = 0; i < w.names.n; i++) {
        buf_append_str(out, i ? "," : "");
        json_write_str(out, w.names.v[i], strlen(w.names.v[i]));
    }
    buf_append_str(out, "],\n\"args\":[");
    buf_append(out, w.args.data, w.args.len);
    buf_append_str(out, "],\n\"threads\":[\n");
    buf_append(out, threads.data, threads.len);
    buf_append_str(out, "],\n\"counters\":[");
    write_counters(&w, out);
    buf_append_str(out, "]}\n");
    if (w.names.oom || w.args.oom || threads.oom)
        out->oom = 1;
    buf_free(&threads);
    buf_free(&w.args);
    trace_strtab_free(&w.names);
    free(th);
}
