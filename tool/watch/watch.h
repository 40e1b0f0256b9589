/*
 * watch.h — `cprof watch`: snapshots of the threads and heap profiles (and,
 * when asked, threadcreate) over time, one series per stack, and the stacks
 * whose value keeps growing.
 *
 *   watch.c         command line, the snapshot loop (fetch, save, progress,
 *                   Ctrl-C), saved files as a source, exit status
 *   watch_series.c  profiles -> one time series per stack and target
 *   watch_trend.c   is a series a leak (pure statistics)
 *   watch_report.c  the verdict: text report, creator stacks from the
 *                   threads dump, min_age second opinion for heap
 *   watch_html.c    the same verdict as a self-contained HTML page
 */
#ifndef CPROF_TOOL_WATCH_H
#define CPROF_TOOL_WATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "fetch.h"
#include "hash_table.h"
#include "profile/model.h"
#include "profile/strlist.h"
#include "symbolize/symbolize.h"
#include "watch_trend.h"

/* THREADCREATE: the cumulative count of threads created, per creator stack
 * (/debug/pprof/threadcreate); growth there is thread churn or a leak. */
enum watch_kind { WATCH_THREADS, WATCH_HEAP, WATCH_THREADCREATE };

typedef struct watch_series {
    const char *key; /* interned: every frame's function and file:line */
    strlist frames;  /* "function file:line", leaf first */
    double *v;       /* one value per snapshot; 0 where the stack was absent */
    double *alloc;   /* heap: alloc_space per snapshot (cumulative), or NULL */
    double objects;  /* heap: alloc_objects in snapshot objects_at */
    size_t objects_at;
    trend tr;         /* filled by watch_judge */
    double old_bytes; /* heap: in-use bytes older than min_age; -1 unknown */
    strlist creator;  /* threads: "created by ..." then its frames */
} watch_series;

typedef struct watch_target {
    enum watch_kind kind;
    char *url;                /* the profile URL; NULL when read from files */
    char *base;               /* the /debug/pprof/ prefix of url, for the second fetches */
    const char *threads_name; /* "threads", or "goroutine" (a Go program) */
    double *t;                /* seconds since the first snapshot */
    double *total;
    size_t n, cap;
    watch_series **series;
    size_t n_series;
    htab index;      /* key -> series */
    double floor;    /* smallest growth that counts (trend_analyze) */
    int64_t period;  /* heap sampling rate, bytes */
    bool have_alloc; /* heap: every snapshot had alloc_space/alloc_objects */
    int min_age;     /* seconds used for the second opinion; 0 = not asked */
    const char *program;
    const char *dump_path;        /* saved threads?debug=2 (files: given) */
    char *first_path, *last_path; /* saved snapshots */
} watch_target;

typedef struct watch_opts {
    double interval, duration; /* seconds; duration 0 = until Ctrl-C */
    bool threads, heap, threadcreate;
    bool profiles_given; /* --profiles was on the command line */
    fetch_opts fetch;
    const char *html, *save_dir;
    strlist sources;
    bool verbose;
    symbolize_opts symbolize; /* its memo: each address looked up once per watch */
} watch_opts;

/* watch.c */
/* `cprof watch ARGS`: the exit status (0 no leak, 1 leak, 2 error). */
int watch_main(int argc, char **argv);

/* A fetched or saved snapshot parsed, then symbolized as every cprof
 * command does (tool/symbolize/: a profile of a CPROF_SYMBOLIZE=off target
 * carries addresses only, and series are keyed by function and file:line),
 * through o's memo, so an address seen in an earlier snapshot is not
 * looked up again. The profile (profile_free), or NULL with err. */
cp_profile *watch_parse_profile(const buf *data, const watch_opts *o, cp_err *err);
/* o from the defaults and argv (argv[0] is "watch"), parsed with flags.h
 * like every command. 0: run; 1: -help was printed on stdout; -1: err
 * holds a one-line reason. o's strings point into argv; watch_opts_free
 * releases the rest, whatever the result. */
int watch_parse_args(int argc, char **argv, watch_opts *o, cp_err *err);
/* Frees what watch_parse_args allocated (sources, headers). */
void watch_opts_free(watch_opts *o);
/* "5s", "500ms", "2m", "1h", "1.5" (seconds). -1 when malformed. */
double watch_parse_duration(const char *s);

/* watch_series.c */
void watch_target_init(watch_target *w, enum watch_kind kind);
void watch_target_free(watch_target *w);
const char *watch_kind_name(enum watch_kind kind);
/* Add one snapshot taken at time t. 0, or -1 (err) when the profile is not
 * of the target's kind. */
int watch_add_snapshot(watch_target *w, const cp_profile *p, double t, cp_err *err);
/* Which kind a profile is, from its sample types; -1 when neither. */
int watch_profile_kind(const cp_profile *p);
/* Judge every series; returns the number of leaks. */
size_t watch_judge(watch_target *w);
/* Leaking series of all targets, fastest first within a kind (threads
 * first). Caller frees the array. */
watch_series **watch_suspects(watch_target *ws, size_t n, size_t *n_out, watch_target ***owner);
/* Key of a sample's stack (interned), or NULL for an empty stack. */
const char *watch_stack_key(const cp_sample *s, strlist *frames);

/* watch_report.c */
/* Second fetches for suspects (URL targets): creators, min_age bytes. */
void watch_enrich(watch_target *ws, size_t n, const watch_opts *o, const char *save_dir);
/* Creators of threads suspects from a threads?debug=2 dump. */
void watch_creators_from_dump(watch_target *w, const char *text, size_t len);
void watch_print_report(FILE *out, watch_target *ws, size_t n, const watch_opts *o,
                        const char *save_dir, bool interrupted);
/* "+12.5 threads/min", "+3.1MB/min" */
void watch_format_rate(char *out, size_t len, enum watch_kind kind, double per_s);
void watch_format_value(char *out, size_t len, enum watch_kind kind, double v);

/* watch_html.c */
int watch_write_html(const char *path, watch_target *ws, size_t n, const watch_opts *o,
                     cp_err *err);

#endif
