/* isolab plot DIR — the figures the study drew by hand, rendered with gnuplot.
 *
 * From trials.jsonl (MRR trials; search trials are left out) and run.json, into
 * DIR/figures/: the latency CDF of every series (log x), throughput per frame size with
 * error bars, Mpps and p99 latency against the CPU quota with the proportional line
 * (rate at 100 % x q), and the histogram of the NF's poll gaps (its stalls).  A series
 * is what the report's rows are: quota and period for a sweep, pinning and neighbour for
 * a noisy run.  The data go to .dat files beside a .gp script, which gnuplot runs (no
 * shell); a figure whose data the run does not have (one quota only: no rate-vs-quota)
 * is left out and said so.  Titles say what and where: host, NF, link, date.
 *
 * gnuplot is a language with `system`: nothing read from a results file reaches the
 * script as code.  Every string is first checked against what isolab writes
 * (results.h); series names go into the data files as column headers (the script says
 * `title columnheader(1)`), and the one line of run.json in the titles is quoted with
 * plot_quote().  Files are written through the figures directory's fd (resdir.h) and
 * gnuplot runs inside it, so it writes only there. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/resdir.h"
#include "controller/results.h"
#include "controller/verbs.h"
#include "base/util.h"

struct plot_opts {
        const char *format;
};

static const struct cli_option plot_options[] = {
        { "format", "FMT", "png (default) or svg", cli_parse_string, offsetof(struct plot_opts, format), NULL },
};

#define MAX_SERIES 64
#define MAX_BUCKETS 2048

struct series {
        char name[96];
        double quota;
        long frame;
        unsigned n;
        double mpps_sum, mpps_sq, p99_sum;
        double lat_ns[MAX_BUCKETS];     /* histogram: bucket lower bound -> count */
        double lat_n[MAX_BUCKETS];
        size_t n_lat;
        double gap_ns[64], gap_n[64];
        size_t n_gap;
};

static void add_bucket(double *keys, double *vals, size_t *n, size_t max, double k, double v) {
        for (size_t i = 0; i < *n; i++)
                if (keys[i] == k) {
                        vals[i] += v;
                        return;
                }
        if (*n < max) {
                keys[*n] = k;
                vals[(*n)++] = v;
        }
}

static void sort_pairs(double *k, double *v, size_t n) {
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--) {
                        double t = k[j];
                        k[j] = k[j - 1];
                        k[j - 1] = t;
                        t = v[j];
                        v[j] = v[j - 1];
                        v[j - 1] = t;
                }
}

/* The series a trial belongs to, as the report groups them. */
static void series_name(json_t *t, char *buf, size_t len) {
        json_t *nb = json_object_get(t, "neighbour");
        const char *pin = json_string_value(json_object_get(t, "pinning"));
        if (json_is_object(nb) || (pin && strcmp(pin, "unpinned") == 0)) {
                const char *name = json_string_value(json_object_get(nb, "name"));
                if (!name)
                        name = json_string_value(json_object_get(nb, "workload"));
                snprintf(buf, len, "%s, %s%s%s, %ld B", pin ? pin : "pinned", json_is_object(nb) ? name : "no neighbour",
                         json_is_object(nb) ? "@" : "",
                         json_is_object(nb) ? json_string_value(json_object_get(nb, "placement")) : "",
                         (long)report_num(t, "frame_size"));
        } else {
                snprintf(buf, len, "quota %g%%, %g ms, %ld B", report_num(t, "quota"), report_num(t, "period_us") / 1000,
                         (long)report_num(t, "frame_size"));
        }
}

void plot_quote(FILE *f, const char *s) {
        /* A single-quoted gnuplot string: no escapes are processed in it and '' is a
         * quote.  Newlines would end the command, backquotes substitute commands and @
         * expands macros in some versions: they become spaces. */
        fputc('\'', f);
        for (; *s; s++) {
                if (*s == '\'')
                        fputs("''", f);
                else if (*s == '\n' || *s == '\r' || *s == '`' || *s == '@' || (unsigned char)*s < 0x20)
                        fputc(' ', f);
                else
                        fputc(*s, f);
        }
        fputc('\'', f);
}

/* A string for a data file's column (double quotes, as gnuplot reads them there): the
 * same characters dropped, and no double quote inside. */
