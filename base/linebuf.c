/* linebuf — see linebuf.h. */
#include "base/linebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int linebuf_fill(struct linebuf *lb, int fd) {
        if (lb->cap - lb->len < 4096) {
                if (lb->cap >= LINEBUF_MAX && !memchr(lb->buf, '\n', lb->len))
                        return -EMSGSIZE;
                size_t cap = lb->cap ? lb->cap * 2 : 65536;
                char *b = realloc(lb->buf, cap);
                if (!b)
                        return -ENOMEM;
                lb->buf = b;
                lb->cap = cap;
        }
        ssize_t n = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        lb->len += (size_t)n;
        return n > 0;
}

int linebuf_take(struct linebuf *lb, char **ret) {
        char *nl = lb->len ? memchr(lb->buf, '\n', lb->len) : NULL;
        if (!nl)
                return 0;
        size_t n = (size_t)(nl - lb->buf);
        char *line = strndup(lb->buf, n);
        if (!line)
                return -ENOMEM;
        memmove(lb->buf, nl + 1, lb->len - n - 1);
        lb->len -= n + 1;
        *ret = line;
        return 1;
}

void linebuf_finish(struct linebuf *lb) {
        if (lb->len && lb->buf[lb->len - 1] != '\n' && lb->len < lb->cap)
                lb->buf[lb->len++] = '\n'; /* linebuf_fill always leaves room for it */
}

void linebuf_free(struct linebuf *lb) {
        free(lb->buf);
        *lb = (struct linebuf){ 0 };
}
