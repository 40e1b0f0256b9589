/*
 * metrics.h — the metrics folder: cprof's /metrics endpoint in the
 * Prometheus text exposition format (version 0.0.4).
 *
 *   prom_text.c  the format itself, knowing nothing of cprof: a family's
 *                HELP and TYPE lines, then samples with escaped labels and
 *                Prometheus's spelling of numbers (NaN, +Inf)
 *   metrics.c    what is exposed: the client-library process_* metrics
 *                (from /proc/self/stat, /proc/self/fd, the NOFILE limit)
 *                and cprof_* metrics read from the collectors' own counters
 *                (heap totals, thread registry and blocking calls, CPU
 *                sessions, the symbolizer's memory)
 *
 * The router (http_router.c) serves it at /metrics relative to its mount
 * point and appends the family it owns itself, the request counters; the
 * built-in listener also answers CPROF_METRICS_PATH (default /metrics) at
 * the server root. A scrape is cheap by design: no thread is signalled, no
 * per-thread /proc file is read (30 ms at 1,000 threads), and only the few
 * creator call sites of the bounded creator label are symbolized (cached).
 */
#ifndef CPROF_METRICS_H
#define CPROF_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Creators with the most live threads get a label each; the rest add up
 * under creator="other". */
#define METRICS_TOP_CREATORS 10

/* ---- the exposition format (prom_text.c) --------------------------------- */

typedef enum prom_type { PROM_COUNTER, PROM_GAUGE } prom_type;

typedef struct prom_label {
    const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, written as is */
    const char *value; /* any UTF-8: escaped */
} prom_label;

/* "# HELP name help" (help escaped) and "# TYPE name counter|gauge". Once
 * per family, before its samples. */
void prom_family(buf *out, const char *name, prom_type type, const char *help);
/* One sample line: name{l1="v1",...} value. labels may be NULL when
 * n_labels is 0. Whole numbers up to 2^53 print as integers, others as
 * the shortest text that reads back; NaN and infinities as Prometheus
 * spells them. */
void prom_sample(buf *out, const char *name, const prom_label *labels, size_t n_labels,
                 double value);
/* A family with one unlabelled sample: the common case. */
void prom_single(buf *out, const char *name, prom_type type, const char *help, double value);

/* ---- the collection (metrics.c) ------------------------------------------ */

/* Write every process_* and cprof_* family but the router's request
 * counters into out. Marks the calling thread internal while it runs, so
 * its allocations stay out of the heap profile. Never fails: a source that
 * cannot be read is left out (out->oom tells of memory). */
void metrics_write(buf *out);

/* One creator group of the threads_by_creator family. */
typedef struct metrics_creator {
    uint64_t pc; /* creator call site; 0 = not recorded */
    size_t count;
} metrics_creator;

/* Group pcs[0..n) by value into out (capacity n), largest count first,
 * ties by pc. Returns the number of groups. Pure (sorts pcs in place). */
size_t metrics_group_creators(uint64_t *pcs, size_t n, metrics_creator *out);

#endif
