/* undo — see undo.h. */
#include "controller/undo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int undo_push(struct undo *u, undo_fn fn, void *data, const char *fmt, ...) {
        if (u->n == u->cap) {
                size_t cap = u->cap ? u->cap * 2 : 16;
                struct undo_entry *v = realloc(u->v, cap * sizeof(*v));
                if (!v) {
                        fn(data, NULL);
                        free(data);
                        return -ENOMEM;
                }
                u->v = v;
                u->cap = cap;
        }
        struct undo_entry *e = &u->v[u->n++];
        e->fn = fn;
        e->data = data;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->what, sizeof(e->what), fmt, ap);
        va_end(ap);
        return 0;
}

unsigned undo_run(struct undo *u, void (*report)(const struct undo_entry *e, const struct diag *d, void *ctx), void *ctx) {
        unsigned failed = 0;
        while (u->n > 0) {
                struct undo_entry *e = &u->v[--u->n];
                struct diag d = { 0 };
                if (e->fn(e->data, &d) < 0) {
                        failed++;
                        if (report)
                                report(e, &d, ctx);
                }
                free(e->data);
        }
        return failed;
}

void undo_free(struct undo *u) {
        undo_run(u, NULL, NULL);
        free(u->v);
        *u = (struct undo){ 0 };
}
