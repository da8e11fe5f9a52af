/* isolab-noise's workloads: the registry, the options, and each workload for half a
 * second with the rate it reports. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "agents/noise/noise.h"

Test(noise, registry_names_are_unique_and_described) {
        size_t n = 0;
        for (size_t i = 0; noise_workloads[i]; i++, n++) {
                const struct noise_workload *w = noise_workloads[i];
                cr_expect(w->name && *w->name && w->stresses && *w->stresses && w->unit && w->scale > 0, "%zu", i);
                cr_expect(w->start, "%s", w->name);
                cr_expect_eq(noise_find(w->name), w);
                for (size_t j = 0; j < i; j++)
                        cr_expect_str_neq(noise_workloads[j]->name, w->name);
        }
        cr_expect_eq(n, 7, "cpu cache membw ctxsw http idle exec");
        cr_expect_null(noise_find("apache"));
}

Test(noise, supported_gives_reasons) {
        char why[256] = "";
        struct noise_opts o = { 0 };
        cr_expect_eq(noise_exec.supported(&o, why, sizeof(why)), -EINVAL);
        cr_expect_not_null(strstr(why, "no command given"), "%s", why);
        char *missing[] = { "isolab-no-such-command", NULL };
        o.argv = missing;
        cr_expect_eq(noise_exec.supported(&o, why, sizeof(why)), -ENOENT);
        cr_expect_not_null(strstr(why, "\"isolab-no-such-command\" is not found in PATH"), "%s", why);
        o = (struct noise_opts){ .bind_node = true, .node = 999 };
        cr_expect_lt(noise_membw.supported(&o, why, sizeof(why)), 0);
        cr_expect_not_null(strstr(why, "node=999 does not exist"), "%s", why);
        o = (struct noise_opts){ .size = 1ULL << 50 };
        cr_expect_eq(noise_membw.supported(&o, why, sizeof(why)), -ENOMEM);
        cr_expect_not_null(strstr(why, "smaller size="), "%s", why);
        o = (struct noise_opts){ 0 };
        cr_expect_eq(noise_supported(&noise_cpu, &o, why, sizeof(why)), 0);
}

Test(noise, options_are_strict) {
        struct noise_opts o = { 0 };
        char err[256];
        cr_assert_eq(noise_opt_set(&o, "load=40", err, sizeof(err)), 0);
        cr_expect_eq(o.load, 40);
        cr_assert_eq(noise_opt_set(&o, "size=8M", err, sizeof(err)), 0);
        cr_expect_eq(o.size, 8ULL << 20);
        cr_assert_eq(noise_opt_set(&o, "node=1", err, sizeof(err)), 0);
        cr_expect(o.bind_node);
        cr_expect_eq(noise_opt_set(&o, "load=0", err, sizeof(err)), -EINVAL);
        cr_expect_not_null(strstr(err, "load=0: give a percentage 1..100"), "%s", err);
        cr_expect_eq(noise_opt_set(&o, "threads=many", err, sizeof(err)), -EINVAL);
        cr_expect_eq(noise_opt_set(&o, "colour=red", err, sizeof(err)), -EINVAL);
        cr_expect_not_null(strstr(err, "unknown noise option \"colour\""), "%s", err);
        cr_expect_eq(noise_opt_set(&o, "load", err, sizeof(err)), -EINVAL);
}

/* Runs w for half a second; returns the final stats. */
static struct noise_stats run_half_second(const struct noise_workload *w, struct noise_opts *o) {
        struct noise_run r;
        char err[512] = "";
        cr_assert_eq(noise_start(&r, w, o, err, sizeof(err)), 0, "%s: %s", w->name, err);
        nanosleep(&(struct timespec){ .tv_nsec = 500000000 }, NULL);
        struct noise_stats s;
        noise_stop(&r, &s);
        cr_expect_geq(s.seconds, 0.45, "%s", w->name);
        cr_expect_gt(s.rate, 0, "%s did no work", w->name);
        cr_expect_gt(s.work, 0, "%s", w->name);
        cr_expect_geq(s.n_samples, 3, "%s: 100 ms samples", w->name);
        cr_expect_leq(s.min, s.max, "%s", w->name);
        return s;
}

Test(noise, cpu_runs_and_its_load_is_a_duty_cycle) {
        struct noise_opts o = { 0 };
        struct noise_stats full = run_half_second(&noise_cpu, &o);
        o.load = 20;
        struct noise_stats part = run_half_second(&noise_cpu, &o);
        /* Not a timing threshold: a 20 % duty cycle cannot do more work than 100 %. */
        cr_expect_lt(part.work, full.work, "load=20 did %lu, load=100 %lu", (unsigned long)part.work,
                     (unsigned long)full.work);
}

Test(noise, cache_runs) {
        struct noise_opts o = { .size = 4 << 20 };
        run_half_second(&noise_cache, &o);
}

Test(noise, membw_runs) {
        struct noise_opts o = { .size = 64 << 20 };
        run_half_second(&noise_membw, &o);
}

Test(noise, ctxsw_runs) {
        struct noise_opts o = { 0 };
        run_half_second(&noise_ctxsw, &o);
}

Test(noise, http_runs_with_and_without_keepalive) {
        struct noise_opts o = { .threads = 2 };
        run_half_second(&noise_http, &o);
        o.keepalive = true;
        run_half_second(&noise_http, &o);
}

Test(noise, idle_runs) {
        struct noise_opts o = { 0 };
        run_half_second(&noise_idle, &o);
}

Test(noise, exec_runs_a_command_and_leaves_nothing) {
        char *argv[] = { "sh", "-c", "while :; do :; done", NULL };
        struct noise_opts o = { .argv = argv };
        struct noise_run r;
        char err[512] = "";
        cr_assert_eq(noise_start(&r, &noise_exec, &o, err, sizeof(err)), 0, "%s", err);
        nanosleep(&(struct timespec){ .tv_nsec = 500000000 }, NULL);
        struct noise_stats s;
        noise_stats(&r, false, &s);
        cr_expect_gt(s.rate, 0, "the command used no CPU");
        noise_stop(&r, &s);
        /* The command was stopped and reaped: this test process has no child left. */
        cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1);
        cr_expect_eq(errno, ECHILD);
}

Test(noise, exec_of_a_missing_command_is_a_clear_error) {
        char *argv[] = { "isolab-no-such-command", "--flag", NULL };
        struct noise_opts o = { .argv = argv };
        struct noise_run r;
        char err[512] = "";
        cr_expect_eq(noise_start(&r, &noise_exec, &o, err, sizeof(err)), -ENOENT);
        cr_expect_str_eq(err, "exec: command \"isolab-no-such-command\" is not found in PATH; install it or give its full path");
}
