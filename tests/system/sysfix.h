/* sysfix — shared fixtures for system tests that change the machine.
 *
 * The hugepage reservation is one global number per node and size: two tests that
 * read-modify-write it at once restore each other's values out of order (Criterion
 * runs tests in parallel).  Such tests hold sysfix_lock() from setup to teardown. */
#pragma once

#define SYSFIX_NR_2M "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"

/* Takes an exclusive lock shared by every test process of this binary (flock on the
 * executable itself: nothing is left behind).  Returns the fd to pass to sysfix_unlock,
 * or -errno. */
int sysfix_lock(void);
void sysfix_unlock(int fd);

/* Reads or writes a sysfs number; read returns -1 on failure. */
long sysfix_read_long(const char *path);
int sysfix_write_long(const char *path, long v);

/* Removes a test's temporary directory (or a DPDK runtime directory) and everything in
 * it.  Returns 0 or -errno. */
int sysfix_rm_rf(const char *path);
