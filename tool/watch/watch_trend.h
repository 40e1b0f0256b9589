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

typedef struct trend_input {
    const double *t; /* seconds, increasing */
    const double *v; /* the value followed: threads, or in-use bytes */
    /* Heap only (else NULL): the same site's cumulative allocated bytes
     * (alloc_space), so that bytes freed between two snapshots are known. */
    const double *alloc;
    size_t n;
    double floor; /* smallest total growth that can count */
    /* Variance a sampled in-use estimate gains per byte that is allocated
     * or freed (trend_sampling_unit); 0 when the values are exact. */
    double unit;
    /* Heap only (else 0): the bytes one sampled block of the site stands
     * for (trend_sampled_weight), for the never-frees rule. */
    double weight;
} trend_input;

typedef struct trend {
    bool leak;
    double z;            /* Mann-Kendall z (positive = increasing) */
    double slope;        /* Theil-Sen, value per second */
    double first, last;  /* level (median) at the start and at the end */
    double growth;       /* last - first */
    double late;         /* rise from the middle third to the last third */
    double noise;        /* robust spread of the residuals around the trend */
    double churn_noise;  /* sd of growth that sampling alone could show */
    bool never_freed;    /* leak by the never-frees rule (watch_trend.c) */
    size_t steps;        /* sampled blocks that arrived in the window */
    const char *why_not; /* when !leak: the test that failed */
} trend;

void trend_analyze(const trend_input *in, trend *out);

/* The `unit` of a heap site whose blocks average mean_size bytes, sampled
 * once per `period` bytes on average (Poisson, as Go and cprof do); 0 when
 * every allocation is recorded (period <= 1). */
double trend_sampling_unit(double mean_size, double period);

/* The bytes one sampled block of mean_size stands for in the estimate
 * (size / probability of being sampled); mean_size when every allocation
 * is recorded (period <= 1), 0 when mean_size <= 0. */
double trend_sampled_weight(double mean_size, double period);

#endif
