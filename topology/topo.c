/* topo — see topo.h. */
#include "topology/topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

const char *topo_source_name(enum topo_source s) {
        switch (s) {
        case TOPO_SOURCE_SYSTEM:
                return "system";
        case TOPO_SOURCE_XML:
                return "xml";
        case TOPO_SOURCE_SYNTHETIC:
                return "synthetic";
        }
        return "unknown";
}

/* The NUMA node of an object whose nodeset names exactly one node, else -1. */
static int single_node(hwloc_obj_t o) {
        if (!o || !o->nodeset || hwloc_bitmap_weight(o->nodeset) != 1)
                return -1;
        return hwloc_bitmap_first(o->nodeset);
}

static char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

static int load_nodes(struct topo *t, const struct topo_load_opts *o, struct diag *d) {
        int n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_NUMANODE);
        if (n <= 0)
                return diag_set(d, -ENODEV, "the topology of %s has no NUMA node; it cannot be planned for",
                                t->source_name);
        t->nodes = calloc((size_t)n, sizeof(*t->nodes));
        if (!t->nodes)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                hwloc_obj_t obj = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_NUMANODE, (unsigned)i);
                struct topo_node *nd = &t->nodes[t->n_nodes++];
                nd->os_index = obj->os_index;
                nd->memory = obj->attr->numanode.local_memory;
                nd->cpus = hwloc_bitmap_dup(obj->cpuset);
                if (!nd->cpus)
                        return -ENOMEM;
                if (t->source == TOPO_SOURCE_SYSTEM) {
                        int r = hugepages_read_node(o->sysfs_root ? o->sysfs_root : "/sys", nd->os_index,
                                                    &nd->huge, d);
                        if (r < 0)
                                return r;
                        nd->huge_free_known = true;
                        continue;
                }
                /* An XML export records the pools' reserved pages (page_type), not their use:
                 * count them all as free, and say so in reports (huge_free_known). */
                for (unsigned k = 0; k < obj->attr->numanode.page_types_len; k++) {
                        const struct hwloc_memory_page_type_s *pt = &obj->attr->numanode.page_types[k];
                        if (pt->size <= 4096 || nd->huge.n_pools == HUGEPAGE_MAX_POOLS ||
                            hugepages_find(&nd->huge, pt->size))
                                continue;
                        nd->huge.pool[nd->huge.n_pools++] =
                                (struct hugepage_pool){ .page_size = pt->size, .total = pt->count, .free = pt->count };
                }
        }
        return 0;
}

static int load_l3s(struct topo *t) {
        int n = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_L3CACHE);
        if (n <= 0)
                return 0;
        t->l3s = calloc((size_t)n, sizeof(*t->l3s));
        if (!t->l3s)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                hwloc_obj_t obj = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_L3CACHE, (unsigned)i);
                struct topo_l3 *l3 = &t->l3s[t->n_l3s++];
                l3->index = obj->logical_index;
                l3->size = obj->attr->cache.size;
                l3->cpus = hwloc_bitmap_dup(obj->cpuset);
                if (!l3->cpus)
                        return -ENOMEM;
        }
        return 0;
}

/* Cores, with their L3, node and package.  A topology without Core objects (some
 * hypervisors report none) gets one core per PU, so the planner still works. */
static int load_cores(struct topo *t) {
        hwloc_obj_type_t type = HWLOC_OBJ_CORE;
        int n = hwloc_get_nbobjs_by_type(t->hw, type);
        if (n <= 0) {
                type = HWLOC_OBJ_PU;
                n = hwloc_get_nbobjs_by_type(t->hw, type);
        }
        if (n <= 0)
                return -ENODEV;
        t->cores = calloc((size_t)n, sizeof(*t->cores));
        if (!t->cores)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                hwloc_obj_t obj = hwloc_get_obj_by_type(t->hw, type, (unsigned)i);
                struct topo_core *c = &t->cores[t->n_cores++];
                c->index = obj->logical_index;
                c->pus = hwloc_bitmap_dup(obj->cpuset);
                if (!c->pus)
                        return -ENOMEM;
                c->first_pu = (unsigned)hwloc_bitmap_first(obj->cpuset);
                c->node = single_node(obj);
                hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t->hw, HWLOC_OBJ_PACKAGE, obj);
                c->package = pkg ? (int)pkg->os_index : -1;
                c->l3 = -1;
                hwloc_obj_t l3 = hwloc_get_ancestor_obj_by_type(t->hw, HWLOC_OBJ_L3CACHE, obj);
                if (l3)
                        for (unsigned k = 0; k < t->n_l3s; k++)
                                if (t->l3s[k].index == l3->logical_index)
                                        c->l3 = (int)k;
        }
        return 0;
}

