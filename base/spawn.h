/* spawn — run a program (never through a shell) and take what it prints on stdout.
 * Base library: the controller asks its agents this way (`isolab-noise --list`). */
#pragma once

#include <stddef.h>

/* Runs argv[0] (a path) with argv, stdin from /dev/null, stderr inherited; its stdout,
 * up to max bytes, NUL-terminated, into *ret_out (malloc'ed).  Returns its exit status
 * (0..255, 128+signal), or -errno when it could not be run at all. */
int spawn_capture(char *const argv[], size_t max, char **ret_out);
/* The same; with SPAWN_STDERR its stderr goes into *ret_out too (a one-sentence
 * refusal a program prints there). */
#define SPAWN_STDERR 1u
int spawn_capture_flags(char *const argv[], size_t max, unsigned flags, char **ret_out);
