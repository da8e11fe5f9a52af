/* experiment — the options of a run, checked and parsed (experiment.h). */
#include "controller/experiment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/spawn.h"
#include "base/util.h"
#include "controller/cgroup.h"
#include "controller/container.h"
#include "controller/drivers.h"
#include "controller/method.h"
#include "controller/nf.h"
#include "controller/paths.h"
#include "controller/resdir.h"
#include "agents/common/linkspec.h"

#define MAX_LIST EXP_MAX_LIST

static json_t *rate_json(const char *rate, struct diag *d);

/* Values checked where they are read, so a scenario file's mistake has its line. */
static int parse_rate(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        json_t *j = rate_json(value, d);
        if (!j)
                return -EINVAL;
        json_decref(j);
        return cli_parse_string(o, value, dst, d);
}

static int parse_bounded_duration(const struct cli_option *o, const char *value, void *dst, uint64_t lo_us, uint64_t hi_us,
                                  struct diag *d) {
        int r = cli_parse_duration(o, value, dst, d);
        if (r < 0)
                return r;
        uint64_t v = *(uint64_t *)dst;
        if (v < lo_us || v > hi_us)
                return diag_set(d, -EINVAL, "--%s %s: give %s to %s", o->name, value, lo_us ? "100ms" : "0s",
                                hi_us >= 3600000000ULL ? "3600s (an hour)" : "600s (10 minutes)");
        return 0;
}

static int parse_trial_duration(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        return parse_bounded_duration(o, value, dst, 100000, 3600000000ULL, d);
}

static int parse_warmup(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        return parse_bounded_duration(o, value, dst, 0, 600000000ULL, d);
}

/* One table for the command line, the scenario file (by section), --help and the echo
 * of the effective configuration in run.json.  [noise.NAME] sections are the file's
 * neighbours (scenario.h); --noise and friends are the command line's. */
