/* The sweep's table: the study's Tables 5 and 6 as one (runmodel.h).
 *
 * One row per (NF, period, frame size, quota): the offered rate (what the generator
 * really sent: loss is relative to it; a row where the generator could not keep to the
 * requested rate is marked), forwarded Mpps mean and standard deviation over the
 * repetitions, loss, latency (mean of the trials' p50 and p99, the worst max, mean
 * stdev), the NF cgroup's throttled share of periods, the PMD threads' achieved CPU
 * share, and the proportional-scaling column: rate at this quota / rate at 100 % (the
 * study's question: does an NF at q % of a CPU forward q % of the packets?). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/inference.h"
#include "controller/runmodel.h"

/* The row at 100 % with the same NF, period and frame size, for the proportional column. */
static const struct mrow *full(const struct rowset *s, const struct mrow *r) {
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].quota == 100 && s->v[i].period_us == r->period_us && s->v[i].frame_size == r->frame_size &&
                    s->v[i].ring == r->ring && s->v[i].n && strcmp(s->v[i].nf, r->nf) == 0)
                        return &s->v[i];
        return NULL;
}

/* Rate at q / rate at 100 %, with its interval paired by repetition: only over an
 * NF-limited baseline (else NaN, and na says why). */
static struct interval vs_full_ci(const struct rowset *s, const struct mrow *r, const char **na, char *buf, size_t len) {
        const struct mrow *f100 = full(s, r);
        const char *why = row_baseline_na(f100, buf, len);
        if (na)
                *na = why;
        if (!f100 || why)
                return (struct interval){ .est = NAN, .lo = NAN, .hi = NAN };
        return row_ratio(f100, r);
}

static double vs_full(const struct rowset *s, const struct mrow *r, const char **na, char *buf, size_t len) {
        return vs_full_ci(s, r, na, buf, len).est;
}



/* The columns that tell rows apart beyond the quota: the NF kind and the ring size, when
 * the run has several. */
/* The nf column: as wide as its longest label ("ovs-dpdk@docker"), 10 at least. */
static int nf_width(const struct run_model *m) {
        int w = 10;
        const struct rowset *s = &m->table[TABLE_SWEEP];
        for (size_t i = 0; i < s->n; i++)
                if ((int)strlen(s->v[i].nf) > w)
                        w = (int)strlen(s->v[i].nf);
        return w;
}

static void lead_header(FILE *f, const struct run_model *m) {
        if (m->several_nf)
                fprintf(f, "%-*s ", nf_width(m), "nf");
        if (m->several_rings)
                fprintf(f, "%5s ", "ring");
}

static void lead(FILE *f, const struct run_model *m, const struct mrow *r) {
        if (m->several_nf)
                fprintf(f, "%-*s ", nf_width(m), r->nf);
        if (m->several_rings) {
                char ring[16] = "dflt";
                if (r->ring)
                        snprintf(ring, sizeof(ring), "%ld", r->ring);
                fprintf(f, "%5s ", ring);
        }
}

/* The row's max latency: the worst trial's (0 when none measured). */
static double max_us(const struct mrow *r) {
        return r->max.max / 1e3;
}

