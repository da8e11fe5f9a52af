/* isolab sweep for real, as root: a short sweep on this machine, then the same
 * interrupted by SIGINT.  Both change the hugepage reservation, so they hold the
 * sysfix lock; both check that the machine is as it was afterwards. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controller/cgroup.h"
#include "controller/cleanup.h"
#include "tests/system/ownrun.h"
#include "tests/system/sysfix.h"

static char out[] = "/tmp/isolab-sweep-XXXXXX";
static int lock_fd = -1;
static long saved_nr = -1;
static pid_t sweep = -1;
static struct cg_mounts mounts;

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: the sweep makes cgroups, reserves hugepages and mounts hugetlbfs");
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
                cr_skip_test("needs 2 CPUs: the generator and the NF poll on separate CPUs");
        cr_assert_not_null(mkdtemp(out));
        ownrun_reset();
        lock_fd = sysfix_lock();
        cr_assert_geq(lock_fd, 0);
        saved_nr = sysfix_read_long(SYSFIX_NR_2M);
        struct diag d = { 0 };
        cr_assert_eq(cg_detect(&mounts, &d), 0, "%s", d.msg);
}

static void engines_down(void);
static void sshd_down(void);

static void teardown(void) {
        if (sweep > 0) {
                kill(sweep, SIGKILL);
                waitpid(sweep, NULL, 0);
                sweep = -1;
        }
        engines_down();
        sshd_down();
        if (saved_nr >= 0)
                cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), saved_nr, "the hugepage reservation was not restored");
        saved_nr = -1;
        sysfix_unlock(lock_fd);
        lock_fd = -1;
        sysfix_rm_rf(out);
}

TestSuite(sweep, .init = setup, .fini = teardown, .timeout = 180);

/* Starts isolab VERB ARGS... --warmup 0.3s --out OUT/run (args NULL-terminated), its
 * output appended to OUT/isolab.log. */
static pid_t start_isolab(const char *verb, const char *const args[]) {
        char dir[128];
        snprintf(dir, sizeof(dir), "%s/run", out);
        const char *av[32] = { "isolab", verb };
        size_t n = 2;
        for (size_t i = 0; args[i] && n < 26; i++)
                av[n++] = args[i];
        av[n++] = "--warmup";
        av[n++] = "0.3s";
        av[n++] = "--out";
        av[n++] = dir;
        av[n] = NULL;
        char log[160];
        snprintf(log, sizeof(log), "%s/isolab.log", out);
        pid_t pid = fork();
        if (pid == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                dup2(fd, 1);
                dup2(fd, 2);
                execv(ISOLAB_BUILD "/isolab", (char *const *)av);
                _exit(127);
        }
        if (pid > 0)
                ownrun_add_pid(pid);
        return pid;
}

/* Waits for the running sweep to end; its status. */
static int sweep_wait(void) {
        int status = 0;
        cr_assert_eq(waitpid(sweep, &status, 0), sweep);
        sweep = -1;
        return status;
}

static pid_t start_sweep_args(const char *quotas, const char *duration, const char *extra) {
        const char *args[] = { "--cpu-quota", quotas, "--duration", duration, extra, NULL };
        return start_isolab("sweep", args);
}

static pid_t start_sweep(const char *quotas, const char *duration) {
        return start_sweep_args(quotas, duration, NULL);
}

/* This test's runs with a cgroup under isolab/ in the cpu hierarchy, and whether one has its nf group. */
static int count_isolab_groups(bool *nf_seen) {
        return ownrun_groups(mounts.cpu_root, "nf", nf_seen);
}

/* The first pid in this test's run's group (e.g. "nf"), or -1. */
static pid_t own_agent(const char *group) {
        pid_t pid = -1;
        for (int i = 0; i < 100 && ownrun_pids(mounts.cpu_root, group, &pid, 1) == 0; i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        return pid;
}

static json_t *trials(size_t *ret_n) {
        char path[128];
        snprintf(path, sizeof(path), "%s/run/trials.jsonl", out);
        FILE *f = fopen(path, "re");
        json_t *a = json_array();
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                json_t *t = json_loads(line, 0, NULL);
                cr_assert_not_null(t, "a torn line in trials.jsonl: %s", line);
                json_array_append_new(a, t);
        }
        free(line);
        if (f)
                fclose(f);
        *ret_n = json_array_size(a);
        return a;
}

static double num(json_t *t, const char *a, const char *b) {
        json_t *v = json_object_get(t, a);
        return json_number_value(b ? json_object_get(v, b) : v);
}

/* Waits (at most seconds) until the running sweep has written its first trial line; else
 * fails with the end of its output. */
static void wait_first_trial_within(int seconds) {
        char path[128];
        snprintf(path, sizeof(path), "%s/run/trials.jsonl", out);
        struct stat st = { 0 };
        for (int i = 0; i < seconds * 20 && (stat(path, &st) < 0 || st.st_size == 0); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        if (st.st_size > 0)
                return;
        char log[160], tail[1200] = "";
        snprintf(log, sizeof(log), "%s/isolab.log", out);
        FILE *f = fopen(log, "re");
        if (f) {
                fseek(f, 0, SEEK_END);
                long end = ftell(f);
                fseek(f, end > (long)sizeof(tail) - 1 ? end - (long)sizeof(tail) + 1 : 0, SEEK_SET);
                size_t n = fread(tail, 1, sizeof(tail) - 1, f);
                tail[n] = '\0';
                fclose(f);
        }
        cr_assert_fail("no trial finished within %d s; isolab's output ends: %s", seconds, tail);
}

static void wait_first_trial(void) {
        wait_first_trial_within(30);
}

/* SIGINT to the running sweep: it ends with status 1 and keeps its finished trials,
 * at least one and fewer than all. */
static void interrupt_sweep(size_t all) {
        kill(sweep, SIGINT);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
        size_t n;
        json_t *a = trials(&n);
        cr_expect_geq(n, 1);
        cr_expect_lt(n, all, "the run went to its end despite SIGINT");
        json_decref(a);
}

/* `isolab report` of this test's run, as text (at most len - 1 bytes). */
static void report_text(char *text, size_t len) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab report %s/run", out);
        FILE *rp = popen(cmd, "r");
        size_t got = rp ? fread(text, 1, len - 1, rp) : 0;
        text[got] = '\0';
        if (rp)
                pclose(rp);
}

/* Nothing of this test's runs is left: cgroups, mounts, run directories, processes. */
static void expect_machine_clean(void) {
        char *left = ownrun_leftovers(mounts.cpu_root, mounts.cpuset_root, mounts.cpuacct_root);
        cr_expect_null(left, "left behind: %s", left);
        free(left);
}

/* Every share over its own counter's window, so within its bounds on every trial (the
 * fixtures of an older isolab had a single PMD at 172 % and stalls over 100 %). */
static void expect_bounded(json_t *a) {
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                if (json_object_get(t, "error"))
                        continue;
                double cpu = num(t, "pmd", "cpu_share"), st = num(t, "nf", "stalled_pct");
                double thr = num(t, "cgroup", "throttled_time_pct");
                cr_expect(cpu >= 0 && cpu <= 1, "trial %zu: pmd.cpu_share %.3f", i, cpu);
                cr_expect(st >= 0 && st <= 100, "trial %zu: nf.stalled_pct %.1f", i, st);
                cr_expect(thr >= 0 && thr <= 100, "trial %zu: cgroup.throttled_time_pct %.1f", i, thr);
                cr_expect(json_is_object(json_object_get(t, "windows")), "trial %zu has no windows", i);
                /* The NF's partition of its PMD's time: busy + idle + stalled is the time it
                 * polled, about its stats window (one PMD core here), nothing counted twice. */
                double polled = num(t, "nf", "busy_ns") + num(t, "nf", "idle_ns") + num(t, "nf", "stall_ns");
                double win = num(t, "windows", "nf_stats_ns");
                cr_expect(win > 0 && polled / win > 0.8 && polled / win < 1.02,
                          "trial %zu: busy + idle + stalled = %.0f ns over a %.0f ns window", i, polled, win);
                /* The loss parts add up to the generator's loss, and the NF's own counters
                 * see no more drops than the generator lost. */
                double lost = num(t, "loss_parts", "lost"), parts = num(t, "loss_parts", "link_refused") +
                                                                    num(t, "loss_parts", "nf_rx_missed") +
                                                                    num(t, "loss_parts", "nf_tx_drops") +
                                                                    num(t, "loss_parts", "gen_rx_missed") +
                                                                    num(t, "loss_parts", "unseen");
                json_t *res = json_object_get(t, "result");
                cr_expect_eq(lost, num(res, "loss", "packets"), "trial %zu: loss_parts.lost %.0f", i, lost);
                cr_expect_eq(parts, lost + num(t, "loss_parts", "overcounted"), "trial %zu: parts %.0f, lost %.0f", i, parts,
                             lost);
                cr_expect_eq(num(t, "loss_parts", "overcounted"), 0,
                             "trial %zu: the NF counted %.0f drops more than the generator lost: windows overlap", i,
                             num(t, "loss_parts", "overcounted"));
                /* Burst loss from sequence gaps counts the same packets as the counters. */
                json_t *b = json_object_get(res, "burst");
                cr_expect(json_is_object(b), "trial %zu has no burst loss", i);
                cr_expect_eq(num(b, "lost", NULL) - num(b, "filled", NULL), num(res, "loss", "packets"),
                             "trial %zu: runs lost %.0f (%.0f filled), counters %.0f", i, num(b, "lost", NULL),
                             num(b, "filled", NULL), num(res, "loss", "packets"));
                cr_expect_eq(num(json_object_get(b, "per_window"), "window_ns", NULL), num(t, "period_us", NULL) * 1000,
                             "trial %zu: the loss windows are the CFS period", i);
        }
}

