/* The study's Table 7, extended: what neighbours did to the NF, and what the NF's
 * neighbours got done (isolab noisy; any run whose trials name a neighbour).
 *
 * One row per pinning x neighbour x placement (and quota, period, frame size when a run
 * varies them): forwarded Mpps mean and stdev over the repetitions, loss, latency min /
 * p50 / p99 / p99.9 / max / stdev with the sample count, the NF's stalls (poll gaps
 * over 10 us) and longest gap, the PMD threads' involuntary context switches and
 * migrations, and the neighbour's achieved rate.  Every row is also shown relative to
 * its baseline: the row without a neighbour with the same pinning (and quota, period,
 * frame size) — rate, p99 and max latency as ratios. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/verbs.h"

#define MAX_ROWS 256

struct nrow {
        char pinning[16], workload[32], placement[16], unit[24];
        double quota;
        long period_us, frame_size;
        unsigned n, errors;
        double offered_sum, mpps_sum, mpps_sq, loss_sum, min_ns, p50_sum, p99_sum, p999_sum, max_ns, stdev_sum;
        double samples_sum, stalls_sum, stalled_sum, gap_ns, ctxsw_sum, migr_sum, rate_sum, rate_sq;
        unsigned rate_n;
        size_t order;             /* first seen: neighbours keep their order */
};

/* Baselines first within each pinning; pinned before unpinned; highest quota first. */
static int cmp_nrows(const void *a, const void *b) {
        const struct nrow *x = a, *y = b;
        if (x->quota != y->quota)
                return x->quota > y->quota ? -1 : 1;
        if (x->period_us != y->period_us)
                return x->period_us > y->period_us ? -1 : 1;
        if (x->frame_size != y->frame_size)
                return x->frame_size < y->frame_size ? -1 : 1;
        int c = strcmp(x->pinning, y->pinning);
        if (c)
                return c;
        bool bx = strcmp(x->workload, "none") == 0, by = strcmp(y->workload, "none") == 0;
        if (bx != by)
                return bx ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static const char *str(json_t *o, const char *key, const char *dflt) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : dflt;
}

static double avg(double sum, unsigned n) {
        return n ? sum / n : NAN;
}


static bool same_point(const struct nrow *a, const struct nrow *b) {
        return a->quota == b->quota && a->period_us == b->period_us && a->frame_size == b->frame_size &&
               strcmp(a->pinning, b->pinning) == 0;
}

static const struct nrow *baseline(const struct nrow *rows, size_t n, const struct nrow *r) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(rows[i].workload, "none") == 0 && same_point(&rows[i], r) && rows[i].n)
                        return &rows[i];
        return NULL;
}

static double ratio(double a, double b) {
        return b > 0 && !isnan(a) ? a / b : NAN;
}

