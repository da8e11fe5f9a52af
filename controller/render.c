/* render — see render.h. */
#include "controller/render.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "topology/cpulist.h"
#include "base/util.h"

/* ---- JSON ------------------------------------------------------------------------ */

/* CPU sets are strings in the kernel's list format ("0-3,8"), as in sysfs and cgroup
 * files: compact, and read back with cpulist_parse(). */
static json_t *cpus_json(hwloc_const_bitmap_t s) {
        _cleanup_free_ char *l = cpulist_format(s);
        return l ? json_string(l) : NULL;
}

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *isolation_json(const struct isolation *iso) {
        if (!iso->known)
                return json_null();
        json_t *o = json_object();
        json_object_set_new(o, "cmdline", json_string(iso->cmdline));
        json_object_set_new(o, "isolcpus", cpus_json(iso->isolcpus));
        json_object_set_new(o, "isolcpus_flags", json_string(iso->isolcpus_flags));
        json_object_set_new(o, "nohz_full", cpus_json(iso->nohz_full));
        json_object_set_new(o, "rcu_nocbs", iso->rcu_nocbs_all ? json_string("all") : cpus_json(iso->rcu_nocbs));
        json_object_set_new(o, "irqaffinity", cpus_json(iso->irqaffinity));
        return o;
}

json_t *topo_to_json(const struct topo *t) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "source", json_string(topo_source_name(t->source)));
        json_object_set_new(o, "name", json_string(t->source_name));
        json_object_set_new(o, "hostname", str_or_null(t->hostname));
        json_object_set_new(o, "cpu_model", str_or_null(t->cpu_model));
        json_object_set_new(o, "packages", json_integer(t->n_packages));
        json_object_set_new(o, "cores", json_integer(t->n_cores));
        json_object_set_new(o, "cpus", cpus_json(t->cpus));
        json_object_set_new(o, "allowed_cpus", cpus_json(t->allowed));

        json_t *nodes = json_array();
        for (unsigned i = 0; i < t->n_nodes; i++) {
                const struct topo_node *n = &t->nodes[i];
                json_t *no = json_object(), *pools = json_array();
                json_object_set_new(no, "node", json_integer(n->os_index));
                json_object_set_new(no, "memory", json_integer((json_int_t)n->memory));
                json_object_set_new(no, "cpus", cpus_json(n->cpus));
                for (unsigned k = 0; k < n->huge.n_pools; k++) {
                        json_t *po = json_object();
                        json_object_set_new(po, "page_size", json_integer((json_int_t)n->huge.pool[k].page_size));
                        json_object_set_new(po, "total", json_integer((json_int_t)n->huge.pool[k].total));
                        json_object_set_new(po, "free", n->huge_free_known ? json_integer((json_int_t)n->huge.pool[k].free)
                                                                           : json_null());
                        json_array_append_new(pools, po);
                }
                json_object_set_new(no, "hugepages", pools);
                json_array_append_new(nodes, no);
        }
        json_object_set_new(o, "nodes", nodes);

        json_t *l3s = json_array();
        for (unsigned i = 0; i < t->n_l3s; i++) {
                json_t *lo = json_object();
                json_object_set_new(lo, "l3", json_integer(t->l3s[i].index));
                json_object_set_new(lo, "size", json_integer((json_int_t)t->l3s[i].size));
                json_object_set_new(lo, "cpus", cpus_json(t->l3s[i].cpus));
                json_array_append_new(l3s, lo);
        }
        json_object_set_new(o, "l3", l3s);

        json_t *cores = json_array();
        for (unsigned i = 0; i < t->n_cores; i++) {
                const struct topo_core *c = &t->cores[i];
                json_t *co = json_object();
                json_object_set_new(co, "core", json_integer(c->index));
                json_object_set_new(co, "cpus", cpus_json(c->pus));
                json_object_set_new(co, "node", c->node >= 0 ? json_integer(c->node) : json_null());
                json_object_set_new(co, "package", c->package >= 0 ? json_integer(c->package) : json_null());
                json_object_set_new(co, "l3", c->l3 >= 0 ? json_integer(t->l3s[c->l3].index) : json_null());
                json_array_append_new(cores, co);
        }
        json_object_set_new(o, "core_list", cores);

        json_t *nics = json_array();
        for (unsigned i = 0; i < t->n_nics; i++) {
                const struct topo_nic *n = &t->nics[i];
                json_t *no = json_object();
                json_object_set_new(no, "pci", json_string(n->busid));
                json_object_set_new(no, "name", json_string(n->name));
                json_object_set_new(no, "mac", json_string(n->mac));
                json_object_set_new(no, "vendor", json_string(n->vendor));
                json_object_set_new(no, "device", json_string(n->device));
                json_object_set_new(no, "model", json_string(n->model));
                json_object_set_new(no, "node", n->node >= 0 ? json_integer(n->node) : json_null());
                json_array_append_new(nics, no);
        }
        json_object_set_new(o, "nics", nics);
        json_object_set_new(o, "isolation", isolation_json(&t->iso));
        return o;
}

