/* plan — see plan.h for the rules; this file applies them. */
#include "topology/plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/cpulist.h"
#include "base/util.h"

static const char *const placement_names[_NOISE_PLACEMENT_MAX] = {
        [NOISE_SAME_CORE] = "same-core",   [NOISE_SIBLING] = "sibling",
        [NOISE_SAME_LLC] = "same-llc",     [NOISE_SAME_NODE] = "same-node",
        [NOISE_OTHER_NODE] = "other-node", [NOISE_ANY] = "any",
};

const char *noise_placement_to_string(enum noise_placement p) {
        return (unsigned)p < _NOISE_PLACEMENT_MAX ? placement_names[p] : NULL;
}

int noise_placement_from_string(const char *s) {
        for (int i = 0; i < _NOISE_PLACEMENT_MAX; i++)
                if (strcmp(s, placement_names[i]) == 0)
                        return i;
        return -EINVAL;
}

/* What each core is used for while planning. */
enum core_use { USE_FREE, USE_PMD, USE_GEN };

struct planner {
        const struct topo *t;
        const struct plan_request *req;
        struct plan *p;
        enum core_use *use;        /* per core */
        unsigned hk_cpu;           /* the housekeeping CPU: the machine's first CPU, CPU 0 */
        hwloc_bitmap_t pmd_l3s;    /* indexes of the L3s holding PMD cores */
};

static __attribute__((format(printf, 2, 3))) int warn(struct plan *p, const char *fmt, ...) {
        char **w = realloc(p->warnings, (p->n_warnings + 1) * sizeof(*w));
        if (!w)
                return -ENOMEM;
        p->warnings = w;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&w[p->n_warnings], fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        p->n_warnings++;
        return 0;
}

/* A CPU list for messages, in a rotating static buffer so a message can hold several. */
static const char *L(hwloc_const_bitmap_t s) {
        static char buf[4][256];
        static unsigned k;
        char *out = buf[k++ % 4];
        _cleanup_free_ char *f = cpulist_format(s);
        snprintf(out, 256, "%s", f ? f : "?");
        return out;
}

static int role_init(struct plan_role *r) {
        r->cpus = hwloc_bitmap_alloc();
        return r->cpus ? 0 : -ENOMEM;
}

static bool core_is_housekeeping(const struct planner *pl, const struct topo_core *c) {
        return hwloc_bitmap_isset(c->pus, pl->hk_cpu);
}

static bool core_isolated(const struct topo *t, const struct topo_core *c) {
        return t->iso.known &&
               (hwloc_bitmap_isset(t->iso.isolcpus, c->first_pu) || hwloc_bitmap_isset(t->iso.nohz_full, c->first_pu));
}

/* ---- node ------------------------------------------------------------------------ */

static uint64_t free_huge_bytes(const struct topo_node *n) {
        uint64_t b = 0;
        for (unsigned i = 0; i < n->huge.n_pools; i++)
                b += n->huge.pool[i].free * n->huge.pool[i].page_size;
        return b;
}

static int check_pci_address(const char *a) {
        unsigned dom, bus, dev, fn;
        int n = 0;
        if (sscanf(a, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) == 4 && a[n] == '\0' && strlen(a) == 12)
                return 0;
        if (sscanf(a, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) == 3 && a[n] == '\0' && strlen(a) == 7)
                return 0;
        return -EINVAL;
}

