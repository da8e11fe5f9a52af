/* cgroup — detection, quota arithmetic, the v2 backend and backend choice; the v1
 * backend (libcgroup) is in cgroup-v1.c.  See cgroup.h. */
#include "controller/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "controller/cgroup-systemd.h"
#include "base/util.h"

const char *cg_mode_name(enum cg_mode m) {
        return m == CG_V1 ? "v1" : m == CG_V2 ? "v2" : "none";
}

/* ---- detection ---------------------------------------------------------------------------- */

static bool has_token(const char *list, const char *tok) {
        size_t n = strlen(tok);
        for (const char *p = list; p && *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == n && strncmp(p, tok, n) == 0)
                        return true;
                p = e ? e + 1 : NULL;
        }
        return false;
}

static bool has_word(const char *list, const char *w) {
        size_t n = strlen(w);
        for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

/* The v1 hierarchies holding cpu and cpuset, and the cgroup2 mount. */
static int scan_mounts(const char *mountinfo, struct cg_mounts *m) {
        _cleanup_free_ char *copy = strdup(mountinfo);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
                char *sep = strstr(line, " - ");
                if (!sep)
                        continue;
                *sep = '\0';
                char mnt[256], fstype[64], source[64], opts[512];
                if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
                    sscanf(sep + 3, "%63s %63s %511s", fstype, source, opts) != 3)
                        continue;
                if (strcmp(fstype, "cgroup2") == 0) {
                        snprintf(m->unified, sizeof(m->unified), "%s", mnt);
                } else if (strcmp(fstype, "cgroup") == 0) {
                        if (has_token(opts, "cpu") && m->cpu == CG_NONE) {
                                m->cpu = CG_V1;
                                snprintf(m->cpu_root, sizeof(m->cpu_root), "%s", mnt);
                        }
                        if (has_token(opts, "cpuset") && m->cpuset == CG_NONE) {
                                m->cpuset = CG_V1;
                                snprintf(m->cpuset_root, sizeof(m->cpuset_root), "%s", mnt);
                        }
                        if (has_token(opts, "cpuacct") && !m->cpuacct_root[0])
                                snprintf(m->cpuacct_root, sizeof(m->cpuacct_root), "%s", mnt);
                }
        }
        return 0;
}

int cg_detect_parse(const char *mountinfo, const char *v2_controllers, struct cg_mounts *ret, struct diag *d) {
        struct cg_mounts m = { 0 };
        int r = scan_mounts(mountinfo, &m);
        if (r < 0)
                return r;
        /* A controller not bound to a v1 hierarchy is on v2 if the v2 root offers it (the
         * kernel allows each controller in one place only). */
        if (m.unified[0] && v2_controllers) {
                if (m.cpu == CG_NONE && has_word(v2_controllers, "cpu")) {
                        m.cpu = CG_V2;
                        snprintf(m.cpu_root, sizeof(m.cpu_root), "%s", m.unified);
                }
                if (m.cpuset == CG_NONE && has_word(v2_controllers, "cpuset")) {
                        m.cpuset = CG_V2;
                        snprintf(m.cpuset_root, sizeof(m.cpuset_root), "%s", m.unified);
                }
        }
        if (m.cpu == CG_NONE || m.cpuset == CG_NONE) {
                const char *c = m.cpu == CG_NONE ? "cpu" : "cpuset";
                return diag_set(d, -ENODEV,
                                "no usable cgroup %s controller: mount it (v1: mount -t cgroup -o %s cgroup "
                                "/sys/fs/cgroup/%s) or enable it on cgroup2",
                                c, c, c);
        }
        *ret = m;
        return 0;
}

int cg_detect(struct cg_mounts *ret, struct diag *d) {
        _cleanup_free_ char *mi = NULL, *ctl = NULL;
        int r = read_small_file("/proc/self/mountinfo", &mi);
        if (r < 0)
                return diag_set(d, r, "cannot read /proc/self/mountinfo: %s", strerror(-r));
        struct cg_mounts m = { 0 };
        r = scan_mounts(mi, &m);
        if (r < 0)
                return r;
        if (m.unified[0]) {
                char path[300];
                snprintf(path, sizeof(path), "%s/cgroup.controllers", m.unified);
                read_small_file(path, &ctl); /* unreadable: no controller offered */
        }
        return cg_detect_parse(mi, ctl ? ctl : "", ret, d);
}

