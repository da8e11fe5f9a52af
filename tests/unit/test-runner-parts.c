/* Pieces of the sweep runner that need no machine: the undo stack and the trial matrix. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controller/matrix.h"
#include "controller/undo.h"

static char order[64]; /* 4 named entries and 40 fillers */

static int record(void *data, struct diag *d) {
        char c = *(char *)data;
        size_t l = strlen(order);
        order[l] = c;
        order[l + 1] = '\0';
        if (c == 'B')
                return diag_set(d, -EBUSY, "B is stuck");
        return 0;
}

static unsigned reported;
static void report(const struct undo_entry *e, const struct diag *d, void *ctx) {
        (void)ctx;
        reported++;
        cr_expect_str_eq(e->what, "undo B");
        cr_expect_str_eq(d->msg, "B is stuck");
}

static char *ch(char c) {
        char *p = malloc(1);
        *p = c;
        return p;
}

Test(undo, runs_newest_first_and_keeps_going_after_a_failure) {
        struct undo u = { 0 };
        order[0] = '\0';
        for (char c = 'A'; c <= 'D'; c++)
                cr_assert_eq(undo_push(&u, record, ch(c), "undo %c", c), 0);
        for (int i = 0; i < 40; i++) /* grows past the first allocation */
                cr_assert_eq(undo_push(&u, record, ch('x'), "filler"), 0);
        reported = 0;
        cr_expect_eq(undo_run(&u, report, NULL), 1);
        cr_expect_eq(reported, 1);
        cr_expect_str_eq(order + strlen(order) - 4, "DCBA");
        cr_expect_eq(u.n, 0);
        cr_expect_eq(undo_run(&u, report, NULL), 0, "running an empty stack does nothing");
        undo_free(&u);
}

static const double quotas[] = { 100, 75, 50, 25, 12.5 };
static const uint64_t periods[] = { 100000, 10000 };
static const unsigned sizes[] = { 64, 1518 };

Test(matrix, expands_every_point_per_repetition) {
        struct matrix_spec s = { quotas, 5, periods, 2, sizes, 2, 3, false, 0, 0, 0 };
        struct matrix_point *v;
        size_t n;
        cr_assert_eq(matrix_expand(&s, &v, &n), 0);
        cr_assert_eq(n, 60);
        cr_expect_eq(v[0].quota, 100);
        cr_expect_eq(v[0].period_us, 100000);
        cr_expect_eq(v[0].frame_size, 64);
        cr_expect_eq(v[1].frame_size, 1518);
        cr_expect_eq(v[2].period_us, 10000);
        cr_expect_eq(v[19].quota, 12.5);
        cr_expect_eq(v[20].repetition, 1);
        for (size_t i = 0; i < n; i++)
                cr_expect_eq(v[i].index, i);
        free(v);
        s.repetitions = 0;
        cr_expect_eq(matrix_expand(&s, &v, &n), -EINVAL);
}

static unsigned key(const struct matrix_point *p) {
        return (unsigned)(p->quota * 10) * 100000 + (unsigned)(p->period_us / 1000) * 10000 + p->frame_size;
}

static int cmp(const void *a, const void *b) {
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        return x < y ? -1 : x > y;
}

Test(matrix, shuffles_within_each_repetition_reproducibly) {
        struct matrix_spec s = { quotas, 5, periods, 2, sizes, 2, 4, true, 42, 0, 0 };
        struct matrix_point *a, *b, *c;
        size_t n;
        cr_assert_eq(matrix_expand(&s, &a, &n), 0);
        cr_assert_eq(matrix_expand(&s, &b, &n), 0);
        s.seed = 43;
        cr_assert_eq(matrix_expand(&s, &c, &n), 0);
        bool same_ab = true, same_ac = true, moved = false;
        for (size_t i = 0; i < n; i++) {
                same_ab &= key(&a[i]) == key(&b[i]);
                same_ac &= key(&a[i]) == key(&c[i]);
        }
        cr_expect(same_ab, "the same seed gives the same order");
        cr_expect_not(same_ac, "another seed gives another order");
        /* Each repetition holds every point exactly once, and the order did change. */
        for (unsigned rep = 0; rep < 4; rep++) {
                unsigned got[20], want[20];
                struct matrix_point *plain;
                size_t m;
                struct matrix_spec p = s;
                p.shuffle = false;
                p.repetitions = 1;
                cr_assert_eq(matrix_expand(&p, &plain, &m), 0);
                for (size_t i = 0; i < 20; i++) {
                        cr_expect_eq(a[rep * 20 + i].repetition, rep);
                        got[i] = key(&a[rep * 20 + i]);
                        want[i] = key(&plain[i]);
                        moved |= got[i] != want[i];
                }
                qsort(got, 20, sizeof(got[0]), cmp);
                qsort(want, 20, sizeof(want[0]), cmp);
                cr_expect_arr_eq(got, want, sizeof(got));
                free(plain);
        }
        cr_expect(moved);
        free(a);
        free(b);
        free(c);
}

Test(matrix, pinning_blocks_stay_whole_and_neighbours_shuffle_inside) {
        const double q100[] = { 100 };
        struct matrix_spec s = { q100, 1, periods, 1, sizes, 1, 2, true, 7, .n_pinnings = 2, .n_neighbours = 5 };
        struct matrix_point *v;
        size_t n;
        cr_assert_eq(matrix_expand(&s, &v, &n), 0);
        cr_assert_eq(n, 20, "2 repetitions x 2 pinnings x 5 neighbour settings");
        for (size_t i = 0; i < n; i++) {
                cr_expect_eq(v[i].repetition, i / 10);
                cr_expect_eq(v[i].pinning, (i / 5) % 2, "point %zu: a pinning's trials are one block", i);
        }
        /* Every block holds each neighbour setting (the baseline included) once. */
        for (size_t b = 0; b < 4; b++) {
                unsigned seen = 0;
                for (size_t i = 0; i < 5; i++)
                        seen |= 1u << v[b * 5 + i].neighbour;
                cr_expect_eq(seen, 0x1f, "block %zu", b);
        }
        free(v);
}
