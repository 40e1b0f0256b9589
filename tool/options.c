/*
 * options.c — command-line parsing (see options.h).
 *
 * Table-driven: every option has a kind (flag, string, integer, number,
 * repeatable string) and an id that says what it sets. Names and meanings
 * are go tool pprof's, so `-sample_index=alloc_space -focus=foo` works the
 * same in both tools; the report can also be chosen pprof-style with a flag
 * (-top, -peek=REGEX, -proto ...). Options and sources may be interleaved;
 * "--" ends the options. Conflicts pprof rejects (two reports, two
 * granularities, -base with -diff_base) are errors here too.
 */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_FLAG, K_STRING, K_INT, K_FLOAT, K_LIST };

enum id {
    O_HELP,
    O_VERSION,
    O_REPORT, /* -top, -peek=..., ...: the report named like the option */
    O_SAMPLE_INDEX,
    O_SI_SHORTCUT, /* -inuse_space ...: the sample index named like the option */
    O_FOCUS,
    O_IGNORE,
    O_HIDE,
    O_SHOW,
    O_SHOW_FROM,
    O_PRUNE_FROM,
    O_TAGFOCUS,
    O_TAGIGNORE,
    O_TAGSHOW,
    O_TAGHIDE,
    O_GRANULARITY, /* -functions ...: named like the option */
    O_NOINLINES,
    O_BASE,
    O_DIFF_BASE,
    O_UNIT,
    O_OUTPUT,
    O_CUM,
    O_FLAT,
    O_NODECOUNT,
    O_NODEFRACTION,
    O_EDGEFRACTION,
    O_DROP_NEGATIVE,
    O_COMPACT_LABELS,
    O_SECONDS,
    O_TIMEOUT,
    O_TOKEN,
    O_HEADER,
    O_SOURCE_PATH,
    O_TRIM_PATH,
    O_HTTP,
    O_NO_BROWSER,
};

typedef struct spec {
    const char *name;
    enum kind kind;
    enum id id;
} spec;

static const spec specs[] = {
    {"h", K_FLAG, O_HELP},
    {"help", K_FLAG, O_HELP},
    {"version", K_FLAG, O_VERSION},
    {"top", K_FLAG, O_REPORT},
    {"text", K_FLAG, O_REPORT},
    {"traces", K_FLAG, O_REPORT},
    {"tree", K_FLAG, O_REPORT},
    {"tags", K_FLAG, O_REPORT},
    {"proto", K_FLAG, O_REPORT},
    {"collapsed", K_FLAG, O_REPORT},
    {"comments", K_FLAG, O_REPORT},
    {"raw", K_FLAG, O_REPORT},
    {"svg", K_FLAG, O_REPORT},
    {"dot", K_FLAG, O_REPORT},
    {"callgraph_svg", K_FLAG, O_REPORT},
    {"peek", K_STRING, O_REPORT},
    {"list", K_STRING, O_REPORT},
    {"sample_index", K_STRING, O_SAMPLE_INDEX},
    {"inuse_space", K_FLAG, O_SI_SHORTCUT},
    {"inuse_objects", K_FLAG, O_SI_SHORTCUT},
    {"alloc_space", K_FLAG, O_SI_SHORTCUT},
    {"alloc_objects", K_FLAG, O_SI_SHORTCUT},
    {"focus", K_STRING, O_FOCUS},
    {"ignore", K_STRING, O_IGNORE},
    {"hide", K_STRING, O_HIDE},
    {"show", K_STRING, O_SHOW},
    {"show_from", K_STRING, O_SHOW_FROM},
    {"prune_from", K_STRING, O_PRUNE_FROM},
    {"tagfocus", K_STRING, O_TAGFOCUS},
    {"tagignore", K_STRING, O_TAGIGNORE},
    {"tagshow", K_STRING, O_TAGSHOW},
    {"taghide", K_STRING, O_TAGHIDE},
    {"functions", K_FLAG, O_GRANULARITY},
    {"filefunctions", K_FLAG, O_GRANULARITY},
    {"files", K_FLAG, O_GRANULARITY},
    {"lines", K_FLAG, O_GRANULARITY},
    {"addresses", K_FLAG, O_GRANULARITY},
    {"noinlines", K_FLAG, O_NOINLINES},
    {"base", K_LIST, O_BASE},
    {"diff_base", K_LIST, O_DIFF_BASE},
    {"unit", K_STRING, O_UNIT},
    {"output", K_STRING, O_OUTPUT},
    {"o", K_STRING, O_OUTPUT},
    {"cum", K_FLAG, O_CUM},
    {"flat", K_FLAG, O_FLAT},
    {"nodecount", K_INT, O_NODECOUNT},
    {"nodefraction", K_FLOAT, O_NODEFRACTION},
    {"edgefraction", K_FLOAT, O_EDGEFRACTION},
    {"drop_negative", K_FLAG, O_DROP_NEGATIVE},
    {"compact_labels", K_FLAG, O_COMPACT_LABELS},
    {"seconds", K_INT, O_SECONDS},
    {"timeout", K_INT, O_TIMEOUT},
    {"token", K_STRING, O_TOKEN},
    {"H", K_LIST, O_HEADER},
    {"header", K_LIST, O_HEADER},
    {"source_path", K_STRING, O_SOURCE_PATH},
    {"trim_path", K_STRING, O_TRIM_PATH},
    {"http", K_STRING, O_HTTP},
    {"no_browser", K_FLAG, O_NO_BROWSER},
};

