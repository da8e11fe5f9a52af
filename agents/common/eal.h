/* eal — the DPDK agents' EAL hooks for agent_main(): one rte_eal_init per run. */
#pragma once

/* rte_eal_init(argc, argv); returns the number of arguments EAL consumed (the agent's
 * own options follow them), or prints "PROGRAM: EAL initialisation failed: REASON" and
 * returns -errno. */
int agent_eal_init(int argc, char **argv);
void agent_eal_fini(void);
/* "DPDK 22.11.11" */
const char *agent_eal_version(void);

/* Waits for every worker lcore to finish, sleeping (1 ms steps) instead of spinning the
 * way rte_eal_mp_wait_lcore() does: the control thread often shares a CPU with a
 * worker, and a spinning waiter takes half of that CPU from it. */
void agent_wait_workers(void);
