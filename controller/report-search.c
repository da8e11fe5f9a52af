/* The NDR/PDR table: per point (quota, period, frame size, pinning, neighbour) and
 * method, the rate each search found — mean and stdev over the repetitions, in Mpps and
 * in % of line rate — with how many trials the searches took, and whether any did not
 * converge or was limited by the generator (then the rate is a lower bound of the NF's). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/verbs.h"

#define MAX_ROWS 256

struct srow {
        char method[8], pinning[16], neighbour[48];
        double quota;
        long period_us, frame_size;
        unsigned n, trials, not_converged, limited;
        double mpps_sum, mpps_sq, pct_sum, goal;
};


int report_search(FILE *f, const char *fmt, json_t *warnings) {
        static struct srow rows[MAX_ROWS];
        size_t nrows = 0;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                json_t *t = json_loads(line, 0, NULL);
                if (!t || !report_str_is(json_object_get(t, "kind"), "search")) {
                        json_decref(t);
                        continue;
                }
                struct srow key = { .quota = report_num(t, "quota"),
                                    .period_us = (long)report_num(t, "period_us"),
                                    .frame_size = (long)report_num(t, "frame_size"),
                                    .goal = report_num(t, "loss_goal_pct") };
                json_t *nb = json_object_get(t, "neighbour");
                snprintf(key.method, sizeof(key.method), "%s", json_string_value(json_object_get(t, "method")));
                snprintf(key.pinning, sizeof(key.pinning), "%s",
                         json_is_string(json_object_get(t, "pinning")) ? json_string_value(json_object_get(t, "pinning")) : "pinned");
                if (json_is_object(nb))
                        snprintf(key.neighbour, sizeof(key.neighbour), "%s@%s", json_string_value(json_object_get(nb, "name")),
                                 json_string_value(json_object_get(nb, "placement")));
                else
                        snprintf(key.neighbour, sizeof(key.neighbour), "none");
                struct srow *r = NULL;
                for (size_t i = 0; i < nrows && !r; i++)
                        if (rows[i].quota == key.quota && rows[i].period_us == key.period_us &&
                            rows[i].frame_size == key.frame_size && !strcmp(rows[i].method, key.method) &&
                            !strcmp(rows[i].pinning, key.pinning) && !strcmp(rows[i].neighbour, key.neighbour))
                                r = &rows[i];
                if (!r && nrows < MAX_ROWS) {
                        r = &rows[nrows++];
                        *r = key;
                }
                if (r) {
                        double m = report_num(t, "found_mpps");
                        r->n++;
                        r->mpps_sum += m;
                        r->mpps_sq += m * m;
                        r->pct_sum += report_num(t, "pct_of_line");
                        r->trials += (unsigned)report_num(t, "trials");
                        r->not_converged += !json_is_true(json_object_get(t, "converged"));
                        r->limited += json_is_true(json_object_get(t, "generator_limited"));
                }
                json_decref(t);
        }
        free(line);
        bool json = strcmp(fmt, "json") == 0, csv = strcmp(fmt, "csv") == 0;
        json_t *a = json_array();
        if (csv)
                printf("method,loss_goal_pct,quota_pct,period_us,frame_size,pinning,neighbour,searches,mpps_mean,mpps_stdev,"
                       "pct_of_line,trials_per_search,not_converged,generator_limited\n");
        else if (!json) {
                size_t wi;
                json_t *w;
                json_array_foreach(warnings, wi, w) printf("! %s\n", json_string_value(w));
                printf("%-6s %6s %7s %7s %6s  %-9s %-20s %3s %17s %7s %7s  %s\n", "method", "loss", "quota", "period",
                       "frame", "pinning", "neighbour", "n", "Mpps (mean±sd)", "% line", "trials", "notes");
        }
        for (size_t i = 0; i < nrows; i++) {
                const struct srow *r = &rows[i];
                double m = r->mpps_sum / r->n, s = report_stdev(r->mpps_sum, r->mpps_sq, r->n), pct = r->pct_sum / r->n;
                double tr = (double)r->trials / r->n;
                if (json) {
                        json_array_append_new(a, json_pack("{s:s, s:f, s:f, s:I, s:I, s:s, s:s, s:i, s:f, s:f, s:f, s:f, s:i, s:i}",
                                                           "method", r->method, "loss_goal_pct", r->goal, "quota", r->quota,
                                                           "period_us", (json_int_t)r->period_us, "frame_size",
                                                           (json_int_t)r->frame_size, "pinning", r->pinning, "neighbour",
                                                           r->neighbour, "searches", r->n, "mpps_mean", m, "mpps_stdev", s,
                                                           "pct_of_line", pct, "trials_per_search", tr, "not_converged",
                                                           r->not_converged, "generator_limited", r->limited));
                } else if (csv) {
                        printf("%s,%g,%g,%ld,%ld,%s,%s,%u,%.4f,%.4f,%.2f,%.1f,%u,%u\n", r->method, r->goal, r->quota, r->period_us,
                               r->frame_size, r->pinning, r->neighbour, r->n, m, s, pct, tr, r->not_converged, r->limited);
                } else {
                        char rate[48], q[32], per[32], goal[32], notes[96] = "";
                        snprintf(rate, sizeof(rate), "%.3f ± %.3f", m, s);
                        snprintf(q, sizeof(q), "%g%%", r->quota);
                        snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                        snprintf(goal, sizeof(goal), "%g%%", r->goal);
                        if (r->limited)
                                snprintf(notes, sizeof(notes), "%u limited by the generator (a lower bound)", r->limited);
                        if (r->not_converged) {
                                size_t l = strlen(notes);
                                snprintf(notes + l, sizeof(notes) - l, "%s%u not converged", l ? "; " : "", r->not_converged);
                        }
                        printf("%-6s %6s %7s %7s %6ld  %-9s %-20s %3u %17s %7.1f %7.1f  %s\n", r->method, goal, q, per,
                               r->frame_size, r->pinning, r->neighbour, r->n, rate, pct, tr, notes);
                }
        }
        if (json) {
                json_t *doc = json_pack("{s:o, s:o}", "searches", a, "warnings", warnings ? json_incref(warnings) : json_array());
                json_dumpf(doc, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(doc);
        } else {
                json_decref(a);
        }
        return 0;
}
