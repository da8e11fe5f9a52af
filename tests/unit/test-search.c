/* The NDR/PDR search against a simulated NF: a known capacity, random loss, and a
 * generator that sometimes falls short. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "agents/common/proto.h"
#include "controller/search.h"

struct sim {
        double capacity;     /* pps the NF forwards without loss */
        double random_loss;  /* loss ratio a trial may have at any rate (0: none) */
        double p_random;     /* probability a trial has it */
        double gen_max;      /* the generator cannot offer more than this */
        double p_short;      /* probability a trial's generator falls short */
        unsigned seed;
};

static void trial(struct sim *m, double rate, double *offered, double *loss) {
        double off = rate < m->gen_max ? rate : m->gen_max;
        if ((double)rand_r(&m->seed) / RAND_MAX < m->p_short)
                off *= 0.9;
        double l = off > m->capacity ? (off - m->capacity) / off : 0;
        if ((double)rand_r(&m->seed) / RAND_MAX < m->p_random)
                l += m->random_loss;
        *offered = off;
        *loss = l;
}

static void drive(struct sim *m, struct search *s) {
        while (s->phase == SEARCH_RUNNING) {
                double off, loss;
                trial(m, s->rate, &off, &loss);
                search_update(s, off, loss, off < s->rate * PROTO_SHORTFALL);
        }
}

/* A search with a relative precision (0.005: 0.5 % of the upper bound), no repetition of
 * lossy trials, and a minimum of 0.1 % of max. */
static struct search run(struct sim *m, double goal, double max, double precision) {
        struct search s;
        search_init(&s, &(struct search_cfg){ .max_pps = max, .loss_goal = goal, .precision = precision,
                                              .min_pps = max / 1000, .max_trials = 40 });
        drive(m, &s);
        return s;
}

Test(search, ndr_converges_within_the_precision_below_the_capacity) {
        const double line = 14880952, prec = 0.005;
        for (unsigned seed = 1; seed <= 50; seed++) {
                double cap = line * (0.05 + 0.9 * (double)(seed % 17) / 17);
                struct sim m = { .capacity = cap, .gen_max = 1e12, .seed = seed };
                struct search s = run(&m, 0, line, prec);
                cr_expect_eq(s.phase, SEARCH_DONE, "seed %u", seed);
                cr_expect_leq(s.found, cap, "seed %u: found %.0f above the capacity %.0f", seed, s.found, cap);
                cr_expect_geq(s.found, cap * (1 - prec), "seed %u: found %.0f, capacity %.0f", seed, s.found, cap);
                cr_expect_leq(s.trials, 16, "halving down to the first pass (5 at most), 8 to 0.5 %%, the final trial");
        }
}

Test(search, line_rate_passing_ends_at_once) {
        struct sim m = { .capacity = 1e12, .gen_max = 1e12, .seed = 3 };
        struct search s = run(&m, 0, 1e6, 0.005);
        cr_expect_eq(s.phase, SEARCH_DONE);
        cr_expect_eq(s.found, 1e6);
        cr_expect_eq(s.trials, 1);
}

Test(search, pdr_tolerates_loss_under_its_goal) {
        const double line = 1e7, prec = 0.005;
        /* Random loss of 0.2 % in every trial: NDR (0 %) finds nothing, PDR (0.5 %) finds
         * the capacity. */
        struct sim m = { .capacity = 6e6, .random_loss = 0.002, .p_random = 1, .gen_max = 1e12, .seed = 9 };
        struct search pdr = run(&m, 0.005, line, prec);
        cr_expect_eq(pdr.phase, SEARCH_DONE);
        cr_expect_geq(pdr.found, 6e6 * (1 - prec), "PDR %.0f", pdr.found);
        /* Above the capacity the loss grows: 0.5 % extra at most allows ~0.3 % above it. */
        cr_expect_leq(pdr.found, 6e6 * 1.004, "PDR %.0f", pdr.found);
        struct search ndr = run(&m, 0, line, prec);
        cr_expect_eq(ndr.phase, SEARCH_DONE);
        cr_expect_eq(ndr.found, 0, "NDR with loss in every trial is 0, found %.0f", ndr.found);
}

Test(search, spurious_loss_is_caught_by_the_verification_and_stays_below_capacity) {
        const double line = 1e7, prec = 0.005;
        unsigned verified_down = 0;
        for (unsigned seed = 1; seed <= 40; seed++) {
                struct sim m = { .capacity = 4e6, .random_loss = 0.01, .p_random = 0.15, .gen_max = 1e12, .seed = seed };
                struct search s = run(&m, 0, line, prec);
                cr_expect_neq(s.phase, SEARCH_RUNNING);
                cr_expect_leq(s.found, 4e6, "seed %u: NDR %.0f above the capacity", seed, s.found);
                verified_down += s.found < 4e6 * (1 - prec);
        }
        /* Spurious loss can only push NDR down, never up; some searches did go lower. */
        cr_expect_gt(verified_down, 0);
}

