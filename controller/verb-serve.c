/* isolab serve — the generator host's side of --gen-host (genhost.h), run over SSH by
 * the controller on the device under test.
 *
 *   isolab serve host [--ports P0,P1]   prints this host's facts as one JSON object
 *   isolab serve gen                    answers hello, then one start request: it
 *                                       reserves the generator's hugepages, mounts its
 *                                       hugetlbfs, starts isolab-gen, and relays the
 *                                       protocol between its stdin/stdout (the SSH
 *                                       channel) and isolab-gen until either ends
 *
 * Every change is recorded in /run/isolab/RUN-gen/state.json before it is made and undone
 * when the session ends: the controller's quit, the connection lost (end of input, a
 * broken pipe), SIGTERM/SIGINT/SIGHUP, the generator's death.  A kill -9 of this helper
 * leaves the state file for `isolab cleanup` (or the next run) on this host.  It takes
 * this host's run lock, unless the lock is held by the very run that called it (the
 * generator host is the DUT itself: the same boot id and the same run). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "base/linebuf.h"
#include "base/util.h"
#include "controller/cleanup.h"
#include "controller/drivers.h"
#include "controller/genhost.h"
#include "controller/paths.h"
#include "controller/runlock.h"
#include "controller/undo.h"
#include "controller/verbs.h"
#include "topology/hugepages.h"

struct serve_opts {
        const char *ports;
};

static const struct cli_option serve_options[] = {
        { "ports", "PCI,PCI", "serve host: check these ports of the generator (bound to a DPDK driver, IOMMU)",
          cli_parse_string, offsetof(struct serve_opts, ports), NULL },
};

/* ---- serve host ---------------------------------------------------------------------------- */

static int serve_host(const struct serve_opts *o) {
        struct diag d = { 0 };
        _cleanup_(topo_freep) struct topo *t = NULL;
        struct topo_load_opts lo = { 0 };
        json_t *reply = json_pack("{s:b, s:s, s:i}", "ok", 1, "isolab", ISOLAB_VERSION, "proto", ISOLAB_PROTO_VERSION);
        char boot[64], cmdline[4096], agent[600];
        struct utsname un;
        uname(&un);
        genhost_boot_id(boot, sizeof(boot));
        read_first_line("/proc/cmdline", cmdline, sizeof(cmdline));
        paths_agent("gen", agent, sizeof(agent));
        json_object_set_new(reply, "boot_id", json_string(boot));
        json_object_set_new(reply, "hostname", json_string(un.nodename));
        json_object_set_new(reply, "kernel", json_string(un.release));
        json_object_set_new(reply, "cmdline", json_string(cmdline));
        json_object_set_new(reply, "agent", json_string(agent));
        json_object_set_new(reply, "agent_present", json_boolean(access(agent, X_OK) == 0));
        json_object_set_new(reply, "root", json_boolean(geteuid() == 0));
        int r = topo_load(&lo, &t, &d);
        if (r < 0) {
                json_decref(reply);
                fprintf(stderr, "isolab: serve host: %s\n", d.msg);
                return EXIT_RUNTIME;
        }
        char *xml = NULL;
        int xlen = 0;
        if (hwloc_topology_export_xmlbuffer(t->hw, &xml, &xlen, 0) == 0) {
                json_object_set_new(reply, "topology", json_string(xml));
                hwloc_free_xmlbuffer(t->hw, xml);
        }
        json_t *nodes = json_array();
        for (unsigned i = 0; i < t->n_nodes; i++) {
                json_t *pools = json_array();
                for (unsigned k = 0; k < t->nodes[i].huge.n_pools; k++) {
                        const struct hugepage_pool *p = &t->nodes[i].huge.pool[k];
                        json_array_append_new(pools, json_pack("{s:I, s:I, s:I}", "page_size", (json_int_t)p->page_size,
                                                               "total", (json_int_t)p->total, "free", (json_int_t)p->free));
                }
                json_array_append_new(nodes, json_pack("{s:i, s:o}", "node", t->nodes[i].os_index, "pools", pools));
        }
        json_object_set_new(reply, "hugepages", nodes);
        if (o->ports) {
                char buf[128];
                snprintf(buf, sizeof(buf), "%s", o->ports);
                for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                        struct diag pd = { 0 };
                        if (drivers_check_port("/sys", w, "--gen-ports", &pd) < 0) {
                                json_object_set_new(reply, "ports_error", json_string(pd.msg));
                                break;
                        }
                }
        }
        char *s = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!s)
                return EXIT_RUNTIME;
        printf("%s\n", s);
        free(s);
        return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
}

