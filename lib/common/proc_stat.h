/*
 * proc_stat.h — one reading of /proc/PID/stat (or /proc/self/task/TID/stat):
 * the parser the threads profile, the process tree of /debug/pprof/procs
 * and `cprof ps` share. No allocation.
 */
#ifndef CPROF_PROC_STAT_H
#define CPROF_PROC_STAT_H

#include <stdint.h>

typedef struct proc_stat {
    char comm[64]; /* the kernel's comm, truncated to fit */
    char state;    /* R S D Z T t X I ... */
    long ppid;
    uint64_t utime_ticks, stime_ticks;
    long num_threads;
    uint64_t start_ticks; /* since boot, in clock ticks */
    uint64_t vsize_bytes; /* 0 when the line stops before it */
    long long rss_pages;  /* 0 when the line stops before it */
} proc_stat;

/* Parse one stat line ("pid (comm) S ppid ..."; comm may hold spaces and
 * parentheses: it ends at the last ')'). 0, or -1 when malformed. */
int proc_stat_parse(const char *text, proc_stat *out);

/* Read and parse /proc/PID/stat. 0, or -1 when the process is gone or the
 * file is malformed. */
int proc_stat_read(long pid, proc_stat *out);

#endif
