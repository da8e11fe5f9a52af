/* agents — the generator and the NF under test: their command lines, their start in
 * their cgroups (each with its undo), readiness and protocol version, their restart
 * (engine.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "base/util.h"
#include "agents/common/linkspec.h"
#include "controller/cleanup.h"
#include "controller/container.h"
#include "controller/counters.h"
#include "controller/engine.h"
#include "controller/genhost.h"
#include "controller/paths.h"
#include "controller/verbs.h"

/* The generator's command line: EAL, the link, the emulated link speed, and what the NF
 * kind asks of it (none: loop port 0 back). */
static void gen_argv(const struct agent_env *e, const struct nf_ops *nf, struct argvec *a) {
        if (nf->gen_eal && link_spec_find(e->x->link)->sockets) {
                /* Its ports from EAL, as the NF kind wants them, instead of isolab's virtual
                 * link (real ports are the same for every kind). */
                char bin[600];
                paths_agent("gen", bin, sizeof(bin));
                argv_add(a, "%s", bin);
                argv_eal(e, ROLE_GEN, a);
                nf->gen_eal(e, a);
                argv_add(a, "--");
        } else {
                argv_agent(e, ROLE_GEN, a);
        }
        argv_add(a, "--link-speed");
        argv_add(a, "%" PRIu64, e->link_bps ? e->link_bps : e->x->o.link_speed);
        if (nf->gen_argv)
                nf->gen_argv(e, a);
}

static struct agent_env env_of(const struct exp_run *R) {
        return (struct agent_env){ .x = R->x, .run_dir = R->run_dir, .link_dir = R->link_dir, .huge_dir = R->huge_dir,
                                   .socket_mem = R->socket_mem, .lcores_gen = R->lc_gen, .lcores_nf = R->lc_nf,
                                   .gen_huge_dir = R->gen_huge_dir, .gen_socket_mem = R->gen_socket_mem,
                                   .link_bps = R->link_bps,
                                   .prefix = { R->slot[ROLE_GEN].prefix, R->slot[ROLE_NF].prefix }, .ring = R->ring };
}

void agents_floor_argv(const struct exp_run *R, struct argvec *a) {
        const struct agent_env e = env_of(R);
        *a = (struct argvec){ 0 };
        gen_argv(&e, nf_find("none"), a);
}

void agents_build_argv(struct exp_run *R) {
        const struct agent_env e = env_of(R);
        struct agent_slot *g = &R->slot[ROLE_GEN], *n = &R->slot[ROLE_NF];
        g->argv = (struct argvec){ 0 };
        n->argv = (struct argvec){ 0 };
        gen_argv(&e, R->nf, &g->argv);
        n->absent = !R->nf->has_process;
        n->raw = !R->nf->speaks_protocol;
        if (R->nf->nf_argv)
                R->nf->nf_argv(&e, &n->argv);
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
                cleanup_rm_rf(path);
                rmdir("/var/run/dpdk");
        }
        /* A raw program stopped by our SIGTERM and dying of it (OVS re-raises it after its
         * cleanup) stopped as asked. */
        bool by_our_term = u->a->raw && u->a->exit_code == 128 + SIGTERM;
        if (mine && !was_dead && u->a->exit_code != 0 && !by_our_term)
                return diag_set(d, -ECHILD, "agent %s exited with %d", u->a->name, u->a->exit_code);
        return 0;
}

/* The protocol is the only contract (proto.h): an agent of another isolab version is
 * refused before it is asked anything else. */
static int agent_hello(struct runner *run, struct runner_agent *a, const char *role, const char *bin, int timeout_ms,
                       struct diag *d) {
        json_t *req = json_pack("{s:s}", PROTO_CMD, PROTO_HELLO), *hello = NULL;
        int r = runner_request(run, a, req, timeout_ms, &hello, d);
        json_decref(req);
        json_t *v = json_object_get(hello, PROTO_VERSION);
        if (r >= 0 && (!json_is_integer(v) || json_integer_value(v) != ISOLAB_PROTO_VERSION))
                r = diag_set(d, -EPROTO,
                             "agent %s speaks protocol version %lld, this isolab version %d: install the agents of the same "
                             "isolab (%s)",
                             role, json_is_integer(v) ? (long long)json_integer_value(v) : -1LL, ISOLAB_PROTO_VERSION, bin);
        json_decref(hello);
        return r;
}

