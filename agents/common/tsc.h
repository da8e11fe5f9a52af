/* tsc — the TSC's frequency as the kernel keeps time with it, and whether the TSC can be
 * trusted for latency: constant (the same rate at every P-state), nonstop (it runs in deep
 * C-states), and, where two lcores stamp and read, agreeing between them.
 *
 * DPDK's rte_get_tsc_hz() is an estimate rounded to 10 MHz when the CPU does not report
 * its frequency (0.15 % off on our VMs: every latency and cycle figure off by as much).
 * The kernel refines its tsc_khz at boot and, with the tsc clocksource, runs
 * CLOCK_MONOTONIC_RAW at exactly that rate; so isolab's agents take the frequency from
 * sysfs where the kernel publishes it (tsc_freq_khz), else by timing the TSC against
 * CLOCK_MONOTONIC_RAW, unrounded, and say which. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct tsc_clock {
        uint64_t hz;             /* what the agent uses */
        uint64_t dpdk_hz;        /* rte_get_tsc_hz(), for comparison */
        char source[160];        /* where hz came from */
        char clocksource[32];    /* the kernel's current clocksource */
        int constant, nonstop;   /* /proc/cpuinfo constant_tsc, nonstop_tsc: 1, 0; -1 not told (not x86) */
};

/* The constant_tsc and nonstop_tsc flags of a /proc/cpuinfo text: 1 or 0 each, -1 when
 * it has no x86 "flags" line. */
void tsc_cpuinfo_flags(FILE *cpuinfo, int *constant, int *nonstop);

/* Fills c: read_tsc reads the TSC; the calibration, when there is no sysfs frequency, takes
 * 50 ms. */
void tsc_clock_init(struct tsc_clock *c, uint64_t (*read_tsc)(void), uint64_t dpdk_hz);

/* What is wrong with this clock for latency, or NULL: written into buf. */
const char *tsc_clock_warning(const struct tsc_clock *c, char *buf, size_t len);

json_t *tsc_clock_json(const struct tsc_clock *c);

/* Two lcores pass a token back and forth, each noting its own TSC minus the stamp the
 * other wrote: a_to_b = offset + one-way delay, b_to_a = -offset + delay, each the least
 * seen.  So B's TSC minus A's is within [-b_to_a, a_to_b]: the middle, and half the width. */
struct tsc_skew {
        int64_t a_to_b, b_to_a;  /* cycles, least over the rounds */
        unsigned rounds;
};
void tsc_skew_result(const struct tsc_skew *s, uint64_t hz, double *offset_ns, double *bound_ns);
