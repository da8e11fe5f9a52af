/* agent — see agent.h. */
#include "agents/common/agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static int cmd_hello(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd;
        (void)req;
        (void)ret_error;
        const struct agent *a = userdata;
        json_object_set_new(reply, "role", json_string(a->role));
        json_object_set_new(reply, "version", json_integer(ISOLAB_PROTO_VERSION));
        json_object_set_new(reply, "runtime", a->runtime ? json_string(a->runtime) : json_null());
        json_object_set_new(reply, "pid", json_integer(getpid()));
        json_t *caps = json_array();
        json_array_append_new(caps, json_string("hello"));
        json_array_append_new(caps, json_string("quit"));
        for (size_t i = 0; i < a->n_cmds; i++)
                json_array_append_new(caps, json_string(a->cmds[i].name));
        json_object_set_new(reply, "commands", caps);
        if (a->capabilities)
                json_object_set(reply, "capabilities", a->capabilities);
        return 0;
}

static int cmd_quit(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)reply, (void)ret_error, (void)userdata;
        return 0;
}

int agent_main(struct agent *a, int argc, char **argv) {
        /* rte_eal_init starts threads: block the signals the agent handles first, so they
         * are delivered to the main thread's loop only (STYLE.md, "Cleanup").  For now the
         * loop ends on "quit" or end of input; SIGTERM's default action stays. */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &ss, NULL);

        /* stdout carries the protocol and nothing else.  DPDK's EAL logs to stdout, and
         * so may any library: keep the real stdout for replies and send fd 1 to stderr. */
        int proto_fd = dup(STDOUT_FILENO);
        FILE *out = proto_fd >= 0 ? fdopen(proto_fd, "w") : NULL;
        if (!out || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
                fprintf(stderr, "isolab-%s: cannot set up the protocol stream: %m\n", a->role);
                return 1;
        }

        if (a->init && a->init(argc, argv) < 0) {
                fclose(out);
                return 1;
        }

        size_t n = a->n_cmds + 2;
        struct proto_cmd *cmds = calloc(n, sizeof(*cmds));
        if (!cmds) {
                if (a->fini)
                        a->fini();
                return 1;
        }
        cmds[0] = (struct proto_cmd){ "hello", cmd_hello };
        cmds[1] = (struct proto_cmd){ "quit", cmd_quit };
        memcpy(cmds + 2, a->cmds, a->n_cmds * sizeof(*cmds));

        sd_notify(0, "READY=1");
        char *line = NULL;
        size_t cap = 0;
        int quit = 0, rc = 0;
        while (!quit && getline(&line, &cap, stdin) >= 0) {
                if (line[strspn(line, " \t\r\n")] == '\0')
                        continue;
                if (proto_write(out, proto_handle_line(line, cmds, n, a, &quit)) < 0) {
                        rc = 1;
                        break;
                }
        }
        free(line);
        free(cmds);
        fclose(out);
        if (a->fini)
                a->fini();
        return rc;
}
