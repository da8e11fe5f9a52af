/* diag — see diag.h. */
#include "base/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>

int diag_set(struct diag *d, int err, const char *fmt, ...) {
        int r = err < 0 ? err : -err;

        if (r == 0)
                r = -EIO;
        if (!d || d->err != 0)
                return r;
        d->err = r;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
        va_end(ap);
        return r;
}

void diag_clear(struct diag *d) {
        if (!d)
                return;
        d->err = 0;
        d->msg[0] = '\0';
}
