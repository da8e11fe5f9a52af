/* ownrun — see ownrun.h. */
#include "tests/system/ownrun.h"

#include <dirent.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pid_t pids_[32];
static size_t n_pids;
static char names_[32][128];
static size_t n_names;

void ownrun_reset(void) {
        n_pids = n_names = 0;
}

void ownrun_add_pid(pid_t controller) {
        if (n_pids < 32)
                pids_[n_pids++] = controller;
}

/* Adds the run a run.json-like file names; true if it named one. */
static bool add_file(const char *path) {
        json_t *run = json_load_file(path, 0, NULL);
        const char *name = json_string_value(json_object_get(run, "run"));
        bool ok = name && n_names < 32;
        if (ok)
                snprintf(names_[n_names++], sizeof(names_[0]), "%s", name);
        json_decref(run);
        return ok;
}

bool ownrun_add_dir(const char *dir) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/run.json", dir);
        bool ok = add_file(path);
        /* A resumed run is another run, with its own name in run-resumed-<utc>.json. */
        DIR *dh = opendir(dir);
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;)
                if (strncmp(e->d_name, "run-resumed-", 12) == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                        add_file(path);
                }
        if (dh)
                closedir(dh);
        return ok;
}

bool ownrun_is_own(const char *name) {
        size_t len = strlen(name);
        /* A run's generator session on the generator host (--gen-host): RUN-gen. */
        if (len > 4 && strcmp(name + len - 4, "-gen") == 0) {
                char run[128];
                snprintf(run, sizeof(run), "%.*s", (int)(len - 4), name);
                if (ownrun_is_own(run))
                        return true;
        }
        for (size_t i = 0; i < n_names; i++)
                if (strcmp(name, names_[i]) == 0)
                        return true;
        for (size_t i = 0; i < n_pids; i++) {
                char suffix[24];
                int n = snprintf(suffix, sizeof(suffix), "-%d", (int)pids_[i]);
                if (len > (size_t)n && strcmp(name + len - (size_t)n, suffix) == 0)
                        return true;
        }
        return false;
}

int ownrun_groups(const char *root, const char *group, bool *ret_seen) {
        char path[512];
        snprintf(path, sizeof(path), "%s/isolab", root);
        DIR *dh = opendir(path);
        int n = 0;
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.' || e->d_type != DT_DIR || !ownrun_is_own(e->d_name))
                        continue;
                n++;
                char g[1024];
                struct stat st;
                snprintf(g, sizeof(g), "%s/%s/%s", path, e->d_name, group ? group : "");
                if (group && ret_seen && stat(g, &st) == 0)
                        *ret_seen = true;
        }
        if (dh)
                closedir(dh);
        return n;
}

size_t ownrun_pids(const char *root, const char *group, pid_t *pids, size_t max) {
        char path[512];
        snprintf(path, sizeof(path), "%s/isolab", root);
        DIR *runs = opendir(path);
        size_t n = 0;
        for (struct dirent *r; runs && (r = readdir(runs)) != NULL;) {
                if (r->d_name[0] == '.' || r->d_type != DT_DIR || !ownrun_is_own(r->d_name))
                        continue;
                char rp[800];
                snprintf(rp, sizeof(rp), "%s/%s", path, r->d_name);
                DIR *groups = opendir(rp);
                for (struct dirent *g; groups && (g = readdir(groups)) != NULL;) {
                        if (g->d_type != DT_DIR || strncmp(g->d_name, group, strlen(group)) != 0)
                                continue;
                        char procs[1200];
                        snprintf(procs, sizeof(procs), "%s/%s/cgroup.procs", rp, g->d_name);
                        FILE *f = fopen(procs, "re");
                        int pid;
                        while (f && fscanf(f, "%d", &pid) == 1 && n < max)
                                pids[n++] = pid;
                        if (f)
                                fclose(f);
                }
                if (groups)
                        closedir(groups);
        }
        if (runs)
                closedir(runs);
        return n;
}