int report_noisy(FILE *f, const char *fmt, json_t *warnings) {
        static struct nrow rows[MAX_ROWS];
        size_t nrows = 0;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                json_t *t = json_loads(line, 0, NULL);
                if (!t)
                        continue; /* the sweep table said so already */
                if (json_object_get(t, "search") || json_object_get(t, "kind")) {
                        json_decref(t); /* a search's trials and results: the search table's */
                        continue;
                }
                json_t *nb = json_object_get(t, "neighbour");
                struct nrow key = { .quota = report_num(t, "quota"),
                                    .period_us = (long)json_integer_value(json_object_get(t, "period_us")),
                                    .frame_size = (long)json_integer_value(json_object_get(t, "frame_size")) };
                snprintf(key.pinning, sizeof(key.pinning), "%s", str(t, "pinning", "pinned"));
                /* A neighbour is shown by its name ([noise.NAME]; the workload for --noise). */
                snprintf(key.workload, sizeof(key.workload), "%s",
                         json_is_object(nb) ? str(nb, "name", str(nb, "workload", "?")) : "none");
                snprintf(key.placement, sizeof(key.placement), "%s", json_is_object(nb) ? str(nb, "placement", "?") : "-");
                struct nrow *r = NULL;
                for (size_t i = 0; i < nrows && !r; i++)
                        if (same_point(&rows[i], &key) && strcmp(rows[i].workload, key.workload) == 0 &&
                            strcmp(rows[i].placement, key.placement) == 0)
                                r = &rows[i];
                if (!r && nrows < MAX_ROWS) {
                        key.order = nrows;
                        r = &rows[nrows++];
                        *r = key;
                        r->min_ns = INFINITY;
                }
                if (!r) {
                        json_decref(t);
                        continue;
                }
                if (report_trial_failed(t)) {
                        r->errors++;
                        json_decref(t);
                        continue;
                }
                double m = report_num(t, "result.mpps");
                r->n++;
                r->mpps_sum += m;
                r->offered_sum += report_num(t, "result.tx.offered_pps") / 1e6;
                r->mpps_sq += m * m;
                r->loss_sum += 100 * report_num(t, "result.loss.ratio");
                r->min_ns = fmin(r->min_ns, report_num(t, "result.latency.min_ns"));
                r->p50_sum += report_num(t, "result.latency.p50_ns");
                r->p99_sum += report_num(t, "result.latency.p99_ns");
                r->p999_sum += report_num(t, "result.latency.p99_9_ns");
                r->max_ns = fmax(r->max_ns, report_num(t, "result.latency.max_ns"));
                r->stdev_sum += report_num(t, "result.latency.stdev_ns");
                r->samples_sum += report_num(t, "result.latency.samples");
                r->stalls_sum += report_num(t, "nf.stalls");
                r->stalled_sum += report_num(t, "nf.stalled_pct");
                r->gap_ns = fmax(r->gap_ns, report_num(t, "nf.max_gap_ns"));
                r->ctxsw_sum += report_num(t, "pmd.nonvoluntary_ctxt_switches");
                r->migr_sum += report_num(t, "nf.migrations");
                if (json_is_object(nb) && json_is_number(json_object_get(nb, "rate"))) {
                        double v = report_num(nb, "rate");
                        r->rate_sum += v;
                        r->rate_sq += v * v;
                        r->rate_n++;
                        snprintf(r->unit, sizeof(r->unit), "%s", str(nb, "unit", ""));
                }
                json_decref(t);
        }
        free(line);
        qsort(rows, nrows, sizeof(rows[0]), cmp_nrows);

        /* Shown only when the run varies them. */
        bool vq = false, vp = false, vf = false;
        for (size_t i = 1; i < nrows; i++) {
                vq |= rows[i].quota != rows[0].quota;
                vp |= rows[i].period_us != rows[0].period_us;
                vf |= rows[i].frame_size != rows[0].frame_size;
        }

        if (strcmp(fmt, "json") == 0) {
                json_t *a = json_array();
                for (size_t i = 0; i < nrows; i++) {
                        const struct nrow *r = &rows[i], *b = baseline(rows, nrows, r);
                        double mm = avg(r->mpps_sum, r->n);
                        json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:i, s:i}", "pinning", r->pinning, "neighbour",
                                              r->workload, "placement", r->placement, "quota", r->quota, "period_us",
                                              (json_int_t)r->period_us, "frame_size", (json_int_t)r->frame_size, "trials", r->n,
                                              "failed", r->errors);
                        const struct {
                                const char *key;
                                double v;
                        } nums[] = {
                                { "offered_mpps", avg(r->offered_sum, r->n) },
                                { "mpps_mean", mm },
                                { "mpps_stdev", report_stdev(r->mpps_sum, r->mpps_sq, r->n) },
                                { "mpps_vs_baseline", b ? ratio(mm, avg(b->mpps_sum, b->n)) : NAN },
                                { "loss_pct", avg(r->loss_sum, r->n) },
                                { "min_us", r->n ? r->min_ns / 1e3 : NAN },
                                { "p50_us", avg(r->p50_sum, r->n) / 1e3 },
                                { "p99_us", avg(r->p99_sum, r->n) / 1e3 },
                                { "p99_9_us", avg(r->p999_sum, r->n) / 1e3 },
                                { "max_us", r->n ? r->max_ns / 1e3 : NAN },
                                { "stdev_us", avg(r->stdev_sum, r->n) / 1e3 },
                                { "latency_samples", r->samples_sum },
                                { "p99_vs_baseline", b ? ratio(avg(r->p99_sum, r->n), avg(b->p99_sum, b->n)) : NAN },
                                { "max_vs_baseline", b ? ratio(r->max_ns, b->max_ns) : NAN },
                                { "stalls", avg(r->stalls_sum, r->n) },
                                { "stalled_pct", avg(r->stalled_sum, r->n) },
                                { "longest_gap_us", r->n ? r->gap_ns / 1e3 : NAN },
                                { "nonvoluntary_ctxt_switches", avg(r->ctxsw_sum, r->n) },
                                { "migrations", avg(r->migr_sum, r->n) },
                                { "neighbour_rate", r->rate_n ? avg(r->rate_sum, r->rate_n) : NAN },
                                { "neighbour_rate_stdev", r->rate_n ? report_stdev(r->rate_sum, r->rate_sq, r->rate_n) : NAN },
                        };
                        /* NaN (nothing measured) is null: JSON has no NaN. */
                        for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
                                json_object_set_new(o, nums[k].key, isnan(nums[k].v) ? json_null() : json_real(nums[k].v));
                        json_object_set_new(o, "neighbour_unit", r->rate_n ? json_string(r->unit) : json_null());
                        json_array_append_new(a, o);
                }
                json_t *doc = json_pack("{s:o, s:o}", "rows", a, "warnings", warnings ? json_incref(warnings) : json_array());
                json_dumpf(doc, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(doc);
                return 0;
        }
        bool csv = strcmp(fmt, "csv") == 0;
        if (csv) {
                printf("pinning,neighbour,placement,quota_pct,period_us,frame_size,trials,failed,offered_mpps,mpps_mean,mpps_stdev,"
                       "mpps_vs_baseline,loss_pct,min_us,p50_us,p99_us,p99_9_us,max_us,stdev_us,latency_samples,"
                       "p99_vs_baseline,max_vs_baseline,stalls,stalled_pct,longest_gap_us,nonvoluntary_ctxt_switches,migrations,"
                       "neighbour_rate,neighbour_rate_stdev,neighbour_unit\n");
        } else {
                size_t wi;
                json_t *w;
                json_array_foreach(warnings, wi, w) printf("! %s\n", json_string_value(w));
                if (vq)
                        printf("%6s ", "quota");
                if (vp)
                        printf("%6s ", "period");
                if (vf)
                        printf("%5s ", "frame");
                /* %17s and %7s: "±" and "×" are two bytes, one column. */
                printf("%-9s %-10s %-10s %3s %8s %17s %7s %7s %7s %7s %8s %8s %8s %8s %8s %7s %7s %7s %8s %8s %6s %5s  %s\n",
                       "pinning", "noise", "placement", "n", "offered", "Mpps (mean±sd)", "×base", "loss %", "min us", "p50 us", "p99 us",
                       "p99.9 us", "max us", "stdev us", "samples", "×p99", "×max", "stalls", "stalled%", "gap us", "ctxsw",
                       "migr", "neighbour rate");
        }
        for (size_t i = 0; i < nrows; i++) {
                const struct nrow *r = &rows[i], *b = baseline(rows, nrows, r);
                double mm = avg(r->mpps_sum, r->n), p99 = avg(r->p99_sum, r->n);
                double vs = b ? ratio(mm, avg(b->mpps_sum, b->n)) : NAN, vs99 = b ? ratio(p99, avg(b->p99_sum, b->n)) : NAN;
                double vsmax = b ? ratio(r->max_ns, b->max_ns) : NAN;
                if (csv) {
                        printf("%s,%s,%s,%g,%ld,%ld,%u,%u,%.4f,%.4f,%.4f,%.3f,%.3f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.0f,%.3f,%.3f,%.1f,%.2f,%.1f,"
                               "%.1f,%.1f,",
                               r->pinning, r->workload, r->placement, r->quota, r->period_us, r->frame_size, r->n, r->errors,
                               avg(r->offered_sum, r->n), mm,
                               report_stdev(r->mpps_sum, r->mpps_sq, r->n), vs, avg(r->loss_sum, r->n), r->n ? r->min_ns / 1e3 : NAN,
                               avg(r->p50_sum, r->n) / 1e3, p99 / 1e3, avg(r->p999_sum, r->n) / 1e3, r->max_ns / 1e3,
                               avg(r->stdev_sum, r->n) / 1e3, r->samples_sum, vs99, vsmax, avg(r->stalls_sum, r->n),
                               avg(r->stalled_sum, r->n), r->gap_ns / 1e3, avg(r->ctxsw_sum, r->n), avg(r->migr_sum, r->n));
                        if (r->rate_n)
                                printf("%.4g,%.4g,%s\n", avg(r->rate_sum, r->rate_n), report_stdev(r->rate_sum, r->rate_sq, r->rate_n),
                                       r->unit);
                        else
                                printf(",,\n");
                        continue;
                }
                if (vq)
                        printf("%5g%% ", r->quota);
                if (vp)
                        printf("%4ldms ", r->period_us / 1000);
                if (vf)
                        printf("%5ld ", r->frame_size);
                if (r->n == 0) {
                        printf("%-9s %-10s %-10s %3u  (all %u trials failed: see trials.jsonl)\n", r->pinning, r->workload,
                               r->placement, r->n, r->errors);
                        continue;
                }
                char rate[48], nrate[64] = "-", x[16] = "-", x99[16] = "-", xmax[16] = "-";
                snprintf(rate, sizeof(rate), "%.3f ± %.3f", mm, report_stdev(r->mpps_sum, r->mpps_sq, r->n));
                if (!isnan(vs) && b != r) {
                        snprintf(x, sizeof(x), "%.2f", vs);
                        snprintf(x99, sizeof(x99), "%.2f", vs99);
                        snprintf(xmax, sizeof(xmax), "%.2f", vsmax);
                }
                if (r->rate_n)
                        snprintf(nrate, sizeof(nrate), "%.4g ± %.2g %s", avg(r->rate_sum, r->rate_n),
                                 report_stdev(r->rate_sum, r->rate_sq, r->rate_n), r->unit);
                printf("%-9s %-10s %-10s %3u %8.3f %17s %6s %7.2f %7.1f %7.1f %8.1f %8.1f %8.1f %8.1f %8.0f %6s %6s %7.0f %8.2f %8.1f "
                       "%6.0f %5.1f  %s%s\n",
                       r->pinning, r->workload, r->placement, r->n, avg(r->offered_sum, r->n), rate, x, avg(r->loss_sum, r->n), r->min_ns / 1e3,
                       avg(r->p50_sum, r->n) / 1e3, p99 / 1e3, avg(r->p999_sum, r->n) / 1e3, r->max_ns / 1e3,
                       avg(r->stdev_sum, r->n) / 1e3, r->samples_sum, x99, xmax, avg(r->stalls_sum, r->n),
                       avg(r->stalled_sum, r->n), r->gap_ns / 1e3,
                       avg(r->ctxsw_sum, r->n), avg(r->migr_sum, r->n), nrate, r->errors ? "  (failed trials)" : "");
        }
        if (!csv)
                printf("offered: what the generator sent (it shares CPUs here too); ×base, ×p99, ×max: this row over its baseline "
                       "(no neighbour, same pinning); stalls: poll gaps over 10 us "
                       "per trial, stalled%%: their share of the time; gap: the longest; ctxsw, migr: the PMD threads', per "
                       "trial\n");
        return 0;
}
