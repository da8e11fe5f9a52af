/* inference — see inference.h. */
#include "controller/inference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* t(0.975, df) for df = 1 .. 30 (any statistics table). */
static const double T975[31] = { NAN,   12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                                 2.074, 2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };

double t975(double df) {
        if (!(df >= 1))
                return NAN;
        if (df <= 30) {
                int k = (int)floor(df);
                if (k == 30 || df == k)
                        return T975[k];
                return T975[k] + (T975[k + 1] - T975[k]) * (df - k); /* Welch's fractional df */
        }
        /* Cornish–Fisher expansion around z = 1.959964: within 0.001 of the table at 30. */
        double z = 1.959963985, z3 = z * z * z, z5 = z3 * z * z;
        return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df);
}

double ci95_half(double sd, unsigned n) {
        return n < 2 ? NAN : t975(n - 1) * sd / sqrt(n);
}

static double mean(const double *v, size_t n) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
                s += v[i];
        return n ? s / (double)n : NAN;
}

/* Sample covariance of x and y (variance when x == y). */
static double cov(const double *x, const double *y, size_t n) {
        if (n < 2)
                return NAN;
        double mx = mean(x, n), my = mean(y, n), s = 0;
        for (size_t i = 0; i < n; i++)
                s += (x[i] - mx) * (y[i] - my);
        return s / (double)(n - 1);
}

/* Fieller: the ratio mu/mx of two estimated means with variances vyy, vxx and covariance
 * vxy of the means, t the quantile.  The interval is the set of R with
 * (my - R mx)^2 <= t^2 (vyy - 2 R vxy + R^2 vxx). */
static struct interval fieller(double mx, double my, double vxx, double vyy, double vxy, double t) {
        struct interval r = { .est = my / mx, .lo = NAN, .hi = NAN, .bounded = false };
        if (!isfinite(t) || !isfinite(r.est) || !(vxx >= 0) || !(vyy >= 0))
                return r;
        double g = t * t * vxx / (mx * mx);
        if (g >= 1)
                return r; /* the denominator's mean is not clearly away from 0: unbounded */
        double c = r.est - g * vxy / vxx;
        if (vxx == 0)
                c = r.est;
        double disc = vyy - 2 * r.est * vxy + r.est * r.est * vxx - g * (vxx > 0 ? vyy - vxy * vxy / vxx : 0);
        if (disc < 0)
                disc = 0;
        double w = t / fabs(mx) * sqrt(disc);
        r.lo = (c - w) / (1 - g);
        r.hi = (c + w) / (1 - g);
        r.bounded = true;
        return r;
}

struct interval ratio_paired(const double *x, const double *y, size_t n) {
        if (n < 2)
                return (struct interval){ .est = n ? mean(y, n) / mean(x, n) : NAN, .lo = NAN, .hi = NAN };
        return fieller(mean(x, n), mean(y, n), cov(x, x, n) / n, cov(y, y, n) / n, cov(x, y, n) / n, t975(n - 1));
}

/* Welch–Satterthwaite degrees of freedom of va/na + vb/nb. */
static double welch_df(double va, size_t na, double vb, size_t nb) {
        double a = va / na, b = vb / nb;
        if (a + b == 0)
                return (double)(na + nb - 2);
        return (a + b) * (a + b) / (a * a / (na - 1) + b * b / (nb - 1));
}

struct interval diff_welch(const double *a, size_t n_a, const double *b, size_t n_b) {
        struct interval r = { .est = mean(a, n_a) - mean(b, n_b), .lo = NAN, .hi = NAN };
        if (n_a < 2 || n_b < 2)
                return r;
        double va = cov(a, a, n_a), vb = cov(b, b, n_b);
        double w = t975(welch_df(va, n_a, vb, n_b)) * sqrt(va / n_a + vb / n_b);
        r.lo = r.est - w;
        r.hi = r.est + w;
        r.bounded = true;
        return r;
}

struct interval ratio_indep(const double *a, size_t n_a, const double *b, size_t n_b) {
        if (n_a < 2 || n_b < 2)
                return (struct interval){ .est = mean(a, n_a) / mean(b, n_b), .lo = NAN, .hi = NAN };
        double va = cov(a, a, n_a), vb = cov(b, b, n_b);
        return fieller(mean(b, n_b), mean(a, n_a), vb / n_b, va / n_a, 0, t975(welch_df(va, n_a, vb, n_b)));
}

/* ---- Mann–Whitney ---------------------------------------------------------------------- */

#define MW_EXACT_MAX 50

/* The number of arrangements of m a's and n b's with U = u, for every u (0 .. m n), by
 * the recursion N(u; m, n) = N(u - n; m - 1, n) + N(u; m, n - 1) (Mann and Whitney,
 * 1947), as doubles (C(100, 50) ~ 1e29 fits). */
static double *mw_counts(size_t m, size_t n) {
        size_t top = m * n + 1;
        /* f[j][u] for the current i: arrangements of i a's and j b's. */
        double *prev = calloc((n + 1) * top, sizeof(double)), *cur = calloc((n + 1) * top, sizeof(double));
        if (!prev || !cur) {
                free(prev);
                free(cur);
                return NULL;
        }
        for (size_t j = 0; j <= n; j++)
                prev[j * top] = 1; /* i = 0: one arrangement, U = 0 */
        for (size_t i = 1; i <= m; i++) {
                memset(cur, 0, (n + 1) * top * sizeof(double));
                cur[0] = 1; /* j = 0 */
                for (size_t j = 1; j <= n; j++)
                        for (size_t u = 0; u <= i * j; u++)
                                cur[j * top + u] = (u >= j ? prev[j * top + u - j] : 0) + cur[(j - 1) * top + u];
                double *t = prev;
                prev = cur;
                cur = t;
        }
        double *out = malloc(top * sizeof(double));
        if (out)
                memcpy(out, prev + n * top, top * sizeof(double));
        free(prev);
        free(cur);
        return out;
}

double mann_whitney_p(const double *a, size_t n_a, const double *b, size_t n_b, double *p_min) {
        if (p_min)
                *p_min = 1;
        if (n_a == 0 || n_b == 0)
                return 1;
        /* U of a: pairs (a_i, b_j) with a_i > b_j, ties counting a half. */
        double u = 0;
        for (size_t i = 0; i < n_a; i++)
                for (size_t j = 0; j < n_b; j++)
                        u += a[i] > b[j] ? 1 : a[i] == b[j] ? 0.5 : 0;
        double mn = (double)n_a * n_b;
        if (n_a <= MW_EXACT_MAX && n_b <= MW_EXACT_MAX) {
                double *c = mw_counts(n_a, n_b);
                if (c) {
                        double total = 0, le = 0, ge = 0;
                        size_t top = n_a * n_b;
                        for (size_t k = 0; k <= top; k++) {
                                total += c[k];
                                if (k <= u + 1e-9)
                                        le += c[k];
                                if (k + 1e-9 >= u)
                                        ge += c[k];
                        }
                        if (p_min)
                                *p_min = fmin(1, 2 * c[0] / total);
                        free(c);
                        return fmin(1, 2 * fmin(le, ge) / total);
                }
        }
        /* Normal approximation with continuity correction (ties are rare in latency). */
        double mu = mn / 2, sd = sqrt(mn * (n_a + n_b + 1) / 12.0), z = (fabs(u - mu) - 0.5) / sd;
        if (p_min)
                *p_min = erfc(((mn - mu) - 0.5) / sd / sqrt(2));
        return z <= 0 ? 1 : erfc(z / sqrt(2));
}
