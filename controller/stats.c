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

void histo_add(struct histo *h, double k, double v) {
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

void histo_sort(struct histo *h) {
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