const struct cli_option experiment_options_table[] = {
        { "name", "NAME", "the scenario's name, for the results directory (a-z, 0-9, _ and -)", cli_parse_string,
          offsetof(struct exp_opts, name), "scenario" },
        { "repetitions", "N", "repetitions of the whole matrix (default 1)", cli_parse_count,
          offsetof(struct exp_opts, repetitions), "scenario" },
        { "duration", "DUR", "measured traffic per trial (default 10s; 100ms to 1h)", parse_trial_duration,
          offsetof(struct exp_opts, duration_us), "scenario" },
        { "warmup", "DUR", "traffic before each measurement, left out of it (default 2s; at most 10 min)", parse_warmup,
          offsetof(struct exp_opts, warmup_us), "scenario" },
        { "shuffle", NULL, "shuffle the order within each repetition (the seed is recorded)", NULL,
          offsetof(struct exp_opts, shuffle), "scenario" },
        { "seed", "N", "seed for --shuffle (default: from the clock)", cli_parse_uint, offsetof(struct exp_opts, seed),
          "scenario" },
        { "study", "CASE", "the study's test case this run reproduces, case1 (throughput and latency), case2 (the CPU "
          "limit) or case3 (a neighbour, pinned and unpinned): the report adds the study's table beside isolab's",
          cli_parse_string, offsetof(struct exp_opts, study), "scenario" },
        { "fit", NULL, "on a machine smaller than the scenario asks, run it with fewer PMD cores (at least one) and OVS's "
          "rx-queue affinity folded onto them instead of refusing; every change is a warning in the plan, run.json and "
          "the report", NULL, offsetof(struct exp_opts, fit), "scenario" },
        { "restart-agents", NULL, "when an agent dies, record the failed trial, restart both agents and go on (3 times at most)",
          NULL, offsetof(struct exp_opts, restart), "scenario" },
        { "out", "DIR", "results directory (default results/NAME-UTCTIME)", cli_parse_string,
          offsetof(struct exp_opts, out), "scenario" },
        { "nf", "LIST", "the NF under test: isolab-nf (default), testpmd (dpdk-testpmd io forwarding, the yardstick), "
          "ovs-dpdk (a private Open vSwitch with DPDK: a bridge, two ports, two flows), none (the generator looped back: "
          "the floor)", cli_parse_string, offsetof(struct exp_opts, nf), "nf" },
        { "container", "LIST", "where the NF runs: none (the host, in isolab's cgroup; default), docker or podman (a "
          "container of that engine, the quota through the engine; several: a dimension of the run)", cli_parse_string,
          offsetof(struct exp_opts, container), "nf" },
        { "container-image", "IMAGE", "the NF's image (never pulled; default: one isolab makes for the run, with the "
          "host's /usr and its agents mounted read-only)", cli_parse_string, offsetof(struct exp_opts, container_image),
          "nf" },
        { "container-headroom", "PCT", "% of one CPU the container's quota gets beyond PMD cores x q, for the NF's other "
          "threads (default 0: the limit is PMD cores x q, as docker --cpus)", cli_parse_string,
          offsetof(struct exp_opts, container_headroom), "nf" },
        { "nf-work", "reads=N,writes=N,table=SIZE", "per-packet work of the NF, as testpmd's noisy VNF: N random reads "
          "and writes per packet in a table of SIZE per PMD (default none; isolab-nf and testpmd)", cli_parse_string,
          offsetof(struct exp_opts, nf_work), "nf" },
        { "gen-host", "[USER@]HOST[:PORT]", "run the generator on this host, reached with ssh (BatchMode: keys or an agent; "
          "the run cleans both hosts); the data link must join the hosts: --link pci --ports/--gen-ports, or a virtual link "
          "when HOST is this machine", cli_parse_string, offsetof(struct exp_opts, gen_host), "gen" },
        { "gen-ports", "PCI,PCI", "with --gen-host and --link pci: the generator host's two ports (gen 0 cabled to the NF's "
          "port 0, gen 1 to its port 1)", cli_parse_string, offsetof(struct exp_opts, gen_ports), "gen" },
        { "gen-ssh", "COMMAND", "the ssh command and its options for --gen-host, split at spaces without a shell "
          "(default: ssh; the environment's ISOLAB_SSH_COMMAND wins), e.g. \"ssh -F /root/lab/config -i /root/lab/key\"",
          cli_parse_string, offsetof(struct exp_opts, gen_ssh), "gen" },
        { "gen-isolab", "PATH", "isolab on the generator host (default: isolab, in the remote PATH)", cli_parse_string,
          offsetof(struct exp_opts, gen_isolab), "gen" },
        { "gen-cores", "N", "generator worker lcores: 1 (sends and receives) or 2 (one sends, one receives); default auto: "
          "2 when the plan has two cores for it that no PMD or housekeeping uses", cli_parse_string,
          offsetof(struct exp_opts, gen_cores), "traffic" },
        { "no-floor", NULL, "skip the generator's floor: its own port looped back, measured once before the NF starts "
          "(the rate ceiling, loss and latency floor the report prints beside the results)", NULL,
          offsetof(struct exp_opts, no_floor), "traffic" },
        { "pmd-cores", "N", "PMD cores of the NF (default 1)", cli_parse_count, offsetof(struct exp_opts, pmd_cores), "nf" },
        { "pinning", "LIST", "NF PMD threads pinned (each on its CPU) and/or unpinned (floating on the node); default pinned",
          cli_parse_string, offsetof(struct exp_opts, pinning), "nf" },
        { "link", "KIND", "vhost (default), memif, or pci: real ports (--ports)", cli_parse_string,
          offsetof(struct exp_opts, link), "nf" },
        { "ring-size", "LIST", "descriptors per ring of the virtual link, powers of two from 64 to 4096 (default DPDK's "
          "256; several: a dimension of the run): under a throttle the ring, not the NF, sets how many packets survive",
          cli_parse_string, offsetof(struct exp_opts, ring_size), "nf" },
        { "ports", "PCI,...", "with --link pci: the generator's two ports, then the NF's two (gen 0 cabled to NF 0, "
          "gen 1 to NF 1), as lspci -D names them", cli_parse_string, offsetof(struct exp_opts, ports), "nf" },
        { "frame-sizes", "LIST", "frame sizes in bytes with FCS (default 64)", cli_parse_string,
          offsetof(struct exp_opts, frame_sizes), "nf" },
        { "no-huge", NULL, "run DPDK without hugepages (the report says so)", NULL, offsetof(struct exp_opts, no_huge),
          "nf" },
        { "rate", "RATE", "offered load: line (default), max, N% of the link, or packets per second", parse_rate,
          offsetof(struct exp_opts, rate), "traffic" },
        { "link-speed", "BPS", "emulated link speed for line and N% (default 10G)", cli_parse_size,
          offsetof(struct exp_opts, link_speed), "traffic" },
        { "cpu-quota", "LIST", "NF CPU quotas in % of its PMD cores (sweep: 100,75,50,25,12.5; else 100)", cli_parse_string,
          offsetof(struct exp_opts, quotas), "sweep" },
        { "cpu-period", "LIST", "CFS periods (default 100ms; 10ms and 1ms are interesting for PMDs)", cli_parse_string,
          offsetof(struct exp_opts, periods), "sweep" },
        { "quota-scope", "SCOPE", "which of the NF's threads the quota limits: process (default; all of them, as Docker's "
          "--cpus does) or pmd (only its polling threads; the others in an unlimited group on the housekeeping CPUs; "
          "cgroup v1)", cli_parse_string, offsetof(struct exp_opts, quota_scope), "sweep" },
        { "method", "M", "throughput method: mrr (offer --rate, measure; default), ndr, pdr or ndr-pdr (binary search)",
          cli_parse_string, offsetof(struct exp_opts, method), "search" },
        { "ndr-loss", "PCT", "loss a no-drop-rate trial may have (default 0)", cli_parse_string,
          offsetof(struct exp_opts, ndr_loss), "search" },
        { "pdr-loss", "PCT", "loss a partial-drop-rate trial may have (default 0.5)", cli_parse_string,
          offsetof(struct exp_opts, pdr_loss), "search" },
        { "precision", "PCT", "stop the search when pass and fail are this close, in % of the upper one (default 0.5)",
          cli_parse_string, offsetof(struct exp_opts, precision), "search" },
        { "min-rate", "PCT", "the lowest rate a search tries, in % of line rate; below it the result is 0 (default 0.1)",
          cli_parse_string, offsetof(struct exp_opts, min_rate), "search" },
        { "loss-repeats", "N", "repeat a lossy search trial N times before its rate fails (TST009 12.3.3; default 1)",
          cli_parse_string, offsetof(struct exp_opts, loss_repeats), "search" },
        { "final-duration", "DUR", "the search's final trial at the rate found (default: --duration)",
          parse_trial_duration, offsetof(struct exp_opts, final_us), "search" },
        { "max-trials", "N", "trials one search may take (default 40)", cli_parse_uint,
          offsetof(struct exp_opts, max_trials), "search" },
        { "latency-at", "LIST", "after each search, latency at these % of the point's PDR (0: a 10 kpps stream), "
          "e.g. 0,10,50,90", cli_parse_string, offsetof(struct exp_opts, latency_at), "search" },
        { "ovs-n-rxq", "N", "OVS: rx queues of its ingress port p0 (n_rxq; 1 to 8, default 1); on vhost the generator's "
          "virtio-user port gets as many queues and sends on each in turn", cli_parse_uint,
          offsetof(struct exp_opts, ovs_n_rxq), "ovs" },
        { "ovs-n-rxq-desc", "N", "OVS: descriptors per rx queue of its ingress port (n_rxq_desc; a power of two from 64 to "
          "4096, default the ring); on vhost the ring of the generator's virtio-user port, which OVS takes as its own",
          cli_parse_uint, offsetof(struct exp_opts, ovs_n_rxq_desc), "ovs" },
        { "ovs-rxq-affinity", "Q:P,...", "OVS: rx queue Q of the ingress port polled by the P-th PMD (0-based, in the order "
          "of the planned PMD CPUs; pmd-rxq-affinity with the CPU filled in); default OVS's own assignment",
          cli_parse_string, offsetof(struct exp_opts, ovs_rxq_affinity), "ovs" },
        { "ovs-socket-mem", "MiB", "OVS: hugepage memory on the planned node (dpdk-socket-mem and -limit; default 1024, the "
          "study's --socket-mem=1024,0)", cli_parse_uint, offsetof(struct exp_opts, ovs_socket_mem), "ovs" },
        { "noise", "LIST", "neighbour workloads: cpu, cache, membw, ctxsw, http, idle, exec (noisy: default cpu)",
          cli_parse_string, offsetof(struct exp_opts, noise), NULL },
        { "placement", "LIST", "where neighbours run: same-core, sibling, same-llc, same-node, other-node, any "
          "(default same-core)", cli_parse_string, offsetof(struct exp_opts, placement), NULL },
        { "noise-opt", "K=V,...", "workload options for every neighbour: threads, load, size, node, keepalive",
          cli_parse_string, offsetof(struct exp_opts, noise_opt), NULL },
        { "noise-cmd", "CMD", "the command of the exec neighbour, split on spaces, run without a shell", cli_parse_string,
          offsetof(struct exp_opts, noise_cmd), NULL },
        { "noise-quota", "PCT", "CPU quota of each neighbour's cgroup, in % of one CPU (default none)", cli_parse_string,
          offsetof(struct exp_opts, noise_quota), NULL },
        { "resume", "DIR", "continue the interrupted run in DIR: its own options and seed from DIR/run.json, the trials "
          "already in DIR/trials.jsonl not run again", cli_parse_string, offsetof(struct exp_opts, resume), NULL },
        { "dry-run", NULL, "print the plan, the trials, the EAL arguments, the cgroups and the duration; change nothing",
          NULL, offsetof(struct exp_opts, dry_run), NULL },
};

_Static_assert(ELEMENTSOF(experiment_options_table) == EXPERIMENT_N_OPTIONS, "EXPERIMENT_N_OPTIONS is the table's rows");

const struct cli_option *experiment_options(size_t *n, size_t *opts_size) {
        *n = ELEMENTSOF(experiment_options_table);
        *opts_size = sizeof(struct exp_opts);
        return experiment_options_table;
}

void experiment_free(struct experiment *x) {
        scenario_free(&x->sc);
        genhost_free(&x->gh);
        json_decref(x->warnings);
        json_decref(x->rate);
        x->warnings = x->rate = NULL;
}

const char *experiment_tool(const struct experiment *x) {
        return x->mode == EXP_NOISY ? "isolab noisy" : x->mode == EXP_RUN ? "isolab run" : "isolab sweep";
}

