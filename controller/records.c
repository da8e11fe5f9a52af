/* records — trials.jsonl and run.json (records.h, engine.h). */
#include "controller/records.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "base/util.h"
#include "controller/counters.h"
#include "controller/engine.h"
#include "controller/genhost.h"
#include "controller/method.h"
#include "controller/render.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"

void point_key(const struct matrix_point *pt, char *buf, size_t len) {
        snprintf(buf, len, "rep %u, quota %g %%, period %" PRIu64 " us, frame %u B, variant %u, neighbour %u", pt->repetition,
                 pt->quota, pt->period_us, pt->frame_size, pt->pinning, pt->neighbour);
}

/* One JSON line appended to fd, whole or not at all. */
static bool append_line(const struct exp_run *R, int fd, const char *name, json_t *line) {
        char *text = json_dumps(line, JSON_COMPACT);
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
        /* A write cut short is taken back: the file never holds a torn line. */
        if (!ok && n > 0 && end >= 0)
                (void)!ftruncate(fd, end);
        free(text);
        if (!ok)
                fprintf(stderr, "isolab: cannot append to %s/%s: %s; the lines before are whole\n", R->out, name,
                        strerror(e));
        return ok;
}

bool records_append(struct exp_run *R, json_t *line, const struct matrix_point *pt) {
        char key[160];
        point_key(pt, key, sizeof(key));
        json_object_set_new(line, "point", json_string(key));
        json_object_set_new(line, "run_sum", json_string(R->run_sum));
        bool ok = append_line(R, R->tfd, "trials.jsonl", line);
        json_decref(line);
        return ok;
}

void records_series(struct exp_run *R, const struct matrix_point *pt, json_t *line, json_t *series) {
        struct diag d = { 0 };
        if (R->sfd == 0) {
                /* A resumed run adds to its series; a run of an older isolab has none yet. */
                R->sfd = R->x->o.resume ? resdir_append(&R->outdir, "series.jsonl", &d) : -ENOENT;
                if (R->sfd == -ENOENT)
                        R->sfd = resdir_create(&R->outdir, "series.jsonl", O_APPEND, (d = (struct diag){ 0 }, &d));
                if (R->sfd < 0) {
                        fprintf(stderr, "isolab: %s; the trials' time series are not kept\n", d.msg);
                        R->sfd = -1;
                }
        }
        if (R->sfd < 0)
                return;
        char key[160], id[64];
        point_key(pt, key, sizeof(key));
        snprintf(id, sizeof(id), "%s-%u", R->stamp, ++R->n_series);
        json_t *s = json_pack("{s:s, s:s, s:s, s:O}", "id", id, "point", key, "run_sum", R->run_sum, "series", series);
        if (s && append_line(R, R->sfd, "series.jsonl", s)) {
                json_t *sum = json_object_get(line, "series");
                if (sum)
                        json_object_set_new(sum, "id", json_string(id));
        }
        json_decref(s);
}

/* A resumed run's trials.jsonl whose last line has no newline (the disk filled, the
 * power went) loses that torn line before anything is appended, so it is never glued to
 * the next trial. */
int trials_cut_torn_line(int fd, struct diag *d) {
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

/* Nothing is skipped or measured twice silently. */
int resume_done(const char *dir, const struct matrix_point *pts, bool *done, size_t n, const struct method *m,
                const char *sum, struct diag *d) {
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        int r = resdir_open(dir, RESDIR_RESUME, "--resume", &rd, d);
        if (r < 0)
                return r;
        _cleanup_fclose_ FILE *f = resdir_read(&rd, "trials.jsonl", d);
        if (!f)
                return d->err;
        _cleanup_free_ unsigned *measured = calloc(n ? n : 1, sizeof(*measured));
        _cleanup_free_ unsigned *searches = calloc(n ? n : 1, sizeof(*searches));
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        if (!searches || !measured)
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
                else if (!json_object_get(t, "search"))
                        measured[k]++;
        }
        for (size_t k = 0; k < n; k++)
                done[k] = m->point_done(m, measured[k], searches[k]);
        return 0;
}

/* The actual placement isolab-nf reports against the plan, and where each agent's
 * hugepage memory is (DPDK allocates it at EAL init): warnings for what differs. */
