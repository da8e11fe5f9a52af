/* cpulist — see cpulist.h. */
#include "topology/cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads one decimal number at *p, advancing *p.  No sign, no spaces. */
static int read_num(const char **p, unsigned long *ret) {
        if (!isdigit((unsigned char)**p))
                return -EINVAL;
        unsigned long v = 0;
        while (isdigit((unsigned char)**p)) {
                v = v * 10 + (unsigned long)(**p - '0');
                if (v > CPULIST_MAX_CPU)
                        return -ERANGE;
                (*p)++;
        }
        *ret = v;
        return 0;
}

static int fail(int r, const char *why, const char *start, const char *at, const char **ret_why,
                size_t *ret_pos) {
        if (ret_why)
                *ret_why = why;
        if (ret_pos)
                *ret_pos = (size_t)(at - start);
        return r;
}

int cpulist_parse(const char *s, hwloc_bitmap_t set, const char **ret_why, size_t *ret_pos) {
        hwloc_bitmap_t acc = hwloc_bitmap_alloc();
        if (!acc)
                return -ENOMEM;
        const char *p = s;
        int r = 0;

        while (*p != '\0') {
                const char *elem = p;
                unsigned long a, b, used = 1, group = 1;

                r = read_num(&p, &a);
                if (r < 0) {
                        r = fail(r, r == -ERANGE ? "CPU number too large" : "expected a CPU number", s,
                                 elem, ret_why, ret_pos);
                        goto out;
                }
                b = a;
                if (*p == '-') {
                        p++;
                        r = read_num(&p, &b);
                        if (r < 0) {
                                r = fail(r, r == -ERANGE ? "CPU number too large" : "expected a CPU number after '-'",
                                         s, elem, ret_why, ret_pos);
                                goto out;
                        }
                        if (b < a) {
                                r = fail(-EINVAL, "range ends before it starts", s, elem, ret_why, ret_pos);
                                goto out;
                        }
                        if (*p == ':') {
                                p++;
                                if (read_num(&p, &used) < 0 || *p != '/') {
                                        r = fail(-EINVAL, "expected a stride group 'used/group' after ':'", s, elem,
                                                 ret_why, ret_pos);
                                        goto out;
                                }
                                p++;
                                if (read_num(&p, &group) < 0 || used == 0 || group == 0 || used > group) {
                                        r = fail(-EINVAL, "a stride group needs 0 < used <= group", s, elem,
                                                 ret_why, ret_pos);
                                        goto out;
                                }
                        }
                }
                if (*p != ',' && *p != '\0') {
                        r = fail(-EINVAL, "unexpected character", s, p, ret_why, ret_pos);
                        goto out;
                }
                for (unsigned long c = a; c <= b; c++)
                        if ((c - a) % group < used)
                                hwloc_bitmap_set(acc, (unsigned)c);
                if (*p == ',') {
                        p++;
                        if (*p == '\0') {
                                r = fail(-EINVAL, "trailing comma", s, p - 1, ret_why, ret_pos);
                                goto out;
                        }
                }
        }
        hwloc_bitmap_copy(set, acc);
out:
        hwloc_bitmap_free(acc);
        return r;
}

char *cpulist_format(hwloc_const_bitmap_t set) {
        char *s = NULL;
        if (hwloc_bitmap_iszero(set))
                return strdup("");
        if (hwloc_bitmap_list_asprintf(&s, set) < 0)
                return NULL;
        return s;
}
