/* System tests of the agents as the controller will run them: real processes, DPDK's
 * EAL on this machine (--no-huge, --no-pci, a unique --file-prefix), readiness through
 * a real NOTIFY_SOCKET, and the JSON-lines protocol over pipes.  Each test removes its
 * DPDK runtime directory and never leaves a child behind. */
#include <criterion/criterion.h>
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
#include <time.h>
#include <unistd.h>

struct agent_proc {
        pid_t pid;
        FILE *in;       /* requests */
        FILE *out;      /* replies */
        int notify_fd;  /* our NOTIFY_SOCKET */
        char dir[64];   /* temporary directory for the socket */
        char prefix[64];
};

static struct agent_proc ag = { .pid = -1, .notify_fd = -1 };

static void need_root(void) {
        if (geteuid() != 0)
                cr_skip_test("needs root: DPDK's EAL keeps its runtime files in /var/run/dpdk (run make check as root)");
}

static void start(const char *role, int eal) {
        snprintf(ag.dir, sizeof(ag.dir), "/tmp/isolab-agent-XXXXXX");
        cr_assert_not_null(mkdtemp(ag.dir));
        snprintf(ag.prefix, sizeof(ag.prefix), "isolab-test-%d-%s", (int)getpid(), role);

        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", ag.dir);
        ag.notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        cr_assert_geq(ag.notify_fd, 0);
        cr_assert_eq(bind(ag.notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

        int to[2], from[2];
        cr_assert_eq(pipe2(to, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(from, O_CLOEXEC), 0);
        char bin[256];
        snprintf(bin, sizeof(bin), ISOLAB_BUILD "/isolab-%s", role);
        ag.pid = fork();
        cr_assert_geq(ag.pid, 0);
        if (ag.pid == 0) {
                dup2(to[0], 0);
                dup2(from[1], 1);
                setenv("NOTIFY_SOCKET", sa.sun_path, 1);
                if (eal)
                        execl(bin, bin, "-l", "0", "--no-huge", "-m", "64", "--no-pci", "--file-prefix", ag.prefix,
                              "--log-level", "*:error", (char *)NULL);
                else
                        execl(bin, bin, (char *)NULL);
                _exit(127);
        }
        close(to[0]);
        close(from[1]);
        ag.in = fdopen(to[1], "w");
        ag.out = fdopen(from[0], "r");
}

static void stop(void) {
        if (ag.in)
                fclose(ag.in);
        if (ag.out)
                fclose(ag.out);
        if (ag.pid > 0 && waitpid(ag.pid, NULL, WNOHANG) == 0) {
                kill(ag.pid, SIGKILL);
                waitpid(ag.pid, NULL, 0);
        }
        if (ag.notify_fd >= 0)
                close(ag.notify_fd);
        char path[256];
        snprintf(path, sizeof(path), "%s/notify", ag.dir);
        unlink(path);
        rmdir(ag.dir);
        /* EAL's runtime directory for this test's prefix, never anything wider: other
         * tests may run beside this one. */
        if (ag.prefix[0]) {
                char cmd[256];
                snprintf(cmd, sizeof(cmd), "rm -rf '/var/run/dpdk/%s'", ag.prefix);
                cr_expect_eq(system(cmd), 0);
        }
        ag = (struct agent_proc){ .pid = -1, .notify_fd = -1 };
}

/* As root, EAL keeps runtime files under /var/run/dpdk and creates that directory.
 * Once every test has finished, the runner removes it again if it is empty. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
        (void)stats;
        rmdir("/var/run/dpdk");
}

static void expect_ready(void) {
        struct pollfd p = { .fd = ag.notify_fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 30000), 1, "no READY=1 within 30 s");
        char buf[256] = "";
        ssize_t n = recv(ag.notify_fd, buf, sizeof(buf) - 1, 0);
        cr_assert_gt(n, 0);
        cr_expect(strstr(buf, "READY=1") != NULL, "notify message: %s", buf);
}

static json_t *request(const char *line) {
        fprintf(ag.in, "%s\n", line);
        fflush(ag.in);
        struct pollfd p = { .fd = fileno(ag.out), .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 10000), 1, "no reply to %s within 10 s", line);
        char *reply = NULL;
        size_t cap = 0;
        cr_assert_gt(getline(&reply, &cap, ag.out), 0, "agent closed stdout after %s", line);
        json_error_t e;
        json_t *doc = json_loads(reply, 0, &e);
        cr_assert_not_null(doc, "reply is not JSON: %s", reply);
        free(reply);
        return doc;
}

static int wait_exit(int seconds) {
        for (int i = 0; i < seconds * 10; i++) {
                int st;
                if (waitpid(ag.pid, &st, WNOHANG) == ag.pid) {
                        ag.pid = -1;
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                }
                nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
        }
        return -1;
}

static void conversation(const char *role, int eal) {
        start(role, eal);
        expect_ready();
        json_t *r = request("{\"id\": 1, \"cmd\": \"hello\"}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        cr_expect_str_eq(json_string_value(json_object_get(r, "role")), role);
        cr_expect_eq(json_integer_value(json_object_get(r, "version")), 1);
        cr_expect_eq(json_integer_value(json_object_get(r, "pid")), ag.pid);
        if (eal)
                cr_expect(strncmp(json_string_value(json_object_get(r, "runtime")), "DPDK ", 5) == 0);
        else
                cr_expect(json_is_null(json_object_get(r, "runtime")));
        json_decref(r);

        r = request("this is not json");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        json_decref(r);
        r = request("{\"id\": 2, \"cmd\": \"no-such-command\"}");
        cr_expect(json_is_false(json_object_get(r, "ok")));
        cr_expect_eq(json_integer_value(json_object_get(r, "id")), 2);
        json_decref(r);

        r = request("{\"id\": 3, \"cmd\": \"quit\"}");
        cr_expect(json_is_true(json_object_get(r, "ok")));
        json_decref(r);
        cr_expect_eq(wait_exit(20), 0, "the agent did not exit cleanly after quit");
}

TestSuite(agents, .init = need_root, .fini = stop, .timeout = 90);

Test(agents, nf_speaks_the_protocol) {
        conversation("nf", 1);
}

Test(agents, gen_speaks_the_protocol) {
        conversation("gen", 1);
}

Test(agents, noise_speaks_the_protocol) {
        conversation("noise", 0);
}

Test(agents, end_of_input_ends_the_agent) {
        start("nf", 1);
        expect_ready();
        fclose(ag.in);
        ag.in = NULL;
        cr_expect_eq(wait_exit(20), 0);
}

Test(agents, bad_eal_arguments_fail_with_a_reason_and_no_ready) {
        snprintf(ag.dir, sizeof(ag.dir), "/tmp/isolab-agent-XXXXXX");
        cr_assert_not_null(mkdtemp(ag.dir));
        int err[2];
        cr_assert_eq(pipe(err), 0);
        ag.pid = fork();
        if (ag.pid == 0) {
                /* EAL prints its usage on stdout: keep it out of the test log. */
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                dup2(err[1], 2);
                execl(ISOLAB_BUILD "/isolab-nf", "isolab-nf", "--no-such-eal-option", (char *)NULL);
                _exit(127);
        }
        close(err[1]);
        cr_expect_eq(wait_exit(20), 1);
        char buf[4096] = "";
        ssize_t n = read(err[0], buf, sizeof(buf) - 1);
        close(err[0]);
        cr_expect_gt(n, 0);
        cr_expect(strstr(buf, "EAL initialisation failed") != NULL, "stderr: %s", buf);
}
