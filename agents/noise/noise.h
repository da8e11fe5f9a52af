/* noise — the noisy-neighbour workloads of isolab-noise (issue #5).
 *
 * A registry of workloads, one file each (w-<name>.c), one info struct each: what it
 * stresses, its options, whether it can run here (and if not, why), and how to start
 * it.  Every workload counts the work it really did in one counter, so what a report
 * shows is the neighbour's achieved rate (ops/s, MB/s, requests/s), not what it was
 * asked to do; a sampler thread turns the counter into 100 ms rate samples, so a trial
 * also shows how steady the neighbour was.
 *
 * No DPDK here; the code is plain pthreads and Linux system calls, and it is linked into
 * the unit tests, which run each workload for half a second. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOISE_MAX_THREADS 64
#define NOISE_SAMPLE_NS 100000000ULL /* 100 ms */
#define NOISE_MAX_SAMPLES 36000      /* an hour of samples */

struct noise_opts {
        unsigned threads;      /* workers (cpu, cache, membw, idle), ping-pong pairs (ctxsw),
                                * client connections (http); 0: the workload's default */
        double load;           /* cpu: busy percent of every 10 ms (1..100; default 100) */
        uint64_t size;         /* cache, membw: working set in bytes (0: from the LLC size) */
        bool bind_node;        /* membw: bind the buffer to `node` (else the cpuset's mems decide) */
        int node;
        bool keepalive;        /* http: keep connections open (ab -k); default a connection
                                * per request, as ab does without -k */
        char **argv;           /* exec: the command, run without a shell */
};

struct noise_run;

struct noise_workload {
        const char *name;
        const char *stresses;  /* one line for --list and the report */
        const char *options;   /* the options it takes, for --list */
        const char *unit;      /* of the rate: "Mops/s", "MB/s", "requests/s", ... */
        double scale;          /* counter units to rate units */
        /* 0 when it can run with these options here; else a negative errno and the
         * reason, one sentence, in buf.  NULL: it runs anywhere. */
        int (*supported)(const struct noise_opts *o, char *buf, size_t len);
        /* Sets up (buffers, sockets, the child) and starts its threads with noise_spawn().
         * 0, or a negative errno and one sentence in err. */
        int (*start)(struct noise_run *r, char *err, size_t len);
        /* After the threads are joined: frees what start() made. */
        void (*stop)(struct noise_run *r);
        /* Optional: reads the counter itself (exec counts its child's CPU time). */
        uint64_t (*work)(struct noise_run *r);
        /* Optional: before stop(), whether it stopped working by itself (exec: the
         * command exited); then one sentence in buf and 1, else 0. */
        int (*ended)(struct noise_run *r, char *buf, size_t len);
};

struct noise_sample_window {
        uint64_t t0_ns, work0;   /* where the window starts */
        size_t first_sample;     /* the first 100 ms sample inside it */
};

struct noise_run {
        const struct noise_workload *w;
        struct noise_opts o;
        atomic_bool stop;
        _Atomic uint64_t work;   /* the workload's counter */
        unsigned n_threads;
        pthread_t threads[NOISE_MAX_THREADS + 2];
        void *priv;              /* the workload's state */
        uint64_t t_start_ns;

        /* The sampler. */
        pthread_t sampler;
        pthread_mutex_t lock;
        double *samples;         /* rate (in unit) of each 100 ms */
        size_t n_samples;
        struct noise_sample_window win;
};

struct noise_stats {
        double seconds;          /* of the window */
        uint64_t work;           /* counter units in the window */
        double rate;             /* unit per second over the window */
        size_t n_samples;        /* 100 ms samples inside it */
        double min, max, stdev;  /* of those samples */
        char ended[160];         /* "" while it worked to the end; else why it stopped early */
};

extern const struct noise_workload noise_cpu, noise_cache, noise_membw, noise_ctxsw, noise_http, noise_idle, noise_exec;

/* The registry, NULL-terminated, in --list order. */
extern const struct noise_workload *const noise_workloads[];
const struct noise_workload *noise_find(const char *name);

/* w->supported(), or 0 for a workload that runs anywhere. */
int noise_supported(const struct noise_workload *w, const struct noise_opts *o, char *buf, size_t len);

/* Parses "key=value" into o (threads, load, size, node, keepalive).  0, or -EINVAL with
 * one sentence naming the key and what it takes. */
int noise_opt_set(struct noise_opts *o, const char *kv, char *err, size_t len);

/* Starts w with o (o->argv is borrowed for the run).  0, or a negative errno and err. */
int noise_start(struct noise_run *r, const struct noise_workload *w, const struct noise_opts *o, char *err, size_t len);
/* The stats of the current window; reset starts a new window afterwards. */
void noise_stats(struct noise_run *r, bool reset, struct noise_stats *ret);
/* Stops the threads (and the child) and frees everything; the final stats cover the
 * last window. */
void noise_stop(struct noise_run *r, struct noise_stats *ret);

/* For the workloads: starts fn(arg) as one of the run's threads. */
int noise_spawn(struct noise_run *r, void *(*fn)(void *), void *arg);
/* Starts fn(r) o.threads times (or dflt when not given); on failure, err names w. */
int noise_spawn_workers(struct noise_run *r, void *(*fn)(void *), unsigned dflt, char *err, size_t len);
static inline bool noise_stopping(struct noise_run *r) {
        return atomic_load_explicit(&r->stop, memory_order_relaxed);
}
static inline void noise_add(struct noise_run *r, uint64_t n) {
        atomic_fetch_add_explicit(&r->work, n, memory_order_relaxed);
}
uint64_t noise_now_ns(void);
/* The size of the last-level cache of the CPU this thread runs on, from sysfs; 0 when
 * unknown. */
uint64_t noise_llc_bytes(void);