Test(sweep, three_quotas_throttle_scale_and_leave_nothing_behind) {
        sweep = start_sweep("100,25,12.5", "1s");
        bool nf_seen = false;
        int st;
        while (waitpid(sweep, &st, WNOHANG) == 0) {
                count_isolab_groups(&nf_seen);
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        sweep = -1;
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "isolab sweep failed (status %d); see %s/run/*.log", st, out);
        cr_expect(nf_seen, "the nf cgroup was never seen during the run");
        expect_machine_clean();

        size_t n;
        json_t *a = trials(&n);
        cr_assert_eq(n, 3);
        json_t *q100 = NULL, *q25 = NULL, *q12 = NULL;
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                double q = num(t, "quota", NULL);
                *(q == 100 ? &q100 : q == 25 ? &q25 : &q12) = t;
        }
        cr_assert(q100 && q25 && q12);
        cr_expect_gt(num(q25, "cgroup", "nr_throttled"), 0, "no throttled period at 25 %%");
        /* The PMD share follows the quota; the NF's other threads cost next to nothing. */
        cr_expect_lt(num(q12, "pmd", "cpu_share"), 0.3, "PMD CPU share at 12.5 %%: %.2f", num(q12, "pmd", "cpu_share"));
        cr_expect(json_is_integer(json_object_get(json_object_get(q12, "nf"), "other_threads_cpu_ns")));
        double r100 = json_number_value(json_object_get(json_object_get(q100, "result"), "mpps"));
        double r12 = json_number_value(json_object_get(json_object_get(q12, "result"), "mpps"));
        cr_expect_gt(r100, 0);
        cr_expect_lt(r12, 0.5 * r100, "12.5 %% forwarded %.3f Mpps, 100 %% %.3f", r12, r100);
        /* Throttling as time: at 25 %% the group is throttled for most of each period. */
        cr_expect_gt(num(q25, "cgroup", "throttled_time_pct"), 40, "throttled time at 25 %%: %.1f %%",
                     num(q25, "cgroup", "throttled_time_pct"));
        expect_bounded(a);
        /* The ratio to 100 %% is given only over an NF-limited baseline, else said n/a. */
        bool nf_limited = num(q100, "nf", "busy_share") >= 0.95 || 100 * num(json_object_get(q100, "result"), "loss", "ratio") >= 5;
        /* Each trial's time series (1 ms buckets of due, sent, received) is in series.jsonl
         * under the id its line names, with the summary in the line. */
        json_array_foreach(a, i, t) {
                json_t *sum = json_object_get(t, "series");
                cr_expect(json_is_string(json_object_get(sum, "id")), "trial %zu: no series id", i);
                cr_expect_gt(num(sum, "buckets", NULL), 500, "trial %zu: %.0f buckets for a 1 s trial", i, num(sum, "buckets", NULL));
        }
        cr_expect_gt(num(q12, "series", "silent_ms"), 100, "12.5 %%: no silent ms in the series");
        /* At 12.5 % of a 100 ms period the NF cannot run 87.5 ms of each: no packet gets
         * through for most of that, and the burst loss says so per period. */
        json_t *w12 = json_object_get(json_object_get(json_object_get(q12, "result"), "burst"), "per_window");
        cr_expect_gt(num(w12, "unreachable_ns", "mean"), 40e6, "12.5 %%: unreachable %.1f ms per period",
                     num(w12, "unreachable_ns", "mean") / 1e6);
        char spath[160];
        snprintf(spath, sizeof(spath), "%s/run/series.jsonl", out);
        FILE *sf = fopen(spath, "re");
        cr_assert_not_null(sf, "no %s", spath);
        size_t nser = 0, cap = 0;
        char *sl = NULL;
        while (getline(&sl, &cap, sf) > 0) {
                json_t *s = json_loads(sl, 0, NULL);
                json_t *due = json_object_get(json_object_get(s, "series"), "due");
                cr_expect(json_is_string(json_object_get(s, "id")) && json_array_size(due) > 500, "series line %zu", nser);
                nser++;
                json_decref(s);
        }
        free(sl);
        fclose(sf);
        cr_expect_eq(nser, 3, "%zu series for 3 trials", nser);
        json_decref(a);

        char cmd[256], text[8192];
        report_text(text, sizeof(text));
        /* The generator's floor, measured once before the NF started, beside the results. */
        cr_expect(strstr(text, "Generator floor (no NF, its port looped back;") != NULL, "no floor in the report:\n%s", text);
        snprintf(cmd, sizeof(cmd), "%s/run/run.json", out);
        json_t *rj = json_load_file(cmd, 0, NULL);
        json_t *fl = json_object_get(rj, "floor");
        cr_expect_gt(num(fl, "mpps", NULL), r100 * 0.5, "floor %.3f Mpps, the NF %.3f", num(fl, "mpps", NULL), r100);
        cr_expect_gt(num(json_object_get(fl, "latency"), "samples", NULL), 0);
        cr_expect_eq(num(fl, "window_s", NULL), 1.0);
        json_decref(rj);
        cr_expect(nf_limited ? strstr(text, "n/a") == NULL : strstr(text, "q/100% n/a: generator-limited") != NULL,
                  "baseline %s NF-limited, but the report says:\n%s", nf_limited ? "is" : "is not", text);
        /* Latency over the packets offered: at 12.5 % most are lost, so the median is ∞. */
        cr_expect(strstr(text, "latency, each row's trials merged") != NULL, "%s", text);
        cr_expect(strstr(text, "burst loss, from sequence gaps") != NULL, "%s", text);
        cr_expect(strstr(text, "∞") != NULL, "no infinite percentile at 12.5 %%:\n%s", text);
        cr_expect(strstr(text, "too few for conclusions") != NULL, "one repetition, and the report does not say so:\n%s",
                  text);
        /* The run leaves its report and figures beside the records. */
        struct stat fst;
        snprintf(cmd, sizeof(cmd), "%s/run/report.txt", out);
        cr_expect(stat(cmd, &fst) == 0 && fst.st_size > 100, "%s missing or empty", cmd);
        snprintf(cmd, sizeof(cmd), "%s/run/figures/rate-vs-quota.png", out);
        cr_expect(stat(cmd, &fst) == 0 && fst.st_size > 1000, "%s missing or empty", cmd);
        snprintf(cmd, sizeof(cmd), "%s/run/figures/latency-ccdf.png", out);
        cr_expect(stat(cmd, &fst) == 0 && fst.st_size > 1000, "%s missing or empty", cmd);
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab report %s/run --format csv > /dev/null", out);
        cr_expect_eq(system(cmd), 0, "isolab report failed on the run");
        snprintf(cmd, sizeof(cmd), "%s/run/run.json", out);
        json_t *run = json_load_file(cmd, 0, NULL);
        cr_assert_not_null(run, "run.json is missing or not JSON");
        cr_expect(json_is_object(json_object_get(run, "plan")));
        cr_expect(json_is_object(json_object_get(run, "placement_actual")));
        json_decref(run);
}

/* A baseline the generator, not the NF, sets (10 % of line: the NF idles most of its polls
 * and loses nothing) is reported as such: no ratio, "n/a: generator-limited" and why. */
Test(sweep, a_generator_limited_baseline_gets_no_ratio) {
        sweep = start_sweep_args("100,50", "0.5s", "--rate=10%");
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "isolab sweep failed (status %d)", status);
        size_t n, i;
        json_t *a = trials(&n), *t, *q100 = NULL;
        cr_assert_eq(n, 2);
        json_array_foreach(a, i, t) if (num(t, "quota", NULL) == 100) q100 = t;
        cr_assert_not_null(q100);
        cr_expect_lt(num(q100, "nf", "busy_share"), 0.95, "at 10 %% of line the NF was busy %.2f of its polls",
                     num(q100, "nf", "busy_share"));
        json_decref(a);
        char text[8192];
        report_text(text, sizeof(text));
        cr_expect(strstr(text, "q/100% n/a: generator-limited: at the baseline the NF's PMDs polled empty queues") != NULL,
                  "%s", text);
        expect_machine_clean();
}

/* A PDR search per TST009 with a longer final trial, then latency at shares of the PDR:
 * the result line says how it searched, the final trial ran for --final-duration, and
 * each load of --latency-at has its trial and its row in the report. */
Test(sweep, pdr_search_with_a_final_trial_and_latency_at_load, .timeout = 300) {
        /* No repetition of lossy trials (the unit tests cover it) and room for a loaded
         * machine (CI runs two tests at once): 14 trials did not always converge. */
        const char *args[] = { "--method", "pdr", "--cpu-quota", "100", "--duration", "0.3s", "--precision", "10",
                               "--max-trials", "30", "--loss-repeats", "0", "--final-duration", "0.6s", "--latency-at",
                               "0,50", NULL };
        sweep = start_isolab("sweep", args);
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "isolab sweep failed (status %d); see %s/isolab.log",
                  status, out);
        size_t n, i;
        json_t *a = trials(&n), *t, *result = NULL;
        unsigned at = 0, finals = 0;
        json_array_foreach(a, i, t) {
                if (json_object_get(t, "kind"))
                        result = t;
                if (json_object_get(t, "latency_at"))
                        at++;
                json_t *se = json_object_get(t, "search");
                if (json_is_true(json_object_get(se, "verification"))) {
                        finals++;
                        cr_expect_float_eq(num(t, "result", "duration"), 0.6, 1e-9, "the final trial's duration");
                }
        }
        cr_assert_not_null(result, "no search result line");
        cr_expect_float_eq(num(result, "final_duration", NULL), 0.6, 1e-9);
        cr_expect_float_eq(num(result, "precision_pct", NULL), 10, 1e-9);
        cr_expect(json_is_integer(json_object_get(result, "repeated")));
        double found = num(result, "found_pps", NULL);
        cr_expect_gt(found, 0, "PDR at 100 %% is 0: see %s/isolab.log", out);
        if (json_is_true(json_object_get(result, "converged")))
                cr_expect_geq(finals, 1, "a converged search ends with its final trial");
        cr_expect_eq(at, found > 0 ? 2 : 0, "%u latency-at trials", at);
        json_decref(a);
        char text[8192];
        report_text(text, sizeof(text));
        cr_expect(strstr(text, "latency at load (--latency-at)") != NULL && strstr(text, "50% pdr") != NULL &&
                          strstr(text, "stream") != NULL,
                  "%s", text);
        expect_machine_clean();
}

Test(sweep, sigint_keeps_finished_trials_and_cleans_up) {
        sweep = start_sweep("100,75,50,25,12.5", "1s");
        wait_first_trial();
        interrupt_sweep(5);
        expect_machine_clean();
}

/* kill -9 of the controller mid-run leaves agents, cgroups, a mount and a reservation;
 * `isolab cleanup` removes all of it.  The test is a child subreaper so the orphaned
 * agents come back to it to be reaped (this VM's PID 1 does not reap). */
Test(sweep, kill_9_then_cleanup_leaves_nothing) {
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        sweep = start_sweep("100,50,25,12.5", "2s");
        wait_first_trial();
        kill(sweep, SIGKILL);
        cr_assert_eq(waitpid(sweep, NULL, 0), sweep);
        sweep = -1;
        cr_expect_gt(count_isolab_groups(NULL), 0, "the killed run should have left its cgroups");
        char cmd[600], run[256] = "";
        /* The run's name from its cgroup (the state file names the same run). */
        char isolab_dir[300];
        snprintf(isolab_dir, sizeof(isolab_dir), "%s/isolab", mounts.cpu_root);
        DIR *dh = opendir(isolab_dir);
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;)
                if (e->d_name[0] != '.' && ownrun_is_own(e->d_name))
                        snprintf(run, sizeof(run), "%s", e->d_name);
        if (dh)
                closedir(dh);
        cr_assert_neq(run[0], '\0', "the killed run's cgroup has no name");
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab cleanup --quiet --run %s", run);
        int status = system(cmd);
        cr_expect_eq(status, 0, "isolab cleanup failed");
        /* Reap the agents cleanup killed (we are their subreaper now). */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        expect_machine_clean();
        size_t n;
        json_t *a = trials(&n);
        cr_expect_geq(n, 1, "the finished trial is kept");
        json_decref(a);
}

/* --restart-agents: the NF killed in the middle of a sweep fails that trial (recorded
 * with its reason), both agents start again, the remaining trials run. */
Test(sweep, restart_agents_after_the_nf_dies) {
        sweep = start_sweep_args("100,50,25", "1s", "--restart-agents");
        wait_first_trial();
        pid_t nf = own_agent("nf");
        cr_assert_gt(nf, 0, "no isolab-nf in the run's nf cgroup");
        cr_assert_eq(kill(nf, SIGKILL), 0);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        size_t n, errors = 0;
        json_t *a = trials(&n);
        cr_expect_eq(n, 3, "every point has its line");
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) if (json_object_get(t, "error")) errors++;
        cr_expect_eq(errors, 1, "exactly the trial during which the NF died failed");
        json_decref(a);
        expect_machine_clean();
}

/* ---- isolab noisy ------------------------------------------------------------------------ */

static pid_t start_noisy(const char *placements, const char *repetitions, const char *duration) {
        const char *args[] = { "--noise", "cpu", "--placement", placements, "--repetitions", repetitions, "--duration", duration,
                               NULL };
        return start_isolab("noisy", args);
}

