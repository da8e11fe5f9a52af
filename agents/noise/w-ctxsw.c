/* ctxsw — pairs of threads passing one byte back and forth through two pipes: every
 * hand-over is a sleep, a wake-up and a context switch, so the neighbour is all
 * scheduler and kernel time (the kind of neighbour that makes a shared CPU's run
 * queue busy).  Work: round trips, each two switches, in round-trips/s. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/noise/noise.h"

struct pair {
        struct noise_run *r;
        int ping[2], pong[2];
};

struct ctxsw_state {
        struct pair p[NOISE_MAX_THREADS / 2];
        unsigned n;
};

/* The side that starts: writes, waits for the answer, counts. */
static void *ping_thread(void *arg) {
        struct pair *p = arg;
        char c = 'x';
        while (!noise_stopping(p->r)) {
                if (write(p->ping[1], &c, 1) != 1 || read(p->pong[0], &c, 1) != 1)
                        break;
                noise_add(p->r, 1);
        }
        close(p->ping[1]); /* the other side reads EOF and ends */
        p->ping[1] = -1;
        return NULL;
}

static void *pong_thread(void *arg) {
        struct pair *p = arg;
        char c;
        while (read(p->ping[0], &c, 1) == 1)
                if (write(p->pong[1], &c, 1) != 1)
                        break;
        return NULL;
}

static int ctxsw_start(struct noise_run *r, char *err, size_t len) {
        struct ctxsw_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r->priv = s;
        unsigned n = r->o.threads ? r->o.threads : 1;
        for (unsigned i = 0; i < n; i++) {
                struct pair *p = &s->p[i];
                p->r = r;
                p->ping[0] = p->ping[1] = p->pong[0] = p->pong[1] = -1;
                s->n++;
                if (pipe2(p->ping, O_CLOEXEC) < 0 || pipe2(p->pong, O_CLOEXEC) < 0) {
                        int e = errno;
                        snprintf(err, len, "ctxsw: cannot make a pipe: %s", strerror(e));
                        return -e;
                }
                int rc = noise_spawn(r, pong_thread, p);
                if (rc >= 0)
                        rc = noise_spawn(r, ping_thread, p);
                if (rc < 0) {
                        snprintf(err, len, "ctxsw: cannot start the threads of pair %u", i);
                        if (p->ping[1] >= 0)
                                close(p->ping[1]);
                        p->ping[1] = -1;
                        return rc;
                }
        }
        return 0;
}

static void ctxsw_stop(struct noise_run *r) {
        struct ctxsw_state *s = r->priv;
        if (!s)
                return;
        for (unsigned i = 0; i < s->n; i++) {
                int *fds[] = { &s->p[i].ping[0], &s->p[i].ping[1], &s->p[i].pong[0], &s->p[i].pong[1] };
                for (size_t k = 0; k < 4; k++)
                        if (*fds[k] >= 0)
                                close(*fds[k]);
        }
        free(s);
        r->priv = NULL;
}

const struct noise_workload noise_ctxsw = {
        .name = "ctxsw",
        .stresses = "the scheduler and the kernel: thread pairs ping-ponging a byte through pipes",
        .options = "threads=PAIRS (1)",
        .unit = "round-trips/s",
        .scale = 1,
        .start = ctxsw_start,
        .stop = ctxsw_stop,
};
