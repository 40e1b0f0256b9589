/*
 * ps.h — `cprof ps`: list the processes that have libcprof loaded.
 */
#ifndef CPROF_TOOL_PS_H
#define CPROF_TOOL_PS_H

/* argv[0] is "ps". The exit status: 0, or 2 for a usage error. */
int ps_main(int argc, char **argv);

#endif
