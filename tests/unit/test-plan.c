/* The planner on machines this test does not run on: the hwloc XML fixtures (a
 * two-socket Dell R430-class server with an X710 on socket 0, a one-socket EPYC in NPS4
 * mode with an E810 on node 2, this project's 2-core VM) and hwloc synthetic
 * topologies.  Semantic checks first, then golden text and JSON.
 *
 * Golden files live in tests/golden/; after a reviewed change of the planner or the
 * renderers, `make golden` rewrites them (ISOLAB_UPDATE_GOLDEN=1) and git diff shows
 * what changed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller/render.h"
#include "topology/cpulist.h"
#include "topology/plan.h"

#define FIX "tests/fixtures/topologies/"
#define D430 FIX "d430-2s-x710-socket0.xml"
#define EPYC FIX "epyc-1s-nps4-e810-node2.xml"
#define VM FIX "vm-1s-2c.xml"

static void in_source_tree(void) {
        cr_assert_eq(chdir(ISOLAB_SRC), 0, "chdir %s", ISOLAB_SRC);
}

TestSuite(plan, .init = in_source_tree);
TestSuite(golden, .init = in_source_tree);

static struct topo *load(const char *xml, const char *synthetic, const char *cmdline) {
        struct topo_load_opts o = { .xml = xml, .synthetic = synthetic, .cmdline = cmdline };
        struct topo *t = NULL;
        struct diag d = { 0 };
        int r = topo_load(&o, &t, &d);
        cr_assert_eq(r, 0, "loading %s: %s", xml ? xml : synthetic, d.msg);
        return t;
}

static struct plan *make(const struct topo *t, struct plan_request req) {
        struct plan *p = NULL;
        struct diag d = { 0 };
        int r = plan_make(t, &req, &p, &d);
        cr_assert_eq(r, 0, "plan_make: %s", d.msg);
        return p;
}

static int make_fails(const struct topo *t, struct plan_request req, struct diag *d) {
        struct plan *p = NULL;
        int r = plan_make(t, &req, &p, d);
        cr_assert_lt(r, 0, "plan_make succeeded");
        cr_assert_null(p);
        return r;
}

static void expect_cpus(hwloc_const_bitmap_t s, const char *want) {
        char *got = cpulist_format(s);
        cr_expect_str_eq(got, want);
        free(got);
}

static bool has_warning(const struct plan *p, const char *needle) {
        for (unsigned i = 0; i < p->n_warnings; i++)
                if (strstr(p->warnings[i], needle))
                        return true;
        return false;
}

static hwloc_bitmap_t cpus_of(const char *list) {
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        cr_assert_eq(cpulist_parse(list, s, NULL, NULL), 0);
        return s;
}

static const char *const d430_ports[] = { "0000:06:00.0", "0000:06:00.1" };
static const char *const epyc_ports[] = { "0000:c1:00.0", "0000:c1:00.1" };
#define ALL_NOISE ((1u << _NOISE_PLACEMENT_MAX) - 1)

/* ---- d430 ---------------------------------------------------------------------------- */

