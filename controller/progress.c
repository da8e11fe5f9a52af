/* progress — what a run says while it runs (engine.h, struct progress). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "controller/engine.h"
#include "controller/verbs.h"

uint64_t mono_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fmt_secs(double s, char *buf, size_t len) {
        if (s >= 3600)
                snprintf(buf, len, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
        else if (s >= 60)
                snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
        else
                snprintf(buf, len, "%.0fs", s);
}

void progress_begin(struct progress *pr, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pr->what, sizeof(pr->what), fmt, ap);
        va_end(ap);
        if (!pr->tty)
                return;
        double el = (double)(mono_ns() - pr->t0_ns) / 1e9;
        char e[32], eta[32] = "?";
        fmt_secs(el, e, sizeof(e));
        if (pr->i)
                fmt_secs(el / (double)pr->i * (double)(pr->n - pr->i), eta, sizeof(eta));
        fprintf(stderr, "\r\033[K[%zu/%zu] %s  (%s, ETA %s)", pr->i + 1, pr->n, pr->what, e, eta);
}

/* The result of the trial begun last; line is its record. */
void progress_end(struct progress *pr, json_t *line, bool counts) {
        char res[300];
        if (json_object_get(line, "error"))
                snprintf(res, sizeof(res), "failed: %s", json_string_value(json_object_get(line, "error")));
        else
                snprintf(res, sizeof(res), "%.3f Mpps, loss %.2f%%, throttled %.0f%%", report_num(line, "result.mpps"),
                         100 * report_num(line, "result.loss.ratio"), report_num(line, "cgroup.throttled_time_pct"));
        fprintf(stderr, "%sisolab: %s: %s\n", pr->tty ? "\r\033[K" : "", pr->what, res);
        pr->i += counts;
}
