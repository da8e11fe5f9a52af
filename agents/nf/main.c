/* isolab-nf — the network function: an in-process DPDK L2 forwarder that measures itself
 * from the inside (DESIGN.md, "Processes").  This build is the skeleton: EAL, the
 * protocol loop and readiness; port setup, PMD lcores and metrics arrive with issue #3. */
#include <stddef.h>

#include "agents/common/agent.h"
#include "agents/common/eal.h"

int main(int argc, char **argv) {
        struct agent a = {
                .role = "nf", .init = agent_eal_init, .fini = agent_eal_fini, .runtime = agent_eal_version(),
        };
        return agent_main(&a, argc, argv);
}
