/* isolab report DIR — the study's Tables 5 and 6 as one table, from trials.jsonl.
 *
 * One row per (period, frame size, quota): the offered rate (what the generator really
 * sent: loss is relative to it; a row where the generator could not keep to the
 * requested rate is marked), forwarded Mpps mean and standard deviation
 * over the repetitions, loss, latency (mean of the trials' p50 and p99, the worst max,
 * mean stdev), the NF cgroup's throttled share of periods, the PMD threads' achieved CPU
 * share, and the proportional-scaling column: rate at this quota / rate at 100 % (the
 * study's question: does an NF at q % of a CPU forward q % of the packets?).  Renders
 * text, CSV or JSON from one model. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/resdir.h"
#include "controller/verbs.h"
#include "base/util.h"

struct report_opts {
        const char *format;
};

static const struct cli_option report_options[] = {
        { "format", "FMT", "text (default), csv or json", cli_parse_string, offsetof(struct report_opts, format), NULL },
};

struct row {
        char nf[16];            /* the NF under test: isolab-nf, testpmd, none */
        double quota;
        long period_us;
        long frame_size;
        unsigned n, errors, shortfall;
        double offered_sum, mpps_sum, mpps_sq, loss_sum, p50_sum, p99_sum, max_ns, stdev_sum, thr_sum, share_sum;
};

double report_num(json_t *o, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        json_t *v = o;
        for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
                v = json_object_get(v, k);
        return json_number_value(v);
}

static int cmp_rows(const void *a, const void *b) {
        const struct row *x = a, *y = b;
        int c = strcmp(x->nf, y->nf);
        if (c)
                return c;
        if (x->period_us != y->period_us)
                return x->period_us > y->period_us ? -1 : 1;
        if (x->frame_size != y->frame_size)
                return x->frame_size < y->frame_size ? -1 : 1;
        return x->quota > y->quota ? -1 : x->quota < y->quota;
}

static double mean(double sum, unsigned n) {
        return n ? sum / n : NAN;
}

bool report_trial_failed(json_t *t) {
        return json_object_get(t, "error") || json_object_get(t, "invalid");
}

