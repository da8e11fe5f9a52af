/* nf-isolab — isolab-nf, the in-process L2 forwarder: it speaks the protocol, so it says
 * when it is ready, where its lcores really run, and counts from the inside (nf.h). */
#include "controller/experiment.h"
#include "controller/nf.h"

static void isolab_nf_argv(const struct agent_env *e, struct argvec *a) {
        argv_agent(e, ROLE_NF, a);
}

const struct nf_ops nf_isolab = {
        .name = "isolab-nf",
        .speaks_protocol = true,
        .has_process = true,
        .nf_argv = isolab_nf_argv,
};