void report_sweep_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)f, (void)warnings;
        const struct rowset *s = &m->table[TABLE_SWEEP];
        json_t *a = json_array();
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                const char *na = NULL;
                char why[256];
                struct interval iv = vs_full_ci(s, r, &na, why, sizeof(why));
                json_t *row = json_pack("{s:s, s:f, s:I, s:I, s:o, s:i, s:i, s:i, s:i}", "nf", r->nf, "quota", r->quota,
                                        "period_us", (json_int_t)r->period_us, "frame_size", (json_int_t)r->frame_size,
                                        "ring_size", r->ring ? json_integer(r->ring) : json_null(), "trials", r->n,
                                        "failed", r->errors, "generator_shortfall", r->shortfall, "generator_stalled",
                                        r->gen_stalled);
                const struct named_num nums[] = {
                        { "offered_mpps", acc_mean(&r->offered) },
                        { "mpps_mean", acc_mean(&r->mpps) },
                        { "mpps_stdev", r->n ? acc_stdev(&r->mpps) : NAN },
                        { "mpps_ci95", acc_ci95(&r->mpps) },
                        { "loss_pct", acc_mean(&r->loss) },
                        { "loss_ci95", acc_ci95(&r->loss) },
                        { "throttled_time_ci95", acc_ci95(&r->throttled) },
                        { "cpu_share_ci95", acc_ci95(&r->share) },
                        { "p50_us", row_pct(r, 50, &r->p50) / 1e3 },
                        { "p99_us", row_pct(r, 99, &r->p99) / 1e3 },
                        { "max_us", r->n ? max_us(r) : NAN },
                        { "stdev_us", acc_mean(&r->lat_sd) / 1e3 },
                        { "throttled_time_pct", acc_mean(&r->throttled) },
                        { "mean_throttle_ms", acc_mean(&r->throttle_len) / 1e3 },
                        { "cpu_share", acc_mean(&r->share) },
                        { "nf_busy_share", acc_mean(&r->busy) },
                        { "rate_vs_100", iv.est },
                        { "rate_vs_100_lo", iv.lo },
                        { "rate_vs_100_hi", iv.hi },
                };
                json_set_nums(row, nums, sizeof(nums) / sizeof(nums[0])); /* all failed: null figures */
                json_object_set_new(row, "rate_vs_100_na", na && r->n ? json_string(na) : json_null());
                json_set_loss_parts(row, r);
                json_detail(row, r);
                if (r->thr_cpu[TC_MAIN].n) {
                        json_t *th = json_object();
                        for (int k = 0; k < _TC_MAX; k++)
                                json_object_set_new(th, thread_cls_keys[k], json_real(acc_mean(&r->thr_cpu[k])));
                        json_object_set_new(row, "threads_cpu_share", th);
                }
                json_array_append_new(a, row);
        }
        json_object_set_new(doc, "rows", a);
}

void report_sweep_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)warnings, (void)doc;
        const struct rowset *s = &m->table[TABLE_SWEEP];
        fprintf(f, "nf,quota_pct,period_us,frame_size,ring_size,trials,failed,generator_shortfall,generator_stalled,offered_mpps,mpps_mean,"
                   "mpps_stdev,loss_pct,p50_us,p99_us,max_us,stdev_us,throttled_time_pct,mean_throttle_ms,cpu_share,"
                   "nf_busy_share,rate_vs_100," LOSS_PARTS_CSV_HEADER ",mpps_ci95,loss_ci95,throttled_time_ci95,cpu_share_ci95,rate_vs_100_lo,rate_vs_100_hi" DETAIL_CSV_HEADER "\n");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                char why[256];
                char ring[16] = "";
                if (r->ring)
                        snprintf(ring, sizeof(ring), "%ld", r->ring);
                fprintf(f, "%s,%g,%ld,%ld,%s,%u,%u,%u,%u,%.4f,%.4f,%.4f,%.3f,%.2f,%.2f,%.2f,%.2f,%.1f,%.2f,%.3f,%.3f,%.3f,", r->nf,
                        r->quota, r->period_us, r->frame_size, ring, r->n, r->errors, r->shortfall, r->gen_stalled, acc_mean(&r->offered),
                        acc_mean(&r->mpps), acc_stdev(&r->mpps), acc_mean(&r->loss), row_pct(r, 50, &r->p50) / 1e3,
                        row_pct(r, 99, &r->p99) / 1e3, max_us(r), acc_mean(&r->lat_sd) / 1e3, acc_mean(&r->throttled),
                        acc_mean(&r->throttle_len) / 1e3, acc_mean(&r->share), acc_mean(&r->busy),
                        vs_full(s, r, NULL, why, sizeof(why)));
                csv_loss_parts(f, r);
                struct interval iv = vs_full_ci(s, r, NULL, why, sizeof(why));
                const struct acc *means[] = { &r->mpps, &r->loss, &r->throttled, &r->share };
                for (size_t k = 0; k < sizeof(means) / sizeof(means[0]); k++) {
                        double ci = acc_ci95(means[k]);
                        fputc(',', f);
                        if (!isnan(ci))
                                fprintf(f, "%.4f", ci);
                }
                fputc(',', f);
                if (iv.bounded)
                        fprintf(f, "%.3f,%.3f", iv.lo, iv.hi);
                else
                        fputc(',', f);
                csv_detail(f, r);
                fputc('\n', f);
        }
}

