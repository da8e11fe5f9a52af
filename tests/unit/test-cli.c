/* The isolab command as a user runs it: exit codes, one-sentence errors on stderr and
 * nothing on stdout for bad input, and the documented outputs for good input. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX ISOLAB_SRC "/tests/fixtures/topologies/"

struct run {
        int status;  /* exit code */
        char *out;
        char *err;
};

static char *slurp_fd(int fd) {
        lseek(fd, 0, SEEK_SET);
        char *buf = NULL;
        size_t cap = 0;
        FILE *f = fdopen(fd, "r");
        if (getdelim(&buf, &cap, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return buf;
}

/* Runs build/isolab with the given arguments (NULL-terminated), no shell. */
static struct run isolab(const char *arg, ...) {
        const char *argv[32] = { ISOLAB_BUILD "/isolab" };
        int n = 1;
        va_list ap;
        va_start(ap, arg);
        for (const char *a = arg; a && n < 31; a = va_arg(ap, const char *))
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;

        char o[] = "/tmp/isolab-out-XXXXXX", e[] = "/tmp/isolab-err-XXXXXX";
        int fo = mkstemp(o), fe = mkstemp(e);
        cr_assert(fo >= 0 && fe >= 0);
        unlink(o);
        unlink(e);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                dup2(fo, 1);
                dup2(fe, 2);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_assert(WIFEXITED(st), "isolab %s died", arg);
        return (struct run){ .status = WEXITSTATUS(st), .out = slurp_fd(fo), .err = slurp_fd(fe) };
}

static void run_free(struct run *r) {
        free(r->out);
        free(r->err);
}

/* Bad input: exit 2, nothing on stdout, exactly one line on stderr that starts with
 * "isolab: " and contains `needle`. */
static void expect_usage_error(struct run r, const char *needle) {
        cr_expect_eq(r.status, 2, "exit %d, stderr: %s", r.status, r.err);
        cr_expect_str_empty(r.out, "stdout: %s", r.out);
        cr_expect(strncmp(r.err, "isolab: ", 8) == 0, "stderr: %s", r.err);
        size_t len = strlen(r.err);
        cr_expect(len > 0 && r.err[len - 1] == '\n' && strchr(r.err, '\n') == r.err + len - 1,
                  "not one line: %s", r.err);
        cr_expect(strstr(r.err, needle) != NULL, "\"%s\" not in: %s", needle, r.err);
        run_free(&r);
}

Test(cli, unknown_topology_file) {
        expect_usage_error(isolab("topo", "--topology", "/nonexistent/machine.xml", NULL),
                           "--topology /nonexistent/machine.xml: No such file or directory");
}

Test(cli, malformed_topology_xml) {
        char path[] = "/tmp/isolab-bad-XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "<topology version=\"2.0\"><object", 32), 32);
        close(fd);
        /* hwloc rejects the file at set_xml() with one XML backend and only at load() with
         * the other: the user gets the same sentence from both. */
        for (int libxml = 0; libxml <= 1; libxml++) {
                setenv("HWLOC_LIBXML_IMPORT", libxml ? "1" : "0", 1);
                expect_usage_error(isolab("plan", "--topology", path, NULL), "is not a valid hwloc XML topology");
        }
        unsetenv("HWLOC_LIBXML_IMPORT");
        unlink(path);
}

Test(cli, port_not_on_the_machine) {
        expect_usage_error(isolab("plan", "--topology", FIX "d430-2s-x710-socket0.xml", "--ports", "0000:81:00.0", NULL),
                           "has no network controller at 0000:81:00.0; its NICs are 0000:06:00.0, 0000:06:00.1");
}

Test(cli, more_pmd_cores_than_the_node_has) {
        expect_usage_error(isolab("plan", "--topology", FIX "vm-1s-2c.xml", "--pmd-cores", "4", NULL),
                           "--pmd-cores 4: node 0 of");
}

