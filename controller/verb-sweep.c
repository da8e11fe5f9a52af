/* isolab sweep — the CPU-quota sweep, end to end (DESIGN.md, "A run").
 *
 * The study gave the OVS-DPDK container `docker --cpus` of 100 % down to 12.5 % and
 * measured by hand; this verb does it on the planned placement: plan, check every input
 * before touching anything, then (each step pushing its undo) a private run directory,
 * hugepages on the planned node (read back), a private hugetlbfs mount, isolab/<run>/
 * {gen,nf} cgroups with their cpusets, the generator and the NF inside them, and for
 * every point of the matrix: set the NF's quota, snapshot, run one trial, snapshot, and
 * append one line to trials.jsonl (fsync'ed: an interrupted run loses no finished
 * trial).  The undo stack runs on success, error and SIGINT/SIGTERM/SIGHUP.
 *
 * isolab noisy is the same run with two more dimensions (issue #5): neighbours (an
 * isolab-noise workload in its own cgroup isolab/<run>/noise-<placement>, on the CPUs
 * the planner gives that placement; one process per trial, gone when the trial ends)
 * and the NF's pinning (pinned: each PMD lcore on its planned CPU; unpinned: every lcore
 * may run anywhere on the node, EAL --lcores with a CPU set per lcore).  Every pinning
 * gets baseline trials without a neighbour, so every row has its reference. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "controller/paths.h"
#include "controller/cgroup.h"
#include "controller/cleanup.h"
#include "controller/drivers.h"
#include "controller/matrix.h"
#include "controller/render.h"
#include "controller/resdir.h"
#include "controller/runlock.h"
#include "controller/runner.h"
#include "controller/scenario.h"
#include "controller/search.h"
#include "controller/undo.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"
#include "topology/plan.h"
#include "base/spawn.h"
#include "base/util.h"

#define MAX_LIST 32
#define MAX_RESTARTS 3 /* --restart-agents */
#define AV_MAX 48      /* arguments of an agent's command line */

struct sweep_opts {
        const char *quotas, *periods, *frame_sizes, *rate, *out, *link;
        const char *noise, *placement, *pinning, *noise_opt, *noise_cmd, *noise_quota, *name;
        const char *method, *ndr_loss, *pdr_loss, *precision, *nf, *resume;
        unsigned repetitions, pmd_cores, max_trials;
        uint64_t duration_us, warmup_us, link_speed;
        bool shuffle, no_huge, restart, dry_run;
        unsigned seed;
        char resume_sum[20]; /* --resume: the checksum of the run's configuration (not an option) */
};

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
static const struct cli_option sweep_options[] = {
        { "name", "NAME", "the scenario's name, for the results directory (a-z, 0-9, _ and -)", cli_parse_string,
          offsetof(struct sweep_opts, name), "scenario" },
        { "repetitions", "N", "repetitions of the whole matrix (default 1)", cli_parse_count,
          offsetof(struct sweep_opts, repetitions), "scenario" },
        { "duration", "DUR", "measured traffic per trial (default 10s; 100ms to 1h)", parse_trial_duration,
          offsetof(struct sweep_opts, duration_us), "scenario" },
        { "warmup", "DUR", "traffic before each measurement, left out of it (default 2s; at most 10 min)", parse_warmup,
          offsetof(struct sweep_opts, warmup_us), "scenario" },
        { "shuffle", NULL, "shuffle the order within each repetition (the seed is recorded)", NULL,
          offsetof(struct sweep_opts, shuffle), "scenario" },
        { "seed", "N", "seed for --shuffle (default: from the clock)", cli_parse_uint, offsetof(struct sweep_opts, seed),
          "scenario" },
        { "restart-agents", NULL, "when an agent dies, record the failed trial, restart both agents and go on (3 times at most)",
          NULL, offsetof(struct sweep_opts, restart), "scenario" },
        { "out", "DIR", "results directory (default results/NAME-UTCTIME)", cli_parse_string,
          offsetof(struct sweep_opts, out), "scenario" },
        { "nf", "LIST", "the NF under test: isolab-nf (default), testpmd (dpdk-testpmd io forwarding, the yardstick), "
          "none (the generator looped back: the floor)", cli_parse_string, offsetof(struct sweep_opts, nf), "nf" },
        { "pmd-cores", "N", "PMD cores of the NF (default 1)", cli_parse_count, offsetof(struct sweep_opts, pmd_cores), "nf" },
        { "pinning", "LIST", "NF PMD threads pinned (each on its CPU) and/or unpinned (floating on the node); default pinned",
          cli_parse_string, offsetof(struct sweep_opts, pinning), "nf" },
        { "link", "KIND", "vhost (default) or memif", cli_parse_string, offsetof(struct sweep_opts, link), "nf" },
        { "frame-sizes", "LIST", "frame sizes in bytes with FCS (default 64)", cli_parse_string,
          offsetof(struct sweep_opts, frame_sizes), "nf" },
        { "no-huge", NULL, "run DPDK without hugepages (the report says so)", NULL, offsetof(struct sweep_opts, no_huge),
          "nf" },
        { "rate", "RATE", "offered load: line (default), max, N% of the link, or packets per second", parse_rate,
          offsetof(struct sweep_opts, rate), "traffic" },
        { "link-speed", "BPS", "emulated link speed for line and N% (default 10G)", cli_parse_size,
          offsetof(struct sweep_opts, link_speed), "traffic" },
        { "cpu-quota", "LIST", "NF CPU quotas in % of its PMD cores (sweep: 100,75,50,25,12.5; else 100)", cli_parse_string,
          offsetof(struct sweep_opts, quotas), "sweep" },
        { "cpu-period", "LIST", "CFS periods (default 100ms; 10ms and 1ms are interesting for PMDs)", cli_parse_string,
          offsetof(struct sweep_opts, periods), "sweep" },
        { "method", "M", "throughput method: mrr (offer --rate, measure; default), ndr, pdr or ndr-pdr (binary search)",
          cli_parse_string, offsetof(struct sweep_opts, method), "search" },
        { "ndr-loss", "PCT", "loss a no-drop-rate trial may have (default 0)", cli_parse_string,
          offsetof(struct sweep_opts, ndr_loss), "search" },
        { "pdr-loss", "PCT", "loss a partial-drop-rate trial may have (default 0.5)", cli_parse_string,
          offsetof(struct sweep_opts, pdr_loss), "search" },
        { "precision", "PCT", "stop the search when pass and fail are this close, in % of line rate (default 0.5)",
          cli_parse_string, offsetof(struct sweep_opts, precision), "search" },
        { "max-trials", "N", "trials one search may take (default 20)", cli_parse_uint,
          offsetof(struct sweep_opts, max_trials), "search" },
        { "noise", "LIST", "neighbour workloads: cpu, cache, membw, ctxsw, http, idle, exec (noisy: default cpu)",
          cli_parse_string, offsetof(struct sweep_opts, noise), NULL },
        { "placement", "LIST", "where neighbours run: same-core, sibling, same-llc, same-node, other-node, any "
          "(default same-core)", cli_parse_string, offsetof(struct sweep_opts, placement), NULL },
        { "noise-opt", "K=V,...", "workload options for every neighbour: threads, load, size, node, keepalive",
          cli_parse_string, offsetof(struct sweep_opts, noise_opt), NULL },
        { "noise-cmd", "CMD", "the command of the exec neighbour, split on spaces, run without a shell", cli_parse_string,
          offsetof(struct sweep_opts, noise_cmd), NULL },
        { "noise-quota", "PCT", "CPU quota of each neighbour's cgroup, in % of one CPU (default none)", cli_parse_string,
          offsetof(struct sweep_opts, noise_quota), NULL },
        { "resume", "DIR", "continue the interrupted run in DIR: its own options and seed from DIR/run.json, the trials "
          "already in DIR/trials.jsonl not run again", cli_parse_string, offsetof(struct sweep_opts, resume), NULL },
        { "dry-run", NULL, "print the plan, the trials, the EAL arguments, the cgroups and the duration; change nothing",
          NULL, offsetof(struct sweep_opts, dry_run), NULL },
};

const struct cli_option *experiment_options(size_t *n, size_t *opts_size) {
        *n = ELEMENTSOF(sweep_options);
        *opts_size = sizeof(struct sweep_opts);
        return sweep_options;
}

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
};

static void neighbours_free(struct neighbours *nb) {
        for (size_t i = 0; i < nb->n; i++) {
                json_decref(nb->v[i].options);
                json_decref(nb->v[i].argv);
        }
}

enum exp_mode { EXP_SWEEP, EXP_NOISY, EXP_RUN };

/* ---- undo actions ------------------------------------------------------------------------ */

/* The run's hugepage accounting, for run.json: what it found, added and gave back. */
struct hp_account {
        uint64_t found_total, found_free, added, returned;
};

struct undo_nr {
        unsigned node;
        uint64_t page_size, added;
        struct hp_account *acct; /* the experiment's, alive while its undo runs */
};

static int undo_hugepages(void *data, struct diag *d) {
        struct undo_nr *u = data;
        uint64_t returned = 0;
        int r = hugepages_give_back("/sys", u->node, u->page_size, u->added, &returned, d);
        if (u->acct)
                u->acct->returned = returned;
        return r;
}

static int undo_umount(void *data, struct diag *d) {
        if (umount2(data, 0) < 0 && errno != EINVAL)
                return diag_set(d, -errno, "cannot unmount %s: %s", (char *)data, strerror(errno));
        return 0;
}

static int undo_rmdir_tree(void *data, struct diag *d) {
        /* The run directory holds sockets and the (unmounted) hugetlbfs mount point. */
        if (cleanup_rm_rf(data) < 0)
                return diag_set(d, -EIO, "cannot remove %s", (char *)data);
        return 0;
}

struct undo_cg {
        struct cg *cg;
        char rel[256];
};

static int undo_cgroup(void *data, struct diag *d) {
        struct undo_cg *u = data;
        return u->cg->ops->destroy(u->cg, u->rel, d);
}

struct undo_agent {
        struct runner *r;
        struct runner_agent *a;
        unsigned generation;  /* the slot may hold a later agent by now */
        char prefix[96];      /* DPDK's --file-prefix, "" for none */
};

static int undo_agent(void *data, struct diag *d) {
        struct undo_agent *u = data;
        /* An agent that had died already was reported with its trial (and maybe restarted). */
        bool mine = u->a->generation == u->generation && !u->a->released;
        bool was_dead = u->a->exited;
        if (mine)
                runner_release(u->r, u->a);
        if (u->prefix[0]) {
                char path[160];
                snprintf(path, sizeof(path), "/var/run/dpdk/%s", u->prefix);
                undo_rmdir_tree(path, NULL);
                rmdir("/var/run/dpdk");
        }
        if (mine && !was_dead && u->a->exit_code != 0)
                return diag_set(d, -ECHILD, "agent %s exited with %d", u->a->name, u->a->exit_code);
        return 0;
}

/* Starts one agent inside its cgroup, records its undo (and state for cleanup), waits
 * for READY=1.  A restart appends to the agent's log. */
static int start_agent(struct runner *run, struct undo *undo, struct cg *cg, const char *role, char *const av[],
                       const char *rel, const char *prefix, const struct resdir *out, const char *logname, bool raw,
                       struct runner_agent **ret, struct diag *d) {
        /* The agent's log in the results directory: made by the first start, appended to
         * by a restart (or a resumed run), never through a planted name. */
        struct diag ld = { 0 };
        int lfd = resdir_create(out, logname, O_APPEND, &ld);
        if (lfd == -EEXIST)
                lfd = resdir_append(out, logname, &ld);
        if (lfd < 0)
                return diag_set(d, lfd, "%s", ld.msg);
        struct runner_agent *a = raw ? runner_start_raw(run, role, av, cg, rel, lfd, d) : runner_start(run, role, av, cg, rel, lfd, d);
        if (lfd >= 0)
                close(lfd);
        if (!a)
                return d->err ? d->err : -EIO;
        struct undo_agent *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->r = run;
        u->a = a;
        u->generation = a->generation;
        snprintf(u->prefix, sizeof(u->prefix), "%s", prefix);
        undo_push_rec(undo, undo_agent, u,
                      json_pack("{s:s, s:i, s:I, s:s}", "kind", "agent", "pid", (int)a->pid, "starttime",
                                (json_int_t)proc_starttime(a->pid), "prefix", prefix),
                      "stop %s", role);
        /* A raw program sends no READY=1; the generator's trial waits for its link. */
        int r = raw ? 0 : runner_wait_ready(run, a, 60000, d);
        if (r < 0)
                return r;
        /* The protocol is the only contract (proto.h): an agent of another isolab
         * version is refused before it is asked anything else. */
        if (!raw) {
                json_t *req = json_pack("{s:s}", "cmd", "hello"), *hello = NULL;
                r = runner_request(run, a, req, 10000, &hello, d);
                json_decref(req);
                json_t *v = json_object_get(hello, "version");
                if (r >= 0 && (!json_is_integer(v) || json_integer_value(v) != ISOLAB_PROTO_VERSION))
                        r = diag_set(d, -EPROTO,
                                     "agent %s speaks protocol version %lld, this isolab version %d: install the agents of "
                                     "the same isolab (%s)",
                                     role, json_is_integer(v) ? (long long)json_integer_value(v) : -1LL,
                                     ISOLAB_PROTO_VERSION, av[0]);
                json_decref(hello);
                if (r < 0)
                        return r;
        }
        *ret = a;
        return 0;
}

/* Stops both agents (the NF first) and starts them again, the generator first (it makes
 * the sockets the NF attaches to); with nf_cpus, the NF's cpuset changes in between (a
 * new pinning).  The old agents' undo entries stay and find their slots taken. */
static int restart_agents(struct runner *run, struct undo *undo, struct cg *cg, const char *const roles[2], char rel[2][200],
                          char *av[2][AV_MAX], char pfx[2][96], const struct resdir *out, const char *const logname[2],
                          struct runner_agent *agent[2],
                          bool no_nf, bool raw_nf, const char *nf_cpus, const char *mems, struct diag *d) {
        for (int j = 1; j >= 0; j--)
                if (agent[j])
                        runner_release(run, agent[j]);
        agent[1] = NULL;
        int r = 0;
        if (nf_cpus && (r = cg->ops->set_cpuset(cg, rel[1], nf_cpus, mems, d)) < 0)
                return r;
        for (int j = 0; j < (no_nf ? 1 : 2); j++)
                if ((r = start_agent(run, undo, cg, roles[j], av[j], rel[j], pfx[j], out, logname[j], j == 1 && raw_nf,
                                     &agent[j], d)) < 0)
                        return r;
        return 0;
}

/* The matrix's "pinning" dimension holds variants: NF kind x pinning. */
static inline unsigned variant_pin(unsigned v, int n_pin) {
        return v % (unsigned)n_pin;
}

static inline unsigned variant_nf(unsigned v, int n_pin) {
        return v / (unsigned)n_pin;
}

