/* util — base library: small helpers every part may use (controller, topology, agents):
 * cleanup attributes in the manner of systemd's alloc-util.h/fd-util.h, and strict
 * number parsing. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) {
        free(*(void **)p);
}
static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                               \
        ({                                        \
                __typeof__(p) _p_ = (p);          \
                (p) = NULL;                       \
                _p_;                              \
        })

/* Reads a whole small file (sysfs, procfs) into a NUL-terminated malloc'ed string with
 * trailing newlines removed.  Returns 0 or -errno. */
int read_small_file(const char *path, char **ret);

/* The first line of a small file, without its newline, into buf; "" when it cannot be
 * read. */
void read_first_line(const char *path, char *buf, size_t len);

/* Parses a whole decimal unsigned number: no sign, no spaces, no trailing text.
 * Returns 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
/* A plain decimal number at the start of s ("12.5", ".5"; no sign, exponent, hex, inf or
 * nan, which strtod would take): its value and where it ends.  Returns 0 or -EINVAL. */
int parse_decimal(const char *s, double *ret, const char **ret_end);

/* Parses a size with an optional binary suffix: "512", "2M", "2MiB", "1G", "1GB", "64K".
 * All suffixes are powers of 1024 (hugepage sizes are).  Returns 0, -EINVAL or -ERANGE. */
int parse_size(const char *s, uint64_t *ret);

/* Formats a byte count the way hugepage sizes are spoken: "2 MiB", "1 GiB", "4 KiB",
 * "1536 MiB".  Exact: it picks the largest unit that divides the value. */
const char *format_size(uint64_t bytes, char *buf, size_t len);

/* Appends name to a list being made in buf ("a", "a or b", "a, b or c"): item i of n. */
void join_or(char *buf, size_t len, size_t i, size_t n, const char *name);
