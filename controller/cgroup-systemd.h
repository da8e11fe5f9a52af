/* cgroup-systemd — the messages of the systemd backend (cgroup.h).
 *
 * On a host where systemd is PID 1 on cgroup v2, the cgroup tree belongs to systemd: an
 * agent's group is a transient scope (StartTransientUnit with the agent's PID, its CPU
 * quota and period, AllowedCPUs / AllowedMemoryNodes, Delegate=yes) under isolab.slice,
 * and a new quota is SetUnitProperties on it.  This file builds those D-Bus messages;
 * they are checked in unit tests by reading them back, because this project's machines
 * have no systemd to send them to.  Sending them (sd_bus_open_system, the job wait) is
 * not written yet (issue #4). */
#pragma once

#include <hwloc.h>
#include <systemd/sd-bus.h>
#include <sys/types.h>

#include "controller/cgroup.h"

#define CG_SD_SLICE "isolab.slice"

/* "isolab/<run>/nf" -> "isolab-<run>-nf.scope".  Returns 0 or -EINVAL for a name outside
 * [a-z0-9_-/] or not under isolab/. */
int cg_sd_unit_name(const char *rel, char *buf, size_t len);

/* systemd's bitmask form of a CPU or node set: bit i of byte i/8 is CPU i. */
size_t cg_sd_mask(hwloc_const_bitmap_t set, uint8_t *buf, size_t len);

int cg_sd_start_scope_message(sd_bus *bus, const char *unit, pid_t pid, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                              hwloc_const_bitmap_t mems, sd_bus_message **ret);
int cg_sd_set_quota_message(sd_bus *bus, const char *unit, const struct cg_quota *q, sd_bus_message **ret);
