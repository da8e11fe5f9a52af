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
