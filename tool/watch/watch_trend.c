/*
 * watch_trend.c — the leak test of `cprof watch` (see watch_trend.h).
 *
 * A leak is growth that is sustained over the whole window, not a
 * difference between two points. A series is called a leak when every
 * one of rules 1-4 holds (tested cheapest first), or else rule 5 does:
 *
 *  1. Real size: the level at the end minus the level at the start (medians
 *     of the first and last fifth, so single outliers do not count) is at
 *     least `floor` — 3 threads, or 4 sampling periods of heap (about four
 *     sampled allocations; and at least 64 KiB, see watch_series.c).
 *  2. Monotone trend: the Mann-Kendall S statistic (sum of the signs of all
 *     later-minus-earlier pairs, with the tie correction in its variance) has
 *     z >= 3 (one-sided p ~ 0.001). It only looks at ranks, so a value that
 *     jumps for one snapshot does not sway it; a buffer that grows and is
 *     freed, or churn around a mean, gives z near 0.
 *  3. Above the noise, in two senses. (a) The growth is at least 3 times the
 *     robust spread (1.4826 x MAD) of the residuals around the Theil-Sen
 *     line. (b) Heap only: at least 3 times the growth that sampling alone
 *     could show at this site (sampling_noise below).
 *  4. Still growing: the rise from the middle third of the window to the
 *     last third (medians) is at least 20 % of what the whole window's rate
 *     predicts, and (heap) at least 3 times its own sampling noise. A cache
 *     that fills and then stays full passes 1-3 on its filling part, but its
 *     last two thirds sit at the same level.
 *
 * Why a sampling-noise model (3b, 4). An in-use heap value is an estimate
 * from sampled blocks, each standing for ~`period` bytes. At a site whose
 * blocks keep being freed and replaced (a full LRU cache, request buffers),
 * the set of sampled live blocks turns over, and the estimate wanders by
 * about sqrt(period x bytes in use) — 3.6 MB on a 24 MB cache at the default
 * 512 KiB — slowly, over the turnover time. Over a 40 s window such a
 * wander rises as often as it falls, and the rank and residual tests alone
 * took it for growth about once in ten runs (measured by simulation). The
 * profile says how much turned over: alloc_space minus inuse_space is the
 * bytes freed. With it, the sd of the change between two levels that a site
 * that did *not* grow would show is
 *     1.25 x sqrt(unit x c x (g_a + g_b))
 * where c = min(freed, level) is the bytes that changed hands, unit the
 * variance one such byte adds (trend_sampling_unit: ~period for small
 * blocks, ~0 for blocks much larger than period, which are always
 * sampled), g = 1 / (1 + window / turnover time) the averaging a median
 * over a window of the wander gets, and 1.25 a median's inefficiency
 * against a mean. A true leak frees nothing of what it leaks, so its own
 * bytes add no such noise: a pure leak is judged by 1, 2, 3a and the
 * fraction in 4 only. Simulated (test_cprof_watch_trend.c replays it):
 * a 24 MB cache of 4 KiB blocks that fills in 3-13 s of a 40 s window is
 * called a leak in 0.03-0.12 % of runs (0.4 % if it renews ten times
 * slower; it was 10-25 % with the rank and residual rules alone); churn
 * with 5-30 s lifetimes never; a 300 KB/s leak is missed in 0.1 % of 40 s
 * windows; a leak of 5 % of a churning site's blocks hides in its sampling
 * noise at 40 s and is found in ~80 % of 300 s windows.
 *
 * 5. Never frees, still gaining (tried when 1-4 say no; heap with totals
 *    only). A site none of whose sampled blocks was ever freed —
 *    alloc_space equals inuse_space, to within half a sampled block, in
 *    every snapshot (alloc_space counts the site's whole life, not just
 *    the window), and its in-use never falls — with at least 2 sampled
 *    blocks over its life (and half the floor in bytes) and at least one
 *    that arrived in the window, is a leak unless it has stopped. This is
 *    the shape of a rare path that keeps a 48 KiB block 30 times a
 *    minute: sampled 9 % of the time (549 KB each), it gains ~2.7 blocks
 *    a minute, too few steps for the rank test in 120 s. A healthy site
 *    that frees anything fails the first condition for good: churn, a
 *    sawtooth buffer, and an LRU cache from its first eviction (its
 *    sampled blocks are among the first renewed). What remains is a table
 *    that fills then is kept, never freed: it has stopped. Under a steady
 *    leak the window's k arrivals are uniform over it, so they all precede
 *    a final quiet stretch q with probability ((W - q) / W)^k; below
 *    0.005 the site is judged stopped (a true leak is missed so 0.5 % of
 *    the time, by construction). Simulated at 5 s snapshots over 120 s
 *    (test_cprof_watch_trend.c): the rare-path leak, first taken 0-300 s
 *    before the watch, is missed in 0.5 % of runs (0.47 % is the chance of
 *    no sampled arrival at all; 40 % without this rule); a sawtooth of
 *    16 MiB freed every 15 s, a 24 MiB LRU cache filling in 3-13 s then
 *    evicting, churn at 25 MB/s and a 24 MiB table filled then kept are
 *    never called leaks; a 3 MiB table (~6 sampled blocks) that fills
 *    within the watch's first 35 s and is then kept is, in 8 % of runs —
 *    three blocks then 90 s of quiet is what the rare leak itself shows
 *    in 2.5 % of windows. Rules 1-4's rates above are unchanged.
 *
 * The rate reported is the Theil-Sen slope (median of pairwise slopes),
 * robust to outliers; for a staircase where it is 0 (a slow leak seen
 * through sampling) the level difference over time stands in; for rule 5
 * the change from the first to the last snapshot over the window.
 */
