/* isolab-nf — the network function under test: an in-process DPDK L2 forwarder that
 * measures itself from the inside (DESIGN.md, "Processes").
 *
 * It reads top to bottom as its life, like DPDK's examples/l2fwd: tunables, per-lcore
 * state, the data path, argument parsing, the protocol commands, main.  Ports are paired
 * 0<->1, 2<->3, ...: what arrives on one leaves on the other, as plain io forwarding or,
 * with --mac-rewrite, l2fwd's MAC rewrite.  Each PMD lcore polls its RX queues (given by
 * --assign, like OVS pmd-rxq-affinity, or round robin) and owns one TX queue on every
 * port, so no queue is shared.  Full RX bursts go straight to the peer's TX queue; partial
 * ones are buffered, as in l2fwd, and leave when the buffer fills or at the drain timer.
 *
 * Metrics from the inside, per PMD lcore, written only by that lcore: packets, bursts,
 * loop iterations, busy and idle cycles, and a poll-gap histogram — the time between two
 * consecutive iterations.  A PMD thread never sleeps, so a gap of tens of microseconds is
 * the thread not running: preempted by another task, or throttled by a CFS quota.
 *
 * Links (link.h): --link vhost|memif --link-dir DIR attaches the NF as the client side of
 * --link-ports N ports (default 2) that the generator serves in DIR, each with
 * --link-queues queue pairs (at least the number of PMD lcores and --rxq); or the ports
 * come from EAL (--vdev, -a).
 *
 * Usage: isolab-nf EAL-ARGS -- [--link vhost|memif|pci] [--link-dir DIR] [--link-ports N]
 *                              [--link-queues N] [--mac-rewrite] [--rxq N] [--burst N]
 *                              [--drain-us N] [--mbufs N] [--assign PORT:QUEUE@LCORE,...] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "agents/common/agent.h"
#include "base/util.h"
#include "agents/common/eal.h"
#include "agents/common/link.h"
#include "agents/common/nfwork.h"
#include "agents/common/opts.h"
#include "agents/common/port.h"
#include "agents/common/tsc.h"

/* ---- tunables -------------------------------------------------------------------------- */

#define NF_MAX_RX_PER_LCORE 16
#define NF_MAX_PORTS 16
#define NF_GAP_BUCKETS 48      /* log2 of the gap in TSC cycles: up to 2^48 cycles (a day) */
#define NF_STALL_NS 10000      /* a poll gap above 10 us is a stall */

static struct {
        bool mac_rewrite;
        unsigned rxq;          /* RX queues per port */
        unsigned burst;
        unsigned drain_us;     /* TX buffer drain period, as in l2fwd */
        unsigned mbufs;
        const char *assign;
        struct nf_work work;   /* per-packet work (--work), none by default */
        struct link_opts link;
} opt = { .rxq = 1, .burst = 32, .drain_us = 100, .mbufs = 16383, .link = LINK_OPTS_DEFAULT };

/* ---- per-lcore state --------------------------------------------------------------------- */

/* Counters of one PMD lcore.  Written only by that lcore with relaxed atomic stores (on
 * x86 a plain store), read by the control thread as a snapshot without locks. */
struct nf_stats {
        uint64_t iterations;       /* loop iterations */
        uint64_t busy_iterations;  /* iterations that received packets */
        /* The lcore's time, partitioned: every gap from one iteration's start to the next
         * is a stall (over NF_STALL_NS, plus eight times what the packets it received cost
         * at the least: the lcore did not poll), else busy (the iteration received
         * packets) or idle.  busy + idle + stall = the time polled, so a throttle
         * inside an iteration is counted once, as a stall. */
        uint64_t busy_cycles;      /* TSC cycles of busy iterations */
        uint64_t idle_cycles;      /* ... of idle ones */
        uint64_t rx, tx, tx_drops; /* packets */
        uint64_t bursts;           /* non-empty RX bursts */
        uint64_t stalls;           /* poll gaps above NF_STALL_NS */
        uint64_t stall_cycles;     /* ... and their total length: time the lcore did not poll */
        /* The iteration in progress: when it began (0: the lcore is not polling), and the
         * gap beyond which it is surely a stall (NF_STALL_NS plus what a full burst may
         * explain).  A stats reply counts a stall in progress up to its own time, so a
         * throttle that spans a window's edge is split at the edge, never counted whole
         * in the window it ends in. */
        uint64_t iter_start;
        uint64_t stall_limit;
        uint64_t max_gap;          /* longest poll gap since the last reset_max, cycles */
        uint64_t max_gap_ever;     /* ... since the start */
        uint64_t migrations;       /* CPU changes seen (after a gap: a thread moves only while off CPU) */
        uint64_t gap[NF_GAP_BUCKETS]; /* poll gaps by log2(cycles) */
        int32_t cpu;               /* CPU the lcore last ran on */
        int32_t tid;               /* its thread id */
};

