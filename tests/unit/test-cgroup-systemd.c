/* The systemd backend's D-Bus messages, built on a bus that is never connected and read
 * back field by field (no systemd on this project's machines to send them to). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/cgroup-systemd.h"
#include "topology/cpulist.h"

static sd_bus *bus;
static int peer = -1;

/* A bus object over a socketpair nobody answers: enough to create and seal messages. */
static void setup(void) {
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        cr_assert_geq(sd_bus_new(&bus), 0);
        cr_assert_geq(sd_bus_set_fd(bus, sv[0], sv[0]), 0);
        cr_assert_geq(sd_bus_start(bus), 0);
        peer = sv[1];
}

static void teardown(void) {
        sd_bus_unref(bus);
        close(peer);
}

TestSuite(cgroup_systemd, .init = setup, .fini = teardown);

Test(cgroup_systemd, unit_names) {
        char b[128];
        cr_assert_eq(cg_sd_unit_name("isolab/sweep-20261130t1/nf", b, sizeof(b)), 0);
        cr_expect_str_eq(b, "isolab-sweep-20261130t1-nf.scope");
        cr_expect_eq(cg_sd_unit_name("other/x", b, sizeof(b)), -EINVAL);
        cr_expect_eq(cg_sd_unit_name("isolab/../x", b, sizeof(b)), -EINVAL);
        cr_expect_eq(cg_sd_unit_name("isolab/Run", b, sizeof(b)), -EINVAL);
        cr_expect_eq(cg_sd_unit_name("isolab/a b", b, sizeof(b)), -EINVAL);
}

Test(cgroup_systemd, masks) {
        uint8_t m[8];
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        cr_assert_eq(cpulist_parse("1", s, NULL, NULL), 0);
        cr_expect_eq(cg_sd_mask(s, m, sizeof(m)), 1);
        cr_expect_eq(m[0], 0x02);
        cr_assert_eq(cpulist_parse("0,9,16-17", s, NULL, NULL), 0);
        cr_expect_eq(cg_sd_mask(s, m, sizeof(m)), 3);
        cr_expect_eq(m[0], 0x01);
        cr_expect_eq(m[1], 0x02);
        cr_expect_eq(m[2], 0x03);
        hwloc_bitmap_free(s);
}

/* Reads the a(sv) properties and checks each one the scope needs. */
static void check_props(sd_bus_message *m, bool full) {
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "(sv)"), 0);
        unsigned seen = 0;
        while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
                const char *name, *contents;
                cr_assert_geq(sd_bus_message_read(m, "s", &name), 0);
                cr_assert_geq(sd_bus_message_peek_type(m, NULL, &contents), 0);
                cr_assert_geq(sd_bus_message_enter_container(m, 'v', contents), 0);
                if (strcmp(name, "CPUQuotaPerSecUSec") == 0) {
                        uint64_t v;
                        cr_assert_geq(sd_bus_message_read(m, "t", &v), 0);
                        cr_expect_eq(v, 125000, "12.5 %% of one CPU per second");
                        seen |= 1;
                } else if (strcmp(name, "CPUQuotaPeriodUSec") == 0) {
                        uint64_t v;
                        cr_assert_geq(sd_bus_message_read(m, "t", &v), 0);
                        cr_expect_eq(v, 10000);
                        seen |= 2;
                } else if (strcmp(name, "AllowedCPUs") == 0 || strcmp(name, "AllowedMemoryNodes") == 0) {
                        const void *p;
                        size_t n;
                        cr_assert_geq(sd_bus_message_read_array(m, 'y', &p, &n), 0);
                        cr_expect_eq(n, 1);
                        cr_expect_eq(((const uint8_t *)p)[0], name[7] == 'C' ? 0x03 : 0x01);
                        seen |= name[7] == 'C' ? 4 : 8;
                } else if (strcmp(name, "PIDs") == 0) {
                        const void *p;
                        size_t n;
                        cr_assert_geq(sd_bus_message_read_array(m, 'u', &p, &n), 0);
                        cr_expect_eq(n, sizeof(uint32_t));
                        cr_expect_eq(((const uint32_t *)p)[0], 4242);
                        seen |= 16;
                } else if (strcmp(name, "Delegate") == 0) {
                        int b;
                        cr_assert_geq(sd_bus_message_read(m, "b", &b), 0);
                        cr_expect(b);
                        seen |= 32;
                } else if (strcmp(name, "Slice") == 0) {
                        const char *s;
                        cr_assert_geq(sd_bus_message_read(m, "s", &s), 0);
                        cr_expect_str_eq(s, CG_SD_SLICE);
                        seen |= 64;
                } else {
                        cr_assert_geq(sd_bus_message_skip(m, contents), 0);
                }
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
        }
        cr_assert_geq(sd_bus_message_exit_container(m), 0);
        cr_expect_eq(seen, full ? 127u : 3u, "properties seen: %#x", seen);
}

