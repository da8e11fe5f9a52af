/* cgroup-open — which backend drives the run's cgroups (cgroup.h): v1 (libcgroup,
 * cgroup-v1.c), v2 (the files, cgroup.c) or systemd (transient scopes over D-Bus,
 * cgroup-systemd.c).  The one file that knows them all, so that none of them needs
 * another. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "controller/cgroup-systemd.h"
#include "controller/cgroup.h"

static int real_mkdir(const char *path) {
        return mkdir(path, 0755);
}

int cg_open(struct cg *cg, const struct cg_mounts *m, struct diag *d) {
        if (m->cpu != m->cpuset)
                return diag_set(d, -ENOTSUP,
                                "the cpu controller is on cgroup %s and cpuset on %s; isolab needs both on one version",
                                cg_mode_name(m->cpu), cg_mode_name(m->cpuset));
        const char *force = getenv("ISOLAB_CGROUP_BACKEND");
        if (force && *force && strcmp(force, "v2") != 0 && strcmp(force, "systemd") != 0)
                return diag_set(d, -EINVAL, "ISOLAB_CGROUP_BACKEND=%s: use v2 or systemd, or unset it", force);
        if (force && *force && m->cpu != CG_V2)
                return diag_set(d, -ENOTSUP, "ISOLAB_CGROUP_BACKEND=%s needs the cpu controller on cgroup v2, and here it is "
                                             "on %s; unset it", force, cg_mode_name(m->cpu));
        if (m->cpu == CG_V2 && (force && *force ? strcmp(force, "systemd") == 0 : sd_booted() > 0))
                return cg_open_systemd(cg, m, NULL, d);
        cg->m = *m;
        cg->ops = m->cpu == CG_V1 ? &cg_v1_ops : &cg_v2_ops;
        if (!cg->mkdir)
                cg->mkdir = real_mkdir;
        if (!cg->rmdir)
                cg->rmdir = rmdir;
        return 0;
}

void cg_close(struct cg *cg) {
        cg_close_systemd(cg);
}
