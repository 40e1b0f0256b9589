/*
 * options.c — command-line parsing (see options.h).
 *
 * Table-driven (flags.h, the parser every command shares): every option
 * has a kind (flag, string, integer, number) and an id that says what it
 * sets. Names and meanings
 * are go tool pprof's, so `-sample_index=alloc_space -focus=foo` works the
 * same in both tools; the report can also be chosen pprof-style with a flag
 * (-top, -peek=REGEX, -proto ...). Options and sources may be interleaved;
 * "--" ends the options. Conflicts pprof rejects (two reports, two
 * granularities, -base with -diff_base) are errors here too.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flags.h"

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
    O_MAX_SIZE,
    O_TOKEN,
    O_HEADER,
    O_SOURCE_PATH,
    O_TRIM_PATH,
    O_HTTP,
    O_NO_BROWSER,
    O_SYMBOL_DIR,
    O_DEBUGINFOD,
    O_SYMBOLIZE,
    O_TRIM,
    O_RELATIVE_PERCENTAGES,
    O_NORMALIZE,
    O_DIVIDE_BY,
    O_ADD_COMMENT,
    O_TAGROOT,
    O_TAGLEAF,
    O_MEAN,
    O_CALL_TREE,
    O_BUILDID,
};

static const flag_spec specs[] = {
    {"h", FLAG_BOOL, O_HELP},
    {"help", FLAG_BOOL, O_HELP},
    {"version", FLAG_BOOL, O_VERSION},
    {"top", FLAG_BOOL, O_REPORT},
    {"text", FLAG_BOOL, O_REPORT},
    {"traces", FLAG_BOOL, O_REPORT},
    {"tree", FLAG_BOOL, O_REPORT},
    {"tags", FLAG_BOOL, O_REPORT},
    {"proto", FLAG_BOOL, O_REPORT},
    {"collapsed", FLAG_BOOL, O_REPORT},
    {"comments", FLAG_BOOL, O_REPORT},
    {"raw", FLAG_BOOL, O_REPORT},
    {"svg", FLAG_BOOL, O_REPORT},
    {"dot", FLAG_BOOL, O_REPORT},
    {"callgraph_svg", FLAG_BOOL, O_REPORT},
    {"peek", FLAG_STRING, O_REPORT},
    {"list", FLAG_STRING, O_REPORT},
    {"disasm", FLAG_STRING, O_REPORT},
    {"weblist", FLAG_STRING, O_REPORT},
    {"sample_index", FLAG_STRING, O_SAMPLE_INDEX},
    {"inuse_space", FLAG_BOOL, O_SI_SHORTCUT},
    {"inuse_objects", FLAG_BOOL, O_SI_SHORTCUT},
    {"alloc_space", FLAG_BOOL, O_SI_SHORTCUT},
    {"alloc_objects", FLAG_BOOL, O_SI_SHORTCUT},
    {"total_delay", FLAG_BOOL, O_SI_SHORTCUT},
    {"contentions", FLAG_BOOL, O_SI_SHORTCUT},
    {"mean_delay", FLAG_BOOL, O_SI_SHORTCUT},
    {"focus", FLAG_STRING, O_FOCUS},
    {"ignore", FLAG_STRING, O_IGNORE},
    {"hide", FLAG_STRING, O_HIDE},
    {"show", FLAG_STRING, O_SHOW},
    {"show_from", FLAG_STRING, O_SHOW_FROM},
    {"prune_from", FLAG_STRING, O_PRUNE_FROM},
    {"tagfocus", FLAG_STRING, O_TAGFOCUS},
    {"tagignore", FLAG_STRING, O_TAGIGNORE},
    {"tagshow", FLAG_STRING, O_TAGSHOW},
    {"taghide", FLAG_STRING, O_TAGHIDE},
    {"functions", FLAG_BOOL, O_GRANULARITY},
    {"filefunctions", FLAG_BOOL, O_GRANULARITY},
    {"files", FLAG_BOOL, O_GRANULARITY},
    {"lines", FLAG_BOOL, O_GRANULARITY},
    {"addresses", FLAG_BOOL, O_GRANULARITY},
    {"noinlines", FLAG_BOOL, O_NOINLINES},
    {"base", FLAG_STRING, O_BASE},
    {"diff_base", FLAG_STRING, O_DIFF_BASE},
    {"unit", FLAG_STRING, O_UNIT},
    {"output", FLAG_STRING, O_OUTPUT},
    {"o", FLAG_STRING, O_OUTPUT},
    {"cum", FLAG_BOOL, O_CUM},
    {"flat", FLAG_BOOL, O_FLAT},
    {"nodecount", FLAG_INT, O_NODECOUNT},
    {"nodefraction", FLAG_FLOAT, O_NODEFRACTION},
    {"edgefraction", FLAG_FLOAT, O_EDGEFRACTION},
    {"drop_negative", FLAG_BOOL, O_DROP_NEGATIVE},
    {"compact_labels", FLAG_BOOL, O_COMPACT_LABELS},
    {"seconds", FLAG_INT, O_SECONDS},
    {"timeout", FLAG_INT, O_TIMEOUT},
    {"max_size", FLAG_STRING, O_MAX_SIZE},
    {"token", FLAG_STRING, O_TOKEN},
    {"H", FLAG_STRING, O_HEADER},
    {"header", FLAG_STRING, O_HEADER},
    {"source_path", FLAG_STRING, O_SOURCE_PATH},
    {"trim_path", FLAG_STRING, O_TRIM_PATH},
    {"http", FLAG_STRING, O_HTTP},
    {"no_browser", FLAG_BOOL, O_NO_BROWSER},
    {"symbol_dir", FLAG_STRING, O_SYMBOL_DIR},
    {"debuginfod", FLAG_BOOL, O_DEBUGINFOD},
    {"symbolize", FLAG_STRING, O_SYMBOLIZE},
    {"trim", FLAG_BOOL, O_TRIM},
    {"relative_percentages", FLAG_BOOL, O_RELATIVE_PERCENTAGES},
    {"normalize", FLAG_BOOL, O_NORMALIZE},
    {"divide_by", FLAG_FLOAT, O_DIVIDE_BY},
    {"add_comment", FLAG_STRING, O_ADD_COMMENT},
    {"tagroot", FLAG_STRING, O_TAGROOT},
    {"tagleaf", FLAG_STRING, O_TAGLEAF},
    {"mean", FLAG_BOOL, O_MEAN},
    {"call_tree", FLAG_BOOL, O_CALL_TREE},
    {"buildid", FLAG_STRING, O_BUILDID},
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
    {"disasm", FMT_DISASM, true},
    {"weblist", FMT_WEBLIST, true},
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
          "       cprof push [OPTIONS] SOURCE... -to URL  to Grafana Pyroscope (cprof push -help)\n"
          "\n"
          "Reads profile.proto profiles (gzip or raw; Go's or cprof's) from files or URLs\n"
          "(http://host:port/debug/pprof/heap) and prints go tool pprof's reports.\n"
          "\n"
          "Reports (also as flags: -top, -peek=REGEX, ...; without one: the interactive\n"
          "shell when stdin is a terminal, else top):\n"
          "  top | text       flat, flat%, sum%, cum, cum% per function\n"
          "  traces           every sample's stack\n"
          "  peek REGEX       callers and callees of matching functions\n"
          "  tree             callers and callees of every function\n"
          "  list REGEX       annotated source of matching functions\n"
          "  disasm REGEX     annotated disassembly of matching functions (objdump)\n"
          "  weblist REGEX    annotated source with its disassembly, as HTML\n"
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
          "  -trim=false            no trimming (nodecount, nodefraction, edgefraction)\n"
          "  -relative_percentages  percentages of what -focus & co. keep\n"
          "  -normalize             scale the sources to the base's total\n"
          "  -divide_by=X           divide every value by X\n"
          "  -tagroot=KEYS -tagleaf=KEYS  labels as frames at the root / the leaf\n"
          "  -compact_labels        fewer header lines\n"
          "  -add_comment=TEXT      a comment added to the profile\n"
          "  -total_delay -contentions  -sample_index=delay / contentions\n"
          "  -mean                  values over the first value (count); -mean_delay\n"
          "  -call_tree             graphs (dot, callgraph_svg): a node per calling context\n"
          "  -unit=UNIT             ms, s, MB, ... (default: chosen per report)\n"
          "  -output=FILE (-o)      write the report to FILE\n"
          "  -source_path=DIRS -trim_path=PREFIXES   where list, weblist find sources\n"
          "Fetching:\n"
          "  -seconds=N             CPU or delta profile duration\n"
          "  -timeout=N             seconds (default: 1.5 x duration, or 60)\n"
          "  -max_size=BYTES        cap on a profile downloaded, read or decompressed,\n"
          "                         each (K, M, G suffixes: KiB...; default 2G)\n"
          "  --token=T              send Authorization: Bearer T\n"
          "  -H 'Name: value'       extra request header (repeatable)\n"
          "Symbolization (of profiles without functions, e.g. CPROF_SYMBOLIZE=off):\n"
          "  -symbol_dir=DIR        look for binaries and .debug files here first\n"
          "                         (repeatable; also $CPROF_SYMBOL_PATH=DIR:DIR): by\n"
          "                         build ID (DIR/.build-id/xx/rest.debug), NAME.debug,\n"
          "                         NAME, DIR/PATH; then the mapped file, then\n"
          "                         /usr/lib/debug/.build-id\n"
          "  -debuginfod            also ask $DEBUGINFOD_URLS for missing debug info\n"
          "  -symbolize=none        leave addresses as they are (default: local)\n"
          "  -buildid=ID            the build ID of the main binary (first mapping)\n"
          "Web UI:\n"
          "  -http=[HOST]:PORT      serve views in a browser (HOST default 127.0.0.1;\n"
          "                         port 0 picks a free one); -no_browser is implied\n"
          "Fetched profiles are saved under $CPROF_HOME (default $HOME/cprof).\n"
          "Regular expressions are POSIX extended, matched anywhere in the name\n"
          "(no backreferences; repetition counts up to 1000, as in RE2).\n",
          out);
}

/* -max_size=BYTES[K|M|G] (binary multiples): the process's profile size
 * cap. 0, or -1 with err for anything but a positive size. */
