/* undo — every side effect of a run pushes the action that reverts it.
 *
 * Reserving hugepages, mounting hugetlbfs, creating a cgroup, starting an agent: each
 * pushes its undo, and undo_run() reverts them newest first — after success, after an
 * error, after SIGINT (DESIGN.md, "A run", step 3 and 6).  An undo that fails is
 * reported and the others still run: a stuck cgroup must not keep a mount in place. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "base/diag.h"

typedef int (*undo_fn)(void *data, struct diag *d);

struct undo_entry {
        undo_fn fn;
        void *data;              /* owned: freed after fn runs */
        char what[160];          /* "unmount /run/isolab/x/huge", for reports */
        json_t *record;          /* the same action as data for `isolab cleanup`, or NULL */
};

/* With a state file set, every entry's record is kept there (rewritten atomically at
 * each push and pop): if the controller dies without running its undo, `isolab cleanup`
 * reads the file and does the same work (cleanup.h). */
struct undo {
        struct undo_entry *v;
        size_t n, cap;
        char *state_path;
};

/* Keeps the records in path from now on (the file is written at the next push). */
int undo_set_state_file(struct undo *u, const char *path);

/* Writes the state file again, after a pushed record was changed in place. */
void undo_save(struct undo *u);

/* undo_push with a record for the state file ({"kind": ..., ...}; ownership taken). */
int undo_push_rec(struct undo *u, undo_fn fn, void *data, json_t *record, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Pushes fn(data); takes ownership of data (malloc'ed, may be NULL).  Returns 0 or
 * -ENOMEM, in which case fn is run at once, so nothing is left behind. */
int undo_push(struct undo *u, undo_fn fn, void *data, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Runs every entry newest first and empties the stack.  Each failure is passed to
 * report (may be NULL) with its entry; returns the number of failures. */
unsigned undo_run(struct undo *u, void (*report)(const struct undo_entry *e, const struct diag *d, void *ctx), void *ctx);

/* The entries pushed since mark (u->n when the scope began, e.g. one trial's
 * neighbour) run newest first and leave the stack; the state file keeps the rest. */
unsigned undo_run_to(struct undo *u, size_t mark,
                     void (*report)(const struct undo_entry *e, const struct diag *d, void *ctx), void *ctx);

void undo_free(struct undo *u);
