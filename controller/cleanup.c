/* cleanup — see cleanup.h. */
#include "controller/cleanup.h"

#include "base/spawn.h"
#include "controller/genhost.h"
#include "controller/container.h"
#include "controller/paths.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "controller/cgroup.h"
#include "topology/hugepages.h"
#include "base/util.h"

unsigned long long proc_starttime(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        if (read_small_file(path, &text) < 0)
                return 0;
        /* The command name may hold spaces and parentheses: fields resume after the last ')'.
         * A zombie is dead for our purposes (an orphan may stay one where PID 1 does not
         * reap): it holds no cgroup, no file, no memory. */
        char *p = strrchr(text, ')');
        unsigned long long t = 0;
        if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
                return 0;
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
                return 0;
        return t;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void)st, (void)ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int cleanup_rm_rf(const char *path) {
        if (path[0] != '/' || strcmp(path, "/") == 0)
                return -EINVAL;
        /* Depth first, never following a symlink, never crossing into a mount (a
         * hugetlbfs that failed to unmount stays untouched). */
        if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
                return -EIO;
        return 0;
}

static int do_agent(json_t *rec, struct diag *d) {
        pid_t pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
        unsigned long long start = (unsigned long long)json_integer_value(json_object_get(rec, "starttime"));
        const char *prefix = json_string_value(json_object_get(rec, "prefix"));
        if (pid > 0 && start && proc_starttime(pid) == start) {
                kill(pid, SIGKILL);
                for (int i = 0; i < 100 && proc_starttime(pid) == start; i++)
                        nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
                if (proc_starttime(pid) == start)
                        return diag_set(d, -EBUSY, "agent pid %d does not die", (int)pid);
        }
        if (prefix && prefix[0] && strchr(prefix, '/') == NULL && strcmp(prefix, "..") != 0) {
                char path[256];
                snprintf(path, sizeof(path), "/var/run/dpdk/%s", prefix);
                cleanup_rm_rf(path);
                rmdir("/var/run/dpdk");
        }
        return 0;
}

static int do_cgroup(json_t *rec, struct diag *d) {
        static struct cg cg;
        static int opened;
        if (!opened) {
                struct cg_mounts m;
                int r = cg_detect(&m, d);
                if (r < 0 || (r = cg_open(&cg, &m, d)) < 0)
                        return r;
                opened = 1;
        }
        const char *rel = json_string_value(json_object_get(rec, "rel"));
        if (!rel || strncmp(rel, "isolab/", 7) != 0 || strstr(rel, ".."))
                return diag_set(d, -EINVAL, "state file names cgroup \"%s\", outside isolab/", rel ? rel : "?");
        return cg.ops->destroy(&cg, rel, d);
}

static int do_umount(json_t *rec, struct diag *d) {
        const char *path = json_string_value(json_object_get(rec, "path"));
        if (!path || strncmp(path, "/run/isolab/", 12) != 0)
                return diag_set(d, -EINVAL, "state file names a mount outside /run/isolab");
        if (umount2(path, 0) < 0 && errno != EINVAL && errno != ENOENT)
                return diag_set(d, -errno, "cannot unmount %s: %s", path, strerror(errno));
        return 0;
}

