/* isolab plot on a recorded sweep (3 quotas x 2 repetitions, with latency and poll-gap
 * histograms): gnuplot's exit status, every figure written, and its image size. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/cleanup.h"
#include "controller/verbs.h"

static char dir[] = "/tmp/isolab-plot-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(dir));
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cp %s/tests/fixtures/sweep-plot/trials.jsonl %s/tests/fixtures/sweep-plot/run.json %s/",
                 ISOLAB_SRC, ISOLAB_SRC, dir);
        cr_assert_eq(system(cmd), 0);
}

static void teardown(void) {
        cleanup_rm_rf(dir);
}

TestSuite(plot, .init = setup, .fini = teardown);

static int plot(const char *format) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab plot %s --format %s > /dev/null 2>&1", dir, format);
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Width and height from a PNG's IHDR chunk. */
static void png_size(const char *path, uint32_t *w, uint32_t *h) {
        unsigned char b[24];
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s was not written", path);
        cr_assert_eq(fread(b, 1, 24, f), 24);
        fclose(f);
        cr_assert_eq(memcmp(b, "\x89PNG\r\n\x1a\n", 8), 0, "%s is not a PNG", path);
        *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
        *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
}

static const char *const figures[] = { "latency-cdf", "latency-ccdf", "throughput", "rate-vs-quota", "poll-gaps" };
#define N_FIGURES (sizeof(figures) / sizeof(figures[0]))

Test(plot, png_figures_are_written_at_their_size) {
        cr_assert_eq(plot("png"), 0, "isolab plot failed");
        for (size_t i = 0; i < N_FIGURES; i++) {
                char path[256];
                uint32_t w, h;
                snprintf(path, sizeof(path), "%s/figures/%s.png", dir, figures[i]);
                png_size(path, &w, &h);
                cr_expect_eq(w, 1200, "%s", path);
                cr_expect_eq(h, 800, "%s", path);
        }
}

Test(plot, svg_figures_are_written) {
        cr_assert_eq(plot("svg"), 0, "isolab plot failed");
        for (size_t i = 0; i < N_FIGURES; i++) {
                char path[256], head[2048] = "";
                snprintf(path, sizeof(path), "%s/figures/%s.svg", dir, figures[i]);
                FILE *f = fopen(path, "r");
                cr_assert_not_null(f, "%s was not written", path);
                size_t n = fread(head, 1, sizeof(head) - 1, f);
                fclose(f);
                head[n] = '\0';
                cr_expect(strstr(head, "<svg") && strstr(head, "width=\"1200\""), "%s: %.200s", path, head);
        }
}

Test(plot, bad_input) {
        cr_expect_eq(plot("gif"), 2);
        int st = system(ISOLAB_BUILD "/isolab plot /nonexistent > /dev/null 2>&1");
        cr_expect_eq(WEXITSTATUS(st), 2);
}

/* A trials.jsonl whose strings were crafted to end gnuplot's quoting and call `system`:
 * every string is checked against what isolab writes, so plot refuses the file, naming
 * the line, and gnuplot never sees it. */
Test(plot, crafted_strings_never_reach_gnuplot) {
        char path[300], flag[300], cmd[900];
        snprintf(flag, sizeof(flag), "%s/pwned", dir);
        static const char *const fields[] = { "pinning", "nf_under_test" };
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/trials.jsonl", dir);
                FILE *f = fopen(path, "a");
                cr_assert_not_null(f);
                fprintf(f, "{\"index\":99,\"quota\":50,\"period_us\":100000,\"frame_size\":64,\"%s\":\"x\\\"\\nsystem "
                           "\\\"touch %s\\\"\\n#\",\"result\":{\"mpps\":1}}\n",
                        fields[i], flag);
                fclose(f);
                snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab plot %s 2>&1", dir);
                FILE *p = popen(cmd, "r");
                char out[1024] = "";
                size_t n = fread(out, 1, sizeof(out) - 1, p);
                out[n] = '\0';
                int st = pclose(p);
                cr_expect_eq(WEXITSTATUS(st), 2, "plot accepted a crafted %s: %s", fields[i], out);
                cr_expect(strstr(out, "trials.jsonl:") && strstr(out, fields[i]) && strstr(out, "not a value isolab writes"),
                          "%s", out);
                cr_expect_neq(access(flag, F_OK), 0, "gnuplot ran the file's command");
                /* Back to the fixture for the next field. */
                snprintf(cmd, sizeof(cmd), "cp %s/tests/fixtures/sweep-plot/trials.jsonl %s/", ISOLAB_SRC, dir);
                cr_assert_eq(system(cmd), 0);
        }
}

