/* cgroup-systemd — see cgroup-systemd.h. */
#include "controller/cgroup-systemd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

int cg_sd_unit_name(const char *rel, char *buf, size_t len) {
        if (strncmp(rel, "isolab/", 7) != 0 || strstr(rel, "..") || rel[strlen(rel) - 1] == '/')
                return -EINVAL;
        size_t n = 0;
        for (const char *p = rel; *p; p++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '/'))
                        return -EINVAL;
                if (n + 1 >= len)
                        return -ENAMETOOLONG;
                buf[n++] = c == '/' ? '-' : c; /* systemd spells hierarchy with dashes */
        }
        if (n + 7 >= len)
                return -ENAMETOOLONG;
        memcpy(buf + n, ".scope", 7);
        return 0;
}

size_t cg_sd_mask(hwloc_const_bitmap_t set, uint8_t *buf, size_t len) {
        memset(buf, 0, len);
        int last = hwloc_bitmap_last(set);
        if (last < 0)
                return 0;
        size_t n = (size_t)last / 8 + 1;
        if (n > len)
                return 0;
        int i;
        hwloc_bitmap_foreach_begin(i, set) {
                buf[i / 8] |= (uint8_t)(1u << (i % 8));
        }
        hwloc_bitmap_foreach_end();
        return n;
}

static int append_quota(sd_bus_message *m, const struct cg_quota *q) {
        int r = sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t", cg_quota_systemd_per_sec_us(q));
        return r < 0 ? r : sd_bus_message_append(m, "(sv)", "CPUQuotaPeriodUSec", "t", q->period_us);
}

static int append_mask(sd_bus_message *m, const char *prop, hwloc_const_bitmap_t set) {
        uint8_t mask[1024];
        size_t n = cg_sd_mask(set, mask, sizeof(mask));
        int r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", prop);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', mask, n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r >= 0 ? sd_bus_message_close_container(m) : r;
}

