/* isolab-gen — the traffic generator (MoonGen's role in the study): paced UDP streams of
 * one frame size, every packet stamped with a sequence number and the TSC; on receive,
 * one-way latency of every test packet into a log-linear histogram, loss, reordering
 * and duplicates (DESIGN.md, "Processes").
 *
 * It sends on --tx-port and receives on --rx-port (default 0 and 1: the NF forwards
 * port 0 to port 1).  With one worker lcore, that lcore both sends and receives; with two
 * or more, the first sends and the second receives.  A `trial` request runs one
 * measurement: warm up, send for the duration, stop, let the link drain, read the
 * counters, reply with one result object.
 *
 * Self-test (--selftest SOCKET): no NF.  The generator starts its vhost port 0 (whose
 * iface is SOCKET), then attaches a virtio-user port of its own to that socket and sends
 * from it to port 0: the latency and loss of the link alone, the measurement floor.  The
 * virtio-user port is hot-plugged after port 0 starts because a vhost port only opens
 * its socket when started.
 *
 * Links (link.h): --link vhost|memif --link-dir DIR makes the generator the server side
 * of --link-ports N ports (default 2) in DIR; or the ports come from EAL (--vdev, -a).
 *
 * Usage: isolab-gen EAL-ARGS -- [--link vhost|memif|pci] [--link-dir DIR] [--link-ports N]
 *                               [--link-queues N] [--tx-port N] [--rx-port N] [--selftest SOCKET]
 *                               [--link-speed BPS] [--mbufs N] [--mbuf-size BYTES] */
/* rte_eth_read_clock (the NIC's clock, for hardware RX timestamps) is still marked
 * experimental in DPDK 22.11; it has been in ethdev unchanged since 19.08. */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "agents/common/agent.h"
#include "base/util.h"
#include "agents/common/eal.h"
#include "agents/common/frame.h"
#include "agents/common/histo.h"
#include "agents/common/link.h"
#include "agents/common/linkspec.h"
#include "agents/common/lossrun.h"
#include "agents/common/opts.h"
#include "agents/common/pacing.h"
#include "agents/common/port.h"
#include "agents/common/seqtrack.h"
#include "agents/common/tsc.h"

/* ---- tunables ------------------------------------------------------------------------------ */

#define GEN_BURST 32
#define GEN_MAX_FLOWS 1024
#define GEN_WARMUP_BIT (1ULL << 63) /* sequence numbers of warm-up packets: not measured */
/* Bits 48-62 of a stamp's sequence number carry the trial's id: a packet of an earlier
 * trial that arrives late (held in a ring across a throttle) is counted as stale, never as
 * a latency of this trial.  48 bits of sequence are 200 days at 14.88 Mpps. */
#define GEN_TRIAL_SHIFT 48
#define GEN_TRIAL_MASK (0x7fffULL << GEN_TRIAL_SHIFT)
#define GEN_SEQ_MASK ((1ULL << GEN_TRIAL_SHIFT) - 1)
#define GEN_LINK_WAIT_MS 5000
#define GEN_STALL_MARK_NS 1000000 /* a TX loop gap this long marks the trial's generator as stalled */
#define GEN_SERIES_NS 1000000     /* the time series' bucket: 1 ms ... */
#define GEN_SERIES_MAX 120000     /* ... widened so that a trial has at most this many */
#define GEN_WINDOWS_MAX 200000    /* loss windows (CFS periods) per trial: 1 ms for 200 s */
#define GEN_UNREACH_NS 100000     /* a loss run spanning this long: the NF took nothing (lossrun.h) */

static struct {
        unsigned tx_port, rx_port;
        uint64_t link_bps;
        unsigned mbufs;
        unsigned mbuf_size;  /* data room */
        unsigned tx_queues;  /* queues of the TX port, sent on in turn, a burst each */
        const char *selftest; /* vhost socket to loop back to */
        struct link_opts link;
} opt = { .link = LINK_OPTS_DEFAULT, .tx_port = 0, .rx_port = 1, .link_bps = 10000000000ULL, .mbufs = 16383,
          .mbuf_size = RTE_MBUF_DEFAULT_DATAROOM, .tx_queues = 1 };

/* ---- one trial: parameters in, counters out ----------------------------------------------------- */

/* Each part is written by one lcore only and starts on a cache line of its own (the
 * struct is allocated cache-aligned): with two worker lcores, the TX lcore's counters
 * never share a line with the RX lcore's, so neither invalidates the other's cache on
 * every packet.  The parameters are read-only during the trial; the stop flag is the one
 * line both touch, once. */
/* make bench gen-layout builds a copy with the parts packed together, as they were before
 * the split (ISOLAB_GEN_SHARED_LINES), and measures what the split is worth. */
#ifdef ISOLAB_GEN_SHARED_LINES
#define GEN_OWN_LINE
#else
#define GEN_OWN_LINE __rte_cache_aligned
#endif
struct trial {
        /* in (read-only while the lcores run) */
        unsigned frame_size;
        unsigned flows;
        double rate;            /* packets per second; 0: as fast as possible */
        uint64_t id_bits;       /* this trial's id, in place (GEN_TRIAL_MASK) */
        uint64_t warmup_tsc, duration_tsc, drain_tsc;
        uint64_t stall_min_tsc;   /* a TX loop gap longer than this is a generator stall (10 us) */
        /* The time series from the measurement's start (series_t0, set by TX): packets due by
         * the schedule (sent or not), sent, and received, per bucket of series_tsc. */
        uint64_t series_tsc, series_ns;
        double window_ns;         /* burst loss per window of this (the CFS period); 0: none */
        unsigned n_series;
        uint32_t *due_s, *sent_s; /* written by TX */
        uint32_t *rx_s;           /* written by RX */
        /* shared between the TX and RX lcores: written once, by TX, when it stops */
        struct {
                volatile bool tx_done;
        } GEN_OWN_LINE;
        /* out, TX side (written by the TX lcore) */
        struct {
                uint64_t offered;          /* packets the schedule asked for during the measurement */
                uint64_t sent;             /* accepted by the device */
                uint64_t warm_sent;
                uint64_t tx_start, tx_end; /* TSC of the measurement's first and last send */
                uint64_t series_t0;        /* tx_start, published to RX (0: not yet) */
                uint64_t late;             /* slots missed by more than a burst: shortfall, not sent */
                uint64_t max_gap_tsc, stall_tsc; /* the TX loop's longest gap, and gaps over stall_min_tsc */
        } GEN_OWN_LINE;
        /* out, RX side (written by the RX lcore) */
        struct {
                uint64_t rx, rx_warm, rx_other, rx_stale;
                uint64_t rx_hwts;          /* measured with the NIC's RX timestamp */
                struct seqtrack seq;
                struct lossrun runs;       /* burst loss from sequence gaps */
                struct histo lat;          /* one-way latency, ns */
        } GEN_OWN_LINE;
};
#ifndef ISOLAB_GEN_SHARED_LINES
_Static_assert(offsetof(struct trial, offered) % RTE_CACHE_LINE_SIZE == 0 &&
                       offsetof(struct trial, rx) % RTE_CACHE_LINE_SIZE == 0 &&
                       offsetof(struct trial, rx) - offsetof(struct trial, offered) >= RTE_CACHE_LINE_SIZE,
               "the TX and RX lcores' counters share a cache line");
