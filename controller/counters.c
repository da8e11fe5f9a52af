/* counters — see counters.h. */
#include "controller/counters.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* NSpid's last number (the id in the process's own namespace) of /proc/PID/task/TID. */
static pid_t ns_tid(pid_t pid, pid_t tid, int *levels) {
        _cleanup_free_ char *text = NULL;
        if (thread_file(pid, tid, "status", &text) < 0)
                return 0;
        const char *p = strstr(text, "NSpid:");
        if (!p)
                return 0;
        pid_t last = 0;
        int n = 0;
        for (char *end = (char *)p + 6;; n++) {
                long v = strtol(end, &end, 10);
                if (v <= 0)
                        break;
                last = (pid_t)v;
        }
        *levels = n;
        return last;
}

struct tid_find {
        pid_t ns, host;
};

static int match_ns_tid(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        (void)comm;
        struct tid_find *f = ctx;
        int levels = 0;
        if (ns_tid(pid, tid, &levels) == f->ns && levels > 1)
                f->host = tid;
        return 0;
}

pid_t host_tid(pid_t pid, pid_t tid) {
        int levels = 0;
        if (ns_tid(pid, pid, &levels) <= 0 || levels <= 1)
                return tid; /* the host's own namespace: the same id */
        struct tid_find f = { tid, 0 };
        threads_foreach(pid, match_ns_tid, &f);
        return f.host;
}

void sched_read(pid_t pid, json_t *lcores, struct sched_snap *s) {
        *s = (struct sched_snap){ 0 };
        size_t i;
        json_t *lc;
        json_array_foreach(lcores, i, lc) {
                /* The NF names its threads in its own namespace (in a container, its own). */
                int tid = (int)host_tid(pid, (pid_t)json_integer_value(json_object_get(lc, "tid")));
                char path[96];
                _cleanup_free_ char *text = NULL;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, tid);
                if (read_small_file(path, &text) == 0) {
                        uint64_t a, b;
                        if (sscanf(text, "%" SCNu64 " %" SCNu64, &a, &b) == 2) {
                                s->run_ns += a;
                                s->wait_ns += b;
                        }
                }
                free(text);
                text = NULL;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, tid);
                if (read_small_file(path, &text) == 0) {
                        const char *p = strstr(text, "nonvoluntary_ctxt_switches:");
                        uint64_t v;
                        if (p && sscanf(p + 27, "%" SCNu64, &v) == 1)
                                s->nonvoluntary += v;
                }
        }
}

int thread_file(pid_t pid, pid_t tid, const char *name, char **ret) {
        char path[96];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
        return read_small_file(path, ret);
}

int threads_foreach(pid_t pid, int (*fn)(pid_t pid, pid_t tid, const char *comm, void *ctx), void *ctx) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *dh = opendir(path);
        if (!dh)
                return -errno;
        int r = 0;
        for (struct dirent *e; r >= 0 && (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] < '1' || e->d_name[0] > '9')
                        continue;
                pid_t tid = (pid_t)atoi(e->d_name);
                _cleanup_free_ char *comm = NULL;
                if (thread_file(pid, tid, "comm", &comm) < 0)
                        continue; /* it ended */
                comm[strcspn(comm, "\n")] = '\0';
                r = fn(pid, tid, comm, ctx);
        }
        closedir(dh);
        return r < 0 ? r : 0;
}

/* A thread's CPU time (its schedstat's first field), 0 when it ended. */
static uint64_t thread_run_ns(pid_t pid, pid_t tid) {
        _cleanup_free_ char *text = NULL;
        uint64_t v;
        return thread_file(pid, tid, "schedstat", &text) == 0 && sscanf(text, "%" SCNu64, &v) == 1 ? v : 0;
}

static int add_run_ns(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        (void)comm;
        *(uint64_t *)ctx += thread_run_ns(pid, tid);
        return 0;
}

/* CPU time of all of a process's threads (the NF's PMD lcores plus its control,
 * interrupt and telemetry threads), to show what the quota spent beside the PMDs. */
uint64_t process_run_ns(pid_t pid) {
        uint64_t sum = 0;
        threads_foreach(pid, add_run_ns, &sum);
        return sum;
}

/* A thread's class by its name: OVS names its threads (pmd-c01/id:8, handler6,
 * revalidator7, urcu3), DPDK 22.11 its worker lcores (rte-worker-1; lcore-worker-1 in
 * later releases); the process's first thread is "main". */
