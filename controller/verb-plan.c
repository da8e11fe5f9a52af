/* isolab plan — where the PMD threads, the generator, the neighbours and the hugepages
 * would go, and why.  Changes nothing, so it also plans for machines described by an
 * hwloc XML file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/drivers.h"
#include "controller/genhost.h"
#include "controller/render.h"
#include "controller/verbs.h"
#include "topology/plan.h"
#include "base/util.h"

struct plan_opts {
        struct machine_opts m;
        unsigned pmd_cores;
        unsigned gen_cores;
        int node;
        const char *ports;
        const char *noise;
        uint64_t hugepage_size;
        uint64_t hugepage_mem;
        struct gen_host_opts gen;
        const char *gen_ports, *gen_topology;
};

static int parse_hugepage_size(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        if (strcmp(value, "auto") == 0) {
                *(uint64_t *)dst = 0;
                return 0;
        }
        uint64_t v;
        if (parse_size(value, &v) < 0 || (v != (2ULL << 20) && v != (1ULL << 30) && v != (16ULL << 30) &&
                                          v != (32ULL << 20) && v != (512ULL << 20) && v != (64ULL << 10)))
                return diag_set(d, -EINVAL, "--%s %s: expected auto, 2M or 1G (the x86 hugepage sizes)", o->name, value);
        *(uint64_t *)dst = v;
        return 0;
}

static const struct cli_option plan_options[] = {
        MACHINE_CLI_OPTIONS(struct plan_opts, m),
        { "pmd-cores", "N", "PMD threads of the NF, one whole core each (default 1)", cli_parse_uint,
          offsetof(struct plan_opts, pmd_cores), NULL },
        { "gen-cores", "N", "traffic generator cores (default 1)", cli_parse_uint, offsetof(struct plan_opts, gen_cores), NULL },
        { "ports", "PCI,PCI", "the NF's NIC ports by PCI address; omit for virtual links", cli_parse_string,
          offsetof(struct plan_opts, ports), NULL },
        { "node", "N", "use this NUMA node instead of choosing (e.g. to put the NF away from its NIC)", cli_parse_node,
          offsetof(struct plan_opts, node), NULL },
        { "noise-placement", "MODE,...", "plan neighbours: same-core, sibling, same-llc, same-node, other-node, any, all",
          cli_parse_string, offsetof(struct plan_opts, noise), NULL },
        { "hugepage-size", "SIZE", "auto (1G where the node has some reserved, else 2M), 2M or 1G", parse_hugepage_size,
          offsetof(struct plan_opts, hugepage_size), NULL },
        { "hugepage-mem", "SIZE", "hugepage memory per DPDK process (default 512M)", cli_parse_size,
          offsetof(struct plan_opts, hugepage_mem), NULL },
        GEN_HOST_CLI_OPTIONS(struct plan_opts, gen, "plan the generator on this host too, its topology read over ssh "
                                                    "(isolab serve host there); this host gets the NF only"),
        { "gen-ports", "PCI,PCI", "the generator host's two ports (its plan puts the generator on their node)",
          cli_parse_string, offsetof(struct plan_opts, gen_ports), NULL },
        { "gen-topology", "FILE", "the generator host's hwloc XML file instead of asking it over ssh", cli_parse_string,
          offsetof(struct plan_opts, gen_topology), NULL },
};

static int parse_noise(const char *list, unsigned *ret, struct diag *d) {
        _cleanup_free_ char *copy = strdup(list);
        if (!copy)
                return -ENOMEM;
        unsigned mask = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (strcmp(w, "all") == 0) {
                        mask |= (1u << _NOISE_PLACEMENT_MAX) - 1;
                        continue;
                }
                int m = noise_placement_from_string(w);
                if (m < 0)
                        return diag_set(d, -EINVAL,
                                        "--noise-placement: unknown mode \"%s\"; use same-core, sibling, same-llc, "
                                        "same-node, other-node, any or all",
                                        w);
                mask |= 1u << m;
        }
        if (!mask)
                return diag_set(d, -EINVAL, "--noise-placement needs at least one mode, e.g. same-core");
        *ret = mask;
        return 0;
}

/* Splits "a,b" into a NULL-terminated vector pointing into copy. */
static int split_ports(char *copy, const char ***ret, unsigned *ret_n) {
        unsigned n = 0;
        const char **v = NULL;
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                const char **nv = realloc(v, (n + 2) * sizeof(*v));
                if (!nv) {
                        free(v);
                        return -ENOMEM;
                }
                v = nv;
                v[n++] = w;
                v[n] = NULL;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* --gen-host / --gen-topology: the generator's host, asked over ssh or read from its
 * file, and the generator planned there (off the PMD cores when it is this machine). */
static int plan_gen_side(const struct plan_opts *o, struct plan_request *req, const struct plan *p, struct gen_host *g,
                         struct diag *d) {
        const char *env = getenv("ISOLAB_SSH_COMMAND");
        int r = genhost_parse(o->gen.host ? o->gen.host : "generator-host", env && *env ? env : o->gen.ssh, o->gen.isolab, g,
                              d);
        if (r < 0)
                return r;
        char buf[64], full[2][16];
        const char *ports[2] = { full[0], full[1] };
        char *v[3];
        int n = 0;
        if (o->gen_ports) {
                snprintf(buf, sizeof(buf), "%s", o->gen_ports);
                n = 0;
                for (char *save = NULL, *w = strtok_r(buf, ",", &save); w && n < 3; w = strtok_r(NULL, ",", &save))
                        v[n++] = w;
                if (n != 2 || drivers_pci_addr(v[0], full[0], sizeof(full[0])) < 0 ||
                    drivers_pci_addr(v[1], full[1], sizeof(full[1])) < 0)
                        return diag_set(d, -EINVAL, "--gen-ports %s: give the generator host's two ports as PCI addresses, "
                                                    "e.g. --gen-ports 0000:3b:00.0,0000:3b:00.1",
                                        o->gen_ports);
        }
        if (o->gen_topology) {
                struct topo_load_opts lo = { .xml = o->gen_topology };
                if ((r = topo_load(&lo, &g->t, d)) < 0)
                        return r;
        } else if ((r = genhost_query(g, o->gen_ports ? ports : NULL, d)) < 0) {
                return r;
        }
        req->avoid = g->same_machine ? p->pmd.cpus : NULL;
        unsigned got;
        r = genhost_plan(g, req, o->gen_ports ? ports : NULL, o->gen_cores, &got, d);
        req->avoid = NULL;
        return r;
}

static int plan_run(int argc, char **argv) {
        struct plan_opts o = { .pmd_cores = 1, .gen_cores = 1, .node = -1 };
        struct diag d = { 0 };
        int r = cli_verb_start(argc, argv, plan_options, ELEMENTSOF(plan_options), &o, verb_plan.description);
        if (r >= 0)
                return r;

        struct plan_request req = {
                .pmd_cores = o.pmd_cores, .gen_cores = o.gen_cores, .node = o.node,
                .hugepage_size = o.hugepage_size, .hugepage_mem = o.hugepage_mem,
        };
        if (o.noise && (r = parse_noise(o.noise, &req.noise_mask, &d)) < 0) {
                report_error(&d, r);
                return EXIT_USAGE;
        }
        _cleanup_free_ char *ports_copy = o.ports ? strdup(o.ports) : NULL;
        _cleanup_free_ const char **ports = NULL;
        if (o.ports) {
                if (!ports_copy || split_ports(ports_copy, &ports, &req.n_ports) < 0)
                        return EXIT_RUNTIME;
                if (req.n_ports == 0) {
                        fprintf(stderr, "isolab: --ports needs PCI addresses, e.g. --ports 0000:06:00.0,0000:06:00.1\n");
                        return EXIT_USAGE;
                }
                req.ports = ports;
        }

        _cleanup_(topo_freep) struct topo *t = NULL;
        r = machine_load(&o.m, &t);
        if (r != 0)
                return r;
        _cleanup_(plan_freep) struct plan *p = NULL;
        struct gen_host g = { 0 };
        bool two = o.gen.host || o.gen_topology;
        req.host = two ? PLAN_HOST_DUT : PLAN_HOST_BOTH;
        r = plan_make(t, &req, &p, &d);
        if (r >= 0 && two)
                r = plan_gen_side(&o, &req, p, &g, &d);
        if (r < 0) {
                report_error(&d, r);
                genhost_free(&g);
                return r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
        }
        if (o.m.json)
                r = render_plans_json(stdout, t, p, two ? g.spec : NULL, g.t, g.p);
        else {
                r = render_plan_text(stdout, t, p);
                if (r >= 0 && two) {
                        fputc('\n', stdout);
                        r = render_plan_text(stdout, g.t, g.p);
                }
        }
        genhost_free(&g);
        if (r < 0) {
                report_error(NULL, r);
                return EXIT_RUNTIME;
        }
        return 0;
}

const struct verb verb_plan = {
        .name = "plan",
        .usage = "[options]",
        .summary = "show where PMD threads, generator, neighbours and hugepages would go, and why",
        .description = "Show where the NF's PMD threads, the traffic generator, noisy neighbours and hugepages\n"
                       "would go on this machine (or the one --topology describes), with the reason for each\n"
                       "choice and a warning for each compromise.  Changes nothing.",
        .run = plan_run,
        .options = plan_options,
        .n_options = ELEMENTSOF(plan_options),
};