Test(plan, d430_three_pmd_cores_on_the_nic_node_away_from_cpu0_and_siblings) {
        struct topo *t = load(D430, NULL, NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 3, .gen_cores = 1, .node = -1,
                                                        .ports = d430_ports, .n_ports = 2, .noise_mask = ALL_NOISE });
        cr_expect_eq(p->node, 0);
        cr_expect(strstr(p->node_reason, "local to NIC 0000:06:00.0") != NULL, "%s", p->node_reason);
        cr_expect_eq(p->ports[0].node, 0);
        cr_expect_eq(p->ports[1].node, 0);

        expect_cpus(p->pmd.cpus, "2,4,6");
        cr_expect_not(hwloc_bitmap_isset(p->pmd.cpus, 0));
        cr_expect(hwloc_bitmap_isincluded(p->pmd.cpus, t->nodes[0].cpus));
        expect_cpus(p->pmd_siblings, "18,20,22");

        /* The siblings are given to no other role. */
        cr_expect_not(hwloc_bitmap_intersects(p->gen.cpus, p->pmd_siblings));
        cr_expect_not(hwloc_bitmap_intersects(p->housekeeping.cpus, p->pmd_siblings));
        cr_expect_not(hwloc_bitmap_intersects(p->gen.cpus, p->pmd.cpus));
        for (int m = NOISE_SAME_LLC; m <= NOISE_OTHER_NODE; m++) {
                cr_expect_not(hwloc_bitmap_intersects(p->noise[m].cpus, p->pmd_siblings), "%d", m);
                cr_expect_not(hwloc_bitmap_intersects(p->noise[m].cpus, p->pmd.cpus), "%d", m);
                cr_expect_not(hwloc_bitmap_intersects(p->noise[m].cpus, p->gen.cpus), "%d", m);
                cr_expect_not(hwloc_bitmap_intersects(p->noise[m].cpus, p->housekeeping.cpus), "%d", m);
        }
        expect_cpus(p->gen.cpus, "8");
        expect_cpus(p->housekeeping.cpus, "0,16");
        expect_cpus(p->noise[NOISE_SAME_CORE].cpus, "2,4,6");
        expect_cpus(p->noise[NOISE_SIBLING].cpus, "18,20,22"); /* CPU + 16 */
        cr_expect(hwloc_bitmap_isincluded(p->noise[NOISE_OTHER_NODE].cpus, t->nodes[1].cpus));
        cr_expect(p->noise[NOISE_OTHER_NODE].available);

        cr_expect_eq(p->huge.page_size, 1ULL << 30);
        cr_expect_eq(p->huge.per_process, 1);
        cr_expect_eq(p->huge.needed, 2);
        cr_expect(strstr(p->huge.reason, "1 GiB pages: node 0 has 4 reserved") != NULL, "%s", p->huge.reason);
        cr_expect_eq(p->n_warnings, 0, "%s", p->n_warnings ? p->warnings[0] : "");
        plan_free(p);
        topo_free(t);
}

Test(plan, isolated_cores_come_first_and_unisolated_pmds_are_warned_about) {
        struct topo *t = load(D430, NULL, "isolcpus=domain,10-15:1/2 nohz_full=10,12,14");
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 3, .gen_cores = 1, .node = -1 });
        expect_cpus(p->pmd.cpus, "10,12,14");
        cr_expect_not(has_warning(p, "isolcpus"));
        cr_expect(strstr(p->isolation, "isolated") != NULL, "%s", p->isolation);
        plan_free(p);

        p = make(t, (struct plan_request){ .pmd_cores = 4, .gen_cores = 1, .node = -1 });
        expect_cpus(p->pmd.cpus, "2,10,12,14");
        cr_expect(has_warning(p, "PMD CPU 2 is not in isolcpus= or nohz_full="));
        plan_free(p);
        topo_free(t);
}

Test(plan, forcing_the_remote_node_warns_that_the_nic_is_remote) {
        struct topo *t = load(D430, NULL, NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = 1,
                                                        .ports = d430_ports, .n_ports = 2 });
        cr_expect_eq(p->node, 1);
        cr_expect(hwloc_bitmap_isincluded(p->pmd.cpus, t->nodes[1].cpus));
        cr_expect(has_warning(p, "NIC 0000:06:00.0 is on node 0, the NF on node 1"));
        plan_free(p);
        topo_free(t);
}

Test(plan, bad_requests_name_the_option_and_the_fix) {
        struct topo *t = load(D430, NULL, NULL);
        struct diag d = { 0 };
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 9, .gen_cores = 1, .node = -1 }, &d), -ERANGE);
        cr_expect_str_eq(d.msg, "--pmd-cores 9: node 0 of " D430 " has 8 cores; ask for at most 8");

        static const char *const missing[] = { "0000:07:00.0" };
        diag_clear(&d);
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1, .ports = missing,
                                                           .n_ports = 1 },
                                &d),
                     -ENODEV);
        cr_expect_str_eq(d.msg, "--ports: " D430 " has no network controller at 0000:07:00.0; its NICs are "
                                "0000:06:00.0, 0000:06:00.1");

        static const char *const garbled[] = { "06:00" };
        diag_clear(&d);
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1, .ports = garbled,
                                                           .n_ports = 1 },
                                &d),
                     -EINVAL);
        cr_expect(strstr(d.msg, "\"06:00\" is not a PCI address") != NULL, "%s", d.msg);

        diag_clear(&d);
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = 2 }, &d), -ENODEV);
        cr_expect_str_eq(d.msg, "--node 2: " D430 " has NUMA nodes 0 to 1 only");

        diag_clear(&d);
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1,
                                                           .hugepage_size = 16ULL << 30 },
                                &d),
                     -EINVAL);
        cr_expect(strstr(d.msg, "offers 2 MiB, 1 GiB pages only") != NULL, "%s", d.msg);

        diag_clear(&d);
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 0, .gen_cores = 1, .node = -1 }, &d), -EINVAL);
        topo_free(t);
}

