/* spawn — run a program (never through a shell) and take what it prints on stdout.
 * Base library: the controller asks its agents this way (`isolab-noise --list`). */
#pragma once

#include <stddef.h>

/* Runs argv[0] (a path) with argv, stdin from /dev/null, stderr inherited; its stdout,
 * up to max bytes, NUL-terminated, into *ret_out (malloc'ed).  Returns its exit status
 * (0..255, 128+signal), or -errno when it could not be run at all. */
int spawn_capture(char *const argv[], size_t max, char **ret_out);