/* ---- quota arithmetic ------------------------------------------------------------------------ */

int cg_quota_compute(double percent, unsigned cores, uint64_t period_us, struct cg_quota *ret, struct diag *d) {
        if (!(percent > 0 && percent <= 100))
                return diag_set(d, -EINVAL, "CPU quota %g%%: give a share above 0 and up to 100%% of the NF's cores",
                                percent);
        if (cores == 0)
                return diag_set(d, -EINVAL, "a CPU quota needs at least one core to be a share of");
        if (period_us < CG_PERIOD_MIN_US || period_us > CG_PERIOD_MAX_US)
                return diag_set(d, -EINVAL, "CPU period %" PRIu64 " us: the kernel takes 1 ms to 1 s", period_us);
        /* Rounded to the microsecond, the unit of the kernel's interface. */
        uint64_t q = (uint64_t)llround(percent / 100.0 * cores * (double)period_us);
        if (q < CG_PERIOD_MIN_US) {
                uint64_t need = (uint64_t)ceil(CG_PERIOD_MIN_US * 100.0 / (percent * cores));
                return diag_set(d, -EINVAL,
                                "CPU quota %g%% of %u core%s per %" PRIu64 " us period is %" PRIu64
                                " us, under the kernel's 1 ms minimum; use a period of at least %" PRIu64 " us",
                                percent, cores, cores == 1 ? "" : "s", period_us, q, need);
        }
        *ret = (struct cg_quota){ .quota_us = q, .period_us = period_us };
        return 0;
}

void cg_quota_v2(const struct cg_quota *q, char *buf, size_t len) {
        snprintf(buf, len, "%" PRIu64 " %" PRIu64, q->quota_us, q->period_us);
}

uint64_t cg_quota_systemd_per_sec_us(const struct cg_quota *q) {
        return q->quota_us * 1000000ULL / q->period_us;
}

/* ---- the v2 backend ------------------------------------------------------------------------- */

static int write_file(const char *path, const char *value, struct diag *d) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return diag_set(d, -errno, "cannot open %s: %s", path, strerror(errno));
        ssize_t n = write(fd, value, strlen(value));
        int r = n < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return diag_set(d, r, "writing \"%s\" to %s failed: %s", value, path, strerror(-r));
        return 0;
}

/* Writes and reads back; `expect` is what the file must then hold (NULL: value). */
static int write_verify(const char *path, const char *value, const char *expect, struct diag *d) {
        int r = write_file(path, value, d);
        if (r < 0)
                return r;
        _cleanup_free_ char *back = NULL;
        r = read_small_file(path, &back);
        if (r < 0)
                return diag_set(d, r, "cannot read back %s: %s", path, strerror(-r));
        if (strcmp(back, expect ? expect : value) != 0)
                return diag_set(d, -EIO, "%s holds \"%s\" after writing \"%s\"", path, back, value);
        return 0;
}

static void v2_path(const struct cg *cg, const char *rel, const char *file, char *buf, size_t len) {
        snprintf(buf, len, "%s/%s%s%s", cg->m.unified, rel, file ? "/" : "", file ? file : "");
}

static int v2_create(struct cg *cg, const char *rel, struct diag *d) {
        char path[512], prefix[256] = "";
        _cleanup_free_ char *copy = strdup(rel);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                /* The parent must hand cpu and cpuset down before the child can use them. */
                if (snprintf(path, sizeof(path), "%s%s%s/cgroup.subtree_control", cg->m.unified, prefix[0] ? "/" : "",
                             prefix) >= (int)sizeof(path))
                        return diag_set(d, -ENAMETOOLONG, "the cgroup path %s/%s is too long", cg->m.unified, rel);
                _cleanup_free_ char *cur = NULL;
                if (read_small_file(path, &cur) < 0 || !has_word(cur, "cpu") || !has_word(cur, "cpuset")) {
                        int r = write_file(path, "+cpu +cpuset", d);
                        if (r < 0)
                                return r;
                }
                size_t l = strlen(prefix);
                snprintf(prefix + l, sizeof(prefix) - l, "%s%s", l ? "/" : "", part);
                v2_path(cg, prefix, NULL, path, sizeof(path));
                if (cg->mkdir(path) < 0 && errno != EEXIST)
                        return diag_set(d, -errno, "cannot create cgroup %s: %s", path, strerror(errno));
        }
        return 0;
}

