/* nf-ovs — Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk), the study's own
 * device, as the NF under test (nf.h; issue 16).
 *
 * A private instance per run, never the system's: its database, pid files, unixctl and
 * db sockets and the bridge's management socket in the run directory (RUN/ovs, root's
 * only), found by path, never by name; the system's alternative for ovs-vswitchd is left
 * as it is (isolab runs /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk itself).
 *
 *   before_start  ovsdb-tool create, ovsdb-server --detach (its undo: stop it by pid and
 *                 start time, also from `isolab cleanup`), other_config from the plan:
 *                 dpdk-init, socket-mem and limit on the planned node ([ovs] socket-mem),
 *                 pmd-cpu-mask = the PMD CPUs, dpdk-lcore-mask = the housekeeping CPU
 *                 (OVS's other threads inherit it), the run's file prefix and hugetlbfs
 *                 (real ports: the NF's two on EAL's allow-list), pmd-perf-metrics
 *   the process   ovs-vswitchd-dpdk in the NF's cgroup before it execs (every thread under
 *                 the quota from its first instruction, as Docker's --cpus), logging to
 *                 the console: its log is ovs-vswitchd.log in the results directory, opened
 *                 by isolab (never a path OVS would follow)
 *   after_start   bridge br0 (netdev), ports p0 and p1 (dpdkvhostuserclient on the
 *                 generator's sockets, or dpdk on PCI addresses) with the [ovs] queues and
 *                 rx-queue affinity, and the study's two flows in_port=1 -> 2 and back
 *   the generator then starts as the virtio-user server of those sockets (gen_eal, with
 *                 [ovs] n-rxq queues on port 0); its EAL init returns once OVS connected
 *   ready         OVS reconnects once a second: wait until pmd-rxq-show lists every queue
 *                 of both ports enabled (a port OVS failed to configure fails at once, with
 *                 its log's reason); its suspicious-iteration log on; unpinned, widen the
 *                 PMD threads' affinity to the NF's cpuset (OVS pinned them)
 *   stats         per trial window: pmd-stats-show (cleared at the open), the ports'
 *                 counters, pmd-rxq-show, pmd-perf-show's iterations over 250 us and the
 *                 suspicious iterations OVS logged in the window
 *   stop          when its agents are released: the database server, and its state
 *
 * Stopped by SIGTERM (vswitchd exits cleanly on it), then the database server.  OVS
 * cannot run without hugepages (it adds --in-memory, which EAL refuses with
 * --legacy-mem); 1 GiB by default, the study's (16 MiB is too little for its ports'
 * mempools).  ovs-appctl is run rather than speaking
 * OVS's unixctl JSON-RPC: its commands print text in 3.1 either way. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agents/common/linkspec.h"
#include "base/spawn.h"
#include "base/util.h"
#include "controller/cleanup.h"
#include "controller/counters.h"
#include "controller/engine.h"
#include "controller/experiment.h"
#include "controller/nf.h"
#include "controller/verbs.h"

#define OVS_VSWITCHD "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
#define OVSDB_TOOL "/usr/bin/ovsdb-tool"
#define OVSDB_SERVER "/usr/sbin/ovsdb-server"
#define OVS_VSCTL "/usr/bin/ovs-vsctl"
#define OVS_OFCTL "/usr/bin/ovs-ofctl"
#define OVS_APPCTL "/usr/bin/ovs-appctl"
#define OVS_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define OVS_READY_MS 15000   /* ports come up ~1.8 s after the peer appears */
#define OVS_VSCTL_TIMEOUT "20"

static const char *const ovs_files[] = { OVS_VSWITCHD, OVSDB_TOOL, OVSDB_SERVER, OVS_VSCTL, OVS_OFCTL, OVS_APPCTL, OVS_SCHEMA };

static void ovs_dir(const char *run_dir, char *buf, size_t len) {
        snprintf(buf, len, "%s/ovs", run_dir);
}

/* The generator's virtio-user socket for port i, in the run's link directory. */
static void ovs_socket(const char *link_dir, unsigned i, char *buf, size_t len) {
        snprintf(buf, len, "%s/ovs-%u.sock", link_dir, i);
}

static int ovs_check(const struct experiment *x, struct diag *d) {
        for (size_t i = 0; i < ELEMENTSOF(ovs_files); i++)
                if (access(ovs_files[i], R_OK) < 0)
                        return diag_set(d, -ENOENT, "--nf ovs-dpdk: %s is missing; install Debian's openvswitch-switch-dpdk "
                                                    "(make deps)",
                                        ovs_files[i]);
        if (x->o.no_huge)
                return diag_set(d, -EINVAL, "--nf ovs-dpdk cannot run with --no-huge: OVS adds --in-memory, which DPDK refuses "
                                            "without hugepages; drop --no-huge");
        if (x->link && strcmp(x->link, "vhost") != 0 && strcmp(x->link, "pci") != 0)
                return diag_set(d, -EINVAL, "--nf ovs-dpdk runs over --link vhost (its ports are vhost-user clients of the "
                                            "generator's sockets) or --link pci (real ports), not --link %s",
                                x->link);
        return 0;
}

