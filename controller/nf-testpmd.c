/* nf-testpmd — dpdk-testpmd in io forwarding, the yardstick (Debian's dpdk-dev).  It
 * speaks no protocol: started raw with its output in nf.log, measured from the outside
 * (the cgroup, schedstat of its whole process), stopped by SIGTERM (nf.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/common/linkspec.h"
#include "controller/experiment.h"
#include "controller/nf.h"

/* dpdk-testpmd from PATH, or "" when it is not there. */
static const char *testpmd_path(void) {
        static char path[600];
        const char *env = getenv("PATH");
        if (!env || !*env)
                env = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = env; *p;) {
                size_t n = strcspn(p, ":");
                snprintf(path, sizeof(path), "%.*s/dpdk-testpmd", (int)n, p);
                if (n && access(path, X_OK) == 0)
                        return path;
                p += n + (p[n] == ':');
        }
        return "";
}

static int testpmd_check(const struct experiment *x, struct diag *d) {
        if (!*testpmd_path())
                return diag_set(d, -ENOENT, "--nf testpmd: dpdk-testpmd is not in PATH; install Debian's dpdk-dev (make deps)");
        if (x->link && strcmp(x->link, "vhost") != 0 && strcmp(x->link, "pci") != 0)
                return diag_set(d, -EINVAL, "--nf testpmd runs over --link vhost only (or real ports: --link pci)");
        return 0;
}

static void testpmd_argv(const struct agent_env *e, struct argvec *a) {
        unsigned q = e->x->o.pmd_cores;
        argv_add(a, "%s", testpmd_path());
        argv_eal(e, ROLE_NF, a);
        /* The container side of both vhost-user links, as isolab-nf's --link vhost does
         * (real ports come from EAL's allow-list). */
        const struct link_spec *l = link_spec_find(e->x->link);
        for (unsigned k = 0; l->kind == LINK_VHOST && k < 2; k++) {
                char path[400], devargs[600];
                l->socket(e->link_dir, k, path, sizeof(path));
                l->devargs(false, path, k, q, e->ring, devargs, sizeof(devargs));
                argv_add(a, "--vdev");
                argv_add(a, "%s", devargs);
        }
        argv_add(a, "--");
        /* The same per-packet work as isolab-nf's, through testpmd's noisy VNF mode (its
         * table is per forwarding stream, in MiB). */
        const struct nf_work *w = &e->x->work;
        if (w->table) {
                argv_add(a, "--forward-mode=noisy");
                argv_add(a, "--noisy-lkup-memory=%" PRIu64, w->table >> 20);
                argv_add(a, "--noisy-lkup-num-reads=%u", w->reads);
                argv_add(a, "--noisy-lkup-num-writes=%u", w->writes);
        } else {
                argv_add(a, "--forward-mode=io");
        }
        argv_add(a, "--auto-start");
        argv_add(a, "--stats-period=1"); /* also keeps it running with stdin at its end */
        argv_add(a, "--nb-cores=%u", q);
        argv_add(a, "--rxq=%u", q);
        argv_add(a, "--txq=%u", q);
        /* Its descriptors follow the ring, as isolab-nf's do (virtio fills min(ring, rxd)). */
        if (e->ring) {
                argv_add(a, "--rxd=%u", e->ring);
                argv_add(a, "--txd=%u", e->ring);
        }
        argv_add(a, "--no-mlockall");
        argv_add(a, "--total-num-mbufs=16384");
}

static int testpmd_work_check(const struct experiment *x, struct diag *d) {
        if (x->work.table % (1ULL << 20))
                return diag_set(d, -EINVAL, "--nf-work %s: testpmd's noisy mode takes whole MiB tables; give table=1M or more "
                                            "in MiB",
                                x->o.nf_work);
        return 0;
}

const struct nf_ops nf_testpmd = {
        .name = "testpmd",
        .has_process = true,
        .check = testpmd_check,
        .nf_argv = testpmd_argv,
        .work_check = testpmd_work_check,
};
