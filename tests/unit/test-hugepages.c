/* Per-node hugepage pools read from a sysfs tree built in a temporary directory. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "topology/hugepages.h"

static char root[] = "/tmp/isolab-sysfs-XXXXXX";

static void put(const char *rel, const char *text) {
        char path[512], dir[512];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
                *p = '\0';
                mkdir(dir, 0755);
                *p = '/';
        }
        FILE *f = fopen(path, "w");
        cr_assert(f, "%s", path);
        fputs(text, f);
        fclose(f);
}

static void setup(void) {
        cr_assert(mkdtemp(root));
}
static void teardown(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        cr_expect_eq(system(cmd), 0);
}

TestSuite(hugepages, .init = setup, .fini = teardown);

#define NODE1 "devices/system/node/node1/hugepages/"

Test(hugepages, reads_pools_sorted_by_page_size) {
        put(NODE1 "hugepages-1048576kB/nr_hugepages", "4\n");
        put(NODE1 "hugepages-1048576kB/free_hugepages", "3\n");
        put(NODE1 "hugepages-2048kB/nr_hugepages", "512\n");
        put(NODE1 "hugepages-2048kB/free_hugepages", "500\n");
        put(NODE1 "not-a-pool/nr_hugepages", "1\n");
        struct hugepage_node n;
        struct diag d = { 0 };
        cr_assert_eq(hugepages_read_node(root, 1, &n, &d), 0, "%s", d.msg);
        cr_assert_eq(n.n_pools, 2);
        cr_expect_eq(n.pool[0].page_size, 2ULL << 20);
        cr_expect_eq(n.pool[0].total, 512);
        cr_expect_eq(n.pool[0].free, 500);
        cr_expect_eq(n.pool[1].page_size, 1ULL << 30);
        cr_expect_eq(n.pool[1].total, 4);
        cr_expect_eq(n.pool[1].free, 3);
        cr_expect_eq(hugepages_find(&n, 1ULL << 30), &n.pool[1]);
        cr_expect_null(hugepages_find(&n, 16ULL << 30));
}

Test(hugepages, a_node_without_hugetlb_has_no_pools) {
        struct hugepage_node n;
        cr_assert_eq(hugepages_read_node(root, 0, &n, NULL), 0);
        cr_expect_eq(n.n_pools, 0);
}

Test(hugepages, a_garbled_count_is_an_error_naming_the_file) {
        put(NODE1 "hugepages-2048kB/nr_hugepages", "lots\n");
        put(NODE1 "hugepages-2048kB/free_hugepages", "1\n");
        struct hugepage_node n;
        struct diag d = { 0 };
        cr_expect_eq(hugepages_read_node(root, 1, &n, &d), -EINVAL);
        cr_expect(strstr(d.msg, "hugepages-2048kB/nr_hugepages holds \"lots\"") != NULL, "%s", d.msg);
}

Test(hugepages, a_missing_count_is_an_error) {
        put(NODE1 "hugepages-2048kB/nr_hugepages", "1\n");
        struct hugepage_node n;
        struct diag d = { 0 };
        cr_expect_eq(hugepages_read_node(root, 1, &n, &d), -ENOENT);
        cr_expect(strstr(d.msg, "free_hugepages") != NULL, "%s", d.msg);
}

/* A run adds only the pages it lacks and gives back only those, so whatever another
 * user or an admin did to the reservation meanwhile stays.  (The fake sysfs does not
 * move free pages: nr_hugepages is what is read back.) */
Test(hugepages, a_run_gives_back_only_what_it_added) {
        put(NODE1 "hugepages-2048kB/nr_hugepages", "100\n");
        put(NODE1 "hugepages-2048kB/free_hugepages", "40\n");
        struct diag d = { 0 };
        uint64_t total, free_, added, returned;
        cr_assert_eq(hugepages_add(root, 1, 2 << 20, 512, &total, &free_, &added, &d), 0, "%s", d.msg);
        cr_expect_eq(total, 100);
        cr_expect_eq(free_, 40);
        cr_expect_eq(added, 472, "512 wanted free, 40 were: 472 added");
        /* An admin reserves 30 more during the run. */
        put(NODE1 "hugepages-2048kB/nr_hugepages", "602\n");
        cr_assert_eq(hugepages_give_back(root, 1, 2 << 20, added, &returned, &d), 0, "%s", d.msg);
        cr_expect_eq(returned, 472);
        struct hugepage_node n;
        cr_assert_eq(hugepages_read_node(root, 1, &n, &d), 0);
        cr_expect_eq(n.pool[0].total, 130, "the admin's 30 stay: %llu", (unsigned long long)n.pool[0].total);
        /* Enough free pages already: nothing added, nothing given back. */
        put(NODE1 "hugepages-2048kB/free_hugepages", "600\n");
        cr_assert_eq(hugepages_add(root, 1, 2 << 20, 512, &total, &free_, &added, &d), 0);
        cr_expect_eq(added, 0);
        cr_assert_eq(hugepages_give_back(root, 1, 2 << 20, 0, &returned, &d), 0);
        cr_expect_eq(returned, 0);
}
