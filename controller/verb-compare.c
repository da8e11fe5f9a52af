/* isolab compare — two runs, or two series of one run, side by side per matching point
 * (issue 15): is pinned better than unpinned, the container than the host, testpmd than
 * isolab-nf?  For each point both have:
 *
 *   - throughput: the difference of the mean rates with Welch's 95 % interval, and A/B by
 *     Fieller's; a verdict only when the interval of A/B excludes 1;
 *   - latency: the trials' p50 and p99 by a Mann–Whitney test (per trial, not per packet:
 *     a trial's packets are not independent); with n = 3 against 3 no p-value can go under
 *     0.1, and the verdict says so rather than "no difference".
 *
 * A and B are two results directories (their rows matched on quota, period, frame size,
 * ring, pinning, neighbour and placement, and the NF when both have one kind), or one
 * directory and --by FIELD[=A,B]: its rows split by that field (pinning, nf, ring,
 * neighbour, placement), the rest matched.  Trials are the units; nothing is paired
 * across two runs (inference.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "controller/inference.h"
#include "controller/resdir.h"
#include "controller/runmodel.h"
#include "controller/verbs.h"

#define ALPHA 0.05

struct compare_opts {
        const char *by, *format;
};

static const struct cli_option compare_options[] = {
        { "by", "FIELD[=A,B]", "compare two series of one run: pinning, nf, ring, neighbour or placement (A and B: its "
          "values; default the first two the run has)", cli_parse_string, offsetof(struct compare_opts, by), NULL },
        { "format", "FMT", "text (default) or json", cli_parse_string, offsetof(struct compare_opts, format), NULL },
};

static const char *const BY_FIELDS[] = { "pinning", "nf", "ring", "neighbour", "placement" };

/* The value of field `by` in row r, as text. */
static void field(const struct mrow *r, const char *by, char *buf, size_t len) {
        if (strcmp(by, "pinning") == 0)
                snprintf(buf, len, "%s", r->pinning);
        else if (strcmp(by, "nf") == 0)
                snprintf(buf, len, "%s", r->nf);
        else if (strcmp(by, "ring") == 0)
                snprintf(buf, len, "%ld", r->ring);
        else if (strcmp(by, "neighbour") == 0)
                snprintf(buf, len, "%s", r->neighbour);
        else
                snprintf(buf, len, "%s", r->placement);
}

/* What a row is matched on: everything but `by` (and the NF when with_nf is false). */
static void match_key(const struct mrow *r, const char *by, bool with_nf, char *buf, size_t len) {
        bool b_pin = by && !strcmp(by, "pinning"), b_ring = by && !strcmp(by, "ring"), b_nb = by && !strcmp(by, "neighbour"),
             b_pl = by && !strcmp(by, "placement"), b_nf = (by && !strcmp(by, "nf")) || !with_nf;
        snprintf(buf, len, "%s|%g|%ld|%ld|%ld|%s|%s|%s", b_nf ? "" : r->nf, r->quota, r->period_us, r->frame_size,
                 b_ring ? -1 : r->ring, b_pin ? "" : r->pinning, b_nb ? "" : r->neighbour, b_pl ? "" : r->placement);
}

struct side {
        const struct rowset *rows;
        char label[160];
        char value[64];           /* --by: the field's value on this side ("" for all rows) */
};

static bool in_side(const struct side *s, const char *by, const struct mrow *r) {
        if (!s->value[0])
                return true;
        char v[64];
        field(r, by, v, sizeof(v));
        return strcmp(v, s->value) == 0;
}

static bool one_nf(const struct rowset *s) {
        for (size_t i = 1; i < s->n; i++)
                if (strcmp(s->v[i].nf, s->v[0].nf))
                        return false;
        return true;
}

/* A verdict on the rates: A/B's interval excludes 1, or says why nothing is concluded. */
static void rate_verdict(const struct interval *q, unsigned na, unsigned nb, char *buf, size_t len) {
        if (na < 2 || nb < 2)
                snprintf(buf, len, "no interval with n = %u/%u: repeat (--repetitions)", na, nb);
        else if (!q->bounded)
                snprintf(buf, len, "no difference detectable with n = %u/%u (B's rate too close to 0)", na, nb);
        else if (q->lo > 1)
                snprintf(buf, len, "A faster by %.1f %% (95 %% CI %.1f to %.1f)", 100 * (q->est - 1), 100 * (q->lo - 1),
                         100 * (q->hi - 1));
        else if (q->hi < 1)
                snprintf(buf, len, "A slower by %.1f %% (95 %% CI %.1f to %.1f)", 100 * (1 - q->est), 100 * (1 - q->hi),
                         100 * (1 - q->lo));
        else
                snprintf(buf, len, "no difference detectable with n = %u/%u (A/B %.3f to %.3f)", na, nb, fmax(0, q->lo), q->hi);
}