#endif

static struct trial *cur;
static unsigned default_flows = 1; /* flows of a trial that does not say (configure) */
static struct rte_mempool *pool;
static uint8_t tmpl[GEN_MAX_FLOWS][FRAME_HDR_LEN];
static uint64_t tsc_hz, ns_mult; /* ns = cycles * ns_mult >> 32 */
static struct tsc_clock clock_info;
static unsigned tx_lcore, rx_lcore;
static struct tsc_skew skew;      /* TX lcore vs RX lcore, when they differ (rounds 0: not measured) */

/* Hardware RX timestamps (a NIC with RTE_ETH_RX_OFFLOAD_TIMESTAMP and a readable clock):
 * the receive time of a packet is the NIC's stamp, mapped onto the TSC, instead of the
 * TSC when the RX lcore got round to it.  The map is a line through two (TSC, NIC clock)
 * pairs: one taken at start, one at each trial's start (the longer apart, the better its
 * slope); its anchor is the trial's pair.  The send time stays the TSC in the packet. */
static struct {
        bool on;
        int dynfield;             /* offset of the mbuf's timestamp */
        uint64_t flag;            /* its ol_flags bit */
        uint64_t tsc0, nic0;      /* the first pair */
        uint64_t tsc_a, nic_a;    /* the trial's anchor */
        double tsc_per_tick;      /* the slope */
        char why[400];            /* why it is off, or what it uses */
} hwts;

static uint64_t read_tsc(void) {
        return rte_rdtsc();
}

/* One (TSC, NIC clock) pair: the TSC halfway through the clock's read. */
static bool hwts_pair(uint64_t *tsc, uint64_t *nic) {
        uint64_t t1 = rte_rdtsc();
        int r = rte_eth_read_clock((uint16_t)opt.rx_port, nic);
        uint64_t t2 = rte_rdtsc();
        *tsc = t1 + (t2 - t1) / 2;
        return r == 0;
}

static void hwts_init(void) {
        char name[RTE_ETH_NAME_MAX_LEN] = "?";
        rte_eth_dev_get_name_by_port((uint16_t)opt.rx_port, name);
        if (!port_rx_timestamp_capable((uint16_t)opt.rx_port)) {
                snprintf(hwts.why, sizeof(hwts.why), "the generator's TSC when its RX lcore polls the packet: port %u (%s) "
                         "offers no hardware RX timestamps", opt.rx_port, name);
                return;
        }
        if (rte_mbuf_dyn_rx_timestamp_register(&hwts.dynfield, &hwts.flag) < 0 || !hwts_pair(&hwts.tsc0, &hwts.nic0)) {
                snprintf(hwts.why, sizeof(hwts.why), "the generator's TSC: port %u (%s) has RX timestamps but their "
                         "mbuf field or its clock is not usable", opt.rx_port, name);
                return;
        }
        hwts.on = true;
        snprintf(hwts.why, sizeof(hwts.why), "port %u (%s)'s hardware RX timestamp, mapped onto the generator's TSC; the "
                 "send time is the TSC stamped in the packet", opt.rx_port, name);
}

/* At a trial's start: the anchor, and the slope from the first pair (rejected when the
 * clock ran backwards or the pairs are under 10 ms apart: the last slope stays). */
static void hwts_anchor(void) {
        if (!hwts.on || !hwts_pair(&hwts.tsc_a, &hwts.nic_a))
                return;
        if (hwts.nic_a > hwts.nic0 && hwts.tsc_a > hwts.tsc0 + tsc_hz / 100)
                hwts.tsc_per_tick = (double)(hwts.tsc_a - hwts.tsc0) / (double)(hwts.nic_a - hwts.nic0);
}

/* Whether the NIC stamped this packet (and the map onto the TSC is made). */
static inline bool rx_stamped(const struct rte_mbuf *m) {
        return hwts.on && hwts.tsc_per_tick > 0 && (m->ol_flags & hwts.flag);
}

/* The NIC's stamp of a stamped packet, on the TSC. */
static inline uint64_t rx_stamp_tsc(const struct rte_mbuf *m) {
        uint64_t ts = *RTE_MBUF_DYNFIELD(m, hwts.dynfield, rte_mbuf_timestamp_t *);
        double dt = ((double)ts - (double)hwts.nic_a) * hwts.tsc_per_tick;
        return (uint64_t)((double)hwts.tsc_a + dt);
}

/* The TX lcore stamps, the RX lcore reads: their TSCs must agree.  A token goes back and
 * forth through one cache line for at most SKEW_MS (SKEW_ROUNDS rounds); each side keeps
 * its own TSC minus the other's stamp, the least seen (tsc.h).  The reads are fenced
 * (rte_rdtsc_precise): a TSC read that ran ahead of the load that saw the token would
 * make the delay negative. */
