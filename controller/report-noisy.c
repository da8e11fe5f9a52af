/* The study's Table 7, extended: what neighbours did to the NF, and what the NF's
 * neighbours got done (isolab noisy; any run whose trials name a neighbour) (runmodel.h).
 *
 * One row per pinning x neighbour x placement (and quota, period, frame size when a run
 * varies them): forwarded Mpps mean and stdev over the repetitions, loss, latency min /
 * p50 / p99 / p99.9 / max / stdev with the sample count, the NF's stalls (poll gaps
 * over 10 us) and longest gap, the PMD threads' involuntary context switches and
 * migrations, and the neighbour's achieved rate.  Every row is also shown relative to
 * its baseline: the row without a neighbour with the same pinning (and quota, period,
 * frame size) — rate, p99 and max latency as ratios. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/inference.h"
#include "controller/runmodel.h"

static bool same_point(const struct mrow *a, const struct mrow *b) {
        return a->quota == b->quota && a->period_us == b->period_us && a->frame_size == b->frame_size &&
               a->ring == b->ring && strcmp(a->pinning, b->pinning) == 0 && strcmp(a->nf, b->nf) == 0;
}

static const struct mrow *baseline(const struct rowset *s, const struct mrow *r) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].neighbour, "none") == 0 && same_point(&s->v[i], r) && s->v[i].n)
                        return &s->v[i];
        return NULL;
}

static double ratio(double a, double b) {
        return b > 0 && !isnan(a) ? a / b : NAN;
}

/* A row's figures against its baseline's; the rate only over an NF-limited baseline
 * (na: why not). */
struct vs {
        double mpps, p99, max;
        struct interval iv;       /* mpps, paired by repetition */
        const char *na;
        char why[256];
};

static void versus(const struct rowset *s, const struct mrow *r, struct vs *vs) {
        const struct mrow *b = baseline(s, r);
        vs->na = b ? row_baseline_na(b, vs->why, sizeof(vs->why)) : NULL;
        vs->iv = (struct interval){ .est = NAN, .lo = NAN, .hi = NAN };
        if (!b) {
                vs->mpps = vs->p99 = vs->max = NAN;
                return;
        }
        if (!vs->na && acc_mean(&b->mpps) > 0)
                vs->iv = row_ratio(b, r);
        vs->mpps = vs->iv.est;
        vs->p99 = ratio(row_pct(r, 99, &r->p99), row_pct(b, 99, &b->p99));
        vs->max = ratio(r->max.max, b->max.max);
}

void report_noisy_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)f, (void)warnings;
        const struct rowset *s = &m->table[TABLE_NOISY];
        json_t *a = json_array();
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                struct vs vs;
                versus(s, r, &vs);
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:i, s:i}", "nf", r->nf, "pinning", r->pinning, "neighbour",
                                      r->neighbour, "placement", r->placement, "quota", r->quota, "period_us",
                                      (json_int_t)r->period_us, "frame_size", (json_int_t)r->frame_size, "trials", r->n,
                                      "failed", r->errors);
                const struct named_num nums[] = {
                        { "offered_mpps", acc_mean(&r->offered) },
                        { "mpps_mean", acc_mean(&r->mpps) },
                        { "mpps_stdev", acc_stdev(&r->mpps) },
                        { "mpps_ci95", acc_ci95(&r->mpps) },
                        { "mpps_vs_baseline", vs.mpps },
                        { "mpps_vs_baseline_lo", vs.iv.lo },
                        { "mpps_vs_baseline_hi", vs.iv.hi },
                        { "loss_pct", acc_mean(&r->loss) },
                        { "loss_ci95", acc_ci95(&r->loss) },
                        { "min_us", r->n ? r->min.min / 1e3 : NAN },
                        { "p50_us", row_pct(r, 50, &r->p50) / 1e3 },
                        { "p99_us", row_pct(r, 99, &r->p99) / 1e3 },
                        { "p99_9_us", row_pct(r, 99.9, &r->p999) / 1e3 },
                        { "max_us", r->n ? r->max.max / 1e3 : NAN },
                        { "stdev_us", acc_mean(&r->lat_sd) / 1e3 },
                        { "latency_samples", r->samples.sum },
                        { "p99_vs_baseline", vs.p99 },
                        { "max_vs_baseline", vs.max },
                        { "stalls", acc_mean(&r->stalls) },
                        { "stalled_pct", acc_mean(&r->stalled) },
                        { "longest_gap_us", r->n ? r->gap.max / 1e3 : NAN },
                        { "nonvoluntary_ctxt_switches", acc_mean(&r->ctxsw) },
                        { "migrations", acc_mean(&r->migr) },
                        { "neighbour_rate", acc_mean(&r->nrate) },
                        { "neighbour_rate_stdev", r->nrate.n ? acc_stdev(&r->nrate) : NAN },
                };
                json_set_nums(o, nums, sizeof(nums) / sizeof(nums[0]));
                json_object_set_new(o, "neighbour_unit", r->nrate.n ? json_string(r->unit) : json_null());
                json_object_set_new(o, "mpps_vs_baseline_na", vs.na && r->n ? json_string(vs.na) : json_null());
                json_set_loss_parts(o, r);
                json_object_set_new(o, "ring_size", r->ring ? json_integer(r->ring) : json_null());
                json_detail(o, r);
                json_array_append_new(a, o);
        }
        json_object_set_new(doc, "rows", a);
}

