/*
 * push.h — cprof push: saved or fetched profiles sent to Grafana Pyroscope's
 * HTTP ingest API (push.c).
 */
#ifndef CPROF_TOOL_PUSH_H
#define CPROF_TOOL_PUSH_H

#include <stddef.h>

#include "buf.h"

/* `cprof push [options] SOURCE... -to URL` (argv[0] is "push"). 0 when
 * every source was accepted, 1 when one failed, 2 on a usage error. */
int push_main(int argc, char **argv);

/* The ingest request's query for one profile: name=APP{labels} (escaped;
 * APP alone without labels),
 * from and until (Unix seconds, until > from), format=pprof. labels is
 * "k=v,k=v" or NULL. 0, or -1 with a one-line reason in err when the name
 * or a label is not what Pyroscope accepts. Pure. */
int push_ingest_query(const char *app, const char *labels, long long from, long long until,
                      buf *out, char *err, size_t err_len);

#endif