/* --gen-host: the session's helper there (verb-serve.c) answers hello with its protocol,
 * then takes the generator's hugepages and command line and starts it; from then on the
 * channel is the generator's.  The local /var/run/dpdk is not the generator's. */
static int remote_start(struct exp_run *R, struct runner_agent *a, char *const av[], struct diag *d) {
        json_t *req = json_pack("{s:s}", PROTO_CMD, PROTO_HELLO), *rep = NULL;
        int r = runner_request(&R->run, a, req, 30000, &rep, d);
        json_decref(req);
        json_t *v = json_object_get(rep, PROTO_VERSION);
        if (r >= 0 && (!json_is_integer(v) || json_integer_value(v) != ISOLAB_PROTO_VERSION))
                r = diag_set(d, -EPROTO, "--gen-host %s: isolab there speaks protocol %lld, this one %d; install the same "
                                         "isolab on both hosts",
                             R->gh->spec, json_is_integer(v) ? (long long)json_integer_value(v) : -1LL, ISOLAB_PROTO_VERSION);
        json_decref(rep);
        rep = NULL;
        if (r < 0)
                return r;
        json_t *args = json_array();
        for (int i = 0; av[i]; i++)
                json_array_append_new(args, json_string(av[i]));
        const struct plan *gp = R->gh->p;
        char boot[64];
        genhost_boot_id(boot, sizeof(boot));
        req = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:o}", PROTO_CMD, PROTO_START, "run", R->run_id, "boot_id", boot,
                        "node", gp->node, "page_size", (json_int_t)gp->huge.page_size, "pages",
                        (json_int_t)(R->x->o.no_huge ? 0 : gp->huge.needed), PROTO_ARGV, args);
        r = runner_request(&R->run, a, req, 120000, &rep, d);
        json_decref(req);
        json_decref(rep);
        return r;
}

/* Starts one agent inside its cgroup, records its undo (and state for cleanup), waits
 * for READY=1 and checks its protocol version.  A restart appends to the agent's log,
 * which the first start made (never through a planted name).  AGENT_REMOTE: av runs on
 * the generator host, through the run's master connection. */
int agent_start(struct exp_run *R, const char *role, char *const av[], const char *rel, const char *prefix,
                const char *logname, bool raw, unsigned flags, struct runner_agent **ret, struct diag *d) {
        bool contained = flags & AGENT_CONTAINED, remote = flags & AGENT_REMOTE;
        struct diag ld = { 0 };
        int lfd = resdir_create(&R->outdir, logname, O_APPEND, &ld);
        if (lfd == -EEXIST)
                lfd = resdir_append(&R->outdir, logname, &ld);
        if (lfd < 0)
                return diag_set(d, lfd, "%s", ld.msg);
        /* An engine's client (--container) stays out of the NF's group: the container is
         * the engine's to place; the client waits on its pipes beside the generator. */
        if (contained)
                rel = R->slot[ROLE_GEN].rel;
        struct argvec *sa = NULL;
        if (remote) {
                if (!(sa = calloc(1, sizeof(*sa)))) {
                        close(lfd);
                        return diag_set(d, -ENOMEM, "out of memory");
                }
                genhost_argv(R->gh, sa, "serve", "gen", (char *)NULL);
                prefix = "";
        }
        char *const *run_av = remote ? sa->v : av;
        struct runner_agent *a = (remote && sa->overflow) ? (diag_set(d, -E2BIG, "the ssh command line is too long"), NULL)
                                 : raw ? runner_start_raw(&R->run, role, run_av, &R->cg, rel, lfd, d)
                                       : runner_start(&R->run, role, run_av, &R->cg, rel, lfd, d);
        close(lfd);
        free(sa);
        if (!a)
                return d->err ? d->err : -EIO;
        struct undo_agent *u = calloc(1, sizeof(*u));
        if (!u)
                return diag_set(d, -ENOMEM, "out of memory");
        *u = (struct undo_agent){ .r = &R->run, .a = a, .generation = a->generation };
        snprintf(u->prefix, sizeof(u->prefix), "%s", prefix);
        int r = undo_push_rec(&R->undo, undo_agent, u,
                              json_pack("{s:s, s:i, s:I, s:s}", "kind", "agent", "pid", (int)a->pid, "starttime",
                                        (json_int_t)proc_starttime(a->pid), "prefix", prefix),
                              "stop %s", role);
        if (r < 0) {
                runner_release(&R->run, a);
                return diag_set(d, r, "cannot record how to stop %s: %s", role, strerror(-r));
        }
        if (remote && (r = remote_start(R, a, av, d)) < 0)
                return r;
        /* A raw program sends no READY=1; the generator's trial waits for its link.  One in
         * a container or on another host cannot reach the notify socket: its hello answers
         * once it runs. */
        if (!raw && !contained && !remote && (r = runner_wait_ready(&R->run, a, 60000, d)) < 0)
                return r;
        if (!raw && (r = agent_hello(&R->run, a, role, av[0], contained || remote ? 60000 : 10000, d)) < 0)
                return r;
        *ret = a;
        return 0;
}