#define STAT_SET(s, f, v) __atomic_store_n(&(s)->f, (v), __ATOMIC_RELAXED)
#define STAT_ADD(s, f, n) STAT_SET(s, f, (s)->f + (n))

struct nf_lcore {
        unsigned n_rx;
        struct {
                uint16_t port, queue;
        } rx[NF_MAX_RX_PER_LCORE];
        uint16_t txq;                                     /* own TX queue on every port */
        struct rte_eth_dev_tx_buffer *txbuf[NF_MAX_PORTS];
        uint64_t unsent;                                  /* the buffers' drop counter */
        uint64_t *table;                                  /* --work: this lcore's table, on its node */
        uint64_t words, rng, sink;                        /* its size in words, a xorshift state, the reads' sum */
        struct nf_stats stats __rte_cache_aligned;
} __rte_cache_aligned;

static struct nf_lcore lcores[RTE_MAX_LCORE];
static unsigned n_ports;
static struct rte_ether_addr port_mac[NF_MAX_PORTS];
static struct rte_mempool *pool;
static volatile bool running;      /* PMD lcores loop while set */
static volatile uint32_t max_epoch; /* stats with reset_max bumps it; each lcore then restarts max_gap */
static uint64_t tsc_hz;
static struct tsc_clock clock_info;

static uint64_t read_tsc(void) {
        return rte_rdtsc();
}

/* hello: the clock the NF's cycles are turned into time with. */
static json_t *nf_hello_extra(void) {
        return json_pack("{s:o}", "tsc", tsc_clock_json(&clock_info));
}

/* ---- the data path ----------------------------------------------------------------------- */

static inline uint16_t peer(uint16_t port) {
        return port ^ 1;
}

static inline void mac_rewrite(struct rte_mbuf *m, uint16_t dst) {
        struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
        /* l2fwd: 02:00:00:00:00:<port> as destination, the port's own MAC as source. */
        uint64_t *d = (uint64_t *)&eth->dst_addr;
        *d = 0x000000000002ULL + ((uint64_t)dst << 40);
        rte_ether_addr_copy(&port_mac[dst], &eth->src_addr);
}

/* --work: a realistic NF's memory traffic per packet, as testpmd's noisy VNF mode does
 * (random reads and writes of 8-byte words in a table of the lcore's own). */
static inline uint64_t work_index(struct nf_lcore *lc) {
        uint64_t r = lc->rng;
        r ^= r >> 12, r ^= r << 25, r ^= r >> 27;
        lc->rng = r;
        return (uint64_t)(((unsigned __int128)(r * 0x2545F4914F6CDD1DULL) * lc->words) >> 64);
}

static inline void nf_work(struct nf_lcore *lc, unsigned n) {
        uint64_t *t = lc->table, sum = lc->sink;
        for (unsigned p = 0; p < n; p++) {
                for (unsigned k = 0; k < opt.work.reads; k++)
                        sum += t[work_index(lc)];
                for (unsigned k = 0; k < opt.work.writes; k++)
                        t[work_index(lc)] = sum + k;
        }
        lc->sink = sum;
}