static void lat_verdict(const struct repv *a, const struct repv *b, const char *what, double *p_out, char *buf, size_t len) {
        double pmin, p = mann_whitney_p(a->v, a->n, b->v, b->n, &pmin);
        *p_out = p;
        double ma = 0, mb = 0;
        for (size_t i = 0; i < a->n; i++)
                ma += a->v[i] / a->n;
        for (size_t i = 0; i < b->n; i++)
                mb += b->v[i] / b->n;
        if (p < ALPHA)
                snprintf(buf, len, "%s: A %s (p = %.3g)", what, ma < mb ? "lower" : "higher", p);
        else if (pmin >= ALPHA)
                snprintf(buf, len, "%s: not testable with n = %zu/%zu (p >= %.2f always)", what, a->n, b->n, pmin);
        else
                snprintf(buf, len, "%s: no difference detectable (p = %.2f)", what, p);
}

struct row_cmp {
        const struct mrow *a, *b;
        struct interval diff, ratio;
        double p50_p, p99_p;
        char rate[160], p50[96], p99[96];
};

static void compare_rows(struct row_cmp *c) {
        const struct mrow *a = c->a, *b = c->b;
        c->diff = diff_welch(a->mpps_rep.v, a->mpps_rep.n, b->mpps_rep.v, b->mpps_rep.n);
        c->ratio = ratio_indep(a->mpps_rep.v, a->mpps_rep.n, b->mpps_rep.v, b->mpps_rep.n);
        rate_verdict(&c->ratio, (unsigned)a->mpps_rep.n, (unsigned)b->mpps_rep.n, c->rate, sizeof(c->rate));
        lat_verdict(&a->p50_rep, &b->p50_rep, "p50", &c->p50_p, c->p50, sizeof(c->p50));
        lat_verdict(&a->p99_rep, &b->p99_rep, "p99", &c->p99_p, c->p99, sizeof(c->p99));
}

static json_t *num_or_null(double v) {
        return isfinite(v) ? json_real(v) : json_null();
}

static int load(const char *dir, struct resdir *rd, struct run_model *m, struct diag *d) {
        int r = resdir_open(dir, RESDIR_RENDER, "compare", rd, d);
        FILE *f = r < 0 ? NULL : resdir_read(rd, "trials.jsonl", d);
        if (!f)
                return r < 0 ? r : -ENOENT;
        r = model_load(m, rd, f, dir, false, d);
        fclose(f);
        return r;
}

/* --by FIELD[=A,B] into by, and the two values when given. */
static int parse_by(const char *arg, char *by, size_t by_len, char *va, char *vb, size_t vlen, struct diag *d) {
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        snprintf(by, by_len, "%.*s", (int)n, arg);
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(BY_FIELDS); i++)
                known |= strcmp(by, BY_FIELDS[i]) == 0;
        if (!known)
                return diag_set(d, -EINVAL, "--by %s: give pinning, nf, ring, neighbour or placement, e.g. --by pinning", arg);
        va[0] = vb[0] = 0;
        if (eq) {
                const char *comma = strchr(eq + 1, ',');
                if (!comma || comma == eq + 1 || !comma[1] || strchr(comma + 1, ','))
                        return diag_set(d, -EINVAL, "--by %s: give two values after =, e.g. --by pinning=pinned,unpinned", arg);
                snprintf(va, vlen, "%.*s", (int)(comma - eq - 1), eq + 1);
                snprintf(vb, vlen, "%s", comma + 1);
        }
        return 0;
}

/* The first two values of field by among the rows (an error names them when there are
 * more and none was chosen). */
static int pick_values(const struct rowset *s, const char *by, char *va, char *vb, size_t vlen, struct diag *d) {
        char seen[8][64];
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++) {
                char v[64];
                field(&s->v[i], by, v, sizeof(v));
                bool have = false;
                for (size_t k = 0; k < n; k++)
                        have |= strcmp(seen[k], v) == 0;
                if (!have && n < 8)
                        snprintf(seen[n++], sizeof(seen[0]), "%s", v);
        }
        if (n < 2)
                return diag_set(d, -EINVAL, "--by %s: the run has one %s only (%s): nothing to compare", by, by,
                                n ? seen[0] : "none");
        if (n > 2)
                return diag_set(d, -EINVAL, "--by %s: the run has %zu values (%s, %s, %s...): choose two, e.g. --by %s=%s,%s", by,
                                n, seen[0], seen[1], seen[2], by, seen[0], seen[1]);
        snprintf(va, vlen, "%s", seen[0]);
        snprintf(vb, vlen, "%s", seen[1]);
        return 0;
}

