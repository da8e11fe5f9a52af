/* The engine's pure parts, without root and without the agents: the experiment builder
 * (defaults, scenario file, command line, and its one-sentence refusals), the NF kinds'
 * and methods' tables, the NF's pinning on a planned machine, the poll-gap histogram
 * delta, and what a resumed run may skip. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "agents/common/linkspec.h"
#include "controller/container.h"
#include "controller/counters.h"
#include "controller/drivers.h"
#include "controller/engine.h"
#include "controller/method.h"
#include "controller/nf.h"
#include "controller/records.h"
#include "controller/runmodel.h"
#include "topology/cpulist.h"

/* The workloads isolab-noise has, as experiment_env_load would find them. */
static const struct exp_env env = {
        .workloads = { "cpu", "cache", "membw", "ctxsw", "http", "idle", "exec" },
        .n_workloads = 7,
        .workload_list = "cpu, cache, membw, ctxsw, http, idle or exec",
};

/* Builds an experiment of mode from argv (NULL-terminated, argv[0] the verb). */
static int build(struct experiment *x, enum exp_mode mode, struct diag *d, char **argv) {
        int argc = 0;
        while (argv[argc])
                argc++;
        bool help = false;
        int r = experiment_parse(x, mode, argc, argv, &help, d);
        cr_assert_not(help);
        return r < 0 ? r : experiment_build(x, &env, d);
}

#define BUILD(x, mode, d, ...) build(x, mode, d, (char *[]){ __VA_ARGS__, NULL })

Test(experiment, defaults_of_a_sweep) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep"), 0, "%s", d.msg);
        cr_expect_str_eq(x.name, "sweep");
        cr_expect_eq(x.nq, 5);
        double want[] = { 100, 75, 50, 25, 12.5 };
        for (int i = 0; i < 5; i++)
                cr_expect_eq(x.quotas[i], want[i]);
        cr_expect_eq(x.np, 1);
        cr_expect_eq(x.periods[0], 100000);
        cr_expect_eq(x.nfs, 1);
        cr_expect_eq(x.sizes[0], 64);
        cr_expect_str_eq(x.link, "vhost");
        cr_expect_eq(x.n_pin, 1);
        cr_expect_str_eq(x.pin_names[0], "pinned");
        cr_expect_eq(x.n_nf, 1);
        cr_expect_str_eq(x.nf[0]->name, "isolab-nf");
        cr_expect_eq(x.method, &method_mrr);
        cr_expect_eq(x.n_specs, 0, "a sweep has no neighbours unless asked");
        cr_expect_str_eq(json_string_value(x.rate), "line");
        cr_expect_eq(x.o.duration_us, 10000000);
        cr_expect_eq(x.o.warmup_us, 2000000);
        cr_expect_neq(x.seed, 0, "a seed is chosen (and recorded) even without --shuffle");
}

Test(experiment, noisy_defaults_to_a_cpu_neighbour_on_the_same_core_and_one_quota) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_NOISY, &d, "noisy"), 0, "%s", d.msg);
        cr_expect_eq(x.nq, 1);
        cr_expect_eq(x.quotas[0], 100);
        cr_assert_eq(x.n_specs, 1);
        cr_expect_str_eq(x.specs[0].workload, "cpu");
        cr_expect_eq(x.n_places[0], 1);
        cr_expect_eq(x.places[0][0], NOISE_SAME_CORE);
        cr_expect_eq(x.noise_mask, 1u << NOISE_SAME_CORE);
}

Test(experiment, neighbours_from_the_command_line_share_placement_options_and_quota) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_NOISY, &d, "noisy", "--noise", "cpu,cache", "--placement", "same-core,any", "--noise-opt",
                           "threads=2", "--noise-quota", "50"),
                     0, "%s", d.msg);
        cr_assert_eq(x.n_specs, 2);
        for (int i = 0; i < 2; i++) {
                cr_expect_eq(x.n_places[i], 2);
                cr_expect_str_eq(x.specs[i].opts, "threads=2");
                cr_expect_eq(x.noise_quota[i], 50);
        }
        cr_expect_str_eq(x.specs[1].where, "--noise cache");
        cr_expect_eq(x.noise_mask, (1u << NOISE_SAME_CORE) | (1u << NOISE_ANY));
}

Test(experiment, neighbour_mistakes_name_the_option_and_the_fix) {
        struct {
                char *argv[6];
                const char *msg;
        } cases[] = {
                { { "noisy", "--noise", "apache" }, "--noise apache: use cpu, cache, membw, ctxsw, http, idle or exec" },
                { { "noisy", "--noise", "cpu,cpu" }, "--noise names cpu twice" },
                { { "sweep", "--placement", "any" }, "--placement, --noise-opt, --noise-cmd and --noise-quota need --noise" },
                { { "noisy", "--placement", "next-door" }, "--placement next-door: use same-core, sibling" },
                { { "noisy", "--placement", "any,any" }, "--placement names any twice" },
                { { "noisy", "--noise-quota", "0.5" }, "--noise-quota 0.5: give 1 to 100" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(experiment_free) struct experiment x = { 0 };
                struct diag d = { 0 };
                enum exp_mode mode = strcmp(cases[i].argv[0], "noisy") == 0 ? EXP_NOISY : EXP_SWEEP;
                cr_expect_lt(build(&x, mode, &d, cases[i].argv), 0, "case %zu was taken", i);
                cr_expect(strstr(d.msg, cases[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].msg);
        }
}

Test(experiment, variants_methods_and_lists) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--nf", "testpmd,isolab-nf,none", "--pinning", "unpinned,pinned",
                           "--method", "ndr-pdr", "--pdr-loss", "1%", "--cpu-quota", "100,5", "--cpu-period", "10ms,100ms",
                           "--frame-sizes", "64,1518", "--name", "study-1"),
                     0, "%s", d.msg);
        cr_expect_str_eq(x.name, "study-1");
        cr_expect_eq(x.n_nf, 3);
        cr_expect_str_eq(x.nf[0]->name, "testpmd");
        cr_expect_str_eq(x.nf[2]->name, "none");
        cr_expect(x.unpinned[0] && !x.unpinned[1]);
        /* Variant v is NF kind v / n_pin, pinning v % n_pin. */
        cr_expect_str_eq(variant_nf(&x, 3)->name, "isolab-nf");
        cr_expect_eq(variant_pin(&x, 3), 1);
        cr_expect_eq(x.method, &method_ndr_pdr);
        cr_expect_eq(x.method->n_goals, 2);
        cr_expect_eq(method_goal_pct(&x, 0), 0);
        cr_expect_eq(method_goal_pct(&x, 1), 1);
        /* 5 % at 10 ms is 500 us, under the kernel's 1 ms: left out with a warning. */
        cr_expect_eq(json_array_size(x.warnings), 1);
        cr_expect(strstr(json_string_value(json_array_get(x.warnings, 0)), "quota 5% at a 10 ms period skipped") != NULL);
}

