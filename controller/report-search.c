/* The NDR/PDR table: per point (quota, period, frame size, pinning, neighbour) and
 * method, the rate each search found — mean and stdev over the repetitions, in Mpps and
 * in % of line rate — with how many trials the searches took, and whether any did not
 * converge or was limited by the generator (then the rate is a lower bound of the NF's)
 * (runmodel.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "controller/runmodel.h"

static double trials_per_search(const struct mrow *r) {
        return (double)r->trials / r->n;
}

void report_search_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)f, (void)warnings;
        const struct rowset *s = &m->table[TABLE_SEARCH];
        json_t *a = json_array();
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                json_array_append_new(a, json_pack("{s:s, s:f, s:f, s:I, s:I, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:i, s:i}",
                                                   "method", r->method, "loss_goal_pct", r->goal, "quota", r->quota,
                                                   "period_us", (json_int_t)r->period_us, "frame_size",
                                                   (json_int_t)r->frame_size, "pinning", r->pinning, "neighbour", r->neighbour,
                                                   "searches", r->n, "mpps_mean", acc_mean(&r->mpps), "mpps_stdev",
                                                   acc_stdev(&r->mpps), "pct_of_line", acc_mean(&r->pct),
                                                   "trials_per_search", trials_per_search(r), "not_converged",
                                                   r->not_converged, "generator_limited", r->limited));
                json_t *row = json_array_get(a, json_array_size(a) - 1);
                json_object_set_new(row, "mpps_ci95", isnan(acc_ci95(&r->mpps)) ? json_null() : json_real(acc_ci95(&r->mpps)));
                json_object_set_new(row, "lossy_trials_repeated", json_integer(r->repeated));
                json_object_set_new(row, "ring_bound_pps", r->ring_bound.n ? json_real(acc_mean(&r->ring_bound)) : json_null());
                json_object_set_new(row, "zero_explained_by_ring", json_integer(r->zero_by_ring));
        }
        json_object_set_new(doc, "searches", a);
}

void report_search_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)warnings, (void)doc;
        const struct rowset *s = &m->table[TABLE_SEARCH];
        fprintf(f, "method,loss_goal_pct,quota_pct,period_us,frame_size,pinning,neighbour,searches,mpps_mean,mpps_stdev,"
                   "pct_of_line,trials_per_search,not_converged,generator_limited,mpps_ci95,lossy_trials_repeated,ring_bound_pps,"
                   "zero_explained_by_ring\n");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                fprintf(f, "%s,%g,%g,%ld,%ld,%s,%s,%u,%.4f,%.4f,%.2f,%.1f,%u,%u,", r->method, r->goal, r->quota, r->period_us,
                        r->frame_size, r->pinning, r->neighbour, r->n, acc_mean(&r->mpps), acc_stdev(&r->mpps),
                        acc_mean(&r->pct), trials_per_search(r), r->not_converged, r->limited);
                if (!isnan(acc_ci95(&r->mpps)))
                        fprintf(f, "%.4f", acc_ci95(&r->mpps));
                fprintf(f, ",%u,", r->repeated);
                if (r->ring_bound.n)
                        fprintf(f, "%.0f", acc_mean(&r->ring_bound));
                fprintf(f, ",%u\n", r->zero_by_ring);
        }
}

void report_search_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)doc;
        const struct rowset *s = &m->table[TABLE_SEARCH];
        size_t wi;
        json_t *w;
        json_array_foreach(warnings, wi, w) fprintf(f, "! %s\n", json_string_value(w));
        fprintf(f, "%-6s %6s %7s %7s %6s  %-9s %-20s %3s %18s %7s %7s  %s\n", "method", "loss", "quota", "period", "frame",
                "pinning", "neighbour", "n", "Mpps (mean ±95%)", "% line", "trials", "notes");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                char rate[48], q[32], per[32], goal[32], notes[256] = "";
                fmt_mean_ci(rate, sizeof(rate), &r->mpps, 3);
                snprintf(q, sizeof(q), "%g%%", r->quota);
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(goal, sizeof(goal), "%g%%", r->goal);
                if (r->limited)
                        snprintf(notes, sizeof(notes), "%u limited by the generator (a lower bound)", r->limited);
                if (r->not_converged) {
                        size_t l = strlen(notes);
                        snprintf(notes + l, sizeof(notes) - l, "%s%u not converged", l ? "; " : "", r->not_converged);
                }
                if (r->zero_by_ring) {
                        size_t l = strlen(notes);
                        snprintf(notes + l, sizeof(notes) - l,
                                 "%s0 by the ring: %ld descriptors per throttle hold %.0f pps at most, below the lowest rate "
                                 "tried", l ? "; " : "", r->ring_used, acc_mean(&r->ring_bound));
                }
                fprintf(f, "%-6s %6s %7s %7s %6ld  %-9s %-20s %3u %*s %7.1f %7.1f  %s\n", r->method, goal, q, per,
                        r->frame_size, r->pinning, r->neighbour, r->n, strstr(rate, "±") ? 19 : 18, rate, acc_mean(&r->pct), trials_per_search(r), notes);
        }
}

/* Latency at shares of each point's PDR (--latency-at), CSIT style: compared at equal
 * relative load, not at line rate where it is mostly queueing. */
