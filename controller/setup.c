/* setup — what the run changes on the machine, each change with its undo pushed (and
 * checked) before or as it is made, and the teardown that runs them all (engine.h).
 * The undo stack is also written to /run/isolab/RUN/state.json, so `isolab cleanup`
 * (or the next run) can undo what a killed controller left. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "controller/cleanup.h"
#include "controller/engine.h"
#include "controller/records.h"
#include "controller/runlock.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"
#include "topology/hugepages.h"

void report_undo(const struct undo_entry *e, const struct diag *d, void *ctx) {
        (void)ctx;
        fprintf(stderr, "isolab: teardown: %s: %s\n", e->what, d->msg);
}

/* Root, a results directory that would not be refused, the run lock (one run at a
 * time: a second one is refused before it changes anything, naming the live run), the
 * cgroup backend, and trials.jsonl: all before anything on the machine changes. */
int run_open(struct exp_run *R, struct diag *d) {
        const struct experiment *x = R->x;
        int r;
        if (geteuid() != 0) {
                fprintf(stderr, "isolab: %s needs root (cgroups, hugepages, a hugetlbfs mount); run it with sudo, or look "
                                "first with --dry-run\n", x->name);
                return EXIT_USAGE;
        }
        struct resdir scratch;
        if (!x->o.resume && (r = resdir_open(R->out, RESDIR_CHECK_NEW, "--out", &scratch, d)) < 0)
                return r;
        if ((R->lock_fd = runlock_take(R->run_id, d)) < 0)
                return R->lock_fd;
        if ((r = cg_open(&R->cg, &R->mounts, d)) < 0)
                return r;
        if (x->quota_scope_pmd && !R->cg.ops->attach_thread)
                return diag_set(d, -EINVAL, "--quota-scope pmd moves single threads between cgroups, which the %s backend "
                                            "cannot (systemd's units hold whole processes); use --quota-scope process, or "
                                            "ISOLAB_CGROUP_BACKEND=v2 for isolab's own threaded groups",
                                R->cg.ops->name);
        /* Opened once and written only through its fd (resdir.h): a new run's is made and
         * must not hold a run yet, a resumed run's must be the run's own. */
        r = resdir_open(R->out, x->o.resume ? RESDIR_RESUME : RESDIR_NEW, x->o.resume ? "--resume" : "--out", &R->outdir, d);
        if (r < 0)
                return r;
        R->tfd = x->o.resume ? resdir_append(&R->outdir, "trials.jsonl", d)
                             : resdir_create(&R->outdir, "trials.jsonl", O_APPEND, d);
        if (R->tfd < 0)
                return R->tfd;
        return x->o.resume ? trials_cut_torn_line(R->tfd, d) : 0;
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

/* The undo actions, and the records `isolab cleanup` replays (cleanup.c). */

struct undo_cg {
        struct cg *cg;
        char rel[256];
};

static int undo_cgroup(void *data, struct diag *d) {
        struct undo_cg *u = data;
        return u->cg->ops->destroy(u->cg, u->rel, d);
}

/* Pushes an undo and says so when it cannot (then nothing more may change). */
static int push(struct exp_run *R, undo_fn fn, void *data, json_t *rec, const char *what) {
        int r = undo_push_rec(&R->undo, fn, data, rec, "%s", what);
        if (r < 0)
                fprintf(stderr, "isolab: cannot record how to %s: %s; stopping before it is done\n", what, strerror(-r));
        return r;
}

/* The run's private directory (root's, 0700, under /run/isolab which the run lock made
 * and checked), with the state file that names the controller: cleanup leaves a live
 * controller's run alone. */
static int setup_run_dir(struct exp_run *R) {
        if (mkdir(R->run_dir, 0700) < 0) {
                fprintf(stderr, "isolab: cannot create %s: %s\n", R->run_dir, strerror(errno));
                return -errno;
        }
        char state[300], what[300];
        snprintf(state, sizeof(state), "%s/state.json", R->run_dir);
        undo_set_state_file(&R->undo, state);
        int r = push(R, cleanup_undo_nothing, NULL,
                     json_pack("{s:s, s:i, s:I}", "kind", "controller", "pid", (int)getpid(), "starttime",
                               (json_int_t)proc_starttime(getpid())),
                     "controller");
        snprintf(what, sizeof(what), "remove %s", R->run_dir);
        if (r >= 0)
                r = push(R, cleanup_undo_rmtree, strdup(R->run_dir), json_pack("{s:s, s:s}", "kind", "rmtree", "path", R->run_dir),
                         what);
        if (r >= 0 && ((mkdir(R->huge_dir, 0700) < 0 && errno != EEXIST) || (mkdir(R->link_dir, 0700) < 0 && errno != EEXIST)))
                r = -errno, fprintf(stderr, "isolab: cannot create %s's directories: %s\n", R->run_dir, strerror(errno));
        return r;
}

/* Hugepages on the planned node, read now (after the dead runs' leftovers were replayed:
 * their pages are not ours to count), adding only what is missing.  The undo goes first,
 * with what the kernel really added: a write whose read-back fails has still changed
 * the reservation.  It gives back only those pages, so an admin's change during the run
 * stays.  Then the run's own hugetlbfs mount. */
static int setup_hugepages(struct exp_run *R) {
        const struct plan *p = R->p;
        struct diag d = { 0 };
        struct cleanup_pages *u = malloc(sizeof(*u));
        if (!u)
                return -ENOMEM;
        *u = (struct cleanup_pages){ (unsigned)p->node, p->huge.page_size, 0, &R->hp.returned };
        json_t *hrec = json_pack("{s:s, s:i, s:I, s:I}", "kind", "hugepages", "node", p->node, "page_size",
                                 (json_int_t)p->huge.page_size, "added", (json_int_t)0);
        char what[120];
        snprintf(what, sizeof(what), "give back the hugepages added on node %d", p->node);
        int r = push(R, cleanup_undo_pages, u, json_incref(hrec), what);
        if (r < 0) {
                json_decref(hrec);
                return r;
        }
        r = hugepages_add("/sys", (unsigned)p->node, p->huge.page_size, p->huge.needed, &R->hp.found_total, &R->hp.found_free,
                          &R->hp.added, &d);
        u->added = R->hp.added;
        json_object_set_new(hrec, "added", json_integer((json_int_t)R->hp.added));
        undo_save(&R->undo);
        json_decref(hrec);
        R->granted = R->hp.found_total + R->hp.added;
        if (r < 0) {
                report_error(&d, r);
                return r;
        }
        if (R->hp.found_free + R->hp.added < p->huge.needed) {
                fprintf(stderr, "isolab: node %d granted %" PRIu64 " of the %" PRIu64 " hugepages asked for; run with --no-huge "
                                "or free memory\n",
                        p->node, R->hp.added, p->huge.needed - R->hp.found_free);
                return -ENOMEM;
        }
        char opts[64];
        snprintf(opts, sizeof(opts), "pagesize=%" PRIu64 "K,mode=0700", p->huge.page_size / 1024);
        if (mount("nodev", R->huge_dir, "hugetlbfs", MS_NOSUID | MS_NODEV, opts) < 0) {
                fprintf(stderr, "isolab: cannot mount hugetlbfs at %s: %s\n", R->huge_dir, strerror(errno));
                return -errno;
        }
        snprintf(what, sizeof(what), "unmount %.100s", R->huge_dir);
        return push(R, cleanup_undo_umount, strdup(R->huge_dir), json_pack("{s:s, s:s}", "kind", "umount", "path", R->huge_dir),
                    what);
}

/* isolab/<run>/<name> with its cpuset.  The undo goes before the create: a create that
 * fails halfway leaves its parents, and removing a group that is not there is not an
 * error. */
static int create_group(struct exp_run *R, const char *rel, hwloc_const_bitmap_t cpus, const char *mems, struct diag *d) {
        struct undo_cg *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->cg = &R->cg;
        snprintf(u->rel, sizeof(u->rel), "%s", rel);
        char what[300];
        snprintf(what, sizeof(what), "remove cgroup %s", rel);
        int r = push(R, undo_cgroup, u, json_pack("{s:s, s:s}", "kind", "cgroup", "rel", rel), what);
        if (r < 0 || !cpus || (r = R->cg.ops->create(&R->cg, rel, d)) < 0)
                return r;
        /* Written in the kernel's canonical list form, which the read-back compares with. */
        _cleanup_free_ char *list = cpulist_format(cpus);
        return list ? R->cg.ops->set_cpuset(&R->cg, rel, list, mems, d) : -ENOMEM;
}

/* A group whose threads may move to and from its threaded siblings (cgroup v2: its
 * type, before its cpuset; v1 moves threads anywhere). */
static int create_threaded(struct exp_run *R, const char *rel, hwloc_const_bitmap_t cpus, struct diag *d) {
        int r = create_group(R, rel, NULL, NULL, d);
        if (r >= 0)
                r = R->cg.ops->create(&R->cg, rel, d);
        if (r >= 0 && R->cg.ops->make_threaded)
                r = R->cg.ops->make_threaded(&R->cg, rel, d);
        _cleanup_free_ char *list = r >= 0 ? cpulist_format(cpus) : NULL;
        if (r >= 0 && !list)
                r = -ENOMEM;
        return r < 0 ? r : R->cg.ops->set_cpuset(&R->cg, rel, list, R->mems, d);
}

/* A group per neighbour placement, on the planner's CPUs for it (any: the whole machine,
 * as without a cpuset), with the neighbours' own quota when asked. */
static int create_neighbour_groups(struct exp_run *R, const char *run_rel, struct diag *d) {
        int r = 0;
        for (size_t i = 1; i < R->nb.n && r >= 0; i++) {
                struct neighbour *nb = &R->nb.v[i];
                char rel[sizeof(nb->rel)];
                snprintf(rel, sizeof(rel), "%s/noise-%s-%s", run_rel, nb->name, noise_placement_to_string(nb->placement));
                memcpy(nb->rel, rel, sizeof(rel));
                bool made = false;
                for (size_t k = 1; k < i; k++)
                        if (strcmp(R->nb.v[k].rel, nb->rel) == 0) {
                                memcpy(nb->cpus, R->nb.v[k].cpus, sizeof(nb->cpus));
                                made = true;
                        }
                if (made)
                        continue;
                hwloc_const_bitmap_t cpus = nb->placement == NOISE_ANY ? R->t->allowed : R->p->noise[nb->placement].cpus;
                _cleanup_free_ char *cl = cpulist_format(cpus);
                snprintf(nb->cpus, sizeof(nb->cpus), "%s", cl ? cl : "?");
                char nmems[64];
                mems_of(R->t, cpus, nmems, sizeof(nmems));
                r = create_group(R, nb->rel, cpus, nmems, d);
                struct cg_quota ncq;
                if (r >= 0 && nb->quota > 0 && (r = cg_quota_compute(nb->quota, 1, 100000, &ncq, d)) >= 0)
                        r = R->cg.ops->set_quota(&R->cg, nb->rel, &ncq, d);
        }
        return r;
}

/* isolab/<run>/{gen,nf} and the neighbours' groups; the parent is removed by the undo
 * too.  The generator's control lcore shares the housekeeping CPU; the NF's cpuset
 * follows its pinning (nf_pinning). */
static int setup_cgroups(struct exp_run *R) {
        struct diag d = { 0 };
        char run_rel[96];
        snprintf(run_rel, sizeof(run_rel), "isolab/%s", R->run_id);
        int r = create_group(R, run_rel, NULL, NULL, &d);
        hwloc_bitmap_t gen_set = hwloc_bitmap_dup(R->p->housekeeping.cpus);
        hwloc_bitmap_or(gen_set, gen_set, R->p->gen.cpus);
        if (r >= 0)
                r = create_group(R, R->slot[ROLE_GEN].rel, gen_set, R->mems, &d);
        hwloc_bitmap_free(gen_set);
        /* --quota-scope pmd: the NF's group holds its PMDs' group (the quota) and its other
         * threads' (none, on the housekeeping CPUs; agents.c moves them once the NF runs),
         * both threaded on cgroup v2; the NF's group spans both and any pinning's CPUs. */
        if (r >= 0 && R->x->quota_scope_pmd) {
                hwloc_bitmap_t all = hwloc_bitmap_alloc();
                char lc[512];
                if (!all)
                        r = -ENOMEM;
                if (r >= 0) {
                        nf_pinning(R->p, R->t, true, lc, sizeof(lc), all);
                        hwloc_bitmap_or(all, all, R->nf_set);
                        hwloc_bitmap_or(all, all, R->p->housekeeping.cpus);
                        r = create_group(R, R->nf_parent_rel, all, R->mems, &d);
                }
                hwloc_bitmap_free(all);
                if (r >= 0)
                        r = create_threaded(R, R->slot[ROLE_NF].rel, R->nf_set, &d);
                if (r >= 0)
                        r = create_threaded(R, R->nf_other_rel, R->p->housekeeping.cpus, &d);
        } else if (r >= 0) {
                r = create_group(R, R->slot[ROLE_NF].rel, R->nf_set, R->mems, &d);
        }
        if (r >= 0)
                r = create_neighbour_groups(R, run_rel, &d);
        if (r < 0 && d.err)
                report_error(&d, r);
        return r;
}

/* The controller keeps to the housekeeping CPUs, as the plan says, so its own work
 * (requests, snapshots, the event loop) never preempts a PMD.  Its agents get their
 * cgroup's CPUs back when they are moved in (the runner also resets their affinity
 * before exec). */
static void keep_to_housekeeping(const struct plan *p) {
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

/* SIGINT, SIGTERM and SIGHUP wait from now on: during the setup they are looked for
 * between its steps, later the event loop reads them; either way the undo stack runs.
 * Nothing is half done when one arrives.  Returns 0, or -1 (said) to tear down. */
int setup_machine(struct exp_run *R) {
        sigemptyset(&R->stop_signals);
        sigaddset(&R->stop_signals, SIGINT);
        sigaddset(&R->stop_signals, SIGTERM);
        sigaddset(&R->stop_signals, SIGHUP);
        sigprocmask(SIG_BLOCK, &R->stop_signals, NULL);
        /* What an earlier run left (it died before its undo ran) goes first. */
        if (cleanup_all(NULL, 0) > 0)
                fprintf(stderr, "isolab: an earlier run left things behind that could not be removed; see isolab cleanup\n");
        if (setup_run_dir(R) < 0 || (!R->x->o.no_huge && setup_hugepages(R) < 0) || setup_signal(&R->stop_signals) ||
            setup_cgroups(R) < 0 || setup_signal(&R->stop_signals))
                return -1;
        keep_to_housekeeping(R->p);
        struct diag d = { 0 };
        int r = runner_init(&R->run, R->notify, &d);
        if (r < 0) {
                report_error(&d, r);
                return -1;
        }
        R->runner_up = true;
        return 0;
}

/* The undo stack, run.json finished, the run lock released (the next run may start),
 * and isolab/ itself when no other run uses it.  Returns rc, or EXIT_RUNTIME when an
 * undo failed. */
int run_teardown(struct exp_run *R, int rc) {
        if (R->tfd >= 0)
                close(R->tfd);
        if (R->sfd > 0)
                close(R->sfd);
        R->tfd = R->sfd = -1;
        unsigned bad = undo_run(&R->undo, report_undo, NULL);
        undo_free(&R->undo);
        records_finish(R);
        json_decref(R->runj);
        R->runj = NULL;
        if (R->runner_up)
                runner_done(&R->run);
        R->runner_up = false;
        runlock_release(R->lock_fd);
        R->lock_fd = -1;
        if (R->cg.ops) {
                char top[512];
                snprintf(top, sizeof(top), "%s/isolab", R->cg.m.cpu_root);
                rmdir(top);
                snprintf(top, sizeof(top), "%s/isolab", R->cg.m.cpuset_root);
                rmdir(top);
                if (R->cg.m.cpuacct_root[0]) {
                        snprintf(top, sizeof(top), "%s/isolab", R->cg.m.cpuacct_root);
                        rmdir(top);
                }
        }
        cg_close(&R->cg);
        return bad ? EXIT_RUNTIME : rc;
}
