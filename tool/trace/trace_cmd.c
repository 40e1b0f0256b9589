/*
 * trace_cmd.c — `cprof trace [options] FILE|URL`: the summary of a trace
 * and its conversion to speedscope.
 *
 * The summary knows cprof's track layout (otherData's state_track_offset
 * and span_track_offset, docs/TRACE.md): a thread's CPU, state and spans
 * tracks are reported together; in another producer's file every track is
 * reported as a thread of its own. Per thread: its lifetime in the window
 * (from the "thread created" / "thread exited" instants), its time on the
 * CPU (outermost CPU slices), its states, and its top stacks by self time
 * (a slice's duration minus its children's), leaf first like pprof -traces.
 *
 * Speedscope: one evented profile per track with slices (cprof's state
 * tracks left out: states are not stacks), frames shared by name, times
 * in microseconds over the document's span, so the profiles line up.
 */
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "flags.h"
#include "hash.h"
#include "hash_table.h"
#include "trace/json.h"

#define DEFAULT_TOP 5
#define PATH_MAX_LEN 4096

/* ---- stacks by self time ------------------------------------------------------- */

typedef struct stack_row {
    char *path;
    double self;
} stack_row;

typedef struct stack_key {
    const char *path;
    const stack_row *rows;
} stack_key;

static int eq_path(const void *key, const void *item)
{
    const stack_key *k = key;
    return strcmp(k->path, k->rows[htab_item_index(item)].path) == 0;
}

static int cmp_row(const void *a, const void *b)
{
    const stack_row *x = a, *y = b;
    return x->self > y->self ? -1 : x->self < y->self;
}

/* "leaf < parent < ... < root" of slice i into out. */
static void path_of(const trace_track *t, size_t i, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = (int)i; k >= 0 && n + 4 < cap; k = t->slices[k].parent) {
        int w = snprintf(out + n, cap - n, "%s%s", n ? " < " : "", t->slices[k].name);
        n = w < 0 ? n : n + (size_t)w >= cap ? cap - 1 : n + (size_t)w;
    }
}

/* The top stacks of a CPU track by self time, printed. */
static void top_stacks(const trace_track *t, int top, double total, buf *out)
{
    double *self = calloc(t->n_slices ? t->n_slices : 1, sizeof *self);
    stack_row *rows = NULL;
    size_t n_rows = 0, cap_rows = 0;
    htab index;
    htab_init(&index, NULL);
    char path[PATH_MAX_LEN];
    for (size_t i = 0; self && i < t->n_slices; i++) {
        self[i] += t->slices[i].dur;
        if (t->slices[i].parent >= 0)
            self[t->slices[i].parent] -= t->slices[i].dur;
    }
    for (size_t i = 0; self && i < t->n_slices; i++) {
        path_of(t, i, path, sizeof path);
        stack_key key = {path, rows};
        uint64_t h = hash_str(path);
        void **slot = htab_find_slot(&index, h, eq_path, &key);
        if (slot) {
            rows[htab_item_index(*slot)].self += self[i];
            continue;
        }
        if (n_rows == cap_rows) {
            cap_rows = cap_rows ? cap_rows * 2 : 64;
            rows = realloc(rows, cap_rows * sizeof *rows);
            if (!rows)
                break;
        }
        rows[n_rows] = (stack_row){strdup(path), self[i]};
        if (!rows[n_rows].path || htab_insert(&index, h, htab_index_item(n_rows)) != 0)
            break;
        n_rows++;
    }
    if (n_rows > 1)
        qsort(rows, n_rows, sizeof *rows, cmp_row);
    for (size_t i = 0; i < n_rows && (int)i < top; i++)
        if (rows[i].self > 0)
            buf_printf(out, "      %6.1f%%  %9.3f ms  %s\n",
                       total > 0 ? 100.0 * rows[i].self / total : 0.0, rows[i].self / 1000.0,
                       rows[i].path);
    for (size_t i = 0; i < n_rows; i++)
        free(rows[i].path);
    free(rows);
    free(self);
    htab_free(&index);
}

/* ---- the summary ------------------------------------------------------------------ */

/* Sum of outermost slices' durations (time covered). */
static double covered(const trace_track *t)
{
    double s = 0;
    for (size_t i = 0; t && i < t->n_slices; i++)
        if (t->slices[i].parent < 0)
            s += t->slices[i].dur;
    return s;
}

/* "running 12.0%, poll 80.0%, not running 8.0%" of a state track. */
static void states_line(const trace_track *t, buf *out)
{
    const char *names[16];
    double sums[16];
    size_t n = 0;
    double total = 0;
    for (size_t i = 0; i < t->n_slices; i++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], t->slices[i].name) != 0)
            k++;
        if (k == n && n < 16) {
            names[n] = t->slices[i].name;
            sums[n++] = 0;
        }
        if (k < n)
            sums[k] += t->slices[i].dur;
        total += t->slices[i].dur;
    }
    for (size_t k = 0; k < n; k++)
        buf_printf(out, "%s%s %.1f%%", k ? ", " : "", names[k],
                   total > 0 ? 100.0 * sums[k] / total : 0.0);
}

