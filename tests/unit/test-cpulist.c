/* CPU list parsing and formatting: the kernel's syntax, strictly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "topology/cpulist.h"

static char *roundtrip(const char *in) {
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        int r = cpulist_parse(in, s, NULL, NULL);
        cr_assert_eq(r, 0, "cpulist_parse(\"%s\") = %d", in, r);
        char *out = cpulist_format(s);
        hwloc_bitmap_free(s);
        return out;
}

Test(cpulist, round_trips) {
        static const char *const cases[][2] = {
                { "0-3,8", "0-3,8" },     { "0", "0" },           { "", "" },
                { "3,1,2", "1-3" },       { "0-1,1-2", "0-2" },   { "8191", "8191" },
                { "2,4,6,18,20,22", "2,4,6,18,20,22" },           { "0-15:2/4", "0-1,4-5,8-9,12-13" },
                { "0-7:1/2", "0,2,4,6" }, { "5-5", "5" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out = roundtrip(cases[i][0]);
                cr_expect_str_eq(out, cases[i][1], "\"%s\" formats as \"%s\", expected \"%s\"", cases[i][0], out,
                                 cases[i][1]);
                free(out);
        }
}

Test(cpulist, formatted_output_parses_back_to_the_same_set) {
        hwloc_bitmap_t a = hwloc_bitmap_alloc(), b = hwloc_bitmap_alloc();
        srand(42);
        for (int k = 0; k < 200; k++) {
                hwloc_bitmap_zero(a);
                for (int i = 0; i < 64; i++)
                        if (rand() % 3 == 0)
                                hwloc_bitmap_set(a, (unsigned)(rand() % 300));
                char *s = cpulist_format(a);
                cr_assert_eq(cpulist_parse(s, b, NULL, NULL), 0, "%s", s);
                cr_assert(hwloc_bitmap_isequal(a, b), "round trip of %s", s);
                free(s);
        }
        hwloc_bitmap_free(a);
        hwloc_bitmap_free(b);
}

Test(cpulist, rejects_malformed_lists_with_a_reason_and_position) {
        static const struct {
                const char *in;
                int err;
                size_t pos;
                const char *why;
        } cases[] = {
                { "a", -EINVAL, 0, "expected a CPU number" },
                { "1,", -EINVAL, 1, "trailing comma" },
                { ",1", -EINVAL, 0, "expected a CPU number" },
                { "1,,2", -EINVAL, 2, "expected a CPU number" },
                { "3-1", -EINVAL, 0, "range ends before it starts" },
                { "1-", -EINVAL, 0, "expected a CPU number after '-'" },
                { "1 2", -EINVAL, 1, "unexpected character" },
                { " 1", -EINVAL, 0, "expected a CPU number" },
                { "-1", -EINVAL, 0, "expected a CPU number" },
                { "8192", -ERANGE, 0, "CPU number too large" },
                { "0-99999999999999999999", -ERANGE, 0, "CPU number too large" },
                { "0-7:3/2", -EINVAL, 0, "a stride group needs 0 < used <= group" },
                { "0-7:0/2", -EINVAL, 0, "a stride group needs 0 < used <= group" },
                { "0-7:1", -EINVAL, 0, "expected a stride group 'used/group' after ':'" },
                { "1\n", -EINVAL, 1, "unexpected character" },
        };
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        hwloc_bitmap_set(s, 77);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = NULL;
                size_t pos = 999;
                int r = cpulist_parse(cases[i].in, s, &why, &pos);
                cr_expect_eq(r, cases[i].err, "\"%s\": %d", cases[i].in, r);
                cr_expect_eq(pos, cases[i].pos, "\"%s\": position %zu", cases[i].in, pos);
                cr_expect_str_eq(why, cases[i].why, "\"%s\": %s", cases[i].in, why);
        }
        /* A failed parse leaves the set as it was. */
        cr_expect(hwloc_bitmap_isset(s, 77) && hwloc_bitmap_weight(s) == 1);
        hwloc_bitmap_free(s);
}
