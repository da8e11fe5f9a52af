/* The kernel's isolation settings from its command line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topology/cmdline.h"
#include "topology/cpulist.h"

static struct isolation iso;

static void setup(void) {
        cr_assert_eq(isolation_init(&iso), 0);
}
static void teardown(void) {
        isolation_done(&iso);
}

static void expect_list(hwloc_const_bitmap_t s, const char *want) {
        char *got = cpulist_format(s);
        cr_expect_str_eq(got, want);
        free(got);
}

TestSuite(cmdline, .init = setup, .fini = teardown);

Test(cmdline, reads_all_four_parameters) {
        struct diag d = { 0 };
        cr_assert_eq(isolation_parse(&iso,
                                     "BOOT_IMAGE=/vmlinuz root=/dev/sda1 isolcpus=managed_irq,domain,2-7,10 "
                                     "nohz_full=2-7 rcu_nocbs=2-7 irqaffinity=0-1 quiet\n",
                                     &d),
                     0, "%s", d.msg);
        cr_expect(iso.known);
        expect_list(iso.isolcpus, "2-7,10");
        cr_expect_str_eq(iso.isolcpus_flags, "managed_irq,domain");
        expect_list(iso.nohz_full, "2-7");
        expect_list(iso.rcu_nocbs, "2-7");
        expect_list(iso.irqaffinity, "0-1");
        cr_expect_not(iso.rcu_nocbs_all);
        cr_expect_str_eq(iso.cmdline, "BOOT_IMAGE=/vmlinuz root=/dev/sda1 isolcpus=managed_irq,domain,2-7,10 "
                                      "nohz_full=2-7 rcu_nocbs=2-7 irqaffinity=0-1 quiet");
}

Test(cmdline, absent_parameters_are_empty_sets) {
        cr_assert_eq(isolation_parse(&iso, "console=ttyS0 quiet", NULL), 0);
        cr_expect(iso.known);
        cr_expect(hwloc_bitmap_iszero(iso.isolcpus));
        cr_expect(hwloc_bitmap_iszero(iso.nohz_full));
        cr_expect(hwloc_bitmap_iszero(iso.irqaffinity));
        cr_expect_not(iso.rcu_nocbs_all);
}

Test(cmdline, bare_rcu_nocbs_means_all_cpus) {
        cr_assert_eq(isolation_parse(&iso, "rcu_nocbs nohz_full=\"3-4\"", NULL), 0);
        cr_expect(iso.rcu_nocbs_all);
        expect_list(iso.nohz_full, "3-4");
}

Test(cmdline, arguments_after_double_dash_belong_to_init) {
        cr_assert_eq(isolation_parse(&iso, "quiet rdinit=/init -- isolcpus=1 --flag", NULL), 0);
        cr_expect(hwloc_bitmap_iszero(iso.isolcpus));
        cr_expect_str_eq(iso.cmdline, "quiet rdinit=/init");
        /* "--" inside a value is not the separator. */
        cr_assert_eq(isolation_parse(&iso, "opt=a--b isolcpus=2", NULL), 0);
        expect_list(iso.isolcpus, "2");
}

Test(cmdline, malformed_lists_name_the_parameter) {
        struct diag d = { 0 };
        cr_expect_eq(isolation_parse(&iso, "quiet nohz_full=2-x", &d), -EINVAL);
        cr_expect(strstr(d.msg, "nohz_full=2-x") != NULL, "%s", d.msg);
        cr_expect_not(iso.known);
        diag_clear(&d);
        cr_expect_eq(isolation_parse(&iso, "isolcpus=bogus,3", &d), -EINVAL);
        cr_expect(strstr(d.msg, "unknown flag \"bogus\"") != NULL, "%s", d.msg);
}

Test(cmdline, reads_a_file) {
        char path[] = "/tmp/isolab-cmdline-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        const char text[] = "isolcpus=1\n";
        cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
        close(fd);
        struct diag d = { 0 };
        int r = isolation_read(&iso, path, &d);
        unlink(path);
        cr_assert_eq(r, 0, "%s", d.msg);
        expect_list(iso.isolcpus, "1");
        cr_expect_eq(isolation_read(&iso, "/nonexistent/cmdline", &d), -ENOENT);
}
