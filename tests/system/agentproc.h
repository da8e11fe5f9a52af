/* agentproc — run an isolab agent from a test the way the controller will: its own
 * process, the protocol over pipes, a unique DPDK file prefix, and nothing left behind. */
#pragma once

#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

struct aproc {
        pid_t pid;
        FILE *in, *out;
        char prefix[64];  /* DPDK --file-prefix; its runtime directory is removed by aproc_stop */
};

/* Starts argv[0] with argv; stdout is the protocol, stderr is inherited.  If notify_path
 * is not NULL it becomes NOTIFY_SOCKET.  Returns 0 or -errno. */
int aproc_start(struct aproc *a, char *const argv[], const char *notify_path);

/* Sends one line and reads one reply, waiting at most timeout_ms.  NULL on end of file,
 * timeout or a reply that is not JSON. */
json_t *aproc_request(struct aproc *a, const char *line, int timeout_ms);

/* Waits up to seconds for the agent to exit; returns its exit code (128+signal for a
 * signal), or -1 if it is still running. */
int aproc_wait(struct aproc *a, int seconds);

/* Kills the agent if it still runs, reaps it, closes the pipes, removes its DPDK runtime
 * directory.  Safe to call twice and on a never-started aproc (pid 0). */
void aproc_stop(struct aproc *a);
