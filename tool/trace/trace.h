/*
 * trace.h — `cprof trace FILE|URL`: read a Chrome Trace Event JSON document
 * (the library's /debug/pprof/trace, or any such file), print a summary —
 * threads, their lifetimes, CPU and states, the top stacks per thread — and
 * optionally convert it to speedscope's file format (-speedscope OUT).
 *
 *   json.c         the JSON reader
 *   trace_model.c  the document -> tracks of slices (X events, and B/E pairs)
 *   trace_cmd.c    the command: options, loading, the summary, speedscope
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

typedef struct trace_doc {
    void *root;        /* the parsed json_value */
    const void *other; /* otherData, or NULL */
    const char *process_name;
    trace_track *tracks;
    size_t n_tracks, cap_tracks;
    size_t n_events;
    double t_min, t_max; /* over every timed event */
} trace_doc;

/* Parse a trace document (plain or gzipped JSON) into d: tracks sorted by
 * (pid, tid), slices sorted by start and nested (depth, parent). 0, or -1
 * with a one-line reason in err. */
int trace_doc_load(trace_doc *d, const uint8_t *data, size_t len, cp_err *err);
void trace_doc_free(trace_doc *d);

/* The speedscope file (https://www.speedscope.app/file-format-schema.json)
 * of d: one evented profile per track with slices, frames shared. */
void trace_to_speedscope(const trace_doc *d, const char *name, buf *out);

/* The summary text of d (top: stacks shown per thread). */
void trace_summary(const trace_doc *d, int top, buf *out);

/* `cprof trace`: argv[0] is "trace". Returns the exit status. */
int trace_main(int argc, char **argv);

#endif