static double instant_at(const trace_track *t, const char *name)
{
    for (size_t i = 0; t && i < t->n_instants; i++)
        if (strcmp(t->instants[i].name, name) == 0)
            return t->instants[i].ts;
    return NAN;
}

/* See trace.h. */
void trace_summary(const trace_doc *d, int top, buf *out)
{
    trace_layout l = trace_layout_of(d);
    double span = d->t_max - d->t_min;
    buf_printf(out, "Trace: %s, %.3f s, %zu events\n",
               d->process_name ? d->process_name : "(process unnamed)", span / 1e6, d->n_events);
    const char *comment = json_get_str(d->other, "comment", NULL);
    if (comment)
        buf_printf(out, "Sampling: %s\n", comment);
    size_t n_threads = 0, created = 0, exited = 0;
    for (size_t i = 0; i < d->n_tracks; i++) {
        int kind;
        trace_thread_of(&l, d->tracks[i].tid, &kind);
        if (kind != 0)
            continue;
        n_threads++;
        created += !isnan(instant_at(&d->tracks[i], "thread created"));
        exited += !isnan(instant_at(&d->tracks[i], "thread exited"));
    }
    buf_printf(out, "Threads: %zu (%zu created, %zu exited during the trace)\n\n", n_threads,
               created, exited);
    for (size_t i = 0; i < d->n_tracks; i++) {
        const trace_track *t = &d->tracks[i];
        int kind;
        long tid = trace_thread_of(&l, t->tid, &kind);
        if (kind != 0)
            continue;
        double born = instant_at(t, "thread created"), died = instant_at(t, "thread exited");
        double cpu = covered(t);
        buf_printf(out, "%s (tid %ld): ", t->name ? t->name : "?", tid);
        if (isnan(born))
            buf_append_str(out, "from before the trace");
        else
            buf_printf(out, "created at %.3f s", (born - d->t_min) / 1e6);
        if (isnan(died))
            buf_append_str(out, ", still running at its end");
        else
            buf_printf(out, ", exited at %.3f s", (died - d->t_min) / 1e6);
        buf_printf(out, "; on CPU %.3f s (%.1f%%)\n", cpu / 1e6,
                   span > 0 ? 100.0 * cpu / span : 0.0);
        const trace_track *st =
            l.state_off ? trace_find_track(d, t->pid, t->tid + l.state_off) : NULL;
        if (st && st->n_slices) {
            buf_append_str(out, "    states: ");
            states_line(st, out);
            buf_append_byte(out, '\n');
        }
        const trace_track *sp =
            l.span_off ? trace_find_track(d, t->pid, t->tid + l.span_off) : NULL;
        if (sp && (sp->n_slices || sp->n_instants))
            buf_printf(out, "    spans: %zu, events: %zu\n", sp->n_slices, sp->n_instants);
        if (t->n_slices && top > 0) {
            buf_append_str(out, "    top stacks by self time:\n");
            top_stacks(t, top, cpu, out);
        }
    }
}

/* ---- speedscope ------------------------------------------------------------------------ */

/* See trace.h. */
void trace_to_speedscope(const trace_doc *d, const char *name, buf *out)
{
    trace_layout l = trace_layout_of(d);
    trace_strtab frames;
    trace_strtab_init(&frames);
    buf profiles;
    buf_init(&profiles);
    int n_profiles = 0;
    for (size_t i = 0; i < d->n_tracks; i++) {
        const trace_track *t = &d->tracks[i];
        int kind;
        trace_thread_of(&l, t->tid, &kind);
        if (kind == 1 || t->n_slices == 0)
            continue;
        char label[128];
        snprintf(label, sizeof label, "%s", t->name ? t->name : "");
        if (!t->name)
            snprintf(label, sizeof label, "pid %ld tid %ld", t->pid, t->tid);
        buf_append_str(&profiles, n_profiles++ ? ",\n" : "");
        buf_append_str(&profiles, "{\"type\":\"evented\",\"name\":");
        json_write_str(&profiles, label, strlen(label));
        buf_printf(&profiles,
                   ",\"unit\":\"microseconds\",\"startValue\":%.3f,\"endValue\":%.3f,\"events\":[",
                   d->t_min, d->t_max);
        /* Slices are sorted and nested: open each, close what ended first. */
        int stack[256];
        double ends[256];
        int n = 0, first = 1;
        for (size_t k = 0; k <= t->n_slices; k++) {
            const trace_slice *s = k < t->n_slices ? &t->slices[k] : NULL;
            while (n && (!s || s->depth < n)) {
                n--;
                buf_printf(&profiles, "%s{\"type\":\"C\",\"frame\":%d,\"at\":%.3f}",
                           first ? "" : ",", stack[n], ends[n]);
                first = 0;
            }
            if (!s || s->depth != n || n == 256)
                continue;
            double end = s->ts + s->dur;
            if (n && end > ends[n - 1])
                end = ends[n - 1]; /* rounding: a child never outlives its parent */
            stack[n] = (int)trace_strtab_id(&frames, s->name);
            ends[n] = end;
            buf_printf(&profiles, "%s{\"type\":\"O\",\"frame\":%d,\"at\":%.3f}", first ? "" : ",",
                       stack[n], s->ts);
            first = 0;
            n++;
        }
        buf_append_str(&profiles, "]}");
    }
    buf_append_str(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                        "\"exporter\":\"cprof trace\",\"name\":");
    json_write_str(out, name, strlen(name));
    buf_append_str(out, ",\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    for (size_t i = 0; i < frames.n; i++) {
        buf_append_str(out, i ? ",{\"name\":" : "{\"name\":");
        json_write_str(out, frames.v[i], strlen(frames.v[i]));
        buf_append_byte(out, '}');
    }
    buf_append_str(out, "]},\"profiles\":[\n");
    buf_append(out, profiles.data, profiles.len);
    buf_append_str(out, "\n]}\n");
    if (frames.oom)
        out->oom = 1; /* the caller reports it (cannot write) */
    buf_free(&profiles);
    trace_strtab_free(&frames);
}

