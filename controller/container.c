/* container — the NF in a container of a real engine (container.h). */
#include "controller/container.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"
#include "controller/engine.h"
#include "controller/paths.h"
#include "controller/verbs.h"
#include "topology/cpulist.h"

const struct container_ops container_none = { .name = "none" };
const struct container_ops *const container_engines[] = { &container_none, &container_docker, &container_podman };
const size_t n_container_engines = ELEMENTSOF(container_engines);

const struct container_ops *container_find(const char *name) {
        for (size_t i = 0; i < n_container_engines; i++)
                if (strcmp(container_engines[i]->name, name) == 0)
                        return container_engines[i];
        return NULL;
}

const char *container_names(void) {
        static char list[128];
        if (!list[0])
                for (size_t i = 0; i < n_container_engines; i++)
                        join_or(list, sizeof(list), i, n_container_engines, container_engines[i]->name);
        return list;
}

/* Names isolab puts on an engine's command line: a container, an image tag.  Anything
 * else read from a file or an option is refused, never passed on. */
static bool safe_word(const char *s, const char *extra) {
        if (!s || !*s || *s == '-' || strlen(s) > 200)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("._-", *c) && !strchr(extra, *c))
                        return false;
        return true;
}

static void ct_name(const struct exp_run *R, char *buf, size_t len) {
        snprintf(buf, len, "isolab-%s-nf", R->run_id);
}

/* ---- the image ------------------------------------------------------------------------------ */

struct undo_image {
        const struct container_ops *c;
        char image[160];
};

static int undo_image(void *data, struct diag *d) {
        struct undo_image *u = data;
        return container_image_remove(u->c->name, u->image, d);
}

int container_image_remove(const char *name_of_engine, const char *image, struct diag *d) {
        const struct container_ops *c = container_find(name_of_engine ? name_of_engine : "");
        if (!c || container_is_host(c))
                return diag_set(d, -EINVAL, "state file names engine \"%s\"", name_of_engine ? name_of_engine : "?");
        if (!image || strncmp(image, "localhost/isolab-base:", 22) != 0 || !safe_word(image + 22, ""))
                return diag_set(d, -EINVAL, "state file names image \"%s\", not one isolab made", image ? image : "?");
        struct diag rd = { 0 };
        int r = container_run_cli(c, (const char *[]){ "image", "rm", image, NULL }, NULL, &rd);
        if (r < 0 && (strstr(rd.msg, "No such image") || strstr(rd.msg, "image not known")))
                return 0;
        return r < 0 ? diag_set(d, r, "%s", rd.msg) : 0;
}

struct undo_leftovers {
        char parent[200];
};

static int undo_leftovers(void *data, struct diag *d) {
        (void)d;
        container_cgroup_leftovers(((struct undo_leftovers *)data)->parent);
        return 0;
}

/* An empty base: the top-level directories an NF's process expects, and the usual
 * symlinks into the host's /usr, mounted read-only at run time (var/run -> ../run, or EAL
 * cannot make its runtime directory). */
static int base_tree(const char *dir, struct diag *d) {
        static const char *const dirs[] = { "usr", "run", "var", "tmp", "proc", "sys", "dev", "etc", "root" };
        static const char *const links[][2] = { { "usr/bin", "bin" }, { "usr/lib", "lib" }, { "usr/lib64", "lib64" },
                                                { "usr/sbin", "sbin" }, { "../run", "var/run" } };
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return diag_set(d, -errno, "cannot create %s: %s", dir, strerror(errno));
        char p[600];
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
                if (mkdir(p, strcmp(dirs[i], "tmp") == 0 ? 01777 : 0755) < 0 && errno != EEXIST)
                        return diag_set(d, -errno, "cannot create %s: %s", p, strerror(errno));
        }
        snprintf(p, sizeof(p), "%s/tmp", dir);
        chmod(p, 01777);
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, links[i][1]);
                if (symlink(links[i][0], p) < 0 && errno != EEXIST)
                        return diag_set(d, -errno, "cannot create %s: %s", p, strerror(errno));
        }
        return 0;
}

/* What base_tree made, and only that. */
static void base_tree_remove(const char *dir) {
        static const char *const names[] = { "var/run", "bin", "lib", "lib64", "sbin", "usr", "run", "var", "tmp", "proc",
                                             "sys", "dev", "etc", "root" };
        char p[600];
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
                if (unlink(p) < 0)
                        rmdir(p);
        }
        rmdir(dir);
}

