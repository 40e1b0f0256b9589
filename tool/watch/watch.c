/*
 * watch.c — `cprof watch`: the snapshot loop and the command line.
 *
 *   cprof watch [--interval 5s] [--duration 2m]
 *               [--profiles threads,heap,threadcreate] [--token T]
 *               [-H 'Name: value'] [--html FILE] [--save-dir DIR]
 *               URL... | FILE...
 *
 * A URL is a /debug/pprof/ prefix (threads and heap are watched, and
 * threadcreate when --profiles names it) or one profile's URL. Every
 * INTERVAL each target is fetched, saved (so `cprof` and `go tool pprof`
 * can read the snapshots later) and added to its series; a progress line
 * shows the totals and the suspects so far (redrawn with \r on a terminal,
 * one line per snapshot otherwise). Ctrl-C ends the watch early and still
 * reports. FILEs are saved profiles: grouped by kind and ordered by their
 * time_nanos, as if they had been fetched then; a saved threads?debug=2
 * dump among them supplies the creator stacks.
 *
 * Exit status: 0 no leak, 1 leak found, 2 error (bad option, a target that
 * cannot be fetched at the first snapshot, unreadable files) — so the
 * command can gate a CI job or a canary. A target that stops answering
 * later (the program was killed) ends the watch: the series so far are
 * judged.
 */
#include "clock.h"
#include "watch.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flags.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static double now_s(void)
{
    return (double)monotonic_ns() / 1e9;
}

double watch_parse_duration(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return -1;
    if (!strcmp(end, "") || !strcmp(end, "s"))
        return v;
    if (!strcmp(end, "ms"))
        return v / 1000;
    if (!strcmp(end, "m"))
        return v * 60;
    if (!strcmp(end, "h"))
        return v * 3600;
    return -1;
}

static void usage(FILE *out)
{
    fputs("usage: cprof watch [OPTIONS] URL... | FILE...\n"
          "\n"
          "Snapshots the threads and heap profiles every INTERVAL, follows each stack's\n"
          "thread count and in-use bytes (and, with threadcreate, the threads each stack\n"
          "created), and reports the stacks that keep growing.\n"
          "URL: a /debug/pprof/ prefix (http://127.0.0.1:6060/debug/pprof/) or one\n"
          "profile's URL (.../threads, .../heap, .../threadcreate). FILE: saved\n"
          "profiles, in time order.\n"
          "\n"
          "  --interval DUR        time between snapshots (default 5s; 500ms, 1m ...)\n"
          "  --duration DUR        how long to watch (default 2m; 0 = until Ctrl-C)\n"
          "  --profiles LIST       threads,heap,threadcreate (default threads,heap;\n"
          "                        files: every kind given)\n"
          "  --token T             send Authorization: Bearer T\n"
          "  -H 'Name: value'      extra request header (repeatable)\n"
          "  --html FILE           also write the report with a chart per suspect\n"
          "  --save-dir DIR        where snapshots are saved, created if missing\n"
          "                        (default $CPROF_HOME, else $HOME/cprof)\n"
          "  -v, --verbose         also list the growing stacks that were not judged leaks\n"
          "\n"
          "Exit status: 0 no leak, 1 leak found, 2 error.\n",
          out);
}

/* ---- options --------------------------------------------------------------- */

static int set_profiles(watch_opts *o, const char *list, cp_err *err)
{
    o->threads = o->heap = o->threadcreate = false;
    o->profiles_given = true;
    char *copy = xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (!strcmp(tok, "threads") || !strcmp(tok, "goroutine"))
            o->threads = true;
        else if (!strcmp(tok, "heap"))
            o->heap = true;
        else if (!strcmp(tok, "threadcreate"))
            o->threadcreate = true;
        else {
            cp_err_set(err, "--profiles: unknown profile \"%s\" (threads, heap, threadcreate)",
                       tok);
            rc = -1;
            break;
        }
    }
    free(copy);
    if (rc == 0 && !o->threads && !o->heap && !o->threadcreate) {
        cp_err_set(err, "--profiles: empty list (threads, heap, threadcreate)");
        rc = -1;
    }
    return rc;
}

enum watch_flag {
    W_HELP,
    W_VERBOSE,
    W_INTERVAL,
    W_DURATION,
    W_PROFILES,
    W_TOKEN,
    W_HEADER,
    W_HTML,
    W_SAVE_DIR,
};