/* Adds the pids now in this test's isolab/<run>/noise-* groups to seen (at most max). */
static void collect_noise_pids(pid_t *seen, size_t *n, size_t max) {
        pid_t now[64];
        size_t k = ownrun_pids(mounts.cpu_root, "noise-", now, 64);
        for (size_t j = 0; j < k; j++) {
                bool known = false;
                for (size_t i = 0; i < *n; i++)
                        known |= seen[i] == now[j];
                if (!known && *n < max)
                        seen[(*n)++] = now[j];
        }
}

static double sum_of(json_t *a, const char *placement, const char *k1, const char *k2) {
        double s = 0;
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                json_t *nb = json_object_get(t, "neighbour");
                const char *pl = json_is_object(nb) ? json_string_value(json_object_get(nb, "placement")) : "none";
                if (pl && strcmp(pl, placement) == 0)
                        s += num(t, k1, k2);
        }
        return s;
}

/* The study's question, on this VM: the PMD is on CPU 1; a busy neighbour on CPU 1
 * (same-core) takes CPU time from it, one on CPU 0 (same-node here: the other core)
 * does not.  Not a timing threshold: a factor between two placements measured in the
 * same run.  And each neighbour is its own process, gone with its trial. */
Test(sweep, noisy_same_core_neighbour_preempts_the_pmd_and_dies_with_its_trial) {
        sweep = start_noisy("same-core,same-node", "2", "1s");
        /* This test's own polling stays off the PMD's CPU 1 (and gets its affinity back). */
        cpu_set_t saved, cpu0;
        cr_assert_eq(sched_getaffinity(0, sizeof(saved), &saved), 0);
        CPU_ZERO(&cpu0);
        CPU_SET(0, &cpu0);
        sched_setaffinity(0, sizeof(cpu0), &cpu0);
        pid_t seen[64];
        size_t n_seen = 0;
        int status;
        while (waitpid(sweep, &status, WNOHANG) == 0) {
                collect_noise_pids(seen, &n_seen, 64);
                nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
        }
        sched_setaffinity(0, sizeof(saved), &saved);
        sweep = -1;
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        size_t n;
        json_t *a = trials(&n);
        cr_assert_eq(n, 6, "2 repetitions x (baseline, same-core, same-node)");
        double cs_core = sum_of(a, "same-core", "pmd", "nonvoluntary_ctxt_switches");
        double cs_node = sum_of(a, "same-node", "pmd", "nonvoluntary_ctxt_switches");
        double st_core = sum_of(a, "same-core", "nf", "stall_ns"), st_node = sum_of(a, "same-node", "nf", "stall_ns");
        cr_expect_gt(cs_core, 2 * cs_node + 20, "involuntary context switches: same-core %.0f, same-node %.0f", cs_core,
                     cs_node);
        cr_expect_gt(st_core, 2 * st_node, "stalled time: same-core %.0f ns, same-node %.0f ns", st_core, st_node);
        /* The neighbour did its work, and the report has its rate. */
        cr_expect_gt(sum_of(a, "same-core", "neighbour", "rate"), 0);
        expect_bounded(a);
        json_decref(a);
        /* One process per neighbour trial (4), none of them alive now. */
        cr_expect_eq(n_seen, 4, "%zu neighbour processes seen for 4 neighbour trials", n_seen);
        for (size_t i = 0; i < n_seen; i++)
                cr_expect(kill(seen[i], 0) < 0 && errno == ESRCH, "neighbour %d outlived its trial", seen[i]);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab report %s/run > /dev/null", out);
        cr_expect_eq(system(cmd), 0, "isolab report failed on the noisy run");
        expect_machine_clean();
}

/* The case of the extreme tails (issue 14): an http neighbour on "any" CPU of the node.
 * Every share stays within its bounds, and the record says what ran on the trial's CPUs
 * (the loopback traffic's NET_RX softirqs, irq and steal time) and where the neighbour's
 * threads were, so real starvation is told from an artefact. */
Test(sweep, noisy_http_anywhere_is_bounded_and_says_what_ran_on_the_cpus) {
        const char *args[] = { "--noise", "http", "--placement", "any", "--duration", "1s", "--no-floor", NULL };
        sweep = start_isolab("noisy", args);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
        size_t n, i;
        json_t *a = trials(&n), *t;
        cr_assert_eq(n, 2, "the baseline and the http trial");
        expect_bounded(a);
        bool http = false;
        json_array_foreach(a, i, t) {
                json_t *cpus = json_object_get(t, "cpus");
                cr_expect_gt(json_object_size(cpus), 0, "trial %zu: no per-CPU record", i);
                json_t *nb = json_object_get(t, "neighbour");
                if (!json_is_object(nb))
                        continue;
                http = true;
                cr_expect_gt(num(json_object_get(nb, "threads_at_end"), "threads", NULL), 0);
                double net_rx = 0;
                bool pmd_cpu = false;
                const char *k;
                json_t *c;
                json_object_foreach(cpus, k, c) {
                        net_rx += num(json_object_get(c, "softirqs"), "NET_RX", NULL);
                        pmd_cpu |= strstr(json_string_value(json_object_get(c, "role")) ?: "", "pmd") != NULL;
                        cr_expect(json_is_number(json_object_get(c, "softirq_ms")) && json_is_number(json_object_get(c, "steal_ms")));
                }
                cr_expect(pmd_cpu, "the PMD's CPU is not among the recorded ones");
                cr_expect_gt(net_rx, 0, "loopback HTTP and no NET_RX softirq on the trial's CPUs");
        }
        cr_expect(http, "no trial with the http neighbour");
        json_decref(a);
        expect_machine_clean();
}

/* SIGINT while a neighbour works: it goes with the run, the finished trials stay. */
Test(sweep, noisy_sigint_stops_the_neighbour_too) {
        sweep = start_noisy("same-core", "3", "2s");
        wait_first_trial(); /* the baseline; the neighbour's trial starts now */
        pid_t nb = own_agent("noise-");
        cr_expect_gt(nb, 0, "no neighbour running after the baseline");
        interrupt_sweep(6);
        cr_expect(nb <= 0 || proc_starttime(nb) == 0, "the neighbour %d outlived the interrupted run", (int)nb);
        expect_machine_clean();
}

/* On a terminal the run keeps one progress line (trial i of N, the point, ETA) redrawn
 * in place; into a pipe or a file it writes the results only, no display. */
Test(sweep, progress_on_a_terminal_only) {
        char cmd[512], *text = NULL;
        size_t cap = 0;
        snprintf(cmd, sizeof(cmd),
                 "script -q -e -c '" ISOLAB_BUILD "/isolab sweep --cpu-quota 100,50 --duration 0.3s --warmup 0.2s --out %s/tty' "
                 "%s/typescript > /dev/null 2>&1",
                 out, out);
        cr_assert_eq(system(cmd), 0, "the sweep under script(1) failed");
        snprintf(cmd, sizeof(cmd), "%s/typescript", out);
        FILE *f = fopen(cmd, "r");
        cr_assert_not_null(f);
        ssize_t n = getdelim(&text, &cap, '\0', f);
        fclose(f);
        cr_assert_gt(n, 0);
        cr_expect_not_null(strstr(text, "\r\033[K[1/2] trial 1/2: quota 100%"), "no progress line on the terminal");
        cr_expect_not_null(strstr(text, "ETA"), "no ETA");
        free(text);
        text = NULL;
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab sweep --cpu-quota 100,50 --duration 0.3s --warmup 0.2s --out %s/pipe 2>&1",
                 out);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        n = getdelim(&text, &cap, '\0', p);
        cr_expect_eq(pclose(p), 0);
        cr_assert_gt(n, 0);
        cr_expect_null(strchr(text, '\033'), "escape sequences in a pipe: %s", text);
        cr_expect_not_null(strstr(text, "isolab: trial 2/2: quota 50%"), "%s", text);
        free(text);
        snprintf(cmd, sizeof(cmd), "%s/tty", out);
        cr_expect(ownrun_add_dir(cmd), "%s has no run.json", cmd);
        snprintf(cmd, sizeof(cmd), "%s/pipe", out);
        cr_expect(ownrun_add_dir(cmd), "%s has no run.json", cmd);
        expect_machine_clean();
}

/* Every shipped scenario runs here, shortened from the command line (which overrides the
 * file), and its report and figures come out; the machine is as it was afterwards. */
static void docker_up(void);

/* Runs each shipped scenario of names shortened, with its report and figures. */
static void run_scenarios(const char *const names[], size_t n) {
        for (size_t i = 0; i < n; i++) {
                char cmd[1024];
                snprintf(cmd, sizeof(cmd),
                         ISOLAB_BUILD "/isolab run " ISOLAB_SRC "/scenarios/%s.ini --repetitions 1 --duration 0.3s "
                                      "--warmup 0.2s %s --out %s/%s > %s/%s.log 2>&1",
                         names[i], strcmp(names[i], "ndr") == 0 ? "--precision 10 --max-trials 5 --final-duration 0.3s" : "", out, names[i], out,
                         names[i]);
                cr_expect_eq(system(cmd), 0, "isolab run %s failed: see %s/%s.log", names[i], out, names[i]);
                snprintf(cmd, sizeof(cmd), "%s/%s", out, names[i]);
                cr_expect(ownrun_add_dir(cmd), "%s has no run.json", cmd);
                snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab report %s/%s > %s/%s.report 2>&1", out, names[i], out,
                         names[i]);
                cr_expect_eq(system(cmd), 0, "isolab report %s failed", names[i]);
                snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab plot %s/%s > /dev/null 2>&1", out, names[i]);
                cr_expect_eq(system(cmd), 0, "isolab plot %s failed", names[i]);
                snprintf(cmd, sizeof(cmd), "%s/%s/figures/throughput.png", out, names[i]);
                struct stat st;
                cr_expect(stat(cmd, &st) == 0 && st.st_size > 1000, "%s missing or empty", cmd);
        }
}

Test(sweep, every_shipped_scenario_runs_reports_and_plots, .timeout = 600) {
        static const char *const names[] = { "baseline", "cpu-sweep", "cpu-period-sweep", "noisy-pinned-vs-unpinned",
                                             "noisy-placement", "ndr", "ovs-cpu-sweep", "ovs-balanced" };
        run_scenarios(names, sizeof(names) / sizeof(names[0]));
        expect_machine_clean();
}

/* The study's three cases (OVS-DPDK in Docker) run shortened, and each report ends with
 * the study's table. */
Test(sweep, the_study_scenarios_run_in_docker_with_the_study_tables, .timeout = 600) {
        static const char *const names[] = { "study-case1", "study-case2", "study-case3" };
        docker_up();
        run_scenarios(names, 3);
        for (int i = 0; i < 3; i++) {
                char path[200], needle[64];
                snprintf(path, sizeof(path), "%s/%s.report", out, names[i]);
                snprintf(needle, sizeof(needle), "The study's test case %d", i + 1);
                FILE *f = fopen(path, "re");
                char *text = NULL;
                size_t cap = 0;
                cr_expect(f && getdelim(&text, &cap, '\0', f) > 0 && strstr(text, needle), "%s lacks \"%s\"", path, needle);
                free(text);
                if (f)
                        fclose(f);
        }
        expect_machine_clean();
        engines_down();
}

/* isolab sweep interrupted after its first trial, then --resume: the rest of the matrix
 * runs (the same order, from the recorded seed), nothing twice, the machine clean. */
