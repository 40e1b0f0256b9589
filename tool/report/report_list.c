/*
 * report_list.c — `list REGEX`: annotated source for every function whose
 * name matches, as google/pprof's printSource prints it.
 *
 * The graph is built at line granularity with binary names kept (so a
 * function's nodes carry its start line). For each matching function and
 * each of its source files the listing spans from the function's start
 * line (or 5 lines before the first sampled line) to 5 lines after the last
 * sampled line, stopping early at the end of the file. Files are looked up
 * like pprof does: absolute paths as they are, relative ones under the
 * source path (default: the current directory) and its parents, after
 * trimming a recognisable prefix (trim_source_path).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/filters.h"
#include "profile/measure.h"
#include "report.h"

#define LIST_MARGIN 5

/* fopen(path, "r") for a regular file only: the path comes from a profile,
 * so a FIFO (whose open would block), a device (/dev/zero: endless) or a
 * directory is refused (NULL, errno EINVAL). */
static FILE *open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    FILE *f = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fcntl(fd, F_SETFL, 0) == 0)
        f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        errno = EINVAL;
    }
    return f;
}

/* pprof's openSourceFile: path (trimmed) as it is when absolute, else
 * under each directory of search_path and its parents. The file, or NULL
 * with error set. */
static FILE *open_source(const char *path, const char *search_path, const char *trim, char *error,
                         size_t cap)
{
    path = trim_source_path(path, trim, search_path);
    if (path[0] == '/') {
        FILE *f = open_regular(path);
        if (!f)
            snprintf(error, cap, "open %.400s: %s", path, strerror(errno));
        return f;
    }
    char dir[PATH_MAX], candidate[PATH_MAX * 2];
    const char *list = search_path;
    while (list) {
        const char *colon = strchr(list, ':');
        snprintf(dir, sizeof dir, "%.*s", (int)(colon ? (size_t)(colon - list) : strlen(list)),
                 list);
        list = colon ? colon + 1 : NULL;
        /* Search up: the directory and each of its parents. */
        for (;;) {
            snprintf(candidate, sizeof candidate, "%s/%s", dir, path);
            FILE *f = open_regular(candidate);
            if (f)
                return f;
            char *slash = strrchr(dir, '/');
            if (!slash || (slash == dir && dir[1] == 0))
                break;
            slash[slash == dir ? 1 : 0] = 0;
        }
    }
    snprintf(error, cap, "could not find file %.250s on path %.250s", path, search_path);
    return NULL;
}

void read_source(source_file *sf, const char *path, const char *search_path, const char *trim)
{
    memset(sf, 0, sizeof *sf);
    FILE *f = open_source(path, search_path, trim, sf->error, sizeof sf->error);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = 0;
        if (len > 0 && line[len - 1] == '\r') /* bufio.ScanLines drops it too */
            line[--len] = 0;
        if (sf->n == room) {
            room = room ? room * 2 : 256;
            sf->lines = xrealloc(sf->lines, room, sizeof *sf->lines);
        }
        sf->lines[sf->n++] = xstrdup(line);
    }
    free(line);
    fclose(f);
}

void free_source(source_file *sf)
{
    for (size_t i = 0; i < sf->n; i++)
        free(sf->lines[i]);
    free(sf->lines);
}

/* valueOrDot (report.h). */
const char *report_value_or_dot(const report *r, int64_t v, char *out)
{
    return v == 0 ? "." : report_format_value(r, v, out);
}

static int cmp_lineno(const void *a, const void *b)
{
    const gnode *x = *(gnode *const *)a, *y = *(gnode *const *)b;
    return (x->info.lineno > y->info.lineno) - (x->info.lineno < y->info.lineno);
}

/* getSourceFromFile's line range for one function in one file. */
static void listing_range(gnode **fns, size_t n, int64_t *start, int64_t *end)
{
    *start = fns[0]->info.start_line ? fns[0]->info.start_line : fns[0]->info.lineno - LIST_MARGIN;
    *end = fns[0]->info.lineno + LIST_MARGIN;
    for (size_t i = 0; i < n; i++) {
        int64_t s =
            fns[i]->info.start_line ? fns[i]->info.start_line : fns[i]->info.lineno - LIST_MARGIN;
        int64_t e = fns[i]->info.lineno + LIST_MARGIN;
        if (s < *start)
            *start = s;
        else if (e > *end)
            *end = e;
    }
    if (*start < 1)
        *start = 1;
}