static const flag_spec watch_specs[] = {
    {"h", FLAG_BOOL, W_HELP},
    {"help", FLAG_BOOL, W_HELP},
    {"v", FLAG_BOOL, W_VERBOSE},
    {"verbose", FLAG_BOOL, W_VERBOSE},
    {"interval", FLAG_STRING, W_INTERVAL},
    {"duration", FLAG_STRING, W_DURATION},
    {"profiles", FLAG_STRING, W_PROFILES},
    {"token", FLAG_STRING, W_TOKEN},
    {"H", FLAG_STRING, W_HEADER},
    {"header", FLAG_STRING, W_HEADER},
    {"html", FLAG_STRING, W_HTML},
    {"save-dir", FLAG_STRING, W_SAVE_DIR},
    {"save_dir", FLAG_STRING, W_SAVE_DIR},
};

/* The command line being parsed (flags_parse's ctx). */
typedef struct watch_args {
    watch_opts *o;
    bool help;
} watch_args;

/* flag_table.set: one option into a->o. 0, or -1 with err. */
static int set_option(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err)
{
    watch_args *a = ctx;
    watch_opts *o = a->o;
    switch ((enum watch_flag)s->id) {
    case W_HELP:
        a->help = v->on;
        return 0;
    case W_VERBOSE:
        o->verbose = v->on;
        return 0;
    case W_INTERVAL:
    case W_DURATION: {
        double d = watch_parse_duration(v->str);
        if (d < 0 || (s->id == W_INTERVAL && d < 0.05)) {
            cp_err_set(err, "watch: bad %s \"%s\" (e.g. 500ms, 5s, 2m)", s->name, v->str);
            return -1;
        }
        *(s->id == W_INTERVAL ? &o->interval : &o->duration) = d;
        return 0;
    }
    case W_PROFILES:
        return set_profiles(o, v->str, err);
    case W_TOKEN:
        o->fetch.token = v->str;
        return 0;
    case W_HEADER:
        return fetch_add_header(&o->fetch, v->str, err);
    case W_HTML:
        o->html = v->str;
        return 0;
    case W_SAVE_DIR:
        o->save_dir = v->str;
        return 0;
    }
    return 0;
}

/* flag_table.arg: every other argument is a source. */
static int add_source(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err)
{
    (void)argc, (void)after_dashes, (void)err;
    strlist_push(&((watch_args *)ctx)->o->sources, argv[*i]);
    return 0;
}

static const flag_table watch_flags = {
    .prefix = "watch: ",
    .hint = "cprof watch -help",
    .specs = watch_specs,
    .n_specs = sizeof watch_specs / sizeof watch_specs[0],
    .set = set_option,
    .arg = add_source,
};

int watch_parse_args(int argc, char **argv, watch_opts *o, cp_err *err)
{
    memset(o, 0, sizeof *o);
    o->interval = 5;
    o->duration = 120;
    o->threads = o->heap = true;
    o->fetch.seconds = o->fetch.timeout = -1;
    o->fetch.quiet = true;
    o->symbolize.memo = symbol_memo_new();
    watch_args a = {.o = o};
    if (flags_parse(&watch_flags, argc, argv, &a, err) != 0)
        return -1;
    if (a.help) {
        usage(stdout);
        return 1;
    }
    if (o->sources.n == 0) {
        cp_err_set(err, "watch: no URL or file to watch (cprof watch -help)");
        return -1;
    }
    /* A snapshot that hangs must not stall the watch (or Ctrl-C) for
     * long: a few intervals, at least 10 s (fetch adds 5 s of transfer). */
    o->fetch.timeout = o->interval * 3 > 10 ? (int)(o->interval * 3) : 10;
    return 0;
}

void watch_opts_free(watch_opts *o)
{
    strlist_free(&o->sources);
    symbol_memo_free(o->symbolize.memo);
    o->symbolize.memo = NULL;
    symbolize_opts_free(&o->symbolize);
    free(o->fetch.headers);
    o->fetch.headers = NULL;
    o->fetch.n_headers = 0;
}