static int pmd_loop(void *arg) {
        (void)arg;
        struct nf_lcore *lc = &lcores[rte_lcore_id()];
        struct nf_stats *s = &lc->stats;
        struct rte_mbuf *pkts[64];
        const unsigned burst = opt.burst;
        const uint64_t drain = (tsc_hz + 999999) / 1000000 * opt.drain_us;
        const uint64_t stall = tsc_hz / (1000000000 / NF_STALL_NS);
        uint32_t epoch = max_epoch;

        STAT_SET(s, tid, rte_sys_gettid());
        STAT_SET(s, cpu, sched_getcpu());
        uint64_t prev = rte_rdtsc(), last_drain = prev;
        uint64_t prev_n = 0;    /* packets the iteration that began at prev received */
        /* The lowest cost per packet seen (cycles): an iteration that received n packets
         * may take up to 8 times n of it beyond the stall threshold before it counts as a
         * stall, so an NF with real per-packet work (--work) is busy, not stalled, during a
         * long burst; the part of a stalled gap its packets explain is busy time. */
        uint64_t min_cpp = UINT64_MAX;
        STAT_SET(s, stall_limit, stall);
        STAT_SET(s, iter_start, prev);

        while (running) {
                uint64_t now = rte_rdtsc(), gap = now - prev;
                prev = now;
                unsigned b = gap ? 63u - (unsigned)__builtin_clzll(gap) : 0;
                STAT_ADD(s, gap[b < NF_GAP_BUCKETS ? b : NF_GAP_BUCKETS - 1], 1);
                if (unlikely(epoch != max_epoch)) {
                        epoch = max_epoch;
                        STAT_SET(s, max_gap, 0);
                }
                if (gap > s->max_gap)
                        STAT_SET(s, max_gap, gap);
                if (gap > s->max_gap_ever)
                        STAT_SET(s, max_gap_ever, gap);
                uint64_t work = 0;
                if (prev_n) {
                        if (gap / prev_n < min_cpp) {
                                min_cpp = gap / prev_n;
                                STAT_SET(s, stall_limit, stall + 8 * min_cpp * burst * lc->n_rx);
                        }
                        work = min_cpp * prev_n;
                }
                if (likely(gap <= stall + 8 * work)) {
                        if (prev_n)
                                STAT_ADD(s, busy_cycles, gap);
                        else
                                STAT_ADD(s, idle_cycles, gap);
                } else {
                        STAT_ADD(s, stalls, 1);
                        STAT_ADD(s, stall_cycles, gap - work);
                        if (work)
                                STAT_ADD(s, busy_cycles, work);
                        /* A thread moves only while off its CPU, which is a stall; a
                         * shorter move is still seen at the next drain (below). */
                        int c = sched_getcpu();
                        if (c != s->cpu) {
                                STAT_ADD(s, migrations, 1);
                                STAT_SET(s, cpu, c);
                        }
                }
                /* Published after the gap that ended here is counted: a reader that sees
                 * this start sees the time up to it in the counters. */
                __atomic_store_n(&s->iter_start, now, __ATOMIC_RELEASE);

                uint64_t sent = 0;
                if (now - last_drain > drain) {
                        for (unsigned p = 0; p < n_ports; p++)
                                sent += rte_eth_tx_buffer_flush(p, lc->txq, lc->txbuf[p]);
                        last_drain = now;
                        /* Where the thread runs, sampled at drain time too (rdtscp/rdpid, no
                         * system call): a move within a short gap is seen here. */
                        int c = sched_getcpu();
                        if (c != s->cpu) {
                                STAT_ADD(s, migrations, 1);
                                STAT_SET(s, cpu, c);
                        }
                }

                uint64_t got = 0;
                for (unsigned i = 0; i < lc->n_rx; i++) {
                        uint16_t port = lc->rx[i].port, dst = peer(port);
                        uint16_t n = rte_eth_rx_burst(port, lc->rx[i].queue, pkts, burst);
                        if (n == 0)
                                continue;
                        got += n;
                        STAT_ADD(s, bursts, 1);
                        if (lc->table)
                                nf_work(lc, n);
                        if (opt.mac_rewrite)
                                for (uint16_t k = 0; k < n; k++)
                                        mac_rewrite(pkts[k], dst);
                        /* A full burst needs no aggregation: send it as it is (testpmd io
                         * does the same).  Partial bursts are buffered, as in l2fwd, and go
                         * out when the buffer fills or at the drain timer. */
                        if (n == burst && lc->txbuf[dst]->length == 0) {
                                uint16_t ok = rte_eth_tx_burst(dst, lc->txq, pkts, n);
                                sent += ok;
                                if (ok < n) {
                                        lc->unsent += n - ok;
                                        rte_pktmbuf_free_bulk(pkts + ok, n - ok);
                                }
                                continue;
                        }
                        for (uint16_t k = 0; k < n; k++)
                                sent += rte_eth_tx_buffer(dst, lc->txq, lc->txbuf[dst], pkts[k]);
                }
                STAT_ADD(s, iterations, 1);
                prev_n = got;
                if (got) {
                        STAT_ADD(s, busy_iterations, 1);
                        STAT_ADD(s, rx, got);
                }
                if (sent)
                        STAT_ADD(s, tx, sent);
                if (lc->unsent != s->tx_drops)
                        STAT_SET(s, tx_drops, lc->unsent);
        }
        STAT_SET(s, iter_start, 0);
        for (unsigned p = 0; p < n_ports; p++)
                STAT_ADD(s, tx, rte_eth_tx_buffer_flush(p, lc->txq, lc->txbuf[p]));
        STAT_SET(s, tx_drops, lc->unsent);
        return 0;
}