int split_list(char *s, char **v, int max) {
        int n = 0;
        for (char *save = NULL, *w = strtok_r(s, ",", &save); w && n < max; w = strtok_r(NULL, ",", &save))
                v[n++] = w;
        return n;
}

static json_t *rate_json(const char *rate, struct diag *d) {
        if (!rate || strcmp(rate, "line") == 0 || strcmp(rate, "max") == 0)
                return json_string(rate ? rate : "line");
        const char *end;
        double v;
        if (cli_decimal(rate, &v, &end) == 0) {
                if (strcmp(end, "%") == 0 && v > 0 && v <= 100)
                        return json_string(rate);
                if (*end == '\0' && v >= 1 && v <= 1e12)
                        return json_real(v);
        }
        diag_set(d, -EINVAL, "--rate %s: use line, max, a percentage such as 50%%, or packets per second as a plain "
                             "number from 1 to 1000000000000", rate);
        return NULL;
}

/* A percentage "0.5" or "0.5%" within [lo, hi]. */
static int parse_pct(const char *opt, const char *s, double lo, double hi, double *ret, struct diag *d) {
        const char *end;
        double v;
        if (cli_decimal(s, &v, &end) < 0 || (*end && strcmp(end, "%") != 0) || !(v >= lo && v <= hi))
                return diag_set(d, -EINVAL, "--%s %s: give a percentage from %g to %g", opt, s, lo, hi);
        *ret = v;
        return 0;
}

/* FNV-1a 64: to tell lines of another run or an edited run.json, not to resist forgery
 * (root reads run.json only where no one else can write it). */
void config_sum(json_t *cfg, char *buf, size_t len) {
        char *text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        uint64_t h = 14695981039346656037ULL;
        for (const char *c = text ? text : ""; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        free(text);
        snprintf(buf, len, "%016" PRIx64, h);
}

/* --resume DIR: the options of the run in DIR from its run.json "config" (every option
 * as it took effect, neighbours and seed included), the results going on into DIR. */
static int keep_string(struct scenario *sc, const char *text, const char **ret) {
        char **keep = realloc(sc->strings, (sc->n_strings + 1) * sizeof(char *));
        if (!keep)
                return -ENOMEM;
        sc->strings = keep;
        if (!(keep[sc->n_strings] = strdup(text)))
                return -ENOMEM;
        *ret = keep[sc->n_strings++];
        return 0;
}

/* The neighbours of a scenario's [noise.NAME] sections, back from run.json's config. */
static int resume_neighbours(json_t *cfg, const char *path, struct scenario *sc) {
        size_t i;
        json_t *nb;
        json_array_foreach(json_object_get(cfg, "neighbours"), i, nb) {
                if (sc->n_noise == SCENARIO_MAX_NOISE)
                        break;
                struct noise_spec *s = &sc->noise[sc->n_noise++];
                const char *v[3] = { json_string_value(json_object_get(nb, "placement")),
                                     json_string_value(json_object_get(nb, "cmd")),
                                     json_string_value(json_object_get(nb, "quota")) };
                snprintf(s->name, sizeof(s->name), "%s", json_string_value(json_object_get(nb, "name")) ?: "?");
                snprintf(s->workload, sizeof(s->workload), "%s", json_string_value(json_object_get(nb, "workload")) ?: "?");
                snprintf(s->opts, sizeof(s->opts), "%s", json_string_value(json_object_get(nb, "options")) ?: "");
                char nm[32];
                memcpy(nm, s->name, sizeof(nm));
                snprintf(s->where, sizeof(s->where), "%.200s [noise.%s]", path, nm);
                const char **dst[3] = { &s->placement, &s->cmd, &s->quota };
                for (int k = 0; k < 3; k++)
                        if (v[k] && keep_string(sc, v[k], dst[k]) < 0)
                                return -ENOMEM;
        }
        return 0;
}

/* run.json of DIR, read only when no other user could have changed it (as root this
 * reads a command line, an exec neighbour's, to run). */
static json_t *resume_read(const char *dir, struct diag *d) {
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        if (resdir_open(dir, RESDIR_RESUME, "--resume", &rd, d) < 0)
                return NULL;
        FILE *f = resdir_read(&rd, "run.json", d);
        if (!f)
                return NULL;
        struct stat st;
        char who[128] = "";
        if (fstat(fileno(f), &st) == 0)
                resdir_trust(&st, who, sizeof(who));
        if (who[0]) {
                fclose(f);
                diag_set(d, -EPERM, "--resume %s: %s/run.json: %s; isolab takes a run's options (and the commands it runs) "
                                    "only from a run.json no other user can change",
                         dir, dir, who);
                return NULL;
        }
        json_error_t je;
        json_t *run = json_loadf(f, 0, &je);
        fclose(f);
        if (!run || !json_is_array(json_object_get(json_object_get(run, "config"), "cpu_quota_pct"))) {
                diag_set(d, -EINVAL, "--resume %s: %.580s/run.json is %s; give the directory of a run this isolab made", dir,
                         dir, run ? "not a run.json of this isolab version" : "not readable");
                json_decref(run);
                return NULL;
        }
        return run;
}

static int resume_load(const char *dir, struct exp_opts *o, struct scenario *sc, struct diag *d) {
        _cleanup_(json_decrefp) json_t *run = resume_read(dir, d);
        if (!run)
                return d->err ? d->err : -EINVAL;
        char path[600];
        snprintf(path, sizeof(path), "%.580s/run.json", dir);
        json_t *cfg = json_object_get(run, "config");
        /* Strings must live as long as the options: the scenario keeps them. */
        for (size_t i = 0; i < ELEMENTSOF(experiment_options_table); i++) {
                const struct cli_option *c = &experiment_options_table[i];
                json_t *v = json_object_get(cfg, c->name);
                if (!v || json_is_null(v) || !strcmp(c->name, "resume") || !strcmp(c->name, "dry-run") ||
                    !strcmp(c->name, "out"))
                        continue;
                char buf[64];
                const char *text = json_string_value(v), *kept;
                if (json_is_integer(v))
                        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)), text = buf;
                else if (json_is_boolean(v))
                        text = json_is_true(v) ? "true" : "false";
                if (!text)
                        continue;
                if (keep_string(sc, text, &kept) < 0)
                        return -ENOMEM;
                int r = cli_set_value(c, kept, o, d);
                if (r < 0)
                        return diag_set(d, r, "--resume %s: option %s in %s: %s", dir, c->name, path, d->msg);
        }
        o->seed = (unsigned)json_integer_value(json_object_get(cfg, "seed_used"));
        o->out = dir;
        config_sum(cfg, o->resume_sum, sizeof(o->resume_sum));
        /* Neighbours from a scenario's [noise.NAME] sections (--noise ones came back above). */
        return o->noise ? 0 : resume_neighbours(cfg, path, sc);
}

/* --resume takes the run's own configuration, as it took effect; nothing else may
 * change it. */
static int parse_resume(struct experiment *x, const struct exp_opts *scratch, int argc, char **argv, int optind_,
                        struct diag *d) {
        for (int i = 1; i < argc; i++)
                if (strncmp(argv[i], "--resume", 8) != 0 && strcmp(argv[i], "--dry-run") != 0 &&
                    !(i > 1 && strcmp(argv[i - 1], "--resume") == 0) &&
                    !(x->mode == EXP_RUN && i == optind_ && optind_ == argc - 1))
                        return diag_set(d, -EINVAL, "--resume takes no other option (%s): the run's own come from its run.json",
                                        argv[i]);
        int r = resume_load(scratch->resume, &x->o, &x->sc, d);
        if (r < 0)
                return r;
        x->o.dry_run = scratch->dry_run;
        x->o.resume = scratch->resume;
        return 0;
}

