/* The JSON-lines protocol: dispatch, echoed ids, and an error reply (never a crash,
 * never silence) for every malformed or unknown request. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agents/common/proto.h"

static int cmd_echo(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd;
        (*(int *)userdata)++;
        json_t *v = json_object_get(req, "value");
        if (!v) {
                *ret_error = strdup("echo needs \"value\"");
                return -EINVAL;
        }
        json_object_set(reply, "value", v);
        return 0;
}

static int cmd_quit(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)reply, (void)ret_error, (void)userdata;
        return 0;
}

static const struct proto_cmd cmds[] = { { "echo", cmd_echo }, { "quit", cmd_quit } };

static json_t *handle(const char *line, int *calls, int *quit) {
        json_t *r = proto_handle_line(line, cmds, 2, calls, quit);
        cr_assert_not_null(r, "no reply to %s", line);
        return r;
}

Test(proto, dispatches_and_echoes_the_id) {
        int calls = 0, quit = 0;
        json_t *r = handle("{\"id\": 7, \"cmd\": \"echo\", \"value\": [1, 2]}", &calls, &quit);
        cr_expect_eq(json_integer_value(json_object_get(r, "id")), 7);
        cr_expect(json_is_true(json_object_get(r, "ok")));
        cr_expect_eq(json_array_size(json_object_get(r, "value")), 2);
        cr_expect_eq(calls, 1);
        cr_expect_eq(quit, 0);
        json_decref(r);
}

Test(proto, handler_errors_become_error_replies) {
        int calls = 0, quit = 0;
        json_t *r = handle("{\"id\": \"a\", \"cmd\": \"echo\"}", &calls, &quit);
        cr_expect(json_is_false(json_object_get(r, "ok")));
        cr_expect_str_eq(json_string_value(json_object_get(r, "error")), "echo needs \"value\"");
        cr_expect_str_eq(json_string_value(json_object_get(r, "id")), "a");
        json_decref(r);
}

Test(proto, malformed_and_unknown_requests_get_error_replies) {
        static const char *const bad[] = {
                "", "not json", "{\"cmd\": \"echo\"", "[1,2]", "42", "{\"id\": 1}", "{\"cmd\": 5}",
                "{\"cmd\": \"frobnicate\"}", "{\"cmd\": \"echo\", \"cmd\": \"quit\"}", "\"\\u0000\"",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int calls = 0, quit = 0;
                json_t *r = handle(bad[i], &calls, &quit);
                cr_expect(json_is_false(json_object_get(r, "ok")), "%s", bad[i]);
                cr_expect(json_is_string(json_object_get(r, "error")), "%s", bad[i]);
                cr_expect_eq(calls, 0, "%s", bad[i]);
                cr_expect_eq(quit, 0, "%s", bad[i]);
                json_decref(r);
        }
}

Test(proto, quit_is_reported) {
        int calls = 0, quit = 0;
        json_t *r = handle("{\"cmd\": \"quit\"}", &calls, &quit);
        cr_expect(json_is_true(json_object_get(r, "ok")));
        cr_expect_eq(quit, 1);
        json_decref(r);
}

Test(proto, replies_are_single_lines) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        json_t *r = json_pack("{s:i, s:b, s:s}", "id", 1, "ok", 1, "text", "two\nlines");
        cr_assert_eq(proto_write(f, r), 0);
        fclose(f);
        cr_expect_str_eq(buf, "{\"id\":1,\"ok\":true,\"text\":\"two\\nlines\"}\n");
        free(buf);
}