static int do_hugepages(json_t *rec, struct diag *d) {
        uint64_t got;
        unsigned node = (unsigned)json_integer_value(json_object_get(rec, "node"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(rec, "page_size"));
        /* A run records the pages it added; only those go back (others' changes stay).
         * An older state file holds the count to restore. */
        if (json_is_integer(json_object_get(rec, "added")))
                return hugepages_give_back("/sys", node, size, (uint64_t)json_integer_value(json_object_get(rec, "added")), &got,
                                           d);
        return hugepages_set_node("/sys", node, size, (uint64_t)json_integer_value(json_object_get(rec, "count")), &got, d);
}

static int do_rmtree(json_t *rec, struct diag *d) {
        const char *path = json_string_value(json_object_get(rec, "path"));
        if (!path || strncmp(path, "/run/isolab/", 12) != 0)
                return diag_set(d, -EINVAL, "state file names a directory outside /run/isolab");
        return cleanup_rm_rf(path) < 0 ? diag_set(d, -EIO, "cannot remove %s", path) : 0;
}

/* A container of the run, by its name (container.h checks it is one of isolab's). */
static int do_container(json_t *rec, struct diag *d) {
        return container_remove(json_string_value(json_object_get(rec, "engine")),
                                json_string_value(json_object_get(rec, "name")), d);
}

/* The run's own image (localhost/isolab-base:RUN), never a user's. */
static int do_container_image(json_t *rec, struct diag *d) {
        return container_image_remove(json_string_value(json_object_get(rec, "engine")),
                                      json_string_value(json_object_get(rec, "image")), d);
}

static int do_engine_cgroups(json_t *rec, struct diag *d) {
        (void)d;
        container_cgroup_leftovers(json_string_value(json_object_get(rec, "rel")));
        return 0;
}

int cleanup_undo_nothing(void *data, struct diag *d) {
        (void)data, (void)d;
        return 0;
}

int cleanup_undo_rmtree(void *data, struct diag *d) {
        /* A run's directory holds sockets and the (unmounted) hugetlbfs mount point. */
        return cleanup_rm_rf(data) < 0 ? diag_set(d, -EIO, "cannot remove %s", (char *)data) : 0;
}

int cleanup_undo_umount(void *data, struct diag *d) {
        if (umount2(data, 0) < 0 && errno != EINVAL)
                return diag_set(d, -errno, "cannot unmount %s: %s", (char *)data, strerror(errno));
        return 0;
}

int cleanup_undo_pages(void *data, struct diag *d) {
        struct cleanup_pages *u = data;
        uint64_t returned = 0;
        int r = hugepages_give_back("/sys", u->node, u->page_size, u->added, &returned, d);
        if (u->returned)
                *u->returned = returned;
        return r;
}

static void pause_ms(long ms) {
        nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 }, NULL);
}

int cleanup_gen_host(json_t *rec, struct diag *d) {
        const char *run = json_string_value(json_object_get(rec, "run"));
        const char *boot = json_string_value(json_object_get(rec, "boot_id"));
        const char *host = json_string_value(json_object_get(rec, "host")) ?: "?";
        json_t *av = json_object_get(rec, "argv");
        if (!run || strchr(run, '/') || !json_is_array(av) || json_array_size(av) < 2 || json_array_size(av) > 60)
                return diag_set(d, -EINVAL, "a gen-host record without its run and command");
        char me[64];
        genhost_boot_id(me, sizeof(me));
        /* Its session may still be ending (its connection just closed): 20 s for it. */
        for (int i = 0; i < 40; i++) {
                int r;
                if (boot && me[0] && strcmp(boot, me) == 0) {
                        /* This very machine: its run lock is ours now, no second isolab there.
                         * A session still ending is waited for, not reported. */
                        if (cleanup_run_alive(run)) {
                                pause_ms(500);
                                continue;
                        }
                        r = cleanup_all(run, 0);
                        if (r == -ENOENT || r == 0)
                                return 0;
                } else {
                        char *argv[61];
                        size_t n = json_array_size(av);
                        for (size_t k = 0; k < n; k++)
                                argv[k] = (char *)json_string_value(json_array_get(av, k));
                        argv[n] = NULL;
                        for (size_t k = 0; k < n; k++)
                                if (!argv[k] || (k == 0 && argv[k][0] != '/'))
                                        return diag_set(d, -EINVAL, "a gen-host record with a bad command");
                        _cleanup_free_ char *out = NULL;
                        r = spawn_capture_flags(argv, 8192, SPAWN_STDERR, &out);
                        if (r == 0)
                                return 0;
                        if (r < 0 || r == 255) {
                                if (out)
                                        out[strcspn(out, "\n")] = '\0';
                                return diag_set(d, -EHOSTUNREACH, "cannot reach the generator host %s (%s); run isolab "
                                                                  "cleanup there",
                                                host, out && *out ? out : strerror(r < 0 ? -r : EHOSTUNREACH));
                        }
                }
                pause_ms(500);
        }
        return diag_set(d, -EBUSY, "the generator host %s still holds run %s's session after 20 s; run isolab cleanup there",
                        host, run);
}

static const struct {
        const char *kind;
        int (*fn)(json_t *rec, struct diag *d);
} handlers[] = {
        { "gen-host", cleanup_gen_host },
        { "agent", do_agent }, { "cgroup", do_cgroup }, { "umount", do_umount },
        { "hugepages", do_hugepages }, { "rmtree", do_rmtree }, { "container", do_container },
        { "container-image", do_container_image }, { "engine-cgroups", do_engine_cgroups },
};

