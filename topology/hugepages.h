/* hugepages — per-NUMA-node hugepage pools as the kernel reports them in sysfs.
 *
 * DPDK backs its memory with hugepages; a PMD whose mbufs sit on the other socket pays
 * a remote access for every packet.  The planner therefore reads the pools node by node
 * (/sys/devices/system/node/nodeN/hugepages/hugepages-<size>kB/{nr,free}_hugepages),
 * not the system-wide totals in /proc/meminfo. */
#pragma once

#include <stdint.h>

#include "base/diag.h"

#define HUGEPAGE_MAX_POOLS 4

struct hugepage_pool {
        uint64_t page_size; /* bytes */
        uint64_t total;     /* pages reserved in the pool (nr_hugepages) */
        uint64_t free;      /* pages not in use (free_hugepages) */
};

struct hugepage_node {
        unsigned n_pools;                             /* pools found, sorted by page size */
        struct hugepage_pool pool[HUGEPAGE_MAX_POOLS];
};

/* Reads node's pools below sysfs_root (normally "/sys"; tests pass a temporary tree).
 * A node without a hugepages directory (kernel without hugetlbfs) has no pools and is
 * not an error.  Returns 0 or -errno with d set. */
int hugepages_read_node(const char *sysfs_root, unsigned node, struct hugepage_node *ret, struct diag *d);

/* The pool of the given page size, or NULL. */
const struct hugepage_pool *hugepages_find(const struct hugepage_node *n, uint64_t page_size);

/* Sets node's reservation of page_size pages to count and reads back what the kernel
 * granted (it may give fewer when memory is fragmented).  Returns 0 with *ret_granted,
 * or -errno with d naming the sysfs file. */
int hugepages_set_node(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t count, uint64_t *ret_granted,
                       struct diag *d);

/* What a run does to a node's reservation, so that other users' changes survive it: it
 * adds only what it lacks and later gives back only what it added.
 *
 * hugepages_add: reads the pool, and when fewer than want_free pages are free raises the
 * reservation by the difference.  Returns 0 with what it found and what the kernel
 * really added (it may add fewer), or -errno with d set (*ret_added is still right). */
int hugepages_add(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t want_free, uint64_t *ret_found_total,
                  uint64_t *ret_found_free, uint64_t *ret_added, struct diag *d);

/* hugepages_give_back: lowers the reservation by added from whatever it is now (an admin
 * may have changed it meanwhile; that change stays), never below 0.  Returns 0 with the
 * pages returned, -EBUSY when the kernel kept some (in use), or -errno. */
int hugepages_give_back(const char *sysfs_root, unsigned node, uint64_t page_size, uint64_t added, uint64_t *ret_returned,
                        struct diag *d);
