/* Every input in tests/fuzz/corpus/<target>/ — the seeds and every crash make fuzz ever
 * found — through its fuzz target, built here with gcc: a crash or a hang is a failed
 * test, so a fixed bug stays fixed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"

static unsigned replay(const char *target, int (*fn)(const uint8_t *, size_t)) {
        char dir[512];
        snprintf(dir, sizeof(dir), ISOLAB_SRC "/tests/fuzz/corpus/%s", target);
        DIR *dh = opendir(dir);
        cr_assert_not_null(dh, "no corpus in %s", dir);
        unsigned n = 0;
        for (struct dirent *e; (e = readdir(dh)) != NULL;) {
                if (e->d_name[0] == '.')
                        continue;
                char path[800];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                FILE *f = fopen(path, "rb");
                cr_assert_not_null(f, "%s", path);
                uint8_t *buf = malloc(1 << 20);
                size_t len = fread(buf, 1, 1 << 20, f);
                fclose(f);
                fn(buf, len);
                free(buf);
                n++;
        }
        closedir(dh);
        return n;
}

Test(fuzz_corpus, scenario) {
        cr_expect_geq(replay("scenario", fuzz_scenario), 3);
}

Test(fuzz_corpus, options) {
        cr_expect_geq(replay("options", fuzz_options), 3);
}

Test(fuzz_corpus, proto) {
        cr_expect_geq(replay("proto", fuzz_proto), 3);
}

Test(fuzz_corpus, cpulist) {
        cr_expect_geq(replay("cpulist", fuzz_cpulist), 3);
}

Test(fuzz_corpus, plotquote) {
        cr_expect_geq(replay("plotquote", fuzz_plotquote), 3);
}

Test(fuzz_corpus, results) {
        cr_expect_geq(replay("results", fuzz_results), 3);
}