#define SKEW_ROUNDS 2000
#define SKEW_MS 20
static struct {
        volatile uint64_t stamp;
        volatile uint32_t seq;   /* odd: the TX lcore's stamp is there; even: the RX lcore's */
        volatile bool stop;
} __rte_cache_aligned pingpong;

static int skew_lcore(void *arg) {
        (void)arg;
        bool a = rte_lcore_id() == tx_lcore;
        uint64_t deadline = rte_rdtsc() + tsc_hz / 1000 * SKEW_MS;
        int64_t best = INT64_MAX;
        uint32_t i;
        for (i = 0; i < SKEW_ROUNDS; i++) {
                uint32_t want = 2 * i + (a ? 2 : 1);
                if (a) {
                        pingpong.stamp = rte_rdtsc_precise();
                        __atomic_store_n(&pingpong.seq, 2 * i + 1, __ATOMIC_RELEASE);
                }
                while (__atomic_load_n(&pingpong.seq, __ATOMIC_ACQUIRE) != want)
                        if (pingpong.stop || rte_rdtsc() > deadline) {
                                pingpong.stop = true;
                                goto out;
                        }
                int64_t d = (int64_t)(rte_rdtsc_precise() - pingpong.stamp);
                if (d < best)
                        best = d;
                if (!a) {
                        pingpong.stamp = rte_rdtsc_precise();
                        __atomic_store_n(&pingpong.seq, 2 * i + 2, __ATOMIC_RELEASE);
                }
        }
out:
        if (a) {
                skew.b_to_a = best;
                skew.rounds = i;
        } else {
                skew.a_to_b = best;
        }
        return 0;
}

static void measure_skew(void) {
        if (tx_lcore == rx_lcore)
                return;
        pingpong.seq = 0;
        pingpong.stop = false;
        rte_eal_remote_launch(skew_lcore, NULL, rx_lcore);
        rte_eal_remote_launch(skew_lcore, NULL, tx_lcore);
        rte_eal_wait_lcore(tx_lcore);
        rte_eal_wait_lcore(rx_lcore);
}

/* hello: the clock the latencies are measured with, and the TX/RX lcores' agreement. */
static json_t *gen_hello_extra(void) {
        json_t *c = tsc_clock_json(&clock_info);
        if (skew.rounds >= 10) {
                double off, bound;
                tsc_skew_result(&skew, tsc_hz, &off, &bound);
                json_object_set_new(c, "tx_rx_skew", json_pack("{s:f, s:f, s:i}", "offset_ns", off, "bound_ns", bound,
                                                               "rounds", skew.rounds));
        } else if (tx_lcore != rx_lcore) {
                char why[96];
                snprintf(why, sizeof(why), "the TX and RX lcores did not both run within %d ms (one CPU?)", SKEW_MS);
                json_object_set_new(c, "tx_rx_skew", json_pack("{s:s}", "not_measured", why));
        }
        json_t *ports = json_array();
        uint16_t p;
        RTE_ETH_FOREACH_DEV(p)
        json_array_append_new(ports, port_describe(p));
        return json_pack("{s:o, s:o, s:{s:s, s:s}}", "tsc", c, "ports", ports, "latency_clock", "rx", hwts.on ? "nic" : "tsc",
                         "what", hwts.why);
}

static inline uint64_t cycles_to_ns(uint64_t c) {
        return (uint64_t)(((unsigned __int128)c * ns_mult) >> 32);
}

/* ---- the data path -------------------------------------------------------------------------- */

static inline void rx_poll(struct trial *t) {
        struct rte_mbuf *pkts[GEN_BURST];
        uint16_t n = rte_eth_rx_burst((uint16_t)opt.rx_port, 0, pkts, GEN_BURST);
        if (n == 0)
                return;
        uint64_t now = rte_rdtsc();
        uint64_t t0 = __atomic_load_n(&t->series_t0, __ATOMIC_ACQUIRE);
        unsigned measured = 0;
        for (uint16_t i = 0; i < n; i++) {
                uint64_t seq, tsc;
                const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
                if (!frame_parse(d, rte_pktmbuf_data_len(pkts[i]), &seq, &tsc)) {
                        t->rx_other++;
                        continue;
                }
                if ((seq & GEN_TRIAL_MASK) != t->id_bits) {
                        t->rx_stale++;
                        continue;
                }
                if (seq & GEN_WARMUP_BIT) {
                        t->rx_warm++;
                        continue;
                }
                seq &= GEN_SEQ_MASK;
                t->rx++;
                measured++;
                bool hw = rx_stamped(pkts[i]);
                uint64_t at = hw ? rx_stamp_tsc(pkts[i]) : now;
                t->rx_hwts += hw;
                histo_add(&t->lat, at > tsc ? cycles_to_ns(at - tsc) : 0);
                seqtrack_add(&t->seq, seq);
                if (!t->runs.started)
                        t->runs.t0 = t0; /* a measured packet: TX has published its start */
                lossrun_add(&t->runs, seq, tsc);
        }
        rte_pktmbuf_free_bulk(pkts, n);
        if (measured && t0) {
                uint64_t b = (now - t0) / t->series_tsc;
                t->rx_s[b < t->n_series ? b : t->n_series - 1] += measured;
        }
}

