/* trial — one trial: the neighbour started (its own process, for this trial only), the
 * counters opened, the generator's traffic, the counters closed, the neighbour stopped,
 * and the record (engine.h; the record's fields: docs/protocol.md, docs/cgroups.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agents/common/proto.h"
#include "base/util.h"
#include "controller/counters.h"
#include "controller/engine.h"
#include "controller/genhost.h"
#include "controller/verbs.h"

/* What is read at each end of the counters' window. */
struct snap {
        json_t *stats;            /* isolab-nf's stats reply (NULL: it does not speak) */
        struct cg_cpu_stat cg;    /* the NF's cgroup */
        struct sched_snap sched;  /* its PMD threads (or, raw, its whole process) */
        /* When each was read (CLOCK_MONOTONIC, ns): every delta is divided by the time
         * between its own two readings, never by another counter's window. */
        uint64_t stats_ns, cg_ns, sched_ns;
        struct cpu_snap cpus;     /* irq, softirq and steal time on the trial's CPUs */
        json_t *threads;          /* the NF's threads' CPU time by class (counters.h) */
        uint64_t migrations;      /* its polling threads' migrations (an NF that does not count them) */
};

struct trial {
        struct exp_run *R;
        struct runner_agent *nf;  /* the NF's agent, NULL for none */
        struct runner_agent *noise;
        const struct neighbour *nb;
        struct snap s0, s1;
        json_t *res;              /* the generator's reply */
        json_t *nstat;            /* the neighbour's stop reply */
        json_t *nb_cpus;          /* where the neighbour's threads last ran, before it stopped */
        uint64_t t0_ns, t1_ns;    /* the generator's request */
        uint64_t duration_us;     /* the measurement's: the run's, or the search's final trial's */
        json_t *inside;           /* what an NF kind counts from the inside over the window (nf.h stats_read) */
};

static bool nf_speaks(const struct trial *T) {
        return T->nf && !T->nf->raw;
}

static int request(struct trial *T, struct runner_agent *a, json_t *req, int timeout_ms, json_t **ret, struct diag *d) {
        int r = runner_request(&T->R->run, a, req, timeout_ms, ret, d);
        json_decref(req);
        return r;
}

/* The neighbour, working before the trial starts (the NF's counters then see it from the
 * first packet). */
static int neighbour_begin(struct trial *T, struct diag *d) {
        const struct neighbour *nb = T->nb;
        int r = agent_start(T->R, "noise", (char *[]){ T->R->noise_bin, NULL }, nb->rel, "", "noise.log", false, 0, &T->noise, d);
        json_t *rep = NULL;
        if (r >= 0)
                r = request(T, T->noise,
                            json_pack("{s:s, s:s, s:O, s:O}", PROTO_CMD, PROTO_START, PROTO_WORKLOAD, nb->workload, PROTO_OPTIONS,
                                      nb->options, PROTO_ARGV, nb->argv),
                            30000, &rep, d);
        json_decref(rep);
        return r;
}

/* A neighbour that stopped by itself disturbed only part of the trial. */
static int neighbour_end(struct trial *T, struct diag *d) {
        int r = request(T, T->noise, json_pack("{s:s}", PROTO_CMD, PROTO_STOP), 10000, &T->nstat, d);
        const char *ended = json_string_value(json_object_get(T->nstat, "ended_early"));
        if (r >= 0 && ended)
                r = diag_set(d, -ECHILD, "neighbour %s: %s; the trial is not a neighbour trial", T->nb->name, ended);
        return r;
}

/* The CPUs whose interrupt work and steal a trial records: the NF's (pinned: its PMD
 * CPUs; unpinned: where it may run), the generator's and the housekeeping CPUs. */