/* Where the loss was counted, per row, as shares of the packets offered (they add up to
 * the row's loss %): below the table, for the rows whose trials split it. */
static void text_loss_parts(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->table[TABLE_SWEEP];
        bool any = false;
        for (size_t i = 0; i < s->n && !any; i++)
                any = s->v[i].n && s->v[i].lparts[LP_UNSEEN].n;
        if (!any)
                return;
        fprintf(f, "\nwhere the loss was counted (%% of the packets offered; loss_parts in trials.jsonl):\n");
        lead_header(f, m);
        fprintf(f, "%7s %7s %6s %8s %13s %13s %12s %14s %8s\n", "quota", "period", "frame", "loss %", "link refused",
                "NF RX missed", "NF TX drops", "gen RX missed", "unseen");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->n || !r->lparts[LP_UNSEEN].n)
                        continue;
                char per[32], q[32], cell[_LP_MAX][16];
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                for (int k = 0; k < _LP_MAX; k++)
                        snprintf(cell[k], sizeof(cell[k]), r->lparts[k].n ? "%.2f" : "-", acc_mean(&r->lparts[k]));
                lead(f, m, r);
                fprintf(f, "%7s %7s %6ld %8.2f %13s %13s %12s %14s %8s\n", q, per, r->frame_size, acc_mean(&r->loss),
                        cell[LP_LINK_REFUSED], cell[LP_NF_RX_MISSED], cell[LP_NF_TX_DROPS], cell[LP_GEN_RX_MISSED],
                        cell[LP_UNSEEN]);
        }
        fprintf(f, "link refused: the generator's TX queue refused them (on a virtual link, the NF's RX ring was full); "
                   "NF RX missed, NF TX drops: the NF's own counters (- when it has none); unseen: in flight at the end or "
                   "dropped where no counter sees them\n");
}

/* Where the NF's CPU time went, by class of thread, as a share of the trial: the quota
 * pays for all of them (Docker's --cpus limits the whole container), so a row whose
 * non-PMD threads took much of it forwards less than its quota suggests. */
static void text_threads(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->table[TABLE_SWEEP];
        bool any = false;
        for (size_t i = 0; i < s->n && !any; i++)
                any = s->v[i].thr_cpu[TC_PMD].n > 0 || s->v[i].thr_cpu[TC_MAIN].n > 0;
        if (!any)
                return;
        fprintf(f, "\nwhere the NF's CPU time went (%% of one CPU over the trial's sched window, per class of thread; "
                   "nf.threads_cpu_ns):\n");
        lead_header(f, m);
        fprintf(f, "%7s %7s %6s", "quota", "period", "frame");
        for (int k = 0; k < _TC_MAX; k++)
                fprintf(f, " %11s", thread_cls_keys[k]);
        fputc('\n', f);
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->n || !r->thr_cpu[TC_MAIN].n)
                        continue;
                char per[32], q[32];
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                lead(f, m, r);
                fprintf(f, "%7s %7s %6ld", q, per, r->frame_size);
                for (int k = 0; k < _TC_MAX; k++)
                        fprintf(f, " %10.2f%%", 100 * acc_mean(&r->thr_cpu[k]));
                fputc('\n', f);
        }
        fprintf(f, "pmd: the NF's polling threads (OVS's pmd-cNN; isolab-nf and testpmd count theirs as lcore or main); "
                   "main, handler, revalidator, urcu: OVS's others; eal: DPDK's interrupt and telemetry threads\n");
}

/* OVS's own stall signal: its PMD iterations over 250 us (pmd-perf-show's histogram, every
 * one) and those it logged as suspicious with their length (one at a time: a lower bound),
 * beside the throttled time the cgroup counted. */
