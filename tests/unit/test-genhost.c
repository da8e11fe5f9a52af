/* Two hosts (--gen-host): the destination and ssh command, the ssh command lines, the
 * generator host's reply (protocol, ports, topology, hugepages), and both hosts planned
 * on the hwloc fixtures of machines this test does not run on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/common/proto.h"
#include "base/util.h"
#include "controller/cleanup.h"
#include "controller/genhost.h"
#include "controller/render.h"
#include "topology/cpulist.h"

#define FIX "tests/fixtures/topologies/"

static void in_source_tree(void) {
        cr_assert_eq(chdir(ISOLAB_SRC), 0, "chdir %s", ISOLAB_SRC);
}

TestSuite(genhost, .init = in_source_tree);

static void words(const struct argvec *a, char *buf, size_t len) {
        buf[0] = '\0';
        for (int i = 0; i < a->n; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " " : "", a->v[i]);
}

Test(genhost, destinations_and_ssh_commands_are_checked) {
        struct gen_host g;
        struct diag d = { 0 };
        cr_assert_eq(genhost_parse("root@loadgen.lab:2222", NULL, NULL, &g, &d), 0, "%s", d.msg);
        cr_expect_str_eq(g.dest, "root@loadgen.lab");
        cr_expect_eq(g.port, 2222);
        cr_expect_str_eq(g.isolab, "isolab");
        cr_assert_eq(genhost_parse("192.0.2.7", "ssh -F /root/lab/config", "/usr/bin/isolab", &g, &d), 0, "%s", d.msg);
        cr_expect_str_eq(g.dest, "192.0.2.7");
        cr_expect_eq(g.port, 0);
        cr_assert_eq(genhost_parse("tester@[fe80::1]:22", NULL, NULL, &g, &d), 0, "%s", d.msg);
        cr_expect_str_eq(g.dest, "tester@fe80::1");
        static const struct {
                const char *spec, *ssh, *isolab, *needle;
        } bad[] = {
                { "root@", NULL, NULL, "is not a host name" },
                { "-oProxyCommand=x", NULL, NULL, "is not a host name" },
                { "root@host;reboot", NULL, NULL, "is not a host name" },
                { "ro ot@host", NULL, NULL, "is not a user name" },
                { "host:0", NULL, NULL, "the port is 1 to 65535" },
                { "host:22x", NULL, NULL, "the port is 1 to 65535" },
                { "[fe80::1", NULL, NULL, "ends with ]" },
                { "host", "bin/ssh -i key", NULL, "relative path" },
                { "host", "ssh\n-i key", NULL, "control character" },
                { "host", NULL, "isolab;reboot", "--gen-isolab" },
                { "host", NULL, "$(reboot)", "--gen-isolab" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                d = (struct diag){ 0 };
                cr_expect_lt(genhost_parse(bad[i].spec, bad[i].ssh, bad[i].isolab, &g, &d), 0, "accepted %s", bad[i].spec);
                cr_expect(strstr(d.msg, bad[i].needle), "case %zu: %s", i, d.msg);
        }
}

/* The remote command is isolab and isolab's words; the ssh command's program comes from
 * /usr/bin or /bin, never PATH; the run's sessions go through its master connection. */
