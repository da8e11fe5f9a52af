/* System tests of the agents' life as the controller runs them: real processes, DPDK's
 * EAL on this machine (virtual devices on --no-huge memory, unique --file-prefix),
 * readiness through a real NOTIFY_SOCKET, the JSON-lines protocol over pipes, and exit
 * on quit or end of input.  Each test removes its DPDK runtime directory and never
 * leaves a child behind. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/system/agentproc.h"
#include "tests/system/sysfix.h"

static char dir[] = "/tmp/isolab-agent-XXXXXX";
static char notify_path[100];
static int notify_fd = -1;
static struct aproc gen, nf, noise;

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: DPDK's EAL keeps its runtime files in /var/run/dpdk (run make check as root)");
        cr_assert_not_null(mkdtemp(dir));
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(notify_path, sizeof(notify_path), "%s/notify", dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", notify_path);
        notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(notify_fd, 0);
        cr_assert_eq(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void teardown(void) {
        aproc_stop(&nf);
        aproc_stop(&gen);
        aproc_stop(&noise);
        if (notify_fd >= 0)
                close(notify_fd);
        notify_fd = -1;
        cr_expect_eq(sysfix_rm_rf(dir), 0);
}


TestSuite(agents, .init = setup, .fini = teardown, .timeout = 90);

static void expect_ready(pid_t pid) {
        struct pollfd p = { .fd = notify_fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 30000), 1, "no READY=1 within 30 s");
        char buf[256] = "";
        ssize_t n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
        cr_assert_gt(n, 0);
        cr_expect(strstr(buf, "READY=1") != NULL, "notify message from %d: %s", (int)pid, buf);
}

static void start_gen_on(const char *lcores) {
        static char v0[200], v1[200];
        snprintf(gen.prefix, sizeof(gen.prefix), "isolab-test-%d-gen", (int)getpid());
        snprintf(v0, sizeof(v0), "net_vhost0,iface=%s/s0,queues=1", dir);
        snprintf(v1, sizeof(v1), "net_vhost1,iface=%s/s1,queues=1", dir);
        char *argv[] = { ISOLAB_BUILD "/isolab-gen", "--lcores", (char *)lcores, "--no-huge", "-m", "128", "--no-pci",
                         "--file-prefix", gen.prefix, "--log-level", "*:error", "--vdev", v0, "--vdev", v1, "--", NULL };
        cr_assert_eq(aproc_start(&gen, argv, notify_path), 0);
        expect_ready(gen.pid);
}

static void start_gen(void) {
        start_gen_on("0@0,1@0");
}

static void start_nf(void) {
        static char v0[200], v1[200];
        snprintf(nf.prefix, sizeof(nf.prefix), "isolab-test-%d-nf", (int)getpid());
        snprintf(v0, sizeof(v0), "net_virtio_user0,path=%s/s0,queues=1", dir);
        snprintf(v1, sizeof(v1), "net_virtio_user1,path=%s/s1,queues=1", dir);
        char *argv[] = { ISOLAB_BUILD "/isolab-nf", "--lcores", "0@0,1@1", "--no-huge", "-m", "128", "--no-pci",
                         "--file-prefix", nf.prefix, "--log-level", "*:error", "--vdev", v0, "--vdev", v1, "--",
                         "--mac-rewrite", NULL };
        cr_assert_eq(aproc_start(&nf, argv, notify_path), 0);
        expect_ready(nf.pid);
}

static json_t *ask(struct aproc *a, const char *line) {
        json_t *r = aproc_request(a, line, 10000);
        cr_assert_not_null(r, "no JSON reply to %s", line);
        return r;
}

/* hello, a malformed line, an unknown command, then quit. */
static void conversation(struct aproc *a, const char *role, bool dpdk) {
        json_t *r = ask(a, "{\"id\": 1, \"cmd\": \"hello\"}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        cr_expect_str_eq(json_string_value(json_object_get(r, "role")), role);
        cr_expect_eq(json_integer_value(json_object_get(r, "version")), 1);
        cr_expect_eq(json_integer_value(json_object_get(r, "pid")), a->pid);
        if (dpdk)
                cr_expect(strncmp(json_string_value(json_object_get(r, "runtime")), "DPDK ", 5) == 0);
        else
                cr_expect(json_is_null(json_object_get(r, "runtime")));
        json_decref(r);

        r = ask(a, "this is not json");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        json_decref(r);
        r = ask(a, "{\"id\": 2, \"cmd\": \"no-such-command\"}");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        cr_expect_eq(json_integer_value(json_object_get(r, "id")), 2);
        json_decref(r);

        r = ask(a, "{\"id\": 3, \"cmd\": \"quit\"}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        json_decref(r);
        cr_expect_eq(aproc_wait(a, 20), 0, "the agent did not exit cleanly after quit");
}

Test(agents, noise_speaks_the_protocol) {
        char *argv[] = { ISOLAB_BUILD "/isolab-noise", NULL };
        cr_assert_eq(aproc_start(&noise, argv, notify_path), 0);
        expect_ready(noise.pid);
        conversation(&noise, "noise", false);
}

Test(agents, gen_speaks_the_protocol) {
        start_gen();
        json_t *r = ask(&gen, "{\"cmd\": \"configure\", \"link_speed\": 25000000000, \"flows\": 8}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        cr_expect_eq(json_integer_value(json_object_get(json_object_get(r, "config"), "link_speed")), 25000000000LL);
        json_decref(r);
        r = ask(&gen, "{\"cmd\": \"configure\", \"flows\": 0}");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        json_decref(r);
        conversation(&gen, "gen", true);
}

/* The generator's clock: the kernel's TSC rate (not DPDK's rounded estimate), its flags,
 * and with a TX and an RX lcore on two CPUs, their TSCs' agreement, measured. */
Test(agents, gen_tells_its_clock_and_its_lcores_agreement) {
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
                cr_skip_test("needs 2 CPUs: the TX and RX lcores on separate CPUs");
        start_gen_on("0@0,1@0,2@1");
        json_t *r = ask(&gen, "{\"cmd\": \"hello\"}");
        json_t *tsc = json_object_get(r, "tsc");
        double hz = json_number_value(json_object_get(tsc, "hz")), dpdk = json_number_value(json_object_get(tsc, "dpdk_hz"));
        cr_expect(hz > 1e8 && fabs(hz - dpdk) / dpdk < 0.01, "hz %.0f, DPDK's %.0f", hz, dpdk);
        cr_expect(strlen(json_string_value(json_object_get(tsc, "source")) ?: "") > 10);
        json_t *sk = json_object_get(tsc, "tx_rx_skew");
        cr_assert(json_is_object(sk), "no tx_rx_skew with two worker lcores");
        if (json_object_get(sk, "not_measured")) {
                cr_log_warn("skew not measured: %s", json_string_value(json_object_get(sk, "not_measured")));
        } else {
                double off = json_number_value(json_object_get(sk, "offset_ns")),
                       bound = json_number_value(json_object_get(sk, "bound_ns"));
                cr_log_info("TX/RX TSC offset %.0f ns ± %.0f over %lld rounds", off, bound,
                            (long long)json_integer_value(json_object_get(sk, "rounds")));
                cr_expect_geq(json_integer_value(json_object_get(sk, "rounds")), 10);
                cr_expect(bound >= 0 && fabs(off) <= bound + 1000, "TX/RX TSC offset %.0f ns ± %.0f", off, bound);
        }
        json_decref(r);
        r = ask(&gen, "{\"cmd\": \"quit\"}");
        json_decref(r);
        cr_expect_eq(aproc_wait(&gen, 20), 0);
}

Test(agents, nf_reports_where_it_runs_and_stops_and_starts) {
        start_gen();
        start_nf();
        json_t *r = ask(&nf, "{\"cmd\": \"placement\"}");
        json_t *pmd = json_array_get(json_object_get(r, "pmd"), 0);
        cr_expect_eq(json_integer_value(json_object_get(pmd, "lcore")), 1);
        cr_expect_eq(json_integer_value(json_object_get(pmd, "cpu")), 1, "the PMD lcore runs on CPU 1 as asked");
        cr_expect_gt(json_integer_value(json_object_get(pmd, "tid")), 0);
        cr_expect(json_is_true(json_object_get(r, "mac_rewrite")));
        cr_expect_eq(json_array_size(json_object_get(r, "ports")), 2);
        json_decref(r);

        r = ask(&nf, "{\"cmd\": \"stats\"}");
        cr_expect(json_is_true(json_object_get(r, "running")));
        json_t *lc = json_array_get(json_object_get(r, "lcores"), 0);
        cr_expect_gt(json_integer_value(json_object_get(lc, "iterations")), 0, "the PMD loop is polling");
        json_decref(r);
        r = ask(&nf, "{\"cmd\": \"stop\"}");
        json_decref(r);
        r = ask(&nf, "{\"cmd\": \"stats\"}");
        cr_expect(json_is_false(json_object_get(r, "running")));
        json_decref(r);
        r = ask(&nf, "{\"cmd\": \"start\"}");
        json_decref(r);

        /* configure changes the forwarding knobs, keeps the PMDs running, rejects nonsense. */
        r = ask(&nf, "{\"cmd\": \"configure\", \"mac_rewrite\": false, \"burst\": 16, \"drain_us\": 50}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        json_t *cfg = json_object_get(r, "config");
        cr_expect(json_is_false(json_object_get(cfg, "mac_rewrite")));
        cr_expect_eq(json_integer_value(json_object_get(cfg, "burst")), 16);
        cr_expect_eq(json_integer_value(json_object_get(cfg, "drain_us")), 50);
        json_decref(r);
        r = ask(&nf, "{\"cmd\": \"stats\"}");
        cr_expect(json_is_true(json_object_get(r, "running")));
        json_decref(r);
        r = ask(&nf, "{\"cmd\": \"configure\", \"burst\": 1000}");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        json_decref(r);
        conversation(&nf, "nf", true);
}

/* The NF's counters, read the way dpdk-telemetry.py reads them: the telemetry socket. */
Test(agents, nf_stats_through_dpdk_telemetry) {
        start_gen();
        start_nf();
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/var/run/dpdk/%s/dpdk_telemetry.v2", nf.prefix);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        cr_assert_geq(fd, 0);
        cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", sa.sun_path, strerror(errno));
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof(buf) - 1); /* the greeting: version, pid, max_output_len */
        cr_assert_gt(n, 0);
        cr_assert_eq(write(fd, "/isolab/nf/stats", 16), 16);
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        cr_assert_gt(n, 0);
        buf[n] = '\0';
        json_t *doc = json_loads(buf, 0, NULL);
        cr_assert_not_null(doc, "not JSON: %s", buf);
        json_t *st = json_object_get(doc, "/isolab/nf/stats");
        cr_assert(json_is_object(st), "%s", buf);
        static const char *const keys[] = { "rx", "tx", "tx_drops", "stalls", "busy_cycles", "idle_cycles" };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                cr_expect(json_is_integer(json_object_get(st, keys[i])), "%s missing in %s", keys[i], buf);
        cr_expect_gt(json_integer_value(json_object_get(st, "idle_cycles")), 0, "the PMD has been polling");
        json_decref(doc);
}

Test(agents, end_of_input_ends_the_agent) {
        start_gen();
        fclose(gen.in);
        gen.in = NULL;
        cr_expect_eq(aproc_wait(&gen, 20), 0);
}

Test(agents, bad_eal_arguments_fail_with_a_reason_and_no_ready) {
        int err[2];
        cr_assert_eq(pipe(err), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(err[1], 2);
                dup2(err[1], 1);
                execl(ISOLAB_BUILD "/isolab-nf", "isolab-nf", "--no-such-eal-option", (char *)NULL);
                _exit(127);
        }
        close(err[1]);
        /* Read everything: EAL prints its whole usage before our sentence. */
        char *all = NULL;
        size_t cap = 0;
        FILE *f = fdopen(err[0], "r");
        cr_expect_gt(getdelim(&all, &cap, '\0', f), 0);
        fclose(f);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1);
        cr_expect(strstr(all, "EAL initialisation failed") != NULL, "stderr: %s", all);
        struct pollfd p = { .fd = notify_fd, .events = POLLIN };
        cr_expect_eq(poll(&p, 1, 0), 0, "READY=1 although EAL failed");
        free(all);
}