static int undo_nothing(void *data, struct diag *d) {
        (void)data, (void)d;
        return 0;
}

static void report_undo(const struct undo_entry *e, const struct diag *d, void *ctx) {
        (void)ctx;
        fprintf(stderr, "isolab: teardown: %s: %s\n", e->what, d->msg);
}

/* ---- per-thread scheduler counters of the PMD threads ------------------------------------- */

struct sched_snap {
        uint64_t run_ns, wait_ns;        /* /proc/PID/task/TID/schedstat: on CPU, waiting on a run queue */
        uint64_t nonvoluntary;           /* involuntary context switches */
        uint64_t process_ns;             /* all the process's threads on CPU */
};

static void sched_read(pid_t pid, json_t *lcores, struct sched_snap *s) {
        *s = (struct sched_snap){ 0 };
        size_t i;
        json_t *lc;
        json_array_foreach(lcores, i, lc) {
                int tid = (int)json_integer_value(json_object_get(lc, "tid"));
                char path[96];
                _cleanup_free_ char *text = NULL;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, tid);
                if (read_small_file(path, &text) == 0) {
                        uint64_t a, b;
                        if (sscanf(text, "%" SCNu64 " %" SCNu64, &a, &b) == 2) {
                                s->run_ns += a;
                                s->wait_ns += b;
                        }
                }
                free(text);
                text = NULL;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, tid);
                if (read_small_file(path, &text) == 0) {
                        const char *p = strstr(text, "nonvoluntary_ctxt_switches:");
                        uint64_t v;
                        if (p && sscanf(p + 27, "%" SCNu64, &v) == 1)
                                s->nonvoluntary += v;
                }
        }
}

/* CPU time of all of a process's threads (the NF's PMD lcores plus its control,
 * interrupt and telemetry threads), to show what the quota spent beside the PMDs. */
static uint64_t process_run_ns(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *dh = opendir(path);
        uint64_t sum = 0;
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.')
                        continue;
                char p2[96];
                _cleanup_free_ char *text = NULL;
                uint64_t v;
                snprintf(p2, sizeof(p2), "/proc/%d/task/%.16s/schedstat", (int)pid, e->d_name);
                if (read_small_file(p2, &text) == 0 && sscanf(text, "%" SCNu64, &v) == 1)
                        sum += v;
        }
        if (dh)
                closedir(dh);
        return sum;
}

/* Where a process's hugepage memory really is: /proc/PID/numa_maps lists each mapping with
 * its pages per node ("N0=64") and page size.  Returns {"NODE": bytes, ...}. */
static json_t *numa_huge_json(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
        json_t *o = json_object();
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                if (!strstr(line, " huge "))
                        continue;
                const char *ps = strstr(line, "kernelpagesize_kB=");
                uint64_t kb = ps ? strtoull(ps + 18, NULL, 10) : 0;
                for (char *t = strstr(line, " N"); t; t = strstr(t + 1, " N")) {
                        unsigned node;
                        uint64_t pages;
                        if (sscanf(t, " N%u=%" SCNu64, &node, &pages) != 2)
                                continue;
                        char key[16];
                        snprintf(key, sizeof(key), "%u", node);
                        json_int_t cur = json_integer_value(json_object_get(o, key));
                        json_object_set_new(o, key, json_integer(cur + (json_int_t)(pages * kb * 1024)));
                }
        }
        return o;
}

static json_int_t sum_lcores(json_t *stats, const char *key) {
        json_int_t sum = 0;
        size_t i;
        json_t *lc;
        json_array_foreach(json_object_get(stats, "lcores"), i, lc) sum += json_integer_value(json_object_get(lc, key));
        return sum;
}

static double max_lcores(json_t *stats, const char *key) {
        double m = 0;
        size_t i;
        json_t *lc;
        json_array_foreach(json_object_get(stats, "lcores"), i, lc) {
                double v = json_number_value(json_object_get(lc, key));
                if (v > m)
                        m = v;
        }
        return m;
}

/* The trial's poll-gap histogram, all PMD lcores together: [[ge_ns, count], ...] of
 * the gaps between s0 and s1 (buckets are powers of two of TSC cycles). */
static json_t *gap_delta(json_t *s0, json_t *s1) {
        double ge[64];
        json_int_t n[64];
        size_t nb = 0;
        for (int pass = 0; pass < 2; pass++) {
                size_t i, j;
                json_t *lc, *g;
                json_array_foreach(json_object_get(pass ? s0 : s1, "lcores"), i, lc)
                        json_array_foreach(json_object_get(lc, "poll_gaps"), j, g) {
                                double e = json_number_value(json_object_get(g, "ge_ns"));
                                json_int_t c = json_integer_value(json_object_get(g, "count"));
                                size_t k = 0;
                                while (k < nb && ge[k] != e)
                                        k++;
                                if (k == nb) {
                                        if (nb == 64)
                                                continue;
                                        ge[nb] = e;
                                        n[nb++] = 0;
                                }
                                n[k] += pass ? -c : c;
                        }
        }
        json_t *a = json_array();
        for (size_t k = 0; k < nb; k++)
                if (n[k] > 0)
                        json_array_append_new(a, json_pack("[f, I]", ge[k], n[k]));
        return a;
}

/* ---- the verb ---------------------------------------------------------------------------- */

static int fail_usage(struct diag *d, int r) {
        report_error(d, r);
        return EXIT_USAGE;
}

static char *utc_stamp(char *buf, size_t len) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
        return buf;
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

/* A stop signal that arrived during the setup (they are blocked then): says so, and the
 * caller undoes what is done.  Left pending for the event loop otherwise. */
static bool setup_signal(const sigset_t *set) {
        sigset_t pending;
        if (sigpending(&pending) < 0)
                return false;
        for (int sig = 1; sig < NSIG; sig++)
                if (sigismember(set, sig) && sigismember(&pending, sig)) {
                        fprintf(stderr, "isolab: %s during the setup: undoing it\n", strsignal(sig));
                        return true;
                }
        return false;
}

/* Agents live beside the isolab binary, in ../libexec/isolab, or in $ISOLAB_LIBEXEC. */
static void agent_bin(const char *role, char *buf, size_t len) {
        paths_agent(role, buf, len);
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

/* dpdk-testpmd from PATH (Debian's dpdk-dev), or "" when it is not there. */
static const char *testpmd_path(void) {
        static char path[600];
        const char *env = getenv("PATH");
        if (!env || !*env)
                env = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = env; *p;) {
                size_t n = strcspn(p, ":");
                snprintf(path, sizeof(path), "%.*s/dpdk-testpmd", (int)n, p);
                if (n && access(path, X_OK) == 0)
                        return path;
                p += n + (p[n] == ':');
        }
        return "";
}

/* Splits a comma list in place; returns the number of items (at most max). */
static int split_list(char *s, char **v, int max) {
        int n = 0;
        for (char *save = NULL, *w = strtok_r(s, ",", &save); w && n < max; w = strtok_r(NULL, ",", &save))
                v[n++] = w;
        return n;
}

/* Asks isolab-noise whether the workload can run here with these options (its
 * supported(): a missing exec command, a node that does not exist...), before anything
 * on the machine changes.  Its one-sentence reason becomes d's. */
static int noise_check(const char *where, const char *workload, char **opts, int nopts, char **cmd, int ncmd,
                       struct diag *d) {
        char bin[600];
        agent_bin("noise", bin, sizeof(bin));
        char *av[80];
        int n = 0;
        av[n++] = bin;
        av[n++] = "--check";
        av[n++] = (char *)workload;
        for (int i = 0; i < nopts && n < 70; i++) {
                av[n++] = "--set";
                av[n++] = opts[i];
        }
        if (strcmp(workload, "exec") == 0) {
                av[n++] = "--";
                for (int i = 0; i < ncmd && n < 79; i++)
                        av[n++] = cmd[i];
        }
        av[n] = NULL;
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return diag_set(d, -errno, "pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return diag_set(d, -errno, "fork: %s", strerror(errno));
        }
        if (pid == 0) {
                dup2(pfd[1], STDERR_FILENO);
                dup2(pfd[1], STDOUT_FILENO);
                execv(bin, av);
                fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
                _exit(127);
        }
        close(pfd[1]);
        char msg[512];
        size_t got = 0;
        ssize_t k;
        while (got < sizeof(msg) - 1 && (k = read(pfd[0], msg + got, sizeof(msg) - 1 - got)) > 0)
                got += (size_t)k;
        close(pfd[0]);
        msg[got] = '\0';
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        msg[strcspn(msg, "\n")] = '\0';
        const char *why = strncmp(msg, "isolab-noise: ", 14) == 0 ? msg + 14 : msg;
        return diag_set(d, -EINVAL, "%s cannot run here: %s; nothing was changed", where,
                        *why ? why : "isolab-noise --check failed");
}

/* Creates isolab/<run>/<name> with its cpuset, the undo pushed first. */
static int create_group(struct undo *undo, struct cg *cg, const char *rel, hwloc_const_bitmap_t cpus, const char *mems,
                        struct diag *d) {
        struct undo_cg *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->cg = cg;
        snprintf(u->rel, sizeof(u->rel), "%s", rel);
        undo_push_rec(undo, undo_cgroup, u, json_pack("{s:s, s:s}", "kind", "cgroup", "rel", rel), "remove cgroup %s", rel);
        int r = cg->ops->create(cg, rel, d);
        if (r < 0)
                return r;
        /* Written in the kernel's canonical list form, which the read-back compares with. */
        _cleanup_free_ char *list = cpulist_format(cpus);
        return list ? cg->ops->set_cpuset(cg, rel, list, mems, d) : -ENOMEM;
}

/* The NF's lcores and cpuset for a pinning.  The main (control) lcore runs on the
 * housekeeping CPU, so that CPU is in the cpuset too (the quota then also covers the
 * control thread, which sleeps).  pinned: "0@HK,1@C1,2@C2..."; unpinned: every lcore on
 * the whole node, "0@(NODE),1@(NODE)...", and the cpuset is the node. */
static void nf_pinning(const struct plan *p, const struct topo *t, bool unpinned, char *lcores, size_t len,
                       hwloc_bitmap_t cpuset) {
        int hk = hwloc_bitmap_first(p->housekeeping.cpus);
        hwloc_bitmap_copy(cpuset, p->housekeeping.cpus);
        if (!unpinned) {
                size_t l = (size_t)snprintf(lcores, len, "0@%d", hk);
                unsigned k = 1;
                int cpu;
                hwloc_bitmap_foreach_begin(cpu, p->pmd.cpus) {
                        l += (size_t)snprintf(lcores + l, len - l, ",%u@%d", k++, cpu);
                }
                hwloc_bitmap_foreach_end();
                hwloc_bitmap_or(cpuset, cpuset, p->pmd.cpus);
                return;
        }
        const struct topo_node *n = topo_node_by_os_index(t, (unsigned)p->node);
        hwloc_bitmap_or(cpuset, cpuset, n->cpus);
        _cleanup_free_ char *node = cpulist_format(cpuset);
        size_t l = 0;
        for (int k = 0; k <= hwloc_bitmap_weight(p->pmd.cpus); k++)
                l += (size_t)snprintf(lcores + l, len - l, "%s%d@(%s)", k ? "," : "", k, node ? node : "0");
}

/* The memory nodes of a CPU set, as a list for cpuset.mems. */
static void mems_of(const struct topo *t, hwloc_const_bitmap_t cpus, char *buf, size_t len) {
        hwloc_bitmap_t m = hwloc_bitmap_alloc();
        for (unsigned i = 0; i < t->n_nodes; i++)
                if (hwloc_bitmap_intersects(t->nodes[i].cpus, cpus))
                        hwloc_bitmap_set(m, t->nodes[i].os_index);
        _cleanup_free_ char *s = cpulist_format(m);
        snprintf(buf, len, "%s", s && *s ? s : "0");
        hwloc_bitmap_free(m);
}

/* One whole line per write, then fsync: a crash leaves whole lines only.  A write cut
 * short (a full disk) is taken back, so the file never holds a torn line.  Takes line. */
/* What a trial line says of the matrix point it measured (every dimension, as indices
 * into the run's lists) and of the run it belongs to: --resume checks both. */
static void point_key(const struct matrix_point *pt, char *buf, size_t len) {
        snprintf(buf, len, "rep %u, quota %g %%, period %" PRIu64 " us, frame %u B, variant %u, neighbour %u", pt->repetition,
                 pt->quota, pt->period_us, pt->frame_size, pt->pinning, pt->neighbour);
}

/* A checksum of a run's configuration (run.json "config", keys sorted): FNV-1a 64,
 * to tell lines of another run or an edited run.json, not to resist forgery (root
 * reads run.json only where no one else can write it). */