int container_image(struct exp_run *R, struct diag *d) {
        const struct container_ops *c = R->ct;
        const char *own = R->x->o.container_image;
        if (own) {
                if (!safe_word(own, "/:@"))
                        return diag_set(d, -EINVAL, "--container-image %s: give an image name of letters, digits and ._-/:@", own);
                snprintf(R->image, sizeof(R->image), "%s", own);
                struct diag id = { 0 };
                if (container_run_cli(c, (const char *[]){ "image", "inspect", "--format", "{{.Id}}", own, NULL }, NULL, &id) < 0)
                        return diag_set(d, -ENOENT, "--container-image %s: %s has no such image (isolab never pulls: load or "
                                                    "build it first)",
                                        own, c->name);
                return 0;
        }
        snprintf(R->image, sizeof(R->image), "localhost/isolab-base:%s", R->run_id);
        char dir[400], tar[420];
        snprintf(dir, sizeof(dir), "%s/image-%s", R->run_dir, c->name);
        snprintf(tar, sizeof(tar), "%s.tar", dir);
        int r = base_tree(dir, d);
        if (r < 0)
                return r;
        char *targv[] = { "/bin/tar", "-C", dir, "--numeric-owner", "--owner=0", "--group=0", "-cf", tar, ".", NULL };
        char *out = NULL;
        int st = spawn_capture_flags(targv, 4096, SPAWN_STDERR, &out);
        if (st != 0) {
                r = diag_set(d, -EIO, "cannot pack the container's base image (tar: %.*s)", out ? (int)strcspn(out, "\n") : 0,
                             out ? out : "");
                free(out);
                base_tree_remove(dir);
                return r;
        }
        free(out);
        struct undo_image *u = calloc(1, sizeof(*u));
        if (!u)
                return diag_set(d, -ENOMEM, "out of memory");
        u->c = c;
        snprintf(u->image, sizeof(u->image), "%s", R->image);
        r = container_run_cli(c, (const char *[]){ "import", tar, R->image, NULL }, NULL, d);
        base_tree_remove(dir);
        unlink(tar);
        if (r < 0) {
                free(u);
                return r;
        }
        return undo_push_rec(&R->undo, undo_image, u,
                             json_pack("{s:s, s:s, s:s}", "kind", "container-image", "engine", c->name, "image", R->image),
                             "remove image %s", R->image);
}

/* ---- the container ----------------------------------------------------------------------- */

struct undo_ct {
        const struct container_ops *c;
        char name[128];
};

static int undo_ct(void *data, struct diag *d) {
        struct undo_ct *u = data;
        return container_remove(u->c->name, u->name, d);
}

/* The container's limit: the quota of its PMD cores, and --container-headroom. */
static uint64_t ct_quota_us(const struct exp_run *R, const struct cg_quota *q) {
        return q->quota_us + (uint64_t)(R->x->ct_headroom * (double)q->period_us / 100);
}