Test(cli, bad_values_and_unknown_options) {
        expect_usage_error(isolab("plan", "--pmd-cores", "two", NULL), "--pmd-cores two: expected a whole number");
        expect_usage_error(isolab("plan", "--pmd-core", "2", NULL), "did you mean --pmd-cores?");
        expect_usage_error(isolab("plan", "--hugepage-size", "3M", NULL), "--hugepage-size 3M");
        expect_usage_error(isolab("plan", "--noise-placement", "same-rack", NULL), "unknown mode \"same-rack\"");
        expect_usage_error(isolab("plan", "--pmd-cores", NULL), "--pmd-cores needs a value");
        expect_usage_error(isolab("plan", "-p", "2", NULL), "long options only");
        expect_usage_error(isolab("plan", "extra", NULL), "plan takes no argument");
        expect_usage_error(isolab("plna", NULL), "did you mean \"plan\"?");
        expect_usage_error(isolab("topo", "--synthetic", "package:x", NULL), "is not an hwloc synthetic description");
        expect_usage_error(isolab("topo", "--topology", FIX "vm-1s-2c.xml", "--synthetic", "core:2", NULL),
                           "give one of them");
        expect_usage_error(isolab("topo", "--kernel-cmdline", "isolcpus=1-", NULL), "isolcpus=1- is not a CPU list");
}

Test(cli, plan_d430_three_pmd_cores) {
        struct run r = isolab("plan", "--topology", FIX "d430-2s-x710-socket0.xml", "--ports", "0000:06:00.0,0000:06:00.1",
                              "--pmd-cores", "3", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_expect_str_empty(r.err);
        cr_expect(strstr(r.out, "PMD threads        2,4,6") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "idle SMT siblings  18,20,22") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "local to NIC 0000:06:00.0") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "2 x 1 GiB") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "No warnings.") != NULL, "%s", r.out);
        run_free(&r);
}