Test(cgroup_systemd, start_transient_scope) {
        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(12.5, 1, 10000, &q, NULL), 0);
        hwloc_bitmap_t cpus = hwloc_bitmap_alloc(), mems = hwloc_bitmap_alloc();
        cr_assert_eq(cpulist_parse("0-1", cpus, NULL, NULL), 0);
        cr_assert_eq(cpulist_parse("0", mems, NULL, NULL), 0);
        sd_bus_message *m = NULL;
        cr_assert_eq(cg_sd_start_scope_message(bus, "isolab-r-nf.scope", 4242, &q, cpus, mems, &m), 0);
        cr_assert_geq(sd_bus_message_seal(m, 1, 0), 0);
        cr_expect_str_eq(sd_bus_message_get_member(m), "StartTransientUnit");
        cr_expect_str_eq(sd_bus_message_get_destination(m), "org.freedesktop.systemd1");
        cr_assert_geq(sd_bus_message_rewind(m, 1), 0);
        const char *unit, *mode;
        cr_assert_geq(sd_bus_message_read(m, "ss", &unit, &mode), 0);
        cr_expect_str_eq(unit, "isolab-r-nf.scope");
        cr_expect_str_eq(mode, "fail");
        check_props(m, true);
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "(sa(sv))"), 0, "the auxiliary units array");
        sd_bus_message_unref(m);
        hwloc_bitmap_free(cpus);
        hwloc_bitmap_free(mems);
}

Test(cgroup_systemd, set_quota) {
        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(12.5, 1, 10000, &q, NULL), 0);
        sd_bus_message *m = NULL;
        cr_assert_eq(cg_sd_set_quota_message(bus, "isolab-r-nf.scope", &q, &m), 0);
        cr_assert_geq(sd_bus_message_seal(m, 2, 0), 0);
        cr_expect_str_eq(sd_bus_message_get_member(m), "SetUnitProperties");
        cr_assert_geq(sd_bus_message_rewind(m, 1), 0);
        const char *unit;
        int runtime;
        cr_assert_geq(sd_bus_message_read(m, "sb", &unit, &runtime), 0);
        cr_expect_str_eq(unit, "isolab-r-nf.scope");
        cr_expect(runtime, "a runtime change, nothing persistent");
        check_props(m, false);
        sd_bus_message_unref(m);
}

/* ---- the backend against a fake systemd ------------------------------------------------------
 *
 * A peer-to-peer sd-bus connection over a socketpair; the other end, in a thread, serves
 * the four org.freedesktop.systemd1.Manager methods the backend uses, the way systemd
 * does: a transient scope becomes a directory under <tree>/isolab.slice, a job's reply is
 * followed by its JobRemoved signal, a second StartTransientUnit of a live unit is
 * UnitExists, StopUnit removes the directory. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "controller/cleanup.h"
#include "base/util.h"

struct fake {
        sd_bus *bus;
        pthread_t thread;
        atomic_bool stop;
        char tree[64];
        const char *job_result; /* "done" unless a test says otherwise */
        unsigned starts, sets, attaches, stops, jobs;
        uint64_t quota_per_sec, period;
        uint8_t cpus;
        uint32_t pid;
        bool quota_at_start;
};