/* Sends what the schedule says is due; returns the number due. */
static inline unsigned tx_due(struct trial *t, struct pacer *p, uint64_t *seq, uint64_t flag, uint64_t *sent,
                              uint64_t *late) {
        uint64_t now = rte_rdtsc();
        /* More than a burst behind its schedule: those slots are gone (shortfall). */
        uint64_t skipped = pacer_skip_late(p, now, GEN_BURST);
        *late += skipped;
        unsigned due = pacer_due(p, now, GEN_BURST);
        uint64_t b = flag ? 0 : (now - t->tx_start) / t->series_tsc;
        if (b >= t->n_series)
                b = t->n_series - 1;
        if (!flag)
                t->due_s[b] += (uint32_t)(skipped + due);
        if (due == 0)
                return 0;
        struct rte_mbuf *pkts[GEN_BURST];
        if (rte_pktmbuf_alloc_bulk(pool, pkts, due) != 0)
                return 0; /* out of mbufs: the device still holds them; try again */
        const size_t len = frame_len(t->frame_size);
        for (unsigned i = 0; i < due; i++) {
                uint8_t *d = rte_pktmbuf_mtod(pkts[i], uint8_t *);
                uint64_t q = *seq + i;
                memcpy(d, tmpl[q % t->flows], FRAME_HDR_LEN);
                frame_stamp(d, (q & GEN_SEQ_MASK) | t->id_bits | flag, now);
                pkts[i]->data_len = (uint16_t)len;
                pkts[i]->pkt_len = (uint32_t)len;
        }
        /* Several queues (an NF that polls each, OVS's n_rxq on vhost): a burst on each in
         * turn, as a NIC's RSS would spread flows. */
        static unsigned txq;
        uint16_t queue = (uint16_t)(opt.tx_queues > 1 ? txq++ % opt.tx_queues : 0);
        uint16_t ok = rte_eth_tx_burst((uint16_t)opt.tx_port, queue, pkts, (uint16_t)due);
        if (ok < due)
                rte_pktmbuf_free_bulk(pkts + ok, due - ok);
        /* Paced: the schedule moves on whether or not the device took them (what it did
         * not take is the link's loss).  Unpaced: only what was taken counts. */
        unsigned counted = p->interval_fp ? due : ok;
        pacer_sent(p, counted);
        *seq += counted;
        *sent += ok;
        if (!flag)
                t->sent_s[b] += ok;
        return counted;
}

static void tx_run(struct trial *t, bool also_rx) {
        struct pacer p;
        uint64_t seq = 0, start = rte_rdtsc();
        pacer_init(&p, tsc_hz, t->rate, start);
        /* Warm-up: the same stream, marked so the receiver leaves it out. */
        uint64_t warm_late = 0;
        while (rte_rdtsc() - start < t->warmup_tsc && !agent_interrupted) {
                tx_due(t, &p, &seq, GEN_WARMUP_BIT, &t->warm_sent, &warm_late);
                if (also_rx)
                        rx_poll(t);
        }
        seq = 0;
        t->tx_start = rte_rdtsc();
        __atomic_store_n(&t->series_t0, t->tx_start, __ATOMIC_RELEASE);
        pacer_init(&p, tsc_hz, t->rate, t->tx_start);
        uint64_t end = t->tx_start + t->duration_tsc, last = t->tx_start;
        while (rte_rdtsc() < end && !agent_interrupted) {
                t->offered += tx_due(t, &p, &seq, 0, &t->sent, &t->late);
                if (also_rx)
                        rx_poll(t);
                /* The generator's own poll gaps, as the NF's: where it could not send. */
                uint64_t now = rte_rdtsc(), gap = now - last;
                last = now;
                if (gap > t->max_gap_tsc)
                        t->max_gap_tsc = gap;
                if (gap > t->stall_min_tsc)
                        t->stall_tsc += gap;
        }
        t->tx_end = rte_rdtsc();
        __atomic_store_n(&t->tx_done, true, __ATOMIC_RELEASE);
}

static void rx_run(struct trial *t) {
        while (!__atomic_load_n(&t->tx_done, __ATOMIC_ACQUIRE))
                rx_poll(t);
        /* Let the link drain: counters are read after traffic stops (RFC 2544 §26.1). */
        uint64_t end = rte_rdtsc() + t->drain_tsc;
        while (rte_rdtsc() < end)
                rx_poll(t);
}

static int lcore_main(void *arg) {
        (void)arg;
        unsigned me = rte_lcore_id();
        if (me == tx_lcore && me == rx_lcore) {
                tx_run(cur, true);
                rx_run(cur);
        } else if (me == tx_lcore) {
                tx_run(cur, false);
        } else if (me == rx_lcore) {
                rx_run(cur);
        }
        return 0;
}

/* ---- the trial command ---------------------------------------------------------------------- */

static int fail(char **ret_error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return -EINVAL;
}

/* "line", "max", "N%" (of the emulated link) or a number of packets per second. */
static int parse_rate(json_t *v, unsigned frame_size, double *ret, char **ret_error) {
        double line = pacing_line_rate(opt.link_bps, frame_size);
        if (!v || (json_is_string(v) && strcmp(json_string_value(v), "line") == 0)) {
                *ret = line;
                return 0;
        }
        if (json_is_number(v) && json_number_value(v) > 0) {
                *ret = json_number_value(v);
                return 0;
        }
        const char *s = json_string_value(v);
        if (s && strcmp(s, "max") == 0) {
                *ret = 0;
                return 0;
        }
        char *end;
        double pct = s ? strtod(s, &end) : 0;
        if (s && end != s && strcmp(end, "%") == 0 && pct > 0 && pct <= 100) {
                *ret = line * pct / 100.0;
                return 0;
        }
        return fail(ret_error, "trial: rate must be \"line\", \"max\", a percentage like \"50%%\" or packets per second");
}

static json_t *latency_json(const struct histo *h) {
        json_t *buckets = json_array();
        for (unsigned i = 0; i < HISTO_BUCKETS; i++)
                if (h->bucket[i])
                        json_array_append_new(buckets, json_pack("[I, I]", (json_int_t)histo_bucket_low(i),
                                                                 (json_int_t)h->bucket[i]));
        return json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "samples",
                         (json_int_t)h->count, "min_ns", (json_int_t)(h->count ? h->min : 0), "mean_ns", h->mean,
                         "stdev_ns", histo_stdev(h), "max_ns", (json_int_t)h->max, "p50_ns",
                         (json_int_t)histo_percentile(h, 50), "p90_ns", (json_int_t)histo_percentile(h, 90), "p99_ns",
                         (json_int_t)histo_percentile(h, 99), "p99_9_ns", (json_int_t)histo_percentile(h, 99.9),
                         "p99_99_ns", (json_int_t)histo_percentile(h, 99.99), "overflow", (json_int_t)h->overflow,
                         "buckets", buckets);
}

/* The trial's time series: 1 ms buckets (wider for trials over 2 minutes) from the
 * measurement's start to the end of the drain. */
