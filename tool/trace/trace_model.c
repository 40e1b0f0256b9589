/*
 * trace_model.c — a Chrome Trace Event document as tracks of nested slices.
 *
 * Reads the object form ({"traceEvents": [...]}) and the bare array form.
 * Per event: 'X' is a slice; 'B'/'E' pairs on a track become slices (an E
 * closes the track's innermost open B; an unclosed B ends at the last
 * timestamp); 'i'/'I' are instants; 'M' process_name/thread_name name the
 * process and tracks; 'C' and the rest are counted only. Slices of a track
 * are sorted by start (longer first at equal starts) and nested by
 * containment, which is what both the summary and speedscope need.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "gzip.h"
#include "trace/json.h"

#define MAX_TRACE_BYTES ((size_t)2 << 30)
#define MAX_OPEN 256

/* A 'B' waiting for its 'E'. */
typedef struct open_b {
    trace_track *t;
    double ts;
    const char *name, *cat;
} open_b;

static trace_track *track_of(trace_doc *d, long pid, long tid)
{
    for (size_t i = d->n_tracks; i-- > 0;) /* events come in runs of one track */
        if (d->tracks[i].pid == pid && d->tracks[i].tid == tid)
            return &d->tracks[i];
    if (array_grow((void **)&d->tracks, &d->cap_tracks, d->n_tracks + 1, sizeof *d->tracks) != 0)
        return NULL;
    trace_track *t = &d->tracks[d->n_tracks++];
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->tid = tid;
    return t;
}

static int add_slice(trace_track *t, double ts, double dur, const char *name, const char *cat)
{
    if (array_grow((void **)&t->slices, &t->cap_slices, t->n_slices + 1, sizeof *t->slices) != 0)
        return -1;
    t->slices[t->n_slices++] = (trace_slice){ts, dur < 0 ? 0 : dur, name, cat, 0, -1};
    return 0;
}

static int add_instant(trace_track *t, double ts, const char *name, const void *args)
{
    if (array_grow((void **)&t->instants, &t->cap_instants, t->n_instants + 1,
                   sizeof *t->instants) != 0)
        return -1;
    t->instants[t->n_instants++] = (trace_instant){ts, name, args};
    return 0;
}

static int cmp_slice(const void *a, const void *b)
{
    const trace_slice *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->dur != y->dur)
        return x->dur > y->dur ? -1 : 1;
    return 0;
}

