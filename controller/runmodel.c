/* runmodel — a run's results, read once (runmodel.h). */
#include "controller/runmodel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "controller/results.h"
#include "controller/verbs.h"

static const char *str(json_t *o, const char *key, const char *dflt) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : dflt;
}

static bool same_key(const struct mrow *a, const struct mrow *b) {
        return a->quota == b->quota && a->goal == b->goal && a->period_us == b->period_us && a->frame_size == b->frame_size &&
               a->ring == b->ring && !strcmp(a->nf, b->nf) && !strcmp(a->pinning, b->pinning) && !strcmp(a->neighbour, b->neighbour) &&
               !strcmp(a->placement, b->placement) && !strcmp(a->method, b->method) && !strcmp(a->name, b->name);
}

static bool same_name(const struct mrow *a, const struct mrow *b) {
        return strcmp(a->name, b->name) == 0;
}

/* The row with key's key, made at the end when it is new; NULL when out of memory. */
static struct mrow *row_of(struct rowset *s, const struct mrow *key) {
        bool (*same)(const struct mrow *, const struct mrow *) = s->by_name ? same_name : same_key;
        for (size_t i = 0; i < s->n; i++)
                if (same(&s->v[i], key))
                        return &s->v[i];
        if (s->n == s->cap) {
                size_t cap = s->cap ? 2 * s->cap : 32;
                struct mrow *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return NULL;
                s->v = v;
                s->cap = cap;
        }
        struct mrow *r = &s->v[s->n];
        *r = *key;
        r->order = s->n++;
        return r;
}

/* A row's key from a trial line: what the table groups by, the rest left empty. */
static struct mrow key_of(json_t *t) {
        struct mrow k = { .quota = report_num(t, "quota"), .period_us = (long)report_num(t, "period_us"),
                          .frame_size = (long)report_num(t, "frame_size"),
                          .ring = json_is_integer(json_object_get(t, "ring_size")) ? (long)report_num(t, "ring_size") : 0 };
        return k;
}

/* The row of key k for trial t, counted: NULL (and its error counted) when t failed. */
static struct mrow *counted_row(struct rowset *s, const struct mrow *k, json_t *t) {
        struct mrow *r = row_of(s, k);
        if (!r)
                return NULL;
        if (report_trial_failed(t)) {
                r->errors++;
                return NULL;
        }
        r->n++;
        return r;
}

/* The NF under test, and where it ran when that was a container: "ovs-dpdk@docker". */
static void nf_label(json_t *t, char *buf, size_t len) {
        const char *ct = str(t, "container", "none");
        snprintf(buf, len, "%s%s%s", str(t, "nf_under_test", "isolab-nf"), strcmp(ct, "none") ? "@" : "", strcmp(ct, "none") ? ct : "");
}

/* A search's or --latency-at's neighbour: "name@placement", or "none". */
static void point_neighbour(json_t *t, struct mrow *k) {
        json_t *nb = json_object_get(t, "neighbour");
        if (json_is_object(nb))
                snprintf(k->neighbour, sizeof(k->neighbour), "%s@%s", str(nb, "name", "(null)"), str(nb, "placement", "(null)"));
        else
                snprintf(k->neighbour, sizeof(k->neighbour), "none");
}

/* Throttling as time: the record's share of the time the group was throttled, or, in a
 * record from before it had one, throttled time over the periods it ran in. */
static void add_throttling(struct mrow *r, json_t *t) {
        json_t *cg = json_object_get(t, "cgroup");
        double thr_us = report_num(cg, "throttled_us"), n = report_num(cg, "nr_throttled");
        double periods_us = report_num(cg, "nr_periods") * report_num(t, "period_us");
        if (json_is_number(json_object_get(cg, "throttled_time_pct")))
                acc_add(&r->throttled, report_num(cg, "throttled_time_pct"));
        else
                acc_add(&r->throttled, periods_us > 0 ? fmin(100, 100 * thr_us / periods_us) : 0);
        acc_add(&r->throttle_len, n > 0 ? thr_us / n : 0);
        acc_add(&r->throttled_ms, thr_us / 1e3);
}

/* The NF's busy share of its polls, when it counts them from the inside. */
static void add_busy(struct mrow *r, json_t *t) {
        if (report_num(t, "nf.busy_share") > 0)
                acc_add(&r->busy, report_num(t, "nf.busy_share"));
        json_t *ins = json_object_get(json_object_get(t, "nf"), "inside");
        if (json_is_object(json_object_get(ins, "perf"))) {
                acc_add(&r->ovs_long_it, report_num(ins, "perf.long_iterations"));
                if (json_is_object(json_object_get(ins, "suspicious"))) {
                        acc_add(&r->ovs_logged_ms, report_num(ins, "suspicious.logged_us") / 1e3);
                        acc_add(&r->ovs_longest_ms, report_num(ins, "suspicious.longest_us") / 1e3);
                }
        }
}