/* The quoting itself: nothing from a string can end a gnuplot single-quoted string or
 * its line. */
Test(plot, quote_keeps_text_inside_one_string) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        plot_quote(f, "a'b\nc`d`@e\\f\"g");
        fclose(f);
        cr_expect_str_eq(buf, "'a''b c d  e\\f\"g'");
        free(buf);
}

/* Everything plot says on stderr, gnuplot's own lines included, is isolab's: prefixed. */
Test(plot, every_message_is_prefixed) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab plot %s 2>&1 >/dev/null", dir);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        char line[1024];
        unsigned n = 0;
        while (fgets(line, sizeof(line), p)) {
                n++;
                cr_expect(strncmp(line, "isolab: ", 8) == 0, "not prefixed: %s", line);
        }
        pclose(p);
        (void)n;
}

/* The CCDF is over the packets offered: each curve starts at 1, never falls below its
 * loss (the plateau), and the (1 - q) x period mark is drawn for the quotas under 100 %. */
Test(plot, latency_ccdf_levels_off_at_the_loss) {
        cr_assert_eq(plot("svg"), 0, "isolab plot failed");
        char path[256];
        snprintf(path, sizeof(path), "%s/figures/latency-ccdf.dat", dir);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s", path);
        char line[512];
        int blocks = 0;
        double first = -1, last = -1, prev = 2;
        bool monotone = true;
        double plateau[8] = { 0 };
        while (fgets(line, sizeof(line), f)) {
                double x, y;
                if (line[0] == '"') {
                        const char *lost = strstr(line, "(lost ");
                        cr_assert_not_null(lost, "%s", line);
                        plateau[blocks < 8 ? blocks : 7] = strtod(lost + 6, NULL) / 100;
                        if (blocks)
                                cr_expect_geq(last, plateau[blocks - 1] * 0.99, "block %d ends under its loss", blocks - 1);
                        blocks++;
                        first = -1;
                        prev = 2;
                        continue;
                }
                if (sscanf(line, "%lf %lf", &x, &y) != 2)
                        continue;
                if (first < 0)
                        first = y;
                monotone &= y <= prev;
                prev = last = y;
        }
        fclose(f);
        cr_expect_eq(blocks, 3, "one curve per quota of the fixture");
        cr_expect_float_eq(first, 1.0, 1e-12);
        cr_expect(monotone, "a CCDF never rises");
        cr_expect_geq(last, plateau[2] * 0.99, "the 25 %% curve ends at its loss, %g", plateau[2]);
        cr_expect_gt(plateau[2], 0.8, "the fixture's 25 %% quota lost about 90 %%");
        snprintf(path, sizeof(path), "%s/figures/figures.gp", dir);
        f = fopen(path, "r");
        cr_assert_not_null(f);
        char gp[16384] = "";
        size_t n = fread(gp, 1, sizeof(gp) - 1, f);
        fclose(f);
        gp[n] = 0;
        cr_expect(strstr(gp, "set arrow from 50000.000, graph 0") != NULL, "(1 - 0.5) x 100 ms:\n%s", gp);
        cr_expect(strstr(gp, "set arrow from 75000.000, graph 0") != NULL, "(1 - 0.25) x 100 ms");
}
