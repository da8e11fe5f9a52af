/* Statistics of a report (issue 15): the intervals against known values, latency
 * percentiles from merged histograms and over the packets offered, burst loss from
 * sequence gaps. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "agents/common/lossrun.h"
#include "controller/inference.h"
#include "controller/runmodel.h"

Test(inference, student_t_quantiles_are_the_tables) {
        cr_expect_float_eq(t975(1), 12.706, 1e-3);
        cr_expect_float_eq(t975(2), 4.303, 1e-3);
        cr_expect_float_eq(t975(9), 2.262, 1e-3);
        cr_expect_float_eq(t975(30), 2.042, 1e-3);
        cr_expect_float_eq(t975(60), 2.000, 2e-3);
        cr_expect_float_eq(t975(120), 1.980, 2e-3);
        cr_expect_float_eq(t975(1e9), 1.960, 1e-3);
        cr_expect(t975(5.5) < t975(5) && t975(5.5) > t975(6), "Welch's fractional df lies between");
        cr_expect(isnan(t975(0.5)));
}

Test(inference, mean_interval_uses_t_below_30) {
        /* 1..5: mean 3, s = 1.5811; t(0.975, 4) = 2.776: 2.776 * 1.5811 / sqrt(5) = 1.963. */
        cr_expect_float_eq(ci95_half(sqrt(2.5), 5), 1.963, 1e-3);
        cr_expect(isnan(ci95_half(1, 1)), "one value has no interval");
}

/* The interval's ends solve Fieller's quadratic (my - R mx)^2 = t^2 (vyy - 2 R vxy + R^2 vxx). */
Test(inference, fieller_paired_ratio_solves_its_quadratic) {
        const double x[] = { 6.0, 5.2, 7.1, 6.4 }, y[] = { 3.1, 2.5, 3.4, 3.3 };
        size_t n = 4;
        struct interval iv = ratio_paired(x, y, n);
        cr_assert(iv.bounded);
        double mx = 0, my = 0;
        for (size_t i = 0; i < n; i++)
                mx += x[i] / n, my += y[i] / n;
        double sxx = 0, syy = 0, sxy = 0;
        for (size_t i = 0; i < n; i++) {
                sxx += (x[i] - mx) * (x[i] - mx) / (n - 1);
                syy += (y[i] - my) * (y[i] - my) / (n - 1);
                sxy += (x[i] - mx) * (y[i] - my) / (n - 1);
        }
        double t = 3.182; /* t(0.975, 3) */
        double a = mx * mx - t * t * sxx / n, b = -2 * mx * my + 2 * t * t * sxy / n, c = my * my - t * t * syy / n;
        double r1 = (-b - sqrt(b * b - 4 * a * c)) / (2 * a), r2 = (-b + sqrt(b * b - 4 * a * c)) / (2 * a);
        cr_expect_float_eq(iv.lo, r1, 1e-4, "lo %f vs %f", iv.lo, r1);
        cr_expect_float_eq(iv.hi, r2, 1e-4, "hi %f vs %f", iv.hi, r2);
        cr_expect(iv.lo < iv.est && iv.est < iv.hi);
        /* Pairs in exact proportion: the ratio is known without doubt. */
        const double p[] = { 4, 6, 8 }, q[] = { 2, 3, 4 };
        iv = ratio_paired(p, q, 3);
        cr_expect_float_eq(iv.lo, 0.5, 1e-9);
        cr_expect_float_eq(iv.hi, 0.5, 1e-9);
        /* A denominator whose mean is not clearly above 0: no bounded interval. */
        const double z[] = { -1, 1, 0.2 }, w[] = { 1, 2, 3 };
        cr_expect(!ratio_paired(z, w, 3).bounded);
}

