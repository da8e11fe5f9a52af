/* plan — where the NF's PMD threads, the generator, the neighbours and the hugepages go.
 *
 * The planner is a pure function of the machine model (topo.h) and the request: it
 * touches nothing, so `isolab plan` can print it for any machine described by an hwloc
 * XML file, and the tests can check it on machines they do not run on.  It is
 * deterministic (same input, same plan), every decision carries its reason, and every
 * compromise it has to make is a warning a performance engineer should read before
 * trusting a figure:
 *
 *   node          NIC-local when ports are PCI addresses; else the node with the most
 *                 free hugepage memory; else node 0.  --node forces one (the "NIC on the
 *                 wrong node" experiment).
 *   PMD cores     whole cores on that node, one CPU each, their SMT siblings left idle;
 *                 isolated cores (isolcpus=/nohz_full=) first; never the housekeeping
 *                 core (the one holding CPU 0) unless nothing else is left.
 *   generator     other whole cores: same node and another L3 first (the generator is
 *                 a heavy cache user and should not pollute the NF's L3), then same node,
 *                 then another node, then the housekeeping core.
 *   noise         per placement mode, on cores no other role uses.
 *   hugepages     1 GiB pages when the node has some reserved, else 2 MiB; enough for the
 *                 NF and the generator, each a separate DPDK process with its own pages. */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "topology/topo.h"

enum noise_placement {
        NOISE_SAME_CORE,  /* on the PMD CPUs: time-sharing the CPU */
        NOISE_SIBLING,    /* on the PMD cores' SMT siblings: sharing the core's pipeline and L1/L2 */
        NOISE_SAME_LLC,   /* other cores of the PMD cores' L3 */
        NOISE_SAME_NODE,  /* other cores of the NUMA node, outside that L3 when possible */
        NOISE_OTHER_NODE, /* cores of another NUMA node: only the interconnect is shared */
        NOISE_ANY,        /* no cpuset: the scheduler decides (Docker's default) */
        _NOISE_PLACEMENT_MAX,
};

const char *noise_placement_to_string(enum noise_placement p);
/* Returns the placement, or -EINVAL. */
int noise_placement_from_string(const char *s);

#define PLAN_DEFAULT_HUGEPAGE_MEM (512ULL << 20) /* per DPDK process */
#define PLAN_DPDK_PROCESSES 2                    /* isolab-nf and isolab-gen */

/* Which roles this machine holds: both (one host), the NF only (the generator runs on
 * another host, --gen-host), or the generator only (that other host). */
enum plan_host { PLAN_HOST_BOTH, PLAN_HOST_DUT, PLAN_HOST_GEN };

struct plan_request {
        enum plan_host host;
        unsigned pmd_cores;        /* PMD threads of the NF, one whole core each (>= 1; unused on the generator host) */
        unsigned gen_cores;        /* generator cores (>= 1; unused on the DUT of two hosts) */
        int node;                  /* force this NUMA node (os index), -1: choose */
        const char *const *ports;  /* PCI addresses of the NF's ports (the generator's, on the generator
                                    * host); none for virtual links */
        unsigned n_ports;
        unsigned noise_mask;       /* 1 << enum noise_placement for each mode to plan */
        uint64_t hugepage_size;    /* bytes; 0 chooses */
        uint64_t hugepage_mem;     /* bytes per DPDK process; 0: PLAN_DEFAULT_HUGEPAGE_MEM */
        hwloc_const_bitmap_t avoid; /* the generator host: CPUs the NF's PMD threads take when it is the
                                    * DUT itself (NULL: none); the generator goes there last */
};

struct plan_port {
        char busid[16];
        char name[32];
        int node;                  /* -1: unknown locality */
};

struct plan_role {
        bool available;            /* false: the role cannot be placed here (reason says why) */
        hwloc_bitmap_t cpus;
        char reason[320];
};

struct plan_hugepages {
        uint64_t page_size;        /* bytes */
        uint64_t per_process;      /* pages each DPDK process needs */
        uint64_t needed;           /* pages for all DPDK processes */
        uint64_t free;             /* pages free in the node's pool (reserved, for a topology file) */
        bool free_known;
        char reason[320];
};

struct plan {
        enum plan_host host;
        unsigned processes;        /* DPDK processes whose hugepages this host holds */
        int node;                  /* os index of the chosen NUMA node */
        char node_reason[320];
        struct plan_port *ports;
        unsigned n_ports;
        struct plan_role pmd;      /* one CPU per PMD core */
        hwloc_bitmap_t pmd_siblings; /* idle SMT siblings of the PMD cores: given to no role */
        struct plan_role gen;
        struct plan_role housekeeping; /* the controller, the agents' control threads, the kernel */
        struct plan_role noise[_NOISE_PLACEMENT_MAX]; /* only those in noise_mask are filled */
        unsigned noise_mask;
        struct plan_hugepages huge;
        char isolation[320];       /* what the kernel's isolation settings mean for the PMDs */
        char **warnings;
        unsigned n_warnings;
};

/* Makes the plan.  Returns 0, or a negative errno with d naming the option at fault:
 * an unknown port, a node that does not exist, more PMD cores than the node has, a
 * hugepage size the node does not offer. */
int plan_make(const struct topo *t, const struct plan_request *req, struct plan **ret, struct diag *d);
struct plan *plan_free(struct plan *p);

static inline void plan_freep(struct plan **p) {
        plan_free(*p);
}
