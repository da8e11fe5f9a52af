/* Small helpers: diagnostics, numbers and sizes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/linebuf.h"
#include "base/util.h"

Test(diag, keeps_the_first_failure) {
        struct diag d = { 0 };
        cr_expect_eq(diag_set(&d, -ENOENT, "first %d", 1), -ENOENT);
        cr_expect_eq(diag_set(&d, EINVAL, "second"), -EINVAL);
        cr_expect_str_eq(d.msg, "first 1");
        cr_expect_eq(d.err, -ENOENT);
        diag_clear(&d);
        cr_expect_eq(d.err, 0);
        cr_expect_eq(diag_set(NULL, -EPERM, "nowhere"), -EPERM);
}

Test(util, parse_u64_is_strict) {
        uint64_t v;
        cr_expect_eq(parse_u64("42", &v), 0);
        cr_expect_eq(v, 42);
        cr_expect_eq(parse_u64("", &v), -EINVAL);
        cr_expect_eq(parse_u64("-1", &v), -EINVAL);
        cr_expect_eq(parse_u64(" 1", &v), -EINVAL);
        cr_expect_eq(parse_u64("1x", &v), -EINVAL);
        cr_expect_eq(parse_u64("99999999999999999999999", &v), -ERANGE);
}

Test(util, sizes_parse_in_binary_units) {
        static const struct {
                const char *in;
                uint64_t want;
        } ok[] = {
                { "2M", 2ULL << 20 }, { "2MiB", 2ULL << 20 }, { "1G", 1ULL << 30 }, { "1GB", 1ULL << 30 },
                { "512", 512 },       { "64K", 64ULL << 10 }, { "3T", 3ULL << 40 },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                uint64_t v = 0;
                cr_expect_eq(parse_size(ok[i].in, &v), 0, "%s", ok[i].in);
                cr_expect_eq(v, ok[i].want, "%s", ok[i].in);
        }
        uint64_t v;
        cr_expect_eq(parse_size("2X", &v), -EINVAL);
        cr_expect_eq(parse_size("M", &v), -EINVAL);
        cr_expect_eq(parse_size("2 M", &v), -EINVAL);
        cr_expect_eq(parse_size("99999999999T", &v), -ERANGE);
}

Test(util, sizes_format_exactly) {
        char b[32];
        cr_expect_str_eq(format_size(2ULL << 20, b, sizeof(b)), "2 MiB");
        cr_expect_str_eq(format_size(1ULL << 30, b, sizeof(b)), "1 GiB");
        cr_expect_str_eq(format_size(1536ULL << 20, b, sizeof(b)), "1536 MiB");
        cr_expect_str_eq(format_size(4096, b, sizeof(b)), "4 KiB");
        cr_expect_str_eq(format_size(1000, b, sizeof(b)), "1000 B");
}

/* The line buffer of the runner and the agents: lines cut across reads come out whole,
 * several in one read come out one by one, a last line without its newline is one at
 * the end of input. */
Test(linebuf, lines_across_reads_and_at_the_end) {
        int p[2];
        cr_assert_eq(pipe(p), 0);
        struct linebuf lb = { 0 };
        char *line = NULL;
        cr_assert_eq(write(p[1], "{\"a\":1}\n{\"b\"", 12), 12);
        cr_assert_eq(linebuf_fill(&lb, p[0]), 1);
        cr_assert_eq(linebuf_take(&lb, &line), 1);
        cr_expect_str_eq(line, "{\"a\":1}");
        free(line);
        cr_expect_eq(linebuf_take(&lb, &line), 0, "half a line is not a line");
        cr_assert_eq(write(p[1], ":2}\nlast", 8), 8);
        close(p[1]);
        cr_assert_eq(linebuf_fill(&lb, p[0]), 1);
        cr_assert_eq(linebuf_take(&lb, &line), 1);
        cr_expect_str_eq(line, "{\"b\":2}");
        free(line);
        cr_expect_eq(linebuf_take(&lb, &line), 0);
        cr_expect_eq(linebuf_fill(&lb, p[0]), 0, "end of input");
        linebuf_finish(&lb);
        cr_assert_eq(linebuf_take(&lb, &line), 1);
        cr_expect_str_eq(line, "last");
        free(line);
        linebuf_free(&lb);
        close(p[0]);
}