/* ---- targets ------------------------------------------------------------------ */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Add the targets one URL names: a prefix gives the profiles asked for. */
static void add_url_targets(const char *url, const watch_opts *o, watch_target **ws, size_t *n)
{
    char *u = xstrdup(url);
    char *q = strchr(u, '?');
    if (q)
        *q = 0; /* the watch asks for the proto form */
    const char *kinds[3] = {NULL, NULL, NULL};
    char *base = NULL;
    const char *slash = strrchr(u, '/');
    const char *last = slash ? slash + 1 : u;
    const char *scheme_end = strstr(u, "://");
    bool has_path = scheme_end && strchr(scheme_end + 3, '/');
    if (!strcmp(last, "threads") || !strcmp(last, "goroutine")) {
        /* static strings: the target keeps the name ("goroutine": Go) */
        kinds[0] = !strcmp(last, "threads") ? "threads" : "goroutine";
        base = strndup(u, (size_t)(last - u));
    } else if (!strcmp(last, "heap") || !strcmp(last, "threadcreate")) {
        kinds[0] = !strcmp(last, "heap") ? "heap" : "threadcreate";
        base = strndup(u, (size_t)(last - u));
    } else {
        int r = has_path ? asprintf(&base, "%s%s", u, ends_with(u, "/") ? "" : "/")
                         : asprintf(&base, "%s/debug/pprof/", u);
        if (r < 0)
            base = NULL;
        int k = 0;
        if (o->threads)
            kinds[k++] = "threads";
        if (o->heap)
            kinds[k++] = "heap";
        if (o->threadcreate)
            kinds[k++] = "threadcreate";
    }
    if (!base)
        die_oom();
    for (int k = 0; k < 3 && kinds[k]; k++) {
        *ws = xrealloc(*ws, *n + 1, sizeof **ws);
        watch_target *w = &(*ws)[(*n)++];
        bool thr = !strcmp(kinds[k], "threads") || !strcmp(kinds[k], "goroutine");
        watch_target_init(w, thr                         ? WATCH_THREADS
                             : !strcmp(kinds[k], "heap") ? WATCH_HEAP
                                                         : WATCH_THREADCREATE);
        w->threads_name = thr ? kinds[k] : NULL;
        if (asprintf(&w->url, "%s%s", base, kinds[k]) < 0)
            die_oom();
        w->base = xstrdup(base);
    }
    free(base);
    free(u);
}

/* A Go program has no "threads" profile: the same data is "goroutine".
 * Called when the first fetch of a prefix's threads target fails. */
static bool switch_to_goroutine(watch_target *w, const cp_err *err)
{
    if (w->kind != WATCH_THREADS || !strstr(err->msg, "server response: 404") ||
        strcmp(w->threads_name, "threads") != 0)
        return false;
    free(w->url);
    if (asprintf(&w->url, "%sgoroutine", w->base) < 0)
        die_oom();
    w->threads_name = "goroutine";
    return true;
}

/* ---- snapshots ----------------------------------------------------------------- */

/* See watch.h. */
cp_profile *watch_parse_profile(const buf *data, const watch_opts *o, cp_err *err)
{
    cp_profile *p = profile_parse(data->data, data->len, err);
    if (p)
        profile_symbolize(p, &o->symbolize);
    return p;
}

static int snapshot_one(watch_target *w, double t, const watch_opts *o, const char *dir,
                        cp_err *err)
{
    buf data;
    buf_init(&data);
    int rc = fetch_url(w->url, &o->fetch, &data, NULL, err);
    cp_profile *p = rc == 0 ? watch_parse_profile(&data, o, err) : NULL;
    if (p) {
        char path[4800];
        cp_err save_err;
        if (save_fetched_in(&data, p, dir, path, sizeof path, &save_err) != 0) {
            fprintf(stderr, "cprof watch: %s\n", save_err.msg);
        } else {
            if (!w->first_path)
                w->first_path = xstrdup(path);
            free(w->last_path);
            w->last_path = xstrdup(path);
        }
        rc = watch_add_snapshot(w, p, t, err);
        cp_profile_free(p);
    } else {
        rc = -1;
    }
    buf_free(&data);
    return rc;
}

