/*
 * pipeline.c — the driver every front end shares (pipeline.h): sources to
 * a report, google/pprof's internal/driver (fetchProfiles, then
 * generateRawReport and report.Generate). `cprof` (main.c) runs it once;
 * the web UI (web/web_server.c) loads once and runs a report per page.
 *
 * The steps are pprof's, in the same order because each one changes what
 * the next one sees:
 *   1. every source is read (file or URL; fetched ones are saved), parsed
 *      (profile.proto or a legacy format: profile/legacy.h), given the
 *      executable named first on the command line, if any,
 *      symbolized when its mappings have no functions (symbolize/: as
 *      pprof does before merging, so the merge keys on functions), units
 *      harmonized and merged (even a single profile: merging compacts);
 *   2. bases likewise, then marked (-diff_base), negated and merged in;
 *   3. drop_frames pruning;
 *   4. the report's overrides (list forces lines, disasm and weblist
 *      addresses (disasm without inlines), peek/list/disasm/weblist/proto
 *      and -trim=false disable trimming, proto forces addresses);
 *   5. -tagroot/-tagleaf frames are added (so the filters can name them);
 *   6. the total is computed, then -focus & co. filter (the other way round
 *      with -relative_percentages), then the profile is aggregated to the
 *      granularity; then the report is written.
 * Sources are decoded compactly (profile_parse_compact: repeated stacks
 * folded as they are read), since merging follows; -normalize scales the
 * sources to the bases before the bases are negated; -add_comment is added
 * to the merged profile.
 */
#include "pipeline.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "profile/filters.h"
#include "intern.h"

/* ---- loading ---------------------------------------------------------------- */

/* One "cprof: ..." line on stderr; last keeps it (pipeline_load's err). */
static void error_line(const char *what, const cp_err *err, cp_err *last)
{
    if (what)
        cp_err_set(last, "%s: %s", what, err->msg);
    else
        cp_err_set(last, "%s", err->msg);
    fprintf(stderr, "cprof: %s\n", last->msg);
}

/* pprof's command line: with two or more arguments, a first one that is an
 * executable file (ELF) names the program the profiles came from rather
 * than a source. That argument, or NULL. */
