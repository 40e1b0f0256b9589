/*
 * watch_report.c — the verdict of `cprof watch`.
 *
 * After the watch, each suspect gets what a reader needs to act on it:
 *  - threads: the stack that created those threads. The proto form of the
 *    threads profile carries no creator, so one threads?debug=2 dump (Go's
 *    goroutine?debug=2 for a Go program: the same layout) is
 *    fetched (and saved next to the snapshots); its blocks are matched to
 *    the suspect by their stack (the proto's stack is the dump's with the
 *    system-library frames above the program's code cut), and the creator
 *    most of them name wins.
 *  - heap: a second opinion from heap?min_age=S (S = half the watch): the
 *    suspect's in-use bytes allocated more than S seconds ago. A leak keeps
 *    its old blocks; churn has none that old.
 * The report names the culprit as the first frame with a source position
 * (the program's own code, not malloc or libc), then the whole stack.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "intern.h"
#include "profile/measure.h"
#include "watch.h"

void watch_format_value(char *out, size_t len, enum watch_kind kind, double v)
{
    if (kind != WATCH_HEAP) {
        snprintf(out, len, "%.0f", v);
        return;
    }
    char tmp[64];
    measure_label(tmp, (int64_t)(v < 0 ? -v : v), "bytes");
    size_t k = 0;
    if (v < 0 && len > 1)
        out[k++] = '-';
    snprintf(out + k, len - k, "%s", tmp);
}

void watch_format_rate(char *out, size_t len, enum watch_kind kind, double per_s)
{
    double per_min = per_s * 60;
    if (kind != WATCH_HEAP) {
        snprintf(out, len, "%+.1f threads%s/min", per_min,
                 kind == WATCH_THREADCREATE ? " created" : "");
        return;
    }
    char v[64];
    watch_format_value(v, sizeof v, kind, per_min);
    snprintf(out, len, "%s%s/min", per_min >= 0 ? "+" : "", v);
}

/* ---- frames: "function file:line" ----------------------------------------- */

/* Split a frame into its function and, when present, line number. */
static void frame_parts(const char *frame, char *fn, size_t fn_len, long *line)
{
    const char *sp = strchr(frame, ' ');
    size_t n = sp ? (size_t)(sp - frame) : strlen(frame);
    snprintf(fn, fn_len, "%.*s", (int)n, frame);
    const char *colon = sp ? strrchr(sp, ':') : NULL;
    *line = colon ? atol(colon + 1) : -1;
}

/* A frame of the language runtime or the system (Go's runtime, glibc built
 * from ../sysdeps, installed headers and libraries), not the program's. */
