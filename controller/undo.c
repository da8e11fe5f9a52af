/* undo — see undo.h. */
#include "controller/undo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int undo_set_state_file(struct undo *u, const char *path) {
        free(u->state_path);
        u->state_path = strdup(path);
        return u->state_path ? 0 : -ENOMEM;
}

/* Writes the records, oldest first, to a temporary file, fsyncs, renames over the state
 * file: a crash leaves the old or the new list, never half of one. */
static void save_state(struct undo *u) {
        if (!u->state_path)
                return;
        json_t *a = json_array();
        for (size_t i = 0; i < u->n; i++)
                if (u->v[i].record)
                        json_array_append(a, u->v[i].record);
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s.tmp", u->state_path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        char *text = json_dumps(a, JSON_INDENT(1));
        json_decref(a);
        if (fd >= 0 && text && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0)
                rename(tmp, u->state_path);
        if (fd >= 0)
                close(fd);
        free(text);
}

__attribute__((format(printf, 5, 0))) static int push(struct undo *u, undo_fn fn, void *data, json_t *record, const char *fmt, va_list ap) {
        if (u->n == u->cap) {
                size_t cap = u->cap ? u->cap * 2 : 16;
                struct undo_entry *v = realloc(u->v, cap * sizeof(*v));
                if (!v) {
                        fn(data, NULL);
                        free(data);
                        json_decref(record);
                        return -ENOMEM;
                }
                u->v = v;
                u->cap = cap;
        }
        struct undo_entry *e = &u->v[u->n++];
        e->fn = fn;
        e->data = data;
        e->record = record;
        vsnprintf(e->what, sizeof(e->what), fmt, ap);
        if (record)
                save_state(u);
        return 0;
}

int undo_push(struct undo *u, undo_fn fn, void *data, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = push(u, fn, data, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int undo_push_rec(struct undo *u, undo_fn fn, void *data, json_t *record, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = push(u, fn, data, record, fmt, ap);
        va_end(ap);
        return r;
}

void undo_save(struct undo *u) {
        save_state(u);
}

unsigned undo_run_to(struct undo *u, size_t mark,
                     void (*report)(const struct undo_entry *e, const struct diag *d, void *ctx), void *ctx) {
        unsigned failed = 0;
        while (u->n > mark) {
                struct undo_entry *e = &u->v[--u->n];
                struct diag d = { 0 };
                if (e->fn(e->data, &d) < 0) {
                        failed++;
                        if (report)
                                report(e, &d, ctx);
                }
                free(e->data);
                if (e->record) {
                        json_decref(e->record);
                        save_state(u);
                }
        }
        return failed;
}

unsigned undo_run(struct undo *u, void (*report)(const struct undo_entry *e, const struct diag *d, void *ctx), void *ctx) {
        unsigned failed = undo_run_to(u, 0, report, ctx);
        if (u->state_path) {
                unlink(u->state_path);
                free(u->state_path);
                u->state_path = NULL;
        }
        return failed;
}

void undo_free(struct undo *u) {
        undo_run(u, NULL, NULL);
        free(u->v);
        free(u->state_path);
        *u = (struct undo){ 0 };
}
