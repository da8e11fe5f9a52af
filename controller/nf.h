/* nf — the network function under test, one ops struct per kind (after testpmd's struct
 * fwd_engine and fio's ioengines): how it is started, whether it says when it is ready,
 * what it can count from the inside, how it is pinned and stopped.
 *
 * Adding a kind is one file, controller/nf-KIND.c, defining a const struct nf_ops, and
 * one entry in nf_kinds[] (nf.c).  The rest of the engine never asks which kind runs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

#include "base/diag.h"

struct experiment;
struct exp_run;

/* An agent's command line, its strings kept with it. */
#define ARGV_MAX 64
struct argvec {
        char *v[ARGV_MAX + 1];
        int n;
        char buf[8192];
        size_t used;
        bool overflow;           /* something did not fit: the command line is not started */
};

void argv_add(struct argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a command line is made of, decided by the run (agents.c). */
struct agent_env {
        const struct experiment *x;
        const char *run_dir;     /* the run's directory (root's only) */
        const char *link_dir;    /* the link kind's sockets */
        const char *huge_dir;    /* the run's hugetlbfs mount */
        const char *socket_mem;  /* EAL --socket-mem: all on the planned node */
        const char *gen_huge_dir, *gen_socket_mem; /* the generator's (its own host's with --gen-host) */
        const char *lcores_gen;  /* EAL --lcores of the generator */
        const char *lcores_nf;   /* of the NF, for the current pinning */
        const char *prefix[2];   /* DPDK --file-prefix of gen and nf */
        unsigned ring;           /* descriptors per ring of the virtual link (0: the driver's default) */
        uint64_t link_bps;       /* the line rate: --link-speed, or the real ports' speed (0: --link-speed) */
};

enum agent_role { ROLE_GEN, ROLE_NF, _ROLE_MAX };

/* The EAL arguments every DPDK process of the run takes (lcores, file prefix, memory). */
void argv_eal(const struct agent_env *e, enum agent_role role, struct argvec *a);
/* The link arguments isolab's agents take (--link, --link-dir, --link-queues). */
void argv_link(const struct agent_env *e, struct argvec *a);
/* isolab-gen's or isolab-nf's command line: the program, EAL, "--", the link. */
void argv_agent(const struct agent_env *e, enum agent_role role, struct argvec *a);

struct nf_ops {
        const char *name;        /* --nf NAME; "nf_under_test" in every record */
        /* isolab's JSON-lines protocol: READY=1, hello, stats from the inside (rx, tx,
         * busy and idle polls, stalls, poll gaps), its placement.  Without it the NF is
         * started raw (stdout to its log), counted from the outside and stopped by
         * SIGTERM. */
        bool speaks_protocol;
        /* A process of its own; none: the generator is looped back (the floor). */
        bool has_process;
        /* Whether it can run here and with these options; NULL: always. */
        int (*check)(const struct experiment *x, struct diag *d);
        /* Its command line, pinned by e->lcores_nf (has_process only). */
        void (*nf_argv)(const struct agent_env *e, struct argvec *a);
        /* Whether it can do --nf-work's per-packet work, as given (x->work); NULL: it
         * cannot do any (0 when there is none to do is the engine's business). */
        int (*work_check)(const struct experiment *x, struct diag *d);
        /* What the generator adds for it (none: loop port 0 back); NULL: nothing. */
        void (*gen_argv)(const struct agent_env *e, struct argvec *a);
        /* The generator's ports as EAL devices instead of isolab's link (OVS's vhost-user
         * ports are clients: the generator serves virtio-user sockets); NULL: the link. */
        void (*gen_eal)(const struct agent_env *e, struct argvec *a);
        /* An NF of several processes (OVS: its database first, its bridge after):
         * before_start runs before its process starts, after_start once it runs and before
         * the generator does (start_first), ready once both run (it forwards), stop when
         * the agents are released (restart, end); NULL: none.  Each pushes its own undo. */
        bool start_first;
        int (*before_start)(struct exp_run *R, struct diag *d);
        int (*after_start)(struct exp_run *R, struct diag *d);
        int (*ready)(struct exp_run *R, struct diag *d);
        /* Its log in the results directory (NULL: nf.log), and the hugepage memory each
         * DPDK process of the run gets (NULL or 0: the plan's default). */
        const char *log;
        unsigned long long (*hugepage_mem)(const struct experiment *x);
        /* Counting from the inside without isolab's protocol (OVS's pmd-stats): cleared
         * when the window opens, read when it closes into {"rx": packets, "busy_share":
         * share of the PMD cycles that processed packets, ...}; NULL: none. */
        int (*stats_clear)(struct exp_run *R, struct diag *d);
        json_t *(*stats_read)(struct exp_run *R, struct diag *d);
        /* Its threads outside the PMD lcores run on the housekeeping CPUs, in its cgroup. */
        bool housekeeping_threads;
        /* In a container it needs NET_ADMIN and /dev/net/tun (OVS: its bridge's port). */
        bool container_net_admin;
        /* Once its agents are released (a restart, another kind, the run's end): what it
         * started besides its process stops and its own state (R->nf_state) is freed;
         * NULL: nothing to do.  At the run's end the undo stack has stopped everything
         * already, and this only frees. */
        void (*stop)(struct exp_run *R);
};

/* nf-ovs.c: OVS's bridge br0 and its two ports p0 (ingress) and p1, as ovs-vsctl words
 * (after --db and --no-wait): dpdkvhostuserclient ports on the generator's sockets, or
 * dpdk ports on PCI addresses; the ingress port's queues, descriptors and rx-queue
 * affinity ("Q:CPU,...", "" for none). */
struct ovs_bridge {
        bool pci;
        char port[2][400];       /* the sockets, or the PCI addresses */
        unsigned ring, n_rxq, rxq_desc;
        char affinity[128];
};
void ovs_bridge_argv(const struct ovs_bridge *b, struct argvec *a);
/* nf-ovs.c: OVS's `dpif-netdev/pmd-stats-show` text as {"rx", "busy_share", "idle_cycles",
 * "processing_cycles", "pmds": [{"core", "rx", "idle_cycles", "processing_cycles"}]}. */
json_t *ovs_pmd_stats_parse(const char *text);
/* `dpif-netdev/pmd-perf-show` text: {"duration_s", "tsc_hz" (OVS's cycles over its
 * measurement), "long_iterations" (over 250 us), "pmds": [{"core", "iterations",
 * "cycles_per_iteration": [{"from_cycles", "to_cycles" (null: no bound), "iterations"}],
 * "long_iterations", "longest_at_least_us"}]}. */
json_t *ovs_perf_parse(const char *text);
/* OVS's log lines "Suspicious iteration (REASON): ... duration=N us": {"long_iterations_logged"
 * (Excessive total cycles), "longest_us", "logged_us" (their sum), "other_logged"}. */
json_t *ovs_suspicious_parse(const char *text);
/* `dpctl/show -s` text: {"p0": {"rx", "rx_dropped", "tx", "tx_dropped"}, "p1": ...}. */
json_t *ovs_port_stats_parse(const char *text);
/* `dpif-netdev/pmd-rxq-show` text: [{"core", "port", "queue", "state", "usage_pct"}]. */
json_t *ovs_rxq_parse(const char *text);

/* Every kind, in the order --help names them (nf.c). */
extern const struct nf_ops *const nf_kinds[];
extern const size_t n_nf_kinds;

/* The kind called name, or NULL. */
const struct nf_ops *nf_find(const char *name);
/* "isolab-nf, testpmd, ovs-dpdk or none", for messages. */
const char *nf_names(void);
