/* The agents' JSON-lines protocol: any line, dispatched to a table of commands. */
#include <stdlib.h>
#include <string.h>

#include "agents/common/proto.h"
#include "tests/fuzz/fuzz.h"

static int echo(const struct proto_cmd *c, json_t *req, json_t *reply, char **err, void *u) {
        (void)c, (void)u;
        json_t *v = json_object_get(req, "fail");
        if (json_is_true(v)) {
                *err = strdup("asked to fail");
                return -22;
        }
        json_object_set(reply, "echo", req);
        return 0;
}

int FUZZ_TARGET(proto) {
        char *line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';
        static const struct proto_cmd cmds[] = { { "echo", echo }, { "stats", echo } };
        int quit = 0;
        json_t *reply = proto_handle_line(line, cmds, 2, NULL, &quit);
        char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
        free(text);
        json_decref(reply);
        free(line);
        return 0;
}
