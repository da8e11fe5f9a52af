/* inference — the intervals and tests a report's figures carry (issue 15; docs/statistics.md).
 *
 * Trials are the independent samples: a point's repetitions, never its packets (a trial's
 * millions of latency samples are not independent of each other: a throttle delays them
 * together).  So every interval here is over per-trial figures:
 *
 *   - a mean: Student's t interval, mean ± t(0.975, n-1) · s/√n (the normal 1.96 is too
 *     narrow below n = 30: t(0.975, 2) = 4.30);
 *   - a ratio of two means over pairs (rate at quota q / rate at 100 %, each repetition's
 *     pair measured in one pass of the matrix): Fieller's interval, which keeps the
 *     pairing's covariance and is exact for normal data; it is unbounded when the
 *     denominator's mean is not clearly away from 0 (then no interval is given);
 *   - a difference of two means of independent samples (isolab compare): Welch's t
 *     interval with Welch–Satterthwaite degrees of freedom, and the same ratio by
 *     Fieller without covariance;
 *   - a shift between two samples without assuming normality (latency per trial):
 *     the Mann–Whitney U test, exact up to 50 per side, normal approximation beyond.
 *
 * Pure functions: no I/O, deterministic (golden reports stay the same byte for byte). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* t(0.975, df): the two-sided 95 % quantile of Student's t; df may be fractional (Welch);
 * NaN for df < 1. */
double t975(double df);

/* Half-width of the 95 % interval of the mean of n values with sample standard deviation
 * sd; NaN for n < 2. */
double ci95_half(double sd, unsigned n);

struct interval {
        double est, lo, hi;
        bool bounded;             /* false: no finite interval (too few, or unbounded) */
};

/* The ratio mean(y)/mean(x) over n pairs (x[i], y[i]), with Fieller's 95 % interval. */
struct interval ratio_paired(const double *x, const double *y, size_t n);

/* Two independent samples a (n_a) and b (n_b): mean(a) - mean(b) with Welch's 95 %
 * interval, and mean(a)/mean(b) with Fieller's (no covariance). */
struct interval diff_welch(const double *a, size_t n_a, const double *b, size_t n_b);
struct interval ratio_indep(const double *a, size_t n_a, const double *b, size_t n_b);

/* Mann–Whitney U test of a against b: the two-sided p-value (1 when either is empty).
 * *p_min, when not NULL, gets the smallest p-value these sample sizes can give at all
 * (n = 3 against 3: 0.1, so no difference is ever "detectable" at 5 %). */
double mann_whitney_p(const double *a, size_t n_a, const double *b, size_t n_b, double *p_min);
