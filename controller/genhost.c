/* genhost — see genhost.h. */
#include "controller/genhost.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "base/spawn.h"
#include "base/util.h"

static bool all_of(const char *s, const char *set) {
        return *s && strspn(s, set) == strlen(s);
}

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

int genhost_parse(const char *spec, const char *ssh_cmd, const char *isolab, struct gen_host *g, struct diag *d) {
        *g = (struct gen_host){ 0 };
        static const char form[] = "give [USER@]HOST[:PORT], e.g. root@loadgen or root@192.0.2.7:2222";
        if (!spec || strlen(spec) >= sizeof(g->spec))
                return diag_set(d, -EINVAL, "--gen-host: %s", form);
        snprintf(g->spec, sizeof(g->spec), "%s", spec);
        char buf[sizeof(g->spec)], user[sizeof(g->spec)] = "", *host = buf, *port = NULL;
        snprintf(buf, sizeof(buf), "%s", spec);
        char *at = strrchr(buf, '@');
        if (at) {
                *at = '\0';
                snprintf(user, sizeof(user), "%s", buf);
                host = at + 1;
                if (!all_of(user, NAME_CHARS) || user[0] == '-')
                        return diag_set(d, -EINVAL, "--gen-host %s: \"%s\" is not a user name; %s", spec, user, form);
        }
        if (host[0] == '[') { /* [IPv6]:PORT */
                char *end = strchr(host, ']');
                if (!end)
                        return diag_set(d, -EINVAL, "--gen-host %s: an IPv6 address ends with ]; %s", spec, form);
                *end = '\0';
                host++;
                if (end[1] == ':')
                        port = end + 2;
                else if (end[1])
                        return diag_set(d, -EINVAL, "--gen-host %s: %s", spec, form);
                if (!all_of(host, "0123456789abcdefABCDEF:."))
                        return diag_set(d, -EINVAL, "--gen-host %s: \"%s\" is not an IPv6 address; %s", spec, host, form);
        } else {
                char *colon = strchr(host, ':');
                if (colon) {
                        *colon = '\0';
                        port = colon + 1;
                }
                if (!all_of(host, NAME_CHARS) || host[0] == '-' || host[0] == '.')
                        return diag_set(d, -EINVAL, "--gen-host %s: \"%s\" is not a host name or address; %s", spec, host,
                                        form);
        }
        if (port) {
                char *end;
                unsigned long v = strtoul(port, &end, 10);
                if (!*port || *end || v < 1 || v > 65535 || !all_of(port, "0123456789"))
                        return diag_set(d, -EINVAL, "--gen-host %s: the port is 1 to 65535; %s", spec, form);
                g->port = (unsigned)v;
        }
        /* At most the spec's length: both parts come from it. */
        size_t ul = strlen(user), hl = strlen(host);
        if (ul + 1 + hl >= sizeof(g->dest))
                return diag_set(d, -EINVAL, "--gen-host: %s", form);
        memcpy(g->dest, user, ul);
        if (ul)
                g->dest[ul++] = '@';
        memcpy(g->dest + ul, host, hl + 1);

        const char *cmd = ssh_cmd && *ssh_cmd ? ssh_cmd : "ssh";
        if (strlen(cmd) >= sizeof(g->ssh_cmd))
                return diag_set(d, -EINVAL, "ISOLAB_SSH_COMMAND / [gen] ssh: longer than %zu characters", sizeof(g->ssh_cmd) - 1);
        for (const char *c = cmd; *c; c++)
                if ((unsigned char)*c < 0x20 && *c != '\t')
                        return diag_set(d, -EINVAL, "ISOLAB_SSH_COMMAND / [gen] ssh: a control character in \"%s\"; give "
                                                    "the command and its options separated by spaces",
                                        cmd);
        snprintf(g->ssh_cmd, sizeof(g->ssh_cmd), "%s", cmd);
        char first[256];
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(cmd + strspn(cmd, " \t"), " \t"), cmd + strspn(cmd, " \t"));
        if (strchr(first, '/') && first[0] != '/')
                return diag_set(d, -EINVAL, "ISOLAB_SSH_COMMAND / [gen] ssh: %s is a relative path; give an absolute one "
                                            "or a program in /usr/bin",
                                first);

        const char *isl = isolab && *isolab ? isolab : "isolab";
        if (strlen(isl) >= sizeof(g->isolab) || !all_of(isl, NAME_CHARS "/+") || isl[0] == '-')
                return diag_set(d, -EINVAL, "--gen-isolab %s: give the path of isolab on the generator host (letters, "
                                            "digits and ./_+- only), e.g. /usr/bin/isolab",
                                isl);
        snprintf(g->isolab, sizeof(g->isolab), "%s", isl);
        return 0;
}

