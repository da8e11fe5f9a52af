/* method-search — NDR and PDR: a binary search per point and loss goal (search.c), every
 * trial of it recorded as it ends, then the result as a line of its own ("kind":
 * "search"); then, with --latency-at, trials at shares of the point's PDR for latency at
 * equal relative load, as FD.io CSIT reports it (method.h; docs/ndr-pdr.md). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/engine.h"
#include "controller/method.h"
#include "controller/search.h"
#include "controller/verbs.h"

double method_goal_pct(const struct experiment *x, unsigned k) {
        return strcmp(x->method->goals[k], "ndr") == 0 ? x->ndr_loss : x->pdr_loss;
}

/* One trial of search se: its record, with what the search made of it. */
static bool search_trial(struct exp_run *R, const struct matrix_point *pt, const char *label, unsigned k, struct search *se,
                         double *throttle_us) {
        const struct experiment *x = R->x;
        struct diag d = { 0 };
        bool failed = false;
        double asked = se->rate;
        bool verifying = se->verifying;
        progress_begin(&R->pr, "%s: %s %s %.3f Mpps", label, x->method->goals[k], verifying ? "final" : "try", asked / 1e6);
        json_t *rj = json_real(asked);
        const struct neighbour *nb = pt->neighbour ? &R->nb.v[pt->neighbour] : NULL;
        json_t *line = trial_measure(R, pt, rj, verifying ? x->o.final_us : 0, nb, &failed, &d);
        json_decref(rj);
        progress_end(&R->pr, line, false);
        if (!failed) {
                search_update(se, report_num(line, "result.tx.offered_pps"), report_num(line, "result.loss.ratio"),
                              json_is_true(json_object_get(json_object_get(json_object_get(line, "result"), "tx"),
                                                           "generator_shortfall")));
                /* The NF's throttles during the search (the longest of its trials' mean
                 * throttles): a ring bounds the rate that passes them without loss
                 * (search_result). */
                double n = report_num(line, "cgroup.nr_throttled"), us = report_num(line, "cgroup.throttled_us");
                if (n > 0 && us > 0 && us / n > *throttle_us)
                        *throttle_us = us / n;
        }
        /* The trial whose rate became the result (a verification, or line rate passing at
         * once): the plot's point for it. */
        bool found_here = !failed && se->phase == SEARCH_DONE && se->found == asked && asked > 0;
        json_object_set_new(line, "search",
                            json_pack("{s:s, s:f, s:i, s:f, s:b, s:s, s:b}", "method", x->method->goals[k], "loss_goal_pct",
                                      method_goal_pct(x, k), "step", (int)se->trials, "rate_pps", asked, "verification",
                                      verifying, "verdict", failed ? "error" : search_verdict(se), "found_here", found_here));
        return failed | !records_append(R, line, pt);
}

/* The descriptors of the link's rings (--ring-size, else DPDK's default). */
#define DEFAULT_RING 256

/* The search's result: its own line.  Under a quota a throttle of T seconds leaves the NF
 * unable to take packets; its RX ring holds ring packets, so a rate above ring / T loses
 * some in every throttle: NDR <= ring / T.  When that bound is below the lowest rate the
 * search tried, it is why NDR is 0, and the line says so. */
static bool search_result(struct exp_run *R, const struct matrix_point *pt, const char *label, unsigned k,
                          const struct search *se, double line_pps, double throttle_us) {
        const struct experiment *x = R->x;
        const struct neighbour *nb = pt->neighbour ? &R->nb.v[pt->neighbour] : NULL;
        const char *goal = x->method->goals[k];
        json_t *sum = json_pack("{s:s, s:s, s:I, s:i, s:f, s:I, s:i, s:s, s:s, s:f, s:f, s:f, s:f, s:i, s:b, s:b}", "kind",
                                "search", "nf_under_test", R->nf->name, "index", (json_int_t)pt->index, "repetition",
                                pt->repetition, "quota", pt->quota, "period_us", (json_int_t)pt->period_us, "frame_size",
                                pt->frame_size, "pinning", x->pin_names[variant_pin(x, pt->pinning)], "method", goal,
                                "loss_goal_pct", method_goal_pct(x, k), "found_pps", se->found, "found_mpps", se->found / 1e6,
                                "pct_of_line", 100 * se->found / line_pps, "trials", (int)se->trials, "converged",
                                se->phase == SEARCH_DONE, "generator_limited", se->generator_limited);
        json_object_set_new(sum, "ring_size", R->ring ? json_integer(R->ring) : json_null());
        if (!container_is_host(R->ct))
                json_object_set_new(sum, "container", json_string(R->ct->name));
        json_object_set_new(sum, "precision_pct", json_real(x->precision));
        json_object_set_new(sum, "repeated", json_integer(se->repeated));
        json_object_set_new(sum, "final_duration", json_real((x->o.final_us ? x->o.final_us : x->o.duration_us) / 1e6));
        json_object_set_new(sum, "lowest_failed_pps", se->lowest_failed > 0 ? json_real(se->lowest_failed) : json_null());
        unsigned ring = R->ring ? R->ring : DEFAULT_RING;
        double bound = throttle_us > 0 ? ring / (throttle_us / 1e6) : NAN;
        json_object_set_new(sum, "ring_bound",
                            throttle_us > 0
                                    ? json_pack("{s:i, s:f, s:f, s:b}", "ring", ring, "throttle_ms", throttle_us / 1e3,
                                                "bound_pps", bound,
                                                /* The cause of a zero: even the lowest rate tried overflows the ring in a throttle. */
                                                "explains_zero", se->phase == SEARCH_DONE && se->found == 0 &&
                                                                         se->lowest_failed > 0 && bound < se->lowest_failed)
                                    : json_null());
        json_object_set_new(sum, "neighbour",
                            nb ? json_pack("{s:s, s:s}", "name", nb->name, "placement",
                                           noise_placement_to_string(nb->placement))
                               : json_null());
        fprintf(stderr, "isolab: %s: %s %.3f Mpps (%.1f %% of line) after %u trials%s%s\n", label, goal, se->found / 1e6,
                100 * se->found / line_pps, se->trials, se->phase == SEARCH_DONE ? "" : ", not converged",
                se->generator_limited ? ", limited by the generator" : "");
        if (se->phase == SEARCH_DONE && se->found == 0 && se->lowest_failed > 0 && bound < se->lowest_failed)
                fprintf(stderr, "isolab: %s: %s is 0 because each throttle (%.1f ms) outlasts the ring: %u descriptors hold "
                                "%.0f pps at most, below the lowest rate tried (%.0f pps)\n",
                        label, goal, throttle_us / 1e3, ring, bound, se->lowest_failed);
        return !records_append(R, sum, pt);
}

