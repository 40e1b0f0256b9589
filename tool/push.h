/*
 * push.h — cprof push: saved or fetched profiles sent to Grafana Pyroscope's
 * HTTP ingest API (push.c).
 */
#ifndef CPROF_TOOL_PUSH_H
#define CPROF_TOOL_PUSH_H

/* `cprof push [options] SOURCE... -to URL` (argv[0] is "push"). 0 when
 * every source was accepted, 1 when one failed, 2 on a usage error. */
int push_main(int argc, char **argv);

#endif