Test(experiment, every_other_mistake_is_one_sentence_naming_its_option) {
        struct {
                char *argv[6];
                const char *msg;
        } cases[] = {
                { { "sweep", "--nf", "ovs" }, "--nf ovs: use isolab-nf, testpmd, ovs-dpdk or none" },
                { { "sweep", "--nf", "none,none" }, "--nf names none twice" },
                { { "sweep", "--method", "fast" }, "--method fast: use mrr, ndr, pdr or ndr-pdr" },
                { { "sweep", "--pinning", "both" }, "--pinning both: use pinned, unpinned or both" },
                                { { "sweep", "--frame-sizes", "9000" }, "--frame-sizes: 9000 is outside 64..1518 bytes" },
                { { "sweep", "--cpu-period", "2s" }, "--cpu-period 2000 ms: the kernel takes 1 ms to 1 s" },
                { { "sweep", "--cpu-quota", "0.5" }, "under the kernel's 1 ms minimum" },
                { { "sweep", "--max-trials", "2" }, "--max-trials 2: give 3 to 100" },
                { { "sweep", "--name", "Big Run" }, "name Big Run: use up to 24 of a-z, 0-9, _ and -" },
                { { "sweep", "--precision", "0" }, "--precision 0: give a percentage from 0.01 to 50" },
                { { "sweep", "--nf-work", "reads=4" }, "--nf-work reads=4: give the table and at least one read or write" },
                { { "sweep", "--nf-work", "reads=99,table=8M" }, "--nf-work reads=99,table=8M: reads must be a whole number from 0 to 64" },
                { { "sweep", "--nf-work", "reads=1,table=1K" }, "table must be a size from 4K to 4G" },
                { { "sweep", "--nf-work", "reads=1,reads=2,table=8M" }, "\"reads=2\" is not one of reads=N, writes=N, table=SIZE (each once)" },
                { { "sweep", "--gen-cores", "3" }, "--gen-cores 3: give 1 (one lcore sends and receives), 2 (one each) or auto" },
                { { "sweep", "--latency-at", "0,50" }, "--latency-at, --final-duration, --min-rate and --loss-repeats are for a "
                                                       "search: add --method ndr, pdr or ndr-pdr" },
                { { "sweep", "--method", "pdr", "--latency-at", "0,150" }, "--latency-at 0,150: give % of the PDR from 0 to 100" },
                { { "sweep", "--method", "pdr", "--loss-repeats", "-1" }, "--loss-repeats -1: give 0 to 10" },
                { { "sweep", "--method", "pdr", "--min-rate", "60" }, "--min-rate 60: give a percentage" },
                { { "sweep", "--quota-scope", "threads" }, "--quota-scope threads: give process (every thread of the NF) or pmd" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(experiment_free) struct experiment x = { 0 };
                struct diag d = { 0 };
                cr_expect_lt(build(&x, EXP_SWEEP, &d, cases[i].argv), 0, "case %zu was taken", i);
                cr_expect(strstr(d.msg, cases[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].msg);
        }
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_expect_lt(BUILD(&x, EXP_SWEEP, &d, "sweep", "--method", "ndr", "--rate", "50%"), 0);
        cr_expect(strstr(d.msg, "--rate is for --method mrr") != NULL, "%s", d.msg);
        /* The search's own settings, taken with a search. */
        _cleanup_(experiment_free) struct experiment s = { 0 };
        cr_expect_eq(BUILD(&s, EXP_SWEEP, &d, "sweep", "--method", "ndr-pdr", "--latency-at", "0,10,50,90", "--loss-repeats",
                           "2", "--min-rate", "0.5", "--precision", "1", "--final-duration", "30s"),
                     0, "%s", d.msg);
        cr_expect_eq(s.n_latency_at, 4);
        cr_expect_eq(s.latency_at[3], 90);
        cr_expect_eq(s.loss_repeats, 2);
        cr_expect_float_eq(s.min_rate, 0.5, 1e-12);
        cr_expect_eq(s.o.final_us, 30000000);
        /* Per-packet work must be done by every NF under test, the same. */
        _cleanup_(experiment_free) struct experiment y = { 0 };
        d = (struct diag){ 0 };
        cr_expect_lt(BUILD(&y, EXP_SWEEP, &d, "sweep", "--nf", "isolab-nf,none", "--nf-work", "reads=1,table=8M"), 0);
        cr_expect(strstr(d.msg, "--nf-work: --nf none cannot do per-packet work") != NULL, "%s", d.msg);
        _cleanup_(experiment_free) struct experiment z = { 0 };
        d = (struct diag){ 0 };
        cr_expect_lt(BUILD(&z, EXP_SWEEP, &d, "sweep", "--nf", "testpmd", "--nf-work", "reads=1,table=1536K"), 0);
        cr_expect(strstr(d.msg, "testpmd's noisy mode takes whole MiB tables") != NULL, "%s", d.msg);
}

/* defaults <- scenario file <- command line. */
Test(experiment, the_command_line_overrides_the_scenario_file) {
        char path[] = "/tmp/isolab-engine-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        const char *ini = "[scenario]\nname = layered\nrepetitions = 4\n[sweep]\ncpu-quota = 100,50\n"
                          "[noise.hog]\nworkload = cpu\nplacement = any\n";
        cr_assert_eq(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
        close(fd);
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        int r = BUILD(&x, EXP_RUN, &d, "run", path, "--repetitions", "2");
        unlink(path);
        cr_assert_eq(r, 0, "%s", d.msg);
        cr_expect_str_eq(x.name, "layered");
        cr_expect_eq(x.o.repetitions, 2, "the command line wins");
        cr_expect_eq(x.nq, 2, "the file's quotas, not the sweep's default");
        cr_assert_eq(x.n_specs, 1);
        cr_expect_str_eq(x.specs[0].name, "hog");
        cr_expect_eq(x.places[0][0], NOISE_ANY);
}

Test(experiment, the_tables_know_every_kind_and_method) {
        for (size_t i = 0; i < n_nf_kinds; i++)
                cr_expect_eq(nf_find(nf_kinds[i]->name), nf_kinds[i]);
        cr_expect_null(nf_find("ovs"));
        cr_expect_str_eq(nf_names(), "isolab-nf, testpmd, ovs-dpdk or none");
        for (size_t i = 0; i < n_nf_kinds; i++) {
                const struct nf_ops *k = nf_kinds[i];
                cr_expect(k->has_process == (k->nf_argv != NULL), "%s: a process needs a command line", k->name);
                cr_expect(!k->speaks_protocol || k->has_process, "%s: only a process speaks", k->name);
        }
        cr_expect_str_eq(method_names(), "mrr, ndr, pdr or ndr-pdr");
        cr_expect(method_mrr.point_done(&method_mrr, 1, 0));
        cr_expect_not(method_mrr.point_done(&method_mrr, 0, 0));
        cr_expect_not(method_ndr_pdr.point_done(&method_ndr_pdr, 9, 1), "one of two searches is not the point");
        cr_expect(method_ndr_pdr.point_done(&method_ndr_pdr, 0, 2));
}

/* The command lines each kind gives, from one environment. */
Test(experiment, command_lines_of_each_nf_kind) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--pmd-cores", "2"), 0, "%s", d.msg);
        struct agent_env e = { .x = &x, .link_dir = "/run/isolab/r/link", .huge_dir = "/run/isolab/r/huge",
                               .socket_mem = "0,512", .lcores_gen = "0@0,1@1", .lcores_nf = "0@0,1@2,2@3",
                               .prefix = { "p-gen", "p-nf" } };
        struct argvec a = { 0 };
        nf_find("testpmd")->nf_argv(&e, &a);
        cr_assert_not(a.overflow);
        char joined[4096] = "";
        for (int i = 1; i < a.n; i++)
                snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), " %s", a.v[i]);
        cr_expect(strstr(joined, " --lcores 0@0,1@2,2@3 --file-prefix p-nf --huge-dir /run/isolab/r/huge --socket-mem 0,512")
                          != NULL, "%s", joined);
        cr_expect(strstr(joined, "--vdev net_virtio_user1,path=/run/isolab/r/link/vhost-1.sock,queues=2") != NULL, "%s",
                  joined);
        cr_expect(strstr(joined, "--nb-cores=2 --rxq=2 --txq=2") != NULL, "%s", joined);
        cr_expect(strstr(joined, "--forward-mode=io") != NULL, "%s", joined);
        /* The same per-packet work on both forwarders: isolab-nf's --work, testpmd's noisy mode. */
        cr_assert_eq(nf_work_parse("nf-work", "writes=1,table=8M,reads=4", &x.work, d.msg, sizeof(d.msg)), 0, "%s", d.msg);
        a = (struct argvec){ 0 };
        nf_find("testpmd")->nf_argv(&e, &a);
        joined[0] = '\0';
        for (int i = 1; i < a.n; i++)
                snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), " %s", a.v[i]);
        cr_expect(strstr(joined, "--forward-mode=noisy --noisy-lkup-memory=8 --noisy-lkup-num-reads=4 "
                                 "--noisy-lkup-num-writes=1") != NULL, "%s", joined);
        cr_expect(strstr(joined, "--rxd") == NULL, "no ring size: testpmd's own descriptors");
        /* A ring size: the virtio ports' queue_size and testpmd's descriptors, and the
         * agents' --link-ring. */
        e.ring = 2048;
        a = (struct argvec){ 0 };
        nf_find("testpmd")->nf_argv(&e, &a);
        joined[0] = '\0';
        for (int i = 1; i < a.n; i++)
                snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), " %s", a.v[i]);
        cr_expect(strstr(joined, "queues=2,queue_size=2048") != NULL && strstr(joined, "--rxd=2048 --txd=2048") != NULL, "%s",
                  joined);
        a = (struct argvec){ 0 };
        argv_link(&e, &a);
        cr_expect(a.n >= 2 && strcmp(a.v[a.n - 2], "--link-ring") == 0 && strcmp(a.v[a.n - 1], "2048") == 0);
        e.ring = 0;
        a = (struct argvec){ 0 };
        nf_find("isolab-nf")->nf_argv(&e, &a);
        cr_expect_str_eq(a.v[a.n - 2], "--work");
        cr_expect_str_eq(a.v[a.n - 1], "reads=4,writes=1,table=8388608");
        x.work = (struct nf_work){ 0 };
        a = (struct argvec){ 0 };
        nf_find("none")->gen_argv(&e, &a);
        cr_expect_eq(a.n, 4);
        cr_expect_str_eq(a.v[3], "/run/isolab/r/link/vhost-0.sock");
        /* A command line that cannot be held is never started half. */
        a = (struct argvec){ 0 };
        for (int i = 0; i < ARGV_MAX + 1; i++)
                argv_add(&a, "x");
        cr_expect(a.overflow);
        cr_expect_eq(a.n, ARGV_MAX);
        cr_expect_null(a.v[ARGV_MAX]);
}

static struct topo *load(const char *xml, const char *synthetic) {
        struct topo_load_opts o = { .xml = xml, .synthetic = synthetic };
        struct topo *t = NULL;
        struct diag d = { 0 };
        cr_assert_eq(topo_load(&o, &t, &d), 0, "%s", d.msg);
        return t;
}

/* Pinned: lcore 0 on the housekeeping CPU, each PMD lcore on its planned CPU; unpinned:
 * every lcore may run anywhere on the node. */
Test(pinning, pinned_and_unpinned_lcores_on_a_planned_machine) {
        struct topo *t = load(NULL, "package:2 core:4 pu:1");
        struct plan *p = NULL;
        struct diag d = { 0 };
        struct plan_request req = { .pmd_cores = 2, .gen_cores = 1, .node = -1 };
        cr_assert_eq(plan_make(t, &req, &p, &d), 0, "%s", d.msg);
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        char lc[512];
        nf_pinning(p, t, false, lc, sizeof(lc), set);
        int hk = hwloc_bitmap_first(p->housekeeping.cpus);
        int c1 = hwloc_bitmap_first(p->pmd.cpus), c2 = hwloc_bitmap_next(p->pmd.cpus, c1);
        char want[64];
        snprintf(want, sizeof(want), "0@%d,1@%d,2@%d", hk, c1, c2);
        cr_expect_str_eq(lc, want);
        cr_expect_eq(hwloc_bitmap_weight(set), 3);
        nf_pinning(p, t, true, lc, sizeof(lc), set);
        char *node = cpulist_format(set);
        snprintf(want, sizeof(want), "0@(%s),1@(%s),2@(%s)", node, node, node);
        cr_expect_str_eq(lc, want);
        cr_expect(hwloc_bitmap_isset(set, (unsigned)hk));
        char mems[16];
        mems_of(t, set, mems, sizeof(mems));
        cr_expect_str_eq(mems, "0");
        free(node);
        hwloc_bitmap_free(set);
        plan_free(p);
        topo_free(t);
}