static void read_props(struct fake *f, sd_bus_message *m, bool at_start) {
        cr_assert_geq(sd_bus_message_enter_container(m, 'a', "(sv)"), 0);
        while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
                const char *name, *contents;
                cr_assert_geq(sd_bus_message_read(m, "s", &name), 0);
                cr_assert_geq(sd_bus_message_peek_type(m, NULL, &contents), 0);
                cr_assert_geq(sd_bus_message_enter_container(m, 'v', contents), 0);
                const void *p;
                size_t n;
                if (strcmp(name, "CPUQuotaPerSecUSec") == 0) {
                        cr_assert_geq(sd_bus_message_read(m, "t", &f->quota_per_sec), 0);
                        f->quota_at_start |= at_start;
                } else if (strcmp(name, "CPUQuotaPeriodUSec") == 0) {
                        cr_assert_geq(sd_bus_message_read(m, "t", &f->period), 0);
                } else if (strcmp(name, "AllowedCPUs") == 0) {
                        cr_assert_geq(sd_bus_message_read_array(m, 'y', &p, &n), 0);
                        f->cpus = n ? ((const uint8_t *)p)[0] : 0;
                } else if (strcmp(name, "PIDs") == 0) {
                        cr_assert_geq(sd_bus_message_read_array(m, 'u', &p, &n), 0);
                        f->pid = n ? ((const uint32_t *)p)[0] : 0;
                } else {
                        cr_assert_geq(sd_bus_message_skip(m, contents), 0);
                }
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
                cr_assert_geq(sd_bus_message_exit_container(m), 0);
        }
        cr_assert_geq(sd_bus_message_exit_container(m), 0);
}

static void scope_dir(struct fake *f, const char *unit, char *buf, size_t len) {
        snprintf(buf, len, "%s/isolab.slice/%s", f->tree, unit);
}

static int reply_job(struct fake *f, sd_bus_message *m, const char *unit) {
        char job[64];
        uint32_t id = ++f->jobs;
        snprintf(job, sizeof(job), "/org/freedesktop/systemd1/job/%u", id);
        int r = sd_bus_reply_method_return(m, "o", job);
        if (r < 0)
                return r;
        return sd_bus_emit_signal(f->bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
                                  "uoss", id, job, unit, f->job_result);
}

static int m_start(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        struct fake *f = userdata;
        const char *unit, *mode;
        char dir[256], file[300];
        cr_assert_geq(sd_bus_message_read(m, "ss", &unit, &mode), 0);
        scope_dir(f, unit, dir, sizeof(dir));
        if (access(dir, F_OK) == 0)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", unit);
        f->starts++;
        read_props(f, m, true);
        snprintf(file, sizeof(file), "%s/isolab.slice", f->tree);
        mkdir(file, 0755);
        cr_assert_eq(mkdir(dir, 0755), 0);
        snprintf(file, sizeof(file), "%s/cpu.stat", dir);
        FILE *fp = fopen(file, "w");
        fprintf(fp, "usage_usec 7000\nuser_usec 6000\nsystem_usec 1000\nnr_periods 40\nnr_throttled 30\nthrottled_usec 9000\n");
        fclose(fp);
        snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
        fclose(fopen(file, "w")); /* the pids are fake: the scope looks empty */
        return reply_job(f, m, unit);
}

static int m_set(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        (void)e;
        struct fake *f = userdata;
        const char *unit;
        int runtime;
        cr_assert_geq(sd_bus_message_read(m, "sb", &unit, &runtime), 0);
        cr_expect(runtime);
        f->sets++;
        read_props(f, m, false);
        return sd_bus_reply_method_return(m, NULL);
}

static int m_attach(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        (void)e;
        struct fake *f = userdata;
        const char *unit, *sub;
        const void *p;
        size_t n;
        cr_assert_geq(sd_bus_message_read(m, "ss", &unit, &sub), 0);
        cr_assert_geq(sd_bus_message_read_array(m, 'u', &p, &n), 0);
        f->pid = n ? ((const uint32_t *)p)[0] : 0;
        f->attaches++;
        return sd_bus_reply_method_return(m, NULL);
}

