/* The results reader: any line of a trials.jsonl or a run.json through the checks report,
 * plot and --resume rely on.  It must not crash, and whatever it accepts, quoted for
 * gnuplot, stays one string (fuzz-plotquote.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/results.h"
#include "controller/verbs.h"
#include "tests/fuzz/fuzz.h"

static void quote_strings(json_t *o) {
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v) {
                if (json_is_object(v)) {
                        quote_strings(v);
                        continue;
                }
                if (!json_is_string(v))
                        continue;
                char *out = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);
                if (f) {
                        plot_quote(f, json_string_value(v));
                        fclose(f);
                        fuzz_assert_one_quoted_string(out, len);
                }
                free(out);
        }
}

int FUZZ_TARGET(results) {
        json_t *t = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL);
        if (!t)
                return 0;
        struct diag d = { 0 };
        if (results_check_trial(t, "trials.jsonl", 1, &d) == 0)
                quote_strings(t);
        diag_clear(&d);
        if (results_check_run(t, "run.json", &d) == 0)
                quote_strings(t);
        json_decref(t);
        return 0;
}
