/* dry-run — everything the run would do, decided, and nothing done: the plan, the
 * cgroups, the hugepages, the agents' command lines, the trials, the duration. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "base/util.h"
#include "controller/engine.h"
#include "controller/genhost.h"
#include "controller/method.h"
#include "controller/render.h"
#include "topology/cpulist.h"

static void print_argv(const char *label, char *const *v) {
        printf("  %-14s", label);
        for (size_t i = 0; v[i]; i++)
                printf(" %s", v[i]);
        putchar('\n');
}

static void dry_cgroups(struct exp_run *R) {
        const struct experiment *x = R->x;
        const struct plan *p = R->p;
        const struct cg_mounts *m = &R->mounts;
        printf("\ncgroups     cpu on %s at %s, cpuset on %s at %s; under isolab/%s:\n", cg_mode_name(m->cpu),
               m->cpu_root[0] ? m->cpu_root : m->unified, cg_mode_name(m->cpuset),
               m->cpuset_root[0] ? m->cpuset_root : m->unified, R->run_id);
        hwloc_bitmap_t set = hwloc_bitmap_dup(p->housekeeping.cpus);
        hwloc_bitmap_or(set, set, p->gen.cpus);
        _cleanup_free_ char *gl = cpulist_format(set);
        printf("  %-22s cpus %-8s mems %d\n", "gen", gl, p->node);
        /* --quota-scope pmd: the PMDs' group under the quota, the others' beside it. */
        const char *nf = x->quota_scope_pmd ? "nf/pmd" : "nf";
        for (int i = 0; i < x->n_pin; i++) {
                char lc[512];
                nf_pinning(p, R->t, x->unpinned[i], lc, sizeof(lc), set);
                _cleanup_free_ char *nl = cpulist_format(set);
                printf("  %-22s cpus %-8s mems %d  (%s)\n", nf, nl, p->node, x->pin_names[i]);
        }
        hwloc_bitmap_free(set);
        if (x->quota_scope_pmd) {
                _cleanup_free_ char *hl = cpulist_format(p->housekeeping.cpus);
                printf("  %-22s cpus %-8s mems %d  (the NF's threads that do not poll; no quota%s)\n", "nf/other", hl, p->node,
                       R->mounts.cpu == CG_V2 ? "; both threaded" : "");
        }
        printf("  %-22s cpu quota per trial:", nf);
        for (int i = 0; i < x->nq; i++)
                printf("%s %g%% of %u CPU%s", i ? "," : "", x->quotas[i], x->o.pmd_cores, x->o.pmd_cores > 1 ? "s" : "");
        printf(" (%s)\n", x->o.periods ? x->o.periods : "100ms");
        for (size_t i = 1; i < R->nb.n; i++) {
                const struct neighbour *nb = &R->nb.v[i];
                char name[64];
                snprintf(name, sizeof(name), "noise-%s-%s", nb->name, noise_placement_to_string(nb->placement));
                hwloc_const_bitmap_t c = nb->placement == NOISE_ANY ? R->t->allowed : p->noise[nb->placement].cpus;
                _cleanup_free_ char *cl = cpulist_format(c);
                printf("  %-22s cpus %-8s", name, cl);
                if (nb->quota > 0)
                        printf(" quota %g%% of one CPU", nb->quota);
                printf("\n");
        }
}

/* Every variant's command lines: the generator once per NF kind and ring size, the NF per
 * pinning too. */
