/* report-detail — what the sweep's and the noisy table's rows carry beyond the main table
 * (issue 15; runmodel.h, inference.h):
 *
 *   - the 95 % interval of a mean over the repetitions (Student t), and of a row's rate
 *     over its baseline's, paired by repetition (Fieller);
 *   - latency from the row's trials' histograms merged: percentiles of the packets
 *     delivered, each with its sample count (a percentile whose rank is the last sample is
 *     said to be the max), and percentiles over every packet offered, a lost packet
 *     counting as infinitely late: at 50 % loss the median is ∞, and the table says so;
 *   - burst loss from sequence gaps: runs of lost packets, and per CFS period the packets
 *     lost and the time the NF was unreachable, beside (1 − q) × period;
 *   - whether the repetitions are enough to conclude anything. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/inference.h"
#include "controller/runmodel.h"

#define STUDY_REPETITIONS 10 /* fewer per point: the report says its intervals cannot settle much */
#define MAX_PAIRS 1024

double row_pct(const struct mrow *r, double p, const struct acc *trials) {
        return r->lat.h ? lat_delivered(&r->lat, p, NULL) : acc_mean(trials);
}

void fmt_mean_ci(char *buf, size_t len, const struct acc *a, int prec) {
        double h = ci95_half(acc_stdev(a), a->n);
        if (isnan(h))
                snprintf(buf, len, "%.*f", prec, acc_mean(a));
        else
                snprintf(buf, len, "%.*f ± %.*f", prec, acc_mean(a), prec, h);
}

double acc_ci95(const struct acc *a) {
        return ci95_half(acc_stdev(a), a->n);
}

struct interval row_ratio(const struct mrow *base, const struct mrow *r) {
        static double x[MAX_PAIRS], y[MAX_PAIRS];
        size_t n = repv_pair(&base->mpps_rep, &r->mpps_rep, x, y, MAX_PAIRS);
        if (n < 2)
                return (struct interval){ .est = acc_mean(&r->mpps) / acc_mean(&base->mpps), .lo = NAN, .hi = NAN };
        struct interval iv = ratio_paired(x, y, n);
        /* The figure printed stays the ratio of the rows' means (all trials, paired or not). */
        iv.est = acc_mean(&r->mpps) / acc_mean(&base->mpps);
        return iv;
}

void fmt_ratio(char *buf, size_t len, const struct interval *iv, bool is_base) {
        if (isnan(iv->est))
                snprintf(buf, len, "-");
        else if (is_base || !iv->bounded)
                snprintf(buf, len, "%.2f", iv->est);
        else
                snprintf(buf, len, "%.2f [%.2f,%.2f]%s", iv->est, iv->lo, iv->hi, iv->lo <= 1 && iv->hi >= 1 ? "~" : "");
}

void row_label(const struct run_model *m, enum model_table t, const struct mrow *r, char *buf, size_t len) {
        size_t l = 0;
        if (t == TABLE_NOISY)
                l += (size_t)snprintf(buf, len, "%s %s%s%s ", r->pinning, r->neighbour, strcmp(r->placement, "-") ? "@" : "",
                                      strcmp(r->placement, "-") ? r->placement : "");
        else if (m->several_nf)
                l += (size_t)snprintf(buf, len, "%s ", r->nf);
        if (l < len && r->ring)
                l += (size_t)snprintf(buf + l, len - l, "ring %ld ", r->ring);
        if (l < len)
                snprintf(buf + l, len - l, "%g%% %ldms %ldB", r->quota, r->period_us / 1000, r->frame_size);
}

/* A latency in us into a cell: "-" for none, "∞" for a rank among the lost. */
static void cell_us(char *buf, size_t len, double ns) {
        if (isnan(ns))
                snprintf(buf, len, "-");
        else if (isinf(ns))
                snprintf(buf, len, "∞");
        else
                snprintf(buf, len, "%.1f", ns / 1e3);
}

/* Byte length of s minus its display width (∞, ±, × are 2-3 bytes, one column). */
static int wide(const char *s) {
        int extra = 0;
        for (; *s; s++)
                extra += ((unsigned char)*s & 0xC0) == 0x80;
        return extra;
}

static void samples_cell(char *buf, size_t len, double n) {
        if (n >= 1e6)
                snprintf(buf, len, "%.1fM", n / 1e6);
        else if (n >= 1e4)
                snprintf(buf, len, "%.0fk", n / 1e3);
        else
                snprintf(buf, len, "%.0f", n);
}

static const double DELIVERED_P[] = { 50, 99, 99.9, 99.99 };
static const double OFFERED_P[] = { 50, 90, 99 };
#define N_DEL (sizeof(DELIVERED_P) / sizeof(DELIVERED_P[0]))
#define N_OFF (sizeof(OFFERED_P) / sizeof(OFFERED_P[0]))