struct undo_gen_host {
        json_t *rec;
};

static int undo_gen_host(void *data, struct diag *d) {
        struct undo_gen_host *u = data;
        int r = cleanup_gen_host(u->rec, d);
        json_decref(u->rec);
        return r;
}

/* Once per run, before the first session: how to find and remove what the run leaves on
 * the generator host, for the teardown (which checks that its sessions left nothing) and
 * for `isolab cleanup` after a kill -9 here. */
static int gen_host_record(struct exp_run *R, struct diag *d) {
        if (R->gh_recorded)
                return 0;
        struct gen_host direct = *R->gh;
        direct.control[0] = '\0'; /* the master connection is gone by then */
        direct.facts = NULL, direct.t = NULL, direct.p = NULL;
        char run[96];
        genhost_session(R->run_id, run, sizeof(run));
        struct argvec a = { 0 };
        genhost_argv(&direct, &a, "cleanup", "--quiet", "--run", run, (char *)NULL);
        json_t *av = json_array();
        for (int i = 0; i < a.n; i++)
                json_array_append_new(av, json_string(a.v[i]));
        struct undo_gen_host *u = malloc(sizeof(*u));
        json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", "gen-host", "run", run, "host", R->gh->spec, "boot_id",
                                json_string_value(json_object_get(R->gh->facts, "boot_id")) ?: "", "argv", av);
        if (!u || !rec) {
                free(u);
                json_decref(rec);
                return diag_set(d, -ENOMEM, "out of memory");
        }
        u->rec = json_incref(rec);
        int r = undo_push_rec(&R->undo, undo_gen_host, u, rec, "check that the generator host %s is left clean", R->gh->spec);
        if (r < 0)
                return diag_set(d, r, "cannot record the generator host's cleanup: %s", strerror(-r));
        R->gh_recorded = true;
        return 0;
}

static bool control_ready(const void *path) {
        return access(path, F_OK) == 0;
}

/* --gen-host: the run's master connection (its ControlPath in the run's private
 * directory), started once and again when it died; every session of the run goes through
 * it.  Its undo stops it after the sessions. */
static int master_ensure(struct exp_run *R, struct diag *d) {
        if (!R->gh)
                return 0;
        struct runner_agent *m = R->gh_master;
        if (m && m->generation == R->gh_master_gen && !m->exited && !m->released)
                return 0;
        int r = gen_host_record(R, d);
        if (r < 0)
                return r;
        snprintf(R->gh->control, sizeof(R->gh->control), "%s/ssh", R->run_dir);
        unlink(R->gh->control);
        struct argvec a = { 0 };
        genhost_master_argv(R->gh, &a);
        r = agent_start(R, "ssh", a.v, R->slot[ROLE_GEN].rel, "", "ssh.log", true, 0, &R->gh_master, d);
        if (r >= 0) {
                R->gh_master_gen = R->gh_master->generation;
                r = runner_wait_until(&R->run, R->gh_master, control_ready, R->gh->control, 30000,
                                      "its connection to the generator host (ssh.log says why)", d);
        }
        if (r < 0 && d->err) {
                char why[sizeof(d->msg)];
                snprintf(why, sizeof(why), "%s", d->msg);
                diag_clear(d);
                diag_set(d, r, "--gen-host %s: %s", R->gh->spec, why);
        }
        return r;
}

static int slot_start(struct exp_run *R, struct agent_slot *s, struct diag *d) {
        if (s->argv.overflow)
                return diag_set(d, -E2BIG, "the %s's command line is too long (a path of the run?)", s->name);
        unsigned flags = 0;
        if (s == &R->slot[ROLE_NF] && !container_is_host(R->ct))
                flags |= AGENT_CONTAINED;
        int r;
        if (s == &R->slot[ROLE_GEN] && R->gh) {
                flags |= AGENT_REMOTE;
                if ((r = master_ensure(R, d)) < 0)
                        return r;
        }
        return agent_start(R, s->name, s->argv.v, s->rel, s->prefix, s->log, s->raw, flags, &s->a, d);
}