static const char *exec_argument(const strlist *sources)
{
    if (sources->n < 2)
        return NULL;
    const char *a = sources->v[0];
    char *url = source_url(a);
    free(url);
    if (url)
        return NULL;
    int fd = open(a, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    char magic[4];
    bool elf = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
               !memcmp(magic,
                       "\x7f"
                       "ELF",
                       4);
    close(fd);
    return elf ? a : NULL;
}

/* pprof's isBuildID: hex digits only. */
static bool is_build_id(const char *s)
{
    return s[strspn(s, "0123456789abcdefABCDEF")] == '\0';
}

/* pprof's locateBinaries override: the executable named on the command
 * line (exec, may be NULL) becomes the file of the profile's first mapping
 * (the main binary: the legacy parsers put it first), and -buildid (or a
 * first argument of hex digits; build_id, may be NULL) its build ID; a
 * mapping is made for every location when the profile has none (Go's
 * legacy text). Before symbolizing, which then reads that file and looks
 * for that build ID. */
static void use_exec(cp_profile *p, const char *exec, const char *build_id)
{
    if (!exec && !build_id)
        return;
    if (p->n_mappings == 0) {
        cp_mapping *m = arena_alloc(&p->mem, 1, sizeof *m);
        m->id = 1;
        m->file = m->build_id = STR_EMPTY;
        p->mappings = arena_alloc(&p->mem, 1, sizeof *p->mappings);
        p->mappings[0] = m;
        p->n_mappings = 1;
        for (size_t i = 0; i < p->n_locations; i++)
            p->locations[i]->mapping = m;
        cp_profile_reindex(p);
    }
    if (build_id)
        p->mappings[0]->build_id = intern_cstr(build_id);
    if (!exec)
        return;
    char *abs = realpath(exec, NULL); /* the symbolizer opens absolute paths */
    p->mappings[0]->file = intern_cstr(abs ? abs : exec);
    free(abs);
}

/* One source: its bytes (fetched or read), parsed (profile.proto or a
 * legacy format), given the executable and build ID named on the command
 * line (exec, build_id: may be NULL), symbolized; fetched ones saved. The
 * profile (caller frees), or NULL with err. */
static cp_profile *load_source(const char *source, const char *exec, const char *build_id,
                               const cli *c, cp_err *err)
{
    const fetch_opts *fo = &c->fetch;
    buf data;
    buf_init(&data);
    char *url = source_url(source), *final_url = NULL;
    int rc = url ? fetch_url(url, fo, &data, &final_url, err) : read_file(source, &data, err);
    cp_profile *p = rc == 0 ? profile_parse_compact(data.data, data.len, err) : NULL;
    if (p && url) {
        cp_err save_err;
        if (save_fetched(&data, p, &save_err) != 0)
            fprintf(stderr, "Could not save profile: %s\n", save_err.msg);
    }
    if (p)
        use_exec(p, exec, build_id);
    if (p)
        profile_symbolize(p, &c->symbolize);
    free(url);
    free(final_url);
    buf_free(&data);
    return p;
}

/* Units harmonized, then merged into a new profile (caller frees; the
 * inputs stay the caller's), or NULL with err. */
static cp_profile *combine(cp_profile **ps, size_t n, cp_err *err)
{
    if (profile_scale_units(ps, n, err) != 0)
        return NULL;
    return profile_merge(ps, n, err);
}

/* Like pprof, a source that fails is reported and skipped; only when every
 * source fails is it an error (and the per-source lines say why). The
 * merged profile (caller frees), or NULL. */
static cp_profile *load_all(const strlist *sources, const char *exec, const char *build_id,
                            const cli *c, const char *kind, cp_err *last)
{
    cp_profile **ps = xcalloc(sources->n, sizeof *ps);
    size_t ok = 0;
    cp_err err;
    for (size_t i = 0; i < sources->n; i++) {
        ps[ok] = load_source(sources->v[i], exec, build_id, c, &err);
        if (ps[ok])
            ok++;
        else {
            char *url = source_url(sources->v[i]);
            char *shown = url ? url_redacted(sources->v[i]) : NULL; /* no token in messages */
            error_line(shown ? shown : sources->v[i], &err, last);
            free(shown);
            free(url);
        }
    }
    cp_profile *p = NULL;
    if (ok > 0 && ok < sources->n)
        fprintf(stderr, "Fetched %zu %s profiles out of %zu\n", ok, kind, sources->n);
    if (ok > 0 && !(p = combine(ps, ok, &err)))
        error_line(NULL, &err, last);
    for (size_t i = 0; i < ok; i++)
        cp_profile_free(ps[i]);
    free(ps);
    return p;
}

/* The sources with the bases subtracted (caller frees), or NULL. A first
 * source that is an executable, or else (without -buildid) hex digits, a
 * build ID, applies to every profile, bases too (pprof's cli.go). */
static cp_profile *load_profiles(const cli *c, cp_err *last)
{
    const char *exec = exec_argument(&c->sources);
    const char *build_id = c->build_id && *c->build_id ? c->build_id : NULL;
    strlist sources = c->sources;
    if (exec) {
        sources.v++, sources.n--;
    } else if (sources.n > 1 && !build_id && is_build_id(sources.v[0])) {
        build_id = sources.v[0];
        sources.v++, sources.n--;
    }
    cp_profile *p = load_all(&sources, exec, build_id, c, "source", last);
    if (!p || c->bases.n == 0)
        return p;
    cp_profile *base = load_all(&c->bases, exec, build_id, c, "base", last);
    if (!base) {
        cp_profile_free(p);
        return NULL;
    }
    cp_err err;
    if (c->diff_base)
        profile_set_label(base, "pprof::base", "true");
    if (c->normalize && profile_normalize(p, base, &err) != 0) {
        error_line(NULL, &err, last);
        cp_profile_free(p);
        cp_profile_free(base);
        return NULL;
    }
    profile_scale_all(base, -1);
    cp_profile *both[2] = {p, base};
    cp_profile *merged = combine(both, 2, &err);
    if (!merged)
        error_line(NULL, &err, last);
    cp_profile_free(p);
    cp_profile_free(base);
    return merged;
}

cp_profile *pipeline_load(const cli *c, cp_err *err)
{
    cp_err last = {.msg = ""}, prune_err;
    cp_profile *p = load_profiles(c, &last);
    if (p && profile_remove_uninteresting(p, &prune_err) != 0) {
        error_line(NULL, &prune_err, &last);
        cp_profile_free(p);
        p = NULL;
    }
    if (p && c->comment && *c->comment) {
        const char **comments = arena_alloc(&p->mem, p->n_comments + 1, sizeof *comments);
        if (p->n_comments)
            memcpy(comments, p->comments, p->n_comments * sizeof *comments);
        comments[p->n_comments++] = intern_cstr(c->comment);
        p->comments = comments;
    }
    if (!p)
        *err = last;
    return p;
}

/* ---- the report --------------------------------------------------------------- */

/* driver.applyCommandOverrides */
static void command_overrides(cli *c)
{
    bool trim = c->trim;
    switch (c->format) {
    case FMT_PEEK:
        trim = false;
        break;
    case FMT_LIST:
        trim = false;
        c->granularity = "lines";
        break;
    case FMT_DISASM:
        /* one node per address: inlined frames would count twice */
        trim = false;
        c->granularity = "addresses";
        c->noinlines = true;
        break;
    case FMT_WEBLIST:
        trim = false;
        c->granularity = "addresses";
        c->noinlines = false; /* the inlined calls are shown */
        break;
    case FMT_TOP:
        if (c->nodecount == -1)
            c->nodecount = 0;
        break;
    default:
        if (c->nodecount == -1)
            c->nodecount = 80;
    }
    if (c->format == FMT_PROTO || c->format == FMT_RAW) {
        trim = false;
        c->granularity = "addresses";
        c->noinlines = false;
    }
    if (!trim)
        c->nodecount = 0, c->nodefraction = 0, c->edgefraction = 0;
}

/* driver.aggregate */
static void aggregate(cp_profile *p, const cli *c)
{
    bool inlines = !c->noinlines;
    const char *g = c->granularity;
    if (!strcmp(g, "addresses")) {
        if (!inlines)
            profile_aggregate(p, false, true, true, true, true);
    } else if (!strcmp(g, "lines")) {
        profile_aggregate(p, inlines, true, true, true, false);
    } else if (!strcmp(g, "files")) {
        profile_aggregate(p, inlines, false, true, false, false);
    } else if (!strcmp(g, "filefunctions")) {
        profile_aggregate(p, inlines, true, true, false, false);
    } else {
        profile_aggregate(p, inlines, true, false, false, false);
    }
}

static void add_filter(strlist *l, const char *name, const char *value)
{
    if (value && *value)
        strlist_pushf(l, "%s=%s", name, value);
}

/* driver.reportOptions: o filled from c (o->active_filters is the caller's
 * to free; label_units left to the caller). 0, or -1 with err (bad sample
 * index, zero -divide_by). */
static int report_options(const cp_profile *p, const cli *c, report_opts *o, cp_err *err)
{
    memset(o, 0, sizeof *o);
    int index = profile_sample_index(p, c->sample_index, err);
    if (index < 0)
        return -1;
    if (c->divide_by == 0) {
        cp_err_set(err, "zero divisor specified");
        return -1;
    }
    o->ratio = 1 / c->divide_by;
    o->format = c->format;
    o->cum_sort = c->cum;
    o->drop_negative = c->drop_negative;
    o->compact_labels = c->compact_labels;
    o->has_base = c->bases.n > 0;
    o->node_count = c->nodecount;
    o->node_fraction = c->nodefraction;
    o->edge_fraction = c->edgefraction;
    o->value_index = index;
    o->mean = c->mean;
    /* As in pprof, only the graphs honour -call_tree (the flame graph is
     * a call tree anyway). */
    o->call_tree = c->call_tree && (c->format == FMT_DOT || c->format == FMT_CALLGRAPH_SVG);
    o->sample_type = p->sample_types[index].type;
    if (c->mean) {
        char mean_type[256];
        snprintf(mean_type, sizeof mean_type, "mean_%s", o->sample_type);
        o->sample_type = intern_cstr(mean_type);
    }
    o->sample_unit = p->sample_types[index].unit;
    o->output_unit = intern_cstr(c->unit);
    o->source_path = c->source_path;
    o->trim_path = c->trim_path;
    o->symbolize = &c->symbolize;
    add_filter(&o->active_filters, "focus", c->filters.focus);
    add_filter(&o->active_filters, "ignore", c->filters.ignore);
    add_filter(&o->active_filters, "hide", c->filters.hide);
    add_filter(&o->active_filters, "show", c->filters.show);
    add_filter(&o->active_filters, "show_from", c->filters.show_from);
    add_filter(&o->active_filters, "tagfocus", c->filters.tagfocus);
    add_filter(&o->active_filters, "tagignore", c->filters.tagignore);
    add_filter(&o->active_filters, "tagshow", c->filters.tagshow);
    add_filter(&o->active_filters, "taghide", c->filters.taghide);
    return 0;
}

/* A comma-separated list of label keys, empty words dropped, into l. */
static void split_keys(const char *s, strlist *l)
{
    while (s && *s) {
        size_t n = strcspn(s, ",");
        if (n)
            strlist_pushf(l, "%.*s", (int)n, s);
        s += n + (s[n] == ',');
    }
}

/* driver.generateTagRootsLeaves: -tagroot/-tagleaf frames, and pprof's
 * warning when a key matched no sample. */
static void tag_roots_leaves(cp_profile *p, const cli *c)
{
    strlist roots = {0}, leaves = {0};
    split_keys(c->tagroot, &roots);
    split_keys(c->tagleaf, &leaves);
    bool root_match, leaf_match;
    profile_add_label_nodes(p, &roots, &leaves, c->unit, &root_match, &leaf_match);
    if (c->tagroot && *c->tagroot && !root_match)
        fprintf(stderr, "TagRoot expression matched no samples\n");
    if (c->tagleaf && *c->tagleaf && !leaf_match)
        fprintf(stderr, "TagLeaf expression matched no samples\n");
    strlist_free(&roots);
    strlist_free(&leaves);
}

int pipeline_report(cp_profile *p, cli *c, report_emit emit, void *ctx, cp_err *err)
{
    arena mem;
    arena_init(&mem);
    report r;
    report_opts o;
    regex_t symbol;
    int rc = -1;
    command_overrides(c);
    /* Label frames first, so the filters can name them. */
    tag_roots_leaves(p, c);
    /* -relative_percentages: the total is taken after the filters. */
    num_label_units units;
    profile_num_label_units(p, &units, &mem);
    if (c->relative_percentages && apply_filters(p, &c->filters, &units, err) != 0) {
        memset(&o, 0, sizeof o);
        goto done;
    }
    if (report_options(p, c, &o, err) != 0)
        goto done;
    if (c->symbol) {
        if (regex_compile(&symbol, c->symbol, "argument", err) != 0)
            goto done;
        o.symbol = &symbol;
        o.symbol_src = c->symbol;
    }
    o.label_units = units;
    report_init(&r, p, &o);
    if (!c->relative_percentages && apply_filters(p, &c->filters, &units, err) != 0)
        goto done;
    aggregate(p, c);
    rc = emit(&r, ctx, err);
done:
    if (o.symbol)
        regfree(o.symbol);
    strlist_free(&o.active_filters);
    arena_free(&mem);
    return rc;
}

/* ---- writing -------------------------------------------------------------------- */

/* The profile as gzip profile.proto to out. 0, or -1 with err. */
static int write_proto(cp_profile *p, FILE *out, cp_err *err)
{
    /* Compact: filters leave unreferenced locations behind. */
    cp_profile *compact = profile_merge(&p, 1, err);
    if (!compact)
        return -1;
    buf b;
    buf_init(&b);
    int rc = profile_encode(compact, 1, &b, err);
    if (rc == 0 && fwrite(b.data, 1, b.len, out) != b.len) {
        cp_err_set(err, "writing profile failed");
        rc = -1;
    }
    buf_free(&b);
    cp_profile_free(compact);
    return rc;
}

int pipeline_write(report *r, FILE *out, cp_err *err)
{
    switch (r->o.format) {
    case FMT_TOP:
        return report_top(r, out, err);
    case FMT_TREE:
    case FMT_PEEK:
        return report_tree(r, out, err);
    case FMT_TRACES:
        return report_traces(r, out, err);
    case FMT_TAGS:
        return report_tags(r, out, err);
    case FMT_LIST:
        return report_list(r, out, err);
    case FMT_DISASM:
        return report_disasm(r, out, err);
    case FMT_WEBLIST:
        return report_weblist(r, out, err);
    case FMT_COLLAPSED:
        return report_collapsed(r, out, err);
    case FMT_COMMENTS:
        return report_comments(r, out, err);
    case FMT_RAW:
        return report_raw(r, out, err);
    case FMT_SVG:
        return report_flame(r, out, err);
    case FMT_DOT:
        return report_dot(r, out, err);
    case FMT_CALLGRAPH_SVG:
        return report_callgraph_svg(r, out, err);
    case FMT_PROTO:
        /* printProto: -divide_by applied to the samples first. */
        if (r->o.ratio > 0 && r->o.ratio != 1)
            for (size_t i = 0; i < r->p->n_samples; i++)
                for (size_t j = 0; j < r->p->n_sample_types; j++)
                    r->p->samples[i].values[j] =
                        (int64_t)((double)r->p->samples[i].values[j] * r->o.ratio);
        return write_proto(r->p, out, err);
    default:
        cp_err_set(err, "report not implemented");
        return -1;
    }
}

/* -output's file (created; "Generating report in" said), else stdout
 * (never for a binary profile on a terminal). NULL with err. */
static FILE *open_output(const cli *c, cp_err *err)
{
    if (!c->output) {
        if (c->format == FMT_PROTO && isatty(STDOUT_FILENO)) {
            cp_err_set(err, "not writing a binary profile to a terminal: use -output FILE");
            return NULL;
        }
        return stdout;
    }
    FILE *f = fopen(c->output, "wb");
    if (!f) {
        cp_err_set(err, "%s: cannot create: %m", c->output);
        return NULL;
    }
    fprintf(stderr, "Generating report in %s\n", c->output);
    return f;
}

int pipeline_emit_output(report *r, void *ctx, cp_err *err)
{
    const cli *c = ctx;
    FILE *out = open_output(c, err);
    if (!out)
        return -1;
    int rc = pipeline_write(r, out, err);
    if (fflush(out) != 0 && rc == 0) {
        cp_err_set(err, "writing output: %m");
        rc = -1;
    }
    if (out != stdout)
        fclose(out);
    return rc;
}
