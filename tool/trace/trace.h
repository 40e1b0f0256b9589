/*
 * trace.h — `cprof trace FILE|URL`: read a Chrome Trace Event JSON document
 * (the library's /debug/pprof/trace, or any such file), print a summary —
 * threads, their lifetimes, CPU and states, the top stacks per thread — and
 * optionally convert it to speedscope's file format (-speedscope OUT).
 *
 *   json.c         the JSON reader
 *   trace_model.c  the document -> tracks of slices (X events, and B/E pairs)
 *   trace_cmd.c    the command: options, loading, the summary, speedscope
 *   trace_timeline.c  the web UI's Timeline data: a compact, bounded JSON
 *                  of threads, lanes of slices, instants and counters
 */
#ifndef CPROF_TOOL_TRACE_H
#define CPROF_TOOL_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cp_err.h"

/* A slice of one track: [ts, ts + dur) in microseconds. */
typedef struct trace_slice {
    double ts, dur;
    const char *name; /* points into the document */
    const char *cat;  /* "" when none */
    int depth;        /* nesting level on its track, 0 = outermost */
    int parent;       /* index into the track's slices, -1 = none */
    const void *args; /* the event's args (json_value), or NULL */
} trace_slice;

typedef struct trace_instant {
    double ts;
    const char *name;
    const void *args; /* the event's args (json_value), or NULL */
} trace_instant;

typedef struct trace_track {
    long pid, tid;
    const char *name; /* thread_name metadata, or NULL */
    trace_slice *slices;
    size_t n_slices, cap_slices;
    trace_instant *instants;
    size_t n_instants, cap_instants;
} trace_track;

/* A counter series: one numeric member (key) of the args of a 'C' event
 * name on process pid, in the order of the document. */
typedef struct trace_counter {
    long pid;
    const char *name, *key;
    double *ts, *val;
    size_t n, cap;
} trace_counter;

typedef struct trace_doc {
    void *root;        /* the parsed json_value */
    const void *other; /* otherData, or NULL */
    const char *process_name;
    trace_track *tracks;
    size_t n_tracks, cap_tracks;
    trace_counter *counters;
    size_t n_counters, cap_counters;
    size_t n_events;
    double t_min, t_max; /* over every timed event */
} trace_doc;

/* Parse a trace document (plain or gzipped JSON) into d: tracks sorted by
 * (pid, tid), slices sorted by start and nested (depth, parent). 0, or -1
 * with a one-line reason in err. */
int trace_doc_load(trace_doc *d, const uint8_t *data, size_t len, cp_err *err);
/* A trace source's bytes into out, gunzipped when gzip (at most 2 GiB): the
 * file, or the URL source_url makes of it fetched with fo (the caller's
 * fetch settings). 0, or -1 with a one-line reason in err; the caller frees
 * out either way. */
struct fetch_opts;
int trace_source_read(const char *source, const struct fetch_opts *fo, buf *out, cp_err *err);
void trace_doc_free(trace_doc *d);

/* cprof's track layout (otherData's state_track_offset and
 * span_track_offset, docs/TRACE.md): thread T's CPU track is T, its state
 * track T + state_off, its spans T + span_off. Both 0: not a cprof trace,
 * every track stands for itself. */
typedef struct trace_layout {
    long state_off, span_off;
} trace_layout;
enum trace_track_kind { TRACK_CPU, TRACK_STATE, TRACK_SPANS };

trace_layout trace_layout_of(const trace_doc *d);
/* The thread track tid belongs to, and its kind (TRACK_*). */
long trace_thread_of(const trace_layout *l, long tid, int *kind);
/* The track (pid, tid) of d, or NULL. */
const trace_track *trace_find_track(const trace_doc *d, long pid, long tid);

/* A table of distinct strings (frame and slice names), each with its index
 * in order of first use: speedscope's frames, the Timeline's names. */
typedef struct trace_strtab {
    void *index;    /* htab: string -> index into v */
    const char **v; /* the strings (not copied: the caller keeps them alive) */
    size_t n, cap;
    int oom; /* an insertion failed (its index read as 0) */
} trace_strtab;

void trace_strtab_init(trace_strtab *t);
/* The index of s in t, added when new. */
size_t trace_strtab_id(trace_strtab *t, const char *s);
void trace_strtab_free(trace_strtab *t);

/* What trace_timeline_json sends at most (the page says what was left out). */
typedef struct trace_timeline_limits {
    size_t max_slices, max_instants, max_threads, max_counter_points, max_args_bytes;
} trace_timeline_limits;

/* The Timeline view's data (docs/TRACE.md, "The web UI's Timeline"): d as
 * a compact JSON object appended to out — threads with their lanes (CPU,
 * state, spans), instants, counters, a string table — within lim. When
 * slices must be left out, the deepest levels go first (the picture stays
 * whole, frames deeper than a level are cut), then slices past a time. */
void trace_timeline_json(const trace_doc *d, const trace_timeline_limits *lim, buf *out);

/* The speedscope file (https://www.speedscope.app/file-format-schema.json)
 * of d: one evented profile per track with slices, frames shared. */
void trace_to_speedscope(const trace_doc *d, const char *name, buf *out);

/* The summary text of d (top: stacks shown per thread). */
void trace_summary(const trace_doc *d, int top, buf *out);

/* `cprof trace`: argv[0] is "trace". Returns the exit status. */
int trace_main(int argc, char **argv);

#endif
