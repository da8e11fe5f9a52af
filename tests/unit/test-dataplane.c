/* The generator's pure arithmetic: latency histogram (error bound against exact
 * percentiles), pacing, test frames for every size, sequence tracking. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "agents/common/frame.h"
#include "agents/common/histo.h"
#include "agents/common/pacing.h"
#include "agents/common/seqtrack.h"
#include "agents/common/tsc.h"

/* ---- histogram ------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p) {
        size_t rank = (size_t)ceil(p / 100.0 * (double)n);
        return sorted[rank ? rank - 1 : 0];
}

Test(histo, fits_the_memory_budget_and_the_range) {
        cr_expect_lt(sizeof(struct histo), 64 * 1024);
        /* 10 s is inside the range, not an overflow. */
        cr_expect_lt(histo_index(10ULL * 1000 * 1000 * 1000), HISTO_BUCKETS);
        cr_expect_eq(histo_index((1ULL << HISTO_MAX_EXP) - 1), HISTO_BUCKETS - 1);
}

Test(histo, buckets_tile_the_range_without_gaps) {
        for (unsigned i = 0; i + 1 < HISTO_BUCKETS; i++) {
                cr_assert_eq(histo_bucket_low(i) + histo_bucket_width(i), histo_bucket_low(i + 1), "bucket %u", i);
                cr_assert_eq(histo_index(histo_bucket_low(i)), i);
                cr_assert_eq(histo_index(histo_bucket_low(i + 1) - 1), i);
        }
}

Test(histo, percentiles_are_within_one_percent_of_exact) {
        /* Three shapes a latency distribution takes: uniform over decades (log-uniform),
         * a tight body with a long tail, and values near the bottom of the range. */
        enum { N = 200000 };
        static uint64_t v[N];
        static const double ps[] = { 1, 10, 50, 90, 99, 99.9, 99.99, 100 };
        struct histo *h = malloc(sizeof(*h));
        srand(7);
        for (int shape = 0; shape < 3; shape++) {
                histo_init(h);
                double sum = 0;
                for (int i = 0; i < N; i++) {
                        double u = (rand() + 1.0) / ((double)RAND_MAX + 2.0);
                        if (shape == 0)
                                v[i] = (uint64_t)pow(10.0, 1.0 + 9.0 * u); /* 10 ns .. 10 s */
                        else if (shape == 1)
                                v[i] = (uint64_t)(8000 + 400 * u + (u > 0.999 ? 3e6 * u : 0));
                        else
                                v[i] = 10 + (uint64_t)(300 * u);
                        histo_add(h, v[i]);
                        sum += (double)v[i];
                }
                qsort(v, N, sizeof(v[0]), cmp_u64);
                for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
                        double exact = (double)exact_percentile(v, N, ps[k]);
                        double est = (double)histo_percentile(h, ps[k]);
                        cr_expect_leq(fabs(est - exact), 0.01 * exact, "shape %d p%g: %g vs exact %g", shape, ps[k],
                                      est, exact);
                }
                cr_expect_eq(h->min, v[0]);
                cr_expect_eq(h->max, v[N - 1]);
                cr_expect_eq(h->count, N);
                cr_expect_leq(fabs(h->mean - sum / N), 1e-6 * (sum / N));
        }
        free(h);
}

Test(histo, stdev_and_merge_match_a_single_pass) {
        struct histo *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *all = malloc(sizeof(*all));
        histo_init(a);
        histo_init(b);
        histo_init(all);
        double sum = 0, sq = 0;
        for (uint64_t i = 1; i <= 1000; i++) {
                uint64_t x = i * i % 977 + 100;
                histo_add(i % 3 ? a : b, x);
                histo_add(all, x);
                sum += (double)x;
                sq += (double)x * (double)x;
        }
        double mean = sum / 1000, sd = sqrt((sq - 1000 * mean * mean) / 999);
        cr_expect_leq(fabs(histo_stdev(all) - sd), 1e-9 * sd);
        histo_merge(a, b);
        cr_expect_eq(a->count, all->count);
        cr_expect_leq(fabs(a->mean - all->mean), 1e-9 * mean);
        cr_expect_leq(fabs(histo_stdev(a) - sd), 1e-9 * sd);
        cr_expect_eq(a->min, all->min);
        cr_expect_eq(a->max, all->max);
        cr_expect_eq(histo_percentile(a, 50), histo_percentile(all, 50));
        free(a);
        free(b);
        free(all);
}

Test(histo, empty_and_overflow) {
        struct histo *h = malloc(sizeof(*h));
        histo_init(h);
        cr_expect_eq(histo_percentile(h, 50), 0);
        cr_expect_eq(histo_stdev(h), 0);
        histo_add(h, 5);
        histo_add(h, 1ULL << 40);
        cr_expect_eq(h->overflow, 1);
        cr_expect_eq(histo_percentile(h, 50), 5);
        cr_expect_eq(histo_percentile(h, 100), 1ULL << 40);
        free(h);
}

