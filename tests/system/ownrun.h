/* ownrun — what a system test may touch: its own isolab runs, and nothing else.
 *
 * Others may run isolab on the same machine while the tests run.  A test knows its runs
 * by the controller's pid (a run is called <name>-<utc>-<pid>) or, for a run it did not
 * fork itself (system(), script(1)), by the "run" its run.json names.  Agents are found
 * in the run's own cgroups and acted on by pid; what is left after a run is looked for
 * only under the run's own name: never by a program's name, never across all runs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Forgets every run (call in the suite's setup). */
void ownrun_reset(void);
/* The runs controller pid starts are this test's. */
void ownrun_add_pid(pid_t controller);
/* The run whose results are in dir (its run.json's "run") is this test's; false when
 * dir has no readable run.json. */
bool ownrun_add_dir(const char *dir);
/* Whether a run called name is this test's. */
bool ownrun_is_own(const char *name);

/* The number of this test's runs with a group under root/isolab/ (a cgroup hierarchy),
 * and whether one of them has the group `group` (may be NULL). */
int ownrun_groups(const char *root, const char *group, bool *ret_seen);

/* The pids in root/isolab/<own run>/<group>*: group is a prefix ("nf", "noise-"). */
size_t ownrun_pids(const char *root, const char *group, pid_t *pids, size_t max);

/* What of this test's runs is still on the machine: cgroups under the two roots,
 * hugetlbfs mounts and directories under /run/isolab, and live processes that are in
 * one of its cgroups or carry its DPDK file prefix.  NULL when nothing is left, else a
 * sentence to free. */
char *ownrun_leftovers(const char *cpu_root, const char *cpuset_root, const char *cpuacct_root);