void report_noisy_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)warnings, (void)doc;
        const struct rowset *s = &m->table[TABLE_NOISY];
        fprintf(f, "pinning,neighbour,placement,quota_pct,period_us,frame_size,trials,failed,offered_mpps,mpps_mean,mpps_stdev,"
                   "mpps_vs_baseline,loss_pct,min_us,p50_us,p99_us,p99_9_us,max_us,stdev_us,latency_samples,"
                   "p99_vs_baseline,max_vs_baseline,stalls,stalled_pct,longest_gap_us,nonvoluntary_ctxt_switches,migrations,"
                   "neighbour_rate,neighbour_rate_stdev,neighbour_unit," LOSS_PARTS_CSV_HEADER
                   ",mpps_ci95,mpps_vs_baseline_lo,mpps_vs_baseline_hi" DETAIL_CSV_HEADER "\n");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                struct vs vs;
                versus(s, r, &vs);
                fprintf(f, "%s,%s,%s,%g,%ld,%ld,%u,%u,%.4f,%.4f,%.4f,%.3f,%.3f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.0f,%.3f,%.3f,%.1f,"
                           "%.2f,%.1f,%.1f,%.1f,",
                        r->pinning, r->neighbour, r->placement, r->quota, r->period_us, r->frame_size, r->n, r->errors,
                        acc_mean(&r->offered), acc_mean(&r->mpps), acc_stdev(&r->mpps), vs.mpps, acc_mean(&r->loss),
                        r->n ? r->min.min / 1e3 : NAN, row_pct(r, 50, &r->p50) / 1e3, row_pct(r, 99, &r->p99) / 1e3,
                        row_pct(r, 99.9, &r->p999) / 1e3, r->max.max / 1e3, acc_mean(&r->lat_sd) / 1e3, r->samples.sum, vs.p99, vs.max,
                        acc_mean(&r->stalls), acc_mean(&r->stalled), r->gap.max / 1e3, acc_mean(&r->ctxsw),
                        acc_mean(&r->migr));
                if (r->nrate.n)
                        fprintf(f, "%.4g,%.4g,%s,", acc_mean(&r->nrate), acc_stdev(&r->nrate), r->unit);
                else
                        fprintf(f, ",,,");
                csv_loss_parts(f, r);
                double ci = acc_ci95(&r->mpps);
                fputc(',', f);
                if (!isnan(ci))
                        fprintf(f, "%.4f", ci);
                fputc(',', f);
                if (vs.iv.bounded)
                        fprintf(f, "%.3f,%.3f", vs.iv.lo, vs.iv.hi);
                else
                        fputc(',', f);
                csv_detail(f, r);
                fputc('\n', f);
        }
}

