/* opts — an agent's option table: getopt_long, --help and its manual page from one place.
 *
 * Each agent lists its options once (name, argument, getopt value, help); the table
 * builds getopt_long's array, prints --help, and prints the OPTIONS part of the agent's
 * manual page for the build (`--roff-options`, man/isolab-*.8.in).  No DPDK here. */
#pragma once

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct agent_option {
        const char *name; /* long option, without "--" */
        const char *arg;  /* argument name for the help ("N", "DIR"); NULL: a flag */
        int val;          /* what getopt_long returns for it */
        const char *help; /* one line */
};

struct agent_usage {
        const char *prog;     /* "isolab-nf" */
        const char *synopsis; /* what follows the program's name: "EAL-ARGS -- [options]" */
        const char *summary;  /* a paragraph */
        const struct agent_option *options;
        size_t n_options;
};

/* getopt_long's array for the table: out has room for n_options + 1 entries. */
void agent_opts_getopt(const struct agent_usage *u, struct option *out);

/* --help: the synopsis, the summary and one line per option. */
void agent_opts_help(FILE *f, const struct agent_usage *u);

/* The options as roff tagged paragraphs (base/optdoc.h). */
void agent_opts_roff(FILE *f, const struct agent_usage *u);

/* Before anything else (for a DPDK agent, before EAL sees the arguments): --help or -h
 * anywhere among the program's own options, or --roff-options as the only argument.
 * Returns the exit code when one was handled (0), else -1. */
int agent_opts_early(int argc, char **argv, const struct agent_usage *u);