static json_t *placement_actual(struct exp_run *R, json_t *warnings) {
        const struct plan *p = R->p;
        json_t *placement = NULL;
        struct diag d = { 0 };
        struct agent_slot *nf = &R->slot[ROLE_NF];
        if (nf->a && !nf->raw) {
                json_t *req = json_pack("{s:s}", PROTO_CMD, PROTO_PLACEMENT);
                runner_request(&R->run, nf->a, req, 10000, &placement, &d);
                json_decref(req);
        }
        _cleanup_free_ char *pmd_list = cpulist_format(p->pmd.cpus);
        size_t i;
        json_t *pmd;
        json_array_foreach(json_object_get(placement, "pmd"), i, pmd) {
                int actual = (int)json_integer_value(json_object_get(pmd, "cpu"));
                if (!R->x->unpinned[variant_pin(R->x, R->cur_var)] && !hwloc_bitmap_isset(p->pmd.cpus, (unsigned)actual)) {
                        char w[160];
                        snprintf(w, sizeof(w), "PMD lcore %lld runs on CPU %d, the plan said %s",
                                 (long long)json_integer_value(json_object_get(pmd, "lcore")), actual, pmd_list);
                        json_array_append_new(warnings, json_string(w));
                }
        }
        json_t *mem_nodes = json_object();
        for (int k = 0; k < _ROLE_MAX && R->slot[k].a; k++) {
                json_t *m = numa_huge_json(agent_proc_pid(R->slot[k].a));
                const char *key;
                json_t *v;
                json_object_foreach(m, key, v) {
                        if (atoi(key) == p->node)
                                continue;
                        char w[200];
                        snprintf(w, sizeof(w), "%s: %lld MiB of hugepage memory on node %s, the plan said node %d",
                                 R->slot[k].name, (long long)(json_integer_value(v) >> 20), key, p->node);
                        json_array_append_new(warnings, json_string(w));
                }
                json_object_set_new(mem_nodes, R->slot[k].name, m);
        }
        if (!placement) {
                json_decref(mem_nodes);
                return json_null();
        }
        json_object_set_new(placement, "hugepage_bytes_per_node", mem_nodes);
        return placement;
}

/* The configuration as it took effect: every option (file and command line merged), the
 * lists as parsed, the seed used, and the neighbours. */
static json_t *config_json(const struct exp_run *R) {
        const struct experiment *x = R->x;
        size_t n_opts, size;
        const struct cli_option *table = experiment_options(&n_opts, &size);
        json_t *cfg = cli_options_json(table, n_opts, &x->o);
        json_t *jq = json_array(), *jper = json_array(), *jfs = json_array(), *jpin = json_array(), *jnb = json_array();
        for (int i = 0; i < x->nq; i++)
                json_array_append_new(jq, json_real(x->quotas[i]));
        for (int i = 0; i < x->np; i++)
                json_array_append_new(jper, json_integer((json_int_t)x->periods[i]));
        for (int i = 0; i < x->nfs; i++)
                json_array_append_new(jfs, json_integer(x->sizes[i]));
        for (int i = 0; i < x->n_pin; i++)
                json_array_append_new(jpin, json_string(x->pin_names[i]));
        if (x->rings[0]) { /* --ring-size as parsed: each size is a variant of the run */
                json_t *jr = json_array();
                for (int i = 0; i < x->n_ring; i++)
                        json_array_append_new(jr, json_integer(x->rings[i]));
                json_object_set_new(cfg, "ring_sizes", jr);
        }
        for (size_t i = 0; i < x->n_specs; i++) {
                const struct noise_spec *s = &x->specs[i];
                json_array_append_new(jnb, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "name", s->name, "workload",
                                                     s->workload, "placement", s->placement ? s->placement : "same-core",
                                                     "options", s->opts, "cmd", s->cmd, "quota", s->quota));
        }
        json_object_update_new(cfg, json_pack("{s:o, s:o, s:o, s:o, s:o, s:O, s:i, s:s, s:o}", "cpu_quota_pct", jq,
                                              "cpu_period_us", jper, "frame_sizes_bytes", jfs, "pinnings", jpin, "neighbours",
                                              jnb, "rate_parsed", x->rate, "seed_used", x->seed, "link_used", x->link,
                                              "scenario_file", x->sc.path ? json_string(x->sc.path) : json_null()));
        return cfg;
}

static void write_run_json(struct exp_run *R, bool replace) {
        struct diag d = { 0 };
        int fd = replace ? resdir_replace_begin(&R->outdir, R->runjson, &d) : resdir_create(&R->outdir, R->runjson, 0, &d);
        bool ok = fd >= 0 && json_dumpfd(R->runj, fd, JSON_INDENT(2)) == 0 && fsync(fd) == 0;
        if (replace && ok)
                ok = resdir_replace_commit(&R->outdir, R->runjson, fd, &d) == 0;
        else if (replace && fd >= 0)
                resdir_replace_abort(&R->outdir, R->runjson, fd);
        else if (fd >= 0)
                close(fd);
        if (!ok)
                fprintf(stderr, "isolab: cannot write %s/%s%s%s\n", R->out, R->runjson, d.err ? ": " : "", d.err ? d.msg : "");
}