/* ---- argument parsing and checks ----------------------------------------------------------- */

static int parse_uint(const char *name, const char *v, unsigned lo, unsigned hi, unsigned *ret) {
        uint64_t x;
        if (parse_u64(v, &x) < 0 || x < lo || x > hi) {
                fprintf(stderr, "isolab-nf: --%s %s: expected a number from %u to %u\n", name, v, lo, hi);
                return -EINVAL;
        }
        *ret = (unsigned)x;
        return 0;
}

static const struct agent_option nf_options[] = {
        LINK_AGENT_OPTIONS,
        { "mac-rewrite", NULL, 'm', "rewrite source and destination MAC as l2fwd does (default: plain io forwarding)" },
        { "rxq", "N", 'q', "RX queues per port (default 1)" },
        { "burst", "N", 'b', "RX/TX burst size, 1 to 64 (default 32)" },
        { "drain-us", "N", 'd', "flush partial TX buffers every N microseconds, as l2fwd (default 100)" },
        { "mbufs", "N", 'n', "mbufs in the pool (default 16383)" },
        { "assign", "PORT:QUEUE@LCORE,...", 'a', "which PMD lcore polls which RX queue (default: round robin)" },
        { "work", "reads=N,writes=N,table=SIZE", 'w',
          "per-packet work: N random reads and writes in a table of SIZE per PMD lcore, as testpmd's noisy VNF (default none)" },
};

static const struct agent_usage nf_usage = {
        .prog = "isolab-nf",
        .synopsis = "EAL-ARGS -- [options]",
        .summary = "The network function under test: a DPDK L2 forwarder (ports paired 0<->1, 2<->3, ...) on\n"
                   "its PMD lcores, measuring itself from the inside (busy/idle cycles, poll gaps, stalls).\n"
                   "Started by isolab; speaks JSON lines on stdin/stdout.",
        .options = nf_options,
        .n_options = sizeof(nf_options) / sizeof(nf_options[0]),
};

