/*
 * test_cprof_flags.c — the one option parser of the cprof commands
 * (tool/flags.c) and the two tables on it: `cprof` (options.c: pprof's
 * flags, a report word, sources) and `cprof watch` (watch.c). The syntax
 * (-x, --x, =value or the next argument, "--", "-", booleans, integers,
 * numbers), each command's defaults and what each option sets, and the
 * exact one-line messages the integration tests and docs/CLI.md rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flags.h"
#include "options.h"
#include "watch/watch.h"

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
/* cli_parse on the given words (argv[0] included). */
#define CLI(c, err, ...) cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), c, err)
#define WATCH(o, err, ...) watch_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err)

/* A command line that must fail, and its exact message. */
typedef struct error_case {
    const char *args[4]; /* after argv[0]; NULL-terminated when shorter */
    const char *msg;
} error_case;

/* argv (at least 6 slots) = argv0 then k's words, NULL-terminated: argc. */
static int case_argv(const char *argv0, const error_case *k, char **argv)
{
    int argc = 0;
    argv[argc++] = (char *)argv0;
    for (int i = 0; i < 4 && k->args[i]; i++)
        argv[argc++] = (char *)k->args[i];
    argv[argc] = NULL;
    return argc;
}

/* ---- the parser on a table of its own ------------------------------------ */

enum { T_BOOL, T_STR, T_INT, T_FLOAT };
static const flag_spec test_specs[] = {
    {"b", FLAG_BOOL, T_BOOL},
    {"s", FLAG_STRING, T_STR},
    {"n", FLAG_INT, T_INT},
    {"x", FLAG_FLOAT, T_FLOAT},
};

typedef struct seen {
    char log[512]; /* "b=1 s=v a=word a--=word ..." in the order called */
} seen;

static int test_set(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err)
{
    seen *r = ctx;
    size_t len = strlen(r->log);
    if (s->id == T_STR && !strcmp(v->str, "refuse")) {
        cp_err_set(err, "refused");
        return -1;
    }
    switch (s->id) {
    case T_BOOL:
        snprintf(r->log + len, sizeof r->log - len, "b=%d ", v->on);
        break;
    case T_STR:
        snprintf(r->log + len, sizeof r->log - len, "s=%s ", v->str);
        break;
    case T_INT:
        snprintf(r->log + len, sizeof r->log - len, "n=%ld ", v->num);
        break;
    default:
        snprintf(r->log + len, sizeof r->log - len, "x=%g ", v->real);
    }
    return 0;
}

static int test_arg(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err)
{
    (void)argc, (void)err;
    seen *r = ctx;
    size_t len = strlen(r->log);
    snprintf(r->log + len, sizeof r->log - len, "%s=%s ", after_dashes ? "a--" : "a", argv[*i]);
    return 0;
}

static const flag_table test_table = {
    .prefix = "t: ",
    .hint = "t -help",
    .specs = test_specs,
    .n_specs = sizeof test_specs / sizeof test_specs[0],
    .set = test_set,
    .arg = test_arg,
};

/* flags_parse on argv; its result, the log in r, the message in err. */
static int parse(seen *r, cp_err *err, int argc, char **argv)
{
    memset(r, 0, sizeof *r);
    err->msg[0] = 0;
    return flags_parse(&test_table, argc, argv, r, err);
}
#define PARSE(r, err, ...) parse(r, err, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_syntax(void **state)
{
    (void)state;
    seen r;
    cp_err err;
    assert_int_equal(
        PARSE(&r, &err, "t", "-b", "--s=v", "w1", "-n", "7", "-x=0.5", "-", "--", "-b", "--s=z"),
        0);
    assert_string_equal(r.log, "b=1 s=v a=w1 n=7 x=0.5 a=- a--=-b a--=--s=z ");
    /* a value may start with a dash, or be empty */
    assert_int_equal(PARSE(&r, &err, "t", "-s", "-b", "-s="), 0);
    assert_string_equal(r.log, "s=-b s= ");
    /* Go's boolean spellings */
    assert_int_equal(PARSE(&r, &err, "t", "-b=false", "-b=T", "-b=0", "--b=True", "-b=F"), 0);
    assert_string_equal(r.log, "b=0 b=1 b=0 b=1 b=0 ");
    /* integers from -1 to 1e9 */
    assert_int_equal(PARSE(&r, &err, "t", "-n=-1", "-n", "1000000000"), 0);
    assert_string_equal(r.log, "n=-1 n=1000000000 ");
}

