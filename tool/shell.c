/*
 * shell.c — the interactive shell's loop and commands (shell.h).
 *
 * State is the `cli` the command line filled (its options are the shell's
 * starting values, as pprof's flags are its shell's), with pprof's shell
 * default on top (compact_labels). A setting changes it through cli_set,
 * the option table of options.c; a report command runs on a copy of it
 * (per-command overrides do not persist, as in pprof) and a copy of the
 * profile (filters change a profile in place) through the driver:
 * pipeline_report, then pipeline_emit_output, which writes stdout or the
 * output file. Every error is one line on stderr and the shell goes on.
 *
 * Binary and image reports (svg, callgraph_svg, proto) never reach the
 * terminal: without an output file they go to a new file in the current
 * directory ("Generating report in ./profile.svg"), like pprof's
 * awayFromTTY. `web` writes the call graph SVG (`weblist` its HTML page)
 * to a new file in the temp directory (or to its ">file", then no browser) and starts the first
 * browser that starts ($BROWSER, then pprof's list), detached; without one
 * it says where the file is.
 *
 * TAB completes the first word to a command or setting and a report's
 * later words to the profile's one function containing them (pprof's
 * completer).
 *
 * Strings set in the cli (focus=...) are kept in `kept` until the shell
 * ends: the cli holds pointers, as it does into argv.
 */
#include "shell.h"

#include <editline/readline.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetch.h"
#include "pipeline.h"
#include "profile/filters.h"

extern char **environ;

typedef struct shell {
    cli *c;
    cp_profile *p;
    const char **types; /* the sample types' names (shortcuts) */
    strlist kept;       /* strings the cli points at */
} shell;

/* A copy of s that lives as long as the shell (sh->kept owns it). */
static const char *keep(shell *sh, const char *s)
{
    strlist_push(&sh->kept, s);
    return sh->kept.v[sh->kept.n - 1];
}

/* ---- settings ------------------------------------------------------------ */

/* The current value of o, as `o` shows it: a string of c's or out's (64
 * bytes). */