/* ---- serve gen ----------------------------------------------------------------------------- */

struct session {
        struct undo undo;
        char run[80];             /* the controller's run */
        char dir[200];            /* /run/isolab/RUN-gen */
        char huge[220];
        int lock_fd;              /* this host's run lock, or -1 when the run's own controller holds it */
        pid_t gen;                /* isolab-gen, 0 before it starts and once reaped */
        char prefix[120];         /* its DPDK --file-prefix: /var/run/dpdk/PREFIX is removed after it */
        int gen_in, gen_out;
        int exit_code;
};

/* One reply line (the agents' proto_write; the controller does not link the agents' code). */
static void say(json_t *reply) {
        if (reply && json_dumpf(reply, stdout, JSON_COMPACT) == 0)
                fputc('\n', stdout);
        fflush(stdout);
        json_decref(reply);
}

static void say_error(json_t *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_error(json_t *id, const char *fmt, ...) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_t *r = json_pack("{s:b, s:s}", PROTO_OK, 0, PROTO_ERROR, msg);
        if (id)
                json_object_set(r, PROTO_ID, id);
        say(r);
}

static int undo_gen(void *data, struct diag *d) {
        (void)d;
        struct session *s = *(struct session **)data;
        if (s->gen > 0) {
                kill(s->gen, SIGKILL);
                waitpid(s->gen, NULL, 0);
                s->gen = 0;
        }
        if (s->prefix[0]) {
                char path[200];
                snprintf(path, sizeof(path), "/var/run/dpdk/%s", s->prefix);
                cleanup_rm_rf(path);
                rmdir("/var/run/dpdk");
        }
        return 0;
}

/* This host's run lock: taken, or the run's own (the controller on this very machine
 * holds it for the run that asks).  A previous session of the same run that is still
 * ending is waited for. */