static void ovs_argv(const struct agent_env *e, struct argvec *a) {
        char dir[400];
        ovs_dir(e->run_dir, dir, sizeof(dir));
        /* OVS_RUNDIR: where vswitchd makes the bridge's management socket (br0.mgmt). */
        argv_add(a, "/usr/bin/env");
        argv_add(a, "OVS_RUNDIR=%s", dir);
        argv_add(a, "%s", OVS_VSWITCHD);
        argv_add(a, "unix:%s/db.sock", dir);
        argv_add(a, "--pidfile=%s/ovs-vswitchd.pid", dir);
        argv_add(a, "--unixctl=%s/vswitchd.ctl", dir);
        argv_add(a, "--no-chdir");
        argv_add(a, "-vconsole:info");
        argv_add(a, "-vsyslog:off");
}

/* The generator serves both sockets.  OVS's vhost port takes its queues and their size
 * from this frontend: the ingress port (p0) gets --ovs-n-rxq queues of --ovs-n-rxq-desc
 * descriptors (else the ring), and the generator sends on each in turn. */
static void ovs_gen_eal(const struct agent_env *e, struct argvec *a) {
        for (unsigned k = 0; k < 2; k++) {
                char path[400], devargs[600], id[16];
                ovs_socket(e->link_dir, k, path, sizeof(path));
                snprintf(id, sizeof(id), "%u", k);
                unsigned queues = k == 0 ? e->x->ovs.n_rxq : 1;
                unsigned ring = k == 0 && e->x->ovs.rxq_desc ? e->x->ovs.rxq_desc : e->ring;
                link_virtio_devargs(id, path, queues, ring, devargs, sizeof(devargs));
                argv_add(a, "--vdev");
                argv_add(a, "%s,server=1", devargs);
        }
}

static void ovs_gen_argv(const struct agent_env *e, struct argvec *a) {
        if (e->x->ovs.n_rxq > 1) {
                argv_add(a, "--tx-queues");
                argv_add(a, "%u", e->x->ovs.n_rxq);
        }
}

static unsigned long long ovs_hugepage_mem(const struct experiment *x) {
        return (unsigned long long)x->ovs.socket_mem_mb << 20;
}

/* A hex CPU mask of set (any size), as OVS's pmd-cpu-mask takes it. */
static void cpu_mask(hwloc_const_bitmap_t set, char *buf, size_t len) {
        int last = hwloc_bitmap_last(set);
        size_t n = 0;
        buf[0] = '\0';
        if (last < 0 || len < 4)
                return;
        n += (size_t)snprintf(buf, len, "0x");
        for (int nib = last / 4; nib >= 0 && n + 1 < len; nib--) {
                unsigned v = 0;
                for (int b = 0; b < 4; b++)
                        v |= (unsigned)hwloc_bitmap_isset(set, (unsigned)(nib * 4 + b)) << b;
                buf[n++] = "0123456789abcdef"[v];
        }
        buf[n] = '\0';
}

/* Runs argv; its output (stdout and stderr) in *out.  0, or -EIO with d naming the
 * command and its first line. */
static int ovs_run(char *const argv[], char **out, struct diag *d) {
        char *text = NULL;
        int st = spawn_capture_flags(argv, 16384, SPAWN_STDERR, &text);
        if (st != 0) {
                char first[300] = "";
                if (text)
                        snprintf(first, sizeof(first), "%.*s", (int)strcspn(text, "\n"), text);
                free(text);
                const char *prog = strrchr(argv[0], '/');
                return diag_set(d, st < 0 ? st : -EIO, "OVS: %s %s failed (%s)", prog ? prog + 1 : argv[0],
                                argv[1] ? argv[1] : "", first[0] ? first : st < 0 ? strerror(-st) : "no output");
        }
        if (out)
                *out = text;
        else
                free(text);
        return 0;
}

/* The newest line of the NF's log that OVS marked an error (else a warning, else EAL's),
 * for a sentence (read through the results directory, as every file there).  Returns
 * whether an error line says that one of our ports failed to configure (no memory for
 * its pool, a bad option): it will not come up. */
static bool log_line(struct exp_run *R, char *buf, size_t len) {
        struct diag ld = { 0 };
        FILE *f = resdir_read(&R->outdir, R->slot[ROLE_NF].log, &ld);
        buf[0] = '\0';
        if (!f)
                return false;
        char *line = NULL, last[300] = "", err[300] = "", warn[300] = "";
        size_t cap = 0;
        bool port_failed = false;
        while (getline(&line, &cap, f) > 0) {
                int n = (int)strcspn(line, "\n");
                if (strstr(line, "|ERR|") || strstr(line, "|EMER|")) {
                        /* "Failed to set interface pN" follows the error that says why. */
                        bool port = strstr(line, "Failed to set interface p0") || strstr(line, "Failed to set interface p1");
                        if (!port || !err[0])
                                snprintf(err, sizeof(err), "%.*s", n, line);
                        port_failed |= port;
                } else if (strstr(line, "|WARN|") || strstr(line, "EAL: ")) {
                        snprintf(warn, sizeof(warn), "%.*s", n, line);
                }
                if (line[0] != '\n')
                        snprintf(last, sizeof(last), "%.*s", n, line);
        }
        /* No error marked: its last word (e.g. the exec that failed). */
        snprintf(buf, len, "%s", err[0] ? err : warn[0] ? warn : last);
        free(line);
        fclose(f);
        return port_failed;
}

struct undo_ovsdb {
        pid_t pid;
        unsigned long long start;
};