Test(sweep, resume_completes_an_interrupted_matrix) {
        const char *args[] = { "--cpu-quota", "100,50,25", "--duration", "0.5s", "--shuffle", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial();
        kill(sweep, SIGINT);
        sweep_wait();
        size_t n;
        json_t *a = trials(&n);
        json_decref(a);
        cr_assert_lt(n, 3, "the sweep was not interrupted");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab sweep --resume %s/run > %s/resume.log 2>&1", out, out);
        cr_expect_eq(system(cmd), 0, "the resumed run failed: see %s/resume.log", out);
        /* Every point measured once; the trial SIGINT cut short stays as its error line. */
        a = trials(&n);
        unsigned seen = 0, measured = 0;
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                if (json_object_get(t, "error"))
                        continue;
                unsigned bit = 1u << json_integer_value(json_object_get(t, "index"));
                cr_expect_not(seen & bit, "index %lld measured twice", (long long)json_integer_value(json_object_get(t, "index")));
                seen |= bit;
                measured++;
        }
        cr_expect_eq(seen, 7u, "indices 0, 1 and 2");
        cr_expect_eq(measured, 3);
        json_decref(a);
        cr_expect_eq(system(cmd), 0, "a second resume has nothing to do and says so");
        snprintf(cmd, sizeof(cmd), "%s/run", out);
        cr_expect(ownrun_add_dir(cmd), "%s has no run.json", cmd);
        expect_machine_clean();
}

/* An agent that hangs (stopped: it will never answer) fails the trial with the reason
 * when its deadline passes; the run ends, nothing is left behind (a stopped process
 * still dies of SIGKILL). */
Test(sweep, a_hung_nf_fails_its_trial_and_nothing_hangs) {
        sweep = start_sweep("100,50,25", "1s");
        wait_first_trial();
        pid_t nf = own_agent("nf");
        cr_assert_gt(nf, 0, "no isolab-nf in the run's nf cgroup");
        unsigned long long nf_start = proc_starttime(nf);
        cr_assert_eq(kill(nf, SIGSTOP), 0);
        int status = 0;
        pid_t got = 0;
        for (int i = 0; i < 900 && (got = waitpid(sweep, &status, WNOHANG)) == 0; i++)
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        if (proc_starttime(nf) == nf_start) /* still the NF we stopped, not a reused pid */
                kill(nf, SIGCONT);
        cr_assert_eq(got, sweep, "the controller hangs with a hung agent");
        sweep = -1;
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
        size_t n, errors = 0;
        json_t *a = trials(&n);
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                const char *e = json_string_value(json_object_get(t, "error"));
                if (e) {
                        errors++;
                        cr_expect_not_null(strstr(e, "agent nf did not answer"), "%s", e);
                }
        }
        cr_expect_eq(errors, 1, "the trial during which the NF hung failed, with the reason");
        json_decref(a);
        expect_machine_clean();
}

/* Runs a sweep (quotas, duration) whose isolab-nf is the python script nf_py, beside
 * the real generator and neighbour agents (ISOLAB_LIBEXEC); returns its exit status. */
static int sweep_with_fake_nf(const char *nf_py, const char *quotas, const char *duration) {
        char dir[256], path[300];
        snprintf(dir, sizeof(dir), "%s/libexec", out);
        cr_assert_eq(mkdir(dir, 0755), 0);
        const char *real[] = { "isolab-gen", "isolab-noise" };
        const char *target[] = { ISOLAB_BUILD "/isolab-gen", ISOLAB_BUILD "/isolab-noise" };
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, real[i]);
                cr_assert_eq(symlink(target[i], path), 0);
        }
        snprintf(path, sizeof(path), "%s/isolab-nf", dir);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(nf_py, f);
        fclose(f);
        cr_assert_eq(chmod(path, 0755), 0);
        setenv("ISOLAB_LIBEXEC", dir, 1);
        sweep = start_sweep(quotas, duration);
        int status = sweep_wait();
        unsetenv("ISOLAB_LIBEXEC");
        return status;
}

/* The log of this test's runs holds needle. */
static bool log_has(const char *needle) {
        char path[160];
        snprintf(path, sizeof(path), "%s/isolab.log", out);
        FILE *f = fopen(path, "re");
        char *text = NULL;
        size_t cap = 0;
        bool found = f && getdelim(&text, &cap, '\0', f) > 0 && strstr(text, needle);
        free(text);
        if (f)
                fclose(f);
        return found;
}

/* An agent that prints garbage instead of JSON is refused with that reason (at its
 * hello, the first request). */
Test(sweep, an_nf_printing_garbage_fails_its_trial) {
        /* A fake isolab-nf beside the real generator: READY=1, then a non-JSON line for
         * every request. */
        int status = sweep_with_fake_nf("#!/usr/bin/python3\n"
                                        "import os, socket, sys\n"
                                        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                                        "s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
                                        "for line in sys.stdin:\n"
                                        "    print('this is not JSON', flush=True)\n",
                                        "100,50", "0.5s");
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
        cr_expect(log_has("agent nf: the agent printed a line that is not JSON"), "the reason is not said");
        size_t n;
        json_t *a = trials(&n);
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) cr_expect(json_object_get(t, "error"), "a trial was measured with a broken NF");
        json_decref(a);
        expect_machine_clean();
}

/* An agent of another protocol version is refused at its hello, with one sentence. */
Test(sweep, an_agent_of_another_protocol_version_is_refused) {
        int status = sweep_with_fake_nf("#!/usr/bin/python3\n"
                                        "import json, os, socket, sys\n"
                                        "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                                        "s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
                                        "for line in sys.stdin:\n"
                                        "    r = json.loads(line)\n"
                                        "    print(json.dumps({'id': r.get('id'), 'ok': True, 'role': 'nf', 'version': 999}), "
                                        "flush=True)\n",
                                        "100", "0.3s");
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
        cr_expect(log_has("agent nf speaks protocol version 999, this isolab version 1"), "the mismatch is not said");
        size_t n;
        json_t *a = trials(&n);
        cr_expect_eq(n, 0, "trials ran with an agent of another protocol");
        json_decref(a);
        expect_machine_clean();
}

/* SIGTERM, SIGHUP or SIGINT at any moment of the setup (reservation, mount, cgroups,
 * agents starting) or of the first trial: the run ends, the machine is as it was. */
Test(sweep, a_stop_signal_during_the_setup_undoes_it) {
        static const struct {
                int sig;
                long ms;
        } at[] = { { SIGTERM, 20 }, { SIGHUP, 150 }, { SIGINT, 400 }, { SIGTERM, 900 }, { SIGTERM, 1600 } };
        for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
                sweep = start_sweep("100,50", "1s");
                nanosleep(&(struct timespec){ .tv_sec = at[i].ms / 1000, .tv_nsec = (at[i].ms % 1000) * 1000000 }, NULL);
                kill(sweep, at[i].sig);
                int status = sweep_wait();
                /* Before its first change the controller may simply die of the signal
                 * (nothing to undo yet); after it, it undoes and exits 1. */
                cr_expect((WIFEXITED(status) && WEXITSTATUS(status) == 1) || (WIFSIGNALED(status) && WTERMSIG(status) == at[i].sig),
                          "%s after %ld ms: status %#x", strsignal(at[i].sig), at[i].ms, status);
                expect_machine_clean();
                cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), saved_nr, "%s after %ld ms left hugepages reserved",
                             strsignal(at[i].sig), at[i].ms);
                char path[256];
                snprintf(path, sizeof(path), "%s/run", out);
                sysfix_rm_rf(path);
        }
}

/* The results directory fills up mid-run: the run stops with a clear error, every line
 * already in trials.jsonl is whole, the machine is restored. */
Test(sweep, a_full_disk_leaves_no_torn_line) {
        char dir[256], cmd[600];
        snprintf(dir, sizeof(dir), "%s/full", out);
        cr_assert_eq(mkdir(dir, 0755), 0);
        /* Room for run.json and a few trial lines, not for all of them. */
        cr_assert_eq(mount("isolab-test", dir, "tmpfs", 0, "size=64k"), 0, "mount tmpfs: %s", strerror(errno));
        snprintf(cmd, sizeof(cmd),
                 ISOLAB_BUILD "/isolab sweep --cpu-quota 100,90,80,70,60,50,40,30,20,12.5 --repetitions 3 --duration 0.2s "
                              "--warmup 0.1s --out %s/run > %s/sweep.log 2>&1",
                 dir, out);
        int st = system(cmd);
        snprintf(cmd, sizeof(cmd), "%s/run/trials.jsonl", dir);
        FILE *f = fopen(cmd, "r");
        size_t lines = 0, bad = 0;
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                json_t *t = json_loads(line, 0, NULL);
                lines++;
                bad += t == NULL;
                json_decref(t);
        }
        free(line);
        if (f)
                fclose(f);
        snprintf(cmd, sizeof(cmd), "%s/run", dir);
        ownrun_add_dir(cmd); /* the disk may have filled before run.json was whole */
        umount2(dir, MNT_DETACH);
        cr_expect_eq(WEXITSTATUS(st), 1, "the run should have failed on the full disk (status %#x)", st);
        cr_expect_gt(lines, 0, "no line fitted at all: make the tmpfs larger");
        cr_expect_lt(lines, 30, "every line fitted: make the tmpfs smaller");
        cr_expect_eq(bad, 0, "%zu torn lines of %zu", bad, lines);
        snprintf(cmd, sizeof(cmd), "grep -q 'cannot append to .*No space left on device' %s/sweep.log", out);
        cr_expect_eq(system(cmd), 0, "no clear error in the output");
        expect_machine_clean();
}

/* The controller stopped (SIGSTOP, like a VM pause) for 4 s in the middle of a 1 s
 * trial: the cgroup and NF counters then cover far more than the trial, so that trial
 * is recorded but marked not valid, with the reason, and the run goes on. */
Test(sweep, a_controller_held_up_mid_trial_invalidates_that_trial) {
        sweep = start_sweep("100,50,25", "1s");
        wait_first_trial();
        /* Into the second trial's measurement: after its warm-up (0.3 s), drain and window
         * opening, before its 1 s of traffic ends.  0.4 s could land before the window
         * opened when a parallel test loaded the machine (CI, --jobs=2). */
        nanosleep(&(struct timespec){ .tv_nsec = 900000000 }, NULL);
        cr_assert_eq(kill(sweep, SIGSTOP), 0);
        nanosleep(&(struct timespec){ .tv_sec = 4 }, NULL);
        kill(sweep, SIGCONT);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
        size_t n, held = 0;
        json_t *a = trials(&n);
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                const char *e = json_string_value(json_object_get(t, "invalid"));
                held += e && strstr(e, "the controller was held up");
        }
        cr_expect_eq(held, 1, "%zu trials marked as held up", held);
        cr_expect_eq(n, 3, "every trial has its line");
        json_decref(a);
        expect_machine_clean();
}

/* --resume checks what it skips: a finished line edited to another quota is refused,
 * naming the line; a torn last line (no newline: the power went) is cut off before the
 * resumed run appends, never glued to its next trial. */
