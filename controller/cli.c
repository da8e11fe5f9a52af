/* cli — see cli.h. */
#include "controller/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/optdoc.h"
#include "base/util.h"

int cli_parse_string(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        if (!*value)
                return diag_set(d, -EINVAL, "--%s needs a value: --%s %s", o->name, o->name, o->arg);
        *(const char **)dst = value;
        return 0;
}

int cli_parse_uint(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        uint64_t v;
        if (parse_u64(value, &v) < 0 || v > 65535)
                return diag_set(d, -EINVAL, "--%s %s: expected a whole number from 0 to 65535", o->name, value);
        *(unsigned *)dst = (unsigned)v;
        return 0;
}

int cli_parse_count(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        uint64_t v;
        if (parse_u64(value, &v) < 0 || v < 1 || v > 65535)
                return diag_set(d, -EINVAL, "--%s %s: expected a whole number from 1 to 65535", o->name, value);
        *(unsigned *)dst = (unsigned)v;
        return 0;
}

int cli_parse_node(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        uint64_t v;
        if (parse_u64(value, &v) < 0 || v > 1023)
                return diag_set(d, -EINVAL, "--%s %s: expected a NUMA node number (0, 1, ...)", o->name, value);
        *(int *)dst = (int)v;
        return 0;
}

int cli_parse_size(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        uint64_t v;
        if (parse_size(value, &v) < 0 || v == 0)
                return diag_set(d, -EINVAL, "--%s %s: expected a size such as 2M, 1G or 512M", o->name, value);
        *(uint64_t *)dst = v;
        return 0;
}

int cli_decimal(const char *s, double *ret, const char **ret_end) {
        return parse_decimal(s, ret, ret_end);
}

int parse_duration_us(const char *s, uint64_t *ret) {
        static const struct {
                const char *unit;
                double us;
        } units[] = { { "", 1e6 }, { "s", 1e6 }, { "ms", 1e3 }, { "us", 1 } };
        const char *end;
        double v;
        if (!s || cli_decimal(s, &v, &end) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].unit) == 0) {
                        double us = v * units[i].us;
                        if (us > 1e15)
                                return -ERANGE;
                        *ret = (uint64_t)(us + 0.5);
                        return 0;
                }
        return -EINVAL;
}

int cli_parse_duration(const struct cli_option *o, const char *value, void *dst, struct diag *d) {
        uint64_t v;
        if (parse_duration_us(value, &v) < 0)
                return diag_set(d, -EINVAL, "--%s %s: expected a duration such as 10s, 500ms or 2.5s", o->name, value);
        *(uint64_t *)dst = v;
        return 0;
}

/* Calls each(elem, i) for the comma-separated elements of s. */
static int each_elem(const char *opt, const char *s, size_t max, struct diag *d, int (*each)(const char *, size_t, void *),
                     void *ctx) {
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        size_t n = 0;
        char *save = NULL, *seen[64];
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (n == max || n == ELEMENTSOF(seen))
                        return diag_set(d, -EINVAL, "--%s: at most %zu values", opt, max < ELEMENTSOF(seen) ? max : ELEMENTSOF(seen));
                if (each(w, n, ctx) < 0)
                        return diag_set(d, -EINVAL, "--%s: \"%s\" is not valid here", opt, w);
                /* A value twice would measure the same point twice under two names. */
                for (size_t k = 0; k < n; k++)
                        if (strcmp(seen[k], w) == 0)
                                return diag_set(d, -EINVAL, "--%s names %s twice", opt, w);
                seen[n++] = w;
        }
        if (n == 0)
                return diag_set(d, -EINVAL, "--%s needs at least one value", opt);
        return (int)n;
}

static int one_percent(const char *w, size_t i, void *ctx) {
        const char *end;
        double v;
        if (cli_decimal(w, &v, &end) < 0 || (*end && strcmp(end, "%") != 0) || !(v > 0 && v <= 100))
                return -EINVAL;
        ((double *)ctx)[i] = v;
        return 0;
}