static const char *option_value(const shell *sh, const shell_option *o, char *out)
{
    const char *field = (const char *)sh->c + o->offset;
    switch (o->kind) {
    case SOPT_BOOL:
        return *(const bool *)field ? "true" : "false";
    case SOPT_INT:
        snprintf(out, 64, "%d", *(const int *)field);
        return out;
    case SOPT_FLOAT:
        snprintf(out, 64, "%g", *(const double *)field);
        return out;
    case SOPT_CHOICE:
        if (o->choices[0] && !strcmp(o->name, "sort"))
            return sh->c->cum ? "cum" : "flat";
        break;
    case SOPT_SAMPLE_INDEX: {
        cp_err err;
        int i = profile_sample_index(sh->p, sh->c->sample_index, &err);
        return i >= 0 ? sh->p->sample_types[i].type : sh->c->sample_index;
    }
    default:
        break;
    }
    const char *s = *(const char *const *)field;
    return s ? s : "";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* printCurrentOptions: every setting and its value, sorted by name. */
static void print_options(const shell *sh)
{
    strlist lines = {0};
    for (size_t i = 0; i < n_shell_options; i++) {
        const shell_option *o = &shell_options[i];
        char num[64];
        const char *v = option_value(sh, o, num);
        buf comment;
        buf_init(&comment);
        if (o->kind == SOPT_CHOICE || o->kind == SOPT_SAMPLE_INDEX) {
            strlist values = {0};
            if (o->kind == SOPT_CHOICE)
                for (const char *const *ch = o->choices; *ch; ch++)
                    strlist_push(&values, *ch);
            else
                for (size_t t = 0; t < sh->p->n_sample_types; t++)
                    strlist_push(&values, sh->p->sample_types[t].type);
            if (o->kind == SOPT_CHOICE)
                strlist_sort(&values);
            buf_append_str(&comment, "//: [");
            for (size_t k = 0; k < values.n; k++)
                buf_printf(&comment, "%s%s", k ? " | " : "", values.v[k]);
            buf_append_str(&comment, "]");
            strlist_free(&values);
        } else if (!strcmp(o->name, "source_path")) {
            buf_free(&comment);
            continue;
        } else if (!strcmp(o->name, "nodecount") && !strcmp(v, "-1")) {
            buf_append_str(&comment, "//: default");
        } else if (!*v) {
            v = "\"\"";
        }
        buf_append_byte(&comment, 0);
        strlist_pushf(&lines, "  %-25s = %-20s %s", o->name, v, (const char *)comment.data);
        buf_free(&comment);
    }
    qsort(lines.v, lines.n, sizeof *lines.v, cmp_str);
    for (size_t i = 0; i < lines.n; i++)
        puts(lines.v[i]);
    strlist_free(&lines);
}

/* name=value (cmd) into sh->c through the command line's options. 0, or -1
 * with err. */
static int set_option(shell *sh, const shell_cmd *cmd, cp_err *err)
{
    const char *choice;
    const shell_option *o = shell_option_named(cmd->name, &choice);
    const char *value = cmd->value ? cmd->value : "";
    bool on;
    if (choice) { /* "cum", "lines=true" */
        if (shell_parse_bool(value, &on) != 0 || !on) {
            cp_err_set(err, "unknown config field \"%s\"", cmd->name);
            return -1;
        }
        return cli_set(sh->c, choice, NULL, err);
    }
    switch (o->kind) {
    case SOPT_CHOICE:
        for (const char *const *ch = o->choices; *ch; ch++)
            if (!strcmp(*ch, value))
                return cli_set(sh->c, *ch, NULL, err);
        cp_err_set(err, "invalid \"%s\" value \"%s\"", o->name, value);
        return -1;
    case SOPT_BOOL:
        if (shell_parse_bool(value, &on) != 0) {
            cp_err_set(err, "illegal value \"%s\" for bool variable", value);
            return -1;
        }
        return cli_set(sh->c, o->name, on ? "true" : "false", err);
    case SOPT_SAMPLE_INDEX: {
        int i = profile_sample_index(sh->p, value, err);
        if (i < 0)
            return -1;
        return cli_set(sh->c, o->name, sh->p->sample_types[i].type, err);
    }
    case SOPT_REGEX:
        if (*value) {
            regex_t re;
            if (regex_compile(&re, value, o->name, err) != 0)
                return -1;
            regfree(&re);
        }
        break;
    default:
        break;
    }
    return cli_set(sh->c, o->name, keep(sh, value), err);
}

/* ---- help ------------------------------------------------------------------ */

/* fmtHelp: "    name   first line of help". */
static void help_row(const char *name, const char *help)
{
    printf("    %-16s %.*s\n", name, (int)strcspn(help, "\n"), help);
}

/* commandHelp: every command and setting, or one topic's help. */
static void print_help(const char *topic)
{
    if (*topic) {
        const char *choice;
        const shell_command *cmd = shell_command_named(topic);
        const shell_option *o = shell_option_named(topic, &choice);
        if (cmd) {
            printf("%s\n", cmd->help);
            if (*cmd->usage) {
                printf("  Usage:\n");
                for (const char *l = cmd->usage; *l;) {
                    size_t n = strcspn(l, "\n");
                    printf("    %.*s\n", (int)n, l);
                    l += n + (l[n] == '\n');
                }
            }
            printf("\n");
        } else if (o && !choice && *o->help) {
            printf("%s\n\n", o->help);
        } else if (o) {
            printf("Select %s=%s\n\n", o->name, choice ? choice : topic);
        } else {
            fprintf(stderr, "Unknown command: %s\n", topic);
        }
        return;
    }
    printf("  Commands:\n");
    for (size_t i = 0; i < n_shell_commands; i++)
        help_row(shell_commands[i].name, shell_commands[i].help);
    help_row("o/options", "List options and their current values");
    help_row("q/quit/exit/^D", "Exit pprof");
    printf("\n  Options:\n");
    for (size_t i = 0; i < n_shell_options; i++)
        if (shell_options[i].kind != SOPT_CHOICE)
            help_row(shell_options[i].name, shell_options[i].help);
    printf("\n  Option groups (only set one per group):\n");
    for (size_t i = 0; i < n_shell_options; i++) {
        const shell_option *o = &shell_options[i];
        if (o->kind != SOPT_CHOICE)
            continue;
        help_row(o->name, "");
        for (const char *const *ch = o->choices; *ch; ch++)
            printf("      %s\n", *ch);
    }
    printf("  :   Clear focus/ignore/hide/tagfocus/tagignore\n\n"
           "  type \"help <cmd|option>\" for more information\n");
}

/* ---- reports ----------------------------------------------------------------- */

/* A new empty file dir/prefix[.NNN]ext (fetch.c's naming: nothing is
 * overwritten); its name in path. 0, or -1 with err. */
static int new_file(const char *dir, const char *prefix, const char *ext, char *path, size_t cap,
                    cp_err *err)
{
    buf empty;
    buf_init(&empty);
    return save_bytes_in(dir, prefix, ext, &empty, path, cap, err);
}

/* The file extension of a report that must not go to the terminal, or NULL. */
static const char *file_extension(enum report_format f)
{
    switch (f) {
    case FMT_SVG:
    case FMT_CALLGRAPH_SVG:
        return ".svg";
    case FMT_PROTO:
        return ".pb.gz";
    case FMT_WEBLIST:
        return ".html";
    default:
        return NULL;
    }
}

/* argv of one browser command ("gv --noantialias" is split at spaces) with
 * path last, run detached: a child starts it and exits at once, so the
 * browser is nobody's to wait for. Its stdin and stdout are /dev/null, its
 * stderr the shell's (as pprof starts it). 0 when it started. */
static int start_detached(const char *command, const char *path)
{
    char *copy = strdup(command), *argv[16], *save = NULL;
    int n = 0;
    for (char *w = strtok_r(copy, " ", &save); w && n < 14; w = strtok_r(NULL, " ", &save))
        argv[n++] = w;
    argv[n++] = (char *)path;
    argv[n] = NULL;
    int status = -1;
    pid_t child = n > 1 ? fork() : -1;
    if (child == 0) {
        pid_t browser;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        _exit(posix_spawnp(&browser, argv[0], &fa, NULL, argv, environ) == 0 ? 0 : 127);
    }
    if (child > 0)
        waitpid(child, &status, 0);
    free(copy);
    return child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* pprof's browsers(): $BROWSER, then the usual ones (xdg-open only on a
 * desktop). 0 when one started on path. */
static int open_browser(const char *path)
{
    static const char *const browsers[] = {"chrome", "google-chrome", "chromium", "firefox",
                                           "sensible-browser"};
    const char *user = getenv("BROWSER");
    if (user && *user && start_detached(user, path) == 0)
        return 0;
    for (size_t i = 0; i < sizeof browsers / sizeof browsers[0]; i++)
        if (start_detached(browsers[i], path) == 0)
            return 0;
    const char *display = getenv("DISPLAY");
    return display && *display ? start_detached("xdg-open", path) : -1;
}

/* Per-command overrides of cmd on c (a copy of the shell's cli that lives
 * no longer than cmd: c points into cmd's strings). 0, or -1 with err. */
static int command_config(const shell_cmd *cmd, const shell_command *sc, cli *c, cp_err *err)
{
    if (cli_set(c, sc->report, cmd->value, err) != 0)
        return -1;
    bool tags = c->format == FMT_TAGS;
    if (cmd->focus && cli_set(c, tags ? "tagfocus" : "focus", cmd->focus, err) != 0)
        return -1;
    if (cmd->ignore && cli_set(c, tags ? "tagignore" : "ignore", cmd->ignore, err) != 0)
        return -1;
    if (cmd->cum && cli_set(c, "cum", NULL, err) != 0)
        return -1;
    if (cmd->output && cli_set(c, "output", cmd->output, err) != 0)
        return -1;
    if (cmd->has_nodecount) /* any int32, as pprof's ParseInt: not the flag's range */
        c->nodecount = cmd->nodecount;
    if (c->nodecount == -1 && c->format == FMT_TOP)
        c->nodecount = 10;
    return 0;
}

/* A report command: the report on copies of the cli and the profile, to
 * stdout or a file (web: then a browser). 0, or -1 with err. */
static int run_report(shell *sh, const shell_cmd *cmd, cp_err *err)
{
    const shell_command *sc = shell_command_named(cmd->name);
    cli c = *sh->c;
    char path[4800];
    bool web = !strcmp(sc->name, "web") || !strcmp(sc->name, "weblist"); /* to a browser */
    if (command_config(cmd, sc, &c, err) != 0)
        return -1;
    const char *ext = file_extension(c.format);
    bool temp = !c.output && (web || ext); /* ">file" is written as asked, browser or not */
    if (temp) {
        char dir[4096] = ".";
        if (web) {
            const char *tmp = getenv("TMPDIR");
            snprintf(dir, sizeof dir, "%s", tmp && *tmp ? tmp : "/tmp");
        }
        if (new_file(dir, web ? "cprof" : "profile", ext, path, sizeof path, err) != 0)
            return -1;
        c.output = path;
    }
    cp_profile *copy = profile_merge(&sh->p, 1, err);
    if (!copy)
        return -1;
    int rc = pipeline_report(copy, &c, pipeline_emit_output, &c, err);
    cp_profile_free(copy);
    if (rc == 0 && web && temp && open_browser(path) != 0)
        fprintf(stderr,
                "No browser could be started ($BROWSER, chrome, chromium, firefox...): "
                "open %s\n",
                path);
    return rc;
}

/* ---- completion (TAB) ------------------------------------------------------------ */

/* libedit's completion callbacks take no context: the shell being read. */
static shell *completing;
static strlist completions; /* the current TAB's candidates */
static size_t completion_next;

/* rl_compentry_func_t over `completions`: each candidate once (malloc'ed,
 * libedit frees it), then NULL. */
static char *next_completion(const char *text, int state)
{
    (void)text, (void)state;
    return completion_next < completions.n ? strdup(completions.v[completion_next++]) : NULL;
}

/* The first word's candidates starting with text: commands, settings and
 * their choices, o, help, quit (pprof's matchVariableOrCommand). */
static void word_candidates(const char *text)
{
    static const char *const words[] = {"o", "options", "help", "quit", "exit"};
    size_t n = strlen(text);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strncmp(words[i], text, n))
            strlist_push(&completions, words[i]);
    for (size_t i = 0; i < n_shell_commands; i++)
        if (!strncmp(shell_commands[i].name, text, n))
            strlist_push(&completions, shell_commands[i].name);
    for (size_t i = 0; i < n_shell_options; i++) {
        const shell_option *o = &shell_options[i];
        if (!strncmp(o->name, text, n))
            strlist_push(&completions, o->name);
        for (const char *const *ch = o->choices; ch && *ch; ch++)
            if (!strncmp(*ch, text, n))
                strlist_push(&completions, *ch);
    }
}

