/* The study's tables (--study, [scenario] study): what the OVS-DPDK-in-Docker study
 * reported for its test case, from this run's trials, beside isolab's own tables
 * (runmodel.h).  Case 1: throughput and latency per NF (min / max / median / mean /
 * stdev over every packet delivered, with the sample count); case 2: the rate under the
 * CPU limit, with the study's own figures for comparison; case 3: the neighbour table
 * above, pinned and unpinned. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agents/common/histo.h"
#include "controller/runmodel.h"
#include "controller/verbs.h"

/* The study's Table 5: OVS-DPDK in Docker at its CPU limits on 10 GbE (64 B). */
static const struct {
        double quota, mpps;
} study_case2[] = { { 100, 14.84 }, { 75, 10.85 }, { 50, 5.65 }, { 25, 2.55 }, { 12.5, 1.15 } };

static const char *study_of(const struct run_model *m) {
        return json_string_value(json_object_get(json_object_get(m->run, "config"), "study"));
}

/* Latency over every packet of the row's trials (their merged histogram), us. */
struct lat5 {
        double min, max, median, mean, sd, samples;
};

static bool lat5_of(const struct mrow *r, struct lat5 *l) {
        const struct histo *h = r->lat.h;
        if (!h || !h->count)
                return false;
        *l = (struct lat5){ .min = (double)h->min / 1e3, .max = (double)h->max / 1e3,
                            .median = lat_delivered(&r->lat, 50, NULL) / 1e3, .mean = h->mean / 1e3,
                            .sd = h->count > 1 ? sqrt(h->m2 / (double)(h->count - 1)) / 1e3 : 0,
                            .samples = (double)h->count };
        return true;
}

static void case1_text(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->table[TABLE_SWEEP];
        fprintf(f, "The study's test case 1: throughput and latency per NF (each row's trials merged; us):\n");
        fprintf(f, "%-22s %7s %4s %18s %8s %9s %9s %9s %9s %9s %9s %10s\n", "nf", "quota", "n", "Mpps (mean ±95%)", "loss %",
                "min", "max", "median", "mean", "stdev", "samples", "lost");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->n)
                        continue;
                char mpps[32], q[16];
                fmt_mean_ci(mpps, sizeof(mpps), &r->mpps, 3);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                struct lat5 l;
                if (!lat5_of(r, &l)) {
                        fprintf(f, "%-22s %7s %4u %18s %8.2f %9s\n", r->nf, q, r->n, mpps, acc_mean(&r->loss), "(none delivered)");
                        continue;
                }
                fprintf(f, "%-22s %7s %4u %18s %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f %9.0f %10.0f\n", r->nf, q, r->n, mpps,
                        acc_mean(&r->loss), l.min, l.max, l.median, l.mean, l.sd, l.samples, r->lat.lost);
        }
        fprintf(f, "min, max, median, mean, stdev: over every packet delivered in the row's trials (the generator's TSC, "
                   "one way through the NF); samples: those packets; lost: the packets offered that never came back.  "
                   "The study's CDF is figures/latency-ccdf.png (isolab plot), normalised to the packets offered.\n");
}

static const struct mrow *row_at(const struct rowset *s, const char *nf, double quota) {
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].n && s->v[i].quota == quota && strcmp(s->v[i].nf, nf) == 0)
                        return &s->v[i];
        return NULL;
}

