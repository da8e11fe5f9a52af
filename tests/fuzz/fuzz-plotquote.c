/* isolab plot's only way for text into a gnuplot script (plot_quote): whatever the
 * bytes, the result is one single-quoted string on one line — every quote inside is
 * doubled, and no newline, carriage return, backquote (command substitution) or @
 * (macro) is left.  A violation aborts, which is a crash to libFuzzer and a failed
 * unit test in the corpus replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/verbs.h"
#include "tests/fuzz/fuzz.h"

int FUZZ_TARGET(plotquote) {
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0'; /* a C string: plot_quote stops at the first NUL */
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (f) {
                plot_quote(f, text);
                fclose(f);
                fuzz_assert_one_quoted_string(out, len);
        }
        free(out);
        free(text);
        return 0;
}
