/* System tests of the links the agents set up themselves (--link vhost|memif
 * --link-dir DIR): a trial over memif, the sockets gone after the agents quit, and one
 * clear sentence for each socket mistake — stale, busy, missing, not a directory.  DPDK
 * runs on --no-huge memory here; the hugepage path is tested in test-dataplane.c. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/system/agentproc.h"
#include "tests/system/sysfix.h"

static char dir[] = "/tmp/isolab-link-XXXXXX";
static struct aproc gen, nf;
static char gen_prefix[48], nf_prefix[48];

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: DPDK's EAL keeps its runtime files in /var/run/dpdk");
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
                cr_skip_test("needs 2 CPUs: the generator and the NF poll on separate CPUs");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(gen_prefix, sizeof(gen_prefix), "isolab-test-%d-lgen", (int)getpid());
        snprintf(nf_prefix, sizeof(nf_prefix), "isolab-test-%d-lnf", (int)getpid());
}

static void teardown(void) {
        aproc_stop(&nf);
        aproc_stop(&gen);
        cr_expect_eq(sysfix_rm_rf(dir), 0);
        /* Agents run by run_capture() (the refused ones) leave their EAL runtime dirs. */
        char path[128];
        snprintf(path, sizeof(path), "/var/run/dpdk/%s", gen_prefix);
        cr_expect_eq(sysfix_rm_rf(path), 0);
        snprintf(path, sizeof(path), "/var/run/dpdk/%s", nf_prefix);
        cr_expect_eq(sysfix_rm_rf(path), 0);
}

TestSuite(links, .init = setup, .fini = teardown, .timeout = 90);

#define EAL_NOHUGE "--no-huge", "-m", "128", "--no-pci", "--log-level", "*:error"

static void gen_argv(char **argv, const char *kind, const char *link_dir, const char *prefix) {
        char *a[] = { ISOLAB_BUILD "/isolab-gen", "--lcores", "0@0,1@0", "--file-prefix", (char *)prefix, EAL_NOHUGE, "--",
                      "--link", (char *)kind, "--link-dir", (char *)link_dir, NULL };
        memcpy(argv, a, sizeof(a));
}

static void nf_argv(char **argv, const char *kind, const char *link_dir) {
        char *a[] = { ISOLAB_BUILD "/isolab-nf", "--lcores", "0@0,1@1", "--file-prefix", nf_prefix, EAL_NOHUGE, "--",
                      "--link", (char *)kind, "--link-dir", (char *)link_dir, NULL };
        memcpy(argv, a, sizeof(a));
}

/* Runs argv to completion with "quit" on stdin; returns the exit code, *ret_err stderr. */
static int run_capture(char **argv, char **ret_err) {
        int in[2], err[2];
        cr_assert_eq(pipe(in), 0);
        cr_assert_eq(pipe(err), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(in[0], 0);
                dup2(err[1], 2);
                dup2(err[1], 1);
                close(in[1]);
                close(err[0]);
                execv(argv[0], argv);
                _exit(127);
        }
        close(in[0]);
        close(err[1]);
        cr_assert_eq(write(in[1], "{\"cmd\":\"quit\"}\n", 15), 15);
        close(in[1]);
        FILE *f = fdopen(err[0], "r");
        size_t cap = 0;
        *ret_err = NULL;
        if (getdelim(ret_err, &cap, '\0', f) < 0) {
                free(*ret_err);
                *ret_err = strdup("");
        }
        fclose(f);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_refusal(char **argv, const char *needle) {
        char *err = NULL;
        int rc = run_capture(argv, &err);
        cr_expect_eq(rc, 1, "exit %d, stderr: %s", rc, err);
        cr_expect(strstr(err, needle) != NULL, "\"%s\" not in: %s", needle, err);
        free(err);
}

static void start(struct aproc *a, char **argv, const char *prefix) {
        snprintf(a->prefix, sizeof(a->prefix), "%s", prefix);
        cr_assert_eq(aproc_start(a, argv, NULL), 0);
        json_t *r = aproc_request(a, "{\"cmd\": \"hello\"}", 30000);
        cr_assert_not_null(r, "%s did not answer hello", argv[0]);
        json_decref(r);
}

static bool exists(const char *name) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        struct stat st;
        return stat(path, &st) == 0;
}

