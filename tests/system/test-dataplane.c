/* System tests of the data plane, as root, on this machine: isolab-gen (vhost-user, the
 * host side) and isolab-nf (virtio-user, the container side) on real 2 MiB hugepages in
 * a private hugetlbfs mount.  The fixture reserves the pages and makes the mount; its
 * teardown stops the agents, unmounts and restores the reservation, also when an
 * assertion fails. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/system/agentproc.h"
#include "tests/system/sysfix.h"

#define PAGES_NEEDED 160 /* two agents at -m 128 (64 pages each), and slack */

static char dir[] = "/tmp/isolab-dp-XXXXXX";
static char huge[128], run[128];
static long saved_nr = -1;
static bool mounted;
static int lock_fd = -1;
static struct aproc gen, nf;

static void setup(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: it reserves hugepages, mounts hugetlbfs and runs DPDK");
        if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
                cr_skip_test("needs 2 CPUs: the generator and the NF poll on separate CPUs");
        cr_assert_not_null(mkdtemp(dir));
        snprintf(huge, sizeof(huge), "%s/huge", dir);
        snprintf(run, sizeof(run), "%s/run", dir);
        cr_assert_eq(mkdir(huge, 0700), 0);
        cr_assert_eq(mkdir(run, 0700), 0);
        lock_fd = sysfix_lock();
        cr_assert_geq(lock_fd, 0);
        saved_nr = sysfix_read_long(SYSFIX_NR_2M);
        cr_assert_geq(saved_nr, 0, "cannot read %s", SYSFIX_NR_2M);
        cr_assert_eq(sysfix_write_long(SYSFIX_NR_2M, saved_nr + PAGES_NEEDED), 0);
        long granted = sysfix_read_long(SYSFIX_NR_2M) - saved_nr;
        cr_assert_geq(granted, PAGES_NEEDED, "the kernel granted %ld of %d 2 MiB pages", granted, PAGES_NEEDED);
        cr_assert_eq(mount("nodev", huge, "hugetlbfs", MS_NOSUID | MS_NODEV, "pagesize=2M,mode=0700"), 0, "mount: %s",
                     strerror(errno));
        mounted = true;
}

static void teardown(void) {
        aproc_stop(&nf);
        aproc_stop(&gen);
        if (mounted)
                cr_expect_eq(umount2(huge, 0), 0, "umount %s: %s", huge, strerror(errno));
        mounted = false;
        if (saved_nr >= 0) {
                cr_expect_eq(sysfix_write_long(SYSFIX_NR_2M, saved_nr), 0);
                cr_expect_eq(sysfix_read_long(SYSFIX_NR_2M), saved_nr, "hugepage reservation not restored");
        }
        saved_nr = -1;
        sysfix_unlock(lock_fd);
        lock_fd = -1;
        cr_expect_eq(sysfix_rm_rf(dir), 0);
}


/* EAL arguments shared by both agents: hugepages from our private mount.  virtio-user
 * needs --single-file-segments, which DPDK 22.11 refuses with --huge-unlink: the page
 * files stay in the mount until the agents exit and go with the unmount. */
#define EAL_MEM "--huge-dir", huge, "-m", "128", "--single-file-segments", "--no-pci", "--log-level", "*:error"

static void start_gen(bool selftest) {
        static char sock0[200];
        snprintf(gen.prefix, sizeof(gen.prefix), "isolab-test-%d-gen", (int)getpid());
        snprintf(sock0, sizeof(sock0), "%s/vhost-0.sock", run);
        char *argv[32] = { ISOLAB_BUILD "/isolab-gen", "--lcores", "0@0,1@0", "--file-prefix", gen.prefix, EAL_MEM, "--",
                           "--link", "vhost", "--link-dir", run };
        int n = 0;
        while (argv[n])
                n++;
        if (selftest) {
                /* No NF: one vhost port, and the generator loops a virtio-user of its own to it. */
                argv[n++] = "--link-ports";
                argv[n++] = "1";
                argv[n++] = "--selftest";
                argv[n++] = sock0;
        }
        argv[n] = NULL;
        cr_assert_eq(aproc_start(&gen, argv, NULL), 0);
        json_t *r = aproc_request(&gen, "{\"cmd\": \"hello\"}", 30000);
        cr_assert_not_null(r, "isolab-gen did not answer hello");
        json_decref(r);
}

static void start_nf(void) {
        snprintf(nf.prefix, sizeof(nf.prefix), "isolab-test-%d-nf", (int)getpid());
        char *argv[] = { ISOLAB_BUILD "/isolab-nf", "--lcores", "0@0,1@1", "--file-prefix", nf.prefix, EAL_MEM, "--",
                         "--link", "vhost", "--link-dir", run, NULL };
        cr_assert_eq(aproc_start(&nf, argv, NULL), 0);
        json_t *r = aproc_request(&nf, "{\"cmd\": \"hello\"}", 30000);
        cr_assert_not_null(r, "isolab-nf did not answer hello");
        json_decref(r);
}

static json_t *result(json_t *reply, const char *what) {
        cr_assert_not_null(reply, "%s: no reply", what);
        cr_assert(json_is_true(json_object_get(reply, "ok")), "%s: %s", what,
                  json_string_value(json_object_get(reply, "error")));
        return json_object_get(reply, "result");
}

static json_int_t geti(json_t *o, const char *path) {
        json_t *v = o;
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
                v = json_object_get(v, k);
        cr_assert(json_is_integer(v), "%s is not an integer", path);
        return json_integer_value(v);
}