static const struct {
    const char *name;
    enum report_format format;
    bool takes_regex;
} reports[] = {
    {"top", FMT_TOP, false},
    {"text", FMT_TOP, false},
    {"traces", FMT_TRACES, false},
    {"tree", FMT_TREE, false},
    {"peek", FMT_PEEK, true},
    {"list", FMT_LIST, true},
    {"tags", FMT_TAGS, false},
    {"proto", FMT_PROTO, false},
    {"collapsed", FMT_COLLAPSED, false},
    {"comments", FMT_COMMENTS, false},
    {"raw", FMT_RAW, false},
    {"svg", FMT_SVG, false},
    {"dot", FMT_DOT, false},
    {"callgraph_svg", FMT_CALLGRAPH_SVG, false},
};
#define N_REPORTS (sizeof reports / sizeof reports[0])

void cli_usage(FILE *out)
{
    fputs("usage: cprof [REPORT] [OPTIONS] SOURCE...\n"
          "       cprof watch [OPTIONS] URL...|FILE...   leak finder (cprof watch -help)\n"
          "\n"
          "Reads profile.proto profiles (gzip or raw; Go's or cprof's) from files or URLs\n"
          "(http://host:port/debug/pprof/heap) and prints go tool pprof's reports.\n"
          "\n"
          "Reports (default top; also as flags: -top, -peek=REGEX, ...):\n"
          "  top | text       flat, flat%, sum%, cum, cum% per function\n"
          "  traces           every sample's stack\n"
          "  peek REGEX       callers and callees of matching functions\n"
          "  tree             callers and callees of every function\n"
          "  list REGEX       annotated source of matching functions\n"
          "  tags             label values and their weights\n"
          "  collapsed        folded stacks for flamegraph.pl\n"
          "  proto            the merged, filtered profile (gzip profile.proto)\n"
          "  comments         the profile's comments\n"
          "  raw              the whole profile as text (pprof -raw)\n"
          "  svg              flame graph, one self-contained SVG\n"
          "  dot              call graph in graphviz DOT\n"
          "  callgraph_svg    call graph as SVG (needs graphviz's dot)\n"
          "\n"
          "Options (as in go tool pprof):\n"
          "  -sample_index=NAME|N   value to show; shortcuts -inuse_space -inuse_objects\n"
          "                         -alloc_space -alloc_objects\n"
          "  -focus=RE -ignore=RE   keep samples through / not through matching frames\n"
          "  -hide=RE -show=RE      drop / keep only matching frames\n"
          "  -show_from=RE -prune_from=RE\n"
          "  -tagfocus=[KEY=]RE|RANGE -tagignore=...  keep/drop samples by label\n"
          "  -tagshow=RE -taghide=RE  keep/drop label keys\n"
          "  -functions -filefunctions -files -lines -addresses   granularity; -noinlines\n"
          "  -base=SRC              subtract SRC;  -diff_base=SRC  compare against SRC\n"
          "  -cum  -nodecount=N  -nodefraction=F  -edgefraction=F  -drop_negative\n"
          "  -unit=UNIT             ms, s, MB, ... (default: chosen per report)\n"
          "  -output=FILE (-o)      write the report to FILE\n"
          "  -source_path=DIRS -trim_path=PREFIXES   where list finds sources\n"
          "Fetching:\n"
          "  -seconds=N             CPU or delta profile duration\n"
          "  -timeout=N             seconds (default: 1.5 x duration, or 60)\n"
          "  --token=T              send Authorization: Bearer T\n"
          "  -H 'Name: value'       extra request header (repeatable)\n"
          "Web UI:\n"
          "  -http=[HOST]:PORT      serve views in a browser (HOST default 127.0.0.1;\n"
          "                         port 0 picks a free one); -no_browser is implied\n"
          "Fetched profiles are saved under $CPROF_HOME (default $HOME/cprof).\n"
          "Regular expressions are POSIX extended, matched anywhere in the name.\n",
          out);
}