/* The clocks the figures were measured with (the agents' hello "tsc"): run.json "clock",
 * and a warning when the TSC is not constant and nonstop, or when the generator's TX and
 * RX lcores disagree by more than their bound plus 1 us (the latencies are off by it). */
static void records_clock(struct exp_run *R, json_t *const hellos[_ROLE_MAX], json_t *warnings) {
        json_t *clock = json_object();
        for (int k = 0; k < _ROLE_MAX; k++) {
                struct agent_slot *s = &R->slot[k];
                json_t *tsc = json_object_get(hellos[k], "tsc");
                if (json_is_object(tsc))
                        json_object_set(clock, s->name, tsc);
                const char *w = json_string_value(json_object_get(tsc, "warning"));
                char msg[400];
                if (w && k == ROLE_GEN) {
                        snprintf(msg, sizeof(msg), "%s: %s", s->name, w);
                        json_array_append_new(warnings, json_string(msg));
                }
                json_t *sk = json_object_get(tsc, "tx_rx_skew");
                double off = json_number_value(json_object_get(sk, "offset_ns")),
                       bound = json_number_value(json_object_get(sk, "bound_ns"));
                if (json_is_number(json_object_get(sk, "offset_ns")) && fabs(off) > bound + 1000) {
                        snprintf(msg, sizeof(msg), "the generator's TX and RX lcores' TSCs differ by %.0f ns (± %.0f): every "
                                                   "latency is off by as much", off, bound);
                        json_array_append_new(warnings, json_string(msg));
                }
        }
        /* Which clock times each packet's arrival (the NIC's RX timestamp where it has one). */
        json_t *lc = json_object_get(hellos[ROLE_GEN], "latency_clock");
        if (json_is_object(lc))
                json_object_set(clock, "latency", lc);
        json_object_set_new(R->runj, "clock", clock);
        /* The link: its kind, the line rate the rates refer to, the generator's ports as it sees them. */
        json_object_set_new(R->runj, "link", json_pack("{s:s, s:I, s:O?}", "kind", R->x->link, "line_rate_bps",
                                                       (json_int_t)R->link_bps, "generator_ports",
                                                       json_object_get(hellos[ROLE_GEN], "ports")));
}

/* --gen-host: the generator's host as it described itself (kernel, command line, isolab
 * and protocol, boot id), its topology, the generator's plan there (its compromises join
 * the run's warnings), its DPDK, and where latency is measured. */
static void records_gen_host(struct exp_run *R, json_t *gen_hello, json_t *warnings) {
        const struct gen_host *g = R->gh;
        json_t *f = g->facts;
        const char *arrival = json_string_value(json_object_get(json_object_get(gen_hello, "latency_clock"), "what"));
        char latency[400];
        snprintf(latency, sizeof(latency), "a round trip on the generator host: isolab-gen stamps each packet with its TSC "
                 "when it sends it and times it when it comes back there (arrival: %s)", arrival ? arrival : "its TSC");
        for (unsigned i = 0; g->p && i < g->p->n_warnings; i++) {
                char w[600];
                snprintf(w, sizeof(w), "generator host %s: %s", g->spec, g->p->warnings[i]);
                json_array_append_new(warnings, json_string(w));
        }
        json_t *o = json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:b, s:o, s:o, s:O?, s:s}", "host", g->spec, "name",
                              json_object_get(f, "hostname"), "kernel", json_object_get(f, "kernel"), "cmdline",
                              json_object_get(f, "cmdline"), "boot_id", json_object_get(f, "boot_id"), "isolab",
                              json_object_get(f, "isolab"), "proto", json_object_get(f, "proto"), "same_machine",
                              g->same_machine, "topology", topo_to_json(g->t), "plan", plan_to_json(g->p), "dpdk",
                              json_object_get(gen_hello, "runtime"), "latency", latency);
        if (o)
                json_object_set_new(R->runj, "gen_host", o);
        if (g->same_machine)
                json_array_append_new(warnings, json_pack("s", "the generator host is this machine (the same boot id): the "
                                                               "generator shares its CPUs, memory and L3 with the NF"));
}