Test(counters, the_poll_gap_delta_keeps_only_the_buckets_that_grew_across_lcores) {
        json_t *s0 = json_loads("{\"lcores\": [{\"poll_gaps\": [{\"ge_ns\": 64, \"count\": 10}, {\"ge_ns\": 1024, \"count\": 2}]},"
                                "{\"poll_gaps\": [{\"ge_ns\": 64, \"count\": 5}]}]}",
                                0, NULL);
        json_t *s1 = json_loads("{\"lcores\": [{\"poll_gaps\": [{\"ge_ns\": 64, \"count\": 30}, {\"ge_ns\": 1024, \"count\": 2},"
                                "{\"ge_ns\": 65536, \"count\": 1}]},"
                                "{\"poll_gaps\": [{\"ge_ns\": 64, \"count\": 6}]}]}",
                                0, NULL);
        cr_assert(s0 && s1);
        json_t *g = gap_delta(s0, s1);
        char *text = json_dumps(g, JSON_COMPACT);
        cr_expect_str_eq(text, "[[64.0,21],[65536.0,1]]");
        free(text);
        json_decref(g);
        cr_expect_eq(sum_lcores(s1, "missing"), 0);
        g = gap_delta(NULL, s1); /* no first reply: everything counted so far */
        cr_expect_eq(json_array_size(g), 3);
        json_decref(g);
        json_decref(s0);
        json_decref(s1);
}

/* A resumed run: which points its trials.jsonl completes, and which lines it refuses. */
static char dir[64];

