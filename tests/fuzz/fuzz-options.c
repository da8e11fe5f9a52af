/* The command line: any bytes, split at NUL into argv, through the experiment's option
 * table and the value parsers (durations, sizes, percent and duration lists). */
#include <stdlib.h>
#include <string.h>

#include "controller/verbs.h"
#include "tests/fuzz/fuzz.h"
#include "base/util.h"

int FUZZ_TARGET(options) {
        char *copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = '\0';
        char *argv[34] = { "sweep" };
        int argc = 1;
        for (size_t i = 0; i <= size && argc < 33;) {
                argv[argc++] = copy + i;
                i += strlen(copy + i) + 1;
        }
        argv[argc] = NULL;
        size_t n, size_opts;
        const struct cli_option *table = experiment_options(&n, &size_opts);
        void *opts = calloc(1, size_opts);
        int optind_;
        bool help;
        struct diag d = { 0 };
        if (opts)
                cli_parse(argc, argv, table, n, opts, &optind_, &help, &d);
        free(opts);
        uint64_t u;
        double pct[32];
        uint64_t durs[32];
        unsigned uints[32];
        parse_duration_us(copy, &u);
        parse_size(copy, &u);
        parse_u64(copy, &u);
        cli_list_percent("x", copy, pct, 32, &d);
        cli_list_duration("x", copy, durs, 32, &d);
        cli_list_uint("x", copy, uints, 32, &d);
        free(copy);
        return 0;
}
