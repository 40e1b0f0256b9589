/*
 * shell_parse.c — the shell's tables and its line parser (shell.h), a
 * transcription of go tool pprof's interactive.go (interactive,
 * parseCommandLine) and the settings of its config.go, limited to what
 * cprof's command line has: every setting here is an option of options.c,
 * which sets it (shell.c calls cli_set), so the shell and the flags cannot
 * disagree. Differences from pprof, on purpose: a choice alone ("cum",
 * "lines") selects it (pprof answers `unknown config field "cum"`), and a
 * line longer than SHELL_MAX_LINE is refused.
 */
#include "shell.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static const char *const sort_choices[] = {"cum", "flat", NULL};
static const char *const granularity_choices[] = {"functions", "filefunctions", "files",
                                                  "lines",     "addresses",     NULL};

#define AT(field) offsetof(cli, field)
#define MATCHING "\nMatching includes the function name, filename or object name."
#define TAG_FILTER                                                                                 \
    " with tags in range or matched by regexp\n"                                                   \
    "Use name=value syntax to limit the matching to a specific tag.\n"                             \
    "Numeric tag filter examples: 1kb, 1kb:10kb, memory=32mb:\n"                                   \
    "String tag filter examples: foo, foo.*bar, mytag=foo.*bar"

const shell_option shell_options[] = {
    {"output", SOPT_STRING, AT(output), NULL, "Output filename for file-based outputs"},
    {"call_tree", SOPT_BOOL, AT(call_tree), NULL,
     "Create a context-sensitive call tree\n"
     "Treat locations reached through different paths as separate."},
    {"relative_percentages", SOPT_BOOL, AT(relative_percentages), NULL,
     "Show percentages relative to focused subgraph\n"
     "If unset, percentages are relative to full graph before focusing\n"
     "to facilitate comparison with original graph."},
    {"unit", SOPT_STRING, AT(unit), NULL,
     "Measurement units to display\nScale the sample values to this unit.\n"
     "For time-based profiles, use seconds, milliseconds, nanoseconds, etc.\n"
     "For memory profiles, use megabytes, kilobytes, bytes, etc."},
    {"compact_labels", SOPT_BOOL, AT(compact_labels), NULL, "Show minimal headers"},
    {"source_path", SOPT_STRING, AT(source_path), NULL, "Search path for source files"},
    {"trim_path", SOPT_STRING, AT(trim_path), NULL, "Path to trim from source paths before search"},
    {"mean", SOPT_BOOL, AT(mean), NULL,
     "Average sample value over first value (count)\n"
     "For memory profiles, report average memory per allocation.\n"
     "For time-based profiles, report average time per event."},
    {"sample_index", SOPT_SAMPLE_INDEX, AT(sample_index), NULL,
     "Sample value to report (0-based index or name)\n"
     "Profiles contain multiple values per sample.\n"
     "Use sample_index=i to select the ith value (starting at 0)."},
    {"divide_by", SOPT_FLOAT, AT(divide_by), NULL,
     "Ratio to divide all samples before visualization\n"
     "Divide all samples values by a constant, eg the number of processors or jobs."},
    {"sort", SOPT_CHOICE, AT(cum), sort_choices, ""},
    {"tagroot", SOPT_STRING, AT(tagroot), NULL,
     "Adds pseudo stack frames for labels key/value pairs at the callstack root.\n"
     "A comma-separated list of label keys.\n"
     "The first key creates frames at the new root."},
    {"tagleaf", SOPT_STRING, AT(tagleaf), NULL,
     "Adds pseudo stack frames for labels key/value pairs at the callstack leaf.\n"
     "A comma-separated list of label keys.\n"
     "The last key creates frames at the new leaf."},
    {"drop_negative", SOPT_BOOL, AT(drop_negative), NULL,
     "Ignore negative differences\nDo not show any locations with values <0."},
    {"nodecount", SOPT_INT, AT(nodecount), NULL,
     "Max number of nodes to show\n"
     "Uses heuristics to limit the number of locations to be displayed.\n"
     "On graphs, dotted edges represent paths through nodes that have been removed."},
    {"nodefraction", SOPT_FLOAT, AT(nodefraction), NULL, "Hide nodes below <f>*total"},
    {"edgefraction", SOPT_FLOAT, AT(edgefraction), NULL, "Hide edges below <f>*total"},
    {"trim", SOPT_BOOL, AT(trim), NULL,
     "Honor nodefraction/edgefraction/nodecount defaults\n"
     "Set to false to get the full profile, without any trimming."},
    {"focus", SOPT_REGEX, AT(filters.focus), NULL,
     "Restricts to samples going through a node matching regexp\n"
     "Discard samples that do not include a node matching this regexp." MATCHING},
    {"ignore", SOPT_REGEX, AT(filters.ignore), NULL,
     "Skips paths going through any nodes matching regexp\n"
     "If set, discard samples that include a node matching this regexp." MATCHING},
    {"prune_from", SOPT_REGEX, AT(filters.prune_from), NULL,
     "Drops any functions below the matched frame.\n"
     "If set, any frames matching the specified regexp and any frames\n"
     "below it will be dropped from each sample."},
    {"hide", SOPT_REGEX, AT(filters.hide), NULL,
     "Skips nodes matching regexp\nDiscard nodes that match this location.\n"
     "Other nodes from samples that include this location will be shown." MATCHING},
    {"show", SOPT_REGEX, AT(filters.show), NULL,
     "Only show nodes matching regexp\n"
     "If set, only show nodes that match this location." MATCHING},
    {"show_from", SOPT_REGEX, AT(filters.show_from), NULL,
     "Drops functions above the highest matched frame.\n"
     "If set, all frames above the highest match are dropped from every sample." MATCHING},
    {"tagfocus", SOPT_STRING, AT(filters.tagfocus), NULL, "Restricts to samples" TAG_FILTER},
    {"tagignore", SOPT_STRING, AT(filters.tagignore), NULL, "Discard samples" TAG_FILTER},
    {"tagshow", SOPT_STRING, AT(filters.tagshow), NULL,
     "Only consider tags matching this regexp\nDiscard tags that do not match this regexp"},
    {"taghide", SOPT_STRING, AT(filters.taghide), NULL,
     "Skip tags matching this regexp\nDiscard tags that match this regexp"},
    {"noinlines", SOPT_BOOL, AT(noinlines), NULL,
     "Ignore inlines.\nAttributes inlined functions to their first out-of-line caller."},
    {"granularity", SOPT_CHOICE, AT(granularity), granularity_choices, ""},
};
const size_t n_shell_options = sizeof shell_options / sizeof shell_options[0];