static int take_lock(struct session *s, const char *boot_id, struct diag *d) {
        char me[64], mine[100];
        genhost_boot_id(me, sizeof(me));
        genhost_session(s->run, mine, sizeof(mine));
        for (int i = 0; i < 150; i++) {
                struct diag ld = { 0 };
                s->lock_fd = runlock_take(mine, &ld);
                if (s->lock_fd >= 0)
                        return 0;
                if (s->lock_fd != -EBUSY)
                        return diag_set(d, s->lock_fd, "%s", ld.msg);
                char holder[160] = "";
                int fd = open(RUNLOCK_DIR "/lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0) {
                        ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
                        holder[n > 0 ? n : 0] = '\0';
                        close(fd);
                }
                char name[128] = "";
                sscanf(holder, "%127s", name);
                if (strcmp(name, s->run) == 0 && boot_id && strcmp(boot_id, me) == 0) {
                        s->lock_fd = -1; /* the controller of this run, on this machine */
                        return 0;
                }
                if (strcmp(name, mine) != 0)
                        return diag_set(d, -EBUSY, "the generator host: %s", ld.msg);
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        return diag_set(d, -EBUSY, "the generator host: the run's previous generator session did not end in 15 s");
}

static bool arg_ok(const char *s) {
        static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._,:=/@()%+*-";
        return strlen(s) < 1024 && strspn(s, ok) == strlen(s);
}

/* err gets "WHAT: strerror(errno)"; returns -errno (read before anything can change it). */
static int sys_fail(char *err, size_t errlen, const char *what, const char *path) {
        int e = errno;
        snprintf(err, errlen, "%s %.300s: %s", what, path, strerror(e));
        return -e;
}

static int push(struct session *s, undo_fn fn, void *data, json_t *rec, const char *what) {
        return undo_push_rec(&s->undo, fn, data, rec, "%s", what);
}

/* start {run, boot_id, node, page_size, pages, argv}: the run's directory, hugepages and
 * mount, then isolab-gen with argv (its EAL and generator options; our own isolab-gen
 * runs, whatever argv[0] says). */
static int start(struct session *s, json_t *req, char *err, size_t errlen) {
        struct diag d = { 0 };
        const char *run = json_string_value(json_object_get(req, "run"));
        const char *boot = json_string_value(json_object_get(req, "boot_id"));
        json_t *argv = json_object_get(req, "argv");
        json_int_t node = json_integer_value(json_object_get(req, "node"));
        uint64_t page_size = (uint64_t)json_integer_value(json_object_get(req, "page_size"));
        uint64_t pages = (uint64_t)json_integer_value(json_object_get(req, "pages"));
        size_t n = json_array_size(argv);
        if (!run || !paths_is_name(run) || strlen(run) > 60 || !json_is_array(argv) || n < 1 || n > 120 || node < 0 ||
            node > 4095)
                return snprintf(err, errlen, "start: run (a name), node and argv (1 to 120 words) are required"), -EINVAL;
        if (pages && (page_size < 4096 || (page_size & (page_size - 1)) || pages > (1u << 20)))
                return snprintf(err, errlen, "start: page_size must be a power of two of at least 4096 and pages at most "
                                             "%u", 1u << 20), -EINVAL;
        for (size_t i = 1; i < n; i++) {
                const char *w = json_string_value(json_array_get(argv, i));
                if (!w || !arg_ok(w))
                        return snprintf(err, errlen, "start: argument %zu of isolab-gen (%.40s) is not a plain word (letters, "
                                                     "digits, ._,:=/@()%%+*-)", i, w ? w : "not a string"), -EINVAL;
        }
        snprintf(s->run, sizeof(s->run), "%s", run);
        /* Its DPDK runtime directory, removed after it (a name, never a path). */
        for (size_t i = 1; i + 1 < n; i++) {
                const char *w = json_string_value(json_array_get(argv, i)), *v = json_string_value(json_array_get(argv, i + 1));
                if (strcmp(w, "--file-prefix") == 0 && paths_is_name(v) && strlen(v) < sizeof(s->prefix))
                        snprintf(s->prefix, sizeof(s->prefix), "%s", v);
        }
        int r = take_lock(s, boot, &d);
        if (r < 0)
                return snprintf(err, errlen, "%s", d.msg), r;
        /* What dead runs left here goes first (the controller did it when it is here). */
        if (s->lock_fd >= 0 && cleanup_all(NULL, 0) > 0)
                fprintf(stderr, "isolab serve: an earlier run left things behind on this host that could not be removed; "
                                "see isolab cleanup\n");
        int dfd = runlock_rundir(&d);
        if (dfd < 0)
                return snprintf(err, errlen, "%s", d.msg), dfd;
        close(dfd);
        char session[100];
        genhost_session(run, session, sizeof(session));
        snprintf(s->dir, sizeof(s->dir), RUNLOCK_DIR "/%s", session);
        genhost_session_huge(run, s->huge, sizeof(s->huge));
        /* A session of this run that died: its leftovers first. */
        cleanup_all(session, 0);
        if (mkdir(s->dir, 0700) < 0)
                return sys_fail(err, errlen, "cannot create", s->dir);
        char state[260];
        snprintf(state, sizeof(state), "%s/state.json", s->dir);
        undo_set_state_file(&s->undo, state);
        if ((r = push(s, cleanup_undo_nothing, NULL,
                      json_pack("{s:s, s:i, s:I, s:s}", "kind", "controller", "pid", (int)getpid(), "starttime",
                                (json_int_t)proc_starttime(getpid()), "session_of", run),
                      "the session")) < 0 ||
            (r = push(s, cleanup_undo_rmtree, strdup(s->dir), json_pack("{s:s, s:s}", "kind", "rmtree", "path", s->dir),
                      "remove the session's directory")) < 0)
                return snprintf(err, errlen, "cannot record the session's state: %s", strerror(-r)), r;
        if (pages) {
                struct cleanup_pages *u = malloc(sizeof(*u));
                if (!u)
                        return -ENOMEM;
                *u = (struct cleanup_pages){ (unsigned)node, page_size, 0, NULL };
                json_t *rec = json_pack("{s:s, s:i, s:I, s:I}", "kind", "hugepages", "node", (int)node, "page_size",
                                        (json_int_t)page_size, "added", (json_int_t)0);
                if ((r = push(s, cleanup_undo_pages, u, json_incref(rec), "give back the generator's hugepages")) < 0) {
                        json_decref(rec);
                        return snprintf(err, errlen, "cannot record the hugepages: %s", strerror(-r)), r;
                }
                /* Joined (this is the DUT itself): the free pages are the NF's, reserved by its
                 * controller and not yet mapped; the generator adds all of its own. */
                uint64_t want = pages, found_total = 0, found_free = 0;
                if (s->lock_fd < 0) {
                        struct hugepage_node hn;
                        const struct hugepage_pool *pool = NULL;
                        if (hugepages_read_node("/sys", (unsigned)node, &hn, &d) == 0)
                                pool = hugepages_find(&hn, page_size);
                        want += pool ? pool->free : 0;
                }
                r = hugepages_add("/sys", (unsigned)node, page_size, want, &found_total, &found_free, &u->added, &d);
                json_object_set_new(rec, "added", json_integer((json_int_t)u->added));
                undo_save(&s->undo);
                json_decref(rec);
                if (r < 0)
                        return snprintf(err, errlen, "the generator host: %s", d.msg), r;
                if (found_free + u->added < want)
                        return snprintf(err, errlen,
                                        "the generator host: node %" PRId64 " granted %" PRIu64 " of the %" PRIu64
                                        " hugepages asked for; free memory there or run with --no-huge",
                                        (int64_t)node, u->added, want - found_free), -ENOMEM;
                char opts[64];
                if (mkdir(s->huge, 0700) < 0)
                        return sys_fail(err, errlen, "cannot create", s->huge);
                /* The undo first: unmounting what is not mounted is not an error. */
                if ((r = push(s, cleanup_undo_umount, strdup(s->huge), json_pack("{s:s, s:s}", "kind", "umount", "path", s->huge),
                              "unmount the generator's hugetlbfs")) < 0)
                        return snprintf(err, errlen, "cannot record the mount: %s", strerror(-r)), r;
                snprintf(opts, sizeof(opts), "pagesize=%" PRIu64 "K,mode=0700", page_size / 1024);
                if (mount("nodev", s->huge, "hugetlbfs", MS_NOSUID | MS_NODEV, opts) < 0)
                        return sys_fail(err, errlen, "cannot mount hugetlbfs at", s->huge);
        }
        char bin[600];
        paths_agent("gen", bin, sizeof(bin));
        char **av = calloc(n + 1, sizeof(*av));
        if (!av)
                return -ENOMEM;
        av[0] = bin;
        for (size_t i = 1; i < n; i++)
                av[i] = (char *)json_string_value(json_array_get(argv, i));
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                free(av);
                return sys_fail(err, errlen, "cannot make", "a pipe");
        }
        pid_t pid = fork();
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                dup2(in[0], STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                unsetenv("NOTIFY_SOCKET");
                execv(bin, av);
                fprintf(stderr, "isolab serve: cannot run %s: %s\n", bin, strerror(errno));
                _exit(127);
        }
        free(av);
        close(in[0]);
        close(out[1]);
        if (pid < 0)
                return sys_fail(err, errlen, "cannot fork", bin);
        s->gen = pid;
        s->gen_in = in[1];
        s->gen_out = out[0];
        struct session **sp = malloc(sizeof(*sp));
        if (!sp) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                s->gen = 0;
                return snprintf(err, errlen, "out of memory"), -ENOMEM;
        }
        *sp = s;
        if ((r = push(s, undo_gen, sp,
                      json_pack("{s:s, s:i, s:I, s:s}", "kind", "agent", "pid", (int)pid, "starttime",
                                (json_int_t)proc_starttime(pid), "prefix", s->prefix),
                      "stop isolab-gen")) < 0)
                /* A push that fails runs its undo at once: the generator is stopped. */
                return snprintf(err, errlen, "cannot record isolab-gen: %s", strerror(-r)), r;
        return 0;
}

