/* The NDR/PDR table: per point (quota, period, frame size, pinning, neighbour) and
 * method, the rate each search found — mean and stdev over the repetitions, in Mpps and
 * in % of line rate — with how many trials the searches took, and whether any did not
 * converge or was limited by the generator (then the rate is a lower bound of the NF's)
 * (runmodel.h). */
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
        }
        json_object_set_new(doc, "searches", a);
}

void report_search_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc) {
        (void)warnings, (void)doc;
        const struct rowset *s = &m->table[TABLE_SEARCH];
        fprintf(f, "method,loss_goal_pct,quota_pct,period_us,frame_size,pinning,neighbour,searches,mpps_mean,mpps_stdev,"
                   "pct_of_line,trials_per_search,not_converged,generator_limited\n");
        for (size_t i = 0; i < s->n; i++) {
                const struct mrow *r = &s->v[i];
                fprintf(f, "%s,%g,%g,%ld,%ld,%s,%s,%u,%.4f,%.4f,%.2f,%.1f,%u,%u\n", r->method, r->goal, r->quota, r->period_us,
                        r->frame_size, r->pinning, r->neighbour, r->n, acc_mean(&r->mpps), acc_stdev(&r->mpps),
                        acc_mean(&r->pct), trials_per_search(r), r->not_converged, r->limited);
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
                char rate[48], q[32], per[32], goal[32], notes[96] = "";
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
                fprintf(f, "%-6s %6s %7s %7s %6ld  %-9s %-20s %3u %*s %7.1f %7.1f  %s\n", r->method, goal, q, per,
                        r->frame_size, r->pinning, r->neighbour, r->n, strstr(rate, "±") ? 19 : 18, rate, acc_mean(&r->pct), trials_per_search(r), notes);
        }
}
