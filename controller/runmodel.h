/* runmodel — a run's results, read once: trials.jsonl grouped into the rows of each
 * table and the plot's series, and run.json's warnings.  isolab report renders it
 * through a table of {sweep, noisy, search} x {text, csv, json} renderers into a FILE
 * (report-sweep.c, report-noisy.c, report-search.c); isolab plot draws its series; the
 * sweep writes report.txt and report.csv from it.
 *
 * Each figure of a row is an accumulator over the row's trials (struct acc: count, sum,
 * sum of squares, min, max).  The mean is sum / n and the sample standard deviation
 * comes from the sum of squares, as the golden reports were made (a one-pass Welford
 * update would move their last digits); latency and poll-gap histograms are merged
 * bucket by bucket.  Rows and buckets grow as needed: no table is cut short. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agents/common/histo.h"
#include "base/diag.h"
#include "controller/resdir.h"

struct acc {
        unsigned n;
        double sum, sq, min, max; /* min and max: of the values added (0 before any) */
};

void acc_add(struct acc *a, double v);
double acc_mean(const struct acc *a);   /* NaN for none */
double acc_stdev(const struct acc *a);  /* 0 for fewer than 2 */

/* A row's figures into a JSON object: NaN (nothing measured) is null, as JSON has no NaN. */
struct named_num {
        const char *key;
        double v;
};
void json_set_nums(json_t *o, const struct named_num *nums, size_t n);

struct mrow;
/* A row's loss parts: JSON numbers "loss_<part>_pct" (null when no trial had it), and
 * CSV cells after a header's LOSS_PARTS_CSV_HEADER (empty when none). */
void json_set_loss_parts(json_t *o, const struct mrow *r);
#define LOSS_PARTS_CSV_HEADER \
        "loss_link_refused_pct,loss_nf_rx_missed_pct,loss_nf_tx_drops_pct,loss_gen_rx_missed_pct,loss_unseen_pct"
void csv_loss_parts(FILE *f, const struct mrow *r);

/* A histogram merged over trials: bucket lower bound -> count. */
struct kvhist {
        double *k, *v;
        size_t n, cap;
};

void kvhist_add(struct kvhist *h, double k, double v);
void kvhist_sort(struct kvhist *h);

/* A row's latency over its trials: their histograms merged bucket by bucket (a
 * percentile of the merged histogram, not a mean of the trials' percentiles), and the
 * packets those trials lost, for percentiles over every packet offered (a lost packet
 * counts as infinitely late). */
struct latency_merge {
        struct histo *h;          /* NULL until a trial with buckets */
        double lost;              /* packets the merged trials lost */
        unsigned trials, without; /* trials merged; trials without buckets (not merged) */
};
void lat_merge(struct latency_merge *l, json_t *trial);
struct mrow;
void add_burst(struct mrow *r, json_t *trial);
void add_threads(struct mrow *r, json_t *trial); /* nf.threads_cpu_ns over windows.sched_ns */
/* The p-th percentile of the packets delivered, ns (NaN with none); *at_max, when not
 * NULL, is set when its rank is the last sample (p99.99 of 5,000 samples is the max). */
double lat_delivered(const struct latency_merge *l, double p, bool *at_max);
/* The p-th percentile over the packets offered: INFINITY when its rank falls among the
 * lost ones; NaN with no samples. */
double lat_offered(const struct latency_merge *l, double p);
double lat_samples(const struct latency_merge *l);

/* A figure per repetition, to pair a row's trials with its baseline's. */
struct repv {
        unsigned *rep;
        double *v;
        size_t n, cap;
};
void repv_add(struct repv *r, unsigned rep, double v);
/* The pairs (base, r) of the repetitions both have, the first value of each, into x and y
 * (at most max); returns how many. */
size_t repv_pair(const struct repv *base, const struct repv *r, double *x, double *y, size_t max);

/* One row: the trials (or search results) of one group. */
/* Where the loss was counted (a trial's loss_parts, counters.h), in the order reported. */
enum loss_part { LP_LINK_REFUSED, LP_NF_RX_MISSED, LP_NF_TX_DROPS, LP_GEN_RX_MISSED, LP_UNSEEN, _LP_MAX };
extern const char *const loss_part_keys[_LP_MAX];

