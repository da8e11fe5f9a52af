/* The link's DPDK drivers, looked for before a run starts (on plugin trees in a
 * temporary directory). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/cleanup.h"
#include "controller/drivers.h"

static char root[] = "/tmp/isolab-drv-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(root));
}

static void teardown(void) {
        cleanup_rm_rf(root);
}

TestSuite(drivers, .init = setup, .fini = teardown);

static void touch(const char *dir, const char *name) {
        char p[600];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "w");
        cr_assert_not_null(f);
        fclose(f);
}

Test(drivers, found_missing_and_absent_tree) {
        char dpdk[300], pmds[400], dir[500];
        struct diag d = { 0 };
        drivers_dir(root, dir, sizeof(dir));
        cr_expect_str_empty(dir, "no dpdk/ under libdir: nothing to check");
        cr_expect_eq(drivers_check(dir, "vhost", &d), 0);

        snprintf(dpdk, sizeof(dpdk), "%s/dpdk", root);
        snprintf(pmds, sizeof(pmds), "%s/pmds-23.0", dpdk);
        cr_assert_eq(mkdir(dpdk, 0755), 0);
        cr_assert_eq(mkdir(pmds, 0755), 0);
        drivers_dir(root, dir, sizeof(dir));
        cr_expect_str_eq(dir, pmds);
        touch(pmds, "librte_net_vhost.so");
        cr_expect_eq(drivers_check(dir, "vhost", &d), -ENOENT);
        cr_expect(strstr(d.msg, "--link vhost: DPDK's net_virtio driver") != NULL, "%s", d.msg);
        cr_expect(strstr(d.msg, "install Debian's librte-net-virtio23") != NULL, "%s", d.msg);
        touch(pmds, "librte_net_virtio.so");
        d = (struct diag){ 0 };
        cr_expect_eq(drivers_check(dir, "vhost", &d), 0, "%s", d.msg);
        cr_expect_eq(drivers_check(dir, "memif", &d), -ENOENT);
        cr_expect(strstr(d.msg, "librte-net-memif23") != NULL, "%s", d.msg);
}

Test(drivers, this_machine_has_what_the_default_link_needs) {
        char dir[400];
        struct diag d = { 0 };
        drivers_dir(ISOLAB_DPDK_LIBDIR, dir, sizeof(dir));
        cr_expect_eq(drivers_check(dir, "vhost", &d), 0, "%s", d.msg);
}