static bool system_frame(const char *frame)
{
    static const char *const prefixes[] = {"/usr/lib/",   "/usr/local/go/", "/usr/include/",
                                           "../sysdeps/", "../csu/",        "./nptl/",
                                           "../nptl/",    "./csu/"};
    const char *sp = strchr(frame, ' ');
    if (!sp)
        return true; /* no source position */
    if (!strncmp(frame, "runtime.", 8))
        return true;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (!strncmp(sp + 1, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

/* The culprit: the first frame of the program's own code (else the first
 * frame with a source position, else the leaf). */
static const char *culprit(const watch_series *s)
{
    for (size_t i = 0; i < s->frames.n; i++)
        if (!system_frame(s->frames.v[i]))
            return s->frames.v[i];
    for (size_t i = 0; i < s->frames.n; i++)
        if (strchr(s->frames.v[i], ' '))
            return s->frames.v[i];
    return s->frames.n ? s->frames.v[0] : "?";
}

/* "leaky.c:57" from ".../examples/leaky-subscriber/leaky.c:57" */
static void short_position(const char *frame, char *out, size_t len)
{
    const char *sp = strchr(frame, ' ');
    if (!sp) {
        snprintf(out, len, "no source position");
        return;
    }
    const char *slash = strrchr(sp, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : sp + 1);
}

/* ---- threads?debug=2 dump -> creators --------------------------------------- */

typedef struct dump_block {
    strlist frames;  /* the thread's stack, "function file:line" */
    strlist creator; /* "created by" frame first, then the creator's stack */
} dump_block;

/* "\t/path/file.c:57 +0x4b" -> "/path/file.c:57"; a binary "+0x" -> "" */
static void position_of(const char *line, char *out, size_t len)
{
    while (*line == '\t')
        line++;
    const char *plus = strstr(line, " +0x");
    size_t n = plus ? (size_t)(plus - line) : strlen(line);
    const char *colon = memrchr(line, ':', n);
    if (!colon || colon[1] < '0' || colon[1] > '9')
        n = 0; /* no line number: a binary and an offset */
    snprintf(out, len, "%.*s", (int)n, line);
}

static void push_frame(strlist *l, const char *fn, const char *pos)
{
    if (*pos)
        strlist_pushf(l, "%s %s", fn, pos);
    else
        strlist_push(l, fn);
}

/* Parse the dump's blocks (one per thread). */
static dump_block *parse_dump(const char *text, size_t len, size_t *n_out)
{
    dump_block *v = NULL;
    size_t n = 0;
    dump_block *cur = NULL;
    strlist *into = NULL;
    char fn[1024] = "";
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(ll < sizeof line ? ll : sizeof line - 1), p);
        p = nl ? nl + 1 : end;
        if (!strncmp(line, "thread ", 7) || !strncmp(line, "goroutine ", 10)) {
            v = xrealloc(v, n + 1, sizeof *v);
            cur = &v[n++];
            memset(cur, 0, sizeof *cur);
            into = &cur->frames;
            fn[0] = 0;
        } else if (!cur || !*line) {
            continue;
        } else if (!strncmp(line, "created by ", 11)) {
            const char *in = strstr(line, " in thread ");
            if (!in)
                in = strstr(line, " in goroutine ");
            snprintf(fn, sizeof fn, "%.*s", (int)(in ? in - line - 11 : (long)strlen(line + 11)),
                     line + 11);
            into = &cur->creator;
        } else if (line[0] == '\t' && fn[0]) {
            char pos[900];
            position_of(line, pos, sizeof pos);
            push_frame(into, fn, pos);
            fn[0] = 0;
        } else if (line[0] != '\t') {
            /* "name(...)" (libcprof), "main.f(0x0?, ...)" (Go): drop the
             * argument list */
            size_t len = strlen(line);
            char *paren = len && line[len - 1] == ')' ? strrchr(line, '(') : NULL;
            if (paren && paren != line)
                *paren = 0;
            snprintf(fn, sizeof fn, "%s", line);
        }
    }
    *n_out = n;
    return v;
}

/* The frames of l that are the program's own (not system_frame), into
 * out (l->n entries); returns how many. */
static size_t own_frames(const strlist *l, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!system_frame(l->v[i]))
            out[n++] = l->v[i];
    return n;
}

/* Whether the last n of a and of b name the same functions at the same
 * lines (the function alone where one side has no line). */
static bool same_suffix(const char **a, size_t na, const char **b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char f1[512], f2[512];
        long l1, l2;
        frame_parts(a[na - n + i], f1, sizeof f1, &l1);
        frame_parts(b[nb - n + i], f2, sizeof f2, &l2);
        if (strcmp(f1, f2) || (l1 >= 0 && l2 >= 0 && l1 != l2))
            return false;
    }
    return true;
}

/* Is one stack the other's root end? Compared on the program's own frames
 * when both have some: the system library frames differ in name and count
 * between the host's dump and the series (libcprof names a library whose
 * debug info is a separate file from its symbol table, "__clone3", while
 * cprof's symbolizer reads its DWARF, "clone3" with inline frames), and
 * libcprof's proto cuts the system-library frames above the program's
 * code, so the series is the end of the dump's stack; Go's dump hides the
 * runtime frames its proto keeps, so there it is the other way round. */
static bool block_matches(const dump_block *b, const watch_series *s)
{
    const char **fb = xcalloc(b->frames.n + 1, sizeof *fb);
    const char **fs = xcalloc(s->frames.n + 1, sizeof *fs);
    size_t nb = own_frames(&b->frames, fb), ns = own_frames(&s->frames, fs);
    bool match;
    if (nb && ns) {
        match = same_suffix(fb, nb, fs, ns);
    } else {
        match = same_suffix((const char **)b->frames.v, b->frames.n, (const char **)s->frames.v,
                            s->frames.n);
    }
    free(fb);
    free(fs);
    return match;
}

