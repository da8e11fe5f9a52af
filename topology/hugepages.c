/* hugepages — see hugepages.h. */
#include "topology/hugepages.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

static int read_count(const char *dir, const char *name, uint64_t *ret, struct diag *d) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        _cleanup_free_ char *text = NULL;
        int r = read_small_file(path, &text);
        if (r < 0)
                return diag_set(d, r, "cannot read %s: %s", path, strerror(-r));
        r = parse_u64(text, ret);
        if (r < 0)
                return diag_set(d, r, "%s holds \"%s\", not a page count", path, text);
        return 0;
}

static void sort_pools(struct hugepage_node *n) {
        for (unsigned i = 1; i < n->n_pools; i++)
                for (unsigned j = i; j > 0 && n->pool[j - 1].page_size > n->pool[j].page_size; j--) {
                        struct hugepage_pool t = n->pool[j];
                        n->pool[j] = n->pool[j - 1];
                        n->pool[j - 1] = t;
                }
}

int hugepages_read_node(const char *sysfs_root, unsigned node, struct hugepage_node *ret, struct diag *d) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/devices/system/node/node%u/hugepages", sysfs_root, node);

        struct hugepage_node n = { 0 };
        DIR *dh = opendir(dir);
        if (!dh) {
                if (errno == ENOENT) {
                        *ret = n;
                        return 0;
                }
                return diag_set(d, -errno, "cannot open %s: %s", dir, strerror(errno));
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(dh)) != NULL) {
                uint64_t kib;
                char unit[8];
                int consumed = 0;
                if (sscanf(de->d_name, "hugepages-%" SCNu64 "%7[kB]%n", &kib, unit, &consumed) != 2 ||
                    strcmp(unit, "kB") != 0 || de->d_name[consumed] != '\0')
                        continue;
                if (n.n_pools == HUGEPAGE_MAX_POOLS)
                        break;
                char pdir[4096 + 256];
                snprintf(pdir, sizeof(pdir), "%s/%s", dir, de->d_name);
                struct hugepage_pool *p = &n.pool[n.n_pools];
                p->page_size = kib * 1024;
                r = read_count(pdir, "nr_hugepages", &p->total, d);
                if (r < 0)
                        break;
                r = read_count(pdir, "free_hugepages", &p->free, d);
                if (r < 0)
                        break;
                n.n_pools++;
        }
        closedir(dh);
        if (r < 0)
                return r;
        sort_pools(&n);
        *ret = n;
        return 0;
}

const struct hugepage_pool *hugepages_find(const struct hugepage_node *n, uint64_t page_size) {
        for (unsigned i = 0; i < n->n_pools; i++)
                if (n->pool[i].page_size == page_size)
                        return &n->pool[i];
        return NULL;
}

int hugepages_set_node(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t count, uint64_t *ret_granted,
                       struct diag *d) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/devices/system/node/node%u/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
                 sysfs_root, node, page_size / 1024);
        FILE *f = fopen(path, "we");
        if (!f)
                return diag_set(d, -errno, "cannot open %s: %s (is this node offering %" PRIu64 " kB pages?)", path,
                                strerror(errno), page_size / 1024);
        fprintf(f, "%" PRIu64 "\n", count);
        if (fclose(f) != 0 && errno != 0)
                return diag_set(d, -errno, "writing %" PRIu64 " to %s failed: %s", count, path, strerror(errno));
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/devices/system/node/node%u/hugepages/hugepages-%" PRIu64 "kB", sysfs_root, node,
                 page_size / 1024);
        return read_count(dir, "nr_hugepages", ret_granted, d);
}

int hugepages_add(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t want_free, uint64_t *ret_found_total,
                  uint64_t *ret_found_free, uint64_t *ret_added, struct diag *d) {
        struct hugepage_node hn;
        int r = hugepages_read_node(sysfs_root, node, &hn, d);
        if (r < 0)
                return r;
        const struct hugepage_pool *p = hugepages_find(&hn, page_size);
        uint64_t total = p ? p->total : 0, free_ = p ? p->free : 0, granted = total;
        *ret_found_total = total;
        *ret_found_free = free_;
        *ret_added = 0;
        if (free_ >= want_free)
                return 0;
        r = hugepages_set_node(sysfs_root, node, page_size, total + want_free - free_, &granted, d);
        *ret_added = granted > total ? granted - total : 0;
        return r;
}

int hugepages_give_back(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t added, uint64_t *ret_returned,
                        struct diag *d) {
        *ret_returned = 0;
        if (added == 0)
                return 0;
        struct hugepage_node hn;
        int r = hugepages_read_node(sysfs_root, node, &hn, d);
        if (r < 0)
                return r;
        const struct hugepage_pool *p = hugepages_find(&hn, page_size);
        uint64_t total = p ? p->total : 0, want = total > added ? total - added : 0, got = total;
        /* Pages still mapped by a process that is just exiting (an agent killed a moment
         * ago) are not freed yet: the kernel keeps them until then.  Ask again for up to
         * a second. */
        for (int i = 0; i < 20; i++) {
                r = hugepages_set_node(sysfs_root, node, page_size, want, &got, d);
                if (r < 0)
                        return r;
                if (got <= want)
                        break;
                nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
        }
        *ret_returned = total > got ? total - got : 0;
        if (got > want)
                return diag_set(d, -EBUSY, "node %u kept %" PRIu64 " of the %" PRIu64 " hugepages isolab added (in use?)", node,
                                got - want, added);
        return 0;
}
