/* isolab — the controller's entry point: dispatch to a verb (controller/verbs.c).
 *
 * isolab measures how a DPDK poll-mode NF behaves when squeezed: CPU quotas, noisy
 * neighbours, pinning, NUMA placement.  See docs/ and DESIGN.md; each verb lives in its
 * own controller/verb-*.c file. */
#include <stdio.h>
#include <string.h>

#include "controller/verbs.h"
#include "base/util.h"

int main(int argc, char **argv) {
        if (argc < 2) {
                verbs_usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                verbs_usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("isolab %s\n", ISOLAB_VERSION);
                return 0;
        }
        /* For the build: the VERBS part of isolab(1), from the tables the parser reads. */
        if (strcmp(argv[1], "--roff-options") == 0) {
                verbs_roff(stdout);
                return 0;
        }
        const struct verb *v = verb_find(argv[1]);
        if (v)
                return v->run(argc - 1, argv + 1);

        const char *names[32];
        for (size_t i = 0; i < n_verbs && i < ELEMENTSOF(names); i++)
                names[i] = verbs[i]->name;
        const char *close = cli_closest_word(argv[1], names, n_verbs < ELEMENTSOF(names) ? n_verbs : ELEMENTSOF(names));
        if (close)
                fprintf(stderr, "isolab: unknown verb \"%s\"; did you mean \"%s\"?\n", argv[1], close);
        else
                fprintf(stderr, "isolab: unknown verb \"%s\"; see isolab --help\n", argv[1]);
        return EXIT_USAGE;
}