/* The creator most matching blocks name (by their "created by" frame). */
static void pick_creator(watch_series *s, dump_block *blocks, size_t n)
{
    size_t best = n, best_votes = 0;
    for (size_t i = 0; i < n; i++) {
        if (!blocks[i].creator.n || !block_matches(&blocks[i], s))
            continue;
        size_t votes = 0;
        for (size_t j = 0; j < n; j++)
            votes += blocks[j].creator.n && block_matches(&blocks[j], s) &&
                     !strcmp(blocks[j].creator.v[0], blocks[i].creator.v[0]);
        if (votes > best_votes)
            best = i, best_votes = votes;
    }
    if (best == n)
        return;
    strlist_free(&s->creator);
    for (size_t i = 0; i < blocks[best].creator.n; i++)
        strlist_push(&s->creator, blocks[best].creator.v[i]);
}

void watch_creators_from_dump(watch_target *w, const char *text, size_t len)
{
    size_t n;
    dump_block *blocks = parse_dump(text, len, &n);
    for (size_t i = 0; i < w->n_series; i++)
        if (w->series[i]->tr.leak)
            pick_creator(w->series[i], blocks, n);
    for (size_t i = 0; i < n; i++) {
        strlist_free(&blocks[i].frames);
        strlist_free(&blocks[i].creator);
    }
    free(blocks);
}

/* ---- second fetches ----------------------------------------------------------- */

static void save_dump(watch_target *w, const buf *text, const char *dir)
{
    char prefix[256], stamp[32], path[4800];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const char *prog = w->program ? strrchr(w->program, '/') : NULL;
    snprintf(prefix, sizeof prefix, "cprof.%s.threads-debug2.%s",
             prog         ? prog + 1
             : w->program ? w->program
                          : "program",
             stamp);
    cp_err err;
    if (save_bytes_in(dir, prefix, ".txt", text, path, sizeof path, &err) == 0)
        w->dump_path = intern_cstr(path);
}

static void fetch_creators(watch_target *w, const watch_opts *o, const char *dir)
{
    char url[4200];
    snprintf(url, sizeof url, "%s%s?debug=2", w->base, w->threads_name);
    buf text;
    buf_init(&text);
    cp_err err;
    if (fetch_url(url, &o->fetch, &text, NULL, &err) == 0) {
        save_dump(w, &text, dir);
        watch_creators_from_dump(w, (const char *)text.data, text.len);
    } else {
        fprintf(stderr, "cprof watch: no creator stacks: %s: %s\n", url, err.msg);
    }
    buf_free(&text);
}

static int series_eq(const void *key, const void *item)
{
    return ((const watch_series *)item)->key == key;
}

/* Does the server know min_age? libcprof rejects a bad value with a 400;
 * a server that ignores the parameter (Go's) serves the whole heap. */
static bool min_age_supported(const watch_target *w, const watch_opts *o)
{
    char url[4200];
    snprintf(url, sizeof url, "%sheap?min_age=x", w->base);
    buf data;
    buf_init(&data);
    cp_err err;
    int rc = fetch_url(url, &o->fetch, &data, NULL, &err);
    buf_free(&data);
    return rc != 0 && strstr(err.msg, "server response: 400") != NULL;
}