/* Network controllers (PCI class 02xx) and the node they hang off. */
static int load_nics(struct topo *t) {
        unsigned n = 0;
        for (hwloc_obj_t p = NULL; (p = hwloc_get_next_pcidev(t->hw, p)) != NULL;)
                if ((p->attr->pcidev.class_id >> 8) == 0x02)
                        n++;
        if (n == 0)
                return 0;
        t->nics = calloc(n, sizeof(*t->nics));
        if (!t->nics)
                return -ENOMEM;
        for (hwloc_obj_t p = NULL; (p = hwloc_get_next_pcidev(t->hw, p)) != NULL;) {
                if ((p->attr->pcidev.class_id >> 8) != 0x02)
                        continue;
                struct topo_nic *nic = &t->nics[t->n_nics++];
                snprintf(nic->busid, sizeof(nic->busid), "%04x:%02x:%02x.%01x", p->attr->pcidev.domain,
                         p->attr->pcidev.bus, p->attr->pcidev.dev, p->attr->pcidev.func);
                const char *v = hwloc_obj_get_info_by_name(p, "PCIVendor");
                const char *dev = hwloc_obj_get_info_by_name(p, "PCIDevice");
                snprintf(nic->vendor, sizeof(nic->vendor), "%s", v ? v : "");
                snprintf(nic->device, sizeof(nic->device), "%s", dev ? dev : "");
                if (v && dev)
                        snprintf(nic->model, sizeof(nic->model), "%s %s", v, dev);
                else
                        snprintf(nic->model, sizeof(nic->model), "PCI id %04x:%04x", p->attr->pcidev.vendor_id,
                                 p->attr->pcidev.device_id);
                for (hwloc_obj_t os = p->io_first_child; os; os = os->next_sibling) {
                        if (os->type != HWLOC_OBJ_OS_DEVICE || os->attr->osdev.type != HWLOC_OBJ_OSDEV_NETWORK)
                                continue;
                        const char *mac = hwloc_obj_get_info_by_name(os, "Address");
                        snprintf(nic->name, sizeof(nic->name), "%s", os->name ? os->name : "");
                        snprintf(nic->mac, sizeof(nic->mac), "%s", mac ? mac : "");
                        break;
                }
                nic->node = single_node(hwloc_get_non_io_ancestor_obj(t->hw, p));
        }
        return 0;
}

static int load_isolation(struct topo *t, const struct topo_load_opts *o, struct diag *d) {
        int r = isolation_init(&t->iso);
        if (r < 0)
                return r;
        if (o->cmdline)
                return isolation_parse(&t->iso, o->cmdline, d);
        /* Another machine's command line is not in its XML: leave it unknown. */
        if (t->source != TOPO_SOURCE_SYSTEM)
                return 0;
        return isolation_read(&t->iso, o->cmdline_path ? o->cmdline_path : "/proc/cmdline", d);
}