/* ovsdb-server: SIGTERM, then SIGKILL after 2 s; only the process it was (start time). */
static int undo_ovsdb(void *data, struct diag *d) {
        struct undo_ovsdb *u = data;
        if (u->pid <= 0 || proc_starttime(u->pid) != u->start)
                return 0;
        kill(u->pid, SIGTERM);
        for (int i = 0; i < 40 && proc_starttime(u->pid) == u->start; i++)
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        if (proc_starttime(u->pid) == u->start) {
                kill(u->pid, SIGKILL);
                for (int i = 0; i < 40 && proc_starttime(u->pid) == u->start; i++)
                        nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        return proc_starttime(u->pid) == u->start ? diag_set(d, -EBUSY, "ovsdb-server pid %d does not die", (int)u->pid) : 0;
}

/* Whether pid runs (a zombie does not: it exited and waits to be reaped). */
static bool proc_alive(pid_t pid) {
        char path[64], b[256];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return false;
        b[n] = '\0';
        const char *paren = strrchr(b, ')');
        return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static int read_pid(const char *path) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char b[32] = "";
        ssize_t n = fd >= 0 ? read(fd, b, sizeof(b) - 1) : -1;
        if (fd >= 0)
                close(fd);
        return n > 0 ? atoi(b) : -1;
}

/* What one start of OVS keeps (R->nf_state): the database server it started, which its
 * stop ends (a restart starts a new one on the same socket and pid file; its undo entry
 * then finds it gone by its start time), and the ports' counters at the window's open. */
struct ovs_state {
        struct undo_ovsdb db;
        json_t *ports_at_open;
        long log_at_open;        /* ovs-vswitchd.log's size when the window opened */
};

static struct ovs_state *ovs_state(struct exp_run *R) {
        if (!R->nf_state)
                R->nf_state = calloc(1, sizeof(struct ovs_state));
        return R->nf_state;
}

static void ovs_stop(struct exp_run *R) {
        struct ovs_state *st = R->nf_state;
        if (!st)
                return;
        struct diag d = { 0 };
        if (st->db.pid > 0 && undo_ovsdb(&st->db, &d) < 0)
                report_error(&d, d.err);
        json_decref(st->ports_at_open);
        free(st);
        R->nf_state = NULL;
}

static int ovs_before_start(struct exp_run *R, struct diag *d) {
        struct ovs_state *os = ovs_state(R);
        if (!os)
                return diag_set(d, -ENOMEM, "out of memory");
        char dir[400], db[460], sock[460], pidf[460], ctl[460], log[460];
        ovs_dir(R->run_dir, dir, sizeof(dir));
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return diag_set(d, -errno, "cannot create %s: %s", dir, strerror(errno));
        snprintf(db, sizeof(db), "%s/conf.db", dir);
        snprintf(sock, sizeof(sock), "punix:%s/db.sock", dir);
        snprintf(pidf, sizeof(pidf), "--pidfile=%s/ovsdb-server.pid", dir);
        snprintf(ctl, sizeof(ctl), "--unixctl=%s/ovsdb-server.ctl", dir);
        snprintf(log, sizeof(log), "--log-file=%s/ovsdb-server.log", dir);
        unlink(db); /* a restart of the agents starts from a new database */
        int r;
        if ((r = ovs_run((char *[]){ OVSDB_TOOL, "create", db, OVS_SCHEMA, NULL }, NULL, d)) < 0)
                return r;
        char remote[470];
        snprintf(remote, sizeof(remote), "--remote=%s", sock);
        if ((r = ovs_run((char *[]){ OVSDB_SERVER, db, remote, pidf, ctl, log, "--detach", "--no-chdir", NULL }, NULL, d)) < 0)
                return r;
        char pidpath[460];
        snprintf(pidpath, sizeof(pidpath), "%s/ovsdb-server.pid", dir);
        struct undo_ovsdb *u = malloc(sizeof(*u));
        if (!u)
                return diag_set(d, -ENOMEM, "out of memory");
        u->pid = read_pid(pidpath);
        u->start = u->pid > 0 ? proc_starttime(u->pid) : 0;
        if (u->pid <= 0 || !u->start) {
                free(u);
                return diag_set(d, -ESRCH, "OVS: ovsdb-server started but left no pid in %s", pidpath);
        }
        os->db = *u;
        /* `isolab cleanup` kills it as an agent (pid and start time; no DPDK prefix). */
        r = undo_push_rec(&R->undo, undo_ovsdb, u,
                          json_pack("{s:s, s:i, s:I, s:s}", "kind", "agent", "pid", (int)u->pid, "starttime",
                                    (json_int_t)u->start, "prefix", ""),
                          "stop ovsdb-server (pid %d)", (int)u->pid);
        if (r < 0)
                return diag_set(d, r, "cannot record how to stop ovsdb-server");
        /* The configuration from the plan. */
        char dbarg[470], pmd[300], lcore[300], smem[200], slim[200], extra[700];
        snprintf(dbarg, sizeof(dbarg), "--db=unix:%s/db.sock", dir);
        char mask[128];
        cpu_mask(R->p->pmd.cpus, mask, sizeof(mask));
        snprintf(pmd, sizeof(pmd), "other_config:pmd-cpu-mask=%s", mask);
        hwloc_bitmap_t hk = hwloc_bitmap_alloc();
        if (!hk)
                return diag_set(d, -ENOMEM, "out of memory");
        hwloc_bitmap_only(hk, (unsigned)hwloc_bitmap_first(R->p->housekeeping.cpus));
        cpu_mask(hk, mask, sizeof(mask));
        hwloc_bitmap_free(hk);
        snprintf(lcore, sizeof(lcore), "other_config:dpdk-lcore-mask=%s", mask);
        /* --ovs-socket-mem on the planned node, none on the others (the study's 1024,0). */
        char mem[120] = "";
        for (int n = 0; n < R->p->node && strlen(mem) + 3 < sizeof(mem); n++)
                strcat(mem, "0,");
        snprintf(mem + strlen(mem), sizeof(mem) - strlen(mem), "%u", R->x->ovs.socket_mem_mb);
        snprintf(smem, sizeof(smem), "other_config:dpdk-socket-mem=%s", mem);
        snprintf(slim, sizeof(slim), "other_config:dpdk-socket-limit=%s", mem);
        /* Real ports: only the NF's two on EAL's allow-list (never the generator's). */
        char pci[80] = "--no-pci";
        if (link_spec_find(R->x->link)->kind == LINK_PCI)
                snprintf(pci, sizeof(pci), "-a %s -a %s", R->x->ports[2], R->x->ports[3]);
        snprintf(extra, sizeof(extra), "other_config:dpdk-extra=--file-prefix=%s %s --huge-dir=%s", R->slot[ROLE_NF].prefix,
                 pci, R->huge_dir);
        if ((r = ovs_run((char *[]){ OVS_VSCTL, "--timeout=" OVS_VSCTL_TIMEOUT, dbarg, "--no-wait", "init", NULL }, NULL, d)) < 0)
                return r;
        /* pmd-perf-metrics: per-iteration statistics (OVS says about 1 % overhead) for
         * pmd-perf-show's histograms and the suspicious-iteration log, the stall signal.
         * Every PMD with a pinned queue (experiment.h): they poll the others too, which OVS
         * allows only with its group assignment. */
        char *set[17] = { OVS_VSCTL, "--timeout=" OVS_VSCTL_TIMEOUT, dbarg, "--no-wait", "set", "Open_vSwitch", ".",
                          "other_config:dpdk-init=true", smem, slim, pmd, lcore, extra, "other_config:pmd-perf-metrics=true" };
        if (R->x->ovs.no_isolate) {
                set[14] = "other_config:pmd-rxq-isolate=false";
                set[15] = "other_config:pmd-rxq-assign=group";
        }
        return ovs_run(set, NULL, d);
}

/* (nf.h) */
void ovs_bridge_argv(const struct ovs_bridge *b, struct argvec *a) {
        argv_add(a, "add-br");
        argv_add(a, "br0");
        argv_add(a, "--");
        argv_add(a, "set");
        argv_add(a, "bridge");
        argv_add(a, "br0");
        argv_add(a, "datapath_type=netdev");
        for (unsigned k = 0; k < 2; k++) {
                argv_add(a, "--");
                argv_add(a, "add-port");
                argv_add(a, "br0");
                argv_add(a, "p%u", k);
                argv_add(a, "--");
                argv_add(a, "set");
                argv_add(a, "Interface");
                argv_add(a, "p%u", k);
                if (b->pci) {
                        argv_add(a, "type=dpdk");
                        argv_add(a, "options:dpdk-devargs=%s", b->port[k]);
                } else {
                        argv_add(a, "type=dpdkvhostuserclient");
                        argv_add(a, "options:vhost-server-path=%s", b->port[k]);
                }
                argv_add(a, "ofport_request=%u", k + 1);
                /* A physical port's queues and rings are OVS's to set; a vhost port's are
                 * the frontend's (the generator's devargs). */
                if (b->pci && k == 0 && b->n_rxq > 1)
                        argv_add(a, "options:n_rxq=%u", b->n_rxq);
                unsigned rxd = k == 0 && b->rxq_desc ? b->rxq_desc : b->ring;
                if (b->pci && rxd)
                        argv_add(a, "options:n_rxq_desc=%u", rxd);
                if (b->pci && b->ring)
                        argv_add(a, "options:n_txq_desc=%u", b->ring);
                if (k == 0 && b->affinity[0])
                        argv_add(a, "other_config:pmd-rxq-affinity=\"%s\"", b->affinity);
        }
}

/* --ovs-rxq-affinity with the PMDs' CPUs filled in: "0:3,1:3". */
static void affinity_of(const struct exp_run *R, char *buf, size_t len) {
        buf[0] = '\0';
        for (unsigned q = 0; q < R->x->ovs.n_rxq; q++) {
                int p = R->x->ovs.affinity[q], cpu = -1, i = 0, c;
                if (p < 0)
                        continue;
                hwloc_bitmap_foreach_begin(c, R->p->pmd.cpus) {
                        if (i++ == p)
                                cpu = c;
                }
                hwloc_bitmap_foreach_end();
                size_t n = strlen(buf);
                if (cpu >= 0)
                        snprintf(buf + n, len - n, "%s%u:%d", n ? "," : "", q, cpu);
        }
}

/* The bridge, its two ports (on the generator's sockets, or the NF's PCI ports) and the
 * study's two flows. */
static int ovs_after_start(struct exp_run *R, struct diag *d) {
        char dir[400], dbarg[470], mgmt[460];
        ovs_dir(R->run_dir, dir, sizeof(dir));
        snprintf(dbarg, sizeof(dbarg), "--db=unix:%s/db.sock", dir);
        snprintf(mgmt, sizeof(mgmt), "%s/br0.mgmt", dir);
        struct ovs_bridge b = { .pci = link_spec_find(R->x->link)->kind == LINK_PCI, .ring = R->ring,
                                .n_rxq = R->x->ovs.n_rxq, .rxq_desc = R->x->ovs.rxq_desc };
        for (unsigned k = 0; k < 2; k++) {
                if (b.pci)
                        snprintf(b.port[k], sizeof(b.port[k]), "%s", R->x->ports[2 + k]);
                else
                        ovs_socket(R->link_dir, k, b.port[k], sizeof(b.port[k]));
        }
        affinity_of(R, b.affinity, sizeof(b.affinity));
        struct argvec av = { 0 };
        argv_add(&av, "%s", OVS_VSCTL);
        argv_add(&av, "--timeout=" OVS_VSCTL_TIMEOUT);
        argv_add(&av, "%s", dbarg);
        argv_add(&av, "--no-wait");
        ovs_bridge_argv(&b, &av);
        if (av.overflow)
                return diag_set(d, -E2BIG, "OVS: the bridge's ovs-vsctl command line is too long (a path of the run?)");
        char **argv = av.v;
        int r = ovs_run(argv, NULL, d);
        char line[300];
        if (r < 0) {
                log_line(R, line, sizeof(line));
                if (line[0])
                        return diag_set(d, r, "%s; ovs-vswitchd.log: %s", d->msg, line);
                return r;
        }
        /* vswitchd makes the bridge once DPDK is up (its management socket appears); if it
         * dies first (a bad option, no memory), say so at once with its log's last error. */
        pid_t pid = agent_proc_pid(R->slot[ROLE_NF].a);
        struct stat st;
        for (int waited = 0; stat(mgmt, &st) < 0; waited += 100) {
                if (pid <= 0 || !proc_alive(pid) || waited >= 1000 * atoi(OVS_VSCTL_TIMEOUT)) {
                        log_line(R, line, sizeof(line));
                        return diag_set(d, -ECHILD, "OVS: ovs-vswitchd %s before its bridge came up%s%s",
                                        pid > 0 && proc_alive(pid) ? "took over " OVS_VSCTL_TIMEOUT " s" : "exited",
                                        line[0] ? "; ovs-vswitchd.log: " : " (ovs-vswitchd.log is empty)", line);
                }
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        /* By its management socket: the bridge name alone looks in the system's rundir. */
        if ((r = ovs_run((char *[]){ OVS_OFCTL, "del-flows", mgmt, NULL }, NULL, d)) < 0 ||
            (r = ovs_run((char *[]){ OVS_OFCTL, "add-flow", mgmt, "in_port=1,actions=output:2", NULL }, NULL, d)) < 0 ||
            (r = ovs_run((char *[]){ OVS_OFCTL, "add-flow", mgmt, "in_port=2,actions=output:1", NULL }, NULL, d)) < 0)
                return r;
        return 0;
}

/* Unpinned: OVS pins each PMD thread to its core of pmd-cpu-mask when it makes it, and
 * only again when that mask changes; the PMD threads' affinity is widened to the NF's
 * cpuset (the node, as for isolab-nf unpinned) once they run, and the scheduler moves them
 * from then on (nf.migrations counts it). */
struct unpin_ctx {
        cpu_set_t set;
        struct diag *d;
        unsigned pmds;
};

static int unpin_if_pmd(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        (void)pid;
        struct unpin_ctx *u = ctx;
        if (strncmp(comm, "pmd", 3) != 0)
                return 0;
        u->pmds++;
        if (sched_setaffinity(tid, sizeof(u->set), &u->set) < 0)
                return diag_set(u->d, -errno, "OVS: cannot unpin PMD thread %d: %s", (int)tid, strerror(errno));
        return 0;
}

static int unpin_pmds(struct exp_run *R, struct diag *d) {
        pid_t pid = agent_proc_pid(R->slot[ROLE_NF].a);
        struct unpin_ctx u = { .d = d };
        CPU_ZERO(&u.set);
        int c;
        hwloc_bitmap_foreach_begin(c, R->nf_set) {
                if (c < CPU_SETSIZE)
                        CPU_SET(c, &u.set);
        }
        hwloc_bitmap_foreach_end();
        int r = pid > 0 ? threads_foreach(pid, unpin_if_pmd, &u) : -ESRCH;
        if (r < 0 && !d->err)
                return diag_set(d, r, "OVS: cannot list ovs-vswitchd's threads to unpin its PMDs: %s", strerror(-r));
        if (r >= 0 && !u.pmds)
                r = diag_set(d, -ESRCH, "OVS: ovs-vswitchd has no PMD thread to unpin");
        return r;
}

/* vswitchd's unixctl socket, for ovs-appctl -t. */
static void appctl_target(const struct exp_run *R, char *buf, size_t len) {
        char dir[400];
        ovs_dir(R->run_dir, dir, sizeof(dir));
        snprintf(buf, len, "%s/vswitchd.ctl", dir);
}

/* Whether pmd-rxq-show lists n_rxq queues of p0 and one of p1, none disabled; what it
 * lists, in a few words, into what. */
static bool ports_up(const char *text, unsigned n_rxq, char *what, size_t len) {
        json_t *q = ovs_rxq_parse(text), *e;
        size_t i;
        unsigned seen[2] = { 0 }, enabled[2] = { 0 };
        json_array_foreach(q, i, e) {
                const char *port = json_string_value(json_object_get(e, "port"));
                const char *state = json_string_value(json_object_get(e, "state"));
                for (int k = 0; k < 2; k++)
                        if (port && port[0] == 'p' && port[1] == '0' + k && !port[2]) {
                                seen[k]++;
                                enabled[k] += state && strcmp(state, "enabled") == 0;
                        }
        }
        json_decref(q);
        snprintf(what, len, "p0 has %u of %u rx queues polled and enabled, p1 %u of 1", enabled[0], n_rxq, enabled[1]);
        return seen[0] == n_rxq && enabled[0] == n_rxq && seen[1] == 1 && enabled[1] == 1;
}

/* Both ports listed by pmd-rxq-show, every queue enabled; a port OVS failed to
 * configure fails at once. */
static int ovs_wait_ports(struct exp_run *R, struct diag *d) {
        char ctl[460];
        appctl_target(R, ctl, sizeof(ctl));
        char last[600] = "pmd-rxq-show did not answer", line[300];
        for (int waited = 0; waited < OVS_READY_MS; waited += 100) {
                char *out = NULL;
                struct diag rd = { 0 };
                if (ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-rxq-show", NULL }, &out, &rd) == 0) {
                        bool ok = ports_up(out, R->x->ovs.n_rxq, last, sizeof(last));
                        free(out);
                        if (ok)
                                return 0;
                } else {
                        snprintf(last, sizeof(last), "%s", rd.msg);
                }
                if (log_line(R, line, sizeof(line)))
                        return diag_set(d, -EIO, "OVS: a port failed to come up (%s); ovs-vswitchd.log: %s", last, line);
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        log_line(R, line, sizeof(line));
        return diag_set(d, -ETIMEDOUT, "OVS: its ports did not come up in %d s (%s)%s%s", OVS_READY_MS / 1000, last,
                        line[0] ? "; ovs-vswitchd.log: " : "", line);
}

/* Both ports listed by pmd-rxq-show, none disabled; then, unpinned, the PMDs let go. */
static int ovs_ready(struct exp_run *R, struct diag *d) {
        int r = ovs_wait_ports(R, d);
        /* OVS logs each iteration over 250 us (its default) with its neighbourhood; the
         * vhost queue-fill criterion is set beyond any ring (a full ring is in the qlen
         * histogram), or its events flood the log and crowd out the long iterations. */
        char ctl[460];
        appctl_target(R, ctl, sizeof(ctl));
        if (r >= 0)
                r = ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-perf-log-set", "on", "-us", "250", "-q",
                                        "16384", NULL },
                            NULL, d);
        if (r >= 0 && R->x->unpinned[variant_pin(R->x, R->cur_var)])
                r = unpin_pmds(R, d);
        return r;
}


/* One "NAME: N" line's N. */
static bool stat_of(const char *line, const char *name, unsigned long long *v) {
        const char *p = strstr(line, name);
        if (!p)
                return false;
        p += strlen(name);
        if (*p++ != ':')
                return false;
        char *end;
        unsigned long long x = strtoull(p, &end, 10);
        if (end == p)
                return false;
        *v = x;
        return true;
}

json_t *ovs_port_stats_parse(const char *text) {
        json_t *ports = json_object();
        json_t *cur = NULL;
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                char line[512];
                snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
                unsigned port;
                char name[64];
                unsigned long long v;
                if (sscanf(line, " port %u: %63[^ (]", &port, name) == 2) {
                        cur = NULL;
                        if (strcmp(name, "p0") == 0 || strcmp(name, "p1") == 0) {
                                cur = json_pack("{s:I, s:I, s:I, s:I}", "rx", (json_int_t)0, "rx_dropped", (json_int_t)0,
                                                "tx", (json_int_t)0, "tx_dropped", (json_int_t)0);
                                json_object_set_new(ports, name, cur);
                        }
                } else if (cur && (strstr(line, "RX packets:") || strstr(line, "TX packets:"))) {
                        bool rx = strstr(line, "RX packets:") != NULL;
                        if (stat_of(line, rx ? "RX packets" : "TX packets", &v))
                                json_object_set_new(cur, rx ? "rx" : "tx", json_integer((json_int_t)v));
                        if (stat_of(line, "dropped", &v))
                                json_object_set_new(cur, rx ? "rx_dropped" : "tx_dropped", json_integer((json_int_t)v));
                }
                l += n + (l[n] == '\n');
        }
        return ports;
}