bool report_str_is(json_t *v, const char *s) {
        return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

double report_stdev(double sum, double sq, unsigned n) {
        if (n < 2)
                return 0;
        double m = sum / n, v = (sq - n * m * m) / (n - 1);
        return v > 0 ? sqrt(v) : 0;
}

static double stdev(const struct row *r) {
        return report_stdev(r->mpps_sum, r->mpps_sq, r->n);
}

/* The row at 100 % with the same period and frame size, for the proportional column. */
static const struct row *full(const struct row *rows, size_t n, const struct row *r) {
        for (size_t i = 0; i < n; i++)
                if (rows[i].quota == 100 && rows[i].period_us == r->period_us && rows[i].frame_size == r->frame_size &&
                    rows[i].n && strcmp(rows[i].nf, r->nf) == 0)
                        return &rows[i];
        return NULL;
}

static int report_sweep(const struct row *rows, size_t nrows, bool several_nf, const char *fmt, json_t *warnings);

static int report_run(int argc, char **argv) {
        struct report_opts o = { 0 };
        int optind_;
        bool help;
        struct diag d = { 0 };
        if (cli_parse(argc, argv, report_options, ELEMENTSOF(report_options), &o, &optind_, &help, &d) < 0) {
                report_error(&d, -EINVAL);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(stdout, &verb_report);
                return 0;
        }
        if (optind_ != argc - 1) {
                fprintf(stderr, "isolab: report takes one results directory, e.g. isolab report results/sweep-...\n");
                return EXIT_USAGE;
        }
        const char *fmt = o.format ? o.format : "text";
        if (strcmp(fmt, "text") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
                fprintf(stderr, "isolab: --format %s: use text, csv or json\n", fmt);
                return EXIT_USAGE;
        }
        /* Read without following a planted symlink (resdir.h): as root, a trials.jsonl
         * pointing at another file would print that file's lines in our errors. */
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        int ro = resdir_open(argv[optind_], RESDIR_RENDER, "report", &rd, &d);
        _cleanup_fclose_ FILE *f = ro < 0 ? NULL : resdir_read(&rd, "trials.jsonl", &d);
        if (!f) {
                fprintf(stderr, "isolab: %s; give a directory made by isolab sweep\n", d.msg);
                return EXIT_USAGE;
        }
        char path[600];
        snprintf(path, sizeof(path), "%.580s/trials.jsonl", argv[optind_]);
        struct row rows[256];
        size_t nrows = 0;
        bool neighbours = false; /* then it is Table 7 (report-noisy.c) */
        bool searches = false;   /* NDR/PDR results: report_search() */
        bool several_nf = false; /* the baseline: isolab-nf, testpmd and none side by side */
        unsigned lineno = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                lineno++;
                json_t *t = json_loads(line, 0, NULL);
                if (!t) {
                        fprintf(stderr, "isolab: %s:%u is not a JSON line; skipped\n", path, lineno);
                        continue;
                }
                /* A search's trials (at the rates it tried) and results have a table of
                 * their own. */
                if (json_object_get(t, "search") || json_object_get(t, "kind")) {
                        searches |= json_object_get(t, "kind") != NULL;
                        json_decref(t);
                        continue;
                }
                neighbours |= json_is_object(json_object_get(t, "neighbour")) ||
                              report_str_is(json_object_get(t, "pinning"), "unpinned");
                double q = report_num(t, "quota");
                long per = (long)json_integer_value(json_object_get(t, "period_us"));
                long fs = (long)json_integer_value(json_object_get(t, "frame_size"));
                const char *nfk = json_string_value(json_object_get(t, "nf_under_test"));
                nfk = nfk ? nfk : "isolab-nf";
                struct row *r = NULL;
                for (size_t i = 0; i < nrows; i++)
                        if (rows[i].quota == q && rows[i].period_us == per && rows[i].frame_size == fs &&
                            strcmp(rows[i].nf, nfk) == 0)
                                r = &rows[i];
                if (!r && nrows < 256) {
                        r = &rows[nrows++];
                        *r = (struct row){ .quota = q, .period_us = per, .frame_size = fs };
                        snprintf(r->nf, sizeof(r->nf), "%s", nfk);
                        several_nf |= strcmp(nfk, rows[0].nf) != 0;
                }
                if (r && report_trial_failed(t))
                        r->errors++;
                else if (r) {
                        double mpps = report_num(t, "result.mpps");
                        r->n++;
                        r->offered_sum += report_num(t, "result.tx.offered_pps") / 1e6;
                        if (json_is_true(json_object_get(json_object_get(json_object_get(t, "result"), "tx"),
                                                         "generator_shortfall")))
                                r->shortfall++;
                        r->mpps_sum += mpps;
                        r->mpps_sq += mpps * mpps;
                        r->loss_sum += 100 * report_num(t, "result.loss.ratio");
                        r->p50_sum += report_num(t, "result.latency.p50_ns");
                        r->p99_sum += report_num(t, "result.latency.p99_ns");
                        r->stdev_sum += report_num(t, "result.latency.stdev_ns");
                        if (report_num(t, "result.latency.max_ns") > r->max_ns)
                                r->max_ns = report_num(t, "result.latency.max_ns");
                        r->thr_sum += report_num(t, "cgroup.throttled_pct");
                        r->share_sum += report_num(t, "pmd.cpu_share");
                }
                json_decref(t);
        }
        qsort(rows, nrows, sizeof(rows[0]), cmp_rows);

        /* The run's warnings (placement mismatches, no hugepages, compromises of the plan)
         * belong above its figures. */
        FILE *rf = resdir_read(&rd, "run.json", &d);
        json_t *run = rf ? json_loadf(rf, 0, NULL) : NULL;
        if (rf)
                fclose(rf);
        json_t *warnings = json_object_get(run, "warnings");
        /* A run's lines of different kinds are all reported: the searches' table, then
         * the table of its plain trials (one search line does not hide the rest). */
        bool plain = nrows > 0 || neighbours;
        int rc = 0;
        if (searches && plain) {
                bool json = strcmp(fmt, "json") == 0;
                char *buf[2] = { NULL, NULL };
                size_t len[2] = { 0, 0 };
                FILE *real = stdout;
                if (json && !(stdout = open_memstream(&buf[0], &len[0])))
                        stdout = real;
                rewind(f);
                rc |= report_search(f, fmt, warnings);
                if (json && stdout != real) {
                        fclose(stdout);
                        stdout = open_memstream(&buf[1], &len[1]);
                        if (!stdout)
                                stdout = real;
                } else {
                        putchar('\n');
                }
                rewind(f);
                rc |= neighbours ? report_noisy(f, fmt, json ? warnings : NULL)
                                 : report_sweep(rows, nrows, several_nf, fmt, json ? warnings : NULL);
                if (json && stdout != real) {
                        fclose(stdout);
                        stdout = real;
                        json_t *a = buf[0] ? json_loads(buf[0], 0, NULL) : NULL, *b = buf[1] ? json_loads(buf[1], 0, NULL) : NULL;
                        json_t *doc = json_pack("{s:O?, s:O?, s:o}", "searches", json_object_get(a, "searches"), "rows",
                                                json_object_get(b, "rows"), "warnings",
                                                warnings ? json_incref(warnings) : json_array());
                        json_dumpf(doc, stdout, JSON_INDENT(2));
                        putchar('\n');
                        json_decref(doc);
                        json_decref(a);
                        json_decref(b);
                }
                free(buf[0]);
                free(buf[1]);
                json_decref(run);
                return rc;
        }
        if (searches) {
                rewind(f);
                rc = report_search(f, fmt, warnings);
                json_decref(run);
                return rc;
        }
        if (neighbours) {
                rewind(f);
                rc = report_noisy(f, fmt, warnings);
                json_decref(run);
                return rc;
        }
        rc = report_sweep(rows, nrows, several_nf, fmt, warnings);
        json_decref(run);
        return rc;
}

