/* counters — what the kernel and the NF count, read and subtracted: the PMD threads'
 * scheduler counters (/proc/PID/task/TID/schedstat, status), a process's CPU time and
 * hugepage memory per node (numa_maps), and the sums and deltas of the NF's per-lcore
 * stats.  The arithmetic on stats replies is pure (unit-tested). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sched_snap {
        uint64_t run_ns, wait_ns;        /* /proc/PID/task/TID/schedstat: on CPU, waiting on a run queue */
        uint64_t nonvoluntary;           /* involuntary context switches */
        uint64_t process_ns;             /* all the process's threads on CPU */
};

/* The threads of lcores ([{"tid": T}, ...]) of pid, summed. */
void sched_read(pid_t pid, json_t *lcores, struct sched_snap *s);
/* CPU time of all of a process's threads. */
uint64_t process_run_ns(pid_t pid);
/* Calls fn(pid, tid, comm, ctx) for each thread of pid still there (comm without its
 * newline); stops at fn's first negative return and returns it, -errno when the threads
 * cannot be listed, else 0. */
int threads_foreach(pid_t pid, int (*fn)(pid_t pid, pid_t tid, const char *comm, void *ctx), void *ctx);
/* A thread's /proc/PID/task/TID/NAME (comm, sched, schedstat, status) in *ret. */
/* The host's id of thread tid as process pid's namespace numbers it (a container's
 * own); 0 when it has none. */
pid_t host_tid(pid_t pid, pid_t tid);
int thread_file(pid_t pid, pid_t tid, const char *name, char **ret);
/* CPU time of a process's threads by class of thread name: {"pmd": ns, "main": ns,
 * "handler": ns, "revalidator": ns, "urcu": ns, "lcore": ns, "eal": ns, "other": ns}
 * (only the classes it has), and the growth from a to b. */
json_t *thread_classes_ns(pid_t pid);
/* Whether a thread of this name polls (OVS's pmd-cNN, DPDK's worker lcores). */
bool thread_polls(const char *comm);
/* The migrations between CPUs of a process's polling threads (/proc/PID/task/TID/sched). */
uint64_t polling_migrations(pid_t pid);
json_t *thread_classes_delta(json_t *a, json_t *b);
/* Where a process's hugepage memory is: {"NODE": bytes, ...}. */
json_t *numa_huge_json(pid_t pid);

/* The sum of key over a stats reply's "lcores", and its maximum. */
json_int_t sum_lcores(json_t *stats, const char *key);
double max_lcores(json_t *stats, const char *key);
/* The poll-gap histogram between two stats replies, all lcores together:
 * [[ge_ns, count], ...] with the buckets that grew. */
json_t *gap_delta(json_t *s0, json_t *s1);

/* part / window / n, bounded to [0, 1]: a share of n CPUs over a window, both counted over
 * the same stretch of time (0 for an empty window).  Jitter between reading a counter and
 * its clock can push the quotient a little past 1; more than that is a mismatched window. */
double counter_share(double part, double window, unsigned n);

/* Where the trial's lost packets were lost (offered - received), each part from its own
 * counter over the counters' window:
 *   link_refused   the generator's TX queue refused them: on a virtual link the NF's RX
 *                  ring was full (what a NIC calls imissed); on a NIC, the generator's own
 *                  TX ring
 *   nf_rx_missed   the NF's ports counted them missed or without mbufs (a NIC's RX ring)
 *   nf_tx_drops    the NF could not send them: the generator's RX ring was full
 *   gen_rx_missed  the generator's RX port counted them missed
 *   unseen         the rest: still in flight at the end, or dropped where no counter sees
 * nf_known false (an NF that does not report, e.g. testpmd): the NF's parts are null and in
 * unseen.  The parts add up to the loss; where counters overlap (a warm-up packet dropped in
 * the window) unseen would go below zero: it is 0 and "overcounted" says by how much. */
struct loss_counts {
        uint64_t offered, sent, received, gen_rx_missed;
        bool virtual_link, nf_known;
        uint64_t nf_rx_missed, nf_tx_drops;
};
json_t *loss_parts(const struct loss_counts *c);

/* What a trial's time series (isolab-gen's "series": due, sent, received per bucket) says
 * at a glance, for the record: buckets (and their length), gen_behind_ms (the generator
 * sent under 90 % of what its schedule made due), silent_ms (packets were due but none
 * came back: the NF unreachable, e.g. throttled), and the longest run of silent buckets.
 * NULL when the series is missing or malformed. */
json_t *series_summary(json_t *series);

/* What else ran on the CPUs the trial used (the PMDs', the generator's), from the kernel:
 * /proc/stat's irq, softirq and steal time per CPU (in clock ticks: 10 ms each at the
 * usual USER_HZ) and /proc/softirqs' counts per kind (NET_RX, TIMER, SCHED, RCU, ...).
 * A PMD that stalls while its cgroup is not throttled was preempted by a thread, by
 * interrupt work on its CPU (loopback traffic's NET_RX softirqs run on the sender's CPU),
 * or by the hypervisor (steal); the record says which it could have been. */
#define CPU_SNAP_MAX 16
#define SOFTIRQ_KINDS 12
struct cpu_snap {
        unsigned n, n_kinds;
        int cpu[CPU_SNAP_MAX];
        char role[CPU_SNAP_MAX][32];        /* "pmd", "gen", "pmd,gen" */
        uint64_t ticks[CPU_SNAP_MAX][3];    /* irq, softirq, steal */
        char kind[SOFTIRQ_KINDS][12];
        uint64_t softirq[CPU_SNAP_MAX][SOFTIRQ_KINDS];
};
/* The irq, softirq and steal ticks of cpu in a /proc/stat text; false when it has no line. */
bool procstat_cpu(FILE *f, int cpu, uint64_t ticks[3]);
/* The softirq counts of cpu in a /proc/softirqs text, per kind (names into kind[], at most
 * max); the number of kinds, 0 when the CPU has no column. */
unsigned softirqs_cpu(FILE *f, int cpu, char kind[][12], uint64_t *count, unsigned max);
/* Reads both files for the CPUs s->cpu[0..n) (the caller fills them and their roles). */
void cpu_snap_read(struct cpu_snap *s);
/* {"CPU": {"role", "irq_ms", "softirq_ms", "steal_ms", "softirqs": {"KIND": n, ...}}, ...}
 * between two readings of the same CPUs; kinds that did not move are left out. */
json_t *cpu_snap_delta(const struct cpu_snap *a, const struct cpu_snap *b, long ticks_per_s);
/* Where a process's threads last ran (/proc/PID/task/TID/stat "processor"):
 * {"threads": n, "last_cpu": {"CPU": threads, ...}}; NULL when it is gone. */
json_t *threads_last_cpu(pid_t pid);
/* The "processor" field of a /proc/.../stat line, or -1. */
int stat_processor(const char *stat);
