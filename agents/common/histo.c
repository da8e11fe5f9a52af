/* histo — see histo.h for the layout and the error bound. */
#include "agents/common/histo.h"

#include <math.h>
#include <string.h>

void histo_init(struct histo *h) {
        memset(h, 0, sizeof(*h));
        h->min = UINT64_MAX;
}

uint64_t histo_bucket_low(unsigned i) {
        if (i < HISTO_SUB)
                return i;
        unsigned band = (i - HISTO_SUB) / HISTO_SUB, sub = (i - HISTO_SUB) % HISTO_SUB;
        unsigned e = band + HISTO_SUB_BITS;
        return (1ULL << e) + ((uint64_t)sub << (e - HISTO_SUB_BITS));
}

uint64_t histo_bucket_width(unsigned i) {
        if (i < HISTO_SUB)
                return 1;
        return 1ULL << ((i - HISTO_SUB) / HISTO_SUB);
}

uint64_t histo_percentile(const struct histo *h, double p) {
        if (h->count == 0)
                return 0;
        uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
        return histo_at_rank(h, rank < 1 ? 1 : rank);
}

uint64_t histo_at_rank(const struct histo *h, uint64_t rank) {
        if (h->count == 0)
                return 0;
        uint64_t seen = 0;
        for (unsigned i = 0; i < HISTO_BUCKETS; i++) {
                seen += h->bucket[i];
                if (seen >= rank) {
                        /* Exact buckets report their value; the others their midpoint. */
                        uint64_t v = histo_bucket_low(i) + histo_bucket_width(i) / 2;
                        if (v < h->min)
                                v = h->min;
                        if (v > h->max)
                                v = h->max;
                        return v;
                }
        }
        return h->max; /* the rank lies among the overflowed values */
}

double histo_stdev(const struct histo *h) {
        return h->count < 2 ? 0.0 : sqrt(h->m2 / (double)(h->count - 1));
}

void histo_merge(struct histo *a, const struct histo *b) {
        if (b->count == 0)
                return;
        if (a->count == 0) {
                *a = *b;
                return;
        }
        /* Chan et al.'s parallel combination of Welford states. */
        double n_a = (double)a->count, n_b = (double)b->count, n = n_a + n_b;
        double d = b->mean - a->mean;
        a->mean += d * n_b / n;
        a->m2 += b->m2 + d * d * n_a * n_b / n;
        a->count += b->count;
        a->overflow += b->overflow;
        if (b->min < a->min)
                a->min = b->min;
        if (b->max > a->max)
                a->max = b->max;
        for (unsigned i = 0; i < HISTO_BUCKETS; i++)
                a->bucket[i] += b->bucket[i];
}