static void print_file(report *r, FILE *out, const char *search_path, const char *name,
                       const char *file, gnode **fns, size_t n)
{
    char a[64], b[64], pct[32];
    int64_t flat_sum, cum_sum, start, end;
    nodes_sum(fns, n, &flat_sum, &cum_sum);
    if (n > 1)
        qsort(fns, n, sizeof *fns, cmp_lineno);
    source_file sf;
    read_source(&sf, file, search_path, r->o.trim_path);
    fprintf(out, "ROUTINE ======================== %s in %s\n", name, file);
    fprintf(out, "%10s %10s (flat, cum) %s of Total\n", report_format_value(r, flat_sum, a),
            report_format_value(r, cum_sum, b), measure_percentage(pct, cum_sum, r->total));
    if (*sf.error) {
        fprintf(out, " Error: %s\n", sf.error);
        free_source(&sf);
        return;
    }
    listing_range(fns, n, &start, &end);
    size_t k = 0;
    for (int64_t line = start; line <= end && (size_t)line <= sf.n; line++) {
        int64_t flat = 0, cum = 0;
        while (k < n && fns[k]->info.lineno < line)
            k++;
        for (size_t j = k; j < n && fns[j]->info.lineno == line; j++) {
            flat += fns[j]->flat;
            cum += fns[j]->cum;
        }
        fprintf(out, "%10s %10s %6lld:%s\n", report_value_or_dot(r, flat, a),
                report_value_or_dot(r, cum, b), (long long)line, sf.lines[line - 1]);
    }
    free_source(&sf);
}

/* The nodes of one function, grouped by file in FileOrder. */
static void print_function(report *r, FILE *out, const char *search_path, const char *name,
                           gnode **nodes, size_t n)
{
    gnode **with_file = xcalloc(n, sizeof *with_file);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (*nodes[i]->info.file)
            with_file[m++] = nodes[i];
    if (m == 0) {
        fprintf(out, "No source information for %s\n", name);
        free(with_file);
        return;
    }
    graph_sort(with_file, m, ORDER_FILE);
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && with_file[j]->info.file == with_file[i]->info.file)
            j++;
        print_file(r, out, search_path, name, with_file[i]->info.file, with_file + i, j - i);
        i = j;
    }
    free(with_file);
}

const char *report_search_path(const report *r, char *cwd, size_t cap, cp_err *err)
{
    if (*r->o.source_path)
        return r->o.source_path;
    if (!getcwd(cwd, cap)) {
        cp_err_set(err, "could not stat current dir: %s", strerror(errno));
        return NULL;
    }
    return cwd;
}

int report_list(report *r, FILE *out, cp_err *err)
{
    /* Sources are searched from the current directory by default; the
     * graph itself trims paths with the configured source path only. */
    char cwd[PATH_MAX];
    const char *search_path = report_search_path(r, cwd, sizeof cwd, err);
    if (!search_path)
        return -1;
    graph *g = report_new_graph(r, NULL, true);
    gnode **matching = xcalloc(g->n_nodes, sizeof *matching);
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (regex_match(r->o.symbol, g->nodes[i]->info.name))
            matching[n++] = g->nodes[i];
    if (n == 0) {
        cp_err_set(err, "no matches found for regexp: %s", r->o.symbol_src);
        free(matching);
        graph_free(g);
        return -1;
    }
    graph_sort(matching, n, ORDER_NAME);
    char total[64];
    fprintf(out, "Total: %s\n", report_format_value(r, r->total, total));
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && matching[j]->info.name == matching[i]->info.name)
            j++;
        print_function(r, out, search_path, matching[i]->info.name, matching + i, j - i);
        i = j;
    }
    free(matching);
    graph_free(g);
    return 0;
}