Test(plan, short_pci_addresses_mean_domain_zero) {
        struct topo *t = load(D430, NULL, NULL);
        static const char *const shortp[] = { "06:00.1" };
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1, .ports = shortp,
                                                        .n_ports = 1 });
        cr_expect_str_eq(p->ports[0].busid, "0000:06:00.1");
        cr_expect_str_eq(p->ports[0].name, "enp6s0f1");
        plan_free(p);
        topo_free(t);
}

/* ---- EPYC ------------------------------------------------------------------------------ */

Test(plan, epyc_pmds_on_the_nic_node_generator_and_noise_placed_by_l3) {
        struct topo *t = load(EPYC, NULL, NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 8, .gen_cores = 1, .node = -1,
                                                        .ports = epyc_ports, .n_ports = 2 });
        cr_expect_eq(p->node, 2);
        expect_cpus(p->pmd.cpus, "16-23");
        cr_expect(strstr(p->gen.reason, "another node") != NULL, "%s", p->gen.reason);
        plan_free(p);

        p = make(t, (struct plan_request){ .pmd_cores = 2, .gen_cores = 1, .node = -1, .ports = epyc_ports,
                                           .n_ports = 2, .noise_mask = ALL_NOISE });
        expect_cpus(p->pmd.cpus, "16-17");
        hwloc_bitmap_t l3_a = cpus_of("16-19,48-51"), l3_b = cpus_of("20-23,52-55"), node2 = cpus_of("16-23,48-55");
        /* The generator stays on node 2 but out of the PMDs' L3. */
        cr_expect(hwloc_bitmap_isincluded(p->gen.cpus, l3_b));
        expect_cpus(p->gen.cpus, "20");
        cr_expect(strstr(p->gen.reason, "share no L3") != NULL, "%s", p->gen.reason);
        /* same-llc noise stays inside the PMDs' L3; same-node noise on node 2 outside it. */
        expect_cpus(p->noise[NOISE_SAME_LLC].cpus, "18-19,50-51");
        cr_expect(hwloc_bitmap_isincluded(p->noise[NOISE_SAME_LLC].cpus, l3_a));
        cr_expect(hwloc_bitmap_isincluded(p->noise[NOISE_SAME_NODE].cpus, node2));
        cr_expect_not(hwloc_bitmap_intersects(p->noise[NOISE_SAME_NODE].cpus, l3_a));
        cr_expect_not(hwloc_bitmap_intersects(p->noise[NOISE_SAME_NODE].cpus, p->gen.cpus));
        cr_expect_not(hwloc_bitmap_intersects(p->noise[NOISE_OTHER_NODE].cpus, node2));
        expect_cpus(p->noise[NOISE_SIBLING].cpus, "48-49");
        cr_expect_eq(p->huge.page_size, 2ULL << 20);
        cr_expect_eq(p->huge.needed, 512);
        cr_expect_eq(p->n_warnings, 0, "%s", p->n_warnings ? p->warnings[0] : "");
        hwloc_bitmap_free(l3_a);
        hwloc_bitmap_free(l3_b);
        hwloc_bitmap_free(node2);
        plan_free(p);
        topo_free(t);
}

Test(plan, without_ports_the_node_with_most_free_hugepages_wins) {
        /* EPYC: every node has 512 x 2 MiB, so the tie goes to node 0, whose core 0 is
         * housekeeping: PMDs start at core 1. */
        struct topo *t = load(EPYC, NULL, NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1 });
        cr_expect_eq(p->node, 0);
        expect_cpus(p->pmd.cpus, "1");
        cr_expect(strstr(p->node_reason, "the most free hugepage memory (1 GiB)") != NULL, "%s", p->node_reason);
        plan_free(p);
        topo_free(t);
}