void text_latency(FILE *f, const struct run_model *m, enum model_table t) {
        const struct rowset *s = &m->table[t];
        bool any = false, maxed = false, partial = false;
        for (size_t i = 0; i < s->n; i++)
                any |= s->v[i].lat.h != NULL;
        if (!any)
                return;
        fprintf(f, "\nlatency, each row's trials merged into one histogram (percentiles of it, not means of the trials'):\n");
        fprintf(f, "%-36s %9s %9s %9s %9s %10s %9s |%9s %9s %9s\n", "", "samples", "p50 us", "p99 us", "p99.9 us", "p99.99 us",
                "max us", "all p50", "all p90", "all p99");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->lat.h)
                        continue;
                char label[96], sm[16], c[N_DEL][24], o[N_OFF][24], mx[24];
                row_label(m, t, r, label, sizeof(label));
                samples_cell(sm, sizeof(sm), lat_samples(&r->lat));
                for (size_t k = 0; k < N_DEL; k++) {
                        bool at_max;
                        double v = lat_delivered(&r->lat, DELIVERED_P[k], &at_max);
                        if (at_max && k > 0) {
                                snprintf(c[k], sizeof(c[k]), "= max");
                                maxed = true;
                        } else {
                                cell_us(c[k], sizeof(c[k]), v);
                        }
                }
                for (size_t k = 0; k < N_OFF; k++)
                        cell_us(o[k], sizeof(o[k]), lat_offered(&r->lat, OFFERED_P[k]));
                cell_us(mx, sizeof(mx), (double)r->lat.h->max);
                partial |= r->lat.without > 0;
                fprintf(f, "%-36s %9s %9s %9s %9s %10s %9s |%*s %*s %*s%s\n", label, sm, c[0], c[1], c[2], c[3], mx,
                        9 + wide(o[0]), o[0], 9 + wide(o[1]), o[1], 9 + wide(o[2]), o[2],
                        r->lat.without ? "  (some trials without a histogram)" : "");
        }
        fprintf(f, "samples: packets delivered and timed; all pNN: over every packet offered, a lost packet counted as "
                   "infinitely late (∞: the rank falls among the lost)\n");
        if (maxed)
                fprintf(f, "= max: too few samples for that percentile; its rank is the last sample\n");
        (void)partial;
}

void text_burst(FILE *f, const struct run_model *m, enum model_table t) {
        const struct rowset *s = &m->table[t];
        bool any = false;
        for (size_t i = 0; i < s->n; i++)
                any |= s->v[i].b_runs.n > 0 && s->v[i].b_runs.sum > 0;
        if (!any)
                return;
        fprintf(f, "\nburst loss, from sequence gaps (per trial; per window: the CFS period, from the packets' send "
                   "times):\n");
        fprintf(f, "%-36s %10s %12s %12s %12s %15s %*s %15s\n", "", "runs", "longest run", "windows lost", "lost/window",
                "unreachable/w", 14 + wide("(1-q)×period"), "(1-q)×period", "longest unreach");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->b_runs.n)
                        continue;
                char label[96], wl[24] = "-", lw[24] = "-", uw[24] = "-", qp[24] = "-";
                row_label(m, t, r, label, sizeof(label));
                if (r->b_win_lost.n) {
                        snprintf(wl, sizeof(wl), "%.0f %%", acc_mean(&r->b_win_with));
                        snprintf(lw, sizeof(lw), "%.0f", acc_mean(&r->b_win_lost));
                        snprintf(uw, sizeof(uw), "%.2f ms", acc_mean(&r->b_win_unreach) / 1e6);
                }
                if (r->quota < 100)
                        snprintf(qp, sizeof(qp), "%.2f ms", (1 - r->quota / 100) * r->period_us / 1e3);
                fprintf(f, "%-36s %10.0f %12.0f %12s %12s %15s %*s %12.2f ms\n", label, acc_mean(&r->b_runs), r->b_longest.max,
                        wl, lw, uw, 14, qp, r->b_longest_unreach.max / 1e6);
        }
        fprintf(f, "runs: runs of consecutive lost packets; windows lost: the share of CFS periods that lost any; "
                   "unreachable/w: send time per period that no packet got through (the spans of runs over 100 us), to "
                   "compare with (1-q)×period, the time a throttled NF cannot run\n");
}