#include "watch_trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TREND_MIN_Z 3.0
#define TREND_NOISE_RATIO 3.0
#define TREND_RECENT_FRACTION 0.2
/* How much less efficient a median is than a mean, on Gaussian noise. */
#define MEDIAN_INEFFICIENCY 1.25
/* The never-frees rule (5): the fewest sampled blocks over the site's life
 * and arrivals in the window, and the chance below which a final quiet
 * stretch means the site stopped (also the rule's miss rate by itself). */
#define NEVER_FREED_MIN_BLOCKS 2
#define NEVER_FREED_MIN_STEPS 1
#define NEVER_FREED_ALPHA 0.005

static void trend_test(const trend_input *in, trend *out);

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

static double min3(double a, double b, double c)
{
    double m = a < b ? a : b;
    return m < c ? m : c;
}

/* Sampled bytes freed at the site between snapshots i < j: what was
 * allocated minus what stayed. */
static double freed_between(const trend_input *in, size_t i, size_t j)
{
    double f = (in->alloc[j] - in->alloc[i]) - (in->v[j] - in->v[i]);
    return f > 0 ? f : 0;
}

/* The sd of the difference between two levels (medians over windows of
 * wa and wb seconds whose centres are dt apart, va and vb) that sampling
 * alone would give a site that did not grow and freed `freed` bytes in
 * between. See the header. */
static double sampling_noise(double unit, double va, double vb, double freed, double wa, double wb,
                             double dt)
{
    double level = (va + vb) / 2;
    if (unit <= 0 || freed <= 0 || dt <= 0 || level <= 0)
        return 0;
    double turnover = level * dt / freed; /* seconds for the site to renew */
    double changed = min3(freed, va, vb);
    double averaging = 1 / (1 + wa / turnover) + 1 / (1 + wb / turnover);
    return MEDIAN_INEFFICIENCY * sqrt(unit * changed * averaging);
}

double trend_sampling_unit(double mean_size, double period)
{
    if (period <= 1 || mean_size <= 0)
        return 0;
    /* A block of size s is sampled with p = 1 - exp(-s/period) and then
     * stands for s/p bytes: its variance is s^2 (1-p)/p, per byte s(1-p)/p. */
    double x = mean_size / period;
    return mean_size * exp(-x) / -expm1(-x);
}

/* Seconds covered by snapshots [i, j] (one snapshot covers one interval). */
static double window_seconds(const trend_input *in, size_t i, size_t j)
{
    double interval = (in->t[in->n - 1] - in->t[0]) / (double)(in->n - 1);
    return in->t[j] - in->t[i] + interval;
}

