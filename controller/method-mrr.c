/* method-mrr — offer --rate and measure: one trial per point (method.h). */
#include "controller/engine.h"
#include "controller/method.h"

static int mrr_run_point(struct exp_run *R, const struct matrix_point *pt, const char *label) {
        struct diag d = { 0 };
        bool failed = false;
        progress_begin(&R->pr, "%s", label);
        const struct neighbour *nb = pt->neighbour ? &R->nb.v[pt->neighbour] : NULL;
        json_t *line = trial_measure(R, pt, R->x->rate, 0, nb, &failed, &d);
        progress_end(&R->pr, line, true);
        failed |= !records_append(R, line, pt);
        return failed;
}

static bool mrr_point_done(const struct method *m, unsigned measured, unsigned results) {
        (void)m, (void)results;
        return measured > 0;
}

static double mrr_trials_per_point(const struct experiment *x) {
        (void)x;
        return 1;
}

const struct method method_mrr = {
        .name = "mrr",
        .run_point = mrr_run_point,
        .point_done = mrr_point_done,
        .trials_per_point = mrr_trials_per_point,
};