/* The live controller a run's state file names, or 0. */
static pid_t live_owner(json_t *a) {
        size_t i;
        json_t *rec;
        json_array_foreach(a, i, rec) {
                if (strcmp(json_string_value(json_object_get(rec, "kind")) ?: "", "controller") != 0)
                        continue;
                pid_t pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
                unsigned long long st = (unsigned long long)json_integer_value(json_object_get(rec, "starttime"));
                if (pid > 0 && proc_starttime(pid) == st && pid != getpid())
                        return pid;
        }
        return 0;
}

/* The run a generator session (isolab serve gen) serves, from its controller record. */
static const char *session_of(json_t *a) {
        size_t i;
        json_t *rec;
        json_array_foreach(a, i, rec) {
                const char *of = json_string_value(json_object_get(rec, "session_of"));
                if (of)
                        return of;
        }
        return NULL;
}

bool cleanup_run_alive(const char *run) {
        char path[400];
        snprintf(path, sizeof(path), "/run/isolab/%s/state.json", run);
        json_t *a = json_load_file(path, 0, NULL);
        bool alive = json_is_array(a) && live_owner(a) > 0;
        json_decref(a);
        return alive;
}

static int clean_one(const char *run_dir, int verbose) {
        char path[600];
        snprintf(path, sizeof(path), "%s/state.json", run_dir);
        json_error_t e;
        json_t *a = json_load_file(path, 0, &e);
        if (!json_is_array(a)) {
                json_decref(a);
                fprintf(stderr, "isolab: cleanup: %s is unreadable (%s); remove what it held by hand\n", path, e.text);
                return 1;
        }
        json_t *rec;
        pid_t pid = live_owner(a);
        /* A live generator session whose run's own state is here: that run's gen-host
         * record waits for it to end and cleans it, whichever comes first. */
        const char *of = session_of(a);
        char parent[400];
        snprintf(parent, sizeof(parent), "/run/isolab/%s/state.json", of ? of : "");
        if (pid > 0 && of && paths_is_name(of) && access(parent, F_OK) == 0) {
                json_decref(a);
                return 0;
        }
        if (pid > 0) {
                fprintf(stderr, "isolab: cleanup: %s belongs to running controller %d; left alone\n", run_dir, (int)pid);
                json_decref(a);
                return 1;
        }
        int failed = 0;
        for (size_t k = json_array_size(a); k-- > 0;) {
                rec = json_array_get(a, k);
                const char *kind = json_string_value(json_object_get(rec, "kind"));
                for (size_t h = 0; kind && h < ELEMENTSOF(handlers); h++) {
                        if (strcmp(kind, handlers[h].kind) != 0)
                                continue;
                        struct diag d = { 0 };
                        int r = handlers[h].fn(rec, &d);
                        char *desc = json_dumps(rec, JSON_COMPACT);
                        if (r < 0) {
                                failed++;
                                fprintf(stderr, "isolab: cleanup: %s: %s\n", desc ? desc : kind, d.msg[0] ? d.msg : strerror(-r));
                        } else if (verbose)
                                fprintf(stderr, "isolab: cleanup: done %s\n", desc ? desc : kind);
                        free(desc);
                }
        }
        json_decref(a);
        return failed;
}

/* The isolab/ parent groups, when no run uses them any more. */
static void remove_empty_parents(void) {
        struct cg_mounts m;
        if (cg_detect(&m, NULL) == 0) {
                char path[300];
                snprintf(path, sizeof(path), "%s/isolab", m.cpu_root);
                rmdir(path);
                snprintf(path, sizeof(path), "%s/isolab", m.cpuset_root);
                rmdir(path);
                if (m.cpuacct_root[0]) {
                        snprintf(path, sizeof(path), "%s/isolab", m.cpuacct_root);
                        rmdir(path);
                }
        }
}

int cleanup_all(const char *only, int verbose) {
        DIR *dh = opendir("/run/isolab");
        if (!dh) {
                if (errno != ENOENT)
                        return -errno;
                remove_empty_parents();
                return only ? -ENOENT : 0;
        }
        int failed = 0;
        bool found = false;
        for (struct dirent *e; (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.' || (only && strcmp(e->d_name, only) != 0))
                        continue;
                found = true;
                char dir[300], st[600];
                snprintf(dir, sizeof(dir), "/run/isolab/%s", e->d_name);
                snprintf(st, sizeof(st), "%s/state.json", dir);
                if (access(st, F_OK) == 0)
                        failed += clean_one(dir, verbose);
        }
        closedir(dh);
        rmdir("/run/isolab");
        remove_empty_parents();
        return only && !found ? -ENOENT : failed;
}
