/* method — the throughput method, one ops struct per method: how one point of the matrix
 * is measured, what a resumed run may skip, how many trials a point takes.
 *
 *   mrr       offer --rate, measure (FD.io CSIT's maximum receive rate)   method-mrr.c
 *   ndr, pdr  binary search for the rate with at most the loss goal       method-search.c
 *   ndr-pdr   both searches, one after the other                          method-search.c
 *
 * Adding a method is one file and one entry in methods[] (method.c). */
#pragma once

#include <stdbool.h>

struct exp_run;
struct experiment;
struct matrix_point;

struct method {
        const char *name;        /* --method NAME */
        unsigned n_goals;        /* searches per point: 0 for mrr */
        const char *goals[2];    /* their names in the records: "ndr", "pdr" */
        /* Measures point pt (its records appended as they end).  Returns 0, or 1 when a
         * trial failed or a record could not be written (the run stops or restarts its
         * agents). */
        int (*run_point)(struct exp_run *R, const struct matrix_point *pt, const char *label);
        /* Whether a resumed run's records complete a point: measured trial lines, and
         * search result lines ("kind": "search"). */
        bool (*point_done)(const struct method *m, unsigned measured, unsigned results);
        /* The trials one point takes, about (--dry-run's estimate). */
        double (*trials_per_point)(const struct experiment *x);
};

extern const struct method method_mrr, method_ndr, method_pdr, method_ndr_pdr;

/* The method called name, or NULL. */
const struct method *method_find(const char *name);
/* "mrr, ndr, pdr or ndr-pdr", for messages. */
const char *method_names(void);
/* The loss goal of search k, in % (from --ndr-loss / --pdr-loss). */
double method_goal_pct(const struct experiment *x, unsigned k);
