/* http — the study's Apache-benchmark neighbour, built in: an HTTP/1.1 server (one
 * epoll thread) and client threads on loopback, each sending GET / and reading the
 * whole 4 KiB answer before the next.  By default a connection per request, as ab runs
 * without -k (keepalive=1 reuses connections): accept, TCP handshakes, socket buffers,
 * softirqs — kernel networking work, on the neighbour's CPUs.  Work: answered
 * requests, in requests/s.
 *
 * Built in rather than apache2 + ab: nothing to install or configure, no system service
 * started on port 80, both ends in the neighbour's own cgroup, and the rate counted
 * in-process.  apache2 + ab can still be the neighbour through `exec`. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agents/noise/noise.h"

#define BODY 4096
#define MAX_CONN 1024

struct http_state {
        int listen_fd, ep;
        struct sockaddr_in addr;
        char response[256 + BODY];
        size_t response_len;
        char pending[MAX_CONN]; /* per server-side fd (< MAX_CONN): bytes of "\r\n\r\n" matched */
        bool open[MAX_CONN];    /* server-side fds to close at the end */
};

static int http_supported(const struct noise_opts *o, char *buf, size_t len) {
        (void)o;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                snprintf(buf, len, "http: cannot make a TCP socket: %s", strerror(errno));
                return -errno;
        }
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int r = bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                snprintf(buf, len, "http: cannot bind to 127.0.0.1: %s (is loopback up?)", strerror(-r));
        return r;
}

static void server_close(struct http_state *s, int fd) {
        close(fd); /* also leaves the epoll set */
        s->open[fd] = false;
}

static void serve_fd(struct http_state *s, int fd, bool keepalive) {
        char buf[2048];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        server_close(s, fd);
                        return;
                }
                if (n < 0)
                        return;
                /* Requests end with an empty line; count the ends, answer each. */
                static const char end[] = "\r\n\r\n";
                for (ssize_t i = 0; i < n; i++) {
                        char *m = &s->pending[fd];
                        *m = buf[i] == end[(int)*m] ? (char)(*m + 1) : buf[i] == '\r' ? 1 : 0;
                        if (*m == 4) {
                                *m = 0;
                                if (write(fd, s->response, s->response_len) != (ssize_t)s->response_len || !keepalive) {
                                        server_close(s, fd);
                                        return;
                                }
                        }
                }
        }
}

static void *server_thread(void *arg) {
        struct noise_run *r = arg;
        struct http_state *s = r->priv;
        struct epoll_event ev[64];
        while (!noise_stopping(r)) {
                int n = epoll_wait(s->ep, ev, 64, 50);
                for (int i = 0; i < n; i++) {
                        if (ev[i].data.fd == s->listen_fd) {
                                int c;
                                while ((c = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                                        if (c >= MAX_CONN) {
                                                close(c);
                                                continue;
                                        }
                                        s->pending[c] = 0;
                                        s->open[c] = true;
                                        struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
                                        epoll_ctl(s->ep, EPOLL_CTL_ADD, c, &ce);
                                }
                        } else {
                                serve_fd(s, ev[i].data.fd, r->o.keepalive);
                        }
                }
        }
        return NULL;
}

static int client_connect(struct http_state *s) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        struct timeval tv = { .tv_sec = 1 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void *client_thread(void *arg) {
        struct noise_run *r = arg;
        struct http_state *s = r->priv;
        static const char req[] = "GET / HTTP/1.1\r\nHost: isolab-noise\r\nUser-Agent: isolab-noise\r\n\r\n";
        char buf[8192];
        int fd = -1;
        while (!noise_stopping(r)) {
                if (fd < 0 && (fd = client_connect(s)) < 0) {
                        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
                        continue;
                }
                size_t got = 0;
                if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1))
                        while (got < s->response_len) {
                                ssize_t n = read(fd, buf, sizeof(buf));
                                if (n <= 0)
                                        break;
                                got += (size_t)n;
                        }
                if (got == s->response_len)
                        noise_add(r, 1);
                if (!r->o.keepalive || got != s->response_len) {
                        close(fd); /* the server closed first: its side keeps the TIME_WAIT */
                        fd = -1;
                }
        }
        if (fd >= 0)
                close(fd);
        return NULL;
}

static int http_start(struct noise_run *r, char *err, size_t len) {
        struct http_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->listen_fd = s->ep = -1;
        r->priv = s;
        int hl = snprintf(s->response, sizeof(s->response),
                          "HTTP/1.1 200 OK\r\nServer: isolab-noise\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n",
                          BODY, r->o.keepalive ? "" : "Connection: close\r\n");
        memset(s->response + hl, 'x', BODY);
        s->response_len = (size_t)hl + BODY;
        s->addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(s->addr);
        int one = 1;
        if ((s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
            setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0 || listen(s->listen_fd, 512) < 0 ||
            getsockname(s->listen_fd, (struct sockaddr *)&s->addr, &al) < 0 || (s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
                int e = errno;
                snprintf(err, len, "http: cannot listen on 127.0.0.1: %s", strerror(e));
                return -e;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = s->listen_fd };
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &ev);
        /* Clients first: threads are joined in order, so at the end every client
         * finishes its request while the server still answers. */
        int rc = noise_spawn_workers(r, client_thread, 4, err, len);
        if (rc >= 0 && (rc = noise_spawn(r, server_thread, r)) < 0)
                snprintf(err, len, "http: cannot start the server thread: %s", strerror(-rc));
        return rc;
}

static void http_stop(struct noise_run *r) {
        struct http_state *s = r->priv;
        if (!s)
                return;
        for (int fd = 0; fd < MAX_CONN; fd++)
                if (s->open[fd])
                        close(fd);
        if (s->ep >= 0)
                close(s->ep);
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        free(s);
        r->priv = NULL;
}

const struct noise_workload noise_http = {
        .name = "http",
        .stresses = "kernel networking: an HTTP server and clients on loopback (the study's Apache benchmark)",
        .options = "threads=CLIENTS (4) keepalive=0|1 (0: a connection per request, as ab)",
        .unit = "requests/s",
        .scale = 1,
        .supported = http_supported,
        .start = http_start,
        .stop = http_stop,
};