Test(inference, welch_difference_matches_r) {
        /* R: t.test(1:5, c(2,4,6,8,10)): df 5.882, 95 % CI -6.894 .. 0.894. */
        const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 2, 4, 6, 8, 10 };
        struct interval iv = diff_welch(a, 5, b, 5);
        cr_expect_float_eq(iv.est, -3, 1e-12);
        cr_expect_float_eq(iv.lo, -6.894, 0.01);
        cr_expect_float_eq(iv.hi, 0.894, 0.01);
        struct interval r = ratio_indep(b, 5, a, 5);
        cr_expect_float_eq(r.est, 2, 1e-12);
        cr_expect(!r.bounded || r.lo < 2, "Fieller without covariance");
}

Test(inference, mann_whitney_exact_p_values) {
        const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
        double pmin;
        cr_expect_float_eq(mann_whitney_p(a, 3, b, 3, &pmin), 0.1, 1e-12, "2 of C(6,3) = 20 arrangements");
        cr_expect_float_eq(pmin, 0.1, 1e-12, "n = 3 against 3 can never reach 5 %%");
        const double c[] = { 1, 2, 3, 4, 5 }, d[] = { 6, 7, 8, 9, 10 };
        cr_expect_float_eq(mann_whitney_p(c, 5, d, 5, NULL), 2.0 / 252, 1e-12);
        const double e[] = { 1, 3, 5 }, f[] = { 2, 4, 6 };
        cr_expect_float_eq(mann_whitney_p(e, 3, f, 3, NULL), 0.7, 1e-12, "U = 3: P(U <= 3) = 7/20");
        double big_a[60], big_b[60];
        for (int i = 0; i < 60; i++)
                big_a[i] = i, big_b[i] = i + 30;
        double p = mann_whitney_p(big_a, 60, big_b, 60, NULL);
        cr_expect(p < 1e-6, "60 against 60, shifted by half: normal approximation, p %g", p);
}

static json_t *trial(const char *text) {
        json_error_t e;
        json_t *t = json_loads(text, 0, &e);
        cr_assert_not_null(t, "%s", e.text);
        return t;
}

/* Two trials merged: the merged median is a percentile of all their packets, not the mean
 * of the two medians. */
Test(latency, merged_histograms_are_not_averaged_percentiles) {
        struct latency_merge l = { 0 };
        json_t *a = trial("{\"result\": {\"loss\": {\"packets\": 0}, \"latency\": {\"samples\": 300, \"min_ns\": 10, "
                          "\"max_ns\": 10, \"mean_ns\": 10, \"stdev_ns\": 0, \"buckets\": [[10, 300]]}}}");
        json_t *b = trial("{\"result\": {\"loss\": {\"packets\": 0}, \"latency\": {\"samples\": 100, \"min_ns\": 100, "
                          "\"max_ns\": 100, \"mean_ns\": 100, \"stdev_ns\": 0, \"buckets\": [[100, 100]]}}}");
        lat_merge(&l, a);
        lat_merge(&l, b);
        cr_expect_eq(l.trials, 2);
        cr_expect_float_eq(lat_samples(&l), 400, 1e-9);
        cr_expect_float_eq(lat_delivered(&l, 50, NULL), 10, 1e-9, "the mean of the medians would be 55");
        cr_expect_float_eq(lat_delivered(&l, 75, NULL), 10, 1e-9);
        cr_expect_float_eq(lat_delivered(&l, 76, NULL), 100, 1e-9);
        bool at_max;
        lat_delivered(&l, 99.9, &at_max);
        cr_expect(at_max, "400 samples: p99.9 is the last one");
        lat_delivered(&l, 50, &at_max);
        cr_expect(!at_max);
        cr_expect_float_eq(l.h->mean, 32.5, 1e-9, "means merged by count");
        json_decref(a);
        json_decref(b);
        free(l.h);
}

