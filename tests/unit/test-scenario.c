/* Scenario files: the option table read from INI, errors that name file, line and key,
 * the command line over the file, and every shipped scenario's dry run. */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/scenario.h"

struct opts {
        const char *name;
        unsigned reps;
        uint64_t dur;
        bool shuffle;
        const char *quota;
        unsigned rxq;
};

static const struct cli_option table[] = {
        { "name", "NAME", "", cli_parse_string, offsetof(struct opts, name), "scenario" },
        { "repetitions", "N", "", cli_parse_uint, offsetof(struct opts, reps), "scenario" },
        { "duration", "DUR", "", cli_parse_duration, offsetof(struct opts, dur), "scenario" },
        { "shuffle", NULL, "", NULL, offsetof(struct opts, shuffle), "scenario" },
        { "cpu-quota", "LIST", "", cli_parse_string, offsetof(struct opts, quota), "sweep" },
        { "ovs-n-rxq", "N", "", cli_parse_uint, offsetof(struct opts, rxq), "ovs" },
        { "dry-run", NULL, "", NULL, offsetof(struct opts, shuffle), NULL },
};

static char path[64];

static void write_file(const char *text) {
        snprintf(path, sizeof(path), "/tmp/isolab-scn-XXXXXX");
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
}

static void fini(void) {
        if (path[0])
                unlink(path);
}

TestSuite(scenario, .fini = fini);

static int load(const char *text, struct opts *o, struct scenario *sc, struct diag *d) {
        write_file(text);
        return scenario_load(path, table, sizeof(table) / sizeof(table[0]), o, sc, d);
}

Test(scenario, keys_by_section_and_neighbours) {
        struct opts o = { 0 };
        struct scenario sc = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(load("; a comment\n[scenario]\nname = demo\nrepetitions = 3\nduration = 500ms ; inline\nshuffle = yes\n"
                          "[sweep]\ncpu-quota = 100,50\n[noise.web]\nworkload = http\nplacement = same-node,any\nthreads = 2\n"
                          "keepalive = 1\n[noise.hog]\nworkload = cpu\nquota = 50\n",
                          &o, &sc, &d),
                     0, "%s", d.msg);
        cr_expect_str_eq(o.name, "demo");
        cr_expect_eq(o.reps, 3);
        cr_expect_eq(o.dur, 500000);
        cr_expect(o.shuffle);
        cr_expect_str_eq(o.quota, "100,50");
        cr_assert_eq(sc.n_noise, 2);
        cr_expect_str_eq(sc.noise[0].name, "web");
        cr_expect_str_eq(sc.noise[0].workload, "http");
        cr_expect_str_eq(sc.noise[0].placement, "same-node,any");
        cr_expect_str_eq(sc.noise[0].opts, "threads=2,keepalive=1");
        cr_expect_str_eq(sc.noise[1].quota, "50");
        scenario_free(&sc);
}

static void expect_error(const char *text, int line, const char *needle) {
        struct opts o = { 0 };
        struct scenario sc = { 0 };
        struct diag d = { 0 };
        cr_expect_lt(load(text, &o, &sc, &d), 0, "accepted: %s", text);
        char where[96];
        snprintf(where, sizeof(where), "%s:%d: ", path, line);
        cr_expect(strncmp(d.msg, where, strlen(where)) == 0, "\"%s\" does not start with %s", d.msg, where);
        cr_expect(strstr(d.msg, needle) != NULL, "\"%s\" not in: %s", needle, d.msg);
        scenario_free(&sc);
        unlink(path);
}

