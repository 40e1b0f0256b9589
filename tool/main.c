/*
 * main.c — `cprof`: the command line and the dispatch to a front end.
 *
 *   cprof watch ...            the leak finder (watch/watch.h)
 *   cprof ps                   the profiled processes (ps.h)
 *   cprof push ... -to URL     profiles to Grafana Pyroscope (push.h)
 *   cprof -http=ADDR SOURCE... the web UI (web/web.h)
 *   cprof [REPORT] SOURCE...   one report on stdout or -output
 *   cprof SOURCE...            on a terminal (stdin), no report named:
 *                              pprof's interactive shell (shell.h)
 *
 * What happens between the options and the report is the driver's
 * (pipeline.h), shared with the web UI. Errors are one line on stderr
 * ("cprof: ..."); the exit status is 1 for failures and 2 for usage errors.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "pipeline.h"
#include "ps.h"
#include "trace/trace.h"
#include "push.h"
#include "shell.h"
#include "watch/watch.h"
#include "web/web.h"

/* The report c asks for, written where it says: the exit status. */
static int run_report(cli *c)
{
    cp_err err;
    cp_profile *p = pipeline_load(c, &err);
    if (!p)
        return 1; /* pipeline_load printed why */
    int rc = 0;
    if (pipeline_report(p, c, pipeline_emit_output, c, &err) != 0) {
        fprintf(stderr, "cprof: %s\n", err.msg);
        rc = 1;
    }
    cp_profile_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    arena_set_huge_pages(true); /* large profiles: see arena.c */
    if (argc > 1 && !strcmp(argv[1], "watch"))
        return watch_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "push"))
        return push_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "ps"))
        return ps_main(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "trace"))
        return trace_main(argc - 1, argv + 1);
    cli c;
    cp_err err;
    int rc;
    switch (cli_parse(argc, argv, &c, &err)) {
    case CLI_EXIT_OK:
        rc = 0;
        break;
    case CLI_ERROR:
        fprintf(stderr, "cprof: %s\n", err.msg);
        rc = 2;
        break;
    default:
        if (c.http)
            rc = web_serve(&c);
        else if (!c.report_given && isatty(STDIN_FILENO))
            rc = shell_main(&c);
        else
            rc = run_report(&c);
    }
    cli_free(&c);
    return rc;
}