#define REPORT_USAGE(c, more)                                                                      \
    c " [n] [focus_regex]* [-ignore_regex]*" more "\nInclude up to n samples\n"                    \
      "Include samples matching focus_regex, and exclude ignore_regex."
#define LIST_USAGE(c)                                                                              \
    c "<func_regex|address> [-focus_regex]* [-ignore_regex]* >f\n"                                 \
      "Include functions matching func_regex, or including the address specified.\n"               \
      "Include samples matching focus_regex, and exclude ignore_regex.\n"                          \
      "Optionally save the report on the file f"

const shell_command shell_commands[] = {
    {"callgraph_svg", "callgraph_svg", "Outputs a call graph in SVG format (graphviz)",
     REPORT_USAGE("callgraph_svg", " >f") "\nOptionally save the report on the file f"},
    {"collapsed", "collapsed", "Outputs folded stacks for flamegraph.pl", ""},
    {"comments", "comments", "Output all profile comments", ""},
    {"disasm", "disasm", "Output assembly listings annotated with samples", LIST_USAGE("disasm")},
    {"dot", "dot", "Outputs a graph in DOT format",
     REPORT_USAGE("dot", " >f") "\nOptionally save the report on the file f"},
    {"list", "list", "Output annotated source for functions matching regexp", LIST_USAGE("list")},
    {"peek", "peek", "Output callers/callees of functions matching regexp",
     "peek func_regex\nDisplay callers and callees of functions matching func_regex."},
    {"proto", "proto", "Outputs the profile in compressed protobuf format", ""},
    {"raw", "raw", "Outputs a text representation of the raw profile", ""},
    {"svg", "svg", "Outputs a flame graph in SVG format",
     REPORT_USAGE("svg", " >f") "\nOptionally save the report on the file f"},
    {"tags", "tags", "Outputs all tags in the profile",
     "tags [tag_regex]* [-ignore_regex]* [>file]\n"
     "List tags with key:value matching tag_regex and exclude ignore_regex."},
    {"text", "text", "Outputs top entries in text form",
     REPORT_USAGE("text", " [-cum] >f") "\n-cum sorts the output by cumulative weight\n"
                                        "Optionally save the report on the file f"},
    {"top", "top", "Outputs top entries in text form",
     REPORT_USAGE("top", " [-cum] >f") "\n-cum sorts the output by cumulative weight\n"
                                       "Optionally save the report on the file f"},
    {"traces", "traces", "Outputs all profile samples in text form", ""},
    {"tree", "tree", "Outputs a text rendering of call graph",
     REPORT_USAGE("tree", " [-cum] >f") "\n-cum sorts the output by cumulative weight\n"
                                        "Optionally save the report on the file f"},
    {"web", "callgraph_svg", "Visualize graph through web browser", REPORT_USAGE("web", "")},
    {"weblist", "weblist", "Display annotated source in a web browser", LIST_USAGE("weblist")},
};
const size_t n_shell_commands = sizeof shell_commands / sizeof shell_commands[0];