json_t *ovs_rxq_parse(const char *text) {
        json_t *a = json_array();
        int core = -1;
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                char line[512];
                snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
                const char *c = strstr(line, "core_id ");
                char port[64], state[32];
                unsigned q;
                if (strncmp(line, "pmd thread", 10) == 0 && c) {
                        core = atoi(c + 8);
                } else if (core >= 0 && sscanf(line, " port: %63s queue-id: %u (%31[^)])", port, &q, state) == 3) {
                        const char *u = strstr(line, "pmd usage:");
                        json_t *e = json_pack("{s:i, s:s, s:i, s:s}", "core", core, "port", port, "queue", (int)q, "state",
                                              state);
                        /* "pmd usage: 42 %", or "NOT AVAIL" before OVS has measured it */
                        if (u && strchr(u, '%'))
                                json_object_set_new(e, "usage_pct", json_integer(atoi(u + 10)));
                        json_array_append_new(a, e);
                }
                l += n + (l[n] == '\n');
        }
        return a;
}

/* The ports' counters (dpctl/show -s: never cleared, read at both ends of the window). */
static json_t *port_counters(struct exp_run *R, struct diag *d) {
        char ctl[460], *out = NULL;
        appctl_target(R, ctl, sizeof(ctl));
        if (ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpctl/show", "-s", NULL }, &out, d) < 0)
                return NULL;
        json_t *j = ovs_port_stats_parse(out);
        free(out);
        return j;
}

/* The PMD counters start again with the window; the ports' are read. */
static int ovs_stats_clear(struct exp_run *R, struct diag *d) {
        char ctl[460];
        appctl_target(R, ctl, sizeof(ctl));
        struct ovs_state *os = ovs_state(R);
        if (!os)
                return diag_set(d, -ENOMEM, "out of memory");
        json_decref(os->ports_at_open);
        if (!(os->ports_at_open = port_counters(R, d)))
                return d->err ? d->err : -EIO;
        struct diag ld = { 0 };
        FILE *f = resdir_read(&R->outdir, R->slot[ROLE_NF].log, &ld);
        os->log_at_open = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
        if (f)
                fclose(f);
        return ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-stats-clear", NULL }, NULL, d);
}

json_t *ovs_perf_parse(const char *text) {
        json_t *pmds = json_array(), *cur = NULL;
        double duration_s = 0, used_share = 0;
        unsigned long long used = 0, long_total = 0;
        bool histo = false;
        double lo = 0; /* the current bin's lower edge (the previous bin's upper) */
        json_t *bins = NULL;
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                char line[512];
                snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
                l += n + (l[n] == '\n');
                const char *c;
                unsigned long long v;
                double x;
                if (sscanf(line, "Measurement duration: %lf s", &x) == 1) {
                        duration_s = x;
                } else if (strncmp(line, "pmd thread", 10) == 0 && (c = strstr(line, "core_id "))) {
                        cur = json_pack("{s:i, s:I, s:o}", "core", atoi(c + 8), "iterations", (json_int_t)0, "cycles_per_iteration",
                                        json_array());
                        bins = json_object_get(cur, "cycles_per_iteration");
                        json_array_append_new(pmds, cur);
                        histo = false;
                } else if (cur && sscanf(line, " Iterations: %llu", &v) == 1) {
                        json_object_set_new(cur, "iterations", json_integer((json_int_t)v));
                } else if (cur && sscanf(line, " - Used TSC cycles: %llu ( %lf", &v, &x) == 2) {
                        used = v, used_share = x / 100;
                } else if (cur && strncmp(line, "Histograms", 10) == 0) {
                        histo = true;
                        lo = 0;
                } else if (cur && histo) {
                        /* The first column pair: the bin's upper edge in cycles ('>' for the
                         * overflow bin) and the iterations in it. */
                        char edge[32];
                        unsigned long long count;
                        if (sscanf(line, " %31s %llu", edge, &count) != 2 || (edge[0] != '>' && !isdigit((unsigned char)edge[0]))) {
                                if (strncmp(line, "---", 3) == 0)
                                        histo = false;
                                continue;
                        }
                        double hi = edge[0] == '>' ? -1 : atof(edge);
                        json_array_append_new(bins, json_pack("{s:f, s:o, s:I}", "from_cycles", lo, "to_cycles",
                                                              hi < 0 ? json_null() : json_real(hi), "iterations", (json_int_t)count));
                        lo = hi;
                }
        }
        /* The TSC rate from OVS's own figures (its cycles over its measurement), and the
         * iterations over 250 us: the bins that start there or later. */
        double tsc_hz = duration_s > 0 && used_share > 0 ? (double)used / used_share / duration_s : 0;
        size_t i;
        json_array_foreach(pmds, i, cur) {
                unsigned long long over = 0;
                double longest = 0;
                json_t *b;
                size_t k;
                json_array_foreach(json_object_get(cur, "cycles_per_iteration"), k, b) {
                        double from = json_number_value(json_object_get(b, "from_cycles"));
                        json_int_t cnt = json_integer_value(json_object_get(b, "iterations"));
                        if (tsc_hz > 0 && from >= 250e-6 * tsc_hz && cnt > 0) {
                                over += (unsigned long long)cnt;
                                longest = from;
                        }
                }
                json_object_set_new(cur, "long_iterations", json_integer((json_int_t)over));
                json_object_set_new(cur, "longest_at_least_us", json_real(tsc_hz > 0 ? longest / tsc_hz * 1e6 : 0));
                long_total += over;
        }
        return json_pack("{s:f, s:f, s:I, s:o}", "duration_s", duration_s, "tsc_hz", tsc_hz, "long_iterations",
                         (json_int_t)long_total, "pmds", pmds);
}

