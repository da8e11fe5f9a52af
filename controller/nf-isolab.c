/* nf-isolab — isolab-nf, the in-process L2 forwarder: it speaks the protocol, so it says
 * when it is ready, where its lcores really run, and counts from the inside (nf.h). */
#include "controller/experiment.h"
#include "controller/nf.h"

static void isolab_nf_argv(const struct agent_env *e, struct argvec *a) {
        argv_agent(e, ROLE_NF, a);
        if (e->x->work.table) {
                char w[96];
                nf_work_format(&e->x->work, w, sizeof(w));
                argv_add(a, "--work");
                argv_add(a, "%s", w);
        }
}

static int isolab_nf_work_check(const struct experiment *x, struct diag *d) {
        (void)x, (void)d;
        return 0; /* any spec nf_work_parse takes */
}

const struct nf_ops nf_isolab = {
        .name = "isolab-nf",
        .speaks_protocol = true,
        .has_process = true,
        .nf_argv = isolab_nf_argv,
        .work_check = isolab_nf_work_check,
};
