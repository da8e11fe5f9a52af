/* drivers — see drivers.h. */
#include "controller/drivers.h"

#include "agents/common/linkspec.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void drivers_dir(const char *libdir, char *buf, size_t len) {
        char base[512];
        snprintf(base, sizeof(base), "%s/dpdk", libdir);
        buf[0] = '\0';
        DIR *dh = opendir(base);
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;)
                if (strncmp(e->d_name, "pmds-", 5) == 0)
                        snprintf(buf, len, "%s/%s", base, e->d_name);
        if (dh)
                closedir(dh);
}

int drivers_check(const char *dir, const char *link, struct diag *d) {
        const struct link_spec *l = link_spec_find(link);
        if (!dir[0] || !l)
                return 0;
        const char *abi = strrchr(dir, '-'); /* pmds-23.0 -> 23 */
        char major[16] = "";
        if (abi)
                snprintf(major, sizeof(major), "%.*s", (int)strcspn(abi + 1, "."), abi + 1);
        const char *need[2][2] = { { l->server_driver, l->server_what }, { l->client_driver, l->client_what } };
        for (size_t i = 0; i < 2; i++) {
                if (!need[i][0])
                        continue;
                char path[700], pkg[64];
                snprintf(path, sizeof(path), "%s/librte_%s.so", dir, need[i][0]);
                if (access(path, R_OK) == 0)
                        continue;
                snprintf(pkg, sizeof(pkg), "librte-%s%s", need[i][0], major);
                for (char *c = pkg; *c; c++)
                        if (*c == '_')
                                *c = '-';
                return diag_set(d, -ENOENT, "--link %s: DPDK's %s driver (librte_%s.so, for %s) is not in %s; install Debian's %s",
                                link, need[i][0], need[i][0], need[i][1], dir, pkg);
        }
        return 0;
}

int drivers_pci_addr(const char *s, char *full, size_t len) {
        unsigned dom = 0, bus, dev, fn;
        int n = 0;
        size_t l = strlen(s);
        if (sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &dev, &fn, &n) == 4 && (size_t)n == l && l == 12)
                ;
        else if (dom = 0, sscanf(s, "%2x:%2x.%1u%n", &bus, &dev, &fn, &n) == 3 && (size_t)n == l && l == 7)
                ;
        else
                return -EINVAL;
        if (dev > 0x1f || fn > 7 || strspn(s, "0123456789abcdefABCDEF:.") != l)
                return -EINVAL;
        snprintf(full, len, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
        return 0;
}

/* ", its link eth2 is up at 10000 Mb/s" for a port a kernel driver holds, else "". */
static void kernel_link(const char *sysfs, const char *full, char *buf, size_t len) {
        char path[700], state[32], speed[32];
        buf[0] = '\0';
        snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", sysfs, full);
        DIR *dh = opendir(path);
        for (struct dirent *e; dh && (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net/%.64s/operstate", sysfs, full, e->d_name);
                read_first_line(path, state, sizeof(state));
                snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net/%.64s/speed", sysfs, full, e->d_name);
                read_first_line(path, speed, sizeof(speed));
                if (atol(speed) > 0)
                        snprintf(buf, len, " (its link %.64s is %s at %s Mb/s)", e->d_name, state[0] ? state : "unknown", speed);
                else
                        snprintf(buf, len, " (its link %.64s is %s)", e->d_name, state[0] ? state : "unknown");
                break;
        }
        if (dh)
                closedir(dh);
}

int drivers_check_port(const char *sysfs, const char *addr, const char *opt, struct diag *d) {
        char full[16], path[600], target[600];
        if (drivers_pci_addr(addr, full, sizeof(full)) < 0)
                return diag_set(d, -EINVAL, "%s %s: not a PCI address; give DOMAIN:BUS:DEVICE.FUNCTION (0000:3b:00.0) as "
                                            "lspci -D prints it", opt, addr);
        snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, full);
        if (access(path, F_OK) < 0)
                return diag_set(d, -ENODEV, "%s %s: there is no PCI device %s here (lspci -D lists them)", opt, addr, full);
        snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs, full);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        const char *drv = "no driver";
        if (n > 0) {
                target[n] = '\0';
                const char *slash = strrchr(target, '/');
                drv = slash ? slash + 1 : target;
        }
        static const char *const dpdk_drivers[] = { "vfio-pci", "igb_uio", "uio_pci_generic" };
        bool usable = false;
        for (size_t i = 0; i < sizeof(dpdk_drivers) / sizeof(dpdk_drivers[0]); i++)
                usable |= strcmp(drv, dpdk_drivers[i]) == 0;
        if (!usable) {
                char link[160];
                kernel_link(sysfs, full, link, sizeof(link));
                return diag_set(d, -ENODEV, "%s %s: the port is bound to %s%s, which DPDK cannot drive; bind it with "
                                            "dpdk-devbind.py -b vfio-pci %s (modprobe vfio-pci first)",
                                opt, addr, drv, link, full);
        }
        if (strcmp(drv, "vfio-pci") != 0)
                return 0;
        /* vfio-pci needs the IOMMU, or its no-IOMMU mode switched on explicitly. */
        char noiommu[8];
        snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", sysfs, full);
        bool group = access(path, F_OK) == 0;
        snprintf(path, sizeof(path), "%s/module/vfio/parameters/enable_unsafe_noiommu_mode", sysfs);
        read_first_line(path, noiommu, sizeof(noiommu));
        if (!group && noiommu[0] != 'Y' && noiommu[0] != '1')
                return diag_set(d, -ENODEV, "%s %s: bound to vfio-pci but the port has no IOMMU group: boot with "
                                            "intel_iommu=on iommu=pt (amd_iommu=on on AMD), or allow vfio without an IOMMU: "
                                            "echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
                                opt, addr);
        return 0;
}