json_t *ovs_suspicious_parse(const char *text) {
        json_int_t count = 0, other = 0;
        double longest = 0, sum = 0;
        for (const char *l = text, *m; l && (m = strstr(l, "Suspicious iteration (")); l = m + 1) {
                const char *dur = strstr(m, "duration=");
                size_t eol = strcspn(m, "\n");
                if (strncmp(m + 22, "Excessive total cycles", 22) != 0 || !dur || (size_t)(dur - m) > eol) {
                        other++;
                        continue;
                }
                double us = atof(dur + 9);
                count++;
                sum += us;
                if (us > longest)
                        longest = us;
        }
        return json_pack("{s:I, s:f, s:f, s:I}", "long_iterations_logged", count, "longest_us", longest, "logged_us", sum,
                         "other_logged", other);
}

/* What OVS logged as suspicious since the window opened. */
static json_t *suspicious_in_window(struct exp_run *R, const struct ovs_state *os) {
        struct diag ld = { 0 };
        FILE *f = os->log_at_open >= 0 ? resdir_read(&R->outdir, R->slot[ROLE_NF].log, &ld) : NULL;
        if (!f || fseek(f, os->log_at_open, SEEK_SET) != 0) {
                if (f)
                        fclose(f);
                return json_null();
        }
        char *text = NULL;
        size_t cap = 0;
        ssize_t got = getdelim(&text, &cap, '\0', f);
        fclose(f);
        json_t *j = ovs_suspicious_parse(got > 0 ? text : "");
        free(text);
        return j;
}

