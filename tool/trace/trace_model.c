/*
 * trace_model.c — a Chrome Trace Event document as tracks of nested slices.
 *
 * Reads the object form ({"traceEvents": [...]}) and the bare array form.
 * Per event: 'X' is a slice; 'B'/'E' pairs on a track become slices (an E
 * closes the track's innermost open B; an unclosed B ends at the last
 * timestamp); 'i'/'I' are instants; 'M' process_name/thread_name name the
 * process and tracks; 'C' events become counter series (one per numeric
 * member of their args); the rest are counted only. Tracks are found
 * through a hash of (pid, tid), so a file with many tracks stays linear.
 * Slices of a track
 * are sorted by start (longer first at equal starts) and nested by
 * containment, which is what both the summary and speedscope need.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "gzip.h"
#include "hash.h"
#include "hash_table.h"
#include "trace/json.h"

#define MAX_TRACE_BYTES ((size_t)2 << 30)
#define MAX_OPEN 256
#define MAX_COUNTERS 64

/* A 'B' waiting for its 'E'. */
typedef struct open_b {
    ptrdiff_t t; /* index into the document's tracks (they move as they grow) */
    double ts;
    const char *name, *cat;
    const void *args;
} open_b;

/* The loader's state beside the document. */
typedef struct loader {
    trace_doc *d;
    htab tracks; /* (pid, tid) -> index into d->tracks */
    open_b *open;
    int open_n;
} loader;

typedef struct track_key {
    long pid, tid;
    const trace_track *tracks;
} track_key;

static int eq_track(const void *key, const void *item)
{
    const track_key *k = key;
    const trace_track *t = &k->tracks[htab_item_index(item)];
    return t->pid == k->pid && t->tid == k->tid;
}

static uint64_t track_hash(long pid, long tid)
{
    return hash_mix(hash_mix(0, (uint64_t)pid), (uint64_t)tid);
}

/* The track (pid, tid), added when new; NULL when out of memory. */
static trace_track *track_of(loader *ld, long pid, long tid)
{
    trace_doc *d = ld->d;
    track_key key = {pid, tid, d->tracks};
    uint64_t h = track_hash(pid, tid);
    void **slot = htab_find_slot(&ld->tracks, h, eq_track, &key);
    if (slot)
        return &d->tracks[htab_item_index(*slot)];
    if (array_grow((void **)&d->tracks, &d->cap_tracks, d->n_tracks + 1, sizeof *d->tracks) != 0 ||
        htab_insert(&ld->tracks, h, htab_index_item(d->n_tracks)) != 0)
        return NULL;
    trace_track *t = &d->tracks[d->n_tracks++];
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->tid = tid;
    return t;
}

/* One point of counter (pid, name, key); 0, or -1 when out of memory.
 * Counters are few: a linear search from the last one used. */
static int add_counter_point(trace_doc *d, long pid, const char *name, const char *key, double ts,
                             double v)
{
    trace_counter *c = NULL;
    for (size_t i = d->n_counters; i-- > 0 && !c;)
        if (d->counters[i].pid == pid && !strcmp(d->counters[i].name, name) &&
            !strcmp(d->counters[i].key, key))
            c = &d->counters[i];
    if (!c) {
        if (d->n_counters >= MAX_COUNTERS)
            return 0; /* a hostile file's thousands of counters: the first ones kept */
        if (array_grow((void **)&d->counters, &d->cap_counters, d->n_counters + 1,
                       sizeof *d->counters) != 0)
            return -1;
        c = &d->counters[d->n_counters++];
        *c = (trace_counter){.pid = pid, .name = name, .key = key};
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        double *ts2 = realloc(c->ts, cap * sizeof *ts2);
        if (!ts2)
            return -1;
        c->ts = ts2;
        double *v2 = realloc(c->val, cap * sizeof *v2);
        if (!v2)
            return -1;
        c->val = v2;
        c->cap = cap;
    }
    c->ts[c->n] = ts;
    c->val[c->n++] = v;
    return 0;
}