static int parse_args(int argc, char **argv) {
        struct option longopts[sizeof(nf_options) / sizeof(nf_options[0]) + 1];
        agent_opts_getopt(&nf_usage, longopts);
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                int r = link_opts_parse(&opt.link, c, optarg, "isolab-nf");
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                switch (c) {
                case 'm': opt.mac_rewrite = true; break;
                case 'q': r = parse_uint("rxq", optarg, 1, NF_MAX_RX_PER_LCORE, &opt.rxq); break;
                case 'b': r = parse_uint("burst", optarg, 1, 64, &opt.burst); break;
                case 'd': r = parse_uint("drain-us", optarg, 1, 1000000, &opt.drain_us); break;
                case 'n': r = parse_uint("mbufs", optarg, 1023, 4194303, &opt.mbufs); break;
                case 'a': opt.assign = optarg; break;
                case 'w': {
                        char err[256];
                        if ((r = nf_work_parse("work", optarg, &opt.work, err, sizeof(err))) < 0)
                                fprintf(stderr, "isolab-nf: %s\n", err);
                        break;
                }
                default:
                        fprintf(stderr, "isolab-nf: unknown option; see isolab-nf --help\n");
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return link_opts_check(&opt.link, "isolab-nf");
}

static int add_rx(unsigned lcore, unsigned port, unsigned queue) {
        struct nf_lcore *lc = &lcores[lcore];
        if (lc->n_rx == NF_MAX_RX_PER_LCORE)
                return -ENOSPC;
        lc->rx[lc->n_rx].port = (uint16_t)port;
        lc->rx[lc->n_rx].queue = (uint16_t)queue;
        lc->n_rx++;
        return 0;
}

/* --assign P:Q@L,... or, without it, every (port, queue) round robin over the workers. */
static int assign_queues(void) {
        unsigned workers[RTE_MAX_LCORE], n_workers = 0, l;
        RTE_LCORE_FOREACH_WORKER(l) workers[n_workers++] = l;
        if (n_workers == 0) {
                fprintf(stderr, "isolab-nf: no PMD lcore: give EAL at least two lcores (-l MAIN,PMD...)\n");
                return -EINVAL;
        }
        for (unsigned w = 0; w < n_workers; w++)
                lcores[workers[w]].txq = (uint16_t)w;
        if (!opt.assign) {
                unsigned k = 0;
                for (unsigned q = 0; q < opt.rxq; q++)
                        for (unsigned p = 0; p < n_ports; p++)
                                if (add_rx(workers[k++ % n_workers], p, q) < 0)
                                        return -ENOSPC;
                return (int)n_workers;
        }
        char *copy = strdup(opt.assign), *save = NULL;
        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                unsigned p, q, lc;
                int used = 0;
                if (sscanf(w, "%u:%u@%u%n", &p, &q, &lc, &used) != 3 || w[used] || p >= n_ports || q >= opt.rxq ||
                    lc >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lc) || lc == rte_get_main_lcore()) {
                        fprintf(stderr,
                                "isolab-nf: --assign %s: expected PORT:QUEUE@LCORE with a port below %u, a queue below %u "
                                "and a worker lcore\n",
                                w, n_ports, opt.rxq);
                        free(copy);
                        return -EINVAL;
                }
                add_rx(lc, p, q);
        }
        free(copy);
        return (int)n_workers;
}

/* ---- protocol commands ------------------------------------------------------------------- */

static json_t *lcore_json(unsigned l) {
        const struct nf_stats *s = &lcores[l].stats;
#define LD(f) ((json_int_t)__atomic_load_n(&s->f, __ATOMIC_RELAXED))
        uint64_t busy = (uint64_t)LD(busy_cycles), idle = (uint64_t)LD(idle_cycles), stall_cycles, pending = 0;
        /* The stall counters and the iteration in progress as one snapshot: read again
         * when the lcore began another iteration in between. */
        for (int tries = 0; tries < 100; tries++) {
                uint64_t start = __atomic_load_n(&s->iter_start, __ATOMIC_ACQUIRE);
                stall_cycles = (uint64_t)LD(stall_cycles);
                uint64_t now = rte_rdtsc(), lim = (uint64_t)LD(stall_limit);
                pending = start && now > start && now - start > lim ? now - start : 0;
                if (__atomic_load_n(&s->iter_start, __ATOMIC_ACQUIRE) == start)
                        break;
                pending = 0;
        }
        json_t *gaps = json_array();
        for (unsigned b = 0; b < NF_GAP_BUCKETS; b++) {
                uint64_t n = (uint64_t)LD(gap[b]);
                if (n)
                        json_array_append_new(gaps, json_pack("{s:f, s:I}", "ge_ns", (double)(1ULL << b) * 1e9 / (double)tsc_hz,
                                                              "count", (json_int_t)n));
        }
        json_t *rx = json_array();
        for (unsigned i = 0; i < lcores[l].n_rx; i++)
                json_array_append_new(rx, json_pack("{s:i, s:i}", "port", lcores[l].rx[i].port, "queue", lcores[l].rx[i].queue));
        json_t *o = json_pack("{s:i, s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:f, s:f, s:I, s:I, s:o}",
                         "lcore", l,
                         "tid", (int)LD(tid), "cpu", (int)LD(cpu), "rxq", rx, "rx", LD(rx), "tx", LD(tx), "tx_drops",
                         LD(tx_drops), "bursts", LD(bursts), "iterations", LD(iterations), "busy_iterations",
                         LD(busy_iterations), "busy_cycles", (json_int_t)busy, "idle_cycles", (json_int_t)idle,
                         "busy_share", busy + idle ? (double)busy / (double)(busy + idle) : 0.0, "stalls", LD(stalls),
                         "max_gap_ns", (double)LD(max_gap) * 1e9 / (double)tsc_hz, "max_gap_ns_ever",
                         (double)LD(max_gap_ever) * 1e9 / (double)tsc_hz, "stall_ns",
                         (json_int_t)((double)(stall_cycles + pending) * 1e9 / (double)tsc_hz), "migrations", LD(migrations),
                         "poll_gaps", gaps);
        json_object_set_new(o, "busy_ns", json_integer((json_int_t)((double)busy * 1e9 / (double)tsc_hz)));
        json_object_set_new(o, "idle_ns", json_integer((json_int_t)((double)idle * 1e9 / (double)tsc_hz)));
        /* Of stall_ns, the stall still in progress at this reply (the lcore has not polled
         * since): counted up to now, its rest in the next window. */
        json_object_set_new(o, "stall_in_progress_ns", json_integer((json_int_t)((double)pending * 1e9 / (double)tsc_hz)));
        return o;
#undef LD
}

