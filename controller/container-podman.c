/* container-podman — Podman from Debian as the NF's engine (container.h).  No daemon;
 * without systemd it is told to manage cgroups itself (cgroupfs) and to log its events
 * to a file, and its containers get explicit ulimits within the hard limits (Podman 4.3
 * asks for more than such hosts allow). */
#include <stdio.h>
#include <sys/resource.h>

#include "controller/container.h"
#include "controller/nf.h"

static void podman_global(struct argvec *a) {
        argv_add(a, "--cgroup-manager=cgroupfs");
        argv_add(a, "--events-backend=file");
}

/* Within the hard limits, and below what its runtime may set here: on this kind of VM
 * runc refused nproc 65536 ("error setting rlimit type 6: operation not permitted") and
 * took 32768, and Podman's defaults fail the same way. */
static void podman_run(struct argvec *a) {
        static const struct {
                int res;
                const char *name;
                unsigned long long cap;
        } lim[] = { { RLIMIT_NOFILE, "nofile", 1048576ULL }, { RLIMIT_NPROC, "nproc", 32768ULL } };
        for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
                struct rlimit rl;
                if (getrlimit(lim[i].res, &rl) < 0)
                        continue;
                unsigned long long hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > lim[i].cap ? lim[i].cap
                                                                                                  : (unsigned long long)rl.rlim_max;
                argv_add(a, "--ulimit");
                argv_add(a, "%s=%llu:%llu", lim[i].name, hard, hard);
        }
        /* Its conmon stays with the client (no group of its own under --cgroup-parent, which
         * it would leave behind). */
        argv_add(a, "--cgroups=no-conmon");
}

static int podman_check(const struct container_ops *c, struct diag *d) {
        /* Its runtime and storage, as a run would use them. */
        return container_cli_check(c, (const char *const[]){ "info", "--format", "{{.Host.OCIRuntime.Name}}", NULL }, d);
}

const struct container_ops container_podman = {
        .name = "podman",
        .bin = "/usr/bin/podman",
        .package = "podman",
        .check = podman_check,
        .global_args = podman_global,
        .run_args = podman_run,
};
