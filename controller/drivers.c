/* drivers — see drivers.h. */
#include "controller/drivers.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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
        if (!dir[0])
                return 0;
        static const struct {
                const char *link, *driver, *what;
        } need[] = {
                { "vhost", "net_vhost", "the generator's vhost-user ports" },
                { "vhost", "net_virtio", "the NF's virtio-user ports" },
                { "memif", "net_memif", "the memif ports" },
        };
        const char *abi = strrchr(dir, '-'); /* pmds-23.0 -> 23 */
        char major[16] = "";
        if (abi)
                snprintf(major, sizeof(major), "%.*s", (int)strcspn(abi + 1, "."), abi + 1);
        for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
                if (strcmp(need[i].link, link) != 0)
                        continue;
                char path[700], pkg[64];
                snprintf(path, sizeof(path), "%s/librte_%s.so", dir, need[i].driver);
                if (access(path, R_OK) == 0)
                        continue;
                snprintf(pkg, sizeof(pkg), "librte-%s%s", need[i].driver, major);
                for (char *c = pkg; *c; c++)
                        if (*c == '_')
                                *c = '-';
                return diag_set(d, -ENOENT,
                                "--link %s: DPDK's %s driver (librte_%s.so, for %s) is not in %s; install Debian's %s",
                                link, need[i].driver, need[i].driver, need[i].what, dir, pkg);
        }
        return 0;
}