Test(cli, topo_json_of_the_vm_fixture) {
        struct run r = isolab("topo", "--topology", FIX "vm-1s-2c.xml", "--json", NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        json_error_t e;
        json_t *doc = json_loads(r.out, 0, &e);
        cr_assert_not_null(doc, "%s", e.text);
        json_t *t = json_object_get(doc, "topology");
        cr_expect_eq(json_array_size(json_object_get(t, "nodes")), 1);
        cr_expect_eq(json_integer_value(json_object_get(t, "cores")), 2);
        cr_expect_str_eq(json_string_value(json_object_get(t, "hostname")), "vm");
        cr_expect(json_is_null(json_object_get(t, "isolation")));
        json_t *pool = json_array_get(json_object_get(json_array_get(json_object_get(t, "nodes"), 0), "hugepages"), 0);
        cr_expect_eq(json_integer_value(json_object_get(pool, "page_size")), 2097152);
        cr_expect_eq(json_integer_value(json_object_get(pool, "total")), 1024);
        json_decref(doc);
        run_free(&r);
}

Test(cli, help_lists_verbs_and_every_option) {
        struct run r = isolab("--help", NULL);
        cr_expect_eq(r.status, 0);
        cr_expect(strstr(r.out, "topo") && strstr(r.out, "plan"), "%s", r.out);
        run_free(&r);
        r = isolab("plan", "--help", NULL);
        cr_expect_eq(r.status, 0);
        static const char *const opts[] = { "--topology FILE", "--synthetic DESC", "--kernel-cmdline", "--json",
                                            "--pmd-cores N",   "--gen-cores N",    "--ports",          "--node N",
                                            "--noise-placement", "--hugepage-size", "--hugepage-mem" };
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
                cr_expect(strstr(r.out, opts[i]) != NULL, "%s missing from plan --help", opts[i]);
        run_free(&r);
        r = isolab(NULL);
        cr_expect_eq(r.status, 2);
        run_free(&r);
}

/* The report renderers against golden files; ISOLAB_UPDATE_GOLDEN=1 (make golden) rewrites them. */
static void report_golden(const char *fixture, const char *golden, const char *format) {
        char dir[512];
        snprintf(dir, sizeof(dir), ISOLAB_SRC "/tests/fixtures/%s", fixture);
        struct run r = isolab("report", dir, "--format", format, NULL);
        cr_assert_eq(r.status, 0, "%s", r.err);
        char path[512];
        snprintf(path, sizeof(path), ISOLAB_SRC "/tests/golden/%s.%s", golden, format);
        if (getenv("ISOLAB_UPDATE_GOLDEN")) {
                FILE *f = fopen(path, "w");
                cr_assert_not_null(f);
                fputs(r.out, f);
                fclose(f);
        }
        int fd = open(path, O_RDONLY);
        cr_assert_geq(fd, 0, "%s is missing; run make golden and review it", path);
        char *want = slurp_fd(fd);
        cr_expect_str_eq(r.out, want, "%s differs; if intended, run make golden and review the diff", path);
        free(want);
        run_free(&r);
}

Test(golden, report_text) {
        report_golden("sweep-small", "report-small", "text");
}

Test(golden, report_csv) {
        report_golden("sweep-small", "report-small", "csv");
}

Test(golden, report_json) {
        report_golden("sweep-small", "report-small", "json");
}

/* A noisy run (pinned and unpinned, cpu and idle neighbours on same-core and any, the
 * sibling placement skipped on this VM) gives the study's Table 7. */
Test(golden, report_noisy_text) {
        report_golden("noisy-small", "report-noisy", "text");
}

Test(golden, report_noisy_csv) {
        report_golden("noisy-small", "report-noisy", "csv");
}

Test(golden, report_noisy_json) {
        report_golden("noisy-small", "report-noisy", "json");
}

Test(cli, noisy_bad_input_changes_nothing) {
        expect_usage_error(isolab("noisy", "--noise", "apache", NULL), "--noise apache: use cpu, cache, membw, ctxsw, http");
        expect_usage_error(isolab("noisy", "--noise", "exec", "--noise-cmd", "isolab-no-such-command", NULL),
                           "\"isolab-no-such-command\" is not found in PATH");
        expect_usage_error(isolab("noisy", "--placement", "sibling,sibling", NULL), "--placement names sibling twice");
        expect_usage_error(isolab("noisy", "--placement", "next-door", NULL), "--placement next-door: use same-core");
        expect_usage_error(isolab("noisy", "--pinning", "loose", NULL), "--pinning loose: use pinned, unpinned or both");
        expect_usage_error(isolab("noisy", "--noise-opt", "load=200", NULL), "load=200: give a percentage 1..100");
        expect_usage_error(isolab("noisy", "--noise-quota", "0.5", NULL), "--noise-quota 0.5: give 1 to 100");
        expect_usage_error(isolab("sweep", "--placement", "any", NULL), "need --noise WORKLOAD");
}

Test(cli, run_bad_input_changes_nothing) {
        expect_usage_error(isolab("sweep", "--name", "../etc", NULL), "name ../etc: use up to 24 of a-z, 0-9, _ and -");
        expect_usage_error(isolab("sweep", "--nf", "ovs", NULL), "--nf ovs: use isolab-nf, testpmd, ovs-dpdk or none");
        expect_usage_error(isolab("sweep", "--nf", "testpmd", "--link", "memif", NULL), "--nf testpmd runs over --link vhost only");
        expect_usage_error(isolab("sweep", "--method", "fast", NULL), "--method fast: use mrr, ndr, pdr or ndr-pdr");
        expect_usage_error(isolab("sweep", "--method", "ndr", "--rate", "50%", NULL), "--rate is for --method mrr");
        expect_usage_error(isolab("sweep", "--method", "ndr", "--precision", "0", NULL), "--precision 0: give a percentage");
        expect_usage_error(isolab("sweep", "--max-trials", "1", NULL), "--max-trials 1: give 3 to 100");
        expect_usage_error(isolab("sweep", "--cpu-quota", "150", NULL), "--cpu-quota");
        expect_usage_error(isolab("sweep", "--cpu-period", "2s", NULL), "--cpu-period 2000 ms: the kernel takes 1 ms to 1 s");
        expect_usage_error(isolab("sweep", "--frame-sizes", "9000", NULL), "9000 is outside 64..1518 bytes");
        expect_usage_error(isolab("sweep", "--resume", "/nonexistent", NULL), "--resume /nonexistent: no such directory");
        expect_usage_error(isolab("sweep", "--resume", "/tmp", "--duration", "1s", NULL), "--resume takes no other option");
        expect_usage_error(isolab("run", NULL), "run takes one scenario");
        expect_usage_error(isolab("plot", "/nonexistent", NULL), "plot /nonexistent: no such directory");
        /* Numbers are plain decimals: no hex, infinity, NaN or exponent slips through. */
        expect_usage_error(isolab("sweep", "--cpu-quota", "0x10", NULL), "--cpu-quota: \"0x10\" is not valid here");
        expect_usage_error(isolab("sweep", "--cpu-quota", "1e-300", NULL), "--cpu-quota: \"1e-300\" is not valid here");
        expect_usage_error(isolab("sweep", "--rate", "inf", NULL), "--rate inf: use line, max, a percentage");
        expect_usage_error(isolab("sweep", "--rate", "nan", NULL), "--rate nan: use line, max, a percentage");
        expect_usage_error(isolab("sweep", "--duration", "0x10s", NULL), "--duration 0x10s: expected a duration");
}

Test(cli, report_bad_input) {
        expect_usage_error(isolab("report", "/nonexistent/run", NULL), "report /nonexistent/run: no such directory");
        expect_usage_error(isolab("report", ISOLAB_SRC "/tests/fixtures/sweep-small", "--format", "xml", NULL),
                           "--format xml: use text, csv or json");
        expect_usage_error(isolab("sweep", "--cpu-quota", "5", "--cpu-period", "1ms", NULL),
                           "under the kernel's 1 ms minimum; use a period of at least 20000 us");
        expect_usage_error(isolab("sweep", "--cpu-quota", "0", NULL), "--cpu-quota");
        expect_usage_error(isolab("sweep", "--frame-sizes", "32", NULL), "32 is outside 64..1518 bytes");
        expect_usage_error(isolab("sweep", "--duration", "soon", NULL), "--duration soon: expected a duration");
}

/* A point whose every trial failed has no figures: the JSON report says null (JSON has no
 * NaN) instead of losing the row. */
Test(cli, report_json_of_a_point_that_only_failed) {
        char dir[] = "/tmp/isolab-rep-XXXXXX";
        cr_assert_not_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof(path), "%s/trials.jsonl", dir);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "{\"index\":0,\"repetition\":0,\"quota\":50,\"period_us\":100000,\"frame_size\":64,\"error\":\"agent nf "
                   "did not answer the trial request in time\"}\n");
        fclose(f);
        struct run r = isolab("report", dir, "--format", "json", NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        json_t *doc = json_loads(r.out, 0, NULL);
        cr_assert_not_null(doc, "not JSON: %s", r.out);
        json_t *row = json_array_get(json_object_get(doc, "rows"), 0);
        cr_expect_eq(json_integer_value(json_object_get(row, "failed")), 1);
        cr_expect(json_is_null(json_object_get(row, "mpps_mean")));
        json_decref(doc);
        run_free(&r);
        unlink(path);
        rmdir(dir);
}

