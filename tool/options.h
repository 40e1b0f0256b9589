/*
 * options.h — the cprof command line: a report name, options named and
 * behaving like go tool pprof's flags (single or double dash, "-opt=value"
 * or "-opt value"), then one or more sources (files or URLs).
 */
#ifndef CPROF_TOOL_OPTIONS_H
#define CPROF_TOOL_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "fetch.h"
#include "profile/filters.h"
#include "report/report.h"
#include "symbolize/symbolize.h"

typedef struct cli {
    enum report_format format;
    bool report_given;  /* a report was named (else: the shell on a terminal, or top) */
    const char *symbol; /* peek/list argument */
    strlist sources, bases;
    bool diff_base;
    const char *sample_index; /* "" = profile default */
    name_filters filters;
    const char *granularity;
    bool noinlines;
    const char *unit, *output;
    bool cum, drop_negative, compact_labels;
    int nodecount; /* -1: the report's default */
    double nodefraction, edgefraction;
    bool trim;                     /* -trim (default): honour the three above */
    bool mean;                     /* values over the first value (count) */
    bool call_tree;                /* graphs: a node per calling context */
    const char *build_id;          /* -buildid: the first mapping's build ID */
    bool relative_percentages;     /* percentages of what the filters keep */
    bool normalize;                /* scale the sources to the base's total */
    double divide_by;              /* values shown divided by this (default 1) */
    const char *comment;           /* -add_comment */
    const char *tagroot, *tagleaf; /* label keys made pseudo frames (comma-separated) */
    const char *source_path, *trim_path;
    fetch_opts fetch;
    symbolize_opts symbolize; /* -symbol_dir, -debuginfod, -symbolize */
    const char *http;         /* -http=HOST:PORT: serve the web UI (web.h) */
} cli;

enum cli_result { CLI_OK, CLI_EXIT_OK, CLI_ERROR };

/* Parse argv into c (from the defaults; with flags.h, as every command
 * does). CLI_OK: run what c says; CLI_EXIT_OK: -help or -version was
 * printed on stdout; CLI_ERROR: err holds a one-line reason. c's strings
 * point into argv; cli_free releases the rest, whatever the result. */
enum cli_result cli_parse(int argc, char **argv, cli *c, cp_err *err);
/* One option by its command-line name (no dash) set in c as "-name=value"
 * would (value NULL: a flag alone; a report name selects that report, its
 * value the peek/list regexp): the shell's settings and per-command
 * overrides. c keeps value's pointer: the caller keeps it alive. 0, or -1
 * with err. */
int cli_set(cli *c, const char *name, const char *value, cp_err *err);
/* Whether name is a report of the command line: -1 no, 0 yes, 1 yes and it
 * takes a regexp (peek, list). */
int cli_report_kind(const char *name);
/* Frees what cli_parse allocated (sources, bases, headers). */
void cli_free(cli *c);
/* The -help text. */
void cli_usage(FILE *out);

#endif