void report_noisy_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)doc;
        const struct rowset *s = &m->table[TABLE_NOISY];
        /* Shown only when the run varies them. */
        bool vq = false, vp = false, vf = false, vr = false, vn = false;
        char na_why[256] = "";
        for (size_t i = 1; i < s->n; i++) {
                vq |= s->v[i].quota != s->v[0].quota;
                vp |= s->v[i].period_us != s->v[0].period_us;
                vf |= s->v[i].frame_size != s->v[0].frame_size;
                vr |= s->v[i].ring != s->v[0].ring;
                vn |= strcmp(s->v[i].nf, s->v[0].nf) != 0;
        }
        size_t wi;
        json_t *w;
        json_array_foreach(warnings, wi, w) fprintf(f, "! %s\n", json_string_value(w));
        if (vn)
                fprintf(f, "%-10s ", "nf");
        if (vq)
                fprintf(f, "%6s ", "quota");
        if (vp)
                fprintf(f, "%6s ", "period");
        if (vf)
                fprintf(f, "%5s ", "frame");
        if (vr)
                fprintf(f, "%5s ", "ring");
        /* %17s and %7s: "±" and "×" are two bytes, one column. */
        fprintf(f, "%-9s %-10s %-10s %3s %8s %17s %19s %7s %7s %7s %8s %8s %8s %8s %8s %7s %7s %7s %8s %8s %6s %5s  %s\n",
                "pinning", "noise", "placement", "n", "offered", "Mpps (mean ±95%)", "×base [95%]", "loss %", "min us", "p50 us",
                "p99 us", "p99.9 us", "max us", "stdev us", "samples", "×p99", "×max", "stalls", "stalled%", "gap us", "ctxsw",
                "migr", "neighbour rate");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (vn)
                        fprintf(f, "%-10s ", r->nf);
                if (vq)
                        fprintf(f, "%5g%% ", r->quota);
                if (vp)
                        fprintf(f, "%4ldms ", r->period_us / 1000);
                if (vf)
                        fprintf(f, "%5ld ", r->frame_size);
                if (vr)
                        fprintf(f, "%5ld ", r->ring);
                if (r->n == 0) {
                        fprintf(f, "%-9s %-10s %-10s %3u  (all %u trials failed: see trials.jsonl)\n", r->pinning,
                                r->neighbour, r->placement, r->n, r->errors);
                        continue;
                }
                struct vs vs;
                versus(s, r, &vs);
                char rate[48], nrate[64] = "-", x[48] = "-", x99[16] = "-", xmax[16] = "-";
                fmt_mean_ci(rate, sizeof(rate), &r->mpps, 3);
                if (baseline(s, r) && baseline(s, r) != r) {
                        if (vs.na)
                                snprintf(x, sizeof(x), "n/a");
                        else
                                fmt_ratio(x, sizeof(x), &vs.iv, false);
                        snprintf(x99, sizeof(x99), "%.2f", vs.p99);
                        snprintf(xmax, sizeof(xmax), "%.2f", vs.max);
                        if (vs.na && !na_why[0])
                                snprintf(na_why, sizeof(na_why), "%s", vs.na);
                }
                if (r->nrate.n)
                        snprintf(nrate, sizeof(nrate), "%.4g ± %.2g %s", acc_mean(&r->nrate), acc_stdev(&r->nrate), r->unit);
                fprintf(f, "%-9s %-10s %-10s %3u %8.3f %*s %18s %7.2f %7.1f %7.1f %8.1f %8.1f %8.1f %8.1f %8.0f %6s %6s %7.0f "
                           "%8.2f %8.1f %6.0f %5.1f  %s%s\n",
                        r->pinning, r->neighbour, r->placement, r->n, acc_mean(&r->offered), strstr(rate, "±") ? 18 : 17,
                        rate, x, acc_mean(&r->loss), r->min.min / 1e3, row_pct(r, 50, &r->p50) / 1e3,
                        row_pct(r, 99, &r->p99) / 1e3, row_pct(r, 99.9, &r->p999) / 1e3,
                        r->max.max / 1e3, acc_mean(&r->lat_sd) / 1e3, r->samples.sum, x99, xmax, acc_mean(&r->stalls),
                        acc_mean(&r->stalled), r->gap.max / 1e3, acc_mean(&r->ctxsw), acc_mean(&r->migr), nrate,
                        r->errors ? "  (failed trials)" : "");
        }
        fprintf(f, "offered: what the generator sent (it shares CPUs here too); ×base, ×p99, ×max: this row over its baseline "
                   "(no neighbour, same pinning); stalls: poll gaps over 10 us per trial, stalled%%: their share of the time; "
                   "gap: the longest; ctxsw, migr: the PMD threads', per trial\n");
        if (na_why[0])
                fprintf(f, "×base n/a: %s; the rate ratio would measure the generator\n", na_why);
        text_repetitions(f, m, TABLE_NOISY);
        text_latency(f, m, TABLE_NOISY);
        text_burst(f, m, TABLE_NOISY);
}