static void text_out(const struct side *A, const struct side *B, const char *by, struct row_cmp *c, size_t n,
                     size_t unmatched) {
        printf("A = %s\nB = %s\n\n", A->label, B->label);
        printf("%-40s %5s %10s %10s %22s  %s\n", "point", "nA/nB", "A Mpps", "B Mpps", "A-B Mpps [95%]", "throughput");
        for (size_t i = 0; i < n; i++) {
                char label[160], ring[24] = "", nn[16], diff[48];
                const struct mrow *a = c[i].a;
                if (a->ring)
                        snprintf(ring, sizeof(ring), "ring %ld ", a->ring);
                /* The point as both sides have it: the --by field is what differs, left out. */
                bool pin = !by || strcmp(by, "pinning"), nb = !by || (strcmp(by, "neighbour") && strcmp(by, "placement"));
                snprintf(label, sizeof(label), "%s%g%% %ldms %ldB%s%s%s%s%s%s", ring, a->quota, a->period_us / 1000,
                         a->frame_size, pin ? " " : "", pin ? a->pinning : "", nb ? " " : "", nb ? a->neighbour : "",
                         nb && strcmp(a->placement, "-") ? "@" : "", nb && strcmp(a->placement, "-") ? a->placement : "");
                snprintf(nn, sizeof(nn), "%zu/%zu", c[i].a->mpps_rep.n, c[i].b->mpps_rep.n);
                if (c[i].diff.bounded)
                        snprintf(diff, sizeof(diff), "%+.3f [%+.3f,%+.3f]", c[i].diff.est, c[i].diff.lo, c[i].diff.hi);
                else
                        snprintf(diff, sizeof(diff), "%+.3f", c[i].diff.est);
                printf("%-40s %5s %10.3f %10.3f %22s  %s\n", label, nn, acc_mean(&c[i].a->mpps), acc_mean(&c[i].b->mpps), diff,
                       c[i].rate);
                printf("%-40s %5s %10.1f %10.1f %22s  %s; %s\n", "  latency us (mean of trials' p50)", "",
                       acc_mean(&c[i].a->p50) / 1e3, acc_mean(&c[i].b->p50) / 1e3, "", c[i].p50, c[i].p99);
        }
        if (!n)
                printf("(no point in both)\n");
        if (unmatched)
                printf("%zu point%s in only one of A and B: left out\n", unmatched, unmatched == 1 ? "" : "s");
        printf("\nthroughput: Welch's interval for A-B and Fieller's for A/B over the trials (95 %%); latency: Mann-Whitney "
               "on the trials' p50 and p99 (%.0f %% level); a verdict only where the data can support one\n", 100 * ALPHA);
}

static json_t *json_out(const struct side *A, const struct side *B, const char *by, struct row_cmp *c, size_t n,
                        size_t unmatched) {
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
                const struct mrow *a = c[i].a;
                json_t *r = json_pack("{s:s, s:f, s:I, s:I, s:s, s:s, s:s, s:i, s:i, s:f, s:f, s:s, s:s, s:s}", "nf", a->nf,
                                      "quota", a->quota, "period_us", (json_int_t)a->period_us, "frame_size",
                                      (json_int_t)a->frame_size, "pinning", a->pinning, "neighbour", a->neighbour,
                                      "placement", a->placement, "n_a", (int)a->mpps_rep.n, "n_b", (int)c[i].b->mpps_rep.n,
                                      "a_mpps", acc_mean(&a->mpps), "b_mpps", acc_mean(&c[i].b->mpps), "throughput",
                                      c[i].rate, "p50", c[i].p50, "p99", c[i].p99);
                json_object_set_new(r, "diff_mpps", num_or_null(c[i].diff.est));
                json_object_set_new(r, "diff_lo", num_or_null(c[i].diff.lo));
                json_object_set_new(r, "diff_hi", num_or_null(c[i].diff.hi));
                json_object_set_new(r, "ratio", num_or_null(c[i].ratio.est));
                json_object_set_new(r, "ratio_lo", num_or_null(c[i].ratio.lo));
                json_object_set_new(r, "ratio_hi", num_or_null(c[i].ratio.hi));
                json_object_set_new(r, "p50_mann_whitney_p", num_or_null(c[i].p50_p));
                json_object_set_new(r, "p99_mann_whitney_p", num_or_null(c[i].p99_p));
                json_array_append_new(rows, r);
        }
        return json_pack("{s:s, s:s, s:s?, s:o, s:I}", "a", A->label, "b", B->label, "by", by, "rows", rows, "unmatched",
                         (json_int_t)unmatched);
}

