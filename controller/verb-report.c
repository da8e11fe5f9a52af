/* isolab report DIR — a run's results as the study's tables, from trials.jsonl: the
 * sweep's (Tables 5 and 6 as one, report-sweep.c), the neighbours' (Table 7,
 * report-noisy.c) and the searches' (report-search.c), in text, CSV or JSON, through
 * the results model (runmodel.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "controller/resdir.h"
#include "controller/runmodel.h"
#include "controller/verbs.h"

struct report_opts {
        const char *format;
};

static const struct cli_option report_options[] = {
        { "format", "FMT", "text (default), csv or json", cli_parse_string, offsetof(struct report_opts, format), NULL },
};

static int report_run(int argc, char **argv) {
        struct report_opts o = { 0 };
        int optind_;
        bool help;
        struct diag d = { 0 };
        if (cli_parse(argc, argv, report_options, ELEMENTSOF(report_options), &o, &optind_, &help, &d) < 0) {
                report_error(&d, -EINVAL);
                return EXIT_USAGE;
        }
        if (help) {
                verb_help(stdout, &verb_report);
                return 0;
        }
        if (optind_ != argc - 1) {
                fprintf(stderr, "isolab: report takes one results directory, e.g. isolab report results/sweep-...\n");
                return EXIT_USAGE;
        }
        static const char *const formats[_FORMAT_MAX] = { "text", "csv", "json" };
        const char *fmt = o.format ? o.format : "text";
        int k = 0;
        while (k < _FORMAT_MAX && strcmp(fmt, formats[k]) != 0)
                k++;
        if (k == _FORMAT_MAX) {
                fprintf(stderr, "isolab: --format %s: use text, csv or json\n", fmt);
                return EXIT_USAGE;
        }
        /* Read without following a planted symlink (resdir.h): as root, a trials.jsonl
         * pointing at another file would print that file's lines in our errors. */
        _cleanup_(resdir_close) struct resdir rd = { .fd = -1 };
        _cleanup_(model_free) struct run_model m = { 0 };
        int r = resdir_open(argv[optind_], RESDIR_RENDER, "report", &rd, &d);
        _cleanup_fclose_ FILE *f = r < 0 ? NULL : resdir_read(&rd, "trials.jsonl", &d);
        if (!f || model_load(&m, &rd, f, argv[optind_], false, &d) < 0) {
                fprintf(stderr, "isolab: %s; give a directory made by isolab sweep\n", d.msg);
                return EXIT_USAGE;
        }
        return model_render(stdout, &m, (enum model_format)k) < 0 ? EXIT_RUNTIME : 0;
}

const struct verb verb_report = {
        .name = "report",
        .usage = "DIR [options]",
        .summary = "render a run's results as the study's table (text, csv, json)",
        .description = "Render a run's results (DIR/trials.jsonl) as the study's table: rate, loss, latency and\n"
                       "throttling per CPU quota, with rate at q / rate at 100 %.",
        .run = report_run,
        .options = report_options,
        .n_options = ELEMENTSOF(report_options),
};