/* isolab run FILE|NAME: the file's options, then the command line's over them. */
static int parse_scenario(struct experiment *x, int argc, char **argv, int optind_, struct diag *d) {
        if (optind_ != argc - 1)
                return diag_set(d, -EINVAL, "run takes one scenario, e.g. isolab run cpu-sweep or isolab run ./my.ini (or "
                                            "--resume DIR)");
        const char *file = argv[optind_];
        char shipped[4200];
        int r;
        bool help;
        if (paths_is_name(file)) {
                if ((r = paths_scenario(file, shipped, sizeof(shipped), d)) < 0)
                        return r;
                file = shipped;
        }
        if ((r = scenario_load(file, experiment_options_table, ELEMENTSOF(experiment_options_table), &x->o, &x->sc, d)) < 0)
                return r;
        /* An exec neighbour is a command run as root: say who else could have written it. */
        bool exec_nb = false;
        for (size_t k = 0; k < x->sc.n_noise; k++)
                exec_nb |= x->sc.noise[k].cmd != NULL || strcmp(x->sc.noise[k].workload, "exec") == 0;
        if (exec_nb && x->sc.untrusted[0])
                fprintf(stderr, "isolab: warning: scenario %s names a command to run (an exec neighbour), and %s: check the "
                                "command before running it as root\n",
                        file, x->sc.untrusted);
        return cli_parse(argc, argv, experiment_options_table, ELEMENTSOF(experiment_options_table), &x->o, &optind_, &help, d);
}

int experiment_parse(struct experiment *x, enum exp_mode mode, int argc, char **argv, bool *help, struct diag *d) {
        x->mode = mode;
        x->o = (struct exp_opts){ .repetitions = 1, .pmd_cores = 1, .duration_us = 10000000, .warmup_us = 2000000,
                                  .link_speed = 10000000000ULL };
        /* The file first, then the command line over it: parse once to find the file. */
        struct exp_opts scratch = x->o;
        int optind_;
        if (cli_parse(argc, argv, experiment_options_table, ELEMENTSOF(experiment_options_table), &scratch, &optind_, help, d) < 0)
                return -EINVAL;
        if (*help)
                return 0;
        if (scratch.resume)
                return parse_resume(x, &scratch, argc, argv, optind_, d);
        if (mode == EXP_RUN)
                return parse_scenario(x, argc, argv, optind_, d);
        if (optind_ < argc)
                return diag_set(d, -EINVAL, "%s takes no argument, got \"%s\"; see isolab %s --help", argv[0], argv[optind_],
                                argv[0]);
        x->o = scratch;
        return 0;
}

/* Parses "PLACEMENT,..." into places (no repeats).  Returns the count or -EINVAL. */
static int parse_placements(const char *list, const char *what, enum noise_placement *places, struct diag *d) {
        char buf[256];
        char *v[_NOISE_PLACEMENT_MAX + 2];
        snprintf(buf, sizeof(buf), "%s", list);
        int n = split_list(buf, v, _NOISE_PLACEMENT_MAX + 2);
        if (n == 0 || n > _NOISE_PLACEMENT_MAX)
                return diag_set(d, -EINVAL, "%s %s: give 1 to %d placements", what, list, _NOISE_PLACEMENT_MAX);
        for (int i = 0; i < n; i++) {
                int m = noise_placement_from_string(v[i]);
                if (m < 0 || m >= _NOISE_PLACEMENT_MAX)
                        return diag_set(d, -EINVAL, "%s %s: use same-core, sibling, same-llc, same-node, other-node "
                                                    "or any", what, v[i]);
                places[i] = (enum noise_placement)m;
                for (int k = 0; k < i; k++)
                        if (places[k] == places[i])
                                return diag_set(d, -EINVAL, "%s names %s twice", what, v[i]);
        }
        return n;
}

bool experiment_wants_noise(const struct experiment *x) {
        return x->o.noise || x->mode == EXP_NOISY || x->sc.n_noise;
}

int experiment_env_load(struct exp_env *env, struct diag *d) {
        char bin[600];
        paths_agent("noise", bin, sizeof(bin));
        char *argv[] = { bin, "--list", NULL };
        _cleanup_free_ char *out = NULL;
        int st = spawn_capture(argv, 65536, &out);
        if (st != 0)
                return diag_set(d, -ENOENT, "cannot ask %s for its workloads (%s): reinstall isolab", bin,
                                st < 0 ? strerror(-st) : "it failed");
        size_t n = 0;
        char *save = NULL;
        for (char *l = strtok_r(out, "\n", &save); l && n < EXP_MAX_WORKLOADS; l = strtok_r(NULL, "\n", &save))
                if (sscanf(l, "%15[a-z0-9_-]", env->workloads[n]) == 1)
                        n++;
        env->n_workloads = n;
        env->workload_list[0] = '\0';
        for (size_t i = 0; i < n; i++)
                join_or(env->workload_list, sizeof(env->workload_list), i, n, env->workloads[i]);
        return n ? 0 : diag_set(d, -ENOENT, "%s --list names no workload: reinstall isolab", bin);
}

static bool env_knows(const struct exp_env *env, const char *workload) {
        for (size_t w = 0; env && w < env->n_workloads; w++)
                if (strcmp(workload, env->workloads[w]) == 0)
                        return true;
        return false;
}

/* The neighbours to run: the command line's (--noise W,... with the shared --placement,
 * --noise-opt, --noise-cmd, --noise-quota) or the file's [noise.NAME] sections (which
 * those options then override). */
static int neighbour_specs(struct experiment *x, const struct exp_env *env, struct diag *d) {
        const struct exp_opts *o = &x->o;
        const char *wl = env ? env->workload_list : "";
        const char *cli = o->noise ? o->noise : x->mode == EXP_NOISY ? "cpu" : NULL;
        size_t n = 0;
        if (cli) {
                char buf[256];
                char *v[SCENARIO_MAX_NOISE + 1];
                snprintf(buf, sizeof(buf), "%s", cli);
                int k = split_list(buf, v, SCENARIO_MAX_NOISE + 1);
                if (k > SCENARIO_MAX_NOISE)
                        return diag_set(d, -EINVAL, "--noise: at most %d workloads", SCENARIO_MAX_NOISE);
                for (int i = 0; i < k; i++) {
                        if (!env_knows(env, v[i]))
                                return diag_set(d, -EINVAL, "--noise %s: use %s", v[i], wl);
                        for (size_t j = 0; j < n; j++)
                                if (strcmp(x->specs[j].name, v[i]) == 0)
                                        return diag_set(d, -EINVAL, "--noise names %s twice", v[i]);
                        struct noise_spec *s = &x->specs[n++];
                        *s = (struct noise_spec){ 0 };
                        snprintf(s->name, sizeof(s->name), "%s", v[i]);
                        snprintf(s->workload, sizeof(s->workload), "%s", v[i]);
                        snprintf(s->where, sizeof(s->where), "--noise %s", v[i]);
                }
        } else {
                for (size_t i = 0; i < x->sc.n_noise; i++) {
                        if (!env_knows(env, x->sc.noise[i].workload))
                                return diag_set(d, -EINVAL, "%s: workload = %s: use %s", x->sc.noise[i].where,
                                                x->sc.noise[i].workload, wl);
                        x->specs[n++] = x->sc.noise[i];
                }
        }
        if (!n && (o->placement || o->noise_opt || o->noise_cmd || o->noise_quota))
                return diag_set(d, -EINVAL, "--placement, --noise-opt, --noise-cmd and --noise-quota need --noise WORKLOAD,... "
                                            "(or [noise.NAME] sections in a scenario file)");
        for (size_t i = 0; i < n; i++) {
                struct noise_spec *s = &x->specs[i];
                if (o->placement)
                        s->placement = o->placement;
                if (o->noise_cmd)
                        s->cmd = o->noise_cmd;
                if (o->noise_quota)
                        s->quota = o->noise_quota;
                if (o->noise_opt) {
                        size_t l = strlen(s->opts);
                        snprintf(s->opts + l, sizeof(s->opts) - l, "%s%s", l ? "," : "", o->noise_opt);
                }
        }
        x->n_specs = n;
        return 0;
}

