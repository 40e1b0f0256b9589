/*
 * shell.h — go tool pprof's interactive shell: `cprof SOURCE` with a
 * terminal on stdin and no report named (main.c).
 *
 * Two halves. shell_parse.c is pure: a typed line becomes commands, with
 * pprof's grammar (internal/driver/interactive.go): "name=value" settings
 * (also "name = value", a "//:" comment cut), shortcuts (":" clears the
 * filters, a sample type's name selects it), "o", "help", "quit", and
 * report commands with per-command overrides ("top20 -cum", "top re -re
 * >file"). shell.c runs them: settings go through options.c's one option
 * table (cli_set) into the same `cli` the command line fills, reports
 * through the driver (pipeline_report), line editing and history through
 * libedit.
 */
#ifndef CPROF_TOOL_SHELL_H
#define CPROF_TOOL_SHELL_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* A longer line is refused in one line (hostile input stays cheap). */
#define SHELL_MAX_LINE 65536

enum shell_kind {
    SHELL_NOTHING, /* an empty line */
    SHELL_SET,     /* name=value */
    SHELL_OPTIONS, /* o, options */
    SHELL_HELP,    /* help [topic] */
    SHELL_QUIT,    /* q, quit, exit */
    SHELL_REPORT,  /* top, list RE, web, ... */
    SHELL_ERROR,   /* a one-line reason in error */
};

typedef struct shell_cmd {
    enum shell_kind kind;
    char *name;  /* SET: the option (or choice) as typed; REPORT: the command; HELP: topic or "" */
    char *value; /* SET: the value (NULL: no "=" given); REPORT: peek/list's regexp or NULL */
    char *focus, *ignore;    /* REPORT: "re" and "-re" arguments joined with |, or NULL */
    char *output;            /* REPORT: ">file", or NULL */
    bool has_nodecount, cum; /* REPORT: a number given (nodecount), -cum */
    int nodecount;
    char *error; /* ERROR */
} shell_cmd;

/* One line: several commands when a shortcut expands (":"). */
typedef struct shell_line {
    shell_cmd cmds[8];
    size_t n;
} shell_line;

enum shell_opt_kind {
    SOPT_STRING,
    SOPT_REGEX, /* a string checked as a regular expression when set */
    SOPT_BOOL,
    SOPT_INT,
    SOPT_FLOAT,
    SOPT_CHOICE,       /* sort, granularity: one of choices, each also a name of its own */
    SOPT_SAMPLE_INDEX, /* checked against the profile */
};

/* A setting of the shell: pprof's name, shown from the cli field at offset
 * and set through cli_set (the command line's option of the same name; a
 * choice through the option named like it). */
typedef struct shell_option {
    const char *name;
    enum shell_opt_kind kind;
    size_t offset;
    const char *const *choices; /* SOPT_CHOICE: NULL-terminated */
    const char *help;           /* pprof's text; its first line is the summary */
} shell_option;

extern const shell_option shell_options[];
extern const size_t n_shell_options;

/* A report command of the shell. */
typedef struct shell_command {
    const char *name;
    const char *report; /* the command line's report it runs (cli_set) */
    const char *help;   /* one line */
    const char *usage;  /* lines, or "" */
} shell_command;

extern const shell_command shell_commands[];
extern const size_t n_shell_commands;

/* The option called name, or the choice option one of whose values is name
 * (*choice then points at it; else NULL). NULL when neither. */
const shell_option *shell_option_named(const char *name, const char **choice);
/* The report command called name, or NULL. */
const shell_command *shell_command_named(const char *name);

/* Parse a typed line into out (types: the profile's sample types, for the
 * shortcuts that select one). Never fails: bad input is a SHELL_ERROR
 * command. Free with shell_line_free. */
void shell_parse(const char *line, const char *const *types, size_t n_types, shell_line *out);
/* Frees the strings of every command in l. */
void shell_line_free(shell_line *l);
/* pprof's stringToBool: true, t, yes, y, 1 or "" (any case), or the
 * false spellings. 0 with *out, or -1. */
int shell_parse_bool(const char *s, bool *out);

/* The shell on c's profile: loads it (pipeline_load), greets, then reads
 * commands from the terminal until quit or EOF, the history kept in the
 * profile directory (fetch.h's profile_save_dir: $CPROF_HOME...). c is
 * changed by settings. Returns the exit status: 0, or 1 when loading
 * failed. */
int shell_main(cli *c);

#endif
