/* method-search — NDR and PDR: a binary search per point and loss goal (search.c), every
 * trial of it recorded as it ends, then the result as a line of its own ("kind":
 * "search") (method.h; docs/ndr-pdr.md). */
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
static bool search_trial(struct exp_run *R, const struct matrix_point *pt, const char *label, unsigned k, struct search *se) {
        const struct experiment *x = R->x;
        struct diag d = { 0 };
        bool failed = false;
        double asked = se->rate;
        bool verifying = se->verifying;
        progress_begin(&R->pr, "%s: %s %s %.3f Mpps", label, x->method->goals[k], verifying ? "verify" : "try", asked / 1e6);
        json_t *rj = json_real(asked);
        const struct neighbour *nb = pt->neighbour ? &R->nb.v[pt->neighbour] : NULL;
        json_t *line = trial_measure(R, pt, rj, nb, &failed, &d);
        json_decref(rj);
        progress_end(&R->pr, line, false);
        if (!failed)
                search_update(se, report_num(line, "result.tx.offered_pps"), report_num(line, "result.loss.ratio"));
        /* The trial whose rate became the result (a verification, or line rate passing at
         * once): the plot's point for it. */
        bool found_here = !failed && se->phase == SEARCH_DONE && se->found == asked && asked > 0;
        json_object_set_new(line, "search",
                            json_pack("{s:s, s:f, s:i, s:f, s:b, s:s, s:b}", "method", x->method->goals[k], "loss_goal_pct",
                                      method_goal_pct(x, k), "step", (int)se->trials, "rate_pps", asked, "verification",
                                      verifying, "verdict", failed ? "error" : search_verdict(se), "found_here", found_here));
        return failed | !records_append(R, line, pt);
}

/* The search's result: its own line. */
static bool search_result(struct exp_run *R, const struct matrix_point *pt, const char *label, unsigned k,
                          const struct search *se, double line_pps) {
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
        json_object_set_new(sum, "neighbour",
                            nb ? json_pack("{s:s, s:s}", "name", nb->name, "placement",
                                           noise_placement_to_string(nb->placement))
                               : json_null());
        fprintf(stderr, "isolab: %s: %s %.3f Mpps (%.1f %% of line) after %u trials%s%s\n", label, goal, se->found / 1e6,
                100 * se->found / line_pps, se->trials, se->phase == SEARCH_DONE ? "" : ", not converged",
                se->generator_limited ? ", limited by the generator" : "");
        return !records_append(R, sum, pt);
}

static int search_run_point(struct exp_run *R, const struct matrix_point *pt, const char *label) {
        const struct experiment *x = R->x;
        bool failed = false;
        for (unsigned k = 0; k < x->method->n_goals && !failed && !R->run.interrupted; k++) {
                double line_pps = (double)x->o.link_speed / ((pt->frame_size + 20) * 8.0);
                struct search se;
                search_init(&se, &(struct search_cfg){ .max_pps = line_pps, .loss_goal = method_goal_pct(x, k) / 100,
                                                       .precision_pps = x->precision / 100 * line_pps,
                                                       .max_trials = x->max_trials });
                while (se.phase == SEARCH_RUNNING && !failed && !R->run.interrupted)
                        failed |= search_trial(R, pt, label, k, &se);
                if (se.phase == SEARCH_RUNNING)
                        break; /* interrupted or failed: no result to record */
                failed |= search_result(R, pt, label, k, &se, line_pps);
        }
        return failed;
}

static bool search_point_done(const struct method *m, unsigned measured, unsigned results) {
        (void)measured;
        return results >= m->n_goals;
}

/* The search halves the range per trial down to the precision, then verifies. */
static double search_trials_per_point(const struct experiment *x) {
        double steps = ceil(log2(100 / x->precision)) + 2;
        return x->method->n_goals * fmin(steps, x->max_trials);
}

#define SEARCH_METHOD(NAME, N, ...)                                                                                   \
        {                                                                                                             \
                .name = NAME, .n_goals = N, .goals = { __VA_ARGS__ }, .run_point = search_run_point,                  \
                .point_done = search_point_done, .trials_per_point = search_trials_per_point,                         \
        }

const struct method method_ndr = SEARCH_METHOD("ndr", 1, "ndr");
const struct method method_pdr = SEARCH_METHOD("pdr", 1, "pdr");
const struct method method_ndr_pdr = SEARCH_METHOD("ndr-pdr", 2, "ndr", "pdr");
