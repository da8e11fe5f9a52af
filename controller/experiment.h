/* experiment — what one run of sweep, noisy or run will measure, decided before anything
 * on the machine changes (DESIGN.md, "A run", step 1).
 *
 * The options come in layers: the defaults, a scenario file, the command line over it,
 * or (--resume) the run's own run.json alone.  experiment_build() then checks every one
 * and parses every list into a struct experiment that the rest of the pipeline only
 * reads: the matrix's dimensions, the NFs under test (nf.h), the throughput method
 * (method.h), the neighbours and the offered rate.  It is pure: the one thing it asks of
 * the machine, isolab-noise's workload names, comes in through struct exp_env, so the
 * unit tests build experiments without root and without the agents. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agents/common/nfwork.h"
#include "base/diag.h"
#include "controller/cli.h"
#include "controller/genhost.h"
#include "controller/scenario.h"
#include "topology/plan.h"

#define EXP_MAX_LIST 32  /* quotas, periods, frame sizes */
#define EXP_MAX_PIN 2    /* pinned, unpinned */
#define EXP_MAX_NF 4     /* NF kinds in one run */
#define EXP_MAX_RING 4   /* ring sizes in one run */
#define EXP_MAX_WORKLOADS 32
#define EXP_PORTS 4      /* --link pci: the generator's two, the NF's two */
#define EXP_OVS_RXQ 8    /* --ovs-n-rxq: rx queues of OVS's ingress port */
#define EXP_MAX_CT 3     /* --container: none, docker, podman */

enum exp_mode { EXP_SWEEP, EXP_NOISY, EXP_RUN };

/* The options as given (one table, experiment_options(), for the command line, the
 * scenario file's keys, --help, the manual and the echo in run.json). */
struct exp_opts {
        const char *quotas, *periods, *frame_sizes, *rate, *out, *link, *ports;
        const char *noise, *placement, *pinning, *noise_opt, *noise_cmd, *noise_quota, *name;
        const char *method, *ndr_loss, *pdr_loss, *precision, *nf, *resume, *nf_work, *gen_cores, *ring_size;
        const char *min_rate, *latency_at, *loss_repeats, *quota_scope, *ovs_rxq_affinity;
        const char *container, *container_image, *container_headroom, *study;
        const char *gen_host, *gen_ports, *gen_ssh, *gen_isolab;
        unsigned repetitions, pmd_cores, max_trials, ovs_n_rxq, ovs_n_rxq_desc, ovs_socket_mem;
        uint64_t duration_us, warmup_us, link_speed, final_us;
        bool shuffle, no_huge, restart, dry_run, no_floor, fit;
        unsigned seed;
        char resume_sum[20]; /* --resume: the checksum of the run's configuration (not an option) */
};

/* What experiment_build needs from outside: the workloads isolab-noise has. */
struct exp_env {
        char workloads[EXP_MAX_WORKLOADS][16];
        size_t n_workloads;
        char workload_list[600]; /* "cpu, cache, ... or exec", for messages */
};

struct nf_ops;
struct method;
struct container_ops;

struct experiment {
        enum exp_mode mode;
        struct exp_opts o;
        struct scenario sc;            /* the file's neighbours, and the strings o points into */
        char name[32];                 /* the run's name: --name / [scenario] name, else the verb's */
        double quotas[EXP_MAX_LIST];
        uint64_t periods[EXP_MAX_LIST];
        unsigned sizes[EXP_MAX_LIST];
        int nq, np, nfs;
        json_t *warnings;              /* (quota, period) pairs the kernel refuses, left out */
        const char *link;              /* vhost, memif or pci (agents/common/linkspec.h) */
        char ports[EXP_PORTS][16];     /* pci: gen 0, gen 1, nf 0, nf 1 (sysfs form; with --gen-host the first two
                                        * are the generator host's); "" otherwise */
        bool gen_remote;               /* --gen-host: the generator on its own host */
        struct gen_host gh;            /* its destination and ssh command (genhost.h; the run fills the rest) */
        char pin_names[EXP_MAX_PIN][16];
        bool unpinned[EXP_MAX_PIN];
        int n_pin;
        const struct nf_ops *nf[EXP_MAX_NF];
        int n_nf;
        const struct container_ops *ct[EXP_MAX_CT]; /* --container: where the NF runs (container.h) */
        int n_ct;
        double ct_headroom;            /* --container-headroom: % of one CPU over PMD cores x q */
        unsigned rings[EXP_MAX_RING];  /* --ring-size: descriptors per ring, 0 for the driver's default */
        int n_ring;
        struct nf_work work;           /* --nf-work: per-packet work of the NF (table 0: none) */
        unsigned gen_cores;            /* --gen-cores: 1 or 2 lcores (TX, RX); 0: auto, the plan's choice */
        bool quota_scope_pmd;          /* --quota-scope pmd: only the polling threads under the quota */
        /* [ovs]: the ingress port's rx queues and their descriptors (0: the ring), each
         * queue's PMD (an index into the plan's PMD CPUs; -1: OVS assigns it), OVS's
         * hugepage memory, and whether its pinned PMDs must also poll the unpinned queues
         * (pmd-rxq-isolate=false: every PMD has a pinned queue and some queue has none). */
        struct {
                unsigned n_rxq, rxq_desc, socket_mem_mb;
                int affinity[EXP_OVS_RXQ];
                bool no_isolate;
        } ovs;
        struct noise_spec specs[SCENARIO_MAX_NOISE];
        size_t n_specs;
        enum noise_placement places[SCENARIO_MAX_NOISE][_NOISE_PLACEMENT_MAX];
        int n_places[SCENARIO_MAX_NOISE];
        double noise_quota[SCENARIO_MAX_NOISE]; /* % of one CPU; 0: none */
        unsigned noise_mask;           /* the placements any neighbour asks for */
        json_t *rate;                  /* the generator's "rate": "line", "50%" or pps */
        const struct method *method;
        double ndr_loss, pdr_loss, precision; /* precision: % of the search's upper bound */
        double min_rate;               /* % of line rate: below it a search says 0 */
        unsigned max_trials, loss_repeats;
        unsigned latency_at[EXP_MAX_LIST]; /* --latency-at: % of the point's PDR (0: a low-rate stream) */
        int n_latency_at;
        unsigned seed;                 /* --seed, else from the clock (--shuffle's; recorded) */
};

