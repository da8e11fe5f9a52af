/* scenario — see scenario.h. */
#include "controller/scenario.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/resdir.h"
#include "base/util.h"

const char *const scenario_noise_keys[] = { "workload", "placement", "threads", "load", "size", "node",
                                            "keepalive", "cmd", "quota", NULL };

struct ctx {
        const char *path;
        const struct cli_option *table;
        size_t n;
        void *opts;
        struct scenario *sc;
        unsigned line;         /* counted by the reader */
        struct diag err;       /* the first error, with its line */
        FILE *f;
        /* What was set where, so a key or a section given twice is an error, not a
         * silent override: "section\nkey" (or "section\n" for a section) and its line. */
        char *seen[256];
        unsigned seen_line[256];
        size_t n_seen;
        char cur[128];          /* the section being read */
        char last[256];         /* the previous key ("section\nkey"): inih repeats it for a continuation line */
        bool indented;          /* the line just read starts with white space (a continuation) */
};

/* inih's fgets, counting lines so the handler knows where it is. */
static char *reader(char *str, int num, void *stream) {
        struct ctx *c = stream;
        char *s = fgets(str, num, c->f);
        if (s) {
                c->line++;
                c->indented = s[0] == ' ' || s[0] == '\t';
        }
        return s;
}

static int fail(struct ctx *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int r, const char *fmt, ...) {
        if (c->err.err)
                return 0; /* the first error is the one to fix */
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        diag_set(&c->err, r, "%s:%u: %s", c->path, c->line, msg);
        return 0;
}

static const char *keep(struct ctx *c, const char *value) {
        char **v = realloc(c->sc->strings, (c->sc->n_strings + 1) * sizeof(*v));
        if (!v)
                return NULL;
        c->sc->strings = v;
        return v[c->sc->n_strings++] = strdup(value);
}

static bool valid_name(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 24)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
                        return false;
        return true;
}

static int in(const char *w, const char *const *list) {
        for (size_t i = 0; list[i]; i++)
                if (strcmp(w, list[i]) == 0)
                        return 1;
        return 0;
}

static int noise_key(struct ctx *c, const char *section, const char *name, const char *value) {
        const char *nname = section + 6;
        if (!valid_name(nname))
                return fail(c, -EINVAL, "[%s]: a neighbour's name is 1 to 24 of a-z, 0-9, _ and -", section);
        struct noise_spec *s = NULL;
        for (size_t i = 0; i < c->sc->n_noise; i++)
                if (strcmp(c->sc->noise[i].name, nname) == 0)
                        s = &c->sc->noise[i];
        if (!s) {
                if (c->sc->n_noise == SCENARIO_MAX_NOISE)
                        return fail(c, -E2BIG, "[%s]: at most %d neighbours", section, SCENARIO_MAX_NOISE);
                s = &c->sc->noise[c->sc->n_noise++];
                snprintf(s->name, sizeof(s->name), "%s", nname);
                snprintf(s->where, sizeof(s->where), "%s:%u [%s]", c->path, c->line, section);
        }
        if (strcmp(name, "workload") == 0) {
                /* Which workloads exist is isolab-noise's to say: the run asks it
                 * (`isolab-noise --list`) and names this file and line if it has none. */
                if (!*value || strlen(value) >= sizeof(s->workload) || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(value))
                        return fail(c, -EINVAL, "[%s] workload = %s: a workload's name is a-z, 0-9, _ and - (isolab-noise --list)",
                                    section, value);
                snprintf(s->workload, sizeof(s->workload), "%s", value);
        } else if (strcmp(name, "placement") == 0) {
                s->placement = keep(c, value);
        } else if (strcmp(name, "cmd") == 0) {
                s->cmd = keep(c, value);
        } else if (strcmp(name, "quota") == 0) {
                s->quota = keep(c, value);
        } else if (in(name, scenario_noise_keys)) {
                size_t l = strlen(s->opts);
                if (strchr(value, ',') || strchr(value, '='))
                        return fail(c, -EINVAL, "[%s] %s = %s: one value, no ',' or '='", section, name, value);
                snprintf(s->opts + l, sizeof(s->opts) - l, "%s%s=%s", l ? "," : "", name, value);
        } else {
                const char *close = cli_closest_word(name, scenario_noise_keys, 9);
                return fail(c, -EINVAL, "unknown key \"%s\" in [%s]%s%s%s", name, section, close ? "; did you mean \"" : "",
                            close ? close : "", close ? "\"?" : " (workload, placement, threads, load, size, node, "
                                                              "keepalive, cmd, quota)");
        }
        return 1;
}

/* The line where what (a "section\nkey" or "section\n") was first seen, or 0; records it. */
static unsigned first_seen(struct ctx *c, const char *what) {
        for (size_t i = 0; i < c->n_seen; i++)
                if (strcmp(c->seen[i], what) == 0)
                        return c->seen_line[i];
        if (c->n_seen < ELEMENTSOF(c->seen) && (c->seen[c->n_seen] = (char *)keep(c, what)))
                c->seen_line[c->n_seen++] = c->line;
        return 0;
}

