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
#include "controller/runmodel.h"
#include "controller/verbs.h"
#include "base/util.h"

struct plot_opts {
        const char *format;
};

static const struct cli_option plot_options[] = {
        { "format", "FMT", "png (default) or svg", cli_parse_string, offsetof(struct plot_opts, format), NULL },
};

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

/* What every figure needs: where its files go, the script, the series and the title. */
struct figure_ctx {
        const struct resdir *figs;
        FILE *gp;                 /* figures.gp */
        struct mrow *ser;         /* the model's series */
        size_t ns;
        int *block;               /* per series: its data block in a .dat file, or -1 */
        const char *fmt, *where;
};

/* "plot" with one line per data block of dat, titled by the block's column header. */
static void plot_blocks(const struct figure_ctx *c, const char *dat, const char *style) {
        fputs("plot ", c->gp);
        bool first = true;
        for (size_t i = 0; i < c->ns; i++)
                if (c->block[i] >= 0) {
                        fprintf(c->gp, "%s'%s' index %d using 1:2 with %s lw 2 title columnheader(1)", first ? "" : ", ", dat,
                                c->block[i], style);
                        first = false;
                }
        fputc('\n', c->gp);
}

/* Latency CDF: one data block per series (merged histograms). */
static unsigned fig_latency_cdf(const struct figure_ctx *c) {
        struct mrow *ser = c->ser;
        int *block = c->block;
        /* Only series with data get a block: gnuplot's "index" does not count empty ones. */
        FILE *df = fig_open(c->figs, "latency-cdf.dat");
        size_t with_lat = 0;
        for (size_t i = 0; df && i < c->ns; i++) {
                struct mrow *s = &ser[i];
                kvhist_sort(&s->latency);
                double total = 0, acc = 0;
                for (size_t k = 0; k < s->latency.n; k++)
                        total += s->latency.v[k];
                block[i] = -1;
                if (total <= 0)
                        continue;
                block[i] = (int)with_lat++;
                data_quote(df, s->name); /* the block's column header: its title in the key */
                fputs(" \"fraction\"\n", df);
                for (size_t k = 0; k < s->latency.n; k++) {
                        acc += s->latency.v[k];
                        fprintf(df, "%.3f %.6f\n", s->latency.k[k] / 1e3, acc / total);
                }
                fprintf(df, "\n\n");
        }
        fig_close(c->figs, "latency-cdf.dat", df);
        if (!with_lat) {
                fprintf(stderr, "isolab: latency-cdf left out: the trials have no latency histogram\n");
                return 0;
        }
        fprintf(c->gp, "set output 'latency-cdf.%s'\n", c->fmt);
        set_title(c->gp, "Latency CDF per series", c->where);
        fprintf(c->gp, "set logscale x\nset xlabel 'latency (us, log)'\nset ylabel 'fraction of packets'\nset yrange [0:1]\n");
        plot_blocks(c, "latency-cdf.dat", "lines");
        fprintf(c->gp, "unset logscale x\nset yrange [*:*]\n");
        return 1;
}

/* Latency CCDF over the packets offered, log-log: the share of the offered packets that
 * took longer than x, a lost packet never arriving.  A curve that levels off does so at
 * its loss (the plateau: no latency is short enough for those); a dotted line marks
 * (1 - q) x period, the longest a throttled NF cannot run, for each quota under 100 %. */
static unsigned fig_latency_ccdf(const struct figure_ctx *c) {
        FILE *df = fig_open(c->figs, "latency-ccdf.dat");
        size_t with_lat = 0;
        for (size_t i = 0; df && i < c->ns; i++) {
                const struct mrow *s = &c->ser[i];
                const struct histo *h = s->lat.h;
                c->block[i] = -1;
                if (!h || h->count == 0)
                        continue;
                double offered = (double)h->count + s->lat.lost, above = offered;
                c->block[i] = (int)with_lat++;
                char title[160];
                snprintf(title, sizeof(title), "%s (lost %.2g %%)", s->name, 100 * s->lat.lost / offered);
                data_quote(df, title);
                fputs(" \"ccdf\"\n", df);
                fprintf(df, "%.3f 1\n", (double)h->min / 1e3);
                for (unsigned k = 0; k < HISTO_BUCKETS; k++) {
                        if (!h->bucket[k])
                                continue;
                        above -= (double)h->bucket[k];
                        /* Log scale: the last delivered packet's point would be 0 without loss. */
                        if (above > 0)
                                fprintf(df, "%.3f %.9g\n", (double)(histo_bucket_low(k) + histo_bucket_width(k)) / 1e3,
                                        above / offered);
                }
                fprintf(df, "\n\n");
        }
        fig_close(c->figs, "latency-ccdf.dat", df);
        if (!with_lat) {
                fprintf(stderr, "isolab: latency-ccdf left out: the trials have no latency histogram\n");
                return 0;
        }
        fprintf(c->gp, "set output 'latency-ccdf.%s'\n", c->fmt);
        set_title(c->gp, "Latency CCDF over the packets offered (it levels off at the loss)", c->where);
        fprintf(c->gp, "set logscale xy\nset xlabel 'latency x (us, log)'\nset ylabel 'share of offered packets later than x "
                       "(log)'\nset format y '%%.0e'\n");
        for (size_t i = 0; i < c->ns; i++) {
                const struct mrow *s = &c->ser[i];
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= c->ser[j].quota == s->quota && c->ser[j].period_us == s->period_us;
                if (seen || c->block[i] < 0 || !(s->quota < 100) || s->period_us <= 0)
                        continue;
                double x = (1 - s->quota / 100) * (double)s->period_us;
                fprintf(c->gp, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead dt 3\n"
                               "set label '(1-q)x period, q %g%%' at %.3f, graph 0.95 rotate by 90 right font ',9'\n",
                        x, x, s->quota, x);
        }
        plot_blocks(c, "latency-ccdf.dat", "steps");
        fprintf(c->gp, "unset logscale xy\nunset arrow\nunset label\nset format y '%%g'\n");
        return 1;
}