void container_argv(const struct exp_run *R, const struct argvec *nf, struct argvec *ret) {
        const struct container_ops *c = R->ct;
        const struct agent_slot *s = &R->slot[ROLE_NF];
        struct argvec *a = ret;
        *a = (struct argvec){ 0 };
        char name[128], parent[220], quota[32], period[32];
        ct_name(R, name, sizeof(name));
        snprintf(parent, sizeof(parent), "/%s", R->nf_host_rel[0] ? R->nf_host_rel : s->rel);
        /* Started at the whole PMD cores (and the headroom); each trial sets its own. */
        struct cg_quota q;
        cg_quota_compute(100, R->x->o.pmd_cores, R->pts[0].period_us, &q, NULL);
        snprintf(period, sizeof(period), "%" PRIu64, q.period_us);
        snprintf(quota, sizeof(quota), "%" PRIu64, ct_quota_us(R, &q));
        _cleanup_free_ char *cpus = cpulist_format(R->nf_set);
        container_cmd(c, a);
        argv_add(a, "run");
        argv_add(a, "-i");
        argv_add(a, "--rm");
        argv_add(a, "--name");
        argv_add(a, "%s", name);
        argv_add(a, "--pull");
        argv_add(a, "never");
        argv_add(a, "--network");
        argv_add(a, "none");
        argv_add(a, "--log-driver");
        argv_add(a, "none");
        argv_add(a, "--cgroup-parent");
        argv_add(a, "%s", parent);
        argv_add(a, "--cpu-period");
        argv_add(a, "%s", period);
        argv_add(a, "--cpu-quota");
        argv_add(a, "%s", quota);
        argv_add(a, "--cpuset-cpus");
        argv_add(a, "%s", cpus ? cpus : "0");
        argv_add(a, "--cpuset-mems");
        argv_add(a, "%s", R->mems);
        /* DPDK on hugepages: Docker's seccomp profile blocks get_mempolicy without it. */
        argv_add(a, "--cap-add");
        argv_add(a, "SYS_NICE");
        if (R->nf->container_net_admin) { /* OVS: its bridge's tap port */
                argv_add(a, "--cap-add");
                argv_add(a, "NET_ADMIN");
                argv_add(a, "--device");
                argv_add(a, "/dev/net/tun");
        }
        if (c->run_args)
                c->run_args(a);
        /* The run's directory (hugetlbfs, the link's sockets, OVS's database) and the
         * host's programs at their own paths: the command line is the host's. */
        argv_add(a, "-v");
        argv_add(a, "%s:%s", R->run_dir, R->run_dir);
        argv_add(a, "-v");
        argv_add(a, "/usr:/usr:ro");
        char agent[600];
        paths_agent("nf", agent, sizeof(agent));
        char *slash = strrchr(agent, '/');
        if (slash)
                *slash = '\0';
        if (strncmp(agent, "/usr/", 5) != 0) {
                argv_add(a, "-v");
                argv_add(a, "%s:%s:ro", agent, agent);
        }
        if (R->image[0])
                argv_add(a, "%s", R->image);
        else if (R->x->o.container_image) /* the dry run: what container_image() will name */
                argv_add(a, "%s", R->x->o.container_image);
        else
                argv_add(a, "localhost/isolab-base:%s", R->run_id);
        argv_add(a, "/usr/bin/tini");
        argv_add(a, "--");
        for (int i = 0; i < nf->n; i++)
                argv_add(a, "%s", nf->v[i]);
        a->overflow |= nf->overflow;
}

int container_wrap(struct exp_run *R, struct diag *d) {
        const struct container_ops *c = R->ct;
        struct agent_slot *s = &R->slot[ROLE_NF];
        struct argvec a;
        char name[128];
        ct_name(R, name, sizeof(name));
        container_argv(R, &s->argv, &a);
        if (a.overflow)
                return diag_set(d, -E2BIG, "the NF's container command line is too long (a path of the run?)");
        s->argv = a;
        /* Removed by name at the end, on failure and by `isolab cleanup` (pushed before it
         * starts: a kill -9 in between leaves nothing either). */
        struct undo_ct *u = calloc(1, sizeof(*u));
        if (!u)
                return diag_set(d, -ENOMEM, "out of memory");
        u->c = c;
        snprintf(u->name, sizeof(u->name), "%s", name);
        return undo_push_rec(&R->undo, undo_ct, u, json_pack("{s:s, s:s, s:s}", "kind", "container", "engine", c->name, "name", name),
                             "remove container %s", name);
}

int container_cgroup_of(const char *text, const char *controller, char *buf, size_t len) {
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                char line[600];
                snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
                l += n + (l[n] == '\n');
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                const char *ctrls = c1 + 1, *path = c2 + 1;
                bool match = false;
                if (!controller) {
                        match = !*ctrls && strncmp(line, "0:", 2) == 0;
                } else {
                        char copy[200];
                        snprintf(copy, sizeof(copy), "%s", ctrls);
                        for (char *save = NULL, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
                                match |= strcmp(w, controller) == 0;
                }
                if (match) {
                        while (*path == '/')
                                path++;
                        snprintf(buf, len, "%s", path);
                        return 0;
                }
        }
        return -ENOENT;
}

/* The first child of pid (the NF under the container's tini), or 0. */
static pid_t first_child(pid_t pid) {
        char path[64], b[64] = "";
        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;
        if (fd >= 0)
                close(fd);
        return n > 0 ? (pid_t)atoi(b) : 0;
}

