/* cgroup layer without root: detection per controller on mountinfo samples, quota
 * arithmetic, and the v2 backend on a temporary tree whose mkdir/rmdir hooks do what the
 * kernel does (a new cgroup comes with its control files). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cgroup.h"
#include "base/util.h"

/* This project's VM: hybrid, cpu and cpuset on v1, cgroup2 without controllers. */
static const char hybrid[] =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* A current systemd server: pure v2. */
static const char pure_v2[] = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                              "rw,nsdelegate,memory_recursiveprot\n";

/* An older distribution: cpu and cpuacct co-mounted, optional fields present. */
static const char v1_comounted[] =
        "25 18 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:7 - cgroup cgroup rw,cpu,cpuacct\n"
        "26 18 0:23 / /sys/fs/cgroup/cpuset rw,nosuid shared:8 - cgroup cgroup rw,cpuset\n";

Test(cgroup, detects_per_controller) {
        struct cg_mounts m;
        cr_assert_eq(cg_detect_parse(hybrid, "", &m, NULL), 0);
        cr_expect_eq(m.cpu, CG_V1);
        cr_expect_eq(m.cpuset, CG_V1);
        cr_expect_str_eq(m.cpu_root, "/sys/fs/cgroup/cpu");
        cr_expect_str_eq(m.cpuset_root, "/sys/fs/cgroup/cpuset");
        cr_expect_str_eq(m.unified, "/sys/fs/cgroup/unified");
        cr_expect_str_eq(m.cpuacct_root, "/sys/fs/cgroup/cpuacct", "v1's cpuacct: the group's CPU time");

        cr_assert_eq(cg_detect_parse(pure_v2, "cpuset cpu io memory hugetlb pids rdma misc\n", &m, NULL), 0);
        cr_expect_eq(m.cpu, CG_V2);
        cr_expect_eq(m.cpuset, CG_V2);
        cr_expect_str_eq(m.cpu_root, "/sys/fs/cgroup");
        cr_expect_str_eq(m.cpuacct_root, "", "v2 has usage_usec in cpu.stat");

        cr_assert_eq(cg_detect_parse(v1_comounted, NULL, &m, NULL), 0);
        cr_expect_str_eq(m.cpu_root, "/sys/fs/cgroup/cpu,cpuacct");
        cr_expect_str_eq(m.cpuacct_root, "/sys/fs/cgroup/cpu,cpuacct", "co-mounted: the same directory");
        cr_expect_eq(m.cpuset, CG_V1);

        /* "cpuacct" is not "cpu", "cpusetx" is not "cpuset". */
        struct diag d = { 0 };
        cr_expect_eq(cg_detect_parse("1 1 0:1 / /x rw - cgroup cgroup rw,cpuacct\n", NULL, &m, &d), -ENODEV);
        cr_expect(strstr(d.msg, "no usable cgroup cpu controller") != NULL, "%s", d.msg);
        diag_clear(&d);
        cr_expect_eq(cg_detect_parse(pure_v2, "memory pids cpusetx\n", &m, &d), -ENODEV);
}