/* In [S] an option S-KEY may be given as KEY: [ovs] n-rxq is --ovs-n-rxq. */
Test(scenario, a_section_s_keys_may_leave_out_its_prefix) {
        struct opts o = { 0 };
        struct scenario sc = { 0 };
        struct diag d = { 0 };
        cr_assert_eq(load("[ovs]\nn-rxq = 2\n", &o, &sc, &d), 0, "%s", d.msg);
        cr_expect_eq(o.rxq, 2);
        scenario_free(&sc);
        unlink(path); /* each load makes a file; fini removes the last */
        o = (struct opts){ 0 };
        cr_assert_eq(load("[ovs]\novs-n-rxq = 3\n", &o, &sc, &d), 0, "%s", d.msg);
        cr_expect_eq(o.rxq, 3);
        scenario_free(&sc);
        unlink(path);
        expect_error("[sweep]\nn-rxq = 2\n", 2, "unknown key \"n-rxq\" in [sweep]");
}

Test(scenario, errors_name_file_line_key_and_the_closest) {
        expect_error("[scenario]\nname = x\nrepetitons = 3\n", 3, "unknown key \"repetitons\" in [scenario]; did you mean \"repetitions\"?");
        expect_error("[scenario]\ncpu-quota = 50\n", 2, "key \"cpu-quota\" belongs in [sweep], not [scenario]");
        expect_error("[scenaro]\nname = x\n", 2, "unknown section [scenaro]; did you mean [scenario]?");
        expect_error("[scenario]\nduration = soon\n", 2, "[scenario] duration = soon: expected a duration");
        expect_error("[scenario]\nshuffle = maybe\n", 2, "[scenario] shuffle = maybe: give true or false (yes");
        /* Said once, not twice ("shuffle = maybe: shuffle = maybe"). */
        expect_error("[scenario]\nshuffle = maybe\n", 2, "shuffle = maybe: give");
        /* A key or a section given twice is an error, not a silent override. */
        expect_error("[scenario]\nduration = 1s\nduration = 2s\n", 3, "[scenario] duration is set twice (first on line 2)");
        expect_error("[scenario]\nduration = 1s\n[sweep]\ncpu-quota = 50\n[scenario]\nwarmup = 1s\n", 6,
                     "section [scenario] appears twice (first on line 2)");
        expect_error("[noise.web]\nworkload = http\nthreads = 2\nthreads = 3\n", 4, "[noise.web] threads is set twice");
        expect_error("[scenario]\n\nrepetitions = -1\n", 3, "[scenario] repetitions = -1");
        expect_error("[noise.web]\nworkload = Apache!\n", 2, "[noise.web] workload = Apache!: a workload's name is a-z");
        expect_error("[noise.web]\nworkload = http\nthreds = 2\n", 3, "unknown key \"threds\" in [noise.web]; did you mean \"threads\"?");
        expect_error("[noise.Web]\nworkload = http\n", 2, "a neighbour's name is 1 to 24 of a-z");
        expect_error("[scenario]\nthis is not ini\n", 2, "not an INI line");
        expect_error("[scenario]\ndry-run = yes\n", 2, "unknown key \"dry-run\" in [scenario]");
}

Test(scenario, a_neighbour_needs_a_workload) {
        struct opts o = { 0 };
        struct scenario sc = { 0 };
        struct diag d = { 0 };
        cr_expect_lt(load("[noise.web]\nplacement = any\n", &o, &sc, &d), 0);
        cr_expect(strstr(d.msg, "[noise.web] has no workload") != NULL, "%s", d.msg);
        scenario_free(&sc);
}

Test(scenario, missing_file) {
        struct opts o = { 0 };
        struct scenario sc = { 0 };
        struct diag d = { 0 };
        cr_expect_eq(scenario_load("/nonexistent.ini", table, 1, &o, &sc, &d), -ENOENT);
        cr_expect(strstr(d.msg, "cannot read scenario /nonexistent.ini") != NULL, "%s", d.msg);
        scenario_free(&sc);
}

