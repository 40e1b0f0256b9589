/*
 * watch_trend.c — the leak test of `cprof watch` (see watch_trend.h).
 *
 * A leak is growth that is sustained over the whole window, not a
 * difference between two points. A series is called a leak only when every
 * one of these holds (tested cheapest first: 2, 1, 3, 4):
 *
 *  1. Monotone trend: the Mann-Kendall S statistic (sum of the signs of all
 *     later-minus-earlier pairs, with the tie correction in its variance) has
 *     z >= 3 (one-sided p ~ 0.001). It only looks at ranks, so a heap
 *     value that jumps by one big sample or dips for one snapshot does not
 *     sway it, and it needs the rise to run through the window: a buffer
 *     that grows and is freed, or churn around a mean, gives z near 0.
 *  2. Real size: the level at the end minus the level at the start (medians
 *     of the first and last fifth, so single outliers do not count) is at
 *     least `floor` — 3 threads, or 4 sampling periods of heap (about four
 *     sampled allocations: less is indistinguishable from sampling luck;
 *     and at least 64 KiB, see watch_series.c).
 *  3. Above the noise: that growth is at least 3 times the robust spread
 *     (1.4826 x median absolute deviation) of the residuals around the
 *     Theil-Sen line. A heavily churning site whose in-use value wanders
 *     can drift up by chance; its wander is large compared to its drift.
 *  4. Still growing: the least-squares slope over the last third of the
 *     window is at least 30 % of the whole window's rate. A cache that
 *     fills and then plateaus passes 1-3 on its filling part but has a flat
 *     recent slope. Least squares (not Theil-Sen) here, because a slow heap
 *     leak seen through sampling is a staircase: over a short stretch most
 *     pairs are ties and the median pairwise slope would be 0.
 *
 * The rate reported is the Theil-Sen slope (median of pairwise slopes),
 * robust to outliers; for a staircase where it is 0 the level difference
 * over time stands in.
 */
#include "watch_trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TREND_MIN_Z 3.0
#define TREND_NOISE_RATIO 3.0
#define TREND_RECENT_FRACTION 0.3

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (n > 0); scratch holds n doubles. */
static double median(const double *v, size_t n, double *scratch)
{
    memcpy(scratch, v, n * sizeof *v);
    qsort(scratch, n, sizeof *scratch, cmp_double);
    return n % 2 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
}

static int sign(double x)
{
    return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/* Mann-Kendall z with the variance corrected for groups of tied values. */
static double mann_kendall_z(const double *v, size_t n, double *scratch)
{
    long s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            s += sign(v[j] - v[i]);
    memcpy(scratch, v, n * sizeof *v);
    qsort(scratch, n, sizeof *scratch, cmp_double);
    double dn = (double)n;
    double var = dn * (dn - 1) * (2 * dn + 5);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && scratch[j] == scratch[i])
            j++;
        double t = (double)(j - i);
        var -= t * (t - 1) * (2 * t + 5);
        i = j;
    }
    var /= 18;
    if (var <= 0 || s == 0)
        return 0;
    return (double)(s > 0 ? s - 1 : s + 1) / sqrt(var);
}

static double theil_sen(const double *t, const double *v, size_t n)
{
    size_t m = 0;
    double *slopes = malloc((n * (n - 1) / 2 + 1) * sizeof *slopes);
    if (!slopes)
        return 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (t[j] > t[i])
                slopes[m++] = (v[j] - v[i]) / (t[j] - t[i]);
    double r = 0;
    if (m > 0) {
        qsort(slopes, m, sizeof *slopes, cmp_double);
        r = m % 2 ? slopes[m / 2] : (slopes[m / 2 - 1] + slopes[m / 2]) / 2;
    }
    free(slopes);
    return r;
}

static double least_squares(const double *t, const double *v, size_t n)
{
    double mt = 0, mv = 0;
    for (size_t i = 0; i < n; i++)
        mt += t[i], mv += v[i];
    mt /= (double)n;
    mv /= (double)n;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (t[i] - mt) * (v[i] - mv);
        den += (t[i] - mt) * (t[i] - mt);
    }
    return den > 0 ? num / den : 0;
}

/* 1.4826 x MAD of the residuals around the line through the medians with
 * the given slope: the noise a Gaussian series of that spread would have. */
static double residual_noise(const double *t, const double *v, size_t n, double slope,
                             double *scratch, double *scratch2)
{
    for (size_t i = 0; i < n; i++)
        scratch2[i] = v[i] - slope * t[i];
    double center = median(scratch2, n, scratch);
    for (size_t i = 0; i < n; i++)
        scratch2[i] = fabs(scratch2[i] - center);
    return 1.4826 * median(scratch2, n, scratch);
}

void trend_analyze(const double *t, const double *v, size_t n, double floor, trend *out)
{
    memset(out, 0, sizeof *out);
    if (n < TREND_MIN_POINTS) {
        out->why_not = "too few snapshots";
        return;
    }
    double *scratch = malloc(2 * n * sizeof *scratch);
    if (!scratch) {
        out->why_not = "out of memory";
        return;
    }
    /* Cheapest test first: most stacks of a big heap profile never grow
     * past the floor, and the progress line judges every stack at every
     * snapshot (Mann-Kendall and Theil-Sen are O(n^2)). */
    size_t k = n / 5 < 2 ? 2 : n / 5;
    out->first = median(v, k, scratch);
    out->last = median(v + n - k, k, scratch);
    out->growth = out->last - out->first;
    if (out->growth < floor || out->growth <= 0) {
        out->why_not = "growth below the noise floor";
        free(scratch);
        return;
    }
    out->z = mann_kendall_z(v, n, scratch);
    if (out->z < TREND_MIN_Z) {
        out->why_not = "no sustained trend";
        free(scratch);
        return;
    }
    out->slope = theil_sen(t, v, n);
    /* Time between the centres of the first and last windows. */
    double span = (t[n - 1] + t[n - k]) / 2 - (t[0] + t[k - 1]) / 2;
    double rate = out->slope > 0 ? out->slope : span > 0 ? out->growth / span : 0;
    if (out->slope <= 0)
        out->slope = rate;
    out->noise = residual_noise(t, v, n, out->slope, scratch, scratch + n);
    size_t third = n / 3 < 3 ? 3 : n / 3;
    out->recent_slope = least_squares(t + n - third, v + n - third, third);
    free(scratch);

    if (out->growth < TREND_NOISE_RATIO * out->noise)
        out->why_not = "growth small against the noise";
    else if (out->recent_slope < TREND_RECENT_FRACTION * rate)
        out->why_not = "stopped growing (plateau)";
    else
        out->leak = true;
}