/* Throughput per frame size, with error bars. */
static unsigned fig_throughput(const struct figure_ctx *c) {
        FILE *gp = c->gp, *df = fig_open(c->figs, "throughput.dat");
        for (size_t i = 0; df && i < c->ns; i++) {
                const struct mrow *s = &c->ser[i];
                if (!s->n)
                        continue;
                fprintf(df, "%zu ", i);
                data_quote(df, s->name);
                double ci = acc_ci95(&s->mpps);
                fprintf(df, " %.4f %.4f\n", acc_mean(&s->mpps), isnan(ci) ? 0 : ci);
        }
        fig_close(c->figs, "throughput.dat", df);
        fprintf(gp, "set output 'throughput.%s'\n", c->fmt);
        set_title(gp, "Forwarded Mpps per series (mean and 95 % interval; NDR/PDR: the rate found)", c->where);
        fprintf(gp, "set xlabel ''\nset ylabel 'Mpps'\nset style fill solid 0.5\nset boxwidth 0.6\nset xtics rotate by -30\n"
                    "set yrange [0:*]\nplot 'throughput.dat' using 1:3:xtic(2) with boxes notitle, '' using 1:3:4 with "
                    "yerrorbars lc rgb 'black' pt 0 notitle\nset xtics norotate\nset yrange [*:*]\nset style fill empty\n");
        return 1;
}

/* Rate and p99 vs quota, with the proportional line. */
static unsigned fig_rate_vs_quota(const struct figure_ctx *c) {
        const struct mrow *ser = c->ser;
        size_t ns = c->ns;
        unsigned quotas = 0;
        for (size_t i = 0; i < ns; i++) {
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen |= ser[j].quota == ser[i].quota;
                quotas += !seen;
        }
        if (quotas < 2) {
                fprintf(stderr, "isolab: rate-vs-quota left out: the run has one CPU quota\n");
                return 0;
        }
        {
                FILE *gp = c->gp, *df = fig_open(c->figs, "rate-vs-quota.dat");
                /* The proportional line only over an NF-limited 100 % baseline: over a
                 * generator-limited one it would draw the generator's scaling. */
                double full = NAN;
                bool any_p99 = false;
                char why[256];
                const char *na = "no series at 100 %";
                for (size_t i = 0; i < ns; i++)
                        if (ser[i].quota == 100 && ser[i].n && !(na = row_baseline_na(&ser[i], why, sizeof(why))))
                                full = acc_mean(&ser[i].mpps);
                if (isnan(full))
                        fprintf(stderr, "isolab: rate-vs-quota: no proportional line: %s\n", na);
                for (size_t i = 0; df && i < ns; i++) {
                        const struct mrow *s = &ser[i];
                        if (!s->n)
                                continue;
                        double mean = acc_mean(&s->mpps), sdv = acc_ci95(&s->mpps);
                        if (isnan(sdv))
                                sdv = 0;
                        char p99[32] = "?"; /* a search's result has no latency of its own */
                        if (s->p99.sum > 0) {
                                /* The series' trials merged, as the report's (a mean of trials' p99 else). */
                                snprintf(p99, sizeof(p99), "%.3f", row_pct(s, 99, &s->p99) / 1e3);
                                any_p99 = true;
                        }
                        char prop[32] = "?";
                        if (!isnan(full))
                                snprintf(prop, sizeof(prop), "%.4f", full * s->quota / 100);
                        fprintf(df, "%g %.4f %.4f %s %s\n", s->quota, mean, sdv, p99, prop);
                }
                fig_close(c->figs, "rate-vs-quota.dat", df);
                fprintf(gp, "set output 'rate-vs-quota.%s'\n", c->fmt);
                set_title(gp, "Rate and p99 latency vs CPU quota", c->where);
                fprintf(gp, "set xlabel 'CPU quota (%% of the PMD cores)'\nset ylabel 'Mpps'\n%s"
                            "set xrange [0:105]\nset yrange [0:*]\n"
                            "set datafile missing '?'\n"
                            "plot 'rate-vs-quota.dat' using 1:2:3 with yerrorbars pt 7 title 'forwarded Mpps (95 %% interval)'%s%s\n"
                            "unset logscale y2\nunset y2tics\nunset y2label\nset ytics mirror\nset xrange [*:*]\nset yrange [*:*]\n",
                        any_p99 ? "set y2label 'p99 latency (us, log)'\nset logscale y2\nset y2tics\nset ytics nomirror\n" : "",
                        isnan(full) ? "" : ", '' using 1:5 with linespoints dt 2 title 'proportional: rate at 100 % x q'",
                        any_p99 ? ", '' using 1:4 axes x1y2 with points pt 5 title 'p99 latency'" : "");
        }
        return 1;
}