/* Appends a sentence part to *acc. */
__attribute__((format(printf, 2, 3))) static void add(char **acc, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char part[1200];
        vsnprintf(part, sizeof(part), fmt, ap);
        va_end(ap);
        size_t old = *acc ? strlen(*acc) : 0;
        char *n = realloc(*acc, old + strlen(part) + 3);
        if (!n)
                return;
        snprintf(n + old, strlen(part) + 3, "%s%s", old ? "; " : "", part);
        *acc = n;
}

/* The run named in text at the first "/isolab/" (a cgroup path) or "isolab-" (a DPDK
 * file prefix, "isolab-RUN-ROLE"), if it is this test's. */
static bool names_own_run(const char *text, const char *marker, bool strip_role) {
        for (const char *p = strstr(text, marker); p; p = strstr(p + 1, marker)) {
                char run[128];
                if (sscanf(p + strlen(marker), "%127[a-z0-9_-]", run) != 1)
                        continue;
                if (strip_role) {
                        char *dash = strrchr(run, '-');
                        if (!dash)
                                continue;
                        *dash = '\0';
                }
                if (ownrun_is_own(run))
                        return true;
        }
        return false;
}

/* A whole file (NUL bytes and all: /proc/PID/cmdline), NUL-terminated; NULL if unreadable. */
static char *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap + 1);
        for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
                n += got;
                if (n == cap) {
                        char *b = realloc(buf, 2 * cap + 1);
                        if (!b) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = b;
                        cap *= 2;
                }
        }
        fclose(f);
        if (buf)
                buf[n] = '\0';
        *len = n;
        return buf;
}

char *ownrun_leftovers(const char *cpu_root, const char *cpuset_root, const char *cpuacct_root) {
        char *acc = NULL;
        const char *roots[] = { cpu_root, cpuset_root, cpuacct_root };
        for (size_t i = 0; i < 3; i++)
                if (roots[i] && roots[i][0] && ownrun_groups(roots[i], NULL, NULL) > 0)
                        add(&acc, "a cgroup of the run under %s/isolab", roots[i]);
        size_t len;
        char *mounts = slurp("/proc/mounts", &len);
        for (char *l = mounts, *next; l && *l; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = '\0';
                if (strstr(l, "hugetlbfs") && names_own_run(l, "/run/isolab/", false))
                        add(&acc, "a mount: %s", l);
        }
        free(mounts);
        DIR *rd = opendir("/run/isolab");
        for (struct dirent *e; rd && (e = readdir(rd)) != NULL;)
                if (e->d_name[0] != '.' && ownrun_is_own(e->d_name))
                        add(&acc, "/run/isolab/%s", e->d_name);
        if (rd)
                closedir(rd);
        DIR *proc = opendir("/proc");
        for (struct dirent *e; proc && (e = readdir(proc)) != NULL;) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                char path[300], state = 0;
                snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
                char *stat = slurp(path, &len);
                char *close = stat ? strrchr(stat, ')') : NULL;
                if (close)
                        state = close[2];
                free(stat);
                if (!close || state == 'Z') /* gone, or a zombie PID 1 does not reap here */
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/cgroup", e->d_name);
                char *cg = slurp(path, &len);
                bool own = cg && names_own_run(cg, "/isolab/", false);
                free(cg);
                snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
                char *cmd = slurp(path, &len);
                for (size_t k = 0; cmd && k < len; k++)
                        if (cmd[k] == '\0')
                                cmd[k] = ' ';
                if (cmd && len)
                        cmd[len - 1] = '\0';
                own = own || (cmd && names_own_run(cmd, "isolab-", true));
                if (own)
                        add(&acc, "process %s (%s)", e->d_name, cmd ? cmd : "?");
                free(cmd);
        }
        if (proc)
                closedir(proc);
        return acc;
}