/* The NF's thread classes (counters.h thread_classes_ns), in the order reported. */
enum thread_cls { TC_PMD, TC_MAIN, TC_HANDLER, TC_REVALIDATOR, TC_URCU, TC_LCORE, TC_EAL, TC_OTHER, _TC_MAX };
extern const char *const thread_cls_keys[_TC_MAX];

struct mrow {
        /* the key */
        char nf[32], pinning[16], neighbour[48], placement[16], method[8], name[96];
        double quota, goal;
        long period_us, frame_size;
        long ring;                /* ring_size of the link, 0 for the driver's default */
        size_t order;             /* first seen */
        /* counts */
        unsigned n, errors, shortfall, not_converged, limited, trials;
        unsigned gen_stalled;     /* trials whose generator's TX loop stopped over 1 ms */
        unsigned results;         /* search results among n (the plot's series) */
        unsigned repeated;        /* search: lossy trials repeated (TST009) */
        unsigned zero_by_ring;    /* search: results of 0 that the ring explains (ring_bound) */
        struct acc ring_bound;    /* search: ring / mean throttle, pps */
        long ring_used;           /* search: the descriptors that bound was computed with */
        /* figures, per trial */
        struct acc mpps, offered, loss, min, p50, p99, p999, max, lat_sd, samples, throttled, share, stalls, stalled, gap,
                ctxsw, migr, nrate, pct;
        struct acc throttle_len;  /* mean throttle, us */
        struct acc throttled_ms;  /* the cgroup's throttled time per trial */
        struct acc thr_cpu[_TC_MAX]; /* the NF's threads' CPU time by class, share of the sched window (nf.threads_cpu_ns) */
        struct acc busy;          /* the NF's busy share of its polls (trials that count it from the inside) */
        /* OVS's own stall signal (nf.inside): iterations over 250 us per trial (pmd-perf-show),
         * and those it logged as suspicious: their time per trial and the longest, ms */
        struct acc ovs_long_it, ovs_logged_ms, ovs_longest_ms;
        struct acc lparts[_LP_MAX]; /* each loss part, % of the packets offered (trials that have it) */
        char unit[24];            /* the neighbour's rate unit */
        struct kvhist latency, gaps; /* the plot's series */
        struct latency_merge lat; /* the row's latency, merged */
        /* burst loss (result.burst): runs per trial, the longest run, and per window (the CFS
         * period) the packets lost and the time the NF was unreachable (mean over windows) */
        struct acc b_runs, b_longest, b_win_lost, b_win_unreach, b_longest_unreach, b_win_with;
        struct repv mpps_rep;     /* Mpps per repetition, for ratios paired with the baseline */
        struct repv p50_rep, p99_rep, loss_rep; /* per trial, for isolab compare */
        struct acc dur;           /* the trials' measured duration, s */
};

struct rowset {
        struct mrow *v;
        size_t n, cap;
        bool by_name;             /* rows are told apart by name alone (the series) */
};

/* A row is NF-limited when its NF had no idle polls to spare (busy in at least this share
 * of them), or when it lost at least NF_LIMITED_LOSS_PCT of what was offered: then it
 * delivered clearly less than it was given, and its rate is what it could do (a generator
 * with holes in its stream leaves a saturated NF idle polls in between).  Only then does
 * its rate say what the NF can do; a rate ratio to a baseline that is not NF-limited
 * measures the generator (isolab report prints "n/a" with the reason). */
#define NF_LIMITED_BUSY 0.95
#define NF_LIMITED_LOSS_PCT 5.0
/* 1: NF-limited, 0: not (the generator set the rate), -1: cannot tell (no inside counters). */
int row_nf_limited(const struct mrow *r);
/* Why a ratio to baseline b is not given, or NULL when it is. */
const char *row_baseline_na(const struct mrow *b, char *buf, size_t len);

enum model_table { TABLE_SWEEP, TABLE_NOISY, TABLE_SEARCH, _TABLE_MAX };
enum model_format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON, _FORMAT_MAX };