static int add_slice(trace_track *t, double ts, double dur, const char *name, const char *cat,
                     const void *args)
{
    if (array_grow((void **)&t->slices, &t->cap_slices, t->n_slices + 1, sizeof *t->slices) != 0)
        return -1;
    t->slices[t->n_slices++] = (trace_slice){ts, dur < 0 ? 0 : dur, name, cat, 0, -1, args};
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
    if (t->n_slices > 1)
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

/* A JSON number as an id: NaN and what a long cannot hold (a hostile
 * 1e300) as 0, so the conversion is always defined. */
static long as_id(double v)
{
    return v > -2147483648.0 && v < 2147483648.0 ? (long)v : 0;
}

static long id_of(const json_value *e, const char *key)
{
    const json_value *v = json_get(e, key);
    return v && v->type == JSON_NUMBER ? as_id(v->num) : 0;
}

/* One event into ld's document. 0, or -1 when out of memory. */
static int take_event(loader *ld, const json_value *e)
{
    trace_doc *d = ld->d;
    const char *ph = json_get_str(e, "ph", "");
    const char *name = json_get_str(e, "name", "");
    const char *cat = json_get_str(e, "cat", "");
    const json_value *args = json_get(e, "args");
    double ts = json_get_num(e, "ts", 0);
    long pid = id_of(e, "pid"), tid = id_of(e, "tid");
    d->n_events++;
    if (ph[0] == 'M') {
        const char *v = json_get_str(args, "name", NULL);
        if (v && strcmp(name, "process_name") == 0 && !d->process_name)
            d->process_name = v;
        if (v && strcmp(name, "thread_name") == 0) {
            trace_track *t = track_of(ld, pid, tid);
            if (!t)
                return -1;
            t->name = v;
        }
        return 0;
    }
    if (ph[0]) {
        if (ts < d->t_min)
            d->t_min = ts;
        double end = ts + (ph[0] == 'X' ? json_get_num(e, "dur", 0) : 0);
        if (end > d->t_max)
            d->t_max = end;
    }
    switch (ph[0]) {
    case 'X': {
        trace_track *t = track_of(ld, pid, tid);
        return t ? add_slice(t, ts, json_get_num(e, "dur", 0), name, cat, args) : -1;
    }
    case 'B':
        if (ld->open_n < MAX_OPEN) {
            trace_track *t = track_of(ld, pid, tid);
            if (!t)
                return -1;
            ld->open[ld->open_n++] = (open_b){t - d->tracks, ts, name, cat, args};
        }
        return 0;
    case 'E':
        for (int i = ld->open_n; i-- > 0;) {
            trace_track *t = &d->tracks[ld->open[i].t];
            if (t->pid == pid && t->tid == tid) {
                int rc = add_slice(t, ld->open[i].ts, ts - ld->open[i].ts, ld->open[i].name,
                                   ld->open[i].cat, ld->open[i].args);
                memmove(&ld->open[i], &ld->open[i + 1],
                        (size_t)(ld->open_n - i - 1) * sizeof *ld->open);
                ld->open_n--;
                return rc;
            }
        }
        return 0;
    case 'i':
    case 'I': {
        trace_track *t = track_of(ld, pid, tid);
        return t ? add_instant(t, ts, name, args) : -1;
    }
    case 'C':
        for (size_t i = 0; args && args->type == JSON_OBJECT && i < args->len; i++)
            if (args->items[i].type == JSON_NUMBER &&
                add_counter_point(d, pid, name, args->keys[i], ts, args->items[i].num) != 0)
                return -1;
        return 0;
    default:
        return 0;
    }
}

/* data as plain text: itself, or gunzipped into *plain (bounded by
 * MAX_TRACE_BYTES) with *data and *len pointing there. 0, or -1 with err. */
static int gunzip_if_gzip(const uint8_t **data, size_t *len, buf *plain, cp_err *err)
{
    if (!gzip_is_gzip(*data, *len))
        return 0;
    if (gzip_decompress(plain, *data, *len, MAX_TRACE_BYTES, err) != 0)
        return -1;
    *data = plain->data;
    *len = plain->len;
    return 0;
}

/* See trace.h. */
int trace_source_read(const char *source, const fetch_opts *fo, buf *out, cp_err *err)
{
    char *url = source_url(source);
    int rc = url ? fetch_url(url, fo, out, NULL, err) : read_file(source, out, err);
    free(url);
    const uint8_t *data = out->data;
    size_t len = out->len;
    buf plain;
    buf_init(&plain);
    if (rc != 0 || gunzip_if_gzip(&data, &len, &plain, err) != 0) {
        buf_free(&plain);
        return -1;
    }
    if (data == plain.data) { /* gunzipped: out holds the plain text instead */
        buf_free(out);
        *out = plain;
    }
    return 0;
}

/* See trace.h. */
int trace_doc_load(trace_doc *d, const uint8_t *data, size_t len, cp_err *err)
{
    memset(d, 0, sizeof *d);
    buf plain;
    buf_init(&plain);
    if (gunzip_if_gzip(&data, &len, &plain, err) != 0) {
        buf_free(&plain);
        return -1;
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
    loader ld = {.d = d, .open = malloc(MAX_OPEN * sizeof *ld.open)};
    htab_init(&ld.tracks, NULL);
    int rc = ld.open ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < events->len; i++) {
        if (events->items[i].type != JSON_OBJECT) {
            cp_err_set(err, "traceEvents[%zu] is not an object", i);
            free(ld.open);
            htab_free(&ld.tracks);
            trace_doc_free(d);
            return -1;
        }
        rc = take_event(&ld, &events->items[i]);
    }
    if (d->t_min > d->t_max)
        d->t_min = d->t_max = 0;
    for (int i = 0; rc == 0 && i < ld.open_n; i++) /* never ended: until the last event */
        rc = add_slice(&d->tracks[ld.open[i].t], ld.open[i].ts, d->t_max - ld.open[i].ts,
                       ld.open[i].name, ld.open[i].cat, ld.open[i].args);
    free(ld.open);
    htab_free(&ld.tracks);
    if (rc != 0) {
        cp_err_set(err, "out of memory reading the trace");
        trace_doc_free(d);
        return -1;
    }
    if (d->n_tracks > 1)
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
    for (size_t i = 0; i < d->n_counters; i++) {
        free(d->counters[i].ts);
        free(d->counters[i].val);
    }
    free(d->counters);
    json_free(d->root);
    memset(d, 0, sizeof *d);
}

/* See trace.h. */
trace_layout trace_layout_of(const trace_doc *d)
{
    trace_layout l = {as_id(json_get_num(d->other, "state_track_offset", 0)),
                      as_id(json_get_num(d->other, "span_track_offset", 0))};
    if (l.state_off <= 0 || l.span_off <= l.state_off)
        l.state_off = l.span_off = 0;
    return l;
}

/* See trace.h. */
long trace_thread_of(const trace_layout *l, long tid, int *kind)
{
    *kind = TRACK_CPU;
    if (l->span_off && tid >= l->span_off) {
        *kind = TRACK_SPANS;
        return tid - l->span_off;
    }
    if (l->state_off && tid >= l->state_off) {
        *kind = TRACK_STATE;
        return tid - l->state_off;
    }
    return tid;
}

/* See trace.h. Tracks are sorted by (pid, tid): a binary search. */
const trace_track *trace_find_track(const trace_doc *d, long pid, long tid)
{
    size_t lo = 0, hi = d->n_tracks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const trace_track *t = &d->tracks[mid];
        if (t->pid < pid || (t->pid == pid && t->tid < tid))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n_tracks && d->tracks[lo].pid == pid && d->tracks[lo].tid == tid ? &d->tracks[lo]
                                                                                    : NULL;
}

/* ---- the string table --------------------------------------------------- */

typedef struct strtab_key {
    const char *s;
    const char *const *v;
} strtab_key;

static int eq_str(const void *key, const void *item)
{
    const strtab_key *k = key;
    return strcmp(k->s, k->v[htab_item_index(item)]) == 0;
}

/* See trace.h. */
void trace_strtab_init(trace_strtab *t)
{
    memset(t, 0, sizeof *t);
    t->index = malloc(sizeof(htab));
    if (t->index)
        htab_init(t->index, NULL);
    else
        t->oom = 1;
}

/* See trace.h. 0 with t->oom set when out of memory. */
size_t trace_strtab_id(trace_strtab *t, const char *s)
{
    if (!t->index)
        return 0;
    strtab_key key = {s, t->v};
    uint64_t h = hash_str(s);
    void **slot = htab_find_slot(t->index, h, eq_str, &key);
    if (slot)
        return htab_item_index(*slot);
    if (array_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v) != 0 ||
        htab_insert(t->index, h, htab_index_item(t->n)) != 0) {
        t->oom = 1;
        return 0;
    }
    t->v[t->n] = s;
    return t->n++;
}

/* See trace.h. */
void trace_strtab_free(trace_strtab *t)
{
    if (t->index)
        htab_free(t->index);
    free(t->index);
    free(t->v);
    memset(t, 0, sizeof *t);
}