#define LATENCY_STREAM_PPS 10000 /* --latency-at 0: a latency stream alone, as CSIT's */

/* --latency-at: a trial at each share of the point's PDR (the last goal's rate when the
 * method has no PDR), recorded with "latency_at" (not a sweep trial).  0 % is a low-rate
 * stream: latency with the NF otherwise idle. */
static bool latency_at(struct exp_run *R, const struct matrix_point *pt, const char *label, const char *of, double of_pps) {
        const struct experiment *x = R->x;
        if (!(of_pps > 0)) {
                fprintf(stderr, "isolab: %s: no latency at load: the %s is 0\n", label, of);
                return false;
        }
        bool failed = false;
        for (int i = 0; i < x->n_latency_at && !failed && !R->run.interrupted; i++) {
                double pct = x->latency_at[i];
                double rate = pct > 0 ? of_pps * pct / 100 : fmin(LATENCY_STREAM_PPS, of_pps);
                struct diag d = { 0 };
                progress_begin(&R->pr, "%s: latency at %g %% of %s, %.3f Mpps", label, pct, of, rate / 1e6);
                json_t *rj = json_real(rate);
                const struct neighbour *nb = pt->neighbour ? &R->nb.v[pt->neighbour] : NULL;
                json_t *line = trial_measure(R, pt, rj, 0, nb, &failed, &d);
                json_decref(rj);
                progress_end(&R->pr, line, false);
                json_object_set_new(line, "latency_at", json_pack("{s:f, s:s, s:f, s:f}", "pct", pct, "of", of, "of_pps", of_pps,
                                                                  "rate_pps", rate));
                failed |= !records_append(R, line, pt);
        }
        return failed;
}

static int search_run_point(struct exp_run *R, const struct matrix_point *pt, const char *label) {
        const struct experiment *x = R->x;
        bool failed = false;
        double found = 0;
        const char *of = NULL;
        for (unsigned k = 0; k < x->method->n_goals && !failed && !R->run.interrupted; k++) {
                double line_pps = (double)R->link_bps / ((pt->frame_size + 20) * 8.0), throttle_us = 0;
                struct search se;
                search_init(&se, &(struct search_cfg){ .max_pps = line_pps, .loss_goal = method_goal_pct(x, k) / 100,
                                                       .precision = x->precision / 100,
                                                       .min_pps = x->min_rate / 100 * line_pps,
                                                       .max_trials = x->max_trials, .loss_repeats = x->loss_repeats });
                while (se.phase == SEARCH_RUNNING && !failed && !R->run.interrupted)
                        failed |= search_trial(R, pt, label, k, &se, &throttle_us);
                if (se.phase == SEARCH_RUNNING)
                        break; /* interrupted or failed: no result to record */
                failed |= search_result(R, pt, label, k, &se, line_pps, throttle_us);
                if (!of || strcmp(x->method->goals[k], "pdr") == 0) {
                        of = x->method->goals[k];
                        found = se.found;
                }
        }
        if (!failed && !R->run.interrupted && of && x->n_latency_at)
                failed |= latency_at(R, pt, label, of, found);
        return failed;
}

static bool search_point_done(const struct method *m, unsigned measured, unsigned results) {
        (void)measured;
        return results >= m->n_goals;
}

/* The search halves down to a first pass, then halves the range to the precision, then
 * the final trial; each failing rate is repeated --loss-repeats times (about half of
 * them fail); then the latency trials. */
static double search_trials_per_point(const struct experiment *x) {
        double steps = (2 + ceil(log2(100 / x->precision)) + 1) * (1 + x->loss_repeats / 2.0);
        return x->method->n_goals * fmin(steps, x->max_trials) + x->n_latency_at;
}

#define SEARCH_METHOD(NAME, N, ...)                                                                                   \
        {                                                                                                             \
                .name = NAME, .n_goals = N, .goals = { __VA_ARGS__ }, .run_point = search_run_point,                  \
                .point_done = search_point_done, .trials_per_point = search_trials_per_point,                         \
        }

const struct method method_ndr = SEARCH_METHOD("ndr", 1, "ndr");
const struct method method_pdr = SEARCH_METHOD("pdr", 1, "pdr");
const struct method method_ndr_pdr = SEARCH_METHOD("ndr-pdr", 2, "ndr", "pdr");
