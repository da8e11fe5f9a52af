/* verbs — the isolab commands, one table row each (after tmux's cmd_table and
 * systemd's verbs.c).  Adding a verb is one file and one row in main.c. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "controller/cli.h"
#include "topology/topo.h"

/* A verb: what `isolab --help`, `isolab VERB --help` and the manual page say of it, and
 * the option table its parser reads — one source for all of them. */
struct verb {
        const char *name;
        const char *usage;            /* the synopsis after "isolab VERB" */
        const char *summary;          /* one line for `isolab --help` */
        const char *description;      /* a paragraph for `isolab VERB --help` and isolab(1) */
        int (*run)(int argc, char **argv); /* argv[0] is the verb; returns an exit code */
        const struct cli_option *options;
        size_t n_options;
};

/* One entry per verb, defined in its controller/verb-*.c file; main.c lists them. */
extern const struct verb verb_topo, verb_plan, verb_sweep, verb_noisy, verb_run, verb_report, verb_compare, verb_plot,
        verb_cleanup, verb_serve;

/* Every verb, in the order `isolab --help` lists them (controller/verbs.c). */
extern const struct verb *const verbs[];
extern const size_t n_verbs;
/* The verb called name, or NULL. */
const struct verb *verb_find(const char *name);
/* `isolab VERB --help`. */
static inline void verb_help(FILE *f, const struct verb *v) {
        cli_help(f, v->name, v->usage, v->description, v->options, v->n_options);
}
/* `isolab --help`. */
void verbs_usage(FILE *f);
/* `isolab --roff-options`: every verb's synopsis, description and options, for isolab(1). */
void verbs_roff(FILE *f);
/* The option table of sweep, noisy and run (also the scenario file's keys), and the size
 * of the struct it fills: for the fuzzer and the tests. */
const struct cli_option *experiment_options(size_t *n, size_t *opts_size);
/* The number at a dotted path ("result.latency.p99_ns") of a trial record, 0 if absent. */
double report_num(json_t *o, const char *path);
/* Whether a trial line measured nothing usable: it failed ("error") or its counters do
 * not cover the trial ("invalid").  Reports count it as failed and leave it out. */
bool report_trial_failed(json_t *t);
/* Whether v is the JSON string s. */
bool report_str_is(json_t *v, const char *s);
/* Sample standard deviation from the sum and the sum of squares of n values (0 for n < 2). */
double report_stdev(double sum, double sq, unsigned n);

/* s as a single-quoted gnuplot string: the only way isolab plot puts text into a script
 * (no newline, backquote or @ survives; a quote is doubled). */
void plot_quote(FILE *f, const char *s);

/* Options every verb that looks at a machine understands. */
struct machine_opts {
        const char *topology;   /* --topology FILE */
        const char *synthetic;  /* --synthetic DESC */
        const char *cmdline;    /* --kernel-cmdline STRING */
        bool json;              /* --json */
};

#define MACHINE_CLI_OPTIONS(type, member)                                                                          \
        { "topology", "FILE", "plan for the machine in this hwloc XML file (lstopo --of xml)", cli_parse_string,  \
          offsetof(type, member.topology), NULL },                                                                       \
        { "synthetic", "DESC", "plan for an hwloc synthetic machine, e.g. \"package:2 core:8 pu:2\"",              \
          cli_parse_string, offsetof(type, member.synthetic), NULL },                                                    \
        { "kernel-cmdline", "STRING", "judge isolation against this kernel command line, not /proc/cmdline",      \
          cli_parse_string, offsetof(type, member.cmdline), NULL },                                                      \
        { "json", NULL, "print JSON instead of text", NULL, offsetof(type, member.json), NULL }

/* Options of the verbs that reach a generator host (plan, cleanup); sweep, noisy and run
 * have theirs in the experiment's table. */
struct gen_host_opts {
        const char *host, *ssh, *isolab;
};
#define GEN_HOST_CLI_OPTIONS(type, member, host_doc)                                                                      \
        { "gen-host", "[USER@]HOST[:PORT]", host_doc, cli_parse_string, offsetof(type, member.host), NULL },            \
        { "gen-ssh", "COMMAND", "the ssh command for --gen-host, split at spaces without a shell (ISOLAB_SSH_COMMAND "  \
          "wins)", cli_parse_string, offsetof(type, member.ssh), NULL },                                                \
        { "gen-isolab", "PATH", "isolab on the generator host (default: isolab)", cli_parse_string,                     \
          offsetof(type, member.isolab), NULL }

/* Loads the machine the options describe; prints the error and returns an exit code
 * (EXIT_USAGE for a bad file or description) when it fails, 0 on success. */
int machine_load(const struct machine_opts *o, struct topo **ret);

/* Prints "isolab: MESSAGE" once, at the boundary. */
void report_error(const struct diag *d, int r);
