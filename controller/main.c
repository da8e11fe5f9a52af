/* isolab — the controller's entry point: the verb table and dispatch.
 *
 * isolab measures how a DPDK poll-mode NF behaves when squeezed: CPU quotas, noisy
 * neighbours, pinning, NUMA placement.  See DESIGN.md; each verb lives in its own
 * controller/verb-*.c file. */
#include <stdio.h>
#include <string.h>

#include "controller/verbs.h"
#include "topology/util.h"

#ifndef ISOLAB_VERSION
#define ISOLAB_VERSION "0.1"
#endif

static const struct verb verbs[] = {
        { "topo", "show the machine: NUMA nodes, hugepages, caches, cores, NICs, isolation", verb_topo },
        { "plan", "show where PMD threads, generator, neighbours and hugepages would go, and why", verb_plan },
        { "sweep", "sweep the NF's CPU quota and measure rate, loss, latency and throttling (root)", verb_sweep },
        { "noisy", "run the NF beside noisy neighbours, pinned and unpinned, with baselines (root)", verb_noisy },
        { "run", "run the experiment a scenario file describes (root; --dry-run shows it)", verb_run },
        { "report", "render a run's results as the study's table (text, csv, json)", verb_report },
        { "plot", "render a run's figures with gnuplot (latency CDF, throughput, rate vs quota, stalls)", verb_plot },
        { "cleanup", "remove what interrupted runs left: agents, cgroups, mounts, hugepages (root)", verb_cleanup },
};

static void usage(FILE *f) {
        fprintf(f, "usage: isolab VERB [options]     (isolab VERB --help for its options)\n\nverbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("isolab %s\n", ISOLAB_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);

        struct cli_option names[ELEMENTSOF(verbs)];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                names[i] = (struct cli_option){ .name = verbs[i].name };
        const char *close = cli_closest(argv[1], names, ELEMENTSOF(verbs));
        if (close)
                fprintf(stderr, "isolab: unknown verb \"%s\"; did you mean \"%s\"?\n", argv[1], close);
        else
                fprintf(stderr, "isolab: unknown verb \"%s\"; see isolab --help\n", argv[1]);
        return EXIT_USAGE;
}
