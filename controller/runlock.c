/* runlock — see runlock.h. */
#include "controller/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int runlock_rundir(struct diag *d) {
        if (mkdir(RUNLOCK_DIR, 0700) < 0 && errno != EEXIST)
                return diag_set(d, -errno, "cannot make %s: %s", RUNLOCK_DIR, strerror(errno));
        int fd = open(RUNLOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return diag_set(d, -errno, "cannot open %s: %s%s", RUNLOCK_DIR, strerror(errno),
                                errno == ELOOP || errno == ENOTDIR ? " (it is not a real directory: remove it)" : "");
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                close(fd);
                return diag_set(d, -EPERM, "%s is not root's own directory (owner %u, mode %04o); remove it and run again",
                                RUNLOCK_DIR, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        }
        return fd;
}

int runlock_take(const char *name, struct diag *d) {
        int dfd = runlock_rundir(d);
        if (dfd < 0)
                return dfd;
        int fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        int e = errno;
        close(dfd);
        if (fd < 0)
                return diag_set(d, -e, "cannot open %s/lock: %s", RUNLOCK_DIR, strerror(e));
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                e = errno;
                char holder[160] = "";
                ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
                holder[n > 0 ? n : 0] = '\0';
                holder[strcspn(holder, "\n")] = '\0';
                char run[128] = "?";
                int pid = 0;
                sscanf(holder, "%127s %d", run, &pid);
                close(fd);
                if (e != EWOULDBLOCK)
                        return diag_set(d, -e, "cannot lock %s/lock: %s", RUNLOCK_DIR, strerror(e));
                return diag_set(d, -EBUSY,
                                "run %s (pid %d) is running on this machine; two runs would measure each other and share the "
                                "hugepage reservation: wait until it ends, or stop it (kill -TERM %d)",
                                run, pid, pid);
        }
        char text[160];
        int len = snprintf(text, sizeof(text), "%s %d\n", name, (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)len, 0) != len) {
                e = errno;
                close(fd);
                return diag_set(d, -e, "cannot write %s/lock: %s", RUNLOCK_DIR, strerror(e));
        }
        return fd;
}

void runlock_release(int fd) {
        if (fd >= 0)
                close(fd);
}
