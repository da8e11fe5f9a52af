/* cgroup — CPU quotas and cpusets for the agents, one interface over three backends.
 *
 * The NF, the generator and every neighbour get their own group under one subtree,
 * isolab/<run>/{gen,nf,noise-N}, so a run is found, limited, measured and removed as a
 * whole.  Hosts differ per controller, not per machine: this VM is hybrid (cpu and cpuset
 * on cgroup v1, cgroup2 mounted with no controllers), a current server is pure v2, a
 * systemd host wants a delegated subtree.  Detection is therefore per controller, and
 * the backends are ops structs (STYLE.md, "Shape"):
 *
 *   v1       libcgroup: cpu.cfs_quota_us / cpu.cfs_period_us, cpuset.cpus / cpuset.mems.
 *   v2       files: cpu.max, cpuset.cpus / cpuset.mems, "+cpu +cpuset" in each parent's
 *            cgroup.subtree_control.
 *   systemd  when systemd is PID 1 on cgroup v2: a transient scope per agent with
 *            CPUQuotaPerSecUSec, CPUQuotaPeriodUSec, AllowedCPUs and Delegate=yes,
 *            over sd-bus (cgroup-systemd.h).  ISOLAB_CGROUP_BACKEND=v2 forces plain
 *            files instead (a delegated subtree, a container).
 *
 * Every write is read back: libcgroup can report success for a half-done operation and
 * the kernel may adjust a value. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/diag.h"

enum cg_mode { CG_NONE, CG_V1, CG_V2 };

struct cg_mounts {
        enum cg_mode cpu, cpuset;     /* where each controller lives */
        char cpu_root[256];           /* its hierarchy's mount point */
        char cpuset_root[256];
        char cpuacct_root[256];       /* v1's cpuacct hierarchy (a group's CPU time), "" when none */
        char unified[256];            /* the cgroup2 mount, "" when none */
};

const char *cg_mode_name(enum cg_mode m);

/* Detection from the text of /proc/self/mountinfo and of the cgroup2 root's
 * cgroup.controllers (NULL when there is no cgroup2 mount).  A controller bound to a v1
 * hierarchy is v1 even if cgroup2 is mounted (the kernel allows each controller in one
 * place only).  Pure, for tests; cg_detect() reads the files. */
int cg_detect_parse(const char *mountinfo, const char *v2_controllers, struct cg_mounts *ret, struct diag *d);
int cg_detect(struct cg_mounts *ret, struct diag *d);

/* ---- CPU quota arithmetic -------------------------------------------------------------- */

#define CG_PERIOD_MIN_US 1000ULL    /* the kernel refuses shorter periods and quotas */
#define CG_PERIOD_MAX_US 1000000ULL

struct cg_quota {
        uint64_t quota_us;   /* CPU time per period for the whole group */
        uint64_t period_us;
};

/* percent of `cores` CPUs (100 % of 2 PMD cores = 2 CPUs) per period_us.  Errors, one
 * sentence each: a percentage outside (0, 100], a period outside 1 ms..1 s, a quota under
 * the kernel's 1 ms minimum (with the shortest period that works). */
int cg_quota_compute(double percent, unsigned cores, uint64_t period_us, struct cg_quota *ret, struct diag *d);
/* "50000 100000" for cpu.max. */
void cg_quota_v2(const struct cg_quota *q, char *buf, size_t len);
/* systemd's CPUQuotaPerSecUSec: CPU time per second of wall time. */
uint64_t cg_quota_systemd_per_sec_us(const struct cg_quota *q);

/* ---- groups ------------------------------------------------------------------------------ */

struct cg_cpu_stat {
        uint64_t nr_periods, nr_throttled;
        uint64_t throttled_us;
        uint64_t usage_us;       /* CPU time used (v2 and systemd; v1 keeps it in cpuacct, not read) */
        bool has_usage;
};

struct cg;
struct cg_sd;

struct cg_ops {
        const char *name;
        /* Moves one thread (v1's tasks, v2's cgroup.threads), not its whole process; NULL
         * where the backend keeps a process's threads together (systemd).  On v2 a thread
         * moves only between threaded groups of its process's subtree: make_threaded turns
         * a new, empty group threaded (cgroup.type); NULL where any group will do (v1). */
        int (*attach_thread)(struct cg *cg, const char *rel, pid_t tid, struct diag *d);
        int (*make_threaded)(struct cg *cg, const char *rel, struct diag *d);
        int (*create)(struct cg *cg, const char *rel, struct diag *d);
        int (*set_quota)(struct cg *cg, const char *rel, const struct cg_quota *q, struct diag *d);
        int (*set_cpuset)(struct cg *cg, const char *rel, const char *cpus, const char *mems, struct diag *d);
        int (*attach)(struct cg *cg, const char *rel, pid_t pid, struct diag *d);
        int (*cpu_stat)(struct cg *cg, const char *rel, struct cg_cpu_stat *ret, struct diag *d);
        int (*destroy)(struct cg *cg, const char *rel, struct diag *d); /* the leaf only */
};

struct cg {
        const struct cg_ops *ops;
        struct cg_mounts m;
        /* Directory operations of the v2 backend; tests replace them to emulate the
         * kernel on a temporary tree (a new cgroup comes with its control files). */
        int (*mkdir)(const char *path);
        int (*rmdir)(const char *path);
        struct cg_sd *sd; /* the systemd backend's bus and pending scopes */
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;
extern const struct cg_ops cg_systemd_ops;

/* Chooses the backend for the detected mounts: both controllers on v1, or both on v2.
 * A split (cpu on one, cpuset on the other) is refused with the reason.  On v2 with
 * systemd as PID 1 the systemd backend is chosen, unless ISOLAB_CGROUP_BACKEND=v2. */
int cg_open(struct cg *cg, const struct cg_mounts *m, struct diag *d);
/* Releases what cg_open() took (the systemd backend's bus). */
void cg_close(struct cg *cg);