static int set_max_size(const char *value, cp_err *err)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    int shift = 0;
    if (*end && !end[1]) {
        const char *units = "KMGT", *u = strchr(units, toupper((unsigned char)*end));
        if (u && *u) {
            shift = 10 * (int)(u - units + 1);
            end++;
        }
    }
    if (errno || end == value || *end || !isdigit((unsigned char)*value) || n == 0 ||
        n > (SIZE_MAX >> 1) >> shift) {
        cp_err_set(err, "invalid value \"%s\" for max_size: want a number of bytes (K, M, G)",
                   value);
        return -1;
    }
    profile_set_size_limit((size_t)n << shift);
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

/* -symbolize=MODE: pprof's colon-separated words. none (or no) leaves
 * addresses; local, fastlocal and force symbolize what has no functions
 * from local files (cprof's one way; it never re-symbolizes a mapping that
 * has functions); remote (pprof asks the profile's server) is refused.
 * demangle=... is accepted (names are kept as the profile has them). 0, or
 * -1 with err. */
static int set_symbolize(cli *c, const char *value, cp_err *err)
{
    bool none = false;
    const char *w = value;
    while (*w) {
        size_t n = strcspn(w, ":");
        if ((n == 4 && !strncasecmp(w, "none", 4)) || (n == 2 && !strncasecmp(w, "no", 2)))
            none = true;
        else if (n == 6 && !strncasecmp(w, "remote", 6)) {
            cp_err_set(err, "-symbolize=remote is not supported: cprof symbolizes from local "
                            "files (-symbol_dir)");
            return -1;
        } else if (!((n == 5 && !strncasecmp(w, "local", 5)) ||
                     (n == 9 && !strncasecmp(w, "fastlocal", 9)) ||
                     (n == 5 && !strncasecmp(w, "force", 5)) || !strncasecmp(w, "demangle=", 9) ||
                     n == 0)) {
            cp_err_set(err,
                       "invalid value \"%s\" for symbolize: want none, local, fastlocal or force",
                       value);
            return -1;
        }
        w += n + (w[n] == ':');
    }
    c->symbolize.none = none;
    return 0;
}