Test(links, a_trial_over_memif_and_no_socket_left_after) {
        char *ga[32], *na[32];
        gen_argv(ga, "memif", dir, gen_prefix);
        nf_argv(na, "memif", dir);
        start(&gen, ga, gen_prefix);
        cr_expect(exists("memif.sock"));
        start(&nf, na, nf_prefix);
        json_t *reply = aproc_request(&gen, "{\"cmd\": \"trial\", \"frame_size\": 128, \"rate\": 100000, \"duration\": 0.5}", 30000);
        cr_assert_not_null(reply);
        cr_assert(json_is_true(json_object_get(reply, "ok")), "%s", json_string_value(json_object_get(reply, "error")));
        json_t *r = json_object_get(reply, "result");
        json_int_t rx = json_integer_value(json_object_get(json_object_get(r, "rx"), "packets"));
        cr_expect_gt(rx, 0);
        cr_expect_eq(json_integer_value(json_object_get(json_object_get(r, "latency"), "samples")), rx);
        json_decref(reply);
        aproc_stop(&nf);
        aproc_stop(&gen);
        cr_expect_not(exists("memif.sock"), "the memif socket outlived the generator");
}

Test(links, vhost_sockets_go_with_the_generator) {
        char *ga[32];
        gen_argv(ga, "vhost", dir, gen_prefix);
        start(&gen, ga, gen_prefix);
        cr_expect(exists("vhost-0.sock") && exists("vhost-1.sock"));
        aproc_stop(&gen);
        cr_expect_not(exists("vhost-0.sock") || exists("vhost-1.sock"), "vhost sockets outlived the generator");
}

Test(links, a_stale_socket_is_named) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/vhost-0.sock", dir);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        close(fd); /* bound, never listening, now closed: what a crashed run leaves */
        char *ga[32];
        gen_argv(ga, "vhost", dir, gen_prefix);
        expect_refusal(ga, "vhost-0.sock is a stale socket left by an earlier run; remove it");
}

Test(links, a_busy_socket_is_named) {
        char *ga[32], *gb[32];
        char other[64];
        snprintf(other, sizeof(other), "%s-2", gen_prefix);
        gen_argv(ga, "vhost", dir, gen_prefix);
        start(&gen, ga, gen_prefix);
        gen_argv(gb, "vhost", dir, other);
        expect_refusal(gb, "vhost-0.sock is busy: another process serves it");
        char path[128];
        snprintf(path, sizeof(path), "/var/run/dpdk/%s", other);
        cr_expect_eq(sysfix_rm_rf(path), 0);
        /* The refused generator did not disturb the one that serves. */
        json_t *r = aproc_request(&gen, "{\"cmd\": \"stats\"}", 10000);
        cr_expect(r && json_is_true(json_object_get(r, "ok")));
        json_decref(r);
}

Test(links, an_nf_without_generator_and_a_bad_directory_are_named) {
        char *na[32];
        nf_argv(na, "vhost", dir);
        expect_refusal(na, "no socket at");
        char file[128];
        snprintf(file, sizeof(file), "%s/plain-file", dir);
        FILE *f = fopen(file, "w");
        cr_assert_not_null(f);
        fclose(f);
        nf_argv(na, "vhost", file);
        expect_refusal(na, "is not a directory");
        nf_argv(na, "carrier-pigeon", dir);
        expect_refusal(na, "--link carrier-pigeon: use vhost, memif or pci");
}

Test(links, sigterm_ends_a_trial_early_and_the_agents_cleanly) {
        char *ga[32], *na[32];
        gen_argv(ga, "vhost", dir, gen_prefix);
        nf_argv(na, "vhost", dir);
        start(&gen, ga, gen_prefix);
        start(&nf, na, nf_prefix);
        fprintf(gen.in, "{\"cmd\": \"trial\", \"frame_size\": 64, \"rate\": 100000, \"duration\": 60}\n");
        fflush(gen.in);
        sleep(1);
        kill(gen.pid, SIGTERM);
        /* The trial's reply comes at once, not after 60 s: it was interrupted. */
        json_t *reply = aproc_request(&gen, "", 10000);
        cr_assert_not_null(reply, "no reply within 10 s of SIGTERM");
        cr_expect(json_is_false(json_object_get(reply, "ok")));
        cr_expect(strstr(json_string_value(json_object_get(reply, "error")), "interrupted") != NULL);
        json_decref(reply);
        cr_expect_eq(aproc_wait(&gen, 10), 0, "the generator did not exit cleanly on SIGTERM");
        cr_expect_not(exists("vhost-0.sock") || exists("vhost-1.sock"), "sockets left after SIGTERM");
        kill(nf.pid, SIGTERM);
        cr_expect_eq(aproc_wait(&nf, 10), 0, "the NF did not exit cleanly on SIGTERM");
}
