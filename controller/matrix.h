/* matrix — the trials of a run: pinning x neighbour x quota x period x frame size x
 * repetition.
 *
 * Points are listed repetition by repetition, and within a repetition pinning by pinning
 * (changing the NF's pinning restarts it, so those blocks stay whole); within a block the
 * order is the declared one, or shuffled (--shuffle) with a seeded generator so drift
 * over a long run (thermal, a neighbour that wakes up) does not line up with one quota
 * or one neighbour.  The seed is recorded in run.json, so the same seed gives the same
 * order.  Pinnings and neighbours are indices into the caller's lists. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct matrix_point {
        unsigned index;         /* position in the run, from 0 */
        unsigned repetition;    /* from 0 */
        double quota;           /* percent of the NF's cores */
        uint64_t period_us;
        unsigned frame_size;
        unsigned pinning;       /* index into the caller's pinnings */
        unsigned neighbour;     /* index into the caller's neighbours (0: the baseline) */
};

struct matrix_spec {
        const double *quotas;
        size_t n_quotas;
        const uint64_t *periods_us;
        size_t n_periods;
        const unsigned *frame_sizes;
        size_t n_frame_sizes;
        unsigned repetitions;
        bool shuffle;
        uint64_t seed;
        size_t n_pinnings;      /* 0 counts as 1 */
        size_t n_neighbours;    /* 0 counts as 1 */
};

/* Expands spec into *ret (malloc'ed, *ret_n points).  Returns 0, -EINVAL for an empty
 * dimension, or -ENOMEM. */
int matrix_expand(const struct matrix_spec *spec, struct matrix_point **ret, size_t *ret_n);