struct run_model {
        struct rowset table[_TABLE_MAX];
        struct rowset series;     /* the plot's */
        struct rowset latency_at; /* --latency-at: per point and % of its PDR (goal: the %) */
        bool neighbours;          /* a trial with a neighbour or unpinned: the noisy table */
        bool searches;            /* a line with a "kind" (a search's result): the searches' table */
        bool several_nf;          /* the sweep table names the NF per row */
        bool several_rings;       /* ... and the ring size */
        json_t *run;              /* run.json, or NULL */
        json_t *warnings;         /* run.json's, borrowed */
};

/* Reads trials (dir's trials.jsonl, opened by the caller with resdir_read) and rd's
 * run.json once.  check: every string is first held to what isolab writes (results.h),
 * for a consumer that puts them into a script.  Returns 0 or -errno with d set. */
int model_load(struct run_model *m, const struct resdir *rd, FILE *trials, const char *dir, bool check, struct diag *d);
void model_free(struct run_model *m);

/* Renders the run's tables in fmt into f: the searches' table, then the plain trials'
 * (sweep or noisy), as the run has them; JSON as one document. */
int model_render(FILE *f, const struct run_model *m, enum model_format fmt);

/* The renderers: JSON ones add their array to doc ("rows" or "searches"). */
typedef void (*model_renderer)(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
extern const model_renderer model_renderers[_TABLE_MAX][_FORMAT_MAX];
void report_sweep_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_sweep_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_sweep_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_noisy_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_noisy_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_noisy_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_search_text(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_search_csv(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
void report_search_json(FILE *f, const struct run_model *m, json_t *warnings, json_t *doc);
/* --latency-at's table (text) and array "latency_at" (JSON), after the searches'. */
void report_latency_at_text(FILE *f, const struct run_model *m);
/* report-study.c: the study's table for run.json's config.study (case1..3), or nothing. */
void report_study_text(FILE *f, const struct run_model *m);
json_t *report_study_json(const struct run_model *m);
void report_latency_at_json(const struct run_model *m, json_t *doc);

/* report-detail.c: intervals, merged latency, burst loss and the repetitions note, for the
 * sweep's and the noisy table's rows. */
struct interval;
/* The row's p-th latency percentile, ns: of its merged histogram, or (records without
 * one) the mean of its trials' (trials). */
double row_pct(const struct mrow *r, double p, const struct acc *trials);
void fmt_mean_ci(char *buf, size_t len, const struct acc *a, int prec); /* "m ± h" (95 %), "m" below 2 */
double acc_ci95(const struct acc *a);                                  /* half-width; NaN below 2 */
struct interval row_ratio(const struct mrow *base, const struct mrow *r); /* r/base, paired by repetition */
void fmt_ratio(char *buf, size_t len, const struct interval *iv, bool is_base); /* "0.72 [0.61,0.83]~" */
void row_label(const struct run_model *m, enum model_table t, const struct mrow *r, char *buf, size_t len);
void text_latency(FILE *f, const struct run_model *m, enum model_table t);
void text_burst(FILE *f, const struct run_model *m, enum model_table t);
void text_repetitions(FILE *f, const struct run_model *m, enum model_table t);
void json_detail(json_t *row, const struct mrow *r);
#define DETAIL_CSV_HEADER                                                                                          \
        ",lat_samples,lat_p50_us,lat_p99_us,lat_p99_9_us,lat_p99_99_us,all_p50_us,all_p90_us,all_p99_us,burst_runs,"  \
        "burst_longest_run,unreachable_per_window_ms"
void csv_detail(FILE *f, const struct mrow *r);

/* Writes the report in fmt as name in rd, replacing it whole. */
int model_write(const struct run_model *m, const struct resdir *rd, const char *name, enum model_format fmt,
                struct diag *d);

/* isolab plot's figures of m into rd/figures, gnuplot run there (verb-plot.c).  Returns
 * how many were drawn, or -errno (said). */
int plot_draw(const struct run_model *m, const struct resdir *rd, const char *fmt);