static void write_in(const char *name, const char *text) {
        char p[128];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static void rm_dir(void) {
        char p[128];
        snprintf(p, sizeof(p), "%s/run.json", dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/trials.jsonl", dir);
        unlink(p);
        rmdir(dir);
}

static void line_of(const struct matrix_point *pt, const char *sum, const char *extra, char *buf, size_t len) {
        char key[160];
        point_key(pt, key, sizeof(key));
        snprintf(buf, len,
                 "{\"index\": %u, \"repetition\": %u, \"quota\": %g, \"period_us\": 100000, \"frame_size\": 64, "
                 "\"point\": \"%s\", \"run_sum\": \"%s\"%s}\n",
                 pt->index, pt->repetition, pt->quota, key, sum, extra);
}

Test(resume, done_points_are_the_measured_ones_of_this_run, .fini = rm_dir) {
        snprintf(dir, sizeof(dir), "/tmp/isolab-resume-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        struct matrix_point pts[3];
        for (unsigned i = 0; i < 3; i++)
                pts[i] = (struct matrix_point){ .index = i, .quota = 100.0 - 25 * i, .period_us = 100000, .frame_size = 64 };
        char l0[512], l1[512], l2[512], text[2048];
        line_of(&pts[0], "abc", "", l0, sizeof(l0));
        line_of(&pts[1], "abc", ", \"error\": \"agent nf died\"", l1, sizeof(l1));
        line_of(&pts[2], "abc", ", \"kind\": \"search\"", l2, sizeof(l2));
        snprintf(text, sizeof(text), "%s%s%s", l0, l1, l2);
        write_in("run.json", "{}");
        write_in("trials.jsonl", text);
        bool done[3] = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(resume_done(dir, pts, done, 3, &method_mrr, "abc", &d), 0, "%s", d.msg);
        cr_expect(done[0], "measured");
        cr_expect_not(done[1], "failed: measured again");
        cr_expect_not(done[2], "a search result is not an MRR trial");
        memset(done, 0, sizeof(done));
        cr_assert_eq(resume_done(dir, pts, done, 3, &method_ndr, "abc", &d), 0, "%s", d.msg);
        cr_expect(!done[0] && !done[1] && done[2], "ndr: the point with its search result");
        /* A line of another run, and a line at another point, are refused by line. */
        cr_expect_lt(resume_done(dir, pts, done, 3, &method_mrr, "xyz", &d), 0);
        cr_expect(strstr(d.msg, "trials.jsonl:1 belongs to another run") != NULL, "%s", d.msg);
        pts[2].quota = 12.5;
        d = (struct diag){ 0 };
        cr_expect_lt(resume_done(dir, pts, done, 3, &method_mrr, "abc", &d), 0);
        cr_expect(strstr(d.msg, "trials.jsonl:3 says point 2 is quota 50 %") != NULL, "%s", d.msg);
        d = (struct diag){ 0 };
        cr_expect_lt(resume_done(dir, pts, done, 2, &method_mrr, "abc", &d), 0);
        cr_expect(strstr(d.msg, "claims point 2, but the run's matrix has 2") != NULL, "%s", d.msg);
}

/* The link kinds' table: names, sockets and devargs in one place. */
Test(link, the_table_builds_every_kind_s_sockets_and_devargs) {
        cr_expect_str_eq(link_spec_names(), "vhost, memif or pci");
        const struct link_spec *v = link_spec_find("vhost"), *m = link_spec_find("memif"), *p = link_spec_find("pci");
        cr_assert(v && m && p);
        cr_expect_null(link_spec_find("tap"));
        char path[128], dev[256];
        v->socket("/run/l", 1, path, sizeof(path));
        cr_expect_str_eq(path, "/run/l/vhost-1.sock");
        v->devargs(true, path, 1, 2, 0, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_vhost1,iface=/run/l/vhost-1.sock,queues=2");
        v->devargs(false, path, 1, 2, 0, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_virtio_user1,path=/run/l/vhost-1.sock,queues=2");
        m->socket("/run/l", 1, path, sizeof(path));
        cr_expect_str_eq(path, "/run/l/memif.sock", "memif: one socket for every port");
        m->devargs(false, path, 1, 1, 0, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_memif1,role=client,id=1,socket=/run/l/memif.sock,socket-abstract=no");
        cr_expect_not(p->sockets);
        cr_expect_null(p->server_driver);
        link_virtio_devargs("_selftest", "/run/l/vhost-0.sock", 1, 0, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_virtio_user_selftest,path=/run/l/vhost-0.sock,queues=1");
        /* --ring-size: the virtio frontend's queue_size (the vhost side follows), memif's log2. */
        v->devargs(false, "/run/l/vhost-0.sock", 0, 1, 1024, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_virtio_user0,path=/run/l/vhost-0.sock,queues=1,queue_size=1024");
        m->devargs(true, "/run/l/memif.sock", 0, 1, 4096, dev, sizeof(dev));
        cr_expect_str_eq(dev, "net_memif0,role=server,id=0,socket=/run/l/memif.sock,socket-abstract=no,rsize=12");
}

Test(link, pci_needs_four_distinct_ports_and_nothing_else_takes_them) {
        struct {
                char *argv[6];
                const char *msg;
        } cases[] = {
                { { "sweep", "--link", "pci" }, "--link pci needs --ports with 4 PCI addresses" },
                { { "sweep", "--link", "pci", "--ports", "3b:00.0,3b:00.1,af:00.0" }, "needs --ports with 4" },
                { { "sweep", "--link", "pci", "--ports", "3b:00.0,3b:00.1,af:00.0,eth0" }, "--ports eth0: not a PCI address" },
                { { "sweep", "--link", "pci", "--ports", "3b:00.0,0000:3b:00.0,af:00.0,af:00.1" }, "--ports names 0000:3b:00.0 twice" },
                { { "sweep", "--ports", "3b:00.0,3b:00.1,af:00.0,af:00.1" }, "--ports is for --link pci" },
                { { "sweep", "--link", "tap" }, "--link tap: use vhost, memif or pci" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(experiment_free) struct experiment x = { 0 };
                struct diag d = { 0 };
                cr_expect_lt(build(&x, EXP_SWEEP, &d, cases[i].argv), 0, "case %zu was taken", i);
                cr_expect(strstr(d.msg, cases[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, d.msg, cases[i].msg);
        }
}

/* Real ports: each role's two on EAL's allow-list, no --no-pci, no sockets, no --vdev. */
Test(link, pci_ports_go_to_each_role_s_eal_allow_list) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--link", "pci", "--ports", "3b:00.0,3b:00.1,0000:af:00.0,af:00.1", "--nf",
                           "testpmd"),
                     0, "%s", d.msg);
        cr_expect_str_eq(x.ports[1], "0000:3b:00.1");
        struct agent_env e = { .x = &x, .link_dir = "/run/l", .huge_dir = "/h", .socket_mem = "512", .lcores_gen = "0@0,1@1",
                               .lcores_nf = "0@0,1@2", .prefix = { "g", "n" } };
        const char *want[] = { " -a 0000:3b:00.0 -a 0000:3b:00.1 --log-level *:error -- --link pci --link-queues 1 --link-speed",
                               " -a 0000:af:00.0 -a 0000:af:00.1 --log-level *:error -- --forward-mode=io" };
        for (int role = 0; role < 2; role++) {
                struct argvec a = { 0 };
                if (role == ROLE_GEN) {
                        argv_agent(&e, ROLE_GEN, &a);
                        argv_add(&a, "--link-speed");
                } else {
                        nf_find("testpmd")->nf_argv(&e, &a);
                }
                char joined[4096] = "";
                for (int i = 1; i < a.n; i++)
                        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), " %s", a.v[i]);
                cr_expect(strstr(joined, want[role]) != NULL, "%s lacks %s", joined, want[role]);
                cr_expect(strstr(joined, "--no-pci") == NULL && strstr(joined, "--vdev") == NULL &&
                                  strstr(joined, "--link-dir") == NULL,
                          "%s", joined);
        }
}

static char sysfs[64];

static void rm_sysfs(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", sysfs);
        cr_expect_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text) {
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", sysfs, rel);
        FILE *f = fopen(p, "w");
        cr_assert_not_null(f, "%s", p);
        fputs(text, f);
        fclose(f);
}

/* A fixture sysfs tree: a port bound to vfio-pci with its IOMMU group, one bound to
 * vfio-pci without (no IOMMU), one still held by the kernel's i40e with its link up at
 * 10 Gbit/s, and none. */
Test(link, a_port_must_exist_be_bound_to_a_dpdk_driver_and_have_an_iommu, .fini = rm_sysfs) {
        snprintf(sysfs, sizeof(sysfs), "/tmp/isolab-sysfs-XXXXXX");
        cr_assert_not_null(mkdtemp(sysfs));
        char p[256];
        const char *dirs[] = { "bus", "bus/pci", "bus/pci/devices", "bus/pci/drivers", "bus/pci/drivers/vfio-pci",
                               "bus/pci/drivers/i40e", "bus/pci/devices/0000:3b:00.0", "bus/pci/devices/0000:3b:00.1",
                               "bus/pci/devices/0000:3b:00.2", "bus/pci/devices/0000:3b:00.1/net",
                               "bus/pci/devices/0000:3b:00.1/net/enp59s0f1", "kernel", "kernel/iommu_groups",
                               "kernel/iommu_groups/17", "module", "module/vfio", "module/vfio/parameters" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(p, sizeof(p), "%s/%s", sysfs, dirs[i]);
                cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
        }
        snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:3b:00.0/driver", sysfs);
        cr_assert_eq(symlink("../../../bus/pci/drivers/vfio-pci", p), 0);
        snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:3b:00.0/iommu_group", sysfs);
        cr_assert_eq(symlink("../../../../kernel/iommu_groups/17", p), 0);
        snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:3b:00.2/driver", sysfs);
        cr_assert_eq(symlink("../../../bus/pci/drivers/vfio-pci", p), 0);
        snprintf(p, sizeof(p), "%s/bus/pci/devices/0000:3b:00.1/driver", sysfs);
        cr_assert_eq(symlink("../../../bus/pci/drivers/i40e", p), 0);
        put("bus/pci/devices/0000:3b:00.1/net/enp59s0f1/operstate", "up\n");
        put("bus/pci/devices/0000:3b:00.1/net/enp59s0f1/speed", "10000\n");
        put("module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
        struct diag d = { 0 };
        cr_expect_eq(drivers_check_port(sysfs, "3b:00.0", "--ports", &d), 0, "%s", d.msg);
        cr_expect_lt(drivers_check_port(sysfs, "3b:00.1", "--gen-ports", &d), 0);
        cr_expect(strstr(d.msg, "--gen-ports 3b:00.1: the port is bound to i40e (its link enp59s0f1 is up at 10000 Mb/s), "
                                "which DPDK cannot drive; bind it with dpdk-devbind.py -b vfio-pci 0000:3b:00.1") != NULL,
                  "%s", d.msg);
        d = (struct diag){ 0 };
        cr_expect_lt(drivers_check_port(sysfs, "3b:00.2", "--ports", &d), 0);
        cr_expect(strstr(d.msg, "bound to vfio-pci but the port has no IOMMU group: boot with intel_iommu=on") != NULL, "%s",
                  d.msg);
        cr_expect(strstr(d.msg, "enable_unsafe_noiommu_mode") != NULL, "%s", d.msg);
        /* No-IOMMU mode, switched on explicitly, is accepted. */
        put("module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
        d = (struct diag){ 0 };
        cr_expect_eq(drivers_check_port(sysfs, "3b:00.2", "--ports", &d), 0, "%s", d.msg);
        d = (struct diag){ 0 };
        cr_expect_lt(drivers_check_port(sysfs, "0000:af:00.0", "--ports", &d), 0);
        cr_expect(strstr(d.msg, "there is no PCI device 0000:af:00.0 here") != NULL, "%s", d.msg);
        char full[16];
        cr_expect_eq(drivers_pci_addr("AF:1f.7", full, sizeof(full)), 0);
        cr_expect_str_eq(full, "0000:af:1f.7");
        cr_expect_lt(drivers_pci_addr("af:20.0", full, sizeof(full)), 0, "device 0x20 does not exist");
        cr_expect_lt(drivers_pci_addr("0000:af:00.0 ", full, sizeof(full)), 0);
        cr_expect_lt(drivers_pci_addr("+0:af:00.0", full, sizeof(full)), 0);
}

/* No two files of the controller call each other (a table that names its entries is
 * the one allowed way back): read from the objects' symbols, as the linker sees them. */
struct sym {
        char file[256], name[256];
        bool def;
};

static size_t read_symbols(struct sym **ret) {
        /* ISOLAB_LAYOUT_BUILD: another build's objects (to see the test fail on an old tree). */
        const char *build = getenv("ISOLAB_LAYOUT_BUILD") ?: ISOLAB_BUILD;
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cd %s && nm -P -A controller/*.o 2>/dev/null", build);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        struct sym *v = NULL;
        size_t n = 0, cap = 0;
        char line[600], type[8];
        while (fgets(line, sizeof(line), p)) {
                struct sym s = { 0 };
                /* "controller/x.o: name T value size" */
                if (sscanf(line, "%255[^:]: %255s %7s", s.file, s.name, type) != 3 || !strchr("TDBRU", type[0]))
                        continue;
                s.def = type[0] != 'U';
                if (n == cap) {
                        cap = cap ? 2 * cap : 1024;
                        v = realloc(v, cap * sizeof(*v));
                        cr_assert_not_null(v);
                }
                v[n++] = s;
        }
        cr_assert_eq(pclose(p), 0, "nm failed on %s/controller/*.o", build);
        *ret = v;
        return n;
}

Test(layout, no_two_controller_files_call_each_other) {
        struct sym *v = NULL;
        size_t n = read_symbols(&v);
        cr_assert_gt(n, 100, "too few symbols: is %s built?", ISOLAB_BUILD);
        /* Edges: file a uses file b when a has an undefined symbol that b defines. */
        struct edge {
                const struct sym *use, *def;
        } *e = calloc(n, sizeof(*e));
        size_t ne = 0;
        cr_assert_not_null(e);
        for (size_t a = 0; a < n; a++)
                for (size_t b = 0; !v[a].def && b < n; b++)
                        if (v[b].def && !strcmp(v[a].name, v[b].name) && strcmp(v[a].file, v[b].file)) {
                                e[ne++] = (struct edge){ &v[a], &v[b] };
                                break;
                        }
        cr_expect_gt(ne, 50, "the controller's files use each other");
        for (size_t i = 0; i < ne; i++)
                for (size_t k = 0; k < ne; k++)
                        if (!strcmp(e[i].use->file, e[k].def->file) && !strcmp(e[i].def->file, e[k].use->file))
                                cr_expect_fail("%s and %s call each other (%s, %s)", e[i].use->file, e[i].def->file,
                                               e[i].use->name, e[k].use->name);
        free(e);
        free(v);
}

/* Shares are taken over their own counter's window and bounded. */
Test(counters, shares_are_bounded_and_empty_windows_are_zero) {
        cr_expect_float_eq(counter_share(5e8, 1e9, 1), 0.5, 1e-12);
        cr_expect_float_eq(counter_share(1.2e9, 1e9, 2), 0.6, 1e-12, "two PMD cores");
        cr_expect_eq(counter_share(1.72e9, 1e9, 1), 1.0, "jitter past the window is bounded, not 172 %%");
        cr_expect_eq(counter_share(5e8, 0, 1), 0.0);
        cr_expect_eq(counter_share(-1, 1e9, 1), 0.0);
        cr_expect_eq(counter_share(5e8, 1e9, 0), 0.0);
}

static json_int_t part(json_t *j, const char *k) {
        return json_integer_value(json_object_get(j, k));
}

/* The loss parts add up to the loss, each from its own counter. */
Test(counters, loss_parts_add_up_to_the_loss_and_say_where) {
        struct loss_counts c = { .offered = 1000, .sent = 900, .received = 700, .gen_rx_missed = 10, .virtual_link = true,
                                 .nf_known = true, .nf_rx_missed = 0, .nf_tx_drops = 150 };
        json_t *j = loss_parts(&c);
        cr_expect_eq(part(j, "lost"), 300);
        cr_expect_eq(part(j, "link_refused"), 100, "refused by the link: the NF's RX ring was full");
        cr_expect_str_eq(json_string_value(json_object_get(j, "link_refused_means")), "nf_rx_ring_full");
        cr_expect_eq(part(j, "nf_tx_drops"), 150);
        cr_expect_eq(part(j, "gen_rx_missed"), 10);
        cr_expect_eq(part(j, "unseen"), 40, "in flight or dropped where no counter sees it");
        cr_expect_eq(part(j, "link_refused") + part(j, "nf_rx_missed") + part(j, "nf_tx_drops") + part(j, "gen_rx_missed") +
                             part(j, "unseen"),
                     part(j, "lost"));
        cr_expect_null(json_object_get(j, "overcounted"));
        json_decref(j);

        /* testpmd reports nothing: its parts are unknown, not zero, and in unseen. */
        c.nf_known = false;
        c.virtual_link = false;
        j = loss_parts(&c);
        cr_expect(json_is_null(json_object_get(j, "nf_tx_drops")));
        cr_expect_str_eq(json_string_value(json_object_get(j, "link_refused_means")), "gen_tx_ring_full");
        cr_expect_eq(part(j, "unseen"), 190);
        json_decref(j);

        /* Counters that overlap (a warm-up packet dropped inside the window) never make a
         * negative part: unseen is 0 and the excess is said. */
        c = (struct loss_counts){ .offered = 100, .sent = 100, .received = 90, .nf_known = true, .nf_tx_drops = 15 };
        j = loss_parts(&c);
        cr_expect_eq(part(j, "unseen"), 0);
        cr_expect_eq(part(j, "overcounted"), 5);
        json_decref(j);

        /* More received than offered (duplicates): no loss, no negative figure. */
        c = (struct loss_counts){ .offered = 100, .sent = 100, .received = 101, .nf_known = true };
        j = loss_parts(&c);
        cr_expect_eq(part(j, "lost"), 0);
        cr_expect_eq(part(j, "unseen"), 0);
        json_decref(j);
}

static struct run_model load_lines(const char *lines) {
        char mdir[] = "/tmp/isolab-model-XXXXXX";
        cr_assert_not_null(mkdtemp(mdir));
        char p[128];
        snprintf(p, sizeof(p), "%s/trials.jsonl", mdir);
        FILE *f = fopen(p, "w");
        cr_assert_not_null(f);
        fputs(lines, f);
        fclose(f);
        struct resdir rd = { .fd = -1 };
        struct diag d = { 0 };
        cr_assert_eq(resdir_open(mdir, RESDIR_RENDER, "test", &rd, &d), 0, "%s", d.msg);
        FILE *t = resdir_read(&rd, "trials.jsonl", &d);
        cr_assert_not_null(t, "%s", d.msg);
        struct run_model m;
        cr_assert_eq(model_load(&m, &rd, t, mdir, false, &d), 0, "%s", d.msg);
        fclose(t);
        resdir_close(&rd);
        unlink(p);
        rmdir(mdir);
        return m;
}

#define TRIAL(q, mpps, busy, thr_us, nthr)                                                                              \
        "{\"index\": 0, \"repetition\": 0, \"quota\": " #q ", \"period_us\": 100000, \"frame_size\": 64, \"result\": "  \
        "{\"mpps\": " #mpps "}, \"nf\": {\"busy_share\": " #busy "}, \"cgroup\": {\"nr_periods\": 10, \"nr_throttled\": " \
        #nthr ", \"throttled_us\": " #thr_us "}}\n"

/* The ratio to the 100 % baseline only over an NF-limited baseline; throttling as time. */
Test(report, ratios_need_an_nf_limited_baseline_and_throttling_is_time) {
        _cleanup_(model_free) struct run_model gl = load_lines(TRIAL(100, 6.0, 0.6, 0, 0) TRIAL(50, 3.0, 0.6, 500000, 10));
        const struct rowset *s = &gl.table[TABLE_SWEEP];
        cr_assert_eq(s->n, 2);
        cr_expect_eq(row_nf_limited(&s->v[0]), 0, "busy 60 %% of its polls at 100 %%: the generator set the rate");
        char why[256];
        cr_expect(strstr(row_baseline_na(&s->v[0], why, sizeof(why)) ?: "", "generator-limited") != NULL);
        cr_expect_float_eq(acc_mean(&s->v[1].throttled), 50.0, 1e-9, "0.5 s throttled of 10 periods of 100 ms");
        cr_expect_float_eq(acc_mean(&s->v[1].throttle_len), 50000.0, 1e-9, "us per throttled period");
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        model_render(f, &gl, FORMAT_TEXT);
        fclose(f);
        cr_expect(strstr(text, "n/a") != NULL && strstr(text, "q/100% n/a: generator-limited") != NULL, "%s", text);
        free(text);

        _cleanup_(model_free) struct run_model nl = load_lines(TRIAL(100, 6.0, 0.99, 0, 0) TRIAL(50, 3.0, 0.99, 0, 0));
        cr_expect_eq(row_nf_limited(&nl.table[TABLE_SWEEP].v[0]), 1);
        cr_expect_null(row_baseline_na(&nl.table[TABLE_SWEEP].v[0], why, sizeof(why)));
        f = open_memstream(&text, &len);
        model_render(f, &nl, FORMAT_JSON);
        fclose(f);
        cr_expect(strstr(text, "\"rate_vs_100\": 0.5") != NULL, "%s", text);
        free(text);

        /* A baseline that lost half of what it was offered is the NF's rate, idle polls or
         * not (a generator with holes leaves a saturated NF idle in between). */
        _cleanup_(model_free) struct run_model lossy = load_lines(
                "{\"index\": 0, \"repetition\": 0, \"quota\": 100, \"period_us\": 100000, \"frame_size\": 64, "
                "\"result\": {\"mpps\": 3.0, \"loss\": {\"ratio\": 0.5}}, \"nf\": {\"busy_share\": 0.8}}\n");
        cr_expect_eq(row_nf_limited(&lossy.table[TABLE_SWEEP].v[0]), 1);
        /* The plot's series decides by the same rule (it once had no loss, and said "nan %"). */
        cr_assert_eq(lossy.series.n, 1);
        cr_expect_eq(row_nf_limited(&lossy.series.v[0]), 1);
        _cleanup_(model_free) struct run_model clean = load_lines(
                "{\"index\": 0, \"repetition\": 0, \"quota\": 100, \"period_us\": 100000, \"frame_size\": 64, "
                "\"result\": {\"mpps\": 3.0, \"loss\": {\"ratio\": 0.01}}, \"nf\": {\"busy_share\": 0.8}}\n");
        cr_expect_eq(row_nf_limited(&clean.table[TABLE_SWEEP].v[0]), 0, "1 %% lost and idle polls: the generator's rate");
        cr_expect(strstr(row_baseline_na(&clean.table[TABLE_SWEEP].v[0], why, sizeof(why)) ?: "", "and lost 1 % (under 5 %)") !=
                          NULL, "%s", why);
        cr_expect(strstr(row_baseline_na(&clean.series.v[0], why, sizeof(why)) ?: "", "and lost 1 % (under 5 %)") != NULL,
                  "the plot's reason: %s", why);

        /* testpmd counts nothing from the inside: the ratio cannot be vouched for. */
        _cleanup_(model_free) struct run_model tp = load_lines(TRIAL(100, 6.0, 0, 0, 0));
        cr_expect_eq(row_nf_limited(&tp.table[TABLE_SWEEP].v[0]), -1);
        cr_expect(strstr(row_baseline_na(&tp.table[TABLE_SWEEP].v[0], why, sizeof(why)) ?: "", "does not count") != NULL);
}

/* The plot's series of search results: NF-limited unless the search hit the generator. */
Test(report, a_search_series_is_nf_limited_unless_the_generator_limited_it) {
        const char *ok = "{\"kind\": \"search\", \"index\": 0, \"repetition\": 0, \"quota\": 100, \"period_us\": 100000, "
                         "\"frame_size\": 64, \"method\": \"ndr\", \"found_mpps\": 5.0, \"generator_limited\": false}\n";
        const char *lim = "{\"kind\": \"search\", \"index\": 0, \"repetition\": 1, \"quota\": 100, \"period_us\": 100000, "
                          "\"frame_size\": 64, \"method\": \"ndr\", \"found_mpps\": 9.0, \"generator_limited\": true}\n";
        _cleanup_(model_free) struct run_model a = load_lines(ok);
        cr_assert_eq(a.series.n, 1);
        cr_expect_eq(row_nf_limited(&a.series.v[0]), 1);
        char both[1024], why[256];
        snprintf(both, sizeof(both), "%s%s", ok, lim);
        _cleanup_(model_free) struct run_model b = load_lines(both);
        cr_assert_eq(b.series.n, 1);
        cr_expect_eq(row_nf_limited(&b.series.v[0]), 0);
        cr_expect(strstr(row_baseline_na(&b.series.v[0], why, sizeof(why)) ?: "", "reached the generator's limit") != NULL,
                  "%s", why);
}

/* The generator's time series at a glance: buckets where it sent under 90 % of what was
 * due, buckets where packets were due and none came back, and the longest such run. */
Test(counters, series_summary_counts_silent_and_behind_buckets) {
        json_t *s = json_pack("{s:I, s:[iiiiiii], s:[iiiiiii], s:[iiiiiii]}", "bucket_ns", (json_int_t)1000000, "due", 100,
                              100, 100, 100, 100, 100, 0, "sent", 100, 80, 100, 100, 100, 100, 0, "received", 90, 70, 0, 0,
                              0, 50, 0);
        json_t *j = series_summary(s);
        cr_assert_not_null(j);
        cr_expect_eq(json_integer_value(json_object_get(j, "buckets")), 7);
        cr_expect_float_eq(json_real_value(json_object_get(j, "gen_behind_ms")), 1.0, 1e-9);
        cr_expect_float_eq(json_real_value(json_object_get(j, "silent_ms")), 3.0, 1e-9,
                           "a bucket with nothing due is not silent");
        cr_expect_float_eq(json_real_value(json_object_get(j, "longest_silence_ms")), 3.0, 1e-9);
        json_decref(j);
        /* Arrays of different lengths, or no bucket length: no summary, not a guess. */
        json_array_append_new(json_object_get(s, "due"), json_integer(1));
        cr_expect_null(series_summary(s));
        json_decref(s);
        cr_expect_null(series_summary(NULL));
}

/* The generator's floor is printed above the results with its window and samples, or why
 * it was not measured; a run without one (an older isolab's) prints nothing of it. */
Test(report, the_generator_floor_is_printed_beside_the_results) {
        _cleanup_(model_free) struct run_model m = load_lines(TRIAL(100, 6.0, 0.99, 0, 0));
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_TEXT);
        fclose(f);
        cr_expect_null(strstr(text, "floor"), "%s", text);
        free(text);
        m.run = json_pack("{s:{s:f, s:i, s:s, s:f, s:f, s:b, s:{s:i, s:i, s:i, s:i, s:i}}}", "floor", "window_s", 1.0,
                          "frame_size", 64, "rate", "line", "mpps", 14.25, "loss_ratio", 0.0, "generator_shortfall", 1,
                          "latency", "samples", 14250000, "min_ns", 140, "p50_ns", 600, "p99_ns", 2100, "max_ns", 60000);
        f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_TEXT);
        fclose(f);
        cr_expect(strstr(text, "Generator floor (no NF, its port looped back; 1.0 s at 64 B, rate line): 14.250 Mpps (its "
                               "ceiling: it could not offer more), loss 0.00 %, latency min 0.1 / p50 0.6 / p99 2.1 / max "
                               "60.0 us over 14250000 packets\n") != NULL,
                  "%s", text);
        free(text);
        f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_JSON);
        fclose(f);
        cr_expect(strstr(text, "\"floor\": {") != NULL, "%s", text);
        free(text);
        json_decref(m.run);
        m.run = json_pack("{s:{s:s}}", "floor", "skipped", "--no-floor");
        f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_TEXT);
        fclose(f);
        cr_expect(strstr(text, "Generator floor: not measured (--no-floor)\n") != NULL, "%s", text);
        free(text);
}

/* Where the loss was counted: each part as a share of what was offered, so the parts add
 * up to the row's loss %; a part the NF does not count is "-", not 0. */
Test(report, loss_parts_are_shares_of_the_offered_packets) {
        _cleanup_(model_free) struct run_model m = load_lines(
                "{\"index\": 0, \"repetition\": 0, \"quota\": 50, \"period_us\": 100000, \"frame_size\": 64, \"result\": "
                "{\"mpps\": 1.0, \"tx\": {\"offered\": 1000}, \"loss\": {\"ratio\": 0.3}}, \"loss_parts\": {\"lost\": 300, "
                "\"link_refused\": 250, \"nf_rx_missed\": 0, \"nf_tx_drops\": null, \"gen_rx_missed\": 10, \"unseen\": 40}}\n");
        const struct mrow *r = &m.table[TABLE_SWEEP].v[0];
        cr_expect_float_eq(acc_mean(&r->lparts[LP_LINK_REFUSED]), 25.0, 1e-9);
        cr_expect_eq(r->lparts[LP_NF_TX_DROPS].n, 0, "null is not known, not zero");
        cr_expect_float_eq(acc_mean(&r->lparts[LP_UNSEEN]), 4.0, 1e-9);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_TEXT);
        fclose(f);
        cr_expect(strstr(text, "    50%   100ms     64    30.00         25.00          0.00            -           1.00     4.00\n") !=
                          NULL,
                  "%s", text);
        free(text);
        f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_CSV);
        fclose(f);
        cr_expect(strstr(text, ",25.000,0.000,,1.000,4.000,") != NULL, "%s", text);
        free(text);
}

/* What else ran on a CPU: /proc/stat's irq, softirq and steal ticks and /proc/softirqs'
 * column of that CPU (found by the header: an offline CPU has no column). */
Test(counters, per_cpu_interrupt_work_and_steal) {
        const char *stat = "cpu  10 0 10 100 0 5 50 7 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 9 0 9 90 0 4 40 6 0 0\nintr 1\n";
        FILE *f = fmemopen((void *)stat, strlen(stat), "r");
        uint64_t t[3] = { 0 };
        cr_expect(procstat_cpu(f, 1, t));
        fclose(f);
        cr_expect(t[0] == 4 && t[1] == 40 && t[2] == 6, "irq %lu softirq %lu steal %lu", (unsigned long)t[0],
                  (unsigned long)t[1], (unsigned long)t[2]);
        f = fmemopen((void *)stat, strlen(stat), "r");
        cr_expect_not(procstat_cpu(f, 3, t));
        fclose(f);
        const char *sirq = "                    CPU0       CPU2\n          HI:          1          2\n"
                           "      NET_RX:        100     240846\n       TIMER:          7          9\n";
        char kind[SOFTIRQ_KINDS][12];
        uint64_t n[SOFTIRQ_KINDS];
        f = fmemopen((void *)sirq, strlen(sirq), "r");
        cr_assert_eq(softirqs_cpu(f, 2, kind, n, SOFTIRQ_KINDS), 3);
        fclose(f);
        cr_expect_str_eq(kind[1], "NET_RX");
        cr_expect_eq(n[1], 240846, "CPU2 is the header's second column");
        f = fmemopen((void *)sirq, strlen(sirq), "r");
        cr_expect_eq(softirqs_cpu(f, 1, kind, n, SOFTIRQ_KINDS), 0, "CPU1 is offline: no column");
        fclose(f);

        struct cpu_snap a = { .n = 1, .n_kinds = 2, .cpu = { 1 }, .role = { "pmd" }, .ticks = { { 0, 10, 1 } },
                              .kind = { "NET_RX", "TIMER" }, .softirq = { { 5, 3 } } };
        struct cpu_snap b = a;
        b.ticks[0][1] = 140;
        b.softirq[0][0] = 1005;
        json_t *j = cpu_snap_delta(&a, &b, 100);
        json_t *c1 = json_object_get(j, "1");
        cr_expect_float_eq(json_real_value(json_object_get(c1, "softirq_ms")), 1300.0, 1e-9, "130 ticks of 10 ms");
        cr_expect_eq(json_integer_value(json_object_get(json_object_get(c1, "softirqs"), "NET_RX")), 1000);
        cr_expect_null(json_object_get(json_object_get(c1, "softirqs"), "TIMER"), "a kind that did not move is left out");
        cr_expect_str_eq(json_string_value(json_object_get(c1, "role")), "pmd");
        json_decref(j);
}

/* The CPU a thread last ran on: field 39 of its stat, after a command that may hold
 * spaces and parentheses. */
Test(counters, stat_processor_skips_the_command) {
        char line[512] = "1234 (a (b) c) S";
        for (int f = 4; f <= 38; f++)
                strcat(line, " 0");
        strcat(line, " 7 0 0\n");
        cr_expect_eq(stat_processor(line), 7);
        cr_expect_eq(stat_processor("1 (x) S 1 2\n"), -1, "too few fields");
        cr_expect_eq(stat_processor(NULL), -1);
}

/* --ring-size LIST: a dimension of the run, as a variant (the agents restart with other
 * rings): NF kind x ring size x pinning. */
Test(experiment, ring_sizes_are_variants) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--ring-size", "256,1024,4096", "--nf", "isolab-nf,testpmd", "--pinning",
                           "pinned,unpinned"),
                     0, "%s", d.msg);
        cr_expect_eq(x.n_ring, 3);
        cr_expect_eq(n_variants(&x), 12);
        cr_expect_eq(variant_ring(&x, 2), 1024);
        cr_expect_eq(variant_pin(&x, 3), 1);
        cr_expect_str_eq(variant_nf(&x, 6)->name, "testpmd");
        cr_expect_eq(variant_ring(&x, 6), 256);
        _cleanup_(experiment_free) struct experiment y = { 0 };
        cr_assert_eq(BUILD(&y, EXP_SWEEP, &d, "sweep"), 0, "%s", d.msg);
        cr_expect(y.n_ring == 1 && y.rings[0] == 0, "no --ring-size: the driver's default, one variant");
        struct {
                char *argv[6];
                const char *msg;
        } bad[] = {
                { { "sweep", "--ring-size", "100" }, "--ring-size 100: give a power of two from 64 to 4096" },
                { { "sweep", "--ring-size", "256,256" }, "--ring-size names 256 twice" },
                { { "sweep", "--ring-size", "64,128,256,512,1024" }, "give one to 4 sizes" },
                { { "sweep", "--ring-size", "8192" }, "power of two from 64 to 4096" },
                { { "sweep", "--ring-size", "1k" }, "--ring-size 1k: give a power of two" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(experiment_free) struct experiment z = { 0 };
                d = (struct diag){ 0 };
                cr_expect_lt(build(&z, EXP_SWEEP, &d, bad[i].argv), 0, "case %zu was taken", i);
                cr_expect(strstr(d.msg, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, d.msg, bad[i].msg);
        }
}

/* Rows per ring size, with their own baseline, and a ring column when there are several. */
Test(report, ring_sizes_make_rows_of_their_own) {
        _cleanup_(model_free) struct run_model m = load_lines(
                "{\"index\": 0, \"repetition\": 0, \"quota\": 100, \"period_us\": 100000, \"frame_size\": 64, \"ring_size\": "
                "256, \"result\": {\"mpps\": 4.0, \"loss\": {\"ratio\": 0.5}}}\n"
                "{\"index\": 1, \"repetition\": 0, \"quota\": 100, \"period_us\": 100000, \"frame_size\": 64, \"ring_size\": "
                "4096, \"result\": {\"mpps\": 5.0, \"loss\": {\"ratio\": 0.5}}}\n"
                "{\"index\": 2, \"repetition\": 0, \"quota\": 50, \"period_us\": 100000, \"frame_size\": 64, \"ring_size\": "
                "4096, \"result\": {\"mpps\": 2.5, \"loss\": {\"ratio\": 0.75}}}\n");
        cr_assert_eq(m.table[TABLE_SWEEP].n, 3);
        cr_expect(m.several_rings);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        model_render(f, &m, FORMAT_TEXT);
        fclose(f);
        cr_expect(strstr(text, " ring   quota") != NULL, "%s", text);
        cr_expect(strstr(text, " 4096     50%") != NULL && strstr(text, "  0.50\n") != NULL,
                  "the 50 %% row of ring 4096 over ring 4096's baseline (2.5 / 5.0):\n%s", text);
        free(text);
}

/* OVS's pmd-stats-show (3.1) as counters: PMD sections only, the main thread's left out. */
Test(nf, ovs_pmd_stats_are_parsed_per_pmd) {
        const char *text = "pmd thread numa_id 0 core_id 1:\n"
                           "  packets received: 4355868\n"
                           "  packet recirculations: 0\n"
                           "  emc hits: 4355836\n"
                           "  megaflow hits: 31\n"
                           "  idle cycles: 426523331 (15.10%)\n"
                           "  processing cycles: 2398098722 (84.90%)\n"
                           "  avg cycles per packet: 648.45 (2824622053/4355868)\n"
                           "pmd thread numa_id 0 core_id 3:\n"
                           "  packets received: 100\n"
                           "  idle cycles: 900 (90.00%)\n"
                           "  processing cycles: 100 (10.00%)\n"
                           "main thread:\n"
                           "  packets received: 77\n"
                           "  idle cycles: 5 (50.00%)\n"
                           "  processing cycles: 5 (50.00%)\n";
        json_t *j = ovs_pmd_stats_parse(text);
        cr_assert_not_null(j);
        cr_expect_eq(json_integer_value(json_object_get(j, "rx")), 4355968, "the main thread's 77 are not a PMD's");
        cr_expect_eq(json_integer_value(json_object_get(j, "processing_cycles")), 2398098822LL);
        cr_expect_float_eq(json_real_value(json_object_get(j, "busy_share")), 2398098822.0 / (2398098822.0 + 426524231.0), 1e-12);
        json_t *pmds = json_object_get(j, "pmds");
        cr_expect_eq(json_array_size(pmds), 2);
        cr_expect_eq(json_integer_value(json_object_get(json_array_get(pmds, 1), "core")), 3);
        json_decref(j);
        json_t *none = ovs_pmd_stats_parse("");
        cr_expect_eq(json_integer_value(json_object_get(none, "rx")), 0);
        cr_expect_float_eq(json_real_value(json_object_get(none, "busy_share")), 0, 1e-12);
        json_decref(none);
}

/* OVS's dpctl/show -s (3.1): the two ports' counters, the bridge's own and the datapath's left out. */
Test(nf, ovs_port_stats_are_parsed_for_the_two_ports) {
        const char *text = "netdev@ovs-netdev:\n"
                           "  lookups: hit:12324128 missed:0 lost:0\n"
                           "  flows: 1\n"
                           "  port 0: ovs-netdev (tap)\n"
                           "    RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n"
                           "    TX packets:0 errors:0 dropped:0 aborted:0 carrier:0\n"
                           "  port 1: p0 (dpdkvhostuserclient: configured_rx_queues=1, configured_tx_queues=1, mtu=1500)\n"
                           "    RX packets:13622675 errors:? dropped:7 overruns:? frame:?\n"
                           "    TX packets:0 errors:? dropped:0 aborted:? carrier:?\n"
                           "    RX bytes:817360500 (779.5 MiB)  TX bytes:0\n"
                           "  port 2: p1 (dpdkvhostuserclient: configured_rx_queues=1, configured_tx_queues=1, mtu=1500)\n"
                           "    RX packets:0 errors:? dropped:0 overruns:? frame:?\n"
                           "    TX packets:13622640 errors:? dropped:35 aborted:? carrier:?\n"
                           "  port 3: br0 (tap)\n"
                           "    RX packets:5 errors:0 dropped:9 overruns:0 frame:0\n";
        json_t *j = ovs_port_stats_parse(text);
        cr_assert_not_null(j);
        cr_expect_eq(json_object_size(j), 2, "p0 and p1 only");
        json_t *p0 = json_object_get(j, "p0"), *p1 = json_object_get(j, "p1");
        cr_expect_eq(json_integer_value(json_object_get(p0, "rx")), 13622675);
        cr_expect_eq(json_integer_value(json_object_get(p0, "rx_dropped")), 7);
        cr_expect_eq(json_integer_value(json_object_get(p1, "tx")), 13622640);
        cr_expect_eq(json_integer_value(json_object_get(p1, "tx_dropped")), 35);
        json_decref(j);
}

/* OVS's pmd-rxq-show (3.1): which PMD polls which queue, enabled or not, and its usage. */
Test(nf, ovs_rxq_placement_is_parsed) {
        const char *text = "Displaying last 60 seconds pmd usage %\n"
                           "pmd thread numa_id 0 core_id 1:\n"
                           "  isolated : false\n"
                           "  port: p0                queue-id:  0 (enabled)   pmd usage: 42 %\n"
                           "  port: p1                queue-id:  0 (disabled)  pmd usage: NOT AVAIL\n"
                           "  overhead:  3 %\n";
        json_t *a = ovs_rxq_parse(text);
        cr_assert_eq(json_array_size(a), 2);
        json_t *q0 = json_array_get(a, 0), *q1 = json_array_get(a, 1);
        cr_expect_eq(json_integer_value(json_object_get(q0, "core")), 1);
        cr_expect_str_eq(json_string_value(json_object_get(q0, "port")), "p0");
        cr_expect_str_eq(json_string_value(json_object_get(q0, "state")), "enabled");
        cr_expect_eq(json_integer_value(json_object_get(q0, "usage_pct")), 42);
        cr_expect_str_eq(json_string_value(json_object_get(q1, "state")), "disabled");
        cr_expect_null(json_object_get(q1, "usage_pct"), "NOT AVAIL is no number");
        json_decref(a);
}

/* Sweeps of these options (up to 6 words after the verb) that experiment_build refuses,
 * each with a message holding needle. */
struct refusal {
        const char *args[8], *needle;
};

static void expect_refusals(const struct refusal *bad, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_(experiment_free) struct experiment z = { 0 };
                char *argv[10] = { "sweep" };
                for (int k = 0; k < 8 && bad[i].args[k]; k++)
                        argv[k + 1] = (char *)bad[i].args[k];
                struct diag e = { 0 };
                cr_expect_lt(build(&z, EXP_SWEEP, &e, argv), 0, "accepted case %zu", i);
                cr_expect(strstr(e.msg, bad[i].needle), "case %zu: %s", i, e.msg);
        }
}

