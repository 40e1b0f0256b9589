/*
 * pyroscope.h — Grafana Pyroscope's ingest request, shared by the tool's
 * `cprof push` (tool/push.c) and the library's push agent (lib/push/):
 *
 *   POST BASE/ingest?name=APP{k=v,...}&from=UNIX_S&until=UNIX_S&format=pprof
 *   Content-Type: application/octet-stream      body: gzipped profile.proto
 *   Authorization: Bearer TOKEN                 (optional)
 *   X-Scope-OrgID: TENANT                       (optional)
 *
 * Pyroscope names the series from the profile's own sample types
 * (`cpu` → process_cpu, `alloc_*`/`inuse_*` → memory), so the raw body
 * needs no multipart sample_type_config. Names and label keys are
 * [A-Za-z0-9_.-]; a value may hold anything but , { } =.
 * Pure: no I/O, no globals.
 */
#ifndef CPROF_PYROSCOPE_H
#define CPROF_PYROSCOPE_H

#include <stddef.h>

#include "buf.h"

/* 1 when s[0..n) is a Pyroscope application name or label key (non-empty,
 * letters, digits, _ . -), else 0. */
int pyroscope_name_ok(const char *s, size_t n);

/* 0 when labels ("k=v,k=v"; NULL or "" = none) are what Pyroscope accepts,
 * else -1 with a one-line reason (`bad label "..." (...)`) in err. */
int pyroscope_labels_check(const char *labels, char *err, size_t err_len);

/* Append the ingest query for one profile to out: name=APP{labels}
 * percent-encoded (APP alone without labels), from and until (Unix
 * seconds), format=pprof. 0, or -1 with a one-line reason in err when the
 * name or a label is refused (out is then unspecified) or memory ran out. */
int pyroscope_ingest_query(const char *app, const char *labels, long long from, long long until,
                           buf *out, char *err, size_t err_len);

/* Append the ingest URL: base (with or without a trailing '/') + "ingest?"
 * + the query above. Same result as pyroscope_ingest_query. */
int pyroscope_ingest_url(const char *base, const char *app, const char *labels, long long from,
                         long long until, buf *out, char *err, size_t err_len);

#endif