static void data_quote(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++)
                fputc(*s == '"' || *s == '\\' || *s == '`' || *s == '@' || (unsigned char)*s < 0x20 ? ' ' : *s, f);
        fputc('"', f);
}

static int run_gnuplot(const char *script, const struct resdir *figs, struct diag *d) {
        /* gnuplot's own messages (warnings included) reach the user as isolab's, each
         * line prefixed, like every other message isolab prints. */
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return diag_set(d, -errno, "pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return diag_set(d, -errno, "fork: %s", strerror(errno));
        }
        if (pid == 0) {
                dup2(p[1], STDERR_FILENO);
                if (fchdir(figs->fd) < 0)
                        _exit(126);
                execlp("gnuplot", "gnuplot", script, (char *)NULL);
                fprintf(stderr, "cannot run gnuplot: %s (install gnuplot-nox: make deps)\n", strerror(errno));
                _exit(127);
        }
        close(p[1]);
        FILE *msgs = fdopen(p[0], "r");
        char *l = NULL;
        size_t cap = 0;
        ssize_t n;
        while (msgs && (n = getline(&l, &cap, msgs)) > 0) {
                while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
                        l[--n] = '\0';
                if (n > 0)
                        fprintf(stderr, "isolab: gnuplot: %s\n", l);
        }
        free(l);
        if (msgs)
                fclose(msgs);
        else
                close(p[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return diag_set(d, -EIO, "gnuplot %s/%s failed (exit %d); the script and its data are there to look at",
                                figs->path, script, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return 0;
}

/* "set title 'WHAT — WHERE'": the one line of run.json in a script, quoted. */
static void set_title(FILE *gp, const char *what, const char *where) {
        char t[512];
        snprintf(t, sizeof(t), "%s — %s", what, where);
        fputs("set title ", gp);
        plot_quote(gp, t);
        fputc('\n', gp);
}

/* A figure file, written beside its name and renamed over it by fig_close. */
static FILE *fig_open(const struct resdir *figs, const char *name) {
        struct diag d = { 0 };
        int fd = resdir_replace_begin(figs, name, &d);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
                fprintf(stderr, "isolab: %s\n", d.msg[0] ? d.msg : strerror(errno));
                if (fd >= 0)
                        resdir_replace_abort(figs, name, fd);
        }
        return f;
}

static int fig_close(const struct resdir *figs, const char *name, FILE *f) {
        struct diag d = { 0 };
        if (!f)
                return -EIO;
        if (fflush(f) != 0 || ferror(f)) {
                resdir_replace_abort(figs, name, dup(fileno(f)));
                fclose(f);
                return -EIO;
        }
        int r = resdir_replace_commit(figs, name, dup(fileno(f)), &d);
        fclose(f);
        if (r < 0)
                fprintf(stderr, "isolab: %s\n", d.msg);
        return r;
}

static int plot_run(int argc, char **argv) {
        struct plot_opts o = { 0 };
        int optind_;
        bool help;
        struct diag d = { 0 };
        if (cli_parse(argc, argv, plot_options, ELEMENTSOF(plot_options), &o, &optind_, &help, &d) < 0) {
                report_error(&d, -EINVAL);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(stdout, &verb_plot);
                return 0;
        }
        if (optind_ != argc - 1) {
                fprintf(stderr, "isolab: plot takes one results directory, e.g. isolab plot results/cpu-sweep-...\n");
                return EXIT_USAGE;
        }
        const char *fmt = o.format ? o.format : "png";
        if (strcmp(fmt, "png") && strcmp(fmt, "svg")) {
                fprintf(stderr, "isolab: --format %s: use png or svg\n", fmt);
                return EXIT_USAGE;
        }
        const char *dir = argv[optind_];
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        int r = resdir_open(dir, RESDIR_RENDER, "plot", &rd, &d);
        _cleanup_fclose_ FILE *f = r < 0 ? NULL : resdir_read(&rd, "trials.jsonl", &d);
        if (!f) {
                fprintf(stderr, "isolab: %s; give a directory made by isolab sweep, noisy or run\n",
                        d.msg);
                return EXIT_USAGE;
        }
        char path[600];
        snprintf(path, sizeof(path), "%.580s/trials.jsonl", dir);
        static struct series ser[MAX_SERIES];
        size_t ns = 0;
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        while (getline(&line, &cap, f) > 0) {
                lineno++;
                json_t *t = json_loads(line, 0, NULL);
                if (t && results_check_trial(t, path, lineno, &d) < 0) {
                        json_decref(t);
                        report_error(&d, -EINVAL);
                        return EXIT_USAGE;
                }
                /* A search is its result line (the rate found, 0 when none passed) plus,
                 * for the latency and gap figures, the trial at that rate; its series is
                 * named after the method. */
                json_t *se = t ? json_object_get(t, "search") : NULL;
                bool result = t && report_str_is(json_object_get(t, "kind"), "search");
                if (!t || report_trial_failed(t) || (json_object_get(t, "kind") && !result) ||
                    (se && !json_is_true(json_object_get(se, "found_here")))) {
                        json_decref(t);
                        continue;
                }
                const char *method = result ? json_string_value(json_object_get(t, "method"))
                                            : se ? json_string_value(json_object_get(se, "method")) : NULL;
                char name[96], base[80];
                series_name(t, base, sizeof(base));
                const char *nfk = json_string_value(json_object_get(t, "nf_under_test"));
                snprintf(name, sizeof(name), "%s%s%s%s%s", method ? method : "", method ? " " : "",
                         nfk && strcmp(nfk, "isolab-nf") ? nfk : "", nfk && strcmp(nfk, "isolab-nf") ? " " : "", base);
                struct series *s = NULL;
                for (size_t i = 0; i < ns && !s; i++)
                        if (strcmp(ser[i].name, name) == 0)
                                s = &ser[i];
                if (!s && ns < MAX_SERIES) {
                        s = &ser[ns++];
                        memset(s, 0, sizeof(*s));
                        snprintf(s->name, sizeof(s->name), "%s", name);
                        s->quota = report_num(t, "quota");
                        s->frame = (long)report_num(t, "frame_size");
                }
                if (s && (result || !se)) {
                        double m = result ? report_num(t, "found_mpps") : report_num(t, "result.mpps");
                        s->n++;
                        s->mpps_sum += m;
                        s->mpps_sq += m * m;
                        s->p99_sum += report_num(t, "result.latency.p99_ns");
                }
                if (s && !result) {
                        size_t i;
                        json_t *b;
                        json_array_foreach(json_object_get(json_object_get(json_object_get(t, "result"), "latency"), "buckets"),
                                           i, b)
                                add_bucket(s->lat_ns, s->lat_n, &s->n_lat, MAX_BUCKETS, json_number_value(json_array_get(b, 0)),
                                           json_number_value(json_array_get(b, 1)));
                        json_array_foreach(json_object_get(json_object_get(t, "nf"), "poll_gaps"), i, b)
                                add_bucket(s->gap_ns, s->gap_n, &s->n_gap, 64, json_number_value(json_array_get(b, 0)),
                                           json_number_value(json_array_get(b, 1)));
                }
                json_decref(t);
        }
        if (ns == 0) {
                fprintf(stderr, "isolab: %s has no measured trial to plot (nor a search result)\n", path);
                return EXIT_USAGE;
        }
        FILE *rf = resdir_read(&rd, "run.json", &d);
        json_t *run = rf ? json_loadf(rf, 0, NULL) : NULL;
        if (rf)
                fclose(rf);
        snprintf(path, sizeof(path), "%.580s/run.json", dir);
        if (run && results_check_run(run, path, &d) < 0) {
                json_decref(run);
                report_error(&d, -EINVAL);
                return EXIT_USAGE;
        }
        char where[300];
        snprintf(where, sizeof(where), "%s, %s over %s, %s",
                 json_string_value(json_object_get(json_object_get(run, "host"), "name")) ?: "?",
                 json_string_value(json_object_get(json_object_get(run, "config"), "nf")) ?: "isolab-nf",
                 json_string_value(json_object_get(json_object_get(run, "config"), "link_used")) ?: "vhost",
                 json_string_value(json_object_get(run, "started")) ?: "?");
        json_decref(run);

        _cleanup_(resdir_close) struct resdir figs = { .fd = -1 };
        if ((r = resdir_subdir(&rd, "figures", &figs, &d)) < 0) {
                report_error(&d, r);
                return EXIT_RUNTIME;
        }
        FILE *gp = fig_open(&figs, "figures.gp");
        if (!gp)
                return EXIT_RUNTIME;
        /* gnuplot-nox has the cairo terminals. */
        const char *term = strcmp(fmt, "png") == 0 ? "pngcairo size 1200,800 noenhanced" : "svg size 1200,800 noenhanced";
        fprintf(gp, "set terminal %s\nset grid\nset key outside right top\n", term);

        /* Latency CDF: one data block per series. */
        /* Only series with data get a block: gnuplot's "index" does not count empty ones. */
        FILE *df = fig_open(&figs, "latency-cdf.dat");
        unsigned drawn = 0;
        int block[MAX_SERIES];
        size_t with_lat = 0;
        for (size_t i = 0; df && i < ns; i++) {
                struct series *s = &ser[i];
                sort_pairs(s->lat_ns, s->lat_n, s->n_lat);
                double total = 0, acc = 0;
                for (size_t k = 0; k < s->n_lat; k++)
                        total += s->lat_n[k];
                block[i] = -1;
                if (total <= 0)
                        continue;
                block[i] = (int)with_lat++;
                data_quote(df, s->name); /* the block's column header: its title in the key */
                fputs(" \"fraction\"\n", df);
                for (size_t k = 0; k < s->n_lat; k++) {
                        acc += s->lat_n[k];
                        fprintf(df, "%.3f %.6f\n", s->lat_ns[k] / 1e3, acc / total);
                }
                fprintf(df, "\n\n");
        }
        fig_close(&figs, "latency-cdf.dat", df);
        if (with_lat) {
                fprintf(gp, "set output 'latency-cdf.%s'\n", fmt);
                set_title(gp, "Latency CDF per series", where);
                fprintf(gp, "set logscale x\nset xlabel 'latency (us, log)'\nset ylabel 'fraction of packets'\nset yrange [0:1]\nplot ");
                bool first = true;
                for (size_t i = 0; i < ns; i++)
                        if (block[i] >= 0) {
                                fprintf(gp, "%s'latency-cdf.dat' index %d using 1:2 with lines lw 2 title columnheader(1)",
                                        first ? "" : ", ", block[i]);
                                first = false;
                        }
                fprintf(gp, "\nunset logscale x\nset yrange [*:*]\n");
                drawn++;
        } else {
                fprintf(stderr, "isolab: latency-cdf left out: the trials have no latency histogram\n");
        }

        /* Throughput per frame size, with error bars: one bar group per series. */
        df = fig_open(&figs, "throughput.dat");
        for (size_t i = 0; df && i < ns; i++) {
                struct series *s = &ser[i];
                if (!s->n)
                        continue;
                fprintf(df, "%zu ", i);
                data_quote(df, s->name);
                fprintf(df, " %.4f %.4f\n", s->mpps_sum / s->n, report_stdev(s->mpps_sum, s->mpps_sq, s->n));
        }
        fig_close(&figs, "throughput.dat", df);
        fprintf(gp, "set output 'throughput.%s'\n", fmt);
        set_title(gp, "Forwarded Mpps per series (mean and stdev; NDR/PDR: the rate found)", where);
        fprintf(gp, "set xlabel ''\nset ylabel 'Mpps'\nset style fill solid 0.5\nset boxwidth 0.6\nset xtics rotate by -30\n"
                    "set yrange [0:*]\nplot 'throughput.dat' using 1:3:xtic(2) with boxes notitle, '' using 1:3:4 with "
                    "yerrorbars lc rgb 'black' pt 0 notitle\nset xtics norotate\nset yrange [*:*]\nset style fill empty\n");
        drawn++;

        /* Rate and p99 vs quota, per frame size, with the proportional line. */
        unsigned quotas = 0;
        for (size_t i = 0; i < ns; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= ser[j].quota == ser[i].quota;
                quotas += !seen;
        }
        if (quotas > 1) {
                df = fig_open(&figs, "rate-vs-quota.dat");
                double full = 0;
                bool any_p99 = false;
                for (size_t i = 0; i < ns; i++)
                        if (ser[i].quota == 100 && ser[i].n)
                                full = ser[i].mpps_sum / ser[i].n;
                for (size_t i = 0; df && i < ns; i++) {
                        struct series *s = &ser[i];
                        if (!s->n)
                                continue;
                        double m = s->mpps_sum / s->n, sdv = report_stdev(s->mpps_sum, s->mpps_sq, s->n);
                        char p99[32] = "?"; /* a search's result has no latency of its own */
                        if (s->p99_sum > 0) {
                                snprintf(p99, sizeof(p99), "%.3f", s->p99_sum / s->n / 1e3);
                                any_p99 = true;
                        }
                        fprintf(df, "%g %.4f %.4f %s %.4f\n", s->quota, m, sdv, p99, full * s->quota / 100);
                }
                fig_close(&figs, "rate-vs-quota.dat", df);
                fprintf(gp, "set output 'rate-vs-quota.%s'\n", fmt);
                set_title(gp, "Rate and p99 latency vs CPU quota", where);
                fprintf(gp, "set xlabel 'CPU quota (%% of the PMD cores)'\nset ylabel 'Mpps'\n%s"
                            "set xrange [0:105]\nset yrange [0:*]\n"
                            "set datafile missing '?'\n"
                            "plot 'rate-vs-quota.dat' using 1:2:3 with yerrorbars pt 7 title 'forwarded Mpps', "
                            "'' using 1:5 with linespoints dt 2 title 'proportional: rate at 100 %% x q'%s\n"
                            "unset logscale y2\nunset y2tics\nunset y2label\nset ytics mirror\nset xrange [*:*]\nset yrange [*:*]\n",
                        any_p99 ? "set y2label 'p99 latency (us, log)'\nset logscale y2\nset y2tics\nset ytics nomirror\n" : "",
                        any_p99 ? ", '' using 1:4 axes x1y2 with points pt 5 title 'p99 latency'" : "");
                drawn++;
        } else {
                fprintf(stderr, "isolab: rate-vs-quota left out: the run has one CPU quota\n");
        }

        /* Poll-gap histogram (the stalls), log-log. */
        size_t with_gaps = 0;
        df = fig_open(&figs, "poll-gaps.dat");
        for (size_t i = 0; df && i < ns; i++) {
                struct series *s = &ser[i];
                sort_pairs(s->gap_ns, s->gap_n, s->n_gap);
                block[i] = -1;
                if (!s->n_gap)
                        continue;
                block[i] = (int)with_gaps++;
                data_quote(df, s->name);
                fputs(" \"gaps\"\n", df);
                for (size_t k = 0; k < s->n_gap; k++)
                        fprintf(df, "%.3f %.0f\n", s->gap_ns[k] / 1e3, s->gap_n[k] / (s->n ? s->n : 1));
                fprintf(df, "\n\n");
        }
        fig_close(&figs, "poll-gaps.dat", df);
        if (with_gaps) {
                fprintf(gp, "set output 'poll-gaps.%s'\n", fmt);
                set_title(gp, "NF poll gaps per trial (over 10 us: stalls)", where);
                fprintf(gp, "set logscale xy\nset xlabel 'gap between two polls (us, log; bucket lower bound)'\n"
                            "set ylabel 'gaps per trial (log)'\nset arrow from 10, graph 0 to 10, graph 1 nohead dt 3\nplot ");
                bool first = true;
                for (size_t i = 0; i < ns; i++)
                        if (block[i] >= 0) {
                                fprintf(gp, "%s'poll-gaps.dat' index %d using 1:2 with steps lw 2 title columnheader(1)",
                                        first ? "" : ", ", block[i]);
                                first = false;
                        }
                fprintf(gp, "\nunset logscale xy\nunset arrow\n");
                drawn++;
        } else {
                fprintf(stderr, "isolab: poll-gaps left out: the trials have no poll-gap histogram (an older run)\n");
        }
        if (fig_close(&figs, "figures.gp", gp) < 0)
                return EXIT_RUNTIME;
        r = run_gnuplot("figures.gp", &figs, &d);
        if (r < 0) {
                report_error(&d, r);
                return EXIT_RUNTIME;
        }
        printf("%u figures in %s (%s)\n", drawn, figs.path, fmt);
        return 0;
}

const struct verb verb_plot = {
        .name = "plot",
        .usage = "DIR [options]",
        .summary = "render a run's figures with gnuplot (latency CDF, throughput, rate vs quota, stalls)",
        .description = "Render a run's figures with gnuplot into DIR/figures: latency CDF, throughput per frame\n"
                       "size, rate and p99 latency vs CPU quota with the proportional line, poll-gap histogram.",
        .run = plot_run,
        .options = plot_options,
        .n_options = ELEMENTSOF(plot_options),
};
