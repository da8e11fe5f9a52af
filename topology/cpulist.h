/* cpulist — the kernel's CPU list format ("0-3,8,10-11"), parsed strictly.
 *
 * Used for every CPU set isolab reads or writes: sysfs and cgroup files, the kernel
 * command line (isolcpus=, nohz_full=), command-line options and reports.  Sets are
 * hwloc bitmaps, so the planner and hwloc speak the same type. */
#pragma once

#include <hwloc.h>
#include <stddef.h>

/* The largest CPU number accepted.  Linux's NR_CPUS tops out at 8192. */
#define CPULIST_MAX_CPU 8191

/* Parses s into set (replacing its contents).  Accepts what the kernel accepts in
 * cpulist_parse(): comma-separated CPUs and ranges "a-b", each range optionally with a
 * stride group "a-b:used/group" (e.g. "0-15:2/4" = 0,1,4,5,8,9,12,13).  The empty string is
 * the empty set.  Whitespace, empty elements, reversed ranges and numbers above
 * CPULIST_MAX_CPU are rejected.
 *
 * Returns 0, or -EINVAL/-ERANGE; on failure *ret_why (a static string) says what was
 * wrong and *ret_pos is the byte offset of the offending element.  Either may be NULL. */
int cpulist_parse(const char *s, hwloc_bitmap_t set, const char **ret_why, size_t *ret_pos);

/* Formats set in the kernel's canonical list form ("0-3,8"); the empty set is "".
 * Returns a malloc'ed string, or NULL when out of memory. */
char *cpulist_format(hwloc_const_bitmap_t set);

static inline void hwloc_bitmap_freep(hwloc_bitmap_t *b) {
        hwloc_bitmap_free(*b);
}
