/*
 * trace_timeline.c — a collected window (trace_data) as Chrome Trace Event
 * JSON: what each event is, and how CPU samples become a flame chart.
 *
 * Tracks (pid = the process, tid = a track; docs/TRACE.md):
 *   tid T          thread T's CPU: X slices "cat":"cpu", one nesting level
 *                  per frame (inlined functions included, outermost first),
 *                  and its "thread created" / "thread exited" instants
 *   tid T+2^22     thread T's state at the sampling period: "running",
 *                  "blocked: CALL" (in an interposed blocking call), "not
 *                  running" (neither: waiting elsewhere or descheduled)
 *   tid T+2^23     thread T's spans (cprof_span_begin/end: X) and instants
 *                  (cprof_event: i)
 * Linux tids stay below 2^22 (PID_MAX_LIMIT), so the three never collide;
 * each carries its thread's name and tid in its thread_name metadata.
 *
 * Flame chart: a thread's samples in time order; sample i (taken at t_i,
 * weight w_i timer expirations of period p) covers [t_i - w_i p, t_i],
 * clipped to start where the previous one ended, and continues it when the
 * gap is under p/2. Along a continuous run, a frame at depth k stays one
 * slice while every sample has the same frames at depths 0..k; a gap (the
 * thread left the CPU) closes everything. So the time a function's slices
 * cover is its samples times the period, the CPU profile's figure, while
 * the thread runs without a break (the accuracy test checks the shares).
 *
 * Slices are sorted by (track, start, depth) before writing, so a parent
 * comes before the children that start with it; consumers need it.
 */
#include "trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/hash_table.h"
#include "pprof/symbolize.h"
#include "threads/threads.h"

#define STATE_TRACK (1 << 22)
#define SPAN_TRACK (1 << 23)
#define MAX_LEVELS 256

typedef struct slice {
    int track, depth;
    int64_t ts, end;
    const char *name;
    const char *cat;
    const char *call; /* state slices: the blocking call, else NULL */
} slice;

typedef struct frame_entry {
    uint64_t addr;
    uint32_t first, n; /* into names, outermost first */
} frame_entry;

typedef struct thread_track {
    int32_t tid;
    char name[THREADS_NAME_MAX];
    int64_t started, exited; /* -1: outside the window */
    const trace_thread_event *birth;
    int has_spans;
    size_t first_sample, n_samples; /* into the sorted sample order */
} thread_track;

typedef struct timeline {
    const trace_data *d;
    int64_t period;
    slice *slices;
    size_t n_slices, cap_slices;
    frame_entry *frames;
    size_t n_frames, cap_frames;
    const char **names;
    size_t n_names, cap_names;
    char **owned; /* strings made here (addresses), freed at the end */
    size_t n_owned, cap_owned;
    htab frame_index; /* addr -> frames index + 1 */
    mapping_info *maps;
    size_t n_maps;
    thread_track *threads;
    size_t n_threads, cap_threads;
    size_t *order; /* samples sorted by (tid, time) */
    int oom;
} timeline;

/* ---- frames --------------------------------------------------------------- */

static char *own_string(timeline *t, const char *s)
{
    if (t->n_owned + 1 > t->cap_owned &&
        array_grow((void **)&t->owned, &t->cap_owned, t->n_owned + 1, sizeof *t->owned) != 0)
        return NULL;
    char *c = strdup(s);
    if (c)
        t->owned[t->n_owned++] = c;
    return c;
}

static int push_name(timeline *t, const char *name)
{
    if (!name ||
        (t->n_names + 1 > t->cap_names &&
         array_grow((void **)&t->names, &t->cap_names, t->n_names + 1, sizeof *t->names) != 0)) {
        t->oom = 1;
        return -1;
    }
    t->names[t->n_names++] = name;
    return 0;
}

/* "0x55d0c0a1b2c3 (module)": a frame without a function. */
static const char *address_name(timeline *t, uint64_t addr)
{
    const char *module = "?";
    for (size_t i = 0; i < t->n_maps; i++) {
        if (addr >= t->maps[i].start && addr < t->maps[i].limit) {
            const char *slash = strrchr(t->maps[i].filename, '/');
            module = slash ? slash + 1 : t->maps[i].filename;
            break;
        }
    }
    char text[320];
    snprintf(text, sizeof text, "0x%" PRIx64 " (%s)", addr, *module ? module : "?");
    return own_string(t, text);
}