static json_t *role_json(const struct plan_role *r) {
        json_t *o = json_object();
        json_object_set_new(o, "available", json_boolean(r->available));
        json_object_set_new(o, "cpus", r->available ? cpus_json(r->cpus) : json_string(""));
        json_object_set_new(o, "reason", json_string(r->reason));
        return o;
}

json_t *plan_to_json(const struct plan *p) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_t *node = json_object();
        json_object_set_new(node, "node", json_integer(p->node));
        json_object_set_new(node, "reason", json_string(p->node_reason));
        json_object_set_new(o, "numa", node);

        json_t *ports = json_array();
        for (unsigned i = 0; i < p->n_ports; i++) {
                json_t *po = json_object();
                json_object_set_new(po, "pci", json_string(p->ports[i].busid));
                json_object_set_new(po, "name", json_string(p->ports[i].name));
                json_object_set_new(po, "node", p->ports[i].node >= 0 ? json_integer(p->ports[i].node) : json_null());
                json_array_append_new(ports, po);
        }
        json_object_set_new(o, "ports", ports);
        static const char *const hosts[] = { [PLAN_HOST_BOTH] = "both", [PLAN_HOST_DUT] = "dut", [PLAN_HOST_GEN] = "generator" };
        json_object_set_new(o, "host_role", json_string(hosts[p->host]));
        json_object_set_new(o, "pmd", role_json(&p->pmd));
        json_object_set_new(o, "pmd_idle_siblings", cpus_json(p->pmd_siblings));
        json_object_set_new(o, "generator", role_json(&p->gen));
        json_object_set_new(o, "housekeeping", role_json(&p->housekeeping));

        json_t *noise = json_object();
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++)
                if (p->noise_mask & (1u << m))
                        json_object_set_new(noise, noise_placement_to_string((enum noise_placement)m), role_json(&p->noise[m]));
        json_object_set_new(o, "noise", noise);

        json_t *h = json_object();
        json_object_set_new(h, "page_size", json_integer((json_int_t)p->huge.page_size));
        json_object_set_new(h, "per_process", json_integer((json_int_t)p->huge.per_process));
        json_object_set_new(h, "processes", json_integer(p->processes));
        json_object_set_new(h, "needed", json_integer((json_int_t)p->huge.needed));
        json_object_set_new(h, p->huge.free_known ? "free" : "reserved", json_integer((json_int_t)p->huge.free));
        json_object_set_new(h, "reason", json_string(p->huge.reason));
        json_object_set_new(o, "hugepages", h);
        json_object_set_new(o, "isolation", json_string(p->isolation));

        json_t *w = json_array();
        for (unsigned i = 0; i < p->n_warnings; i++)
                json_array_append_new(w, json_string(p->warnings[i]));
        json_object_set_new(o, "warnings", w);
        return o;
}

static int dump(FILE *f, json_t *doc) {
        if (!doc)
                return -ENOMEM;
        int r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (r < 0)
                return -EIO;
        return fputc('\n', f) == EOF ? -EIO : 0;
}

int render_topo_json(FILE *f, const struct topo *t) {
        json_t *doc = json_object();
        if (!doc)
                return -ENOMEM;
        json_object_set_new(doc, "version", json_integer(RENDER_JSON_VERSION));
        json_object_set_new(doc, "topology", topo_to_json(t));
        return dump(f, doc);
}

int render_plan_json(FILE *f, const struct topo *t, const struct plan *p) {
        return render_plans_json(f, t, p, NULL, NULL, NULL);
}

int render_plans_json(FILE *f, const struct topo *t, const struct plan *p, const char *gen_host, const struct topo *gt,
                      const struct plan *gp) {
        json_t *doc = json_object();
        if (!doc)
                return -ENOMEM;
        json_object_set_new(doc, "version", json_integer(RENDER_JSON_VERSION));
        json_object_set_new(doc, "topology", topo_to_json(t));
        json_object_set_new(doc, "plan", plan_to_json(p));
        if (gen_host && gt && gp)
                json_object_set_new(doc, "gen_host", json_pack("{s:s, s:o, s:o}", "host", gen_host, "topology", topo_to_json(gt),
                                                               "plan", plan_to_json(gp)));
        return dump(f, doc);
}

