/* engine — one run of an experiment, step by step (DESIGN.md, "A run"; docs/engine.md).
 *
 * verb-sweep.c reads like DPDK's l2fwd main(): the experiment is built and checked
 * (experiment.c), then
 *
 *   run_plan()        the placement, the neighbours, the matrix, less what a resumed
 *                     run has done; names and command lines                  plan-run.c
 *   dry_run()         what all that would do, and nothing done                 dry-run.c
 *   run_open()        root, the results directory, the run lock, cgroups       setup.c
 *   setup_machine()   run directory, hugepages, hugetlbfs, the run's cgroups,
 *                     the controller on the housekeeping CPUs (each step
 *                     pushes its undo, and checks the push)                   setup.c
 *   run_floor()       the generator alone, looped back: the run's floor         floor.c
 *   agents_start()    the generator, then the NF under test, each in its
 *                     cgroup, ready and speaking our protocol version          agents.c
 *   records_begin()   run.json: the environment, the placement planned and
 *                     actual                                                   records.c
 *   run_points()      for each point: the NF kind and pinning, the quota, then
 *                     the method (method.h) runs it; trials in trial.c        verb-sweep.c
 *   run_teardown()    the undo stack, run.json finished, the run lock          setup.c
 *
 * struct exp_run is the run's state: what the steps share.  Only the step that makes
 * a field writes it. */
#pragma once

#include <hwloc.h>
#include <signal.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/cgroup.h"
#include "controller/container.h"
#include "controller/experiment.h"
#include "controller/matrix.h"
#include "controller/nf.h"
#include "controller/resdir.h"
#include "controller/runner.h"
#include "controller/undo.h"
#include "topology/plan.h"
#include "topology/topo.h"

#define MAX_RESTARTS 3 /* --restart-agents */

/* One neighbour setting of the matrix; index 0 is the baseline (none). */
struct neighbour {
        char name[32];            /* [noise.NAME] or the workload; "none" for the baseline */
        char workload[16];
        enum noise_placement placement;
        char rel[200];            /* its cgroup */
        char cpus[64];            /* its cpuset, as a list */
        double quota;             /* % of one CPU for its cgroup; 0: none */
        json_t *options;          /* isolab-noise's start options, {"threads": "2"} */
        json_t *argv;             /* exec's command */
};

struct neighbours {
        struct neighbour v[1 + SCENARIO_MAX_NOISE * _NOISE_PLACEMENT_MAX];
        size_t n;
        json_t *skipped;          /* placements not possible here, with the planner's reason */
};

/* One agent of the run: the generator or the NF under test. */
struct agent_slot {
        const char *name;         /* "gen", "nf": its role, in messages and records */
        char rel[200];            /* its cgroup */
        char prefix[96];          /* DPDK's --file-prefix */
        char log[32];             /* gen.log, nf.log (or the NF kind's) in the results directory */
        struct argvec argv;
        bool raw;                 /* speaks no protocol (nf.h) */
        bool absent;              /* no process (the NF "none") */
        struct runner_agent *a;   /* running, or NULL */
};

/* The run's hugepage accounting, for run.json: what it found, added and gave back. */
struct hp_account {
        uint64_t found_total, found_free, added, returned;
};

/* Progress: on a terminal one line, redrawn — trial i of N, the point, elapsed and ETA —
 * with each finished trial's result scrolled above it; elsewhere (a log, CI) only the
 * results, one line each. */
struct progress {
        bool tty;
        size_t i, n;              /* trials finished, in all */
        uint64_t t0_ns;
        char what[256];           /* the trial running now */
};

struct exp_run {
        const struct experiment *x;
        /* run_plan */
        struct topo *t;
        struct plan *p;
        struct neighbours nb;
        struct matrix_point *pts;
        size_t npts;
        char stamp[32], run_id[64], run_dir[256], huge_dir[300], link_dir[300], notify[300];
        char *out;                /* the results directory, as given (any length) */
        char lc_gen[64], lc_nf[512], socket_mem[128], mems[16];
        char gen_socket_mem[128], gen_huge_dir[300]; /* the generator's (on its own host with --gen-host) */
        struct gen_host *gh;      /* --gen-host: that host, its topology and plan (genhost.h); NULL: one host */
        struct gen_host gh_store;
        uint64_t link_bps;        /* the line rate: --link-speed, or the real ports' speed (agents.c) */
        struct runner_agent *gh_master; /* its master connection (agents.c), and which start of its slot */
        unsigned gh_master_gen;
        bool gh_recorded;         /* the generator host's cleanup is on the undo stack */
        unsigned gen_lcores;           /* the generator's workers: 1 (TX and RX) or 2 (TX, RX) */
        hwloc_bitmap_t nf_set;    /* the NF's cpuset for the current pinning */
        unsigned cur_var;         /* the variant (NF kind x ring size x pinning) running now */
        unsigned ring;            /* its ring size (0: the driver's default) */
        const struct nf_ops *nf;  /* its NF kind */
        const struct container_ops *ct; /* where it runs (container.h) */
        char nf_host_rel[200];    /* the NF's own group (slot rel may name its container's) */
        char image[160];          /* the containers' image (container.h) */
        const struct container_ops *ct_up; /* the engine whose container runs now */
        unsigned images_made;     /* engines (bits of container_engines[]) it was made or checked for */
        bool leftovers_pushed;    /* the engines' cgroup leftovers are on the undo stack */
        const struct nf_ops *nf_up; /* the kind whose agents were started last (agents.c) */
        void *nf_state;           /* that kind's own state, freed by its stop (nf.h) */
        struct agent_slot slot[_ROLE_MAX];
        char nf_parent_rel[200];  /* --quota-scope pmd: the NF's group, holding */
        char nf_other_rel[220];   /* its other threads' (and slot[ROLE_NF].rel its PMDs') */
        /* run_open */
        struct cg_mounts mounts;
        struct cg cg;
        struct resdir outdir;
        int tfd;                  /* trials.jsonl, appended to */
        int sfd;                  /* series.jsonl, opened at the first series (0: not yet, -1: cannot) */
        unsigned n_series;        /* series written by this invocation */
        int lock_fd;
        /* setup_machine */
        struct undo undo;
        struct runner run;
        bool runner_up;
        struct hp_account hp;
        uint64_t granted;
        sigset_t stop_signals;
        /* records_begin */
        json_t *runj;             /* run.json, written again at the end */
        /* run_floor */
        json_t *floor;            /* the generator's floor, or why there is none (run.json "floor") */
        char runjson[64];
        char run_sum[20];         /* the configuration's checksum, in every trial line */
        /* run_points */
        struct progress pr;
        char noise_bin[600];
        int restarts;
};

