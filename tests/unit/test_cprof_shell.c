/*
 * test_cprof_shell.c — the interactive shell's line parser
 * (tool/shell_parse.c): pprof's grammar (settings with and without spaces,
 * "//:" comments, shortcuts, o/help/quit, report commands with top10,
 * numbers, -cum, focus and -ignore words, >file), its one-line errors, and
 * hostile lines (very long, only spaces, binary bytes); then cli_set, the
 * path every setting takes into the command line's options (flags.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"
#include "shell.h"

static const char *const types[] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"};

/* line parsed into l (the caller frees it), which must hold exactly one
 * command: that command. */
static const shell_cmd *one(shell_line *l, const char *line)
{
    shell_parse(line, types, 4, l);
    assert_int_equal(l->n, 1);
    return &l->cmds[0];
}

static void expect_error(const char *line, const char *msg)
{
    shell_line l;
    const shell_cmd *c = one(&l, line);
    assert_int_equal(c->kind, SHELL_ERROR);
    assert_string_equal(c->error, msg);
    shell_line_free(&l);
}

/* line is one setting of name to value (NULL: none given). */
static void expect_set(const char *line, const char *name, const char *value)
{
    shell_line l;
    const shell_cmd *c = one(&l, line);
    assert_int_equal(c->kind, SHELL_SET);
    assert_string_equal(c->name, name);
    if (value)
        assert_string_equal(c->value, value);
    else
        assert_null(c->value);
    shell_line_free(&l);
}

static void test_settings(void **state)
{
    (void)state;
    expect_set("focus=Index", "focus", "Index");
    expect_set("  focus  =  a b  //: a comment //: the last one cut ", "focus",
               "a b  //: a comment");
    expect_set("hide=", "hide", "");
    expect_set("tagfocus=bytes=1kb:", "tagfocus", "bytes=1kb:"); /* a value may hold '=' */
    expect_set("sort=cum", "sort", "cum");
    /* Booleans and choices alone are settings without a value. */
    const char *alone[] = {"cum", "flat", "lines", "noinlines", "compact_labels"};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
        expect_set(alone[i], alone[i], NULL);
    expect_error("focus", "please specify a value, e.g. focus=<val>");
    expect_error("nodecount", "please specify a value, e.g. nodecount=<val>");
}

static void test_shortcuts(void **state)
{
    (void)state;
    shell_line l;
    shell_parse(" : ", types, 4, &l);
    assert_int_equal(l.n, 5);
    const char *cleared[] = {"focus", "ignore", "hide", "tagfocus", "tagignore"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(l.cmds[i].kind, SHELL_SET);
        assert_string_equal(l.cmds[i].name, cleared[i]);
        assert_string_equal(l.cmds[i].value, "");
    }
    shell_line_free(&l);
    expect_set("inuse_space", "sample_index", "inuse_space");
    /* Without that sample type, the word is just unknown. */
    shell_parse("cpu", types, 4, &l);
    assert_int_equal(l.cmds[0].kind, SHELL_ERROR);
    assert_string_equal(l.cmds[0].error, "unrecognized command: \"cpu\"");
    shell_line_free(&l);
}