/* htab_eq_fn: any item under the hash; frames_of compares addresses and,
 * on a collision, probes the next derived hash. */
static int eq_any(const void *key, const void *item)
{
    (void)key;
    (void)item;
    return 1;
}

/* The frames (outermost first) of the looked-up address addr; index into
 * t->frames, or -1 when out of memory. */
static long frames_of(timeline *t, uint64_t addr)
{
    uint64_t h = hash_mix(0x7ace, addr);
    /* htab stores index + 1; equal hashes of different addresses are told
     * apart by the entry's own address. */
    for (;;) {
        void **slot = htab_find_slot(&t->frame_index, h, eq_any, NULL);
        if (!slot)
            break;
        size_t i = htab_item_index(*slot) - 1;
        if (t->frames[i].addr == addr)
            return (long)i;
        h = hash_mix(h, 1); /* a collision: probe the next derived hash */
    }
    if (t->n_frames + 1 > t->cap_frames &&
        array_grow((void **)&t->frames, &t->cap_frames, t->n_frames + 1, sizeof *t->frames) != 0)
        return -1;
    frame_entry *f = &t->frames[t->n_frames];
    f->addr = addr;
    f->first = (uint32_t)t->n_names;
    symbol_info si;
    if (symbolize_addr(addr, &si) == 0 && si.n_lines > 0) {
        for (size_t k = si.n_lines; k-- > 0;)
            if (push_name(t, si.lines[k].function) != 0)
                return -1;
    } else if (push_name(t, address_name(t, addr)) != 0) {
        return -1;
    }
    f->n = (uint32_t)(t->n_names - f->first);
    if (htab_insert(&t->frame_index, h, htab_index_item(t->n_frames + 1)) != 0)
        return -1;
    return (long)t->n_frames++;
}

/* The names of sample s, outermost first, into out (at most MAX_LEVELS). */
static size_t sample_levels(timeline *t, const trace_sample *s, const char **out)
{
    size_t n = 0;
    const uint64_t *pcs = t->d->pcs + s->first_pc;
    for (size_t k = s->n_pcs; k-- > 0;) {
        uint64_t addr = k == 0 ? pcs[k] : pcs[k] - 1; /* return addresses: the call */
        long fi = frames_of(t, addr);
        if (fi < 0) {
            t->oom = 1;
            return n;
        }
        const frame_entry *f = &t->frames[fi];
        for (uint32_t j = 0; j < f->n && n < MAX_LEVELS; j++)
            out[n++] = t->names[f->first + j];
    }
    return n;
}

/* ---- slices ----------------------------------------------------------------- */

static void add_slice(timeline *t, int track, int depth, int64_t ts, int64_t end, const char *name,
                      const char *cat, const char *call)
{
    if (end < ts)
        end = ts;
    if (t->n_slices + 1 > t->cap_slices &&
        array_grow((void **)&t->slices, &t->cap_slices, t->n_slices + 1, sizeof *t->slices) != 0) {
        t->oom = 1;
        return;
    }
    t->slices[t->n_slices++] = (slice){track, depth, ts, end, name, cat, call};
}

static int cmp_slice(const void *a, const void *b)
{
    const slice *x = a, *y = b;
    if (x->track != y->track)
        return x->track < y->track ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->depth - y->depth;
}

static const trace_data *sort_data; /* qsort has no context argument */

