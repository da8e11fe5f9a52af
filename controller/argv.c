/* argv — the agents' command lines, their strings kept with them (nf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agents/common/linkspec.h"
#include "controller/experiment.h"
#include "controller/nf.h"
#include "controller/paths.h"

void argv_add(struct argvec *a, const char *fmt, ...) {
        if (a->n >= ARGV_MAX) {
                a->overflow = true;
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        int len = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
        va_end(ap);
        if (len < 0 || (size_t)len >= sizeof(a->buf) - a->used) {
                a->overflow = true;
                return;
        }
        a->v[a->n++] = a->buf + a->used;
        a->v[a->n] = NULL;
        a->used += (size_t)len + 1;
}

void argv_eal(const struct agent_env *e, enum agent_role role, struct argvec *a) {
        argv_add(a, "--lcores");
        argv_add(a, "%s", role == ROLE_GEN ? e->lcores_gen : e->lcores_nf);
        argv_add(a, "--file-prefix");
        argv_add(a, "%s", e->prefix[role]);
        if (e->x->o.no_huge) {
                argv_add(a, "--no-huge");
                argv_add(a, "-m");
                argv_add(a, "512");
        } else {
                bool gen = role == ROLE_GEN && e->gen_huge_dir;
                argv_add(a, "--huge-dir");
                argv_add(a, "%s", gen ? e->gen_huge_dir : e->huge_dir);
                argv_add(a, "--socket-mem");
                argv_add(a, "%s", gen ? e->gen_socket_mem : e->socket_mem);
        }
        argv_add(a, "--single-file-segments");
        /* Real ports: this role's two on the EAL allow-list; else no PCI scan at all. */
        if (e->x->ports[0][0])
                for (int i = 0; i < 2; i++) {
                        argv_add(a, "-a");
                        argv_add(a, "%s", e->x->ports[2 * role + i]);
                }
        else
                argv_add(a, "--no-pci");
        argv_add(a, "--log-level");
        argv_add(a, "*:error");
}

void argv_link(const struct agent_env *e, struct argvec *a) {
        argv_add(a, "--link");
        argv_add(a, "%s", e->x->link);
        if (link_spec_find(e->x->link)->sockets) {
                argv_add(a, "--link-dir");
                argv_add(a, "%s", e->link_dir);
        }
        argv_add(a, "--link-queues");
        argv_add(a, "%u", e->x->o.pmd_cores);
        if (e->ring) {
                argv_add(a, "--link-ring");
                argv_add(a, "%u", e->ring);
        }
}

void argv_agent(const struct agent_env *e, enum agent_role role, struct argvec *a) {
        char bin[600];
        paths_agent(role == ROLE_GEN ? "gen" : "nf", bin, sizeof(bin));
        argv_add(a, "%s", bin);
        argv_eal(e, role, a);
        argv_add(a, "--");
        argv_link(e, a);
}