Test(search, a_generator_that_cannot_keep_up_is_retried_never_counted_as_loss) {
        const double line = 1e7, prec = 0.005;
        /* The NF could do 9 Mpps, the generator only 5: the search must not call the NF
         * lossy, and must say the generator limited it. */
        struct sim m = { .capacity = 9e6, .gen_max = 5e6, .seed = 4 };
        struct search s = run(&m, 0, line, prec);
        cr_expect_eq(s.phase, SEARCH_DONE);
        cr_expect(s.generator_limited);
        cr_expect_geq(s.found, 5e6 * 0.99, "found %.0f", s.found);
        cr_expect_leq(s.found, 5e6 / PROTO_SHORTFALL, "a rate passes when the generator offered it within the threshold");
        /* Occasional short trials at any rate: retried, the result is still right. */
        struct sim m2 = { .capacity = 3e6, .gen_max = 1e12, .p_short = 0.2, .seed = 11 };
        struct search s2 = run(&m2, 0, line, prec);
        cr_expect_eq(s2.phase, SEARCH_DONE);
        /* Three short trials in a row at one rate (0.8 %% per rate) make that rate the
         * generator's limit: then the result is a lower bound, and says so. */
        cr_expect(s2.found >= 3e6 * (1 - prec) || s2.generator_limited, "found %.0f", s2.found);
        cr_expect_leq(s2.found, 3e6);
}

Test(search, gives_up_after_max_trials) {
        struct sim m = { .capacity = 4e6, .gen_max = 1e12, .seed = 1 };
        struct search s;
        search_init(&s, &(struct search_cfg){ .max_pps = 1e7, .loss_goal = 0, .precision = 1e-9, .max_trials = 5 });
        drive(&m, &s);
        cr_expect_eq(s.phase, SEARCH_GAVE_UP);
        cr_expect_eq(s.trials, 5);
        cr_expect_leq(s.found, 4e6, "the best rate that passed so far");
}

/* The precision is relative to the rate: an NF at 1 % of line rate is found within 0.5 %
 * of its own rate, where 0.5 % of line rate would have been half of it. */
Test(search, precision_is_relative_to_the_rate) {
        const double line = 1e7;
        struct sim m = { .capacity = 1e5, .gen_max = 1e12, .seed = 2 };
        struct search s = run(&m, 0, line, 0.005);
        cr_expect_eq(s.phase, SEARCH_DONE);
        cr_expect_leq(s.found, 1e5);
        cr_expect_geq(s.found, 1e5 * 0.995, "found %.0f", s.found);
        cr_expect_leq(s.trials, 20);
        /* An NF that forwards nothing: halving down to the minimum, then 0. */
        struct sim dead = { .capacity = 0, .gen_max = 1e12, .seed = 2 };
        struct search z = run(&dead, 0, line, 0.005);
        cr_expect_eq(z.phase, SEARCH_DONE);
        cr_expect_eq(z.found, 0);
        cr_expect_leq(z.trials, 11, "log2(1000) halvings to the minimum");
        cr_expect_float_eq(z.lowest_failed, line / 1000, 1e-6, "the last rate tried is the minimum");
}

/* TST009 §12.3.3: a lossy trial is repeated; spurious loss (15 % of trials lose 1 %) then
 * drags the result down far less often, and real loss still fails. */
Test(search, lossy_trials_are_repeated_before_a_rate_fails) {
        const double line = 1e7, prec = 0.005;
        unsigned low_once = 0, low_repeated = 0, repeated = 0;
        for (unsigned seed = 1; seed <= 60; seed++) {
                struct sim m1 = { .capacity = 4e6, .random_loss = 0.01, .p_random = 0.15, .gen_max = 1e12, .seed = seed };
                struct sim m2 = m1;
                struct search once = run(&m1, 0, line, prec), rep;
                search_init(&rep, &(struct search_cfg){ .max_pps = line, .loss_goal = 0, .precision = prec,
                                                        .min_pps = line / 1000, .max_trials = 60, .loss_repeats = 2 });
                drive(&m2, &rep);
                cr_expect_eq(rep.phase, SEARCH_DONE, "seed %u", seed);
                cr_expect_leq(rep.found, 4e6, "seed %u: repetition never lifts the result over the capacity", seed);
                low_once += once.found < 4e6 * (1 - prec);
                low_repeated += rep.found < 4e6 * (1 - prec);
                repeated += rep.repeated;
        }
        cr_expect_gt(repeated, 0);
        cr_expect_lt(low_repeated, low_once, "dragged down: %u of 60 with repetition, %u without", low_repeated, low_once);
        cr_expect_leq(low_repeated, 3, "%u of 60 dragged down despite 2 repetitions", low_repeated);
}

/* A generator always 10 % short: its lossy trials fail their rate at once (the NF lost at
 * less than asked), its passing ones are retried and then pass at the load offered. */
Test(search, short_trials_that_lose_fail_and_short_ones_that_pass_count_at_their_load) {
        struct sim m = { .capacity = 3e6, .gen_max = 1e12, .p_short = 1, .seed = 5 };
        struct search s = run(&m, 0, 1e7, 0.005);
        cr_expect_eq(s.phase, SEARCH_DONE);
        cr_expect(s.generator_limited);
        cr_expect_leq(s.found, 3e6, "found %.0f: never above what passed", s.found);
        cr_expect_geq(s.found, 3e6 * 0.9, "found %.0f: a load offered 10 %% short of a rate near the capacity", s.found);
}