/* Each neighbour's placements and quota; messages name the option, or the file, line and
 * section. */
static int neighbour_settings(struct experiment *x, struct diag *d) {
        x->noise_mask = 0;
        for (size_t i = 0; i < x->n_specs; i++) {
                const struct noise_spec *sp = &x->specs[i];
                char pwhat[400], qwhat[400];
                snprintf(pwhat, sizeof(pwhat), "%s%s", x->o.placement ? "--placement" : sp->where,
                         x->o.placement ? "" : " placement");
                snprintf(qwhat, sizeof(qwhat), "%s%s", x->o.noise_quota ? "--noise-quota" : sp->where,
                         x->o.noise_quota ? "" : " quota");
                int np = parse_placements(sp->placement ? sp->placement : "same-core", pwhat, x->places[i], d);
                if (np < 0)
                        return np;
                x->n_places[i] = np;
                for (int k = 0; k < np; k++)
                        x->noise_mask |= 1u << x->places[i][k];
                x->noise_quota[i] = 0;
                struct cg_quota ncq;
                if (sp->quota && (cli_list_percent("noise-quota", sp->quota, &x->noise_quota[i], 1, d) != 1 ||
                                  x->noise_quota[i] < 1 || cg_quota_compute(x->noise_quota[i], 1, 100000, &ncq, NULL) < 0))
                        return diag_set(d, -EINVAL, "%s %s: give 1 to 100 (%% of one CPU per 100 ms)", qwhat, sp->quota);
        }
        return 0;
}

/* The matrix's lists.  A (quota, period) pair the kernel refuses (a quota under 1 ms) is
 * left out with a warning; if none is left, that is the error. */
static int build_lists(struct experiment *x, struct diag *d) {
        const struct exp_opts *o = &x->o;
        x->nq = cli_list_percent("cpu-quota", o->quotas ? o->quotas : x->mode == EXP_SWEEP ? "100,75,50,25,12.5" : "100",
                                 x->quotas, MAX_LIST, d);
        x->np = x->nq < 0 ? x->nq : cli_list_duration("cpu-period", o->periods ? o->periods : "100ms", x->periods, MAX_LIST, d);
        x->nfs = x->np < 0 ? x->np : cli_list_uint("frame-sizes", o->frame_sizes ? o->frame_sizes : "64", x->sizes, MAX_LIST, d);
        if (x->nfs < 0)
                return x->nfs;
        for (int i = 0; i < x->nfs; i++)
                if (x->sizes[i] < 64 || x->sizes[i] > 1518)
                        return diag_set(d, -EINVAL, "--frame-sizes: %u is outside 64..1518 bytes", x->sizes[i]);
        for (int i = 0; i < x->np; i++)
                if (x->periods[i] < CG_PERIOD_MIN_US || x->periods[i] > CG_PERIOD_MAX_US)
                        return diag_set(d, -EINVAL, "--cpu-period %g ms: the kernel takes 1 ms to 1 s",
                                        (double)x->periods[i] / 1000);
        x->warnings = json_array();
        int valid_pairs = 0;
        struct diag first = { 0 };
        for (int q = 0; q < x->nq; q++)
                for (int p = 0; p < x->np; p++) {
                        struct cg_quota cq;
                        struct diag qd = { 0 };
                        if (cg_quota_compute(x->quotas[q], o->pmd_cores, x->periods[p], &cq, &qd) == 0) {
                                valid_pairs++;
                                continue;
                        }
                        if (!first.err)
                                first = qd;
                        char w[700];
                        snprintf(w, sizeof(w), "quota %g%% at a %g ms period skipped: %s", x->quotas[q],
                                 (double)x->periods[p] / 1000, qd.msg);
                        json_array_append_new(x->warnings, json_string(w));
                }
        if (!valid_pairs) {
                *d = first;
                return first.err ? first.err : -EINVAL;
        }
        return 0;
}

