/* search — the NDR/PDR throughput search (RFC 2544 §26.1; ETSI GS NFV-TST 009 §12.3.3;
 * the IETF MLRsearch draft's relative width goal).
 *
 * A binary search between a rate known to pass and one known to fail, on the loss ratio
 * of whole trials (counters read after the traffic stops and the links drain: the
 * generator's trial does that):
 *
 *   - a trial that loses more than the goal is repeated at the same rate, up to
 *     loss_repeats times (TST009's loss verification): the rate fails only when every
 *     one of them loses; one that passes makes it pass.  Spurious loss (an interrupt, a
 *     page fault) does not drag the result down;
 *   - the search stops when the bounds are within `precision` of the upper one
 *     (relative: 0.5 % of 1 Mpps is 5 kpps, of 10 Mpps 50 kpps), not at a share of line
 *     rate; below min_pps it says the NF forwards nothing (the minimum is its own
 *     setting, not the precision);
 *   - then a final trial at the rate found (the caller may make it longer: --final-duration).
 *     A final trial that fails (after its repetitions) makes that rate the new upper
 *     bound and the search goes on below it;
 *   - a trial whose generator fell short (PROTO_SHORTFALL: it offered less than it was
 *     asked) and still lost too much failed at less than the rate: the rate fails.  One
 *     that passed says nothing about the rate asked: it is retried, and if the generator
 *     still cannot offer that rate, the load it did offer passes, nothing above that rate
 *     is tried, and the result says the generator limited it (a lower bound).
 *
 * Pure: the caller runs the trials, so the search is tested against a simulated NF. */
#pragma once

#include <stdbool.h>

struct search_cfg {
        double max_pps;        /* the first rate tried: line rate of the link */
        double loss_goal;      /* the loss ratio a passing trial may have: 0 for NDR, 0.005 for PDR */
        double precision;      /* stop when hi - lo <= precision * hi (0.005: 0.5 %) */
        double min_pps;        /* below this the NF is said to forward nothing */
        unsigned max_trials;   /* give up (not converged) after this many trials */
        unsigned loss_repeats; /* repetitions of a lossy trial before its rate fails */
};

enum search_phase { SEARCH_RUNNING, SEARCH_DONE, SEARCH_GAVE_UP };

struct search {
        struct search_cfg cfg;
        double lo, hi;         /* highest rate that passed, lowest that failed */
        double rate;           /* the rate of the trial asked for now */
        bool verifying;        /* the current trial is the final one, at lo */
        unsigned trials, retries, lossy;
        unsigned repeated;     /* lossy trials repeated in all */
        double lowest_failed;  /* the lowest rate that failed (0: none) */
        bool generator_limited; /* hi comes from what the generator could send */
        enum search_phase phase;
        double found;          /* the result, when SEARCH_DONE */
        const char *verdict;   /* of the last trial: "pass", "fail", "repeat", "retry" */
};

/* Starts a search; the first trial is at cfg.max_pps. */
void search_init(struct search *s, const struct search_cfg *cfg);

/* What the last trial at s->rate gave: the rate the generator really offered, the loss
 * ratio (lost / offered), and whether the generator fell short of the rate (its
 * result.tx.generator_shortfall).  Sets the next s->rate, or the phase. */
void search_update(struct search *s, double offered_pps, double loss_ratio, bool shortfall);

/* "pass", "fail", "repeat" (lossy, to be repeated), "retry" (the generator fell short). */
const char *search_verdict(const struct search *s);