json_t *ovs_pmd_stats_parse(const char *text) {
        json_t *pmds = json_array();
        unsigned long long rx = 0, idle = 0, proc = 0;
        json_t *cur = NULL;
        for (const char *l = text; l && *l;) {
                size_t n = strcspn(l, "\n");
                char line[256];
                snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), l);
                unsigned long long v;
                if (strncmp(line, "pmd thread", 10) == 0) {
                        unsigned core = 0;
                        const char *c = strstr(line, "core_id ");
                        if (c)
                                core = (unsigned)strtoul(c + 8, NULL, 10);
                        cur = json_pack("{s:i, s:I, s:I, s:I}", "core", (int)core, "rx", (json_int_t)0, "idle_cycles",
                                        (json_int_t)0, "processing_cycles", (json_int_t)0);
                        json_array_append_new(pmds, cur);
                } else if (line[0] && line[0] != ' ') {
                        cur = NULL; /* "main thread:" and others: not a PMD */
                } else if (cur && stat_of(line, "packets received", &v)) {
                        json_object_set_new(cur, "rx", json_integer((json_int_t)v));
                        rx += v;
                } else if (cur && stat_of(line, "idle cycles", &v)) {
                        json_object_set_new(cur, "idle_cycles", json_integer((json_int_t)v));
                        idle += v;
                } else if (cur && stat_of(line, "processing cycles", &v)) {
                        json_object_set_new(cur, "processing_cycles", json_integer((json_int_t)v));
                        proc += v;
                }
                l += n + (l[n] == '\n');
        }
        return json_pack("{s:I, s:f, s:I, s:I, s:o}", "rx", (json_int_t)rx, "busy_share",
                         idle + proc ? (double)proc / (double)(idle + proc) : 0.0, "idle_cycles", (json_int_t)idle,
                         "processing_cycles", (json_int_t)proc, "pmds", pmds);
}

