/* eal — see eal.h. */
#include "agents/common/eal.h"

#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <time.h>

#include "agents/common/agent.h"

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_version.h>

int agent_eal_init(int argc, char **argv) {
        int r = rte_eal_init(argc, argv);
        if (r < 0) {
                r = rte_errno;
                fprintf(stderr, "%s: EAL initialisation failed: %s\n", argv[0], rte_strerror(r));
                return -r;
        }
        return r;
}

void agent_eal_fini(void) {
        rte_eal_cleanup();
}

const char *agent_eal_version(void) {
        return rte_version();
}

void agent_wait_workers(void) {
        unsigned l;
        RTE_LCORE_FOREACH_WORKER(l) {
                while (rte_eal_get_lcore_state(l) == RUNNING) {
                        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
                        /* A stop signal is blocked (agent_main reads it later): tell the
                         * workers now, so a long trial ends early. */
                        sigset_t pending;
                        if (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) ||
                                                          sigismember(&pending, SIGINT) || sigismember(&pending, SIGHUP)))
                                agent_interrupted = 1;
                }
                rte_eal_wait_lcore(l); /* collects the return value; does not spin now */
        }
}