static int plan_ports(struct planner *pl, struct diag *d) {
        const struct topo *t = pl->t;
        struct plan *p = pl->p;
        if (pl->req->n_ports == 0)
                return 0;
        p->ports = calloc(pl->req->n_ports, sizeof(*p->ports));
        if (!p->ports)
                return -ENOMEM;
        const char *opt = p->host == PLAN_HOST_GEN ? "--gen-ports" : "--ports";
        for (unsigned i = 0; i < pl->req->n_ports; i++) {
                const char *a = pl->req->ports[i];
                if (check_pci_address(a) < 0)
                        return diag_set(d, -EINVAL,
                                        "%s: \"%s\" is not a PCI address; write DDDD:BB:DD.F, e.g. 0000:06:00.0", opt, a);
                const struct topo_nic *nic = topo_find_nic(t, a);
                if (!nic) {
                        char list[512] = "";
                        for (unsigned k = 0; k < t->n_nics; k++)
                                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "",
                                         t->nics[k].busid);
                        if (t->n_nics == 0)
                                return diag_set(d, -ENODEV,
                                                "%s: %s has no network controller at %s, nor any PCI NIC; "
                                                "use a virtual link",
                                                opt, t->source_name, a);
                        return diag_set(d, -ENODEV, "%s: %s has no network controller at %s; its NICs are %s",
                                        opt, t->source_name, a, list);
                }
                snprintf(p->ports[i].busid, sizeof(p->ports[i].busid), "%s", nic->busid);
                snprintf(p->ports[i].name, sizeof(p->ports[i].name), "%s", nic->name);
                p->ports[i].node = nic->node;
                p->n_ports++;
        }
        return 0;
}