int agents_floor_start(struct exp_run *R, char *const av[], struct runner_agent **ret, struct diag *d) {
        int r = master_ensure(R, d);
        if (r < 0)
                return r;
        return agent_start(R, "floor", av, R->slot[ROLE_GEN].rel, R->slot[ROLE_GEN].prefix, "floor.log", false,
                           R->gh ? AGENT_REMOTE : 0, ret, d);
}

/* --container: the run's image for this engine (once), the engine's cgroup leftovers
 * recorded for removal (once), and the NF's command line inside `ENGINE run`. */
static int container_prepare(struct exp_run *R, struct diag *d) {
        int r;
        unsigned bit = 0;
        for (size_t i = 0; i < n_container_engines; i++)
                if (container_engines[i] == R->ct)
                        bit = 1u << i;
        if (!R->leftovers_pushed) {
                if ((r = container_push_leftovers(R, d)) < 0)
                        return r;
                R->leftovers_pushed = true;
        }
        if (!(R->images_made & bit)) {
                if ((r = container_image(R, d)) < 0)
                        return r;
                R->images_made |= bit;
        }
        return container_wrap(R, d);
}

/* Both agents, in the NF kind's order: the generator first (it makes the sockets the NF
 * attaches to), or the NF first when it is the one that connects (OVS), with the kind's
 * hooks around its start (nf.h).  On failure *failed names the slot whose log says why. */
static int start_both(struct exp_run *R, const struct agent_slot **failed, struct diag *d) {
        const struct nf_ops *nf = R->nf;
        struct agent_slot *order[_ROLE_MAX] = { &R->slot[ROLE_GEN], &R->slot[ROLE_NF] };
        bool contained = !container_is_host(R->ct) && !R->slot[ROLE_NF].absent;
        /* Command lines afresh (a restart after a death would wrap a wrapped one). */
        agents_build_argv(R);
        if (nf->start_first) {
                order[0] = &R->slot[ROLE_NF];
                order[1] = &R->slot[ROLE_GEN];
        }
        int r = 0;
        R->nf_up = nf;
        for (int i = 0; i < _ROLE_MAX && r >= 0; i++) {
                struct agent_slot *s = order[i];
                *failed = s;
                bool is_nf = s == &R->slot[ROLE_NF];
                if (s->absent)
                        continue;
                if (is_nf && nf->before_start && (r = nf->before_start(R, d)) < 0)
                        break;
                if (is_nf && contained && (r = container_prepare(R, d)) < 0)
                        break;
                if ((r = slot_start(R, s, d)) < 0)
                        break;
                if (is_nf && contained && (r = container_attach(R, d)) < 0)
                        break;
                if (is_nf && nf->after_start && (r = nf->after_start(R, d)) < 0)
                        break;
        }
        if (r >= 0 && nf->ready) {
                *failed = &R->slot[ROLE_NF];
                r = nf->ready(R, d);
        }
        return r;
}

/* --quota-scope pmd: the NF's threads that do not poll (OVS's main, handler, revalidator,
 * urcu; a DPDK process's control and interrupt threads) leave its group for one without a
 * quota on the housekeeping CPUs (cgroup v1 moves threads one by one).  Threads they start
 * later are born there. */
struct move_ctx {
        struct exp_run *R;
        struct diag *d;
        unsigned polling;
};

static int move_if_not_polling(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        (void)pid;
        struct move_ctx *m = ctx;
        if (thread_polls(comm)) {
                m->polling++;
                return 0;
        }
        return m->R->cg.ops->attach_thread(&m->R->cg, m->R->nf_other_rel, tid, m->d);
}

static int move_other_threads(struct exp_run *R, struct diag *d) {
        struct runner_agent *a = R->slot[ROLE_NF].a;
        if (!R->x->quota_scope_pmd || !a || a->pid <= 0)
                return 0;
        struct move_ctx m = { R, d, 0 };
        int r = threads_foreach(a->pid, move_if_not_polling, &m);
        if (r < 0 && !d->err)
                return diag_set(d, r, "--quota-scope pmd: cannot list the NF's threads: %s", strerror(-r));
        if (r >= 0 && !m.polling)
                r = diag_set(d, -ESRCH, "--quota-scope pmd: the NF (%s) has no polling thread to keep under the quota (none "
                                        "named pmd-* or rte-worker-*)",
                             R->nf->name);
        return r;
}