int container_attach(struct exp_run *R, struct diag *d) {
        const struct container_ops *c = R->ct;
        struct agent_slot *s = &R->slot[ROLE_NF];
        char name[128], rel[300] = "", prefix[220];
        ct_name(R, name, sizeof(name));
        snprintf(prefix, sizeof(prefix), "%s/", R->nf_host_rel);
        pid_t init = 0, nf = 0;
        char last[300] = "";
        for (int waited = 0; waited < 30000 && !nf; waited += 100) {
                if (!s->a || s->a->exited)
                        return diag_set(d, -ECHILD, "%s run %s exited before its container ran", c->name, name);
                char *out = NULL;
                struct diag id = { 0 };
                if (container_run_cli(c, (const char *[]){ "inspect", "--format", "{{.State.Pid}}", name, NULL }, &out, &id) == 0) {
                        init = (pid_t)atoi(out);
                        free(out);
                        nf = init > 0 ? first_child(init) : 0;
                } else {
                        snprintf(last, sizeof(last), "%.250s", id.msg);
                }
                if (!nf)
                        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        if (!nf)
                return diag_set(d, -ETIMEDOUT, "container %s did not start its NF in 30 s%s%s", name, last[0] ? ": " : "", last);
        char path[64], *text = NULL;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)nf);
        int r = read_small_file(path, &text);
        if (r >= 0)
                r = container_cgroup_of(text, R->mounts.cpu == CG_V2 ? NULL : "cpu", rel, sizeof(rel));
        free(text);
        /* Only a group under isolab's own, where the engine was told to put it. */
        if (r < 0 || strncmp(rel, prefix, strlen(prefix)) != 0 || strstr(rel, ".."))
                return diag_set(d, -EPERM, "container %s runs in cgroup \"%s\", not under %s as asked (--cgroup-parent)", name,
                                rel, R->nf_host_rel);
        if (strlen(rel) >= sizeof(s->rel))
                return diag_set(d, -ENAMETOOLONG, "container %s's cgroup path is too long: %s", name, rel);
        memcpy(s->rel, rel, strlen(rel) + 1);
        s->a->inner_pid = nf;
        R->ct_up = c;
        return 0;
}

void container_detach(struct exp_run *R) {
        if (R->nf_host_rel[0])
                snprintf(R->slot[ROLE_NF].rel, sizeof(R->slot[ROLE_NF].rel), "%s", R->nf_host_rel);
        /* Gone before the next start takes its name (--rm removes it only once the engine
         * has seen it stop). */
        if (R->ct_up) {
                char name[128];
                struct diag d = { 0 };
                ct_name(R, name, sizeof(name));
                container_remove(R->ct_up->name, name, &d);
                R->ct_up = NULL;
        }
}

/* A cgroup file's first line. */
static int read_line(const char *path, char *buf, size_t len) {
        char *t = NULL;
        int r = read_small_file(path, &t);
        if (r < 0)
                return r;
        snprintf(buf, len, "%.*s", (int)strcspn(t, "\n"), t);
        free(t);
        return 0;
}

int container_set_quota(struct exp_run *R, const struct cg_quota *q, struct diag *d) {
        const struct container_ops *c = R->ct;
        char name[128], period[32], quota[32];
        ct_name(R, name, sizeof(name));
        uint64_t want = ct_quota_us(R, q);
        snprintf(period, sizeof(period), "%" PRIu64, q->period_us);
        snprintf(quota, sizeof(quota), "%" PRIu64, want);
        int r = container_run_cli(c, (const char *[]){ "update", "--cpu-period", period, "--cpu-quota", quota, name, NULL }, NULL, d);
        if (r < 0)
                return r;
        /* Read back from the container's cgroup before the trial counts. */
        const char *rel = R->slot[ROLE_NF].rel;
        char path[600], got[64] = "", gotp[64] = "", expect[80];
        if (R->mounts.cpu == CG_V2) {
                snprintf(path, sizeof(path), "%s/%s/cpu.max", R->mounts.unified, rel);
                r = read_line(path, got, sizeof(got));
                snprintf(expect, sizeof(expect), "%s %s", quota, period);
        } else {
                snprintf(path, sizeof(path), "%s/%s/cpu.cfs_quota_us", R->mounts.cpu_root, rel);
                r = read_line(path, got, sizeof(got));
                char pp[600];
                snprintf(pp, sizeof(pp), "%s/%s/cpu.cfs_period_us", R->mounts.cpu_root, rel);
                if (r >= 0)
                        r = read_line(pp, gotp, sizeof(gotp));
                snprintf(expect, sizeof(expect), "%s", quota);
                if (r >= 0 && strcmp(gotp, period) != 0)
                        return diag_set(d, -EIO, "%s update set the period to %s us, but %s holds %s", c->name, period, pp, gotp);
        }
        if (r < 0)
                return diag_set(d, r, "cannot read back the container's quota from %s: %s", path, strerror(-r));
        if (strcmp(got, expect) != 0)
                return diag_set(d, -EIO, "%s update set the quota to %s us, but %s holds \"%s\"", c->name, quota, path, got);
        return 0;
}