/* ---- the command ------------------------------------------------------------------------ */

enum trace_flag { T_HELP, T_SPEEDSCOPE, T_TOP, T_TOKEN, T_SECONDS };

static const flag_spec trace_specs[] = {
    {"h", FLAG_BOOL, T_HELP},
    {"help", FLAG_BOOL, T_HELP},
    {"speedscope", FLAG_STRING, T_SPEEDSCOPE},
    {"top", FLAG_INT, T_TOP},
    {"token", FLAG_STRING, T_TOKEN},
    {"seconds", FLAG_INT, T_SECONDS},
};

typedef struct trace_args {
    bool help;
    const char *speedscope;
    int top;
    fetch_opts fetch;
    const char *source;
} trace_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cprof trace [options] FILE|URL\n"
            "Summarizes a trace (/debug/pprof/trace's Chrome Trace Event JSON, plain or gzipped,\n"
            "or any such file): threads, their lifetimes, CPU and states, top stacks per thread.\n"
            "A URL is fetched (host:port/debug/pprof/trace?seconds=N).\n"
            "  -speedscope OUT   also write the trace in speedscope's file format to OUT\n"
            "  -top N            stacks shown per thread (default %d; 0: none)\n"
            "  -token T, -seconds N   as for any source URL\n",
            DEFAULT_TOP);
}

static int set_option(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err)
{
    trace_args *a = ctx;
    (void)err;
    switch ((enum trace_flag)s->id) {
    case T_HELP:
        a->help = v->on;
        break;
    case T_SPEEDSCOPE:
        a->speedscope = v->str;
        break;
    case T_TOP:
        a->top = (int)v->num;
        break;
    case T_TOKEN:
        a->fetch.token = v->str;
        break;
    case T_SECONDS:
        a->fetch.seconds = (int)v->num;
        break;
    }
    return 0;
}

static int set_source(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err)
{
    (void)argc, (void)after_dashes;
    trace_args *a = ctx;
    if (a->source) {
        cp_err_set(err, "trace: one source only (got %s and %s)", a->source, argv[*i]);
        return -1;
    }
    a->source = argv[*i];
    return 0;
}

static const flag_table trace_flags = {
    .prefix = "trace: ",
    .hint = "cprof trace -help",
    .specs = trace_specs,
    .n_specs = sizeof trace_specs / sizeof trace_specs[0],
    .set = set_option,
    .arg = set_source,
};

static int write_out(const char *path, const buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = fwrite(b->data, 1, b->len, f);
    return fclose(f) != 0 || n != b->len ? -1 : 0;
}

/* See trace.h. */
int trace_main(int argc, char **argv)
{
    trace_args a = {.top = DEFAULT_TOP, .fetch = {.seconds = -1, .timeout = -1}};
    cp_err err;
    if (flags_parse(&trace_flags, argc, argv, &a, &err) != 0) {
        fprintf(stderr, "cprof %s\n", err.msg);
        return 2;
    }
    if (a.help) {
        usage(stdout);
        return 0;
    }
    if (!a.source) {
        usage(stderr);
        return 2;
    }
    buf raw;
    buf_init(&raw);
    int rc = trace_source_read(a.source, &a.fetch, &raw, &err);
    trace_doc d;
    if (rc != 0 || trace_doc_load(&d, raw.data, raw.len, &err) != 0) {
        fprintf(stderr, "cprof: trace: %s\n", err.msg);
        buf_free(&raw);
        return 1;
    }
    buf out;
    buf_init(&out);
    trace_summary(&d, a.top, &out);
    fwrite(out.data, 1, out.len, stdout);
    rc = 0;
    if (a.speedscope) {
        buf_reset(&out);
        trace_to_speedscope(&d, d.process_name ? d.process_name : a.source, &out);
        if (out.oom || write_out(a.speedscope, &out) != 0) {
            fprintf(stderr, "cprof: trace: cannot write %s\n", a.speedscope);
            rc = 1;
        }
    }
    buf_free(&out);
    trace_doc_free(&d);
    buf_free(&raw);
    return rc;
}