static int series_alloc(struct trial *t, double duration, double drain) {
        double total_ns = (duration + drain) * 1e9;
        uint64_t bucket_ns = GEN_SERIES_NS;
        if (total_ns / GEN_SERIES_NS > GEN_SERIES_MAX)
                bucket_ns = (uint64_t)ceil(total_ns / GEN_SERIES_MAX / GEN_SERIES_NS) * GEN_SERIES_NS;
        t->series_ns = bucket_ns;
        t->series_tsc = (uint64_t)((double)bucket_ns * (double)tsc_hz / 1e9);
        t->n_series = (unsigned)(total_ns / (double)bucket_ns) + 2;
        t->due_s = calloc(t->n_series, sizeof(uint32_t));
        t->sent_s = calloc(t->n_series, sizeof(uint32_t));
        t->rx_s = calloc(t->n_series, sizeof(uint32_t));
        return t->due_s && t->sent_s && t->rx_s && t->series_tsc ? 0 : -ENOMEM;
}

/* Loss windows of window_ns (the CFS period) over the measurement: lossrun.h. */
static int windows_alloc(struct trial *t, double duration, double window_ns) {
        if (!(window_ns >= 1e5))
                return 0; /* none asked (or under 100 us): runs only */
        double n = ceil(duration * 1e9 / window_ns) + 1;
        if (n > GEN_WINDOWS_MAX)
                return 0;
        uint32_t *lost = calloc((size_t)n, sizeof(uint32_t));
        uint64_t *span = calloc((size_t)n, sizeof(uint64_t));
        if (!lost || !span) {
                free(lost);
                free(span);
                return -ENOMEM;
        }
        t->window_ns = window_ns;
        lossrun_windows(&t->runs, 0, (uint64_t)(window_ns * (double)tsc_hz / 1e9), (unsigned)n, lost, span);
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* {"mean", "p50", "p90", "max"} of n values (sorted in place). */
static json_t *spread_json(uint64_t *v, size_t n, double scale) {
        if (n == 0)
                return json_null();
        double sum = 0;
        for (size_t i = 0; i < n; i++)
                sum += (double)v[i];
        qsort(v, n, sizeof(*v), cmp_u64);
        return json_pack("{s:f, s:f, s:f, s:f}", "mean", sum / (double)n * scale, "p50", (double)v[(n - 1) / 2] * scale,
                         "p90", (double)v[(size_t)ceil(0.9 * (double)n) - 1] * scale, "max", (double)v[n - 1] * scale);
}

/* The trial's burst loss: runs of lost packets by length, the time the NF was unreachable,
 * and per window (CFS period) of the measurement. */
static json_t *burst_json(struct trial *t, double duration) {
        struct lossrun *l = &t->runs;
        json_t *bins = json_array();
        for (unsigned k = 0; k < LOSSRUN_BINS; k++)
                if (l->bins[k])
                        json_array_append_new(bins, json_pack("[I, I]", (json_int_t)(1ULL << k), (json_int_t)l->bins[k]));
        json_t *b = json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:o}", "runs", (json_int_t)l->runs, "lost",
                              (json_int_t)l->lost, "filled", (json_int_t)l->filled, "longest_run", (json_int_t)l->longest,
                              "mean_run", l->runs ? (double)l->lost / (double)l->runs : 0.0, "unreachable_min_ns",
                              (json_int_t)GEN_UNREACH_NS, "unreachable_ns",
                              (json_int_t)cycles_to_ns(l->span_tsc), "longest_unreachable_ns",
                              (json_int_t)cycles_to_ns(l->longest_span_tsc), "run_lengths", bins);
        if (l->n_windows) {
                /* The windows the measurement covered (the last one may be partial). */
                size_t n = (size_t)ceil(duration * 1e9 / t->window_ns - 1e-9);
                if (n > l->n_windows)
                        n = l->n_windows;
                uint64_t *lost = malloc(n * sizeof(uint64_t));
                size_t with = 0;
                for (size_t i = 0; lost && i < n; i++) {
                        lost[i] = l->win_lost[i];
                        with += l->win_lost[i] > 0;
                }
                json_t *w = json_pack("{s:I, s:I, s:I, s:o}", "window_ns", (json_int_t)t->window_ns,
                                      "windows", (json_int_t)n, "with_loss", (json_int_t)with, "lost",
                                      lost ? spread_json(lost, n, 1) : json_null());
                for (size_t i = 0; lost && i < n; i++)
                        lost[i] = cycles_to_ns(l->win_span_tsc[i]);
                json_object_set_new(w, "unreachable_ns", lost ? spread_json(lost, n, 1) : json_null());
                free(lost);
                json_object_set_new(b, "per_window", w);
        }
        return b;
}

static void trial_free(struct trial *t) {
        free(t->runs.win_lost);
        free(t->runs.win_span_tsc);
        free(t->due_s);
        free(t->sent_s);
        free(t->rx_s);
        rte_free(t);
}

/* {"bucket_ns", "due", "sent", "received"}: the buckets up to the last that counted. */
static json_t *series_json(const struct trial *t) {
        unsigned n = t->n_series;
        while (n > 0 && !t->due_s[n - 1] && !t->sent_s[n - 1] && !t->rx_s[n - 1])
                n--;
        json_t *due = json_array(), *sent = json_array(), *rx = json_array();
        for (unsigned i = 0; i < n; i++) {
                json_array_append_new(due, json_integer(t->due_s[i]));
                json_array_append_new(sent, json_integer(t->sent_s[i]));
                json_array_append_new(rx, json_integer(t->rx_s[i]));
        }
        return json_pack("{s:I, s:o, s:o, s:o}", "bucket_ns", (json_int_t)t->series_ns, "due", due, "sent",
                         sent, "received", rx);
}

static double number(json_t *req, const char *key, double dflt) {
        json_t *v = json_object_get(req, key);
        return v ? json_number_value(v) : dflt;
}

