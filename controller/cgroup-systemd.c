/* cgroup-systemd — see cgroup-systemd.h. */
#include "controller/cgroup-systemd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
            (r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid)) < 0 || (r = append_quota(m, q)) < 0 ||
            (r = append_mask(m, "AllowedCPUs", cpus)) < 0 || (r = append_mask(m, "AllowedMemoryNodes", mems)) < 0 ||
            (r = sd_bus_message_close_container(m)) < 0 || (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0 ||
            (r = sd_bus_message_seal(m, 1, 0)) < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

int cg_sd_set_quota_message(sd_bus *bus, const char *unit, const struct cg_quota *q, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                               "org.freedesktop.systemd1.Manager", "SetUnitProperties");
        if (r < 0)
                return r;
        /* runtime=true: the change dies with the scope, nothing is written under /etc. */
        if ((r = sd_bus_message_append(m, "sb", unit, 1)) < 0 || (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = append_quota(m, q)) < 0 || (r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_seal(m, 2, 0)) < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}
