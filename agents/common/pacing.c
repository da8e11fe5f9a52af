/* pacing — see pacing.h for the arithmetic. */
#include "agents/common/pacing.h"

double pacing_line_rate(uint64_t link_bps, unsigned frame_size) {
        return (double)link_bps / ((double)(frame_size + PACING_WIRE_OVERHEAD) * 8.0);
}

double pacing_l2_bps(double pps, unsigned frame_size) {
        return pps * frame_size * 8.0;
}

double pacing_l1_bps(double pps, unsigned frame_size) {
        return pps * (frame_size + PACING_WIRE_OVERHEAD) * 8.0;
}

void pacer_init(struct pacer *p, uint64_t tsc_hz, double rate, uint64_t now) {
        p->start = now;
        p->next_fp = 0;
        if (rate > 0 && rate < 1)
                rate = 1;
        /* long double carries a 64-bit mantissa, so the interval is right to the last of
         * its 32 fractional bits (a double would lose the lowest ones). */
        p->interval_fp = rate > 0 ? (uint64_t)((long double)tsc_hz * (long double)(1ULL << PACING_FP_SHIFT) / rate) : 0;
        if (rate > 0 && p->interval_fp == 0)
                p->interval_fp = 1;
}