static int cmd_trial(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)userdata;
        unsigned frame_size = (unsigned)number(req, PROTO_FRAME_SIZE, 64);
        unsigned flows = (unsigned)number(req, "flows", default_flows);
        double duration = number(req, PROTO_DURATION, 1.0), warmup = number(req, PROTO_WARMUP, 0.0);
        double drain = number(req, PROTO_DRAIN, 0.1);
        size_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;

        if (frame_size < FRAME_MIN_SIZE || frame_size > FRAME_MAX_SIZE)
                return fail(ret_error, "trial: frame_size %u is outside %d..%d", frame_size, FRAME_MIN_SIZE, FRAME_MAX_SIZE);
        if (frame_len(frame_size) > room)
                return fail(ret_error, "trial: frame_size %u needs mbufs of %zu bytes, these have %zu; start isolab-gen with --mbuf-size 9216",
                            frame_size, frame_len(frame_size), room);
        if (flows < 1 || flows > GEN_MAX_FLOWS)
                return fail(ret_error, "trial: flows must be 1..%d", GEN_MAX_FLOWS);
        if (!(duration > 0 && duration <= 3600) || !(warmup >= 0 && warmup <= 600) || !(drain >= 0 && drain <= 10))
                return fail(ret_error, "trial: duration (0..3600 s), warmup (0..600 s) and drain (0..10 s) are seconds");
        double rate = 0;
        if (parse_rate(json_object_get(req, PROTO_RATE), frame_size, &rate, ret_error) < 0)
                return -EINVAL;
        double link_wait = number(req, "link_timeout", GEN_LINK_WAIT_MS / 1000.0);
        for (unsigned p = 0; p < 2; p++) {
                unsigned port = p ? opt.rx_port : opt.tx_port;
                if (!port_wait_link((uint16_t)port, (unsigned)(link_wait * 1000)))
                        return fail(ret_error, "trial: port %u link is down after %.1f s: is the NF attached to it?", port,
                                    link_wait);
        }

        struct trial *t = rte_zmalloc("trial", sizeof(*t), RTE_CACHE_LINE_SIZE);
        if (!t)
                return fail(ret_error, "trial: out of memory");
        t->frame_size = frame_size;
        t->flows = flows;
        t->rate = rate;
        t->warmup_tsc = (uint64_t)(warmup * (double)tsc_hz);
        t->duration_tsc = (uint64_t)(duration * (double)tsc_hz);
        t->drain_tsc = (uint64_t)(drain * (double)tsc_hz);
        t->stall_min_tsc = tsc_hz / 100000;
        static uint64_t trials_run;
        t->id_bits = ((++trials_run) << GEN_TRIAL_SHIFT) & GEN_TRIAL_MASK;
        histo_init(&t->lat);
        seqtrack_init(&t->seq);
        t->runs.unreach_min_tsc = (uint64_t)((double)GEN_UNREACH_NS * (double)tsc_hz / 1e9);
        if (series_alloc(t, duration, drain) < 0 || windows_alloc(t, duration, number(req, "loss_window_ns", 0)) < 0) {
                trial_free(t);
                return fail(ret_error, "trial: out of memory for the time series");
        }
        struct frame_tmpl ft = { .src_ip = 0xC6120001, .dst_ip = 0xC6130001, .src_port = 1024, .frame_size = frame_size };
        struct rte_ether_addr mac;
        rte_eth_macaddr_get((uint16_t)opt.tx_port, &mac);
        memcpy(ft.src_mac, mac.addr_bytes, 6);
        memcpy(ft.dst_mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
        for (unsigned f = 0; f < flows; f++)
                frame_build_headers(tmpl[f], &ft, f);

        hwts_anchor();
        struct rte_eth_stats before[2], after[2];
        rte_eth_stats_get((uint16_t)opt.tx_port, &before[0]);
        rte_eth_stats_get((uint16_t)opt.rx_port, &before[1]);
        cur = t;
        rte_eal_mp_remote_launch(lcore_main, NULL, SKIP_MAIN);
        agent_wait_workers();
        cur = NULL;
        rte_eth_stats_get((uint16_t)opt.tx_port, &after[0]);
        rte_eth_stats_get((uint16_t)opt.rx_port, &after[1]);

        if (agent_interrupted) {
                trial_free(t);
                return fail(ret_error, "trial: interrupted by a signal; the agent is stopping");
        }
        bool links = port_link_up((uint16_t)opt.tx_port) && port_link_up((uint16_t)opt.rx_port);
        if (!links) {
                trial_free(t);
                return fail(ret_error, "trial: a link went down during the trial (the NF side disconnected or died)");
        }

        double secs = (double)(t->tx_end - t->tx_start) / (double)tsc_hz;
        double expected = rate > 0 ? rate * duration : (double)t->offered;
        uint64_t not_taken = t->offered - t->sent; /* paced packets the device refused */
        uint64_t lost = t->offered > t->rx ? t->offered - t->rx : 0;
        double rx_pps = t->rx / secs, tx_pps = t->sent / secs;
        json_t *res = json_pack(
                "{s:i, s:i, s:f, s:f, s:f, s:f,"
                " s:{s:I, s:I, s:I, s:f, s:f, s:b},"
                " s:{s:I, s:I, s:I, s:I, s:I},"
                " s:{s:I, s:f, s:I, s:I},"
                " s:f, s:f, s:f, s:o,"
                " s:{s:I, s:I, s:I, s:I}}",
                "frame_size", frame_size, "flows", flows, "rate_requested_pps", rate, "duration", duration, "warmup",
                warmup, "seconds", secs,
                "tx", "offered", (json_int_t)t->offered, "sent", (json_int_t)t->sent, "not_taken_by_link",
                (json_int_t)not_taken, "pps", tx_pps, "offered_pps", t->offered / secs,
                /* The generator could not keep to the schedule: a shortfall of more than 0.5 %
                 * is the generator's limit, never the NF's loss. */
                "generator_shortfall", rate > 0 && (double)t->offered < expected * PROTO_SHORTFALL,
                "rx", "packets", (json_int_t)t->rx, "warmup", (json_int_t)t->rx_warm, "other", (json_int_t)t->rx_other,
                "reordered", (json_int_t)t->seq.reordered, "duplicates", (json_int_t)t->seq.duplicates,
                "loss", "packets", (json_int_t)lost, "ratio", t->offered ? (double)lost / (double)t->offered : 0.0,
                "tx_refused", (json_int_t)not_taken, "after_tx", (json_int_t)(t->sent > t->rx ? t->sent - t->rx : 0),
                "mpps", rx_pps / 1e6, "gbps_l2", pacing_l2_bps(rx_pps, frame_size) / 1e9, "gbps_l1",
                pacing_l1_bps(rx_pps, frame_size) / 1e9, "latency", latency_json(&t->lat),
                "ports", "tx_port_tx", (json_int_t)(after[0].opackets - before[0].opackets), "tx_port_oerrors",
                (json_int_t)(after[0].oerrors - before[0].oerrors), "rx_port_rx",
                (json_int_t)(after[1].ipackets - before[1].ipackets), "rx_port_imissed",
                (json_int_t)(after[1].imissed - before[1].imissed));
        /* Where the generator itself fell short: slots it missed (never sent late), its TX
         * loop's longest gap and time in gaps over 10 us; a gap over 1 ms marks the trial. */
        json_t *txj = json_object_get(res, "tx");
        uint64_t max_gap_ns = cycles_to_ns(t->max_gap_tsc);
        json_object_set_new(txj, "late", json_integer((json_int_t)t->late));
        json_object_set_new(txj, "max_gap_ns", json_integer((json_int_t)max_gap_ns));
        json_object_set_new(txj, "stall_ns", json_integer((json_int_t)cycles_to_ns(t->stall_tsc)));
        json_object_set_new(txj, "stalled", json_boolean(max_gap_ns > GEN_STALL_MARK_NS));
        /* Which clock timed each packet's arrival. */
        json_object_set_new(res, "latency_clock",
                            json_pack("{s:s, s:I}", "rx", t->rx_hwts ? "nic" : "tsc", "rx_hardware_stamped", (json_int_t)t->rx_hwts));
        /* Test packets of an earlier trial that arrived in this one: not latency, not loss. */
        json_object_set_new(json_object_get(res, "rx"), "stale", json_integer((json_int_t)t->rx_stale));
        /* Due, sent and received per 1 ms: where the generator fell behind, where the NF
         * stopped taking packets, when they came back. */
        json_object_set_new(res, "series", series_json(t));
        if (!t->runs.started)
                t->runs.t0 = t->tx_start; /* nothing delivered: the run is the whole measurement */
        lossrun_finish(&t->runs, t->offered, t->tx_end);
        json_object_set_new(res, "burst", burst_json(t, duration));
        trial_free(t);
        if (!res)
                return fail(ret_error, "trial: out of memory for the result");
        json_object_set_new(reply, "result", res);
        return 0;
}