/* The command line being parsed (flags_parse's ctx). */
typedef struct parse_state {
    cli *c;
    bool report_set, seen_positional;
    const char *granularity_opt;
    const char *shortcut;
    bool help, version, base, diff_base;
} parse_state;

/* flag_table.set: one option into st->c. 0, or -1 with err. */
static int set_option(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err)
{
    parse_state *st = ctx;
    cli *c = st->c;
    const char *value = v->str;
    switch ((enum id)s->id) {
    case O_HELP:
        st->help = v->on;
        return 0;
    case O_VERSION:
        st->version = v->on;
        return 0;
    case O_REPORT:
        if (!v->on)
            return 0;
        return set_report(c, s->name, value, &st->report_set, err);
    case O_SAMPLE_INDEX:
        c->sample_index = value;
        return 0;
    case O_SI_SHORTCUT:
        if (!v->on)
            return 0;
        if (st->shortcut)
            fprintf(stderr, "Multiple value selections, ignoring -%s\n", s->name);
        else /* -total_delay is -sample_index=delay; -mean_delay also -mean */
            st->shortcut = !strcmp(s->name, "total_delay") || !strcmp(s->name, "mean_delay")
                               ? "delay"
                               : s->name;
        if (!strcmp(s->name, "mean_delay"))
            c->mean = true;
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
        if (!v->on)
            return 0;
        if (st->granularity_opt && strcmp(st->granularity_opt, s->name) != 0) {
            cp_err_set(err, "conflicting options set: [%s %s]", st->granularity_opt, s->name);
            return -1;
        }
        st->granularity_opt = c->granularity = s->name;
        return 0;
    case O_NOINLINES:
        c->noinlines = v->on;
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
        c->output = *value ? value : NULL; /* -output="": stdout, as in pprof */
        return 0;
    case O_CUM:
        c->cum = v->on;
        return 0;
    case O_FLAT:
        c->cum = !v->on;
        return 0;
    case O_DROP_NEGATIVE:
        c->drop_negative = v->on;
        return 0;
    case O_COMPACT_LABELS:
        c->compact_labels = v->on;
        return 0;
    case O_NODECOUNT:
        c->nodecount = (int)v->num;
        return 0;
    case O_SECONDS:
        c->fetch.seconds = (int)v->num;
        return 0;
    case O_TIMEOUT:
        c->fetch.timeout = (int)v->num;
        return 0;
    case O_MAX_SIZE:
        return set_max_size(value, err);
    case O_NODEFRACTION:
        c->nodefraction = v->real;
        return 0;
    case O_EDGEFRACTION:
        c->edgefraction = v->real;
        return 0;
    case O_TOKEN:
        c->fetch.token = value;
        return 0;
    case O_HEADER:
        return fetch_add_header(&c->fetch, value, err);
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
    case O_SYMBOL_DIR:
        if (*value)
            strlist_push(&c->symbolize.dirs, value);
        return 0;
    case O_DEBUGINFOD:
        c->symbolize.debuginfod = v->on;
        return 0;
    case O_SYMBOLIZE:
        return set_symbolize(c, value, err);
    case O_TRIM:
        c->trim = v->on;
        return 0;
    case O_RELATIVE_PERCENTAGES:
        c->relative_percentages = v->on;
        return 0;
    case O_NORMALIZE:
        c->normalize = v->on;
        return 0;
    case O_DIVIDE_BY:
        c->divide_by = v->real;
        return 0;
    case O_ADD_COMMENT:
        c->comment = value;
        return 0;
    case O_TAGROOT:
        c->tagroot = value;
        return 0;
    case O_TAGLEAF:
        c->tagleaf = value;
        return 0;
    case O_MEAN:
        c->mean = v->on;
        return 0;
    case O_CALL_TREE:
        c->call_tree = v->on;
        return 0;
    case O_BUILDID:
        c->build_id = value;
        return 0;
    }
    return 0;
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
    c->trim = true;
    c->divide_by = 1;
    c->source_path = c->trim_path = "";
    c->fetch.seconds = c->fetch.timeout = -1;
}

