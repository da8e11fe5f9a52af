/* resdir — see resdir.h. */
#include "controller/resdir.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define MAX_SYMLINKS 32

/* Whether uid is one isolab trusts for what it writes: root or the user running it. */
static bool trusted_uid(uid_t uid) {
        return uid == 0 || uid == geteuid();
}

void resdir_trust(const struct stat *st, char *buf, size_t len) {
        buf[0] = '\0';
        if (!trusted_uid(st->st_uid)) {
                struct passwd *pw = getpwuid(st->st_uid);
                if (pw)
                        snprintf(buf, len, "user %s owns it", pw->pw_name);
                else
                        snprintf(buf, len, "user %u owns it", (unsigned)st->st_uid);
        } else if (st->st_mode & S_IWOTH) {
                snprintf(buf, len, "anyone can write it");
        } else if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
                struct group *gr = getgrgid(st->st_gid);
                if (gr)
                        snprintf(buf, len, "group %s can write it", gr->gr_name);
                else
                        snprintf(buf, len, "group %u can write it", (unsigned)st->st_gid);
        }
}

/* Whether a symlink in a directory with stat dir, owned by link_uid, may be followed:
 * its owner is trusted, and no one untrusted could have put it there (the directory is
 * trusted and writable only by its owner, or sticky so only the link's owner can
 * replace it). */
static bool symlink_safe(const struct stat *dir, uid_t link_uid) {
        if (!trusted_uid(link_uid) || !trusted_uid(dir->st_uid))
                return false;
        if (dir->st_mode & S_ISVTX)
                return true;
        if (dir->st_mode & S_IWOTH)
                return false;
        return !(dir->st_mode & S_IWGRP) || dir->st_gid == 0;
}

/* Resolves path to a directory fd (O_PATH), one component at a time from "/" (a
 * relative path from the current directory's absolute name).  create: missing
 * components are made (0755). */