/* configure {link_speed, flows}: the emulated link speed that "line" and "N%" rates
 * refer to, and the flows a trial uses when it does not say. */
static int cmd_configure(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)userdata;
        json_t *ls = json_object_get(req, "link_speed"), *fl = json_object_get(req, "flows");
        if ((ls && (!json_is_number(ls) || json_number_value(ls) < 1e6)) ||
            (fl && (!json_is_integer(fl) || json_integer_value(fl) < 1 || json_integer_value(fl) > GEN_MAX_FLOWS)))
                return fail(ret_error, "configure: link_speed is bit/s (>= 1000000), flows 1..%d", GEN_MAX_FLOWS);
        if (ls)
                opt.link_bps = (uint64_t)json_number_value(ls);
        if (fl)
                default_flows = (unsigned)json_integer_value(fl);
        json_object_set_new(reply, "config", json_pack("{s:I, s:i}", "link_speed", (json_int_t)opt.link_bps, "flows",
                                                       default_flows));
        return 0;
}

static int cmd_stats(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)ret_error, (void)userdata;
        json_t *ps = json_array();
        for (uint16_t p = 0; p < rte_eth_dev_count_avail(); p++)
                json_array_append_new(ps, port_json(p));
        json_object_set_new(reply, "ports", ps);
        json_object_set_new(reply, "tsc_hz", json_integer((json_int_t)tsc_hz));
        json_object_set_new(reply, "tx_lcore", json_integer(tx_lcore));
        json_object_set_new(reply, "rx_lcore", json_integer(rx_lcore));
        return 0;
}

/* ---- arguments and main ----------------------------------------------------------------------- */

static const struct agent_option gen_options[] = {
        LINK_AGENT_OPTIONS,
        { "tx-port", "N", 't', "the port it sends on (default 0)" },
        { "rx-port", "N", 'r', "the port it receives on (default 1)" },
        { "link-speed", "BPS", 'l', "the emulated link's speed in bit/s, for line rate (default 10000000000)" },
        { "mbufs", "N", 'n', "mbufs in the pool (default 16383)" },
        { "mbuf-size", "BYTES", 's', "mbuf data room in bytes, 128 to 65000 (default 2048)" },
        { "tx-queues", "N", 'q', "queues of the TX port, 1 to 8, sent on in turn a burst each (default 1); its device "
          "must have as many (queues=N)" },
        { "selftest", "SOCKET", 'S', "loop port 0 back through a virtio-user port on this vhost socket (the none NF)" },
};

static const struct agent_usage gen_usage = {
        .prog = "isolab-gen",
        .synopsis = "EAL-ARGS -- [options]",
        .summary = "The traffic generator: paced UDP streams of a given frame size and rate, every packet\n"
                   "stamped with the TSC and a sequence number; on receive, one-way latency into a\n"
                   "log-linear histogram, loss and reordering.  Started by isolab; speaks JSON lines.",
        .options = gen_options,
        .n_options = sizeof(gen_options) / sizeof(gen_options[0]),
};