/* Every lost packet ranks as infinitely late: with half the packets lost the median is ∞. */
Test(latency, loss_inclusive_percentiles) {
        struct latency_merge l = { 0 };
        json_t *a = trial("{\"result\": {\"loss\": {\"packets\": 100}, \"latency\": {\"samples\": 100, \"min_ns\": 20, "
                          "\"max_ns\": 40, \"mean_ns\": 30, \"stdev_ns\": 10, \"buckets\": [[20, 50], [40, 50]]}}}");
        lat_merge(&l, a);
        cr_expect_float_eq(l.lost, 100, 1e-9);
        cr_expect_float_eq(lat_offered(&l, 25), 20, 1e-9);
        cr_expect_float_eq(lat_offered(&l, 50), 40, 1e-9, "rank 100 of 200: the last delivered");
        cr_expect(isinf(lat_offered(&l, 50.5)), "rank 101 of 200 is a lost packet");
        cr_expect(isinf(lat_offered(&l, 99)));
        cr_expect_float_eq(lat_delivered(&l, 99, NULL), 40, 1e-9, "delivered packets alone hide the loss");
        /* A trial with no histogram (an old record) is counted, not merged. */
        json_t *old = trial("{\"result\": {\"loss\": {\"packets\": 0}, \"latency\": {\"samples\": 10, \"buckets\": []}}}");
        lat_merge(&l, old);
        cr_expect_eq(l.without, 1);
        cr_expect_float_eq(lat_samples(&l), 100, 1e-9);
        json_decref(a);
        json_decref(old);
        free(l.h);
        struct latency_merge none = { 0 };
        cr_expect(isnan(lat_offered(&none, 50)), "nothing measured is not a latency");
}

/* Runs of lost packets, their spans and windows, from the sequence numbers received. */
Test(burst, runs_from_sequence_gaps) {
        struct lossrun l = { 0 };
        uint32_t lost[4] = { 0 };
        uint64_t span[4] = { 0 };
        lossrun_windows(&l, 0, 400, 4, lost, span);
        const uint64_t seq[] = { 0, 1, 2, 5, 6, 10 };
        for (size_t i = 0; i < 6; i++)
                lossrun_add(&l, seq[i], seq[i] * 100);
        lossrun_add(&l, 3, 300); /* late: it was counted lost */
        lossrun_finish(&l, 12, 1100);
        cr_expect_eq(l.runs, 3, "3-4, 7-9 and 11 at the end");
        cr_expect_eq(l.lost, 6);
        cr_expect_eq(l.filled, 1);
        cr_expect_eq(l.longest, 3);
        cr_expect_eq(l.bins[0], 1, "one run of 1");
        cr_expect_eq(l.bins[1], 2, "runs of 2 and 3");
        cr_expect_eq(l.span_tsc, 300 + 400 + 100, "2->5, 6->10, 10->the end");
        cr_expect_eq(l.longest_span_tsc, 400);
        cr_expect_eq(lost[0], 2, "the run after 2 (sent at 200) is window 0's");
        /* Spans under the minimum are an overloaded NF dropping between packets it
         * forwards, not time it was unreachable. */
        struct lossrun o = { .unreach_min_tsc = 350 };
        for (size_t i = 0; i < 6; i++)
                lossrun_add(&o, seq[i], seq[i] * 100);
        cr_expect_eq(o.span_tsc, 400, "only 6->10 (400) reaches 350");
        cr_expect_eq(o.longest_span_tsc, 400);
        cr_expect_eq(lost[1], 3, "after 6 (600)");
        cr_expect_eq(lost[2], 1, "after 10 (1000)");
        cr_expect_eq(span[1], 400);
        /* Nothing delivered at all: one run of everything. */
        struct lossrun z = { 0 };
        lossrun_finish(&z, 50, 5000);
        cr_expect_eq(z.runs, 1);
        cr_expect_eq(z.lost, 50);
        cr_expect_eq(z.longest_span_tsc, 5000);
        /* Lost from the start: a leading run. */
        struct lossrun s = { 0 };
        lossrun_add(&s, 4, 400);
        cr_expect_eq(s.runs, 1);
        cr_expect_eq(s.lost, 4);
}
