/* paths — where isolab's own files are: the agents and the shipped scenarios.
 *
 * Found relative to the isolab binary itself (/proc/self/exe), so the same binary works
 * from the build tree (build/isolab beside build/isolab-nf; scenarios/ beside build/),
 * installed under any PREFIX (bin/isolab, libexec/isolab/isolab-nf,
 * share/isolab/scenarios/) and staged under a DESTDIR.  Nothing is looked up in the
 * current directory or $PATH: root never runs or reads a file a user placed there. */
#pragma once

#include <stddef.h>

#include "base/diag.h"

/* The agent binary for role ("nf", "gen", "noise"): $ISOLAB_LIBEXEC/isolab-ROLE when set,
 * else beside isolab, else ../libexec/isolab/ from it.  Always fills buf (with the
 * installed location when neither exists, so the error names where it was expected). */
void paths_agent(const char *role, char *buf, size_t len);

/* Whether arg is a name in isolab's sense: only [a-z0-9_-] (a run, a shipped scenario).
 * For `isolab run`, a name is a shipped scenario and anything else a file
 * (isolab run cpu-sweep; scenarios/cpu-sweep.ini and ./x.ini are files). */
int paths_is_name(const char *arg);

/* The shipped scenario called name: ../share/isolab/scenarios/NAME.ini from isolab, or
 * ../scenarios/NAME.ini (a build tree).  Returns 0, or -ENOENT with d naming the
 * scenarios there are. */
int paths_scenario(const char *name, char *buf, size_t len, struct diag *d);
