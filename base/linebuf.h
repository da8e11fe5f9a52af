/* linebuf — lines from a file descriptor that is read as data comes (a pipe, a
 * non-blocking fd in an event loop): the one line buffer of the controller's runner
 * (agents' replies) and the agents' loop (requests).  Base library. */
#pragma once

#include <stddef.h>

/* A line longer than this is an error (a broken peer, not a reply). */
#define LINEBUF_MAX (64U << 20)

struct linebuf {
        char *buf;
        size_t len, cap;
};

/* One read() from fd into the buffer (grown as needed, always with room for one more
 * byte).  Returns 1 when data came or the read would block / was interrupted, 0 at end
 * of input, -EMSGSIZE for a line over LINEBUF_MAX, -errno for a read error. */
int linebuf_fill(struct linebuf *lb, int fd);

/* The next complete line, without its newline, malloc'ed into *ret: 1, or 0 when no
 * complete line is buffered, -ENOMEM. */
int linebuf_take(struct linebuf *lb, char **ret);

/* At end of input: a last line without its newline becomes a complete one. */
void linebuf_finish(struct linebuf *lb);

void linebuf_free(struct linebuf *lb);
