/* util — see util.h. */
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

void read_first_line(const char *path, char *buf, size_t len) {
        buf[0] = '\0';
        FILE *f = fopen(path, "re");
        if (f) {
                if (!fgets(buf, (int)len, f))
                        buf[0] = '\0';
                fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
}

int read_small_file(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        _cleanup_free_ char *buf = NULL;
        size_t cap = 0;
        ssize_t n = getdelim(&buf, &cap, '\0', f);
        if (n < 0) {
                if (ferror(f))
                        return -EIO;
                /* An empty file (an empty sysfs list) is an empty string. */
                free(buf);
                buf = strdup("");
                if (!buf)
                        return -ENOMEM;
                n = 0;
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
                buf[--n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Reads the leading decimal digits of s; *ret_end points after them. */
static int parse_leading_u64(const char *s, uint64_t *ret, const char **ret_end) {
        if (!s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        *ret_end = end;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        uint64_t v;
        const char *end;
        int r = parse_leading_u64(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                unsigned shift;
        } units[] = {
                { "", 0 },    { "K", 10 },  { "KiB", 10 }, { "KB", 10 }, { "k", 10 },
                { "M", 20 },  { "MiB", 20 }, { "MB", 20 },  { "G", 30 },  { "GiB", 30 },
                { "GB", 30 }, { "T", 40 },  { "TiB", 40 }, { "TB", 40 },
        };
        uint64_t v;
        const char *end;
        int r = parse_leading_u64(s, &v, &end);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                if (strcmp(end, units[i].suffix) != 0)
                        continue;
                if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
                        return -ERANGE;
                *ret = (uint64_t)v << units[i].shift;
                return 0;
        }
        return -EINVAL;
}

const char *format_size(uint64_t bytes, char *buf, size_t len) {
        static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        unsigned u = 0;
        while (u + 1 < ELEMENTSOF(unit) && bytes >= 1024 && bytes % 1024 == 0) {
                bytes /= 1024;
                u++;
        }
        snprintf(buf, len, "%" PRIu64 " %s", bytes, unit[u]);
        return buf;
}

int parse_decimal(const char *s, double *ret, const char **ret_end) {
        /* Plain decimal only: strtod would also take "0x10" (16), "inf", "nan", "1e-300"
         * and a sign, none of which a person means by a quota, a rate or a duration. */
        const char *p = s;
        size_t digits = 0;
        while (*p >= '0' && *p <= '9')
                p++, digits++;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        digits++;
        if (digits == 0 || p - s > 32)
                return -EINVAL;
        char buf[40];
        memcpy(buf, s, (size_t)(p - s));
        buf[p - s] = '\0';
        *ret = strtod(buf, NULL);
        *ret_end = p;
        return 0;
}

void join_or(char *buf, size_t len, size_t i, size_t n, const char *name) {
        size_t used = i == 0 ? 0 : strnlen(buf, len);
        if (used < len)
                snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", name);
}