static int m_stop(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        struct fake *f = userdata;
        const char *unit, *mode;
        char dir[256];
        cr_assert_geq(sd_bus_message_read(m, "ss", &unit, &mode), 0);
        scope_dir(f, unit, dir, sizeof(dir));
        if (access(dir, F_OK) != 0)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
        f->stops++;
        cleanup_rm_rf(dir);
        return reply_job(f, m, unit);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", m_start, 0),
        SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", m_set, 0),
        SD_BUS_METHOD("AttachProcessesToUnit", "ssau", "", m_attach, 0),
        SD_BUS_METHOD("StopUnit", "ss", "o", m_stop, 0),
        SD_BUS_VTABLE_END,
};

static void *serve(void *arg) {
        struct fake *f = arg;
        while (!atomic_load(&f->stop)) {
                int r = sd_bus_process(f->bus, NULL);
                if (r < 0)
                        break;
                if (r == 0)
                        sd_bus_wait(f->bus, 20000);
        }
        return NULL;
}

static struct fake fake;
static sd_bus *client;

static void fake_setup(void) {
        memset(&fake, 0, sizeof(fake));
        fake.job_result = "done";
        snprintf(fake.tree, sizeof(fake.tree), "/tmp/isolab-sdtest-XXXXXX");
        cr_assert_not_null(mkdtemp(fake.tree));
        int sv[2];
        cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        sd_id128_t id;
        cr_assert_geq(sd_id128_randomize(&id), 0);
        cr_assert_geq(sd_bus_new(&fake.bus), 0);
        cr_assert_geq(sd_bus_set_fd(fake.bus, sv[0], sv[0]), 0);
        cr_assert_geq(sd_bus_set_server(fake.bus, 1, id), 0);
        cr_assert_geq(sd_bus_add_object_vtable(fake.bus, NULL, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                               manager_vtable, &fake),
                      0);
        cr_assert_geq(sd_bus_start(fake.bus), 0);
        cr_assert_geq(sd_bus_new(&client), 0);
        cr_assert_geq(sd_bus_set_fd(client, sv[1], sv[1]), 0);
        cr_assert_geq(sd_bus_start(client), 0);
        cr_assert_eq(pthread_create(&fake.thread, NULL, serve, &fake), 0);
}

static void fake_teardown(void) {
        atomic_store(&fake.stop, true);
        pthread_join(fake.thread, NULL);
        sd_bus_flush_close_unref(client);
        sd_bus_flush_close_unref(fake.bus);
        cleanup_rm_rf(fake.tree);
}

static void open_backend(struct cg *cg) {
        struct cg_mounts m = { .cpu = CG_V2, .cpuset = CG_V2 };
        snprintf(m.unified, sizeof(m.unified), "%s", fake.tree);
        struct diag d = { 0 };
        cr_assert_eq(cg_open_systemd(cg, &m, client, &d), 0, "%s", d.msg);
        cr_expect_str_eq(cg->ops->name, "systemd");
}