Test(genhost, ssh_command_lines) {
        struct gen_host g;
        struct diag d = { 0 };
        cr_assert_eq(genhost_parse("root@127.0.0.1:2222", "ssh -F /tmp/cfg  -i /tmp/key", "/opt/isolab/bin/isolab", &g, &d), 0,
                     "%s", d.msg);
        struct argvec a = { 0 };
        char buf[2048];
        genhost_argv(&g, &a, "serve", "host", (char *)NULL);
        words(&a, buf, sizeof(buf));
        cr_expect_str_eq(buf, "/usr/bin/ssh -F /tmp/cfg -i /tmp/key -T -o BatchMode=yes -o ServerAliveInterval=5 -o "
                              "ServerAliveCountMax=3 -o ConnectTimeout=10 -p 2222 root@127.0.0.1 /opt/isolab/bin/isolab serve "
                              "host");
        snprintf(g.control, sizeof(g.control), "/run/isolab/r/ssh");
        a = (struct argvec){ 0 };
        genhost_argv(&g, &a, "serve", "gen", (char *)NULL);
        words(&a, buf, sizeof(buf));
        cr_expect(strstr(buf, " -o ControlMaster=no -o ControlPath=/run/isolab/r/ssh root@127.0.0.1 /opt/isolab/bin/isolab "
                              "serve gen"),
                  "%s", buf);
        a = (struct argvec){ 0 };
        genhost_master_argv(&g, &a);
        words(&a, buf, sizeof(buf));
        cr_expect(strstr(buf, " -M -N -o ControlPersist=no -o ControlPath=/run/isolab/r/ssh root@127.0.0.1"), "%s", buf);
        cr_expect_null(strstr(buf, "isolab serve"), "the master runs no command: %s", buf);
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        cr_assert_not_null(f, "%s", path);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        char *s = malloc((size_t)n + 1);
        cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
        s[n] = '\0';
        fclose(f);
        return s;
}

/* What `isolab serve host` on the EPYC would say, with its free hugepages. */
static json_t *epyc_facts(int proto) {
        _cleanup_free_ char *xml = slurp(FIX "epyc-1s-nps4-e810-node2.xml");
        return json_pack("{s:b, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:[{s:i, s:[{s:I, s:I, s:I}]}]}", "ok", 1,
                         "isolab", "0.2", "proto", proto, "boot_id", "not-this-machine", "hostname", "loadgen", "kernel",
                         "6.1.0-18-amd64", "cmdline", "BOOT_IMAGE=/vmlinuz isolcpus=16-17 nohz_full=16-17", "agent",
                         "/usr/libexec/isolab/isolab-gen", "agent_present", 1, "topology", xml, "hugepages", "node", 2,
                         "pools", "page_size", (json_int_t)(2 << 20), "total", (json_int_t)1024, "free", (json_int_t)1000);
}

Test(genhost, the_hosts_reply_is_checked_and_its_topology_loaded) {
        struct gen_host g;
        struct diag d = { 0 };
        cr_assert_eq(genhost_parse("root@loadgen", NULL, NULL, &g, &d), 0);
        json_t *f = epyc_facts(ISOLAB_PROTO_VERSION + 1);
        cr_expect_eq(genhost_accept(&g, f, &d), -EPROTO);
        cr_expect(strstr(d.msg, "speaks protocol 2, this isolab 0.2 speaks 1; install the same isolab on both hosts"), "%s",
                  d.msg);
        json_decref(f);
        f = epyc_facts(ISOLAB_PROTO_VERSION);
        json_object_set_new(f, "agent_present", json_false());
        d = (struct diag){ 0 };
        cr_expect_eq(genhost_accept(&g, f, &d), -ENOENT);
        cr_expect(strstr(d.msg, "isolab-gen is not installed there"), "%s", d.msg);
        json_object_set_new(f, "agent_present", json_true());
        json_object_set_new(f, "ports_error", json_string("--gen-ports 0000:c1:00.0: the port is bound to ice, ..."));
        d = (struct diag){ 0 };
        cr_expect_eq(genhost_accept(&g, f, &d), -ENODEV);
        cr_expect(strstr(d.msg, "--gen-host root@loadgen: --gen-ports 0000:c1:00.0: the port is bound to ice"), "%s", d.msg);
        json_object_del(f, "ports_error");
        d = (struct diag){ 0 };
        cr_assert_eq(genhost_accept(&g, f, &d), 0, "%s", d.msg);
        cr_expect_not(g.same_machine);
        cr_expect_str_eq(g.t->source_name, "root@loadgen");
        cr_expect_eq(g.t->n_nodes, 4);
        const struct topo_node *n2 = topo_node_by_os_index(g.t, 2);
        cr_assert_not_null(n2);
        cr_expect(n2->huge_free_known);
        cr_expect_eq(hugepages_find(&n2->huge, 2 << 20)->free, 1000, "its free pages, from its reply");
        cr_expect(g.t->iso.known, "its kernel command line judges its isolation");
        json_decref(f);
        genhost_free(&g);
}

