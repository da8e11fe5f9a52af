/* sysfix — see sysfix.h. */
#include "tests/system/sysfix.h"

#include "controller/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

int sysfix_lock(void) {
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

void sysfix_unlock(int fd) {
        if (fd >= 0)
                close(fd); /* releases the flock */
}

long sysfix_read_long(const char *path) {
        FILE *f = fopen(path, "re");
        long v = -1;
        if (f) {
                if (fscanf(f, "%ld", &v) != 1)
                        v = -1;
                fclose(f);
        }
        return v;
}

int sysfix_write_long(const char *path, long v) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "%ld\n", v);
        return fclose(f) == 0 ? 0 : -errno;
}

int sysfix_rm_rf(const char *path) {
        return cleanup_rm_rf(path);
}

/* As root, EAL keeps runtime files under /var/run/dpdk and creates that directory.
 * Once every test has finished, the runner removes it again if it is empty. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
        (void)stats;
        rmdir("/var/run/dpdk");
}
