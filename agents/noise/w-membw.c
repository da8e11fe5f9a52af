/* membw — streaming reads and writes over a large buffer (each 8-byte word read and
 * written back, in order, so the prefetchers run at full speed): the memory bandwidth
 * and the memory controller of a node.  node=N binds the buffer there (mbind; without
 * it the buffer lands where the cgroup's cpuset.mems puts it).  Work: bytes moved
 * (read + written), in MB/s. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agents/noise/noise.h"
#include "base/util.h"

#define MEMBW_DEFAULT (256ULL << 20)
#define MEMBW_BIND 2 /* MPOL_BIND, without libnuma's header */

struct membw_state {
        uint64_t *buf;
        size_t bytes;
        unsigned n;
        _Atomic unsigned next_slice;
};

static size_t buffer_size(const struct noise_opts *o) {
        if (o->size)
                return (size_t)o->size;
        uint64_t llc = noise_llc_bytes();
        return (size_t)(8 * llc > MEMBW_DEFAULT ? 8 * llc : MEMBW_DEFAULT);
}

static int membw_supported(const struct noise_opts *o, char *buf, size_t len) {
        if (o->bind_node) {
                char path[96];
                snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", o->node);
                if (access(path, F_OK) != 0) {
                        snprintf(buf, len, "membw: node=%d does not exist here (see /sys/devices/system/node)", o->node);
                        return -ENODEV;
                }
        }
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[128];
        while (f && fgets(line, sizeof(line), f)) {
                unsigned long long kb;
                if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1 && buffer_size(o) > kb * 1024 / 2) {
                        snprintf(buf, len, "membw: a %zu MiB buffer is more than half the available memory (%llu MiB); give a "
                                           "smaller size=",
                                 buffer_size(o) >> 20, kb >> 10);
                        return -ENOMEM;
                }
        }
        return 0;
}

static void *membw_thread(void *arg) {
        struct noise_run *r = arg;
        struct membw_state *s = r->priv;
        unsigned me = atomic_fetch_add(&s->next_slice, 1);
        size_t words = s->bytes / 8 / s->n;
        uint64_t *a = s->buf + (size_t)me * words;
        const size_t chunk = 8192; /* words between counter updates: 64 KiB */
        while (!noise_stopping(r)) {
                for (size_t i = 0; i < words && !noise_stopping(r); i += chunk) {
                        size_t end = i + chunk < words ? i + chunk : words;
                        for (size_t k = i; k < end; k++)
                                a[k] += k;
                        noise_add(r, (end - i) * 16);
                }
        }
        return NULL;
}

static int membw_start(struct noise_run *r, char *err, size_t len) {
        struct membw_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->n = r->o.threads ? r->o.threads : 1;
        s->bytes = buffer_size(&r->o) / (8 * s->n) * (8 * s->n);
        s->buf = mmap(NULL, s->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (s->buf == MAP_FAILED) {
                int e = errno;
                free(s);
                snprintf(err, len, "membw: cannot map %zu MiB: %s", buffer_size(&r->o) >> 20, strerror(e));
                return -e;
        }
        r->priv = s;
        if (r->o.bind_node) {
                unsigned long mask[16] = { 0 };
                mask[r->o.node / 64] = 1UL << (r->o.node % 64);
                if (syscall(SYS_mbind, s->buf, s->bytes, MEMBW_BIND, mask, 1024UL, 0UL) < 0) {
                        int e = errno;
                        snprintf(err, len, "membw: cannot bind the buffer to node %d: %s", r->o.node, strerror(e));
                        return -e;
                }
        }
        memset(s->buf, 1, s->bytes); /* touch it now: the pages land on the node before the trial */
        return noise_spawn_workers(r, membw_thread, 1, err, len);
}

static void membw_stop(struct noise_run *r) {
        struct membw_state *s = r->priv;
        if (!s)
                return;
        munmap(s->buf, s->bytes);
        free(s);
        r->priv = NULL;
}

const struct noise_workload noise_membw = {
        .name = "membw",
        .stresses = "memory bandwidth: streaming reads and writes over a large buffer",
        .options = "size=BYTES (256M or 8x the LLC) node=N (the cpuset's) threads=N (1)",
        .unit = "MB/s",
        .scale = 1e-6,
        .supported = membw_supported,
        .start = membw_start,
        .stop = membw_stop,
};
