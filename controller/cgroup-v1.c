/* cgroup-v1 — the v1 (and hybrid) backend, through libcgroup (cgroup.h).
 *
 * libcgroup's conventions are converted once, here: it returns positive ECG* codes from
 * 50000; ECGOTHER means "read cgroup_get_last_errno()"; and cgroup_strerror() crashes in
 * 2.0.2 for 0 and for codes >= 50030, so it is only called inside that range.  A failed
 * create can leave a directory and a failed delete can be half done, so every operation
 * is verified by reading the hierarchy back. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cgroup.h"
#include "base/util.h"

int cg_stat_value(const char *text, const char *key, uint64_t *ret);

/* The hierarchies a group lives in: cpu and cpuset, and cpuacct (the group's CPU time,
 * cpuacct.usage) when it is mounted on a hierarchy of its own; mounted with cpu (the
 * usual "cpu,cpuacct") the cpu directory is also the cpuacct one. */
static bool own_acct(const struct cg *cg) {
        return cg->m.cpuacct_root[0] && strcmp(cg->m.cpuacct_root, cg->m.cpu_root) != 0 &&
               strcmp(cg->m.cpuacct_root, cg->m.cpuset_root) != 0;
}

static const char *const controllers[] = { "cpu", "cpuset", NULL };
static const char *const controllers_acct[] = { "cpu", "cpuset", "cpuacct", NULL };

static const char *ecg_text(int ecg) {
        return ecg > 50000 && ecg < 50030 ? cgroup_strerror(ecg) : "unknown libcgroup error";
}

/* libcgroup's return value as a negative errno. */
static int ecg_errno(int ecg) {
        if (ecg == 0)
                return 0;
        if (ecg == ECGOTHER) {
                int e = cgroup_get_last_errno();
                return -(e > 0 ? e : EIO);
        }
        return ecg == ECGROUPNOTEXIST ? -ENOENT : ecg == ECGROUPNOTMOUNTED ? -ENODEV : -EIO;
}

static int fail(struct diag *d, int ecg, const char *what, const char *rel) {
        int r = ecg_errno(ecg);
        return diag_set(d, r, "cgroup v1: %s isolab group %s failed: %s", what, rel,
                        ecg == ECGOTHER ? strerror(-r) : ecg_text(ecg));
}

static int init_once(struct diag *d) {
        static int done;
        if (done)
                return 0;
        int ecg = cgroup_init();
        if (ecg)
                return diag_set(d, ecg_errno(ecg), "cgroup v1: libcgroup cannot initialise: %s", ecg_text(ecg));
        done = 1;
        return 0;
}

static void path_of(const char *root, const char *rel, const char *file, char *buf, size_t len) {
        snprintf(buf, len, "%s/%s%s%s", root, rel, file ? "/" : "", file ? file : "");
}

static int read_back(const char *root, const char *rel, const char *file, char **ret, struct diag *d) {
        char path[512];
        path_of(root, rel, file, path, sizeof(path));
        int r = read_small_file(path, ret);
        if (r < 0)
                return diag_set(d, r, "cgroup v1: cannot read %s back: %s", path, strerror(-r));
        return 0;
}

static bool is_dir(const char *root, const char *rel) {
        char path[512];
        struct stat st;
        path_of(root, rel, NULL, path, sizeof(path));
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates each level of rel in the cpu and cpuset hierarchies.  A new v1 cpuset starts
 * with no CPUs and no memory nodes and takes no task, so every level inherits its
 * parent's. */
static int v1_create(struct cg *cg, const char *rel, struct diag *d) {
        int r = init_once(d);
        if (r < 0)
                return r;
        _cleanup_free_ char *copy = strdup(rel);
        char prefix[256] = "";
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                _cleanup_free_ char *cpus = NULL, *mems = NULL;
                if ((r = read_back(cg->m.cpuset_root, prefix, "cpuset.cpus", &cpus, d)) < 0 ||
                    (r = read_back(cg->m.cpuset_root, prefix, "cpuset.mems", &mems, d)) < 0)
                        return r;
                size_t l = strlen(prefix);
                snprintf(prefix + l, sizeof(prefix) - l, "%s%s", l ? "/" : "", part);
                bool acct = own_acct(cg);
                if (is_dir(cg->m.cpu_root, prefix) && is_dir(cg->m.cpuset_root, prefix) &&
                    (!acct || is_dir(cg->m.cpuacct_root, prefix)))
                        continue;
                struct cgroup *g = cgroup_new_cgroup(prefix);
                if (!g)
                        return -ENOMEM;
                struct cgroup_controller *cpu = cgroup_add_controller(g, "cpu");
                struct cgroup_controller *cs = cgroup_add_controller(g, "cpuset");
                if (acct && !cgroup_add_controller(g, "cpuacct"))
                        cpu = NULL;
                int ecg = !cpu || !cs ? ECGFAIL
                                      : cgroup_add_value_string(cs, "cpuset.cpus", cpus)
                                                ?: cgroup_add_value_string(cs, "cpuset.mems", mems)
                                                           ?: cgroup_create_cgroup(g, 0);
                cgroup_free(&g);
                if (ecg)
                        return fail(d, ecg, "creating", prefix);
                if (!is_dir(cg->m.cpu_root, prefix) || !is_dir(cg->m.cpuset_root, prefix) ||
                    (acct && !is_dir(cg->m.cpuacct_root, prefix)))
                        return diag_set(d, -EIO, "cgroup v1: libcgroup reported %s created, but it is not in every "
                                                 "hierarchy (cpu, cpuset%s)",
                                        prefix, acct ? ", cpuacct" : "");
        }
        return 0;
}