static void config_sum(json_t *cfg, char *buf, size_t len) {
        char *text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        uint64_t h = 14695981039346656037ULL;
        for (const char *c = text ? text : ""; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        free(text);
        snprintf(buf, len, "%016" PRIx64, h);
}

static bool append_line(int fd, const char *dir, json_t *line, const struct matrix_point *pt, const char *sum) {
        char key[160];
        point_key(pt, key, sizeof(key));
        json_object_set_new(line, "point", json_string(key));
        json_object_set_new(line, "run_sum", json_string(sum));
        char *text = json_dumps(line, JSON_COMPACT);
        json_decref(line);
        size_t len = text ? strlen(text) : 0;
        off_t end = lseek(fd, 0, SEEK_END);
        if (text)
                text[len++] = '\n'; /* json_dumps leaves room: replace the NUL */
        ssize_t n = text ? write(fd, text, len) : -1;
        int e = n < 0 ? errno : ENOSPC; /* a short write: the disk is full */
        bool ok = n == (ssize_t)len;
        if (ok && fsync(fd) < 0) {
                e = errno;
                ok = false;
        }
        if (!ok && n > 0 && end >= 0)
                (void)!ftruncate(fd, end);
        free(text);
        if (!ok)
                fprintf(stderr, "isolab: cannot append to %s/trials.jsonl: %s; the lines before are whole\n", dir,
                        strerror(e));
        return ok;
}

/* Progress: on a terminal one line, redrawn — trial i of N, the point, elapsed and ETA —
 * with each finished trial's result scrolled above it; elsewhere (a log, CI) only the
 * results, one line each, and nothing of the display. */
struct progress {
        bool tty;
        size_t i, n;             /* trials finished, in all */
        uint64_t t0_us;
        char what[256];          /* the trial running now */
};

static uint64_t mono_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fmt_secs(double s, char *buf, size_t len) {
        if (s >= 3600)
                snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
        else if (s >= 60)
                snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
        else
                snprintf(buf, len, "%.0fs", s);
}

static void progress_begin(struct progress *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress_begin(struct progress *pr, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pr->what, sizeof(pr->what), fmt, ap);
        va_end(ap);
        if (!pr->tty)
                return;
        double el = (double)(mono_us() - pr->t0_us) / 1e6;
        char e[32], eta[32] = "?";
        fmt_secs(el, e, sizeof(e));
        if (pr->i)
                fmt_secs(el / (double)pr->i * (double)(pr->n - pr->i), eta, sizeof(eta));
        fprintf(stderr, "\r\033[K[%zu/%zu] %s  (%s, ETA %s)", pr->i + 1, pr->n, pr->what, e, eta);
}

/* The result of the trial begun last; line is its record. */
static void progress_end(struct progress *pr, json_t *line, bool counts) {
        char res[300];
        if (json_object_get(line, "error"))
                snprintf(res, sizeof(res), "failed: %s", json_string_value(json_object_get(line, "error")));
        else
                snprintf(res, sizeof(res), "%.3f Mpps, loss %.2f%%, throttled %.0f%%", report_num(line, "result.mpps"),
                         100 * report_num(line, "result.loss.ratio"), report_num(line, "cgroup.throttled_pct"));
        fprintf(stderr, "%sisolab: %s: %s\n", pr->tty ? "\r\033[K" : "", pr->what, res);
        pr->i += counts;
}

/* What one trial needs from the run. */
struct trial_ctx {
        struct runner *run;
        struct undo *undo;
        struct cg *cg;
        struct runner_agent **agent;   /* gen, nf */
        const char *nf_rel;
        const struct sweep_opts *o;
        char **noise_av;
        const struct resdir *out; /* the results directory, for the neighbour's log */
};

/* Runs one trial of point pt at rate (the generator's "rate": "line", "50%" or pps) with
 * neighbour nb (NULL: none) and returns its record: the generator's result, the NF's
 * and the cgroup's deltas, the PMD threads' scheduler counters, the neighbour's rate.
 * On failure the record holds "error" and *ret_failed is set. */
static json_t *measure(struct trial_ctx *c, const struct matrix_point *pt, const struct cg_quota *q, json_t *rate,
                       const struct neighbour *nb, const char *pinning, bool *ret_failed, struct diag *d) {
        int r;
        const pid_t nf_pid = c->agent[1] ? c->agent[1]->pid : 0; /* none: the self-test has no NF */
        json_t *s0 = NULL, *s1 = NULL, *res = NULL, *nstat = NULL;
        struct cg_cpu_stat c0 = { 0 }, c1 = { 0 };
        struct sched_snap h0 = { 0 }, h1 = { 0 };
        /* The neighbour: its own process for this trial only, working before the
         * trial starts (the NF's counters then see it from the first packet). */
        struct runner_agent *na = NULL;
        size_t mark = c->undo->n;
        r = 0;
        if (nb) {
                r = start_agent(c->run, c->undo, c->cg, "noise", c->noise_av, nb->rel, "", c->out, "noise.log", false, &na, d);
                json_t *nreq = json_pack("{s:s, s:s, s:O, s:O}", "cmd", "start", "workload", nb->workload, "options",
                                         nb->options, "argv", nb->argv), *nrep = NULL;
                if (r >= 0)
                        r = runner_request(c->run, na, nreq, 30000, &nrep, d);
                json_decref(nreq);
                json_decref(nrep);
        }
        json_t *sreq = json_pack("{s:s}", "cmd", "stats"), *sreq0 = json_pack("{s:s, s:b}", "cmd", "stats", "reset_max", 1);
        /* isolab-nf reports from the inside; testpmd (raw) and the self-test (no NF) do not. */
        bool nf_proto = c->agent[1] && !c->agent[1]->raw;
        if (r >= 0 && nf_proto)
                r = runner_request(c->run, c->agent[1], sreq0, 10000, &s0, d);
        json_decref(sreq0);
        if (r >= 0 && na) {
                json_t *nreq = json_pack("{s:s, s:b}", "cmd", "stats", "reset", 1), *nrep = NULL;
                r = runner_request(c->run, na, nreq, 10000, &nrep, d);
                json_decref(nreq);
                json_decref(nrep);
        }
        uint64_t window0_us = mono_us(); /* the counters' window opens with c0, closes with c1 */
        if (r >= 0)
                r = c->cg->ops->cpu_stat(c->cg, c->nf_rel, &c0, d);
        if (r >= 0 && nf_pid > 0) {
                sched_read(nf_pid, json_object_get(s0, "lcores"), &h0);
                h0.process_ns = process_run_ns(nf_pid);
                if (!nf_proto) /* its PMD threads are not known: the whole process */
                        h0.run_ns = h0.process_ns;
        }
        uint64_t t0 = 0;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        json_t *treq = json_pack("{s:s, s:i, s:O, s:f, s:f, s:f}", "cmd", "trial", "frame_size", pt->frame_size,
                                 "rate", rate, "duration", c->o->duration_us / 1e6, "warmup", c->o->warmup_us / 1e6,
                                 "drain", 0.1);
        if (r >= 0)
                r = runner_request(c->run, c->agent[0], treq, (int)((c->o->duration_us + c->o->warmup_us) / 1000) + 30000, &res,
                                   d);
        json_decref(treq);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t t1 = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        if (r >= 0 && na) {
                json_t *nreq = json_pack("{s:s}", "cmd", "stop");
                r = runner_request(c->run, na, nreq, 10000, &nstat, d);
                json_decref(nreq);
                /* A neighbour that stopped by itself disturbed only part of the trial. */
                const char *ended = json_string_value(json_object_get(nstat, "ended_early"));
                if (r >= 0 && ended)
                        r = diag_set(d, -ECHILD, "neighbour %s: %s; the trial is not a neighbour trial", nb->name, ended);
        }
        if (r >= 0 && nf_proto)
                r = runner_request(c->run, c->agent[1], sreq, 10000, &s1, d);
        if (r >= 0)
                r = c->cg->ops->cpu_stat(c->cg, c->nf_rel, &c1, d);
        json_decref(sreq);
        /* The counters' window must be the trial's: a controller held up (SIGSTOP, a VM
         * pause, or starved by a neighbour on its CPU) would divide a long stretch of
         * cgroup periods and CPU time as if it were the generator's short window.  The
         * window may exceed the trial by its drain, the requests and 2 s (or half the
         * trial) of slack; beyond that the trial is recorded but marked not valid, and
         * the reports leave it out. */
        uint64_t window_us = mono_us() - window0_us, trial_us = c->o->duration_us + c->o->warmup_us + 100000;
        uint64_t slack_us = trial_us / 2 > 2000000 ? trial_us / 2 : 2000000;
        char invalid[256] = "";
        if (window_us > trial_us + slack_us)
                snprintf(invalid, sizeof(invalid),
                         "the controller was held up: its counters cover %.1f s for a trial of %.1f s (stopped, the "
                         "machine paused, or starved of CPU)",
                         (double)window_us / 1e6, (double)trial_us / 1e6);
        json_t *line;
        if (r < 0) {
                line = json_pack("{s:I, s:i, s:f, s:I, s:i, s:s}", "index", (json_int_t)pt->index, "repetition",
                                 pt->repetition, "quota", pt->quota, "period_us", (json_int_t)pt->period_us,
                                 "frame_size", pt->frame_size, "error", d->msg);
                *ret_failed = true;
        } else {
                sched_read(nf_pid, json_object_get(s1, "lcores"), &h1);
                h1.process_ns = nf_pid > 0 ? process_run_ns(nf_pid) : 0;
                if (!nf_proto)
                        h1.run_ns = h1.process_ns;
                double wall_ns = (double)(t1 - t0);
                json_int_t busy = sum_lcores(s1, "busy_cycles") - sum_lcores(s0, "busy_cycles");
                json_int_t idle = sum_lcores(s1, "idle_cycles") - sum_lcores(s0, "idle_cycles");
                uint64_t periods_d = c1.nr_periods - c0.nr_periods;
                json_t *result = json_object_get(res, "result");
                line = json_pack(
                        "{s:I, s:i, s:f, s:I, s:I, s:i, s:O,"
                        " s:{s:I, s:I, s:I, s:I, s:f, s:f},"
                        " s:{s:I, s:I, s:I, s:f},"
                        " s:{s:f, s:I, s:I}}",
                        "index", (json_int_t)pt->index, "repetition", pt->repetition, "quota", pt->quota,
                        "period_us", (json_int_t)pt->period_us, "quota_us", (json_int_t)q->quota_us, "frame_size",
                        pt->frame_size, "result", result,
                        "nf", "rx", sum_lcores(s1, "rx") - sum_lcores(s0, "rx"), "tx",
                        sum_lcores(s1, "tx") - sum_lcores(s0, "tx"), "tx_drops",
                        sum_lcores(s1, "tx_drops") - sum_lcores(s0, "tx_drops"), "stalls",
                        sum_lcores(s1, "stalls") - sum_lcores(s0, "stalls"), "busy_share",
                        busy + idle ? (double)busy / (double)(busy + idle) : 0.0, "max_gap_ns",
                        max_lcores(s1, "max_gap_ns"),
                        "cgroup", "nr_periods", (json_int_t)periods_d, "nr_throttled",
                        (json_int_t)(c1.nr_throttled - c0.nr_throttled), "throttled_us",
                        (json_int_t)(c1.throttled_us - c0.throttled_us), "throttled_pct",
                        periods_d ? 100.0 * (double)(c1.nr_throttled - c0.nr_throttled) / (double)periods_d : 0.0,
                        "pmd", "cpu_share", wall_ns > 0 ? (double)(h1.run_ns - h0.run_ns) / wall_ns / c->o->pmd_cores : 0.0,
                        "nonvoluntary_ctxt_switches", (json_int_t)(h1.nonvoluntary - h0.nonvoluntary),
                        "runqueue_wait_ns", (json_int_t)(h1.wait_ns - h0.wait_ns));
                /* Beside the PMDs, the quota also pays for the NF's other threads
                 * (the control lcore on the housekeeping CPU; they sleep), as
                 * Docker's --cpus does for a whole container: shown, not hidden. */
                uint64_t pmd_ns = h1.run_ns - h0.run_ns, all_ns = h1.process_ns - h0.process_ns;
                json_t *nfj = json_object_get(line, "nf");
                json_object_set_new(nfj, "other_threads_cpu_ns",
                                    json_integer(all_ns > pmd_ns ? (json_int_t)(all_ns - pmd_ns) : 0));
                /* max_gap_ns is this trial's (the NF restarts it at stats with
                 * reset_max); migrations are seen by the PMD lcores themselves. */
                json_object_set_new(nfj, "max_gap_ns_ever", json_real(max_lcores(s1, "max_gap_ns_ever")));
                json_object_set_new(nfj, "migrations",
                                    json_integer(sum_lcores(s1, "migrations") - sum_lcores(s0, "migrations")));
                /* The time the PMDs did not poll (gaps over 10 us), as a share of
                 * the trial and of the PMD cores. */
                json_int_t stall_ns = sum_lcores(s1, "stall_ns") - sum_lcores(s0, "stall_ns");
                json_object_set_new(nfj, "stall_ns", json_integer(stall_ns));
                json_object_set_new(nfj, "poll_gaps", gap_delta(s0, s1));
                json_object_set_new(nfj, "stalled_pct",
                                    json_real(wall_ns > 0 ? 100.0 * (double)stall_ns / wall_ns / c->o->pmd_cores : 0.0));
                if (nstat) {
                        json_object_del(nstat, "ok");
                        json_object_del(nstat, "id");
                }
                if (invalid[0]) {
                        json_object_set_new(line, "invalid", json_string(invalid));
                        fprintf(stderr, "isolab: not valid: %s\n", invalid);
                }
                /* The group's own CPU time, where the backend reads it (v2, systemd). */
                if (c0.has_usage && c1.has_usage && wall_ns > 0)
                        json_object_set_new(json_object_get(line, "cgroup"), "cpu_share",
                                            json_real((double)(c1.usage_us - c0.usage_us) * 1000.0 / wall_ns /
                                                      c->o->pmd_cores));
        }
        /* Which pinning and which neighbour, failed or not: the report groups by them. */
        json_object_set_new(line, "pinning", json_string(pinning));
        json_t *nbj = json_null();
        if (nb) {
                nbj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:O}", "name", nb->name, "workload", nb->workload,
                                "placement", noise_placement_to_string(nb->placement), "cgroup", nb->rel, "cpus",
                                nb->cpus, "quota_pct", nb->quota > 0 ? json_real(nb->quota) : json_null(), "options",
                                nb->options, "argv", nb->argv);
                if (nstat && r >= 0)
                        json_object_update_missing(nbj, nstat);
        }
        json_object_set_new(line, "neighbour", nbj);
        json_decref(nstat);
        /* The neighbour goes with its trial. */
        if (undo_run_to(c->undo, mark, report_undo, NULL))
                *ret_failed = true;
        json_decref(s0);
        json_decref(s1);
        json_decref(res);
        return line;
}

/* Runs this isolab binary with argv (no shell), its stdout into fd (-1: to our
 * stderr).  Returns its exit status, or -1. */
static int run_self(char *const argv[], int fd) {
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fd >= 0 ? fd : STDERR_FILENO, STDOUT_FILENO);
                execv("/proc/self/exe", argv);
                _exit(127);
        }
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* isolab report ARGV... into name in the results directory, replacing it whole. */
static int report_into(const struct resdir *out, const char *name, char *const argv[]) {
        struct diag d = { 0 };
        int fd = resdir_replace_begin(out, name, &d);
        if (fd < 0)
                return fd;
        if (run_self(argv, fd) != 0) {
                resdir_replace_abort(out, name, fd);
                return -EIO;
        }
        return resdir_replace_commit(out, name, fd, &d);
}

/* A resumed run's trials.jsonl whose last line has no newline (the disk filled, the
 * power went) loses that torn line before anything is appended, so it is never glued to
 * the next trial. */
static int trials_cut_torn_line(int fd, struct diag *d) {
        off_t end = lseek(fd, 0, SEEK_END), keep = end;
        char buf[4096];
        while (keep > 0) {
                size_t n = keep < (off_t)sizeof(buf) ? (size_t)keep : sizeof(buf);
                if (pread(fd, buf, n, keep - (off_t)n) != (ssize_t)n)
                        return diag_set(d, -EIO, "cannot read trials.jsonl back");
                size_t k = n;
                while (k > 0 && buf[k - 1] != '\n')
                        k--;
                if (k > 0) {
                        keep = keep - (off_t)n + (off_t)k;
                        break;
                }
                keep -= (off_t)n;
        }
        if (keep == end)
                return 0;
        fprintf(stderr, "isolab: trials.jsonl ends in a torn line (%lld bytes without a newline); it is cut off\n",
                (long long)(end - keep));
        return ftruncate(fd, keep) < 0 ? diag_set(d, -errno, "cannot cut trials.jsonl: %s", strerror(errno)) : 0;
}

static int experiment(int argc, char **argv, enum exp_mode mode);

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
        .options = sweep_options,
        .n_options = ELEMENTSOF(sweep_options),
};