/* Each part of the loss as a share of what was offered, so the parts add up to loss %;
 * a part the NF does not count (testpmd's TX drops: null) is left out, not taken as 0. */
static void add_loss_parts(struct mrow *r, json_t *t) {
        json_t *lp = json_object_get(t, "loss_parts");
        double offered = report_num(t, "result.tx.offered");
        if (!json_is_object(lp) || !(offered > 0))
                return;
        for (int k = 0; k < _LP_MAX; k++) {
                json_t *v = json_object_get(lp, loss_part_keys[k]);
                if (json_is_number(v))
                        acc_add(&r->lparts[k], 100 * json_number_value(v) / offered);
        }
}

int row_nf_limited(const struct mrow *r) {
        /* A search's rate is the NF's unless the generator could not reach the rate where
         * loss began. */
        if (r->n && r->results == r->n)
                return r->limited == 0;
        if (r->n && r->loss.n == r->n && acc_mean(&r->loss) >= NF_LIMITED_LOSS_PCT)
                return 1;
        if (r->busy.n == 0 || r->busy.n < r->n)
                return -1;
        return acc_mean(&r->busy) >= NF_LIMITED_BUSY;
}

const char *row_baseline_na(const struct mrow *b, char *buf, size_t len) {
        switch (b ? row_nf_limited(b) : -2) {
        case 1:
                return NULL;
        case 0:
                if (b->results)
                        snprintf(buf, len, "generator-limited: the search at the baseline reached the generator's limit "
                                           "before the NF lost packets");
                else
                        snprintf(buf, len, "generator-limited: at the baseline the NF's PMDs polled empty queues %.0f %% of "
                                           "their time and lost %.2g %% (under %.0f %%), so the generator, not the NF, set its "
                                           "rate",
                                 100 * (1 - acc_mean(&b->busy)), acc_mean(&b->loss), NF_LIMITED_LOSS_PCT);
                return buf;
        case -1:
                snprintf(buf, len, "the NF (%s) does not count its idle polls, so whether it set the baseline's rate is not "
                                   "known", b->nf[0] ? b->nf : "this NF");
                return buf;
        default:
                snprintf(buf, len, "no baseline measured");
                return buf;
        }
}

/* The sweep's rows: per NF kind, period, frame size and quota. */
static void add_sweep(struct run_model *m, json_t *t) {
        struct mrow k = key_of(t);
        nf_label(t, k.nf, sizeof(k.nf));
        struct rowset *s = &m->table[TABLE_SWEEP];
        size_t had = s->n;
        struct mrow *r = row_of(s, &k);
        if (!r)
                return;
        if (s->n > had) {
                m->several_nf |= strcmp(r->nf, s->v[0].nf) != 0;
                m->several_rings |= r->ring != s->v[0].ring;
        }
        if (report_trial_failed(t)) {
                r->errors++;
                return;
        }
        r->n++;
        acc_add(&r->offered, report_num(t, "result.tx.offered_pps") / 1e6);
        json_t *tx = json_object_get(json_object_get(t, "result"), "tx");
        r->shortfall += json_is_true(json_object_get(tx, "generator_shortfall"));
        r->gen_stalled += json_is_true(json_object_get(tx, "stalled"));
        acc_add(&r->mpps, report_num(t, "result.mpps"));
        repv_add(&r->mpps_rep, (unsigned)report_num(t, "repetition"), report_num(t, "result.mpps"));
        acc_add(&r->loss, 100 * report_num(t, "result.loss.ratio"));
        add_loss_parts(r, t);
        lat_merge(&r->lat, t);
        add_burst(r, t);
        add_threads(r, t);
        acc_add(&r->dur, report_num(t, "result.duration"));
        acc_add(&r->p50, report_num(t, "result.latency.p50_ns"));
        acc_add(&r->p99, report_num(t, "result.latency.p99_ns"));
        acc_add(&r->lat_sd, report_num(t, "result.latency.stdev_ns"));
        acc_add(&r->max, report_num(t, "result.latency.max_ns"));
        add_throttling(r, t);
        acc_add(&r->share, report_num(t, "pmd.cpu_share"));
        add_busy(r, t);
}

/* The noisy rows (the study's Table 7): per quota, period, frame size, pinning and
 * neighbour (by its name: [noise.NAME], or the workload for --noise) and placement. */