static void progress(watch_target *ws, size_t n, double elapsed, const watch_opts *o, bool tty)
{
    size_t suspects = 0;
    char line[512];
    int len = snprintf(line, sizeof line, "watch %3.0fs", elapsed);
    if (o->duration > 0)
        len += snprintf(line + len, sizeof line - (size_t)len, "/%.0fs", o->duration);
    for (size_t i = 0; i < n; i++) {
        watch_target *w = &ws[i];
        if (w->n == 0)
            continue;
        suspects += watch_judge(w);
        char now[64], delta[64];
        watch_format_value(now, sizeof now, w->kind, w->total[w->n - 1]);
        watch_format_value(delta, sizeof delta, w->kind, w->total[w->n - 1] - w->total[0]);
        len += snprintf(line + len, sizeof line - (size_t)len, "  %s %s (%s%s)",
                        watch_kind_name(w->kind), now, w->total[w->n - 1] >= w->total[0] ? "+" : "",
                        delta);
        if (len >= (int)sizeof line)
            len = (int)sizeof line - 1;
    }
    snprintf(line + len, sizeof line - (size_t)len, "  suspects: %zu", suspects);
    if (tty)
        fprintf(stderr, "\r%s\033[K", line);
    else
        fprintf(stderr, "%s\n", line);
}

