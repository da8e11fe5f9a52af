/* seqtrack — reordering and duplicates from sequence numbers.
 *
 * Loss is counted exactly from counters (sent minus received); sequence numbers tell
 * what counters cannot: frames that arrive after a later one (reordered) and frames that
 * arrive twice (duplicates).  A sliding window of the last SEQTRACK_WINDOW sequence
 * numbers remembers which were seen; a frame older than the window counts as reordered
 * (it cannot be told from a duplicate any more).  4096 bits = 512 bytes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SEQTRACK_WINDOW 4096

struct seqtrack {
        bool started;
        uint64_t highest;      /* highest sequence number seen */
        uint64_t reordered;    /* arrived after a higher one */
        uint64_t duplicates;   /* arrived twice within the window */
        uint64_t bits[SEQTRACK_WINDOW / 64]; /* bit (seq % WINDOW) set: seen */
};

static inline void seqtrack_init(struct seqtrack *s) {
        memset(s, 0, sizeof(*s));
}

static inline bool seqtrack_test_and_set(struct seqtrack *s, uint64_t seq) {
        uint64_t i = seq % SEQTRACK_WINDOW, m = 1ULL << (i % 64);
        bool was = s->bits[i / 64] & m;
        s->bits[i / 64] |= m;
        return was;
}

static inline void seqtrack_add(struct seqtrack *s, uint64_t seq) {
        if (!s->started || seq > s->highest) {
                /* Slide the window: forget the numbers it passes over. */
                uint64_t from = s->started ? s->highest + 1 : seq, gap = seq - from;
                if (gap >= SEQTRACK_WINDOW)
                        memset(s->bits, 0, sizeof(s->bits));
                else
                        for (uint64_t q = from; q < seq; q++)
                                s->bits[(q % SEQTRACK_WINDOW) / 64] &= ~(1ULL << (q % 64));
                s->bits[(seq % SEQTRACK_WINDOW) / 64] &= ~(1ULL << (seq % 64));
                seqtrack_test_and_set(s, seq);
                s->highest = seq;
                s->started = true;
                return;
        }
        if (s->highest - seq >= SEQTRACK_WINDOW) {
                s->reordered++;
                return;
        }
        if (seqtrack_test_and_set(s, seq))
                s->duplicates++;
        else
                s->reordered++;
}
