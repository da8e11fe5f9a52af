/* cache — a random walk over a working set the size of the last-level cache: every
 * step is a dependent load from a random cache line (a pointer chase over one random
 * cycle), so the hardware prefetchers cannot help and the neighbour keeps evicting
 * the NF's lines from the shared LLC.  Work: lines visited, in Maccesses/s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agents/noise/noise.h"

#define LINE 64

struct cache_state {
        uint64_t *lines; /* lines[i * 8] holds the index of the next line */
        size_t n;
        size_t bytes;
};

static size_t working_set(const struct noise_opts *o) {
        return (size_t)(o->size ? o->size : noise_llc_bytes());
}

static int cache_supported(const struct noise_opts *o, char *buf, size_t len) {
        if (working_set(o) < 2 * LINE) {
                snprintf(buf, len, "cache: the LLC size is not in /sys/devices/system/cpu/cpu*/cache; give size=");
                return -ENODATA;
        }
        return 0;
}

static void *cache_thread(void *arg) {
        struct noise_run *r = arg;
        struct cache_state *s = r->priv;
        /* Threads start at different points of the same cycle. */
        size_t i = (size_t)(random() % (long)s->n);
        while (!noise_stopping(r)) {
                for (int k = 0; k < 1024; k++)
                        i = s->lines[i * (LINE / 8)];
                noise_add(r, 1024);
        }
        __asm__ volatile("" ::"r"(i));
        return NULL;
}

static int cache_start(struct noise_run *r, char *err, size_t len) {
        struct cache_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->bytes = working_set(&r->o) / LINE * LINE;
        s->n = s->bytes / LINE;
        s->lines = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s->lines == MAP_FAILED) {
                int e = errno;
                free(s);
                snprintf(err, len, "cache: cannot map %zu bytes: %s", working_set(&r->o), strerror(e));
                return -e;
        }
        r->priv = s;
        /* Sattolo's algorithm: a random permutation that is one single cycle, so a walk
         * visits every line before it repeats. */
        size_t *perm = malloc(s->n * sizeof(*perm));
        if (!perm)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++)
                perm[i] = i;
        srandom((unsigned)noise_now_ns());
        for (size_t i = s->n - 1; i > 0; i--) {
                size_t j = (size_t)((((uint64_t)random() << 31) ^ (uint64_t)random()) % i);
                size_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
        }
        for (size_t i = 0; i < s->n; i++)
                s->lines[perm[i] * (LINE / 8)] = perm[(i + 1) % s->n];
        free(perm);
        return noise_spawn_workers(r, cache_thread, 1, err, len);
}

static void cache_stop(struct noise_run *r) {
        struct cache_state *s = r->priv;
        if (!s)
                return;
        munmap(s->lines, s->bytes);
        free(s);
        r->priv = NULL;
}

const struct noise_workload noise_cache = {
        .name = "cache",
        .stresses = "the last-level cache: a random pointer chase over an LLC-sized working set",
        .options = "size=BYTES (the LLC) threads=N (1)",
        .unit = "Maccesses/s",
        .scale = 1e-6,
        .supported = cache_supported,
        .start = cache_start,
        .stop = cache_stop,
};