static int one_duration(const char *w, size_t i, void *ctx) {
        return parse_duration_us(w, &((uint64_t *)ctx)[i]);
}

static int one_uint(const char *w, size_t i, void *ctx) {
        uint64_t v;
        if (parse_u64(w, &v) < 0 || v > 1000000)
                return -EINVAL;
        ((unsigned *)ctx)[i] = (unsigned)v;
        return 0;
}

int cli_list_percent(const char *opt, const char *s, double *v, size_t max, struct diag *d) {
        return each_elem(opt, s, max, d, one_percent, v);
}

int cli_list_duration(const char *opt, const char *s, uint64_t *v, size_t max, struct diag *d) {
        return each_elem(opt, s, max, d, one_duration, v);
}

int cli_list_uint(const char *opt, const char *s, unsigned *v, size_t max, struct diag *d) {
        return each_elem(opt, s, max, d, one_uint, v);
}

static unsigned edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        if (la > 63 || lb > 63)
                return 64;
        unsigned row[64];
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned)j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned)i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (row[j] + 1 < best)
                                best = row[j] + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        return row[lb];
}

const char *cli_closest_word(const char *name, const char *const *words, size_t n) {
        const char *best = NULL;
        unsigned best_d = 0;
        for (size_t i = 0; i < n; i++) {
                if (!words[i])
                        continue;
                unsigned dist = edit_distance(name, words[i]);
                /* A prefix is as good as a near miss: "--pmd" means "--pmd-cores". */
                if (strncmp(words[i], name, strlen(name)) == 0)
                        dist = 1;
                if (!best || dist < best_d) {
                        best = words[i];
                        best_d = dist;
                }
        }
        /* Farther than a third of the word is a different word. */
        return best && best_d <= 1 + strlen(name) / 3 ? best : NULL;
}

const char *cli_closest(const char *name, const struct cli_option *table, size_t n) {
        const char *words[n ? n : 1];
        for (size_t i = 0; i < n; i++)
                words[i] = table[i].name;
        return cli_closest_word(name, words, n);
}

json_t *cli_options_json(const struct cli_option *table, size_t n, const void *opts) {
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++) {
                const struct cli_option *c = &table[i];
                const void *src = (const char *)opts + c->offset;
                json_t *v;
                if (!c->parse)
                        v = json_boolean(*(const bool *)src);
                else if (c->parse == cli_parse_string)
                        v = *(const char *const *)src ? json_string(*(const char *const *)src) : json_null();
                else if (c->parse == cli_parse_uint)
                        v = json_integer(*(const unsigned *)src);
                else if (c->parse == cli_parse_node)
                        v = json_integer(*(const int *)src);
                else if (c->parse == cli_parse_duration)
                        v = json_sprintf("%gs", (double)*(const uint64_t *)src / 1e6);
                else if (c->parse == cli_parse_size)
                        v = json_integer((json_int_t) * (const uint64_t *)src);
                else
                        continue; /* a parser this function does not know: leave it out */
                json_object_set_new(o, c->name, v);
        }
        return o;
}

int cli_set_value(const struct cli_option *o, const char *value, void *opts, struct diag *d) {
        void *dst = (char *)opts + o->offset;
        if (o->parse)
                return o->parse(o, value, dst, d);
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") || !strcmp(value, "on"))
                *(bool *)dst = true;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") || !strcmp(value, "off"))
                *(bool *)dst = false;
        else
                return diag_set(d, -EINVAL, "--%s %s: give true or false (yes/no, on/off, 1/0)", o->name, value);
        return 0;
}

static const struct cli_option *find(const char *name, size_t len, const struct cli_option *table, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strlen(table[i].name) == len && strncmp(table[i].name, name, len) == 0)
                        return &table[i];
        return NULL;
}