/* The link kind (agents/common/linkspec.h); real ports name theirs. */
static int build_link(struct experiment *x, struct diag *d) {
        x->link = x->o.link ? x->o.link : "vhost";
        const struct link_spec *l = link_spec_find(x->link);
        if (!l)
                return diag_set(d, -EINVAL, "--link %s: use %s", x->link, link_spec_names());
        char rbuf[64];
        char *rv[EXP_MAX_RING + 1];
        snprintf(rbuf, sizeof(rbuf), "%s", x->o.ring_size ? x->o.ring_size : "");
        x->n_ring = x->o.ring_size ? split_list(rbuf, rv, EXP_MAX_RING + 1) : 0;
        if (x->o.ring_size && (x->n_ring == 0 || x->n_ring > EXP_MAX_RING))
                return diag_set(d, -EINVAL, "--ring-size %s: give one to %d sizes, e.g. 256,1024,4096", x->o.ring_size,
                                EXP_MAX_RING);
        for (int i = 0; i < x->n_ring; i++) {
                char *end;
                unsigned long ring = strtoul(rv[i], &end, 10);
                if (*end || end == rv[i] || ring < 64 || ring > 4096 || (ring & (ring - 1)))
                        return diag_set(d, -EINVAL, "--ring-size %s: give a power of two from 64 to 4096", rv[i]);
                x->rings[i] = (unsigned)ring;
                for (int k = 0; k < i; k++)
                        if (x->rings[k] == x->rings[i])
                                return diag_set(d, -EINVAL, "--ring-size names %s twice", rv[i]);
        }
        if (x->n_ring && !l->sockets)
                return diag_set(d, -EINVAL, "--ring-size is for the virtual links; real ports keep their driver's rings");
        if (!x->n_ring) {
                x->n_ring = 1;
                x->rings[0] = 0;
        }
        if (x->o.gen_host) {
                const char *env = getenv("ISOLAB_SSH_COMMAND");
                int r = genhost_parse(x->o.gen_host, env && *env ? env : x->o.gen_ssh, x->o.gen_isolab, &x->gh, d);
                if (r < 0)
                        return r;
                x->gen_remote = true;
        } else if (x->o.gen_ports || x->o.gen_ssh || x->o.gen_isolab) {
                return diag_set(d, -EINVAL, "--%s is for --gen-host (the generator on its own host)",
                                x->o.gen_ports ? "gen-ports" : x->o.gen_ssh ? "gen-ssh" : "gen-isolab");
        }
        if (l->kind != LINK_PCI) {
                if (x->o.ports || x->o.gen_ports)
                        return diag_set(d, -EINVAL, "--%s is for --link pci (real ports); --link %s makes its own",
                                        x->o.ports ? "ports" : "gen-ports", x->link);
                return 0;
        }
        /* One host: the generator's two ports, then the NF's two, in --ports.  Two hosts:
         * the NF's two in --ports, the generator's two in --gen-ports. */
        char buf[256];
        char *v[EXP_PORTS + 1];
        int want = x->gen_remote ? 2 : EXP_PORTS;
        snprintf(buf, sizeof(buf), "%s", x->o.ports ? x->o.ports : "");
        int n = split_list(buf, v, EXP_PORTS + 1);
        if (n != want && x->gen_remote)
                return diag_set(d, -EINVAL, "--link pci with --gen-host needs --ports with the NF's 2 PCI addresses on this "
                                            "host (e.g. --ports 0000:af:00.0,0000:af:00.1) and --gen-ports with the "
                                            "generator's 2 on %s", x->o.gen_host);
        if (n != want)
                return diag_set(d, -EINVAL, "--link pci needs --ports with %d PCI addresses: the generator's two ports, then "
                                            "the NF's two (e.g. --ports 0000:3b:00.0,0000:3b:00.1,0000:af:00.0,0000:af:00.1)",
                                EXP_PORTS);
        char gbuf[256];
        char *gv[3];
        if (x->gen_remote) {
                v[2] = v[0], v[3] = v[1];
                snprintf(gbuf, sizeof(gbuf), "%s", x->o.gen_ports ? x->o.gen_ports : "");
                if (split_list(gbuf, gv, 3) != 2)
                        return diag_set(d, -EINVAL, "--link pci with --gen-host needs --gen-ports with the generator's 2 PCI "
                                                    "addresses on %s (e.g. --gen-ports 0000:3b:00.0,0000:3b:00.1)",
                                        x->o.gen_host);
                v[0] = gv[0], v[1] = gv[1];
        }
        for (int i = 0; i < EXP_PORTS; i++) {
                const char *opt = x->gen_remote && i < 2 ? "--gen-ports" : "--ports";
                if (drivers_pci_addr(v[i], x->ports[i], sizeof(x->ports[i])) < 0)
                        return diag_set(d, -EINVAL, "%s %s: not a PCI address; give DOMAIN:BUS:DEVICE.FUNCTION "
                                                    "(0000:3b:00.0) as lspci -D prints it",
                                        opt, v[i]);
                /* Two hosts may use the same address on each. */
                for (int k = x->gen_remote ? (i < 2 ? 0 : 2) : 0; k < i; k++)
                        if (strcmp(x->ports[k], x->ports[i]) == 0)
                                return diag_set(d, -EINVAL, "%s names %s twice", opt, x->ports[i]);
        }
        return 0;
}