const struct verb verb_noisy = {
        .name = "noisy",
        .usage = "[options]",
        .summary = "run the NF beside noisy neighbours, pinned and unpinned, with baselines (root)",
        .description = "Run the NF next to noisy neighbours (isolab-noise workloads) on chosen placements,\n"
                       "with its PMD threads pinned and/or unpinned, and baseline trials without one;\n"
                       "measure what the NF suffered and what the neighbour got done.  Needs root.",
        .run = noisy_run,
        .options = sweep_options,
        .n_options = ELEMENTSOF(sweep_options),
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
        .options = sweep_options,
        .n_options = ELEMENTSOF(sweep_options),
};

static const struct verb *const mode_verbs[] = { [EXP_SWEEP] = &verb_sweep, [EXP_NOISY] = &verb_noisy, [EXP_RUN] = &verb_run };

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

/* The workloads isolab-noise has, from `isolab-noise --list` (the name first on each
 * line): the registry is the agent's, the controller keeps no copy.  Fills names (at most
 * max) and "cpu, cache, ... or exec" into list; returns the count or -errno with d set. */
static int noise_workloads(char names[][16], size_t max, char *list, size_t len, struct diag *d) {
        char bin[600];
        agent_bin("noise", bin, sizeof(bin));
        char *argv[] = { bin, "--list", NULL };
        _cleanup_free_ char *out = NULL;
        int st = spawn_capture(argv, 65536, &out);
        if (st != 0)
                return diag_set(d, -ENOENT, "cannot ask %s for its workloads (%s): reinstall isolab", bin,
                                st < 0 ? strerror(-st) : "it failed");
        size_t n = 0;
        list[0] = '\0';
        char *save = NULL;
        for (char *l = strtok_r(out, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
                if (sscanf(l, "%15[a-z0-9_-]", names[n]) != 1)
                        continue;
                n++;
        }
        for (size_t i = 0; i < n; i++) {
                size_t used = strlen(list);
                snprintf(list + used, len - used, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
        }
        return n ? (int)n : diag_set(d, -ENOENT, "%s --list names no workload: reinstall isolab", bin);
}

/* The neighbours to run: the command line's (--noise W,... with the shared --placement,
 * --noise-opt, --noise-cmd, --noise-quota) or the file's [noise.NAME] sections (which
 * those options then override).  Each is checked, by isolab-noise too, before anything
 * changes. */
static int neighbour_specs(const struct sweep_opts *o, const struct scenario *sc, enum exp_mode mode,
                           struct noise_spec *specs, size_t *ret_n, struct diag *d) {
        char workloads[32][16], wlist[600];
        size_t n = 0;
        const char *cli = o->noise ? o->noise : mode == EXP_NOISY ? "cpu" : NULL;
        int nw = 0;
        if ((cli || sc->n_noise) && (nw = noise_workloads(workloads, ELEMENTSOF(workloads), wlist, sizeof(wlist), d)) < 0)
                return nw;
        if (cli) {
                char buf[256];
                char *v[SCENARIO_MAX_NOISE + 1];
                snprintf(buf, sizeof(buf), "%s", cli);
                int k = split_list(buf, v, SCENARIO_MAX_NOISE + 1);
                if (k > SCENARIO_MAX_NOISE)
                        return diag_set(d, -EINVAL, "--noise: at most %d workloads", SCENARIO_MAX_NOISE);
                for (int i = 0; i < k; i++) {
                        bool known = false;
                        for (int w = 0; w < nw; w++)
                                known |= strcmp(v[i], workloads[w]) == 0;
                        if (!known)
                                return diag_set(d, -EINVAL, "--noise %s: use %s", v[i], wlist);
                        for (size_t j = 0; j < n; j++)
                                if (strcmp(specs[j].name, v[i]) == 0)
                                        return diag_set(d, -EINVAL, "--noise names %s twice", v[i]);
                        struct noise_spec *s = &specs[n++];
                        *s = (struct noise_spec){ 0 };
                        snprintf(s->name, sizeof(s->name), "%s", v[i]);
                        snprintf(s->workload, sizeof(s->workload), "%s", v[i]);
                        snprintf(s->where, sizeof(s->where), "--noise %s", v[i]);
                }
        } else {
                for (size_t i = 0; i < sc->n_noise; i++) {
                        bool known = false;
                        for (int w = 0; w < nw; w++)
                                known |= strcmp(sc->noise[i].workload, workloads[w]) == 0;
                        if (!known)
                                return diag_set(d, -EINVAL, "%s: workload = %s: use %s", sc->noise[i].where,
                                                sc->noise[i].workload, wlist);
                        specs[n++] = sc->noise[i];
                }
        }
        if (!n && (o->placement || o->noise_opt || o->noise_cmd || o->noise_quota))
                return diag_set(d, -EINVAL, "--placement, --noise-opt, --noise-cmd and --noise-quota need --noise WORKLOAD,... "
                                            "(or [noise.NAME] sections in a scenario file)");
        for (size_t i = 0; i < n; i++) {
                struct noise_spec *s = &specs[i];
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
        *ret_n = n;
        return 0;
}

/* The NF under test: isolab-nf; dpdk-testpmd in io forwarding, the yardstick (it speaks
 * no protocol: started raw, its output to nf.log, stopped by SIGTERM, measured from the
 * outside); or none, the generator looped back to itself (--selftest): the floor of
 * what the link and the generator add. */
enum nf_kind { NF_ISOLAB, NF_TESTPMD, NF_NONE };
static const char *const nf_kind_names[] = { "isolab-nf", "testpmd", "none" };

/* The agents' command lines for one NF kind (rebuilt when the kind changes). */
struct argv_set {
        const struct sweep_opts *o;
        const char *link, *huge_dir, *link_dir;
        char *lc_nf;                     /* the current pinning's --lcores */
        char lc_gen[64], pfx[2][96], speed[32], queues[8], socket_mem[128];
        char bin[2][600], vdev[2][700], selftest[400], nb_cores[32], rxq[32], txq[32];
        char *av[2][AV_MAX];
        enum nf_kind kind;
};

static void eal_args(struct argv_set *A, int i, int *n) {
        char **v = A->av[i];
        v[(*n)++] = "--lcores";
        v[(*n)++] = i == 0 ? A->lc_gen : A->lc_nf;
        v[(*n)++] = "--file-prefix";
        v[(*n)++] = A->pfx[i];
        if (A->o->no_huge) {
                v[(*n)++] = "--no-huge";
                v[(*n)++] = "-m";
                v[(*n)++] = "512";
        } else {
                v[(*n)++] = "--huge-dir";
                v[(*n)++] = (char *)A->huge_dir;
                v[(*n)++] = "--socket-mem";
                v[(*n)++] = A->socket_mem;
        }
        v[(*n)++] = "--single-file-segments";
        v[(*n)++] = "--no-pci";
        v[(*n)++] = "--log-level";
        v[(*n)++] = "*:error";
}

static void build_argv(struct argv_set *A, enum nf_kind kind) {
        const char *roles[] = { "gen", "nf" };
        A->kind = kind;
        snprintf(A->speed, sizeof(A->speed), "%" PRIu64, A->o->link_speed);
        snprintf(A->queues, sizeof(A->queues), "%u", A->o->pmd_cores);
        for (int i = 0; i < 2; i++) {
                int n = 0;
                char **v = A->av[i];
                if (i == 1 && kind == NF_TESTPMD)
                        snprintf(A->bin[i], sizeof(A->bin[i]), "%s", testpmd_path());
                else
                        agent_bin(roles[i], A->bin[i], sizeof(A->bin[i]));
                v[n++] = A->bin[i];
                eal_args(A, i, &n);
                if (i == 1 && kind == NF_TESTPMD) {
                        /* The container side of both vhost-user links, as isolab-nf's --link vhost does. */
                        for (int k = 0; k < 2; k++) {
                                snprintf(A->vdev[k], sizeof(A->vdev[k]), "net_virtio_user%d,path=%s/vhost-%d.sock,queues=%u", k,
                                         A->link_dir, k, A->o->pmd_cores);
                                v[n++] = "--vdev";
                                v[n++] = A->vdev[k];
                        }
                        snprintf(A->nb_cores, sizeof(A->nb_cores), "--nb-cores=%u", A->o->pmd_cores);
                        snprintf(A->rxq, sizeof(A->rxq), "--rxq=%u", A->o->pmd_cores);
                        snprintf(A->txq, sizeof(A->txq), "--txq=%u", A->o->pmd_cores);
                        v[n++] = "--";
                        v[n++] = "--forward-mode=io";
                        v[n++] = "--auto-start";
                        v[n++] = "--stats-period=1"; /* also keeps it running with stdin at its end */
                        v[n++] = A->nb_cores;
                        v[n++] = A->rxq;
                        v[n++] = A->txq;
                        v[n++] = "--no-mlockall";
                        v[n++] = "--total-num-mbufs=16384";
                        v[n] = NULL;
                        continue;
                }
                v[n++] = "--";
                v[n++] = "--link";
                v[n++] = (char *)A->link;
                v[n++] = "--link-dir";
                v[n++] = (char *)A->link_dir;
                v[n++] = "--link-queues";
                v[n++] = A->queues;
                if (i == 0) {
                        v[n++] = "--link-speed";
                        v[n++] = A->speed;
                        if (kind == NF_NONE) {
                                /* Port 0 looped back to a virtio-user port of the generator's own. */
                                snprintf(A->selftest, sizeof(A->selftest), "%s/vhost-0.sock", A->link_dir);
                                v[n++] = "--link-ports";
                                v[n++] = "1";
                                v[n++] = "--selftest";
                                v[n++] = A->selftest;
                        }
                }
                v[n] = NULL;
        }
}

/* What --dry-run shows: everything the run would do, decided, and nothing done. */
struct dry {
        const struct sweep_opts *o;
        const struct topo *t;
        const struct plan *p;
        const struct scenario *sc;
        const struct cg_mounts *mounts;
        const struct matrix_point *pts;
        size_t npts;
        const struct neighbour *nbs;
        size_t n_nb;
        char *const *pin_v;
        const bool *unpinned;
        int n_pin;
        const char *run_id, *out;
        struct argv_set *A;
        const enum nf_kind *nf_kinds;
        int n_nfk;
        char *lc_nf;
        hwloc_const_bitmap_t gen_cpus;
        const double *quotas;
        int nq;
        int n_searches;           /* NDR/PDR searches per point (0: MRR) */
        const char *method;
        double precision;         /* % of line rate */
        unsigned max_trials;
};

static void print_argv(const char *label, char *const *v) {
        printf("  %-14s", label);
        for (size_t i = 0; v[i]; i++)
                printf(" %s", v[i]);
        putchar('\n');
}

static void dry_run(const struct dry *x) {
        const struct sweep_opts *o = x->o;
        const struct plan *p = x->p;
        if (x->sc->path)
                printf("Scenario    %s\n", x->sc->path);
        printf("Run         %s (nothing is started: --dry-run); results would go to %s\n\n", x->run_id, x->out);
        render_plan_text(stdout, x->t, p);
        printf("\ncgroups     cpu on %s at %s, cpuset on %s at %s; under isolab/%s:\n", cg_mode_name(x->mounts->cpu),
               x->mounts->cpu_root[0] ? x->mounts->cpu_root : x->mounts->unified, cg_mode_name(x->mounts->cpuset),
               x->mounts->cpuset_root[0] ? x->mounts->cpuset_root : x->mounts->unified, x->run_id);
        hwloc_bitmap_t set = hwloc_bitmap_dup(p->housekeeping.cpus);
        hwloc_bitmap_or(set, set, x->gen_cpus);
        _cleanup_free_ char *gl = cpulist_format(set);
        printf("  %-22s cpus %-8s mems %d\n", "gen", gl, p->node);
        for (int i = 0; i < x->n_pin; i++) {
                char lc[512];
                nf_pinning(p, x->t, x->unpinned[i], lc, sizeof(lc), set);
                _cleanup_free_ char *nl = cpulist_format(set);
                printf("  %-22s cpus %-8s mems %d  (%s)\n", "nf", nl, p->node, x->pin_v[i]);
        }
        printf("  %-22s cpu quota per trial:", "nf");
        for (int i = 0; i < x->nq; i++)
                printf("%s %g%% of %u CPU%s", i ? "," : "", x->quotas[i], o->pmd_cores, o->pmd_cores > 1 ? "s" : "");
        printf(" (%s)\n", o->periods ? o->periods : "100ms");
        for (size_t i = 1; i < x->n_nb; i++) {
                const struct neighbour *nb = &x->nbs[i];
                char name[64];
                snprintf(name, sizeof(name), "noise-%s-%s", nb->name, noise_placement_to_string(nb->placement));
                hwloc_const_bitmap_t c = nb->placement == NOISE_ANY ? x->t->allowed : p->noise[nb->placement].cpus;
                _cleanup_free_ char *cl = cpulist_format(c);
                printf("  %-22s cpus %-8s", name, cl);
                if (nb->quota > 0)
                        printf(" quota %g%% of one CPU", nb->quota);
                printf("\n");
        }
        if (o->no_huge)
                printf("\nHugepages   none (--no-huge): DPDK on 4 KiB pages\n");
        else
                printf("\nHugepages   %" PRIu64 " x %" PRIu64 " KiB on node %d, reserved for the run if not free, mounted at "
                       "/run/isolab/%s/huge; restored after\n",
                       p->huge.needed, p->huge.page_size >> 10, p->node, x->run_id);
        printf("\nAgents\n");
        for (int k = 0; k < x->n_nfk; k++)
                for (int i = 0; i < x->n_pin; i++) {
                        char label[48];
                        nf_pinning(p, x->t, x->unpinned[i], x->lc_nf, 512, set); /* av[1] points at lc_nf */
                        build_argv(x->A, x->nf_kinds[k]);
                        if (i == 0) {
                                snprintf(label, sizeof(label), "gen (nf %s)", nf_kind_names[x->nf_kinds[k]]);
                                print_argv(label, x->A->av[0]);
                        }
                        if (x->nf_kinds[k] == NF_NONE)
                                continue;
                        snprintf(label, sizeof(label), "%s (%s)", nf_kind_names[x->nf_kinds[k]], x->pin_v[i]);
                        print_argv(label, x->A->av[1]);
                }
        hwloc_bitmap_free(set);
        if (x->n_nb > 1)
                printf("  %-14s one per neighbour trial, in its cgroup: start {workload, options, argv}\n", "isolab-noise");
        printf("\nTrials (%zu)\n", x->npts);
        unsigned restarts = 0;
        for (size_t i = 0; i < x->npts; i++) {
                const struct matrix_point *pt = &x->pts[i];
                const struct neighbour *nb = &x->nbs[pt->neighbour];
                char who[64];
                if (pt->neighbour)
                        snprintf(who, sizeof(who), "%s@%s", nb->name, noise_placement_to_string(nb->placement));
                else
                        snprintf(who, sizeof(who), "none");
                restarts += i && pt->pinning != x->pts[i - 1].pinning;
                printf("  %4zu  rep %-3u %-9s %-9s %-24s quota %5g%%  period %6.1fms  %4u B\n", i + 1, pt->repetition + 1,
                       nf_kind_names[x->nf_kinds[variant_nf(pt->pinning, x->n_pin)]],
                       x->pin_v[variant_pin(pt->pinning, x->n_pin)], who, pt->quota, (double)pt->period_us / 1000,
                       pt->frame_size);
        }
        /* Per trial: warmup + duration + drain and the requests around it; per start of
         * the agents: EAL and the links; the setup: hugepages, mounts, cgroups. */
        double per = ((double)o->warmup_us + (double)o->duration_us) / 1e6 + 0.6;
        /* A search halves the range per trial down to the precision, then verifies. */
        double per_point = 1;
        if (x->n_searches) {
                double steps = ceil(log2(100 / x->precision)) + 2;
                per_point = x->n_searches * fmin(steps, x->max_trials);
                printf("\nMethod      %s: a binary search per point and method, about %.0f trials each (at most %u)\n",
                       x->method, per_point / x->n_searches, x->max_trials);
        }
        double total = 3.0 + (double)x->npts * per_point * per + 2.0 * restarts;
        printf("\nEstimated duration  about %.0f s (%.0f trials of %.1f s, %u agent restart%s for pinning)\n", total,
               (double)x->npts * per_point, per, restarts, restarts == 1 ? "" : "s");
}

/* --resume DIR: the options of the run in DIR from its run.json "config" (every option
 * as it took effect, neighbours and seed included), the results going on into DIR. */
static int resume_load(const char *dir, struct sweep_opts *o, struct scenario *sc, struct diag *d) {
        /* As root this reads a command line (an exec neighbour's) to run: only from a run
         * directory and run.json that no other user owns or can write. */
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        int r0 = resdir_open(dir, RESDIR_RESUME, "--resume", &rd, d);
        if (r0 < 0)
                return r0;
        FILE *f = resdir_read(&rd, "run.json", d);
        if (!f)
                return d->err;
        struct stat st;
        char who[128] = "";
        if (fstat(fileno(f), &st) == 0)
                resdir_trust(&st, who, sizeof(who));
        if (who[0]) {
                fclose(f);
                return diag_set(d, -EPERM, "--resume %s: %s/run.json: %s; isolab takes a run's options (and the commands "
                                           "it runs) only from a run.json no other user can change",
                                dir, dir, who);
        }
        char path[600];
        snprintf(path, sizeof(path), "%.580s/run.json", dir);
        json_error_t je;
        _cleanup_(json_decrefp) json_t *run = json_loadf(f, 0, &je);
        fclose(f);
        json_t *cfg = json_object_get(run, "config");
        if (!run || !json_is_array(json_object_get(cfg, "cpu_quota_pct")))
                return diag_set(d, -EINVAL, "--resume %s: %s is %s; give the directory of a run this isolab made", dir, path,
                                run ? "not a run.json of this isolab version" : "not readable");
        /* Strings must live as long as the options: the scenario keeps them. */
        for (size_t i = 0; i < ELEMENTSOF(sweep_options); i++) {
                const struct cli_option *c = &sweep_options[i];
                json_t *v = json_object_get(cfg, c->name);
                if (!v || json_is_null(v) || !strcmp(c->name, "resume") || !strcmp(c->name, "dry-run") ||
                    !strcmp(c->name, "out"))
                        continue;
                char buf[64];
                const char *text = json_string_value(v);
                if (json_is_integer(v))
                        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)), text = buf;
                else if (json_is_boolean(v))
                        text = json_is_true(v) ? "true" : "false";
                if (!text)
                        continue;
                char **keep = realloc(sc->strings, (sc->n_strings + 1) * sizeof(char *));
                if (!keep || !(keep[sc->n_strings] = strdup(text)))
                        return -ENOMEM;
                sc->strings = keep;
                int r = cli_set_value(c, keep[sc->n_strings++], o, d);
                if (r < 0)
                        return diag_set(d, r, "--resume %s: option %s in %s: %s", dir, c->name, path, d->msg);
        }
        o->seed = (unsigned)json_integer_value(json_object_get(cfg, "seed_used"));
        o->out = dir;
        config_sum(cfg, o->resume_sum, sizeof(o->resume_sum));
        /* Neighbours from a scenario's [noise.NAME] sections (--noise ones came back above). */
        size_t i;
        json_t *nb;
        if (!o->noise)
                json_array_foreach(json_object_get(cfg, "neighbours"), i, nb) {
                        if (sc->n_noise == SCENARIO_MAX_NOISE)
                                break;
                        struct noise_spec *s = &sc->noise[sc->n_noise++];
                        const char *v[4] = { json_string_value(json_object_get(nb, "placement")),
                                             json_string_value(json_object_get(nb, "cmd")),
                                             json_string_value(json_object_get(nb, "quota")), NULL };
                        snprintf(s->name, sizeof(s->name), "%s", json_string_value(json_object_get(nb, "name")) ?: "?");
                        snprintf(s->workload, sizeof(s->workload), "%s",
                                 json_string_value(json_object_get(nb, "workload")) ?: "?");
                        snprintf(s->opts, sizeof(s->opts), "%s", json_string_value(json_object_get(nb, "options")) ?: "");
                        char nm[32];
                        memcpy(nm, s->name, sizeof(nm));
                        snprintf(s->where, sizeof(s->where), "%.200s [noise.%s]", path, nm);
                        const char **dst[3] = { &s->placement, &s->cmd, &s->quota };
                        for (int k = 0; k < 3; k++) {
                                if (!v[k])
                                        continue;
                                char **keep = realloc(sc->strings, (sc->n_strings + 1) * sizeof(char *));
                                if (!keep || !(keep[sc->n_strings] = strdup(v[k])))
                                        return -ENOMEM;
                                sc->strings = keep;
                                *dst[k] = keep[sc->n_strings++];
                        }
                }
        return 0;
}

/* The points of a resumed run that trials.jsonl already holds: a measured line (MRR), or
 * every search's result line.  done[i] for matrix index i.  Every line must be of this
 * run (its run_sum) and at the point its index names (every dimension); a mismatch is
 * refused, naming the line, so nothing is skipped or measured twice silently. */
static int resume_done(const char *dir, const struct matrix_point *pts, bool *done, size_t n, int n_searches,
                       const char *sum, struct diag *d) {
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        int r = resdir_open(dir, RESDIR_RESUME, "--resume", &rd, d);
        if (r < 0)
                return r;
        _cleanup_fclose_ FILE *f = resdir_read(&rd, "trials.jsonl", d);
        if (!f)
                return d->err;
        _cleanup_free_ unsigned *searches = calloc(n ? n : 1, sizeof(*searches));
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        if (!searches)
                return -ENOMEM;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
                lineno++;
                if (line[len - 1] != '\n')
                        break; /* a torn last line: cut off before the run appends (trials_cut_torn_line) */
                _cleanup_(json_decrefp) json_t *t = json_loads(line, 0, NULL);
                json_t *ix = json_object_get(t, "index");
                if (!t || !json_is_integer(ix))
                        return diag_set(d, -EINVAL, "--resume %s: trials.jsonl:%u is not a trial line of isolab", dir, lineno);
                json_int_t k = json_integer_value(ix);
                if (k < 0 || (size_t)k >= n)
                        return diag_set(d, -EINVAL, "--resume %s: trials.jsonl:%u claims point %lld, but the run's matrix has %zu",
                                        dir, lineno, (long long)k, n);
                const char *ls = json_string_value(json_object_get(t, "run_sum"));
                if (ls && strcmp(ls, sum) != 0)
                        return diag_set(d, -EINVAL, "--resume %s: trials.jsonl:%u belongs to another run (or run.json was edited "
                                                    "since): its run_sum is %s, run.json's configuration gives %s",
                                        dir, lineno, ls, sum);
                char key[160];
                point_key(&pts[k], key, sizeof(key));
                const char *lk = json_string_value(json_object_get(t, "point"));
                /* The point's key (every dimension) and the values the reports read. */
                bool same = (!lk || strcmp(lk, key) == 0) && report_num(t, "quota") == pts[k].quota &&
                            (uint64_t)report_num(t, "period_us") == pts[k].period_us &&
                            (unsigned)report_num(t, "frame_size") == pts[k].frame_size &&
                            (unsigned)report_num(t, "repetition") == pts[k].repetition;
                if (!same)
                        return diag_set(d, -EINVAL, "--resume %s: trials.jsonl:%u says point %lld is quota %g %%, period %.0f us, "
                                                    "frame %.0f B, rep %.0f, but in the run's matrix it is \"%s\"",
                                        dir, lineno, (long long)k, report_num(t, "quota"), report_num(t, "period_us"),
                                        report_num(t, "frame_size"), report_num(t, "repetition"), key);
                if (report_trial_failed(t))
                        continue; /* measured again */
                if (json_object_get(t, "kind"))
                        searches[k]++;
                else if (!json_object_get(t, "search") && n_searches == 0)
                        done[k] = true;
        }
        for (size_t k = 0; n_searches && k < n; k++)
                done[k] = searches[k] >= (unsigned)n_searches;
        return 0;
}