/* pprof's functionCompleter: the profile's one function whose name contains
 * text (after a leading '-', kept), or nothing when none or several do. */
static void function_candidates(const char *text)
{
    const char *dash = *text == '-' ? "-" : "";
    const char *part = text + strlen(dash), *found = NULL;
    const cp_profile *p = completing->p;
    for (size_t i = 0; i < p->n_functions; i++) {
        const char *name = p->functions[i]->name;
        if (!strstr(name, part) || (found && !strcmp(found, name)))
            continue;
        if (found)
            return; /* several: leave the word as it is */
        found = name;
    }
    if (found)
        strlist_pushf(&completions, "%s%s", dash, found);
}

/* rl_attempted_completion_function: the first word (or help's topic)
 * completes to a command or setting, later words of a report (not tags) to
 * a function name. Returns libedit's match array (it frees it), or NULL. */
static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never file names */
    strlist_free(&completions);
    completion_next = 0;
    const char *line = rl_line_buffer, *first = line;
    while (first < line + start && (*first == ' ' || *first == '\t'))
        first++;
    size_t first_len = strcspn(first, " \t");
    if (first == line + start || (first_len == 4 && !strncmp(first, "help", 4)))
        word_candidates(text);
    else if (!(first_len == 4 && !strncmp(first, "tags", 4)))
        function_candidates(text);
    return completions.n ? rl_completion_matches(text, next_completion) : NULL;
}

