/* spawn — see spawn.h. */
#include "base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int spawn_capture_flags(char *const argv[], size_t max, unsigned flags, char **ret_out) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return -e;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY);
                if (null >= 0)
                        dup2(null, STDIN_FILENO);
                dup2(p[1], STDOUT_FILENO);
                if (flags & SPAWN_STDERR)
                        dup2(p[1], STDERR_FILENO);
                execv(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap + 1);
        for (ssize_t n; buf;) {
                if (len == cap) {
                        if (cap >= max)
                                break; /* the rest is read and dropped below */
                        char *b = realloc(buf, 2 * cap + 1);
                        if (!b) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = b;
                        cap *= 2;
                }
                n = read(p[0], buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        char sink[4096];
        while (read(p[0], sink, sizeof(sink)) > 0)
                ;
        close(p[0]);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!buf)
                return -ENOMEM;
        buf[len] = '\0';
        *ret_out = buf;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int spawn_capture(char *const argv[], size_t max, char **ret_out) {
        return spawn_capture_flags(argv, max, 0, ret_out);
}