/* The NF's pinnings and the NFs under test. */
static int build_variants(struct experiment *x, struct diag *d) {
        char buf[64];
        char *v[4];
        snprintf(buf, sizeof(buf), "%s", x->o.pinning ? x->o.pinning : "pinned");
        x->n_pin = split_list(buf, v, 4);
        if (x->n_pin == 0 || x->n_pin > EXP_MAX_PIN)
                return diag_set(d, -EINVAL, "--pinning %s: use pinned, unpinned or both", x->o.pinning);
        for (int i = 0; i < x->n_pin; i++) {
                if (strcmp(v[i], "pinned") && strcmp(v[i], "unpinned"))
                        return diag_set(d, -EINVAL, "--pinning %s: use pinned, unpinned or both", v[i]);
                snprintf(x->pin_names[i], sizeof(x->pin_names[i]), "%s", v[i]);
                x->unpinned[i] = v[i][0] == 'u';
                if (i && x->unpinned[0] == x->unpinned[i])
                        return diag_set(d, -EINVAL, "--pinning names %s twice", v[i]);
        }
        snprintf(buf, sizeof(buf), "%s", x->o.nf ? x->o.nf : "isolab-nf");
        x->n_nf = split_list(buf, v, 4);
        if (x->n_nf == 0 || (size_t)x->n_nf > n_nf_kinds)
                return diag_set(d, -EINVAL, "--nf %s: use %s (one or more)", x->o.nf, nf_names());
        for (int i = 0; i < x->n_nf; i++) {
                if (!(x->nf[i] = nf_find(v[i])))
                        return diag_set(d, -EINVAL, "--nf %s: use %s", v[i], nf_names());
                for (int j = 0; j < i; j++)
                        if (x->nf[j] == x->nf[i])
                                return diag_set(d, -EINVAL, "--nf names %s twice", v[i]);
        }
        /* Per-packet work: every NF under test must do the same, or the comparison is not. */
        if (!x->o.nf_work)
                return 0;
        char err[256];
        if (nf_work_parse("nf-work", x->o.nf_work, &x->work, err, sizeof(err)) < 0)
                return diag_set(d, -EINVAL, "%s", err);
        for (int i = 0; i < x->n_nf; i++) {
                if (!x->nf[i]->work_check)
                        return diag_set(d, -EINVAL, "--nf-work: --nf %s cannot do per-packet work; leave it out of --nf or drop "
                                                    "--nf-work",
                                        x->nf[i]->name);
                int r = x->nf[i]->work_check(x, d);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --gen-cores: auto (0), 1 or 2. */
static int build_gen_cores(struct experiment *x, struct diag *d) {
        const char *g = x->o.gen_cores;
        if (!g || strcmp(g, "auto") == 0)
                x->gen_cores = 0;
        else if (strcmp(g, "1") == 0 || strcmp(g, "2") == 0)
                x->gen_cores = (unsigned)(g[0] - '0');
        else
                return diag_set(d, -EINVAL, "--gen-cores %s: give 1 (one lcore sends and receives), 2 (one each) or auto", g);
        return 0;
}

static int build_quota_scope(struct experiment *x, struct diag *d) {
        const char *q = x->o.quota_scope;
        x->quota_scope_pmd = q && strcmp(q, "pmd") == 0;
        if (q && strcmp(q, "pmd") != 0 && strcmp(q, "process") != 0)
                return diag_set(d, -EINVAL, "--quota-scope %s: give process (every thread of the NF) or pmd (its polling "
                                            "threads only)",
                                q);
        return 0;
}

/* Whether OVS's pinned PMDs must also poll the queues left to OVS: a PMD with a pinned
 * queue is isolated, so when every PMD has one, the egress port's queue (never pinned)
 * and the ingress queues without affinity are polled by none. */
static void ovs_isolation(struct experiment *x) {
        unsigned pinned_pmds = 0;
        for (unsigned p = 0; p < x->o.pmd_cores && p < 64; p++)
                for (unsigned q = 0; q < x->ovs.n_rxq; q++)
                        if (x->ovs.affinity[q] == (int)p) {
                                pinned_pmds++;
                                break;
                        }
        x->ovs.no_isolate = pinned_pmds == x->o.pmd_cores;
}

/* --container: the engines, each once; what they cannot run refused here. */
static int build_containers(struct experiment *x, struct diag *d) {
        char buf[64];
        char *v[EXP_MAX_CT + 1];
        snprintf(buf, sizeof(buf), "%s", x->o.container ? x->o.container : "none");
        x->n_ct = split_list(buf, v, EXP_MAX_CT + 1);
        if (x->n_ct == 0 || x->n_ct > EXP_MAX_CT)
                return diag_set(d, -EINVAL, "--container %s: use %s (one or more)", x->o.container, container_names());
        bool any = false;
        for (int i = 0; i < x->n_ct; i++) {
                if (!(x->ct[i] = container_find(v[i])))
                        return diag_set(d, -EINVAL, "--container %s: use %s", v[i], container_names());
                for (int j = 0; j < i; j++)
                        if (x->ct[j] == x->ct[i])
                                return diag_set(d, -EINVAL, "--container names %s twice", v[i]);
                any |= !container_is_host(x->ct[i]);
        }
        char *end = NULL;
        x->ct_headroom = x->o.container_headroom ? strtod(x->o.container_headroom, &end) : 0;
        if (x->o.container_headroom && (end == x->o.container_headroom || *end || x->ct_headroom < 0 || x->ct_headroom > 400))
                return diag_set(d, -EINVAL, "--container-headroom %s: give %% of one CPU, 0 to 400", x->o.container_headroom);
        if (!any) {
                if (x->o.container_image || x->o.container_headroom)
                        return diag_set(d, -EINVAL, "--container-image and --container-headroom are for --container docker or "
                                                    "podman");
                return 0;
        }
        if (strcmp(x->link, "vhost") != 0)
                return diag_set(d, -EINVAL, "--container runs the NF over --link vhost (the run's sockets mounted into it), "
                                            "not --link %s",
                                x->link);
        if (x->quota_scope_pmd)
                return diag_set(d, -EINVAL, "--quota-scope pmd moves threads between isolab's groups, and a container's "
                                            "threads are in the engine's: use --quota-scope process with --container");
        for (int i = 0; i < x->n_nf; i++)
                if (!x->nf[i]->has_process)
                        return diag_set(d, -EINVAL, "--container: --nf %s has no process to put in a container; leave it "
                                                    "out of --nf",
                                        x->nf[i]->name);
        return 0;
}

/* [ovs]: only with --nf ovs-dpdk; the affinity names queues and PMDs the run has. */
static int build_ovs(struct experiment *x, struct diag *d) {
        const struct exp_opts *o = &x->o;
        bool ovs = false;
        for (int i = 0; i < x->n_nf; i++)
                ovs |= strcmp(x->nf[i]->name, "ovs-dpdk") == 0;
        const char *given = o->ovs_n_rxq ? "--ovs-n-rxq" : o->ovs_n_rxq_desc ? "--ovs-n-rxq-desc" :
                            o->ovs_rxq_affinity ? "--ovs-rxq-affinity" : o->ovs_socket_mem ? "--ovs-socket-mem" : NULL;
        if (given && !ovs)
                return diag_set(d, -EINVAL, "%s ([ovs]) configures OVS, but the run has no --nf ovs-dpdk; add it to --nf or "
                                            "drop the [ovs] options",
                                given);
        x->ovs.n_rxq = o->ovs_n_rxq ? o->ovs_n_rxq : 1;
        if (x->ovs.n_rxq > EXP_OVS_RXQ)
                return diag_set(d, -EINVAL, "--ovs-n-rxq %u: give 1 to %d", o->ovs_n_rxq, EXP_OVS_RXQ);
        unsigned desc = o->ovs_n_rxq_desc;
        if (desc && (desc < 64 || desc > 4096 || (desc & (desc - 1))))
                return diag_set(d, -EINVAL, "--ovs-n-rxq-desc %u: give a power of two from 64 to 4096", desc);
        x->ovs.rxq_desc = desc;
        x->ovs.socket_mem_mb = o->ovs_socket_mem ? o->ovs_socket_mem : 1024;
        if (x->ovs.socket_mem_mb < 16 || x->ovs.socket_mem_mb > 1048576)
                return diag_set(d, -EINVAL, "--ovs-socket-mem %u: give MiB from 16 to 1048576 (default 1024)", o->ovs_socket_mem);
        for (int q = 0; q < EXP_OVS_RXQ; q++)
                x->ovs.affinity[q] = -1;
        if (o->ovs_rxq_affinity) {
                char buf[256];
                char *v[EXP_OVS_RXQ + 1];
                snprintf(buf, sizeof(buf), "%s", o->ovs_rxq_affinity);
                int n = split_list(buf, v, EXP_OVS_RXQ + 1);
                if (n < 1 || n > EXP_OVS_RXQ)
                        return diag_set(d, -EINVAL, "--ovs-rxq-affinity %s: give 1 to %d QUEUE:PMD pairs, e.g. 0:1", o->ovs_rxq_affinity,
                                        EXP_OVS_RXQ);
                for (int i = 0; i < n; i++) {
                        unsigned q, p;
                        char tail;
                        if (sscanf(v[i], "%u:%u%c", &q, &p, &tail) != 2 || p > 63)
                                return diag_set(d, -EINVAL, "--ovs-rxq-affinity %s: give QUEUE:PMD, e.g. 0:1 (queue 0 on the second "
                                                            "PMD)",
                                                v[i]);
                        if (q >= x->ovs.n_rxq)
                                return diag_set(d, -EINVAL, "--ovs-rxq-affinity %s: the ingress port has %u rx queue%s (0 to %u); "
                                                            "raise --ovs-n-rxq",
                                                v[i], x->ovs.n_rxq, x->ovs.n_rxq > 1 ? "s" : "", x->ovs.n_rxq - 1);
                        if (x->ovs.affinity[q] >= 0)
                                return diag_set(d, -EINVAL, "--ovs-rxq-affinity names queue %u twice", q);
                        if (p >= o->pmd_cores)
                                return diag_set(d, -EINVAL, "--ovs-rxq-affinity %s: the run has %u PMD core%s (0 to %u); raise "
                                                            "--pmd-cores or give another PMD",
                                                v[i], o->pmd_cores, o->pmd_cores > 1 ? "s" : "", o->pmd_cores - 1);
                        x->ovs.affinity[q] = (int)p;
                }
        }
        ovs_isolation(x);
        return 0;
}

static void warn(struct experiment *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct experiment *x, const char *fmt, ...) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!x->warnings)
                x->warnings = json_array();
        json_array_append_new(x->warnings, json_string(msg));
}

void experiment_fit(struct experiment *x, unsigned pmd_cores, const char *why) {
        unsigned asked = x->o.pmd_cores;
        if (pmd_cores >= asked)
                return;
        warn(x, "fit: %u PMD core%s instead of the %u asked (%s); the quotas are %% of %u CPU%s", pmd_cores,
             pmd_cores > 1 ? "s" : "", asked, why, pmd_cores, pmd_cores > 1 ? "s" : "");
        x->o.pmd_cores = pmd_cores;
        bool was_no_isolate = x->ovs.no_isolate;
        for (unsigned q = 0; q < x->ovs.n_rxq; q++) {
                int p = x->ovs.affinity[q];
                if (p < (int)pmd_cores)
                        continue;
                x->ovs.affinity[q] = p % (int)pmd_cores;
                warn(x, "fit: OVS's rx queue %u on PMD %d (0-based) as asked is on PMD %d here", q, p, x->ovs.affinity[q]);
        }
        ovs_isolation(x);
        if (x->ovs.no_isolate && !was_no_isolate)
                warn(x, "fit: every PMD polls a pinned rx queue here, so OVS runs with pmd-rxq-isolate=false (and "
                        "pmd-rxq-assign=group, which that needs): the pinned PMDs also poll the queues left to OVS "
                        "(isolated, none would)");
}