static int duplicate(struct ctx *c, const char *section, const char *name) {
        char what[256];
        if (strcmp(c->cur, section) != 0) {
                snprintf(c->cur, sizeof(c->cur), "%s", section);
                snprintf(what, sizeof(what), "%s\n", section);
                unsigned at = first_seen(c, what);
                if (at)
                        return fail(c, -EINVAL, "section [%s] appears twice (first on line %u); give each section once",
                                    section, at);
        }
        snprintf(what, sizeof(what), "%s\n%s", section, name);
        if (strcmp(what, c->last) == 0 && c->indented)
                return 1; /* a continuation line of the same key */
        snprintf(c->last, sizeof(c->last), "%s", what);
        unsigned at = first_seen(c, what);
        if (at)
                return fail(c, -EINVAL, "[%s] %s is set twice (first on line %u); give each key once", section, name, at);
        return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        struct ctx *c = user;
        if (c->err.err)
                return 1;
        if (!duplicate(c, section, name) || c->err.err)
                return 1;
        if (strncmp(section, "noise.", 6) == 0)
                return noise_key(c, section, name, value);
        /* Which sections exist: those the table names. */
        const char *sections[64];
        size_t ns = 0;
        bool known = false;
        for (size_t i = 0; i < c->n; i++) {
                const char *s = c->table[i].section;
                if (!s)
                        continue;
                known |= strcmp(s, section) == 0;
                bool seen = false;
                for (size_t k = 0; k < ns; k++)
                        seen |= strcmp(sections[k], s) == 0;
                if (!seen && ns < 63)
                        sections[ns++] = s;
        }
        if (!known) {
                const char *close = cli_closest_word(section, sections, ns);
                return fail(c, -EINVAL, "unknown section [%s]%s%s%s", section, close ? "; did you mean [" : "",
                            close ? close : "", close ? "]?" : " ([noise.NAME] describes a neighbour)");
        }
        /* In [S] an option named S-KEY may be given as KEY ([ovs] n-rxq is --ovs-n-rxq). */
        const struct cli_option *o = NULL;
        const char *keys[c->n];
        size_t nk = 0;
        size_t sl = strlen(section);
        for (size_t i = 0; i < c->n; i++) {
                if (!c->table[i].section)
                        continue;
                const char *tn = c->table[i].name;
                bool prefixed = strcmp(c->table[i].section, section) == 0 && strncmp(tn, section, sl) == 0 && tn[sl] == '-' &&
                                strcmp(tn + sl + 1, name) == 0;
                if (strcmp(tn, name) == 0 || prefixed)
                        o = &c->table[i];
                if (strcmp(c->table[i].section, section) == 0)
                        keys[nk++] = c->table[i].name;
        }
        if (!o) {
                const char *close = cli_closest_word(name, keys, nk);
                return fail(c, -EINVAL, "unknown key \"%s\" in [%s]%s%s%s", name, section, close ? "; did you mean \"" : "",
                            close ? close : "", close ? "\"?" : "");
        }
        if (strcmp(o->section, section) != 0)
                return fail(c, -EINVAL, "key \"%s\" belongs in [%s], not [%s]", name, o->section, section);
        const char *v = keep(c, value);
        if (!v)
                return fail(c, -ENOMEM, "out of memory");
        struct diag d = { 0 };
        int r = cli_set_value(o, v, c->opts, &d);
        if (r < 0) {
                /* The parsers speak of --name; in a file it is [section] name. */
                const char *m = d.msg;
                char opt[80];
                snprintf(opt, sizeof(opt), "--%s", o->name);
                if (strncmp(m, opt, strlen(opt)) == 0) {
                        m += strlen(opt);
                        while (*m == ' ' || *m == ':' || *m == '=')
                                m++;
                        if (strncmp(m, v, strlen(v)) == 0) /* "--duration soon: ..." */
                                m += strlen(v);
                }
                while (*m == ' ' || *m == ':')
                        m++;
                return fail(c, r, "[%s] %s = %s: %s", section, name, value, m);
        }
        return 1;
}

int scenario_load(const char *path, const struct cli_option *table, size_t n, void *opts, struct scenario *sc,
                  struct diag *d) {
        /* A scenario is a regular file of bounded size: /dev/zero, a FIFO or a directory
         * would hang the run or run the defaults.  O_NONBLOCK keeps a FIFO's open from
         * waiting for a writer. */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                sc->path = strdup(path);
                return diag_set(d, -e, "cannot read scenario %s: %s", path, strerror(e));
        }
        if (!S_ISREG(st.st_mode) || st.st_size > SCENARIO_MAX_BYTES) {
                close(fd);
                sc->path = strdup(path);
                return diag_set(d, -EINVAL, "scenario %s is %s; give an INI file of at most %d KiB", path,
                                S_ISDIR(st.st_mode) ? "a directory" : !S_ISREG(st.st_mode) ? "not a regular file" : "too large",
                                SCENARIO_MAX_BYTES >> 10);
        }
        resdir_trust(&st, sc->untrusted, sizeof(sc->untrusted));
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        FILE *f = fdopen(fd, "re");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        int r = scenario_load_file(f, path, table, n, opts, sc, d);
        fclose(f);
        return r;
}

int scenario_load_file(FILE *f, const char *path, const struct cli_option *table, size_t n, void *opts, struct scenario *sc,
                       struct diag *d) {
        struct ctx c = { .path = path, .table = table, .n = n, .opts = opts, .sc = sc, .f = f };
        sc->path = strdup(path);
        int r = ini_parse_stream(reader, &c, handler, &c);
        if (c.err.err) {
                *d = c.err;
                return c.err.err;
        }
        if (r != 0)
                return diag_set(d, -EINVAL, "%s:%d: not an INI line (expected [section] or key = value)", path, r);
        for (size_t i = 0; i < sc->n_noise; i++)
                if (!sc->noise[i].workload[0])
                        return diag_set(d, -EINVAL, "%s has no workload = cpu|cache|membw|ctxsw|http|idle|exec",
                                        sc->noise[i].where);
        return 0;
}

void scenario_free(struct scenario *sc) {
        for (size_t i = 0; i < sc->n_strings; i++)
                free(sc->strings[i]);
        free(sc->strings);
        free(sc->path);
        *sc = (struct scenario){ 0 };
}
