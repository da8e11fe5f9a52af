/* records — what a run writes: trials.jsonl (one fsync'ed line per trial, each naming
 * its matrix point and its run) and run.json; and what --resume reads back of them.
 * The functions here need no run (unit-tested); records.c writes a live run's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/diag.h"
#include "controller/matrix.h"

struct method;

/* What a trial line says of the matrix point it measured: every dimension. */
void point_key(const struct matrix_point *pt, char *buf, size_t len);

/* The points of a resumed run in DIR that its trials.jsonl already holds, as the method
 * counts them: done[i] for matrix index i.  Every line must be of this run (sum) and at
 * the point its index names; a mismatch is refused, naming the line. */
int resume_done(const char *dir, const struct matrix_point *pts, bool *done, size_t n, const struct method *m,
                const char *sum, struct diag *d);

/* A resumed run's trials.jsonl whose last line has no newline loses that torn line
 * before anything is appended. */
int trials_cut_torn_line(int fd, struct diag *d);
