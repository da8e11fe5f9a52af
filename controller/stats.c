/* stats — sums over trials (struct acc), merged histograms, and a trial record's
 * numbers by path (runmodel.h, verbs.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/runmodel.h"
#include "controller/verbs.h"

void acc_add(struct acc *a, double v) {
        if (a->n == 0 || v < a->min)
                a->min = v;
        if (a->n == 0 || v > a->max)
                a->max = v;
        a->n++;
        a->sum += v;
        a->sq += v * v;
}

double acc_mean(const struct acc *a) {
        return a->n ? a->sum / a->n : NAN;
}

double report_stdev(double sum, double sq, unsigned n) {
        if (n < 2)
                return 0;
        double m = sum / n, v = (sq - n * m * m) / (n - 1);
        return v > 0 ? sqrt(v) : 0;
}

double acc_stdev(const struct acc *a) {
        return report_stdev(a->sum, a->sq, a->n);
}

void kvhist_add(struct kvhist *h, double k, double v) {
        for (size_t i = 0; i < h->n; i++)
                if (h->k[i] == k) {
                        h->v[i] += v;
                        return;
                }
        if (h->n == h->cap) {
                size_t cap = h->cap ? 2 * h->cap : 64;
                double *nk = realloc(h->k, cap * sizeof(double)), *nv = nk ? realloc(h->v, cap * sizeof(double)) : NULL;
                if (nk)
                        h->k = nk;
                if (!nv)
                        return; /* out of memory: the bucket is dropped, the rest stays whole */
                h->v = nv;
                h->cap = cap;
        }
        h->k[h->n] = k;
        h->v[h->n++] = v;
}

void kvhist_sort(struct kvhist *h) {
        for (size_t i = 1; i < h->n; i++)
                for (size_t j = i; j > 0 && h->k[j - 1] > h->k[j]; j--) {
                        double t = h->k[j];
                        h->k[j] = h->k[j - 1];
                        h->k[j - 1] = t;
                        t = h->v[j];
                        h->v[j] = h->v[j - 1];
                        h->v[j - 1] = t;
                }
}

double report_num(json_t *o, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        json_t *v = o;
        for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save))
                v = json_object_get(v, k);
        return json_number_value(v);
}

bool report_trial_failed(json_t *t) {
        return json_object_get(t, "error") || json_object_get(t, "invalid");
}

bool report_str_is(json_t *v, const char *s) {
        return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}


void json_set_nums(json_t *o, const struct named_num *nums, size_t n) {
        for (size_t k = 0; k < n; k++)
                json_object_set_new(o, nums[k].key, isnan(nums[k].v) ? json_null() : json_real(nums[k].v));
}

const char *const loss_part_keys[_LP_MAX] = { "link_refused", "nf_rx_missed", "nf_tx_drops", "gen_rx_missed", "unseen" };

void json_set_loss_parts(json_t *o, const struct mrow *r) {
        for (int k = 0; k < _LP_MAX; k++) {
                char key[48];
                snprintf(key, sizeof(key), "loss_%s_pct", loss_part_keys[k]);
                json_object_set_new(o, key, r->lparts[k].n ? json_real(acc_mean(&r->lparts[k])) : json_null());
        }
}

void csv_loss_parts(FILE *f, const struct mrow *r) {
        for (int k = 0; k < _LP_MAX; k++) {
                if (r->lparts[k].n)
                        fprintf(f, "%s%.3f", k ? "," : "", acc_mean(&r->lparts[k]));
                else if (k)
                        fputc(',', f);
        }
}