/* --link pci: the generator's ports are up once the NF drives its side of the cables
 * (10 s for it), and the slowest one's speed is the line rate ("line", "N%", the search's
 * ceiling), whatever --link-speed said; the generator is told. */
static int links_check(struct exp_run *R, struct diag *d) {
        struct runner_agent *g = R->slot[ROLE_GEN].a;
        if (link_spec_find(R->x->link)->kind != LINK_PCI || !g)
                return 0;
        json_t *rep = NULL, *down = NULL;
        for (int i = 0; i < 100; i++) {
                json_decref(rep);
                rep = NULL;
                json_t *req = json_pack("{s:s}", PROTO_CMD, PROTO_HELLO);
                int r = runner_request(&R->run, g, req, 10000, &rep, d);
                json_decref(req);
                if (r < 0)
                        return r;
                size_t k;
                json_t *p;
                down = NULL;
                json_array_foreach(json_object_get(rep, "ports"), k, p) if (!json_is_true(json_object_get(p, "link_up")) && !down)
                        down = p;
                if (!down)
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        int r = 0;
        if (down) {
                int k = (int)json_integer_value(json_object_get(down, "port"));
                r = diag_set(d, -ENETDOWN, "--link pci: the generator's port %d (%s%s%s) is down after 10 s; check its cable to "
                                           "the NF's port %d and that the NF drives it (ethtool on both ends, dpdk-devbind.py "
                                           "--status)",
                             k, json_string_value(json_object_get(down, "name")) ?: "?", R->gh ? " on " : "",
                             R->gh ? R->gh->spec : "", k);
        }
        uint64_t slowest = 0;
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(rep, "ports"), k, p) {
                json_t *sp = json_object_get(p, "speed_mbps");
                uint64_t bps = json_is_integer(sp) ? (uint64_t)json_integer_value(sp) * 1000000 : 0;
                if (bps && (!slowest || bps < slowest))
                        slowest = bps;
        }
        if (r >= 0 && slowest && slowest != R->link_bps) {
                fprintf(stderr, "isolab: line rate from the ports' speed: %.0f Gbit/s (--link-speed said %.0f)\n", slowest / 1e9,
                        R->link_bps / 1e9);
                R->link_bps = slowest;
                json_t *req = json_pack("{s:s, s:I}", PROTO_CMD, PROTO_CONFIGURE, "link_speed", (json_int_t)slowest), *ok = NULL;
                r = runner_request(&R->run, g, req, 10000, &ok, d);
                json_decref(req);
                json_decref(ok);
        }
        json_decref(rep);
        return r;
}

int agents_start(struct exp_run *R, struct diag *d) {
        const struct agent_slot *s = NULL;
        int r = start_both(R, &s, d);
        if (r >= 0)
                r = move_other_threads(R, d);
        if (r >= 0)
                r = links_check(R, d);
        if (r < 0) {
                report_error(d, r);
                if (s)
                        fprintf(stderr, "isolab: see %s/%s\n", R->out, s->log);
        }
        return r;
}

void agents_nf_stop(struct exp_run *R) {
        container_detach(R);
        if (R->nf_up && R->nf_up->stop)
                R->nf_up->stop(R);
        R->nf_up = NULL;
        R->nf_state = NULL;
}

/* The old agents' undo entries stay and find their slots taken. */
int agents_restart(struct exp_run *R, const char *nf_cpus, struct diag *d) {
        for (int i = _ROLE_MAX - 1; i >= 0; i--)
                if (R->slot[i].a)
                        runner_release(&R->run, R->slot[i].a);
        for (int i = 0; i < _ROLE_MAX; i++)
                R->slot[i].a = NULL;
        agents_nf_stop(R);
        int r;
        if (nf_cpus && (r = R->cg.ops->set_cpuset(&R->cg, R->slot[ROLE_NF].rel, nf_cpus, R->mems, d)) < 0)
                return r;
        const struct agent_slot *failed;
        r = start_both(R, &failed, d);
        if (r >= 0)
                r = move_other_threads(R, d);
        return r < 0 ? r : links_check(R, d);
}