/* The throughput method: MRR offers --rate; NDR/PDR search for the rate. */
static int build_method(struct experiment *x, struct diag *d) {
        const struct exp_opts *o = &x->o;
        const char *name = o->method ? o->method : "mrr";
        x->ndr_loss = 0, x->pdr_loss = 0.5, x->precision = 0.5, x->min_rate = 0.1;
        x->max_trials = o->max_trials ? o->max_trials : 40;
        x->loss_repeats = 1;
        if ((o->ndr_loss && parse_pct("ndr-loss", o->ndr_loss, 0, 50, &x->ndr_loss, d) < 0) ||
            (o->pdr_loss && parse_pct("pdr-loss", o->pdr_loss, 0, 50, &x->pdr_loss, d) < 0) ||
            (o->precision && parse_pct("precision", o->precision, 0.01, 50, &x->precision, d) < 0) ||
            (o->min_rate && parse_pct("min-rate", o->min_rate, 0.001, 50, &x->min_rate, d) < 0))
                return -EINVAL;
        if (o->loss_repeats) {
                char *end;
                unsigned long v = strtoul(o->loss_repeats, &end, 10);
                if (end == o->loss_repeats || *end || v > 10 || o->loss_repeats[0] == '-')
                        return diag_set(d, -EINVAL, "--loss-repeats %s: give 0 to 10 repetitions of a lossy trial",
                                        o->loss_repeats);
                x->loss_repeats = (unsigned)v;
        }
        x->n_latency_at = 0;
        if (o->latency_at) {
                int n = cli_list_uint("latency-at", o->latency_at, x->latency_at, EXP_MAX_LIST, d);
                if (n < 0)
                        return n;
                for (int i = 0; i < n; i++)
                        if (x->latency_at[i] > 100)
                                return diag_set(d, -EINVAL, "--latency-at %s: give %% of the PDR from 0 to 100, e.g. 0,10,50,90",
                                                o->latency_at);
                x->n_latency_at = n;
        }
        if (!(x->method = method_find(name)))
                return diag_set(d, -EINVAL, "--method %s: use %s", name, method_names());
        if (x->method->n_goals && o->rate)
                return diag_set(d, -EINVAL, "--rate is for --method mrr; a search chooses its own rates, from line rate "
                                            "(--link-speed) down");
        if (x->max_trials < 3 || x->max_trials > 100)
                return diag_set(d, -EINVAL, "--max-trials %u: give 3 to 100", x->max_trials);
        if (!x->method->n_goals && (x->n_latency_at || o->final_us || o->min_rate || o->loss_repeats))
                return diag_set(d, -EINVAL, "--latency-at, --final-duration, --min-rate and --loss-repeats are for a search: "
                                            "add --method ndr, pdr or ndr-pdr");
        return 0;
}

int experiment_build(struct experiment *x, const struct exp_env *env, struct diag *d) {
        const struct exp_opts *o = &x->o;
        int r;
        /* The run's name: --name / [scenario] name, else the verb's. */
        snprintf(x->name, sizeof(x->name), "%s",
                 o->name ? o->name : x->mode == EXP_NOISY ? "noisy" : x->mode == EXP_RUN ? "run" : "sweep");
        for (const char *c = o->name; c && *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-') || c - o->name > 24)
                        return diag_set(d, -EINVAL, "name %s: use up to 24 of a-z, 0-9, _ and -", o->name);
        if ((r = build_lists(x, d)) < 0)
                return r;
        if (o->repetitions < 1 || o->pmd_cores < 1)
                return diag_set(d, -EINVAL, "--repetitions and --pmd-cores are at least 1");
        if ((r = build_link(x, d)) < 0)
                return r;
        if ((r = build_variants(x, d)) < 0 || (r = build_gen_cores(x, d)) < 0 || (r = build_quota_scope(x, d)) < 0 ||
            (r = build_ovs(x, d)) < 0 || (r = build_containers(x, d)) < 0 ||
            (o->study && strcmp(o->study, "case1") && strcmp(o->study, "case2") && strcmp(o->study, "case3") &&
             (r = diag_set(d, -EINVAL, "--study %s: give case1, case2 or case3", o->study)) < 0) ||
            (r = neighbour_specs(x, env, d)) < 0 || (r = neighbour_settings(x, d)) < 0)
                return r;
        if (!(x->rate = rate_json(o->rate, d)))
                return -EINVAL;
        x->seed = o->seed ? o->seed : (unsigned)time(NULL);
        return build_method(x, d);
}

/* Asks isolab-noise whether the workload can run here with these options (its
 * supported(): a missing exec command, a node that does not exist...).  Its one-sentence
 * reason becomes d's. */
static int noise_check(const struct noise_spec *sp, struct diag *d) {
        char bin[600], obuf[256], cbuf[1024];
        char *av[80];
        int n = 0;
        paths_agent("noise", bin, sizeof(bin));
        av[n++] = bin;
        av[n++] = "--check";
        av[n++] = (char *)sp->workload;
        snprintf(obuf, sizeof(obuf), "%s", sp->opts);
        for (char *save = NULL, *w = strtok_r(obuf, ",", &save); w && n < 70; w = strtok_r(NULL, ",", &save)) {
                av[n++] = "--set";
                av[n++] = w;
        }
        if (strcmp(sp->workload, "exec") == 0) {
                av[n++] = "--";
                snprintf(cbuf, sizeof(cbuf), "%s", sp->cmd ? sp->cmd : "");
                for (char *save = NULL, *w = strtok_r(cbuf, " \t", &save); w && n < 79; w = strtok_r(NULL, " \t", &save))
                        av[n++] = w;
        }
        av[n] = NULL;
        _cleanup_free_ char *msg = NULL;
        int st = spawn_capture_flags(av, 512, SPAWN_STDERR, &msg);
        if (st == 0)
                return 0;
        if (st < 0)
                return diag_set(d, st, "cannot run %s: %s", bin, strerror(-st));
        msg[strcspn(msg, "\n")] = '\0';
        const char *why = strncmp(msg, "isolab-noise: ", 14) == 0 ? msg + 14 : msg;
        return diag_set(d, -EINVAL, "%s cannot run here: %s; nothing was changed", sp->where,
                        *why ? why : "isolab-noise --check failed");
}

int experiment_check_here(const struct experiment *x, struct diag *d) {
        char pmds[600];
        drivers_dir(ISOLAB_DPDK_LIBDIR, pmds, sizeof(pmds));
        int r = drivers_check(pmds, x->link, d);
        /* The generator host checks its own ports (isolab serve host --ports). */
        for (int i = x->gen_remote ? 2 : 0; i < EXP_PORTS && x->ports[i][0] && r >= 0; i++)
                r = drivers_check_port("/sys", x->ports[i], "--ports", d);
        for (int i = 0; i < x->n_nf && r >= 0; i++)
                if (x->nf[i]->check)
                        r = x->nf[i]->check(x, d);
        /* The engines when the run starts (a dry run needs no daemon). */
        for (int i = 0; i < x->n_ct && r >= 0 && !x->o.dry_run; i++)
                if (x->ct[i]->check)
                        r = x->ct[i]->check(x->ct[i], d);
        for (size_t i = 0; i < x->n_specs && r >= 0; i++)
                r = noise_check(&x->specs[i], d);
        return r;
}