/* ---- this VM ------------------------------------------------------------------------------ */

Test(plan, vm_pmd_on_cpu1_generator_on_the_housekeeping_cpu0) {
        struct topo *t = load(VM, NULL, NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1,
                                                        .noise_mask = ALL_NOISE });
        cr_expect_eq(p->node, 0);
        expect_cpus(p->pmd.cpus, "1");
        expect_cpus(p->gen.cpus, "0");
        cr_expect(has_warning(p, "the generator shares the housekeeping CPU 0"));
        cr_expect_not(p->noise[NOISE_SIBLING].available);
        cr_expect_not(p->noise[NOISE_OTHER_NODE].available);
        cr_expect(strstr(p->noise[NOISE_OTHER_NODE].reason, "one NUMA node") != NULL);
        /* Neighbours beside the NF can only go to CPU 0 here, and the plan says so. */
        expect_cpus(p->noise[NOISE_SAME_NODE].cpus, "0");
        cr_expect(has_warning(p, "noise same-node runs on the housekeeping CPU 0"));
        cr_expect_eq(p->huge.page_size, 2ULL << 20);
        cr_expect_eq(p->huge.free, 1024);
        plan_free(p);

        struct diag d = { 0 };
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 3, .gen_cores = 1, .node = -1 }, &d), -ERANGE);
        cr_expect(strstr(d.msg, "has 2 cores; ask for at most 2") != NULL, "%s", d.msg);
        /* Two PMD cores fit only by taking the housekeeping core, with a warning. */
        p = make(t, (struct plan_request){ .pmd_cores = 2, .gen_cores = 1, .node = -1 });
        expect_cpus(p->pmd.cpus, "0-1");
        cr_expect(has_warning(p, "a PMD thread runs on the housekeeping CPU 0"));
        cr_expect(has_warning(p, "the generator shares a CPU with a PMD thread"));
        plan_free(p);
        topo_free(t);
}

/* ---- synthetic machines ---------------------------------------------------------------- */

Test(plan, one_core_machine_is_planned_with_warnings) {
        struct topo *t = load(NULL, "package:1 core:1 pu:1", NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1 });
        expect_cpus(p->pmd.cpus, "0");
        expect_cpus(p->gen.cpus, "0");
        cr_expect(has_warning(p, "a 1-core machine"));
        cr_expect(has_warning(p, "a PMD thread runs on the housekeeping CPU 0"));
        cr_expect(has_warning(p, "not enough hugepages"));
        plan_free(p);
        topo_free(t);
}

Test(plan, one_smt_core_shares_the_pmd_sibling_with_housekeeping) {
        struct topo *t = load(NULL, "package:1 core:1 pu:2", NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1 });
        expect_cpus(p->pmd.cpus, "0");
        expect_cpus(p->pmd_siblings, "1");
        cr_expect(has_warning(p, "SMT sibling shared: CPU 1"));
        plan_free(p);
        topo_free(t);
}

Test(plan, smt_without_l3_gives_siblings_but_no_llc_placement) {
        struct topo *t = load(NULL, "package:1 core:4 pu:2", NULL);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1,
                                                        .noise_mask = ALL_NOISE });
        expect_cpus(p->pmd.cpus, "2");
        expect_cpus(p->pmd_siblings, "3");
        expect_cpus(p->noise[NOISE_SIBLING].cpus, "3");
        cr_expect_not(p->noise[NOISE_SAME_LLC].available);
        cr_expect(strstr(p->noise[NOISE_SAME_LLC].reason, "no L3") != NULL, "%s", p->noise[NOISE_SAME_LLC].reason);
        expect_cpus(p->gen.cpus, "4");
        expect_cpus(p->noise[NOISE_SAME_NODE].cpus, "6-7");
        plan_free(p);
        topo_free(t);
}