/* ---- the loop ------------------------------------------------------------------- */

/* One parsed command. 1 to quit, else 0 (errors printed). */
static int execute(shell *sh, const shell_cmd *cmd)
{
    cp_err err;
    int rc = 0;
    switch (cmd->kind) {
    case SHELL_NOTHING:
        return 0;
    case SHELL_QUIT:
        return 1;
    case SHELL_OPTIONS:
        print_options(sh);
        break;
    case SHELL_HELP:
        print_help(cmd->name);
        break;
    case SHELL_ERROR:
        cp_err_set(&err, "%s", cmd->error);
        rc = -1;
        break;
    case SHELL_SET:
        rc = set_option(sh, cmd, &err);
        break;
    case SHELL_REPORT:
        rc = run_report(sh, cmd, &err);
        break;
    }
    fflush(stdout);
    if (rc != 0)
        fprintf(stderr, "%s\n", err.msg);
    return 0;
}

/* One typed line. 1 to quit, else 0. */
static int run_line(shell *sh, const char *line)
{
    shell_line l;
    shell_parse(line, sh->types, sh->p->n_sample_types, &l);
    int quit = 0;
    for (size_t i = 0; i < l.n && !quit; i++)
        quit = execute(sh, &l.cmds[i]);
    shell_line_free(&l);
    return quit;
}