static void test_words(void **state)
{
    (void)state;
    shell_line l;
    struct {
        const char *line;
        enum shell_kind kind;
        const char *name;
    } cases[] = {
        {"", SHELL_NOTHING, NULL},         {"   \t ", SHELL_NOTHING, NULL},
        {"o", SHELL_OPTIONS, NULL},        {"options", SHELL_OPTIONS, NULL},
        {"q", SHELL_QUIT, NULL},           {"quit", SHELL_QUIT, NULL},
        {"exit", SHELL_QUIT, NULL},        {"help", SHELL_HELP, ""},
        {"help  top ", SHELL_HELP, "top"}, {"help a  b", SHELL_HELP, "a b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const shell_cmd *c = one(&l, cases[i].line);
        assert_int_equal(c->kind, cases[i].kind);
        if (cases[i].name)
            assert_string_equal(c->name, cases[i].name);
        shell_line_free(&l);
    }
}

static void test_reports(void **state)
{
    (void)state;
    shell_line l;
    const shell_cmd *c = one(&l, "top");
    assert_int_equal(c->kind, SHELL_REPORT);
    assert_string_equal(c->name, "top");
    assert_false(c->has_nodecount);
    assert_false(c->cum);
    assert_null(c->value);
    assert_null(c->focus);
    assert_null(c->ignore);
    assert_null(c->output);
    shell_line_free(&l);

    c = one(&l, "top20 -cum");
    assert_string_equal(c->name, "top");
    assert_true(c->has_nodecount);
    assert_int_equal(c->nodecount, 20);
    assert_true(c->cum);
    shell_line_free(&l);

    c = one(&l, "top 5 Index -runtime Fields --cum -unicode >out.txt");
    assert_int_equal(c->nodecount, 5);
    assert_true(c->cum);
    assert_string_equal(c->focus, "Index|Fields");
    assert_string_equal(c->ignore, "runtime|unicode");
    assert_string_equal(c->output, "out.txt");
    shell_line_free(&l);

    c = one(&l, "tree > t.txt");
    assert_string_equal(c->name, "tree");
    assert_string_equal(c->output, "t.txt");
    shell_line_free(&l);

    c = one(&l, "list FieldsFunc$ -runtime");
    assert_string_equal(c->name, "list");
    assert_string_equal(c->value, "FieldsFunc$");
    assert_string_equal(c->ignore, "runtime");
    shell_line_free(&l);

    /* peek10: the digits are peek's argument, as in pprof. */
    c = one(&l, "peek10");
    assert_string_equal(c->name, "peek");
    assert_string_equal(c->value, "10");
    assert_false(c->has_nodecount);
    shell_line_free(&l);

    /* A number too large for int32 is a focus word, as in pprof. */
    c = one(&l, "top 99999999999");
    assert_false(c->has_nodecount);
    assert_string_equal(c->focus, "99999999999");
    shell_line_free(&l);

    c = one(&l, "web Index");
    assert_string_equal(c->name, "web");
    assert_string_equal(c->focus, "Index");
    shell_line_free(&l);

    expect_error("peek", "command peek requires an argument");
    expect_error("list", "command list requires an argument");
    expect_error("top >", "unexpected end of line after >");
    expect_error("frobnicate", "unrecognized command: \"frobnicate\"");
    expect_error("top10x", "unrecognized command: \"top10x\"");
    expect_error("focus Index", "did you mean: focus=Index");
    expect_error("cum x", "did you mean: cum=x");
}

static void test_hostile(void **state)
{
    (void)state;
    /* Over the limit: one line saying so, nothing else parsed. */
    size_t n = SHELL_MAX_LINE + 10;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = 0;
    memcpy(big, "top ", 4);
    char msg[128];
    snprintf(msg, sizeof msg, "line too long (%zu bytes; at most %d)", n, SHELL_MAX_LINE);
    expect_error(big, msg);
    /* At the limit: parsed whole. */
    big[SHELL_MAX_LINE] = 0;
    shell_line l;
    const shell_cmd *c = one(&l, big);
    assert_int_equal(c->kind, SHELL_REPORT);
    assert_int_equal(strlen(c->focus), SHELL_MAX_LINE - 4);
    shell_line_free(&l);
    /* Many words, many '-' and '>' ones. */
    for (size_t i = 4; i + 2 < SHELL_MAX_LINE; i += 3)
        memcpy(big + i, i % 2 ? "-a " : ">b ", 3);
    c = one(&l, big);
    assert_int_equal(c->kind, SHELL_REPORT);
    shell_line_free(&l);
    free(big);
    /* Control and high bytes are just characters of a word. */
    c = one(&l, "\x01\x7f\xff=\x02");
    assert_int_equal(c->kind, SHELL_ERROR);
    shell_line_free(&l);
    c = one(&l, "=");
    assert_int_equal(c->kind, SHELL_ERROR);
    assert_string_equal(c->error, "unrecognized command: \"=\"");
    shell_line_free(&l);
    c = one(&l, "top - -- --cum");
    assert_int_equal(c->kind, SHELL_REPORT);
    assert_string_equal(c->ignore, "-"); /* "--" is "-" as a regexp; "-" alone adds nothing */
    assert_true(c->cum);
    shell_line_free(&l);
}

static void test_bool(void **state)
{
    (void)state;
    bool on;
    const char *yes[] = {"", "true", "T", "YES", "y", "1"};
    const char *no[] = {"false", "F", "no", "N", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        assert_int_equal(shell_parse_bool(yes[i], &on), 0);
        assert_true(on);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        assert_int_equal(shell_parse_bool(no[i], &on), 0);
        assert_false(on);
    }
    assert_int_equal(shell_parse_bool("maybe", &on), -1);
}

/* Every shell setting and command reaches the command line's table. */
static void test_cli_set(void **state)
{
    (void)state;
    cli c;
    cp_err err;
    char *argv[] = {"cprof", "x.pb.gz", NULL};
    assert_int_equal(cli_parse(2, argv, &c, &err), CLI_OK);
    assert_false(c.report_given);
    assert_int_equal(cli_set(&c, "focus", "Index", &err), 0);
    assert_string_equal(c.filters.focus, "Index");
    assert_int_equal(cli_set(&c, "nodecount", "7", &err), 0);
    assert_int_equal(c.nodecount, 7);
    assert_int_equal(cli_set(&c, "lines", NULL, &err), 0);
    assert_string_equal(c.granularity, "lines");
    assert_int_equal(cli_set(&c, "files", NULL, &err), 0); /* a new choice replaces */
    assert_string_equal(c.granularity, "files");
    assert_int_equal(cli_set(&c, "cum", NULL, &err), 0);
    assert_true(c.cum);
    assert_int_equal(cli_set(&c, "peek", "Fields", &err), 0);
    assert_int_equal(c.format, FMT_PEEK);
    assert_string_equal(c.symbol, "Fields");
    assert_int_equal(cli_set(&c, "output", "", &err), 0);
    assert_null(c.output);
    assert_int_equal(cli_set(&c, "nodecount", "x", &err), -1);
    assert_string_equal(err.msg, "invalid value \"x\" for nodecount: want an integer");
    assert_int_equal(cli_set(&c, "nodefraction", "0.5x", &err), -1);
    assert_int_equal(cli_set(&c, "noinlines", "maybe", &err), -1);
    assert_string_equal(err.msg, "invalid boolean value \"maybe\" for noinlines");
    assert_int_equal(cli_set(&c, "frob", "1", &err), -1);
    assert_string_equal(err.msg, "unknown option frob");
    assert_int_equal(cli_set(&c, "focus", NULL, &err), -1);
    assert_string_equal(err.msg, "option focus needs a value");
    for (size_t i = 0; i < n_shell_options; i++) {
        const shell_option *o = &shell_options[i];
        if (o->kind == SOPT_CHOICE) {
            for (const char *const *ch = o->choices; *ch; ch++)
                assert_int_equal(cli_set(&c, *ch, NULL, &err), 0);
        } else {
            const char *v = o->kind == SOPT_BOOL ? "true" : o->kind == SOPT_STRING ? "" : "1";
            assert_int_equal(cli_set(&c, o->name, v, &err), 0);
        }
    }
    for (size_t i = 0; i < n_shell_commands; i++)
        assert_true(cli_report_kind(shell_commands[i].report) >= 0);
    cli_free(&c);
    char *argv2[] = {"cprof", "-top", "x.pb.gz", NULL};
    assert_int_equal(cli_parse(3, argv2, &c, &err), CLI_OK);
    assert_true(c.report_given);
    cli_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings), cmocka_unit_test(test_shortcuts),
        cmocka_unit_test(test_words),    cmocka_unit_test(test_reports),
        cmocka_unit_test(test_hostile),  cmocka_unit_test(test_bool),
        cmocka_unit_test(test_cli_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