/* Sleep until `until` (monotonic seconds) or Ctrl-C. */
static void sleep_until(double until)
{
    for (;;) {
        double left = until - now_s();
        if (left <= 0 || interrupted)
            return;
        struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int watch_urls(watch_target *ws, size_t n, const watch_opts *o, const char *dir)
{
    bool tty = isatty(STDERR_FILENO);
    double start = now_s();
    for (size_t snap = 0;; snap++) {
        double t = now_s() - start;
        for (size_t i = 0; i < n; i++) {
            cp_err err;
            if (snapshot_one(&ws[i], t, o, dir, &err) == 0)
                continue;
            if (snap == 0 && switch_to_goroutine(&ws[i], &err) &&
                snapshot_one(&ws[i], t, o, dir, &err) == 0)
                continue;
            if (tty)
                fputc('\n', stderr);
            fprintf(stderr, "cprof: %s: %s\n", ws[i].url, err.msg);
            if (snap == 0)
                return 2;
            fprintf(stderr,
                    "cprof watch: the target stopped answering; judging the %zu "
                    "snapshots taken\n",
                    ws[i].n);
            return 0;
        }
        if (snap == 0) /* after the first round: errors stay one line */
            fprintf(stderr, "Watching %zu profile%s every %gs%s; snapshots saved in %s\n", n,
                    n == 1 ? "" : "s", o->interval, o->duration > 0 ? "" : " until Ctrl-C", dir);
        progress(ws, n, t, o, tty);
        double next = start + (double)(snap + 1) * o->interval;
        if (interrupted || (o->duration > 0 && next - start > o->duration + 1e-3))
            break;
        sleep_until(next);
        if (interrupted)
            break;
    }
    if (tty)
        fputc('\n', stderr);
    return 0;
}

/* ---- files -------------------------------------------------------------------- */

typedef struct loaded {
    cp_profile *p;
    const char *path;
} loaded;

static int by_time(const void *a, const void *b)
{
    int64_t x = ((const loaded *)a)->p->time_nanos, y = ((const loaded *)b)->p->time_nanos;
    return x < y ? -1 : x > y;
}

static bool is_threads_dump(const buf *b)
{
    return (b->len > 7 && !memcmp(b->data, "thread ", 7)) ||
           (b->len > 10 && !memcmp(b->data, "goroutine ", 10));
}

/* Each file is a profile (threads or heap) or a threads?debug=2 dump. */
static int watch_files(watch_target *ws, size_t *n, const watch_opts *o)
{
    loaded *ls = xcalloc(o->sources.n, sizeof *ls);
    size_t m = 0;
    buf dump;
    buf_init(&dump);
    int rc = 0;
    for (size_t i = 0; i < o->sources.n && rc == 0; i++) {
        buf data;
        buf_init(&data);
        cp_err err;
        const char *path = o->sources.v[i];
        if (read_file(path, &data, &err) != 0) {
            fprintf(stderr, "cprof: %s: %s\n", path, err.msg);
            rc = 2;
        } else if (is_threads_dump(&data)) {
            buf_append(&dump, data.data, data.len);
        } else if (!(ls[m].p = watch_parse_profile(&data, o, &err))) {
            fprintf(stderr, "cprof: %s: %s\n", path, err.msg);
            rc = 2;
        } else {
            ls[m++].path = path;
        }
        buf_free(&data);
    }
    qsort(ls, m, sizeof *ls, by_time);
    /* Without --profiles, every kind among the files. */
    for (int kind = WATCH_THREADS; kind <= WATCH_THREADCREATE && rc == 0; kind++) {
        if (o->profiles_given &&
            ((kind == WATCH_THREADS && !o->threads) || (kind == WATCH_HEAP && !o->heap) ||
             (kind == WATCH_THREADCREATE && !o->threadcreate)))
            continue;
        watch_target *w = &ws[*n];
        watch_target_init(w, kind);
        int64_t t0 = 0;
        for (size_t i = 0; i < m; i++) {
            if (watch_profile_kind(ls[i].p) != kind)
                continue;
            if (w->n == 0)
                t0 = ls[i].p->time_nanos;
            /* Profiles without a time stamp: one interval apart. */
            double t = t0 ? (double)(ls[i].p->time_nanos - t0) / 1e9 : (double)w->n * o->interval;
            cp_err err;
            if (watch_add_snapshot(w, ls[i].p, t, &err) != 0)
                continue;
            if (!w->first_path)
                w->first_path = xstrdup(ls[i].path);
            free(w->last_path);
            w->last_path = xstrdup(ls[i].path);
        }
        if (w->n == 0) {
            watch_target_free(w);
            continue;
        }
        if (kind == WATCH_THREADS && dump.len)
            w->dump_path = "the given threads dump";
        (*n)++;
    }
    /* Creators: the dump, once the threads series exist. */
    for (size_t i = 0; i < *n && rc == 0; i++)
        if (ws[i].kind == WATCH_THREADS && dump.len) {
            watch_judge(&ws[i]);
            watch_creators_from_dump(&ws[i], (const char *)dump.data, dump.len);
        }
    if (rc == 0 && *n == 0) {
        fprintf(stderr, "cprof: watch: no threads, heap or threadcreate profile among the files\n");
        rc = 2;
    }
    for (size_t i = 0; i < m; i++)
        cp_profile_free(ls[i].p);
    free(ls);
    buf_free(&dump);
    return rc;
}

/* ---- main ------------------------------------------------------------------- */

static bool all_urls(const strlist *sources, bool *mixed)
{
    size_t urls = 0;
    for (size_t i = 0; i < sources->n; i++) {
        char *u = source_url(sources->v[i]);
        urls += u != NULL;
        free(u);
    }
    *mixed = urls && urls != sources->n;
    return urls == sources->n;
}

int watch_main(int argc, char **argv)
{
    watch_opts o;
    cp_err err;
    int rc = watch_parse_args(argc, argv, &o, &err);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "cprof: %s\n", err.msg);
        watch_opts_free(&o);
        return rc < 0 ? 2 : 0;
    }
    bool mixed;
    bool urls = all_urls(&o.sources, &mixed);
    watch_target *ws = NULL;
    size_t n = 0;
    char dir[4096];
    if (mixed) {
        fprintf(stderr, "cprof: watch: give either URLs or files, not both\n");
        rc = 2;
    } else if (urls) {
        if (o.save_dir)
            snprintf(dir, sizeof dir, "%s", o.save_dir);
        else
            profile_save_dir(dir, sizeof dir);
        if (o.save_dir && (make_dir(dir) != 0 || access(dir, W_OK) != 0)) {
            fprintf(stderr, "cprof: --save-dir %s: %s\n", dir, strerror(errno));
            rc = 2;
        }
        for (size_t i = 0; i < o.sources.n && rc == 0; i++) {
            char *u = source_url(o.sources.v[i]);
            add_url_targets(u, &o, &ws, &n);
            free(u);
        }
        struct sigaction sa = {.sa_handler = on_sigint};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        if (rc == 0)
            rc = watch_urls(ws, n, &o, dir);
        if (rc == 0)
            watch_enrich(ws, n, &o, dir);
    } else {
        dir[0] = 0;
        ws = xcalloc(3, sizeof *ws);
        rc = watch_files(ws, &n, &o);
    }
    if (rc == 0) {
        size_t leaks = 0;
        for (size_t i = 0; i < n; i++)
            leaks += watch_judge(&ws[i]);
        watch_print_report(stdout, ws, n, &o, dir, interrupted);
        if (o.html && watch_write_html(o.html, ws, n, &o, &err) != 0) {
            fprintf(stderr, "cprof: %s\n", err.msg);
            rc = 2;
        } else {
            rc = leaks ? 1 : 0;
        }
    }
    for (size_t i = 0; i < n; i++)
        watch_target_free(&ws[i]);
    free(ws);
    watch_opts_free(&o);
    return rc;
}
