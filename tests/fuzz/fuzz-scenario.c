/* The scenario parser (inih + the experiment's option table) on any bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "controller/scenario.h"
#include "controller/verbs.h"
#include "tests/fuzz/fuzz.h"

int FUZZ_TARGET(scenario) {
        size_t n, size_opts;
        const struct cli_option *table = experiment_options(&n, &size_opts);
        void *opts = calloc(1, size_opts);
        FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;
        if (opts && f) {
                struct scenario sc = { 0 };
                struct diag d = { 0 };
                scenario_load_file(f, "fuzz.ini", table, n, opts, &sc, &d);
                scenario_free(&sc);
        }
        if (f)
                fclose(f);
        free(opts);
        return 0;
}