/* plan-run.c.  run_fit (--fit): the most PMD cores up to --pmd-cores this machine can
 * plan, written into x (experiment_fit); run_plan then plans the run.  Each returns 0,
 * -errno with d set, or an exit status it has said. */
int run_fit(struct exp_run *R, struct experiment *x, struct diag *d);
int run_plan(struct exp_run *R, struct diag *d);

/* Makes variant v (NF kind x pinning) the current one: lcores, cpuset, command lines. */
void run_variant(struct exp_run *R, unsigned v);
void run_free(struct exp_run *R);
/* The NF's lcores and cpuset for a pinning (pure: a plan and a topology). */
void nf_pinning(const struct plan *p, const struct topo *t, bool unpinned, char *lcores, size_t len,
                hwloc_bitmap_t cpuset);
/* The memory nodes of a CPU set, as a list for cpuset.mems. */
void mems_of(const struct topo *t, hwloc_const_bitmap_t cpus, char *buf, size_t len);
/* The neighbour settings: the baseline, then workload x placement where the plan
 * allows it. */
int neighbours_make(const struct experiment *x, const struct plan *p, struct neighbours *nb, struct diag *d);
void neighbours_free(struct neighbours *nb);
/* A neighbour's name in messages: "cpu@same-core". */
void neighbour_label(const struct neighbour *nb, char *buf, size_t len);

/* dry-run.c */
void dry_run(struct exp_run *R);

/* setup.c */
int run_open(struct exp_run *R, struct diag *d);
int setup_machine(struct exp_run *R);
int run_teardown(struct exp_run *R, int rc);
void report_undo(const struct undo_entry *e, const struct diag *d, void *ctx);

/* trial.c: one trial request to a generator (frame size, rate, duration, drain, and the
 * window its burst loss is counted per: the CFS period, 0 for none). */
int trial_gen_request(struct exp_run *R, struct runner_agent *gen, unsigned frame_size, json_t *rate, uint64_t duration_us,
                      double drain, uint64_t window_ns, json_t **ret, struct diag *d);

/* floor.c: the generator's floor in R->floor (or why there is none); never fails the run. */
void run_floor(struct exp_run *R);

/* agents.c */
void agents_build_argv(struct exp_run *R);
/* The generator's command line looped back on itself (the NF kind none), for the floor. */
void agents_floor_argv(const struct exp_run *R, struct argvec *a);
int agents_start(struct exp_run *R, struct diag *d);
/* Stops both agents (the NF first) and starts them again; with nf_cpus, the NF's cpuset
 * changes in between (a new pinning). */
int agents_restart(struct exp_run *R, const char *nf_cpus, struct diag *d);
/* The NF kind's stop (nf.h), once its agents are released; run_free calls it last. */
void agents_nf_stop(struct exp_run *R);
/* AGENT_CONTAINED: its process is a container engine's client (--container), whose NF
 * cannot send READY=1 and whose container is the engine's to place.  AGENT_REMOTE: av
 * runs on the generator host (--gen-host), through `isolab serve gen` there. */
#define AGENT_CONTAINED 1u
#define AGENT_REMOTE 2u
int agent_start(struct exp_run *R, const char *role, char *const av[], const char *rel, const char *prefix,
                const char *logname, bool raw, unsigned flags, struct runner_agent **ret, struct diag *d);
/* The floor's generator (av: agents_floor_argv), where the run's generator runs. */
int agents_floor_start(struct exp_run *R, char *const av[], struct runner_agent **ret, struct diag *d);

/* records.c (and records.h for what needs no run) */
int records_begin(struct exp_run *R);
/* One whole line per write, then fsync; takes line.  False (said) when it failed. */
bool records_append(struct exp_run *R, json_t *line, const struct matrix_point *pt);
/* A trial's time series, appended to series.jsonl under an id that the trial's line
 * (line) gets as series.id; a series that cannot be written is said, and the trial kept. */
void records_series(struct exp_run *R, const struct matrix_point *pt, json_t *line, json_t *series);
/* run.json says what the run did to the hugepage reservation, to the end. */
void records_finish(struct exp_run *R);

/* trial.c: one trial of point pt at rate for duration_us (0: the run's --duration) with
 * neighbour nb (NULL: none); its record, with "error" and *failed set when it failed. */
json_t *trial_measure(struct exp_run *R, const struct matrix_point *pt, json_t *rate, uint64_t duration_us,
                      const struct neighbour *nb, bool *failed, struct diag *d);

/* progress.c */
void progress_begin(struct progress *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_end(struct progress *pr, json_t *line, bool counts);
/* CLOCK_MONOTONIC in ns: every controller-side time of a run. */
uint64_t mono_ns(void);