static void cpus_of_trial(const struct exp_run *R, struct cpu_snap *s) {
        s->n = 0;
        bool unpinned = R->x->unpinned[variant_pin(R->x, R->cur_var)];
        hwloc_const_bitmap_t sets[] = { unpinned ? R->nf_set : R->p->pmd.cpus, R->p->gen.cpus, R->p->housekeeping.cpus };
        const char *names[] = { "pmd", "gen", "housekeeping" };
        hwloc_bitmap_t all = hwloc_bitmap_alloc();
        for (size_t k = 0; k < 3; k++)
                if (sets[k])
                        hwloc_bitmap_or(all, all, sets[k]);
        int c;
        hwloc_bitmap_foreach_begin(c, all) {
                if (s->n == CPU_SNAP_MAX)
                        break;
                s->cpu[s->n] = c;
                s->role[s->n][0] = '\0';
                for (size_t k = 0; k < 3; k++)
                        if (sets[k] && hwloc_bitmap_isset(sets[k], (unsigned)c)) {
                                size_t len = strlen(s->role[s->n]);
                                snprintf(s->role[s->n] + len, sizeof(s->role[0]) - len, "%s%s", len ? "," : "", names[k]);
                        }
                s->n++;
        }
        hwloc_bitmap_foreach_end();
        hwloc_bitmap_free(all);
}

static void sched_snap(const struct trial *T, struct snap *s) {
        pid_t pid = agent_proc_pid(T->nf);
        s->sched_ns = mono_ns();
        if (pid <= 0)
                return;
        sched_read(pid, json_object_get(s->stats, "lcores"), &s->sched);
        s->sched.process_ns = process_run_ns(pid);
        json_decref(s->threads);
        s->threads = thread_classes_ns(pid);
        s->migrations = polling_migrations(pid);
        /* Its PMD threads are known by their names (OVS's pmd-cNN), else the whole process. */
        json_t *pmd = json_object_get(s->threads, "pmd");
        if (!nf_speaks(T))
                s->sched.run_ns = pmd ? (uint64_t)json_integer_value(pmd) : s->sched.process_ns;
}

/* The window opens: the NF's stats (its max gap restarted), the neighbour's counters
 * reset, the cgroup's cpu.stat, the threads' schedstat. */
static int window_open(struct trial *T, struct diag *d) {
        int r = 0;
        if (nf_speaks(T))
                r = request(T, T->nf, json_pack("{s:s, s:b}", PROTO_CMD, PROTO_STATS, PROTO_RESET_MAX, 1), 10000, &T->s0.stats, d);
        else if (T->nf && T->R->nf->stats_clear)
                r = T->R->nf->stats_clear(T->R, d);
        T->s0.stats_ns = mono_ns();
        if (r >= 0 && T->noise) {
                json_t *rep = NULL;
                r = request(T, T->noise, json_pack("{s:s, s:b}", PROTO_CMD, PROTO_STATS, PROTO_RESET, 1), 10000, &rep, d);
                json_decref(rep);
        }
        if (r >= 0)
                r = T->R->cg.ops->cpu_stat(&T->R->cg, T->R->slot[ROLE_NF].rel, &T->s0.cg, d);
        T->s0.cg_ns = mono_ns();
        if (r >= 0) {
                sched_snap(T, &T->s0);
                cpus_of_trial(T->R, &T->s0.cpus);
                cpu_snap_read(&T->s0.cpus);
        }
        return r;
}

static int window_close(struct trial *T, struct diag *d) {
        int r = 0;
        if (nf_speaks(T))
                r = request(T, T->nf, json_pack("{s:s}", PROTO_CMD, PROTO_STATS), 10000, &T->s1.stats, d);
        else if (T->nf && T->R->nf->stats_read && !(T->inside = T->R->nf->stats_read(T->R, d)))
                r = d->err ? d->err : -EIO;
        T->s1.stats_ns = mono_ns();
        if (r >= 0)
                r = T->R->cg.ops->cpu_stat(&T->R->cg, T->R->slot[ROLE_NF].rel, &T->s1.cg, d);
        T->s1.cg_ns = mono_ns();
        if (r >= 0) {
                sched_snap(T, &T->s1);
                T->s1.cpus = T->s0.cpus;
                cpu_snap_read(&T->s1.cpus);
        }
        return r;
}

