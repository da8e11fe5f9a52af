/* matrix — see matrix.h. */
#include "controller/matrix.h"

#include <errno.h>
#include <stdlib.h>

/* splitmix64: tiny, good enough to shuffle, and identical on every libc (rand() is
 * not), so a recorded seed reproduces an order anywhere. */
static uint64_t next(uint64_t *s) {
        uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

int matrix_expand(const struct matrix_spec *spec, struct matrix_point **ret, size_t *ret_n) {
        if (!spec->n_quotas || !spec->n_periods || !spec->n_frame_sizes || !spec->repetitions)
                return -EINVAL;
        size_t npin = spec->n_pinnings ? spec->n_pinnings : 1, nnb = spec->n_neighbours ? spec->n_neighbours : 1;
        size_t per_block = nnb * spec->n_quotas * spec->n_periods * spec->n_frame_sizes;
        size_t n = per_block * npin * spec->repetitions;
        struct matrix_point *v = calloc(n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        uint64_t state = spec->seed;
        struct matrix_point *block = v;
        for (unsigned rep = 0; rep < spec->repetitions; rep++)
                for (unsigned pin = 0; pin < npin; pin++, block += per_block) {
                        size_t k = 0;
                        for (unsigned nb = 0; nb < nnb; nb++)
                                for (size_t q = 0; q < spec->n_quotas; q++)
                                        for (size_t p = 0; p < spec->n_periods; p++)
                                                for (size_t f = 0; f < spec->n_frame_sizes; f++)
                                                        block[k++] = (struct matrix_point){
                                                                .repetition = rep,
                                                                .quota = spec->quotas[q],
                                                                .period_us = spec->periods_us[p],
                                                                .frame_size = spec->frame_sizes[f],
                                                                .pinning = pin,
                                                                .neighbour = nb,
                                                        };
                        if (spec->shuffle)
                                for (size_t i = per_block - 1; i > 0; i--) { /* Fisher-Yates */
                                        size_t j = (size_t)(next(&state) % (i + 1));
                                        struct matrix_point t = block[i];
                                        block[i] = block[j];
                                        block[j] = t;
                                }
                }
        for (size_t i = 0; i < n; i++)
                v[i].index = (unsigned)i;
        *ret = v;
        *ret_n = n;
        return 0;
}