static int v2_set_quota(struct cg *cg, const char *rel, const struct cg_quota *q, struct diag *d) {
        char path[512], v[64];
        v2_path(cg, rel, "cpu.max", path, sizeof(path));
        cg_quota_v2(q, v, sizeof(v));
        return write_verify(path, v, NULL, d);
}

static int v2_set_cpuset(struct cg *cg, const char *rel, const char *cpus, const char *mems, struct diag *d) {
        char path[512];
        v2_path(cg, rel, "cpuset.cpus", path, sizeof(path));
        int r = write_verify(path, cpus, NULL, d);
        if (r < 0)
                return r;
        v2_path(cg, rel, "cpuset.mems", path, sizeof(path));
        return write_verify(path, mems, NULL, d);
}

static int v2_attach(struct cg *cg, const char *rel, pid_t pid, struct diag *d) {
        char path[512], v[32];
        v2_path(cg, rel, "cgroup.procs", path, sizeof(path));
        snprintf(v, sizeof(v), "%d", (int)pid);
        return write_file(path, v, d);
}

static int v2_attach_thread(struct cg *cg, const char *rel, pid_t tid, struct diag *d) {
        char path[512], v[32];
        v2_path(cg, rel, "cgroup.threads", path, sizeof(path));
        snprintf(v, sizeof(v), "%d", (int)tid);
        return write_file(path, v, d);
}

static int v2_make_threaded(struct cg *cg, const char *rel, struct diag *d) {
        char path[512];
        v2_path(cg, rel, "cgroup.type", path, sizeof(path));
        return write_verify(path, "threaded", NULL, d);
}

/* "key value" lines, as in cpu.stat of v1 and v2. */
static bool stat_value(const char *text, const char *key, uint64_t *ret) {
        size_t n = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, n) == 0 && p[n] == ' ')
                        return sscanf(p + n + 1, "%" SCNu64, ret) == 1;
        return false;
}

static int v2_cpu_stat(struct cg *cg, const char *rel, struct cg_cpu_stat *ret, struct diag *d) {
        char path[512];
        v2_path(cg, rel, "cpu.stat", path, sizeof(path));
        _cleanup_free_ char *text = NULL;
        int r = read_small_file(path, &text);
        if (r < 0)
                return diag_set(d, r, "cannot read %s: %s", path, strerror(-r));
        struct cg_cpu_stat s = { 0 };
        if (!stat_value(text, "nr_periods", &s.nr_periods) || !stat_value(text, "nr_throttled", &s.nr_throttled) ||
            !stat_value(text, "throttled_usec", &s.throttled_us))
                return diag_set(d, -EIO, "%s lacks nr_periods, nr_throttled or throttled_usec: is the cpu controller "
                                         "enabled for this group?",
                                path);
        s.has_usage = stat_value(text, "usage_usec", &s.usage_us);
        *ret = s;
        return 0;
}

static int v2_destroy(struct cg *cg, const char *rel, struct diag *d) {
        char path[512];
        v2_path(cg, rel, "cgroup.procs", path, sizeof(path));
        _cleanup_free_ char *procs = NULL;
        if (read_small_file(path, &procs) == 0 && procs[0]) {
                for (char *c = procs; *c; c++)
                        if (*c == '\n')
                                *c = ' ';
                return diag_set(d, -EBUSY, "cgroup %s still holds processes %s; stop them first", rel, procs);
        }
        v2_path(cg, rel, NULL, path, sizeof(path));
        if (cg->rmdir(path) < 0 && errno != ENOENT)
                return diag_set(d, -errno, "cannot remove cgroup %s: %s (are processes still in it?)", path,
                                strerror(errno));
        return 0;
}

const struct cg_ops cg_v2_ops = {
        .name = "v2",
        .create = v2_create,
        .set_quota = v2_set_quota,
        .set_cpuset = v2_set_cpuset,
        .attach = v2_attach,
        .attach_thread = v2_attach_thread,
        .make_threaded = v2_make_threaded,
        .cpu_stat = v2_cpu_stat,
        .destroy = v2_destroy,
};

/* Shared with cgroup-v1.c. */
int cg_stat_value(const char *text, const char *key, uint64_t *ret);
int cg_stat_value(const char *text, const char *key, uint64_t *ret) {
        return stat_value(text, key, ret) ? 0 : -ENOENT;
}