static const char *thread_class(const char *comm, bool first) {
        static const struct {
                const char *prefix, *cls;
        } classes[] = { { "pmd", "pmd" },           { "handler", "handler" }, { "revalidator", "revalidator" },
                        { "urcu", "urcu" },         { "rte-worker", "lcore" },  { "lcore-worker", "lcore" },
                        { "eal-intr", "eal" },      { "telemetry", "eal" } };
        if (first)
                return "main";
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                if (strncmp(comm, classes[i].prefix, strlen(classes[i].prefix)) == 0)
                        return classes[i].cls;
        return "other";
}

bool thread_polls(const char *comm) {
        const char *cls = thread_class(comm, false);
        return strcmp(cls, "pmd") == 0 || strcmp(cls, "lcore") == 0;
}

static int add_migrations(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        if (!thread_polls(comm))
                return 0;
        _cleanup_free_ char *sched = NULL;
        const char *m = thread_file(pid, tid, "sched", &sched) == 0 ? strstr(sched, "se.nr_migrations") : NULL;
        m = m ? strchr(m, ':') : NULL;
        if (m)
                *(uint64_t *)ctx += strtoull(m + 1, NULL, 10);
        return 0;
}

uint64_t polling_migrations(pid_t pid) {
        uint64_t sum = 0;
        threads_foreach(pid, add_migrations, &sum);
        return sum;
}

static int add_class_ns(pid_t pid, pid_t tid, const char *comm, void *ctx) {
        json_t *o = ctx;
        const char *cls = thread_class(comm, tid == pid);
        json_t *cur = json_object_get(o, cls);
        json_object_set_new(o, cls, json_integer((cur ? json_integer_value(cur) : 0) + (json_int_t)thread_run_ns(pid, tid)));
        return 0;
}

json_t *thread_classes_ns(pid_t pid) {
        json_t *o = json_object();
        threads_foreach(pid, add_class_ns, o);
        return o;
}

json_t *thread_classes_delta(json_t *a, json_t *b) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(b, k, v) {
                json_int_t d = json_integer_value(v) - json_integer_value(json_object_get(a, k));
                json_object_set_new(o, k, json_integer(d > 0 ? d : 0)); /* a thread that ended takes its time along */
        }
        return o;
}

/* Where a process's hugepage memory really is: /proc/PID/numa_maps lists each mapping with
 * its pages per node ("N0=64") and page size.  Returns {"NODE": bytes, ...}. */
json_t *numa_huge_json(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/numa_maps", (int)pid);
        json_t *o = json_object();
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                if (!strstr(line, " huge "))
                        continue;
                const char *ps = strstr(line, "kernelpagesize_kB=");
                uint64_t kb = ps ? strtoull(ps + 18, NULL, 10) : 0;
                for (char *t = strstr(line, " N"); t; t = strstr(t + 1, " N")) {
                        unsigned node;
                        uint64_t pages;
                        if (sscanf(t, " N%u=%" SCNu64, &node, &pages) != 2)
                                continue;
                        char key[16];
                        snprintf(key, sizeof(key), "%u", node);
                        json_int_t cur = json_integer_value(json_object_get(o, key));
                        json_object_set_new(o, key, json_integer(cur + (json_int_t)(pages * kb * 1024)));
                }
        }
        return o;
}

json_int_t sum_lcores(json_t *stats, const char *key) {
        json_int_t sum = 0;
        size_t i;
        json_t *lc;
        json_array_foreach(json_object_get(stats, "lcores"), i, lc) sum += json_integer_value(json_object_get(lc, key));
        return sum;
}

double max_lcores(json_t *stats, const char *key) {
        double m = 0;
        size_t i;
        json_t *lc;
        json_array_foreach(json_object_get(stats, "lcores"), i, lc) {
                double v = json_number_value(json_object_get(lc, key));
                if (v > m)
                        m = v;
        }
        return m;
}

/* The trial's poll-gap histogram, all PMD lcores together: [[ge_ns, count], ...] of
 * the gaps between s0 and s1 (buckets are powers of two of TSC cycles). */
