/* isolab-gen — the traffic generator: paced UDP streams stamped with the TSC, latency
 * and loss on receive (DESIGN.md, "Processes").  This build is the skeleton: EAL, the
 * protocol loop and readiness; TX/RX and the trial command arrive with issue #3. */
#include <stddef.h>

#include "agents/common/agent.h"
#include "agents/common/eal.h"

int main(int argc, char **argv) {
        struct agent a = {
                .role = "gen", .init = agent_eal_init, .fini = agent_eal_fini, .runtime = agent_eal_version(),
        };
        return agent_main(&a, argc, argv);
}