/* Runs isolab with args; returns the exit status, stdout into out (malloc'ed). */
static int isolab(char **out, const char *args) {
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), ISOLAB_BUILD "/isolab %s 2>&1", args);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        size_t cap = 1 << 20, n = 0;
        *out = calloc(1, cap);
        size_t k;
        while ((k = fread(*out + n, 1, cap - 1 - n, p)) > 0)
                n += k;
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(scenario, every_shipped_scenario_dry_runs_and_changes_nothing) {
        glob_t g;
        cr_assert_eq(glob(ISOLAB_SRC "/scenarios/*.ini", 0, NULL, &g), 0, "no scenarios shipped");
        cr_expect_geq(g.gl_pathc, 6);
        for (size_t i = 0; i < g.gl_pathc; i++) {
                char *out, args[600];
                snprintf(args, sizeof(args), "run %s --dry-run --out /nonexistent/never", g.gl_pathv[i]);
                int st = isolab(&out, args);
                cr_expect_eq(st, 0, "%s: %s", g.gl_pathv[i], out);
                cr_expect(strstr(out, "Trials (") && strstr(out, "Estimated duration") && strstr(out, "--lcores"),
                          "%s: %s", g.gl_pathv[i], out);
                free(out);
        }
        cr_expect_neq(access("/nonexistent/never", F_OK), 0);
        globfree(&g);
}

Test(scenario, the_command_line_overrides_the_file) {
        write_file("[scenario]\nname = over\nrepetitions = 4\nduration = 10s\n[sweep]\ncpu-quota = 100,50\n");
        char *out, args[300];
        snprintf(args, sizeof(args), "run %s --dry-run --repetitions 1 --cpu-quota 25", path);
        cr_assert_eq(isolab(&out, args), 0, "%s", out);
        cr_expect(strstr(out, "Trials (1)") != NULL, "%s", out);
        cr_expect(strstr(out, "quota    25%") != NULL, "%s", out);
        cr_expect(strstr(out, "Run         over-") != NULL, "%s", out);
        free(out);
        snprintf(args, sizeof(args), "run %s --dry-run --repetitons 1", path);
        cr_expect_eq(isolab(&out, args), 2);
        cr_expect(strstr(out, "did you mean --repetitions?") != NULL, "%s", out);
        free(out);
        cr_expect_eq(isolab(&out, "run /nonexistent.ini --dry-run"), 2);
        cr_expect(strstr(out, "isolab: cannot read scenario /nonexistent.ini") != NULL, "%s", out);
        free(out);
}

/* The experiment's own values are checked where the file gives them, so the error
 * names the file and line: a rate, a count of 0. */
Test(scenario, experiment_values_name_their_line) {
        static const struct {
                const char *text, *needle;
        } cases[] = {
                { "[traffic]\nrate = NaN\n", ":2: [traffic] rate = NaN: use line, max" },
                /* The workloads are isolab-noise's (isolab-noise --list): the run asks it. */
                { "[noise.web]\nworkload = apache\n", ":2 [noise.web]: workload = apache: use cpu, cache, membw, ctxsw, http, idle or exec" },
                { "[scenario]\nduration = 1s\n[nf]\npmd-cores = 0\n", ":4: [nf] pmd-cores = 0: expected a whole number from 1" },
                { "[scenario]\nwarmup = 1h\n", ":2: [scenario] warmup = 1h: expected a duration" },
                { "[scenario]\nwarmup = 900s\n", ":2: [scenario] warmup = 900s: give 0s to 600s (10 minutes)" },
                { "[scenario]\nduration = 2h\n", ":2: [scenario] duration = 2h: expected a duration" },
                { "[scenario]\nduration = 7200s\n", ":2: [scenario] duration = 7200s: give 100ms to 3600s (an hour)" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char file[] = "/tmp/isolab-scn-XXXXXX";
                int fd = mkstemp(file);
                cr_assert_geq(fd, 0);
                cr_assert_eq(write(fd, cases[i].text, strlen(cases[i].text)), (ssize_t)strlen(cases[i].text));
                close(fd);
                char args[300], *out = NULL;
                snprintf(args, sizeof(args), "run %s --dry-run", file);
                int st = isolab(&out, args);
                cr_expect_eq(st, 2, "%s", out);
                cr_expect(strstr(out, cases[i].needle) != NULL, "\"%s\" not in: %s", cases[i].needle, out);
                free(out);
                unlink(file);
        }
}