/* ---- pacing ------------------------------------------------------------------------------ */

Test(pacing, line_rates) {
        cr_expect_leq(fabs(pacing_line_rate(10000000000ULL, 64) - 14880952.38), 0.01);
        cr_expect_leq(fabs(pacing_line_rate(10000000000ULL, 1518) - 812743.82), 0.01);
        cr_expect_leq(fabs(pacing_line_rate(100000000000ULL, 64) - 148809523.8), 0.1);
        cr_expect_leq(fabs(pacing_l1_bps(14880952.38, 64) - 1e10), 1.0);
        cr_expect_leq(fabs(pacing_l2_bps(1e6, 64) - 512e6), 1e-3);
}

Test(pacing, the_schedule_does_not_drift) {
        /* 3 GHz TSC, 14.88 Mpps for 10 s, sent one at a time as they fall due. */
        const uint64_t hz = 3000000000ULL;
        const double rate = 14880952.38;
        struct pacer p;
        pacer_init(&p, hz, rate, 1000);
        uint64_t sent = 0, now = 1000;
        const uint64_t end = 1000 + 10 * hz;
        for (; now < end; now += 37) {
                unsigned n = pacer_due(&p, now, 32);
                pacer_sent(&p, n);
                sent += n;
        }
        double want = rate * 10.0;
        cr_expect_leq(fabs((double)sent - want), 2.0, "sent %lu, want %.1f", (unsigned long)sent, want);
}

Test(pacing, bursts_are_capped_and_max_rate_is_unpaced) {
        struct pacer p;
        pacer_init(&p, 1000000000ULL, 1e6, 0); /* one packet per 1000 cycles */
        cr_expect_eq(pacer_due(&p, 0, 32), 1); /* the first is due at once */
        pacer_sent(&p, 1);
        cr_expect_eq(pacer_due(&p, 999, 32), 0);
        cr_expect_eq(pacer_due(&p, 1000, 32), 1);
        cr_expect_eq(pacer_due(&p, 1000000, 32), 32); /* far behind: a capped burst */
        pacer_init(&p, 1000000000ULL, 0, 0);
        cr_expect_eq(pacer_due(&p, 0, 32), 32);
}

/* ---- frames ------------------------------------------------------------------------------ */

Test(frame, every_size_builds_and_parses) {
        struct frame_tmpl t = { .dst_mac = { 2, 0, 0, 0, 0, 2 }, .src_mac = { 2, 0, 0, 0, 0, 1 },
                                .src_ip = 0xc6120001, .dst_ip = 0xc6130001, .src_port = 1024 };
        static uint8_t buf[FRAME_MAX_SIZE];
        for (unsigned size = FRAME_MIN_SIZE; size <= FRAME_MAX_SIZE; size++) {
                t.frame_size = size;
                memset(buf, 0xee, sizeof(buf));
                cr_assert_eq(frame_build_headers(buf, &t, size % 7), 0);
                frame_stamp(buf, size * 1000003ULL, ~(uint64_t)size);
                size_t len = frame_len(size);
                cr_assert_eq((buf[16] << 8 | buf[17]), (int)len - 14, "IP length at %u", size);
                cr_assert_eq((buf[38] << 8 | buf[39]), (int)len - 34, "UDP length at %u", size);
                cr_assert_eq(frame_ip_checksum(buf + 14, 20), 0, "IP checksum at %u", size);
                cr_assert_eq((buf[34] << 8 | buf[35]), 1024 + size % 7);
                uint64_t seq, tsc;
                cr_assert(frame_parse(buf, len, &seq, &tsc), "size %u", size);
                cr_assert_eq(seq, size * 1000003ULL);
                cr_assert_eq(tsc, ~(uint64_t)size);
        }
        t.frame_size = 63;
        cr_expect_eq(frame_build_headers(buf, &t, 0), -EINVAL);
        t.frame_size = FRAME_MAX_SIZE + 1;
        cr_expect_eq(frame_build_headers(buf, &t, 0), -EINVAL);
}

Test(frame, other_frames_are_not_test_frames) {
        struct frame_tmpl t = { .frame_size = 64, .src_port = 1 };
        uint8_t buf[64];
        uint64_t s, ts;
        cr_assert_eq(frame_build_headers(buf, &t, 0), 0);
        frame_stamp(buf, 1, 2);
        cr_expect(frame_parse(buf, 60, &s, &ts));
        cr_expect_not(frame_parse(buf, 59, &s, &ts)); /* too short */
        buf[42] ^= 1;
        cr_expect_not(frame_parse(buf, 60, &s, &ts)); /* magic */
        buf[42] ^= 1;
        buf[23] = 6;
        cr_expect_not(frame_parse(buf, 60, &s, &ts)); /* TCP */
        buf[23] = 17;
        buf[12] = 0x86;
        cr_expect_not(frame_parse(buf, 60, &s, &ts)); /* IPv6 */
}