static json_t *ovs_stats_read(struct exp_run *R, struct diag *d) {
        char ctl[460], *out = NULL;
        appctl_target(R, ctl, sizeof(ctl));
        struct ovs_state *os = ovs_state(R);
        if (!os) {
                diag_set(d, -ENOMEM, "out of memory");
                return NULL;
        }
        if (ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-stats-show", NULL }, &out, d) < 0)
                return NULL;
        json_t *j = ovs_pmd_stats_parse(out);
        free(out);
        json_t *now = port_counters(R, d);
        if (!now) {
                json_decref(j);
                return NULL;
        }
        /* The ports over the window: what OVS took in and sent, and dropped. */
        json_t *ports = json_object();
        json_int_t tx_drops = 0, rx_drops = 0;
        const char *name;
        json_t *p;
        json_object_foreach(now, name, p) {
                json_t *b = json_object_get(os->ports_at_open, name), *delta = json_object();
                const char *key;
                json_t *v;
                json_object_foreach(p, key, v) {
                        json_int_t dv = json_integer_value(v) - json_integer_value(json_object_get(b, key));
                        json_object_set_new(delta, key, json_integer(dv));
                        if (strcmp(key, "tx_dropped") == 0)
                                tx_drops += dv;
                        if (strcmp(key, "rx_dropped") == 0)
                                rx_drops += dv;
                }
                json_object_set_new(ports, name, delta);
        }
        json_decref(now);
        json_decref(os->ports_at_open);
        os->ports_at_open = NULL;
        json_object_set_new(j, "ports", ports);
        /* Which PMD polled which queue, with OVS's own usage estimate of that PMD. */
        if (ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-rxq-show", NULL }, &out, d) < 0) {
                json_decref(j);
                return NULL;
        }
        json_object_set_new(j, "rxqs", ovs_rxq_parse(out));
        free(out);
        /* The stall signal: iterations over 250 us from pmd-perf-show's histogram (every
         * one, cleared with the window), and those OVS logged, with their durations (a
         * lower bound: OVS logs one at a time, with its neighbourhood). */
        if (ovs_run((char *[]){ OVS_APPCTL, "-t", ctl, "dpif-netdev/pmd-perf-show", NULL }, &out, d) < 0) {
                json_decref(j);
                return NULL;
        }
        json_t *perf = ovs_perf_parse(out);
        free(out);
        json_object_set(j, "stalls", json_object_get(perf, "long_iterations"));
        json_object_set_new(j, "perf", perf);
        json_object_set_new(j, "suspicious", suspicious_in_window(R, os));
        json_object_set_new(j, "tx_drops", json_integer(tx_drops));
        json_object_set_new(j, "rx_drops", json_integer(rx_drops));
        return j;
}

const struct nf_ops nf_ovs = {
        .name = "ovs-dpdk",
        .has_process = true,
        .check = ovs_check,
        .nf_argv = ovs_argv,
        .gen_eal = ovs_gen_eal,
        .gen_argv = ovs_gen_argv,
        .start_first = true,
        .before_start = ovs_before_start,
        .after_start = ovs_after_start,
        .ready = ovs_ready,
        .stats_clear = ovs_stats_clear,
        .stats_read = ovs_stats_read,
        .log = "ovs-vswitchd.log",
        .hugepage_mem = ovs_hugepage_mem,
        .housekeeping_threads = true,
        .container_net_admin = true,
        .stop = ovs_stop,
};