static int modify(const char *rel, const char *ctrl, const char *const kv[][2], size_t n, struct diag *d) {
        int r = init_once(d);
        if (r < 0)
                return r;
        struct cgroup *g = cgroup_new_cgroup(rel);
        if (!g)
                return -ENOMEM;
        struct cgroup_controller *c = cgroup_add_controller(g, ctrl);
        int ecg = c ? 0 : ECGFAIL;
        for (size_t i = 0; i < n && !ecg; i++)
                ecg = cgroup_add_value_string(c, kv[i][0], kv[i][1]);
        if (!ecg)
                ecg = cgroup_modify_cgroup(g);
        cgroup_free(&g);
        return ecg ? fail(d, ecg, "setting values of", rel) : 0;
}

static int expect_value(const char *root, const char *rel, const char *file, const char *want, struct diag *d) {
        _cleanup_free_ char *got = NULL;
        int r = read_back(root, rel, file, &got, d);
        if (r < 0)
                return r;
        if (strcmp(got, want) != 0)
                return diag_set(d, -EIO, "cgroup v1: %s/%s/%s holds \"%s\", \"%s\" was written", root, rel, file, got, want);
        return 0;
}

static int v1_set_quota(struct cg *cg, const char *rel, const struct cg_quota *q, struct diag *d) {
        char quota[32], period[32];
        snprintf(quota, sizeof(quota), "%" PRIu64, q->quota_us);
        snprintf(period, sizeof(period), "%" PRIu64, q->period_us);
        /* The period first: the kernel checks a quota against the period in force. */
        const char *const kv[][2] = { { "cpu.cfs_period_us", period }, { "cpu.cfs_quota_us", quota } };
        int r = modify(rel, "cpu", kv, 2, d);
        if (r < 0)
                return r;
        if ((r = expect_value(cg->m.cpu_root, rel, "cpu.cfs_period_us", period, d)) < 0)
                return r;
        return expect_value(cg->m.cpu_root, rel, "cpu.cfs_quota_us", quota, d);
}

static int v1_set_cpuset(struct cg *cg, const char *rel, const char *cpus, const char *mems, struct diag *d) {
        const char *const kv[][2] = { { "cpuset.cpus", cpus }, { "cpuset.mems", mems } };
        int r = modify(rel, "cpuset", kv, 2, d);
        if (r < 0)
                return r;
        if ((r = expect_value(cg->m.cpuset_root, rel, "cpuset.cpus", cpus, d)) < 0)
                return r;
        return expect_value(cg->m.cpuset_root, rel, "cpuset.mems", mems, d);
}

/* Moves every thread of pid (cgroup_change_cgroup_path walks /proc/PID/task; writing
 * the pid to v1 "tasks" would move one thread only). */
static int v1_attach(struct cg *cg, const char *rel, pid_t pid, struct diag *d) {
        int r = init_once(d);
        if (r < 0)
                return r;
        int ecg = cgroup_change_cgroup_path(rel, pid, own_acct(cg) ? controllers_acct : controllers);
        if (ecg)
                return fail(d, ecg, "moving a process into", rel);
        return 0;
}

/* One thread into rel: its tid into each hierarchy's tasks file (libcgroup's
 * cgroup_change_cgroup_path moves every thread of the process). */
