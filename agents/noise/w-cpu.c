/* cpu — a busy loop with a duty cycle: busy for load % of every 10 ms, asleep for the
 * rest.  What it stresses is the CPU time itself (the scheduler shares a CPU between
 * the PMD and this), with a tiny footprint in the caches.  Work: integer steps (an
 * xorshift round each), reported in Mops/s. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "agents/noise/noise.h"

#define CPU_PERIOD_NS 10000000ULL
#define CPU_CHUNK 4096 /* steps between clock reads */

static void *cpu_thread(void *arg) {
        struct noise_run *r = arg;
        double load = r->o.load > 0 ? r->o.load : 100;
        uint64_t busy_ns = (uint64_t)(CPU_PERIOD_NS * load / 100);
        volatile uint64_t sink;
        uint64_t x = 88172645463325252ULL;
        uint64_t start = noise_now_ns();
        while (!noise_stopping(r)) {
                uint64_t until = start + busy_ns;
                do {
                        for (int i = 0; i < CPU_CHUNK; i++) {
                                x ^= x << 13;
                                x ^= x >> 7;
                                x ^= x << 17;
                        }
                        sink = x;
                        noise_add(r, CPU_CHUNK);
                } while (noise_now_ns() < until && !noise_stopping(r));
                start += CPU_PERIOD_NS;
                if (busy_ns < CPU_PERIOD_NS) {
                        struct timespec ts = { (time_t)(start / 1000000000ULL), (long)(start % 1000000000ULL) };
                        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                }
                uint64_t now = noise_now_ns();
                if (now > start + CPU_PERIOD_NS)
                        start = now; /* descheduled for a whole period: do not try to catch up */
        }
        (void)sink;
        return NULL;
}

static int cpu_start(struct noise_run *r, char *err, size_t len) {
        return noise_spawn_workers(r, cpu_thread, 1, err, len);
}

const struct noise_workload noise_cpu = {
        .name = "cpu",
        .stresses = "CPU time: a busy loop with a duty cycle, almost nothing in the caches",
        .options = "load=PCT (100) threads=N (1)",
        .unit = "Mops/s",
        .scale = 1e-6,
        .start = cpu_start,
};