static int compare_run(int argc, char **argv) {
        struct compare_opts o = { 0 };
        int optind_;
        bool help;
        struct diag d = { 0 };
        if (cli_parse(argc, argv, compare_options, ELEMENTSOF(compare_options), &o, &optind_, &help, &d) < 0) {
                report_error(&d, -EINVAL);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(stdout, &verb_compare);
                return 0;
        }
        const char *fmt = o.format ? o.format : "text";
        if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
                fprintf(stderr, "isolab: --format %s: use text or json\n", fmt);
                return EXIT_USAGE;
        }
        int ndirs = argc - optind_;
        if (!(ndirs == 2 && !o.by) && !(ndirs == 1 && o.by)) {
                fprintf(stderr, "isolab: compare takes two results directories (isolab compare A B), or one and --by "
                                "(isolab compare DIR --by pinning)\n");
                return EXIT_USAGE;
        }
        char by[16] = "";
        struct side A = { 0 }, B = { 0 };
        if (o.by && parse_by(o.by, by, sizeof(by), A.value, B.value, sizeof(A.value), &d) < 0) {
                fprintf(stderr, "isolab: %s\n", d.msg);
                return EXIT_USAGE;
        }
        _cleanup_(resdir_close) struct resdir rda = { .fd = -1 }, rdb = { .fd = -1 };
        _cleanup_(model_free) struct run_model ma = { 0 }, mb = { 0 };
        if (load(argv[optind_], &rda, &ma, &d) < 0 || (ndirs == 2 && load(argv[optind_ + 1], &rdb, &mb, &d) < 0)) {
                fprintf(stderr, "isolab: %s; give directories made by isolab sweep, noisy or run\n", d.msg);
                return EXIT_USAGE;
        }
        /* The neighbours' table has every key a comparison needs (it splits by NF too). */
        A.rows = &ma.table[TABLE_NOISY];
        B.rows = ndirs == 2 ? &mb.table[TABLE_NOISY] : A.rows;
        if (o.by && !A.value[0] && pick_values(A.rows, by, A.value, B.value, sizeof(A.value), &d) < 0) {
                fprintf(stderr, "isolab: %s\n", d.msg);
                return EXIT_USAGE;
        }
        if (o.by) {
                snprintf(A.label, sizeof(A.label), "%s, %s = %s", argv[optind_], by, A.value);
                snprintf(B.label, sizeof(B.label), "%s, %s = %s", argv[optind_], by, B.value);
        } else {
                snprintf(A.label, sizeof(A.label), "%s", argv[optind_]);
                snprintf(B.label, sizeof(B.label), "%s", argv[optind_ + 1]);
        }
        bool with_nf = o.by || !(one_nf(A.rows) && one_nf(B.rows));
        struct row_cmp *c = calloc(A.rows->n ? A.rows->n : 1, sizeof(*c));
        if (!c) {
                fprintf(stderr, "isolab: out of memory\n");
                return EXIT_RUNTIME;
        }
        size_t n = 0, unmatched = 0, in_b = 0;
        for (size_t i = 0; i < B.rows->n; i++)
                in_b += B.rows->v[i].n > 0 && in_side(&B, by, &B.rows->v[i]);
        for (size_t i = 0; i < A.rows->n; i++) {
                const struct mrow *a = &A.rows->v[i];
                if (!a->n || !in_side(&A, by, a))
                        continue;
                char ka[256], kb[256];
                match_key(a, o.by ? by : NULL, with_nf, ka, sizeof(ka));
                const struct mrow *b = NULL;
                for (size_t j = 0; j < B.rows->n && !b; j++) {
                        const struct mrow *cand = &B.rows->v[j];
                        if (!cand->n || cand == a || !in_side(&B, by, cand))
                                continue;
                        match_key(cand, o.by ? by : NULL, with_nf, kb, sizeof(kb));
                        if (strcmp(ka, kb) == 0)
                                b = cand;
                }
                if (!b) {
                        unmatched++;
                        continue;
                }
                c[n].a = a;
                c[n].b = b;
                compare_rows(&c[n++]);
        }
        unmatched += in_b - n;
        if (strcmp(fmt, "json") == 0) {
                json_t *doc = json_out(&A, &B, o.by ? by : NULL, c, n, unmatched);
                json_dumpf(doc, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(doc);
        } else {
                text_out(&A, &B, o.by ? by : NULL, c, n, unmatched);
        }
        free(c);
        return n ? 0 : EXIT_USAGE;
}

const struct verb verb_compare = {
        .name = "compare",
        .usage = "A B | DIR --by FIELD [options]",
        .summary = "two runs (or two series of one) side by side, with intervals and a verdict per point",
        .description = "Compare two results directories point by point, or two series of one run (--by pinning: pinned\n"
                       "against unpinned).  Per point: the difference of the mean rates with its 95 % interval\n"
                       "(Welch) and A/B (Fieller), a Mann-Whitney test on the trials' p50 and p99 latency, and a\n"
                       "verdict only where the repetitions support one (\"no difference detectable with n = 3/3\").",
        .run = compare_run,
        .options = compare_options,
        .n_options = ELEMENTSOF(compare_options),
};
