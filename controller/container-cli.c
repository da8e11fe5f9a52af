/* container-cli — the engines' shared command line (container.h): Docker and Podman
 * take the same subcommands; each engine adds its own global flags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/spawn.h"
#include "controller/container.h"
#include "controller/nf.h"

void container_cmd(const struct container_ops *c, struct argvec *a) {
        argv_add(a, "%s", c->bin);
        if (c->global_args)
                c->global_args(a);
}

/* Runs the engine's client with args (NULL-terminated); its output in *out (NULL: not
 * wanted).  0, or -EIO with d naming the subcommand and the first line it printed. */
int container_run_cli(const struct container_ops *c, const char *const args[], char **out, struct diag *d) {
        struct argvec a = { 0 };
        container_cmd(c, &a);
        for (size_t i = 0; args[i]; i++)
                argv_add(&a, "%s", args[i]);
        if (a.overflow)
                return diag_set(d, -E2BIG, "%s %s: the command line is too long", c->name, args[0]);
        char *text = NULL;
        int st = spawn_capture_flags(a.v, 65536, SPAWN_STDERR, &text);
        if (st != 0) {
                char first[300] = "";
                if (text)
                        snprintf(first, sizeof(first), "%.*s", (int)strcspn(text, "\n"), text);
                free(text);
                return diag_set(d, st < 0 ? st : -EIO, "%s %s failed (%s)", c->name, args[0],
                                first[0] ? first : st < 0 ? strerror(-st) : "no output");
        }
        if (out)
                *out = text;
        else
                free(text);
        return 0;
}

int container_cli_check(const struct container_ops *c, const char *const probe[], struct diag *d) {
        if (access(c->bin, X_OK) < 0)
                return diag_set(d, -ENOENT, "--container %s: %s is missing; install Debian's %s (make deps)", c->name, c->bin,
                                c->package);
        struct diag pd = { 0 };
        int r = container_run_cli(c, probe, NULL, &pd);
        if (r < 0 && strcmp(c->name, "docker") == 0)
                return diag_set(d, -ECONNREFUSED, "--container docker: no Docker daemon answers (%s); start it: systemctl start "
                                                  "docker, or as root: dockerd --iptables=false --ip-forward=false --bridge=none &",
                                pd.msg);
        if (r < 0)
                return diag_set(d, r, "--container %s: %s", c->name, pd.msg);
        return 0;
}