/* The option table (EXPERIMENT_N_OPTIONS rows; the verbs' tables are constant). */
#define EXPERIMENT_N_OPTIONS 53
extern const struct cli_option experiment_options_table[];
const struct cli_option *experiment_options(size_t *n, size_t *opts_size);

/* The options of argv in their layers into x->o (and x->sc).  Returns 0 (*help: the verb
 * prints its help) or -errno with d naming the option or file and the fix. */
int experiment_parse(struct experiment *x, enum exp_mode mode, int argc, char **argv, bool *help, struct diag *d);

/* Checks x->o and fills the rest of x.  Returns 0 or -errno with d naming the option
 * (or the file, line and section) and the fix. */
int experiment_build(struct experiment *x, const struct exp_env *env, struct diag *d);

/* What experiment_build cannot decide alone, asked of this machine: the link's DPDK
 * driver, each NF kind's own check (testpmd in PATH), each neighbour by isolab-noise
 * --check.  Still changes nothing. */
int experiment_check_here(const struct experiment *x, struct diag *d);

/* --fit: the run made to fit a machine with room for pmd_cores PMD cores only (fewer than
 * asked): --pmd-cores becomes pmd_cores and OVS's rx-queue affinity is folded onto the
 * PMDs there are; each change is a warning (x->warnings: the plan's output, run.json and
 * the report say it). */
void experiment_fit(struct experiment *x, unsigned pmd_cores, const char *why);

/* The workloads of isolab-noise --list, into env; needed when the run has neighbours. */
int experiment_env_load(struct exp_env *env, struct diag *d);
bool experiment_wants_noise(const struct experiment *x);

void experiment_free(struct experiment *x);

/* The verb's name in run.json's "tool": "isolab sweep". */
const char *experiment_tool(const struct experiment *x);

/* The matrix's "pinning" dimension holds variants: NF kind x container x ring size x
 * pinning (each change restarts the agents with other command lines). */
static inline unsigned variant_pin(const struct experiment *x, unsigned v) {
        return v % (unsigned)x->n_pin;
}
static inline unsigned variant_ring(const struct experiment *x, unsigned v) {
        return x->rings[(v / (unsigned)x->n_pin) % (unsigned)x->n_ring];
}
static inline const struct container_ops *variant_ct(const struct experiment *x, unsigned v) {
        return x->ct[(v / (unsigned)(x->n_pin * x->n_ring)) % (unsigned)x->n_ct];
}
static inline const struct nf_ops *variant_nf(const struct experiment *x, unsigned v) {
        return x->nf[v / (unsigned)(x->n_pin * x->n_ring * x->n_ct)];
}
static inline unsigned n_variants(const struct experiment *x) {
        return (unsigned)(x->n_nf * x->n_ct * x->n_ring * x->n_pin);
}

/* A checksum of a run's configuration (run.json "config", keys sorted), for every trial
 * line: --resume refuses lines of another run or an edited run.json. */
void config_sum(json_t *cfg, char *buf, size_t len);

/* Splits a comma list in place; returns the number of items (at most max). */
int split_list(char *s, char **v, int max);