Test(sweep, resume_refuses_a_mismatched_line_and_cuts_a_torn_one) {
        const char *args[] = { "--cpu-quota", "100,50,25", "--duration", "0.5s", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial();
        kill(sweep, SIGINT);
        cr_assert_eq(waitpid(sweep, NULL, 0), sweep);
        sweep = -1;
        char path[256], saved[256], cmd[900];
        snprintf(path, sizeof(path), "%s/run/trials.jsonl", out);
        snprintf(saved, sizeof(saved), "%s/trials.saved", out);
        snprintf(cmd, sizeof(cmd), "cp %s %s && sed -i '1s/\"quota\":[0-9.]*/\"quota\":33/' %s", path, saved, path);
        cr_assert_eq(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab sweep --resume %s/run > %s/resume.log 2>&1", out, out);
        int st = system(cmd);
        cr_expect_eq(WEXITSTATUS(st), 2, "a line edited to another quota was accepted");
        snprintf(cmd, sizeof(cmd), "grep -q 'trials.jsonl:1 says point' %s/resume.log", out);
        cr_expect_eq(system(cmd), 0, "the refusal does not name the line");
        /* The original lines, and a torn one after them. */
        snprintf(cmd, sizeof(cmd), "cp %s %s && printf '{\"index\":2,\"quo' >> %s", saved, path, path);
        cr_assert_eq(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab sweep --resume %s/run > %s/resume.log 2>&1", out, out);
        cr_expect_eq(system(cmd), 0, "the resume failed: see %s/resume.log", out);
        size_t n, measured = 0;
        json_t *a = trials(&n); /* asserts every line is JSON */
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) measured += !json_object_get(t, "error");
        cr_expect_eq(measured, 3);
        json_decref(a);
        snprintf(cmd, sizeof(cmd), "%s/run", out);
        ownrun_add_dir(cmd);
        expect_machine_clean();
}

/* An exec neighbour that exits at once disturbed nothing: its trial fails with that
 * reason instead of being recorded as a neighbour trial with rate 0. */
Test(sweep, an_exec_neighbour_that_exits_at_once_fails_its_trial) {
        const char *args[] = { "--noise", "exec", "--noise-cmd", "true", "--placement", "same-core", "--duration", "0.5s", NULL };
        sweep = start_isolab("noisy", args);
        sweep_wait();
        size_t n, ended = 0, measured_with_neighbour = 0;
        json_t *a = trials(&n);
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                const char *e = json_string_value(json_object_get(t, "error"));
                ended += e && strstr(e, "exited (status 0) before the trial ended");
                measured_with_neighbour += !e && json_is_object(json_object_get(t, "neighbour"));
        }
        cr_expect_eq(ended, 1, "the neighbour trial did not fail with the reason");
        cr_expect_eq(measured_with_neighbour, 0, "a neighbour trial without its neighbour was recorded as measured");
        json_decref(a);
        expect_machine_clean();
}

/* A wrapper around the real NF that prints a line of garbage before every reply (a
 * chatty wrapper script, a library writing to stdout): the replies are valid, but the
 * agent broke the protocol, and the run must not take its word as if it had not. */
Test(sweep, garbage_next_to_valid_replies_is_a_protocol_violation) {
        /* READY=1 comes from the wrapper itself once the real NF said it (the controller
         * takes it only from the agent's own pid). */
        int status = sweep_with_fake_nf(
                "#!/usr/bin/python3\n"
                "import os, shutil, socket, subprocess, sys, tempfile\n"
                "d = tempfile.mkdtemp()\n"
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                "s.bind(d + '/n')\n"
                "env = dict(os.environ, NOTIFY_SOCKET=d + '/n')\n"
                "p = subprocess.Popen(['" ISOLAB_BUILD "/isolab-nf'] + sys.argv[1:], stdout=subprocess.PIPE, env=env)\n"
                "s.recv(512)\n"
                "s.close()\n"
                "shutil.rmtree(d)\n"
                "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])\n"
                "for line in p.stdout:\n"
                "    sys.stdout.write('garbage, not JSON\\n' + line.decode())\n"
                "    sys.stdout.flush()\n"
                "sys.exit(p.wait())\n",
                "100,50", "0.3s");
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) != 0, "a run whose NF broke the protocol ended well (%#x)", status);
        size_t n;
        json_t *a = trials(&n);
        size_t i;
        json_t *t;
        json_array_foreach(a, i, t) {
                const char *e = json_string_value(json_object_get(t, "error"));
                cr_expect(e && strstr(e, "not JSON"), "a trial was taken from an agent that broke the protocol: %s", e ? e : "(no error)");
        }
        json_decref(a);
        /* The real NF under the wrapper ends when its input does. */
        nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
        expect_machine_clean();
}

/* Processes whose command line names the run's directory (/run/isolab/RUN/): OVS's
 * database server and vswitchd of that run are found by it, never by name. */
static size_t procs_of_run(const char *run) {
        char needle[200];
        snprintf(needle, sizeof(needle), "/run/isolab/%s/", run);
        size_t n = 0;
        DIR *dh = opendir("/proc");
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] < '1' || e->d_name[0] > '9')
                        continue;
                char path[300], buf[4096];
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                int fd = open(path, O_RDONLY);
                ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
                if (fd >= 0)
                        close(fd);
                if (got <= 0)
                        continue;
                for (ssize_t i = 0; i < got; i++)
                        if (!buf[i])
                                buf[i] = ' ';
                buf[got] = '\0';
                n += strstr(buf, needle) != NULL;
        }
        if (dh)
                closedir(dh);
        return n;
}

/* The run's name, from its run.json. */
static void run_name(char *buf, size_t len) {
        char path[160];
        snprintf(path, sizeof(path), "%s/run/run.json", out);
        json_t *rj = json_load_file(path, 0, NULL);
        snprintf(buf, len, "%s", json_string_value(json_object_get(rj, "run")) ?: "");
        json_decref(rj);
}

/* OVS-DPDK from Debian as the NF: a private instance forwards, its own counters agree with
 * the generator's, the quota cuts its rate, its threads' CPU time is split by class, and
 * nothing of it is left. */
Test(sweep, ovs_dpdk_forwards_counts_from_the_inside_and_leaves_nothing, .timeout = 300) {
        sweep = start_sweep_args("100,25", "1s", "--nf=ovs-dpdk");
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "isolab sweep --nf ovs-dpdk failed (status %#x); see %s",
                  status, out);
        size_t n, i;
        json_t *a = trials(&n), *t, *q100 = NULL, *q25 = NULL;
        cr_assert_eq(n, 2);
        json_array_foreach(a, i, t) {
                cr_expect_str_eq(json_string_value(json_object_get(t, "nf_under_test")), "ovs-dpdk");
                *(num(t, "quota", NULL) == 100 ? &q100 : &q25) = t;
                /* OVS's PMDs received what the generator sent (pmd-stats, cleared with the window). */
                double sent = num(json_object_get(t, "result"), "tx", "sent"), rx = num(t, "nf", "rx");
                cr_expect(rx > 0 && fabs(rx - sent) <= 0.001 * sent, "trial %zu: OVS received %.0f, the generator sent %.0f", i,
                          rx, sent);
                double busy = num(t, "nf", "busy_share");
                cr_expect(busy > 0 && busy <= 1, "trial %zu: busy share %.3f", i, busy);
                json_t *th = json_object_get(json_object_get(t, "nf"), "threads_cpu_ns");
                cr_expect(json_integer_value(json_object_get(th, "pmd")) > 0, "trial %zu: no PMD thread time", i);
                /* OVS's port drops (dpctl/show) are known loss parts, and the parts add up. */
                json_t *lp = json_object_get(t, "loss_parts");
                cr_expect(json_is_integer(json_object_get(lp, "nf_tx_drops")), "trial %zu: OVS's TX drops not counted", i);
                double parts = num(t, "loss_parts", "link_refused") + num(t, "loss_parts", "nf_rx_missed") +
                               num(t, "loss_parts", "nf_tx_drops") + num(t, "loss_parts", "gen_rx_missed") +
                               num(t, "loss_parts", "unseen");
                cr_expect_eq(parts, num(t, "loss_parts", "lost") + num(t, "loss_parts", "overcounted"),
                             "trial %zu: the loss parts add to %.0f, lost %.0f", i, parts, num(t, "loss_parts", "lost"));
                cr_expect(json_is_integer(json_object_get(th, "main")), "trial %zu: no main thread", i);
        }
        cr_assert(q100 && q25);
        double r100 = num(json_object_get(q100, "result"), "mpps", NULL), r25 = num(json_object_get(q25, "result"), "mpps", NULL);
        cr_expect_gt(r100, 0);
        cr_expect_lt(r25, 0.5 * r100, "25 %% forwarded %.3f Mpps, 100 %% %.3f", r25, r100);
        /* OVS's own stall signal: at 25 % every throttle is a PMD iteration over 250 us. */
        json_t *ins25 = json_object_get(json_object_get(q25, "nf"), "inside");
        cr_expect_geq(num(q25, "nf", "stalls"), 1, "no long iteration at 25 %%");
        cr_expect(json_is_object(json_object_get(ins25, "suspicious")), "OVS's suspicious iterations not read");
        cr_expect_gt(num(ins25, "suspicious", "long_iterations_logged"), 0, "OVS logged no long iteration at 25 %%");
        json_decref(a);
        char run[128], path[200];
        run_name(run, sizeof(run));
        cr_expect_eq(procs_of_run(run), 0, "an OVS process of run %s is still there", run);
        snprintf(path, sizeof(path), "%s/run/ovs-vswitchd.log", out);
        struct stat st;
        cr_expect(stat(path, &st) == 0 && st.st_size > 0, "no %s", path);
        expect_machine_clean();
}

/* kill -9 of the controller with OVS running: `isolab cleanup --run` stops vswitchd and
 * the database server (by pid and start time) and removes the rest. */
Test(sweep, ovs_dpdk_kill_9_then_cleanup_leaves_no_ovs, .timeout = 300) {
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        sweep = start_sweep_args("100,50,25", "2s", "--nf=ovs-dpdk");
        wait_first_trial();
        kill(sweep, SIGKILL);
        cr_assert_eq(waitpid(sweep, NULL, 0), sweep);
        sweep = -1;
        char run[128], cmd[400];
        run_name(run, sizeof(run));
        cr_assert_neq(run[0], '\0', "no run.json");
        cr_expect_geq(procs_of_run(run), 2, "OVS (vswitchd and ovsdb-server) should outlive the killed controller");
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab cleanup --quiet --run %s", run);
        cr_expect_eq(system(cmd), 0, "isolab cleanup failed");
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        cr_expect_eq(procs_of_run(run), 0, "an OVS process of run %s is still there", run);
        expect_machine_clean();
}

/* The study's balanced configuration on this 2-core VM: --fit makes it one PMD (said in
 * run.json's warnings), the ingress port has two rx queues (the generator's virtio queues)
 * and both are polled, and OVS counts every packet the generator sent. */
Test(sweep, ovs_dpdk_balanced_configuration_fits_and_polls_both_queues, .timeout = 120) {
        const char *args[] = { "--cpu-quota", "100", "--duration", "1s", "--repetitions", "1", "--no-floor", NULL };
        const char *av[16] = { ISOLAB_SRC "/scenarios/ovs-balanced.ini" };
        for (size_t i = 0; args[i]; i++)
                av[i + 1] = args[i];
        sweep = start_isolab("run", av);
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s/isolab.log", status, out);
        size_t n, i;
        json_t *a = trials(&n), *t, *q;
        cr_assert_eq(n, 1);
        t = json_array_get(a, 0);
        json_t *rxqs = json_object_get(json_object_get(json_object_get(t, "nf"), "inside"), "rxqs");
        unsigned p0 = 0;
        json_array_foreach(rxqs, i, q) {
                bool ingress = strcmp(json_string_value(json_object_get(q, "port")) ?: "", "p0") == 0;
                p0 += ingress;
                cr_expect_str_eq(json_string_value(json_object_get(q, "state")), "enabled");
        }
        cr_expect_eq(p0, 2, "p0 should have 2 rx queues: %s", json_dumps(rxqs, JSON_COMPACT));
        double sent = num(json_object_get(t, "result"), "tx", "sent"), rx = num(t, "nf", "rx");
        cr_expect(rx > 0 && fabs(rx - sent) <= 0.001 * sent, "OVS received %.0f, the generator sent %.0f", rx, sent);
        json_decref(a);
        char path[200];
        snprintf(path, sizeof(path), "%s/run/run.json", out);
        json_t *rj = json_load_file(path, 0, NULL), *w;
        bool fit = false;
        json_array_foreach(json_object_get(rj, "warnings"), i, w) fit |= strstr(json_string_value(w), "fit: ") != NULL;
        cr_expect(fit || sysconf(_SC_NPROCESSORS_ONLN) > 4, "run.json does not say what --fit changed");
        json_decref(rj);
        snprintf(path, sizeof(path), "%s/run", out);
        cr_expect(ownrun_add_dir(path), "%s has no run.json", path);
        expect_machine_clean();
}