/* The drain after a trial lasts at least one CFS period: a packet queued while the NF was
 * throttled arrives up to a period late, and must not count as lost. */
static double drain_s(const struct matrix_point *pt) {
        return pt->period_us > 100000 ? (double)pt->period_us / 1e6 : 0.1;
}

int trial_gen_request(struct exp_run *R, struct runner_agent *gen, unsigned frame_size, json_t *rate, uint64_t duration_us,
                      double drain, uint64_t window_ns, json_t **ret, struct diag *d) {
        json_t *req = json_pack("{s:s, s:i, s:O, s:f, s:f, s:f}", PROTO_CMD, PROTO_TRIAL, PROTO_FRAME_SIZE, frame_size,
                                PROTO_RATE, rate, PROTO_DURATION, duration_us / 1e6, PROTO_WARMUP, 0.0, PROTO_DRAIN, drain);
        if (window_ns)
                json_object_set_new(req, "loss_window_ns", json_integer((json_int_t)window_ns));
        int r = runner_request(&R->run, gen, req, (int)(duration_us / 1000 + drain * 1000) + 30000, ret, d);
        json_decref(req);
        /* --gen-host: the generator's process here is its ssh connection. */
        if (R->gh && gen->exited && (r == -ECHILD || r == -EPIPE)) {
                char why[sizeof(d->msg)];
                snprintf(why, sizeof(why), "%s", d->msg);
                diag_clear(d);
                r = diag_set(d, r, "the connection to the generator host %s ended (ssh exited with %d): %s", R->gh->spec,
                             gen->exit_code, why);
        }
        return r;
}

static int gen_trial(struct trial *T, const struct matrix_point *pt, json_t *rate, uint64_t duration_us, json_t **ret,
                     struct diag *d) {
        /* Burst loss per CFS period of the NF's quota (the period is set at 100 % too). */
        return trial_gen_request(T->R, T->R->slot[ROLE_GEN].a, pt->frame_size, rate, duration_us, drain_s(pt),
                                 (uint64_t)pt->period_us * 1000, ret, d);
}

/* The warm-up is a trial of its own, before the counters' window opens, and drained like
 * one: the NF's, the cgroup's and the threads' counters then cover the measured packets
 * only (a warm-up packet still held after its drain arrives as stale, never as this
 * trial's).  Its result is not kept. */
static int warmup(struct trial *T, const struct matrix_point *pt, json_t *rate, struct diag *d) {
        uint64_t us = T->R->x->o.warmup_us;
        json_t *rep = NULL;
        int r = us ? gen_trial(T, pt, rate, us, &rep, d) : 0;
        json_decref(rep);
        return r;
}

static int traffic(struct trial *T, const struct matrix_point *pt, json_t *rate, struct diag *d) {
        T->t0_ns = mono_ns();
        int r = gen_trial(T, pt, rate, T->duration_us, &T->res, d);
        T->t1_ns = mono_ns();
        return r;
}

/* The counters' window must be the trial's: a controller held up (SIGSTOP, a VM pause, or
 * starved by a neighbour on its CPU) would divide a long stretch of cgroup periods and
 * CPU time as if it were the generator's short window.  The window may exceed the trial
 * by its drain, the requests and 2 s (or half the trial) of slack; beyond that the trial
 * is recorded but marked not valid, and the reports leave it out. */