int cli_report_kind(const char *name)
{
    for (size_t i = 0; i < N_REPORTS; i++)
        if (!strcmp(reports[i].name, name))
            return reports[i].takes_regex;
    return -1;
}

static bool is_report_name(const char *s)
{
    return cli_report_kind(s) >= 0;
}

/* flag_table.arg: the first argument names the report when it can (a
 * file called "top" is then "./top"; peek and list take the next one as
 * their regexp); the rest are sources. 0, or -1 with err. */
static int set_argument(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err)
{
    parse_state *st = ctx;
    const char *a = argv[*i];
    bool report_word =
        !st->seen_positional && !after_dashes && !st->report_set && is_report_name(a);
    st->seen_positional = true;
    if (!report_word) {
        strlist_push(&st->c->sources, a);
        return 0;
    }
    set_report(st->c, a, NULL, &st->report_set, err);
    if (st->c->format == FMT_PEEK || st->c->format == FMT_LIST) {
        if (*i + 1 >= argc) {
            cp_err_set(err, "%s needs a regular expression", a);
            return -1;
        }
        st->c->symbol = argv[++*i];
    }
    return 0;
}

static const flag_table cli_flags = {
    .prefix = "",
    .hint = "cprof -help lists them",
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .set = set_option,
    .arg = set_argument,
};

enum cli_result cli_parse(int argc, char **argv, cli *c, cp_err *err)
{
    parse_state st = {.c = c};
    cli_defaults(c);
    if (flags_parse(&cli_flags, argc, argv, &st, err) != 0)
        return CLI_ERROR;
    if (st.help) {
        cli_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (st.version) {
        puts("cprof 0.1.0");
        return CLI_EXIT_OK;
    }
    c->report_given = st.report_set;
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

int cli_set(cli *c, const char *name, const char *value, cp_err *err)
{
    parse_state st = {.c = c};
    return flags_set(&cli_flags, name, value, &st, err);
}

void cli_free(cli *c)
{
    strlist_free(&c->sources);
    strlist_free(&c->bases);
    free(c->fetch.headers);
    symbolize_opts_free(&c->symbolize);
}
