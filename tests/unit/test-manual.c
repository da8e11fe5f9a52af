/* The manual pages and --help say the same: for each verb of isolab and for each agent,
 * the options --help lists are exactly the options its manual page lists.  Both come
 * from one table per program (controller/cli.h, agents/common/opts.h); this test fails
 * when a page is edited by hand or a program grows an option outside its table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs cmd and returns everything it printed on stdout (never NULL). */
static char *output(const char *cmd) {
        FILE *p = popen(cmd, "re");
        cr_assert_not_null(p, "%s", cmd);
        char *buf = NULL;
        size_t cap = 0;
        if (getdelim(&buf, &cap, '\0', p) < 0) {
                free(buf);
                buf = strdup("");
        }
        cr_assert_eq(pclose(p), 0, "%s failed", cmd);
        return buf;
}

/* Appends "--name\n" for each option line ("  --name ARG   help") of a --help text. */
static void help_options(const char *text, char *out, size_t len) {
        out[0] = '\0';
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, "  --", 4) != 0)
                        continue;
                size_t n = strcspn(l + 2, " \n");
                size_t used = strlen(out);
                snprintf(out + used, len - used, "%.*s\n", (int)n, l + 2);
        }
}

/* The same from the roff between `from` (a line prefix; NULL: the start) and the next
 * ".SS"/".SH": each ".TP" is followed by "\fB\-\-name\fR ...". */
static void man_options(const char *page, const char *from, char *out, size_t len) {
        out[0] = '\0';
        const char *l = page;
        if (from) {
                l = strstr(page, from);
                cr_assert_not_null(l, "the manual has no \"%s\"", from);
                l = strchr(l, '\n') + 1;
        }
        bool tp = false;
        for (; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, ".SS", 3) == 0 || strncmp(l, ".SH", 3) == 0)
                        break;
                if (tp && strncmp(l, "\\fB\\-\\-", 7) == 0) {
                        /* Undo the roff escapes of the name: "\-" is "-". */
                        const char *s = l + 3;
                        size_t used = strlen(out);
                        for (; *s && strncmp(s, "\\fR", 3) != 0 && used + 2 < len; s++) {
                                if (s[0] == '\\' && s[1] == '-')
                                        s++;
                                out[used++] = *s;
                        }
                        out[used++] = '\n';
                        out[used] = '\0';
                }
                tp = strncmp(l, ".TP", 3) == 0;
        }
}

static char *read_page(const char *name) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cat " ISOLAB_BUILD "/man/%s", name);
        return output(cmd);
}

Test(manual, every_verb_lists_the_options_of_its_help) {
        char *usage = output(ISOLAB_BUILD "/isolab --help");
        char *page = read_page("isolab.1");
        unsigned verbs = 0;
        for (const char *l = strstr(usage, "verbs:\n"); l && (l = strchr(l, '\n')) && l[1]; l++) {
                char verb[32];
                if (sscanf(l + 1, " %31s", verb) != 1)
                        continue;
                verbs++;
                char cmd[256], from[64], want[8192], got[8192];
                snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab %s --help", verb);
                char *help = output(cmd);
                help_options(help, want, sizeof(want));
                cr_expect_neq(strlen(want), 0, "isolab %s --help lists no option", verb);
                snprintf(from, sizeof(from), ".SS \"isolab %s ", verb);
                const char *sec = strstr(page, from);
                cr_assert_not_null(sec, "isolab(1) has no section for %s", verb);
                /* Verbs sharing a table point at the first verb that lists it. */
                const char *end = strstr(sec + 1, ".SS");
                const char *same = strstr(sec, "Options: those of \\fBisolab ");
                if (same && (!end || same < end)) {
                        char other[32];
                        cr_assert_eq(sscanf(same + strlen("Options: those of \\fBisolab "), "%31[a-z]", other), 1);
                        snprintf(from, sizeof(from), ".SS \"isolab %s ", other);
                }
                man_options(page, from, got, sizeof(got));
                cr_expect_str_eq(got, want, "isolab %s: the manual lists\n%s\nbut --help\n%s", verb, got, want);
                free(help);
        }
        cr_expect_geq(verbs, 8, "isolab --help lists %u verbs", verbs);
        free(usage);
        free(page);
}

static void agent_agrees(const char *agent) {
        char cmd[256], name[64], want[8192], got[8192];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab-%s --help", agent);
        char *help = output(cmd);
        help_options(help, want, sizeof(want));
        cr_expect_neq(strlen(want), 0, "isolab-%s --help lists no option", agent);
        snprintf(name, sizeof(name), "isolab-%s.8", agent);
        char *page = read_page(name);
        man_options(page, ".SH OPTIONS", got, sizeof(got));
        cr_expect_str_eq(got, want, "isolab-%s: the manual lists\n%s\nbut --help\n%s", agent, got, want);
        free(help);
        free(page);
}

Test(manual, isolab_nf) {
        agent_agrees("nf");
}

Test(manual, isolab_gen) {
        agent_agrees("gen");
}

Test(manual, isolab_noise) {
        agent_agrees("noise");
}

/* The pages are valid roff: man(1) renders each without a warning. */
Test(manual, pages_render_without_warnings) {
        const char *pages[] = { "isolab.1", "isolab-nf.8", "isolab-gen.8", "isolab-noise.8" };
        for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "groff -man -Tutf8 -ww -z " ISOLAB_BUILD "/man/%s 2>&1", pages[i]);
                char *warnings = output(cmd);
                cr_expect_str_empty(warnings, "%s: %s", pages[i], warnings);
                free(warnings);
        }
}