/* OVS that cannot bring a port up (too little memory for its pools: --ovs-socket-mem 16)
 * is one sentence with the log line that says why, at once (not after the readiness
 * timeout), and the run leaves nothing. */
Test(sweep, ovs_dpdk_start_failure_is_one_sentence_with_its_log_line, .timeout = 120) {
        const char *args[] = { "--nf", "ovs-dpdk", "--ovs-socket-mem", "16", "--cpu-quota", "100", "--duration", "1s",
                               "--no-floor", NULL };
        sweep = start_isolab("sweep", args);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %#x", status);
        cr_expect(log_has("isolab: OVS: a port failed to come up (p0 has 0 of 1 rx queues polled and enabled"),
                  "the sentence is missing; see %s/isolab.log", out);
        cr_expect(log_has("; ovs-vswitchd.log: ") && log_has("Cannot allocate memory"),
                  "the sentence does not quote OVS's reason; see %s/isolab.log", out);
        /* No run.json yet: the run's name from the paths in OVS's log. */
        char path[200], run[128] = "";
        snprintf(path, sizeof(path), "%s/run/ovs-vswitchd.log", out);
        FILE *f = fopen(path, "re");
        char *text = NULL, *at;
        size_t cap = 0;
        if (f && getdelim(&text, &cap, '\0', f) > 0 && (at = strstr(text, "/run/isolab/")))
                snprintf(run, sizeof(run), "%.*s", (int)strcspn(at + 12, "/"), at + 12);
        free(text);
        if (f)
                fclose(f);
        cr_assert_neq(run[0], '\0', "no run directory in %s", path);
        cr_expect_eq(procs_of_run(run), 0, "an OVS process of run %s is still there", run);
        expect_machine_clean();
}

/* The threads listed in a cgroup v1 group's tasks of this test's run, and how many of them
 * poll (their name starts with "pmd"). */
static size_t group_threads(const char *run, const char *group, size_t *polling) {
        char path[400];
        snprintf(path, sizeof(path), "%s/isolab/%s/%s/tasks", mounts.cpu_root, run, group);
        FILE *f = fopen(path, "re");
        size_t n = 0;
        *polling = 0;
        int tid;
        while (f && fscanf(f, "%d", &tid) == 1) {
                char cpath[64], comm[64] = "";
                snprintf(cpath, sizeof(cpath), "/proc/%d/comm", tid);
                FILE *c = fopen(cpath, "re");
                if (c && fgets(comm, sizeof(comm), c))
                        *polling += strncmp(comm, "pmd", 3) == 0;
                if (c)
                        fclose(c);
                n++;
        }
        if (f)
                fclose(f);
        return n;
}

/* --quota-scope pmd: only OVS's PMD threads stay in the NF's group under the quota; its
 * main, handler, revalidator and other threads run in nf/other, without one. */
Test(sweep, ovs_dpdk_quota_scope_pmd_leaves_the_other_threads_outside, .timeout = 300) {
        const char *args[] = { "--nf", "ovs-dpdk", "--quota-scope", "pmd", "--cpu-quota", "100,25", "--duration", "2s", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial();
        char run[128];
        run_name(run, sizeof(run));
        size_t pmd_in_nf, pmd_in_other;
        size_t in_nf = group_threads(run, "nf/pmd", &pmd_in_nf), in_other = group_threads(run, "nf/other", &pmd_in_other);
        cr_expect(in_nf > 0 && in_nf == pmd_in_nf, "the NF's group holds %zu threads, %zu of them PMDs", in_nf, pmd_in_nf);
        cr_expect(in_other > 0 && pmd_in_other == 0, "nf/other holds %zu threads, %zu of them PMDs", in_other, pmd_in_other);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s", status, out);
        size_t n, i;
        json_t *a = trials(&n), *t;
        json_array_foreach(a, i, t) cr_expect_str_eq(json_string_value(json_object_get(t, "quota_scope")), "pmd");
        json_decref(a);
        expect_machine_clean();
}

/* OVS unpinned: its PMD threads, pinned by OVS when it makes them, are let go over the
 * NF's cpuset (the node) once it runs; the trial says so and counts their migrations. */
Test(sweep, ovs_dpdk_unpinned_lets_its_pmd_threads_go, .timeout = 300) {
        const char *args[] = { "--nf", "ovs-dpdk", "--pinning", "unpinned", "--cpu-quota", "100,50", "--duration", "2s", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial();
        pid_t ovs = own_agent("nf");
        cr_assert_gt(ovs, 0, "no process in the NF's group");
        char path[96];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)ovs);
        DIR *dh = opendir(path);
        unsigned pmds = 0, wide = 0;
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
                char p2[160], comm[64] = "", line[256];
                snprintf(p2, sizeof(p2), "/proc/%d/task/%.16s/comm", (int)ovs, e->d_name);
                FILE *f = fopen(p2, "re");
                if (!f)
                        continue;
                if (!fgets(comm, sizeof(comm), f) || strncmp(comm, "pmd", 3) != 0) {
                        fclose(f);
                        continue;
                }
                fclose(f);
                pmds++;
                snprintf(p2, sizeof(p2), "/proc/%d/task/%.16s/status", (int)ovs, e->d_name);
                f = fopen(p2, "re");
                while (f && fgets(line, sizeof(line), f))
                        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
                                wide += strpbrk(line + 18, ",-") != NULL; /* more than one CPU */
                if (f)
                        fclose(f);
        }
        if (dh)
                closedir(dh);
        cr_expect_gt(pmds, 0, "ovs-vswitchd (pid %d) has no PMD thread", (int)ovs);
        cr_expect_eq(wide, pmds, "%u of %u PMD threads may run on more than one CPU", wide, pmds);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s", status, out);
        size_t n, i;
        json_t *a = trials(&n), *t;
        cr_expect_eq(n, 2);
        json_array_foreach(a, i, t) {
                cr_expect_str_eq(json_string_value(json_object_get(t, "pinning")), "unpinned");
                cr_expect(json_is_integer(json_object_get(json_object_get(t, "nf"), "migrations")), "trial %zu", i);
        }
        json_decref(a);
        expect_machine_clean();
}

/* OVS restarted between variants (pinned, then unpinned): the second instance replaces
 * the first (its database server too), and the run ends with none left. */
Test(sweep, ovs_dpdk_restarts_between_variants, .timeout = 300) {
        const char *args[] = { "--nf", "ovs-dpdk", "--pinning", "pinned,unpinned", "--cpu-quota", "100", "--duration", "0.5s",
                               NULL };
        sweep = start_isolab("sweep", args);
        int status = sweep_wait();
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s", status, out);
        size_t n;
        json_t *a = trials(&n);
        cr_expect_eq(n, 2);
        for (size_t i = 0; i < n; i++)
                cr_expect_null(json_object_get(json_array_get(a, i), "error"), "trial %zu failed", i);
        json_decref(a);
        char run[128];
        run_name(run, sizeof(run));
        cr_expect_eq(procs_of_run(run), 0, "an OVS process of run %s is still there", run);
        expect_machine_clean();
}

/* ---- the NF in a container (Docker, Podman from Debian) ------------------------------------ */

/* A private engine state for the test: Docker's daemon when none answers (its data, exec
 * root and socket in the test's directory; DOCKER_HOST tells isolab's docker client), and
 * Podman's storage there too (CONTAINERS_STORAGE_CONF).  Stopped and removed in teardown. */
static pid_t own_dockerd = -1;
static char engine_dir[200];
static int podman_state_was = -1; /* whether /var/lib/containers was there before (Podman's blob cache goes there) */
static int docker_key_was = -1;   /* whether /etc/docker/key.json was (dockerd 20.10 makes it there) */
static int docker_run_was = -1;   /* whether /run/docker was (it makes run/docker/plugins) */

static bool docker_answers(void) {
        return system("/usr/bin/docker version --format '{{.Server.Version}}' > /dev/null 2>&1") == 0;
}

static void engine_dir_make(void) {
        if (!engine_dir[0]) {
                snprintf(engine_dir, sizeof(engine_dir), "%s/engine", out);
                cr_assert_eq(mkdir(engine_dir, 0700), 0);
        }
}