static int chase_dir(const char *path, bool create, bool check, const char *opt, int *ret_fd, struct diag *d) {
        char *todo = NULL;
        if (path[0] == '/') {
                todo = strdup(path);
        } else {
                char *cwd = getcwd(NULL, 0);
                if (!cwd)
                        return diag_set(d, -errno, "%s %s: the current directory has no name (%s)", opt, path, strerror(errno));
                if (asprintf(&todo, "%s/%s", cwd, path) < 0)
                        todo = NULL;
                free(cwd);
        }
        if (!todo)
                return -ENOMEM;
        int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                free(todo);
                return -errno;
        }
        /* A stack of the directories walked, for "..". */
        int stack[256];
        size_t depth = 0;
        unsigned links = 0;
        int r = 0;
        char *rest = todo;
        while (rest && *rest) {
                char *slash = strchr(rest, '/');
                if (slash)
                        *slash = '\0';
                char *comp = rest;
                rest = slash ? slash + 1 : NULL;
                if (!*comp || strcmp(comp, ".") == 0)
                        continue;
                if (strcmp(comp, "..") == 0) {
                        if (depth > 0) {
                                close(fd);
                                fd = stack[--depth];
                        }
                        continue;
                }
                struct stat dst, st;
                if (fstat(fd, &dst) < 0) {
                        r = -errno;
                        break;
                }
                if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT && check) {
                                r = 1; /* not there yet: a new run will make it */
                                break;
                        }
                        if (errno == ENOENT && !create) {
                                r = diag_set(d, -ENOENT, "%s %s: no such directory", opt, path);
                                break;
                        }
                        if (errno != ENOENT) {
                                r = diag_set(d, -errno, "%s %s: %s: %s", opt, path, comp, strerror(errno));
                                break;
                        }
                        if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
                                r = diag_set(d, -errno, "%s %s: cannot make %s: %s", opt, path, comp, strerror(errno));
                                break;
                        }
                        if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                r = -errno;
                                break;
                        }
                }
                if (S_ISLNK(st.st_mode)) {
                        char who[128];
                        resdir_trust(&st, who, sizeof(who));
                        if (!symlink_safe(&dst, st.st_uid) || ++links > MAX_SYMLINKS) {
                                r = diag_set(d, -ELOOP,
                                             "%s %s: %s is a symbolic link %s%s; isolab as root does not follow a link "
                                             "another user could have planted: give the real path",
                                             opt, path, comp, who[0] ? "and " : "in a directory others can write",
                                             who[0] ? who : "");
                                break;
                        }
                        char target[4096];
                        ssize_t n = readlinkat(fd, comp, target, sizeof(target) - 1);
                        if (n < 0) {
                                r = -errno;
                                break;
                        }
                        target[n] = '\0';
                        char *next = NULL;
                        if (asprintf(&next, "%s/%s", target, rest ? rest : "") < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        free(todo);
                        todo = next;
                        rest = todo;
                        if (target[0] == '/') {
                                close(fd);
                                while (depth > 0)
                                        close(stack[--depth]);
                                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (fd < 0) {
                                        r = -errno;
                                        break;
                                }
                        }
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        r = diag_set(d, -ENOTDIR, "%s %s: %s is not a directory", opt, path, comp);
                        break;
                }
                int child = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                        r = diag_set(d, -errno, "%s %s: %s: %s", opt, path, comp, strerror(errno));
                        break;
                }
                struct stat cst;
                if (fstat(child, &cst) < 0 || cst.st_ino != st.st_ino || cst.st_dev != st.st_dev) {
                        close(child);
                        r = diag_set(d, -EAGAIN, "%s %s: %s changed while isolab looked at it", opt, path, comp);
                        break;
                }
                if (depth == ELEMENTSOF(stack)) {
                        close(child);
                        r = diag_set(d, -ENAMETOOLONG, "%s %s: too deep", opt, path);
                        break;
                }
                stack[depth++] = fd;
                fd = child;
        }
        while (depth > 0)
                close(stack[--depth]);
        free(todo);
        if (r != 0) {
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* dir (an O_PATH fd) reopened for real use, after checking who owns and may write it. */
static int reopen_checked(int pathfd, bool writes, const char *opt, const char *path, struct diag *d) {
        int fd = openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return diag_set(d, -errno, "%s %s: %s", opt, path, strerror(errno));
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        char who[128];
        resdir_trust(&st, who, sizeof(who));
        if (writes && who[0]) {
                close(fd);
                return diag_set(d, -EPERM,
                                "%s %s: %s; isolab writes its results only into a directory that %s owns and no one else "
                                "can write: give another directory",
                                opt, path, who, geteuid() == 0 ? "root" : "you");
        }
        return fd;
}

int resdir_open(const char *path, enum resdir_mode mode, const char *opt, struct resdir *ret, struct diag *d) {
        *ret = (struct resdir){ .fd = -1 };
        if (!path || !*path)
                return diag_set(d, -EINVAL, "%s needs a directory", opt);
        int pathfd, r = chase_dir(path, mode == RESDIR_NEW, mode == RESDIR_CHECK_NEW, opt, &pathfd, d);
        if (r != 0)
                return r < 0 ? r : 0; /* RESDIR_CHECK_NEW: not there yet */
        /* A run writes into the directory; report only reads it, plot checks figures/. */
        int fd = reopen_checked(pathfd, mode != RESDIR_RENDER, opt, path, d);
        close(pathfd);
        if (fd < 0)
                return fd;
        struct resdir rd = { .fd = fd, .path = strdup(path) };
        if (!rd.path) {
                close(fd);
                return -ENOMEM;
        }
        if ((mode == RESDIR_NEW || mode == RESDIR_CHECK_NEW) && (resdir_has(&rd, "trials.jsonl") || resdir_has(&rd, "run.json"))) {
                resdir_close(&rd);
                return diag_set(d, -EEXIST,
                                "%s %s already holds a run (trials.jsonl, run.json); give a new directory, or "
                                "--resume %s to finish that run",
                                opt, path, path);
        }
        if (mode == RESDIR_RESUME && (!resdir_has(&rd, "trials.jsonl") || !resdir_has(&rd, "run.json"))) {
                resdir_close(&rd);
                return diag_set(d, -ENOENT, "%s %s holds no run to resume (no run.json or trials.jsonl)", opt, path);
        }
        if (mode == RESDIR_CHECK_NEW)
                resdir_close(&rd);
        else
                *ret = rd;
        return 0;
}

void resdir_close(struct resdir *r) {
        if (r->fd >= 0)
                close(r->fd);
        free(r->path);
        *r = (struct resdir){ .fd = -1 };
}

bool resdir_has(const struct resdir *r, const char *name) {
        struct stat st;
        return fstatat(r->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int resdir_create(const struct resdir *r, const char *name, int extra, struct diag *d) {
        int fd = openat(r->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | extra, 0644);
        if (fd < 0)
                return diag_set(d, -errno, "cannot create %s/%s: %s%s", r->path, name, strerror(errno),
                                errno == EEXIST ? " (isolab never writes through an existing name)" : "");
        return fd;
}

int resdir_append(const struct resdir *r, const char *name, struct diag *d) {
        int fd = openat(r->fd, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return diag_set(d, -errno, "cannot append to %s/%s: %s", r->path, name, strerror(errno));
        struct stat st;
        char who[128] = "";
        if (fstat(fd, &st) == 0)
                resdir_trust(&st, who, sizeof(who));
        if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || who[0]) {
                close(fd);
                return diag_set(d, -EPERM, "%s/%s is not a plain file of this run (%s); isolab does not append to it",
                                r->path, name,
                                !S_ISREG(st.st_mode) ? "not a regular file" : st.st_nlink != 1 ? "it has other hard links" : who);
        }
        return fd;
}

static void tmp_name(const char *name, char *buf, size_t len) {
        snprintf(buf, len, ".%s.tmp-%d", name, (int)getpid());
}

int resdir_replace_begin(const struct resdir *r, const char *name, struct diag *d) {
        char tmp[300];
        tmp_name(name, tmp, sizeof(tmp));
        (void)unlinkat(r->fd, tmp, 0); /* our own, left by a crash of this pid's predecessor */
        return resdir_create(r, tmp, O_TRUNC, d);
}

int resdir_replace_commit(const struct resdir *r, const char *name, int fd, struct diag *d) {
        char tmp[300];
        tmp_name(name, tmp, sizeof(tmp));
        int r_ = fsync(fd) < 0 ? -errno : 0;
        if (close(fd) < 0 && r_ == 0)
                r_ = -errno;
        if (r_ == 0 && renameat(r->fd, tmp, r->fd, name) < 0)
                r_ = -errno;
        if (r_ < 0) {
                (void)unlinkat(r->fd, tmp, 0);
                return diag_set(d, r_, "cannot write %s/%s: %s", r->path, name, strerror(-r_));
        }
        return 0;
}

void resdir_replace_abort(const struct resdir *r, const char *name, int fd) {
        char tmp[300];
        tmp_name(name, tmp, sizeof(tmp));
        if (fd >= 0)
                close(fd);
        (void)unlinkat(r->fd, tmp, 0);
}

FILE *resdir_read(const struct resdir *r, const char *name, struct diag *d) {
        int fd = openat(r->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                diag_set(d, -errno, "%s/%s: %s", r->path, name, strerror(errno));
                return NULL;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (unsigned long long)st.st_size > RESDIR_READ_MAX) {
                diag_set(d, -EINVAL, "%s/%s is not a regular file of at most %llu MiB", r->path, name,
                         RESDIR_READ_MAX >> 20);
                close(fd);
                return NULL;
        }
        /* Regular files do not block; the flag only kept a FIFO from hanging the open. */
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        FILE *f = fdopen(fd, "re");
        if (!f) {
                diag_set(d, -errno, "%s/%s: %s", r->path, name, strerror(errno));
                close(fd);
        }
        return f;
}

int resdir_subdir(const struct resdir *r, const char *name, struct resdir *ret, struct diag *d) {
        *ret = (struct resdir){ .fd = -1 };
        if (mkdirat(r->fd, name, 0755) < 0 && errno != EEXIST)
                return diag_set(d, -errno, "cannot make %s/%s: %s", r->path, name, strerror(errno));
        int fd = openat(r->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return diag_set(d, -errno, "%s/%s: %s%s", r->path, name, strerror(errno),
                                errno == ELOOP || errno == ENOTDIR ? " (isolab does not follow a link there)" : "");
        struct stat st;
        char who[128] = "";
        if (fstat(fd, &st) == 0)
                resdir_trust(&st, who, sizeof(who));
        if (who[0]) {
                close(fd);
                return diag_set(d, -EPERM, "%s/%s: %s; isolab writes only into a directory no one else can write", r->path,
                                name, who);
        }
        char *p = NULL;
        if (asprintf(&p, "%s/%s", r->path, name) < 0) {
                close(fd);
                return -ENOMEM;
        }
        *ret = (struct resdir){ .fd = fd, .path = p };
        return 0;
}