/* The sweep's table (the study's Tables 5 and 6), from rows, in fmt. */
static int report_sweep(const struct row *rows, size_t nrows, bool several_nf, const char *fmt, json_t *warnings) {
        if (strcmp(fmt, "json") == 0) {
                json_t *a = json_array();
                for (size_t i = 0; i < nrows; i++) {
                        const struct row *r = &rows[i], *f100 = full(rows, nrows, r);
                        json_t *row = json_pack("{s:s, s:f, s:I, s:I, s:i, s:i, s:i}", "nf", r->nf, "quota", r->quota, "period_us",
                                              (json_int_t)r->period_us, "frame_size", (json_int_t)r->frame_size, "trials", r->n,
                                              "failed", r->errors, "generator_shortfall", r->shortfall);
                        const struct {
                                const char *key;
                                double v;
                        } nums[] = {
                                { "offered_mpps", mean(r->offered_sum, r->n) },
                                { "mpps_mean", mean(r->mpps_sum, r->n) },
                                { "mpps_stdev", r->n ? stdev(r) : NAN },
                                { "loss_pct", mean(r->loss_sum, r->n) },
                                { "p50_us", mean(r->p50_sum, r->n) / 1e3 },
                                { "p99_us", mean(r->p99_sum, r->n) / 1e3 },
                                { "max_us", r->n ? r->max_ns / 1e3 : NAN },
                                { "stdev_us", mean(r->stdev_sum, r->n) / 1e3 },
                                { "throttled_pct", mean(r->thr_sum, r->n) },
                                { "cpu_share", mean(r->share_sum, r->n) },
                                { "rate_vs_100", f100 ? mean(r->mpps_sum, r->n) / mean(f100->mpps_sum, f100->n) : NAN },
                        };
                        /* A row whose trials all failed has no figures: null, as JSON has no NaN. */
                        for (size_t k = 0; k < sizeof(nums) / sizeof(nums[0]); k++)
                                json_object_set_new(row, nums[k].key, isnan(nums[k].v) ? json_null() : json_real(nums[k].v));
                        json_array_append_new(a, row);
                }
                json_t *doc = json_pack("{s:o, s:o}", "rows", a, "warnings", warnings ? json_incref(warnings) : json_array());
                json_dumpf(doc, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(doc);
                return 0;
        }
        bool csv = strcmp(fmt, "csv") == 0;
        size_t wi;
        json_t *w;
        if (!csv)
                json_array_foreach(warnings, wi, w) printf("! %s\n", json_string_value(w));
        if (csv)
                printf("nf,quota_pct,period_us,frame_size,trials,failed,generator_shortfall,offered_mpps,mpps_mean,mpps_stdev,loss_pct,p50_us,p99_us,max_us,"
                       "stdev_us,throttled_pct,cpu_share,rate_vs_100\n");
        else if (several_nf)
                printf("%-10s ", "nf");
        if (!csv)
                printf("%7s %7s %6s %4s %8s  %16s %8s %9s %9s %9s %9s %10s %6s %8s\n", "quota", "period", "frame", "n",
                       "offered", "Mpps (mean±sd)", "loss %", "p50 us", "p99 us", "max us", "stdev us", "throttled", "CPU", "q/100%");
        for (size_t i = 0; i < nrows; i++) {
                const struct row *r = &rows[i], *f100 = full(rows, nrows, r);
                double m = mean(r->mpps_sum, r->n);
                double prop = f100 ? m / mean(f100->mpps_sum, f100->n) : NAN;
                if (!csv && several_nf)
                        printf("%-10s ", r->nf);
                if (csv)
                        printf("%s,%g,%ld,%ld,%u,%u,%u,%.4f,%.4f,%.4f,%.3f,%.2f,%.2f,%.2f,%.2f,%.1f,%.3f,%.3f\n", r->nf, r->quota,
                               r->period_us, r->frame_size, r->n, r->errors, r->shortfall, mean(r->offered_sum, r->n), m, stdev(r), mean(r->loss_sum, r->n),
                               mean(r->p50_sum, r->n) / 1e3, mean(r->p99_sum, r->n) / 1e3, r->max_ns / 1e3,
                               mean(r->stdev_sum, r->n) / 1e3, mean(r->thr_sum, r->n), mean(r->share_sum, r->n), prop);
                else if (r->n == 0) {
                        char per[32], q[32];
                        snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                        snprintf(q, sizeof(q), "%g%%", r->quota);
                        printf("%7s %7s %6ld %4u %8s  %17s  (all %u trials failed: see trials.jsonl)\n", q, per, r->frame_size,
                               r->n, "-", "-", r->errors);
                } else {
                        char rate[48], per[32], q[32], pr[32];
                        snprintf(rate, sizeof(rate), "%.3f ± %.3f", m, stdev(r));
                        snprintf(per, sizeof(per), "%ldms", r->period_us / 1000);
                        snprintf(q, sizeof(q), "%g%%", r->quota);
                        snprintf(pr, sizeof(pr), isnan(prop) ? "-" : "%.2f", prop);
                        printf("%7s %7s %6ld %4u %7.3f%s  %17s %8.2f %9.1f %9.1f %9.1f %9.1f %9.1f%% %5.2f %8s%s\n", q, per,
                               r->frame_size, r->n, mean(r->offered_sum, r->n), r->shortfall ? "*" : " ", rate, mean(r->loss_sum, r->n), mean(r->p50_sum, r->n) / 1e3,
                               mean(r->p99_sum, r->n) / 1e3, r->max_ns / 1e3, mean(r->stdev_sum, r->n) / 1e3,
                               mean(r->thr_sum, r->n), mean(r->share_sum, r->n), pr, r->errors ? "  (failed trials)" : "");
                }
        }
        if (!csv) {
                bool any = false;
                for (size_t i = 0; i < nrows; i++)
                        any |= rows[i].shortfall > 0;
                if (any)
                        printf("* the generator could not offer the requested rate; loss is relative to what it offered\n");
        }
        return 0;
}

const struct verb verb_report = {
        .name = "report",
        .usage = "DIR [options]",
        .summary = "render a run's results as the study's table (text, csv, json)",
        .description = "Render a run's results (DIR/trials.jsonl) as the study's table: rate, loss, latency and\n"
                       "throttling per CPU quota, with rate at q / rate at 100 %.",
        .run = report_run,
        .options = report_options,
        .n_options = ELEMENTSOF(report_options),
};