static void docker_up(void) {
        if (access("/usr/sbin/dockerd", X_OK) < 0)
                cr_skip_test("needs Debian's docker.io (make deps)");
        if (docker_answers())
                return; /* the machine's own daemon */
        engine_dir_make();
        docker_key_was = access("/etc/docker/key.json", F_OK) == 0;
        docker_run_was = access("/run/docker", F_OK) == 0;
        char sock[300], data[300], exec[300], pidf[300], host[320], log[300];
        snprintf(sock, sizeof(sock), "%s/docker.sock", engine_dir);
        snprintf(data, sizeof(data), "--data-root=%s/data", engine_dir);
        snprintf(exec, sizeof(exec), "--exec-root=%s/exec", engine_dir);
        snprintf(pidf, sizeof(pidf), "--pidfile=%s/docker.pid", engine_dir);
        snprintf(host, sizeof(host), "unix://%s", sock);
        snprintf(log, sizeof(log), "%s/dockerd.log", engine_dir);
        own_dockerd = fork();
        if (own_dockerd == 0) {
                setsid();
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                dup2(fd, 1);
                dup2(fd, 2);
                execl("/usr/sbin/dockerd", "dockerd", "--iptables=false", "--ip-forward=false", "--bridge=none", data, exec, pidf,
                      "-H", host, (char *)NULL);
                _exit(127);
        }
        cr_assert_gt(own_dockerd, 0);
        setenv("DOCKER_HOST", host, 1);
        for (int i = 0; i < 300 && !docker_answers(); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        cr_assert(docker_answers(), "the test's dockerd did not answer in 30 s; see %s", log);
}

static void podman_up(void) {
        if (access("/usr/bin/podman", X_OK) < 0)
                cr_skip_test("needs Debian's podman (make deps)");
        podman_state_was = access("/var/lib/containers", F_OK) == 0;
        engine_dir_make();
        char conf[300];
        snprintf(conf, sizeof(conf), "%s/storage.conf", engine_dir);
        FILE *f = fopen(conf, "we");
        cr_assert_not_null(f);
        fprintf(f, "[storage]\ndriver = \"overlay\"\ngraphroot = \"%s/podman-root\"\nrunroot = \"%s/podman-run\"\n", engine_dir,
                engine_dir);
        fclose(f);
        setenv("CONTAINERS_STORAGE_CONF", conf, 1);
        snprintf(conf, sizeof(conf), "%s/containers.conf", engine_dir);
        f = fopen(conf, "we");
        cr_assert_not_null(f);
        fprintf(f, "[engine]\ntmp_dir = \"%s/podman-tmp\"\n", engine_dir);
        fclose(f);
        setenv("CONTAINERS_CONF", conf, 1);
}

/* Stops the test's dockerd and unmounts what the engines left mounted under their
 * directory (Podman's overlay driver bind-mounts its home), deepest first. */
static void engines_down(void) {
        if (own_dockerd > 0) {
                kill(own_dockerd, SIGTERM);
                for (int i = 0; i < 200 && waitpid(own_dockerd, NULL, WNOHANG) == 0; i++)
                        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
                if (waitpid(own_dockerd, NULL, WNOHANG) == 0) {
                        kill(own_dockerd, SIGKILL);
                        waitpid(own_dockerd, NULL, 0);
                }
                own_dockerd = -1;
        }
        if (docker_key_was == 0)
                unlink("/etc/docker/key.json");
        if (docker_run_was == 0) {
                rmdir("/run/docker/plugins");
                rmdir("/run/docker");
        }
        docker_key_was = docker_run_was = -1;
        unsetenv("DOCKER_HOST");
        unsetenv("CONTAINERS_STORAGE_CONF");
        unsetenv("CONTAINERS_CONF");
        if (podman_state_was == 0)
                sysfix_rm_rf("/var/lib/containers");
        podman_state_was = -1;
        for (int pass = 0; engine_dir[0] && pass < 8; pass++) {
                FILE *m = fopen("/proc/self/mountinfo", "re");
                char *line = NULL, deepest[600] = "";
                size_t cap = 0;
                while (m && getline(&line, &cap, m) > 0) {
                        char mp[600];
                        if (sscanf(line, "%*s %*s %*s %*s %599s", mp) == 1 && strncmp(mp, engine_dir, strlen(engine_dir)) == 0 &&
                            strlen(mp) > strlen(deepest))
                                snprintf(deepest, sizeof(deepest), "%s", mp);
                }
                free(line);
                if (m)
                        fclose(m);
                if (!deepest[0])
                        break;
                umount2(deepest, MNT_DETACH);
        }
        engine_dir[0] = '\0';
}

/* Nothing of run RUN in the engine: no container of its name, no image of its, and no
 * directory of its in any cgroup hierarchy (the engines make --cgroup-parent in all). */
static void expect_engine_clean(const char *engine, const char *run) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "%s ps -a --format '{{.Names}}' | grep -q 'isolab-%s-nf'", engine, run);
        cr_expect_neq(system(cmd), 0, "a container of run %s is left in %s", run, engine);
        snprintf(cmd, sizeof(cmd), "%s images --format '{{.Repository}}:{{.Tag}}' | grep -q 'isolab-base:%s'", engine, run);
        cr_expect_neq(system(cmd), 0, "the image of run %s is left in %s", run, engine);
        glob_t g;
        snprintf(cmd, sizeof(cmd), "/sys/fs/cgroup/*/isolab/%s", run);
        if (glob(cmd, 0, NULL, &g) == 0) {
                cr_expect_eq(g.gl_pathc, 0, "cgroup %s is left (and %zu more)", g.gl_pathv[0], g.gl_pathc - 1);
                globfree(&g);
        }
}

static const char *engine_cli(const char *engine) {
        return strcmp(engine, "docker") == 0 ? "/usr/bin/docker" : "/usr/bin/podman --cgroup-manager=cgroupfs --events-backend=file";
}

/* isolab-nf in a container of engine: it forwards, the quota goes through the engine
 * between the trials and is what the container's cgroup holds (read back, or the trial
 * fails), its counters come from that cgroup, and the run leaves nothing. */
static void nf_in_a_container(const char *engine) {
        const char *args[] = { "--container", engine, "--cpu-quota", "100,50", "--duration", "1s", "--no-floor", NULL };
        sweep = start_isolab("sweep", args);
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s/isolab.log", status, out);
        char run[128];
        run_name(run, sizeof(run));
        size_t n, i;
        json_t *a = trials(&n), *t, *q100 = NULL, *q50 = NULL;
        cr_assert_eq(n, 2);
        json_array_foreach(a, i, t) {
                cr_expect_str_eq(json_string_value(json_object_get(t, "container")), engine);
                const char *cg = json_string_value(json_object_get(t, "container_cgroup"));
                char want[200];
                snprintf(want, sizeof(want), "isolab/%s/nf/", run);
                cr_expect(cg && strncmp(cg, want, strlen(want)) == 0, "trial %zu: the container's cgroup is %s", i, cg);
                *(num(t, "quota", NULL) == 100 ? &q100 : &q50) = t;
        }
        cr_assert(q100 && q50);
        double r100 = num(json_object_get(q100, "result"), "mpps", NULL), r50 = num(json_object_get(q50, "result"), "mpps", NULL);
        cr_expect_gt(r100, 0);
        cr_expect_lt(r50, 0.75 * r100, "50 %% forwarded %.3f Mpps, 100 %% %.3f", r50, r100);
        cr_expect_gt(num(q50, "cgroup", "nr_throttled"), 0, "the container's cgroup was not throttled at 50 %%");
        cr_expect_gt(num(q100, "nf", "rx"), 0, "isolab-nf's counters through the container's stdio");
        json_decref(a);
        char path[200];
        snprintf(path, sizeof(path), "%s/run", out);
        cr_expect(ownrun_add_dir(path), "%s has no run.json", path);
        expect_engine_clean(engine_cli(engine), run);
        expect_machine_clean();
}

Test(sweep, docker_runs_isolab_nf_with_the_quota_through_the_engine, .timeout = 300) {
        docker_up();
        nf_in_a_container("docker");
        engines_down();
}

Test(sweep, podman_runs_isolab_nf_with_the_quota_through_the_engine, .timeout = 300) {
        podman_up();
        nf_in_a_container("podman");
        engines_down();
}

/* The study's own setup: OVS-DPDK in a container, and its PMDs count what was sent. */
Test(sweep, ovs_dpdk_in_a_container_forwards, .timeout = 300) {
        docker_up();
        const char *args[] = { "--nf", "ovs-dpdk", "--container", "docker", "--cpu-quota", "100", "--duration", "1s",
                               "--rate", "30%", "--no-floor", NULL };
        sweep = start_isolab("sweep", args);
        int status = sweep_wait();
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x; see %s/isolab.log", status, out);
        size_t n;
        json_t *a = trials(&n), *t = json_array_get(a, 0);
        cr_assert_eq(n, 1);
        double sent = num(json_object_get(t, "result"), "tx", "sent"), rx = num(t, "nf", "rx");
        cr_expect(rx > 0 && fabs(rx - sent) <= 0.001 * sent, "OVS in the container received %.0f, the generator sent %.0f", rx,
                  sent);
        json_decref(a);
        char run[128], path[200];
        run_name(run, sizeof(run));
        cr_expect_eq(procs_of_run(run), 0, "an OVS process of run %s is still there", run);
        snprintf(path, sizeof(path), "%s/run", out);
        cr_expect(ownrun_add_dir(path), "%s has no run.json", path);
        expect_engine_clean(engine_cli("docker"), run);
        expect_machine_clean();
        engines_down();
}

/* kill -9 of the controller while its NF runs in a container: `isolab cleanup` removes the
 * container, the run's image and the engine's cgroup directories, as the rest. */
Test(sweep, kill_9_then_cleanup_leaves_no_container, .timeout = 300) {
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        docker_up();
        const char *args[] = { "--container", "docker", "--cpu-quota", "100,50,25", "--duration", "2s", "--no-floor", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial_within(90); /* an engine's first container on a fresh daemon can take a while */
        kill(sweep, SIGKILL);
        cr_assert_eq(waitpid(sweep, NULL, 0), sweep);
        sweep = -1;
        char run[128], cmd[600];
        run_name(run, sizeof(run));
        cr_assert_neq(run[0], '\0', "no run.json");
        snprintf(cmd, sizeof(cmd), "/usr/bin/docker ps --format '{{.Names}}' | grep -q 'isolab-%s-nf'", run);
        cr_expect_eq(system(cmd), 0, "the container should outlive the killed controller");
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab cleanup --quiet --run %s", run);
        cr_expect_eq(system(cmd), 0, "isolab cleanup failed");
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        expect_engine_clean(engine_cli("docker"), run);
        expect_machine_clean();
        engines_down();
}

/* cmd's output (stdout and what it redirects) and exit status. */
static int run_capture(const char *cmd, char **text) {
        FILE *p = popen(cmd, "r");
        size_t cap = 0;
        *text = NULL;
        if (!p)
                return -1;
        if (getdelim(text, &cap, '\0', p) < 0) {
                free(*text);
                *text = strdup("");
        }
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* An engine whose daemon does not answer is one sentence with the command that starts
 * it, before anything changes. */
Test(sweep, a_docker_that_does_not_answer_is_one_sentence) {
        setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1);
        char *text = NULL;
        int st = run_capture(ISOLAB_BUILD "/isolab sweep --container docker --duration 1s --out /nonexistent/never 2>&1", &text);
        unsetenv("DOCKER_HOST");
        cr_expect_eq(st, 2, "%s", text);
        cr_expect(text && strstr(text, "--container docker: no Docker daemon answers") &&
                          strstr(text, "dockerd --iptables=false --ip-forward=false --bridge=none"),
                  "%s", text);
        free(text);
        cr_expect_neq(access("/nonexistent/never", F_OK), 0, "it changed something");
}

/* ---- two hosts (--gen-host): a private sshd on 127.0.0.1 --------------------------------- */

static pid_t own_sshd = -1;
static char ssh_dir[64];
static unsigned sshd_port;
static int run_sshd_was = -1; /* whether /run/sshd (its privilege separation directory) was there */

/* A free TCP port on 127.0.0.1 (the kernel's choice). */
static unsigned free_port(void) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0);
        close(fd);
        return ntohs(a.sin_port);
}

static bool port_answers(unsigned port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
                close(fd);
        return ok;
}

static void write_file(const char *name, const char *text) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s", ssh_dir, name);
        FILE *f = fopen(path, "we");
        cr_assert_not_null(f, "%s", path);
        fputs(text, f);
        fclose(f);
}

/* Debian's sshd on 127.0.0.1:PORT with a host key and a user key made for the test in a
 * temporary directory, root's login by that key only; ISOLAB_SSH_COMMAND points ssh at
 * the test's config (its key, its known_hosts).  sshd_down undoes all of it. */