static int cmp_track(const void *a, const void *b)
{
    const trace_track *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Sort a track's slices and set each one's parent and depth. */
static void nest(trace_track *t)
{
    qsort(t->slices, t->n_slices, sizeof *t->slices, cmp_slice);
    int stack[MAX_OPEN];
    int n = 0;
    for (size_t i = 0; i < t->n_slices; i++) {
        trace_slice *s = &t->slices[i];
        /* 1 ns of slack: timestamps are rounded to the microsecond's 1/1000 */
        while (n && t->slices[stack[n - 1]].ts + t->slices[stack[n - 1]].dur <= s->ts + 0.001)
            n--;
        s->parent = n ? stack[n - 1] : -1;
        s->depth = n;
        if (n < MAX_OPEN)
            stack[n++] = (int)i;
    }
}

static long id_of(const json_value *e, const char *key)
{
    const json_value *v = json_get(e, key);
    return v && v->type == JSON_NUMBER ? (long)v->num : 0;
}

/* One event into d. 0, or -1 when out of memory. */
static int take_event(trace_doc *d, const json_value *e, int *open_n, size_t cap_open, open_b *open)
{
    const char *ph = json_get_str(e, "ph", "");
    const char *name = json_get_str(e, "name", "");
    const char *cat = json_get_str(e, "cat", "");
    double ts = json_get_num(e, "ts", 0);
    long pid = id_of(e, "pid"), tid = id_of(e, "tid");
    d->n_events++;
    if (ph[0] == 'M') {
        const char *v = json_get_str(json_get(e, "args"), "name", NULL);
        if (v && strcmp(name, "process_name") == 0 && !d->process_name)
            d->process_name = v;
        if (v && strcmp(name, "thread_name") == 0) {
            trace_track *t = track_of(d, pid, tid);
            if (!t)
                return -1;
            t->name = v;
        }
        return 0;
    }
    if (ph[0] && ph[0] != 'M') {
        if (ts < d->t_min)
            d->t_min = ts;
        double end = ts + (ph[0] == 'X' ? json_get_num(e, "dur", 0) : 0);
        if (end > d->t_max)
            d->t_max = end;
    }
    switch (ph[0]) {
    case 'X': {
        trace_track *t = track_of(d, pid, tid);
        return t ? add_slice(t, ts, json_get_num(e, "dur", 0), name, cat) : -1;
    }
    case 'B':
        if ((size_t)*open_n < cap_open) {
            trace_track *t = track_of(d, pid, tid);
            if (!t)
                return -1;
            open[(*open_n)++] = (open_b){t, ts, name, cat};
        }
        return 0;
    case 'E':
        for (int i = *open_n; i-- > 0;) {
            if (open[i].t->pid == pid && open[i].t->tid == tid) {
                int rc =
                    add_slice(open[i].t, open[i].ts, ts - open[i].ts, open[i].name, open[i].cat);
                memmove(&open[i], &open[i + 1], (size_t)(*open_n - i - 1) * sizeof *open);
                (*open_n)--;
                return rc;
            }
        }
        return 0;
    case 'i':
    case 'I': {
        trace_track *t = track_of(d, pid, tid);
        return t ? add_instant(t, ts, name, json_get(e, "args")) : -1;
    }
    default:
        return 0;
    }
}

/* See trace.h. */
int trace_doc_load(trace_doc *d, const uint8_t *data, size_t len, cp_err *err)
{
    memset(d, 0, sizeof *d);
    buf plain;
    buf_init(&plain);
    if (gzip_is_gzip(data, len)) {
        if (gzip_decompress(&plain, data, len, MAX_TRACE_BYTES, err) != 0) {
            buf_free(&plain);
            return -1;
        }
        data = plain.data;
        len = plain.len;
    }
    json_value *root = json_parse((const char *)data, len, err);
    buf_free(&plain);
    if (!root)
        return -1;
    d->root = root;
    const json_value *events = root->type == JSON_ARRAY ? root : json_get(root, "traceEvents");
    if (!events || events->type != JSON_ARRAY) {
        cp_err_set(err, "not a Chrome Trace Event document: no traceEvents array");
        trace_doc_free(d);
        return -1;
    }
    d->other = json_get(root, "otherData");
    d->t_min = 1e300;
    d->t_max = -1e300;
    open_b *open = malloc(MAX_OPEN * sizeof *open);
    int open_n = 0;
    int rc = open ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < events->len; i++) {
        if (events->items[i].type != JSON_OBJECT) {
            cp_err_set(err, "traceEvents[%zu] is not an object", i);
            free(open);
            trace_doc_free(d);
            return -1;
        }
        rc = take_event(d, &events->items[i], &open_n, MAX_OPEN, open);
    }
    if (d->t_min > d->t_max)
        d->t_min = d->t_max = 0;
    for (int i = 0; rc == 0 && i < open_n; i++) /* never ended: until the last event */
        rc = add_slice(open[i].t, open[i].ts, d->t_max - open[i].ts, open[i].name, open[i].cat);
    free(open);
    if (rc != 0) {
        cp_err_set(err, "out of memory reading the trace");
        trace_doc_free(d);
        return -1;
    }
    qsort(d->tracks, d->n_tracks, sizeof *d->tracks, cmp_track);
    for (size_t i = 0; i < d->n_tracks; i++)
        nest(&d->tracks[i]);
    return 0;
}

/* See trace.h. */
void trace_doc_free(trace_doc *d)
{
    for (size_t i = 0; i < d->n_tracks; i++) {
        free(d->tracks[i].slices);
        free(d->tracks[i].instants);
    }
    free(d->tracks);
    json_free(d->root);
    memset(d, 0, sizeof *d);
}