static const spec *find_spec(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strlen(specs[i].name) == len && !strncmp(specs[i].name, name, len))
            return &specs[i];
    return NULL;
}

static int parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
        !strcmp(v, "TRUE") || !strcmp(v, "True"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") ||
             !strcmp(v, "FALSE") || !strcmp(v, "False"))
        *out = false;
    else
        return -1;
    return 0;
}

static int set_report(cli *c, const char *name, const char *regex, bool *report_set, cp_err *err)
{
    for (size_t i = 0; i < N_REPORTS; i++) {
        if (strcmp(reports[i].name, name) != 0)
            continue;
        if (*report_set) {
            cp_err_set(err, "must set at most one output format");
            return -1;
        }
        *report_set = true;
        c->format = reports[i].format;
        c->symbol = reports[i].takes_regex ? regex : NULL;
        return 0;
    }
    cp_err_set(err, "unknown report %s", name);
    return -1;
}

typedef struct parse_state {
    bool report_set;
    const char *granularity_opt;
    const char *shortcut;
    bool help, version, base, diff_base;
} parse_state;

static int apply(cli *c, parse_state *st, const spec *s, const char *value, bool flag, cp_err *err)
{
    char *end;
    switch (s->id) {
    case O_HELP:
        st->help = flag;
        return 0;
    case O_VERSION:
        st->version = flag;
        return 0;
    case O_REPORT:
        if (s->kind == K_FLAG && !flag)
            return 0;
        return set_report(c, s->name, value, &st->report_set, err);
    case O_SAMPLE_INDEX:
        c->sample_index = value;
        return 0;
    case O_SI_SHORTCUT:
        if (!flag)
            return 0;
        if (st->shortcut)
            fprintf(stderr, "Multiple value selections, ignoring -%s\n", s->name);
        else
            st->shortcut = s->name;
        return 0;
    case O_FOCUS:
        c->filters.focus = value;
        return 0;
    case O_IGNORE:
        c->filters.ignore = value;
        return 0;
    case O_HIDE:
        c->filters.hide = value;
        return 0;
    case O_SHOW:
        c->filters.show = value;
        return 0;
    case O_SHOW_FROM:
        c->filters.show_from = value;
        return 0;
    case O_PRUNE_FROM:
        c->filters.prune_from = value;
        return 0;
    case O_TAGFOCUS:
        c->filters.tagfocus = value;
        return 0;
    case O_TAGIGNORE:
        c->filters.tagignore = value;
        return 0;
    case O_TAGSHOW:
        c->filters.tagshow = value;
        return 0;
    case O_TAGHIDE:
        c->filters.taghide = value;
        return 0;
    case O_GRANULARITY:
        if (!flag)
            return 0;
        if (st->granularity_opt && strcmp(st->granularity_opt, s->name) != 0) {
            cp_err_set(err, "conflicting options set: [%s %s]", st->granularity_opt, s->name);
            return -1;
        }
        st->granularity_opt = c->granularity = s->name;
        return 0;
    case O_NOINLINES:
        c->noinlines = flag;
        return 0;
    case O_BASE:
    case O_DIFF_BASE:
        *(s->id == O_BASE ? &st->base : &st->diff_base) = true;
        if (st->base && st->diff_base) {
            cp_err_set(err, "-base and -diff_base flags cannot both be specified");
            return -1;
        }
        if (*value)
            strlist_push(&c->bases, value);
        c->diff_base = st->diff_base;
        return 0;
    case O_UNIT:
        c->unit = value;
        return 0;
    case O_OUTPUT:
        c->output = value;
        return 0;
    case O_CUM:
        c->cum = flag;
        return 0;
    case O_FLAT:
        c->cum = !flag;
        return 0;
    case O_DROP_NEGATIVE:
        c->drop_negative = flag;
        return 0;
    case O_COMPACT_LABELS:
        c->compact_labels = flag;
        return 0;
    case O_NODECOUNT:
    case O_SECONDS:
    case O_TIMEOUT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || *end || end == value || v < -1 || v > 1000000000) {
            cp_err_set(err, "invalid value \"%s\" for -%s: want an integer", value, s->name);
            return -1;
        }
        *(s->id == O_NODECOUNT ? &c->nodecount
          : s->id == O_SECONDS ? &c->fetch.seconds
                               : &c->fetch.timeout) = (int)v;
        return 0;
    }
    case O_NODEFRACTION:
    case O_EDGEFRACTION: {
        double v = strtod(value, &end);
        if (*end || end == value) {
            cp_err_set(err, "invalid value \"%s\" for -%s: want a number", value, s->name);
            return -1;
        }
        *(s->id == O_NODEFRACTION ? &c->nodefraction : &c->edgefraction) = v;
        return 0;
    }
    case O_TOKEN:
        c->fetch.token = value;
        return 0;
    case O_HEADER:
        if (!strchr(value, ':')) {
            cp_err_set(err, "header \"%s\" is not of the form 'Name: value'", value);
            return -1;
        }
        c->fetch.headers = xrealloc(c->fetch.headers, c->fetch.n_headers + 1, sizeof(char *));
        c->fetch.headers[c->fetch.n_headers++] = value;
        return 0;
    case O_SOURCE_PATH:
        c->source_path = value;
        return 0;
    case O_TRIM_PATH:
        c->trim_path = value;
        return 0;
    case O_HTTP:
        c->http = value;
        return 0;
    case O_NO_BROWSER: /* a browser is never started */
        return 0;
    }
    return 0;
}