Test(plan, is_deterministic) {
        struct topo *t = load(EPYC, NULL, NULL);
        char *a = NULL, *b = NULL;
        size_t la, lb;
        for (int k = 0; k < 2; k++) {
                struct plan *p = make(t, (struct plan_request){ .pmd_cores = 3, .gen_cores = 2, .node = -1,
                                                                .ports = epyc_ports, .n_ports = 2, .noise_mask = ALL_NOISE });
                FILE *f = open_memstream(k ? &b : &a, k ? &lb : &la);
                cr_assert_eq(render_plan_json(f, t, p), 0);
                fclose(f);
                plan_free(p);
        }
        cr_expect_str_eq(a, b);
        free(a);
        free(b);
        topo_free(t);
}

Test(plan, placement_names_round_trip) {
        for (int m = 0; m < _NOISE_PLACEMENT_MAX; m++)
                cr_expect_eq(noise_placement_from_string(noise_placement_to_string((enum noise_placement)m)), m);
        cr_expect_eq(noise_placement_from_string("same-socket"), -EINVAL);
        cr_expect_null(noise_placement_to_string(_NOISE_PLACEMENT_MAX));
}

/* ---- golden output ------------------------------------------------------------------------ */

static char *slurp(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t cap = 0;
        ssize_t n = getdelim(&buf, &cap, '\0', f);
        fclose(f);
        if (n < 0) {
                free(buf);
                return strdup("");
        }
        return buf;
}

static void golden(const char *name, const char *xml, struct plan_request req) {
        struct topo *t = load(xml, NULL, NULL);
        struct plan *p = make(t, req);
        for (int json = 0; json < 2; json++) {
                char *out = NULL, path[256];
                size_t len = 0;
                FILE *f = open_memstream(&out, &len);
                cr_assert_eq(json ? render_plan_json(f, t, p) : render_plan_text(f, t, p), 0);
                fclose(f);
                snprintf(path, sizeof(path), "tests/golden/plan-%s.%s", name, json ? "json" : "txt");
                if (getenv("ISOLAB_UPDATE_GOLDEN")) {
                        FILE *g = fopen(path, "we");
                        cr_assert(g, "cannot write %s", path);
                        fputs(out, g);
                        fclose(g);
                }
                char *want = slurp(path);
                cr_assert_not_null(want, "%s is missing; run `make golden` and review it", path);
                cr_expect_str_eq(out, want, "%s differs; if the change is intended, run `make golden` and review the diff",
                                 path);
                if (json) {
                        json_error_t e;
                        json_t *doc = json_loads(out, 0, &e);
                        cr_expect_not_null(doc, "%s is not JSON: %s", path, e.text);
                        cr_expect_eq(json_integer_value(json_object_get(doc, "version")), RENDER_JSON_VERSION);
                        json_decref(doc);
                }
                free(want);
                free(out);
        }
        plan_free(p);
        topo_free(t);
}

Test(golden, d430) {
        golden("d430", D430, (struct plan_request){ .pmd_cores = 3, .gen_cores = 1, .node = -1, .ports = d430_ports,
                                                    .n_ports = 2, .noise_mask = ALL_NOISE });
}

Test(golden, epyc) {
        golden("epyc", EPYC, (struct plan_request){ .pmd_cores = 2, .gen_cores = 1, .node = -1, .ports = epyc_ports,
                                                    .n_ports = 2, .noise_mask = ALL_NOISE });
}

Test(golden, vm) {
        golden("vm", VM, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1, .noise_mask = ALL_NOISE });
}

Test(plan, hugepages_beyond_the_node_are_refused, .init = in_source_tree) {
        struct topo *t = load(EPYC, NULL, "");
        struct diag d = { 0 };
        cr_expect_eq(make_fails(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1,
                                                          .hugepage_mem = 1ULL << 40 }, &d),
                     -EINVAL);
        cr_expect(strstr(d.msg, "--hugepage-mem 1 TiB: the NF and the generator would need 2 TiB of hugepages") != NULL,
                  "%s", d.msg);
        cr_expect(strstr(d.msg, "give at most") != NULL, "%s", d.msg);
        struct plan *p = make(t, (struct plan_request){ .pmd_cores = 1, .gen_cores = 1, .node = -1, .hugepage_mem = 1ULL << 30 });
        plan_free(p);
        topo_free(t);
}
