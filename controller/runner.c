/* runner — see runner.h. */
#include "controller/runner.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/common/proto.h"

static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void)s;
        struct runner *r = userdata;
        r->interrupted = (int)si->ssi_signo;
        return 0;
}

static struct runner_agent *by_pid(struct runner *r, pid_t pid) {
        for (unsigned i = 0; i < r->n_agents; i++)
                if (r->agents[i].pid == pid && !r->agents[i].released)
                        return &r->agents[i];
        return NULL;
}

/* READY=1 from an agent: the sender's pid comes with the datagram (SO_PASSCRED). */
static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void)s, (void)revents;
        struct runner *r = userdata;
        char buf[512];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        struct iovec iov = { buf, sizeof(buf) - 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (!c || c->cmsg_type != SCM_CREDENTIALS)
                return 0;
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        struct runner_agent *a = by_pid(r, cred.pid);
        if (a && strstr(buf, "READY=1"))
                a->ready = true;
        return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void)revents;
        struct runner_agent *a = userdata;
        int r = linebuf_fill(&a->out, fd);
        if (r <= 0) {
                /* End of output (it is exiting), a read error, or a line beyond any reply. */
                sd_event_source_set_enabled(s, SD_EVENT_OFF);
                if (r < 0)
                        a->garbage = true;
                return 0;
        }
        char *line;
        while ((r = linebuf_take(&a->out, &line)) > 0) {
                json_t *doc = json_loads(line, 0, NULL);
                free(line);
                /* A line that is not JSON is a broken agent: its stdout is the protocol's
                 * alone.  The request in hand fails, even when a valid reply comes
                 * beside the garbage. */
                if (!doc) {
                        a->garbage = true;
                        doc = json_pack("{s:b, s:s}", "ok", 0, "error", "the agent printed a line that is not JSON");
                } else if (a->garbage) {
                        json_decref(doc);
                        continue;
                }
                json_decref(a->reply);
                a->reply = doc;
        }
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        (void)s;
        struct runner_agent *a = userdata;
        a->exited = true;
        a->exit_code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
        a->pid = 0;
        return 0;
}