/* The ssh command's words; its program from /usr/bin or /bin when it has no slash. */
static void ssh_words(const struct gen_host *g, struct argvec *a) {
        char buf[sizeof(g->ssh_cmd)];
        snprintf(buf, sizeof(buf), "%s", g->ssh_cmd);
        bool first = true;
        for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (first && !strchr(w, '/')) {
                        char path[300];
                        snprintf(path, sizeof(path), "/usr/bin/%s", w);
                        if (access(path, X_OK) < 0)
                                snprintf(path, sizeof(path), "/bin/%s", w);
                        argv_add(a, "%s", path);
                } else {
                        argv_add(a, "%s", w);
                }
                first = false;
        }
}

static void ssh_common(const struct gen_host *g, struct argvec *a) {
        ssh_words(g, a);
        argv_add(a, "-T");
        argv_add(a, "-o");
        argv_add(a, "BatchMode=yes");
        /* A peer that stops answering (a cable pulled, the host gone) is noticed in 15 s. */
        argv_add(a, "-o");
        argv_add(a, "ServerAliveInterval=5");
        argv_add(a, "-o");
        argv_add(a, "ServerAliveCountMax=3");
        argv_add(a, "-o");
        argv_add(a, "ConnectTimeout=10");
        if (g->port) {
                argv_add(a, "-p");
                argv_add(a, "%u", g->port);
        }
}

void genhost_argv(const struct gen_host *g, struct argvec *a, ...) {
        ssh_common(g, a);
        if (g->control[0]) {
                argv_add(a, "-o");
                argv_add(a, "ControlMaster=no");
                argv_add(a, "-o");
                argv_add(a, "ControlPath=%s", g->control);
        }
        argv_add(a, "%s", g->dest);
        argv_add(a, "%s", g->isolab);
        va_list ap;
        va_start(ap, a);
        for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
                argv_add(a, "%s", w);
        va_end(ap);
}

void genhost_master_argv(const struct gen_host *g, struct argvec *a) {
        ssh_common(g, a);
        argv_add(a, "-M");
        argv_add(a, "-N");
        argv_add(a, "-o");
        argv_add(a, "ControlPersist=no");
        argv_add(a, "-o");
        argv_add(a, "ControlPath=%s", g->control);
        argv_add(a, "%s", g->dest);
}

/* The node's pools as the host reported them (an XML topology knows reserved pages,
 * not free ones). */
static void patch_hugepages(struct topo *t, json_t *nodes) {
        size_t i;
        json_t *n;
        json_array_foreach(nodes, i, n) {
                json_int_t os = json_integer_value(json_object_get(n, "node"));
                for (unsigned k = 0; k < t->n_nodes; k++) {
                        if (t->nodes[k].os_index != (unsigned)os)
                                continue;
                        struct hugepage_node *h = &t->nodes[k].huge;
                        h->n_pools = 0;
                        size_t j;
                        json_t *pool;
                        json_array_foreach(json_object_get(n, "pools"), j, pool) {
                                if (h->n_pools >= HUGEPAGE_MAX_POOLS)
                                        break;
                                h->pool[h->n_pools++] = (struct hugepage_pool){
                                        (uint64_t)json_integer_value(json_object_get(pool, "page_size")),
                                        (uint64_t)json_integer_value(json_object_get(pool, "total")),
                                        (uint64_t)json_integer_value(json_object_get(pool, "free")),
                                };
                        }
                        t->nodes[k].huge_free_known = true;
                }
        }
}

void genhost_session(const char *run, char *buf, size_t len) {
        snprintf(buf, len, "%s-gen", run);
}

void genhost_session_huge(const char *run, char *buf, size_t len) {
        snprintf(buf, len, "/run/isolab/%s-gen/huge", run);
}

void genhost_boot_id(char *buf, size_t len) {
        read_first_line("/proc/sys/kernel/random/boot_id", buf, len);
}

int genhost_accept(struct gen_host *g, json_t *facts, struct diag *d) {
        json_t *proto = json_object_get(facts, "proto");
        const char *version = json_string_value(json_object_get(facts, "isolab"));
        if (!json_is_integer(proto) || json_integer_value(proto) != ISOLAB_PROTO_VERSION)
                return diag_set(d, -EPROTO,
                                "--gen-host %s: isolab %s there speaks protocol %lld, this isolab %s speaks %d; install the "
                                "same isolab on both hosts (make deb, then dpkg -i on the generator host)",
                                g->spec, version ? version : "?", json_is_integer(proto) ? (long long)json_integer_value(proto) : -1LL,
                                ISOLAB_VERSION, ISOLAB_PROTO_VERSION);
        const char *ports_error = json_string_value(json_object_get(facts, "ports_error"));
        if (ports_error)
                return diag_set(d, -ENODEV, "--gen-host %s: %s", g->spec, ports_error);
        if (!json_is_true(json_object_get(facts, "agent_present")))
                return diag_set(d, -ENOENT, "--gen-host %s: isolab-gen is not installed there (%s); install isolab's "
                                            "package on the generator host",
                                g->spec, json_string_value(json_object_get(facts, "agent")) ?: "?");
        const char *xml = json_string_value(json_object_get(facts, "topology"));
        if (!xml)
                return diag_set(d, -EPROTO, "--gen-host %s: its reply has no topology", g->spec);
        char name[260];
        snprintf(name, sizeof(name), "%s", g->spec);
        struct topo_load_opts o = { .xml_buffer = xml, .xml_name = name,
                                    .cmdline = json_string_value(json_object_get(facts, "cmdline")) };
        int r = topo_load(&o, &g->t, d);
        if (r < 0)
                return r;
        patch_hugepages(g->t, json_object_get(facts, "hugepages"));
        char boot[64];
        genhost_boot_id(boot, sizeof(boot));
        const char *theirs = json_string_value(json_object_get(facts, "boot_id"));
        g->same_machine = boot[0] && theirs && strcmp(boot, theirs) == 0;
        json_decref(g->facts);
        g->facts = json_incref(facts);
        return 0;
}

