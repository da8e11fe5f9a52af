/* cmdline — the kernel's CPU isolation settings, read from its command line.
 *
 * A PMD thread polls without pause; anything else the kernel runs on its CPU (the
 * scheduler tick, RCU callbacks, device interrupts, other tasks) shows up as a stall
 * in its poll loop.  Linux keeps CPUs quiet with four boot parameters, which the
 * planner checks for the PMD CPUs:
 *   isolcpus=[flag,...,]LIST   no load balancing onto LIST (flags: domain, nohz, managed_irq)
 *   nohz_full=LIST             no scheduler tick while one task runs
 *   rcu_nocbs[=LIST]           RCU callbacks offloaded (no value: all CPUs)
 *   irqaffinity=LIST           default IRQ affinity (the CPUs that do take interrupts) */
#pragma once

#include <hwloc.h>
#include <stdbool.h>

#include "base/diag.h"

struct isolation {
        bool known;                 /* false when the command line is not known (topology file) */
        char *cmdline;              /* the command line as read, up to the first " -- " */
        hwloc_bitmap_t isolcpus;    /* empty when absent */
        char isolcpus_flags[64];    /* "domain", "nohz,managed_irq", ... ("" when none given) */
        hwloc_bitmap_t nohz_full;
        hwloc_bitmap_t rcu_nocbs;
        bool rcu_nocbs_all;         /* "rcu_nocbs" without a list */
        hwloc_bitmap_t irqaffinity; /* empty when absent (then every CPU takes IRQs) */
};

/* Allocates the sets; known stays false. Returns 0 or -ENOMEM. */
int isolation_init(struct isolation *iso);
void isolation_done(struct isolation *iso);

/* Parses a kernel command line (the text of /proc/cmdline).  Parameters after "--" go
 * to init and are ignored.  A malformed CPU list is an error that names the parameter.
 * Returns 0 or -EINVAL; marks iso known on success. */
int isolation_parse(struct isolation *iso, const char *cmdline, struct diag *d);

/* Reads and parses path (normally "/proc/cmdline"). */
int isolation_read(struct isolation *iso, const char *path, struct diag *d);