static json_t *config_json(void) {
        return json_pack("{s:b, s:i, s:i, s:i, s:{s:i, s:i, s:I}}", "mac_rewrite", opt.mac_rewrite, "burst", opt.burst,
                         "drain_us", opt.drain_us, "rxq", opt.rxq, "work", "reads", opt.work.reads, "writes", opt.work.writes,
                         "table", (json_int_t)opt.work.table);
}

/* {"cmd": "stats", "reset_max": true} also starts a new window for max_gap_ns (the
 * lcores see it at their next iteration): the controller asks so before each trial. */
static int cmd_stats(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)ret_error, (void)userdata;
        json_t *ls = json_array(), *ps = json_array();
        unsigned l;
        RTE_LCORE_FOREACH_WORKER(l) json_array_append_new(ls, lcore_json(l));
        if (json_is_true(json_object_get(req, PROTO_RESET_MAX)))
                max_epoch++;
        for (unsigned p = 0; p < n_ports; p++)
                json_array_append_new(ps, port_json((uint16_t)p));
        json_object_set_new(reply, "running", json_boolean(running));
        json_object_set_new(reply, "config", config_json());
        json_object_set_new(reply, "tsc_hz", json_integer((json_int_t)tsc_hz));
        json_object_set_new(reply, "lcores", ls);
        json_object_set_new(reply, "ports", ps);
        return 0;
}

static void launch(void) {
        running = true;
        rte_eal_mp_remote_launch(pmd_loop, NULL, SKIP_MAIN);
}

static void halt(void) {
        running = false;
        agent_wait_workers();
}

static int cmd_start(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)reply, (void)ret_error, (void)userdata;
        if (!running)
                launch();
        return 0;
}

static int cmd_stop(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)reply, (void)ret_error, (void)userdata;
        if (running)
                halt();
        return 0;
}

/* configure {mac_rewrite, burst, drain_us}: the forwarding knobs that need no port
 * restart.  The PMD lcores read them in their loop, so they are changed with the lcores
 * stopped, and restarted if they were running. */