/* Sum of a counter over the NF's PMD lcores. */
static json_int_t nf_total(const char *key) {
        json_t *r = aproc_request(&nf, "{\"cmd\": \"stats\"}", 10000);
        cr_assert_not_null(r);
        json_int_t sum = 0;
        size_t i;
        json_t *lc;
        json_array_foreach(json_object_get(r, "lcores"), i, lc) sum += json_integer_value(json_object_get(lc, key));
        json_decref(r);
        return sum;
}

static void trial_agrees_with_the_nf(unsigned frame_size) {
        json_int_t nf_rx0 = nf_total("rx"), nf_tx0 = nf_total("tx");
        char req[256];
        snprintf(req, sizeof(req),
                 "{\"cmd\": \"trial\", \"frame_size\": %u, \"rate\": 200000, \"duration\": 1, \"warmup\": 0, \"drain\": 0.2}",
                 frame_size);
        json_t *reply = aproc_request(&gen, req, 30000);
        json_t *r = result(reply, "trial");
        json_int_t offered = geti(r, "tx.offered"), sent = geti(r, "tx.sent"), rx = geti(r, "rx.packets");
        cr_expect_gt(rx, 0, "no packet came back at %u B", frame_size);
        cr_expect_leq(rx, sent);
        cr_expect_leq(sent, offered);
        cr_expect_eq(geti(r, "latency.samples"), rx, "one latency sample per received test packet");
        cr_expect_gt(geti(r, "latency.p50_ns"), 0);
        cr_expect_eq(geti(r, "rx.duplicates"), 0);
        cr_expect_eq(geti(r, "frame_size"), frame_size);
        cr_expect_eq(geti(r, "loss.packets"), offered - rx);
        /* The NF saw what the generator put on the link, and sent back what it got. */
        json_int_t nf_rx = nf_total("rx") - nf_rx0, nf_tx = nf_total("tx") - nf_tx0;
        cr_expect_eq(nf_rx, sent, "NF received %lld, generator sent %lld", (long long)nf_rx, (long long)sent);
        cr_expect_eq(nf_tx, rx, "NF sent %lld, generator received %lld", (long long)nf_tx, (long long)rx);
        json_decref(reply);
}

TestSuite(dataplane, .init = setup, .fini = teardown, .timeout = 120);

Test(dataplane, gen_and_nf_over_vhost_at_64_and_1518_bytes) {
        start_gen(false);
        start_nf();
        trial_agrees_with_the_nf(64);
        trial_agrees_with_the_nf(1518);
}

Test(dataplane, killing_the_nf_mid_trial_fails_the_trial_without_a_hang) {
        start_gen(false);
        start_nf();
        fprintf(gen.in, "{\"cmd\": \"trial\", \"frame_size\": 64, \"rate\": 100000, \"duration\": 3}\n");
        fflush(gen.in);
        sleep(1);
        kill(nf.pid, SIGKILL);
        cr_expect_eq(aproc_wait(&nf, 10), 128 + SIGKILL);
        /* The reply to the trial, already requested: read it with an empty request line
         * that the agent skips. */
        json_t *reply = aproc_request(&gen, "", 15000);
        cr_assert_not_null(reply, "the generator hung or died after the NF was killed");
        cr_expect(json_is_false(json_object_get(reply, "ok")));
        cr_expect(strstr(json_string_value(json_object_get(reply, "error")), "link went down") != NULL, "%s",
                  json_string_value(json_object_get(reply, "error")));
        json_decref(reply);
        /* The generator is still there for the next request. */
        reply = aproc_request(&gen, "{\"cmd\": \"stats\"}", 10000);
        cr_expect(reply && json_is_true(json_object_get(reply, "ok")));
        json_decref(reply);
}

Test(dataplane, selftest_measures_the_link_alone) {
        start_gen(true);
        json_t *reply = aproc_request(&gen, "{\"cmd\": \"trial\", \"frame_size\": 64, \"rate\": 100000, \"duration\": 0.5}", 30000);
        json_t *r = result(reply, "selftest trial");
        json_int_t rx = geti(r, "rx.packets");
        cr_expect_gt(rx, 0);
        cr_expect_leq(rx, geti(r, "tx.sent"));
        cr_expect_eq(geti(r, "latency.samples"), rx);
        cr_expect_gt(geti(r, "latency.p50_ns"), 0);
        json_decref(reply);
}

Test(dataplane, bad_trials_get_error_replies_and_a_trial_without_nf_is_refused) {
        start_gen(false);
        static const char *const bad[] = {
                "{\"cmd\": \"trial\", \"frame_size\": 63}",
                "{\"cmd\": \"trial\", \"frame_size\": 9000}", /* beyond the default mbuf */
                "{\"cmd\": \"trial\", \"rate\": \"fast\"}",
                "{\"cmd\": \"trial\", \"rate\": \"150%\"}",
                "{\"cmd\": \"trial\", \"duration\": -1}",
                "{\"cmd\": \"trial\", \"flows\": 0}",
                "{\"cmd\": \"trial\", \"link_timeout\": 0.2}", /* no NF attached */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *reply = aproc_request(&gen, bad[i], 10000);
                cr_assert_not_null(reply, "no reply to %s", bad[i]);
                cr_expect(json_is_false(json_object_get(reply, "ok")), "%s was accepted", bad[i]);
                json_decref(reply);
        }
}
