/* proto — see proto.h. */
#include "agents/common/proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static __attribute__((format(printf, 2, 3))) json_t *error_reply(json_t *id, const char *fmt, ...) {
        json_t *r = json_object();
        if (!r)
                return NULL;
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (id)
                json_object_set(r, "id", id);
        json_object_set_new(r, "ok", json_false());
        json_object_set_new(r, "error", json_string(msg));
        return r;
}

json_t *proto_handle_line(const char *line, const struct proto_cmd *cmds, size_t n, void *userdata, int *ret_quit) {
        json_error_t jerr;
        *ret_quit = 0;
        json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
        if (!req)
                return error_reply(NULL, "malformed request, not JSON: %s", jerr.text);
        json_t *id = json_object_get(req, PROTO_ID);
        json_t *reply = NULL;
        if (!json_is_object(req)) {
                reply = error_reply(NULL, "a request is a JSON object with a \"cmd\" string");
                goto out;
        }
        const char *name = json_string_value(json_object_get(req, PROTO_CMD));
        if (!name) {
                reply = error_reply(id, "the request has no \"cmd\" string");
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (strcmp(cmds[i].name, name) != 0)
                        continue;
                reply = json_object();
                if (!reply)
                        goto out;
                if (id)
                        json_object_set(reply, "id", id);
                json_object_set_new(reply, "ok", json_true());
                char *err = NULL;
                if (cmds[i].handler(&cmds[i], req, reply, &err, userdata) < 0) {
                        json_decref(reply);
                        reply = error_reply(id, "%s", err ? err : "failed");
                        free(err);
                }
                if (strcmp(name, PROTO_QUIT) == 0)
                        *ret_quit = 1;
                goto out;
        }
        reply = error_reply(id, "unknown command \"%s\"", name);
out:
        json_decref(req);
        return reply;
}

int proto_write(FILE *f, json_t *reply) {
        if (!reply)
                return -ENOMEM;
        int r = json_dumpf(reply, f, JSON_COMPACT);
        json_decref(reply);
        if (r < 0 || fputc('\n', f) == EOF || fflush(f) == EOF)
                return -EIO;
        return 0;
}