json_t *gap_delta(json_t *s0, json_t *s1) {
        double ge[64];
        json_int_t n[64];
        size_t nb = 0;
        for (int pass = 0; pass < 2; pass++) {
                size_t i, j;
                json_t *lc, *g;
                json_array_foreach(json_object_get(pass ? s0 : s1, "lcores"), i, lc)
                        json_array_foreach(json_object_get(lc, "poll_gaps"), j, g) {
                                double e = json_number_value(json_object_get(g, "ge_ns"));
                                json_int_t c = json_integer_value(json_object_get(g, "count"));
                                size_t k = 0;
                                while (k < nb && ge[k] != e)
                                        k++;
                                if (k == nb) {
                                        if (nb == 64)
                                                continue;
                                        ge[nb] = e;
                                        n[nb++] = 0;
                                }
                                n[k] += pass ? -c : c;
                        }
        }
        json_t *a = json_array();
        for (size_t k = 0; k < nb; k++)
                if (n[k] > 0)
                        json_array_append_new(a, json_pack("[f, I]", ge[k], n[k]));
        return a;
}

double counter_share(double part, double window, unsigned n) {
        if (!(window > 0) || n == 0 || !(part > 0))
                return 0;
        double v = part / window / n;
        return v > 1 ? 1 : v;
}

json_t *loss_parts(const struct loss_counts *c) {
        uint64_t lost = c->offered > c->received ? c->offered - c->received : 0;
        uint64_t refused = c->offered > c->sent ? c->offered - c->sent : 0;
        uint64_t known = refused + c->gen_rx_missed + (c->nf_known ? c->nf_rx_missed + c->nf_tx_drops : 0);
        json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:I}", "lost", (json_int_t)lost, "link_refused_means",
                              c->virtual_link ? "nf_rx_ring_full" : "gen_tx_ring_full", "link_refused", (json_int_t)refused,
                              "gen_rx_missed", (json_int_t)c->gen_rx_missed, "unseen",
                              (json_int_t)(lost > known ? lost - known : 0));
        json_object_set_new(j, "nf_rx_missed", c->nf_known ? json_integer((json_int_t)c->nf_rx_missed) : json_null());
        json_object_set_new(j, "nf_tx_drops", c->nf_known ? json_integer((json_int_t)c->nf_tx_drops) : json_null());
        if (known > lost)
                json_object_set_new(j, "overcounted", json_integer((json_int_t)(known - lost)));
        return j;
}

json_t *series_summary(json_t *series) {
        json_t *due = json_object_get(series, "due"), *sent = json_object_get(series, "sent"),
               *rx = json_object_get(series, "received");
        json_int_t bucket_ns = json_integer_value(json_object_get(series, "bucket_ns"));
        size_t n = json_array_size(due);
        if (!json_is_array(due) || json_array_size(sent) != n || json_array_size(rx) != n || bucket_ns <= 0)
                return NULL;
        size_t behind = 0, silent = 0, run = 0, longest = 0;
        for (size_t i = 0; i < n; i++) {
                json_int_t d = json_integer_value(json_array_get(due, i)), s = json_integer_value(json_array_get(sent, i)),
                           r = json_integer_value(json_array_get(rx, i));
                if (d > 0 && s * 10 < d * 9)
                        behind++;
                if (d > 0 && r == 0) {
                        silent++;
                        if (++run > longest)
                                longest = run;
                } else {
                        run = 0;
                }
        }
        double ms = (double)bucket_ns / 1e6;
        return json_pack("{s:I, s:I, s:f, s:f, s:f}", "buckets", (json_int_t)n, "bucket_ns", bucket_ns, "gen_behind_ms",
                         (double)behind * ms, "silent_ms", (double)silent * ms, "longest_silence_ms", (double)longest * ms);
}

