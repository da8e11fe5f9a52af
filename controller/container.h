/* container — where the NF under test runs: on the host in isolab's cgroup, or in a
 * container of a real engine (Docker, Podman), as the study ran OVS-DPDK (issue 17).  One
 * ops struct per engine (container-docker.c, container-podman.c; none for the host), as
 * for the NF kinds (nf.h).
 *
 * The engines are driven through their command line, which Docker and Podman share
 * (run, update, inspect, rm -f, import, image rm), not Docker's Engine API: Podman has no
 * daemon to speak to, the CLI is what the study's users type, and every call is one
 * sentence in a log when it fails.  The binaries are Debian's, by absolute path, never
 * from PATH.
 *
 * A containerised NF runs `ENGINE run -i --rm` attached: the engine's client is the
 * runner's child, its stdin and stdout carry isolab's protocol (isolab-nf) or the NF's
 * console (testpmd, OVS), and the container's own init (Debian's tini) runs the NF's
 * command line, unchanged.  The run directory (hugetlbfs, the link's sockets, OVS's
 * database socket), the host's /usr and isolab's agents are bind-mounted at the same
 * paths, so the command line is the host's.  The container's cgroup comes from
 * /proc/PID/cgroup of its main process; the quota is the engine's (`--cpu-period`,
 * `--cpu-quota`, changed live with `update`) and is read back from that cgroup. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/diag.h"

struct experiment;
struct exp_run;
struct argvec;
struct cg_quota;

struct container_ops {
        const char *name;          /* --container NAME: none, docker, podman */
        const char *bin;           /* the engine's client, absolute (NULL: the host) */
        const char *package;       /* the Debian package that ships it */
        /* Whether it can run here: installed, its daemon answering (Docker); else one
         * sentence naming the package to install or the command to start it. */
        int (*check)(const struct container_ops *c, struct diag *d);
        /* Flags before the subcommand (Podman without systemd: cgroupfs, file events). */
        void (*global_args)(struct argvec *a);
        /* Flags of `run` this engine needs besides the shared ones (Podman: ulimits within
         * the hard limits). */
        void (*run_args)(struct argvec *a);
};

extern const struct container_ops container_none, container_docker, container_podman;
extern const struct container_ops *const container_engines[];
extern const size_t n_container_engines;

const struct container_ops *container_find(const char *name);
const char *container_names(void); /* "none, docker or podman" */
static inline bool container_is_host(const struct container_ops *c) {
        return !c || !c->bin;
}

/* Shared by the engines (container-cli.c).  The engine's client is there and answers
 * probe (its arguments, NULL-terminated); its command with the global flags; and one
 * call of it with args, its output in *out (NULL: not wanted), 0 or -errno with d naming
 * the subcommand and the first line it printed. */
int container_cli_check(const struct container_ops *c, const char *const probe[], struct diag *d);
void container_cmd(const struct container_ops *c, struct argvec *a);
int container_run_cli(const struct container_ops *c, const char *const args[], char **out, struct diag *d);

/* The run's image: --container-image, checked to exist (never pulled), or one made now
 * from an empty base with the usual top-level symlinks (removed at the run's end). */
int container_image(struct exp_run *R, struct diag *d);
/* The NF's command line nf wrapped in `ENGINE run ... IMAGE tini --` (pure: the dry
 * run shows it); container_wrap makes the slot's that, and records how to remove it. */
void container_argv(const struct exp_run *R, const struct argvec *nf, struct argvec *ret);
int container_wrap(struct exp_run *R, struct diag *d);
/* Once its client runs: the container's id, its main process (the NF, under tini), its
 * cgroup (the slot's rel from now on); records how to remove it. */
int container_attach(struct exp_run *R, struct diag *d);
/* Its agents released: the container removed (its name is free for the next start), and
 * the slot's cgroup is isolab's again. */
void container_detach(struct exp_run *R);
/* Records, once per run, how to remove the directories the engines make for
 * --cgroup-parent in every hierarchy (after the containers are gone). */
int container_push_leftovers(struct exp_run *R, struct diag *d);
/* The quota through the engine (`update`), read back from the container's cgroup. */
int container_set_quota(struct exp_run *R, const struct cg_quota *q, struct diag *d);

/* For `isolab cleanup` and the undo stack: remove a container by name (validated) with
 * the engine named; and the directories the engine's cgroup parent left in every
 * hierarchy (empty ones only). */
int container_remove(const char *engine, const char *name, struct diag *d);
int container_image_remove(const char *engine, const char *image, struct diag *d);
void container_cgroup_leftovers(const char *parent_rel);

/* Pure, for tests: the cgroup path (no leading '/') of a /proc/PID/cgroup text for the
 * hierarchy holding controller (v1) or the unified one (v2: controller NULL). */
int container_cgroup_of(const char *proc_cgroup, const char *controller, char *buf, size_t len);