static int v1_attach_thread(struct cg *cg, const char *rel, pid_t tid, struct diag *d) {
        const char *roots[] = { cg->m.cpu_root, cg->m.cpuset_root, own_acct(cg) ? cg->m.cpuacct_root : NULL };
        for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
                if (!roots[i] || !roots[i][0])
                        continue;
                char path[512], num[24];
                path_of(roots[i], rel, "tasks", path, sizeof(path));
                int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
                int n = snprintf(num, sizeof(num), "%d\n", (int)tid);
                if (fd < 0 || write(fd, num, (size_t)n) != n) {
                        int e = errno;
                        if (fd >= 0)
                                close(fd);
                        if (e == ESRCH)
                                continue; /* the thread ended */
                        return diag_set(d, -e, "cgroup v1: cannot move thread %d into %s: %s", (int)tid, path, strerror(e));
                }
                close(fd);
        }
        return 0;
}

static int v1_cpu_stat(struct cg *cg, const char *rel, struct cg_cpu_stat *ret, struct diag *d) {
        _cleanup_free_ char *text = NULL;
        int r = read_back(cg->m.cpu_root, rel, "cpu.stat", &text, d);
        if (r < 0)
                return r;
        uint64_t throttled_ns = 0;
        struct cg_cpu_stat s = { 0 };
        if (cg_stat_value(text, "nr_periods", &s.nr_periods) < 0 || cg_stat_value(text, "nr_throttled", &s.nr_throttled) < 0 ||
            cg_stat_value(text, "throttled_time", &throttled_ns) < 0)
                return diag_set(d, -EIO, "cgroup v1: %s/%s/cpu.stat lacks nr_periods, nr_throttled or throttled_time",
                                cg->m.cpu_root, rel);
        s.throttled_us = throttled_ns / 1000;
        /* The group's own CPU time, from cpuacct (as v2's usage_usec). */
        _cleanup_free_ char *usage = NULL;
        uint64_t usage_ns;
        if (cg->m.cpuacct_root[0] && read_back(cg->m.cpuacct_root, rel, "cpuacct.usage", &usage, NULL) == 0 &&
            parse_u64(usage, &usage_ns) == 0) {
                s.has_usage = true;
                s.usage_us = usage_ns / 1000;
        }
        *ret = s;
        return 0;
}

/* libcgroup's delete moves the processes still inside to the parent and succeeds: a
 * leaked agent would vanish into isolab/<run>.  Refuse instead, naming them. */
static int v1_destroy(struct cg *cg, const char *rel, struct diag *d) {
        int r = init_once(d);
        if (r < 0)
                return r;
        bool acct = own_acct(cg);
        if (!is_dir(cg->m.cpu_root, rel) && !is_dir(cg->m.cpuset_root, rel) && (!acct || !is_dir(cg->m.cpuacct_root, rel)))
                return 0; /* already gone: cleanup may run twice */
        const char *const roots[] = { cg->m.cpu_root, cg->m.cpuset_root, acct ? cg->m.cpuacct_root : NULL };
        for (int h = 0; h < 3 && roots[h]; h++) {
                _cleanup_free_ char *procs = NULL;
                const char *root = roots[h];
                if (is_dir(root, rel) && read_back(root, rel, "cgroup.procs", &procs, NULL) == 0 && procs[0]) {
                        for (char *c = procs; *c; c++)
                                if (*c == '\n')
                                        *c = ' ';
                        return diag_set(d, -EBUSY, "cgroup v1: %s still holds processes %s; stop them first", rel, procs);
                }
        }
        struct cgroup *g = cgroup_new_cgroup(rel);
        if (!g)
                return -ENOMEM;
        bool added = cgroup_add_controller(g, "cpu") && cgroup_add_controller(g, "cpuset") &&
                     (!acct || !is_dir(cg->m.cpuacct_root, rel) || cgroup_add_controller(g, "cpuacct"));
        int ecg = added ? cgroup_delete_cgroup_ext(g, 0) : ECGFAIL;
        cgroup_free(&g);
        if (ecg && ecg != ECGROUPNOTEXIST)
                return fail(d, ecg, "removing", rel);
        /* A delete can be half done: check both hierarchies. */
        if (is_dir(cg->m.cpu_root, rel) || is_dir(cg->m.cpuset_root, rel) || (acct && is_dir(cg->m.cpuacct_root, rel)))
                return diag_set(d, -EBUSY, "cgroup v1: %s is still there after removal (processes still in it?)", rel);
        return 0;
}

const struct cg_ops cg_v1_ops = {
        .name = "v1",
        .create = v1_create,
        .set_quota = v1_set_quota,
        .set_cpuset = v1_set_cpuset,
        .attach = v1_attach,
        .attach_thread = v1_attach_thread,
        .cpu_stat = v1_cpu_stat,
        .destroy = v1_destroy,
};