int container_remove(const char *name_of_engine, const char *name, struct diag *d) {
        const struct container_ops *c = container_find(name_of_engine ? name_of_engine : "");
        if (!c || container_is_host(c))
                return diag_set(d, -EINVAL, "state file names engine \"%s\"", name_of_engine ? name_of_engine : "?");
        if (!safe_word(name, "") || strncmp(name, "isolab-", 7) != 0)
                return diag_set(d, -EINVAL, "state file names container \"%s\", not one of isolab's", name ? name : "?");
        struct diag rd = { 0 };
        int r = container_run_cli(c, (const char *[]){ "rm", "-f", name, NULL }, NULL, &rd);
        /* Gone already (--rm removed it when it stopped), or going: the engine's own
         * removal (--rm) may be under way ("removal ... already in progress"); wait for it. */
        for (int waited = 0; r < 0 && waited <= 20000; waited += 200) {
                struct diag id = { 0 };
                char *state = NULL;
                /* Docker 20.10's inspect of a name that is gone fails without a word. */
                if (container_run_cli(c, (const char *[]){ "inspect", "--format", "{{.State.Status}}", name, NULL }, &state, &id) < 0 &&
                    (strstr(id.msg, "No such") || strstr(id.msg, "no such") || strstr(id.msg, "(no output)")))
                        return 0;
                free(state);
                nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
                if (waited % 2000 == 1800) /* the engine's removal may have given up: again */
                        r = container_run_cli(c, (const char *[]){ "rm", "-f", name, NULL }, NULL, &rd);
        }
        return r < 0 ? diag_set(d, r, "%s", rd.msg) : 0;
}

void container_cgroup_leftovers(const char *parent_rel) {
        if (!parent_rel || strncmp(parent_rel, "isolab/", 7) != 0 || strstr(parent_rel, ".."))
                return;
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS" */
                char mp[300], fstype[32], opts[300] = "";
                const char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %*s %*s %299s", mp) != 1 ||
                    sscanf(dash + 3, "%31s %*s %299s", fstype, opts) < 1 ||
                    (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0))
                        continue;
                /* The hierarchies isolab manages itself keep their groups to its own undo:
                 * v1's cpu, cpuacct and cpuset, and a cgroup2 that has the cpu controller. */
                bool ours = false;
                if (strcmp(fstype, "cgroup") == 0) {
                        for (char *save = NULL, *w = strtok_r(opts, ",", &save); w; w = strtok_r(NULL, ",", &save))
                                ours |= strcmp(w, "cpu") == 0 || strcmp(w, "cpuacct") == 0 || strcmp(w, "cpuset") == 0;
                } else {
                        char cpath[400], *ctrls = NULL;
                        snprintf(cpath, sizeof(cpath), "%s/cgroup.controllers", mp);
                        if (read_small_file(cpath, &ctrls) == 0)
                                for (char *save = NULL, *w = strtok_r(ctrls, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                                        ours |= strcmp(w, "cpu") == 0;
                        free(ctrls);
                }
                if (ours)
                        continue;
                /* The parent, then its run's group and isolab/ when they are empty (rmdir
                 * removes nothing else: another run's groups stay). */
                char rel[200], path[520];
                snprintf(rel, sizeof(rel), "%s", parent_rel);
                for (char *cut; rel[0];) {
                        snprintf(path, sizeof(path), "%s/%s", mp, rel);
                        rmdir(path);
                        if (!(cut = strrchr(rel, '/')))
                                break;
                        *cut = '\0';
                }
        }
        free(line);
        if (f)
                fclose(f);
}

int container_push_leftovers(struct exp_run *R, struct diag *d) {
        struct undo_leftovers *u = calloc(1, sizeof(*u));
        if (!u)
                return diag_set(d, -ENOMEM, "out of memory");
        snprintf(u->parent, sizeof(u->parent), "%s", R->nf_host_rel);
        return undo_push_rec(&R->undo, undo_leftovers, u,
                             json_pack("{s:s, s:s}", "kind", "engine-cgroups", "rel", u->parent),
                             "remove the engine's cgroup leftovers under %s", u->parent);
}