static int cmd_configure(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)userdata;
        json_t *mr = json_object_get(req, "mac_rewrite"), *b = json_object_get(req, "burst"),
               *d = json_object_get(req, "drain_us");
        if ((mr && !json_is_boolean(mr)) || (b && (!json_is_integer(b) || json_integer_value(b) < 1 || json_integer_value(b) > 64)) ||
            (d && (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 1000000))) {
                *ret_error = strdup("configure: mac_rewrite is true or false, burst 1..64, drain_us 1..1000000");
                return -EINVAL;
        }
        bool was = running;
        if (was)
                halt();
        if (mr)
                opt.mac_rewrite = json_is_true(mr);
        if (b) {
                opt.burst = (unsigned)json_integer_value(b);
                /* The TX buffers flush at their size: keep it equal to the burst. */
                unsigned l;
                RTE_LCORE_FOREACH_WORKER(l) for (unsigned p = 0; p < n_ports; p++) {
                        rte_eth_tx_buffer_flush((uint16_t)p, lcores[l].txq, lcores[l].txbuf[p]);
                        lcores[l].txbuf[p]->size = (uint16_t)opt.burst;
                }
        }
        if (d)
                opt.drain_us = (unsigned)json_integer_value(d);
        if (was)
                launch();
        json_object_set_new(reply, "config", config_json());
        return 0;
}

/* Where the NF really runs: the controller compares it with the plan. */
static json_t *placement_json(void) {
        json_t *ports = json_array(), *pmds = json_array();
        for (unsigned p = 0; p < n_ports; p++)
                json_array_append_new(ports, json_pack("{s:i, s:i}", "port", p, "socket", rte_eth_dev_socket_id((uint16_t)p)));
        unsigned l;
        RTE_LCORE_FOREACH_WORKER(l) json_array_append_new(pmds, json_pack("{s:i, s:i, s:i}", "lcore", l, "tid",
                                                                             lcores[l].stats.tid, "cpu",
                                                                             lcores[l].stats.cpu));
        return json_pack("{s:i, s:o, s:o, s:b}", "mempool_socket", pool->socket_id, "ports", ports, "pmd", pmds,
                         "mac_rewrite", opt.mac_rewrite);
}

static int cmd_placement(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)ret_error, (void)userdata;
        json_object_update_new(reply, placement_json());
        return 0;
}

/* /isolab/nf/stats for dpdk-telemetry.py: totals over the PMD lcores. */
static int telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d) {
        (void)cmd, (void)params;
        uint64_t rx = 0, tx = 0, drops = 0, stalls = 0, busy = 0, idle = 0;
        unsigned l;
        RTE_LCORE_FOREACH_WORKER(l) {
                const struct nf_stats *s = &lcores[l].stats;
                rx += __atomic_load_n(&s->rx, __ATOMIC_RELAXED);
                tx += __atomic_load_n(&s->tx, __ATOMIC_RELAXED);
                drops += __atomic_load_n(&s->tx_drops, __ATOMIC_RELAXED);
                stalls += __atomic_load_n(&s->stalls, __ATOMIC_RELAXED);
                busy += __atomic_load_n(&s->busy_cycles, __ATOMIC_RELAXED);
                idle += __atomic_load_n(&s->idle_cycles, __ATOMIC_RELAXED);
        }
        rte_tel_data_start_dict(d);
        rte_tel_data_add_dict_u64(d, "rx", rx);
        rte_tel_data_add_dict_u64(d, "tx", tx);
        rte_tel_data_add_dict_u64(d, "tx_drops", drops);
        rte_tel_data_add_dict_u64(d, "stalls", stalls);
        rte_tel_data_add_dict_u64(d, "busy_cycles", busy);
        rte_tel_data_add_dict_u64(d, "idle_cycles", idle);
        return 0;
}

/* ---- main ------------------------------------------------------------------------------------ */