static void window_check(const struct trial *T, const struct matrix_point *pt, char *invalid, size_t len) {
        uint64_t window_us = ((T->s1.cg_ns ? T->s1.cg_ns : mono_ns()) - T->s0.cg_ns) / 1000;
        uint64_t trial_us = T->duration_us + (uint64_t)(drain_s(pt) * 1e6);
        uint64_t slack_us = trial_us / 2 > 2000000 ? trial_us / 2 : 2000000;
        invalid[0] = '\0';
        if (window_us > trial_us + slack_us)
                snprintf(invalid, len,
                         "the controller was held up: its counters cover %.1f s for a trial of %.1f s (stopped, the machine "
                         "paused, or starved of CPU)",
                         (double)window_us / 1e6, (double)trial_us / 1e6);
}

static json_int_t ports_sum(json_t *stats, const char *key) {
        json_int_t sum = 0;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(stats, "ports"), i, p) sum += json_integer_value(json_object_get(p, key));
        return sum;
}

static uint64_t counted(json_int_t d) {
        return d > 0 ? (uint64_t)d : 0;
}

/* The loss, split by where each part was counted (counters.h). */
static json_t *trial_loss_parts(const struct trial *T, json_t *s0, json_t *s1) {
        json_t *res = json_object_get(T->res, "result");
        json_t *tx = json_object_get(res, "tx"), *rx = json_object_get(res, "rx"), *ports = json_object_get(res, "ports");
        struct loss_counts c = {
                .offered = counted(json_integer_value(json_object_get(tx, "offered"))),
                .sent = counted(json_integer_value(json_object_get(tx, "sent"))),
                .received = counted(json_integer_value(json_object_get(rx, "packets"))),
                .gen_rx_missed = counted(json_integer_value(json_object_get(ports, "rx_port_imissed"))),
                .virtual_link = strcmp(T->R->x->link, "pci") != 0,
                .nf_known = nf_speaks(T),
                .nf_rx_missed = counted(ports_sum(s1, "imissed") + ports_sum(s1, "rx_nombuf") - ports_sum(s0, "imissed") -
                                        ports_sum(s0, "rx_nombuf")),
                .nf_tx_drops = counted(sum_lcores(s1, "tx_drops") - sum_lcores(s0, "tx_drops")),
        };
        /* An NF kind that counts its ports' drops itself (OVS's dpctl/show). */
        json_t *in_tx = json_object_get(T->inside, "tx_drops"), *in_rx = json_object_get(T->inside, "rx_drops");
        if (!c.nf_known && json_is_integer(in_tx) && json_is_integer(in_rx)) {
                c.nf_known = true;
                c.nf_tx_drops = counted(json_integer_value(in_tx));
                c.nf_rx_missed = counted(json_integer_value(in_rx));
        }
        return loss_parts(&c);
}