Test(cgroup, a_split_between_versions_is_refused) {
        struct cg_mounts m;
        const char split[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                             "40 31 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        cr_assert_eq(cg_detect_parse(split, "cpuset\n", &m, NULL), 0);
        cr_expect_eq(m.cpu, CG_V1);
        cr_expect_eq(m.cpuset, CG_V2);
        struct cg cg = { 0 };
        struct diag d = { 0 };
        cr_expect_eq(cg_open(&cg, &m, &d), -ENOTSUP);
        cr_expect(strstr(d.msg, "cpu controller is on cgroup v1 and cpuset on v2") != NULL, "%s", d.msg);
}

Test(cgroup, forced_backend_is_checked) {
        struct cg_mounts m;
        const char hybrid_mi[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                                 "33 31 0:30 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n";
        cr_assert_eq(cg_detect_parse(hybrid_mi, NULL, &m, NULL), 0);
        struct cg cg = { 0 };
        struct diag d = { 0 };
        setenv("ISOLAB_CGROUP_BACKEND", "systemd", 1);
        cr_expect_eq(cg_open(&cg, &m, &d), -ENOTSUP);
        cr_expect(strstr(d.msg, "ISOLAB_CGROUP_BACKEND=systemd needs the cpu controller on cgroup v2") != NULL, "%s", d.msg);
        d = (struct diag){ 0 };
        setenv("ISOLAB_CGROUP_BACKEND", "v3", 1);
        cr_expect_eq(cg_open(&cg, &m, &d), -EINVAL);
        cr_expect(strstr(d.msg, "use v2 or systemd") != NULL, "%s", d.msg);
        unsetenv("ISOLAB_CGROUP_BACKEND");
        cr_expect_eq(cg_open(&cg, &m, &d), 0, "unforced, v1 is v1");
        cr_expect_str_eq(cg.ops->name, "v1");
}

Test(cgroup, quota_arithmetic) {
        struct cg_quota q;
        char buf[64];
        cr_assert_eq(cg_quota_compute(50, 1, 100000, &q, NULL), 0);
        cr_expect_eq(q.quota_us, 50000);
        cr_assert_eq(cg_quota_compute(100, 2, 100000, &q, NULL), 0); /* 100 % of two PMD cores = two CPUs */
        cr_expect_eq(q.quota_us, 200000);
        cr_assert_eq(cg_quota_compute(12.5, 1, 100000, &q, NULL), 0);
        cr_expect_eq(q.quota_us, 12500);
        cg_quota_v2(&q, buf, sizeof(buf));
        cr_expect_str_eq(buf, "12500 100000");
        cr_expect_eq(cg_quota_systemd_per_sec_us(&q), 125000); /* CPUQuota=12.5% */
        cr_assert_eq(cg_quota_compute(75, 3, 10000, &q, NULL), 0);
        cr_expect_eq(q.quota_us, 22500);
        cr_expect_eq(cg_quota_systemd_per_sec_us(&q), 2250000);

        struct diag d = { 0 };
        cr_expect_eq(cg_quota_compute(12.5, 1, 1000, &q, &d), -EINVAL);
        cr_expect(strstr(d.msg, "under the kernel's 1 ms minimum; use a period of at least 8000 us") != NULL, "%s", d.msg);
        diag_clear(&d);
        cr_expect_eq(cg_quota_compute(0, 1, 100000, &q, &d), -EINVAL);
        cr_expect_eq(cg_quota_compute(101, 1, 100000, &q, NULL), -EINVAL);
        cr_expect_eq(cg_quota_compute(50, 1, 999, &q, NULL), -EINVAL);
        cr_expect_eq(cg_quota_compute(50, 1, 1000001, &q, NULL), -EINVAL);
        cr_expect_eq(cg_quota_compute(50, 0, 100000, &q, NULL), -EINVAL);
}

/* ---- v2 on a temporary tree ------------------------------------------------------------------ */

static char root[] = "/tmp/isolab-cg2-XXXXXX";

static void put(const char *dir, const char *file, const char *text) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fputs(text, f);
        fclose(f);
}

/* What the kernel does on mkdir in cgroup2: the control files appear. */
static int fake_mkdir(const char *path) {
        if (mkdir(path, 0755) < 0)
                return -1;
        put(path, "cgroup.subtree_control", "");
        put(path, "cgroup.procs", "");
        put(path, "cgroup.threads", "");
        put(path, "cgroup.type", "domain\n");
        put(path, "cpu.max", "max 100000\n");
        put(path, "cpuset.cpus", "");
        put(path, "cpuset.mems", "");
        put(path, "cpu.stat", "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\nnr_periods 40\nnr_throttled 30\n"
                              "throttled_usec 75000\n");
        return 0;
}

/* ... and on rmdir: the control files go with the group. */
static int fake_rmdir(const char *path) {
        DIR *dh = opendir(path);
        if (!dh)
                return -1;
        for (struct dirent *e; (e = readdir(dh)) != NULL;)
                if (e->d_type == DT_REG) {
                        char p[512];
                        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
                        unlink(p);
                }
        closedir(dh);
        return rmdir(path);
}

static void tree_setup(void) {
        cr_assert_not_null(mkdtemp(root));
        put(root, "cgroup.controllers", "cpuset cpu io memory pids\n");
        put(root, "cgroup.subtree_control", "");
}

static void tree_teardown(void) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        cr_expect_eq(system(cmd), 0);
}

static char *slurp(const char *rel, const char *file) {
        char path[512];
        char *t = NULL;
        snprintf(path, sizeof(path), "%s/%s/%s", root, rel, file);
        cr_assert_eq(read_small_file(path, &t), 0, "%s", path);
        return t;
}

/* The v2 backend on the temporary tree, its kernel emulated. */
static void open_tree(struct cg *cg) {
        char mi[512];
        snprintf(mi, sizeof(mi), "40 31 0:37 / %s rw - cgroup2 cgroup2 rw\n", root);
        struct cg_mounts m;
        cr_assert_eq(cg_detect_parse(mi, "cpuset cpu io memory pids\n", &m, NULL), 0);
        *cg = (struct cg){ .mkdir = fake_mkdir, .rmdir = fake_rmdir };
        struct diag d = { 0 };
        cr_assert_eq(cg_open(cg, &m, &d), 0, "%s", d.msg);
}