void lat_merge(struct latency_merge *l, json_t *t) {
        json_t *lat = json_object_get(json_object_get(t, "result"), "latency");
        json_t *buckets = json_object_get(lat, "buckets");
        double samples = report_num(lat, "samples");
        if (!(samples > 0))
                return; /* nothing delivered: the loss alone says it (a trial of total loss adds no histogram) */
        if (json_array_size(buckets) == 0) {
                l->without++;
                return;
        }
        if (!l->h) {
                l->h = malloc(sizeof(*l->h));
                if (!l->h)
                        return;
                histo_init(l->h);
        }
        struct histo *one = malloc(sizeof(*one));
        if (!one)
                return;
        histo_init(one);
        size_t i;
        json_t *b;
        json_array_foreach(buckets, i, b) {
                double low = json_number_value(json_array_get(b, 0)), c = json_number_value(json_array_get(b, 1));
                if (low >= 0 && low < (double)(1ULL << HISTO_MAX_EXP) && c > 0)
                        one->bucket[histo_index((uint64_t)low)] += (uint64_t)c;
        }
        one->count = (uint64_t)samples;
        one->overflow = (uint64_t)report_num(lat, "overflow");
        one->min = (uint64_t)report_num(lat, "min_ns");
        one->max = (uint64_t)report_num(lat, "max_ns");
        one->mean = report_num(lat, "mean_ns");
        double sd = report_num(lat, "stdev_ns");
        one->m2 = samples > 1 && sd > 0 ? sd * sd * (samples - 1) : 0;
        histo_merge(l->h, one);
        free(one);
        double lost = report_num(t, "result.loss.packets");
        l->lost += lost > 0 ? lost : 0;
        l->trials++;
}

double lat_samples(const struct latency_merge *l) {
        return l->h ? (double)l->h->count : 0;
}

static uint64_t rank_of(double p, double n) {
        double r = ceil(p / 100.0 * n - 1e-9);
        return r < 1 ? 1 : (uint64_t)r;
}

double lat_delivered(const struct latency_merge *l, double p, bool *at_max) {
        if (at_max)
                *at_max = false;
        if (!l->h || l->h->count == 0)
                return NAN;
        uint64_t rank = rank_of(p, (double)l->h->count);
        if (at_max)
                *at_max = rank >= l->h->count;
        return (double)histo_at_rank(l->h, rank);
}

double lat_offered(const struct latency_merge *l, double p) {
        if (!l->h || l->h->count == 0)
                return NAN;
        uint64_t rank = rank_of(p, (double)l->h->count + l->lost);
        return rank > l->h->count ? INFINITY : (double)histo_at_rank(l->h, rank);
}

void repv_add(struct repv *r, unsigned rep, double v) {
        if (r->n == r->cap) {
                size_t cap = r->cap ? 2 * r->cap : 16;
                unsigned *nr = realloc(r->rep, cap * sizeof(*nr));
                if (!nr)
                        return;
                r->rep = nr;
                double *nv = realloc(r->v, cap * sizeof(*nv));
                if (!nv)
                        return;
                r->v = nv;
                r->cap = cap;
        }
        r->rep[r->n] = rep;
        r->v[r->n++] = v;
}

size_t repv_pair(const struct repv *base, const struct repv *r, double *x, double *y, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < r->n && n < max; i++) {
                bool first = true;
                for (size_t k = 0; k < i && first; k++)
                        first = r->rep[k] != r->rep[i];
                if (!first)
                        continue;
                for (size_t j = 0; j < base->n; j++)
                        if (base->rep[j] == r->rep[i]) {
                                x[n] = base->v[j];
                                y[n++] = r->v[i];
                                break;
                        }
        }
        return n;
}

void add_burst(struct mrow *r, json_t *t) {
        json_t *b = json_object_get(json_object_get(t, "result"), "burst");
        if (!json_is_object(b))
                return;
        acc_add(&r->b_runs, report_num(b, "runs"));
        acc_add(&r->b_longest, report_num(b, "longest_run"));
        acc_add(&r->b_longest_unreach, report_num(b, "longest_unreachable_ns"));
        json_t *w = json_object_get(b, "per_window");
        if (json_is_object(w) && report_num(w, "windows") > 0) {
                acc_add(&r->b_win_lost, report_num(w, "lost.mean"));
                acc_add(&r->b_win_unreach, report_num(w, "unreachable_ns.mean"));
                acc_add(&r->b_win_with, 100 * report_num(w, "with_loss") / report_num(w, "windows"));
        }
}

const char *const thread_cls_keys[_TC_MAX] = { "pmd", "main", "handler", "revalidator", "urcu", "lcore", "eal", "other" };

void add_threads(struct mrow *r, json_t *t) {
        json_t *th = json_object_get(json_object_get(t, "nf"), "threads_cpu_ns");
        double win = report_num(t, "windows.sched_ns");
        if (!json_is_object(th) || !(win > 0))
                return;
        /* A share of the window the threads were read over (the trial and its drain). */
        for (int k = 0; k < _TC_MAX; k++)
                acc_add(&r->thr_cpu[k], json_number_value(json_object_get(th, thread_cls_keys[k])) / win);
}
