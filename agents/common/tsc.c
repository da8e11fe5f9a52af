/* tsc — see tsc.h. */
#include "agents/common/tsc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int has_word(const char *line, const char *w) {
        size_t n = strlen(w);
        for (const char *p = strstr(line, w); p; p = strstr(p + 1, w))
                if ((p == line || p[-1] == ' ' || p[-1] == '\t') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
                        return 1;
        return 0;
}

void tsc_cpuinfo_flags(FILE *f, int *constant, int *nonstop) {
        *constant = *nonstop = -1;
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                if (strncmp(line, "flags", 5) != 0 || !strchr(line, ':'))
                        continue;
                *constant = has_word(line, "constant_tsc");
                *nonstop = has_word(line, "nonstop_tsc");
                break; /* the first CPU's: the kernel clears a flag on every CPU if one lacks it */
        }
        free(line);
}

static uint64_t ts_ns(const struct timespec *t) {
        return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

/* A TSC reading and the CLOCK_MONOTONIC_RAW time it was taken at: the best bracketed of
 * a few tries (a preemption between the three reads makes a wide bracket). */
static void pair(uint64_t (*read_tsc)(void), uint64_t *tsc, uint64_t *ns) {
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 8; i++) {
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC_RAW, &a);
                uint64_t t = read_tsc();
                clock_gettime(CLOCK_MONOTONIC_RAW, &b);
                uint64_t w = ts_ns(&b) - ts_ns(&a);
                if (w < best) {
                        best = w;
                        *tsc = t;
                        *ns = ts_ns(&a) + w / 2;
                }
        }
}

static uint64_t read_u64_file(const char *path) {
        FILE *f = fopen(path, "re");
        unsigned long long v = 0;
        if (f && fscanf(f, "%llu", &v) != 1)
                v = 0;
        if (f)
                fclose(f);
        return v;
}

void tsc_clock_init(struct tsc_clock *c, uint64_t (*read_tsc)(void), uint64_t dpdk_hz) {
        *c = (struct tsc_clock){ .dpdk_hz = dpdk_hz };
        FILE *f = fopen("/proc/cpuinfo", "re");
        tsc_cpuinfo_flags(f, &c->constant, &c->nonstop);
        if (f)
                fclose(f);
        f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
        if (!f || !fgets(c->clocksource, sizeof(c->clocksource), f))
                snprintf(c->clocksource, sizeof(c->clocksource), "unknown");
        if (f)
                fclose(f);
        c->clocksource[strcspn(c->clocksource, "\n")] = '\0';
        uint64_t khz = read_u64_file("/sys/devices/system/cpu/cpu0/tsc_freq_khz");
        if (khz) {
                c->hz = khz * 1000;
                snprintf(c->source, sizeof(c->source), "the kernel's tsc_khz (/sys/devices/system/cpu/cpu0/tsc_freq_khz)");
                return;
        }
        uint64_t t0, n0, t1, n1;
        pair(read_tsc, &t0, &n0);
        nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        pair(read_tsc, &t1, &n1);
        if (n1 > n0 && t1 > t0) {
                c->hz = (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0) + 0.5);
                snprintf(c->source, sizeof(c->source), "timed against CLOCK_MONOTONIC_RAW over 50 ms (clocksource %s%s)",
                         c->clocksource,
                         strcmp(c->clocksource, "tsc") == 0 ? ": the rate the kernel keeps time with, its tsc_khz" : "");
        } else {
                c->hz = dpdk_hz;
                snprintf(c->source, sizeof(c->source), "DPDK's estimate (the TSC could not be timed)");
        }
}

const char *tsc_clock_warning(const struct tsc_clock *c, char *buf, size_t len) {
        if (c->constant == 0 || c->nonstop == 0) {
                snprintf(buf, len, "the TSC is not %s%s%s (/proc/cpuinfo): its rate changes with %s, so latencies and cycle "
                                   "counts are not times",
                         c->constant == 0 ? "constant" : "", c->constant == 0 && c->nonstop == 0 ? " and not " : "",
                         c->nonstop == 0 ? "nonstop" : "",
                         c->constant == 0 ? "the CPU frequency" : "deep C-states (it stops)");
                return buf;
        }
        return NULL;
}

json_t *tsc_clock_json(const struct tsc_clock *c) {
        char w[256];
        const char *warn = tsc_clock_warning(c, w, sizeof(w));
        return json_pack("{s:I, s:s, s:I, s:f, s:s, s:o, s:o, s:s?}", "hz", (json_int_t)c->hz, "source", c->source, "dpdk_hz",
                         (json_int_t)c->dpdk_hz, "dpdk_error_ppm",
                         c->hz ? ((double)c->dpdk_hz - (double)c->hz) * 1e6 / (double)c->hz : 0.0, "clocksource",
                         c->clocksource, "constant_tsc", c->constant < 0 ? json_null() : json_boolean(c->constant),
                         "nonstop_tsc", c->nonstop < 0 ? json_null() : json_boolean(c->nonstop), "warning", warn);
}

void tsc_skew_result(const struct tsc_skew *s, uint64_t hz, double *offset_ns, double *bound_ns) {
        double ns = hz ? 1e9 / (double)hz : 0;
        *offset_ns = ((double)s->a_to_b - (double)s->b_to_a) / 2 * ns;
        *bound_ns = ((double)s->a_to_b + (double)s->b_to_a) / 2 * ns;
}
