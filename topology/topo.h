/* topo — the machine isolab runs on (or plans for), modelled from hwloc.
 *
 * The model holds what placement decisions need and nothing more: NUMA nodes with
 * their memory and hugepage pools, L3 groups, cores with their SMT siblings, PCI
 * network controllers with their NUMA node, and the kernel's isolation settings.  It
 * is loaded from this system, from an hwloc XML file (lstopo --of xml) or from an hwloc
 * synthetic description, so the planner can be run and tested for machines it does not
 * run on.  All CPU numbers are OS indexes (what taskset and cgroups use). */
#pragma once

#include <hwloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "topology/cmdline.h"
#include "base/diag.h"
#include "topology/hugepages.h"

enum topo_source {
        TOPO_SOURCE_SYSTEM,    /* this machine: hwloc's Linux backend, sysfs, /proc/cmdline */
        TOPO_SOURCE_XML,       /* an hwloc XML export of some machine */
        TOPO_SOURCE_SYNTHETIC, /* an hwloc synthetic description */
};

struct topo_node {
        unsigned os_index;       /* NUMA node number as in /sys/devices/system/node/nodeN */
        uint64_t memory;         /* local memory, bytes */
        hwloc_bitmap_t cpus;     /* CPUs local to the node */
        struct hugepage_node huge;
        bool huge_free_known;    /* sysfs reports free pages; an XML file only reserved ones */
};

struct topo_l3 {
        unsigned index;          /* logical index (hwloc L#), the name used in reports */
        uint64_t size;           /* bytes */
        hwloc_bitmap_t cpus;
};

struct topo_core {
        unsigned index;          /* logical index (hwloc L#), topological order */
        int node;                /* NUMA node os_index, -1 when the core spans nodes */
        int package;             /* package os_index, -1 when unknown */
        int l3;                  /* index into topo.l3s, -1 without an L3 */
        hwloc_bitmap_t pus;      /* the core's hardware threads: the first is "the" CPU,
                                  * the others its SMT siblings */
        unsigned first_pu;       /* lowest CPU number of the core */
};

struct topo_nic {
        char busid[16];          /* "0000:06:00.0" */
        char name[32];           /* kernel interface name, "" when unbound */
        char mac[32];            /* "" when unknown */
        char vendor[64];         /* from pci.ids, "" when unknown */
        char device[96];         /* from pci.ids, "" when unknown */
        char model[176];         /* "vendor device", or "PCI id vvvv:dddd" without pci.ids */
        int node;                /* NUMA node os_index, -1 when hwloc cannot tell */
};

struct topo {
        hwloc_topology_t hw;
        enum topo_source source;
        char *source_name;       /* file name, synthetic description, or "this system" */
        char *hostname;          /* NULL when unknown */
        char *cpu_model;         /* NULL when unknown */
        unsigned n_packages;
        unsigned n_pus;
        hwloc_bitmap_t cpus;     /* every CPU, allowed or not */
        hwloc_bitmap_t allowed;  /* CPUs this process may use (its cpuset cgroup) */
        struct topo_node *nodes;
        unsigned n_nodes;
        struct topo_l3 *l3s;
        unsigned n_l3s;
        struct topo_core *cores;
        unsigned n_cores;
        struct topo_nic *nics;
        unsigned n_nics;
        struct isolation iso;
};

struct topo_load_opts {
        const char *xml;           /* load this hwloc XML file */
        const char *xml_buffer;    /* or this hwloc XML text (another host's, read over SSH) */
        const char *xml_name;      /* the buffer's name in messages: where it came from */
        const char *synthetic;     /* or this synthetic description */
        const char *sysfs_root;    /* for this system's hugepages; NULL: "/sys" */
        const char *cmdline_path;  /* for this system's isolation; NULL: "/proc/cmdline" */
        const char *cmdline;       /* a kernel command line to use instead (any source) */
};

/* Loads the topology.  Returns 0 and a model to free with topo_free(), or -errno with d
 * saying which input was wrong and how to fix it. */
int topo_load(const struct topo_load_opts *o, struct topo **ret, struct diag *d);
struct topo *topo_free(struct topo *t);

const char *topo_source_name(enum topo_source s);

/* Looks up a NIC by PCI address: "0000:06:00.0" or, for domain 0, "06:00.0". */
const struct topo_nic *topo_find_nic(const struct topo *t, const char *addr);

/* The core that holds cpu, or NULL. */
const struct topo_core *topo_core_of_cpu(const struct topo *t, unsigned cpu);

/* The node with this os_index, or NULL. */
const struct topo_node *topo_node_by_os_index(const struct topo *t, unsigned os_index);

static inline void topo_freep(struct topo **t) {
        topo_free(*t);
}