static int nf_init(int argc, char **argv) {
        int r = agent_eal_init(argc, argv);
        if (r < 0)
                return r;
        /* EAL consumed r arguments; ours follow, with argv[0] kept for getopt. */
        argv[r] = argv[0];
        argc -= r;
        argv += r;
        if (parse_args(argc, argv) < 0)
                goto fail;
        tsc_clock_init(&clock_info, read_tsc, rte_get_tsc_hz());
        tsc_hz = clock_info.hz;
        char lerr[512];
        if (link_attach(&opt.link, false, lerr, sizeof(lerr)) < 0) {
                fprintf(stderr, "isolab-nf: %s\n", lerr);
                goto fail;
        }

        n_ports = rte_eth_dev_count_avail();
        if (n_ports == 0 || n_ports % 2 || n_ports > NF_MAX_PORTS) {
                fprintf(stderr,
                        "isolab-nf: %u ports; the NF forwards between port pairs and needs an even number up to %u "
                        "(--vdev or -a)\n",
                        n_ports, NF_MAX_PORTS);
                goto fail;
        }
        int n_workers = assign_queues();
        if (n_workers < 0)
                goto fail;
        /* mbufs live where the first port is: a PMD on another node is a placement
         * mistake the report shows (port and mempool sockets), not one the NF hides. */
        pool = port_pool("isolab_nf", opt.mbufs, rte_eth_dev_socket_id(0));
        if (!pool) {
                fprintf(stderr, "isolab-nf: cannot create a pool of %u mbufs: %s\n", opt.mbufs, rte_strerror(rte_errno));
                goto fail;
        }
        for (unsigned p = 0; p < n_ports; p++) {
                char err[256];
                /* The descriptors follow --link-ring: virtio fills min(ring, nb_rxd) of its RX
                 * ring, so with the default 1024 a ring of 4096 would hold 1024 packets. */
                struct port_conf pc = { .nb_rxq = (uint16_t)opt.rxq, .nb_txq = (uint16_t)n_workers, .pool = pool,
                                        .nb_rxd = (uint16_t)opt.link.ring, .nb_txd = (uint16_t)opt.link.ring };
                if (port_start((uint16_t)p, &pc, err, sizeof(err)) < 0) {
                        fprintf(stderr, "isolab-nf: %s\n", err);
                        goto fail;
                }
                rte_eth_macaddr_get((uint16_t)p, &port_mac[p]);
        }
        unsigned l;
        RTE_LCORE_FOREACH_WORKER(l) {
                for (unsigned p = 0; p < n_ports; p++) {
                        struct rte_eth_dev_tx_buffer *b =
                                rte_zmalloc_socket("txbuf", RTE_ETH_TX_BUFFER_SIZE(64), 0, rte_lcore_to_socket_id(l));
                        if (!b) {
                                fprintf(stderr, "isolab-nf: out of memory for TX buffers\n");
                                goto fail;
                        }
                        rte_eth_tx_buffer_init(b, (uint16_t)opt.burst);
                        rte_eth_tx_buffer_set_err_callback(b, rte_eth_tx_buffer_count_callback, &lcores[l].unsent);
                        lcores[l].txbuf[p] = b;
                }
                if (opt.work.table) {
                        lcores[l].words = opt.work.table / sizeof(uint64_t);
                        lcores[l].rng = 0x9E3779B97F4A7C15ULL * (l + 1);
                        lcores[l].table = rte_zmalloc_socket("work", opt.work.table, RTE_CACHE_LINE_SIZE, rte_lcore_to_socket_id(l));
                        if (!lcores[l].table) {
                                fprintf(stderr, "isolab-nf: --work: cannot allocate a table of %" PRIu64 " bytes on node %u\n",
                                        opt.work.table, rte_lcore_to_socket_id(l));
                                goto fail;
                        }
                }
        }
        rte_telemetry_register_cmd("/isolab/nf/stats", telemetry_stats, "isolab-nf PMD totals: rx, tx, drops, stalls, cycles");
        launch();
        return 0;
fail:
        agent_eal_fini();
        return -EINVAL;
}

static void nf_fini(void) {
        if (running)
                halt();
        for (unsigned p = 0; p < n_ports; p++) {
                rte_eth_dev_stop((uint16_t)p);
                rte_eth_dev_close((uint16_t)p);
        }
        agent_eal_fini();
}


static const struct proto_cmd nf_cmds[] = {
        { PROTO_STATS, cmd_stats },
        { PROTO_START, cmd_start },
        { PROTO_STOP, cmd_stop },
        { PROTO_PLACEMENT, cmd_placement },
        { PROTO_CONFIGURE, cmd_configure },
};

int main(int argc, char **argv) {
        int rc = agent_opts_early(argc, argv, &nf_usage);
        if (rc >= 0)
                return rc;
        struct agent a = {
                .role = "nf", .cmds = nf_cmds, .n_cmds = sizeof(nf_cmds) / sizeof(nf_cmds[0]),
                .init = nf_init, .fini = nf_fini, .runtime = agent_eal_version(), .hello_extra = nf_hello_extra,
        };
        return agent_main(&a, argc, argv);
}