/* [ovs]: the ingress port's queues, descriptors and rx-queue affinity, checked against
 * the run; --fit folds them onto the PMDs a smaller machine has, and says so. */
Test(experiment, ovs_options_are_checked_and_fit_folds_them) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--nf", "ovs-dpdk", "--pmd-cores", "3", "--ovs-n-rxq", "2",
                           "--ovs-n-rxq-desc", "128", "--ovs-rxq-affinity", "0:1"),
                     0, "%s", d.msg);
        cr_expect_eq(x.ovs.n_rxq, 2);
        cr_expect_eq(x.ovs.rxq_desc, 128);
        cr_expect_eq(x.ovs.socket_mem_mb, 1024, "the study's --socket-mem=1024,0 by default");
        cr_expect_eq(x.ovs.affinity[0], 1);
        cr_expect_eq(x.ovs.affinity[1], -1);
        cr_expect_not(x.ovs.no_isolate, "two of three PMDs have no pinned queue: OVS's isolation leaves them the rest");
        cr_expect_eq(nf_find("ovs-dpdk")->hugepage_mem(&x), 1ULL << 30);
        /* A 1-core node: one PMD, the queue folded onto it, and isolation off. */
        experiment_fit(&x, 1, "node 0 has 2 cores");
        cr_expect_eq(x.o.pmd_cores, 1);
        cr_expect_eq(x.ovs.affinity[0], 0);
        cr_expect(x.ovs.no_isolate);
        const char *want[] = { "fit: 1 PMD core instead of the 3 asked (node 0 has 2 cores)",
                               "rx queue 0 on PMD 1 (0-based) as asked is on PMD 0 here", "pmd-rxq-isolate=false" };
        cr_assert_eq(json_array_size(x.warnings), 3);
        for (size_t i = 0; i < 3; i++)
                cr_expect(strstr(json_string_value(json_array_get(x.warnings, i)), want[i]), "%s",
                          json_string_value(json_array_get(x.warnings, i)));
        /* Enough cores: nothing changes, nothing is said. */
        experiment_fit(&x, 4, "unused");
        cr_expect_eq(x.o.pmd_cores, 1);
        cr_expect_eq(json_array_size(x.warnings), 3);

        /* One PMD with a pinned queue: the egress port's queue needs isolation off too. */
        _cleanup_(experiment_free) struct experiment y = { 0 };
        cr_assert_eq(BUILD(&y, EXP_SWEEP, &d, "sweep", "--nf", "ovs-dpdk", "--ovs-rxq-affinity", "0:0"), 0, "%s", d.msg);
        cr_expect(y.ovs.no_isolate);

        static const struct refusal bad[] = {
                { { "--ovs-n-rxq", "2" }, "--ovs-n-rxq ([ovs]) configures OVS, but the run has no --nf ovs-dpdk" },
                { { "--nf", "ovs-dpdk", "--ovs-n-rxq", "9" }, "--ovs-n-rxq 9: give 1 to 8" },
                { { "--nf", "ovs-dpdk", "--ovs-n-rxq-desc", "100" }, "--ovs-n-rxq-desc 100: give a power of two from 64 to 4096" },
                { { "--nf", "ovs-dpdk", "--ovs-rxq-affinity", "1:0" }, "the ingress port has 1 rx queue (0 to 0); raise --ovs-n-rxq" },
                { { "--nf", "ovs-dpdk", "--ovs-rxq-affinity", "0:2" }, "the run has 1 PMD core (0 to 0); raise --pmd-cores" },
                { { "--nf", "ovs-dpdk", "--ovs-rxq-affinity", "0-1" }, "give QUEUE:PMD, e.g. 0:1" },
                { { "--nf", "ovs-dpdk", "--ovs-n-rxq", "2", "--ovs-rxq-affinity", "0:0,0:0" }, "names queue 0 twice" },
                { { "--nf", "ovs-dpdk", "--ovs-socket-mem", "10" }, "--ovs-socket-mem 10: give MiB from 16" },
        };
        expect_refusals(bad, ELEMENTSOF(bad));
}