/* report_emit of the greeting: the profile's header lines. */
static int greet(report *r, void *ctx, cp_err *err)
{
    (void)ctx, (void)err;
    strlist lines = {0};
    report_profile_labels(r, &lines);
    print_lines(stdout, &lines);
    strlist_free(&lines);
    if (r->total == 0 && r->p->n_sample_types > 1)
        printf("No samples were found with the default sample value type.\n"
               "Try \"sample_index\" command to analyze different sample values.\n\n");
    return 0;
}

/* greetings: the header lines, then how to get help. */
static void greetings(shell *sh)
{
    cli c = *sh->c;
    cp_err err;
    cp_profile *copy = profile_merge(&sh->p, 1, &err);
    if (copy && pipeline_report(copy, &c, greet, NULL, &err) != 0)
        fprintf(stderr, "%s\n", err.msg);
    cp_profile_free(copy);
    printf("Entering interactive mode (type \"help\" for commands, \"o\" for options)\n");
    fflush(stdout);
}

int shell_main(cli *c)
{
    cp_err err;
    shell sh = {.c = c};
    sh.p = pipeline_load(c, &err);
    if (!sh.p)
        return 1; /* pipeline_load printed why */
    sh.types = calloc(sh.p->n_sample_types + 1, sizeof *sh.types);
    for (size_t i = 0; i < sh.p->n_sample_types; i++)
        sh.types[i] = sh.p->sample_types[i].type;
    c->compact_labels = true; /* pprof's shell default */
    char dir[4096], history[4200];
    snprintf(history, sizeof history, "%s/shell_history", profile_save_dir(dir, sizeof dir));
    completing = &sh;
    rl_attempted_completion_function = complete;
    using_history();
    stifle_history(1000);
    read_history(history);
    greetings(&sh);
    for (;;) {
        char *line = readline("(pprof) ");
        if (!line)
            break; /* EOF (^D) */
        if (*line && strlen(line) <= SHELL_MAX_LINE)
            add_history(line);
        int quit = run_line(&sh, line);
        free(line);
        if (quit)
            break;
    }
    write_history(history);
    strlist_free(&completions);
    completing = NULL;
    cp_profile_free(sh.p);
    free(sh.types);
    strlist_free(&sh.kept);
    return 0;
}