int cli_parse(int argc, char **argv, const struct cli_option *table, size_t n, void *opts, int *ret_optind,
              bool *ret_help, struct diag *d) {
        /* Options may come before or after positional arguments (GNU style): positionals
         * are collected and moved behind the options, in their order. */
        char *pos[argc > 0 ? argc : 1], *opt[argc > 0 ? argc : 1];
        int npos = 0, nopt = 0, i = 1;
        *ret_help = false;
        for (; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0) {
                        for (i++; i < argc; i++)
                                pos[npos++] = argv[i];
                        break;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        *ret_help = true;
                        opt[nopt++] = argv[i];
                        continue;
                }
                if (a[0] != '-' || a[1] == '\0') {
                        pos[npos++] = argv[i];
                        continue;
                }
                if (a[1] != '-')
                        return diag_set(d, -EINVAL, "%s: isolab takes long options only (--name value); see isolab %s --help",
                                        a, argv[0]);
                const char *name = a + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t)(eq - name) : strlen(name);
                const struct cli_option *o = find(name, len, table, n);
                if (!o) {
                        _cleanup_free_ char *bare = strndup(name, len);
                        const char *close = bare ? cli_closest(bare, table, n) : NULL;
                        if (close)
                                return diag_set(d, -EINVAL, "unknown option --%s for %s; did you mean --%s?", bare,
                                                argv[0], close);
                        return diag_set(d, -EINVAL, "unknown option --%s for %s; see isolab %s --help",
                                        bare ? bare : name, argv[0], argv[0]);
                }
                void *dst = (char *)opts + o->offset;
                opt[nopt++] = argv[i];
                if (!o->arg) {
                        if (eq)
                                return diag_set(d, -EINVAL, "--%s takes no value", o->name);
                        *(bool *)dst = true;
                        continue;
                }
                const char *value = eq ? eq + 1 : NULL;
                if (!value) {
                        if (i + 1 >= argc)
                                return diag_set(d, -EINVAL, "--%s needs a value: --%s %s", o->name, o->name, o->arg);
                        value = argv[++i];
                        opt[nopt++] = argv[i];
                }
                int r = o->parse(o, value, dst, d);
                if (r < 0)
                        return r;
        }
        /* Options (with their values) first, then the positionals: argv can be parsed
         * again (a scenario file first, then the command line over it). */
        int k = 1;
        for (int j = 0; j < nopt; j++)
                argv[k++] = opt[j];
        for (int j = 0; j < npos; j++)
                argv[k++] = pos[j];
        *ret_optind = argc - npos;
        return 0;
}

void cli_help(FILE *f, const char *verb, const char *usage, const char *summary, const struct cli_option *table,
              size_t n) {
        fprintf(f, "usage: isolab %s %s\n\n%s\n\noptions:\n", verb, usage, summary);
        for (size_t i = 0; i < n; i++)
                optdoc_help_line(f, table[i].name, table[i].arg, table[i].help);
        optdoc_help_line(f, "help", NULL, "this text");
}

void cli_roff(FILE *f, const struct cli_option *table, size_t n) {
        for (size_t i = 0; i < n; i++)
                optdoc_roff(f, table[i].name, table[i].arg, table[i].help);
        optdoc_roff(f, "help", NULL, "print the options and exit");
}

int cli_verb_start(int argc, char **argv, const struct cli_option *table, size_t n, void *opts, const char *summary) {
        struct diag d = { 0 };
        bool help;
        int optind_;
        if (cli_parse(argc, argv, table, n, opts, &optind_, &help, &d) < 0) {
                fprintf(stderr, "isolab: %s\n", d.msg);
                return EXIT_USAGE;
        }
        if (help) {
                cli_help(stdout, argv[0], "[options]", summary, table, n);
                return 0;
        }
        if (optind_ < argc) {
                fprintf(stderr, "isolab: %s takes no argument, got \"%s\"; see isolab %s --help\n", argv[0], argv[optind_],
                        argv[0]);
                return EXIT_USAGE;
        }
        return -1;
}