static void joined_words(const struct argvec *a, char *buf, size_t len) {
        buf[0] = '\0';
        for (int i = 0; i < a->n; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), " %s", a->v[i]);
}

/* The bridge as ovs-vsctl words: vhost-user client ports (their queues are the
 * generator's), or DPDK ports on PCI addresses with OVS's own queues and rings. */
Test(nf, ovs_bridge_words_for_vhost_and_pci) {
        struct ovs_bridge b = { .port = { "/run/isolab/r/link/ovs-0.sock", "/run/isolab/r/link/ovs-1.sock" }, .ring = 512,
                                .n_rxq = 2, .rxq_desc = 128, .affinity = "0:3" };
        struct argvec a = { 0 };
        char j[4096];
        ovs_bridge_argv(&b, &a);
        cr_assert_not(a.overflow);
        joined_words(&a, j, sizeof(j));
        cr_expect(strstr(j, " add-br br0 -- set bridge br0 datapath_type=netdev -- add-port br0 p0 -- set Interface p0 "
                            "type=dpdkvhostuserclient options:vhost-server-path=/run/isolab/r/link/ovs-0.sock ofport_request=1 "
                            "other_config:pmd-rxq-affinity=\"0:3\" -- add-port br0 p1 -- set Interface p1 "
                            "type=dpdkvhostuserclient options:vhost-server-path=/run/isolab/r/link/ovs-1.sock ofport_request=2")
                          == j, "%s", j);
        cr_expect_null(strstr(j, "n_rxq"), "a vhost port's queues come from its frontend: %s", j);

        struct ovs_bridge p = { .pci = true, .port = { "0000:af:00.0", "0000:af:00.1" }, .ring = 1024, .n_rxq = 2,
                                .rxq_desc = 128 };
        a = (struct argvec){ 0 };
        ovs_bridge_argv(&p, &a);
        joined_words(&a, j, sizeof(j));
        cr_expect(strstr(j, " p0 -- set Interface p0 type=dpdk options:dpdk-devargs=0000:af:00.0 ofport_request=1 "
                            "options:n_rxq=2 options:n_rxq_desc=128 options:n_txq_desc=1024 -- "),
                  "%s", j);
        cr_expect(strstr(j, " p1 -- set Interface p1 type=dpdk options:dpdk-devargs=0000:af:00.1 ofport_request=2 "
                            "options:n_rxq_desc=1024 options:n_txq_desc=1024"),
                  "%s", j);
        cr_expect_null(strstr(j, "affinity"), "%s", j);
}

