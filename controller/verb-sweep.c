/* isolab sweep, noisy and run — one experiment, end to end (DESIGN.md, "A run";
 * docs/engine.md).
 *
 * The study gave the OVS-DPDK container `docker --cpus` of 100 % down to 12.5 % and
 * measured by hand; these verbs do it on the planned placement.  sweep steps the NF's
 * CPU quota; noisy adds neighbours (isolab-noise workloads on chosen placements) and the
 * NF's pinning, with baseline trials; run takes all of it from a scenario file.  They
 * are one pipeline, whose steps live in the files engine.h names. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "controller/engine.h"
#include "controller/method.h"
#include "controller/paths.h"
#include "controller/runmodel.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"

/* "trial 3/20: quota 50% period 100000us frame 64 B unpinned neighbour cpu@same-core rep 1" */
static void point_label(const struct exp_run *R, size_t i, char *buf, size_t len) {
        const struct experiment *x = R->x;
        const struct matrix_point *pt = &R->pts[i];
        char who[64] = "";
        if (pt->neighbour)
                neighbour_label(&R->nb.v[pt->neighbour], who, sizeof(who));
        else if (x->n_specs)
                snprintf(who, sizeof(who), "none");
        char ring[24] = "";
        if (x->n_ring > 1)
                snprintf(ring, sizeof(ring), " ring %u", variant_ring(x, pt->pinning));
        snprintf(buf, len, "trial %zu/%zu: quota %g%% period %" PRIu64 "us frame %u B%s%s%s%s%s rep %u", i + 1, R->npts,
                 pt->quota, pt->period_us, pt->frame_size, ring, x->n_pin > 1 ? " " : "",
                 x->n_pin > 1 ? x->pin_names[variant_pin(x, pt->pinning)] : "", x->n_specs ? " neighbour " : "", who,
                 pt->repetition + 1);
}

/* A new variant (NF kind x pinning): the agents start again with its command lines. */
static int switch_variant(struct exp_run *R, unsigned v, struct diag *d) {
        run_variant(R, v);
        _cleanup_free_ char *cl = cpulist_format(R->nf_set);
        char ring[32] = "";
        if (R->ring)
                snprintf(ring, sizeof(ring), ", rings of %u", R->ring);
        fprintf(stderr, "isolab: NF %s %s (lcores %s%s): restarting the agents\n", R->nf->name,
                R->x->pin_names[variant_pin(R->x, v)], R->lc_nf, ring);
        return agents_restart(R, cl, d);
}

/* An agent died: with --restart-agents, both start again (a new generator makes new
 * sockets, which the NF must attach to) and the run goes on.  True when it may. */
static bool restart_after_death(struct exp_run *R) {
        struct runner_agent *g = R->slot[ROLE_GEN].a, *n = R->slot[ROLE_NF].a;
        if (!R->x->o.restart || R->run.interrupted || !((g && g->exited) || (n && n->exited)) || R->restarts >= MAX_RESTARTS)
                return false;
        R->restarts++;
        fprintf(stderr, "isolab: restarting the agents (%d of %d)\n", R->restarts, MAX_RESTARTS);
        struct diag d = { 0 };
        int r = agents_restart(R, NULL, &d);
        if (r < 0)
                report_error(&d, r);
        return r >= 0;
}

/* For each point: its variant, its quota, then the method measures it. */
static int run_points(struct exp_run *R) {
        const struct experiment *x = R->x;
        paths_agent("noise", R->noise_bin, sizeof(R->noise_bin));
        R->pr = (struct progress){ .tty = isatty(STDERR_FILENO), .n = R->npts, .t0_ns = mono_ns() };
        int rc = 0;
        for (size_t i = 0; i < R->npts && !R->run.interrupted && rc == 0; i++) {
                const struct matrix_point *pt = &R->pts[i];
                struct diag d = { 0 };
                struct cg_quota q;
                int r = pt->pinning != R->cur_var ? switch_variant(R, pt->pinning, &d) : 0;
                if (r >= 0) {
                        cg_quota_compute(pt->quota, x->o.pmd_cores, pt->period_us, &q, NULL);
                        r = container_is_host(R->ct) ? R->cg.ops->set_quota(&R->cg, R->slot[ROLE_NF].rel, &q, &d)
                                                     : container_set_quota(R, &q, &d);
                }
                if (r < 0) {
                        report_error(&d, r);
                        rc = EXIT_RUNTIME;
                        break;
                }
                char label[200];
                point_label(R, i, label, sizeof(label));
                if (x->method->run_point(R, pt, label) && !restart_after_death(R))
                        rc = EXIT_RUNTIME;
        }
        if (R->run.interrupted) {
                fprintf(stderr, "\nisolab: %s: stopping; the finished trials are in %s/trials.jsonl\n",
                        strsignal(R->run.interrupted), R->out);
                return EXIT_RUNTIME;
        }
        return rc;
}

/* DESIGN.md "Output": the report as text and CSV, and the figures, beside the records
 * (isolab report and isolab plot redo them at any time), from one read of the results;
 * then the report on stdout. */