const shell_option *shell_option_named(const char *name, const char **choice)
{
    *choice = NULL;
    for (size_t i = 0; i < n_shell_options; i++) {
        const shell_option *o = &shell_options[i];
        if (!strcmp(o->name, name))
            return o;
        for (const char *const *ch = o->choices; ch && *ch; ch++)
            if (!strcmp(*ch, name)) {
                *choice = *ch;
                return o;
            }
    }
    return NULL;
}

const shell_command *shell_command_named(const char *name)
{
    for (size_t i = 0; i < n_shell_commands; i++)
        if (!strcmp(shell_commands[i].name, name))
            return &shell_commands[i];
    return NULL;
}

int shell_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "t", "yes", "y", "1", ""};
    static const char *const no[] = {"false", "f", "no", "n", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (!strcasecmp(s, yes[i]))
            return *out = true, 0;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (!strcasecmp(s, no[i]))
            return *out = false, 0;
    return -1;
}

/* A malloc'ed copy of s[0..n) (never NULL). */
static char *copy_n(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r)
        abort();
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

/* s[0..n) without leading and trailing white space: its start, *n adjusted. */
static const char *trim(const char *s, size_t *n)
{
    while (*n && isspace((unsigned char)*s))
        s++, (*n)--;
    while (*n && isspace((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

/* c becomes an error command saying fmt. */
static void __attribute__((format(printf, 2, 3))) set_error(shell_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    c->kind = SHELL_ERROR;
    c->error = msg;
}

/* catRegex: a|b, or whichever is not empty. *a is replaced (malloc'ed). */
static void cat_regex(char **a, const char *b)
{
    if (!*b)
        return;
    char *r = NULL;
    if (*a ? asprintf(&r, "%s|%s", *a, b) < 0 : asprintf(&r, "%s", b) < 0)
        abort();
    free(*a);
    *a = r;
}

/* strings.Fields: the white-space separated words of s (l owns copies). */
static void fields(const char *s, strlist *l)
{
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            return;
        const char *start = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        char *w = copy_n(start, (size_t)(s - start));
        strlist_push(l, w);
        free(w);
    }
}

/* strconv.ParseInt(t, 10, 32): 0 with *out, or -1. */
static int parse_int32(const char *t, int *out)
{
    const char *d = t + (*t == '+' || *t == '-');
    if (!*d)
        return -1;
    for (const char *p = d; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    long v = strtol(t, NULL, 10);
    if (errno || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

/* The report command called name, or, pprof's abbreviation, one whose name
 * is name less its trailing digits ("top10"): *digits then points at them
 * in name (else NULL). NULL when neither. */
static const shell_command *command_of(const char *name, const char **digits)
{
    *digits = NULL;
    const shell_command *cmd = shell_command_named(name);
    size_t n = strlen(name), d = n;
    while (!cmd && d > 0 && isdigit((unsigned char)name[d - 1]))
        d--;
    if (cmd || d == 0 || d == n)
        return cmd;
    char *prefix = copy_n(name, d);
    cmd = shell_command_named(prefix);
    free(prefix);
    if (cmd)
        *digits = name + d;
    return cmd;
}

/* parseCommandLine: words (the command first) into c. */
static void parse_report(const strlist *words, shell_cmd *c)
{
    const char *digits;
    const shell_command *cmd = command_of(words->v[0], &digits);
    if (!cmd) {
        const char *choice;
        if (shell_option_named(words->v[0], &choice))
            set_error(c, "did you mean: %s=%s", words->v[0], words->n > 1 ? words->v[1] : "<val>");
        else
            set_error(c, "unrecognized command: \"%s\"", words->v[0]);
        return;
    }
    /* The arguments: top10's digits first, then the words after the command. */
    strlist args = {0};
    if (digits)
        strlist_push(&args, digits);
    for (size_t i = 1; i < words->n; i++)
        strlist_push(&args, words->v[i]);
    c->kind = SHELL_REPORT;
    c->name = strdup(cmd->name);
    size_t i = 0;
    if (cli_report_kind(cmd->report) == 1) {
        if (args.n == 0) {
            free(c->name);
            c->name = NULL;
            set_error(c, "command %s requires an argument", cmd->name);
            goto done;
        }
        c->value = strdup(args.v[i++]);
    }
    for (; i < args.n; i++) {
        const char *t = args.v[i];
        int n;
        if (parse_int32(t, &n) == 0) {
            c->nodecount = n, c->has_nodecount = true;
        } else if (t[0] == '>') {
            const char *file = t + 1;
            if (!*file) {
                if (++i >= args.n) {
                    set_error(c, "unexpected end of line after >");
                    goto done;
                }
                file = args.v[i];
            }
            free(c->output);
            c->output = strdup(file);
        } else if (t[0] == '-') {
            if (!strcmp(t, "-cum") || !strcmp(t, "--cum"))
                c->cum = true;
            else
                cat_regex(&c->ignore, t + 1);
        } else {
            cat_regex(&c->focus, t);
        }
    }
done:
    strlist_free(&args);
}

/* One input (a line, or a shortcut's expansion) into c. */
static void parse_input(const char *input, shell_cmd *c)
{
    memset(c, 0, sizeof *c);
    const char *eq = strchr(input, '=');
    size_t name_len = eq ? (size_t)(eq - input) : strlen(input);
    const char *name = trim(input, &name_len);
    char *key = copy_n(name, name_len);
    const char *choice;
    const shell_option *o = shell_option_named(key, &choice);
    if (o) {
        bool is_bool = o->kind == SOPT_BOOL || choice;
        if (!eq && !is_bool) {
            set_error(c, "please specify a value, e.g. %s=<val>", key);
            free(key);
            return;
        }
        c->kind = SHELL_SET;
        c->name = key;
        if (eq) {
            const char *v = eq + 1, *comment = NULL;
            for (const char *s = strstr(v, "//:"); s; s = strstr(s + 1, "//:"))
                comment = s; /* the last one */
            size_t n = comment ? (size_t)(comment - v) : strlen(v);
            v = trim(v, &n);
            c->value = copy_n(v, n);
        }
        return;
    }
    free(key);
    strlist words = {0};
    fields(input, &words);
    if (words.n == 0) {
        c->kind = SHELL_NOTHING;
    } else if (!strcmp(words.v[0], "o") || !strcmp(words.v[0], "options")) {
        c->kind = SHELL_OPTIONS;
    } else if (!strcmp(words.v[0], "exit") || !strcmp(words.v[0], "quit") ||
               !strcmp(words.v[0], "q")) {
        c->kind = SHELL_QUIT;
    } else if (!strcmp(words.v[0], "help")) {
        buf topic;
        buf_init(&topic);
        for (size_t i = 1; i < words.n; i++)
            buf_printf(&topic, "%s%s", i > 1 ? " " : "", words.v[i]);
        c->kind = SHELL_HELP;
        c->name = copy_n(topic.data ? (const char *)topic.data : "", topic.len);
        buf_free(&topic);
    } else {
        parse_report(&words, c);
    }
    strlist_free(&words);
}

void shell_parse(const char *line, const char *const *types, size_t n_types, shell_line *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(line);
    if (len > SHELL_MAX_LINE) {
        out->n = 1;
        set_error(&out->cmds[0], "line too long (%zu bytes; at most %d)", len, SHELL_MAX_LINE);
        return;
    }
    const char *input = trim(line, &len);
    char *trimmed = copy_n(input, len);
    static const char *const clear[] = {"focus=", "ignore=", "hide=", "tagfocus=", "tagignore="};
    if (!strcmp(trimmed, ":")) {
        for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
            parse_input(clear[i], &out->cmds[out->n++]);
        free(trimmed);
        return;
    }
    for (size_t i = 0; i < n_types; i++)
        if (!strcmp(trimmed, types[i])) {
            char *set = NULL;
            if (asprintf(&set, "sample_index=%s", types[i]) < 0)
                abort();
            parse_input(set, &out->cmds[out->n++]);
            free(set);
            free(trimmed);
            return;
        }
    parse_input(trimmed, &out->cmds[out->n++]);
    free(trimmed);
}

void shell_line_free(shell_line *l)
{
    for (size_t i = 0; i < l->n; i++) {
        shell_cmd *c = &l->cmds[i];
        free(c->name);
        free(c->value);
        free(c->focus);
        free(c->ignore);
        free(c->output);
        free(c->error);
    }
    memset(l, 0, sizeof *l);
}