/* One "-name[=value]" argument (value possibly in the next argument). */
static int parse_option(cli *c, parse_state *st, int argc, char **argv, int *i, cp_err *err)
{
    const char *arg = argv[*i] + 1 + (argv[*i][1] == '-');
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const spec *s = find_spec(arg, len);
    if (!s) {
        cp_err_set(err, "unknown option %s (cprof -help lists them)", argv[*i]);
        return -1;
    }
    if (s->kind == K_FLAG) {
        bool flag;
        if (parse_bool(eq ? eq + 1 : NULL, &flag) != 0) {
            cp_err_set(err, "invalid boolean value \"%s\" for -%s", eq + 1, s->name);
            return -1;
        }
        return apply(c, st, s, NULL, flag, err);
    }
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
        if (*i + 1 >= argc) {
            cp_err_set(err, "option -%s needs a value", s->name);
            return -1;
        }
        value = argv[++*i];
    }
    return apply(c, st, s, value, true, err);
}

static void cli_defaults(cli *c)
{
    memset(c, 0, sizeof *c);
    c->format = FMT_TOP;
    c->sample_index = "";
    c->granularity = "functions";
    c->unit = "minimum";
    c->nodecount = -1;
    c->nodefraction = 0.005;
    c->edgefraction = 0.001;
    c->source_path = c->trim_path = "";
    c->fetch.seconds = c->fetch.timeout = -1;
}

static bool is_report_name(const char *s)
{
    for (size_t i = 0; i < N_REPORTS; i++)
        if (!strcmp(reports[i].name, s))
            return true;
    return false;
}

enum cli_result cli_parse(int argc, char **argv, cli *c, cp_err *err)
{
    parse_state st = {0};
    bool options_done = false, seen_positional = false;
    cli_defaults(c);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && !strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        if (!options_done && a[0] == '-' && a[1]) {
            if (parse_option(c, &st, argc, argv, &i, err) != 0)
                return CLI_ERROR;
            continue;
        }
        /* The first positional argument names the report when it can
         * (a file called "top" is then "./top"); the rest are sources. */
        bool report_word = !seen_positional && !options_done && !st.report_set && is_report_name(a);
        seen_positional = true;
        if (!report_word) {
            strlist_push(&c->sources, a);
            continue;
        }
        set_report(c, a, NULL, &st.report_set, err);
        if (c->format == FMT_PEEK || c->format == FMT_LIST) {
            if (i + 1 >= argc) {
                cp_err_set(err, "%s needs a regular expression", a);
                return CLI_ERROR;
            }
            c->symbol = argv[++i];
        }
    }
    if (st.help) {
        cli_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (st.version) {
        puts("cprof 0.1.0");
        return CLI_EXIT_OK;
    }
    if (st.shortcut && !*c->sample_index)
        c->sample_index = st.shortcut;
    else if (st.shortcut)
        fprintf(stderr, "Multiple value selections, ignoring -%s\n", st.shortcut);
    if (c->sources.n == 0) {
        cp_err_set(err, "no profile source specified (cprof -help for usage)");
        return CLI_ERROR;
    }
    return CLI_OK;
}

void cli_free(cli *c)
{
    strlist_free(&c->sources);
    strlist_free(&c->bases);
    free(c->fetch.headers);
}
