/*
 * pipeline.h — what main.c does between the command line and a report,
 * for the other front ends (the web UI) to run it the same way:
 * pipeline_load reads and combines the sources and bases once; then each
 * report runs pipeline_report on a profile of its own (filters and
 * aggregation change the profile in place), which applies -sample_index,
 * the filters and the granularity exactly as the command line does and
 * hands the ready report to emit.
 */
#ifndef CPROF_TOOL_PIPELINE_H
#define CPROF_TOOL_PIPELINE_H

#include "options.h"
#include "report/report.h"

/* Sources and bases fetched or read, merged, -base applied, drop_frames
 * pruned. Errors go to stderr as they happen; NULL when loading failed,
 * err then holds the last reason. */
cp_profile *pipeline_load(const cli *c, cp_err *err);

typedef int (*report_emit)(report *r, void *ctx, cp_err *err);
/* The report c asks for, on p (changed in place). 0, or -1 with err. */
int pipeline_report(cp_profile *p, cli *c, report_emit emit, void *ctx, cp_err *err);

#endif