int cg_sd_start_scope_message(sd_bus *bus, const char *unit, pid_t pid, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                              hwloc_const_bitmap_t mems, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0)
                return r;
        if ((r = sd_bus_message_append(m, "ss", unit, "fail")) < 0 || (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Slice", "s", CG_SD_SLICE)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Description", "s", "isolab agent")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1)) < 0 ||
            (r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid)) < 0 ||
            (q && (r = append_quota(m, q)) < 0) || (cpus && (r = append_mask(m, "AllowedCPUs", cpus)) < 0) ||
            (mems && (r = append_mask(m, "AllowedMemoryNodes", mems)) < 0) || (r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

int cg_sd_set_props_message(sd_bus *bus, const char *unit, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                            hwloc_const_bitmap_t mems, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", "SetUnitProperties");
        if (r < 0)
                return r;
        /* runtime=true: the change dies with the scope, nothing is written under /etc. */
        if ((r = sd_bus_message_append(m, "sb", unit, 1)) < 0 || (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (q && (r = append_quota(m, q)) < 0) || (cpus && (r = append_mask(m, "AllowedCPUs", cpus)) < 0) ||
            (mems && (r = append_mask(m, "AllowedMemoryNodes", mems)) < 0) || (r = sd_bus_message_close_container(m)) < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

int cg_sd_set_quota_message(sd_bus *bus, const char *unit, const struct cg_quota *q, sd_bus_message **ret) {
        return cg_sd_set_props_message(bus, unit, q, NULL, NULL, ret);
}

/* ---- the backend: sending them ------------------------------------------------------------ */

/* What systemd needs at StartTransientUnit time is known before the agent exists (the
 * sweep creates a group, sets its cpuset, then starts the agent into it), so the leaf's
 * settings wait here until attach() can start the scope with the PID. */
struct sd_group {
        char rel[256];
        char unit[256];
        hwloc_bitmap_t cpus, mems;
        struct cg_quota q;
        bool has_quota;
};

struct cg_sd {
        sd_bus *bus;
        uint64_t timeout_us;
        struct sd_group g[CG_SD_GROUPS];
};

/* isolab and isolab/<run> are the slice; a scope is a group below them. */
static bool is_leaf(const char *rel) {
        const char *a = strchr(rel, '/');
        return a && strchr(a + 1, '/');
}

static struct sd_group *group(struct cg *cg, const char *rel, bool add) {
        struct sd_group *free_slot = NULL;
        for (size_t i = 0; i < CG_SD_GROUPS; i++) {
                if (strcmp(cg->sd->g[i].rel, rel) == 0)
                        return &cg->sd->g[i];
                if (!free_slot && !cg->sd->g[i].rel[0])
                        free_slot = &cg->sd->g[i];
        }
        if (!add || !free_slot)
                return NULL;
        if (cg_sd_unit_name(rel, free_slot->unit, sizeof(free_slot->unit)) < 0)
                return NULL;
        snprintf(free_slot->rel, sizeof(free_slot->rel), "%s", rel);
        return free_slot;
}

static int bus_fail(struct diag *d, int r, const sd_bus_error *e, const char *what, const char *unit) {
        return diag_set(d, r < 0 ? r : -EIO, "systemd: %s %s failed: %s", what, unit,
                        e && sd_bus_error_is_set(e) ? e->message : strerror(r < 0 ? -r : EIO));
}

struct job_wait {
        const char *path;
        char result[32];
        bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        (void)err;
        struct job_wait *w = userdata;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->path || strcmp(path, w->path) != 0)
                return 0;
        snprintf(w->result, sizeof(w->result), "%s", result);
        w->done = true;
        return 0;
}

/* Sends m and, when the reply is a job, waits for its JobRemoved and checks the result
 * ("done"; anything else — failed, timeout, canceled — is an error naming it).  The
 * match is added before the call, so a job that finishes at once is not missed. */
static int call_job(struct cg *cg, sd_bus_message *m, bool is_job, const char *what, const char *unit, sd_bus_error *e,
                    struct diag *d) {
        struct job_wait w = { 0 };
        sd_bus_slot *slot = NULL;
        int r = 0;
        if (is_job)
                r = sd_bus_match_signal(cg->sd->bus, &slot, sd_bus_is_bus_client(cg->sd->bus) ? "org.freedesktop.systemd1" : NULL,
                                        "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                                        on_job_removed, &w);
        if (r < 0)
                return bus_fail(d, r, NULL, "watching the job of", unit);
        sd_bus_message *reply = NULL;
        r = sd_bus_call(cg->sd->bus, m, cg->sd->timeout_us, e, &reply);
        if (r < 0) {
                sd_bus_slot_unref(slot);
                return r; /* the caller words it: some errors are expected */
        }
        if (is_job && (r = sd_bus_message_read(reply, "o", &w.path)) < 0) {
                sd_bus_message_unref(reply);
                sd_bus_slot_unref(slot);
                return bus_fail(d, r, NULL, what, unit);
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t until = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 + cg->sd->timeout_us;
        while (is_job && !w.done) {
                r = sd_bus_process(cg->sd->bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
                if (now >= until) {
                        r = -ETIMEDOUT;
                        break;
                }
                r = sd_bus_wait(cg->sd->bus, until - now);
                if (r < 0)
                        break;
        }
        sd_bus_message_unref(reply);
        sd_bus_slot_unref(slot);
        if (r < 0)
                return bus_fail(d, r, NULL, what, unit);
        if (is_job && strcmp(w.result, "done") != 0)
                return diag_set(d, -EIO, "systemd: %s %s: the job ended \"%s\" (journalctl -u %s says why)", what, unit,
                                w.result, unit);
        return 0;
}

static int sd_create(struct cg *cg, const char *rel, struct diag *d) {
        if (!is_leaf(rel))
                return 0; /* the slice comes with the first scope in it */
        if (!group(cg, rel, true))
                return diag_set(d, -EINVAL, "systemd: cannot track group %s (bad name, or more than %d groups)", rel,
                                CG_SD_GROUPS);
        return 0;
}

static bool scope_exists(struct cg *cg, const struct sd_group *g) {
        char path[600];
        snprintf(path, sizeof(path), "%s/%s/%s", cg->m.unified, CG_SD_SLICE, g->unit);
        return access(path, F_OK) == 0;
}

static int set_props(struct cg *cg, struct sd_group *g, const struct cg_quota *q, hwloc_const_bitmap_t cpus,
                     hwloc_const_bitmap_t mems, struct diag *d) {
        sd_bus_message *m = NULL;
        int r = cg_sd_set_props_message(cg->sd->bus, g->unit, q, cpus, mems, &m);
        if (r < 0)
                return bus_fail(d, r, NULL, "building SetUnitProperties for", g->unit);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        r = call_job(cg, m, false, "SetUnitProperties on", g->unit, &e, d);
        sd_bus_message_unref(m);
        if (r < 0 && sd_bus_error_is_set(&e))
                r = bus_fail(d, r, &e, "SetUnitProperties on", g->unit);
        sd_bus_error_free(&e);
        return r;
}

static int sd_set_quota(struct cg *cg, const char *rel, const struct cg_quota *q, struct diag *d) {
        struct sd_group *g = group(cg, rel, false);
        if (!g)
                return diag_set(d, -ENOENT, "systemd: no group %s was created", rel);
        g->q = *q;
        g->has_quota = true;
        return scope_exists(cg, g) ? set_props(cg, g, q, NULL, NULL, d) : 0;
}

static int sd_set_cpuset(struct cg *cg, const char *rel, const char *cpus, const char *mems, struct diag *d) {
        struct sd_group *g = group(cg, rel, false);
        if (!g)
                return diag_set(d, -ENOENT, "systemd: no group %s was created", rel);
        if (!g->cpus)
                g->cpus = hwloc_bitmap_alloc();
        if (!g->mems)
                g->mems = hwloc_bitmap_alloc();
        if (!g->cpus || !g->mems)
                return -ENOMEM;
        if (hwloc_bitmap_list_sscanf(g->cpus, cpus) < 0 || hwloc_bitmap_list_sscanf(g->mems, mems) < 0)
                return diag_set(d, -EINVAL, "systemd: cpuset \"%s\" / mems \"%s\" for %s is not a CPU list", cpus, mems, rel);
        return scope_exists(cg, g) ? set_props(cg, g, NULL, g->cpus, g->mems, d) : 0;
}

/* The first process starts the scope with everything set so far; a later one (an agent
 * restarted into the same group) joins it, or starts it again when systemd has already
 * collected the empty scope. */
static int sd_attach(struct cg *cg, const char *rel, pid_t pid, struct diag *d) {
        struct sd_group *g = group(cg, rel, false);
        if (!g)
                return diag_set(d, -ENOENT, "systemd: no group %s was created", rel);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r = cg_sd_start_scope_message(cg->sd->bus, g->unit, pid, g->has_quota ? &g->q : NULL, g->cpus, g->mems, &m);
        if (r < 0)
                return bus_fail(d, r, NULL, "building StartTransientUnit for", g->unit);
        r = call_job(cg, m, true, "starting scope", g->unit, &e, d);
        sd_bus_message_unref(m);
        if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.UnitExists")) {
                sd_bus_error_free(&e);
                r = sd_bus_call_method(cg->sd->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit", &e, NULL, "ssau",
                                       g->unit, "", 1, (uint32_t)pid);
                r = r < 0 ? bus_fail(d, r, &e, "adding a process to", g->unit) : 0;
        } else if (r < 0 && sd_bus_error_is_set(&e)) {
                r = bus_fail(d, r, &e, "starting scope", g->unit);
        }
        sd_bus_error_free(&e);
        return r;
}

static int sd_cpu_stat(struct cg *cg, const char *rel, struct cg_cpu_stat *ret, struct diag *d) {
        struct sd_group *g = group(cg, rel, false);
        char path[600];
        if (!g)
                return diag_set(d, -ENOENT, "systemd: no group %s was created", rel);
        snprintf(path, sizeof(path), "%s/%s", CG_SD_SLICE, g->unit);
        return cg_v2_ops.cpu_stat(cg, path, ret, d);
}

/* Stopping a scope kills what is left in it, so a scope still holding processes is
 * refused (like the other backends); a scope already gone is fine — systemd collects an
 * empty scope on its own. */
static int sd_destroy(struct cg *cg, const char *rel, struct diag *d) {
        if (!is_leaf(rel))
                return 0;
        char unit[256], path[600];
        if (cg_sd_unit_name(rel, unit, sizeof(unit)) < 0)
                return diag_set(d, -EINVAL, "systemd: %s is not an isolab group", rel);
        snprintf(path, sizeof(path), "%s/%s/%s/cgroup.procs", cg->m.unified, CG_SD_SLICE, unit);
        _cleanup_free_ char *procs = NULL;
        if (read_small_file(path, &procs) == 0 && procs[0]) {
                for (char *c = procs; *c; c++)
                        if (*c == '\n')
                                *c = ' ';
                return diag_set(d, -EBUSY, "systemd: scope %s still holds processes %s; stop them first", unit, procs);
        }
        int r = 0;
        if (access(path, F_OK) == 0) {
                sd_bus_message *m = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = sd_bus_message_new_method_call(cg->sd->bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "StopUnit");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", unit, "replace");
                if (r >= 0)
                        r = call_job(cg, m, true, "stopping scope", unit, &e, d);
                sd_bus_message_unref(m);
                if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
                        r = 0;
                else if (r < 0 && sd_bus_error_is_set(&e))
                        r = bus_fail(d, r, &e, "stopping scope", unit);
                sd_bus_error_free(&e);
        }
        struct sd_group *g = cg->sd ? group(cg, rel, false) : NULL;
        if (r == 0 && g) {
                hwloc_bitmap_free(g->cpus);
                hwloc_bitmap_free(g->mems);
                memset(g, 0, sizeof(*g));
        }
        return r;
}

const struct cg_ops cg_systemd_ops = {
        .name = "systemd",
        .create = sd_create,
        .set_quota = sd_set_quota,
        .set_cpuset = sd_set_cpuset,
        .attach = sd_attach,
        .cpu_stat = sd_cpu_stat,
        .destroy = sd_destroy,
};

int cg_open_systemd(struct cg *cg, const struct cg_mounts *m, sd_bus *bus, struct diag *d) {
        if (m->cpu != CG_V2 || m->cpuset != CG_V2 || !m->unified[0])
                return diag_set(d, -ENOTSUP, "the systemd backend needs cpu and cpuset on cgroup v2");
        struct cg_sd *sd = calloc(1, sizeof(*sd));
        if (!sd)
                return -ENOMEM;
        int r = 0;
        if (bus)
                sd->bus = sd_bus_ref(bus);
        else if ((r = sd_bus_open_system(&sd->bus)) < 0) {
                free(sd);
                return diag_set(d, r, "systemd is running but its system bus cannot be reached: %s", strerror(-r));
        }
        sd->timeout_us = 30 * 1000000ULL;
        cg->m = *m;
        cg->ops = &cg_systemd_ops;
        cg->sd = sd;
        return 0;
}

void cg_close_systemd(struct cg *cg) {
        if (!cg->sd)
                return;
        for (size_t i = 0; i < CG_SD_GROUPS; i++) {
                hwloc_bitmap_free(cg->sd->g[i].cpus);
                hwloc_bitmap_free(cg->sd->g[i].mems);
        }
        sd_bus_flush_close_unref(cg->sd->bus);
        free(cg->sd);
        cg->sd = NULL;
}
