/* System tests of the topology on this machine, as root: the model agrees with sysfs
 * read independently, and a real hugepage reservation shows up in the model and moves
 * the plan.  Every change to the machine is undone in the fixture's teardown, which
 * Criterion runs also when an assertion fails. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology/cpulist.h"
#include "topology/plan.h"
#include "base/util.h"
#include "tests/system/sysfix.h"

static void need_root(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: it reads and reserves hugepages in sysfs (run make check as root)");
}

static unsigned count_nodes(void) {
        unsigned n = 0;
        DIR *d = opendir("/sys/devices/system/node");
        cr_assert_not_null(d);
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
                unsigned k;
                char extra;
                if (sscanf(e->d_name, "node%u%c", &k, &extra) == 1)
                        n++;
        }
        closedir(d);
        return n;
}

static uint64_t read_u64(const char *path) {
        char *text = NULL;
        uint64_t v = 0;
        cr_assert_eq(read_small_file(path, &text), 0, "%s", path);
        cr_assert_eq(parse_u64(text, &v), 0, "%s: %s", path, text);
        free(text);
        return v;
}

static int write_u64(const char *path, uint64_t v) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "%" PRIu64 "\n", v);
        return fclose(f) == 0 ? 0 : -errno;
}

Test(topo_live, matches_sysfs, .init = need_root) {
        struct topo *t = NULL;
        struct diag d = { 0 };
        cr_assert_eq(topo_load(&(struct topo_load_opts){ 0 }, &t, &d), 0, "%s", d.msg);
        cr_expect_eq(t->source, TOPO_SOURCE_SYSTEM);
        cr_expect_eq(t->n_nodes, count_nodes());

        char *present = NULL;
        cr_assert_eq(read_small_file("/sys/devices/system/cpu/present", &present), 0);
        hwloc_bitmap_t cpus = hwloc_bitmap_alloc();
        cr_assert_eq(cpulist_parse(present, cpus, NULL, NULL), 0, "%s", present);
        cr_expect(hwloc_bitmap_isequal(cpus, t->cpus), "sysfs says CPUs %s", present);
        hwloc_bitmap_free(cpus);
        free(present);

        for (unsigned i = 0; i < t->n_nodes; i++) {
                const struct topo_node *n = &t->nodes[i];
                cr_expect(n->huge_free_known);
                for (unsigned k = 0; k < n->huge.n_pools; k++) {
                        char path[256];
                        snprintf(path, sizeof(path), "/sys/devices/system/node/node%u/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
                                 n->os_index, n->huge.pool[k].page_size / 1024);
                        cr_expect_eq(n->huge.pool[k].total, read_u64(path), "%s", path);
                }
        }

        char *cmdline = NULL;
        cr_assert_eq(read_small_file("/proc/cmdline", &cmdline), 0);
        cr_expect(t->iso.known);
        cr_expect(strncmp(cmdline, t->iso.cmdline, strlen(t->iso.cmdline)) == 0, "%s vs %s", cmdline, t->iso.cmdline);
        free(cmdline);
        topo_free(t);
}

/* ---- a real hugepage reservation -------------------------------------------------------- */

#define NR SYSFIX_NR_2M
static uint64_t saved_nr = UINT64_MAX;
static int lock_fd = -1;

static void reserve_setup(void) {
        need_root();
        if (access(NR, W_OK) < 0)
                cr_skip_test("%s is not writable: no 2 MiB hugepage pool on node 0", NR);
        lock_fd = sysfix_lock();
        cr_assert_geq(lock_fd, 0);
        saved_nr = read_u64(NR);
}

static void reserve_teardown(void) {
        if (saved_nr != UINT64_MAX) {
                cr_expect_eq(write_u64(NR, saved_nr), 0);
                cr_expect_eq(read_u64(NR), saved_nr, "the 2 MiB reservation on node 0 was not restored");
        }
        saved_nr = UINT64_MAX;
        sysfix_unlock(lock_fd);
        lock_fd = -1;
}

Test(topo_live, a_real_reservation_shows_up_and_draws_the_plan, .init = reserve_setup, .fini = reserve_teardown) {
        /* Ask for 8 more pages; the kernel may grant fewer (fragmentation), so use what
         * it reports back, as the run will. */
        cr_assert_eq(write_u64(NR, saved_nr + 8), 0);
        uint64_t granted = read_u64(NR) - saved_nr;
        cr_assert_gt(granted, 0, "the kernel granted no 2 MiB page on node 0");

        struct topo *t = NULL;
        struct diag d = { 0 };
        cr_assert_eq(topo_load(&(struct topo_load_opts){ 0 }, &t, &d), 0, "%s", d.msg);
        const struct topo_node *n0 = topo_node_by_os_index(t, 0);
        cr_assert_not_null(n0);
        const struct hugepage_pool *pool = hugepages_find(&n0->huge, 2ULL << 20);
        cr_assert_not_null(pool);
        cr_expect_eq(pool->total, saved_nr + granted);
        cr_expect_geq(pool->free, granted);

        struct plan *p = NULL;
        struct plan_request req = { .pmd_cores = 1, .gen_cores = 1, .node = -1, .hugepage_size = 2ULL << 20 };
        cr_assert_eq(plan_make(t, &req, &p, &d), 0, "%s", d.msg);
        cr_expect_eq(p->huge.free, pool->free);
        cr_expect(strstr(p->node_reason, "the most free hugepage memory") != NULL, "%s", p->node_reason);
        plan_free(p);
        topo_free(t);
}