int topo_load(const struct topo_load_opts *o, struct topo **ret, struct diag *d) {
        _cleanup_(topo_freep) struct topo *t = calloc(1, sizeof(*t));
        int r;
        if (!t)
                return -ENOMEM;
        if (o->xml && o->synthetic)
                return diag_set(d, -EINVAL, "--topology and --synthetic both describe the machine; give one of them");

        if (hwloc_topology_init(&t->hw) < 0)
                return -ENOMEM;
        /* Plan for other processes, not for ourselves: see CPUs our cgroup excludes too. */
        hwloc_topology_set_flags(t->hw, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
        /* Keep PCI devices (and their OS devices) so NIC locality is known. */
        hwloc_topology_set_io_types_filter(t->hw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);

        if (o->xml) {
                t->source = TOPO_SOURCE_XML;
                t->source_name = strdup(o->xml);
                if (access(o->xml, R_OK) < 0)
                        return diag_set(d, -errno, "--topology %s: %s; give an hwloc XML file made by `lstopo --of xml`",
                                        o->xml, strerror(errno));
                if (hwloc_topology_set_xml(t->hw, o->xml) < 0)
                        return diag_set(d, -EINVAL,
                                        "--topology %s is not a valid hwloc XML topology; make one with `lstopo --of xml FILE`",
                                        o->xml);
        } else if (o->xml_buffer) {
                t->source = TOPO_SOURCE_XML;
                t->source_name = strdup(o->xml_name ? o->xml_name : "an XML topology");
                if (hwloc_topology_set_xmlbuffer(t->hw, o->xml_buffer, (int)strlen(o->xml_buffer) + 1) < 0)
                        return diag_set(d, -EINVAL, "the topology of %s is not valid hwloc XML", t->source_name);
        } else if (o->synthetic) {
                t->source = TOPO_SOURCE_SYNTHETIC;
                t->source_name = strdup(o->synthetic);
                if (hwloc_topology_set_synthetic(t->hw, o->synthetic) < 0)
                        return diag_set(d, -EINVAL,
                                        "--synthetic \"%s\" is not an hwloc synthetic description; "
                                        "write levels like \"package:2 core:8 pu:2\"",
                                        o->synthetic);
        } else {
                t->source = TOPO_SOURCE_SYSTEM;
                t->source_name = strdup("this system");
        }
        if (!t->source_name)
                return -ENOMEM;
        if (hwloc_topology_load(t->hw) < 0) {
                /* hwloc checks an XML file at set_xml() or only at load(), depending on which
                 * XML backend (libxml2 or its own minimal parser) it picks at run time: the
                 * user gets the same sentence from either step. */
                if (t->source == TOPO_SOURCE_XML && o->xml_buffer)
                        return diag_set(d, -EINVAL, "the topology of %s is not valid hwloc XML", t->source_name);
                if (t->source == TOPO_SOURCE_XML)
                        return diag_set(d, -EINVAL,
                                        "--topology %s is not a valid hwloc XML topology; make one with `lstopo --of xml FILE`",
                                        o->xml);
                return diag_set(d, -errno, "hwloc could not load the topology of %s: %s", t->source_name,
                                strerror(errno));
        }

        hwloc_obj_t root = hwloc_get_root_obj(t->hw);
        t->hostname = strdup_or_null(hwloc_obj_get_info_by_name(root, "HostName"));
        hwloc_obj_t pkg = hwloc_get_obj_by_type(t->hw, HWLOC_OBJ_PACKAGE, 0);
        t->cpu_model = strdup_or_null(pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL);
        int npkg = hwloc_get_nbobjs_by_type(t->hw, HWLOC_OBJ_PACKAGE);
        t->n_packages = npkg > 0 ? (unsigned)npkg : 1;
        t->cpus = hwloc_bitmap_dup(hwloc_topology_get_topology_cpuset(t->hw));
        t->allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->hw));
        if (!t->cpus || !t->allowed)
                return -ENOMEM;
        t->n_pus = (unsigned)hwloc_bitmap_weight(t->cpus);

        r = load_nodes(t, o, d);
        if (r < 0)
                return r;
        r = load_l3s(t);
        if (r < 0)
                return r;
        r = load_cores(t);
        if (r < 0)
                return diag_set(d, r, "the topology of %s has no CPU", t->source_name);
        r = load_nics(t);
        if (r < 0)
                return r;
        r = load_isolation(t, o, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

struct topo *topo_free(struct topo *t) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < t->n_nodes; i++)
                hwloc_bitmap_free(t->nodes[i].cpus);
        for (unsigned i = 0; i < t->n_l3s; i++)
                hwloc_bitmap_free(t->l3s[i].cpus);
        for (unsigned i = 0; i < t->n_cores; i++)
                hwloc_bitmap_free(t->cores[i].pus);
        free(t->nodes);
        free(t->l3s);
        free(t->cores);
        free(t->nics);
        hwloc_bitmap_free(t->cpus);
        hwloc_bitmap_free(t->allowed);
        isolation_done(&t->iso);
        free(t->source_name);
        free(t->hostname);
        free(t->cpu_model);
        if (t->hw)
                hwloc_topology_destroy(t->hw);
        free(t);
        return NULL;
}

const struct topo_nic *topo_find_nic(const struct topo *t, const char *addr) {
        char full[32];
        /* "06:00.0" is domain 0's "0000:06:00.0", as in lspci and dpdk-devbind. */
        if (strlen(addr) == 7)
                snprintf(full, sizeof(full), "0000:%s", addr);
        else
                snprintf(full, sizeof(full), "%s", addr);
        for (unsigned i = 0; i < t->n_nics; i++)
                if (strcasecmp(t->nics[i].busid, full) == 0)
                        return &t->nics[i];
        return NULL;
}

const struct topo_core *topo_core_of_cpu(const struct topo *t, unsigned cpu) {
        for (unsigned i = 0; i < t->n_cores; i++)
                if (hwloc_bitmap_isset(t->cores[i].pus, cpu))
                        return &t->cores[i];
        return NULL;
}

const struct topo_node *topo_node_by_os_index(const struct topo *t, unsigned os_index) {
        for (unsigned i = 0; i < t->n_nodes; i++)
                if (t->nodes[i].os_index == os_index)
                        return &t->nodes[i];
        return NULL;
}