/* The NF's poll gaps (its stalls), log-log. */
static unsigned fig_poll_gaps(const struct figure_ctx *c) {
        int *block = c->block;
        size_t with_gaps = 0;
        FILE *df = fig_open(c->figs, "poll-gaps.dat");
        for (size_t i = 0; df && i < c->ns; i++) {
                struct mrow *s = &c->ser[i];
                kvhist_sort(&s->gaps);
                block[i] = -1;
                if (!s->gaps.n)
                        continue;
                block[i] = (int)with_gaps++;
                data_quote(df, s->name);
                fputs(" \"gaps\"\n", df);
                for (size_t k = 0; k < s->gaps.n; k++)
                        fprintf(df, "%.3f %.0f\n", s->gaps.k[k] / 1e3, s->gaps.v[k] / (s->n ? s->n : 1));
                fprintf(df, "\n\n");
        }
        fig_close(c->figs, "poll-gaps.dat", df);
        if (!with_gaps) {
                fprintf(stderr, "isolab: poll-gaps left out: the trials have no poll-gap histogram (an older run)\n");
                return 0;
        }
        fprintf(c->gp, "set output 'poll-gaps.%s'\n", c->fmt);
        set_title(c->gp, "NF poll gaps per trial (over 10 us: stalls)", c->where);
        fprintf(c->gp, "set logscale xy\nset xlabel 'gap between two polls (us, log; bucket lower bound)'\n"
                       "set ylabel 'gaps per trial (log)'\nset arrow from 10, graph 0 to 10, graph 1 nohead dt 3\n");
        plot_blocks(c, "poll-gaps.dat", "steps");
        fprintf(c->gp, "unset logscale xy\nunset arrow\n");
        return 1;
}

/* The figures of m into rd/figures, and gnuplot run there.  Returns how many were drawn,
 * or -errno (said). */
int plot_draw(const struct run_model *m, const struct resdir *rd, const char *fmt) {
        struct diag d = { 0 };
        char where[300];
        snprintf(where, sizeof(where), "%s, %s over %s, %s",
                 json_string_value(json_object_get(json_object_get(m->run, "host"), "name")) ?: "?",
                 json_string_value(json_object_get(json_object_get(m->run, "config"), "nf")) ?: "isolab-nf",
                 json_string_value(json_object_get(json_object_get(m->run, "config"), "link_used")) ?: "vhost",
                 json_string_value(json_object_get(m->run, "started")) ?: "?");
        _cleanup_(resdir_close) struct resdir figs = { .fd = -1 };
        int r = resdir_subdir(rd, "figures", &figs, &d);
        if (r < 0) {
                report_error(&d, r);
                return r;
        }
        _cleanup_free_ int *block = calloc(m->series.n ? m->series.n : 1, sizeof(int));
        FILE *gp = block ? fig_open(&figs, "figures.gp") : NULL;
        if (!gp)
                return -EIO;
        /* gnuplot-nox has the cairo terminals. */
        const char *term = strcmp(fmt, "png") == 0 ? "pngcairo size 1200,800 noenhanced" : "svg size 1200,800 noenhanced";
        fprintf(gp, "set terminal %s\nset grid\nset key outside right top\n", term);
        const struct figure_ctx c = { &figs, gp, m->series.v, m->series.n, block, fmt, where };
        unsigned drawn = fig_latency_cdf(&c) + fig_latency_ccdf(&c) + fig_throughput(&c) + fig_rate_vs_quota(&c) +
                         fig_poll_gaps(&c);
        if (fig_close(&figs, "figures.gp", gp) < 0)
                return -EIO;
        if ((r = run_gnuplot("figures.gp", &figs, &d)) < 0) {
                report_error(&d, r);
                return r;
        }
        return (int)drawn;
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
        _cleanup_(model_free) struct run_model m = { 0 };
        if ((r = model_load(&m, &rd, f, dir, true, &d)) < 0) {
                report_error(&d, r);
                return EXIT_USAGE;
        }
        if (m.series.n == 0) {
                fprintf(stderr, "isolab: %.580s/trials.jsonl has no measured trial to plot (nor a search result)\n", dir);
                return EXIT_USAGE;
        }
        int n = plot_draw(&m, &rd, fmt);
        if (n < 0)
                return EXIT_RUNTIME;
        printf("%d figures in %s/figures (%s)\n", n, rd.path, fmt);
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