static void test_errors(void **state)
{
    (void)state;
    seen r;
    cp_err err;
    static const error_case cases[] = {
        {{"--nope"}, "t: unknown option --nope (t -help)"},
        {{"-nope=1"}, "t: unknown option -nope=1 (t -help)"},
        {{"---s", "v"}, "t: unknown option ---s (t -help)"},
        {{"--s"}, "t: option --s needs a value"},
        {{"-b=yes"}, "t: invalid boolean value \"yes\" for -b"},
        {{"-n", "7x"}, "t: invalid value \"7x\" for -n: want an integer"},
        {{"--n=-2"}, "t: invalid value \"-2\" for --n: want an integer"},
        {{"-n", "1000000001"}, "t: invalid value \"1000000001\" for -n: want an integer"},
        {{"-n="}, "t: invalid value \"\" for -n: want an integer"},
        {{"-x", "1.5.2"}, "t: invalid value \"1.5.2\" for -x: want a number"},
        {{"-s", "refuse"}, "refused"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6];
        int argc = case_argv("t", &cases[i], argv);
        assert_int_equal(parse(&r, &err, argc, argv), -1);
        assert_string_equal(err.msg, cases[i].msg);
    }
    /* the first error stops the parse: nothing after it is set */
    assert_int_equal(PARSE(&r, &err, "t", "-s=a", "-n=q", "-b"), -1);
    assert_string_equal(r.log, "s=a ");
}

/* ---- cprof ------------------------------------------------------------------ */

static void test_cli_defaults(void **state)
{
    (void)state;
    cli c;
    cp_err err;
    assert_int_equal(CLI(&c, &err, "cprof", "a.pb.gz"), CLI_OK);
    assert_int_equal(c.format, FMT_TOP);
    assert_int_equal(c.sources.n, 1);
    assert_string_equal(c.sources.v[0], "a.pb.gz");
    assert_string_equal(c.sample_index, "");
    assert_string_equal(c.granularity, "functions");
    assert_string_equal(c.unit, "minimum");
    assert_int_equal(c.nodecount, -1);
    assert_true(c.nodefraction == 0.005 && c.edgefraction == 0.001);
    assert_int_equal(c.fetch.seconds, -1);
    assert_int_equal(c.fetch.timeout, -1);
    assert_null(c.symbol);
    assert_null(c.output);
    assert_null(c.http);
    assert_false(c.cum);
    cli_free(&c);
}

static void test_cli_options(void **state)
{
    (void)state;
    cli c;
    cp_err err;
    assert_int_equal(CLI(&c, &err, "cprof", "-seconds", "5", "peek", "^foo$", "a", "--nodecount=3",
                         "-H", "A: 1", "-header=B: 2", "--token", "T", "-cum", "-lines",
                         "-nodefraction=0.25", "-alloc_space", "-focus", "f", "-diff_base=base",
                         "-o", "out", "--", "-b", "top"),
                     CLI_OK);
    assert_int_equal(c.format, FMT_PEEK);
    assert_string_equal(c.symbol, "^foo$");
    assert_int_equal(c.sources.n, 3);
    assert_string_equal(c.sources.v[0], "a");
    assert_string_equal(c.sources.v[1], "-b");
    assert_string_equal(c.sources.v[2], "top");
    assert_int_equal(c.fetch.seconds, 5);
    assert_int_equal(c.nodecount, 3);
    assert_int_equal(c.fetch.n_headers, 2);
    assert_string_equal(c.fetch.headers[0], "A: 1");
    assert_string_equal(c.fetch.headers[1], "B: 2");
    assert_string_equal(c.fetch.token, "T");
    assert_true(c.cum);
    assert_string_equal(c.granularity, "lines");
    assert_true(c.nodefraction == 0.25);
    assert_string_equal(c.sample_index, "alloc_space");
    assert_string_equal(c.filters.focus, "f");
    assert_true(c.diff_base);
    assert_int_equal(c.bases.n, 1);
    assert_string_equal(c.bases.v[0], "base");
    assert_string_equal(c.output, "out");
    cli_free(&c);

    /* a report as a flag; then a report word is a source; -flat undoes -cum */
    assert_int_equal(CLI(&c, &err, "cprof", "-list=main", "top", "-cum", "-flat"), CLI_OK);
    assert_int_equal(c.format, FMT_LIST);
    assert_string_equal(c.symbol, "main");
    assert_int_equal(c.sources.n, 1);
    assert_string_equal(c.sources.v[0], "top");
    assert_false(c.cum);
    cli_free(&c);

    /* "--" first: the report word is a source */
    assert_int_equal(CLI(&c, &err, "cprof", "--", "tree"), CLI_OK);
    assert_int_equal(c.format, FMT_TOP);
    assert_string_equal(c.sources.v[0], "tree");
    cli_free(&c);

    assert_int_equal(CLI(&c, &err, "cprof", "-version"), CLI_EXIT_OK);
    cli_free(&c);
}