static int run_outputs(struct exp_run *R) {
        struct diag d = { 0 };
        _cleanup_(model_free) struct run_model m = { 0 };
        _cleanup_fclose_ FILE *f = resdir_read(&R->outdir, "trials.jsonl", &d);
        if (!f || model_load(&m, &R->outdir, f, R->out, true, &d) < 0) {
                report_error(&d, -EIO);
                return EXIT_RUNTIME;
        }
        if (model_write(&m, &R->outdir, "report.txt", FORMAT_TEXT, &d) < 0 ||
            model_write(&m, &R->outdir, "report.csv", FORMAT_CSV, &d) < 0)
                fprintf(stderr, "isolab: could not write %s/report.txt or report.csv: %s\n", R->out, d.msg);
        int figures = m.series.n ? plot_draw(&m, &R->outdir, "png") : -ENODATA;
        if (figures < 0)
                fprintf(stderr, "isolab: no figures%s; isolab plot %s tries again\n",
                        figures == -ENODATA ? " (no measured trial)" : " (see above)", R->out);
        else
                fprintf(stderr, "%d figures in %s/figures (png)\n", figures, R->out);
        fprintf(stderr, "isolab: results in %s (trials.jsonl, run.json, report.txt, report.csv, figures/)\n", R->out);
        return model_render(stdout, &m, FORMAT_TEXT) < 0 ? EXIT_RUNTIME : 0;
}

static int fail_usage(struct diag *d, int r) {
        report_error(d, r);
        return EXIT_USAGE;
}

/* The experiment built and checked; the plan; then the machine set up, the agents
 * started, run.json written, each point measured, and everything undone. */
static int experiment(int argc, char **argv, enum exp_mode mode) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct exp_env env = { 0 };
        struct diag d = { 0 };
        bool help = false;
        int r = experiment_parse(&x, mode, argc, argv, &help, &d);
        if (r >= 0 && help) {
                verb_help(stdout, mode == EXP_NOISY ? &verb_noisy : mode == EXP_RUN ? &verb_run : &verb_sweep);
                return 0;
        }
        if (r < 0 || (experiment_wants_noise(&x) && (r = experiment_env_load(&env, &d)) < 0) ||
            (r = experiment_build(&x, &env, &d)) < 0 || (r = experiment_check_here(&x, &d)) < 0)
                return fail_usage(&d, r);
        _cleanup_(run_free) struct exp_run R = { .x = &x, .tfd = -1, .lock_fd = -1, .outdir = { .fd = -1 } };
        if ((r = run_fit(&R, &x, &d)) != 0)
                return r > 0 ? r : fail_usage(&d, r);
        size_t i;
        json_t *w;
        json_array_foreach(x.warnings, i, w) fprintf(stderr, "isolab: %s\n", json_string_value(w));
        if ((r = run_plan(&R, &d)) != 0)
                return r > 0 ? r : fail_usage(&d, r);
        if (!R.npts)
                return 0; /* a resumed run with nothing left */
        if (x.o.dry_run) {
                dry_run(&R);
                return 0;
        }
        if ((r = run_open(&R, &d)) != 0) {
                run_teardown(&R, 0);
                return r > 0 ? r : fail_usage(&d, r);
        }
        int rc = EXIT_RUNTIME;
        if (setup_machine(&R) == 0 && (run_floor(&R), !R.run.interrupted) && agents_start(&R, &d) == 0 &&
            records_begin(&R) == 0)
                rc = run_points(&R);
        rc = run_teardown(&R, rc);
        return rc == 0 ? run_outputs(&R) : rc;
}

static int sweep_run(int argc, char **argv) {
        return experiment(argc, argv, EXP_SWEEP);
}

static int noisy_run(int argc, char **argv) {
        return experiment(argc, argv, EXP_NOISY);
}

static int run_run(int argc, char **argv) {
        return experiment(argc, argv, EXP_RUN);
}

const struct verb verb_sweep = {
        .name = "sweep",
        .usage = "[options]",
        .summary = "sweep the NF's CPU quota and measure rate, loss, latency and throttling (root)",
        .description = "Sweep the NF's CPU quota (the study's docker --cpus) and measure throughput, loss,\n"
                       "latency and throttling at each step, on the planned placement.  Needs root.",
        .run = sweep_run,
        .options = experiment_options_table,
        .n_options = EXPERIMENT_N_OPTIONS,
};

const struct verb verb_noisy = {
        .name = "noisy",
        .usage = "[options]",
        .summary = "run the NF beside noisy neighbours, pinned and unpinned, with baselines (root)",
        .description = "Run the NF next to noisy neighbours (isolab-noise workloads) on chosen placements,\n"
                       "with its PMD threads pinned and/or unpinned, and baseline trials without one;\n"
                       "measure what the NF suffered and what the neighbour got done.  Needs root.",
        .run = noisy_run,
        .options = experiment_options_table,
        .n_options = EXPERIMENT_N_OPTIONS,
};

const struct verb verb_run = {
        .name = "run",
        .usage = "FILE|NAME [options]",
        .summary = "run the experiment a scenario file describes (root; --dry-run shows it)",
        .description = "Run the experiment a scenario file describes (sections [scenario], [nf], [traffic],\n"
                       "[sweep], [noise.NAME]); NAME alone is a shipped scenario (isolab run cpu-sweep).\n"
                       "Options on the command line override the file.  --dry-run shows what it would do.\n"
                       "Needs root, except for --dry-run.",
        .run = run_run,
        .options = experiment_options_table,
        .n_options = EXPERIMENT_N_OPTIONS,
};

