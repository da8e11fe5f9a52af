/* diag — one sentence about what went wrong, carried back to the boundary.
 *
 * Library-like code (topology/, agents/common/) never prints.  A function that can
 * fail returns a negative errno and, when the caller passed a struct diag, writes one
 * sentence into it that names the input, the value and the fix.  The controller prints
 * that sentence once (STYLE.md, "Errors"). */
#pragma once

#include <stddef.h>

struct diag {
        int err;            /* negative errno of the first failure, 0 while none */
        char msg[512];      /* the sentence: no trailing newline, no program prefix */
};

/* Records the first failure only (the first cause is the useful one) and returns
 * -abs(err), so callers can write `return diag_set(d, -EINVAL, "...")`.  d may be NULL. */
int diag_set(struct diag *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Clears d so it can be reused. */
void diag_clear(struct diag *d);