static void test_cli_errors(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {{"--bogus", "a"}, "unknown option --bogus (cprof -help lists them)"},
        {{"a", "-seconds"}, "option -seconds needs a value"},
        {{"-nodecount=x", "a"}, "invalid value \"x\" for -nodecount: want an integer"},
        {{"-edgefraction", "1/2", "a"}, "invalid value \"1/2\" for -edgefraction: want a number"},
        {{"-cum=maybe", "a"}, "invalid boolean value \"maybe\" for -cum"},
        {{"-H", "NoColon", "a"}, "header \"NoColon\" is not of the form 'Name: value'"},
        {{"-top", "-tree", "a"}, "must set at most one output format"},
        {{"-base=x", "-diff_base=y", "a"}, "-base and -diff_base flags cannot both be specified"},
        {{"-lines", "-files", "a"}, "conflicting options set: [lines files]"},
        {{"list"}, "list needs a regular expression"},
        {{"-cum"}, "no profile source specified (cprof -help for usage)"},
        /* an error comes before -help */
        {{"-h", "--bogus"}, "unknown option --bogus (cprof -help lists them)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6];
        int argc = case_argv("cprof", &cases[i], argv);
        cli c;
        cp_err err = {.msg = ""};
        assert_int_equal(cli_parse(argc, argv, &c, &err), CLI_ERROR);
        assert_string_equal(err.msg, cases[i].msg);
        cli_free(&c);
    }
}

/* ---- cprof watch --------------------------------------------------------------- */

static void test_watch_defaults(void **state)
{
    (void)state;
    watch_opts o;
    cp_err err;
    assert_int_equal(WATCH(&o, &err, "watch", "http://h:1/debug/pprof/"), 0);
    assert_true(o.interval == 5 && o.duration == 120);
    assert_true(o.threads && o.heap);
    assert_false(o.verbose);
    assert_null(o.html);
    assert_null(o.save_dir);
    assert_null(o.fetch.token);
    assert_int_equal(o.fetch.n_headers, 0);
    assert_true(o.fetch.quiet);
    assert_int_equal(o.fetch.seconds, -1);
    assert_int_equal(o.fetch.timeout, 15); /* 3 intervals, at least 10 s */
    assert_int_equal(o.sources.n, 1);
    watch_opts_free(&o);
}

static void test_watch_options(void **state)
{
    (void)state;
    watch_opts o;
    cp_err err;
    assert_int_equal(WATCH(&o, &err, "watch", "--interval=500ms", "u1", "--duration", "0", "-v",
                           "--profiles", "heap", "--token", "T", "-H", "X-A: 1", "--header=X-B: 2",
                           "--html", "r.html", "--save-dir", "d1", "--save_dir=d2", "--", "-u2"),
                     0);
    assert_true(o.interval == 0.5 && o.duration == 0);
    assert_true(o.verbose);
    assert_true(o.heap && !o.threads);
    assert_string_equal(o.fetch.token, "T");
    assert_int_equal(o.fetch.n_headers, 2);
    assert_string_equal(o.fetch.headers[1], "X-B: 2");
    assert_string_equal(o.html, "r.html");
    assert_string_equal(o.save_dir, "d2");
    assert_int_equal(o.sources.n, 2);
    assert_string_equal(o.sources.v[1], "-u2");
    assert_int_equal(o.fetch.timeout, 10);
    watch_opts_free(&o);

    assert_int_equal(WATCH(&o, &err, "watch", "--interval", "1m", "--profiles=goroutine", "f"), 0);
    assert_true(o.interval == 60 && o.threads && !o.heap);
    assert_int_equal(o.fetch.timeout, 180);
    watch_opts_free(&o);
}

static void test_watch_errors(void **state)
{
    (void)state;
    static const error_case cases[] = {
        {{"--interval", "5x", "u"}, "watch: bad interval \"5x\" (e.g. 500ms, 5s, 2m)"},
        {{"--interval=10ms", "u"}, "watch: bad interval \"10ms\" (e.g. 500ms, 5s, 2m)"},
        {{"--duration", "-3s", "u"}, "watch: bad duration \"-3s\" (e.g. 500ms, 5s, 2m)"},
        {{"--profiles", "cpu", "u"},
         "--profiles: unknown profile \"cpu\" (threads, heap, threadcreate)"},
        {{"--profiles=,", "u"}, "--profiles: empty list (threads, heap, threadcreate)"},
        {{"--bogus", "u"}, "watch: unknown option --bogus (cprof watch -help)"},
        {{"u", "--html"}, "watch: option --html needs a value"},
        {{"-v=maybe", "u"}, "watch: invalid boolean value \"maybe\" for -v"},
        {{"-H", "NoColon", "u"}, "header \"NoColon\" is not of the form 'Name: value'"},
        {{"--interval", "1s"}, "watch: no URL or file to watch (cprof watch -help)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6];
        int argc = case_argv("watch", &cases[i], argv);
        watch_opts o;
        cp_err err = {.msg = ""};
        assert_int_equal(watch_parse_args(argc, argv, &o, &err), -1);
        assert_string_equal(err.msg, cases[i].msg);
        watch_opts_free(&o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cli_defaults),  cmocka_unit_test(test_cli_options),
        cmocka_unit_test(test_cli_errors),    cmocka_unit_test(test_watch_defaults),
        cmocka_unit_test(test_watch_options), cmocka_unit_test(test_watch_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