static void sshd_up(void) {
        if (access("/usr/sbin/sshd", X_OK) < 0)
                cr_skip_test("needs Debian's openssh-server (make deps installs it)");
        snprintf(ssh_dir, sizeof(ssh_dir), "/tmp/isolab-ssh-XXXXXX");
        cr_assert_not_null(mkdtemp(ssh_dir));
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -C isolab-test-host -f %s/host_key && "
                                   "ssh-keygen -q -t ed25519 -N '' -C isolab-test-user -f %s/user_key && "
                                   "cp %s/user_key.pub %s/authorized_keys",
                 ssh_dir, ssh_dir, ssh_dir, ssh_dir);
        cr_assert_eq(system(cmd), 0, "ssh-keygen failed");
        sshd_port = free_port();
        char text[1200], pub[400] = "";
        snprintf(text, sizeof(text),
                 "Port %u\nListenAddress 127.0.0.1\nHostKey %s/host_key\nAuthorizedKeysFile %s/authorized_keys\n"
                 "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                 "StrictModes no\nUsePAM no\nPidFile %s/sshd.pid\n",
                 sshd_port, ssh_dir, ssh_dir, ssh_dir);
        write_file("sshd_config", text);
        snprintf(text, sizeof(text), "%s/host_key.pub", ssh_dir);
        FILE *f = fopen(text, "re");
        cr_assert_not_null(f);
        cr_assert_not_null(fgets(pub, sizeof(pub), f));
        fclose(f);
        snprintf(text, sizeof(text), "[127.0.0.1]:%u %s", sshd_port, pub);
        write_file("known_hosts", text);
        snprintf(text, sizeof(text),
                 "Host 127.0.0.1\n  IdentityFile %s/user_key\n  IdentitiesOnly yes\n  UserKnownHostsFile %s/known_hosts\n"
                 "  StrictHostKeyChecking yes\n",
                 ssh_dir, ssh_dir);
        write_file("ssh_config", text);
        run_sshd_was = access("/run/sshd", F_OK) == 0;
        if (!run_sshd_was)
                cr_assert_eq(mkdir("/run/sshd", 0755), 0);
        char conf[120], log[120];
        snprintf(conf, sizeof(conf), "%s/sshd_config", ssh_dir);
        snprintf(log, sizeof(log), "%s/sshd.log", ssh_dir);
        own_sshd = fork();
        if (own_sshd == 0) {
                int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                dup2(fd, 2);
                execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", conf, (char *)NULL);
                _exit(127);
        }
        cr_assert_gt(own_sshd, 0);
        for (int i = 0; i < 100 && !port_answers(sshd_port); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        cr_assert(port_answers(sshd_port), "sshd did not listen on 127.0.0.1:%u (see %s)", sshd_port, log);
        snprintf(text, sizeof(text), "ssh -F %s/ssh_config", ssh_dir);
        setenv("ISOLAB_SSH_COMMAND", text, 1);
}

static void sshd_down(void) {
        unsetenv("ISOLAB_SSH_COMMAND");
        if (own_sshd > 0) {
                kill(own_sshd, SIGTERM);
                waitpid(own_sshd, NULL, 0);
                own_sshd = -1;
        }
        if (ssh_dir[0])
                sysfix_rm_rf(ssh_dir);
        ssh_dir[0] = '\0';
        if (run_sshd_was == 0)
                rmdir("/run/sshd");
        run_sshd_was = -1;
}

static void gen_host_dest(char *buf, size_t len) {
        snprintf(buf, len, "root@127.0.0.1:%u", sshd_port);
}

/* Nothing of the run on the "other" host either: its session's directory, its
 * generator, its helper (the same machine here, so the same checks). */
static void expect_gen_host_clean(const char *run) {
        char dir[200], gen_run[120];
        snprintf(gen_run, sizeof(gen_run), "%s-gen", run);
        snprintf(dir, sizeof(dir), "/run/isolab/%s", gen_run);
        /* The session ends a moment after its connection does. */
        for (int i = 0; i < 200 && (access(dir, F_OK) == 0 || procs_of_run(gen_run) > 0); i++)
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        cr_expect_neq(access(dir, F_OK), 0, "%s is left", dir);
        cr_expect_eq(procs_of_run(gen_run), 0, "a process of the generator session is left");
        snprintf(dir, sizeof(dir), "/var/run/dpdk/isolab-%s-gen", run);
        cr_expect_neq(access(dir, F_OK), 0, "%s (the generator's DPDK runtime directory) is left", dir);
        expect_machine_clean();
}

/* The study's testbed, reached through SSH: `isolab plan --gen-host` plans both hosts,
 * and a short sweep runs its generator through `isolab serve gen` on the "generator
 * host" (this machine, by 127.0.0.1; the data link stays vhost-user).  run.json records
 * both hosts, the report says where latency was measured, nothing is left on either. */
Test(sweep, the_generator_on_its_own_host_over_ssh, .timeout = 240) {
        sshd_up();
        char dest[64], cmd[600], *text = NULL;
        gen_host_dest(dest, sizeof(dest));
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab plan --gen-host %s --gen-isolab " ISOLAB_BUILD "/isolab 2>&1", dest);
        int st = run_capture(cmd, &text);
        cr_expect_eq(st, 0, "%s", text);
        cr_expect(text && strstr(text, ": the device under test") && strstr(text, ": the generator host") &&
                          strstr(text, "none: the generator runs on its own host (--gen-host)"),
                  "%s", text);
        free(text);
        const char *args[] = { "--cpu-quota", "100,50", "--duration", "1s", "--gen-host", dest, "--gen-isolab",
                               ISOLAB_BUILD "/isolab", NULL };
        sweep = start_isolab("sweep", args);
        st = sweep_wait();
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d (see %s/isolab.log)", st, out);
        size_t n;
        json_t *a = trials(&n);
        cr_expect_eq(n, 2);
        for (size_t i = 0; i < n; i++) {
                json_t *t = json_array_get(a, i);
                cr_expect_null(json_object_get(t, "error"), "trial %zu: %s", i,
                               json_string_value(json_object_get(t, "error")));
                cr_expect_gt(num(json_object_get(t, "result"), "rx", "packets"), 0, "trial %zu forwarded nothing", i);
        }
        cr_expect_gt(num(json_array_get(a, 1), "cgroup", "throttled_time_pct"), 20, "50 %% is throttled on the DUT");
        json_decref(a);
        char path[160], run[128];
        snprintf(path, sizeof(path), "%s/run/run.json", out);
        json_t *rj = json_load_file(path, 0, NULL);
        json_t *gh = json_object_get(rj, "gen_host");
        cr_assert(json_is_object(gh), "run.json has no gen_host");
        cr_expect_str_eq(json_string_value(json_object_get(gh, "host")), dest);
        cr_expect(json_is_true(json_object_get(gh, "same_machine")));
        cr_expect_eq(json_integer_value(json_object_get(gh, "proto")), 1);
        cr_expect(json_is_string(json_object_get(gh, "kernel")) && json_is_string(json_object_get(gh, "dpdk")));
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(gh, "plan"), "host_role")), "generator");
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(rj, "plan"), "host_role")), "dut");
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(rj, "host"), "isolab"), "version")),
                         json_string_value(json_object_get(gh, "isolab")), "both hosts' isolab versions are recorded");
        /* vhost-user stamps nothing: arrival is the generator's TSC, and run.json says so. */
        json_t *lc = json_object_get(json_object_get(rj, "clock"), "latency");
        cr_expect_str_eq(json_string_value(json_object_get(lc, "rx")), "tsc");
        cr_expect(json_is_array(json_object_get(json_object_get(rj, "link"), "generator_ports")));
        json_decref(rj);
        char rep[16384];
        report_text(rep, sizeof(rep));
        cr_expect(strstr(rep, "Generator on root@127.0.0.1:") && strstr(rep, "latency: a round trip on the generator host: ") &&
                          strstr(rep, "offers no hardware RX timestamps"),
                  "%.2000s", rep);
        run_name(run, sizeof(run));
        cr_assert_neq(run[0], '\0');
        expect_gen_host_clean(run);
        /* The generator's own output came back over ssh into its log. */
        snprintf(path, sizeof(path), "%s/run/ssh.log", out);
        cr_expect_eq(access(path, F_OK), 0, "the master connection has a log");
}

/* A sweep of three quotas of DURATION each, without the floor, its generator on the
 * test's sshd; returns once its first trial is written, with the run's name in run. */
static void start_gen_host_sweep(const char *duration, char *run, size_t len) {
        static char dest[64];
        sshd_up();
        gen_host_dest(dest, sizeof(dest));
        const char *args[] = { "--cpu-quota", "100,50,25", "--duration", duration, "--no-floor", "--gen-host", dest,
                               "--gen-isolab", ISOLAB_BUILD "/isolab", NULL };
        sweep = start_isolab("sweep", args);
        wait_first_trial_within(90);
        run_name(run, len);
        cr_assert_neq(run[0], '\0', "the run has no name in its run.json");
}

/* The ssh connection of the generator's session, a child of the controller (never by name). */
static pid_t gen_session_ssh(pid_t controller) {
        DIR *dh = opendir("/proc");
        pid_t found = -1;
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL && found < 0;) {
                if (e->d_name[0] < '1' || e->d_name[0] > '9')
                        continue;
                char path[300], buf[4096];
                snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
                FILE *f = fopen(path, "re");
                int ppid = 0;
                if (f) {
                        if (fscanf(f, "%*d (%*[^)]) %*c %d", &ppid) != 1)
                                ppid = 0;
                        fclose(f);
                }
                if (ppid != controller)
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t got = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
                if (fd >= 0)
                        close(fd);
                for (ssize_t i = 0; i < got; i++)
                        if (!buf[i])
                                buf[i] = ' ';
                if (got > 0 && (buf[got] = '\0', strstr(buf, " serve gen")))
                        found = atoi(e->d_name);
        }
        if (dh)
                closedir(dh);
        return found;
}

/* The connection lost in the middle of a trial: that trial fails and says so, and the
 * generator host is left as it was (its session saw the connection end and undid its
 * hugepages, mount and generator); so is this one. */
Test(sweep, a_lost_ssh_connection_fails_the_trial_and_leaves_nothing, .timeout = 240) {
        char run[128];
        start_gen_host_sweep("3s", run, sizeof(run));
        nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL); /* into the second trial */
        pid_t ssh = gen_session_ssh(sweep);
        cr_assert_gt(ssh, 0, "no ssh connection of the generator's session under the controller");
        kill(ssh, SIGKILL);
        int st = sweep_wait();
        cr_expect(WIFEXITED(st), "status %d", st);
        size_t n;
        json_t *a = trials(&n);
        cr_expect_geq(n, 2);
        const char *err = json_string_value(json_object_get(json_array_get(a, 1), "error"));
        cr_expect(err && strstr(err, "the connection to the generator host root@127.0.0.1:") && strstr(err, "ended"),
                  "the second trial: %s", err ? err : "no error");
        json_decref(a);
        expect_gen_host_clean(run);
}

/* kill -9 of the controller: `isolab cleanup --gen-host` removes what is left on both
 * hosts (here the master connection, the DUT's agents, cgroups, mount and hugepages; the
 * generator's session ended with its connection). */
Test(sweep, kill_9_then_cleanup_gen_host_leaves_nothing_on_either_host, .timeout = 240) {
        cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
        char dest[64], cmd[600], run[128], *text = NULL;
        start_gen_host_sweep("2s", run, sizeof(run));
        gen_host_dest(dest, sizeof(dest));
        kill(sweep, SIGKILL);
        cr_assert_eq(waitpid(sweep, NULL, 0), sweep);
        sweep = -1;
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab cleanup --gen-host %s --gen-isolab " ISOLAB_BUILD "/isolab 2>&1", dest);
        int st = run_capture(cmd, &text);
        cr_expect_eq(st, 0, "%s", text);
        cr_expect(text && strstr(text, "\"kind\":\"gen-host\"") && strstr(text, "root@127.0.0.1:"), "%s", text);
        free(text);
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        expect_gen_host_clean(run);
}

/* SIGINT in the middle of a trial: the run keeps its finished trials and undoes both
 * sides (its generator session ends with the run's quit and its connection). */
Test(sweep, sigint_with_a_generator_host_cleans_both_sides, .timeout = 240) {
        char run[128];
        start_gen_host_sweep("3s", run, sizeof(run));
        nanosleep(&(struct timespec){ .tv_sec = 1 }, NULL);
        interrupt_sweep(3);
        expect_gen_host_clean(run);
}