static void add_noisy(struct run_model *m, json_t *t) {
        json_t *nb = json_object_get(t, "neighbour");
        struct mrow k = key_of(t);
        nf_label(t, k.nf, sizeof(k.nf));
        snprintf(k.pinning, sizeof(k.pinning), "%s", str(t, "pinning", "pinned"));
        snprintf(k.neighbour, sizeof(k.neighbour), "%.31s",
                 json_is_object(nb) ? str(nb, "name", str(nb, "workload", "?")) : "none");
        snprintf(k.placement, sizeof(k.placement), "%s", json_is_object(nb) ? str(nb, "placement", "?") : "-");
        struct mrow *r = counted_row(&m->table[TABLE_NOISY], &k, t);
        if (!r)
                return;
        acc_add(&r->mpps, report_num(t, "result.mpps"));
        acc_add(&r->offered, report_num(t, "result.tx.offered_pps") / 1e6);
        repv_add(&r->mpps_rep, (unsigned)report_num(t, "repetition"), report_num(t, "result.mpps"));
        repv_add(&r->p50_rep, (unsigned)report_num(t, "repetition"), report_num(t, "result.latency.p50_ns"));
        repv_add(&r->p99_rep, (unsigned)report_num(t, "repetition"), report_num(t, "result.latency.p99_ns"));
        repv_add(&r->loss_rep, (unsigned)report_num(t, "repetition"), 100 * report_num(t, "result.loss.ratio"));
        acc_add(&r->loss, 100 * report_num(t, "result.loss.ratio"));
        add_loss_parts(r, t);
        lat_merge(&r->lat, t);
        add_burst(r, t);
        acc_add(&r->dur, report_num(t, "result.duration"));
        acc_add(&r->min, report_num(t, "result.latency.min_ns"));
        acc_add(&r->p50, report_num(t, "result.latency.p50_ns"));
        acc_add(&r->p99, report_num(t, "result.latency.p99_ns"));
        acc_add(&r->p999, report_num(t, "result.latency.p99_9_ns"));
        acc_add(&r->max, report_num(t, "result.latency.max_ns"));
        acc_add(&r->lat_sd, report_num(t, "result.latency.stdev_ns"));
        acc_add(&r->samples, report_num(t, "result.latency.samples"));
        acc_add(&r->stalls, report_num(t, "nf.stalls"));
        acc_add(&r->stalled, report_num(t, "nf.stalled_pct"));
        acc_add(&r->gap, report_num(t, "nf.max_gap_ns"));
        acc_add(&r->ctxsw, report_num(t, "pmd.nonvoluntary_ctxt_switches"));
        acc_add(&r->migr, report_num(t, "nf.migrations"));
        add_busy(r, t);
        if (json_is_object(nb) && json_is_number(json_object_get(nb, "rate"))) {
                acc_add(&r->nrate, report_num(nb, "rate"));
                snprintf(r->unit, sizeof(r->unit), "%s", str(nb, "unit", ""));
        }
}

/* The searches' rows: per point, method and loss goal. */
static void add_search(struct run_model *m, json_t *t) {
        struct mrow k = key_of(t);
        k.goal = report_num(t, "loss_goal_pct");
        snprintf(k.method, sizeof(k.method), "%s", str(t, "method", ""));
        snprintf(k.pinning, sizeof(k.pinning), "%s", str(t, "pinning", "pinned"));
        point_neighbour(t, &k);
        struct mrow *r = row_of(&m->table[TABLE_SEARCH], &k);
        if (!r)
                return;
        r->n++;
        acc_add(&r->mpps, report_num(t, "found_mpps"));
        acc_add(&r->pct, report_num(t, "pct_of_line"));
        r->trials += (unsigned)report_num(t, "trials");
        r->not_converged += !json_is_true(json_object_get(t, "converged"));
        r->limited += json_is_true(json_object_get(t, "generator_limited"));
        r->repeated += (unsigned)report_num(t, "repeated");
        json_t *rb = json_object_get(t, "ring_bound");
        if (json_is_object(rb)) {
                acc_add(&r->ring_bound, report_num(rb, "bound_pps"));
                r->ring_used = (long)report_num(rb, "ring");
                r->zero_by_ring += json_is_true(json_object_get(rb, "explains_zero"));
        }
}