Test(cgroup_systemd_backend, scope_lifecycle, .init = fake_setup, .fini = fake_teardown) {
        struct cg cg = { 0 };
        struct diag d = { 0 };
        open_backend(&cg);
        const char *nf = "isolab/run-1/nf";
        cr_assert_eq(cg.ops->create(&cg, "isolab", &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->create(&cg, "isolab/run-1", &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->create(&cg, nf, &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->set_cpuset(&cg, nf, "0-1", "0", &d), 0, "%s", d.msg);
        cr_expect_eq(fake.starts + fake.sets, 0, "nothing is sent before there is a process");

        cr_assert_eq(cg.ops->attach(&cg, nf, 4242, &d), 0, "%s", d.msg);
        cr_expect_eq(fake.starts, 1);
        cr_expect_eq(fake.pid, 4242);
        cr_expect_eq(fake.cpus, 0x03, "AllowedCPUs 0-1");
        cr_expect_not(fake.quota_at_start, "no quota was set yet");

        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(50, 2, 100000, &q, NULL), 0);
        cr_assert_eq(cg.ops->set_quota(&cg, nf, &q, &d), 0, "%s", d.msg);
        cr_expect_eq(fake.sets, 1);
        cr_expect_eq(fake.quota_per_sec, 1000000, "50 %% of two CPUs is one CPU-second per second");
        cr_expect_eq(fake.period, 100000);

        struct cg_cpu_stat s;
        cr_assert_eq(cg.ops->cpu_stat(&cg, nf, &s, &d), 0, "%s", d.msg);
        cr_expect_eq(s.nr_periods, 40);
        cr_expect_eq(s.nr_throttled, 30);
        cr_expect_eq(s.throttled_us, 9000);
        cr_expect(s.has_usage);
        cr_expect_eq(s.usage_us, 7000);

        /* An agent restarted into the live scope joins it. */
        cr_assert_eq(cg.ops->attach(&cg, nf, 4343, &d), 0, "%s", d.msg);
        cr_expect_eq(fake.starts, 1);
        cr_expect_eq(fake.attaches, 1);
        cr_expect_eq(fake.pid, 4343);

        cr_assert_eq(cg.ops->destroy(&cg, nf, &d), 0, "%s", d.msg);
        cr_expect_eq(fake.stops, 1);
        char dir[256];
        scope_dir(&fake, "isolab-run-1-nf.scope", dir, sizeof(dir));
        cr_expect_neq(access(dir, F_OK), 0, "the scope is gone");
        cr_expect_eq(cg.ops->destroy(&cg, nf, &d), 0, "removing it twice is fine (cleanup may run again)");
        cr_expect_eq(cg.ops->destroy(&cg, "isolab/run-1", &d), 0);
        cr_expect_eq(fake.stops, 1);
        cg_close(&cg);
}

Test(cgroup_systemd_backend, quota_before_the_process_goes_into_the_start, .init = fake_setup, .fini = fake_teardown) {
        struct cg cg = { 0 };
        struct diag d = { 0 };
        open_backend(&cg);
        const char *gen = "isolab/run-2/gen";
        struct cg_quota q;
        cr_assert_eq(cg_quota_compute(25, 1, 10000, &q, NULL), 0);
        cr_assert_eq(cg.ops->create(&cg, gen, &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->set_quota(&cg, gen, &q, &d), 0, "%s", d.msg);
        cr_assert_eq(cg.ops->attach(&cg, gen, 77, &d), 0, "%s", d.msg);
        cr_expect(fake.quota_at_start);
        cr_expect_eq(fake.quota_per_sec, 250000);
        cr_expect_eq(fake.period, 10000);
        cr_expect_eq(fake.sets, 0);
        cr_assert_eq(cg.ops->destroy(&cg, gen, &d), 0, "%s", d.msg);
        cg_close(&cg);
}

Test(cgroup_systemd_backend, failed_job_and_busy_scope, .init = fake_setup, .fini = fake_teardown) {
        struct cg cg = { 0 };
        struct diag d = { 0 };
        open_backend(&cg);
        const char *nf = "isolab/run-3/nf";
        cr_assert_eq(cg.ops->create(&cg, nf, &d), 0, "%s", d.msg);
        fake.job_result = "failed";
        cr_expect_lt(cg.ops->attach(&cg, nf, 5, &d), 0);
        cr_expect_not_null(strstr(d.msg, "isolab-run-3-nf.scope"), "%s", d.msg);
        cr_expect_not_null(strstr(d.msg, "\"failed\""), "%s", d.msg);

        /* A scope with processes left is not stopped (that would kill them). */
        char path[300];
        scope_dir(&fake, "isolab-run-3-nf.scope", path, sizeof(path));
        strcat(path, "/cgroup.procs");
        FILE *fp = fopen(path, "w");
        fprintf(fp, "5\n");
        fclose(fp);
        d = (struct diag){ 0 };
        cr_expect_eq(cg.ops->destroy(&cg, nf, &d), -EBUSY);
        cr_expect_not_null(strstr(d.msg, "still holds processes 5"), "%s", d.msg);
        cr_expect_eq(fake.stops, 0);
        fp = fopen(path, "w");
        fclose(fp);
        fake.job_result = "done";
        cr_expect_eq(cg.ops->destroy(&cg, nf, &d), 0, "%s", d.msg);
        cg_close(&cg);
}