static int cmp_sample(const void *a, const void *b)
{
    const trace_sample *x = &sort_data->samples[*(const size_t *)a];
    const trace_sample *y = &sort_data->samples[*(const size_t *)b];
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

/* The flame chart of one thread (see the file's notes). */
static void cpu_slices(timeline *t, const thread_track *th)
{
    const trace_data *d = t->d;
    const char *open[MAX_LEVELS], *levels[MAX_LEVELS];
    int64_t since[MAX_LEVELS];
    size_t n_open = 0;
    int64_t prev_end = 0;
    for (size_t k = 0; k < th->n_samples; k++) {
        const trace_sample *s = &d->samples[t->order[th->first_sample + k]];
        int64_t t_end = s->time_ns, t_start = s->time_ns - (int64_t)s->weight * t->period;
        if (t_start < d->start_ns)
            t_start = d->start_ns;
        if (k > 0 && t_start - prev_end < t->period / 2)
            t_start = prev_end; /* continues the run */
        if (k > 0 && t_start != prev_end) {
            while (n_open) { /* a gap: the thread was off the CPU */
                n_open--;
                add_slice(t, th->tid, (int)n_open, since[n_open], prev_end, open[n_open], "cpu",
                          NULL);
            }
        }
        size_t n = sample_levels(t, s, levels), same = 0;
        while (same < n && same < n_open && open[same] == levels[same])
            same++;
        while (n_open > same) {
            n_open--;
            add_slice(t, th->tid, (int)n_open, since[n_open], t_start, open[n_open], "cpu", NULL);
        }
        for (; n_open < n; n_open++) {
            open[n_open] = levels[n_open];
            since[n_open] = t_start;
        }
        prev_end = t_end;
    }
    while (n_open) {
        n_open--;
        add_slice(t, th->tid, (int)n_open, since[n_open], prev_end, open[n_open], "cpu", NULL);
    }
}

/* Is tid in tick's blocked list? The call, or NULL. */
static const char *blocked_in(const trace_data *d, const trace_state_tick *tick, int32_t tid)
{
    for (uint32_t i = 0; i < tick->n; i++)
        if (d->blocked[tick->first + i].tid == tid)
            return d->blocked[tick->first + i].call;
    return NULL;
}

/* The state track of one thread: one state per tick, runs merged. */
static void state_slices(timeline *t, const thread_track *th)
{
    const trace_data *d = t->d;
    size_t next = 0; /* the thread's next sample */
    const char *cur = NULL, *cur_call = NULL;
    int64_t cur_since = 0, prev = d->start_ns;
    static const char *const running = "running", *const not_running = "not running";
    for (size_t k = 0; k < d->n_ticks; k++) {
        const trace_state_tick *tick = &d->ticks[k];
        int64_t from = prev, to = tick->time_ns;
        prev = to;
        int alive = (th->started < 0 || to > th->started) && (th->exited < 0 || from < th->exited);
        int sampled = 0;
        while (next < th->n_samples &&
               d->samples[t->order[th->first_sample + next]].time_ns <= to) {
            if (d->samples[t->order[th->first_sample + next]].time_ns > from)
                sampled = 1;
            next++;
        }
        const char *call = alive ? blocked_in(d, tick, th->tid) : NULL;
        const char *state = !alive ? NULL : call ? call : sampled ? running : not_running;
        if (state != cur) {
            if (cur)
                add_slice(t, th->tid + STATE_TRACK, 0, cur_since, from, cur, "state", cur_call);
            cur = state;
            cur_call = call;
            cur_since = th->started > from ? th->started : from;
        }
    }
    if (cur)
        add_slice(t, th->tid + STATE_TRACK, 0, cur_since,
                  th->exited >= 0 && th->exited < prev ? th->exited : prev, cur, "state", cur_call);
}

/* ---- threads ----------------------------------------------------------------- */

static thread_track *track_of(timeline *t, int32_t tid)
{
    for (size_t i = 0; i < t->n_threads; i++) /* sorted later; few hundred at most */
        if (t->threads[i].tid == tid)
            return &t->threads[i];
    if (t->n_threads + 1 > t->cap_threads &&
        array_grow((void **)&t->threads, &t->cap_threads, t->n_threads + 1, sizeof *t->threads) !=
            0) {
        t->oom = 1;
        return NULL;
    }
    thread_track *th = &t->threads[t->n_threads++];
    memset(th, 0, sizeof *th);
    th->tid = tid;
    th->started = th->exited = -1;
    return th;
}

static int cmp_track(const void *a, const void *b)
{
    const thread_track *x = a, *y = b;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Every thread seen in the window, with its name, birth and exit. */
static void gather_threads(timeline *t)
{
    const trace_data *d = t->d;
    for (size_t i = 0; i < d->n_live_at_start; i++)
        track_of(t, d->live_at_start[i]);
    for (size_t i = 0; i < d->n_threads; i++) {
        const trace_thread_event *e = &d->threads[i];
        thread_track *th = track_of(t, e->tid);
        if (!th)
            return;
        if (e->exited) {
            th->exited = e->time_ns;
            memcpy(th->name, e->name, sizeof th->name);
        } else {
            th->started = e->time_ns < d->start_ns ? d->start_ns : e->time_ns;
            th->birth = e;
            if (!th->name[0])
                memcpy(th->name, e->name, sizeof th->name);
        }
    }
    for (size_t i = 0; i < d->n_samples; i++)
        track_of(t, d->samples[i].tid);
    for (size_t i = 0; i < d->n_spans; i++) {
        thread_track *th = track_of(t, d->spans[i].tid);
        if (th)
            th->has_spans = 1;
    }
    if (t->oom)
        return;
    qsort(t->threads, t->n_threads, sizeof *t->threads, cmp_track);
    for (size_t i = 0; i < t->n_threads; i++) {
        thread_track *th = &t->threads[i];
        thread_proc_info pi;
        if (th->exited < 0 && threads_read_proc(th->tid, &pi) == 0)
            memcpy(th->name, pi.name, sizeof th->name);
        th->name[THREADS_NAME_MAX - 1] = '\0';
    }
    /* Samples by (tid, time): each thread's run in t->order. */
    t->order = malloc((d->n_samples ? d->n_samples : 1) * sizeof *t->order);
    if (!t->order) {
        t->oom = 1;
        return;
    }
    for (size_t i = 0; i < d->n_samples; i++)
        t->order[i] = i;
    sort_data = d;
    qsort(t->order, d->n_samples, sizeof *t->order, cmp_sample);
    size_t k = 0;
    for (size_t i = 0; i < t->n_threads; i++) {
        thread_track *th = &t->threads[i];
        while (k < d->n_samples && d->samples[t->order[k]].tid < th->tid)
            k++;
        th->first_sample = k;
        while (k < d->n_samples && d->samples[t->order[k]].tid == th->tid)
            k++;
        th->n_samples = k - th->first_sample;
    }
}

/* ---- spans ---------------------------------------------------------------------- */

#define SPAN_DEPTH 64

/* Spans of the window as X slices and instants (written directly). */
static void span_slices(timeline *t, trace_json *j)
{
    const trace_data *d = t->d;
    for (size_t i = 0; i < t->n_threads; i++) {
        const thread_track *th = &t->threads[i];
        if (!th->has_spans)
            continue;
        const char *open[SPAN_DEPTH];
        int64_t since[SPAN_DEPTH];
        size_t depth = 0, skipped = 0;
        for (size_t k = 0; k < d->n_spans; k++) {
            const trace_span_rec *r = &d->spans[k];
            if (r->tid != th->tid || r->ev.time_ns < d->start_ns || r->ev.time_ns > d->end_ns)
                continue;
            if (r->ev.kind == TRACE_SPAN_BEGIN) {
                if (depth < SPAN_DEPTH) {
                    open[depth] = r->ev.name;
                    since[depth++] = r->ev.time_ns;
                } else {
                    skipped++;
                }
            } else if (r->ev.kind == TRACE_SPAN_END) {
                if (skipped) {
                    skipped--;
                } else if (depth) {
                    depth--;
                    add_slice(t, th->tid + SPAN_TRACK, (int)depth, since[depth], r->ev.time_ns,
                              open[depth], "span", NULL);
                } else {
                    add_slice(t, th->tid + SPAN_TRACK, -1, d->start_ns, r->ev.time_ns,
                              "(span begun before the trace)", "span", NULL);
                }
            } else {
                trace_json_event e = {.ph = 'i',
                                      .name = r->ev.name,
                                      .cat = "event",
                                      .pid = d->pid,
                                      .tid = th->tid + SPAN_TRACK,
                                      .ts_ns = r->ev.time_ns - d->start_ns,
                                      .scope = 't'};
                trace_json_event_write(j, &e);
            }
        }
        while (depth) {
            depth--;
            add_slice(t, th->tid + SPAN_TRACK, (int)depth, since[depth], d->end_ns, open[depth],
                      "span", NULL);
        }
    }
}

/* ---- writing ---------------------------------------------------------------------- */

static void meta(trace_json *j, int pid, int tid, const char *what, const char *args)
{
    trace_json_event e = {.ph = 'M', .name = what, .pid = pid, .tid = tid, .args = args};
    trace_json_event_write(j, &e);
}

static void meta_name(trace_json *j, int pid, int tid, const char *what, const char *name)
{
    buf a;
    buf_init(&a);
    buf_append_str(&a, "{\"name\":");
    trace_json_string(&a, name);
    buf_append_byte(&a, '}');
    meta(j, pid, tid, what, a.oom ? "{}" : (const char *)a.data);
    buf_free(&a);
}

/* The creator's stack as a JSON array of "function" strings. */
static void creator_args(timeline *t, const trace_thread_event *b, buf *a)
{
    buf_printf(a, "{\"creator_tid\":%d,\"creator_name\":", b->creator_tid);
    char name[17];
    memcpy(name, b->creator_name, 16);
    name[16] = '\0';
    trace_json_string(a, name);
    buf_append_str(a, ",\"creator_stack\":[");
    int first = 1;
    for (uint32_t k = 0; k < b->n_creator; k++) {
        long fi = frames_of(t, k == 0 ? b->creator[k] : b->creator[k] - 1);
        if (fi < 0) {
            t->oom = 1;
            break;
        }
        const frame_entry *f = &t->frames[fi];
        for (uint32_t x = f->n; x-- > 0;) { /* leaf first, as a stack reads */
            if (!first)
                buf_append_byte(a, ',');
            first = 0;
            trace_json_string(a, t->names[f->first + x]);
        }
    }
    buf_append_str(a, "]}");
}

static void thread_events(timeline *t, trace_json *j)
{
    const trace_data *d = t->d;
    for (size_t i = 0; i < t->n_threads; i++) {
        const thread_track *th = &t->threads[i];
        char label[64];
        snprintf(label, sizeof label, "%s (%d)", th->name[0] ? th->name : "?", th->tid);
        meta_name(j, d->pid, th->tid, "thread_name", label);
        char idx[48];
        snprintf(idx, sizeof idx, "{\"sort_index\":%d}", th->tid * 3);
        meta(j, d->pid, th->tid, "thread_sort_index", idx);
        char sub[96];
        snprintf(sub, sizeof sub, "%s state", label);
        meta_name(j, d->pid, th->tid + STATE_TRACK, "thread_name", sub);
        snprintf(idx, sizeof idx, "{\"sort_index\":%d}", th->tid * 3 + 1);
        meta(j, d->pid, th->tid + STATE_TRACK, "thread_sort_index", idx);
        if (th->has_spans) {
            snprintf(sub, sizeof sub, "%s spans", label);
            meta_name(j, d->pid, th->tid + SPAN_TRACK, "thread_name", sub);
            snprintf(idx, sizeof idx, "{\"sort_index\":%d}", th->tid * 3 + 2);
            meta(j, d->pid, th->tid + SPAN_TRACK, "thread_sort_index", idx);
        }
        if (th->birth) {
            buf a;
            buf_init(&a);
            creator_args(t, th->birth, &a);
            trace_json_event e = {.ph = 'i',
                                  .name = "thread created",
                                  .cat = "thread",
                                  .pid = d->pid,
                                  .tid = th->tid,
                                  .ts_ns = th->started - d->start_ns,
                                  .scope = 't',
                                  .args = a.oom ? NULL : (const char *)a.data};
            trace_json_event_write(j, &e);
            buf_free(&a);
        }
        if (th->exited >= 0) {
            trace_json_event e = {.ph = 'i',
                                  .name = "thread exited",
                                  .cat = "thread",
                                  .pid = d->pid,
                                  .tid = th->tid,
                                  .ts_ns = th->exited - d->start_ns,
                                  .scope = 't'};
            trace_json_event_write(j, &e);
        }
    }
}

static void counters(const trace_data *d, trace_json *j)
{
    for (size_t i = 0; i < d->n_counters; i++) {
        const trace_counter *c = &d->counters[i];
        char args[64];
        trace_json_event e = {
            .ph = 'C', .pid = d->pid, .tid = d->pid, .ts_ns = c->time_ns - d->start_ns};
        if (c->heap_inuse_bytes >= 0) {
            snprintf(args, sizeof args, "{\"bytes\":%" PRId64 "}", c->heap_inuse_bytes);
            e.name = "heap in use (sampled)";
            e.args = args;
            trace_json_event_write(j, &e);
        }
        snprintf(args, sizeof args, "{\"count\":%ld}", c->threads);
        e.name = "threads";
        e.args = args;
        trace_json_event_write(j, &e);
    }
}

static void write_slices(timeline *t, trace_json *j)
{
    const trace_data *d = t->d;
    qsort(t->slices, t->n_slices, sizeof *t->slices, cmp_slice);
    for (size_t i = 0; i < t->n_slices; i++) {
        const slice *s = &t->slices[i];
        char args[96];
        trace_json_event e = {.ph = 'X',
                              .name = s->name,
                              .cat = s->cat,
                              .pid = d->pid,
                              .tid = s->track,
                              .ts_ns = s->ts - d->start_ns,
                              .dur_ns = s->end - s->ts};
        if (s->call) {
            snprintf(args, sizeof args, "{\"call\":\"%s\"}", s->call);
            e.args = args;
        }
        trace_json_event_write(j, &e);
    }
}

/* The otherData members: what this is and how it was sampled. */
static void other_data(const trace_data *d, buf *o)
{
    buf_printf(o,
               "\"format\":\"cprof trace: Chrome Trace Event JSON (not Go's execution trace)\","
               "\"comment\":\"CPU: every thread sampled on its own CPU-time clock at %d Hz "
               "(SIGPROF timers), consecutive samples with the same stack merged into nested "
               "slices; states: interposed blocking calls looked at every %.1f ms; counters every "
               "100 ms; spans and instants from cprof_span_begin/end and cprof_event\","
               "\"pid\":%d,\"start_time_unix_ns\":%" PRId64 ",\"duration_ns\":%" PRId64
               ",\"hz\":%d,\"lost_samples\":%" PRIu64 ",\"dropped_span_events\":%" PRIu64
               ",\"dropped_thread_events\":%" PRIu64 ",\"profiler_cpu_ns\":%" PRId64
               ",\"symbolized\":%s,\"state_track_offset\":%d,\"span_track_offset\":%d",
               d->hz, 1000.0 / d->hz, d->pid, d->start_wall_ns, d->end_ns - d->start_ns, d->hz,
               d->lost_samples, d->dropped_spans, d->dropped_thread_events, d->own_cpu_ns,
               symbolize_enabled() ? "true" : "false", STATE_TRACK, SPAN_TRACK);
}

/* Writes d as a trace document (see the file's notes). 0, or -1 when out
 * of memory. */
int trace_timeline_write(const trace_data *d, buf *out)
{
    timeline t;
    memset(&t, 0, sizeof t);
    t.d = d;
    t.period = 1000000000LL / (d->hz > 0 ? d->hz : 100);
    htab_init(&t.frame_index, NULL);
    if (!symbolize_enabled())
        t.maps = mappings_read_self(&t.n_maps);
    gather_threads(&t);
    buf o;
    buf_init(&o);
    other_data(d, &o);
    trace_json j;
    trace_json_begin(&j, out, o.oom ? "" : (const char *)o.data);
    buf_free(&o);
    thread_proc_info pi;
    char pname[64];
    snprintf(pname, sizeof pname, "%s (pid %d)",
             threads_read_process(&pi) == 0 && pi.name[0] ? pi.name : "process", d->pid);
    meta_name(&j, d->pid, d->pid, "process_name", pname);
    if (!t.oom) {
        thread_events(&t, &j);
        for (size_t i = 0; i < t.n_threads && !t.oom; i++) {
            cpu_slices(&t, &t.threads[i]);
            state_slices(&t, &t.threads[i]);
        }
        span_slices(&t, &j);
        counters(d, &j);
        write_slices(&t, &j);
    }
    trace_json_end(&j);
    int rc = t.oom || out->oom ? -1 : 0;
    for (size_t i = 0; i < t.n_owned; i++)
        free(t.owned[i]);
    free(t.owned);
    free(t.slices);
    free(t.frames);
    free(t.names);
    free(t.threads);
    free(t.order);
    free(t.maps);
    htab_free(&t.frame_index);
    return rc;
}
