/* agent — see agent.h. */
#include "agents/common/agent.h"
#include "base/linebuf.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
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
        json_object_set_new(reply, PROTO_VERSION, json_integer(ISOLAB_PROTO_VERSION));
        json_object_set_new(reply, "runtime", a->runtime ? json_string(a->runtime) : json_null());
        json_object_set_new(reply, "pid", json_integer(getpid()));
        json_t *caps = json_array();
        json_array_append_new(caps, json_string(PROTO_HELLO));
        json_array_append_new(caps, json_string(PROTO_QUIT));
        for (size_t i = 0; i < a->n_cmds; i++)
                json_array_append_new(caps, json_string(a->cmds[i].name));
        json_object_set_new(reply, "commands", caps);
        if (a->capabilities)
                json_object_set(reply, "capabilities", a->capabilities);
        if (a->hello_extra)
                json_object_update_new(reply, a->hello_extra());
        return 0;
}

static int cmd_quit(const struct proto_cmd *cmd, json_t *req, json_t *reply, char **ret_error, void *userdata) {
        (void)cmd, (void)req, (void)reply, (void)ret_error, (void)userdata;
        return 0;
}

volatile sig_atomic_t agent_interrupted;

int agent_main(struct agent *a, int argc, char **argv) {
        /* rte_eal_init starts threads: block the signals the agent handles before it, so
         * no thread takes them and the main loop reads them from a signalfd (STYLE.md,
         * "Cleanup").  SIGTERM, SIGINT and SIGHUP end the agent cleanly: PMDs stopped,
         * ports closed (which removes a server's sockets), EAL cleaned up. */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &ss, NULL);
        sigdelset(&ss, SIGPIPE);
        int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
        if (sfd < 0) {
                fprintf(stderr, "isolab-%s: signalfd: %m\n", a->role);
                return 1;
        }

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
        cmds[0] = (struct proto_cmd){ PROTO_HELLO, cmd_hello };
        cmds[1] = (struct proto_cmd){ PROTO_QUIT, cmd_quit };
        memcpy(cmds + 2, a->cmds, a->n_cmds * sizeof(*cmds));

        sd_notify(0, "READY=1");
        struct linebuf lb = { 0 };
        int quit = 0, rc = 0, eof = 0;
        while (!quit) {
                char *line = NULL;
                int r = linebuf_take(&lb, &line);
                if (r < 0) {
                        rc = 1;
                        break;
                }
                if (r == 0) {
                        if (eof)
                                break;
                        struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                        if (poll(p, 2, -1) < 0 && errno != EINTR) {
                                rc = 1;
                                break;
                        }
                        if (p[1].revents & POLLIN) {
                                struct signalfd_siginfo si;
                                if (read(sfd, &si, sizeof(si)) == sizeof(si))
                                        fprintf(stderr, "isolab-%s: %s: stopping\n", a->role, strsignal((int)si.ssi_signo));
                                break;
                        }
                        if (p[0].revents & (POLLIN | POLLHUP)) {
                                r = linebuf_fill(&lb, STDIN_FILENO);
                                if (r < 0) {
                                        rc = 1;
                                        break;
                                }
                                if (r == 0) {
                                        /* End of input: answer a last unterminated line, then stop. */
                                        eof = 1;
                                        linebuf_finish(&lb);
                                }
                        }
                        continue;
                }
                if (line[strspn(line, " \t\r")] != '\0' &&
                    proto_write(out, proto_handle_line(line, cmds, n, a, &quit)) < 0)
                        rc = 1;
                free(line);
                if (rc)
                        break;
        }
        linebuf_free(&lb);
        free(cmds);
        fclose(out);
        close(sfd);
        if (a->fini)
                a->fini();
        return rc;
}
