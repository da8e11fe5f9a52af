/* link — see link.h. */
#include "agents/common/link.h"
#include "agents/common/linkspec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

enum link_kind link_kind_from_string(const char *s) {
        const struct link_spec *l = link_spec_find(s);
        return l ? l->kind : LINK_NONE;
}

int link_opts_parse(struct link_opts *o, int c, const char *arg, const char *prog) {
        char *end;
        unsigned long v;
        switch (c) {
        case LINK_OPT_KIND:
                o->kind = link_kind_from_string(arg);
                if (o->kind == LINK_NONE) {
                        fprintf(stderr, "%s: --link %s: use %s\n", prog, arg, link_spec_names());
                        return -EINVAL;
                }
                return 1;
        case LINK_OPT_DIR:
                o->dir = arg;
                return 1;
        case LINK_OPT_PORTS:
        case LINK_OPT_QUEUES:
                errno = 0;
                v = strtoul(arg, &end, 10);
                if (errno || *end || end == arg || v < 1 || v > 16) {
                        fprintf(stderr, "%s: --%s %s: expected a number from 1 to 16\n", prog,
                                c == LINK_OPT_PORTS ? "link-ports" : "link-queues", arg);
                        return -EINVAL;
                }
                *(c == LINK_OPT_PORTS ? &o->ports : &o->queues) = (unsigned)v;
                return 1;
        case LINK_OPT_RING:
                errno = 0;
                v = strtoul(arg, &end, 10);
                if (errno || *end || end == arg || v < 64 || v > 4096 || (v & (v - 1))) {
                        fprintf(stderr, "%s: --link-ring %s: expected a power of two from 64 to 4096\n", prog, arg);
                        return -EINVAL;
                }
                o->ring = (unsigned)v;
                return 1;
        }
        return 0;
}

int link_opts_check(const struct link_opts *o, const char *prog) {
        const struct link_spec *l = link_spec_of(o->kind);
        if (l && l->sockets && !o->dir) {
                fprintf(stderr, "%s: --link vhost and --link memif need --link-dir DIR for their sockets\n", prog);
                return -EINVAL;
        }
        return 0;
}

/* 0 when something accepts connections on path, else -errno of connect(). */
static int try_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
        close(fd);
        return r;
}

int link_check_socket(const char *path, bool server, char *err, size_t errlen) {
        struct sockaddr_un sa;
        if (strlen(path) >= sizeof(sa.sun_path)) {
                snprintf(err, errlen, "%s is too long for a unix socket (%zu bytes at most); use a shorter --link-dir",
                         path, sizeof(sa.sun_path) - 1);
                return -ENAMETOOLONG;
        }
        struct stat st;
        if (!server) {
                if (stat(path, &st) < 0) {
                        snprintf(err, errlen, "no socket at %s: start the generator (the link's server side) first", path);
                        return -ENOENT;
                }
                if (!S_ISSOCK(st.st_mode)) {
                        snprintf(err, errlen, "%s is not a socket", path);
                        return -ENOTSOCK;
                }
                /* No test connection here: a vhost-user server would take it for the
                 * client.  The attach itself tells, and link_attach explains a failure. */
                return 0;
        }
        if (stat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        snprintf(err, errlen, "%s exists and is not a socket; remove it or use another --link-dir", path);
                        return -EEXIST;
                }
                if (try_connect(path) == 0) {
                        snprintf(err, errlen, "%s is busy: another process serves it; stop that process or use another --link-dir",
                                 path);
                        return -EADDRINUSE;
                }
                snprintf(err, errlen, "%s is a stale socket left by an earlier run; remove it (isolab cleanup does)", path);
                return -EADDRINUSE;
        }
        return 0;
}

static int check_dir(const char *dir, char *err, size_t errlen) {
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "--link-dir %s is not a directory; create it (mode 0700) first", dir);
                return -ENOTDIR;
        }
        if (access(dir, W_OK | X_OK) < 0) {
                snprintf(err, errlen, "--link-dir %s is not writable for this process", dir);
                return -EACCES;
        }
        return 0;
}

int link_attach(const struct link_opts *o, bool server, char *err, size_t errlen) {
        const struct link_spec *l = link_spec_of(o->kind);
        const char *dir = o->dir;
        unsigned n = o->ports;
        if (!l || !l->sockets)
                return 0;
        int r = check_dir(dir, err, errlen);
        if (r < 0)
                return r;
        char first[256] = "";
        for (unsigned i = 0; i < n; i++) {
                char path[256], devargs[512];
                l->socket(dir, i, path, sizeof(path));
                if (i == 0)
                        snprintf(first, sizeof(first), "%s", path);
                /* memif multiplexes every port on one socket: check it once. */
                if (i == 0 || strcmp(path, first) != 0) {
                        r = link_check_socket(path, server, err, errlen);
                        if (r < 0)
                                return r;
                }
                l->devargs(server, path, i, o->queues, o->ring, devargs, sizeof(devargs));
                unsigned before = rte_eth_dev_count_avail();
                r = rte_dev_probe(devargs);
                if (r < 0 || rte_eth_dev_count_avail() != before + 1) {
                        if (!server && try_connect(path) < 0)
                                snprintf(err, errlen, "cannot attach to %s: nothing accepts connections there (a stale socket, "
                                                      "or the generator has not started its ports)",
                                         path);
                        else
                                snprintf(err, errlen, "cannot create the %s port on %s: %s", l->name, path,
                                         rte_strerror(r < 0 ? -r : EIO));
                        return r < 0 ? r : -EIO;
                }
        }
        return 0;
}