bool procstat_cpu(FILE *f, int cpu, uint64_t ticks[3]) {
        char want[24], *line = NULL;
        size_t cap = 0;
        bool found = false;
        snprintf(want, sizeof(want), "cpu%d ", cpu);
        while (!found && getline(&line, &cap, f) > 0) {
                if (strncmp(line, want, strlen(want)) != 0)
                        continue;
                uint64_t v[8];
                /* user nice system idle iowait irq softirq steal */
                if (sscanf(line + strlen(want), "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                                                " %" SCNu64 " %" SCNu64,
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
                        ticks[0] = v[5], ticks[1] = v[6], ticks[2] = v[7];
                        found = true;
                }
        }
        free(line);
        return found;
}

unsigned softirqs_cpu(FILE *f, int cpu, char kind[][12], uint64_t *count, unsigned max) {
        char *line = NULL;
        size_t cap = 0;
        int col = -1;
        unsigned n = 0;
        /* The header names the online CPUs' columns: "CPU0 CPU1 ..." (an offline CPU has none). */
        if (getline(&line, &cap, f) > 0) {
                int k = 0;
                for (char *save = NULL, *tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), k++)
                        if (strncmp(tok, "CPU", 3) == 0 && atoi(tok + 3) == cpu)
                                col = k;
        }
        while (col >= 0 && n < max && getline(&line, &cap, f) > 0) {
                char *save = NULL, *name = strtok_r(line, " \t\n", &save);
                if (!name || name[strlen(name) - 1] != ':')
                        continue;
                name[strlen(name) - 1] = '\0';
                char *tok = NULL;
                for (int k = 0; k <= col && (tok = strtok_r(NULL, " \t\n", &save)); k++)
                        ;
                if (!tok)
                        continue;
                snprintf(kind[n], 12, "%s", name);
                count[n++] = strtoull(tok, NULL, 10);
        }
        free(line);
        return n;
}

void cpu_snap_read(struct cpu_snap *s) {
        for (unsigned i = 0; i < s->n; i++) {
                FILE *f = fopen("/proc/stat", "re");
                if (!f || !procstat_cpu(f, s->cpu[i], s->ticks[i]))
                        memset(s->ticks[i], 0, sizeof(s->ticks[i]));
                if (f)
                        fclose(f);
                f = fopen("/proc/softirqs", "re");
                unsigned k = f ? softirqs_cpu(f, s->cpu[i], s->kind, s->softirq[i], SOFTIRQ_KINDS) : 0;
                s->n_kinds = k > s->n_kinds ? k : s->n_kinds;
                if (f)
                        fclose(f);
        }
}

json_t *cpu_snap_delta(const struct cpu_snap *a, const struct cpu_snap *b, long ticks_per_s) {
        json_t *o = json_object();
        double ms = ticks_per_s > 0 ? 1000.0 / (double)ticks_per_s : 10.0;
        for (unsigned i = 0; i < a->n && i < b->n; i++) {
                if (a->cpu[i] != b->cpu[i])
                        continue;
                json_t *kinds = json_object();
                for (unsigned k = 0; k < a->n_kinds && k < b->n_kinds; k++)
                        if (b->softirq[i][k] > a->softirq[i][k])
                                json_object_set_new(kinds, b->kind[k], json_integer((json_int_t)(b->softirq[i][k] - a->softirq[i][k])));
                uint64_t d[3];
                for (int t = 0; t < 3; t++)
                        d[t] = b->ticks[i][t] > a->ticks[i][t] ? b->ticks[i][t] - a->ticks[i][t] : 0;
                char key[16];
                snprintf(key, sizeof(key), "%d", a->cpu[i]);
                json_object_set_new(o, key,
                                    json_pack("{s:s, s:f, s:f, s:f, s:o}", "role", a->role[i], "irq_ms", (double)d[0] * ms,
                                              "softirq_ms", (double)d[1] * ms, "steal_ms", (double)d[2] * ms, "softirqs", kinds));
        }
        return o;
}

int stat_processor(const char *stat) {
        const char *p = stat ? strrchr(stat, ')') : NULL; /* the command may hold spaces and parentheses */
        if (!p)
                return -1;
        /* Field 3 (state) follows ") "; processor is field 39. */
        int field = 2;
        for (p++; *p && field < 39; p++)
                if (*p == ' ' && p[1] && p[1] != ' ')
                        field++;
        return field == 39 && *p ? atoi(p) : -1;
}

json_t *threads_last_cpu(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        DIR *dh = opendir(path);
        if (!dh)
                return NULL;
        json_t *cpus = json_object();
        int n = 0;
        for (struct dirent *e; (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.')
                        continue;
                char p2[96];
                _cleanup_free_ char *text = NULL;
                snprintf(p2, sizeof(p2), "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
                int c = read_small_file(p2, &text) == 0 ? stat_processor(text) : -1;
                if (c < 0)
                        continue;
                char key[16];
                snprintf(key, sizeof(key), "%d", c);
                json_object_set_new(cpus, key, json_integer(json_integer_value(json_object_get(cpus, key)) + 1));
                n++;
        }
        closedir(dh);
        return json_pack("{s:i, s:o}", "threads", n, "last_cpu", cpus);
}