/* One search result among plain trials does not hide them: both tables come out, in
 * every format. */
Test(cli, report_shows_every_kind_of_line) {
        char dir[] = "/tmp/isolab-mixed-XXXXXX";
        cr_assert_not_null(mkdtemp(dir));
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "cp " ISOLAB_SRC "/tests/fixtures/sweep-small/trials.jsonl %s/ && printf '%%s\\n' "
                 "'{\"kind\":\"search\",\"nf_under_test\":\"isolab-nf\",\"index\":0,\"repetition\":0,\"quota\":100,"
                 "\"period_us\":100000,\"frame_size\":64,\"pinning\":\"pinned\",\"method\":\"pdr\",\"loss_goal_pct\":0.5,"
                 "\"found_pps\":3000000,\"found_mpps\":3,\"pct_of_line\":20.2,\"trials\":7,\"converged\":true,"
                 "\"generator_limited\":false,\"neighbour\":null}' >> %s/trials.jsonl",
                 dir, dir);
        cr_assert_eq(system(cmd), 0);
        struct run r = isolab("report", dir, NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        cr_expect(strstr(r.out, "pdr") != NULL, "no search table:\n%s", r.out);
        cr_expect(strstr(r.out, "q/100%") != NULL, "the plain trials were hidden:\n%s", r.out);
        run_free(&r);
        r = isolab("report", dir, "--format", "json", NULL);
        json_t *doc = json_loads(r.out, 0, NULL);
        cr_assert_not_null(doc, "not JSON: %s", r.out);
        cr_expect_eq(json_array_size(json_object_get(doc, "searches")), 1);
        cr_expect_gt(json_array_size(json_object_get(doc, "rows")), 0);
        json_decref(doc);
        run_free(&r);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void)!system(cmd);
}

