/* paths — see paths.h. */
#include "controller/paths.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

/* buf, resolved when it exists ("bin/../libexec" reads as "libexec" in logs and run.json). */
static void canonical(char *buf, size_t len) {
        char *real = realpath(buf, NULL);
        if (real && strlen(real) < len)
                memcpy(buf, real, strlen(real) + 1);
        free(real);
}

/* The directory of the running isolab binary, or "." when /proc is not there. */
static void self_dir(char *buf, size_t len) {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        char *slash = strrchr(self, '/');
        if (n <= 0 || !slash) {
                snprintf(buf, len, ".");
                return;
        }
        *slash = '\0';
        snprintf(buf, len, "%s", self[0] ? self : "/");
}

void paths_agent(const char *role, char *buf, size_t len) {
        const char *env = getenv("ISOLAB_LIBEXEC");
        if (env && *env) {
                snprintf(buf, len, "%s/isolab-%s", env, role);
                return;
        }
        char dir[4096];
        self_dir(dir, sizeof(dir));
        snprintf(buf, len, "%s/isolab-%s", dir, role);
        if (access(buf, X_OK) == 0)
                return;
        snprintf(buf, len, "%s/../libexec/isolab/isolab-%s", dir, role);
        canonical(buf, len);
}

int paths_is_name(const char *arg) {
        if (!arg || !*arg)
                return 0;
        for (const char *c = arg; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
                        return 0;
        return 1;
}

/* Appends the .ini names in dir to list (", "-separated). */
static void list_scenarios(const char *dir, char *list, size_t len) {
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
                size_t n = strlen(e->d_name);
                if (n <= 4 || strcmp(e->d_name + n - 4, ".ini") != 0)
                        continue;
                size_t used = strlen(list);
                snprintf(list + used, len - used, "%s%.*s", used ? ", " : "", (int)(n - 4), e->d_name);
        }
        if (d)
                closedir(d);
}

int paths_scenario(const char *name, char *buf, size_t len, struct diag *d) {
        char dir[4096], cand[2][4200];
        self_dir(dir, sizeof(dir));
        snprintf(cand[0], sizeof(cand[0]), "%s/../share/isolab/scenarios", dir);
        snprintf(cand[1], sizeof(cand[1]), "%s/../scenarios", dir);
        for (size_t i = 0; i < ELEMENTSOF(cand); i++) {
                snprintf(buf, len, "%s/%s.ini", cand[i], name);
                if (access(buf, R_OK) == 0) {
                        canonical(buf, len);
                        return 0;
                }
        }
        char list[1024] = "";
        for (size_t i = 0; i < ELEMENTSOF(cand) && !list[0]; i++)
                list_scenarios(cand[i], list, sizeof(list));
        if (list[0])
                return diag_set(d, -ENOENT, "no shipped scenario is called \"%s\"; the shipped ones are %s (or give a file: "
                                            "isolab run ./%s.ini)",
                                name, list, name);
        return diag_set(d, -ENOENT, "no shipped scenario is called \"%s\" and none are installed beside isolab; give a "
                                    "scenario file (isolab run ./%s.ini)",
                        name, name);
}