static void fetch_min_age(watch_target *w, const watch_opts *o)
{
    if (!min_age_supported(w, o))
        return;
    double span = w->n ? w->t[w->n - 1] : 0;
    w->min_age = span >= 4 ? (int)(span / 2) : 2;
    char url[4200];
    snprintf(url, sizeof url, "%sheap?min_age=%d", w->base, w->min_age);
    buf data;
    buf_init(&data);
    cp_err err;
    cp_profile *p = NULL;
    if (fetch_url(url, &o->fetch, &data, NULL, &err) != 0 ||
        !(p = watch_parse_profile(&data, o, &err))) {
        fprintf(stderr, "cprof watch: no min_age second opinion: %s: %s\n", url, err.msg);
        w->min_age = 0;
        buf_free(&data);
        return;
    }
    int vi = -1;
    for (size_t i = 0; i < p->n_sample_types; i++)
        if (!strcmp(p->sample_types[i].type, "inuse_space"))
            vi = (int)i;
    for (size_t i = 0; i < w->n_series; i++)
        if (w->series[i]->tr.leak)
            w->series[i]->old_bytes = 0;
    for (size_t k = 0; vi >= 0 && k < p->n_samples; k++) {
        const char *key = watch_stack_key(&p->samples[k], NULL);
        watch_series *s = key ? htab_find(&w->index, hash_ptr(0, key), series_eq, key) : NULL;
        if (s && s->tr.leak)
            s->old_bytes += (double)p->samples[k].values[vi];
    }
    cp_profile_free(p);
    buf_free(&data);
}

void watch_enrich(watch_target *ws, size_t n, const watch_opts *o, const char *save_dir)
{
    for (size_t i = 0; i < n; i++) {
        watch_target *w = &ws[i];
        if (!w->url || watch_judge(w) == 0)
            continue;
        if (w->kind == WATCH_THREADS)
            fetch_creators(w, o, save_dir);
        else if (w->kind == WATCH_HEAP)
            fetch_min_age(w, o);
        /* threadcreate: the stack is the creator already */
    }
}

/* ---- the text report ------------------------------------------------------------ */

static void print_frames(FILE *out, const strlist *l, size_t max)
{
    for (size_t i = 0; i < l->n && i < max; i++)
        fprintf(out, "      %s\n", l->v[i]);
    if (l->n > max)
        fprintf(out, "      ... %zu more frames\n", l->n - max);
}

static void print_suspect(FILE *out, size_t rank, const watch_series *s, const watch_target *w)
{
    char rate[64], first[64], last[64];
    watch_format_rate(rate, sizeof rate, w->kind, s->tr.slope);
    watch_format_value(first, sizeof first, w->kind, s->tr.first);
    watch_format_value(last, sizeof last, w->kind, s->tr.last);
    double span = w->t[w->n - 1] - w->t[0];
    if (s->tr.never_freed)
        fprintf(out,
                "LEAK %zu: %s %s  (%s -> %s in use over %.0fs; never freed, %zu sampled blocks "
                "kept in the window)\n",
                rank, watch_kind_name(w->kind), rate, first, last, span, s->tr.steps);
    else
        fprintf(out, "LEAK %zu: %s %s  (%s -> %s %s over %.0fs; trend z=%.1f)\n", rank,
                watch_kind_name(w->kind), rate, first, last,
                w->kind == WATCH_THREADS ? "threads"
                : w->kind == WATCH_HEAP  ? "in use"
                                         : "created",
                span, s->tr.z);
    fprintf(out, "    %s\n",
            w->kind == WATCH_THREADS ? "where the threads wait:"
            : w->kind == WATCH_HEAP  ? "where the memory is allocated:"
                                     : "threads created by this stack keep growing:");
    print_frames(out, &s->frames, 16);
    if (w->kind == WATCH_THREADS) {
        if (s->creator.n) {
            fprintf(out, "    created by:\n");
            print_frames(out, &s->creator, 8);
        } else {
            fprintf(out, "    created by: unknown (%s)\n",
                    w->url || w->dump_path ? "no matching thread in the threads dump"
                                           : "give a saved threads?debug=2 dump among the files");
        }
    }
    if (w->kind == WATCH_HEAP && s->old_bytes >= 0 && w->min_age > 0) {
        char old[64];
        watch_format_value(old, sizeof old, w->kind, s->old_bytes);
        fprintf(out,
                "    second opinion (heap?min_age=%d): %s of it allocated more than %ds ago "
                "and still in use%s\n",
                w->min_age, old, w->min_age,
                s->old_bytes > 0 ? "" : " — none: may be short-lived after all");
    }
    fputc('\n', out);
}

