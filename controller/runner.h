/* runner — the agents as children of the controller, on one sd-event loop.
 *
 * sd-event (libsystemd; no systemd needed) watches the agents' stdout, their exit, the
 * NOTIFY_SOCKET where they announce READY=1, and SIGINT/SIGTERM/SIGHUP.  Every signal it
 * handles is blocked before anything starts.  An agent is forked, waits on a pipe until
 * the controller has moved it into its cgroups, then execs: so the agent and all the
 * threads EAL starts are limited from their first instruction.  Requests are
 * synchronous (one outstanding per agent): runner_request() turns the loop until the
 * reply, the agent's death, a timeout or a signal. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "base/diag.h"
#include "base/linebuf.h"
#include "controller/cgroup.h"

#define RUNNER_MAX_AGENTS 16

struct runner_agent {
        char name[32];            /* "gen", "nf", "noise-0" */
        pid_t pid;                /* 0 once reaped */
        int in_fd;                /* its stdin */
        int out_fd;               /* its stdout */
        sd_event_source *io, *child;
        struct linebuf out;       /* its stdout, a line at a time */
        json_t *reply;            /* the reply to the outstanding request */
        bool garbage;             /* it printed a line that is not JSON since the last request: a broken agent */
        bool ready;               /* READY=1 received */
        bool exited;
        int exit_code;            /* 128+signal for a signal */
        bool released;            /* stopped and freed: the slot can be taken again */
        unsigned generation;      /* which start this slot holds (slots are reused) */
        bool raw;                 /* speaks no protocol (dpdk-testpmd): stdout to the log, SIGTERM to stop */
        pid_t inner_pid;          /* the program itself when pid is its container engine's client (0: pid) */
};

/* The process to read /proc of: the program, in a container or not. */
static inline pid_t agent_proc_pid(const struct runner_agent *a) {
        return a ? (a->inner_pid > 0 ? a->inner_pid : a->pid) : 0;
}

struct runner {
        sd_event *ev;
        int notify_fd;
        char notify_path[108];
        sd_event_source *notify_src, *sig[3];
        struct runner_agent agents[RUNNER_MAX_AGENTS];
        unsigned n_agents;
        int interrupted;          /* the signal that asked us to stop, 0 if none */
        unsigned starts;          /* agents started so far: the next generation */
};

/* Creates the loop, blocks SIGINT/SIGTERM/SIGHUP/SIGCHLD, binds NOTIFY_SOCKET at
 * notify_path (in the run's private directory). */
int runner_init(struct runner *r, const char *notify_path, struct diag *d);
void runner_done(struct runner *r); /* kills and reaps what is left, frees */

/* Starts argv as agent `name`, moved into cgroup `rel` of cg (NULL: none) before exec;
 * its stderr goes to stderr_fd (-1: inherited).  Returns the agent or NULL with d set. */
struct runner_agent *runner_start(struct runner *r, const char *name, char *const argv[], struct cg *cg, const char *rel,
                                  int stderr_fd, struct diag *d);
/* The same for a program that speaks no protocol: its stdout goes to stderr_fd too, it
 * is stopped with SIGTERM, and nothing waits for its READY=1. */
struct runner_agent *runner_start_raw(struct runner *r, const char *name, char *const argv[], struct cg *cg, const char *rel,
                                      int stderr_fd, struct diag *d);

/* Waits up to timeout_ms for READY=1.  0, or -ETIMEDOUT / -ECHILD (it died) / -EINTR. */
int runner_wait_ready(struct runner *r, struct runner_agent *a, int timeout_ms, struct diag *d);

/* Turns the loop until done(ctx), for up to timeout_ms: 0, or -ECHILD (a died) /
 * -ETIMEDOUT / -EINTR with d saying so of `what`. */
int runner_wait_until(struct runner *r, struct runner_agent *a, bool (*done)(const void *ctx), const void *ctx,
                      int timeout_ms, const char *what, struct diag *d);

/* Sends req (one JSON object) and waits for the reply.  Returns 0 with *ret (an "ok"
 * reply, owned by the caller), or -errno with d: the agent's error reply (-EPROTO),
 * its death (-ECHILD), a timeout (-ETIMEDOUT), a signal (-EINTR). */
int runner_request(struct runner *r, struct runner_agent *a, json_t *req, int timeout_ms, json_t **ret, struct diag *d);

/* Asks the agent to quit, waits up to timeout_ms, then SIGKILLs; reaps it. */
void runner_stop(struct runner *r, struct runner_agent *a, int timeout_ms);
/* runner_stop, then frees what the runner holds for it; its slot is reused by the next
 * runner_start.  a must not be used afterwards. */
void runner_release(struct runner *r, struct runner_agent *a);
