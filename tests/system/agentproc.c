/* agentproc — see agentproc.h. */
#include "tests/system/agentproc.h"
#include "tests/system/sysfix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int aproc_start(struct aproc *a, char *const argv[], const char *notify_path) {
        int to[2], from[2];
        if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
                return -errno;
        a->pid = fork();
        if (a->pid < 0)
                return -errno;
        if (a->pid == 0) {
                dup2(to[0], 0);
                dup2(from[1], 1);
                if (notify_path)
                        setenv("NOTIFY_SOCKET", notify_path, 1);
                else
                        unsetenv("NOTIFY_SOCKET");
                execv(argv[0], argv);
                _exit(127);
        }
        close(to[0]);
        close(from[1]);
        a->in = fdopen(to[1], "w");
        a->out = fdopen(from[0], "r");
        return a->in && a->out ? 0 : -ENOMEM;
}

json_t *aproc_request(struct aproc *a, const char *line, int timeout_ms) {
        if (fprintf(a->in, "%s\n", line) < 0 || fflush(a->in) != 0)
                return NULL;
        struct pollfd p = { .fd = fileno(a->out), .events = POLLIN };
        if (poll(&p, 1, timeout_ms) != 1)
                return NULL;
        char *reply = NULL;
        size_t cap = 0;
        json_t *doc = NULL;
        if (getline(&reply, &cap, a->out) > 0)
                doc = json_loads(reply, 0, NULL);
        free(reply);
        return doc;
}

int aproc_wait(struct aproc *a, int seconds) {
        for (int i = 0; i < seconds * 20; i++) {
                int st;
                if (a->pid > 0 && waitpid(a->pid, &st, WNOHANG) == a->pid) {
                        a->pid = 0;
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        return -1;
}

void aproc_stop(struct aproc *a) {
        if (a->in)
                fclose(a->in);
        if (a->out)
                fclose(a->out);
        a->in = a->out = NULL;
        if (a->pid > 0) {
                /* End of input asks the agent to quit; give it a moment, then insist. */
                if (aproc_wait(a, 5) < 0) {
                        kill(a->pid, SIGKILL);
                        waitpid(a->pid, NULL, 0);
                }
                a->pid = 0;
        }
        if (a->prefix[0]) {
                char path[128];
                snprintf(path, sizeof(path), "/var/run/dpdk/%s", a->prefix);
                if (sysfix_rm_rf(path) < 0)
                        fprintf(stderr, "agentproc: could not remove %s\n", path);
                a->prefix[0] = '\0';
        }
}
