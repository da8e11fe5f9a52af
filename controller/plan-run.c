/* plan-run — what the run will use, decided before anything changes: the placement,
 * the neighbour settings, the matrix (less what a resumed run has done), the names of
 * the run, its directories and its agents' command lines (engine.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "controller/engine.h"
#include "controller/method.h"
#include "controller/records.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"
#include "agents/common/linkspec.h"
#include "controller/genhost.h"

void neighbours_free(struct neighbours *nb) {
        for (size_t i = 0; i < nb->n; i++) {
                json_decref(nb->v[i].options);
                json_decref(nb->v[i].argv);
        }
        json_decref(nb->skipped);
        nb->n = 0;
        nb->skipped = NULL;
}

void neighbour_label(const struct neighbour *nb, char *buf, size_t len) {
        snprintf(buf, len, "%s@%s", nb->name, noise_placement_to_string(nb->placement));
}

/* isolab-noise's start request: options as strings, the command as argv. */
static void neighbour_request(struct neighbour *nb, const struct noise_spec *s) {
        char obuf[256], cbuf[1024];
        nb->options = json_object();
        nb->argv = json_array();
        snprintf(obuf, sizeof(obuf), "%s", s->opts);
        snprintf(cbuf, sizeof(cbuf), "%s", s->cmd ? s->cmd : "");
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

/* The placements not possible here (a sibling needs SMT) are skipped with the planner's
 * reason; if no neighbour is left, that is the error. */
int neighbours_make(const struct experiment *x, const struct plan *p, struct neighbours *nb, struct diag *d) {
        nb->n = 1;
        snprintf(nb->v[0].name, sizeof(nb->v[0].name), "none");
        snprintf(nb->v[0].workload, sizeof(nb->v[0].workload), "none");
        nb->skipped = json_array();
        for (int pl = 0; pl < _NOISE_PLACEMENT_MAX; pl++) {
                if (!(x->noise_mask & (1u << pl)) || p->noise[pl].available)
                        continue;
                char w[480];
                snprintf(w, sizeof(w), "placement %s skipped: %s", noise_placement_to_string((enum noise_placement)pl),
                         p->noise[pl].reason);
                fprintf(stderr, "isolab: %s\n", w);
                json_array_append_new(nb->skipped, json_string(w));
        }
        for (size_t si = 0; si < x->n_specs; si++)
                for (int k = 0; k < x->n_places[si]; k++) {
                        enum noise_placement pl = x->places[si][k];
                        if (!p->noise[pl].available)
                                continue;
                        struct neighbour *n = &nb->v[nb->n++];
                        snprintf(n->name, sizeof(n->name), "%.31s", x->specs[si].name);
                        snprintf(n->workload, sizeof(n->workload), "%.15s", x->specs[si].workload);
                        n->placement = pl;
                        n->quota = x->noise_quota[si];
                        neighbour_request(n, &x->specs[si]);
                }
        if (x->n_specs && nb->n == 1)
                return diag_set(d, -EINVAL, "placement: none of the neighbours' placements is possible on this machine (see "
                                            "above); try same-core or any");
        return 0;
}

/* The NF's lcores and cpuset for a pinning.  The main (control) lcore runs on the
 * housekeeping CPU, so that CPU is in the cpuset too (the quota then also covers the
 * control thread, which sleeps).  pinned: "0@HK,1@C1,2@C2..."; unpinned: every lcore on
 * the whole node, "0@(NODE),1@(NODE)...", and the cpuset is the node. */
void nf_pinning(const struct plan *p, const struct topo *t, bool unpinned, char *lcores, size_t len,
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
void mems_of(const struct topo *t, hwloc_const_bitmap_t cpus, char *buf, size_t len) {
        hwloc_bitmap_t m = hwloc_bitmap_alloc();
        for (unsigned i = 0; i < t->n_nodes; i++)
                if (hwloc_bitmap_intersects(t->nodes[i].cpus, cpus))
                        hwloc_bitmap_set(m, t->nodes[i].os_index);
        _cleanup_free_ char *s = cpulist_format(m);
        snprintf(buf, len, "%s", s && *s ? s : "0");
        hwloc_bitmap_free(m);
}

/* The matrix: every (quota, period) pair the kernel takes, in the run's order (the seed
 * shuffles it); resuming, the same matrix less what trials.jsonl holds. */
static int make_matrix(struct exp_run *R, struct diag *d) {
        const struct experiment *x = R->x;
        struct matrix_spec ms = { x->quotas,      (size_t)x->nq, x->periods, (size_t)x->np, x->sizes, (size_t)x->nfs,
                                  x->o.repetitions, x->o.shuffle, x->seed,   n_variants(x), R->nb.n };
        size_t n, kept = 0;
        if (matrix_expand(&ms, &R->pts, &n) < 0)
                return diag_set(d, -ENOMEM, "cannot make the matrix of trials");
        for (size_t i = 0; i < n; i++) {
                struct cg_quota cq;
                if (cg_quota_compute(R->pts[i].quota, x->o.pmd_cores, R->pts[i].period_us, &cq, NULL) == 0) {
                        R->pts[kept] = R->pts[i];
                        R->pts[kept].index = (unsigned)kept;
                        kept++;
                }
        }
        R->npts = kept;
        if (!x->o.resume)
                return 0;
        _cleanup_free_ bool *done = calloc(kept ? kept : 1, sizeof(bool));
        if (!done)
                return -ENOMEM;
        int r = resume_done(x->o.resume, R->pts, done, kept, x->method, x->o.resume_sum, d);
        if (r < 0)
                return r;
        size_t left = 0;
        for (size_t i = 0; i < kept; i++)
                if (!done[R->pts[i].index])
                        R->pts[left++] = R->pts[i];
        fprintf(stderr, "isolab: resuming %s: %zu of %zu trials are done, %zu to run\n", x->o.resume, kept - left, kept, left);
        R->npts = left;
        if (!left)
                fprintf(stderr, "isolab: nothing to resume: every trial of %s is in its trials.jsonl\n", x->o.resume);
        return 0;
}

/* The run's name (the controller's pid makes it unique among live runs, also two
 * started in the same second; it is also how a test finds its own run's cgroups), its
 * results directory and its private directory. */
static int make_names(struct exp_run *R) {
        const struct experiment *x = R->x;
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(R->stamp, sizeof(R->stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(R->run_id, sizeof(R->run_id), "%.24s-%.20s-%d", x->name, R->stamp, (int)getpid());
        for (char *c = R->run_id; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c); /* names are [a-z0-9_-] */
        if (x->o.out ? asprintf(&R->out, "%s", x->o.out) < 0 : asprintf(&R->out, "results/%s-%s", x->name, R->stamp) < 0) {
                R->out = NULL;
                return -ENOMEM;
        }
        snprintf(R->run_dir, sizeof(R->run_dir), "/run/isolab/%s", R->run_id);
        snprintf(R->huge_dir, sizeof(R->huge_dir), "%s/huge", R->run_dir);
        snprintf(R->link_dir, sizeof(R->link_dir), "%s/link", R->run_dir);
        snprintf(R->notify, sizeof(R->notify), "%s/notify", R->run_dir);
        return 0;
}

/* --socket-mem: MB per node in node order, all of it on the plan's node, so DPDK cannot
 * fall back to a remote one. */
static void socket_mem_of(const struct plan *p, char *buf, size_t len) {
        buf[0] = '\0';
        for (int nd = 0; nd <= p->node; nd++) {
                size_t sl = strlen(buf);
                if (nd < p->node)
                        snprintf(buf + sl, len - sl, "0,");
                else
                        snprintf(buf + sl, len - sl, "%" PRIu64, (p->huge.per_process * p->huge.page_size) >> 20);
        }
}

/* The agents' slots and what their command lines share: lcore 0 (control) on the
 * housekeeping CPU, workers on the plan's (the generator host's with --gen-host). */
static void make_slots(struct exp_run *R) {
        const struct plan *p = R->p;
        /* The generator's plan: this host's, or its own host's (--gen-host). */
        const struct plan *gp = R->x->gen_remote ? R->gh->p : p;
        static const char *const roles[_ROLE_MAX] = { "gen", "nf" };
        snprintf(R->mems, sizeof(R->mems), "%d", p->node);
        /* The generator's workers: one that sends and receives, or a sender and a receiver
         * (isolab-gen takes the first worker for TX, the second for RX), each on a CPU of
         * the plan's (two on one CPU when it gave one). */
        int g1 = hwloc_bitmap_first(gp->gen.cpus), g2 = hwloc_bitmap_next(gp->gen.cpus, g1);
        if (R->gen_lcores == 2)
                snprintf(R->lc_gen, sizeof(R->lc_gen), "0@%d,1@%d,2@%d", hwloc_bitmap_first(gp->housekeeping.cpus), g1,
                         g2 >= 0 ? g2 : g1);
        else
                snprintf(R->lc_gen, sizeof(R->lc_gen), "0@%d,1@%d", hwloc_bitmap_first(gp->housekeeping.cpus), g1);
        socket_mem_of(p, R->socket_mem, sizeof(R->socket_mem));
        socket_mem_of(gp, R->gen_socket_mem, sizeof(R->gen_socket_mem));
        /* Its hugetlbfs: the run's, or the session's directory on its host (verb-serve.c). */
        if (R->x->gen_remote)
                genhost_session_huge(R->run_id, R->gen_huge_dir, sizeof(R->gen_huge_dir));
        else
                snprintf(R->gen_huge_dir, sizeof(R->gen_huge_dir), "%s", R->huge_dir);
        for (int i = 0; i < _ROLE_MAX; i++) {
                struct agent_slot *s = &R->slot[i];
                s->name = roles[i];
                snprintf(s->prefix, sizeof(s->prefix), "isolab-%s-%s", R->run_id, roles[i]);
                snprintf(s->log, sizeof(s->log), "%s.log", roles[i]);
                snprintf(s->rel, sizeof(s->rel), "isolab/%s/%s", R->run_id, roles[i]);
        }
        /* --quota-scope pmd: the NF's group holds two, its polling threads under the quota
         * (nf/pmd) and its other threads without one (nf/other); on cgroup v2 both are
         * threaded, a thread may move only within its process's threaded subtree. */
        snprintf(R->nf_host_rel, sizeof(R->nf_host_rel), "%s", R->slot[ROLE_NF].rel);
        if (R->x->quota_scope_pmd) {
                snprintf(R->nf_parent_rel, sizeof(R->nf_parent_rel), "isolab/%s/nf", R->run_id);
                snprintf(R->slot[ROLE_NF].rel, sizeof(R->slot[ROLE_NF].rel), "isolab/%s/nf/pmd", R->run_id);
                snprintf(R->nf_other_rel, sizeof(R->nf_other_rel), "isolab/%s/nf/other", R->run_id);
        }
}

/* Two generator CPUs of their own: on no PMD core and not the housekeeping core. */
static bool gen_cores_free(const struct plan *p) {
        return hwloc_bitmap_weight(p->gen.cpus) == 2 && !hwloc_bitmap_intersects(p->gen.cpus, p->pmd.cpus) &&
               !hwloc_bitmap_intersects(p->gen.cpus, p->housekeeping.cpus);
}

/* The variant (NF kind x pinning) of the run's first point, or of the next one. */
void run_variant(struct exp_run *R, unsigned v) {
        R->cur_var = v;
        R->nf = variant_nf(R->x, v);
        R->ct = variant_ct(R->x, v);
        R->ring = variant_ring(R->x, v);
        nf_pinning(R->p, R->t, R->x->unpinned[variant_pin(R->x, v)], R->lc_nf, sizeof(R->lc_nf), R->nf_set);
        /* An NF whose other threads run on the housekeeping CPUs (OVS: main, handler,
         * revalidator, urcu) has them in its cgroup's cpuset too: under its quota. */
        if (R->nf->housekeeping_threads)
                hwloc_bitmap_or(R->nf_set, R->nf_set, R->p->housekeeping.cpus);
        snprintf(R->slot[ROLE_NF].log, sizeof(R->slot[ROLE_NF].log), "%s", R->nf->log ? R->nf->log : "nf.log");
        agents_build_argv(R);
}

/* What the planner is asked for this run. */
static struct plan_request plan_request_of(const struct experiment *x, const char *nf_ports[2]) {
        /* Real ports: the planner puts the NF on their node and says where it cannot. */
        nf_ports[0] = x->ports[2];
        nf_ports[1] = x->ports[3];
        struct plan_request req = { .host = x->gen_remote ? PLAN_HOST_DUT : PLAN_HOST_BOTH,
                                    .pmd_cores = x->o.pmd_cores, .gen_cores = x->gen_cores ? x->gen_cores : 2, .node = -1,
                                    .noise_mask = x->noise_mask, .ports = x->ports[2][0] ? nf_ports : NULL,
                                    .n_ports = x->ports[2][0] ? 2 : 0 };
        /* The memory the most demanding NF kind of the run needs (OVS: its socket-mem), if
         * more than the default every DPDK process of the run gets (the generator too). */
        for (int i = 0; i < x->n_nf; i++)
                if (x->nf[i]->hugepage_mem && x->nf[i]->hugepage_mem(x) > PLAN_DEFAULT_HUGEPAGE_MEM &&
                    x->nf[i]->hugepage_mem(x) > req.hugepage_mem)
                        req.hugepage_mem = x->nf[i]->hugepage_mem(x);
        return req;
}

static int load_machine(struct exp_run *R, struct diag *d) {
        if (R->t)
                return 0;
        int r;
        if ((r = cg_detect(&R->mounts, d)) < 0)
                return r;
        struct machine_opts mo = { 0 };
        return machine_load(&mo, &R->t); /* said */
}

int run_fit(struct exp_run *R, struct experiment *x, struct diag *d) {
        if (!x->o.fit)
                return 0;
        int r = load_machine(R, d);
        if (r != 0)
                return r;
        /* The most PMD cores that leave the housekeeping core to housekeeping (a PMD there
         * is preempted by everything else; one PMD takes it when nothing else is left). */
        const char *nf_ports[2];
        struct plan_request req = plan_request_of(x, nf_ports);
        char why[300] = "";
        for (unsigned n = x->o.pmd_cores; n >= 1; n--) {
                struct plan *p = NULL;
                struct diag pd = { 0 };
                req.pmd_cores = n;
                r = plan_make(R->t, &req, &p, &pd);
                bool on_hk = r >= 0 && hwloc_bitmap_intersects(p->pmd.cpus, p->housekeeping.cpus);
                plan_free(p);
                if (r >= 0 && (!on_hk || n == 1)) {
                        experiment_fit(x, n, why);
                        return 0;
                }
                if (n == 1) /* not the core count: the plan's own reason */
                        return diag_set(d, pd.err, "%s", pd.msg);
                size_t wl = strlen(why);
                if (r < 0 && !wl)
                        snprintf(why, sizeof(why), "%.250s", pd.msg);
                else if (r >= 0)
                        snprintf(why + wl, sizeof(why) - wl, "%s%u would put a PMD on the housekeeping core", wl ? "; " : "", n);
        }
        return 0;
}

/* --gen-host: that host's facts and topology over SSH, the generator planned there; a
 * virtual link reaches it only when it is this machine. */
static int run_plan_gen_host(struct exp_run *R, struct plan_request *req, struct diag *d) {
        const struct experiment *x = R->x;
        R->gh_store = x->gh; /* its destination and ssh command; the run fills the rest */
        R->gh = &R->gh_store;
        const char *ports[2] = { x->ports[0], x->ports[1] };
        int r = genhost_query(R->gh, x->ports[0][0] ? ports : NULL, d);
        if (r < 0)
                return r;
        if (link_spec_find(x->link)->kind != LINK_PCI && !R->gh->same_machine)
                return diag_set(d, -EINVAL, "--gen-host %s: --link %s is a virtual link inside one machine and %s is another "
                                            "(its boot id differs); cable the hosts and use --link pci --ports NF0,NF1 "
                                            "--gen-ports GEN0,GEN1",
                                x->gh.spec, x->link, x->gh.spec);
        /* The generator host is this machine: the generator keeps off the PMD cores. */
        req->avoid = R->gh->same_machine ? R->p->pmd.cpus : NULL;
        const char *gen_ports[2] = { x->ports[0], x->ports[1] };
        r = genhost_plan(R->gh, req, x->ports[0][0] ? gen_ports : NULL, x->gen_cores, &req->gen_cores, d);
        req->avoid = NULL;
        return r;
}

int run_plan(struct exp_run *R, struct diag *d) {
        const struct experiment *x = R->x;
        int r;
        if ((r = load_machine(R, d)) != 0)
                return r;
        const char *nf_ports[2];
        struct plan_request req = plan_request_of(x, nf_ports);
        if ((r = plan_make(R->t, &req, &R->p, d)) < 0)
                return r;
        if (x->gen_remote) {
                if ((r = run_plan_gen_host(R, &req, d)) < 0)
                        return r;
        } else if (!x->gen_cores && !gen_cores_free(R->p)) {
                /* --gen-cores auto: a sender and a receiver when the plan found two cores that
                 * no PMD and no housekeeping uses, else one lcore for both (planned again). */
                R->p = plan_free(R->p);
                req.gen_cores = 1;
                if ((r = plan_make(R->t, &req, &R->p, d)) < 0)
                        return r;
        }
        R->gen_lcores = req.gen_cores;
        R->link_bps = x->o.link_speed;
        if ((r = neighbours_make(x, R->p, &R->nb, d)) < 0 ||
            (r = make_matrix(R, d)) < 0)
                return r;
        if (!R->npts)
                return 0;
        if (make_names(R) < 0 || !(R->nf_set = hwloc_bitmap_alloc()))
                return diag_set(d, -ENOMEM, "out of memory");
        make_slots(R);
        run_variant(R, R->pts[0].pinning);
        return 0;
}

void run_free(struct exp_run *R) {
        agents_nf_stop(R);
        resdir_close(&R->outdir);
        neighbours_free(&R->nb);
        json_decref(R->floor);
        R->floor = NULL;
        free(R->pts);
        free(R->out);
        if (R->nf_set)
                hwloc_bitmap_free(R->nf_set);
        plan_free(R->p);
        topo_free(R->t);
        genhost_free(R->gh);
        R->gh = NULL;
        R->pts = NULL, R->out = NULL, R->nf_set = NULL, R->p = NULL, R->t = NULL;
}
