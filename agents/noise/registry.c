/* noise registry and run — see noise.h. */
#include "agents/noise/noise.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

const struct noise_workload *const noise_workloads[] = {
        &noise_cpu, &noise_cache, &noise_membw, &noise_ctxsw, &noise_http, &noise_idle, &noise_exec, NULL,
};

const struct noise_workload *noise_find(const char *name) {
        for (size_t i = 0; noise_workloads[i]; i++)
                if (strcmp(noise_workloads[i]->name, name) == 0)
                        return noise_workloads[i];
        return NULL;
}

int noise_supported(const struct noise_workload *w, const struct noise_opts *o, char *buf, size_t len) {
        return w->supported ? w->supported(o, buf, len) : 0;
}

uint64_t noise_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t noise_llc_bytes(void) {
        int cpu = sched_getcpu();
        uint64_t best = 0;
        for (int idx = 0; idx < 8; idx++) {
                char path[128];
                _cleanup_free_ char *type = NULL, *size = NULL;
                snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cache/index%d/type", cpu < 0 ? 0 : cpu, idx);
                if (read_small_file(path, &type) < 0)
                        break;
                if (strcmp(type, "Instruction") == 0)
                        continue;
                snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cache/index%d/size", cpu < 0 ? 0 : cpu, idx);
                uint64_t v;
                if (read_small_file(path, &size) == 0 && parse_size(size, &v) == 0 && v > best)
                        best = v; /* "32768K": parse_size takes binary suffixes */
        }
        return best;
}

int noise_opt_set(struct noise_opts *o, const char *kv, char *err, size_t len) {
        const char *eq = strchr(kv, '=');
        if (!eq) {
                snprintf(err, len, "noise option \"%s\" is not key=value (threads, load, size, node, keepalive)", kv);
                return -EINVAL;
        }
        size_t kl = (size_t)(eq - kv);
        const char *v = eq + 1;
        uint64_t u;
        char *end;
        if (kl == 7 && strncmp(kv, "threads", kl) == 0) {
                if (parse_u64(v, &u) < 0 || u < 1 || u > NOISE_MAX_THREADS / 2) {
                        snprintf(err, len, "noise option threads=%s: give 1..%d", v, NOISE_MAX_THREADS / 2);
                        return -EINVAL;
                }
                o->threads = (unsigned)u;
        } else if (kl == 4 && strncmp(kv, "load", kl) == 0) {
                double d = strtod(v, &end);
                if (!*v || *end || !(d >= 1 && d <= 100)) {
                        snprintf(err, len, "noise option load=%s: give a percentage 1..100", v);
                        return -EINVAL;
                }
                o->load = d;
        } else if (kl == 4 && strncmp(kv, "size", kl) == 0) {
                if (parse_size(v, &u) < 0 || u < 4096) {
                        snprintf(err, len, "noise option size=%s: give a size of 4K or more, e.g. 32M", v);
                        return -EINVAL;
                }
                o->size = u;
        } else if (kl == 4 && strncmp(kv, "node", kl) == 0) {
                if (parse_u64(v, &u) < 0 || u > 1023) {
                        snprintf(err, len, "noise option node=%s: give a NUMA node number", v);
                        return -EINVAL;
                }
                o->node = (int)u;
                o->bind_node = true;
        } else if (kl == 9 && strncmp(kv, "keepalive", kl) == 0) {
                if (strcmp(v, "0") && strcmp(v, "1")) {
                        snprintf(err, len, "noise option keepalive=%s: give 0 or 1", v);
                        return -EINVAL;
                }
                o->keepalive = v[0] == '1';
        } else {
                snprintf(err, len, "unknown noise option \"%.*s\" (threads, load, size, node, keepalive)", (int)kl, kv);
                return -EINVAL;
        }
        return 0;
}

static uint64_t read_work(struct noise_run *r) {
        return r->w->work ? r->w->work(r) : atomic_load_explicit(&r->work, memory_order_relaxed);
}

static void *sampler(void *arg) {
        struct noise_run *r = arg;
        uint64_t t = noise_now_ns(), w = read_work(r);
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);
        while (!noise_stopping(r)) {
                next.tv_nsec += (long)NOISE_SAMPLE_NS;
                if (next.tv_nsec >= 1000000000L) {
                        next.tv_nsec -= 1000000000L;
                        next.tv_sec++;
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
                uint64_t t1 = noise_now_ns(), w1 = read_work(r);
                pthread_mutex_lock(&r->lock);
                if (r->n_samples < NOISE_MAX_SAMPLES && t1 > t)
                        r->samples[r->n_samples++] = (double)(w1 - w) * r->w->scale / ((double)(t1 - t) / 1e9);
                pthread_mutex_unlock(&r->lock);
                t = t1;
                w = w1;
        }
        return NULL;
}