static int parse_args(int argc, char **argv) {
        struct option longopts[sizeof(gen_options) / sizeof(gen_options[0]) + 1];
        agent_opts_getopt(&gen_usage, longopts);
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                int r = link_opts_parse(&opt.link, c, optarg, "isolab-gen");
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                if (c == 'S') {
                        opt.selftest = optarg;
                        continue;
                }
                uint64_t v = 0;
                if (c == '?' || !optarg || parse_u64(optarg, &v) < 0) {
                        fprintf(stderr, "isolab-gen: bad option or value; see isolab-gen --help\n");
                        return -EINVAL;
                }
                switch (c) {
                case 't': opt.tx_port = (unsigned)v; break;
                case 'r': opt.rx_port = (unsigned)v; break;
                case 'l': opt.link_bps = v; break;
                case 'n': opt.mbufs = (unsigned)v; break;
                case 's': opt.mbuf_size = (unsigned)v; break;
                case 'q': opt.tx_queues = (unsigned)v; break;
                }
        }
        if (link_opts_check(&opt.link, "isolab-gen") < 0)
                return -EINVAL;
        if (opt.link_bps < 1000000 || opt.mbufs < 1023 || opt.mbuf_size < 128 || opt.mbuf_size > 65000 || opt.tx_queues < 1 ||
            opt.tx_queues > 8) {
                fprintf(stderr, "isolab-gen: --link-speed is in bit/s (>= 1000000), --mbufs >= 1023, --mbuf-size 128..65000, "
                                "--tx-queues 1..8\n");
                return -EINVAL;
        }
        return 0;
}

static int gen_init(int argc, char **argv) {
        int r = agent_eal_init(argc, argv);
        if (r < 0)
                return r;
        argv[r] = argv[0];
        argc -= r;
        argv += r;
        if (parse_args(argc, argv) < 0)
                goto fail;
        tsc_clock_init(&clock_info, read_tsc, rte_get_tsc_hz());
        tsc_hz = clock_info.hz;
        ns_mult = (uint64_t)((1e9 * 4294967296.0) / (double)tsc_hz);
        char lerr[512];
        if (link_attach(&opt.link, true, lerr, sizeof(lerr)) < 0) {
                fprintf(stderr, "isolab-gen: %s\n", lerr);
                goto fail;
        }

        unsigned n_ports = rte_eth_dev_count_avail();
        if (opt.selftest) {
                /* Port 0 now, the loop-back port once port 0 listens (below). */
                opt.rx_port = 0;
                opt.tx_port = n_ports;
        }
        if ((opt.tx_port >= n_ports && !opt.selftest) || opt.rx_port >= n_ports) {
                fprintf(stderr, "isolab-gen: --tx-port %u / --rx-port %u, but there are %u ports (--vdev or -a)\n",
                        opt.tx_port, opt.rx_port, n_ports);
                goto fail;
        }
        unsigned l, n = 0;
        tx_lcore = rx_lcore = RTE_MAX_LCORE;
        RTE_LCORE_FOREACH_WORKER(l) {
                if (n == 0)
                        tx_lcore = rx_lcore = l;
                else if (n == 1)
                        rx_lcore = l;
                n++;
        }
        if (n == 0) {
                fprintf(stderr, "isolab-gen: no worker lcore: give EAL at least two lcores (-l MAIN,WORKER...)\n");
                goto fail;
        }
        pool = rte_pktmbuf_pool_create("isolab_gen", opt.mbufs, 256, 0, (uint16_t)(opt.mbuf_size + RTE_PKTMBUF_HEADROOM),
                                       rte_eth_dev_socket_id((uint16_t)(opt.selftest ? opt.rx_port : opt.tx_port)));
        if (!pool) {
                fprintf(stderr, "isolab-gen: cannot create a pool of %u mbufs: %s\n", opt.mbufs, rte_strerror(rte_errno));
                goto fail;
        }
        for (uint16_t p = 0; p < n_ports; p++) {
                char err[256];
                /* The TX port's queues in pairs: a virtio device enables the pairs configured. */
                uint16_t nq = (uint16_t)(p == opt.tx_port ? opt.tx_queues : 1);
                struct port_conf pc = { .nb_rxq = nq, .nb_txq = nq, .pool = pool, .nb_rxd = (uint16_t)opt.link.ring,
                                        .nb_txd = (uint16_t)opt.link.ring, .rx_timestamp = p == opt.rx_port };
                if (port_start(p, &pc, err, sizeof(err)) < 0) {
                        fprintf(stderr, "isolab-gen: %s\n", err);
                        goto fail;
                }
        }
        if (opt.selftest) {
                char devargs[512], err[256];
                link_virtio_devargs("_selftest", opt.selftest, 1, opt.link.ring, devargs, sizeof(devargs));
                r = rte_dev_probe(devargs);
                struct port_conf pc = { .nb_rxq = 1, .nb_txq = 1, .pool = pool, .nb_rxd = (uint16_t)opt.link.ring,
                                        .nb_txd = (uint16_t)opt.link.ring };
                if (r < 0 || rte_eth_dev_count_avail() != n_ports + 1) {
                        fprintf(stderr, "isolab-gen: --selftest %s: cannot attach a virtio-user port to it (%s); it must be "
                                        "port 0's vhost iface\n",
                                opt.selftest, rte_strerror(-r));
                        goto fail;
                }
                if (port_start((uint16_t)opt.tx_port, &pc, err, sizeof(err)) < 0) {
                        fprintf(stderr, "isolab-gen: %s\n", err);
                        goto fail;
                }
        }
        measure_skew();
        hwts_init();
        return 0;
fail:
        agent_eal_fini();
        return -EINVAL;
}

static void gen_fini(void) {
        uint16_t p;
        /* Stop every port before closing any: closing renumbers nothing, but it does
         * shrink the count of available ports. */
        RTE_ETH_FOREACH_DEV(p)
        rte_eth_dev_stop(p);
        RTE_ETH_FOREACH_DEV(p)
        rte_eth_dev_close(p);
        agent_eal_fini();
}

static const struct proto_cmd gen_cmds[] = {
        { PROTO_TRIAL, cmd_trial },
        { PROTO_STATS, cmd_stats },
        { PROTO_CONFIGURE, cmd_configure },
};

int main(int argc, char **argv) {
        int rc = agent_opts_early(argc, argv, &gen_usage);
        if (rc >= 0)
                return rc;
        struct agent a = {
                .role = "gen", .cmds = gen_cmds, .n_cmds = sizeof(gen_cmds) / sizeof(gen_cmds[0]),
                .init = gen_init, .fini = gen_fini, .runtime = agent_eal_version(), .hello_extra = gen_hello_extra,
        };
        return agent_main(&a, argc, argv);
}
