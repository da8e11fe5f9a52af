/* container-docker — Docker from Debian (docker.io) as the NF's engine (container.h).
 * Its daemon must answer on /var/run/docker.sock; without systemd, isolab says how to
 * start one (it never starts a daemon itself: that is the machine's business). */
#include "controller/container.h"

static int docker_check(const struct container_ops *c, struct diag *d) {
        return container_cli_check(c, (const char *const[]){ "version", "--format", "{{.Server.Version}}", NULL }, d);
}

const struct container_ops container_docker = {
        .name = "docker",
        .bin = "/usr/bin/docker",
        .package = "docker.io",
        .check = docker_check,
};