static struct topo *load(const char *xml) {
        struct topo_load_opts o = { .xml = xml };
        struct topo *t = NULL;
        struct diag d = { 0 };
        cr_assert_eq(topo_load(&o, &t, &d), 0, "%s", d.msg);
        return t;
}

static void expect_cpus(hwloc_const_bitmap_t s, const char *want) {
        _cleanup_free_ char *got = cpulist_format(s);
        cr_expect_str_eq(got, want);
}

/* The study's testbed: the NF on a D430 next to its X710, the generator on an EPYC next
 * to its E810 (node 2 of 4).  The DUT plans no generator and hugepages for one process;
 * the generator host plans its cores on its ports' node, hugepages there, no PMD. */
Test(genhost, both_hosts_planned_on_fixtures) {
        _cleanup_(topo_freep) struct topo *dut = load(FIX "d430-2s-x710-socket0.xml");
        const char *nf_ports[] = { "0000:06:00.0", "0000:06:00.1" };
        struct plan_request req = { .host = PLAN_HOST_DUT, .pmd_cores = 2, .gen_cores = 2, .node = -1, .ports = nf_ports,
                                    .n_ports = 2 };
        struct plan *p = NULL;
        struct diag d = { 0 };
        cr_assert_eq(plan_make(dut, &req, &p, &d), 0, "%s", d.msg);
        expect_cpus(p->pmd.cpus, "2,4");
        cr_expect(hwloc_bitmap_iszero(p->gen.cpus), "no generator on the DUT");
        cr_expect_not(p->gen.available);
        cr_expect_eq(p->processes, 1);
        cr_expect_eq(p->huge.needed, p->huge.per_process);

        struct gen_host g;
        cr_assert_eq(genhost_parse("root@loadgen", NULL, NULL, &g, &d), 0);
        g.t = load(FIX "epyc-1s-nps4-e810-node2.xml");
        const char *gen_ports[] = { "0000:c1:00.0", "0000:c1:00.1" };
        unsigned got = 0;
        cr_assert_eq(genhost_plan(&g, &req, gen_ports, 0, &got, &d), 0, "%s", d.msg);
        cr_expect_eq(got, 2, "two free cores there: a sender and a receiver");
        cr_expect_eq(g.p->node, 2, "the E810's node");
        expect_cpus(g.p->gen.cpus, "16-17");
        cr_expect(hwloc_bitmap_iszero(g.p->pmd.cpus));
        cr_expect_eq(g.p->processes, 1);
        cr_expect_eq(g.p->n_warnings, 0);
        /* Both plans, side by side, in the JSON isolab plan prints. */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cr_assert_eq(render_plans_json(f, dut, p, g.spec, g.t, g.p), 0);
        fclose(f);
        json_t *doc = json_loads(buf, 0, NULL);
        cr_assert_not_null(doc);
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(doc, "plan"), "host_role")), "dut");
        json_t *gp = json_object_get(json_object_get(doc, "gen_host"), "plan");
        cr_expect_str_eq(json_string_value(json_object_get(gp, "host_role")), "generator");
        cr_expect_str_eq(json_string_value(json_object_get(json_object_get(gp, "generator"), "cpus")), "16-17");
        json_decref(doc);
        free(buf);
        /* Its ports must be there; the option named is the generator's. */
        const char *missing[] = { "0000:06:00.0", "0000:06:00.1" };
        d = (struct diag){ 0 };
        cr_expect_lt(genhost_plan(&g, &req, missing, 0, &got, &d), 0);
        cr_expect(strstr(d.msg, "--gen-ports: tests/fixtures/topologies/epyc-1s-nps4-e810-node2.xml has no network controller at 0000:06:00.0"), "%s", d.msg);
        genhost_free(&g);
        plan_free(p);
}

/* The generator host that is the DUT itself (the tests' 127.0.0.1): the generator keeps
 * off the PMD core, and takes the housekeeping core of a 2-core VM, with the warning. */
