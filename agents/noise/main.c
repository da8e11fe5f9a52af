/* isolab-noise — the built-in noisy neighbours (DESIGN.md, "Processes").  It does
 * not use DPDK.  This build is the skeleton: the protocol loop and readiness; the
 * workload registry arrives with issue #5. */
#include <stddef.h>

#include "agents/common/agent.h"

int main(int argc, char **argv) {
        struct agent a = { .role = "noise" };
        return agent_main(&a, argc, argv);
}