int noise_spawn(struct noise_run *r, void *(*fn)(void *), void *arg) {
        if (r->n_threads >= ELEMENTSOF(r->threads))
                return -E2BIG;
        int e = pthread_create(&r->threads[r->n_threads], NULL, fn, arg);
        if (e)
                return -e;
        r->n_threads++;
        return 0;
}

int noise_spawn_workers(struct noise_run *r, void *(*fn)(void *), unsigned dflt, char *err, size_t len) {
        unsigned n = r->o.threads ? r->o.threads : dflt;
        for (unsigned i = 0; i < n; i++) {
                int rc = noise_spawn(r, fn, r);
                if (rc < 0) {
                        snprintf(err, len, "%s: cannot start thread %u of %u: %s", r->w->name, i + 1, n, strerror(-rc));
                        return rc;
                }
        }
        return 0;
}

static void join_all(struct noise_run *r) {
        atomic_store(&r->stop, true);
        for (unsigned i = 0; i < r->n_threads; i++)
                pthread_join(r->threads[i], NULL);
        r->n_threads = 0;
}

static void release(struct noise_run *r) {
        join_all(r);
        if (r->w->stop)
                r->w->stop(r);
        pthread_mutex_destroy(&r->lock);
        free(r->samples);
        r->samples = NULL;
        r->w = NULL;
}

int noise_start(struct noise_run *r, const struct noise_workload *w, const struct noise_opts *o, char *err, size_t len) {
        memset(r, 0, sizeof(*r));
        int rc = noise_supported(w, o, err, len);
        if (rc < 0)
                return rc;
        r->w = w;
        r->o = *o;
        r->samples = calloc(NOISE_MAX_SAMPLES, sizeof(double));
        if (!r->samples) {
                r->w = NULL;
                return -ENOMEM;
        }
        pthread_mutex_init(&r->lock, NULL);
        r->t_start_ns = noise_now_ns();
        if ((rc = w->start(r, err, len)) < 0) {
                release(r);
                return rc;
        }
        r->win = (struct noise_sample_window){ noise_now_ns(), read_work(r), 0 };
        int e = pthread_create(&r->sampler, NULL, sampler, r);
        if (e) {
                release(r);
                snprintf(err, len, "cannot start the sampler thread: %s", strerror(e));
                return -e;
        }
        return 0;
}

void noise_stats(struct noise_run *r, bool reset, struct noise_stats *ret) {
        uint64_t t = noise_now_ns(), w = read_work(r);
        pthread_mutex_lock(&r->lock);
        struct noise_stats s = { .seconds = (double)(t - r->win.t0_ns) / 1e9, .work = w - r->win.work0 };
        s.rate = s.seconds > 0 ? (double)s.work * r->w->scale / s.seconds : 0;
        double sum = 0, sq = 0;
        s.min = INFINITY;
        s.max = 0;
        for (size_t i = r->win.first_sample; i < r->n_samples; i++) {
                double v = r->samples[i];
                sum += v;
                sq += v * v;
                s.min = v < s.min ? v : s.min;
                s.max = v > s.max ? v : s.max;
                s.n_samples++;
        }
        if (s.n_samples) {
                double mean = sum / (double)s.n_samples;
                double var = sq / (double)s.n_samples - mean * mean;
                s.stdev = var > 0 ? sqrt(var) : 0;
        } else {
                s.min = 0;
        }
        if (reset)
                r->win = (struct noise_sample_window){ t, w, r->n_samples };
        pthread_mutex_unlock(&r->lock);
        if (ret)
                *ret = s;
}

void noise_stop(struct noise_run *r, struct noise_stats *ret) {
        if (!r->w)
                return;
        noise_stats(r, false, ret); /* before the threads end: the rate of a running workload */
        if (ret) {
                ret->ended[0] = '\0';
                if (r->w->ended)
                        r->w->ended(r, ret->ended, sizeof(ret->ended));
        }
        atomic_store(&r->stop, true);
        pthread_join(r->sampler, NULL);
        release(r);
}