/* OVS's pmd-perf-show (3.1): iterations, TSC cycles and the cycles/iteration histogram's
 * first column; the iterations over 250 us are the bins from there on. */
Test(nf, ovs_perf_show_counts_iterations_over_250us) {
        const char *text = "Time: 08:40:45.862\n"
                           "Measurement duration: 4.451 s\n"
                           "\n"
                           "pmd thread numa_id 0 core_id 1:\n"
                           "\n"
                           "  Iterations:              1350213  (2.98 us/it)\n"
                           "  - Used TSC cycles:   10461483183  ( 90.4 % of total cycles)\n"
                           "  - idle iterations:        831110  (  2.3 % of used cycles)\n"
                           "  Rx packets:             16604298  (3730 Kpps, 616 cycles/pkt)\n"
                           "Histograms\n"
                           "   cycles/it              packets/it             cycles/pkt\n"
                           "   499       829284       0         831110       100       0\n"
                           "   461058    4            72        0            19036     0\n"
                           "   660385    1            92        0            20033     0\n"
                           "   24000000  0            1000      0            30000     0\n"
                           "   >         41           >         0            >         21\n"
                           "-------------------------------------------------------------\n"
                           "   cycles/it              packets/it             cycles/pkt\n"
                           "   15863                  22.09090               711\n";
        json_t *j = ovs_perf_parse(text);
        double hz = json_number_value(json_object_get(j, "tsc_hz"));
        cr_expect(hz > 2.59e9 && hz < 2.61e9, "TSC %.0f Hz", hz);
        json_t *p = json_array_get(json_object_get(j, "pmds"), 0);
        cr_expect_eq(json_integer_value(json_object_get(p, "core")), 1);
        cr_expect_eq(json_integer_value(json_object_get(p, "iterations")), 1350213);
        json_t *bins = json_object_get(p, "cycles_per_iteration");
        cr_assert_eq(json_array_size(bins), 5, "%zu bins", json_array_size(bins));
        cr_expect(json_is_null(json_object_get(json_array_get(bins, 4), "to_cycles")), "the overflow bin has no bound");
        /* A bin holds iterations up to its edge: those from 660385 cycles (254 us) on count,
         * 0 + 41; the one up to 660385, from 461058 (177 us), does not. */
        cr_expect_eq(json_integer_value(json_object_get(p, "long_iterations")), 41);
        cr_expect_eq(json_integer_value(json_object_get(j, "long_iterations")), 41);
        double longest = json_number_value(json_object_get(p, "longest_at_least_us"));
        cr_expect(longest > 9200 && longest < 9250, "the overflow bin starts at 24M cycles, %.0f us", longest);
        json_decref(j);
}