/* A results path longer than any buffer isolab once had (512 bytes) is used whole. */
Test(cli, a_long_out_path_is_never_cut) {
        char out[1200] = "/tmp";
        while (strlen(out) < 1000)
                strcat(out, "/a-rather-long-directory-name-for-a-results-tree");
        struct run r = isolab("sweep", "--dry-run", "--out", out, NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        char want[1300];
        snprintf(want, sizeof(want), "results would go to %s\n", out);
        cr_expect(strstr(r.out, want) != NULL, "the path was cut:\n%.300s", r.out);
        run_free(&r);
}

/* isolab compare on synthetic runs with a known difference. */
static void write_run(const char *dir, const char *pinning, const double *mpps, const double *p50, size_t n, FILE *also) {
        char p[256];
        snprintf(p, sizeof(p), "%s/trials.jsonl", dir);
        FILE *f = also ? also : fopen(p, "w");
        cr_assert_not_null(f);
        for (size_t i = 0; i < n; i++)
                fprintf(f,
                        "{\"index\": 0, \"repetition\": %zu, \"quota\": 100, \"period_us\": 100000, \"frame_size\": 64, "
                        "\"pinning\": \"%s\", \"result\": {\"mpps\": %g, \"loss\": {\"ratio\": 0}, \"latency\": "
                        "{\"p50_ns\": %g, \"p99_ns\": %g}}}\n",
                        i, pinning, mpps[i], p50[i], 2 * p50[i]);
        if (!also)
                fclose(f);
}

static void rm_run(const char *dir) {
        char p[256];
        snprintf(p, sizeof(p), "%s/trials.jsonl", dir);
        unlink(p);
        rmdir(dir);
}

Test(compare, a_known_difference_gets_a_verdict_and_no_difference_says_so) {
        char a[] = "/tmp/isolab-cmp-a-XXXXXX", b[] = "/tmp/isolab-cmp-b-XXXXXX";
        cr_assert_not_null(mkdtemp(a));
        cr_assert_not_null(mkdtemp(b));
        const double fast[] = { 10.0, 10.1, 9.9, 10.05, 9.95 }, slow[] = { 9.0, 9.1, 8.9, 9.05, 8.95 };
        const double low[] = { 20e3, 21e3, 22e3, 23e3, 24e3 }, high[] = { 30e3, 31e3, 32e3, 33e3, 34e3 };
        write_run(a, "pinned", fast, low, 5, NULL);
        write_run(b, "pinned", slow, high, 5, NULL);
        struct run r = isolab("compare", a, b, NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        cr_expect(strstr(r.out, "A faster by 11.1 %") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "p50: A lower (p = 0.00794)") != NULL, "exact: 2/252\n%s", r.out);
        run_free(&r);
        /* The same numbers on both sides: no difference, said with the sample sizes. */
        write_run(b, "pinned", fast, low, 5, NULL);
        r = isolab("compare", a, b, "--format", "json", NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        cr_expect(strstr(r.out, "no difference detectable with n = 5/5") != NULL, "%s", r.out);
        cr_expect(strstr(r.out, "\"p50_mann_whitney_p\": 1") != NULL, "%s", r.out);
        run_free(&r);
        /* Three repetitions cannot show a latency difference at 5 %: the verdict says why. */
        write_run(b, "pinned", slow, high, 3, NULL);
        write_run(a, "pinned", fast, low, 3, NULL);
        r = isolab("compare", a, b, NULL);
        cr_expect(strstr(r.out, "p50: not testable with n = 3/3 (p >= 0.10 always)") != NULL, "%s", r.out);
        run_free(&r);
        /* Two series of one run: pinned against unpinned. */
        char p[256];
        snprintf(p, sizeof(p), "%s/trials.jsonl", a);
        FILE *f = fopen(p, "w");
        cr_assert_not_null(f);
        write_run(a, "pinned", fast, low, 5, f);
        write_run(a, "unpinned", slow, high, 5, f);
        fclose(f);
        r = isolab("compare", a, "--by", "pinning", NULL);
        cr_expect_eq(r.status, 0, "%s", r.err);
        cr_expect(strstr(r.out, "pinning = pinned") && strstr(r.out, "pinning = unpinned"), "%s", r.out);
        cr_expect(strstr(r.out, "A faster by 11.1 %") != NULL, "%s", r.out);
        run_free(&r);
        r = isolab("compare", a, "--by", "pinning=unpinned,pinned", NULL);
        cr_expect(strstr(r.out, "A slower by 10.0 %") != NULL, "%s", r.out);
        run_free(&r);
        expect_usage_error(isolab("compare", a, "--by", "colour", NULL), "--by colour: give pinning, nf");
        expect_usage_error(isolab("compare", a, NULL), "compare takes two results directories");
        rm_run(a);
        rm_run(b);
}