/* The verdict lines; created: a threadcreate target was watched. */
static void print_verdict(FILE *out, watch_series **sus, watch_target **own, size_t n, bool created)
{
    if (n == 0) {
        fprintf(out, "Verdict: no leak. No stack's threads%s or in-use memory kept growing.\n",
                created ? ", threads created" : "");
        return;
    }
    fprintf(out, "Verdict: %zu leak%s.\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        char fn[512], pos[512], rate[64];
        long line;
        const char *c = culprit(sus[i]);
        frame_parts(c, fn, sizeof fn, &line);
        short_position(c, pos, sizeof pos);
        watch_format_rate(rate, sizeof rate, own[i]->kind, sus[i]->tr.slope);
        fprintf(out, "  %s %s (%s) %s",
                own[i]->kind == WATCH_THREADS ? "threads"
                : own[i]->kind == WATCH_HEAP  ? "heap   "
                                              : "created",
                fn, pos, rate);
        if (sus[i]->creator.n) {
            char cfn[512], cpos[512];
            frame_parts(sus[i]->creator.v[0], cfn, sizeof cfn, &line);
            short_position(sus[i]->creator.v[0], cpos, sizeof cpos);
            fprintf(out, ", created by %s (%s)", cfn, cpos);
        }
        fputc('\n', out);
    }
}

static void print_next_steps(FILE *out, watch_target *ws, size_t n, const char *dir)
{
    fprintf(out, "\nNext:\n");
    for (size_t i = 0; i < n; i++) {
        watch_target *w = &ws[i];
        if (!w->first_path || !w->last_path || !strcmp(w->first_path, w->last_path) ||
            watch_judge(w) == 0)
            continue;
        fprintf(out, "  cprof top -diff_base=%s %s\n", w->first_path, w->last_path);
        fprintf(out, "  cprof -http=:8080 -diff_base=%s %s\n", w->first_path, w->last_path);
    }
    for (size_t i = 0; i < n; i++)
        if (ws[i].dump_path && ws[i].url)
            fprintf(out, "  less %s     # every thread, with its creator\n", ws[i].dump_path);
    if (dir && *dir)
        fprintf(out, "  (all snapshots: %s)\n", dir);
}

void watch_print_report(FILE *out, watch_target *ws, size_t n, const watch_opts *o,
                        const char *save_dir, bool interrupted)
{
    size_t snaps = 0;
    double span = 0;
    for (size_t i = 0; i < n; i++) {
        snaps = ws[i].n > snaps ? ws[i].n : snaps;
        if (ws[i].n)
            span = ws[i].t[ws[i].n - 1] > span ? ws[i].t[ws[i].n - 1] : span;
    }
    fprintf(out, "cprof watch: %zu snapshots over %.0fs%s of", snaps, span,
            interrupted ? " (stopped early)" : "");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %s", ws[i].url ? ws[i].url : watch_kind_name(ws[i].kind));
    fprintf(out, "\n");
    if (snaps < TREND_MIN_POINTS)
        fprintf(out, "Too few snapshots to judge a trend (need %d): watch longer or more often.\n",
                TREND_MIN_POINTS);
    fputc('\n', out);
    size_t m;
    watch_target **own;
    watch_series **sus = watch_suspects(ws, n, &m, &own);
    for (size_t i = 0; i < m; i++)
        print_suspect(out, i + 1, sus[i], own[i]);
    if (o->verbose) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < ws[i].n_series; j++) {
                const watch_series *s = ws[i].series[j];
                if (s->tr.leak || s->tr.growth <= 0 || s->tr.z < 1)
                    continue;
                char grew[64];
                watch_format_value(grew, sizeof grew, ws[i].kind, s->tr.growth);
                fprintf(out, "not a leak (%s): %s grew %s, z=%.1f: %s\n", s->tr.why_not,
                        watch_kind_name(ws[i].kind), grew, s->tr.z, culprit(s));
            }
        fputc('\n', out);
    }
    bool created = false;
    for (size_t i = 0; i < n; i++)
        created |= ws[i].kind == WATCH_THREADCREATE;
    print_verdict(out, sus, own, m, created);
    if (m > 0 || o->verbose)
        print_next_steps(out, ws, n, save_dir);
    free(sus);
    free(own);
}