/* ---- sequence tracking ------------------------------------------------------------------- */

Test(seqtrack, in_order_lossy_reordered_duplicated) {
        struct seqtrack s;
        seqtrack_init(&s);
        for (uint64_t q = 0; q < 10000; q++)
                if (q % 10 != 3) /* losses are not reorderings */
                        seqtrack_add(&s, q);
        cr_expect_eq(s.reordered, 0);
        cr_expect_eq(s.duplicates, 0);
        cr_expect_eq(s.highest, 9999);

        seqtrack_add(&s, 9993); /* lost earlier, arrives late: reordered */
        seqtrack_add(&s, 9998); /* already seen: duplicate */
        seqtrack_add(&s, 9993); /* now a duplicate */
        seqtrack_add(&s, 13);   /* older than the window: reordered */
        cr_expect_eq(s.reordered, 2);
        cr_expect_eq(s.duplicates, 2);

        /* A jump wider than the window forgets everything before it. */
        seqtrack_add(&s, 100000);
        seqtrack_add(&s, 99999);
        cr_expect_eq(s.reordered, 3);
        cr_expect_eq(s.duplicates, 2);
}

/* A generator that fell behind drops the missed slots instead of sending them late. */
Test(pacing, late_slots_are_skipped_not_sent_in_a_catch_up_burst) {
        struct pacer p;
        pacer_init(&p, 1000000000ULL, 1e6, 0); /* one packet per 1000 cycles */
        cr_expect_eq(pacer_skip_late(&p, 0, 32), 0);
        cr_expect_eq(pacer_skip_late(&p, 32000, 32), 0, "a burst behind is on time");
        /* 100 us behind: 100 slots due, 32 allowed, 68 skipped; then a burst is due. */
        cr_expect_eq(pacer_skip_late(&p, 100000, 32), 68);
        cr_expect_eq(pacer_due(&p, 100000, 64), 33);
        pacer_sent(&p, 33);
        cr_expect_eq(pacer_skip_late(&p, 100000, 32), 0);
        cr_expect_eq(pacer_due(&p, 100000, 64), 0);
        pacer_init(&p, 1000000000ULL, 0, 0);
        cr_expect_eq(pacer_skip_late(&p, 1000000, 32), 0, "unpaced: nothing is late");
}

/* The TSC flags of /proc/cpuinfo: whole words of the first "flags" line; none on a CPU
 * that has no such line (not x86). */
Test(tsc, cpuinfo_flags_are_whole_words) {
        const char *x86 = "processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good nonstop_tsc_s cpuid\nflags\t\t: nonstop_tsc\n";
        FILE *f = fmemopen((void *)x86, strlen(x86), "r");
        int c, n;
        tsc_cpuinfo_flags(f, &c, &n);
        fclose(f);
        cr_expect_eq(c, 1);
        cr_expect_eq(n, 0, "nonstop_tsc_s is not nonstop_tsc, and only the first flags line counts");
        const char *arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm\n";
        f = fmemopen((void *)arm, strlen(arm), "r");
        tsc_cpuinfo_flags(f, &c, &n);
        fclose(f);
        cr_expect(c == -1 && n == -1);
        char buf[256];
        struct tsc_clock clk = { .constant = 1, .nonstop = 0 };
        cr_expect(strstr(tsc_clock_warning(&clk, buf, sizeof(buf)) ?: "", "not nonstop") != NULL, "%s", buf);
        clk.nonstop = -1;
        cr_expect_null(tsc_clock_warning(&clk, buf, sizeof(buf)), "not told is not a defect");
}

/* B's TSC minus A's lies in [-b_to_a, a_to_b]: the middle and half the width. */
Test(tsc, skew_is_the_middle_of_the_two_least_delays) {
        struct tsc_skew s = { .a_to_b = 300, .b_to_a = 100, .rounds = 50 };
        double off, bound;
        tsc_skew_result(&s, 1000000000, &off, &bound);
        cr_expect_float_eq(off, 100.0, 1e-9, "B runs 100 cycles ahead");
        cr_expect_float_eq(bound, 200.0, 1e-9);
        tsc_skew_result(&s, 2000000000, &off, &bound);
        cr_expect_float_eq(off, 50.0, 1e-9, "cycles at 2 GHz are half a ns");
}