/* ---- text ------------------------------------------------------------------------ */

/* "0-3,8", or the given word for the empty set. */
static const char *L(hwloc_const_bitmap_t s, const char *empty) {
        static char buf[4][256];
        static unsigned k;
        char *out = buf[k++ % 4];
        if (hwloc_bitmap_iszero(s))
                return empty;
        _cleanup_free_ char *f = cpulist_format(s);
        snprintf(out, 256, "%s", f ? f : "?");
        return out;
}

static const char *human_bytes(uint64_t b, char *buf, size_t len) {
        if (b >= (1ULL << 30))
                snprintf(buf, len, "%.1f GiB", (double)b / (double)(1ULL << 30));
        else
                snprintf(buf, len, "%.0f MiB", (double)b / (double)(1ULL << 20));
        return buf;
}

static void text_machine(FILE *f, const struct topo *t) {
        unsigned smt = 0;
        for (unsigned i = 0; i < t->n_cores; i++) {
                unsigned w = (unsigned)hwloc_bitmap_weight(t->cores[i].pus);
                if (w > smt)
                        smt = w;
        }
        fprintf(f, "Machine     %s%s%s%s\n", t->source_name, t->hostname ? " (" : "", t->hostname ? t->hostname : "",
                t->hostname ? ")" : "");
        fprintf(f, "            %s; %u package%s, %u NUMA node%s, %u core%s, %u CPU%s (%s)\n",
                t->cpu_model ? t->cpu_model : "CPU model unknown", t->n_packages, t->n_packages == 1 ? "" : "s",
                t->n_nodes, t->n_nodes == 1 ? "" : "s", t->n_cores, t->n_cores == 1 ? "" : "s", t->n_pus,
                t->n_pus == 1 ? "" : "s", smt > 1 ? "SMT on" : "no SMT");
        if (!hwloc_bitmap_isequal(t->allowed, t->cpus))
                fprintf(f, "            this process may use CPUs %s only\n", L(t->allowed, "none"));
}

static void text_nodes(FILE *f, const struct topo *t) {
        char b1[32], b2[32];
        for (unsigned i = 0; i < t->n_nodes; i++) {
                const struct topo_node *n = &t->nodes[i];
                fprintf(f, "Node %-6u CPUs %s, memory %s\n", n->os_index, L(n->cpus, "none"),
                        human_bytes(n->memory, b1, sizeof(b1)));
                if (n->huge.n_pools == 0)
                        fprintf(f, "            hugepages: no pool (kernel without hugetlbfs?)\n");
                for (unsigned k = 0; k < n->huge.n_pools; k++) {
                        const struct hugepage_pool *p = &n->huge.pool[k];
                        if (n->huge_free_known)
                                fprintf(f, "            hugepages %-7s %" PRIu64 " reserved, %" PRIu64 " free\n",
                                        format_size(p->page_size, b2, sizeof(b2)), p->total, p->free);
                        else
                                fprintf(f, "            hugepages %-7s %" PRIu64 " reserved (use unknown)\n",
                                        format_size(p->page_size, b2, sizeof(b2)), p->total);
                }
        }
        for (unsigned i = 0; i < t->n_l3s; i++)
                fprintf(f, "L3 #%-6u  CPUs %s, %s\n", t->l3s[i].index, L(t->l3s[i].cpus, "none"),
                        human_bytes(t->l3s[i].size, b1, sizeof(b1)));
}

static void text_cores(FILE *f, const struct topo *t) {
        fprintf(f, "Cores       core  CPUs          node  L3\n");
        for (unsigned i = 0; i < t->n_cores; i++) {
                const struct topo_core *c = &t->cores[i];
                char node[16] = "-", l3[16] = "-";
                if (c->node >= 0)
                        snprintf(node, sizeof(node), "%d", c->node);
                if (c->l3 >= 0)
                        snprintf(l3, sizeof(l3), "#%u", t->l3s[c->l3].index);
                fprintf(f, "            %4u  %-12s  %4s  %s\n", c->index, L(c->pus, "-"), node, l3);
        }
}

