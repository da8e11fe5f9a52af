/* opts — see opts.h. */
#include "agents/common/opts.h"

#include <string.h>

#include "base/optdoc.h"

void agent_opts_getopt(const struct agent_usage *u, struct option *out) {
        for (size_t i = 0; i < u->n_options; i++)
                out[i] = (struct option){ u->options[i].name, u->options[i].arg ? required_argument : no_argument, NULL,
                                          u->options[i].val };
        out[u->n_options] = (struct option){ 0 };
}

void agent_opts_help(FILE *f, const struct agent_usage *u) {
        fprintf(f, "usage: %s %s\n\n%s\n\noptions:\n", u->prog, u->synopsis, u->summary);
        for (size_t i = 0; i < u->n_options; i++)
                optdoc_help_line(f, u->options[i].name, u->options[i].arg, u->options[i].help);
        optdoc_help_line(f, "help", NULL, "this text");
}

void agent_opts_roff(FILE *f, const struct agent_usage *u) {
        for (size_t i = 0; i < u->n_options; i++)
                optdoc_roff(f, u->options[i].name, u->options[i].arg, u->options[i].help);
        optdoc_roff(f, "help", NULL, "print the options and exit");
}

int agent_opts_early(int argc, char **argv, const struct agent_usage *u) {
        if (argc == 2 && strcmp(argv[1], "--roff-options") == 0) {
                agent_opts_roff(stdout, u);
                return 0;
        }
        /* A DPDK agent's own options follow "--"; EAL would take a --help before it. */
        int first = 1;
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        first = i + 1;
                        break;
                }
        for (int i = first; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        agent_opts_help(stdout, u);
                        return 0;
                }
        if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                agent_opts_help(stdout, u);
                return 0;
        }
        return -1;
}
