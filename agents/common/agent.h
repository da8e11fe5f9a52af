/* agent — the life every isolab agent shares: EAL up, READY=1, the JSON-lines loop on
 * stdin/stdout, EAL down.  An agent supplies its role and its command table. */
#pragma once

#include "agents/common/proto.h"

struct agent {
        const char *role;               /* "nf", "gen", "noise" */
        const struct proto_cmd *cmds;   /* the agent's own commands; hello and quit are built in */
        size_t n_cmds;
        json_t *capabilities;           /* reported by hello; owned by the agent */
        void *userdata;                 /* the agent's state; handlers receive the struct agent * */
        /* Runtime hooks: DPDK agents plug in EAL (eal.h); isolab-noise runs without. */
        int (*init)(int argc, char **argv); /* 0 or -errno, after printing the reason */
        void (*fini)(void);
        const char *runtime;            /* reported by hello, e.g. "DPDK 22.11.11"; NULL: none */
        json_t *(*hello_extra)(void);   /* more of hello's reply, known after init (e.g. its clock); NULL: none */
};

#include <signal.h>

/* Set when SIGTERM, SIGINT or SIGHUP arrives while a command runs (agent_wait_workers
 * notices); long-running data-path loops check it and end early. */
extern volatile sig_atomic_t agent_interrupted;

/* Runs the agent: init(argc, argv), READY=1 to NOTIFY_SOCKET (a no-op without one),
 * requests until "quit" or end of input, fini.  Returns the process exit code. */
int agent_main(struct agent *a, int argc, char **argv);
