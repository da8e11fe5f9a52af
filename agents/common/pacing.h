/* pacing — rates, frame sizes and the TSC schedule of the generator.
 *
 * Frame sizes follow RFC 2544: they include the 4-byte FCS, which the NIC (or the
 * virtual device) adds, so a 64-byte frame is a 60-byte mbuf.  On the wire each frame
 * also takes 8 bytes of preamble and a 12-byte inter-frame gap, hence
 *
 *      line rate [pps] = link speed [bit/s] / ((frame size + 20) * 8)
 *      10 Gbit/s at 64 B: 10e9 / (84 * 8) = 14,880,952 pps
 *
 * The schedule is kept in TSC cycles with 32 fractional bits, relative to the start of
 * the stream, in 128-bit arithmetic.  The per-packet interval is truncated to 2^-32
 * cycle, so after n packets the deadline is early by less than n * 2^-32 cycles: under
 * a quarter of a cycle after 10^9 packets (16 bits, the obvious choice, drift by 11
 * packets in 10 s at 14.88 Mpps; the unit test checks).  The interval fits 64 bits
 * for rates from 1 pps on a TSC up to 4 GHz. */
#pragma once

#include <stdint.h>

#define PACING_FCS 4
#define PACING_WIRE_OVERHEAD 20 /* preamble 8 + inter-frame gap 12 */
#define PACING_FP_SHIFT 32

/* Packets per second a link of link_bps carries at frame_size bytes. */
double pacing_line_rate(uint64_t link_bps, unsigned frame_size);
/* Bits per second at L2 (frame bytes, FCS included) and L1 (plus preamble and gap). */
double pacing_l2_bps(double pps, unsigned frame_size);
double pacing_l1_bps(double pps, unsigned frame_size);

struct pacer {
        uint64_t interval_fp;      /* TSC cycles per packet, << PACING_FP_SHIFT; 0: unpaced ("max") */
        uint64_t start;            /* TSC at the start */
        unsigned __int128 next_fp; /* deadline of the next packet, relative to start, fixed point */
};

/* A pacer for rate packets per second on a TSC of tsc_hz; rate 0 means as fast as
 * possible.  Rates below 1 pps are raised to 1 pps. */
void pacer_init(struct pacer *p, uint64_t tsc_hz, double rate, uint64_t now);

/* How many packets are due at TSC now (at most max).  The caller sends them and then
 * calls pacer_sent() with the number it actually handed to the device. */
static inline unsigned pacer_due(const struct pacer *p, uint64_t now, unsigned max) {
        if (p->interval_fp == 0)
                return max;
        unsigned __int128 t = (unsigned __int128)(now - p->start) << PACING_FP_SHIFT;
        if (t < p->next_fp)
                return 0;
        unsigned __int128 due = (t - p->next_fp) / p->interval_fp + 1;
        return due < max ? (unsigned)due : max;
}

static inline void pacer_sent(struct pacer *p, unsigned n) {
        p->next_fp += (unsigned __int128)n * p->interval_fp;
}

/* Takes the packets whose slots passed more than `slack` packets' time before now out of
 * the schedule and returns how many: a generator that fell behind (preempted, throttled,
 * out of mbufs) sends nothing late — those packets are its shortfall, never load offered
 * in a catch-up burst.  Unpaced: nothing is late. */
static inline uint64_t pacer_skip_late(struct pacer *p, uint64_t now, unsigned slack) {
        if (p->interval_fp == 0)
                return 0;
        unsigned __int128 t = (unsigned __int128)(now - p->start) << PACING_FP_SHIFT;
        unsigned __int128 allow = (unsigned __int128)slack * p->interval_fp;
        if (t <= p->next_fp + allow)
                return 0;
        unsigned __int128 late = (t - p->next_fp - allow) / p->interval_fp;
        p->next_fp += late * p->interval_fp;
        return (uint64_t)late;
}