static uint64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *buf, size_t n) {
        while (n) {
                ssize_t w = write(fd, buf, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                buf += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Bytes both ways until the generator exits.  The end of our input (the controller done,
 * or the connection gone) closes its input: it quits by itself when idle, and gets
 * SIGTERM a second later (a trial in progress ends early), SIGKILL 10 s after that.  A
 * stop signal or a broken pipe sends SIGTERM at once. */
static void relay(struct session *s, int sfd) {
        char buf[65536];
        bool in_open = true;
        uint64_t term_at = 0, kill_at = 0;
#define STOP_IN(ms) (term_at = term_at ? term_at : mono_ms() + (ms), kill_at = kill_at ? kill_at : term_at + 10000)
        while (s->gen > 0) {
                struct pollfd p[3] = { { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                                       { .fd = s->gen_out, .events = POLLIN },
                                       { .fd = sfd, .events = POLLIN } };
                int n = poll(p, 3, 100);
                if (n < 0 && errno != EINTR)
                        break;
                if (p[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
                                STOP_IN(0);
                }
                if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
                        if (r > 0 && write_all(s->gen_in, buf, (size_t)r) == 0)
                                continue;
                        in_open = false;
                        close(s->gen_in);
                        s->gen_in = -1;
                        STOP_IN(1000);
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = read(s->gen_out, buf, sizeof(buf));
                        if (r > 0 && write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
                                STOP_IN(0); /* the controller cannot hear us any more */
                }
                int st;
                if (waitpid(s->gen, &st, WNOHANG) == s->gen) {
                        s->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        s->gen = 0;
                        /* What it said last. */
                        ssize_t r;
                        while ((r = read(s->gen_out, buf, sizeof(buf))) > 0)
                                if (write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
                                        break;
                        break;
                }
                uint64_t now = mono_ms();
                if (term_at && now >= term_at && term_at != UINT64_MAX) {
                        kill(s->gen, SIGTERM);
                        term_at = UINT64_MAX;
                }
                if (kill_at && now >= kill_at && kill_at != UINT64_MAX) {
                        kill(s->gen, SIGKILL);
                        kill_at = UINT64_MAX;
                }
        }
#undef STOP_IN
}

static void report(const struct undo_entry *e, const struct diag *d, void *ctx) {
        (void)ctx;
        fprintf(stderr, "isolab serve: %s: %s\n", e->what, d->msg);
}

static int serve_gen(void) {
        if (geteuid() != 0) {
                fprintf(stderr, "isolab serve gen: needs root on the generator host (hugepages, a hugetlbfs mount); log in "
                                "as root (--gen-host root@HOST)\n");
                return EXIT_USAGE;
        }
        signal(SIGPIPE, SIG_IGN);
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
        struct session s = { .lock_fd = -1, .gen_in = -1, .gen_out = -1 };
        struct linebuf lb = { 0 };
        bool started = false, eof = false;
        while (!started && !eof) {
                char *line = NULL;
                int r = linebuf_take(&lb, &line);
                if (r < 0)
                        break;
                if (r == 0) {
                        struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                        if (poll(p, 2, -1) < 0 && errno != EINTR)
                                break;
                        if (p[1].revents & POLLIN) {
                                struct signalfd_siginfo si;
                                if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
                                        eof = true;
                        }
                        if ((p[0].revents & (POLLIN | POLLHUP)) && linebuf_fill(&lb, STDIN_FILENO) <= 0)
                                eof = true;
                        continue;
                }
                json_t *req = json_loads(line, 0, NULL);
                free(line);
                json_t *id = json_object_get(req, PROTO_ID);
                const char *cmd = json_string_value(json_object_get(req, PROTO_CMD));
                if (cmd && strcmp(cmd, PROTO_HELLO) == 0) {
                        json_t *rep = json_pack("{s:b, s:i, s:s, s:s}", PROTO_OK, 1, PROTO_VERSION, ISOLAB_PROTO_VERSION,
                                                "isolab", ISOLAB_VERSION, "role", "serve");
                        if (id)
                                json_object_set(rep, PROTO_ID, id);
                        say(rep);
                } else if (cmd && strcmp(cmd, PROTO_START) == 0) {
                        char err[600] = "";
                        int r2 = start(&s, req, err, sizeof(err));
                        if (r2 < 0) {
                                say_error(id, "%s", err[0] ? err : strerror(-r2));
                                eof = true; /* one start per session: undo and end */
                        } else {
                                json_t *rep = json_pack("{s:b, s:i, s:s}", PROTO_OK, 1, "pid", (int)s.gen, "dir", s.dir);
                                if (id)
                                        json_object_set(rep, PROTO_ID, id);
                                say(rep);
                                started = true;
                        }
                } else if (cmd && strcmp(cmd, PROTO_QUIT) == 0) {
                        json_t *rep = json_pack("{s:b}", PROTO_OK, 1);
                        if (id)
                                json_object_set(rep, PROTO_ID, id);
                        say(rep);
                        eof = true;
                } else {
                        say_error(id, "isolab serve gen: expected hello, start or quit");
                }
                json_decref(req);
        }
        /* A request line already read but not yet relayed goes first. */
        if (started) {
                char *rest = NULL;
                while (linebuf_take(&lb, &rest) > 0) {
                        write_all(s.gen_in, rest, strlen(rest));
                        write_all(s.gen_in, "\n", 1);
                        free(rest);
                }
                relay(&s, sfd);
        }
        linebuf_free(&lb);
        unsigned bad = undo_run(&s.undo, report, NULL);
        undo_free(&s.undo);
        runlock_release(s.lock_fd);
        if (s.gen_in >= 0)
                close(s.gen_in);
        if (s.gen_out >= 0)
                close(s.gen_out);
        close(sfd);
        return bad ? EXIT_RUNTIME : s.exit_code;
}

static int serve_run(int argc, char **argv) {
        struct serve_opts o = { 0 };
        struct diag d = { 0 };
        bool help = false;
        int optind_ = 0;
        if (cli_parse(argc, argv, serve_options, ELEMENTSOF(serve_options), &o, &optind_, &help, &d) < 0) {
                fprintf(stderr, "isolab: %s\n", d.msg);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(stdout, &verb_serve);
                return 0;
        }
        const char *what = optind_ < argc ? argv[optind_] : "";
        if (optind_ + 1 == argc && strcmp(what, "host") == 0)
                return serve_host(&o);
        if (optind_ + 1 == argc && strcmp(what, "gen") == 0 && !o.ports)
                return serve_gen();
        fprintf(stderr, "isolab serve: give host or gen (isolab runs it over SSH for --gen-host); see isolab serve --help\n");
        return EXIT_USAGE;
}

const struct verb verb_serve = {
        .name = "serve",
        .usage = "host|gen [options]",
        .summary = "the generator host's side of --gen-host (run over SSH by isolab)",
        .description = "The generator host's side of --gen-host, which isolab on the device under test runs over\n"
                       "SSH.  `serve host` prints this host's facts (isolab's version and protocol, kernel, command\n"
                       "line, topology, hugepages, the check of --ports) as JSON.  `serve gen` reserves the\n"
                       "generator's hugepages, mounts its hugetlbfs, starts isolab-gen and relays isolab's protocol\n"
                       "between SSH and it; everything is undone when the session ends (root).",
        .run = serve_run,
        .options = serve_options,
        .n_options = ELEMENTSOF(serve_options),
};
