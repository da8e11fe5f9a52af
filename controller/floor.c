/* floor — the generator's own floor, measured once per run before the NF starts (engine.h).
 *
 * No NF can be measured faster, with less loss or lower latency than the generator and
 * the link manage alone.  So each run starts the generator on its planned lcores with
 * its port 0 looped back to a virtio-user port of its own (isolab-gen --selftest, the NF
 * kind "none"), offers the run's rate at its first frame size for one short trial after
 * a short warm-up, and records what came back in run.json ("floor"): the rate ceiling,
 * the loss floor and the latency floor, with the window and the sample count.  The
 * report prints it beside the results. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controller/engine.h"
#include "controller/verbs.h"

#define FLOOR_MAX_US 1000000    /* the measured trial: the run's duration, at most 1 s */
#define FLOOR_WARMUP_US 200000  /* its warm-up, left out */
#define FLOOR_DRAIN_S 0.1

/* Why this run has no floor, or NULL when it gets one. */
static const char *floor_skipped(const struct exp_run *R) {
        const struct experiment *x = R->x;
        if (x->o.no_floor)
                return "--no-floor";
        if (x->o.resume)
                return "a resumed run keeps the floor its first run measured (run.json)";
        if (strcmp(x->link, "vhost") != 0)
                return "the floor loops the generator back over vhost-user; this run's link is not vhost";
        for (int i = 0; i < x->n_nf; i++)
                if (x->nf[i]->has_process)
                        return NULL;
        return "the run's NF is none: its own trials are the floor";
}

static int floor_trial(struct exp_run *R, struct runner_agent *a, uint64_t us, json_t **ret, struct diag *d) {
        return trial_gen_request(R, a, R->x->sizes[0], R->x->rate, us, FLOOR_DRAIN_S, 0, ret, d);
}

/* What the report needs of the generator's reply, with the window it covers. */
static json_t *floor_summary(const struct exp_run *R, json_t *res, uint64_t us) {
        json_t *tx = json_object_get(res, "tx"), *lat = json_object_get(res, "latency");
        return json_pack("{s:s, s:s, s:i, s:O, s:f, s:f, s:f, s:f, s:b, s:b, s:{s:O, s:O, s:O, s:O, s:O}}", "what",
                         "the generator alone: its port 0 looped back to a virtio-user port of its own (no NF)", "lcores",
                         R->lc_gen, "frame_size", R->x->sizes[0], "rate", R->x->rate, "window_s", us / 1e6, "offered_mpps",
                         json_number_value(json_object_get(tx, "offered_pps")) / 1e6, "mpps",
                         json_number_value(json_object_get(res, "mpps")), "loss_ratio",
                         json_number_value(json_object_get(json_object_get(res, "loss"), "ratio")), "generator_shortfall",
                         json_is_true(json_object_get(tx, "generator_shortfall")), "generator_stalled",
                         json_is_true(json_object_get(tx, "stalled")), "latency", "samples", json_object_get(lat, "samples"),
                         "min_ns", json_object_get(lat, "min_ns"), "p50_ns", json_object_get(lat, "p50_ns"), "p99_ns",
                         json_object_get(lat, "p99_ns"), "max_ns", json_object_get(lat, "max_ns"));
}

void run_floor(struct exp_run *R) {
        const char *skip = floor_skipped(R);
        if (skip) {
                R->floor = json_pack("{s:s}", "skipped", skip);
                return;
        }
        struct argvec av = { 0 };
        agents_floor_argv(R, &av);
        struct diag d = { 0 };
        struct runner_agent *a = NULL;
        uint64_t us = R->x->o.duration_us < FLOOR_MAX_US ? R->x->o.duration_us : FLOOR_MAX_US;
        json_t *warm = NULL, *rep = NULL;
        fprintf(stderr, "isolab: the generator's floor (no NF, %.1f s at %u B)\n", us / 1e6, R->x->sizes[0]);
        int r = av.overflow ? diag_set(&d, -E2BIG, "the floor generator's command line is too long")
                            : agents_floor_start(R, av.v, &a, &d);
        if (r >= 0)
                r = floor_trial(R, a, FLOOR_WARMUP_US, &warm, &d);
        if (r >= 0)
                r = floor_trial(R, a, us, &rep, &d);
        json_t *res = json_object_get(rep, "result");
        if (r >= 0 && json_is_object(res)) {
                R->floor = floor_summary(R, res, us);
        } else {
                /* The floor decorates the results; a run without it goes on, and says why. */
                fprintf(stderr, "isolab: no floor: %s (see %s/floor.log)\n", d.err ? d.msg : "no result", R->out);
                R->floor = json_pack("{s:s}", "failed", d.err ? d.msg : "the generator gave no result");
        }
        json_decref(warm);
        json_decref(rep);
        /* Stopped before the run's generator starts: it takes the same lcores, memory and
         * sockets. */
        if (a)
                runner_release(&R->run, a);
}
