/* lossrun — burst loss from sequence gaps (issue 15).
 *
 * Counters say how many packets were lost; sequence numbers say how: one long run while
 * the NF was throttled, or many single drops.  The receiver sees packets in sequence
 * order (a virtual link and an L2 forwarder keep it); a packet whose number is past the
 * one expected next ends a run of lost packets.  Each run has a length (packets) and a
 * span: the send time between the last packet delivered before it and the first after
 * (both carry their send TSC) — how long the NF was unreachable.  Packets still missing at
 * the end close a last run (lossrun_finish).
 *
 * Runs are counted by length in power-of-two bins ([1], [2, 3], [4, 7] ...), and per
 * window of send time (the CFS period the NF ran under, lossrun_windows): its lost packets
 * and unreachable time, a run charged to the window where it began.  A packet that
 * arrives after a later one (reordered) was counted lost in a run; it is taken back from
 * the total (filled), not from the runs.
 *
 * One writer (the RX lcore); no allocation but the windows' arrays, made before the
 * trial by the caller. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define LOSSRUN_BINS 40

struct lossrun {
        bool started;
        uint64_t next;            /* the sequence number expected next */
        uint64_t last_tsc;        /* send TSC of the last packet delivered in order */
        uint64_t runs, lost, filled, longest;
        uint64_t span_tsc, longest_span_tsc; /* spans of at least unreach_min_tsc; the longest of all */
        uint64_t unreach_min_tsc;
        uint64_t bins[LOSSRUN_BINS]; /* runs of length [2^k, 2^(k+1)) */
        /* windows of send time from t0 */
        uint64_t t0, window_tsc;
        unsigned n_windows;
        uint32_t *win_lost;
        uint64_t *win_span_tsc;
};

/* Windows of window_tsc from t0 into the caller's arrays (n of each, zeroed); window_tsc 0
 * or n 0: none. */
static inline void lossrun_windows(struct lossrun *l, uint64_t t0, uint64_t window_tsc, unsigned n, uint32_t *lost,
                                   uint64_t *span) {
        l->t0 = t0;
        l->window_tsc = window_tsc;
        l->n_windows = window_tsc ? n : 0;
        l->win_lost = lost;
        l->win_span_tsc = span;
}

static inline unsigned lossrun_bin(uint64_t len) {
        unsigned k = 63u - (unsigned)__builtin_clzll(len);
        return k < LOSSRUN_BINS ? k : LOSSRUN_BINS - 1;
}

/* A run of len packets lost after the packet sent at from_tsc, delivered again with the
 * packet sent at to_tsc. */
static inline void lossrun_run(struct lossrun *l, uint64_t len, uint64_t from_tsc, uint64_t to_tsc) {
        uint64_t span = to_tsc > from_tsc ? to_tsc - from_tsc : 0;
        l->runs++;
        l->lost += len;
        if (len > l->longest)
                l->longest = len;
        bool unreachable = span >= l->unreach_min_tsc;
        if (unreachable)
                l->span_tsc += span;
        if (span > l->longest_span_tsc)
                l->longest_span_tsc = span;
        l->bins[lossrun_bin(len)]++;
        if (l->n_windows && from_tsc >= l->t0) {
                uint64_t w = (from_tsc - l->t0) / l->window_tsc;
                if (w >= l->n_windows)
                        w = l->n_windows - 1;
                l->win_lost[w] += (uint32_t)(len > UINT32_MAX ? UINT32_MAX : len);
                if (unreachable)
                        l->win_span_tsc[w] += span;
        }
}

/* A measured packet: its sequence number and send TSC.  t0 stands for the send time
 * before the first packet (a run at the start spans from there). */
static inline void lossrun_add(struct lossrun *l, uint64_t seq, uint64_t tsc) {
        if (!l->started) {
                l->started = true;
                if (seq > 0)
                        lossrun_run(l, seq, l->t0, tsc);
        } else if (seq < l->next) {
                if (l->lost > l->filled)
                        l->filled++; /* reordered (or a duplicate): counted lost before */
                return;
        } else if (seq > l->next) {
                lossrun_run(l, seq - l->next, l->last_tsc, tsc);
        }
        l->next = seq + 1;
        l->last_tsc = tsc;
}

/* The end: offered packets were numbered 0 .. offered - 1; those past the last delivered
 * are a last run, up to end_tsc (the last send).  Nothing delivered: one run of all. */
static inline void lossrun_finish(struct lossrun *l, uint64_t offered, uint64_t end_tsc) {
        uint64_t from = l->started ? l->next : 0;
        if (offered > from)
                lossrun_run(l, offered - from, l->started ? l->last_tsc : l->t0, end_tsc);
}