/* --latency-at's rows: per point (as the searches') and share of the PDR. */
static void add_latency_at(struct run_model *m, json_t *t) {
        json_t *la = json_object_get(t, "latency_at");
        struct mrow k = key_of(t);
        k.goal = report_num(la, "pct");
        snprintf(k.method, sizeof(k.method), "%s", str(la, "of", ""));
        nf_label(t, k.nf, sizeof(k.nf));
        snprintf(k.pinning, sizeof(k.pinning), "%s", str(t, "pinning", "pinned"));
        point_neighbour(t, &k);
        struct mrow *r = counted_row(&m->latency_at, &k, t);
        if (!r)
                return;
        acc_add(&r->offered, report_num(t, "result.tx.offered_pps") / 1e6);
        acc_add(&r->nrate, report_num(la, "of_pps") / 1e6);
        acc_add(&r->loss, 100 * report_num(t, "result.loss.ratio"));
        lat_merge(&r->lat, t);
}

/* The series a trial belongs to, as the report groups them. */
static void series_base(json_t *t, char *buf, size_t len) {
        json_t *nb = json_object_get(t, "neighbour");
        const char *pin = json_string_value(json_object_get(t, "pinning"));
        if (json_is_object(nb) || (pin && strcmp(pin, "unpinned") == 0)) {
                const char *name = json_string_value(json_object_get(nb, "name"));
                if (!name)
                        name = json_string_value(json_object_get(nb, "workload"));
                snprintf(buf, len, "%s, %s%s%s, %ld B", pin ? pin : "pinned", json_is_object(nb) ? name : "no neighbour",
                         json_is_object(nb) ? "@" : "",
                         json_is_object(nb) ? json_string_value(json_object_get(nb, "placement")) : "",
                         (long)report_num(t, "frame_size"));
        } else {
                snprintf(buf, len, "quota %g%%, %g ms, %ld B", report_num(t, "quota"), report_num(t, "period_us") / 1000,
                         (long)report_num(t, "frame_size"));
        }
        /* A run over several ring sizes has a series per size. */
        if (json_is_integer(json_object_get(t, "ring_size"))) {
                size_t used = strlen(buf);
                snprintf(buf + used, len - used, ", ring %lld", (long long)json_integer_value(json_object_get(t, "ring_size")));
        }
}

/* The plot's series: a search is its result line (the rate found, 0 when none passed)
 * plus, for the latency and gap figures, the trial at that rate; its series is named
 * after the method. */
static void add_series(struct run_model *m, json_t *t) {
        json_t *se = json_object_get(t, "search");
        bool result = report_str_is(json_object_get(t, "kind"), "search");
        if (report_trial_failed(t) || (json_object_get(t, "kind") && !result) ||
            (se && !json_is_true(json_object_get(se, "found_here"))))
                return;
        const char *method = result ? json_string_value(json_object_get(t, "method"))
                                    : se ? json_string_value(json_object_get(se, "method")) : NULL;
        char base[80];
        series_base(t, base, sizeof(base));
        const char *nfk = json_string_value(json_object_get(t, "nf_under_test"));
        bool other = nfk && strcmp(nfk, "isolab-nf");
        struct mrow k = { 0 };
        snprintf(k.name, sizeof(k.name), "%s%s%s%s%s", method ? method : "", method ? " " : "", other ? nfk : "",
                 other ? " " : "", base);
        struct rowset *s = &m->series;
        size_t had = s->n;
        struct mrow *r = row_of(s, &k);
        if (!r)
                return;
        if (s->n > had) {
                r->quota = report_num(t, "quota");
                r->period_us = (long)report_num(t, "period_us");
                r->frame_size = (long)report_num(t, "frame_size");
        }
        if (result || !se) {
                r->n++;
                acc_add(&r->mpps, result ? report_num(t, "found_mpps") : report_num(t, "result.mpps"));
                acc_add(&r->p99, report_num(t, "result.latency.p99_ns"));
                if (result) {
                        r->results++;
                        r->limited += json_is_true(json_object_get(t, "generator_limited"));
                } else {
                        /* The plot decides NF-limited by the table's rule (row_nf_limited). */
                        acc_add(&r->loss, 100 * report_num(t, "result.loss.ratio"));
                        add_busy(r, t);
                }
        }
        if (result)
                return;
        lat_merge(&r->lat, t);
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(json_object_get(json_object_get(t, "result"), "latency"), "buckets"), i, b)
                kvhist_add(&r->latency, json_number_value(json_array_get(b, 0)), json_number_value(json_array_get(b, 1)));
        json_array_foreach(json_object_get(json_object_get(t, "nf"), "poll_gaps"), i, b)
                kvhist_add(&r->gaps, json_number_value(json_array_get(b, 0)), json_number_value(json_array_get(b, 1)));
}