/* The NF's counters from the inside, the cgroup's and the PMD threads' deltas. */
static json_t *record_measured(const struct trial *T, const struct matrix_point *pt) {
        const struct exp_opts *o = &T->R->x->o;
        json_t *s0 = T->s0.stats, *s1 = T->s1.stats;
        const struct cg_cpu_stat *c0 = &T->s0.cg, *c1 = &T->s1.cg;
        const struct sched_snap *h0 = &T->s0.sched, *h1 = &T->s1.sched;
        struct cg_quota q;
        cg_quota_compute(pt->quota, o->pmd_cores, pt->period_us, &q, NULL);
        /* Each counter over the time between its own two readings (struct snap). */
        double sched_win = (double)(T->s1.sched_ns - T->s0.sched_ns), stats_win = (double)(T->s1.stats_ns - T->s0.stats_ns);
        double cg_win = (double)(T->s1.cg_ns - T->s0.cg_ns);
        uint64_t thr_us = c1->throttled_us - c0->throttled_us, nthr = c1->nr_throttled - c0->nr_throttled;
        json_int_t busy = sum_lcores(s1, "busy_cycles") - sum_lcores(s0, "busy_cycles");
        json_int_t idle = sum_lcores(s1, "idle_cycles") - sum_lcores(s0, "idle_cycles");
        uint64_t periods_d = c1->nr_periods - c0->nr_periods;
        json_t *line = json_pack(
                "{s:I, s:i, s:f, s:I, s:I, s:i, s:O,"
                " s:{s:I, s:I, s:I, s:I, s:f, s:f},"
                " s:{s:I, s:I, s:I, s:f},"
                " s:{s:f, s:I, s:I}}",
                "index", (json_int_t)pt->index, "repetition", pt->repetition, "quota", pt->quota, "period_us",
                (json_int_t)pt->period_us, "quota_us", (json_int_t)q.quota_us, "frame_size", pt->frame_size, "result",
                json_object_get(T->res, "result"),
                "nf", "rx", sum_lcores(s1, "rx") - sum_lcores(s0, "rx"), "tx", sum_lcores(s1, "tx") - sum_lcores(s0, "tx"),
                "tx_drops", sum_lcores(s1, "tx_drops") - sum_lcores(s0, "tx_drops"), "stalls",
                sum_lcores(s1, "stalls") - sum_lcores(s0, "stalls"), "busy_share",
                busy + idle ? (double)busy / (double)(busy + idle) : 0.0, "max_gap_ns", max_lcores(s1, "max_gap_ns"),
                "cgroup", "nr_periods", (json_int_t)periods_d, "nr_throttled",
                (json_int_t)(c1->nr_throttled - c0->nr_throttled), "throttled_us",
                (json_int_t)(c1->throttled_us - c0->throttled_us), "throttled_pct",
                periods_d ? 100.0 * (double)(c1->nr_throttled - c0->nr_throttled) / (double)periods_d : 0.0,
                "pmd", "cpu_share", counter_share((double)(h1->run_ns - h0->run_ns), sched_win, o->pmd_cores),
                "nonvoluntary_ctxt_switches", (json_int_t)(h1->nonvoluntary - h0->nonvoluntary), "runqueue_wait_ns",
                (json_int_t)(h1->wait_ns - h0->wait_ns));
        /* Beside the PMDs, the quota also pays for the NF's other threads (the control
         * lcore on the housekeeping CPU; they sleep), as Docker's --cpus does for a whole
         * container: shown, not hidden. */
        uint64_t pmd_ns = h1->run_ns - h0->run_ns, all_ns = h1->process_ns - h0->process_ns;
        json_t *nfj = json_object_get(line, "nf");
        json_object_set_new(nfj, "other_threads_cpu_ns", json_integer(all_ns > pmd_ns ? (json_int_t)(all_ns - pmd_ns) : 0));
        /* Which threads took the quota's share: CPU time per class of thread (pmd, main,
         * handler, revalidator, urcu, lcore, eal, other) over the sched window. */
        if (T->s0.threads && T->s1.threads)
                json_object_set_new(nfj, "threads_cpu_ns", thread_classes_delta(T->s0.threads, T->s1.threads));
        /* An NF kind's own counters (OVS's pmd-stats-show): its packets and busy share,
         * and the rest as it gave them. */
        if (T->inside) {
                json_object_set(nfj, "rx", json_object_get(T->inside, "rx"));
                json_object_set(nfj, "busy_share", json_object_get(T->inside, "busy_share"));
                /* Its stall count, where it keeps one (OVS: iterations over 250 us). */
                if (json_is_integer(json_object_get(T->inside, "stalls")))
                        json_object_set(nfj, "stalls", json_object_get(T->inside, "stalls"));
                json_object_set(nfj, "inside", T->inside);
        }
        /* max_gap_ns is this trial's (the NF restarts it at stats with reset_max);
         * migrations are seen by the PMD lcores themselves. */
        json_object_set_new(nfj, "max_gap_ns_ever", json_real(max_lcores(s1, "max_gap_ns_ever")));
        /* Migrations of the PMD lcores, as they see them; else of the threads that poll. */
        json_object_set_new(nfj, "migrations",
                            json_integer(nf_speaks(T) ? sum_lcores(s1, "migrations") - sum_lcores(s0, "migrations")
                                                      : (json_int_t)(T->s1.migrations - T->s0.migrations)));
        /* The time the PMDs did not poll (gaps over 10 us), as a share of the trial and of
         * the PMD cores. */
        json_int_t stall_ns = sum_lcores(s1, "stall_ns") - sum_lcores(s0, "stall_ns");
        json_object_set_new(nfj, "stall_ns", json_integer(stall_ns));
        json_object_set_new(nfj, "poll_gaps", gap_delta(s0, s1));
        json_object_set_new(nfj, "stalled_pct", json_real(100 * counter_share((double)stall_ns, stats_win, o->pmd_cores)));
        /* The PMDs' time, partitioned by the NF (busy + idle + stalled = the time it polled,
         * about the stats window per PMD), and of the stalls, what the quota does not
         * explain: time off the CPU while the group was not throttled (preemption). */
        json_int_t busy_ns = sum_lcores(s1, "busy_ns") - sum_lcores(s0, "busy_ns");
        json_int_t idle_ns = sum_lcores(s1, "idle_ns") - sum_lcores(s0, "idle_ns");
        json_object_set_new(nfj, "busy_ns", json_integer(busy_ns));
        json_object_set_new(nfj, "idle_ns", json_integer(idle_ns));
        json_int_t thr_ns = (json_int_t)thr_us * 1000;
        json_object_set_new(nfj, "preempted_ns", json_integer(stall_ns > thr_ns ? stall_ns - thr_ns : 0));
        /* Throttling as time: the share of the PMD cores' time the group was throttled
         * (nr_throttled / nr_periods is ~100 % for any poller under its quota), and how
         * long a throttle lasted on average; the counts stay above. */
        json_t *cgj = json_object_get(line, "cgroup");
        json_object_set_new(cgj, "throttled_time_pct", json_real(100 * counter_share(thr_us * 1000.0, cg_win, o->pmd_cores)));
        json_object_set_new(cgj, "mean_throttle_us", json_real(nthr ? (double)thr_us / (double)nthr : 0.0));
        json_object_set_new(line, "loss_parts", trial_loss_parts(T, s0, s1));
        /* Interrupt work and steal on the trial's CPUs over the window (ticks of 10 ms). */
        json_object_set_new(line, "cpus", cpu_snap_delta(&T->s0.cpus, &T->s1.cpus, sysconf(_SC_CLK_TCK)));
        json_object_set_new(line, "windows",
                            json_pack("{s:I, s:I, s:I, s:I}", "traffic_ns", (json_int_t)(T->t1_ns - T->t0_ns), "nf_stats_ns",
                                      (json_int_t)stats_win, "cgroup_ns", (json_int_t)cg_win, "sched_ns",
                                      (json_int_t)sched_win));
        return line;
}