void text_repetitions(FILE *f, const struct run_model *m, enum model_table t) {
        const struct rowset *s = &m->table[t];
        unsigned least = 0;
        double secs = 0;
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].n && (!least || s->v[i].n < least))
                        least = s->v[i].n;
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].dur.n && (secs == 0 || acc_mean(&s->v[i].dur) < secs))
                        secs = acc_mean(&s->v[i].dur);
        json_t *cfg = json_object_get(m->run, "config");
        bool shuffled = json_is_true(json_object_get(cfg, "shuffle"));
        fprintf(f, "±: 95 %% interval of the mean over the repetitions (Student t; the other means' in CSV and JSON, "
                   "*_ci95); q/100%% and ×base [lo,hi]: paired by repetition (Fieller), ~ when it includes 1 (not told apart "
                   "from the baseline)\n");
        if (!least || (least >= STUDY_REPETITIONS && secs >= 10 && (!m->run || shuffled)))
                return;
        char why[64];
        if (least > 1)
                snprintf(why, sizeof(why), "t(0.975, %u) = %.2f widens every interval", least - 1, t975(least - 1));
        else
                snprintf(why, sizeof(why), "one repetition has no interval at all");
        fprintf(f, "n = %u repetition%s per point, of %.3g s each%s: too few for conclusions (%s); a study wants >= %d "
                   "shuffled repetitions of >= 10 s (--repetitions 10 --duration 10s --shuffle)\n",
                least, least == 1 ? "" : "s", secs, m->run ? (shuffled ? ", shuffled" : ", not shuffled") : "", why,
                STUDY_REPETITIONS);
}

/* JSON: the merged latency and the burst loss of a row. */
static json_t *us_or_inf(double ns) {
        return isnan(ns) ? json_null() : isinf(ns) ? json_string("inf") : json_real(ns / 1e3);
}

void json_detail(json_t *row, const struct mrow *r) {
        if (r->lat.h) {
                static const char *const del[N_DEL] = { "p50_us", "p99_us", "p99_9_us", "p99_99_us" };
                static const char *const off[N_OFF] = { "p50_us", "p90_us", "p99_us" };
                json_t *l = json_pack("{s:f, s:i, s:f, s:f}", "samples", lat_samples(&r->lat), "trials", r->lat.trials,
                                      "lost", r->lat.lost, "max_us", (double)r->lat.h->max / 1e3);
                json_t *at_max = json_array(), *all = json_object();
                for (size_t k = 0; k < N_DEL; k++) {
                        bool m;
                        json_object_set_new(l, del[k], us_or_inf(lat_delivered(&r->lat, DELIVERED_P[k], &m)));
                        if (m)
                                json_array_append_new(at_max, json_string(del[k]));
                }
                for (size_t k = 0; k < N_OFF; k++)
                        json_object_set_new(all, off[k], us_or_inf(lat_offered(&r->lat, OFFERED_P[k])));
                json_object_set_new(l, "at_max", at_max);
                json_object_set_new(l, "offered", all);
                json_object_set_new(row, "latency", l);
        }
        if (r->b_runs.n) {
                const struct named_num nums[] = {
                        { "runs", acc_mean(&r->b_runs) },
                        { "longest_run", r->b_longest.max },
                        { "windows_with_loss_pct", acc_mean(&r->b_win_with) },
                        { "lost_per_window", acc_mean(&r->b_win_lost) },
                        { "unreachable_per_window_ms", acc_mean(&r->b_win_unreach) / 1e6 },
                        { "longest_unreachable_ms", r->b_longest_unreach.max / 1e6 },
                };
                json_t *b = json_object();
                json_set_nums(b, nums, sizeof(nums) / sizeof(nums[0]));
                json_object_set_new(row, "burst", b);
        }
}

void csv_detail(FILE *f, const struct mrow *r) {
        char c[N_DEL + N_OFF][24];
        for (size_t k = 0; k < N_DEL + N_OFF; k++) {
                double ns = !r->lat.h ? NAN
                            : k < N_DEL ? lat_delivered(&r->lat, DELIVERED_P[k], NULL)
                                        : lat_offered(&r->lat, OFFERED_P[k - N_DEL]);
                if (isnan(ns))
                        c[k][0] = 0;
                else if (isinf(ns))
                        snprintf(c[k], sizeof(c[k]), "inf");
                else
                        snprintf(c[k], sizeof(c[k]), "%.2f", ns / 1e3);
        }
        fprintf(f, ",%.0f,%s,%s,%s,%s,%s,%s,%s", lat_samples(&r->lat), c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        if (r->b_runs.n)
                fprintf(f, ",%.1f,%.0f,", acc_mean(&r->b_runs), r->b_longest.max);
        else
                fprintf(f, ",,,");
        if (r->b_win_unreach.n)
                fprintf(f, "%.3f", acc_mean(&r->b_win_unreach) / 1e6);
}