/* The sweep's order: per NF kind; longest period, smallest frame, highest quota first. */
static int cmp_sweep(const void *a, const void *b) {
        const struct mrow *x = a, *y = b;
        int c = strcmp(x->nf, y->nf);
        if (c)
                return c;
        if (x->ring != y->ring)
                return x->ring < y->ring ? -1 : 1;
        if (x->period_us != y->period_us)
                return x->period_us > y->period_us ? -1 : 1;
        if (x->frame_size != y->frame_size)
                return x->frame_size < y->frame_size ? -1 : 1;
        return x->quota > y->quota ? -1 : x->quota < y->quota;
}

/* Table 7's: highest quota first; pinned before unpinned; baselines first within each
 * pinning; neighbours in their order. */
static int cmp_noisy(const void *a, const void *b) {
        const struct mrow *x = a, *y = b;
        if (x->quota != y->quota)
                return x->quota > y->quota ? -1 : 1;
        if (x->period_us != y->period_us)
                return x->period_us > y->period_us ? -1 : 1;
        if (x->frame_size != y->frame_size)
                return x->frame_size < y->frame_size ? -1 : 1;
        int c = strcmp(x->pinning, y->pinning);
        if (c)
                return c;
        bool bx = strcmp(x->neighbour, "none") == 0, by = strcmp(y->neighbour, "none") == 0;
        if (bx != by)
                return bx ? -1 : 1;
        return x->order < y->order ? -1 : x->order > y->order;
}

static int read_run_json(struct run_model *m, const struct resdir *rd, const char *dir, bool check, struct diag *d) {
        struct diag rdd = { 0 };
        FILE *rf = resdir_read(rd, "run.json", &rdd);
        m->run = rf ? json_loadf(rf, 0, NULL) : NULL;
        if (rf)
                fclose(rf);
        m->warnings = json_object_get(m->run, "warnings");
        char path[600];
        snprintf(path, sizeof(path), "%.580s/run.json", dir);
        return check && m->run ? results_check_run(m->run, path, d) : 0;
}

int model_load(struct run_model *m, const struct resdir *rd, FILE *f, const char *dir, bool check, struct diag *d) {
        *m = (struct run_model){ .series.by_name = true };
        char path[600];
        snprintf(path, sizeof(path), "%.580s/trials.jsonl", dir);
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        while (getline(&line, &cap, f) > 0) {
                lineno++;
                _cleanup_(json_decrefp) json_t *t = json_loads(line, 0, NULL);
                if (!t) {
                        fprintf(stderr, "isolab: %s:%u is not a JSON line; skipped\n", path, lineno);
                        continue;
                }
                if (check && results_check_trial(t, path, lineno, d) < 0)
                        return d->err;
                if (json_object_get(t, "latency_at")) {
                        add_latency_at(m, t); /* --latency-at: not a sweep trial */
                        continue;
                }
                add_series(m, t);
                /* A search's trials (at the rates it tried) and results have a table of
                 * their own. */
                m->searches |= json_object_get(t, "kind") != NULL;
                if (json_object_get(t, "search") || json_object_get(t, "kind")) {
                        if (report_str_is(json_object_get(t, "kind"), "search"))
                                add_search(m, t);
                        continue;
                }
                m->neighbours |= json_is_object(json_object_get(t, "neighbour")) ||
                                 report_str_is(json_object_get(t, "pinning"), "unpinned");
                add_sweep(m, t);
                add_noisy(m, t);
        }
        /* qsort takes no NULL array, even empty (a run of searches only has no plain rows). */
        if (m->table[TABLE_SWEEP].n)
                qsort(m->table[TABLE_SWEEP].v, m->table[TABLE_SWEEP].n, sizeof(struct mrow), cmp_sweep);
        if (m->table[TABLE_NOISY].n)
                qsort(m->table[TABLE_NOISY].v, m->table[TABLE_NOISY].n, sizeof(struct mrow), cmp_noisy);
        return read_run_json(m, rd, dir, check, d);
}

static void rowset_free(struct rowset *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].latency.k);
                free(s->v[i].latency.v);
                free(s->v[i].gaps.k);
                free(s->v[i].gaps.v);
                free(s->v[i].lat.h);
                struct repv *reps[] = { &s->v[i].mpps_rep, &s->v[i].p50_rep, &s->v[i].p99_rep, &s->v[i].loss_rep };
                for (size_t k = 0; k < sizeof(reps) / sizeof(reps[0]); k++) {
                        free(reps[k]->rep);
                        free(reps[k]->v);
                }
        }
        free(s->v);
        *s = (struct rowset){ 0 };
}

void model_free(struct run_model *m) {
        for (int i = 0; i < _TABLE_MAX; i++)
                rowset_free(&m->table[i]);
        rowset_free(&m->series);
        rowset_free(&m->latency_at);
        json_decref(m->run);
        m->run = m->warnings = NULL;
}