double trend_sampled_weight(double mean_size, double period)
{
    if (mean_size <= 0)
        return 0;
    if (period <= 1)
        return mean_size;
    return mean_size / -expm1(-mean_size / period);
}

/* Rule 5 (see the header): true when the heap site in `in` never freed a
 * sampled block and still gains them; sets out's levels, rate and steps. */
static bool never_frees(const trend_input *in, trend *out)
{
    const double *t = in->t, *v = in->v, *a = in->alloc;
    size_t n = in->n;
    double w = in->weight;
    if (!a || w <= 0 || n < TREND_MIN_POINTS || v[n - 1] <= 0)
        return false;
    size_t steps = 0, last_step = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] - v[i] > w / 2) /* a sampled block was freed */
            return false;
        if (i == 0)
            continue;
        double d = v[i] - v[i - 1];
        if (d < -w / 2) /* in use fell: something was freed */
            return false;
        if (d > w / 2) {
            double blocks = floor(d / w + 0.5);
            steps += blocks < 1 ? 1 : (size_t)blocks;
            last_step = i;
        }
    }
    out->steps = steps;
    if (a[n - 1] < NEVER_FREED_MIN_BLOCKS * w - w / 2 || a[n - 1] < in->floor / 2 ||
        steps < NEVER_FREED_MIN_STEPS)
        return false;
    /* Plateau: under a steady leak the window's arrivals are uniform over
     * it, so all `steps` of them fall before the final quiet stretch q with
     * probability ((W - q) / W)^steps. */
    double window = t[n - 1] - t[0], quiet = t[n - 1] - t[last_step];
    if (window <= 0 || pow((window - quiet) / window, (double)steps) < NEVER_FREED_ALPHA)
        return false;
    out->first = v[0];
    out->last = v[n - 1];
    out->growth = v[n - 1] - v[0];
    out->slope = out->growth / window;
    return true;
}

void trend_analyze(const trend_input *in, trend *out)
{
    trend_test(in, out);
    if (!out->leak && never_frees(in, out)) {
        out->leak = true;
        out->never_freed = true;
        out->why_not = NULL;
    }
}

/* Rules 1-4 of the header into *out. */
static void trend_test(const trend_input *in, trend *out)
{
    const double *t = in->t, *v = in->v;
    size_t n = in->n;
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
    if (out->growth < in->floor || out->growth <= 0) {
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

    /* Thirds: [n-2th, n-th) the middle, [n-th, n) the last. */
    size_t th = n / 3;
    size_t mid = n - 2 * th, end = n - th;
    double middle_level = median(v + mid, th, scratch);
    double last_level = median(v + end, th, scratch);
    out->late = last_level - middle_level;
    double late_dt = (t[n - 1] + t[end]) / 2 - (t[end - 1] + t[mid]) / 2;
    free(scratch);

    double late_noise = 0;
    if (in->alloc && in->unit > 0) {
        size_t a = k / 2, b = n - k + k / 2; /* centres of the fifths */
        out->churn_noise = sampling_noise(in->unit, out->first, out->last, freed_between(in, a, b),
                                          window_seconds(in, 0, k - 1),
                                          window_seconds(in, n - k, n - 1), t[b] - t[a]);
        a = mid + th / 2, b = end + th / 2; /* centres of the thirds */
        late_noise = sampling_noise(in->unit, middle_level, last_level, freed_between(in, a, b),
                                    window_seconds(in, mid, end - 1),
                                    window_seconds(in, end, n - 1), t[b] - t[a]);
    }
    if (out->growth < TREND_NOISE_RATIO * out->noise)
        out->why_not = "growth small against the noise";
    else if (out->growth < TREND_NOISE_RATIO * out->churn_noise)
        out->why_not = "growth within the site's sampling noise";
    else if (out->late < TREND_RECENT_FRACTION * rate * late_dt ||
             out->late < TREND_NOISE_RATIO * late_noise)
        out->why_not = "stopped growing (plateau)";
    else
        out->leak = true;
}