int records_begin(struct exp_run *R) {
        const struct experiment *x = R->x;
        const struct plan *p = R->p;
        /* Each agent that speaks, once: its DPDK version and its clock only decorate run.json. */
        json_t *hellos[_ROLE_MAX] = { NULL };
        for (int k = 0; k < _ROLE_MAX; k++) {
                struct diag d = { 0 };
                json_t *req = json_pack("{s:s}", PROTO_CMD, PROTO_HELLO);
                if (R->slot[k].a && !R->slot[k].raw)
                        runner_request(&R->run, R->slot[k].a, req, 10000, &hellos[k], &d);
                json_decref(req);
        }
        /* The DPDK version from isolab-nf, else the generator. */
        json_t *hello = hellos[ROLE_NF] ? hellos[ROLE_NF] : hellos[ROLE_GEN];
        json_t *warnings = json_array();
        json_array_extend(warnings, x->warnings);
        json_array_extend(warnings, R->nb.skipped);
        for (unsigned i = 0; i < p->n_warnings; i++)
                json_array_append_new(warnings, json_string(p->warnings[i]));
        json_t *placement = placement_actual(R, warnings);
        if (x->o.no_huge)
                json_array_append_new(warnings, json_string("NO HUGEPAGES: DPDK ran on 4 KiB pages (--no-huge); figures are "
                                                            "not comparable with a hugepage run"));
        struct utsname un;
        uname(&un);
        json_t *cfg = config_json(R);
        /* A resumed run's lines carry the first run's checksum: the configuration is its. */
        if (x->o.resume)
                snprintf(R->run_sum, sizeof(R->run_sum), "%s", x->o.resume_sum);
        else
                config_sum(cfg, R->run_sum, sizeof(R->run_sum));
        R->runj = json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:o, s:{s:s, s:s}, s:o, s:O, s:I}",
                            "version", RENDER_JSON_VERSION, "run", R->run_id, "started", R->stamp, "tool", experiment_tool(x),
                            "host", "name", un.nodename, "kernel", un.release, "cmdline",
                            R->t->iso.cmdline ? R->t->iso.cmdline : "", "config", cfg, "topology", topo_to_json(R->t), "plan",
                            plan_to_json(p), "placement_actual", placement, "cgroup", "backend", R->cg.ops->name, "cpu_root",
                            R->cg.m.cpu_root, "warnings", warnings, "dpdk", json_object_get(hello, "runtime") ?: json_null(),
                            "hugepages_granted", (json_int_t)R->granted);
        if (R->runj)
                records_clock(R, hellos, warnings);
        if (R->runj && R->gh)
                records_gen_host(R, hellos[ROLE_GEN], warnings);
        /* This isolab and its protocol (the generator host's are in gen_host). */
        if (R->runj)
                json_object_set_new(json_object_get(R->runj, "host"), "isolab",
                                    json_pack("{s:s, s:i}", "version", ISOLAB_VERSION, "proto", ISOLAB_PROTO_VERSION));
        for (int k = 0; k < _ROLE_MAX; k++)
                json_decref(hellos[k]);
        if (!R->runj)
                return -ENOMEM;
        /* The generator's workers (--gen-cores), and the NF's per-packet work (--nf-work). */
        json_object_set_new(R->runj, "generator",
                            json_pack("{s:i, s:s, s:s}", "worker_lcores", R->gen_lcores, "eal_lcores", R->lc_gen, "roles",
                                      R->gen_lcores == 2 ? "one lcore sends, another receives"
                                                         : "one lcore sends and receives"));
        if (R->floor)
                json_object_set(R->runj, "floor", R->floor);
        if (x->work.table) {
                char what[160];
                nf_work_describe(&x->work, what, sizeof(what));
                json_object_set_new(R->runj, "nf_work",
                                    json_pack("{s:i, s:i, s:I, s:s}", "reads", x->work.reads, "writes", x->work.writes,
                                              "table_bytes", (json_int_t)x->work.table, "description", what));
        }
        if (!x->o.no_huge)
                json_object_set_new(R->runj, "hugepages",
                                    json_pack("{s:i, s:I, s:I, s:I, s:I, s:n}", "node", p->node, "page_size",
                                              (json_int_t)p->huge.page_size, "found_total", (json_int_t)R->hp.found_total,
                                              "found_free", (json_int_t)R->hp.found_free, "added", (json_int_t)R->hp.added,
                                              "returned"));
        /* A resumed run keeps the first run.json (its configuration is the run's) and adds
         * its own environment beside it. */
        snprintf(R->runjson, sizeof(R->runjson), x->o.resume ? "run-resumed-%s.json" : "run.json", R->stamp);
        write_run_json(R, false);
        return 0;
}

void records_finish(struct exp_run *R) {
        json_t *hp = json_object_get(R->runj, "hugepages");
        if (!json_is_object(hp))
                return;
        json_object_set_new(hp, "returned", json_integer((json_int_t)R->hp.returned));
        write_run_json(R, true);
}
