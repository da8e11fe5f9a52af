/* verbs — the isolab commands, one table row each (after tmux's cmd_table and
 * systemd's verbs.c).  Adding a verb is one file and one row in main.c. */
#pragma once

#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "controller/cli.h"
#include "topology/topo.h"

struct verb {
        const char *name;
        const char *summary;          /* one line for `isolab --help` */
        int (*run)(int argc, char **argv); /* argv[0] is the verb; returns an exit code */
};

int verb_topo(int argc, char **argv);
int verb_plan(int argc, char **argv);
int verb_sweep(int argc, char **argv);
int verb_noisy(int argc, char **argv);
int verb_run(int argc, char **argv);
/* The option table of sweep, noisy and run (also the scenario file's keys), and the size
 * of the struct it fills: for the fuzzer and the tests. */
const struct cli_option *experiment_options(size_t *n, size_t *opts_size);
/* The number at a dotted path ("result.latency.p99_ns") of a trial record, 0 if absent. */
double report_num(json_t *o, const char *path);
/* Whether v is the JSON string s. */
bool report_str_is(json_t *v, const char *s);
/* Sample standard deviation from the sum and the sum of squares of n values (0 for n < 2). */
double report_stdev(double sum, double sq, unsigned n);
/* isolab report for runs with neighbours or unpinned trials: the study's Table 7. */
int report_noisy(FILE *f, const char *fmt, json_t *warnings);
/* isolab report for runs with NDR/PDR searches: the rate found per point. */
int report_search(FILE *f, const char *fmt, json_t *warnings);
int verb_report(int argc, char **argv);
int verb_plot(int argc, char **argv);
int verb_cleanup(int argc, char **argv);

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

/* Loads the machine the options describe; prints the error and returns an exit code
 * (EXIT_USAGE for a bad file or description) when it fails, 0 on success. */
int machine_load(const struct machine_opts *o, struct topo **ret);

/* Prints "isolab: MESSAGE" once, at the boundary. */
void report_error(const struct diag *d, int r);
