/* nf-none — no NF: the generator's port 0 looped back to a virtio-user port of its own
 * (isolab-gen --selftest), the floor of what the link and the generator add (nf.h). */
#include <errno.h>
#include <string.h>

#include "controller/experiment.h"
#include "controller/nf.h"

static int none_check(const struct experiment *x, struct diag *d) {
        if (x->link && strcmp(x->link, "vhost") != 0)
                return diag_set(d, -EINVAL, "--nf none runs over --link vhost only");
        return 0;
}

static void none_gen_argv(const struct agent_env *e, struct argvec *a) {
        argv_add(a, "--link-ports");
        argv_add(a, "1");
        argv_add(a, "--selftest");
        argv_add(a, "%s/vhost-0.sock", e->link_dir);
}

const struct nf_ops nf_none = {
        .name = "none",
        .check = none_check,
        .gen_argv = none_gen_argv,
};
