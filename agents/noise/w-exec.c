/* exec — any command as the neighbour (stress-ng, apache2 + ab, a real application),
 * run without a shell, in the neighbour's cgroup (it inherits the agent's).  It runs in
 * its own process group, which is signalled at the end (SIGTERM, then SIGKILL after 2 s),
 * and dies with the agent (PR_SET_PDEATHSIG), so no neighbour outlives its trial.  isolab
 * cannot know what the command's work is; its rate is the CPU time it used, in
 * CPU-seconds per second. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agents/noise/noise.h"
#include "base/util.h"

struct exec_state {
        pid_t pid;
        _Atomic uint64_t cpu_us; /* last known: while running from /proc, then from wait4 */
        bool reaped;
        int status;
};

/* Finds argv[0] the way execvp will, so a missing command is an error before the fork. */
static int resolve(const char *cmd, char *buf, size_t len) {
        if (strchr(cmd, '/'))
                return access(cmd, X_OK) == 0 ? (snprintf(buf, len, "%s", cmd), 0) : -errno;
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");
                snprintf(buf, len, "%.*s/%s", (int)n, p, cmd);
                if (n && access(buf, X_OK) == 0)
                        return 0;
                p += n + (p[n] == ':');
        }
        return -ENOENT;
}

static int exec_supported(const struct noise_opts *o, char *buf, size_t len) {
        if (!o->argv || !o->argv[0] || !o->argv[0][0]) {
                snprintf(buf, len, "exec: no command given (isolab-noise --run exec -- CMD ARGS, or --noise-cmd)");
                return -EINVAL;
        }
        char path[512];
        int r = resolve(o->argv[0], path, sizeof(path));
        if (r < 0)
                snprintf(buf, len, "exec: command \"%s\" %s; install it or give its full path", o->argv[0],
                         r == -ENOENT ? "is not found in PATH" : "is not executable");
        return r;
}

static uint64_t child_cpu_us(pid_t pid) {
        char path[64];
        _cleanup_free_ char *text = NULL;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        if (read_small_file(path, &text) < 0)
                return 0;
        const char *p = strrchr(text, ')'); /* the command name may hold spaces */
        unsigned long long ut, st, cut, cst;
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut, &st, &cut, &cst) != 4)
                return 0;
        return (ut + st + cut + cst) * 1000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
}

static uint64_t exec_work(struct noise_run *r) {
        struct exec_state *s = r->priv;
        if (!s)
                return 0;
        if (!s->reaped) {
                uint64_t v = child_cpu_us(s->pid);
                if (v > atomic_load(&s->cpu_us))
                        atomic_store(&s->cpu_us, v);
        }
        return atomic_load(&s->cpu_us);
}

/* A neighbour that is gone before its trial ends disturbed only part of it. */
static int exec_ended(struct noise_run *r, char *buf, size_t len) {
        struct exec_state *s = r->priv;
        struct rusage ru;
        if (!s || s->reaped || s->pid <= 0 || wait4(s->pid, &s->status, WNOHANG, &ru) != s->pid)
                return 0;
        s->reaped = true;
        if (WIFEXITED(s->status))
                snprintf(buf, len, "the command %s exited (status %d) before the trial ended", r->o.argv[0],
                         WEXITSTATUS(s->status));
        else
                snprintf(buf, len, "the command %s was killed (signal %d) before the trial ended", r->o.argv[0],
                         WTERMSIG(s->status));
        return 1;
}

static int exec_start(struct noise_run *r, char *err, size_t len) {
        struct exec_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r->priv = s;
        pid_t parent = getpid();
        s->pid = fork();
        if (s->pid < 0) {
                int e = errno;
                snprintf(err, len, "exec: cannot fork: %s", strerror(e));
                return -e;
        }
        if (s->pid == 0) {
                setpgid(0, 0);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                /* The agent's stdout carries the protocol: the command's output goes to
                 * its stderr instead. */
                dup2(STDERR_FILENO, STDOUT_FILENO);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execvp(r->o.argv[0], r->o.argv);
                fprintf(stderr, "isolab-noise: exec %s: %s\n", r->o.argv[0], strerror(errno));
                _exit(127);
        }
        setpgid(s->pid, s->pid);
        return 0;
}

static void exec_stop(struct noise_run *r) {
        struct exec_state *s = r->priv;
        if (!s)
                return;
        if (s->pid > 0) {
                kill(-s->pid, SIGTERM);
                struct rusage ru;
                for (int i = 0; i < 200 && !s->reaped; i++) {
                        if (wait4(s->pid, &s->status, WNOHANG, &ru) == s->pid)
                                s->reaped = true;
                        else
                                nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
                }
                if (!s->reaped) {
                        kill(-s->pid, SIGKILL);
                        s->reaped = wait4(s->pid, &s->status, 0, &ru) == s->pid;
                }
                kill(-s->pid, SIGKILL); /* what it started in its group */
        }
        free(s);
        r->priv = NULL;
}

const struct noise_workload noise_exec = {
        .name = "exec",
        .stresses = "whatever the command does (stress-ng, apache2 + ab, ...), run without a shell",
        .options = "-- CMD ARGS",
        .unit = "CPU-s/s",
        .scale = 1e-6,
        .supported = exec_supported,
        .start = exec_start,
        .stop = exec_stop,
        .work = exec_work,
        .ended = exec_ended,
};
