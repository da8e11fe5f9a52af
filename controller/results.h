/* results — what isolab accepts back from a results directory it (supposedly) wrote.
 *
 * trials.jsonl and run.json are read again by report, plot and --resume, often as root,
 * and a user may have written them.  Every string a renderer or a script could use is
 * checked against the values isolab itself writes; anything else is an error that
 * names the file and line, never text passed on (isolab plot once put such strings
 * into a gnuplot script, and gnuplot runs `system`). */
#pragma once

#include <jansson.h>

#include "base/diag.h"

/* Checks the strings of one trials.jsonl line: nf_under_test, pinning, neighbour
 * (name, workload, placement), kind, method and search method.  Returns 0 or -EINVAL
 * with d naming file:line, the key and the value. */
int results_check_trial(json_t *t, const char *file, unsigned line, struct diag *d);

/* Checks the strings of run.json a figure title uses: host name, the NF kinds, the link
 * and the start time.  Returns 0 or -EINVAL with d naming the file and the key. */
int results_check_run(json_t *run, const char *file, struct diag *d);

/* Whether s is a name isolab makes or accepts: 1 to 64 of [a-z0-9_-]. */
int results_is_name(const char *s);
