/* isolab topo — what the machine is: nodes, hugepage pools, L3s, cores, NICs, and the
 * kernel's isolation settings.  Changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controller/render.h"
#include "controller/verbs.h"
#include "base/util.h"

struct topo_opts {
        struct machine_opts m;
};

static const struct cli_option topo_options[] = {
        MACHINE_CLI_OPTIONS(struct topo_opts, m),
};

void report_error(const struct diag *d, int r) {
        if (d && d->err)
                fprintf(stderr, "isolab: %s\n", d->msg);
        else
                fprintf(stderr, "isolab: %s\n", strerror(-r));
}

int machine_load(const struct machine_opts *o, struct topo **ret) {
        struct diag d = { 0 };
        struct topo_load_opts lo = { .xml = o->topology, .synthetic = o->synthetic, .cmdline = o->cmdline };
        int r = topo_load(&lo, ret, &d);
        if (r < 0) {
                report_error(&d, r);
                /* A file or description we were given is the user's to fix; this machine's
                 * own topology failing to load is ours. */
                return (o->topology || o->synthetic || o->cmdline || r == -EINVAL) && r != -ENOMEM ? EXIT_USAGE
                                                                                                : EXIT_RUNTIME;
        }
        return 0;
}

static int topo_run(int argc, char **argv) {
        struct topo_opts o = { 0 };
        int r = cli_verb_start(argc, argv, topo_options, ELEMENTSOF(topo_options), &o, verb_topo.description);
        if (r >= 0)
                return r;
        _cleanup_(topo_freep) struct topo *t = NULL;
        r = machine_load(&o.m, &t);
        if (r != 0)
                return r;
        r = o.m.json ? render_topo_json(stdout, t) : render_topo_text(stdout, t);
        if (r < 0) {
                report_error(NULL, r);
                return EXIT_RUNTIME;
        }
        return 0;
}

const struct verb verb_topo = {
        .name = "topo",
        .usage = "[options]",
        .summary = "show the machine: NUMA nodes, hugepages, caches, cores, NICs, isolation",
        .description = "Show the machine: NUMA nodes and their hugepage pools, L3 caches, cores and SMT siblings,\n"
                       "PCI NICs and their node, and the kernel's CPU isolation settings.",
        .run = topo_run,
        .options = topo_options,
        .n_options = ELEMENTSOF(topo_options),
};