static const double LAT_P[] = { 50, 90, 99, 99.9 };
#define N_LAT_P (sizeof(LAT_P) / sizeof(LAT_P[0]))

void report_latency_at_text(FILE *f, const struct run_model *m) {
        const struct rowset *s = &m->latency_at;
        if (!s->n)
                return;
        fprintf(f, "\nlatency at load (--latency-at): trials at a share of the point's search result; each row's trials "
                   "merged\n");
        fprintf(f, "%7s %7s %6s  %-9s %-20s %8s %9s %3s %9s %8s %9s %9s %9s %9s %9s %9s\n", "quota", "period", "frame",
                "pinning", "neighbour", "load", "of Mpps", "n", "offered", "loss %", "samples", "p50 us", "p90 us", "p99 us",
                "p99.9 us", "max us");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                char q[32], per[32], load[32], c[N_LAT_P][24], mx[24] = "-";
                snprintf(q, sizeof(q), "%g%%", r->quota);
                snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                snprintf(load, sizeof(load), r->goal > 0 ? "%g%% %s" : "stream", r->goal, r->method);
                for (size_t k = 0; k < N_LAT_P; k++) {
                        bool at_max;
                        double v = lat_delivered(&r->lat, LAT_P[k], &at_max);
                        snprintf(c[k], sizeof(c[k]), isnan(v) ? "-" : at_max && k ? "= max" : "%.1f", v / 1e3);
                }
                if (r->lat.h)
                        snprintf(mx, sizeof(mx), "%.1f", (double)r->lat.h->max / 1e3);
                fprintf(f, "%7s %7s %6ld  %-9s %-20s %8s %9.3f %3u %9.4f %8.3f %9.0f %9s %9s %9s %9s %9s%s\n", q, per,
                        r->frame_size, r->pinning, r->neighbour, load, acc_mean(&r->nrate), r->n, acc_mean(&r->offered),
                        acc_mean(&r->loss), lat_samples(&r->lat), c[0], c[1], c[2], c[3], mx,
                        r->errors ? "  (failed trials)" : "");
        }
        fprintf(f, "load: %% of the point's search result (stream: a 10 kpps latency stream alone); latency over the "
                   "packets delivered (loss beside it)\n");
}

void report_latency_at_json(const struct run_model *m, json_t *doc) {
        const struct rowset *s = &m->latency_at;
        if (!s->n)
                return;
        json_t *a = json_array();
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                json_t *row = json_pack("{s:f, s:I, s:I, s:s, s:s, s:f, s:s, s:i, s:i}", "quota", r->quota, "period_us",
                                        (json_int_t)r->period_us, "frame_size", (json_int_t)r->frame_size, "pinning",
                                        r->pinning, "neighbour", r->neighbour, "load_pct", r->goal, "of", r->method,
                                        "trials", r->n, "failed", r->errors);
                const struct named_num nums[] = {
                        { "of_mpps", acc_mean(&r->nrate) },
                        { "offered_mpps", acc_mean(&r->offered) },
                        { "loss_pct", acc_mean(&r->loss) },
                };
                json_set_nums(row, nums, sizeof(nums) / sizeof(nums[0]));
                json_detail(row, r);
                json_array_append_new(a, row);
        }
        json_object_set_new(doc, "latency_at", a);
}