Test(nf, ovs_suspicious_iterations_are_counted_with_their_length) {
        const char *log = "2026-12-05T08:40:43Z|00141|pmd_perf|INFO|pmd-perf-log-set: on, before=5, after=5\n"
                          "2026-12-05T08:40:43Z|00002|pmd_perf(pmd-c01/id:8)|WARN|Suspicious iteration (Excessive total "
                          "cycles): iter=56441819 duration=857 us\n"
                          "2026-12-05T08:40:43Z|00003|pmd_perf(pmd-c01/id:8)|WARN|Neighborhood of suspicious iteration:\n"
                          "   iter   cycles\n"
                          "2026-12-05T08:40:43Z|00004|pmd_perf(pmd-c01/id:8)|WARN|Suspicious iteration (Vhost RX queue full): "
                          "iter=56441826 duration=5 us\n"
                          "2026-12-05T08:40:56Z|00853|pmd_perf(pmd-c01/id:8)|WARN|Suspicious iteration (Excessive total "
                          "cycles): iter=58819681 duration=51461 us\n";
        json_t *j = ovs_suspicious_parse(log);
        cr_expect_eq(json_integer_value(json_object_get(j, "long_iterations_logged")), 2);
        cr_expect_eq(json_integer_value(json_object_get(j, "other_logged")), 1);
        cr_expect_eq(json_number_value(json_object_get(j, "longest_us")), 51461);
        cr_expect_eq(json_number_value(json_object_get(j, "logged_us")), 52318);
        json_decref(j);
        j = ovs_suspicious_parse("");
        cr_expect_eq(json_integer_value(json_object_get(j, "long_iterations_logged")), 0);
        json_decref(j);
}

/* The container's cgroup from its process's /proc/PID/cgroup: v1's cpu line, or the
 * unified one. */
Test(container, cgroup_path_of_proc_cgroup) {
        const char *v1 = "12:pids:/isolab/r/nf/abc\n4:cpu,cpuacct:/isolab/r/nf/abc\n3:cpuset:/isolab/r/nf/abc\n0::/\n";
        char buf[200];
        cr_assert_eq(container_cgroup_of(v1, "cpu", buf, sizeof(buf)), 0);
        cr_expect_str_eq(buf, "isolab/r/nf/abc");
        cr_assert_eq(container_cgroup_of(v1, "cpuacct", buf, sizeof(buf)), 0);
        cr_expect_eq(container_cgroup_of(v1, "memory", buf, sizeof(buf)), -ENOENT);
        cr_assert_eq(container_cgroup_of("0::/isolab/r/nf/libpod-1\n", NULL, buf, sizeof(buf)), 0);
        cr_expect_str_eq(buf, "isolab/r/nf/libpod-1");
        /* "cpuset" is not "cpu". */
        cr_expect_eq(container_cgroup_of("3:cpuset:/x\n", "cpu", buf, sizeof(buf)), -ENOENT);
}

/* --container: each engine once, and what a container cannot do refused with the fix. */
Test(container, options_are_checked) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--nf", "ovs-dpdk,isolab-nf", "--container", "none,docker",
                           "--container-headroom", "20"),
                     0, "%s", d.msg);
        cr_expect_eq(x.n_ct, 2);
        cr_expect_eq(n_variants(&x), 4, "NF kind x container");
        cr_expect(container_is_host(variant_ct(&x, 0)));
        cr_expect_str_eq(variant_ct(&x, 1)->name, "docker");
        cr_expect_str_eq(variant_nf(&x, 1)->name, "ovs-dpdk");
        cr_expect_str_eq(variant_nf(&x, 2)->name, "isolab-nf");
        cr_expect_eq(x.ct_headroom, 20);
        static const struct refusal bad[] = {
                { { "--container", "lxc" }, "--container lxc: use none, docker or podman" },
                { { "--container", "docker,docker" }, "--container names docker twice" },
                { { "--container", "docker", "--link", "memif" }, "runs the NF over --link vhost" },
                { { "--container", "docker", "--quota-scope", "pmd" }, "use --quota-scope process with --container" },
                { { "--container", "podman", "--nf", "none" }, "--nf none has no process to put in a container" },
                { { "--container-image", "mine" }, "are for --container docker or podman" },
                { { "--container", "docker", "--container-headroom", "lots" }, "--container-headroom lots: give % of one CPU" },
        };
        expect_refusals(bad, ELEMENTSOF(bad));
}

/* An engine that is not installed is one sentence naming its package. */
Test(container, a_missing_engine_names_its_package) {
        struct container_ops fake = container_podman;
        fake.bin = "/nonexistent/podman";
        struct diag d = { 0 };
        cr_expect_eq(fake.check(&fake, &d), -ENOENT);
        cr_expect_str_eq(d.msg, "--container podman: /nonexistent/podman is missing; install Debian's podman (make deps)");
}

/* --gen-host: the generator's own host; with --link pci the NF's two ports in --ports and
 * the generator's two in --gen-ports (the same address may be on each host). */
Test(experiment, gen_host_options) {
        _cleanup_(experiment_free) struct experiment x = { 0 };
        struct diag d = { 0 };
        unsetenv("ISOLAB_SSH_COMMAND");
        cr_assert_eq(BUILD(&x, EXP_SWEEP, &d, "sweep", "--gen-host", "root@loadgen:2222", "--link", "pci", "--ports",
                           "0000:af:00.0,0000:af:00.1", "--gen-ports", "af:00.0,af:00.1", "--gen-ssh", "ssh -i /root/k"),
                     0, "%s", d.msg);
        cr_expect(x.gen_remote);
        cr_expect_str_eq(x.gh.dest, "root@loadgen");
        cr_expect_eq(x.gh.port, 2222);
        cr_expect_str_eq(x.gh.ssh_cmd, "ssh -i /root/k");
        cr_expect_str_eq(x.ports[0], "0000:af:00.0", "the generator's, first");
        cr_expect_str_eq(x.ports[2], "0000:af:00.0", "then the NF's");
        /* ISOLAB_SSH_COMMAND wins over [gen] ssh, like GIT_SSH_COMMAND. */
        _cleanup_(experiment_free) struct experiment y = { 0 };
        setenv("ISOLAB_SSH_COMMAND", "/usr/bin/ssh -F /root/lab/config", 1);
        cr_assert_eq(BUILD(&y, EXP_SWEEP, &d, "sweep", "--gen-host", "loadgen", "--gen-ssh", "ssh -i /root/k"), 0, "%s", d.msg);
        cr_expect_str_eq(y.gh.ssh_cmd, "/usr/bin/ssh -F /root/lab/config");
        unsetenv("ISOLAB_SSH_COMMAND");
        static const struct refusal bad[] = {
                { { "--gen-ports", "0000:af:00.0,0000:af:00.1" }, "--gen-ports is for --gen-host" },
                { { "--gen-ssh", "ssh" }, "--gen-ssh is for --gen-host" },
                { { "--gen-host", "h", "--link", "pci", "--ports", "0000:af:00.0,0000:af:00.1" }, "needs --gen-ports" },
                { { "--gen-host", "h", "--link", "pci", "--ports", "0000:af:00.0", "--gen-ports", "af:00.0,af:00.1" },
                  "needs --ports with the NF's 2" },
                { { "--gen-host", "h", "--gen-ports", "af:00.0,af:00.1" }, "--gen-ports is for --link pci" },
                { { "--gen-host", "h", "--link", "pci", "--ports", "af:00.0,af:00.1", "--gen-ports", "af:00.0,af:00.0" },
                  "--gen-ports names 0000:af:00.0 twice" },
                { { "--gen-host", "root@-x" }, "is not a host name" },
        };
        expect_refusals(bad, ELEMENTSOF(bad));
}