Test(genhost, the_same_machine_keeps_the_generator_off_the_pmd_cores) {
        _cleanup_(topo_freep) struct topo *vm = load(FIX "vm-1s-2c.xml");
        struct plan_request req = { .host = PLAN_HOST_DUT, .pmd_cores = 1, .node = -1 };
        struct plan *p = NULL;
        struct diag d = { 0 };
        cr_assert_eq(plan_make(vm, &req, &p, &d), 0, "%s", d.msg);
        struct gen_host g;
        cr_assert_eq(genhost_parse("root@127.0.0.1:2222", NULL, NULL, &g, &d), 0);
        g.t = load(FIX "vm-1s-2c.xml");
        req.avoid = p->pmd.cpus;
        unsigned got = 0;
        cr_assert_eq(genhost_plan(&g, &req, NULL, 0, &got, &d), 0, "%s", d.msg);
        cr_expect_eq(got, 1);
        cr_expect_not(hwloc_bitmap_intersects(g.p->gen.cpus, p->pmd.cpus));
        cr_expect(g.p->n_warnings >= 1 && strstr(g.p->warnings[0], "shares the housekeeping CPU"), "%s",
                  g.p->n_warnings ? g.p->warnings[0] : "no warning");
        /* Without avoid (another machine of the same shape) it takes the free core. */
        req.avoid = NULL;
        cr_assert_eq(genhost_plan(&g, &req, NULL, 0, &got, &d), 0, "%s", d.msg);
        cr_expect(hwloc_bitmap_isequal(g.p->gen.cpus, p->pmd.cpus));
        genhost_free(&g);
        plan_free(p);
}

/* A record that would not name a run and a command is refused, not run. */
Test(genhost, a_bad_cleanup_record_is_refused) {
        struct diag d = { 0 };
        json_t *rec = json_pack("{s:s, s:s, s:[s]}", "kind", "gen-host", "run", "../x", "argv", "/usr/bin/ssh");
        cr_expect_eq(cleanup_gen_host(rec, &d), -EINVAL);
        json_decref(rec);
        rec = json_pack("{s:s, s:s, s:s, s:[s, s]}", "kind", "gen-host", "run", "r-gen", "boot_id", "other", "argv", "ssh",
                        "host");
        d = (struct diag){ 0 };
        cr_expect_eq(cleanup_gen_host(rec, &d), -EINVAL, "a relative program: %s", d.msg);
        json_decref(rec);
}

/* `isolab plan` for two hosts described by files: no connection, both plans printed, each
 * named for its role (the generator host's by --gen-host). */
Test(genhost, isolab_plan_prints_both_hosts_from_files) {
        FILE *p = popen(ISOLAB_BUILD "/isolab plan --topology " FIX "d430-2s-x710-socket0.xml --pmd-cores 2 --ports "
                                     "0000:06:00.0,0000:06:00.1 --gen-host root@loadgen --gen-topology " FIX
                                     "epyc-1s-nps4-e810-node2.xml --gen-ports 0000:c1:00.0,0000:c1:00.1 --gen-cores 2 2>&1",
                        "r");
        cr_assert_not_null(p);
        char text[8192];
        size_t n = fread(text, 1, sizeof(text) - 1, p);
        text[n] = '\0';
        cr_expect_eq(pclose(p), 0, "%s", text);
        cr_expect(strstr(text, "d430-2s-x710-socket0.xml: the device under test"), "%s", text);
        cr_expect(strstr(text, "epyc-1s-nps4-e810-node2.xml: the generator host"), "%s", text);
        cr_expect(strstr(text, "generator          16-17        whole cores on the node of the generator's ports"), "%s", text);
        cr_expect(strstr(text, "none: the generator runs on its own host (--gen-host)"), "%s", text);
        /* A port the generator host does not have is one sentence naming --gen-ports. */
        p = popen(ISOLAB_BUILD "/isolab plan --topology " FIX "d430-2s-x710-socket0.xml --gen-topology " FIX
                               "epyc-1s-nps4-e810-node2.xml --gen-ports 0000:06:00.0,0000:06:00.1 2>&1",
                  "r");
        n = fread(text, 1, sizeof(text) - 1, p);
        text[n] = '\0';
        cr_expect_neq(pclose(p), 0);
        cr_expect(strstr(text, "--gen-ports: ") && strstr(text, "has no network controller at 0000:06:00.0"), "%s", text);
}