static void dry_agents(struct exp_run *R) {
        const struct experiment *x = R->x;
        printf("\nAgents\n");
        for (unsigned v = 0; v < n_variants(x); v++) {
                char label[64], ring[24] = "";
                unsigned i = variant_pin(x, v);
                run_variant(R, v);
                if (x->n_ring > 1)
                        snprintf(ring, sizeof(ring), ", ring %u", R->ring);
                if (i == 0) {
                        snprintf(label, sizeof(label), "gen (nf %s%s)", R->nf->name, ring);
                        print_argv(label, R->slot[ROLE_GEN].argv.v);
                }
                if (R->slot[ROLE_NF].absent)
                        continue;
                snprintf(label, sizeof(label), "%s%s%s (%s%s)", R->nf->name, container_is_host(R->ct) ? "" : "@",
                         container_is_host(R->ct) ? "" : R->ct->name, x->pin_names[i], ring);
                if (container_is_host(R->ct)) {
                        print_argv(label, R->slot[ROLE_NF].argv.v);
                } else {
                        struct argvec in;
                        container_argv(R, &R->slot[ROLE_NF].argv, &in);
                        print_argv(label, in.v);
                }
        }
        if (R->nb.n > 1)
                printf("  %-14s one per neighbour trial, in its cgroup: start {workload, options, argv}\n", "isolab-noise");
}

static unsigned dry_trials(const struct exp_run *R) {
        const struct experiment *x = R->x;
        printf("\nTrials (%zu)\n", R->npts);
        unsigned restarts = 0;
        for (size_t i = 0; i < R->npts; i++) {
                const struct matrix_point *pt = &R->pts[i];
                char who[64] = "none";
                if (pt->neighbour)
                        neighbour_label(&R->nb.v[pt->neighbour], who, sizeof(who));
                restarts += i && pt->pinning != R->pts[i - 1].pinning;
                char nf[48];
                const struct container_ops *ct = variant_ct(x, pt->pinning);
                snprintf(nf, sizeof(nf), "%s%s%s", variant_nf(x, pt->pinning)->name, container_is_host(ct) ? "" : "@",
                         container_is_host(ct) ? "" : ct->name);
                printf("  %4zu  rep %-3u %-9s %-9s %-24s quota %5g%%  period %6.1fms  %4u B\n", i + 1, pt->repetition + 1, nf,
                       x->pin_names[variant_pin(x, pt->pinning)], who, pt->quota, (double)pt->period_us / 1000, pt->frame_size);
        }
        return restarts;
}

void dry_run(struct exp_run *R) {
        const struct experiment *x = R->x;
        const struct plan *p = R->p;
        if (x->sc.path)
                printf("Scenario    %s\n", x->sc.path);
        printf("Run         %s (nothing is started: --dry-run); results would go to %s\n\n", R->run_id, R->out);
        render_plan_text(stdout, R->t, p);
        if (R->gh) {
                printf("\n");
                render_plan_text(stdout, R->gh->t, R->gh->p);
                printf("\nGenerator   on %s through ssh (%s): isolab serve gen there reserves its %" PRIu64
                       " hugepages, mounts %s and starts isolab-gen with --lcores %s\n",
                       R->gh->spec, R->gh->ssh_cmd, x->o.no_huge ? 0 : R->gh->p->huge.needed, R->gen_huge_dir, R->lc_gen);
        }
        dry_cgroups(R);
        if (x->o.no_huge)
                printf("\nHugepages   none (--no-huge): DPDK on 4 KiB pages\n");
        else
                printf("\nHugepages   %" PRIu64 " x %" PRIu64 " KiB on node %d, reserved for the run if not free, mounted at "
                       "/run/isolab/%s/huge; restored after\n",
                       p->huge.needed, p->huge.page_size >> 10, p->node, R->run_id);
        dry_agents(R);
        unsigned restarts = dry_trials(R);
        /* Per trial: warmup + duration + drain and the requests around it; per start of
         * the agents: EAL and the links; the setup: hugepages, mounts, cgroups. */
        double per = ((double)x->o.warmup_us + (double)x->o.duration_us) / 1e6 + 0.6;
        double per_point = x->method->trials_per_point(x);
        if (x->method->n_goals)
                printf("\nMethod      %s: a binary search per point and method, about %.0f trials each (at most %u)\n",
                       x->method->name, per_point / x->method->n_goals, x->max_trials);
        double total = 3.0 + (double)R->npts * per_point * per + 2.0 * restarts;
        printf("\nEstimated duration  about %.0f s (%.0f trials of %.1f s, %u agent restart%s for pinning)\n", total,
               (double)R->npts * per_point, per, restarts, restarts == 1 ? "" : "s");
}
