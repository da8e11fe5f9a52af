/* eal — the DPDK agents' EAL hooks for agent_main(): one rte_eal_init per run. */
#pragma once

/* rte_eal_init(argc, argv); prints "isolab-ROLE: EAL initialisation failed: REASON" on
 * failure and returns -errno. */
int agent_eal_init(int argc, char **argv);
void agent_eal_fini(void);
/* "DPDK 22.11.11" */
const char *agent_eal_version(void);
