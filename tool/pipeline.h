/*
 * pipeline.h — the driver (pipeline.c): what happens between a parsed
 * command line and a written report, shared by every front end as
 * google/pprof's internal/driver is by its CLI and web UI. `cprof`
 * (main.c) loads once and writes one report to -output; the web UI
 * (web/web_server.c) loads once, then runs pipeline_report on a copy of
 * the profile for each page (filters and aggregation change the profile
 * in place) with an emit of its own.
 */
#ifndef CPROF_TOOL_PIPELINE_H
#define CPROF_TOOL_PIPELINE_H

#include <stdio.h>

#include "options.h"
#include "report/report.h"

/* Load: every source and base fetched or read, parsed, merged, -base or
 * -diff_base applied, drop_frames pruned. Each failure is printed on
 * stderr as it happens ("cprof: ..."; a source that fails is skipped when
 * another one loads). Returns the profile (the caller frees it with
 * cp_profile_free), or NULL when loading failed: err then holds the last
 * line printed. */
cp_profile *pipeline_load(const cli *c, cp_err *err);

/* Hands the ready report to the front end: 0, or -1 with err. r lives
 * only during the call. */
typedef int (*report_emit)(report *r, void *ctx, cp_err *err);

/* The report c asks for, on p: the report's overrides (they change c),
 * -sample_index, the total, the filters and the granularity (they change p
 * in place: pass a copy to keep p), then emit(r, ctx). Returns emit's
 * result, or -1 with err when an option does not fit p (sample index,
 * regexp, filter): the caller reports err. Only pprof's warnings reach
 * stderr ("focus expression matched no samples"). */
int pipeline_report(cp_profile *p, cli *c, report_emit emit, void *ctx, cp_err *err);

/* report.Generate: r written to out in its format (r->o.format; proto is
 * the compacted profile, gzip). 0, or -1 with err. */
int pipeline_write(report *r, FILE *out, cp_err *err);

/* The command line's emit (ctx: the const cli *): r written to -output
 * (created, "Generating report in FILE" on stderr) or stdout, which a
 * binary profile is refused when it is a terminal; flushed and closed.
 * 0, or -1 with err. */
int pipeline_emit_output(report *r, void *ctx, cp_err *err);

#endif
