/* make install and make uninstall, into a temporary DESTDIR: the Debian-like layout
 * (bin, libexec/isolab, share/isolab/scenarios, man pages, bash completion), the
 * installed isolab finding its agents and a shipped scenario by name, and uninstall
 * removing exactly what install put there. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dest[] = "/tmp/isolab-destdir-XXXXXX";

static void setup(void) {
        cr_assert_not_null(mkdtemp(dest));
}

static void teardown(void) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dest);
        (void)!system(cmd);
}

TestSuite(install, .init = setup, .fini = teardown, .timeout = 120);

static char *output(const char *cmd) {
        FILE *p = popen(cmd, "re");
        cr_assert_not_null(p);
        char *buf = NULL;
        size_t cap = 0;
        if (getdelim(&buf, &cap, '\0', p) < 0) {
                free(buf);
                buf = strdup("");
        }
        pclose(p);
        return buf;
}

/* make TARGET in the source tree with this test's build directory: nothing to build
 * (make check built it), only the files to copy or remove. */
static void make(const char *target) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "make --no-print-directory -s -C " ISOLAB_SRC " BUILD=" ISOLAB_BUILD " PREFIX=/usr/local DESTDIR=%s %s "
                 ">/dev/null",
                 dest, target);
        cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

Test(install, layout_shipped_scenario_by_name_and_uninstall) {
        make("install");
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cd %s && find . -type f | sort", dest);
        char *files = output(cmd);
        char *scen = output("cd " ISOLAB_SRC "/scenarios && ls *.ini | sed 's|^|./usr/local/share/isolab/scenarios/|'");
        char want[8192];
        snprintf(want, sizeof(want),
                 "./usr/local/bin/isolab\n"
                 "./usr/local/libexec/isolab/isolab-gen\n"
                 "./usr/local/libexec/isolab/isolab-nf\n"
                 "./usr/local/libexec/isolab/isolab-noise\n"
                 "./usr/local/share/bash-completion/completions/isolab\n"
                 "%s"
                 "./usr/local/share/man/man1/isolab.1\n"
                 "./usr/local/share/man/man8/isolab-gen.8\n"
                 "./usr/local/share/man/man8/isolab-nf.8\n"
                 "./usr/local/share/man/man8/isolab-noise.8\n",
                 scen);
        cr_expect_str_eq(files, want);
        free(files);
        free(scen);

        /* The installed isolab runs a shipped scenario by name, with the installed agents. */
        snprintf(cmd, sizeof(cmd), "%s/usr/local/bin/isolab run cpu-sweep --dry-run 2>&1", dest);
        char *dry = output(cmd);
        char path[600];
        snprintf(path, sizeof(path), "%s/usr/local/share/isolab/scenarios/cpu-sweep.ini", dest);
        cr_expect(strstr(dry, path) != NULL, "the scenario was not the installed one:\n%s", dry);
        snprintf(path, sizeof(path), "%s/usr/local/libexec/isolab/isolab-nf ", dest);
        cr_expect(strstr(dry, path) != NULL, "the NF is not the installed agent:\n%s", dry);
        free(dry);
        snprintf(cmd, sizeof(cmd), "%s/usr/local/bin/isolab run no-such-scenario --dry-run 2>&1", dest);
        char *err = output(cmd);
        cr_expect(strstr(err, "no shipped scenario is called \"no-such-scenario\"") && strstr(err, "cpu-sweep"),
                  "%s", err);
        free(err);
        snprintf(cmd, sizeof(cmd), "MANPATH=%s/usr/local/share/man man -w isolab 2>&1", dest);
        char *where = output(cmd);
        cr_expect(strstr(where, "/usr/local/share/man/man1/isolab.1") != NULL, "man -w isolab: %s", where);
        free(where);

        make("uninstall");
        snprintf(cmd, sizeof(cmd), "cd %s && find . -type f", dest);
        char *left = output(cmd);
        cr_expect_str_empty(left, "make uninstall left:\n%s", left);
        free(left);
}