Test(cgroup, v2_backend_on_a_tree, .init = tree_setup, .fini = tree_teardown) {
        struct cg cg;
        struct diag d = { 0 };
        open_tree(&cg);
        cr_expect_str_eq(cg.ops->name, "v2");

        cr_assert_eq(cg.ops->create(&cg, "isolab/run-1/nf", &d), 0, "%s", d.msg);
        /* Every parent hands cpu and cpuset down. */
        char *t = slurp(".", "cgroup.subtree_control");
        cr_expect_str_eq(t, "+cpu +cpuset");
        free(t);
        t = slurp("isolab/run-1", "cgroup.subtree_control");
        cr_expect_str_eq(t, "+cpu +cpuset");
        free(t);

        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(25, 1, 100000, &q, NULL), 0);
        cr_assert_eq(cg.ops->set_quota(&cg, "isolab/run-1/nf", &q, &d), 0, "%s", d.msg);
        t = slurp("isolab/run-1/nf", "cpu.max");
        cr_expect_str_eq(t, "25000 100000");
        free(t);
        cr_assert_eq(cg.ops->set_cpuset(&cg, "isolab/run-1/nf", "1", "0", &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->attach(&cg, "isolab/run-1/nf", 4242, &d), 0, "%s", d.msg);
        t = slurp("isolab/run-1/nf", "cgroup.procs");
        cr_expect_str_eq(t, "4242");
        free(t);

        struct cg_cpu_stat st;
        cr_assert_eq(cg.ops->cpu_stat(&cg, "isolab/run-1/nf", &st, &d), 0, "%s", d.msg);
        cr_expect_eq(st.nr_periods, 40);
        cr_expect_eq(st.nr_throttled, 30);
        cr_expect_eq(st.throttled_us, 75000);
        cr_expect(st.has_usage);
        cr_expect_eq(st.usage_us, 2000);

        /* Not while a process is in it (the fake kernel keeps what was written). */
        cr_expect_eq(cg.ops->destroy(&cg, "isolab/run-1/nf", &d), -EBUSY);
        cr_expect(strstr(d.msg, "still holds processes 4242") != NULL, "%s", d.msg);
        diag_clear(&d);
        put(root, "isolab/run-1/nf/cgroup.procs", "");
        cr_assert_eq(cg.ops->destroy(&cg, "isolab/run-1/nf", &d), 0, "%s", d.msg);
        char path[512];
        snprintf(path, sizeof(path), "%s/isolab/run-1/nf", root);
        cr_expect_neq(access(path, F_OK), 0, "the leaf is gone");
        /* Destroying what is gone is not an error (cleanup runs twice after a crash). */
        cr_expect_eq(cg.ops->destroy(&cg, "isolab/run-1/nf", &d), 0);
        /* Writing to a group that is not there is an error, not a silent no-op. */
        cr_expect_lt(cg.ops->set_quota(&cg, "isolab/run-1/missing", &q, &d), 0);
}

/* --quota-scope pmd on v2: the NF's polling threads and its others in two threaded groups
 * of one subtree, each thread moved by its tid (cgroup.threads). */
Test(cgroup, v2_threaded_groups_take_single_threads, .init = tree_setup, .fini = tree_teardown) {
        struct cg cg;
        struct diag d = { 0 };
        open_tree(&cg);
        cr_assert_not_null(cg.ops->attach_thread, "v2 moves single threads within a threaded subtree");
        cr_assert_not_null(cg.ops->make_threaded);
        cr_assert_eq(cg.ops->create(&cg, "isolab/run-1/nf/pmd", &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->create(&cg, "isolab/run-1/nf/other", &d), 0, "%s", d.msg);
        for (const char *const *g = (const char *const[]){ "isolab/run-1/nf/pmd", "isolab/run-1/nf/other", NULL }; *g; g++) {
                cr_assert_eq(cg.ops->make_threaded(&cg, *g, &d), 0, "%s", d.msg);
                char *t = slurp(*g, "cgroup.type");
                cr_expect_str_eq(t, "threaded");
                free(t);
        }
        /* The NF's group hands cpu and cpuset down to the two (threaded controllers). */
        char *t = slurp("isolab/run-1/nf", "cgroup.subtree_control");
        cr_expect_str_eq(t, "+cpu +cpuset");
        free(t);
        cr_assert_eq(cg.ops->attach_thread(&cg, "isolab/run-1/nf/other", 4243, &d), 0, "%s", d.msg);
        t = slurp("isolab/run-1/nf/other", "cgroup.threads");
        cr_expect_str_eq(t, "4243");
        free(t);
        /* A group that cannot be made threaded is an error naming its file (emulated: a
         * cgroup.type that cannot be written). */
        cr_assert_eq(cg.ops->create(&cg, "isolab/run-1/nf/bad", &d), 0, "%s", d.msg);
        char path[512];
        snprintf(path, sizeof(path), "%s/isolab/run-1/nf/bad/cgroup.type", root);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(mkdir(path, 0755), 0);
        cr_expect_lt(cg.ops->make_threaded(&cg, "isolab/run-1/nf/bad", &d), 0);
        cr_expect(strstr(d.msg, "nf/bad/cgroup.type") != NULL, "%s", d.msg);
}