/* Which neighbour, with what it got done. */
static json_t *neighbour_json(const struct trial *T, bool measured) {
        const struct neighbour *nb = T->nb;
        if (!nb)
                return json_null();
        json_t *nbj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:O}", "name", nb->name, "workload", nb->workload,
                                "placement", noise_placement_to_string(nb->placement), "cgroup", nb->rel, "cpus", nb->cpus,
                                "quota_pct", nb->quota > 0 ? json_real(nb->quota) : json_null(), "options", nb->options,
                                "argv", nb->argv);
        if (T->nstat && measured) {
                json_object_del(T->nstat, "ok");
                json_object_del(T->nstat, "id");
                json_object_update_missing(nbj, T->nstat);
        }
        /* Where its threads were at the end of the traffic (the placement "any" lets the
         * scheduler choose: on the PMD's CPU or not). */
        if (T->nb_cpus && measured)
                json_object_set(nbj, "threads_at_end", T->nb_cpus);
        return nbj;
}

json_t *trial_measure(struct exp_run *R, const struct matrix_point *pt, json_t *rate, uint64_t duration_us,
                      const struct neighbour *nb, bool *failed, struct diag *d) {
        struct trial T = { .R = R, .nf = R->slot[ROLE_NF].a, .nb = nb,
                           .duration_us = duration_us ? duration_us : R->x->o.duration_us };
        size_t mark = R->undo.n;
        int r = nb ? neighbour_begin(&T, d) : 0;
        if (r >= 0)
                r = warmup(&T, pt, rate, d);
        if (r >= 0)
                r = window_open(&T, d);
        if (r >= 0)
                r = traffic(&T, pt, rate, d);
        /* The window closes while the neighbour still works, as it opened: stopping it
         * can take a second when it starves the controller's CPU (http on "any"), and the
         * NF idling meanwhile is not the trial's. */
        if (r >= 0 && T.noise)
                T.nb_cpus = threads_last_cpu(T.noise->pid);
        if (r >= 0)
                r = window_close(&T, d);
        if (r >= 0 && T.noise)
                r = neighbour_end(&T, d);
        char invalid[256];
        window_check(&T, pt, invalid, sizeof(invalid));
        json_t *line;
        if (r < 0) {
                line = json_pack("{s:I, s:i, s:f, s:I, s:i, s:s}", "index", (json_int_t)pt->index, "repetition", pt->repetition,
                                 "quota", pt->quota, "period_us", (json_int_t)pt->period_us, "frame_size", pt->frame_size,
                                 "error", d->msg);
                *failed = true;
        } else {
                line = record_measured(&T, pt);
                /* The generator's time series goes to series.jsonl (records.c); its summary
                 * stays in the line. */
                json_t *series = json_object_get(json_object_get(line, "result"), "series");
                if (series) {
                        json_incref(series);
                        json_object_del(json_object_get(line, "result"), "series");
                        json_t *sum = series_summary(series);
                        if (sum)
                                json_object_set_new(line, "series", sum);
                        records_series(R, pt, line, series);
                        json_decref(series);
                }
                if (invalid[0]) {
                        json_object_set_new(line, "invalid", json_string(invalid));
                        fprintf(stderr, "isolab: not valid: %s\n", invalid);
                }
                /* The group's own CPU time, where the backend reads it (v2, systemd). */
                if (T.s0.cg.has_usage && T.s1.cg.has_usage)
                        json_object_set_new(json_object_get(line, "cgroup"), "cpu_share",
                                            json_real(counter_share((double)(T.s1.cg.usage_us - T.s0.cg.usage_us) * 1000.0,
                                                                    (double)(T.s1.cg_ns - T.s0.cg_ns), R->x->o.pmd_cores)));
        }
        /* Which pinning, neighbour and NF, failed or not: the report groups by them. */
        json_object_set_new(line, "pinning", json_string(R->x->pin_names[variant_pin(R->x, pt->pinning)]));
        json_object_set_new(line, "neighbour", neighbour_json(&T, r >= 0));
        json_object_set_new(line, "nf_under_test", json_string(R->nf->name));
        if (!container_is_host(R->ct)) { /* the engine, and the container's cgroup its counters come from */
                json_object_set_new(line, "container", json_string(R->ct->name));
                json_object_set_new(line, "container_cgroup", json_string(R->slot[ROLE_NF].rel));
        }
        json_object_set_new(line, "quota_scope", json_string(R->x->quota_scope_pmd ? "pmd" : "process"));
        json_object_set_new(line, "ring_size", R->ring ? json_integer(R->ring) : json_null());
        /* The neighbour goes with its trial. */
        if (undo_run_to(&R->undo, mark, report_undo, NULL))
                *failed = true;
        json_decref(T.nstat);
        json_decref(T.nb_cpus);
        json_decref(T.s0.stats);
        json_decref(T.s1.stats);
        json_decref(T.s0.threads);
        json_decref(T.s1.threads);
        json_decref(T.inside);
        json_decref(T.res);
        return line;
}