int runner_init(struct runner *r, const char *notify_path, struct diag *d) {
        *r = (struct runner){ .notify_fd = -1 };
        sigset_t ss;
        sigemptyset(&ss);
        for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
                sigaddset(&ss, handled[i]);
        sigaddset(&ss, SIGCHLD);
        sigaddset(&ss, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return diag_set(d, -errno, "cannot block signals: %s", strerror(errno));
        int rc = sd_event_new(&r->ev);
        if (rc < 0)
                return diag_set(d, rc, "cannot create the event loop: %s", strerror(-rc));
        for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
                if ((rc = sd_event_add_signal(r->ev, &r->sig[i], handled[i], on_signal, r)) < 0)
                        return diag_set(d, rc, "cannot watch signal %d: %s", handled[i], strerror(-rc));

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(notify_path) >= sizeof(sa.sun_path))
                return diag_set(d, -ENAMETOOLONG, "notify socket path %s is too long", notify_path);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        snprintf(r->notify_path, sizeof(r->notify_path), "%s", notify_path);
        r->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int one = 1;
        if (r->notify_fd < 0 || setsockopt(r->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
            bind(r->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return diag_set(d, -errno, "cannot bind the notify socket %s: %s", notify_path, strerror(errno));
        rc = sd_event_add_io(r->ev, &r->notify_src, r->notify_fd, EPOLLIN, on_notify, r);
        return rc < 0 ? diag_set(d, rc, "cannot watch the notify socket: %s", strerror(-rc)) : 0;
}

static struct runner_agent *start(struct runner *r, const char *name, char *const argv[], struct cg *cg, const char *rel,
                                  int stderr_fd, bool raw, struct diag *d) {
        /* A released slot is taken again (a neighbour per trial); else a new one. */
        struct runner_agent *a = NULL;
        for (unsigned i = 0; i < r->n_agents && !a; i++)
                if (r->agents[i].released)
                        a = &r->agents[i];
        if (!a && r->n_agents == RUNNER_MAX_AGENTS) {
                diag_set(d, -ENOSPC, "too many agents");
                return NULL;
        }
        int in[2], out[2], go[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
                diag_set(d, -errno, "pipe: %s", strerror(errno));
                return NULL;
        }
        pid_t pid = fork();
        if (pid < 0) {
                diag_set(d, -errno, "fork: %s", strerror(errno));
                return NULL;
        }
        if (pid == 0) {
                /* The child: default signal mask, wait to be placed, then exec (no shell). */
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                dup2(in[0], 0);
                dup2(raw && stderr_fd >= 0 ? stderr_fd : out[1], 1);
                if (stderr_fd >= 0)
                        dup2(stderr_fd, 2);
                char c;
                if (read(go[0], &c, 1) != 1)
                        _exit(126);
                /* Not the controller's housekeeping affinity: every CPU, which the
                 * kernel narrows to the cgroup's cpuset. */
                cpu_set_t all;
                CPU_ZERO(&all);
                for (int i = 0; i < CPU_SETSIZE; i++)
                        CPU_SET(i, &all);
                sched_setaffinity(0, sizeof(all), &all);
                setenv("NOTIFY_SOCKET", r->notify_path, 1);
                execv(argv[0], argv);
                fprintf(stderr, "isolab: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        close(go[0]);
        if (!a)
                a = &r->agents[r->n_agents++];
        *a = (struct runner_agent){ .pid = pid, .in_fd = in[1], .out_fd = out[0], .generation = ++r->starts, .raw = raw };
        snprintf(a->name, sizeof(a->name), "%s", name);
        int rc = sd_event_add_io(r->ev, &a->io, a->out_fd, EPOLLIN, on_output, a);
        if (rc >= 0)
                rc = sd_event_add_child(r->ev, &a->child, pid, WEXITED, on_child, a);
        if (rc < 0) {
                diag_set(d, rc, "cannot watch agent %s: %s", name, strerror(-rc));
                close(go[1]);
                return a; /* runner_done reaps it */
        }
        if (cg && rel && (rc = cg->ops->attach(cg, rel, pid, d)) < 0) {
                close(go[1]); /* the child exits 126 without exec */
                return NULL;
        }
        if (write(go[1], "g", 1) != 1) {
                diag_set(d, -errno, "cannot start agent %s: %s", name, strerror(errno));
                close(go[1]);
                return NULL;
        }
        close(go[1]);
        return a;
}

struct runner_agent *runner_start(struct runner *r, const char *name, char *const argv[], struct cg *cg, const char *rel,
                                  int stderr_fd, struct diag *d) {
        return start(r, name, argv, cg, rel, stderr_fd, false, d);
}

struct runner_agent *runner_start_raw(struct runner *r, const char *name, char *const argv[], struct cg *cg, const char *rel,
                                      int stderr_fd, struct diag *d) {
        return start(r, name, argv, cg, rel, stderr_fd, true, d);
}

static uint64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Turns the loop until done(a) or the deadline, death or a signal. */
static int turn(struct runner *r, struct runner_agent *a, bool (*done)(struct runner_agent *), int timeout_ms) {
        uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
        while (!done(a)) {
                if (r->interrupted)
                        return -EINTR;
                if (a->exited)
                        return -ECHILD;
                uint64_t t = now_us();
                if (t >= deadline)
                        return -ETIMEDOUT;
                int rc = sd_event_run(r->ev, deadline - t);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static bool is_ready(struct runner_agent *a) {
        return a->ready;
}

static bool has_reply(struct runner_agent *a) {
        return a->reply != NULL;
}

static int why(struct runner_agent *a, int rc, const char *what, struct diag *d) {
        if (rc == -ECHILD)
                return diag_set(d, rc, "agent %s died (exit %d) during %s", a->name, a->exit_code, what);
        if (rc == -ETIMEDOUT)
                return diag_set(d, rc, "agent %s did not answer %s in time", a->name, what);
        if (rc == -EINTR)
                return diag_set(d, rc, "interrupted during %s", what);
        return diag_set(d, rc, "event loop failed during %s: %s", what, strerror(-rc));
}

int runner_wait_until(struct runner *r, struct runner_agent *a, bool (*done)(const void *ctx), const void *ctx,
                      int timeout_ms, const char *what, struct diag *d) {
        uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
        int rc = 0;
        while (!done(ctx)) {
                if (r->interrupted)
                        rc = -EINTR;
                else if (a->exited)
                        rc = -ECHILD;
                else if (now_us() >= deadline)
                        rc = -ETIMEDOUT;
                else
                        /* Its exit, a signal, or another look in 100 ms. */
                        rc = sd_event_run(r->ev, 100000) < 0 ? -EIO : 0;
                if (rc < 0)
                        return why(a, rc, what, d);
        }
        return 0;
}

int runner_wait_ready(struct runner *r, struct runner_agent *a, int timeout_ms, struct diag *d) {
        int rc = turn(r, a, is_ready, timeout_ms);
        return rc < 0 ? why(a, rc, "its start (READY=1)", d) : 0;
}

int runner_request(struct runner *r, struct runner_agent *a, json_t *req, int timeout_ms, json_t **ret, struct diag *d) {
        /* Garbage printed since the last request is a protocol violation too. */
        if (a->garbage) {
                a->garbage = false;
                json_decref(a->reply);
                a->reply = NULL;
                return diag_set(d, -EPROTO, "agent %s: the agent printed a line that is not JSON", a->name);
        }
        json_decref(a->reply);
        a->reply = NULL;
        char *text = json_dumps(req, JSON_COMPACT);
        if (!text)
                return -ENOMEM;
        bool ok = dprintf(a->in_fd, "%s\n", text) > 0;
        free(text);
        if (!ok)
                return diag_set(d, -EPIPE, "cannot write to agent %s: %s", a->name, strerror(errno));
        const char *cmd = json_string_value(json_object_get(req, PROTO_CMD));
        char what[64];
        snprintf(what, sizeof(what), "the %s request", cmd ? cmd : "?");
        int rc = turn(r, a, has_reply, timeout_ms);
        if (rc < 0)
                return why(a, rc, what, d);
        json_t *reply = a->reply;
        a->reply = NULL;
        a->garbage = false; /* this request fails for it; the next one starts clean */
        if (!json_is_true(json_object_get(reply, "ok"))) {
                rc = diag_set(d, -EPROTO, "agent %s: %s", a->name, json_string_value(json_object_get(reply, "error")));
                json_decref(reply);
                return rc;
        }
        *ret = reply;
        return 0;
}

void runner_stop(struct runner *r, struct runner_agent *a, int timeout_ms) {
        if (a->raw && !a->exited && a->pid > 0)
                kill(a->pid, SIGTERM);
        if (a->in_fd >= 0) {
                if (!a->exited && !a->raw)
                        (void)!write(a->in_fd, "{\"cmd\":\"quit\"}\n", 15);
                close(a->in_fd);
                a->in_fd = -1;
        }
        uint64_t deadline = now_us() + (uint64_t)timeout_ms * 1000;
        while (!a->exited && now_us() < deadline)
                if (sd_event_run(r->ev, deadline - now_us()) < 0)
                        break;
        if (!a->exited && a->pid > 0) {
                kill(a->pid, SIGKILL);
                int st;
                if (waitpid(a->pid, &st, 0) == a->pid) {
                        a->exited = true;
                        a->exit_code = 128 + SIGKILL;
                        a->pid = 0;
                }
        }
}

void runner_release(struct runner *r, struct runner_agent *a) {
        if (a->released)
                return;
        runner_stop(r, a, 5000);
        a->io = sd_event_source_unref(a->io);
        a->child = sd_event_source_unref(a->child);
        if (a->out_fd >= 0)
                close(a->out_fd);
        a->out_fd = -1;
        json_decref(a->reply);
        a->reply = NULL;
        linebuf_free(&a->out);
        a->released = true;
}

void runner_done(struct runner *r) {
        for (unsigned i = 0; i < r->n_agents; i++)
                runner_release(r, &r->agents[i]);
        r->n_agents = 0;
        sd_event_source_unref(r->notify_src);
        for (size_t i = 0; i < 3; i++)
                sd_event_source_unref(r->sig[i]);
        if (r->notify_fd >= 0) {
                close(r->notify_fd);
                unlink(r->notify_path);
        }
        sd_event_unref(r->ev);
        r->ev = NULL;
}