static int plan_node(struct planner *pl, struct diag *d) {
        const struct topo *t = pl->t;
        struct plan *p = pl->p;
        int r;

        if (pl->req->node >= 0) {
                if (!topo_node_by_os_index(t, (unsigned)pl->req->node))
                        return diag_set(d, -ENODEV, "--node %d: %s has NUMA nodes 0 to %u only", pl->req->node,
                                        t->source_name, t->nodes[t->n_nodes - 1].os_index);
                p->node = pl->req->node;
                snprintf(p->node_reason, sizeof(p->node_reason), "node %d, as asked with --node", p->node);
        } else if (p->n_ports > 0 && p->ports[0].node >= 0) {
                p->node = p->ports[0].node;
                snprintf(p->node_reason, sizeof(p->node_reason),
                         "node %d: local to NIC %s, so packets are DMA'd into local memory and polled by local cores",
                         p->node, p->ports[0].busid);
        } else {
                const struct topo_node *best = &t->nodes[0];
                for (unsigned i = 1; i < t->n_nodes; i++)
                        if (free_huge_bytes(&t->nodes[i]) > free_huge_bytes(best))
                                best = &t->nodes[i];
                p->node = (int)best->os_index;
                char sz[32];
                if (free_huge_bytes(best) > 0)
                        snprintf(p->node_reason, sizeof(p->node_reason),
                                 "node %d: the most free hugepage memory (%s)%s", p->node,
                                 format_size(free_huge_bytes(best), sz, sizeof(sz)),
                                 p->n_ports ? "; the NIC's node is unknown" : "; the links are virtual, no NIC to be local to");
                else
                        snprintf(p->node_reason, sizeof(p->node_reason),
                                 "node %d: no node has free hugepages%s", p->node,
                                 p->n_ports ? " and the NIC's node is unknown" : " and the links are virtual");
                if (p->n_ports > 0) {
                        r = warn(p, "the NUMA node of NIC %s is unknown (hwloc sees it outside any node); check "
                                    "/sys/bus/pci/devices/%s/numa_node and pass --node",
                                 p->ports[0].busid, p->ports[0].busid);
                        if (r < 0)
                                return r;
                }
        }
        for (unsigned i = 0; i < p->n_ports; i++) {
                if (p->ports[i].node < 0 || p->ports[i].node == p->node)
                        continue;
                r = warn(p,
                         "NIC %s is on node %d, the %s on node %d: every packet crosses the interconnect "
                         "(remote DMA and remote mbuf access)",
                         p->ports[i].busid, p->ports[i].node, p->host == PLAN_HOST_GEN ? "generator" : "NF", p->node);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- cores ----------------------------------------------------------------------- */

static int plan_pmd(struct planner *pl, struct diag *d) {
        const struct topo *t = pl->t;
        struct plan *p = pl->p;
        unsigned want = pl->req->pmd_cores, got = 0, on_node = 0;
        if (p->host == PLAN_HOST_GEN) {
                snprintf(p->pmd.reason, sizeof(p->pmd.reason), "none: the NF runs on the other host");
                return 0;
        }

        /* Two passes make the order: isolated cores first, then the rest; each in
         * topological order.  The housekeeping core is a last resort, after both. */
        for (int pass = 0; pass < 3 && got < want; pass++)
                for (unsigned i = 0; i < t->n_cores && got < want; i++) {
                        const struct topo_core *c = &t->cores[i];
                        if (c->node != p->node || pl->use[i] != USE_FREE)
                                continue;
                        bool hk = core_is_housekeeping(pl, c), iso = core_isolated(t, c);
                        if ((pass == 0 && (hk || !iso)) || (pass == 1 && (hk || iso)) || (pass == 2 && !hk))
                                continue;
                        pl->use[i] = USE_PMD;
                        hwloc_bitmap_set(p->pmd.cpus, c->first_pu);
                        hwloc_bitmap_or(p->pmd_siblings, p->pmd_siblings, c->pus);
                        if (c->l3 >= 0)
                                hwloc_bitmap_set(pl->pmd_l3s, (unsigned)c->l3);
                        got++;
                }
        for (unsigned i = 0; i < t->n_cores; i++)
                if (t->cores[i].node == p->node)
                        on_node++;
        if (got < want)
                return diag_set(d, -ERANGE, "--pmd-cores %u: node %d of %s has %u core%s; ask for at most %u", want,
                                p->node, t->source_name, on_node, on_node == 1 ? "" : "s", on_node);
        hwloc_bitmap_andnot(p->pmd_siblings, p->pmd_siblings, p->pmd.cpus);
        p->pmd.available = true;

        unsigned n_iso = 0;
        int cpu;
        hwloc_bitmap_foreach_begin(cpu, p->pmd.cpus) {
                if (core_isolated(t, topo_core_of_cpu(t, (unsigned)cpu)))
                        n_iso++;
        }
        hwloc_bitmap_foreach_end();
        bool on_hk = hwloc_bitmap_isset(p->pmd.cpus, pl->hk_cpu);
        snprintf(p->pmd.reason, sizeof(p->pmd.reason), "%u whole core%s on node %d, one CPU each%s%s%s", want,
                 want == 1 ? "" : "s", p->node,
                 hwloc_bitmap_iszero(p->pmd_siblings) ? " (no SMT)" : ", SMT siblings left idle",
                 n_iso ? ", isolated cores first" : "", on_hk ? "; the housekeeping core too, nothing else was left" : "");
        if (on_hk) {
                int r = warn(p, "a PMD thread runs on the housekeeping CPU %u: timers, kernel threads and the "
                                "agents' control threads preempt it",
                             pl->hk_cpu);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Candidate order for the generator: level 0 = same node, no L3 shared with a PMD core;
 * 1 = same node; 2 = another node; 3 = the housekeeping core; 4 = a PMD core. */
static int gen_level(const struct planner *pl, unsigned i) {
        const struct topo_core *c = &pl->t->cores[i];
        if (pl->use[i] == USE_PMD)
                return 4;
        if (pl->use[i] != USE_FREE)
                return -1;
        if (core_is_housekeeping(pl, c))
                return 3;
        if (c->node != pl->p->node)
                return 2;
        if (c->l3 < 0 || !hwloc_bitmap_isset(pl->pmd_l3s, (unsigned)c->l3))
                return 0;
        return 1;
}

static int plan_gen(struct planner *pl) {
        const struct topo *t = pl->t;
        struct plan *p = pl->p;
        unsigned got = 0;
        int worst = 0;
        if (p->host == PLAN_HOST_DUT) {
                snprintf(p->gen.reason, sizeof(p->gen.reason), "none: the generator runs on its own host (--gen-host)");
                return 0;
        }
        for (int level = 0; level <= 4 && got < pl->req->gen_cores; level++)
                for (unsigned i = 0; i < t->n_cores && got < pl->req->gen_cores; i++) {
                        if (gen_level(pl, i) != level)
                                continue;
                        if (level < 4)
                                pl->use[i] = USE_GEN;
                        hwloc_bitmap_set(p->gen.cpus, t->cores[i].first_pu);
                        worst = level;
                        got++;
                }
        /* Even on one core the generator gets a CPU: more generator cores than the
         * machine has simply stack up on the last one. */
        p->gen.available = got > 0;
        static const char *const why_alone[] = {
                "whole cores on the node of the generator's ports (or with the most free hugepages)",
                "whole cores on the node of the generator's ports (or with the most free hugepages)",
                "whole cores on another node than its ports' (no free core left on it)",
                "the housekeeping core: the host has no other core",
                "the housekeeping core: the host has no other core",
        };
        static const char *const why[] = {
                "whole cores on the NF's node that share no L3 with the PMD cores: the generator's cache traffic stays out of the NF's L3",
                "whole cores on the NF's node, in the PMD cores' L3 (no other L3 on the node has a free core)",
                "whole cores on another node than the NF's (no free core left on it)",
                "the housekeeping core: no other core is free after the PMD cores",
                "a PMD core: the machine has no other core",
        };
        snprintf(p->gen.reason, sizeof(p->gen.reason), "%s", (p->host == PLAN_HOST_GEN ? why_alone : why)[worst]);
        if (got < pl->req->gen_cores)
                return warn(p, "--gen-cores %u: only %u core%s left for the generator", pl->req->gen_cores, got,
                            got == 1 ? "" : "s");
        if (worst == 2 && p->host == PLAN_HOST_GEN)
                return warn(p, "the generator runs on another node than its ports (node %d): every packet crosses the "
                               "interconnect on the generator host", p->node);
        if (worst == 3)
                return warn(p, "the generator shares the housekeeping CPU %u with the controller, the agents' control "
                               "threads and the kernel: its pacing and timestamps jitter",
                            pl->hk_cpu);
        if (worst == 4)
                return warn(p, "the generator shares a CPU with a PMD thread: the NF's rate measures the scheduler");
        return 0;
}

static void plan_housekeeping(struct planner *pl) {
        struct plan *p = pl->p;
        const struct topo_core *c = topo_core_of_cpu(pl->t, pl->hk_cpu);
        p->housekeeping.available = true;
        if (c)
                hwloc_bitmap_copy(p->housekeeping.cpus, c->pus);
        else
                hwloc_bitmap_set(p->housekeeping.cpus, pl->hk_cpu);
        snprintf(p->housekeeping.reason, sizeof(p->housekeeping.reason),
                 "the core of CPU %u: the controller, the agents' control threads, kernel housekeeping and "
                 "default IRQ affinity",
                 pl->hk_cpu);
}

/* ---- noise ------------------------------------------------------------------------ */

/* Adds the PUs of the free cores that match; returns how many cores matched. */
static unsigned add_free_cores(struct planner *pl, hwloc_bitmap_t out, bool (*match)(struct planner *, const struct topo_core *)) {
        unsigned n = 0;
        for (unsigned i = 0; i < pl->t->n_cores; i++)
                if (pl->use[i] == USE_FREE && !core_is_housekeeping(pl, &pl->t->cores[i]) &&
                    match(pl, &pl->t->cores[i])) {
                        hwloc_bitmap_or(out, out, pl->t->cores[i].pus);
                        n++;
                }
        return n;
}

static bool in_pmd_l3(struct planner *pl, const struct topo_core *c) {
        return c->node == pl->p->node && c->l3 >= 0 && hwloc_bitmap_isset(pl->pmd_l3s, (unsigned)c->l3);
}
static bool on_node_outside_l3(struct planner *pl, const struct topo_core *c) {
        return c->node == pl->p->node && !in_pmd_l3(pl, c);
}
static bool on_node(struct planner *pl, const struct topo_core *c) {
        return c->node == pl->p->node;
}
static bool off_node(struct planner *pl, const struct topo_core *c) {
        return c->node != pl->p->node;
}

/* Falls back to the housekeeping core when it satisfies the mode; warns. */
static int fallback_housekeeping(struct planner *pl, struct plan_role *r, const char *mode,
                                 bool (*match)(struct planner *, const struct topo_core *)) {
        const struct topo_core *hk = topo_core_of_cpu(pl->t, pl->hk_cpu);
        if (!hk || !match(pl, hk) || hwloc_bitmap_isset(pl->p->pmd.cpus, pl->hk_cpu))
                return 0;
        hwloc_bitmap_copy(r->cpus, hk->pus);
        r->available = true;
        bool gen = hwloc_bitmap_intersects(pl->p->gen.cpus, hk->pus);
        snprintf(r->reason, sizeof(r->reason), "the housekeeping core (CPU %s): no other core is free", L(hk->pus));
        return warn(pl->p, "noise %s runs on the housekeeping CPU %s%s: it disturbs the controller%s as well as the NF",
                    mode, L(hk->pus), gen ? ", which the generator uses too" : "", gen ? " and the generator" : "");
}

static int plan_noise_mode(struct planner *pl, enum noise_placement m) {
        struct plan *p = pl->p;
        struct plan_role *r = &p->noise[m];
        const char *name = placement_names[m];

        switch (m) {
        case NOISE_SAME_CORE:
                hwloc_bitmap_copy(r->cpus, p->pmd.cpus);
                r->available = true;
                snprintf(r->reason, sizeof(r->reason), "the PMD CPUs themselves: neighbour and PMD threads time-share a CPU");
                return 0;
        case NOISE_SIBLING:
                hwloc_bitmap_copy(r->cpus, p->pmd_siblings);
                r->available = !hwloc_bitmap_iszero(r->cpus);
                snprintf(r->reason, sizeof(r->reason), "%s",
                         r->available ? "the PMD cores' SMT siblings: shared pipeline, L1 and L2, deliberately"
                                      : "not possible: the PMD cores have no SMT sibling (SMT off or absent)");
                return 0;
        case NOISE_SAME_LLC:
                if (add_free_cores(pl, r->cpus, in_pmd_l3) > 0) {
                        r->available = true;
                        snprintf(r->reason, sizeof(r->reason), "free cores in the PMD cores' L3: shared last-level cache");
                        return 0;
                }
                if (hwloc_bitmap_iszero(pl->pmd_l3s)) {
                        snprintf(r->reason, sizeof(r->reason), "not possible: the topology reports no L3 cache");
                        return 0;
                }
                snprintf(r->reason, sizeof(r->reason), "not possible: no free core shares the PMD cores' L3");
                return fallback_housekeeping(pl, r, name, in_pmd_l3);
        case NOISE_SAME_NODE:
                if (add_free_cores(pl, r->cpus, on_node_outside_l3) > 0) {
                        r->available = true;
                        snprintf(r->reason, sizeof(r->reason),
                                 "free cores on node %d outside the PMD cores' L3: shared memory controller", p->node);
                        return 0;
                }
                if (add_free_cores(pl, r->cpus, on_node) > 0) {
                        r->available = true;
                        snprintf(r->reason, sizeof(r->reason),
                                 "free cores on node %d; every one shares the PMD cores' L3, so this equals same-llc here",
                                 p->node);
                        return 0;
                }
                snprintf(r->reason, sizeof(r->reason), "not possible: no free core on node %d", p->node);
                return fallback_housekeeping(pl, r, name, on_node);
        case NOISE_OTHER_NODE:
                if (add_free_cores(pl, r->cpus, off_node) > 0) {
                        r->available = true;
                        snprintf(r->reason, sizeof(r->reason), "free cores on other NUMA nodes: only the interconnect is shared");
                        return 0;
                }
                snprintf(r->reason, sizeof(r->reason), "%s",
                         pl->t->n_nodes == 1 ? "not possible: the machine has one NUMA node"
                                             : "not possible: no free core on another node");
                return 0;
        case NOISE_ANY:
                hwloc_bitmap_copy(r->cpus, pl->t->cpus);
                r->available = true;
                snprintf(r->reason, sizeof(r->reason),
                         "no cpuset: the scheduler places the neighbour (Docker's default, the study's setup)");
                return 0;
        case _NOISE_PLACEMENT_MAX:
                break;
        }
        return -EINVAL;
}

/* ---- hugepages ------------------------------------------------------------------------ */

static int plan_hugepages(struct planner *pl, struct diag *d) {
        struct plan *p = pl->p;
        struct plan_hugepages *h = &p->huge;
        const struct topo_node *n = topo_node_by_os_index(pl->t, (unsigned)p->node);
        uint64_t mem = pl->req->hugepage_mem ? pl->req->hugepage_mem : PLAN_DEFAULT_HUGEPAGE_MEM;
        char sz[32], sz2[32], sizes[128] = "";

        for (unsigned i = 0; i < n->huge.n_pools; i++)
                snprintf(sizes + strlen(sizes), sizeof(sizes) - strlen(sizes), "%s%s", i ? ", " : "",
                         format_size(n->huge.pool[i].page_size, sz, sizeof(sz)));

        const struct hugepage_pool *pool = NULL;
        if (pl->req->hugepage_size) {
                pool = hugepages_find(&n->huge, pl->req->hugepage_size);
                if (!pool && n->huge.n_pools > 0)
                        return diag_set(d, -EINVAL, "--hugepage-size %s: node %d offers %s pages only; pick one of those",
                                        format_size(pl->req->hugepage_size, sz, sizeof(sz)), p->node, sizes);
                h->page_size = pl->req->hugepage_size;
                snprintf(h->reason, sizeof(h->reason), "%s pages, as asked with --hugepage-size",
                         format_size(h->page_size, sz, sizeof(sz)));
        } else {
                const struct hugepage_pool *g = hugepages_find(&n->huge, 1ULL << 30);
                if (g && g->total > 0) {
                        pool = g;
                        snprintf(h->reason, sizeof(h->reason),
                                 "1 GiB pages: node %d has %" PRIu64 " reserved; fewer TLB misses than 2 MiB", p->node,
                                 g->total);
                } else {
                        pool = hugepages_find(&n->huge, 2ULL << 20);
                        snprintf(h->reason, sizeof(h->reason), "2 MiB pages: node %d has no 1 GiB page reserved",
                                 p->node);
                }
                h->page_size = pool ? pool->page_size : 2ULL << 20;
        }
        h->per_process = (mem + h->page_size - 1) / h->page_size;
        h->needed = h->per_process * p->processes;
        /* More than the node has cannot be reserved. */
        const char *who = p->host == PLAN_HOST_BOTH ? "the NF and the generator" : p->host == PLAN_HOST_DUT ? "the NF" : "the generator";
        if (n->memory && h->needed * h->page_size > n->memory)
                return diag_set(d, -EINVAL,
                                "--hugepage-mem %s: %s would need %s of hugepages, more than "
                                "node %d's %s of memory; give at most %s",
                                format_size(mem, sz2, sizeof(sz2)), who,
                                format_size(h->needed * h->page_size, sz, sizeof(sz)), p->node,
                                format_size(n->memory, sizes, sizeof(sizes)),
                                format_size(n->memory / p->processes / h->page_size * h->page_size, sizes + 64,
                                            sizeof(sizes) - 64));
        h->free = pool ? pool->free : 0;
        h->free_known = n->huge_free_known;
        size_t l = strlen(h->reason);
        snprintf(h->reason + l, sizeof(h->reason) - l, "; %" PRIu64 " per DPDK process (%s each), %u process%s",
                 h->per_process, format_size(mem, sz2, sizeof(sz2)), p->processes, p->processes == 1 ? "" : "es");
        if (h->free < h->needed)
                return warn(p,
                            "not enough hugepages: node %d has %" PRIu64 " %s %s page%s, %s need%s %" PRIu64
                            "; the run reserves the difference on node %d (or run with --no-huge)",
                            p->node, h->free, h->free_known ? "free" : "reserved", format_size(h->page_size, sz, sizeof(sz)),
                            h->free == 1 ? "" : "s", who, p->processes == 1 ? "s" : "", h->needed, p->node);
        return 0;
}

/* ---- checks across roles -------------------------------------------------------------- */

static int plan_checks(struct planner *pl) {
        const struct topo *t = pl->t;
        struct plan *p = pl->p;
        int r;

        if (t->n_cores == 1 && p->host == PLAN_HOST_BOTH) {
                r = warn(p, "a 1-core machine: the NF, the generator and any neighbour share one core; the figures "
                            "measure the scheduler more than the NF");
                if (r < 0)
                        return r;
        }
        /* An SMT sibling of a PMD core used by another role. */
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t others = hwloc_bitmap_alloc();
        if (!others)
                return -ENOMEM;
        hwloc_bitmap_or(others, p->gen.cpus, p->housekeeping.cpus);
        if (hwloc_bitmap_intersects(others, p->pmd_siblings)) {
                hwloc_bitmap_and(others, others, p->pmd_siblings);
                r = warn(p, "SMT sibling shared: CPU %s, a sibling of a PMD core, is used by the generator or housekeeping",
                         L(others));
                if (r < 0)
                        return r;
        }
        if (t->source == TOPO_SOURCE_SYSTEM && !hwloc_bitmap_isincluded(p->pmd.cpus, t->allowed)) {
                r = warn(p, "PMD CPU %s is outside the cpuset isolab runs in (%s): the run cannot place it there",
                         L(p->pmd.cpus), L(t->allowed));
                if (r < 0)
                        return r;
        }

        if (!t->iso.known) {
                snprintf(p->isolation, sizeof(p->isolation),
                         "unknown: a topology file carries no kernel command line (--kernel-cmdline checks one)");
                return 0;
        }
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t quiet = hwloc_bitmap_alloc();
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t noisy = hwloc_bitmap_alloc();
        if (!quiet || !noisy)
                return -ENOMEM;
        hwloc_bitmap_or(quiet, t->iso.isolcpus, t->iso.nohz_full);
        if (p->host == PLAN_HOST_GEN) { /* the generator's CPUs, said and not warned of */
                hwloc_bitmap_andnot(noisy, p->gen.cpus, quiet);
                snprintf(p->isolation, sizeof(p->isolation), "generator CPU %s %s (isolcpus=%s nohz_full=%s)", L(p->gen.cpus),
                         hwloc_bitmap_iszero(noisy) ? "isolated" : "not isolated",
                         hwloc_bitmap_iszero(t->iso.isolcpus) ? "none" : L(t->iso.isolcpus),
                         hwloc_bitmap_iszero(t->iso.nohz_full) ? "none" : L(t->iso.nohz_full));
                return 0;
        }
        hwloc_bitmap_andnot(noisy, p->pmd.cpus, quiet);
        if (hwloc_bitmap_iszero(noisy)) {
                snprintf(p->isolation, sizeof(p->isolation), "PMD CPU %s isolated (isolcpus=%s nohz_full=%s)", L(p->pmd.cpus),
                         L(t->iso.isolcpus), L(t->iso.nohz_full));
                return 0;
        }
        snprintf(p->isolation, sizeof(p->isolation), "PMD CPU %s not isolated (isolcpus=%s nohz_full=%s)", L(noisy),
                 hwloc_bitmap_iszero(t->iso.isolcpus) ? "none" : L(t->iso.isolcpus),
                 hwloc_bitmap_iszero(t->iso.nohz_full) ? "none" : L(t->iso.nohz_full));
        return warn(p,
                    "PMD CPU %s is not in isolcpus= or nohz_full=: the scheduler tick and other tasks can preempt the "
                    "PMD threads; boot with isolcpus=%s nohz_full=%s rcu_nocbs=%s for quiet cores",
                    L(noisy), L(p->pmd.cpus), L(p->pmd.cpus), L(p->pmd.cpus));
}

/* ---- entry ------------------------------------------------------------------------------ */

int plan_make(const struct topo *t, const struct plan_request *req, struct plan **ret, struct diag *d) {
        _cleanup_(plan_freep) struct plan *p = calloc(1, sizeof(*p));
        _cleanup_free_ enum core_use *use = calloc(t->n_cores, sizeof(*use));
        _cleanup_(hwloc_bitmap_freep) hwloc_bitmap_t pmd_l3s = hwloc_bitmap_alloc();
        int r;

        if (!p || !use || !pmd_l3s)
                return -ENOMEM;
        p->host = req->host;
        p->processes = req->host == PLAN_HOST_BOTH ? PLAN_DPDK_PROCESSES : 1;
        if (req->pmd_cores < 1 && req->host != PLAN_HOST_GEN)
                return diag_set(d, -EINVAL, "--pmd-cores %u: the NF needs at least one PMD core", req->pmd_cores);
        if (req->gen_cores < 1 && req->host != PLAN_HOST_DUT)
                return diag_set(d, -EINVAL, "--gen-cores %u: the generator needs at least one core", req->gen_cores);
        if ((r = role_init(&p->pmd)) < 0 || (r = role_init(&p->gen)) < 0 || (r = role_init(&p->housekeeping)) < 0)
                return r;
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++)
                if ((r = role_init(&p->noise[m])) < 0)
                        return r;
        p->pmd_siblings = hwloc_bitmap_alloc();
        if (!p->pmd_siblings)
                return -ENOMEM;

        struct planner pl = {
                .t = t, .req = req, .p = p, .use = use, .pmd_l3s = pmd_l3s,
                .hk_cpu = (unsigned)hwloc_bitmap_first(t->cpus),
        };
        if ((r = plan_ports(&pl, d)) < 0 || (r = plan_node(&pl, d)) < 0 || (r = plan_pmd(&pl, d)) < 0)
                return r;
        /* The DUT's PMD cores, when the generator host is the DUT itself. */
        for (unsigned i = 0; req->avoid && i < t->n_cores; i++)
                if (hwloc_bitmap_intersects(t->cores[i].pus, req->avoid)) {
                        use[i] = USE_PMD;
                        if (t->cores[i].l3 >= 0)
                                hwloc_bitmap_set(pmd_l3s, (unsigned)t->cores[i].l3);
                }
        /* The housekeeping core is reserved before the generator looks for cores, so the
         * generator takes it only when nothing else is left. */
        plan_housekeeping(&pl);
        if ((r = plan_gen(&pl)) < 0)
                return r;
        p->noise_mask = req->noise_mask;
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++)
                if ((req->noise_mask & (1u << m)) && (r = plan_noise_mode(&pl, (enum noise_placement)m)) < 0)
                        return r;
        if ((r = plan_hugepages(&pl, d)) < 0 || (r = plan_checks(&pl)) < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

struct plan *plan_free(struct plan *p) {
        if (!p)
                return NULL;
        hwloc_bitmap_free(p->pmd.cpus);
        hwloc_bitmap_free(p->gen.cpus);
        hwloc_bitmap_free(p->housekeeping.cpus);
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++)
                hwloc_bitmap_free(p->noise[m].cpus);
        hwloc_bitmap_free(p->pmd_siblings);
        for (unsigned i = 0; i < p->n_warnings; i++)
                free(p->warnings[i]);
        free(p->warnings);
        free(p->ports);
        free(p);
        return NULL;
}
