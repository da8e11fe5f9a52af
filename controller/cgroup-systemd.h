/* cgroup-systemd — the messages of the systemd backend (cgroup.h).
 *
 * On a host where systemd is PID 1 on cgroup v2, the cgroup tree belongs to systemd: an
 * agent's group is a transient scope (StartTransientUnit with the agent's PID, its CPU
 * quota and period, AllowedCPUs / AllowedMemoryNodes, Delegate=yes) under isolab.slice,
 * and a new quota or cpuset is SetUnitProperties on it (runtime only); removing the group
 * is StopUnit.  Jobs are waited for (JobRemoved, result "done").  The scope's counters
 * are read from its directory in the cgroup2 tree, <unified>/isolab.slice/<unit>.
 *
 * Tests build the messages on an unconnected bus and read them back, and run the whole
 * backend against a fake systemd1.Manager on a peer-to-peer bus (tests/unit), because
 * this project's machines have no systemd to send them to. */
#pragma once

#include <hwloc.h>
#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "controller/cgroup.h"

#define CG_SD_SLICE "isolab.slice"
#define CG_SD_GROUPS 16 /* scopes one run tracks: gen, nf, the neighbours */

/* "isolab/<run>/nf" -> "isolab-<run>-nf.scope".  Returns 0 or -EINVAL for a name outside
 * [a-z0-9_-/] or not under isolab/. */
int cg_sd_unit_name(const char *rel, char *buf, size_t len);

/* systemd's bitmask form of a CPU or node set: bit i of byte i/8 is CPU i. */
size_t cg_sd_mask(hwloc_const_bitmap_t set, uint8_t *buf, size_t len);

int cg_sd_start_scope_message(sd_bus *bus, const char *unit, pid_t pid, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                              hwloc_const_bitmap_t mems, sd_bus_message **ret);
int cg_sd_set_quota_message(sd_bus *bus, const char *unit, const struct cg_quota *q, sd_bus_message **ret);
/* Quota, cpuset or both (NULL: leave as is). */
int cg_sd_set_props_message(sd_bus *bus, const char *unit, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                            hwloc_const_bitmap_t mems, sd_bus_message **ret);

/* The backend over `bus` (NULL: the system bus).  cg_close() releases it. */
int cg_open_systemd(struct cg *cg, const struct cg_mounts *m, sd_bus *bus, struct diag *d);
/* Releases what cg_open_systemd took (cg_close calls it; nothing for other backends). */
void cg_close_systemd(struct cg *cg);
