/* search — the NDR/PDR throughput search (RFC 2544 §26.1, ETSI GS NFV-TST 009 §12.3.3).
 *
 * A binary search between a rate known to pass and one known to fail, on the loss
 * ratio of whole trials (counters read after the traffic stops and the links drain:
 * the generator's trial does that), until the two are within the precision; then a
 * verification trial at the rate found.  A verification that fails makes that rate the
 * new upper bound and the search goes on below it.  A trial whose generator sent less
 * than it was asked (it could not keep up) says nothing about the NF: it is retried, and
 * if the generator still cannot offer that rate, the rate it did reach becomes the upper
 * end of the search and the result says the generator limited it.  Pure: the caller
 * runs the trials, so the search is tested against a simulated NF. */
#pragma once

#include <stdbool.h>

struct search_cfg {
        double max_pps;        /* the first rate tried: line rate of the link */
        double loss_goal;      /* the loss ratio a passing trial may have: 0 for NDR, 0.005 for PDR */
        double precision_pps;  /* stop when pass and fail bounds are this close */
        unsigned max_trials;   /* give up (not converged) after this many trials */
        double min_pps;        /* below this the NF is said to forward nothing */
};

enum search_phase { SEARCH_RUNNING, SEARCH_DONE, SEARCH_GAVE_UP };

struct search {
        struct search_cfg cfg;
        double lo, hi;         /* highest rate that passed, lowest that failed */
        double rate;           /* the rate of the trial asked for now */
        bool verifying;        /* the current trial verifies lo */
        unsigned trials, retries;
        bool generator_limited; /* hi comes from what the generator could send */
        enum search_phase phase;
        double found;          /* the result, when SEARCH_DONE */
        const char *verdict;   /* of the last trial: "pass", "fail", "retry" */
};

/* Starts a search; the first trial is at cfg.max_pps. */
void search_init(struct search *s, const struct search_cfg *cfg);

/* What the last trial at s->rate gave: the rate the generator really offered and the
 * loss ratio (lost / offered).  Sets the next s->rate, or the phase. */
void search_update(struct search *s, double offered_pps, double loss_ratio);

/* "pass", "fail", "retry" for the trial just reported: what update decided. */
const char *search_verdict(const struct search *s);