static void text_ovs_stalls(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->table[TABLE_SWEEP];
        bool any = false;
        for (size_t i = 0; i < s->n && !any; i++)
                any = s->v[i].ovs_long_it.n > 0;
        if (!any)
                return;
        fprintf(f, "\nOVS's own stall signal (per trial; nf.inside.perf and nf.inside.suspicious):\n");
        lead_header(f, m);
        fprintf(f, "%7s %7s %6s %13s %12s %12s %14s\n", "quota", "period", "frame", "iter >250us", "logged ms", "longest ms",
                "throttled ms");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->n || !r->ovs_long_it.n)
                        continue;
                char per[32], q[32];
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                lead(f, m, r);
                fprintf(f, "%7s %7s %6ld %13.1f %12.1f %12.1f %14.1f\n", q, per, r->frame_size, acc_mean(&r->ovs_long_it),
                        r->ovs_logged_ms.n ? acc_mean(&r->ovs_logged_ms) : NAN, r->ovs_longest_ms.n ? r->ovs_longest_ms.max : NAN,
                        acc_mean(&r->throttled_ms));
        }
        fprintf(f, "iter >250us: OVS's PMD iterations that took over 250 us (all of them, from pmd-perf-show); logged ms, "
                   "longest ms: the time of those OVS logged as suspicious, which it does one at a time (a lower bound); "
                   "throttled ms: the cgroup's throttled time over its own window (about the trial's)\n");
}

void report_sweep_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)doc;
        const struct rowset *s = &m->table[TABLE_SWEEP];
        size_t wi;
        json_t *w;
        json_array_foreach(warnings, wi, w) fprintf(f, "! %s\n", json_string_value(w));
        lead_header(f, m);
        fprintf(f, "%7s %7s %6s %4s %8s  %17s %8s %9s %9s %9s %9s %10s %6s  %s\n", "quota", "period", "frame", "n", "offered",
                "Mpps (mean ±95%)", "loss %", "p50 us", "p99 us", "max us", "stdev us", "throttled", "CPU", "q/100% [95%]");
        bool any_shortfall = false;
        unsigned stalled = 0;
        char na_why[256] = "", why[256];
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                const char *na = NULL;
                struct interval prop = vs_full_ci(s, r, &na, why, sizeof(why));
                if (na && r->n && !na_why[0])
                        snprintf(na_why, sizeof(na_why), "%s", na);
                char per[32], q[32];
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                any_shortfall |= r->shortfall > 0;
                stalled += r->gen_stalled;
                lead(f, m, r);
                if (r->n == 0) {
                        fprintf(f, "%7s %7s %6ld %4u %8s  %17s  (all %u trials failed: see trials.jsonl)\n", q, per,
                                r->frame_size, r->n, "-", "-", r->errors);
                        continue;
                }
                char rate[48], pr[48];
                fmt_mean_ci(rate, sizeof(rate), &r->mpps, 3);
                if (na)
                        snprintf(pr, sizeof(pr), "n/a");
                else
                        fmt_ratio(pr, sizeof(pr), &prop, r == full(s, r));
                /* Next to the figure: * the generator fell short of the rate, ! it stalled. */
                const char *mark = r->shortfall && r->gen_stalled ? "*!" : r->shortfall ? "* " : r->gen_stalled ? "! " : "  ";
                fprintf(f, "%7s %7s %6ld %4u %7.3f%s %*s %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f%% %5.2f  %s%s\n", q, per,
                        r->frame_size, r->n, acc_mean(&r->offered), mark, strstr(rate, "±") ? 18 : 17, rate,
                        acc_mean(&r->loss), row_pct(r, 50, &r->p50) / 1e3, row_pct(r, 99, &r->p99) / 1e3, max_us(r),
                        acc_mean(&r->lat_sd) / 1e3,
                        acc_mean(&r->throttled), acc_mean(&r->share), pr, r->errors ? "  (failed trials)" : "");
        }
        if (any_shortfall)
                fprintf(f, "* the generator could not offer the requested rate; loss is relative to what it offered\n");
        if (stalled)
                fprintf(f, "! the generator stalled (its TX loop stopped for over 1 ms) in %u trial%s of the rows marked: "
                           "their offered load has holes (generator_stalled in CSV and JSON)\n",
                        stalled, stalled == 1 ? "" : "s");
        fprintf(f, "throttled: the share of the PMD cores' time the NF's cgroup was throttled\n");
        if (na_why[0])
                fprintf(f, "q/100%% n/a: %s; the ratio would measure the generator\n", na_why);
        text_repetitions(f, m, TABLE_SWEEP);
        text_latency(f, m, TABLE_SWEEP);
        text_burst(f, m, TABLE_SWEEP);
        text_loss_parts(f, m);
        text_threads(f, m);
        text_ovs_stalls(f, m);
}