static void text_nics(FILE *f, const struct topo *t) {
        if (t->n_nics == 0) {
                fprintf(f, "NICs        none on PCI (DPDK runs on virtual devices here)\n");
                return;
        }
        for (unsigned i = 0; i < t->n_nics; i++) {
                const struct topo_nic *n = &t->nics[i];
                char node[24] = "node unknown";
                if (n->node >= 0)
                        snprintf(node, sizeof(node), "node %d", n->node);
                fprintf(f, "%-12s%s  %-10s %s, %s\n", i == 0 ? "NICs" : "", n->busid, n->name[0] ? n->name : "-",
                        node, n->model);
        }
}

static void text_isolation(FILE *f, const struct isolation *iso) {
        if (!iso->known) {
                fprintf(f, "Isolation   unknown (a topology file carries no kernel command line)\n");
                return;
        }
        fprintf(f, "Isolation   isolcpus=%s%s%s  nohz_full=%s  rcu_nocbs=%s  irqaffinity=%s\n",
                iso->isolcpus_flags, iso->isolcpus_flags[0] ? "," : "", L(iso->isolcpus, "none"),
                L(iso->nohz_full, "none"), iso->rcu_nocbs_all ? "all" : L(iso->rcu_nocbs, "none"),
                L(iso->irqaffinity, "all"));
        fprintf(f, "Kernel      %s\n", iso->cmdline);
}

int render_topo_text(FILE *f, const struct topo *t) {
        text_machine(f, t);
        text_nodes(f, t);
        text_cores(f, t);
        text_nics(f, t);
        text_isolation(f, &t->iso);
        return ferror(f) ? -EIO : 0;
}

/* One plan row: label, value, reason; a value too wide for its column pushes the reason
 * onto the next line, so the reasons stay aligned and readable. */
static void row(FILE *f, const char *label, const char *value, const char *reason) {
        if (strlen(value) > 12)
                fprintf(f, "  %-18s %s\n  %-18s %-12s %s\n", label, value, "", "", reason);
        else
                fprintf(f, "  %-18s %-12s %s\n", label, value, reason);
}

static void text_role(FILE *f, const char *label, const struct plan_role *r, const char *empty) {
        row(f, label, r->available ? L(r->cpus, empty) : "-", r->reason);
}

int render_plan_text(FILE *f, const struct topo *t, const struct plan *p) {
        char b[32], node[16];
        static const char *const host_role[] = { [PLAN_HOST_BOTH] = "", [PLAN_HOST_DUT] = ": the device under test",
                                                 [PLAN_HOST_GEN] = ": the generator host" };
        fprintf(f, "Plan for %s%s%s%s%s\n", t->source_name, t->hostname ? " (" : "", t->hostname ? t->hostname : "",
                t->hostname ? ")" : "", host_role[p->host]);
        row(f, "role", "CPUs", "why");
        snprintf(node, sizeof(node), "node %d", p->node);
        row(f, "NUMA node", node, p->node_reason);
        for (unsigned i = 0; i < p->n_ports; i++) {
                char label[32], where[16] = "node ?";
                snprintf(label, sizeof(label), "port %u", i);
                if (p->ports[i].node >= 0)
                        snprintf(where, sizeof(where), "node %d", p->ports[i].node);
                char what[64];
                snprintf(what, sizeof(what), "%s %s", p->ports[i].busid, p->ports[i].name);
                row(f, label, where, what);
        }
        text_role(f, "PMD threads", &p->pmd, "-");
        if (p->host != PLAN_HOST_GEN)
                row(f, "idle SMT siblings", L(p->pmd_siblings, "-"),
                    hwloc_bitmap_iszero(p->pmd_siblings) ? "the PMD cores have no SMT sibling"
                                                         : "given to no role: a busy sibling takes half of a PMD core's pipeline");
        text_role(f, "generator", &p->gen, "-");
        text_role(f, "housekeeping", &p->housekeeping, "-");
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++) {
                if (!(p->noise_mask & (1u << m)))
                        continue;
                char label[32];
                snprintf(label, sizeof(label), "noise %s", noise_placement_to_string((enum noise_placement)m));
                text_role(f, label, &p->noise[m], "-");
        }
        char pages[48];
        snprintf(pages, sizeof(pages), "%" PRIu64 " x %s", p->huge.needed, format_size(p->huge.page_size, b, sizeof(b)));
        row(f, "hugepages", pages, p->huge.reason);
        row(f, "isolation", "", p->isolation);
        if (p->n_warnings == 0)
                fprintf(f, "No warnings.\n");
        else
                fprintf(f, "Warnings (%u):\n", p->n_warnings);
        for (unsigned i = 0; i < p->n_warnings; i++)
                fprintf(f, "  ! %s\n", p->warnings[i]);
        return ferror(f) ? -EIO : 0;
}