/* ssh's (or the remote isolab's) last words: the reason a query failed. */
static void last_line(char *out, char *buf, size_t len) {
        char *end = out + strlen(out);
        while (end > out && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
                *--end = '\0';
        char *nl = strrchr(out, '\n');
        snprintf(buf, len, "%s", nl ? nl + 1 : out);
}

int genhost_query(struct gen_host *g, const char *const ports[2], struct diag *d) {
        struct argvec a = { 0 };
        char plist[64] = "";
        if (ports && ports[0] && ports[0][0])
                snprintf(plist, sizeof(plist), "%s,%s", ports[0], ports[1]);
        if (plist[0])
                genhost_argv(g, &a, "serve", "host", "--ports", plist, (char *)NULL);
        else
                genhost_argv(g, &a, "serve", "host", (char *)NULL);
        if (a.overflow)
                return diag_set(d, -E2BIG, "--gen-host %s: the ssh command line is too long", g->spec);
        _cleanup_free_ char *out = NULL;
        int st = spawn_capture_flags(a.v, 4u << 20, SPAWN_STDERR, &out);
        if (st < 0)
                return diag_set(d, st, "--gen-host %s: cannot run %s: %s", g->spec, a.v[0], strerror(-st));
        /* ssh may say something before the reply (a host key added): the reply is the line
         * that is an object saying ok. */
        json_t *facts = NULL;
        _cleanup_free_ char *copy = strdup(out ? out : "");
        for (char *save = NULL, *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !facts;
             line = strtok_r(NULL, "\n", &save)) {
                json_t *o = line[0] == '{' ? json_loads(line, 0, NULL) : NULL;
                if (json_is_true(json_object_get(o, "ok")))
                        facts = o;
                else
                        json_decref(o);
        }
        if (!facts) {
                char why[400];
                last_line(out ? out : (char[]){ "" }, why, sizeof(why));
                if (st == 127 || strstr(why, "not found"))
                        return diag_set(d, -ENOENT, "--gen-host %s: %s is not there (%s); install isolab's package on the "
                                                    "generator host, or give its path with --gen-isolab",
                                        g->spec, g->isolab, why);
                char port[16] = "";
                if (g->port)
                        snprintf(port, sizeof(port), " -p %u", g->port);
                return diag_set(d, -EHOSTUNREACH, "--gen-host %s: %s (ssh %s exited with %d); check that `%s%s %s %s serve "
                                                  "host` works without a password (BatchMode: keys or an agent)",
                                g->spec, why[0] ? why : "no reply", g->dest, st, g->ssh_cmd, port, g->dest, g->isolab);
        }
        int r = genhost_accept(g, facts, d);
        json_decref(facts);
        return r;
}

int genhost_plan(struct gen_host *g, const struct plan_request *dut, const char *const ports[2], unsigned asked,
                 unsigned *gen_cores, struct diag *d) {
        struct plan_request req = *dut;
        req.host = PLAN_HOST_GEN;
        req.ports = ports;
        req.n_ports = ports ? 2 : 0;
        req.noise_mask = 0;
        req.node = -1;
        req.gen_cores = asked ? asked : 2;
        plan_free(g->p);
        g->p = NULL;
        int r = plan_make(g->t, &req, &g->p, d);
        /* Auto: a sender and a receiver when two cores there are free of housekeeping. */
        if (r >= 0 && !asked &&
            (hwloc_bitmap_weight(g->p->gen.cpus) < 2 || hwloc_bitmap_intersects(g->p->gen.cpus, g->p->housekeeping.cpus) ||
             (dut->avoid && hwloc_bitmap_intersects(g->p->gen.cpus, dut->avoid)))) {
                g->p = plan_free(g->p);
                req.gen_cores = 1;
                r = plan_make(g->t, &req, &g->p, d);
        }
        *gen_cores = req.gen_cores;
        return r;
}

void genhost_free(struct gen_host *g) {
        if (!g)
                return;
        json_decref(g->facts);
        topo_free(g->t);
        plan_free(g->p);
        g->facts = NULL, g->t = NULL, g->p = NULL;
}
