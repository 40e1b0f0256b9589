/*
 * watch_trend.h — is a time series a leak? The statistics behind
 * `cprof watch`, kept pure (arrays in, a verdict out) so they can be
 * tested on synthetic series. See watch_trend.c for the rules and why.
 */
#ifndef CPROF_TOOL_WATCH_TREND_H
#define CPROF_TOOL_WATCH_TREND_H

#include <stdbool.h>
#include <stddef.h>

/* Fewer snapshots than this and nothing is judged. */
#define TREND_MIN_POINTS 6

typedef struct trend {
    bool leak;
    double z;            /* Mann-Kendall z (positive = increasing) */
    double slope;        /* Theil-Sen, value per second */
    double recent_slope; /* least squares over the last third, per second */
    double first, last;  /* level (median) at the start and at the end */
    double growth;       /* last - first */
    double noise;        /* robust spread of the residuals around the trend */
    const char *why_not; /* when !leak: the test that failed */
} trend;

/* Judge v[0..n) sampled at times t[0..n) (seconds, increasing). floor is
 * the smallest total growth that can count (threads: a few; heap bytes: a
 * few sampling periods). */
void trend_analyze(const double *t, const double *v, size_t n, double floor, trend *out);

#endif