static int experiment(int argc, char **argv, enum exp_mode mode) {
        struct sweep_opts o = { .repetitions = 1, .pmd_cores = 1, .duration_us = 10000000, .warmup_us = 2000000,
                                .link_speed = 10000000000ULL };
        struct diag d = { 0 };
        int r, optind_;
        bool help;
        _cleanup_(scenario_free) struct scenario sc = { 0 };
        /* The file first, then the command line over it: parse once to find the file. */
        struct sweep_opts scratch = o;
        if (cli_parse(argc, argv, sweep_options, ELEMENTSOF(sweep_options), &scratch, &optind_, &help, &d) < 0)
                return fail_usage(&d, -EINVAL);
        if (help) {
                verb_help(stdout, mode_verbs[mode]);
                return 0;
        }
        if (scratch.resume) {
                /* The run's own configuration, as it took effect; nothing else may change it. */
                for (int i = 1; i < argc; i++)
                        if (strncmp(argv[i], "--resume", 8) != 0 && strcmp(argv[i], "--dry-run") != 0 &&
                            !(i > 1 && strcmp(argv[i - 1], "--resume") == 0) &&
                            !(mode == EXP_RUN && i == optind_ && optind_ == argc - 1))
                                return fail_usage(&d, diag_set(&d, -EINVAL, "--resume takes no other option (%s): the run's "
                                                                            "own come from its run.json", argv[i]));
                if ((r = resume_load(scratch.resume, &o, &sc, &d)) < 0)
                        return fail_usage(&d, r);
                o.dry_run = scratch.dry_run;
                o.resume = scratch.resume;
        } else if (mode == EXP_RUN) {
                if (optind_ != argc - 1) {
                        fprintf(stderr, "isolab: run takes one scenario, e.g. isolab run cpu-sweep or isolab run ./my.ini "
                                        "(or --resume DIR)\n");
                        return EXIT_USAGE;
                }
                const char *file = argv[optind_];
                char shipped[4200];
                if (paths_is_name(file)) {
                        if ((r = paths_scenario(file, shipped, sizeof(shipped), &d)) < 0)
                                return fail_usage(&d, r);
                        file = shipped;
                }
                if ((r = scenario_load(file, sweep_options, ELEMENTSOF(sweep_options), &o, &sc, &d)) < 0)
                        return fail_usage(&d, r);
                /* An exec neighbour is a command run as root: say who else could have
                 * written it. */
                bool exec_nb = false;
                for (size_t k = 0; k < sc.n_noise; k++)
                        exec_nb |= sc.noise[k].cmd != NULL || strcmp(sc.noise[k].workload, "exec") == 0;
                if (exec_nb && sc.untrusted[0])
                        fprintf(stderr, "isolab: warning: scenario %s names a command to run (an exec neighbour), and %s: "
                                        "check the command before running it as root\n",
                                file, sc.untrusted);
                if ((r = cli_parse(argc, argv, sweep_options, ELEMENTSOF(sweep_options), &o, &optind_, &help, &d)) < 0)
                        return fail_usage(&d, r);
        } else {
                if (optind_ < argc) {
                        fprintf(stderr, "isolab: %s takes no argument, got \"%s\"; see isolab %s --help\n", argv[0],
                                argv[optind_], argv[0]);
                        return EXIT_USAGE;
                }
                o = scratch;
        }

        /* ---- every input checked before anything on the machine changes ---- */
        double quotas[MAX_LIST];
        uint64_t periods[MAX_LIST];
        unsigned sizes[MAX_LIST];
        /* The run's name: --name / [scenario] name, else the verb's. */
        char verb[32];
        snprintf(verb, sizeof(verb), "%s", o.name ? o.name : mode == EXP_NOISY ? "noisy" : mode == EXP_RUN ? "run" : "sweep");
        for (const char *c = verb; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-') || c - verb > 24)
                        return fail_usage(&d, diag_set(&d, -EINVAL, "name %s: use up to 24 of a-z, 0-9, _ and -", o.name));
        int nq = cli_list_percent("cpu-quota", o.quotas ? o.quotas : mode == EXP_SWEEP ? "100,75,50,25,12.5" : "100", quotas,
                                  MAX_LIST, &d);
        int np = nq < 0 ? nq : cli_list_duration("cpu-period", o.periods ? o.periods : "100ms", periods, MAX_LIST, &d);
        int nf = np < 0 ? np : cli_list_uint("frame-sizes", o.frame_sizes ? o.frame_sizes : "64", sizes, MAX_LIST, &d);
        if (nf < 0)
                return fail_usage(&d, nf);
        for (int i = 0; i < nf; i++)
                if (sizes[i] < 64 || sizes[i] > 1518)
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--frame-sizes: %u is outside 64..1518 bytes", sizes[i]));
        for (int i = 0; i < np; i++)
                if (periods[i] < CG_PERIOD_MIN_US || periods[i] > CG_PERIOD_MAX_US)
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--cpu-period %g ms: the kernel takes 1 ms to 1 s",
                                                       (double)periods[i] / 1000));
        /* A (quota, period) pair the kernel refuses (a quota under 1 ms) is left out of
         * the matrix with a warning; if none is left, that is the error. */
        _cleanup_(json_decrefp) json_t *pair_warnings = json_array();
        int valid_pairs = 0;
        for (int q = 0; q < nq; q++)
                for (int p = 0; p < np; p++) {
                        struct cg_quota cq;
                        struct diag qd = { 0 };
                        if (cg_quota_compute(quotas[q], o.pmd_cores, periods[p], &cq, &qd) < 0) {
                                if (!d.err)
                                        d = qd;
                                char w[700];
                                snprintf(w, sizeof(w), "quota %g%% at a %g ms period skipped: %s", quotas[q],
                                         (double)periods[p] / 1000, qd.msg);
                                json_array_append_new(pair_warnings, json_string(w));
                        } else {
                                valid_pairs++;
                        }
                }
        if (!valid_pairs)
                return fail_usage(&d, -EINVAL);
        diag_clear(&d);
        size_t wi_;
        json_t *wv_;
        json_array_foreach(pair_warnings, wi_, wv_) fprintf(stderr, "isolab: %s\n", json_string_value(wv_));
        if (o.repetitions < 1 || o.pmd_cores < 1)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--repetitions and --pmd-cores are at least 1"));
        const char *link = o.link ? o.link : "vhost";
        if (strcmp(link, "vhost") != 0 && strcmp(link, "memif") != 0)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--link %s: use vhost or memif", link));
        char pmds[600];
        drivers_dir(ISOLAB_DPDK_LIBDIR, pmds, sizeof(pmds));
        if ((r = drivers_check(pmds, link, &d)) < 0)
                return fail_usage(&d, r);
        /* The NF's pinnings. */
        char pin_buf[64];
        char *pin_v[4];
        bool unpinned[4];
        snprintf(pin_buf, sizeof(pin_buf), "%s", o.pinning ? o.pinning : "pinned");
        int n_pin = split_list(pin_buf, pin_v, 4);
        if (n_pin == 0 || n_pin > 2)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--pinning %s: use pinned, unpinned or both", o.pinning));
        for (int i = 0; i < n_pin; i++) {
                if (strcmp(pin_v[i], "pinned") && strcmp(pin_v[i], "unpinned"))
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--pinning %s: use pinned, unpinned or both", pin_v[i]));
                unpinned[i] = pin_v[i][0] == 'u';
                if (i && unpinned[0] == unpinned[i])
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--pinning names %s twice", pin_v[i]));
        }
        /* The NFs under test. */
        char nfk_buf[64];
        char *nfk_v[4];
        enum nf_kind nf_kinds[3];
        snprintf(nfk_buf, sizeof(nfk_buf), "%s", o.nf ? o.nf : "isolab-nf");
        int n_nfk = split_list(nfk_buf, nfk_v, 4);
        if (n_nfk == 0 || n_nfk > 3)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--nf %s: use isolab-nf, testpmd and/or none", o.nf));
        for (int i = 0; i < n_nfk; i++) {
                int k = 0;
                while (k < 3 && strcmp(nfk_v[i], nf_kind_names[k]) != 0)
                        k++;
                if (k == 3)
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--nf %s: use isolab-nf, testpmd or none", nfk_v[i]));
                nf_kinds[i] = (enum nf_kind)k;
                for (int j = 0; j < i; j++)
                        if (nf_kinds[j] == nf_kinds[i])
                                return fail_usage(&d, diag_set(&d, -EINVAL, "--nf names %s twice", nfk_v[i]));
                if (k == NF_TESTPMD && !*testpmd_path())
                        return fail_usage(&d, diag_set(&d, -ENOENT, "--nf testpmd: dpdk-testpmd is not in PATH; install "
                                                                    "Debian's dpdk-dev (make deps)"));
                if (k != NF_ISOLAB && o.link && strcmp(o.link, "vhost") != 0)
                        return fail_usage(&d, diag_set(&d, -EINVAL, "--nf %s runs over --link vhost only", nfk_v[i]));
        }
        /* The neighbours: each one's placements, quota and options checked, the last by
         * isolab-noise itself (a missing exec command, a bad option). */
        struct noise_spec specs[SCENARIO_MAX_NOISE];
        size_t n_specs = 0;
        if ((r = neighbour_specs(&o, &sc, mode, specs, &n_specs, &d)) < 0)
                return fail_usage(&d, r);
        enum noise_placement spec_places[SCENARIO_MAX_NOISE][_NOISE_PLACEMENT_MAX];
        int spec_np[SCENARIO_MAX_NOISE];
        double spec_quota[SCENARIO_MAX_NOISE];
        unsigned noise_mask = 0;
        for (size_t i = 0; i < n_specs; i++) {
                const struct noise_spec *sp = &specs[i];
                /* Messages name the option, or the file, line and section. */
                char pwhat[400], qwhat[400];
                snprintf(pwhat, sizeof(pwhat), "%s%s", o.placement ? "--placement" : sp->where, o.placement ? "" : " placement");
                snprintf(qwhat, sizeof(qwhat), "%s%s", o.noise_quota ? "--noise-quota" : sp->where, o.noise_quota ? "" : " quota");
                if ((spec_np[i] = parse_placements(sp->placement ? sp->placement : "same-core", pwhat, spec_places[i], &d)) < 0)
                        return fail_usage(&d, spec_np[i]);
                for (int k = 0; k < spec_np[i]; k++)
                        noise_mask |= 1u << spec_places[i][k];
                spec_quota[i] = 0;
                struct cg_quota ncq;
                if (sp->quota && (cli_list_percent("noise-quota", sp->quota, &spec_quota[i], 1, &d) != 1 || spec_quota[i] < 1 ||
                                  cg_quota_compute(spec_quota[i], 1, 100000, &ncq, NULL) < 0))
                        return fail_usage(&d, diag_set(&d, -EINVAL, "%s %s: give 1 to 100 (%% of one CPU per 100 ms)", qwhat,
                                                       sp->quota));
                char obuf[256], cbuf[1024];
                char *ov[16], *cv[64];
                snprintf(obuf, sizeof(obuf), "%s", sp->opts);
                snprintf(cbuf, sizeof(cbuf), "%s", sp->cmd ? sp->cmd : "");
                int no = split_list(obuf, ov, 16), nc = 0;
                for (char *save = NULL, *w = strtok_r(cbuf, " \t", &save); w && nc < 63; w = strtok_r(NULL, " \t", &save))
                        cv[nc++] = w;
                if ((r = noise_check(sp->where, sp->workload, ov, no, cv, nc, &d)) < 0)
                        return fail_usage(&d, r);
        }
        _cleanup_(json_decrefp) json_t *rate = rate_json(o.rate, &d);
        if (!rate)
                return fail_usage(&d, -EINVAL);
        /* The throughput method: MRR offers --rate; NDR/PDR search for the rate. */
        const char *method = o.method ? o.method : "mrr";
        double goals[2], ndr_loss = 0, pdr_loss = 0.5, precision = 0.5;
        const char *goal_names[2];
        int n_searches = 0;
        unsigned max_trials = o.max_trials ? o.max_trials : 20;
        if ((o.ndr_loss && parse_pct("ndr-loss", o.ndr_loss, 0, 50, &ndr_loss, &d) < 0) ||
            (o.pdr_loss && parse_pct("pdr-loss", o.pdr_loss, 0, 50, &pdr_loss, &d) < 0) ||
            (o.precision && parse_pct("precision", o.precision, 0.01, 50, &precision, &d) < 0))
                return fail_usage(&d, -EINVAL);
        if (strcmp(method, "ndr") == 0 || strcmp(method, "ndr-pdr") == 0) {
                goals[n_searches] = ndr_loss;
                goal_names[n_searches++] = "ndr";
        }
        if (strcmp(method, "pdr") == 0 || strcmp(method, "ndr-pdr") == 0) {
                goals[n_searches] = pdr_loss;
                goal_names[n_searches++] = "pdr";
        }
        if (!n_searches && strcmp(method, "mrr") != 0)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--method %s: use mrr, ndr, pdr or ndr-pdr", method));
        if (n_searches && o.rate)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--rate is for --method mrr; a search chooses its own rates, "
                                                            "from line rate (--link-speed) down"));
        if (max_trials < 3 || max_trials > 100)
                return fail_usage(&d, diag_set(&d, -EINVAL, "--max-trials %u: give 3 to 100", max_trials));
        struct cg_mounts mounts;
        if ((r = cg_detect(&mounts, &d)) < 0)
                return fail_usage(&d, r);
        _cleanup_(topo_freep) struct topo *t = NULL;
        struct machine_opts mo = { 0 };
        if ((r = machine_load(&mo, &t)) != 0) {
                return r;
        }
        _cleanup_(plan_freep) struct plan *p = NULL;
        struct plan_request req = { .pmd_cores = o.pmd_cores, .gen_cores = 1, .node = -1 };
        req.noise_mask = noise_mask;
        if ((r = plan_make(t, &req, &p, &d)) < 0) {
                return fail_usage(&d, r);
        }
        /* The neighbour settings: the baseline, then workload x placement where the
         * placement is possible here (a sibling needs SMT); the others are skipped with
         * the planner's reason. */
        _cleanup_(neighbours_free) struct neighbours nbl = { .n = 1 };
        struct neighbour *nbs = nbl.v;
        snprintf(nbs[0].name, sizeof(nbs[0].name), "none");
        snprintf(nbs[0].workload, sizeof(nbs[0].workload), "none");
        _cleanup_(json_decrefp) json_t *skipped = json_array();
        for (int pl = 0; pl < _NOISE_PLACEMENT_MAX; pl++) {
                if (!(noise_mask & (1u << pl)) || p->noise[pl].available)
                        continue;
                char w[480];
                snprintf(w, sizeof(w), "placement %s skipped: %s", noise_placement_to_string((enum noise_placement)pl),
                         p->noise[pl].reason);
                fprintf(stderr, "isolab: %s\n", w);
                json_array_append_new(skipped, json_string(w));
        }
        for (size_t si = 0; si < n_specs; si++)
                for (int k = 0; k < spec_np[si]; k++) {
                        enum noise_placement pl = spec_places[si][k];
                        if (!p->noise[pl].available)
                                continue;
                        struct neighbour *nb = &nbs[nbl.n++];
                        snprintf(nb->name, sizeof(nb->name), "%.31s", specs[si].name);
                        snprintf(nb->workload, sizeof(nb->workload), "%.15s", specs[si].workload);
                        nb->placement = pl;
                        nb->quota = spec_quota[si];
                        /* isolab-noise's start request: options as strings, the command as argv. */
                        nb->options = json_object();
                        nb->argv = json_array();
                        char obuf[256], cbuf[1024];
                        snprintf(obuf, sizeof(obuf), "%s", specs[si].opts);
                        snprintf(cbuf, sizeof(cbuf), "%s", specs[si].cmd ? specs[si].cmd : "");
                        for (char *save = NULL, *kv = strtok_r(obuf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                                char *eq = strchr(kv, '='); /* isolab-noise --check made sure there is one */
                                if (eq) {
                                        *eq = '\0';
                                        json_object_set_new(nb->options, kv, json_string(eq + 1));
                                }
                        }
                        for (char *save = NULL, *w = strtok_r(cbuf, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                                json_array_append_new(nb->argv, json_string(w));
                }
        size_t n_nb = nbl.n;
        if (n_specs && n_nb == 1)
                return fail_usage(&d, diag_set(&d, -EINVAL, "placement: none of the neighbours' placements is possible on "
                                                            "this machine (see above); try same-core or any"));
        unsigned seed = o.seed ? o.seed : (unsigned)time(NULL);
        struct matrix_spec ms = { quotas, (size_t)nq, periods,    (size_t)np, sizes,  (size_t)nf,
                                  o.repetitions, o.shuffle, seed, (size_t)(n_pin * n_nfk), n_nb };
        _cleanup_free_ struct matrix_point *pts = NULL;
        size_t npts;
        if (matrix_expand(&ms, &pts, &npts) < 0) {
                return EXIT_RUNTIME;
        }
        size_t kept = 0;
        for (size_t i = 0; i < npts; i++) {
                struct cg_quota cq;
                if (cg_quota_compute(pts[i].quota, o.pmd_cores, pts[i].period_us, &cq, NULL) == 0) {
                        pts[kept] = pts[i];
                        pts[kept].index = (unsigned)kept;
                        kept++;
                }
        }
        npts = kept;
        /* Resuming: the same matrix (same options, same seed), less what is done. */
        if (o.resume) {
                bool *done = calloc(npts ? npts : 1, sizeof(bool));
                if (!done)
                        return EXIT_RUNTIME;
                if ((r = resume_done(o.resume, pts, done, npts, n_searches, o.resume_sum, &d)) < 0) {
                        free(done);
                        return fail_usage(&d, r);
                }
                size_t left = 0;
                for (size_t i = 0; i < npts; i++)
                        if (!done[pts[i].index])
                                pts[left++] = pts[i];
                free(done);
                fprintf(stderr, "isolab: resuming %s: %zu of %zu trials are done, %zu to run\n", o.resume, npts - left, npts,
                        left);
                npts = left;
                if (npts == 0) {
                        fprintf(stderr, "isolab: nothing to resume: every trial of %s is in its trials.jsonl\n", o.resume);
                        return 0;
                }
        }

        char stamp[32], run_id[64], run_dir[256];
        _cleanup_free_ char *out = NULL; /* any length: a user's path is never cut */
        utc_stamp(stamp, sizeof(stamp));
        /* The controller's pid makes the name unique among live runs, also two started in
         * the same second; it is also how a test finds its own run's cgroups. */
        snprintf(run_id, sizeof(run_id), "%.24s-%.20s-%d", verb, stamp, (int)getpid()); /* fits: name <= 24 */
        for (char *c = run_id; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c); /* names are [a-z0-9_-] */
        if (o.out ? asprintf(&out, "%s", o.out) < 0 : asprintf(&out, "results/%s-%s", verb, stamp) < 0)
                return EXIT_RUNTIME;

        /* What the run will use: CPUs, the private directory, the agents' arguments. */
        hwloc_bitmap_t nf_set = hwloc_bitmap_alloc(); /* the NF's cpuset for the current pinning */
        char lc_nf[512] = "";                          /* and its EAL --lcores */
        unsigned cur_var = pts[0].pinning; /* the NF kind and pinning running now */
        nf_pinning(p, t, unpinned[variant_pin(cur_var, n_pin)], lc_nf, sizeof(lc_nf), nf_set);
        char hk[16], gen_cpu[16], mems[16], huge_dir[300], link_dir[300], notify[300];
        _cleanup_free_ char *pmd_list = cpulist_format(p->pmd.cpus);
        snprintf(hk, sizeof(hk), "%d", hwloc_bitmap_first(p->housekeeping.cpus));
        snprintf(gen_cpu, sizeof(gen_cpu), "%d", hwloc_bitmap_first(p->gen.cpus));
        snprintf(mems, sizeof(mems), "%d", p->node);
        snprintf(run_dir, sizeof(run_dir), "/run/isolab/%s", run_id);
        snprintf(huge_dir, sizeof(huge_dir), "%s/huge", run_dir);
        snprintf(link_dir, sizeof(link_dir), "%s/link", run_dir);
        snprintf(notify, sizeof(notify), "%s/notify", run_dir);
        const char *roles[] = { "gen", "nf" };
        /* EAL arguments: lcore 0 (control) on the housekeeping CPU, workers on the plan's. */
        const char *const lognames[2] = { "gen.log", "nf.log" };
        struct argv_set A = { .o = &o, .link = link, .huge_dir = huge_dir, .link_dir = link_dir, .lc_nf = lc_nf };
        char (*pfx)[96] = A.pfx;
        char *(*av)[AV_MAX] = A.av;
        snprintf(A.lc_gen, sizeof(A.lc_gen), "0@%s,1@%s", hk, gen_cpu);
        /* --socket-mem takes MB per node in node order: all of it on the planned node, so
         * DPDK cannot fall back to a remote one. */
        for (int nd = 0; nd <= p->node; nd++) {
                size_t sl = strlen(A.socket_mem);
                if (nd < p->node)
                        snprintf(A.socket_mem + sl, sizeof(A.socket_mem) - sl, "0,");
                else
                        snprintf(A.socket_mem + sl, sizeof(A.socket_mem) - sl, "%" PRIu64,
                                 (p->huge.per_process * p->huge.page_size) >> 20);
        }
        for (int i = 0; i < 2; i++) {
                snprintf(A.pfx[i], sizeof(A.pfx[i]), "isolab-%s-%s", run_id, roles[i]);
        }
        build_argv(&A, nf_kinds[variant_nf(cur_var, n_pin)]);

        if (o.dry_run) {
                dry_run(&(struct dry){ .o = &o, .t = t, .p = p, .sc = &sc, .mounts = &mounts, .pts = pts, .npts = npts,
                                       .nbs = nbs, .n_nb = n_nb, .pin_v = pin_v, .unpinned = unpinned, .n_pin = n_pin,
                                       .run_id = run_id, .out = out, .A = &A, .nf_kinds = nf_kinds, .n_nfk = n_nfk, .lc_nf = lc_nf, .gen_cpus = p->gen.cpus,
                                       .quotas = quotas, .nq = nq, .n_searches = n_searches, .method = method,
                                       .precision = precision, .max_trials = max_trials });
                hwloc_bitmap_free(nf_set);
                return 0;
        }
        if (geteuid() != 0) {
                hwloc_bitmap_free(nf_set);
                fprintf(stderr, "isolab: %s needs root (cgroups, hugepages, a hugetlbfs mount); run it with sudo, or look "
                                "first with --dry-run\n", verb);
                return EXIT_USAGE;
        }
        /* A results directory that would be refused is bad input: said before the run
         * lock, and before anything is made. */
        struct resdir scratch_dir;
        if (!o.resume && (r = resdir_open(out, RESDIR_CHECK_NEW, "--out", &scratch_dir, &d)) < 0) {
                hwloc_bitmap_free(nf_set);
                return fail_usage(&d, r);
        }
        /* One run at a time (runlock.h): a second one is refused before it changes
         * anything, naming the live run. */
        int lock_fd = runlock_take(run_id, &d);
        if (lock_fd < 0) {
                hwloc_bitmap_free(nf_set);
                return fail_usage(&d, lock_fd);
        }
        _cleanup_(cg_close) struct cg cg = { 0 };
        if ((r = cg_open(&cg, &mounts, &d)) < 0) {
                hwloc_bitmap_free(nf_set);
                runlock_release(lock_fd);
                return fail_usage(&d, r);
        }
        /* The results directory, opened once and written only through its fd (resdir.h):
         * a new run's is made and must not hold a run yet, a resumed run's must be the
         * run's own. */
        _cleanup_(resdir_close) struct resdir outdir = { .fd = -1 };
        if ((r = resdir_open(out, o.resume ? RESDIR_RESUME : RESDIR_NEW, o.resume ? "--resume" : "--out", &outdir, &d)) < 0) {
                hwloc_bitmap_free(nf_set);
                runlock_release(lock_fd);
                return fail_usage(&d, r);
        }
        int tfd = o.resume ? resdir_append(&outdir, "trials.jsonl", &d) : resdir_create(&outdir, "trials.jsonl", O_APPEND, &d);
        if (tfd >= 0 && o.resume)
                r = trials_cut_torn_line(tfd, &d);
        if (tfd < 0 || r < 0) {
                hwloc_bitmap_free(nf_set);
                if (tfd >= 0)
                        close(tfd);
                runlock_release(lock_fd);
                return fail_usage(&d, tfd < 0 ? tfd : r);
        }

        /* ---- from here on, every change pushes its undo ---- */
        struct undo undo = { 0 };
        json_t *runj_kept = NULL; /* run.json, written again at the end with the pages given back */
        char run_sum[20] = "";     /* the configuration's checksum, in every trial line */
        char runjson[64] = "";
        struct runner run = { 0 };
        bool runner_up = false;
        int rc = EXIT_RUNTIME;
        /* SIGINT, SIGTERM and SIGHUP wait from now on: during the setup they are looked
         * for between its steps (setup_signal), later the event loop reads them; either
         * way the undo stack runs.  Nothing is half done when one arrives. */
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGHUP);
        sigprocmask(SIG_BLOCK, &stop_signals, NULL);

        /* What an earlier run left (it died before its undo ran) goes first. */
        if (cleanup_all(NULL, 0) > 0)
                fprintf(stderr, "isolab: an earlier run left things behind that could not be removed; see isolab cleanup\n");
        /* /run/isolab itself is made and checked (root's, 0700) with the run lock. */
        if (mkdir(run_dir, 0700) < 0) {
                fprintf(stderr, "isolab: cannot create %s: %s\n", run_dir, strerror(errno));
                goto out;
        }
        char state[300];
        snprintf(state, sizeof(state), "%s/state.json", run_dir);
        undo_set_state_file(&undo, state);
        /* Who owns the run, in the state file's first write: cleanup leaves a live
         * controller's run alone. */
        undo_push_rec(&undo, undo_nothing, NULL,
                      json_pack("{s:s, s:i, s:I}", "kind", "controller", "pid", (int)getpid(), "starttime",
                                (json_int_t)proc_starttime(getpid())),
                      "controller");
        undo_push_rec(&undo, undo_rmdir_tree, strdup(run_dir), json_pack("{s:s, s:s}", "kind", "rmtree", "path", run_dir),
                      "remove %s", run_dir);
        mkdir(huge_dir, 0700);
        mkdir(link_dir, 0700);

        uint64_t granted = 0;
        struct hp_account hp = { 0 };
        if (!o.no_huge) {
                /* Read now, after the dead runs' leftovers were replayed (their pages are
                 * not ours to count), and add only what is missing.  The undo goes first,
                 * with what the kernel really added: a write whose read-back fails has
                 * still changed the reservation.  It gives back only those pages, so an
                 * admin's change during the run stays. */
                struct undo_nr *u = malloc(sizeof(*u));
                if (!u)
                        goto out;
                *u = (struct undo_nr){ (unsigned)p->node, p->huge.page_size, 0, &hp };
                json_t *hrec = json_pack("{s:s, s:i, s:I, s:I}", "kind", "hugepages", "node", p->node, "page_size",
                                         (json_int_t)p->huge.page_size, "added", (json_int_t)0);
                if (undo_push_rec(&undo, undo_hugepages, u, json_incref(hrec), "give back the hugepages added on node %d",
                                  p->node) < 0) {
                        json_decref(hrec);
                        goto out;
                }
                r = hugepages_add("/sys", (unsigned)p->node, p->huge.page_size, p->huge.needed, &hp.found_total,
                                  &hp.found_free, &hp.added, &d);
                u->added = hp.added;
                json_object_set_new(hrec, "added", json_integer((json_int_t)hp.added));
                undo_save(&undo);
                json_decref(hrec);
                granted = hp.found_total + hp.added;
                if (r < 0) {
                        report_error(&d, r);
                        goto out;
                }
                if (hp.found_free + hp.added < p->huge.needed) {
                        fprintf(stderr, "isolab: node %d granted %" PRIu64 " of the %" PRIu64 " hugepages asked for; run with --no-huge or free memory\n",
                                p->node, hp.added, p->huge.needed - hp.found_free);
                        goto out;
                }
                char opts[64];
                snprintf(opts, sizeof(opts), "pagesize=%" PRIu64 "K,mode=0700", p->huge.page_size / 1024);
                if (mount("nodev", huge_dir, "hugetlbfs", MS_NOSUID | MS_NODEV, opts) < 0) {
                        fprintf(stderr, "isolab: cannot mount hugetlbfs at %s: %s\n", huge_dir, strerror(errno));
                        goto out;
                }
                undo_push_rec(&undo, undo_umount, strdup(huge_dir), json_pack("{s:s, s:s}", "kind", "umount", "path", huge_dir),
                              "unmount %s", huge_dir);
        }
        if (setup_signal(&stop_signals))
                goto out;

        /* cgroups: isolab/<run>/{gen,nf}; the parents are removed by the undo too. */
        char rel[2][200], run_rel[96];
        snprintf(run_rel, sizeof(run_rel), "isolab/%s", run_id);
        /* Undos go before the creates: a create that fails halfway leaves its parents,
         * and removing a group that is not there is not an error. */
        struct undo_cg *uc = calloc(1, sizeof(*uc));
        if (!uc)
                goto out;
        uc->cg = &cg;
        snprintf(uc->rel, sizeof(uc->rel), "%s", run_rel);
        undo_push_rec(&undo, undo_cgroup, uc, json_pack("{s:s, s:s}", "kind", "cgroup", "rel", run_rel),
                      "remove cgroup %s", run_rel);
        /* The generator's control lcore shares the housekeeping CPU; the NF's cpuset
         * follows its pinning (nf_pinning). */
        hwloc_bitmap_t gen_set = hwloc_bitmap_dup(p->housekeeping.cpus);
        hwloc_bitmap_or(gen_set, gen_set, p->gen.cpus);
        r = 0;
        for (int i = 0; i < 2 && r >= 0; i++) {
                snprintf(rel[i], sizeof(rel[i]), "%s/%s", run_rel, roles[i]);
                r = create_group(&undo, &cg, rel[i], i == 0 ? gen_set : nf_set, mems, &d);
        }
        hwloc_bitmap_free(gen_set);
        /* A group per neighbour placement, on the planner's CPUs for it (any: the whole
         * machine, as without a cpuset), with the neighbours' own quota when asked. */
        for (size_t i = 1; i < n_nb && r >= 0; i++) {
                struct neighbour *nb = &nbs[i];
                snprintf(nb->rel, sizeof(nb->rel), "%s/noise-%s-%s", run_rel, nb->name,
                         noise_placement_to_string(nb->placement));
                bool made = false;
                for (size_t k = 1; k < i; k++)
                        if (strcmp(nbs[k].rel, nb->rel) == 0) {
                                memcpy(nb->cpus, nbs[k].cpus, sizeof(nb->cpus));
                                made = true;
                        }
                if (made)
                        continue;
                hwloc_const_bitmap_t cpus = nb->placement == NOISE_ANY ? t->allowed : p->noise[nb->placement].cpus;
                _cleanup_free_ char *cl = cpulist_format(cpus);
                snprintf(nb->cpus, sizeof(nb->cpus), "%s", cl ? cl : "?");
                char nmems[64];
                mems_of(t, cpus, nmems, sizeof(nmems));
                r = create_group(&undo, &cg, nb->rel, cpus, nmems, &d);
                struct cg_quota ncq;
                if (r >= 0 && nb->quota > 0 && (r = cg_quota_compute(nb->quota, 1, 100000, &ncq, &d)) >= 0)
                        r = cg.ops->set_quota(&cg, nb->rel, &ncq, &d);
        }
        if (r < 0) {
                report_error(&d, r);
                goto out;
        }
        if (setup_signal(&stop_signals))
                goto out;

        /* The controller keeps to the housekeeping CPUs, as the plan says, so its own
         * work (requests, snapshots, the event loop) never preempts a PMD.  Its agents
         * get their cgroup's CPUs back when they are moved in (the runner also resets
         * their affinity before exec). */
        {
                cpu_set_t hk_set;
                CPU_ZERO(&hk_set);
                int c;
                hwloc_bitmap_foreach_begin(c, p->housekeeping.cpus) {
                        if (c < CPU_SETSIZE)
                                CPU_SET(c, &hk_set);
                }
                hwloc_bitmap_foreach_end();
                if (sched_setaffinity(0, sizeof(hk_set), &hk_set) < 0)
                        fprintf(stderr, "isolab: cannot keep the controller on the housekeeping CPUs: %s\n", strerror(errno));
        }
        if ((r = runner_init(&run, notify, &d)) < 0) {
                report_error(&d, r);
                goto out;
        }
        runner_up = true;

        struct runner_agent *agent[2] = { NULL, NULL };
        for (int i = 0; i < (A.kind == NF_NONE ? 1 : 2); i++)
                if ((r = start_agent(&run, &undo, &cg, roles[i], av[i], rel[i], pfx[i], &outdir, lognames[i],
                                     i == 1 && A.kind == NF_TESTPMD, &agent[i], &d)) < 0) {
                        report_error(&d, r);
                        fprintf(stderr, "isolab: see %s/%s\n", out, lognames[i]);
                        goto out;
                }

        /* ---- run.json: the environment and the placement, planned and actual ---- */
        /* The agent that speaks: isolab-nf, else the generator (the DPDK version). */
        struct runner_agent *talker = A.kind == NF_ISOLAB ? agent[1] : agent[0];
        json_t *placement = NULL, *hello = NULL, *reqj = json_pack("{s:s}", "cmd", "placement");
        if (A.kind == NF_ISOLAB)
                runner_request(&run, agent[1], reqj, 10000, &placement, &d);
        json_decref(reqj);
        reqj = json_pack("{s:s}", "cmd", "hello");
        runner_request(&run, talker, reqj, 10000, &hello, &d);
        json_decref(reqj);
        /* Those two only decorate run.json: a failure of theirs must not become the
         * message of a later, unrelated error. */
        diag_clear(&d);
        json_t *warnings = json_array();
        json_array_extend(warnings, pair_warnings);
        json_array_extend(warnings, skipped);
        for (unsigned i = 0; i < p->n_warnings; i++)
                json_array_append_new(warnings, json_string(p->warnings[i]));
        size_t ii;
        json_t *pmd;
        json_array_foreach(json_object_get(placement, "pmd"), ii, pmd) {
                int actual = (int)json_integer_value(json_object_get(pmd, "cpu"));
                if (!unpinned[variant_pin(cur_var, n_pin)] && !hwloc_bitmap_isset(p->pmd.cpus, (unsigned)actual)) {
                        char w[160];
                        snprintf(w, sizeof(w), "PMD lcore %lld runs on CPU %d, the plan said %s",
                                 (long long)json_integer_value(json_object_get(pmd, "lcore")), actual, pmd_list);
                        json_array_append_new(warnings, json_string(w));
                }
        }
        /* Hugepage memory per node, for both agents: DPDK allocates it at EAL init. */
        json_t *mem_nodes = json_object();
        for (int i = 0; i < 2 && agent[i]; i++) {
                json_t *m = numa_huge_json(agent[i]->pid);
                const char *key;
                json_t *v;
                json_object_foreach(m, key, v) {
                        if (atoi(key) != p->node) {
                                char w[200];
                                snprintf(w, sizeof(w), "%s: %lld MiB of hugepage memory on node %s, the plan said node %d",
                                         roles[i], (long long)(json_integer_value(v) >> 20), key, p->node);
                                json_array_append_new(warnings, json_string(w));
                        }
                }
                json_object_set_new(mem_nodes, roles[i], m);
        }
        if (placement)
                json_object_set_new(placement, "hugepage_bytes_per_node", mem_nodes);
        else
                json_decref(mem_nodes);
        if (o.no_huge)
                json_array_append_new(warnings, json_string("NO HUGEPAGES: DPDK ran on 4 KiB pages (--no-huge); "
                                                            "figures are not comparable with a hugepage run"));
        struct utsname un;
        uname(&un);
        /* The configuration as it took effect: every option (file and command line
         * merged), the lists as parsed, the seed used, and the neighbours. */
        json_t *cfg = cli_options_json(sweep_options, ELEMENTSOF(sweep_options), &o);
        json_t *jq = json_array(), *jper = json_array(), *jfs = json_array(), *jpin = json_array(), *jnb = json_array();
        for (int i = 0; i < nq; i++)
                json_array_append_new(jq, json_real(quotas[i]));
        for (int i = 0; i < np; i++)
                json_array_append_new(jper, json_integer((json_int_t)periods[i]));
        for (int i = 0; i < nf; i++)
                json_array_append_new(jfs, json_integer(sizes[i]));
        for (int i = 0; i < n_pin; i++)
                json_array_append_new(jpin, json_string(pin_v[i]));
        for (size_t i = 0; i < n_specs; i++)
                json_array_append_new(jnb, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "name", specs[i].name, "workload",
                                                     specs[i].workload, "placement",
                                                     specs[i].placement ? specs[i].placement : "same-core", "options",
                                                     specs[i].opts, "cmd", specs[i].cmd, "quota", specs[i].quota));
        json_object_update_new(cfg, json_pack("{s:o, s:o, s:o, s:o, s:o, s:O, s:i, s:s, s:o}", "cpu_quota_pct", jq,
                                              "cpu_period_us", jper, "frame_sizes_bytes", jfs, "pinnings", jpin, "neighbours",
                                              jnb, "rate_parsed", rate, "seed_used", seed, "link_used", link, "scenario_file",
                                              sc.path ? json_string(sc.path) : json_null()));
        /* A resumed run's lines carry the first run's checksum: the configuration is its. */
        if (o.resume)
                snprintf(run_sum, sizeof(run_sum), "%s", o.resume_sum);
        else
                config_sum(cfg, run_sum, sizeof(run_sum));
        json_t *runj = json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:O, s:o, s:o, s:o, s:{s:s, s:s}, s:o, s:o, s:I}",
                                 "version", RENDER_JSON_VERSION, "run", run_id, "started", stamp, "tool",
                                 mode == EXP_NOISY ? "isolab noisy" : mode == EXP_RUN ? "isolab run" : "isolab sweep",
                                 "host", "name", un.nodename, "kernel", un.release, "cmdline",
                                 t->iso.cmdline ? t->iso.cmdline : "", "config", cfg, "topology", topo_to_json(t), "plan",
                                 plan_to_json(p), "placement_actual", placement ? placement : json_null(), "cgroup",
                                 "backend", cg.ops->name, "cpu_root", cg.m.cpu_root, "warnings", warnings, "dpdk",
                                 json_incref(json_object_get(hello, "runtime")), "hugepages_granted", (json_int_t)granted);
        json_decref(hello);
        json_decref(cfg);
        /* A resumed run keeps the first run.json (its configuration is the run's) and adds
         * its own environment beside it. */
        snprintf(runjson, sizeof(runjson), o.resume ? "run-resumed-%s.json" : "run.json", stamp);
        if (!o.no_huge)
                json_object_set_new(runj, "hugepages",
                                    json_pack("{s:i, s:I, s:I, s:I, s:I, s:n}", "node", p->node, "page_size",
                                              (json_int_t)p->huge.page_size, "found_total", (json_int_t)hp.found_total,
                                              "found_free", (json_int_t)hp.found_free, "added", (json_int_t)hp.added,
                                              "returned"));
        int jfd = resdir_create(&outdir, runjson, 0, &d);
        if (jfd < 0 || json_dumpfd(runj, jfd, JSON_INDENT(2)) < 0 || fsync(jfd) < 0)
                fprintf(stderr, "isolab: cannot write %s/%s%s%s\n", out, runjson, jfd < 0 ? ": " : "", jfd < 0 ? d.msg : "");
        if (jfd >= 0)
                close(jfd);
        runj_kept = runj;

        /* ---- the trials ---- */
        int failed = 0, restarts = 0;
        char noise_bin[600];
        agent_bin("noise", noise_bin, sizeof(noise_bin));
        char *noise_av[] = { noise_bin, NULL };
        struct trial_ctx tc = { &run, &undo, &cg, agent, rel[1], &o, noise_av, &outdir };
        struct progress pr = { .tty = isatty(STDERR_FILENO), .n = npts, .t0_us = mono_us() };
        for (size_t i = 0; i < npts && !run.interrupted; i++) {
                const struct matrix_point *pt = &pts[i];
                struct cg_quota q;
                diag_clear(&d);
                if (pt->pinning != cur_var) {
                        cur_var = pt->pinning;
                        nf_pinning(p, t, unpinned[variant_pin(cur_var, n_pin)], lc_nf, sizeof(lc_nf), nf_set);
                        build_argv(&A, nf_kinds[variant_nf(cur_var, n_pin)]);
                        _cleanup_free_ char *cl = cpulist_format(nf_set);
                        fprintf(stderr, "isolab: NF %s %s (lcores %s): restarting the agents\n", nf_kind_names[A.kind],
                                pin_v[variant_pin(cur_var, n_pin)], lc_nf);
                        if ((r = restart_agents(&run, &undo, &cg, roles, rel, av, pfx, &outdir, lognames, agent, A.kind == NF_NONE,
                                                A.kind == NF_TESTPMD, cl, mems, &d)) < 0) {
                                report_error(&d, r);
                                failed = 1;
                                break;
                        }
                }
                cg_quota_compute(pt->quota, o.pmd_cores, pt->period_us, &q, NULL);
                if ((r = cg.ops->set_quota(&cg, rel[1], &q, &d)) < 0) {
                        report_error(&d, r);
                        failed = 1;
                        break;
                }
                const struct neighbour *nb = pt->neighbour ? &nbs[pt->neighbour] : NULL;
                char point[200];
                snprintf(point, sizeof(point), "trial %zu/%zu: quota %g%% period %" PRIu64 "us frame %u B%s%s%s%s%s rep %u", i + 1,
                        npts, pt->quota, pt->period_us, pt->frame_size, n_pin > 1 ? " " : "", n_pin > 1 ? pin_v[variant_pin(pt->pinning, n_pin)] : "",
                        n_specs ? " neighbour " : "", n_specs ? nbs[pt->neighbour].name : "",
                        nb ? (nb->placement == NOISE_SAME_CORE ? "@same-core"
                              : nb->placement == NOISE_SIBLING ? "@sibling"
                              : nb->placement == NOISE_SAME_LLC ? "@same-llc"
                              : nb->placement == NOISE_SAME_NODE ? "@same-node"
                              : nb->placement == NOISE_OTHER_NODE ? "@other-node" : "@any") : "",
                        pt->repetition + 1);
                bool trial_failed = false;
                if (!n_searches) {
                        progress_begin(&pr, "%s", point);
                        json_t *line = measure(&tc, pt, &q, rate, nb, pin_v[variant_pin(pt->pinning, n_pin)], &trial_failed, &d);
                        json_object_set_new(line, "nf_under_test", json_string(nf_kind_names[A.kind]));
                        failed |= trial_failed;
                        progress_end(&pr, line, true);
                        failed |= !append_line(tfd, out, line, pt, run_sum);
                }
                /* NDR/PDR: a search per point, every trial of it recorded as it ends,
                 * then the result as a line of its own ("kind": "search"). */
                for (int k = 0; k < n_searches && !failed && !run.interrupted; k++) {
                        double line_pps = (double)o.link_speed / ((pt->frame_size + 20) * 8.0);
                        struct search se;
                        search_init(&se, &(struct search_cfg){ .max_pps = line_pps, .loss_goal = goals[k] / 100,
                                                               .precision_pps = precision / 100 * line_pps,
                                                               .max_trials = max_trials });
                        while (se.phase == SEARCH_RUNNING && !failed && !run.interrupted) {
                                double asked = se.rate;
                                bool verifying = se.verifying;
                                progress_begin(&pr, "%s: %s %s %.3f Mpps", point, goal_names[k],
                                               verifying ? "verify" : "try", asked / 1e6);
                                json_t *rj = json_real(asked);
                                json_t *line = measure(&tc, pt, &q, rj, nb, pin_v[variant_pin(pt->pinning, n_pin)], &trial_failed, &d);
                                json_object_set_new(line, "nf_under_test", json_string(nf_kind_names[A.kind]));
                                json_decref(rj);
                                failed |= trial_failed;
                                progress_end(&pr, line, false);
                                if (!trial_failed)
                                        search_update(&se, report_num(line, "result.tx.offered_pps"),
                                                      report_num(line, "result.loss.ratio"));
                                /* The trial whose rate became the result (a verification, or
                                 * line rate passing at once): the plot's point for it. */
                                bool found_here = !trial_failed && se.phase == SEARCH_DONE && se.found == asked && asked > 0;
                                json_object_set_new(line, "search",
                                                    json_pack("{s:s, s:f, s:i, s:f, s:b, s:s, s:b}", "method", goal_names[k],
                                                              "loss_goal_pct", goals[k], "step", (int)se.trials, "rate_pps",
                                                              asked, "verification", verifying, "verdict",
                                                              trial_failed ? "error" : search_verdict(&se), "found_here",
                                                              found_here));
                                failed |= !append_line(tfd, out, line, pt, run_sum);
                        }
                        if (se.phase == SEARCH_RUNNING)
                                break; /* interrupted or failed: no result to record */
                        json_t *sum = json_pack("{s:s, s:s, s:I, s:i, s:f, s:I, s:i, s:s, s:s, s:f, s:f, s:f, s:f, s:i, s:b, s:b}",
                                                "kind", "search", "nf_under_test", nf_kind_names[A.kind], "index", (json_int_t)pt->index, "repetition",
                                                pt->repetition, "quota", pt->quota, "period_us", (json_int_t)pt->period_us,
                                                "frame_size", pt->frame_size, "pinning", pin_v[variant_pin(pt->pinning, n_pin)], "method",
                                                goal_names[k], "loss_goal_pct", goals[k], "found_pps", se.found, "found_mpps",
                                                se.found / 1e6, "pct_of_line", 100 * se.found / line_pps, "trials",
                                                (int)se.trials, "converged", se.phase == SEARCH_DONE, "generator_limited",
                                                se.generator_limited);
                        json_object_set_new(sum, "neighbour", nb ? json_pack("{s:s, s:s}", "name", nb->name, "placement",
                                                                             noise_placement_to_string(nb->placement))
                                                                 : json_null());
                        fprintf(stderr, "isolab: %s: %s %.3f Mpps (%.1f %% of line) after %u trials%s%s\n", point, goal_names[k],
                                se.found / 1e6, 100 * se.found / line_pps, se.trials,
                                se.phase == SEARCH_DONE ? "" : ", not converged",
                                se.generator_limited ? ", limited by the generator" : "");
                        failed |= !append_line(tfd, out, sum, pt, run_sum);
                }

                /* An agent died: with --restart-agents, both start again (a new generator
                 * makes new sockets, which the NF must attach to) and the sweep goes on. */
                if (failed && o.restart && !run.interrupted && (agent[0]->exited || (agent[1] && agent[1]->exited)) &&
                    restarts < MAX_RESTARTS) {
                        restarts++;
                        fprintf(stderr, "isolab: restarting the agents (%d of %d)\n", restarts, MAX_RESTARTS);
                        diag_clear(&d);
                        if ((r = restart_agents(&run, &undo, &cg, roles, rel, av, pfx, &outdir, lognames, agent, A.kind == NF_NONE,
                                                A.kind == NF_TESTPMD, NULL, mems, &d)) < 0) {
                                report_error(&d, r);
                        } else {
                                failed = 0;
                        }
                }
                if (failed)
                        break;
        }
        if (run.interrupted)
                fprintf(stderr, "\nisolab: %s: stopping; the finished trials are in %s/trials.jsonl\n",
                        strsignal(run.interrupted), out);
        rc = failed || run.interrupted ? EXIT_RUNTIME : 0;
