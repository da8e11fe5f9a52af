/* The cgroup backend this machine detects (v1 through libcgroup here; v2 on a pure-v2
 * host), for real, as root: create isolab/test-PID/nf, give it 25 % of one CPU and a
 * cpuset, move a CPU hog into it, see it throttled, remove everything.  Teardown kills
 * the hog and removes the groups also when an assertion fails. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/cgroup.h"

static struct cg cg;
static char base[64], run_rel[96], nf_rel[128];
static pid_t hog = -1;

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: it creates cgroups and moves a process into one");
        struct cg_mounts m;
        struct diag d = { 0 };
        cr_assert_eq(cg_detect(&m, &d), 0, "%s", d.msg);
        cr_assert_eq(cg_open(&cg, &m, &d), 0, "%s", d.msg);
        snprintf(base, sizeof(base), "isolab");
        snprintf(run_rel, sizeof(run_rel), "isolab/test-%d", (int)getpid());
        snprintf(nf_rel, sizeof(nf_rel), "%s/nf", run_rel);
}

static void rm_group(const char *rel) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", cg.m.cpu_root, rel);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/%s", cg.m.cpuset_root, rel);
        rmdir(path);
        if (cg.m.cpuacct_root[0]) {
                snprintf(path, sizeof(path), "%s/%s", cg.m.cpuacct_root, rel);
                rmdir(path);
        }
}

static void teardown(void) {
        if (hog > 0) {
                kill(hog, SIGKILL);
                waitpid(hog, NULL, 0);
                hog = -1;
        }
        if (!cg.ops)
                return;
        /* The backend first; plain rmdir as the safety net.  "isolab" only if empty. */
        cg.ops->destroy(&cg, nf_rel, NULL);
        rm_group(nf_rel);
        rm_group(run_rel);
        rm_group(base);
}

TestSuite(cgroup_live, .init = setup, .fini = teardown, .timeout = 60);

static bool group_exists(const char *rel) {
        char path[512];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", cg.m.cpu_root, rel);
        return stat(path, &st) == 0;
}

Test(cgroup_live, a_hog_at_25_percent_is_throttled_and_the_groups_go_away) {
        struct diag d = { 0 };
        cr_assert_eq(cg.ops->create(&cg, nf_rel, &d), 0, "%s", d.msg);
        cr_expect(group_exists(nf_rel));
        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(25, 1, 10000, &q, &d), 0);
        cr_assert_eq(cg.ops->set_quota(&cg, nf_rel, &q, &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->set_cpuset(&cg, nf_rel, "0", "0", &d), 0, "%s", d.msg);

        int go[2];
        cr_assert_eq(pipe(go), 0);
        hog = fork();
        if (hog == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) != 1)
                        _exit(1);
                for (volatile unsigned long i = 0;; i++)
                        ;
        }
        close(go[0]);
        cr_assert_eq(cg.ops->attach(&cg, nf_rel, hog, &d), 0, "%s", d.msg);
        struct cg_cpu_stat before, after;
        cr_assert_eq(cg.ops->cpu_stat(&cg, nf_rel, &before, &d), 0, "%s", d.msg);
        cr_assert_eq(write(go[1], "x", 1), 1);
        close(go[1]);
        usleep(500000);
        cr_assert_eq(cg.ops->cpu_stat(&cg, nf_rel, &after, &d), 0, "%s", d.msg);
        /* 0.5 s of 10 ms periods, a hog that wants 100 % of a CPU allowed 25 %: it is
         * throttled in most periods.  (Counts, not timing: no threshold on speed.) */
        cr_expect_gt(after.nr_periods - before.nr_periods, 0);
        cr_expect_gt(after.nr_throttled - before.nr_throttled, 0, "periods %lu, throttled %lu",
                     (unsigned long)(after.nr_periods - before.nr_periods),
                     (unsigned long)(after.nr_throttled - before.nr_throttled));
        cr_expect_gt(after.throttled_us, before.throttled_us);
        /* The group's own CPU time: cpuacct on v1 (usage_usec on v2), what the hog got. */
        if (cg.m.cpu == CG_V2 || cg.m.cpuacct_root[0]) {
                cr_expect(after.has_usage, "no CPU time of the group read on cgroup %s", cg_mode_name(cg.m.cpu));
                cr_expect_gt(after.usage_us, before.usage_us);
        }

        /* A group with a process in it is not removed, and says why. */
        diag_clear(&d);
        cr_expect_eq(cg.ops->destroy(&cg, nf_rel, &d), -EBUSY);
        cr_expect(strstr(d.msg, "still holds processes") != NULL, "%s", d.msg);
        cr_expect(group_exists(nf_rel));
        kill(hog, SIGKILL);
        waitpid(hog, NULL, 0);
        hog = -1;
        diag_clear(&d);
        cr_assert_eq(cg.ops->destroy(&cg, nf_rel, &d), 0, "%s", d.msg);
        cr_expect_not(group_exists(nf_rel));
        cr_expect_eq(cg.ops->destroy(&cg, nf_rel, &d), 0, "removing a removed group is not an error");
}
