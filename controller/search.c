/* search — see search.h. */
#include "controller/search.h"

#include <string.h>

#define MAX_RETRIES 2

void search_init(struct search *s, const struct search_cfg *cfg) {
        memset(s, 0, sizeof(*s));
        s->cfg = *cfg;
        if (s->cfg.max_trials == 0)
                s->cfg.max_trials = 30;
        if (s->cfg.precision <= 0)
                s->cfg.precision = 0.005;
        s->lo = 0;
        s->hi = s->cfg.max_pps;
        s->rate = s->cfg.max_pps;
        s->phase = SEARCH_RUNNING;
}

static void finish(struct search *s, enum search_phase phase, double found) {
        s->phase = phase;
        s->found = found;
}

/* The next rate: the middle (halving down while nothing passed, never under the
 * minimum), or the final trial at lo once the bounds are within the precision. */
static void next(struct search *s) {
        s->verifying = false;
        if (s->trials >= s->cfg.max_trials) {
                finish(s, SEARCH_GAVE_UP, s->lo);
                return;
        }
        if (s->lo <= 0) {
                if (s->hi <= s->cfg.min_pps) {
                        finish(s, SEARCH_DONE, 0); /* nothing passes down to the minimum */
                        return;
                }
                s->rate = s->hi / 2 > s->cfg.min_pps ? s->hi / 2 : s->cfg.min_pps;
                return;
        }
        if (s->hi - s->lo <= s->cfg.precision * s->hi) {
                s->verifying = true;
                s->rate = s->lo;
                return;
        }
        s->rate = (s->lo + s->hi) / 2;
}

static void failed_at(struct search *s, double rate) {
        if (s->lowest_failed == 0 || rate < s->lowest_failed)
                s->lowest_failed = rate;
}

void search_update(struct search *s, double offered_pps, double loss_ratio, bool shortfall) {
        if (s->phase != SEARCH_RUNNING)
                return;
        s->trials++;
        bool pass = loss_ratio <= s->cfg.loss_goal;
        /* A short trial that lost packets lost them at less than the rate asked: the
         * rate fails like any other (no generator burst: isolab-gen skips missed slots).
         * A short one that passed says nothing about the rate asked: retried. */
        if (shortfall && pass) {
                s->verdict = "retry";
                /* Once the generator is known to fall short, retrying each rate is futile. */
                if (!s->generator_limited && s->retries++ < MAX_RETRIES && s->trials < s->cfg.max_trials)
                        return; /* the same rate again */
                /* The generator cannot offer this rate, and the NF passed what it did
                 * offer: that load passes, nothing above it can be tried, and the result is
                 * a lower bound of the NF's. */
                s->retries = 0;
                s->lossy = 0;
                s->generator_limited = true;
                if (s->verifying) {
                        finish(s, SEARCH_DONE, s->lo); /* lo itself was offered and passed before */
                        return;
                }
                if (offered_pps > s->lo * (1 + s->cfg.precision))
                        s->lo = offered_pps; /* a load that was offered, and passed */
                else if (s->rate < s->hi)
                        s->hi = s->rate; /* no higher load to be had by asking this: look below it */
                if (s->hi < s->lo)
                        s->hi = s->lo;
                next(s);
                return;
        }
        s->retries = 0;
        if (!pass && s->lossy < s->cfg.loss_repeats && s->trials < s->cfg.max_trials) {
                s->lossy++;
                s->repeated++;
                s->verdict = "repeat"; /* TST009 §12.3.3: a lossy trial is repeated before the rate fails */
                return;
        }
        s->lossy = 0;
        s->verdict = pass ? "pass" : "fail";
        if (!pass)
                failed_at(s, s->rate);
        if (s->verifying) {
                if (pass) {
                        finish(s, SEARCH_DONE, s->lo);
                        return;
                }
                /* lo passed once and failed now: it is not a rate the NF sustains. */
                s->hi = s->lo;
                s->lo = 0;
                next(s);
                return;
        }
        if (pass) {
                if (s->rate >= s->cfg.max_pps && !s->generator_limited) {
                        finish(s, SEARCH_DONE, s->rate); /* line rate passes: nothing to search */
                        return;
                }
                s->lo = s->rate; /* offered within PROTO_SHORTFALL of it */
        } else {
                s->hi = s->rate;
        }
        next(s);
}

const char *search_verdict(const struct search *s) {
        return s->verdict ? s->verdict : "-";
}