out:
        close(tfd);
        if (nf_set)
                hwloc_bitmap_free(nf_set);
        unsigned bad = undo_run(&undo, report_undo, NULL);
        undo_free(&undo);
        /* run.json says what the run did to the hugepage reservation, to the end. */
        if (runj_kept && json_is_object(json_object_get(runj_kept, "hugepages"))) {
                json_object_set_new(json_object_get(runj_kept, "hugepages"), "returned", json_integer((json_int_t)hp.returned));
                struct diag jd = { 0 };
                int jfd2 = resdir_replace_begin(&outdir, runjson, &jd);
                if (jfd2 >= 0 && json_dumpfd(runj_kept, jfd2, JSON_INDENT(2)) == 0)
                        resdir_replace_commit(&outdir, runjson, jfd2, &jd);
                else if (jfd2 >= 0)
                        resdir_replace_abort(&outdir, runjson, jfd2);
        }
        json_decref(runj_kept);
        if (runner_up)
                runner_done(&run);
        runlock_release(lock_fd); /* the teardown is done: the next run may start */
        /* isolab/ itself goes when no other run uses it. */
        char top[512];
        snprintf(top, sizeof(top), "%s/isolab", cg.m.cpu_root);
        rmdir(top);
        snprintf(top, sizeof(top), "%s/isolab", cg.m.cpuset_root);
        rmdir(top);
        if (bad)
                rc = EXIT_RUNTIME;
        if (rc == 0) {
                /* DESIGN.md "Output": the report as text and CSV, and the figures, beside
                 * the records (isolab report and isolab plot redo them at any time). */
                char *const rep_txt[] = { "isolab", "report", out, NULL };
                char *const rep_csv[] = { "isolab", "report", out, "--format", "csv", NULL };
                char *const plot[] = { "isolab", "plot", out, NULL };
                if (report_into(&outdir, "report.txt", rep_txt) < 0 || report_into(&outdir, "report.csv", rep_csv) < 0)
                        fprintf(stderr, "isolab: could not write %s/report.txt or report.csv\n", out);
                if (run_self(plot, -1) != 0)
                        fprintf(stderr, "isolab: no figures (see above); isolab plot %s tries again\n", out);
                fprintf(stderr, "isolab: results in %s (trials.jsonl, run.json, report.txt, report.csv, figures/)\n", out);
                char *rav[] = { "report", out, NULL };
                return verb_report.run(2, rav);
        }
        return rc;
}