static void case2_text(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->table[TABLE_SWEEP];
        fprintf(f, "The study's test case 2: the rate under the CPU limit, beside the study's Table 5 (OVS-DPDK in Docker, "
                   "10 GbE, 64 B):\n");
        fprintf(f, "%-22s %7s %10s %8s %18s %9s %10s %8s %10s\n", "nf", "quota", "study Mpps", "study q/", "Mpps (mean ±95%)",
                "q/100%", "throttled", "non-PMD", "offered");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                if (!r->n)
                        continue;
                double st = NAN;
                for (size_t k = 0; k < sizeof(study_case2) / sizeof(study_case2[0]); k++)
                        if (study_case2[k].quota == r->quota)
                                st = study_case2[k].mpps;
                const struct mrow *b = row_at(s, r->nf, 100);
                char mpps[32], q[16], sm[16] = "-", sr[16] = "-";
                fmt_mean_ci(mpps, sizeof(mpps), &r->mpps, 3);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                if (!isnan(st)) {
                        snprintf(sm, sizeof(sm), "%.2f", st);
                        snprintf(sr, sizeof(sr), "%.2f", st / study_case2[0].mpps);
                }
                double ratio = b ? acc_mean(&r->mpps) / acc_mean(&b->mpps) : NAN;
                /* The NF's threads that are not PMDs, as a share of one CPU (they share the limit). */
                double other = 0;
                for (int k = TC_MAIN; k < _TC_MAX; k++)
                        if (k != TC_LCORE && r->thr_cpu[k].n)
                                other += acc_mean(&r->thr_cpu[k]);
                fprintf(f, "%-22s %7s %10s %8s %18s %9.2f %9.1f%% %7.2f%% %10.3f\n", r->nf, q, sm, sr, mpps, ratio,
                        acc_mean(&r->throttled), 100 * other, acc_mean(&r->offered));
        }
        fprintf(f, "study q/: the study's rate over its rate at 100 %%; q/100%%: this run's mean rate over its 100 %% row's at "
                   "the same offered load (a ratio of means, not the paired interval of the main table); compare the ratios, "
                   "not the rates (another machine, another link).  throttled: the share of the time the container's (or "
                   "the NF's) cgroup was throttled, which at 100 %% means the non-PMD threads (non-PMD: their CPU, %% of one "
                   "CPU) took part of a limit of PMD cores x q; --container-headroom gives them room.\n");
}

/* Where this run's setting differs from the study's testbed (two hosts, MoonGen at 10 GbE
 * line rate, OVS in Docker), from run.json. */
static void differs_text(FILE *f, const struct run_model *m) {
        json_t *cfg = json_object_get(m->run, "config");
        json_t *rate = json_object_get(cfg, "rate_parsed");
        char r[48];
        if (json_is_string(rate))
                snprintf(r, sizeof(r), "%s", json_string_value(rate));
        else
                snprintf(r, sizeof(r), "%.0f pps", json_number_value(rate));
        json_t *ls = json_object_get(cfg, "link-speed"), *pc = json_object_get(cfg, "pmd-cores");
        fprintf(f, "\nThis run: offered %s of a %.0f Gbit/s emulated link (the study: 10 GbE line rate from MoonGen on "
                   "another host, over a cable), %lld PMD core%s, the generator on this machine over vhost-user; the "
                   "warnings above say what the plan had to change.\n",
                r, (json_is_number(ls) ? json_number_value(ls) : 1e10) / 1e9,
                json_is_integer(pc) ? (long long)json_integer_value(pc) : 1LL,
                json_is_integer(pc) && json_integer_value(pc) > 1 ? "s" : "");
}

void report_study_text(FILE *f, const struct run_model *m) {
        const char *st = study_of(m);
        if (!st)
                return;
        differs_text(f, m);
        if (strcmp(st, "case1") == 0)
                case1_text(f, m);
        else if (strcmp(st, "case2") == 0)
                case2_text(f, m);
        else if (strcmp(st, "case3") == 0)
                fprintf(f, "The study's test case 3 is the neighbour table above: the NF beside an HTTP neighbour, pinned and "
                           "unpinned (the study's Table 7), with isolab's columns beside the rate.\n");
}

json_t *report_study_json(const struct run_model *m) {
        const char *st = study_of(m);
        if (!st)
                return NULL;
        const struct rowset *s = &m->table[TABLE_SWEEP];
        json_t *rows = json_array();
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                struct lat5 l;
                if (!r->n)
                        continue;
                json_t *row = json_pack("{s:s, s:f, s:i, s:f, s:f}", "nf", r->nf, "quota_pct", r->quota, "n", (int)r->n,
                                        "mpps_mean", acc_mean(&r->mpps), "loss_pct", acc_mean(&r->loss));
                if (lat5_of(r, &l))
                        json_object_set_new(row, "latency_us",
                                            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "min", l.min, "max", l.max, "median",
                                                      l.median, "mean", l.mean, "stdev", l.sd, "samples", l.samples));
                json_array_append_new(rows, row);
        }
        return json_pack("{s:s, s:o}", "case", st, "rows", rows);
}
